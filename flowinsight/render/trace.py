"""`trace`: Chrome trace JSON for Perfetto and chrome://tracing.

A process per Ray node, a thread per worker (integer ids, named by metadata events), a slice
per task execution named `Class.method` or `function`, queue time as an async slice before it,
flow arrows from caller to callee, and failures marked. Times are microseconds from 1 µs before
the first recorded time, so that the same capture gives the same bytes. (No event sits at
ts 0: the Chrome DevTools trace engine takes ts 0 for "no timestamp" and leaves such an event
out of the trace's bounds, which would cut the driver's slice off its timeline;
tests/trace loads the trace in that engine.)
"""

from __future__ import annotations

from typing import Any

import orjson

from flowinsight.model.ids import is_driver_task, short
from flowinsight.render import RenderOptions, Renderer
from flowinsight.render.text import strip_control
from flowinsight.result import Actor, Attempt, Node, NodeKind, Result

_DRIVER_NODE = "(driver)"
# the first event is at ts 1 (µs), not 0: see the module's docstring
_LEAD_NS = 1000


def _slice_name(result_nodes: dict[str, Node], actors: dict[str, Actor], a: Attempt) -> str:
    node = result_nodes.get(a.node)
    if node is None:
        return a.node
    if node.kind is NodeKind.METHOD:
        actor = actors.get(node.actor_id)
        return f"{actor.class_name if actor else '?'}.{node.name}"
    if node.kind is NodeKind.ACTOR:
        actor = actors.get(node.actor_id)
        return f"{actor.class_name if actor else '?'}.__init__"
    return node.name


def trace_events(result: Result) -> list[dict[str, Any]]:
    nodes = {n.id: n for n in result.nodes}
    actors = {a.id: a for a in result.actors}
    runs = [a for a in result.attempts if a.start_ns is not None and a.end_ns is not None
            and a.end_ns >= a.start_ns]
    times = [t for a in runs for t in (a.start_ns, a.pending_ns) if t is not None]
    origin = min(times, default=0) - _LEAD_NS

    def us(ns: int) -> float:
        return round((ns - origin) / 1000.0, 3)

    def place(a: Attempt) -> tuple[str, str]:
        if is_driver_task(a.task_id):
            return _DRIVER_NODE, f"driver job {a.task_id[-8:]}"
        return a.ray_node_id or "(unknown node)", a.worker_id or "(unknown worker)"

    ray_nodes = sorted({place(a)[0] for a in runs})
    pids = {n: i + 1 for i, n in enumerate(ray_nodes)}
    workers = sorted({place(a) for a in runs})
    tids = {w: i + 1 for i, w in enumerate(workers)}
    worker_pid = {place(a): a.worker_pid for a in runs if a.worker_pid}
    events: list[dict[str, Any]] = []
    for ray_node, pid in pids.items():
        name = "driver" if ray_node == _DRIVER_NODE else f"node {short(ray_node, 8)}"
        events.append({"ph": "M", "name": "process_name", "pid": pid, "tid": 0,
                       "args": {"name": name}})
        events.append({"ph": "M", "name": "process_sort_index", "pid": pid, "tid": 0,
                       "args": {"sort_index": pid}})
    for (ray_node, worker), tid in tids.items():
        label = worker if ray_node == _DRIVER_NODE else (
            f"worker {worker_pid[(ray_node, worker)]}" if (ray_node, worker) in worker_pid
            else f"worker {short(worker, 8)}")
        events.append({"ph": "M", "name": "thread_name", "pid": pids[ray_node], "tid": tid,
                       "args": {"name": label}})

    where: dict[str, tuple[int, int, Attempt]] = {}
    for a in sorted(runs, key=lambda a: (a.start_ns or 0, a.task_id, a.attempt)):
        ray_node, worker = place(a)
        pid, tid = pids[ray_node], tids[(ray_node, worker)]
        where[a.task_id] = (pid, tid, a)
        name = strip_control(_slice_name(nodes, actors, a))
        args: dict[str, Any] = {"task_id": a.task_id, "attempt": a.attempt, "status": a.status}
        node = nodes.get(a.node)
        if node is not None and node.actor_id in actors and actors[node.actor_id].actor_name:
            args["actor"] = strip_control(actors[node.actor_id].actor_name)
        if a.status == "FAILED":
            args["error"] = strip_control(a.error_type)
            args["message"] = strip_control(a.error_message)
        event: dict[str, Any] = {"ph": "X", "cat": "task", "name": name, "pid": pid, "tid": tid,
                                 "ts": us(a.start_ns or 0),
                                 "dur": round(((a.end_ns or 0) - (a.start_ns or 0)) / 1000.0, 3),
                                 "args": args}
        if a.status == "FAILED":
            event["cname"] = "terrible"
        events.append(event)
        if a.status == "FAILED":
            events.append({"ph": "I", "s": "t", "cat": "failure", "name": f"failed: {args['error']}",
                           "pid": pid, "tid": tid, "ts": us(a.end_ns or 0)})
        if a.pending_ns is not None and a.start_ns is not None and a.pending_ns < a.start_ns:
            qid = f"{a.task_id}:{a.attempt}"
            events.append({"ph": "b", "cat": "queue", "name": f"queued: {name}", "id": qid,
                           "pid": pid, "tid": tid, "ts": us(a.pending_ns)})
            events.append({"ph": "e", "cat": "queue", "name": f"queued: {name}", "id": qid,
                           "pid": pid, "tid": tid, "ts": us(a.start_ns)})

    flow = 0
    for a in sorted(runs, key=lambda a: (a.start_ns or 0, a.task_id, a.attempt)):
        caller = where.get(a.parent_task_id)
        if caller is None or is_driver_task(a.task_id):
            continue
        cpid, ctid, parent = caller
        # the arrow leaves the caller's slice at submission, clamped into that slice
        at = min(max(a.pending_ns or parent.start_ns or 0, parent.start_ns or 0),
                 parent.end_ns or 0)
        flow += 1
        events.append({"ph": "s", "cat": "call", "name": "call", "id": flow, "pid": cpid,
                       "tid": ctid, "ts": us(at)})
        ray_node, worker = place(a)
        pid, tid = pids[ray_node], tids[(ray_node, worker)]
        events.append({"ph": "f", "bp": "e", "cat": "call", "name": "call", "id": flow,
                       "pid": pid, "tid": tid, "ts": us(a.start_ns or 0)})
    return events


def render(result: Result, options: RenderOptions) -> bytes:
    doc = {"traceEvents": trace_events(result), "displayTimeUnit": "ms",
           "otherData": {"generator": "flowinsight", "warnings": list(result.warnings)}}
    return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS) + b"\n"


RENDERER = Renderer("trace", (".trace.json", ".trace"), False,
                    "Chrome trace JSON for Perfetto / chrome://tracing", render)
