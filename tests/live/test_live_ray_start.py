"""A cluster started with `ray start`: the environment alone turns the recorder on.

- every node: FLOWINSIGHT_RECORD=1 RAY_preload_python_modules=flowinsight.recorder.autostart
  -> every Python worker of every job records (the raylet preloads the module);
- a driver: FLOWINSIGHT_RECORD=1 RAY_RUNTIME_ENV_HOOK=flowinsight.recorder.runtime_env_hook
  -> that driver records too (and would carry the recorder to its workers by itself).

The harness sets RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0, without which Ray 2.6x would turn
127.0.0.1 into the host's outward address: cluster and drivers stay on loopback.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .harness import (
    RECORDER_ENV, WORKLOADS, base_env, by_label, check_envelopes, recorder_lines, run_script,
    session_dir, stop_processes, temp_root,
)

RAY_CLI = str(Path(sys.executable).with_name("ray"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[Path, Path]]:
    with temp_root() as root:
        port = free_port()
        env = base_env(root, FLOWINSIGHT_RECORD="1",
                       RAY_preload_python_modules="flowinsight.recorder.autostart")
        start = subprocess.Popen(
            [RAY_CLI, "start", "--head", f"--port={port}", "--node-ip-address=127.0.0.1",
             "--num-cpus=2", "--include-dashboard=false", "--disable-usage-stats",
             f"--temp-dir={root / 'ray'}"],
            env=env, cwd=root, start_new_session=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        try:
            out, _ = start.communicate(timeout=120)
            assert start.returncode == 0, out[-4000:]
            address = {"RAY_ADDRESS": f"127.0.0.1:{port}"}
            driver = [str(WORKLOADS / "cluster_driver.py")]
            plain = run_script(driver, root, base_env(root, **address), timeout=90)
            assert plain.returncode == 0, plain.stderr[-4000:]
            hooked = run_script(driver, root, base_env(root, **address, **RECORDER_ENV), timeout=90)
            assert hooked.returncode == 0, hooked.stderr[-4000:]
            yield root, session_dir(root)
        finally:
            stop_processes(root, start.pid)


def test_preloaded_workers_record_every_job(cluster: tuple[Path, Path]) -> None:
    _, session = cluster
    lines = check_envelopes(session)
    for job in ("01000000", "02000000"):
        reads = [g for g in by_label(lines, "object_get")
                 if g["job_id"] == job and g["kind"] == "arg"]
        assert len(reads) == 3 + 1, job  # three tasks and one method call (the constructor
        returns = [p for p in by_label(lines, "object_put")
                   if p["job_id"] == job and p["kind"] == "return"]
        assert len(returns) == 3 + 1, job  # takes no argument and returns nothing read)


def test_only_the_hooked_driver_records_submissions(cluster: tuple[Path, Path]) -> None:
    _, session = cluster
    submitted = by_label(recorder_lines(session), "task_submitted")
    assert {s["job_id"] for s in submitted} == {"02000000"}
    assert len(submitted) == 3 + 2  # 3 tasks, the actor's creation and one method call
