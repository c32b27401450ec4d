"""Learning sizes without serialising twice: Ray serialises every argument, return value and put
through SerializationContext.serialize; the recorder wraps it and hands each result to the
"sink" the current thread has open (a submission, a ray.put or a task's return values).
The size is Ray's own: serialized data plus metadata bytes."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Protocol

from flowinsight.recorder.emitter import EMITTER, now_ms
from flowinsight.recorder.events import ObjectPut, Site
from flowinsight.recorder.ids import return_object_id
from flowinsight.recorder.safety import note_failure


class Sink(Protocol):
    def take(self, serialized: Any) -> None: ...


class SizeList:
    """Sizes of the arguments Ray serialises during one submission, in order."""

    __slots__ = ("sizes",)

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def take(self, serialized: Any) -> None:
        self.sizes.append(serialized.total_bytes + len(serialized.metadata))


class SingleSize:
    """The size of the one value a ray.put serialises."""

    __slots__ = ("size",)

    def __init__(self) -> None:
        self.size: int | None = None

    def take(self, serialized: Any) -> None:
        if self.size is None:
            self.size = serialized.total_bytes + len(serialized.metadata)


class ReturnValues:
    """Open from the end of a task's execution: each serialisation is its next return value,
    whose id Ray derives from the task id (returns are numbered from 1)."""

    __slots__ = ("site", "position")

    def __init__(self, site: Site) -> None:
        self.site = site
        self.position = 0

    def take(self, serialized: Any) -> None:
        object_id = return_object_id(self.site.task_id, self.position)
        self.position += 1
        size = serialized.total_bytes + len(serialized.metadata)
        EMITTER.emit(ObjectPut(object_id, self.site, size, "return", now_ms()))


class ThreadState(threading.local):
    sink: Sink | None = None
    in_get: bool = False
    pending_args: Any = None
    task_site: Site | None = None
    awaited: tuple[str, int | None] | None = None
    # a compiled graph's method run whose READ, COMPUTE or WRITE is going on (compiled.py):
    # what the thread reads is that run's
    run_site: Site | None = None


TLS = ThreadState()


def wrap_serialize(original: Callable[..., Any]) -> Callable[..., Any]:
    def serialize(self: Any, value: Any, *rest: Any, **keywords: Any) -> Any:
        sink = TLS.sink
        if sink is None:
            return original(self, value, *rest, **keywords)
        # Serialisations nested inside this one (a __reduce__ calling ray.put) are not ours.
        TLS.sink = None
        try:
            serialized = original(self, value, *rest, **keywords)
        finally:
            TLS.sink = sink
        try:
            sink.take(serialized)
        except Exception as error:  # noqa: BLE001
            note_failure("serialize", error)
        return serialized

    return serialize
