"""`trace`: Chrome trace JSON for Perfetto and chrome://tracing.

A process per Ray node, a thread per worker (integer ids, named by metadata events), a slice
per task execution named `Class.method` or `function`, queue time as an async slice before it,
flow arrows from caller to callee, and failures marked. Times are microseconds from 1 µs before
the first recorded time, so that the same capture gives the same bytes. (No event sits at
ts 0: the Chrome DevTools trace engine takes ts 0 for "no timestamp" and leaves such an event
out of the trace's bounds, which would cut the driver's slice off its timeline;
tests/trace loads the trace in that engine.)

A big capture has millions of events, so they are written from the attempt table's columns
straight to JSON text, one bytes template per event kind, with no dict or Attempt per attempt.
The text is what `orjson.dumps(..., option=OPT_SORT_KEYS)` makes of the same events (keys
sorted, each string escaped by orjson, each time formatted by orjson in one call per column):
tests/test_trace_speed.py holds the event-by-event renderer this replaced and compares bytes.
"""

from __future__ import annotations

from typing import Sequence

import orjson

from flowinsight.model.ids import is_driver_task, short
from flowinsight.render import RenderOptions, Renderer
from flowinsight.render.text import strip_control
from flowinsight.result import (NO_NS, STATUS_NAMES, Actor, Attempt, AttemptTable, Node,
                                NodeKind, Result)

_DRIVER_NODE = "(driver)"
# the first event is at ts 1 (µs), not 0: see the module's docstring
_LEAD_NS = 1000
_FAILED = STATUS_NAMES.index("FAILED")
_STATUS = tuple(orjson.dumps(s) for s in STATUS_NAMES)
_NO_ERROR = ("", "")
dumps = orjson.dumps

# one template per event kind, keys in sorted order (%s: JSON text, or a string's escaped
# characters between quotes; %d: an int); a slice is followed by its failure and queue events
_SLICE = (b'{"args":{%s"attempt":%d,%s"status":%s,"task_id":"%s"},"cat":"task",%s"dur":%s,'
          b'"name":%s,"ph":"X","pid":%d,"tid":%d,"ts":%s}%s%s')
_FAILURE = b',{"cat":"failure","name":%s,"ph":"I","pid":%d,"s":"t","tid":%d,"ts":%s}'
_QUEUE = (b',{"cat":"queue","id":"%s:%d","name":%s,"ph":"b","pid":%d,"tid":%d,"ts":%s}'
          b',{"cat":"queue","id":"%s:%d","name":%s,"ph":"e","pid":%d,"tid":%d,"ts":%s}')
_CALL = (b'{"cat":"call","id":%d,"name":"call","ph":"s","pid":%d,"tid":%d,"ts":%s},'
         b'{"bp":"e","cat":"call","id":%d,"name":"call","ph":"f","pid":%d,"tid":%d,"ts":%s}')


def _slice_name(result_nodes: dict[str, Node], actors: dict[str, Actor], node_id: str) -> str:
    node = result_nodes.get(node_id)
    if node is None:
        return node_id
    if node.kind is NodeKind.METHOD:
        actor = actors.get(node.actor_id)
        return f"{actor.class_name if actor else '?'}.{node.name}"
    if node.kind is NodeKind.ACTOR:
        actor = actors.get(node.actor_id)
        return f"{actor.class_name if actor else '?'}.__init__"
    return node.name


def _table(attempts: Sequence[Attempt]) -> AttemptTable:
    """The attempts as columns: the pipeline's table itself, or a copy of other rows (a
    focused result holds a tuple)."""
    if isinstance(attempts, AttemptTable):
        return attempts
    rows = list(attempts)

    def ns(times: list[int | None]) -> list[int]:
        return [NO_NS if t is None else t for t in times]

    return AttemptTable(
        [a.task_id for a in rows], [a.attempt for a in rows], [a.node for a in rows],
        [a.parent_task_id for a in rows], bytes(STATUS_NAMES.index(a.status) for a in rows),
        {i: (a.error_type, a.error_message) for i, a in enumerate(rows)},
        [a.ray_node_id for a in rows], [a.worker_id for a in rows],
        [a.worker_pid for a in rows], ns([a.pending_ns for a in rows]),
        ns([a.start_ns for a in rows]), ns([a.end_ns for a in rows]))


def _json_floats(values: list[float]) -> list[bytes]:
    """Each value as orjson writes it, from one call."""
    text = dumps(values)[1:-1]
    return text.split(b",") if text else []


def trace_events(result: Result) -> list[bytes]:
    """The events, each as JSON text, in the order of the trace."""
    t = _table(result.attempts)
    runs = [i for i, (s, e) in enumerate(zip(t.start_ns, t.end_ns))
            if s != NO_NS and e != NO_NS and e >= s]
    # per run (in table order) from here on: r indexes these lists, runs[r] the table
    task = [t.task_ids[i] for i in runs]
    number = [t.numbers[i] for i in runs]
    start = [t.start_ns[i] for i in runs]
    end = [t.end_ns[i] for i in runs]
    pending = [t.pending_ns[i] for i in runs]
    driver = [is_driver_task(task_id) for task_id in task]
    origin = min(start + [p for p in pending if p != NO_NS], default=0) - _LEAD_NS

    def us(times: list[int]) -> list[bytes]:
        return _json_floats([round((ns - origin) / 1000.0, 3) for ns in times])

    ray_nodes, workers = [t.ray_node_ids[i] for i in runs], [t.worker_ids[i] for i in runs]
    place = [(_DRIVER_NODE, f"driver job {task_id[-8:]}") if is_driver
             else (ray_node or "(unknown node)", worker or "(unknown worker)")
             for task_id, is_driver, ray_node, worker in zip(task, driver, ray_nodes, workers)]
    pids = {n: k + 1 for k, n in enumerate(sorted({p[0] for p in place}))}
    tids = {w: k + 1 for k, w in enumerate(sorted(set(place)))}
    worker_pid = {p: wp for p, wp in zip(place, (t.worker_pids[i] for i in runs)) if wp}
    events = []
    for ray_node, pid in pids.items():
        label = "driver" if ray_node == _DRIVER_NODE else f"node {short(ray_node, 8)}"
        events.append(dumps({"args": {"name": label}, "name": "process_name", "ph": "M",
                             "pid": pid, "tid": 0}))
        events.append(dumps({"args": {"sort_index": pid}, "name": "process_sort_index",
                             "ph": "M", "pid": pid, "tid": 0}))
    for (ray_node, worker), tid in tids.items():
        label = worker if ray_node == _DRIVER_NODE else (
            f"worker {worker_pid[(ray_node, worker)]}" if (ray_node, worker) in worker_pid
            else f"worker {short(worker, 8)}")
        events.append(dumps({"args": {"name": label}, "name": "thread_name", "ph": "M",
                             "pid": pids[ray_node], "tid": tid}))
    slot = [(pids[p[0]], tids[p]) for p in place]

    nodes = {n.id: n for n in result.nodes}
    actors = {a.id: a for a in result.actors}
    names: dict[str, tuple[bytes, bytes, bytes]] = {}  # graph node -> name, queued, actor arg
    for node_id in {t.nodes[i] for i in runs}:
        label = strip_control(_slice_name(nodes, actors, node_id))
        node = nodes.get(node_id)
        owner = actors.get(node.actor_id) if node is not None else None
        names[node_id] = (dumps(label), dumps(f"queued: {label}"), b'"actor":%s,' % dumps(
            strip_control(owner.actor_name)) if owner and owner.actor_name else b"")

    # by (start, task, attempt), stably: one sort per key, the last key first (each sort
    # compares plain ints or strings; the table comes sorted by task and attempt already)
    order = sorted(range(len(runs)), key=number.__getitem__)
    order.sort(key=task.__getitem__)
    order.sort(key=start.__getitem__)
    ts, dur = us([start[r] for r in order]), _json_floats(
        [round((end[r] - start[r]) / 1000.0, 3) for r in order])
    queued_ts = us([pending[r] for r in order])
    for k, r in enumerate(order):
        i = runs[r]
        pid, tid = slot[r]
        name, queued, actor = names[t.nodes[i]]
        task_id, n = dumps(task[r])[1:-1], number[r]
        queue = _QUEUE % (task_id, n, queued, pid, tid, queued_ts[k], task_id, n, queued, pid,
                          tid, ts[k]) if NO_NS != pending[r] < start[r] else b""
        if t.statuses[i] == _FAILED:
            error_type, message = t.errors.get(i, _NO_ERROR)
            error = strip_control(error_type)
            events.append(_SLICE % (actor, n, b'"error":%s,"message":%s,' % (
                dumps(error), dumps(strip_control(message))), _STATUS[_FAILED], task_id,
                b'"cname":"terrible",', dur[k], name, pid, tid, ts[k], _FAILURE % (
                    dumps(f"failed: {error}"), pid, tid, us([end[r]])[0]), queue))
        else:
            events.append(_SLICE % (actor, n, b"", _STATUS[t.statuses[i]], task_id, b"",
                                    dur[k], name, pid, tid, ts[k], b"", queue))

    where = {task[r]: r for r in order}  # a task's last run, in the order above
    parents = [t.parents[i] for i in runs]
    calls = [(k, r, where[parents[r]]) for k, r in enumerate(order)
             if parents[r] in where and not driver[r]]
    # the arrow leaves the caller's slice at submission, clamped into that slice (an unknown
    # submission, NO_NS, or one at 0 leaves at the caller's start)
    at = us([min(max(pending[r], start[c]), end[c]) for _, r, c in calls])
    for flow, ((k, r, c), call_ts) in enumerate(zip(calls, at), 1):
        events.append(_CALL % (flow, *slot[c], call_ts, flow, *slot[r], ts[k]))
    return events


def render(result: Result, options: RenderOptions) -> bytes:
    head = dumps({"displayTimeUnit": "ms", "otherData": {
        "generator": "flowinsight", "warnings": list(result.warnings)}},
        option=orjson.OPT_SORT_KEYS)  # the keys sort before "traceEvents"
    return b"".join((head[:-1], b',"traceEvents":[', b",".join(trace_events(result)), b"]}\n"))


RENDERER = Renderer("trace", (".trace.json", ".trace"), False,
                    "Chrome trace JSON for Perfetto / chrome://tracing", render)
