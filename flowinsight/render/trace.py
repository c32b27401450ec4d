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
sorted, each string escaped by orjson, each time formatted by orjson in one call per column of
a piece): tests/test_trace_speed.py holds the event-by-event renderer this replaced and
compares bytes. The runs are laid out once (their order, threads, names: Layout), then their
events are made a few thousand runs at a time, a piece each, then their calls: the command
line writes each piece before the next is made, so that it never holds every event (on 1 GB
of logs, 354 MB of trace), nor their join besides.
"""

from __future__ import annotations

import gc
from bisect import bisect
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain, count
from typing import Iterator, Sequence

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


# runs written per piece of the output (with their failures and queue times; then their calls):
# about 3 MB of text, so that the command line never holds more than a piece of the events
RUNS_PER_PIECE = 8192


@dataclass(frozen=True, slots=True)
class Layout:
    """What every piece of the trace reads: the runs in the trace's order and where each is
    drawn, the events' names, the origin of times. Per run only a table row and its thread (a
    reference to one tuple per thread): each piece makes its runs' text and times itself."""

    t: AttemptTable
    ends: Sequence[int]  # per table row: its drawn end (open_runs.drawn_ends)
    runs: list[int]  # table rows, in the trace's order (k indexes this from here on)
    drivers: set[int]  # table rows of the drivers' runs
    # per run: its thread's `"pid":..,"tid":..`, pid and tid (one tuple per thread)
    threads: list[tuple[bytes, int, int]]
    # graph node -> its slices' name, their queue time's, the actor arg, the call instant's
    names: dict[str, tuple[bytes, bytes, bytes, bytes]]
    metadata: list[bytes]  # the process and thread name events
    origin: int  # ns: ts 0
    last: dict[str, int]  # the task of a caller -> its last run, in this order


@contextmanager
def _uncollected() -> Iterator[None]:
    """The cycle collector off meanwhile: it would walk the result's objects again and again
    while the lists of a big trace grow, and has nothing to free here (as in cli.common.load).
    Not across a piece's yield: the caller's code runs then."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def lay_out(result: Result) -> Layout:
    """The runs placed, named and sorted: what a trace of `result` needs before its first
    event."""
    t = as_table(result.attempts)
    ends = drawn_ends(t, result.jobs)
    runs = [i for i, (s, e) in enumerate(zip(t.start_ns, ends))
            if s != NO_NS and e != NO_NS and e >= s]
    drivers = {i for i in runs if is_driver_task(t.task_ids[i])}
    located = places(t, runs, drivers)
    metadata = []
    pids = {n: k + 1 for k, n in enumerate(sorted({p[0] for p in located.place},
                                                   key=process_order))}
    for ray_node, pid in pids.items():
        metadata.append(_dumps({"args": {"name": located.process_names[ray_node]},
                                "name": "process_name", "ph": "M", "pid": pid, "tid": 0}))
        metadata.append(_dumps({"args": {"sort_index": pid}, "name": "process_sort_index",
                                "ph": "M", "pid": pid, "tid": 0}))
    slots = {}
    for tid, (ray_node, worker) in enumerate(sorted(set(located.place), key=lambda p: (
            process_order(p[0]), p[1])), 1):
        label = located.thread_names[(ray_node, worker)]
        metadata.append(_dumps({"args": {"name": label}, "name": "thread_name", "ph": "M",
                                "pid": pids[ray_node], "tid": tid}))
        slots[(ray_node, worker)] = (b'"pid":%d,"tid":%d' % (pids[ray_node], tid),
                                     pids[ray_node], tid)
    slot_at: list[tuple[bytes, int, int] | None] = [None] * len(t)  # per table row
    for i, where in zip(runs, located.place):
        slot_at[i] = slots[where]
    del located
    # the runs by (start, task, attempt), stably: a sort per key, the last key first (each
    # compares plain ints or strings; the table comes sorted by task and attempt already)
    for key in (t.numbers, t.task_ids, t.start_ns):
        runs.sort(key=key.__getitem__)
    threads = [at for i in runs if (at := slot_at[i]) is not None]  # (every run has one)
    del slot_at
    origin = min(chain((t.start_ns[i] for i in runs),
                       (p for i in runs if (p := t.pending_ns[i]) != NO_NS)),
                 default=0) - _LEAD_NS

    nodes = {n.id: n for n in result.nodes}
    actors = {a.id: a for a in result.actors}
    graph_names = slice_names(result)
    names: dict[str, tuple[bytes, bytes, bytes, bytes]] = {}
    for node_id in {t.nodes[i] for i in runs}:
        label = graph_names.get(node_id, strip_control(node_id))
        node = nodes.get(node_id)
        owner = actors.get(node.actor_id) if node is not None else None
        names[node_id] = (_dumps(label), _dumps(f"queued: {label}"), b'"actor":%s,' % _dumps(
            strip_control(owner.actor_name)) if owner and owner.actor_name else b"",
            _dumps(f"call → {label}"))

    # a caller's last run in this order, for the tasks that called (not every task did)
    callers = {t.parents[i] for i in runs if i not in drivers}
    last = {task: k for k, i in enumerate(runs) if (task := t.task_ids[i]) in callers}
    return Layout(t, ends, runs, drivers, threads, names, metadata, origin, last)


def run_events(layout: Layout, first: int, stop: int) -> list[bytes]:
    """The events of the runs first..stop-1 (k, in the trace's order) as JSON text: a slice
    each, followed by its failure and queue time (an item may hold several events)."""
    t, runs, origin = layout.t, layout.runs[first:stop], layout.origin
    task = [t.task_ids[i] for i in runs]
    start = [t.start_ns[i] for i in runs]
    end = [layout.ends[i] for i in runs]
    pending = [t.pending_ns[i] for i in runs]
    threads = layout.threads[first:stop]
    slot = [thread[0] for thread in threads]
    ts, queued_ts = _micros(start, origin), _micros(pending, origin)
    dur = _micros([e - s for s, e in zip(start, end)])
    added = _added_args(t, runs)
    events = []
    mid = pre = post = b""  # a run's added args (none in most traces)
    for k, i in enumerate(runs):
        name, queued, actor, _ = layout.names[t.nodes[i]]
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
            instant = _FAILURE % (_dumps(f"failed: {error}"), *threads[k][1:],
                                  _micros([end[k]], origin)[0])
            events.append(_SLICE % (actor, n, failure, _STATUS[_FAILED], pre, task_id, post,
                                    b'"cname":"terrible",', dur[k], name, where, ts[k],
                                    instant, queue))
        else:
            events.append(_SLICE % (actor, n, mid, _STATUS[status], pre, task_id, post, b"",
                                    dur[k], name, where, ts[k], b"", queue))
    return events


def call_events(layout: Layout, first: int, stop: int, flow: int) -> list[bytes]:
    """The calls into the runs first..stop-1 as JSON text, an item each, numbered from `flow`
    (the calls into the runs before these took the numbers before it)."""
    t, runs, threads = layout.t, layout.runs, layout.threads
    last, drivers = layout.last, layout.drivers
    calls = [(k, i, c) for k in range(first, stop)
             if (c := last.get(t.parents[i := runs[k]])) is not None and i not in drivers]
    # the arrow leaves the caller's slice at submission, clamped into that slice (an unknown
    # submission, NO_NS, or one at 0 leaves at the caller's start)
    at = _micros([min(max(t.pending_ns[i], t.start_ns[caller := runs[c]]), layout.ends[caller])
                  for _, i, c in calls], layout.origin)
    ts = _micros([t.start_ns[i] for _, i, _ in calls], layout.origin)
    events = []
    for number, (k, i, c), call_ts, start_ts in zip(count(flow), calls, at, ts):
        (caller_slot, pid, tid), (callee_slot, _, _) = threads[c], threads[k]
        events.append(_CALL % (layout.names[t.nodes[i]][3], pid, tid, call_ts, number,
                               caller_slot, call_ts, number, callee_slot, start_ts))
    return events


def event_pieces(result: Result, runs_per_piece: int = RUNS_PER_PIECE) -> Iterator[bytes]:
    """The trace's events as JSON text, in its order, in pieces: each the events of up to
    `runs_per_piece` runs (or their calls) joined by commas, a comma before every piece but
    the first."""
    with _uncollected():
        layout = lay_out(result)
    total = len(layout.runs)
    comma = b""
    flow = 1  # the next call's number

    def joined(events: list[bytes]) -> bytes:
        nonlocal comma
        events[0] = comma + events[0]
        comma = b","
        return b",".join(events)

    if layout.metadata:
        yield joined(list(layout.metadata))
    for first in range(0, total, runs_per_piece):
        with _uncollected():
            piece = joined(run_events(layout, first, min(first + runs_per_piece, total)))
        yield piece
    for first in range(0, total, runs_per_piece):
        with _uncollected():
            calls = call_events(layout, first, min(first + runs_per_piece, total), flow)
            flow += len(calls)
            piece = joined(calls) if calls else b""
        if piece:
            yield piece


def pieces(result: Result, options: RenderOptions,
           runs_per_piece: int = RUNS_PER_PIECE) -> Iterator[bytes]:
    """The trace document in pieces: its head, the events (event_pieces), its end."""
    head = _dumps({"displayTimeUnit": "ms", "otherData": {
        "generator": "flowinsight", "warnings": list(result.warnings)}},
        option=orjson.OPT_SORT_KEYS)  # the keys sort before "traceEvents"
    yield head[:-1] + b',"traceEvents":['
    yield from event_pieces(result, runs_per_piece)
    yield b"]}\n"


RENDERER = Renderer("trace", False,
                    "Chrome trace JSON for Perfetto / chrome://tracing", pieces)
