"""An async generator's yields (`object_put` kind=return).

Ray runs an async generator task in the actor's event loop (_raylet.pyx:
execute_streaming_generator_async) and stores each yield on another thread: it awaits
`loop.run_in_executor(core_worker.get_event_loop_executor(), report_streaming_generator_output,
context, output, index, interrupt_event)`, whose serialisation (store_task_outputs) runs on
the executor's one thread, where no task is current. The recorder hands Ray an executor that
passes every call on to Ray's own and, for a generator report, opens a sink on that thread for
the call: the yield's id is ObjectID::FromIndex(task, 1 + num_returns + index), num_returns
being 1 for a streaming generator (its own return), and its task is the one the submitting
coroutine runs for (the core worker's contextvar, as for the task's other events).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

from flowinsight.recorder.capture import TLS
from flowinsight.recorder.emitter import EMITTER, now_ms
from flowinsight.recorder.events import ObjectPut, Site
from flowinsight.recorder.ids import return_object_id
from flowinsight.recorder.safety import note_failure

# the type of the first argument Ray passes report_streaming_generator_output
_CONTEXT_TYPE = "StreamingGeneratorExecutionContext"


class AsyncYield:
    """The sink of one report call: its one serialisation is yield `index` of the task."""

    __slots__ = ("site", "index", "done")

    def __init__(self, site: Site, index: int) -> None:
        self.site = site
        self.index = index
        self.done = False

    def take(self, serialized: Any) -> None:
        if self.done:  # only the yield itself; nothing else serialises in the report
            return
        self.done = True
        # return index 2 + n (index 1 is the generator's own return): position n + 1
        object_id = return_object_id(self.site.task_id, self.index + 1)
        size = serialized.total_bytes + len(serialized.metadata)
        EMITTER.emit(ObjectPut(object_id, self.site, size, "return", now_ms()))


def _with_sink(fn: Callable[..., Any], site: Site, index: int) -> Callable[..., Any]:
    def report(*args: Any, **keywords: Any) -> Any:
        previous = TLS.sink
        TLS.sink = AsyncYield(site, index)
        try:
            return fn(*args, **keywords)
        finally:
            TLS.sink = previous

    return report


class YieldReportingExecutor(Executor):
    """Ray's event-loop executor, passed every call; a generator report runs with its sink."""

    def __init__(self, inner: Executor) -> None:
        self.inner = inner

    def submit(self, fn: Callable[..., Any], /, *args: Any, **keywords: Any) -> Future[Any]:
        if EMITTER.active and len(args) >= 3 and type(args[0]).__name__ == _CONTEXT_TYPE \
                and type(args[2]) is int:
            try:
                fn = _with_sink(fn, EMITTER.site(), args[2])
            except Exception as error:  # noqa: BLE001
                note_failure("async generator yield", error)
        return self.inner.submit(fn, *args, **keywords)

    def map(self, fn: Callable[..., Any], *iterables: Any, timeout: float | None = None,
            chunksize: int = 1) -> Any:
        return self.inner.map(fn, *iterables, timeout=timeout, chunksize=chunksize)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.inner.shutdown(wait=wait, cancel_futures=cancel_futures)


_lock = threading.Lock()
_installed: list[Any] = []  # the core worker whose executor is wrapped


def install(core_worker: Any) -> None:
    """Wrap this core worker's event-loop executor (once): Ray creates it on first use
    (get_event_loop_executor) and lets it be replaced (reset_event_loop_executor)."""
    if _installed and _installed[0] is core_worker:
        return
    with _lock:
        if _installed and _installed[0] is core_worker:
            return
        get = getattr(core_worker, "get_event_loop_executor", None)
        reset = getattr(core_worker, "reset_event_loop_executor", None)
        if get is None or reset is None:
            return  # a Ray without them: async yields stay unseen
        executor = get()
        if not isinstance(executor, YieldReportingExecutor):
            reset(YieldReportingExecutor(executor))
        _installed[:] = [core_worker]
