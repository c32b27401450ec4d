"""The `worker_process_setup_hook` the recorder puts into a job's runtime_env."""

from __future__ import annotations


def setup() -> None:
    from flowinsight.recorder.patching import install

    install()
