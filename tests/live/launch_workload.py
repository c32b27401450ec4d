"""Runs a workload program unchanged, except that ray.init() binds the local Ray to 127.0.0.1.

    python launch_workload.py workloads/nested_tasks.py

Recording is switched on from outside, by the environment (FLOWINSIGHT_RECORD=1 and
RAY_RUNTIME_ENV_HOOK=flowinsight.recorder.runtime_env_hook), exactly as a user would."""

import functools
import runpy
import sys

import ray

_ray_init = ray.init


@functools.wraps(_ray_init)
def _init_on_loopback(*args, **kwargs):  # type: ignore[no-untyped-def]
    kwargs.setdefault("_node_ip_address", "127.0.0.1")
    return _ray_init(*args, **kwargs)


ray.init = _init_on_loopback
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
