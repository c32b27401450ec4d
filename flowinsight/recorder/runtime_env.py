"""Carrying the recorder into every worker of a job: Ray runs a job's
`worker_process_setup_hook` (from its runtime_env) in each worker process right after the worker
connects. These helpers add the recorder's hook to a runtime_env, keeping any hook the user
already set (both run, the recorder's first)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import Any

SETUP_HOOK = "flowinsight.recorder.worker_setup.setup"
# Ray turns the hook into this env var; if it is already there (a job submitted with a hook) the
# hook cannot be changed any more without Ray reporting a conflict.
_RAY_HOOK_ENV_VAR = "__RAY_WORKER_PROCESS_SETUP_HOOK_ENV_VAR"
_CHAINED = "__flowinsight_chained__"


def chained_hook(user_hook: str | Callable[[], Any]) -> Callable[[], None]:
    """A setup hook that starts the recorder, then runs the user's own hook."""

    def flowinsight_chained_setup_hook() -> None:
        from flowinsight.recorder.worker_setup import setup

        setup()
        if isinstance(user_hook, str):
            module_name, _, attribute = user_hook.rpartition(".")
            getattr(__import__(module_name, fromlist=[attribute]), attribute)()
        else:
            user_hook()

    setattr(flowinsight_chained_setup_hook, _CHAINED, True)
    return flowinsight_chained_setup_hook


def has_recorder_hook(runtime_env: Mapping[str, Any] | None) -> bool:
    env = runtime_env or {}
    hook = env.get("worker_process_setup_hook")
    env_vars = env.get("env_vars") or {}
    return (
        hook == SETUP_HOOK
        or bool(getattr(hook, _CHAINED, False))
        or env_vars.get(_RAY_HOOK_ENV_VAR) == SETUP_HOOK
    )


def with_recorder_hook(runtime_env: Mapping[str, Any] | None) -> dict[str, Any]:
    """A copy of `runtime_env` whose workers start the recorder."""
    env = dict(runtime_env or {})
    if has_recorder_hook(env):
        return env
    if (env.get("env_vars") or {}).get(_RAY_HOOK_ENV_VAR):
        print(
            "flowinsight.recorder: this job's worker setup hook is already fixed; workers will "
            "record only if the cluster preloads flowinsight.recorder.autostart",
            file=sys.stderr,
        )
        return env
    user_hook = env.get("worker_process_setup_hook")
    env["worker_process_setup_hook"] = SETUP_HOOK if user_hook is None else chained_hook(user_hook)
    return env


def wrap_modify_runtime_env(original: Callable[..., Any]) -> Callable[..., Any]:
    """Wraps ray._private.worker._maybe_modify_runtime_env, which every ray.init of a driver
    passes the job's runtime_env through (also for jobs submitted with `ray job submit`)."""

    def _maybe_modify_runtime_env(*positional: Any, **keywords: Any) -> Any:
        runtime_env = original(*positional, **keywords)
        from flowinsight.recorder.emitter import EMITTER

        if not EMITTER.active:
            return runtime_env
        try:
            return with_recorder_hook(runtime_env)
        except Exception as error:  # noqa: BLE001 - never break ray.init
            from flowinsight.recorder.safety import note_failure

            note_failure("with_recorder_hook", error)
            return runtime_env

    return _maybe_modify_runtime_env


def wrap_ray_init(original: Callable[..., Any]) -> Callable[..., Any]:
    """Fallback for Ray versions without _maybe_modify_runtime_env."""

    def init(*positional: Any, **keywords: Any) -> Any:
        keywords["runtime_env"] = with_recorder_hook(keywords.get("runtime_env"))
        return original(*positional, **keywords)

    return init


def hook_into_ray_init() -> None:
    import ray
    from ray._private import worker as ray_worker

    original = getattr(ray_worker, "_maybe_modify_runtime_env", None)
    if original is not None:
        if not getattr(original, "__flowinsight_original__", None):
            wrapped = wrap_modify_runtime_env(original)
            setattr(wrapped, "__flowinsight_original__", original)
            ray_worker._maybe_modify_runtime_env = wrapped
        return
    if not getattr(ray.init, "__flowinsight_original__", None):
        wrapped = wrap_ray_init(ray.init)
        setattr(wrapped, "__flowinsight_original__", ray.init)
        ray.init = wrapped
