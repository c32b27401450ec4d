"""Cluster-wide recording without touching drivers' runtime_env: start every node with

    FLOWINSIGHT_RECORD=1 RAY_preload_python_modules=flowinsight.recorder.autostart ray start ...

The raylet then imports this module in each Python worker it starts, and the import starts the
recorder (if FLOWINSIGHT_RECORD is on in the worker's environment)."""

from __future__ import annotations

from flowinsight.recorder import recording_requested

if recording_requested():
    from flowinsight.recorder.patching import install

    install()
