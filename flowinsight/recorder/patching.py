"""Installs the recorder into this process's Ray: wraps a handful of Python-level functions of
Ray (no C++ change, no Ray fork). Idempotent; a hook Ray no longer has is skipped and reported."""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flowinsight.recorder import capture, execution, objects, submission
from flowinsight.recorder.emitter import EMITTER
from flowinsight.recorder.safety import register_exit_report

Wrapper = Callable[[Callable[..., Any]], Callable[..., Any]]
_ORIGINAL = "__flowinsight_original__"


@dataclass(frozen=True, slots=True)
class Patch:
    module: str
    owner: str | None  # a class in `module`, or None for a module-level function
    name: str
    wrap: Wrapper
    optional: bool = False  # one of several spellings across Ray versions


PATCHES: tuple[Patch, ...] = (
    Patch("ray._private.serialization", "SerializationContext", "serialize", capture.wrap_serialize),
    Patch("ray.remote_function", "RemoteFunction", "_remote", submission.wrap_function_remote),
    Patch("ray.actor", "ActorClass", "_remote", submission.wrap_actor_class_remote),
    Patch("ray.actor", "ActorHandle", "_actor_method_call", submission.wrap_actor_method_call),
    Patch("ray._private.worker", "Worker", "put_object", objects.wrap_put_object),
    Patch("ray._private.worker", "Worker", "get_objects", objects.wrap_get_objects),
    Patch("ray._private.worker", "Worker", "deserialize_objects", execution.wrap_deserialize_objects),
    Patch("ray._private.worker", "Worker", "record_task_log_start", execution.wrap_task_log_start),
    Patch("ray._private.worker", "Worker", "record_task_log_end", execution.wrap_task_log_end),
    Patch("ray._private.worker", None, "disconnect", objects.wrap_disconnect),
    Patch("threading", "Thread", "start", objects.wrap_thread_start),
    Patch("ray._common.signature", None, "recover_args", execution.wrap_recover_args, True),
    Patch("ray._private.signature", None, "recover_args", execution.wrap_recover_args, True),
)

_lock = threading.Lock()
_installed = False
missing_hooks: list[str] = []


def _apply(patch: Patch) -> bool:
    try:
        module = importlib.import_module(patch.module)
        owner = getattr(module, patch.owner) if patch.owner else module
        original = getattr(owner, patch.name)
    except (ImportError, AttributeError):
        return False
    if getattr(original, _ORIGINAL, None) is None:
        wrapped = patch.wrap(original)
        setattr(wrapped, _ORIGINAL, original)
        setattr(owner, patch.name, wrapped)
    return True


def _shim_await() -> bool:
    raylet = importlib.import_module("ray._raylet")
    helper = getattr(raylet, "_set_future_helper", None)
    real = getattr(raylet, "functools", None)
    if helper is None or real is None:
        return False
    if not isinstance(real, objects.FunctoolsShim):
        setattr(raylet, "functools", objects.FunctoolsShim(real, helper))
    return True


def install() -> None:
    """Start recording in this process."""
    global _installed
    with _lock:
        if not _installed:
            applied = {patch: _apply(patch) for patch in PATCHES}
            missing_hooks.extend(
                f"{p.module}.{p.owner + '.' if p.owner else ''}{p.name}"
                for p, ok in applied.items()
                if not ok and not p.optional
            )
            if not any(ok for p, ok in applied.items() if p.name == "recover_args"):
                missing_hooks.append("recover_args")
            if not _shim_await():
                missing_hooks.append("ray._raylet.functools (await attribution)")
            if missing_hooks:
                print(
                    "flowinsight.recorder: this Ray lacks hooks, some events will be missing: "
                    + ", ".join(missing_hooks),
                    file=sys.stderr,
                )
            register_exit_report()
            _installed = True
        EMITTER.active = True
    EMITTER.touch_file()


def pause() -> None:
    """Stop recording; the wrappers stay in place and pass straight through."""
    EMITTER.active = False
