"""The call graph and the data-flow graph, from merged tasks and object events."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Collection, Iterable, TypeVar

from flowinsight.model.events import ObjectGet, ObjectPut
from flowinsight.model.ids import attempt_key, creator_task_of_object, putter_by_layout
from flowinsight.pipeline.stats import dist
from flowinsight.result import CallFlow, DataFlow

NodeOf = Callable[[str], str]  # task id -> node id
CreatorOf = Callable[[str], str]  # object id -> the task that made it ("" unknown)
_Obj = TypeVar("_Obj", ObjectPut, ObjectGet)


def call_flows(parents: Iterable[tuple[str, str]], node_of: NodeOf) -> tuple[CallFlow, ...]:
    """One call per submitted task (a retry is an attempt, not a new call)."""
    counts: Counter[tuple[str, str]] = Counter()
    for task_id, parent in parents:
        if parent:
            counts[(node_of(parent), node_of(task_id))] += 1
    return tuple(CallFlow(s, t, n) for (s, t), n in sorted(counts.items()))


@dataclass(slots=True)
class _Edge:
    count: int = 0
    bytes: int = 0
    sized: int = 0
    first_put_ms: float | None = None
    last_get_ms: float | None = None
    latencies: list[float] = field(default_factory=list)


def object_creators(*known: Collection[str]) -> CreatorOf:
    """Object id -> the task that made it, among the `known` task ids: the task whose id the
    object's begins with (a return), else the task whose execution attempt that is (a put:
    model.ids.attempt_key, putter_by_layout), else that id as it is (a task without a record).
    The index by attempt_key is built the first time a put's id asks for it."""
    by_attempt: dict[str, str] = {}

    def creator(object_id: str) -> str:
        prefix = creator_task_of_object(object_id)
        if not prefix or any(prefix in ids for ids in known):
            return prefix
        putter = putter_by_layout(prefix)
        if putter:
            return putter
        if not by_attempt:
            for ids in known:
                for task_id in ids:
                    by_attempt.setdefault(attempt_key(task_id), task_id)
        return by_attempt.get(attempt_key(prefix), prefix)

    return creator


def data_flows(puts: Iterable[ObjectPut], gets: Iterable[ObjectGet],
               node_of: NodeOf, orphans: list[int] | None = None,
               creator_of: CreatorOf = creator_task_of_object) -> tuple[DataFlow, ...]:
    """Every get is a transfer from the object's producer to the reader.

    The producer is the put that created the object (a `return` or `put`; a reference passed
    on as an argument is not a new object), else its earliest put. A retried task puts its
    returns again under the same ids: the reader read the one put last before its get (its
    size and time; an error's put by a failed attempt is not what a later get read). A by-value argument that Ray
    moved to the object store reaches the callee under an id the caller never saw: a get of
    kind `arg` with no put of its id is joined to the caller's `arg` put for the same task and
    argument position. That put may name an ObjectRef the caller passed on, which Ray inlined
    (under 100 KiB): the producer is then that object's creator (its put, else `creator_of`
    its id), never the caller nor the callee. A get with no put at all still has a known
    producer (an object id begins with its creator's task id, or a put's with that of the
    putting task's attempt: object_creators) but an unknown size, which stays unknown, never 0;
    a callee's by-value argument with no put of its caller names no producer and is left out
    (never a self-loop), counted in `orphans[0]` when given. A task reading what it made itself
    (a driver's ray.get of its placement group's ready()) moved nothing: no flow.
    """
    creators: dict[str, ObjectPut] = {}
    remade: dict[str, list[ObjectPut]] = {}  # objects put more than once by their creator
    by_arg: dict[tuple[str, int], ObjectPut] = {}
    for put in _unique(puts):
        old = creators.get(put.object_id)
        if old is None or _better(put, old):
            creators[put.object_id] = put
        if old is not None and put.kind != "arg" and old.kind != "arg":
            remade.setdefault(put.object_id, [old]).append(put)
        if put.kind == "arg" and put.target_task_id and put.arg_index is not None:
            by_arg.setdefault((put.target_task_id, put.arg_index), put)
    edges: dict[tuple[str, str], _Edge] = {}
    for get in _unique(gets):
        source = creators.get(get.object_id)
        if source is not None and get.object_id in remade:
            source = _read(remade[get.object_id], get.time_ms) or source
        if source is None and get.kind == "arg" and get.arg_index is not None:
            source = by_arg.get((get.task_id, get.arg_index))
        if source is not None and _forwarded(source):
            # an ObjectRef passed on (Ray may have inlined it): the data comes from its creator
            source = creators.get(source.object_id, source)
        if source is not None and _forwarded(source):
            producer = creator_of(source.object_id)
            source = None  # no put of its creator: size and time unknown
        else:
            producer = source.task_id if source else creator_of(get.object_id)
        if not producer or producer == get.task_id:
            if orphans is not None and producer and is_by_value_arg_id(get.object_id):
                orphans[0] += 1  # a task never produces its own argument
            continue
        edge = edges.setdefault((node_of(producer), node_of(get.task_id)), _Edge())
        edge.count += 1
        size = source.size_bytes if source is not None else None
        if size is None:
            size = get.size_bytes  # the reader saw the object: its size is known
        if size is not None:
            edge.bytes += size
            edge.sized += 1
        if source is not None and _earlier(source.time_ms, edge.first_put_ms):
            edge.first_put_ms = source.time_ms
        if get.time_ms is not None and (edge.last_get_ms is None or get.time_ms > edge.last_get_ms):
            edge.last_get_ms = get.time_ms
        if source is not None and source.time_ms is not None and get.time_ms is not None:
            edge.latencies.append(get.time_ms - source.time_ms)
    return tuple(_flow(s, t, e) for (s, t), e in sorted(edges.items()))


def _forwarded(put: ObjectPut) -> bool:
    """A put of kind arg naming an object of Ray's own id (not a by-value argument's): the
    submitter passed on an ObjectRef, it created nothing."""
    return put.kind == "arg" and not is_by_value_arg_id(put.object_id)


def is_by_value_arg_id(object_id: str) -> bool:
    """The id the recorder gives an argument passed by value (recorder/ids.py): its task's
    id and an index from 0xF0000000, which Ray never hands out."""
    return len(object_id) == 56 and object_id.endswith("f0")


def _better(put: ObjectPut, old: ObjectPut) -> bool:
    """A creating put beats a forwarding one; among equals, the earlier one."""
    creating, old_creating = put.kind != "arg", old.kind != "arg"
    if creating != old_creating:
        return creating
    return _earlier(put.time_ms, old.time_ms)


MAX_BYTES = 2**63 - 1  # JSON readers (and orjson) stop at signed 64-bit integers


def _flow(source: str, target: str, e: _Edge) -> DataFlow:
    total = min(e.bytes, MAX_BYTES) if e.sized else None
    rate = None
    if total is not None and e.first_put_ms is not None and e.last_get_ms is not None:
        span_s = (e.last_get_ms - e.first_put_ms) / 1000.0
        if span_s > 0:
            rate = total / span_s
    return DataFlow(source, target, e.count, total, e.count - e.sized, rate, dist(e.latencies))


def _read(made: list[ObjectPut], at_ms: float | None) -> ObjectPut | None:
    """Of an object's creating puts, the last one at or before a get at `at_ms` (None: no time
    tells)."""
    if at_ms is None:
        return None
    before = [p for p in made if p.time_ms is not None and p.time_ms <= at_ms]
    return max(before, key=lambda p: p.time_ms or 0.0) if before else None


def _earlier(a: float | None, b: float | None) -> bool:
    return a is not None and (b is None or a < b)


def _unique(events: Iterable[_Obj]) -> list[_Obj]:
    """The same line read from a rotated and a live file is one event (by event id)."""
    seen: set[str] = set()
    out = []
    for ev in events:
        if ev.event_id:
            if ev.event_id in seen:
                continue
            seen.add(ev.event_id)
        out.append(ev)
    return out
