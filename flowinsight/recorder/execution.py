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

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flowinsight.recorder.capture import TLS, ReturnValues
from flowinsight.recorder.emitter import EMITTER, now_ms
from flowinsight.recorder.events import ObjectGet
from flowinsight.recorder.ids import by_value_arg_id, is_actor_creation_task, is_nil
from flowinsight.recorder.safety import guarded

_PENDING_LIMIT = 1024


@dataclass(frozen=True, slots=True)
class ResolvedArg:
    arg_index: int
    object_id: str  # "" when Ray passed the value inline (no object id)
    size_bytes: int | None


@dataclass(frozen=True, slots=True)
class ResolvedArgs:
    length: int
    args: tuple[ResolvedArg, ...]


# Keyed by id() of the list deserialize_objects returned; consumed by recover_args right after.
_pending: OrderedDict[int, ResolvedArgs] = OrderedDict()
_pending_lock = threading.Lock()


def received_size(serialized: Sequence[Any]) -> int | None:
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
            _after_deserialize(serialized_objects, object_refs, values)
        return values

    return deserialize_objects


@guarded(None)
def _after_deserialize(serialized_objects: Any, object_refs: Any, values: Any) -> None:
    count = len(object_refs)
    if TLS.in_get:
        _record_gets(serialized_objects, object_refs)
    elif count >= 2 and count % 2 == 0:
        # Task arguments: Ray's flattened [marker-or-key, value, ...] list.
        if isinstance(TLS.sink, ReturnValues):
            TLS.sink = None  # the previous task on this thread is over
        args = tuple(
            ResolvedArg(i // 2, _hex_or_empty(object_refs[i]), received_size(serialized_objects[i]))
            for i in range(1, count, 2)
        )
        with _pending_lock:
            _pending[id(values)] = ResolvedArgs(len(values), args)
            while len(_pending) > _PENDING_LIMIT:
                _pending.popitem(last=False)
    elif count == 1:
        # An `await ref` / ref.future() result; objects.py attributes it to the awaiting task.
        TLS.awaited = (object_refs[0].hex(), received_size(serialized_objects[0]))


def _hex_or_empty(ref: Any) -> str:
    object_id = str(ref.hex())
    return "" if is_nil(object_id) else object_id


def _record_gets(serialized_objects: Any, object_refs: Any) -> None:
    site = EMITTER.site()
    timestamp = now_ms()
    for serialized, ref in zip(serialized_objects, object_refs):
        object_id = ref.hex()
        size = received_size(serialized)
        EMITTER.emit(ObjectGet(object_id, site, "get", size, timestamp))


def wrap_recover_args(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def recover_args(flattened_args: Any) -> Any:
        if _pending:
            _claim_pending(flattened_args)
        return original(flattened_args)

    return recover_args


@guarded(None)
def _claim_pending(flattened_args: Any) -> None:
    with _pending_lock:
        resolved = _pending.pop(id(flattened_args), None)
    if resolved is not None and resolved.length == len(flattened_args):
        TLS.pending_args = resolved


def wrap_task_log_start(original: Callable[..., Any]) -> Callable[..., Any]:
    def record_task_log_start(self: Any, task_id: Any, *rest: Any, **keywords: Any) -> Any:
        if EMITTER.active:
            _on_task_start(task_id)
        return original(self, task_id, *rest, **keywords)

    return record_task_log_start


@guarded(None)
def _on_task_start(task_id: Any) -> None:
    if isinstance(TLS.sink, ReturnValues):
        TLS.sink = None
    task_hex = task_id.hex()
    EMITTER.context.last_started_task = task_hex
    resolved: ResolvedArgs | None = TLS.pending_args
    TLS.pending_args = None
    if resolved is None:
        return
    site = EMITTER.context.site_of_task(task_hex)
    timestamp = now_ms()
    for arg in resolved.args:
        object_id = arg.object_id or by_value_arg_id(task_hex, arg.arg_index)
        EMITTER.emit(ObjectGet(object_id, site, "arg", arg.size_bytes, timestamp, arg.arg_index))


def wrap_task_log_end(original: Callable[..., Any]) -> Callable[..., Any]:
    def record_task_log_end(self: Any, task_id: Any, *rest: Any, **keywords: Any) -> Any:
        if EMITTER.active:
            _on_task_end(task_id)
        return original(self, task_id, *rest, **keywords)

    return record_task_log_end


@guarded(None)
def _on_task_end(task_id: Any) -> None:
    task_hex = task_id.hex()
    if TLS.sink is not None and not isinstance(TLS.sink, ReturnValues):
        return
    # An actor's constructor returns nothing the caller reads.
    TLS.sink = None if is_actor_creation_task(task_hex) else ReturnValues(
        EMITTER.context.site_of_task(task_hex)
    )
