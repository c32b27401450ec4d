"""The submitter's side: `task_submitted` for every task, actor task and actor creation, and an
`object_put` (kind=arg) for each argument passed by value. Wraps the Python methods that call the
core worker's submit_task / submit_actor_task / create_actor; argument sizes come from the
serialisations Ray performs inside those calls (see capture.py).

An ObjectRef passed as an argument creates no object: the data moves from whoever created the
object (its `return` or `put` event, which carries the size) to the executor. Ray inlines a small
one (under 100 KiB) into the task spec, where the executor sees the value without its id: so an
`object_put` (kind=arg, no size) names the forwarded object's own id for that task and position,
and the analysis takes its creator as the producer (pipeline/graph.py), never the forwarder."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import ray
from ray._raylet import TaskID

from flowinsight.recorder.call_sites import CALL_SITES
from flowinsight.recorder.capture import TLS, SizeList
from flowinsight.recorder.emitter import EMITTER, now_ms
from flowinsight.recorder.events import CallSiteDefined, ObjectPut, TaskSubmitted, TaskType
from flowinsight.recorder.ids import by_value_arg_id
from flowinsight.recorder.safety import note_failure

ObjectRef = ray.ObjectRef

# repr() of a function descriptor or language, per object: Ray keeps one per function.
_texts: dict[int, tuple[Any, str]] = {}


def describe(obj: Any) -> str:
    cached = _texts.get(id(obj))
    if cached is not None and cached[0] is obj:
        return cached[1]
    text = repr(obj)
    _texts[id(obj)] = (obj, text)
    return text


def submitted_task_id(result: Any) -> str | None:
    """The new task's id, read off the refs Ray returned (an ObjectID starts with its TaskID)."""
    if isinstance(result, ObjectRef):
        return str(result.task_id().hex())
    if isinstance(result, list) and result and isinstance(result[0], ObjectRef):
        return str(result[0].task_id().hex())
    generator_ref = getattr(result, "_generator_ref", None)
    if isinstance(generator_ref, ObjectRef):
        return str(generator_ref.task_id().hex())
    return None  # num_returns=0: Ray hands back nothing that names the task


def argument_sizes(
    args: Iterable[Any] | None, kwargs: Mapping[str, Any] | None, sizes: list[int]
) -> list[tuple[int, Any, int | None]]:
    """(position, value, serialized size) per argument. Ray flattens arguments into
    [marker, value, ...] ([key, value] for keywords) and serialises every entry except
    ObjectRefs, in order; `sizes` is that sequence."""
    values = [*args] if args else []
    if kwargs:
        values.extend(kwargs.values())
    by_value = [not isinstance(value, ObjectRef) for value in values]
    aligned = len(sizes) == len(values) + sum(by_value)
    if not aligned and values:
        note_failure("argument_sizes", ValueError(f"{len(sizes)} sizes for {len(values)} args"))
    result: list[tuple[int, Any, int | None]] = []
    cursor = 0
    for position, value in enumerate(values):
        size = None
        if aligned:
            cursor += 1  # the marker or keyword entry
            if by_value[position]:
                size = sizes[cursor]
                cursor += 1
        result.append((position, value, size))
    return result


def record_submission(
    task_id: str | None,
    task_type: TaskType,
    target_actor_id: str,
    descriptor: str,
    language: str,
    args: Iterable[Any] | None,
    kwargs: Mapping[str, Any] | None,
    sizes: list[int],
    started_ms: int,
    cross_language: bool = False,
    name: str = "",
) -> None:
    if task_id is None:
        return
    caller = EMITTER.site()
    site = CALL_SITES.here() if EMITTER.call_sites else None
    site_id = ""
    if site is not None:
        site_id = site.site_id
        if site_id not in EMITTER.sites_written and EMITTER.emit(
                CallSiteDefined(site, started_ms)):
            EMITTER.sites_written.add(site_id)
    EMITTER.emit(TaskSubmitted(task_id, task_type, caller, target_actor_id, descriptor,
                               language, started_ms, site_id, name))
    if cross_language or not (args or kwargs):
        return
    for position, value, size in argument_sizes(args, kwargs, sizes):
        if not isinstance(value, ObjectRef):
            object_id = by_value_arg_id(task_id, position)
            EMITTER.emit(ObjectPut(object_id, caller, size, "arg", started_ms, position, task_id))
        else:  # Ray may inline it into the task spec, where the executor sees no id
            EMITTER.emit(ObjectPut(value.hex(), caller, None, "arg", started_ms, position,
                                   task_id))


def _args_kwargs(
    positional: tuple[Any, ...], keywords: dict[str, Any], offset: int
) -> tuple[Any, Any]:
    """Read `args` and `kwargs` from a call of _remote(args, kwargs, ...) or
    _actor_method_call(method_name, args, kwargs, ...)."""
    args = positional[offset] if len(positional) > offset else keywords.get("args")
    kwargs = positional[offset + 1] if len(positional) > offset + 1 else keywords.get("kwargs")
    return args, kwargs


Recorder = Callable[[Any, Any, tuple[Any, ...], dict[str, Any], list[int], int], None]


def _wrap_submission(original: Callable[..., Any], record: Recorder) -> Callable[..., Any]:
    """Call `original` with a size sink open, then record what it submitted."""

    def submit(self: Any, *positional: Any, **keywords: Any) -> Any:
        if not EMITTER.active:
            return original(self, *positional, **keywords)
        started = now_ms()
        sink = SizeList()
        previous = TLS.sink
        TLS.sink = sink
        try:
            result = original(self, *positional, **keywords)
        finally:
            TLS.sink = previous
        try:
            record(self, result, positional, keywords, sink.sizes, started)
        except Exception as error:  # noqa: BLE001
            note_failure(record.__name__, error)
        return result

    return submit


def _record_function(
    function: Any, result: Any, positional: tuple[Any, ...], keywords: dict[str, Any],
    sizes: list[int], started: int,
) -> None:
    args, kwargs = _args_kwargs(positional, keywords, 0)
    record_submission(
        submitted_task_id(result), "NORMAL_TASK", "", describe(function._function_descriptor),
        describe(function._language), args, kwargs, sizes, started,
        bool(getattr(function, "_is_cross_language", False)), _given_name(keywords.get("name")),
    )


def _record_actor_method(
    handle: Any, result: Any, positional: tuple[Any, ...], keywords: dict[str, Any],
    sizes: list[int], started: int,
) -> None:
    method_name = positional[0] if positional else keywords.get("method_name", "")
    args, kwargs = _args_kwargs(positional, keywords, 1)
    # _actor_method_call(method_name, args, kwargs, name, ...)
    name = positional[3] if len(positional) > 3 else keywords.get("name")
    descriptor = handle._ray_function_descriptor.get(method_name)
    record_submission(
        submitted_task_id(result), "ACTOR_TASK", handle._ray_actor_id.hex(),
        describe(descriptor) if descriptor is not None else str(method_name),
        describe(handle._ray_actor_language), args, kwargs, sizes, started,
        bool(getattr(handle, "_ray_is_cross_language", False)), _given_name(name),
    )


def _given_name(value: Any) -> str:
    """The task name given with .options(name=...): a str, else none (Ray refuses others)."""
    return value if isinstance(value, str) else ""


def _record_actor_creation(
    actor_class: Any, handle: Any, positional: tuple[Any, ...], keywords: dict[str, Any],
    sizes: list[int], started: int,
) -> None:
    actor_id = getattr(handle, "_ray_actor_id", None)
    if actor_id is None:  # Ray Client handles and DAG nodes are not local actors
        return
    args, kwargs = _args_kwargs(positional, keywords, 0)
    record_submission(
        TaskID.for_actor_creation_task(actor_id).hex(), "ACTOR_CREATION_TASK", actor_id.hex(),
        describe(handle._ray_actor_creation_function_descriptor),
        describe(handle._ray_actor_language), args, kwargs, sizes, started,
        bool(getattr(handle, "_ray_is_cross_language", False)),
    )


def wrap_function_remote(original: Callable[..., Any]) -> Callable[..., Any]:
    """RemoteFunction._remote(args, kwargs, **options) -> ObjectRef(s)."""
    return _wrap_submission(original, _record_function)


def wrap_actor_method_call(original: Callable[..., Any]) -> Callable[..., Any]:
    """ActorHandle._actor_method_call(method_name, args, kwargs, ...) -> ObjectRef(s)."""
    return _wrap_submission(original, _record_actor_method)


def wrap_actor_class_remote(original: Callable[..., Any]) -> Callable[..., Any]:
    """ActorClass._remote(args, kwargs, **options) -> ActorHandle."""
    return _wrap_submission(original, _record_actor_creation)
