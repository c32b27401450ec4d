"""flowinsight.recorder: makes a real, unpatched Ray write flowinsight's object events
(`task_submitted`, `object_put`, `object_get`) as RAY_EVENT lines into the session's
logs/events/event_FLOWINSIGHT_<pid>.log, one file per process.

In a driver, before ray.init():

    import flowinsight.recorder
    flowinsight.recorder.enable()
    ray.init(...)                       # or: flowinsight.recorder.init(...) for both

Without touching the program (also for clusters started with `ray start`, see docs/recorder.md):

    FLOWINSIGHT_RECORD=1 RAY_RUNTIME_ENV_HOOK=flowinsight.recorder.runtime_env_hook python job.py

Importing this package imports nothing from Ray; Ray is loaded by enable().
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ENV_VAR = "FLOWINSIGHT_RECORD"
RUNTIME_ENV_HOOK = "flowinsight.recorder.runtime_env_hook"
PRELOAD_MODULE = "flowinsight.recorder.autostart"

__all__ = [
    "ENV_VAR",
    "RUNTIME_ENV_HOOK",
    "RecorderStats",
    "disable",
    "enable",
    "init",
    "is_enabled",
    "recording_requested",
    "runtime_env_hook",
    "stats",
]


@dataclass(frozen=True, slots=True)
class RecorderStats:
    enabled: bool
    events_written: int
    events_dropped: int  # emitted while this process had no Ray session
    internal_errors: int
    missing_hooks: tuple[str, ...]


def recording_requested(environ: Mapping[str, str] | None = None) -> bool:
    """True when FLOWINSIGHT_RECORD asks for recording (1, true, yes, on)."""
    value = (os.environ if environ is None else environ).get(ENV_VAR, "")
    return value.strip().lower() in {"1", "true", "yes", "on"}


def enable() -> None:
    """Record in this process, and in every worker of jobs this process starts with ray.init()
    afterwards. Call it before ray.init(): a job's workers get the recorder through the job's
    runtime_env, which is fixed at ray.init()."""
    from flowinsight.recorder import patching, runtime_env

    patching.install()
    runtime_env.hook_into_ray_init()
    _warn_if_job_already_running()


def init(**ray_init_kwargs: Any) -> Any:
    """enable() followed by ray.init(**ray_init_kwargs); returns what ray.init returns."""
    enable()
    import ray

    return ray.init(**ray_init_kwargs)


def disable() -> None:
    """Stop writing events in this process (workers keep their own setting)."""
    if "flowinsight.recorder.patching" in sys.modules:
        from flowinsight.recorder import patching

        patching.pause()


def is_enabled() -> bool:
    if "flowinsight.recorder.emitter" not in sys.modules:
        return False
    from flowinsight.recorder.emitter import EMITTER

    return EMITTER.active


def stats() -> RecorderStats:
    if "flowinsight.recorder.patching" not in sys.modules:
        return RecorderStats(False, 0, 0, 0, ())
    from flowinsight.recorder import patching
    from flowinsight.recorder.emitter import EMITTER
    from flowinsight.recorder.safety import failure_count

    return RecorderStats(
        EMITTER.active,
        EMITTER.events_written,
        EMITTER.events_dropped,
        failure_count(),
        tuple(patching.missing_hooks),
    )


def runtime_env_hook(runtime_env: Mapping[str, Any] | None) -> Any:
    """For RAY_RUNTIME_ENV_HOOK: Ray calls it in ray.init() of every driver with the job's
    runtime_env. With FLOWINSIGHT_RECORD on it enables the recorder in the driver and adds the
    worker setup hook; otherwise it returns the runtime_env unchanged."""
    if not recording_requested():
        return runtime_env
    from flowinsight.recorder import patching
    from flowinsight.recorder.runtime_env import with_recorder_hook

    patching.install()
    return with_recorder_hook(runtime_env)


def _warn_if_job_already_running() -> None:
    import ray

    if not ray.is_initialized():
        return
    from flowinsight.recorder.runtime_env import has_recorder_hook

    try:
        job_env = ray.get_runtime_context().runtime_env
    except Exception:  # noqa: BLE001 - only a warning is at stake
        job_env = None
    if not has_recorder_hook(job_env):
        print(
            "flowinsight.recorder: enabled after ray.init(); only this process records. "
            "Call enable() before ray.init() to record the job's workers too.",
            file=sys.stderr,
        )
