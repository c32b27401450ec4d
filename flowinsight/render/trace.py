"""`trace`: Chrome trace JSON for Perfetto and chrome://tracing.

A process per Ray node (named with the node's IP, where the capture has its node events, and
its id: nodes of a local cluster share an IP), a thread per worker (integer ids, named by
metadata events: the worker's pid and id), a slice per task execution named as the graph names
it (`RayTask 'map_0'.put_packet`, `produce`), queue time as an async slice before it, an arrow
from the caller (at submission) to each callee, and failures marked. Times are microseconds
from 1 µs before the first recorded time, so that the same capture gives the same bytes. (No
event sits at ts 0: the Chrome DevTools trace engine takes ts 0 for "no timestamp" and leaves
such an event out of the trace's bounds, which would cut the driver's slice off its timeline;
tests/trace loads the trace in that engine.)

A big capture has millions of events, so they are written from the attempt table's columns
straight to JSON text, one bytes template per event kind, with no dict or Attempt per attempt.
The text is what `orjson.dumps(..., option=OPT_SORT_KEYS)` makes of the same events (keys
sorted, each string escaped by orjson, each time formatted by orjson in one call per column):
tests/test_trace_speed.py holds the event-by-event renderer this replaced and compares bytes.
"""

from __future__ import annotations

import gc
from bisect import bisect
from collections import Counter
from dataclasses import dataclass

import orjson

from flowinsight.model.ids import is_driver_task, short
from flowinsight.render import RenderOptions, Renderer
from flowinsight.render.fold import init_name
from flowinsight.labels import Labels
from flowinsight.render.open_runs import as_table, drawn_ends
from flowinsight.render.text import strip_control
from flowinsight.result import (EXTRA_FIELDS, NO_NS, STATUS_NAMES, AttemptTable,
                                NodeIps, NodeKind, Result)

_DRIVER_NODE = "(driver)"
_NO_NODE = "~(no node)"  # sorts after every hex id
_NO_WORKER = "(no worker)"
# the first event is at ts 1 (µs), not 0: see the module's docstring
_LEAD_NS = 1000
_FAILED = STATUS_NAMES.index("FAILED")
_STATUS = tuple(orjson.dumps(s) for s in STATUS_NAMES)
_NO_ERROR = ("", "")
_dumps = orjson.dumps

# one template per event kind, keys in sorted order (%s: JSON text, or a string's escaped
# characters between quotes, or `"pid":..,"tid":..`; %d: an int); a slice is followed by its
# failure and queue events. A slice's args hold the columns steps added (AttemptTable.extra)
# in their sorted places: before "attempt" (with the actor), before "status" (with the
# failure), before "task_id", and after it.
_SLICE = (b'{"args":{%s"attempt":%d,%s"status":%s,%s"task_id":"%s"%s},"cat":"task",%s"dur":%s,'
          b'"name":%s,"ph":"X",%s,"ts":%s}%s%s')
_FAILURE = b',{"cat":"failure","name":%s,"ph":"I","pid":%d,"s":"t","tid":%d,"ts":%s}'
_QUEUE = (b',{"cat":"queue","id":"%s:%d","name":%s,"ph":"b",%s,"ts":%s}'
          b',{"cat":"queue","id":"%s:%d","name":%s,"ph":"e",%s,"ts":%s}')
# the usual case in one go: a slice that did not fail, and its queue time
_QUEUED_SLICE = (b'{"args":{%s"attempt":%d,%s"status":%s,%s"task_id":"%s"%s},"cat":"task",'
                 b'"dur":%s,"name":%s,"ph":"X",%s,"ts":%s}' + _QUEUE)
# the keys around which an added column's arg goes, in order (see _SLICE)
_ARG_KEYS = ("actor", "attempt", "error", "message", "status", "task_id")
# a call: an instant on the caller's thread at submission, the arrow's start bound to it and
# its end bound to the callee's slice. The Chrome DevTools trace engine binds a flow event to
# the event of the same ts, pid, tid and cat (so all three are "task", as the slices);
# Perfetto binds `s` to the slice enclosing it and `f` with "bp":"e" to the slice enclosing it.
_CALL = (b'{"cat":"task","name":%s,"ph":"I","pid":%d,"s":"t","tid":%d,"ts":%s},'
         b'{"cat":"task","id":%d,"name":"call","ph":"s",%s,"ts":%s},'
         b'{"bp":"e","cat":"task","id":%d,"name":"call","ph":"f",%s,"ts":%s}')


def slice_names(result: Result) -> dict[str, str]:
    """Graph node id -> its slices' name, as the graph names it: the actor's name and the
    method (`RayTask 'map_0'.put_packet`, `RayTask 'map_0'.__init__` for its creation), the
    function. Control characters removed."""
    labels = Labels(result)
    names = {}
    for node in result.nodes:
        if node.kind is NodeKind.ACTOR:
            name = f"{labels.actor(node.actor_id)}.{init_name(node)}"
        else:
            name = labels.node(node.id)
        names[node.id] = strip_control(name)
    return names


@dataclass(frozen=True, slots=True)
class Places:
    """Where each run is drawn: a process per Ray node (and one for the drivers), a thread per
    worker. A worker is under one node only: a run that names its worker but not its node
    (Ray's actor-creation records often do) is put under the node the worker's other runs
    name, and a run that names only its worker's pid joins the one worker with that pid."""

    place: list[tuple[str, str]]  # per run: (Ray node, worker key)
    process_names: dict[str, str]  # Ray node -> process name
    thread_names: dict[tuple[str, str], str]  # (Ray node, worker key) -> thread name


def places(t: AttemptTable, runs: list[int], drivers: set[int]) -> Places:
    nodes_of: dict[str, Counter[str]] = {}
    workers_of_pid: dict[int, set[str]] = {}
    for i in runs:
        worker, node, pid = t.worker_ids[i], t.ray_node_ids[i], t.worker_pids[i]
        if worker and node and i not in drivers:
            nodes_of.setdefault(worker, Counter())[node] += 1
        if worker and pid and i not in drivers:
            workers_of_pid.setdefault(pid, set()).add(worker)
    # a worker's node: the one most of its runs name (ties: the first in order)
    node_of = {w: sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
               for w, c in nodes_of.items()}
    place = []
    pid_of: dict[tuple[str, str], int] = {}
    for i in runs:
        if i in drivers:
            place.append((_DRIVER_NODE, f"driver job {t.task_ids[i][-8:]}"))
            continue
        worker, pid = t.worker_ids[i], t.worker_pids[i]
        if not worker and pid and len(workers_of_pid.get(pid, ())) == 1:
            worker = next(iter(workers_of_pid[pid]))
        key = worker or (f"pid {pid}" if pid else _NO_WORKER)
        where = (node_of.get(worker) or t.ray_node_ids[i] or _NO_NODE, key)
        place.append(where)
        if pid:
            pid_of[where] = pid  # its last one in the table's order
    # Ray node -> its IP, where known: a function of the node (pipeline/node_ips.py), as the
    # pipeline's column says it, or one pass in C over the two columns of other rows
    column = t.column("node_ip")
    pairs = column.addresses if isinstance(column, NodeIps) else dict(
        zip(t.ray_node_ids, column))
    ips = {node: strip_control(ip) for node, ip in pairs.items() if ip}
    process_names = {n: "driver" if n == _DRIVER_NODE else
                     "Ray node (not recorded)" if n == _NO_NODE else
                     f"Ray node {ips[n]} ({n})" if n in ips else f"Ray node {n}"
                     for n, _ in place}
    thread_names = {}
    for where in set(place):
        node, key = where
        pid = pid_of.get(where)
        if node == _DRIVER_NODE or key.startswith("pid "):
            label = key if node == _DRIVER_NODE else f"worker {pid}"
        elif key == _NO_WORKER:
            label = f"worker {pid} (id not recorded)" if pid else "worker (not recorded)"
        else:
            label = f"worker {pid} ({short(key, 8)})" if pid else f"worker {short(key, 8)}"
        thread_names[where] = label
    return Places(place, process_names, thread_names)


def process_order(name: str) -> tuple[int, str]:
    """The drivers first, the nodes by id, the runs whose node is unknown last."""
    return (0 if name == _DRIVER_NODE else 2 if name == _NO_NODE else 1, name)


def _micros(times: list[int], origin: int = 0) -> list[bytes]:
    """round((t - origin) / 1000.0, 3) for each time t in ns, as orjson writes it, from one
    orjson call. round changes none of these quotients, so it is left out: below 2^43 µs a float
    is exact to 2^-11 (the int being below 2^53, exact too), so the quotient is the nearest
    float to (t - origin) / 1000, a number of 3 decimals that round finds and turns back into
    that float; from 2^43 µs up floats are 2^-9 or more apart, and the 3-decimal number
    nearest to any float (0.0005 or less away) turns back into that float.
    tests/test_trace_speed.py checks this against round, edges and int64 times included."""
    text = _dumps([(t - origin) / 1000.0 for t in times])[1:-1]
    return text.split(b",") if text else []


def _added_args(t: AttemptTable, runs: list[int]) -> list[list[bytes]] | None:
    """The args of the columns steps added (AttemptTable.extra), per place among the slice's
    own keys (_ARG_KEYS: before the first, between two, after the last) and per run: each
    `"key":value,` (after the last key: `,"key":value`), a value left out where it is its
    field's default (no node IP: no "node_ip"). None when no run has one."""
    places: list[list[bytes]] = [[b""] * len(runs) for _ in range(len(_ARG_KEYS) + 1)]
    found = False
    for key in sorted(t.extra):
        column, default = t.extra[key], EXTRA_FIELDS[key]
        place = bisect(_ARG_KEYS, key)
        texts: dict[object, bytes] = {}  # value -> its text: values repeat (a node's IP)
        pattern = b',"%s":%s' if place == len(_ARG_KEYS) else b'"%s":%s,'
        into = places[place]
        for k, i in enumerate(runs):
            value = column[i]
            if value == default:
                continue
            text = texts.get(value)
            if text is None:
                text = texts[value] = pattern % (key.encode(), _dumps(
                    strip_control(value) if isinstance(value, str) else value))
            into[k] += text
            found = True
    return places if found else None


def trace_events(result: Result) -> list[bytes]:
    """The events as JSON text, in the order of the trace (an item may hold several events)."""
    t = as_table(result.attempts)
    ends = drawn_ends(t, result.jobs)
    runs = [i for i, (s, e) in enumerate(zip(t.start_ns, ends))
            if s != NO_NS and e != NO_NS and e >= s]
    drivers = {i for i in runs if is_driver_task(t.task_ids[i])}
    located = places(t, runs, drivers)
    place_of = dict(zip(runs, located.place))
    # the runs by (start, task, attempt), stably: a sort per key, the last key first (each
    # compares plain ints or strings; the table comes sorted by task and attempt already)
    for key in (t.numbers, t.task_ids, t.start_ns):
        runs.sort(key=key.__getitem__)
    # per run in that order from here on: k indexes these lists, runs[k] the table
    task = [t.task_ids[i] for i in runs]
    start = [t.start_ns[i] for i in runs]
    end = [ends[i] for i in runs]
    pending = [t.pending_ns[i] for i in runs]
    origin = min(start + [p for p in pending if p != NO_NS], default=0) - _LEAD_NS
    place = [place_of[i] for i in runs]

    events = []
    pids = {n: k + 1 for k, n in enumerate(sorted({p[0] for p in place}, key=process_order))}
    for ray_node, pid in pids.items():
        events.append(_dumps({"args": {"name": located.process_names[ray_node]},
                              "name": "process_name", "ph": "M", "pid": pid, "tid": 0}))
        events.append(_dumps({"args": {"sort_index": pid}, "name": "process_sort_index",
                             "ph": "M", "pid": pid, "tid": 0}))
    slots = {}  # worker -> `"pid":..,"tid":..`, pid, tid
    for tid, (ray_node, worker) in enumerate(sorted(set(place), key=lambda p: (
            process_order(p[0]), p[1])), 1):
        label = located.thread_names[(ray_node, worker)]
        events.append(_dumps({"args": {"name": label}, "name": "thread_name", "ph": "M",
                             "pid": pids[ray_node], "tid": tid}))
        slots[(ray_node, worker)] = (b'"pid":%d,"tid":%d' % (pids[ray_node], tid),
                                     pids[ray_node], tid)
    slot = [slots[p][0] for p in place]

    nodes = {n.id: n for n in result.nodes}
    actors = {a.id: a for a in result.actors}
    graph_names = slice_names(result)
    # graph node -> name, queued, actor arg, call instant
    names: dict[str, tuple[bytes, bytes, bytes, bytes]] = {}
    for node_id in {t.nodes[i] for i in runs}:
        label = graph_names.get(node_id, strip_control(node_id))
        node = nodes.get(node_id)
        owner = actors.get(node.actor_id) if node is not None else None
        names[node_id] = (_dumps(label), _dumps(f"queued: {label}"), b'"actor":%s,' % _dumps(
            strip_control(owner.actor_name)) if owner and owner.actor_name else b"",
            _dumps(f"call → {label}"))

    ts, queued_ts = _micros(start, origin), _micros(pending, origin)
    dur = _micros([e - s for s, e in zip(start, end)])
    added = _added_args(t, runs)
    lead = mid = pre = post = b""  # a run's added args (none in most traces)
    for k, i in enumerate(runs):
        name, queued, actor, _ = names[t.nodes[i]]
        task_id, n, where, status = _dumps(task[k])[1:-1], t.numbers[i], slot[k], t.statuses[i]
        if added is not None:
            before_actor, after_actor, after_attempt, after_error, before_status, pre, post = (
                args[k] for args in added)
            actor = before_actor + actor + after_actor
            mid = after_attempt + after_error + before_status  # a run that did not fail
        queues = NO_NS != pending[k] < start[k]
        if queues and status != _FAILED:
            events.append(_QUEUED_SLICE % (actor, n, mid, _STATUS[status], pre, task_id, post,
                                           dur[k], name, where, ts[k], task_id, n, queued,
                                           where, queued_ts[k], task_id, n, queued, where,
                                           ts[k]))
            continue
        queue = _QUEUE % (task_id, n, queued, where, queued_ts[k], task_id, n, queued, where,
                          ts[k]) if queues else b""
        if status == _FAILED:
            error = strip_control(t.errors.get(i, _NO_ERROR)[0])
            failure = b'"error":%s,%s"message":%s,' % (
                _dumps(error), b"" if added is None else after_error,
                _dumps(strip_control(t.errors.get(i, _NO_ERROR)[1])))
            if added is not None:
                failure = after_attempt + failure + before_status
            instant = _FAILURE % (_dumps(f"failed: {error}"), *slots[place[k]][1:],
                                  _micros([end[k]], origin)[0])
            events.append(_SLICE % (actor, n, failure, _STATUS[_FAILED], pre, task_id, post,
                                    b'"cname":"terrible",', dur[k], name, where, ts[k],
                                    instant, queue))
        else:
            events.append(_SLICE % (actor, n, mid, _STATUS[status], pre, task_id, post, b"",
                                    dur[k], name, where, ts[k], b"", queue))

    last = {task_id: k for k, task_id in enumerate(task)}  # a task's last run, in this order
    calls = [(k, c) for k, i in enumerate(runs)
             if (c := last.get(t.parents[i])) is not None and i not in drivers]
    # the arrow leaves the caller's slice at submission, clamped into that slice (an unknown
    # submission, NO_NS, or one at 0 leaves at the caller's start)
    at = _micros([min(max(pending[k], start[c]), end[c]) for k, c in calls], origin)
    for flow, ((k, c), call_ts) in enumerate(zip(calls, at), 1):
        events.append(_CALL % (names[t.nodes[runs[k]]][3], *slots[place[c]][1:], call_ts,
                               flow, slot[c], call_ts, flow, slot[k], ts[k]))
    return events


def render(result: Result, options: RenderOptions) -> bytes:
    head = _dumps({"displayTimeUnit": "ms", "otherData": {
        "generator": "flowinsight", "warnings": list(result.warnings)}},
        option=orjson.OPT_SORT_KEYS)  # the keys sort before "traceEvents"
    # the cycle collector would walk the result's objects again and again while the lists of
    # a big trace grow, and has nothing to free here (as in cli.common.load)
    collecting = gc.isenabled()
    gc.disable()
    try:
        events = trace_events(result) or [b""]
    finally:
        if collecting:
            gc.enable()
    events[0] = head[:-1] + b',"traceEvents":[' + events[0]  # so that the join copies the
    events[-1] += b"]}\n"  # events once
    return b",".join(events)


RENDERER = Renderer("trace", False,
                    "Chrome trace JSON for Perfetto / chrome://tracing", render)
