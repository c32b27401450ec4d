"""The executor's side of a task: `object_get` (kind=arg) for each resolved argument and
`object_put` (kind=return) for each return value.

Ray runs a task as: deserialize_objects(args) -> recover_args -> record_task_log_start(task_id)
-> the function -> record_task_log_end(task_id) -> store outputs (one serialize per return).
The two record_task_log_* calls carry the exact task id even in async actors, where argument
deserialisation runs on the event loop thread and the current-task lookup is unreliable, so
argument reads are handed from deserialize_objects to record_task_log_start through
recover_args, which sees the very list deserialize_objects returned.
"""

from __future__ import annotations

import sys
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any

from flowinsight.recorder import async_yields, compiled
from flowinsight.recorder.capture import TLS, ReturnValues
from flowinsight.recorder.emitter import EMITTER, now_ms
from flowinsight.recorder.events import ObjectGet, ObjectPut, Site
from flowinsight.recorder.ids import by_value_arg_id, is_actor_creation_task, return_object_id
from flowinsight.recorder.safety import note_failure

_PENDING_LIMIT = 1024
_NIL_OBJECT = "f" * 56


@dataclass(frozen=True, slots=True)
class ResolvedArgs:
    """A task's arguments as Ray resolved them: object id ("" when passed inline, without an
    id) and size received, per argument position."""

    length: int  # of Ray's flattened [marker, value, ...] list
    object_ids: tuple[str, ...]
    sizes: tuple[int | None, ...]


# Keyed by id() of the list deserialize_objects returned; consumed by recover_args right after
# (possibly on another thread; single dict operations are atomic under the GIL).
_pending: OrderedDict[int, ResolvedArgs] = OrderedDict()


def received_size(serialized: Any) -> int | None:
    """Size of a (data, metadata[, transport]) tuple as Ray handed it over."""
    data, metadata = serialized[0], serialized[1]
    if data is None and metadata is None:
        return None
    return (len(data) if data is not None else 0) + (len(metadata) if metadata else 0)


def wrap_deserialize_objects(original: Callable[..., Any]) -> Callable[..., Any]:
    def deserialize_objects(
        self: Any, serialized_objects: Any, object_refs: Any, *rest: Any, **keywords: Any
    ) -> Any:
        values = original(self, serialized_objects, object_refs, *rest, **keywords)
        if EMITTER.active:
            try:
                _after_deserialize(serialized_objects, object_refs, values)
            except Exception as error:  # noqa: BLE001
                note_failure("deserialize_objects", error)
        return values

    return deserialize_objects


def _after_deserialize(serialized_objects: Any, object_refs: Any, values: Any) -> None:
    count = len(object_refs)
    if TLS.in_get:
        site = TLS.run_site or EMITTER.site()
        timestamp = now_ms()
        for serialized, ref in zip(serialized_objects, object_refs):
            size = received_size(serialized)
            EMITTER.emit(ObjectGet(ref.hex(), site, "get", size, timestamp))
    elif count >= 2 and not count & 1:
        # Task arguments: Ray's flattened [marker-or-key, value, ...] list.
        if TLS.sink.__class__ in (ReturnValues, YieldedValues):
            TLS.sink = None  # the previous task on this thread is over
        ids = [ref.hex() for ref in object_refs[1::2]]
        _pending[id(values)] = ResolvedArgs(
            len(values),
            tuple("" if object_id == _NIL_OBJECT else object_id for object_id in ids),
            tuple(received_size(serialized) for serialized in serialized_objects[1::2]),
        )
        if len(_pending) > _PENDING_LIMIT:
            _drop_oldest()
    elif count == 1:
        # An `await ref` / ref.future() result; objects.py attributes it to the awaiting task.
        TLS.awaited = (object_refs[0].hex(), received_size(serialized_objects[0]))


def _drop_oldest() -> None:
    while len(_pending) > _PENDING_LIMIT:
        try:
            _pending.popitem(last=False)
        except KeyError:  # emptied by another thread meanwhile
            return


def wrap_recover_args(original: Callable[..., Any]) -> Callable[..., Any]:
    def recover_args(flattened_args: Any, *rest: Any, **keywords: Any) -> Any:
        if _pending:
            resolved = _pending.pop(id(flattened_args), None)
            if resolved is not None and resolved.length == len(flattened_args):
                TLS.pending_args = resolved
        return original(flattened_args, *rest, **keywords)

    return recover_args


def wrap_task_log_start(original: Callable[..., Any]) -> Callable[..., Any]:
    def record_task_log_start(self: Any, task_id: Any, *rest: Any, **keywords: Any) -> Any:
        if EMITTER.active:
            try:
                _on_task_start(task_id.hex(), caller_frame(1))
            except Exception as error:  # noqa: BLE001
                note_failure("record_task_log_start", error)
        return original(self, task_id, *rest, **keywords)

    return record_task_log_start


class YieldedValues:
    """Open while a task runs: a serialisation no other sink takes (a submission's, a
    ray.put's) that Ray itself makes is a streaming generator's yield. Ray stores each yield
    between record_task_log_start and record_task_log_end, on the task's thread (_raylet.pyx:
    execute_streaming_generator_sync), as return index 2 + n: index 1 is the generator's own
    return (ObjectID::FromIndex(task, 1 + num_returns + n)). An async generator stores its
    yields on another thread: async_yields.py records those.

    The task's own code may serialise too while it runs (Ray Data's SizeEstimator calls
    SerializationContext.serialize on sampled rows): that is no yield, and counting it would
    shift every later yield's id. Ray's Cython calls both record_task_log_start and the
    yield's serialisation from execute_task, with no Python frame of its own, so the Python
    frame under either call is the same one (`base`, None on a thread with no Python frame);
    the task's code is always a Python frame above it."""

    __slots__ = ("site", "count", "base")

    def __init__(self, site: Site, base: FrameType | None) -> None:
        self.site = site
        self.count = 0
        self.base = base

    def take(self, serialized: Any) -> None:
        # frames: 0 this, 1 capture.wrap_serialize's wrapper, 2 whoever called serialize
        if caller_frame(2) is not self.base:
            return
        self.count += 1
        object_id = return_object_id(self.site.task_id, self.count)  # position n+1: index n+2
        size = serialized.total_bytes + len(serialized.metadata)
        EMITTER.emit(ObjectPut(object_id, self.site, size, "return", now_ms()))


def caller_frame(depth: int) -> FrameType | None:
    """The Python frame `depth` calls below the one asking, None where there is none (the
    bottom of a thread that Ray's C++ started)."""
    try:
        return sys._getframe(depth + 1)
    except ValueError:
        return None


def _on_task_start(task_id: str, base: FrameType | None) -> None:
    compiled.maybe_install()
    context = EMITTER.context
    context.last_started_task = task_id
    context.running.add(task_id)
    if is_actor_creation_task(task_id):
        context.refresh_actor()
    site = TLS.task_site = context.site_of_task(task_id)
    async_yields.install(context.core_worker())
    TLS.sink = None if is_actor_creation_task(task_id) else YieldedValues(site, base)
    resolved: ResolvedArgs | None = TLS.pending_args
    if resolved is None:
        return
    TLS.pending_args = None
    timestamp = now_ms()
    for index, (object_id, size) in enumerate(zip(resolved.object_ids, resolved.sizes)):
        EMITTER.emit(ObjectGet(object_id or by_value_arg_id(task_id, index), site, "arg",
                               size, timestamp, index))


def wrap_task_log_end(original: Callable[..., Any]) -> Callable[..., Any]:
    def record_task_log_end(self: Any, task_id: Any, *rest: Any, **keywords: Any) -> Any:
        if EMITTER.active:
            try:
                _on_task_end(task_id.hex())
            except Exception as error:  # noqa: BLE001
                note_failure("record_task_log_end", error)
        return original(self, task_id, *rest, **keywords)

    return record_task_log_end


def _on_task_end(task_id: str) -> None:
    EMITTER.context.running.discard(task_id)
    sink = TLS.sink
    if sink is not None and sink.__class__ is not ReturnValues \
            and sink.__class__ is not YieldedValues:
        return
    if is_actor_creation_task(task_id):  # a constructor returns nothing the caller reads
        TLS.sink = None
        return
    site = TLS.task_site
    if site is None or site.task_id != task_id:  # async actors interleave tasks on one thread
        site = EMITTER.context.site_of_task(task_id)
    TLS.sink = ReturnValues(site)
