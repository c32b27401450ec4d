"""ray.put (`object_put` kind=put), ray.get and `await ref` (`object_get` kind=get).

ray.get goes through Worker.get_objects, which deserialises on the calling thread: the wrapper
marks the thread and execution.py records one get per ref. `await ref` deserialises on a core
worker thread that does not know the awaiting task, so the receiver is captured when the future
is created (in the awaiting coroutine) by intercepting the functools.partial ray._raylet builds
around its future helper."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flowinsight.recorder.capture import TLS, SingleSize
from flowinsight.recorder.emitter import EMITTER, now_ms
from flowinsight.recorder.events import ObjectGet, ObjectPut, Site
from flowinsight.recorder.ray_context import STARTED_BY
from flowinsight.recorder.safety import note_failure


def wrap_put_object(original: Callable[..., Any]) -> Callable[..., Any]:
    def put_object(self: Any, *positional: Any, **keywords: Any) -> Any:
        # A compiled graph's channel (ray.experimental.channel: _create_channel_ref) is a
        # mutable buffer its writers overwrite on every execute, put once at its full size:
        # no value a task produced, so no data flow of those bytes.
        if not EMITTER.active or keywords.get("_is_experimental_channel"):
            return original(self, *positional, **keywords)
        started = now_ms()
        sink = SingleSize()
        previous = TLS.sink
        TLS.sink = sink
        try:
            ref = original(self, *positional, **keywords)
        finally:
            TLS.sink = previous
        try:
            EMITTER.emit(ObjectPut(ref.hex(), EMITTER.site(), sink.size, "put", started))
        except Exception as error:  # noqa: BLE001
            note_failure("put_object", error)
        return ref

    return put_object


def wrap_get_objects(original: Callable[..., Any]) -> Callable[..., Any]:
    def get_objects(self: Any, *positional: Any, **keywords: Any) -> Any:
        if not EMITTER.active:
            return original(self, *positional, **keywords)
        previous = TLS.in_get
        TLS.in_get = True
        try:
            return original(self, *positional, **keywords)
        finally:
            TLS.in_get = previous

    return get_objects


def wrap_thread_start(original: Callable[..., Any]) -> Callable[..., Any]:
    """threading.Thread.start: a thread a running task starts remembers that task's site, so
    what it reads or submits is the task's while the task runs (ray_context.site)."""

    def start(self: Any, *positional: Any, **keywords: Any) -> Any:
        if EMITTER.active and EMITTER.context.running:
            try:
                setattr(self, STARTED_BY, EMITTER.site())
            except Exception as error:  # noqa: BLE001
                note_failure("Thread.start", error)
        return original(self, *positional, **keywords)

    return start


def wrap_disconnect(original: Callable[..., Any]) -> Callable[..., Any]:
    """ray.shutdown() ends the session: the next one gets its own event file."""

    def disconnect(*positional: Any, **keywords: Any) -> Any:
        try:
            return original(*positional, **keywords)
        finally:
            EMITTER.session_ended()

    return disconnect


class AwaitedCallback:
    """Stands in for ray._raylet._set_future_helper: records the get the core worker thread
    has just deserialised, on behalf of the task that created the future."""

    def __init__(self, helper: Callable[..., Any], receiver: Site) -> None:
        self._helper = helper
        self._receiver = receiver

    def __call__(self, result: Any, /, **keywords: Any) -> Any:
        awaited = TLS.awaited
        if awaited is not None:
            TLS.awaited = None
            try:
                object_id, size = awaited
                EMITTER.emit(ObjectGet(object_id, self._receiver, "get", size, now_ms()))
            except Exception as error:  # noqa: BLE001
                note_failure("await", error)
        return self._helper(result, **keywords)


class FunctoolsShim:
    """Replaces the `functools` name inside ray._raylet only; everything but partial() of the
    future helper goes straight to the real module."""

    def __init__(self, real: Any, helper: Callable[..., Any]) -> None:
        self._real = real
        self._helper = helper

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def partial(self, func: Any, /, *args: Any, **keywords: Any) -> Any:
        if func is self._helper and EMITTER.active:
            try:
                func = AwaitedCallback(self._helper, EMITTER.site())
            except Exception as error:  # noqa: BLE001
                note_failure("await", error)
        return self._real.partial(func, *args, **keywords)
