"""The trace renderer writes JSON text from the attempt table's columns (render/trace.py); the
renderer it replaced built a dict per event and dumped them all with orjson. Both must give the
same bytes: on every sample (as analysed, by class, focused), on the scale_15k capture, and on
generated tables with what a capture rarely holds (failures with odd messages, drivers, retries,
missing and out-of-order times, times far from the origin)."""

from __future__ import annotations

import random
import zlib
from dataclasses import replace
from pathlib import Path
from typing import Any, Sequence

import orjson
import pytest

from conftest import sample
from flowinsight.model.ids import is_driver_task, short
from flowinsight.pipeline import Options, analyze
from flowinsight.read import discover, read_capture
from flowinsight.render import RenderOptions
from flowinsight.render import trace as new_trace
from flowinsight.render.open_runs import as_table as as_rows_table
from flowinsight.render.text import strip_control
from flowinsight.result import (EXTRA_FIELDS, NO_NS, STATUS_NAMES, Actor, Attempt, AttemptTable, Node,
                                NodeKind, Result)

# ---- the previous renderer (render/trace.py before the columnar rewrite), a dict per event; ----
# ---- since then calls bind to an instant, and placement and names come from the renderer ----

_DRIVER_NODE = "(driver)"
# the first event is at ts 1 (µs), not 0: see the module's docstring
_LEAD_NS = 1000


def trace_events(result: Result) -> list[dict[str, Any]]:
    nodes = {n.id: n for n in result.nodes}
    actors = {a.id: a for a in result.actors}
    runs = [a for a in result.attempts if a.start_ns is not None and a.end_ns is not None
            and a.end_ns >= a.start_ns]
    times = [t for a in runs for t in (a.start_ns, a.pending_ns) if t is not None]
    origin = min(times, default=0) - _LEAD_NS

    def us(ns: int) -> float:
        return round((ns - origin) / 1000.0, 3)

    # where and under which names: the renderer's own placement and naming (what this file
    # checks is the writing of the events)
    table = as_rows_table(result.attempts)
    rows = [i for i, a in enumerate(table) if a.start_ns is not None and a.end_ns is not None
            and a.end_ns >= a.start_ns]
    located = new_trace.places(table, rows, {i for i in rows if is_driver_task(table.task_ids[i])})
    placed = {id(a): p for a, p in zip(runs, located.place)}

    def place(a: Attempt) -> tuple[str, str]:
        return placed[id(a)]

    graph_names = new_trace.slice_names(result)

    def slice_name(a: Attempt) -> str:
        return graph_names.get(a.node, strip_control(a.node))

    ray_nodes = sorted({place(a)[0] for a in runs}, key=new_trace.process_order)
    pids = {n: i + 1 for i, n in enumerate(ray_nodes)}
    workers = sorted({place(a) for a in runs},
                     key=lambda p: (new_trace.process_order(p[0]), p[1]))
    tids = {w: i + 1 for i, w in enumerate(workers)}
    events: list[dict[str, Any]] = []
    for ray_node, pid in pids.items():
        events.append({"ph": "M", "name": "process_name", "pid": pid, "tid": 0,
                       "args": {"name": located.process_names[ray_node]}})
        events.append({"ph": "M", "name": "process_sort_index", "pid": pid, "tid": 0,
                       "args": {"sort_index": pid}})
    for (ray_node, worker), tid in tids.items():
        events.append({"ph": "M", "name": "thread_name", "pid": pids[ray_node], "tid": tid,
                       "args": {"name": located.thread_names[(ray_node, worker)]}})

    where: dict[str, tuple[int, int, Attempt]] = {}
    for a in sorted(runs, key=lambda a: (a.start_ns or 0, a.task_id, a.attempt)):
        ray_node, worker = place(a)
        pid, tid = pids[ray_node], tids[(ray_node, worker)]
        where[a.task_id] = (pid, tid, a)
        name = slice_name(a)
        args: dict[str, Any] = {"task_id": a.task_id, "attempt": a.attempt, "status": a.status}
        node = nodes.get(a.node)
        if node is not None and node.actor_id in actors and actors[node.actor_id].actor_name:
            args["actor"] = strip_control(actors[node.actor_id].actor_name)
        if a.status == "FAILED":
            args["error"] = strip_control(a.error_type)
            args["message"] = strip_control(a.error_message)
        for key, default in EXTRA_FIELDS.items():  # the columns steps added, where not default
            if (value := getattr(a, key)) != default:
                args[key] = strip_control(value) if isinstance(value, str) else value
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
        events.append({"ph": "I", "s": "t", "cat": "task", "name": f"call → {slice_name(a)}",
                       "pid": cpid, "tid": ctid, "ts": us(at)})
        events.append({"ph": "s", "cat": "task", "name": "call", "id": flow, "pid": cpid,
                       "tid": ctid, "ts": us(at)})
        ray_node, worker = place(a)
        pid, tid = pids[ray_node], tids[(ray_node, worker)]
        events.append({"ph": "f", "bp": "e", "cat": "task", "name": "call", "id": flow,
                       "pid": pid, "tid": tid, "ts": us(a.start_ns or 0)})
    return events


def render(result: Result, options: RenderOptions) -> bytes:
    doc = {"traceEvents": trace_events(result), "displayTimeUnit": "ms",
           "otherData": {"generator": "flowinsight", "warnings": list(result.warnings)}}
    return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS) + b"\n"



# ---- the comparisons ----

SAMPLE_NAMES = ("nested_tasks", "sage_pipeline", "sage_pipeline_lossy", "lattice_workflow",
                "recorded/nested_tasks", "recorded/sage_pipeline", "recorded/lattice_workflow")


def analysed(paths: list[Path], **options: Any) -> Result:
    return analyze(read_capture(discover([str(p) for p in paths])), Options(**options))


def same_bytes(result: Result) -> bytes:
    expected = render(result, RenderOptions())
    for options in (RenderOptions(), RenderOptions(critical=True, top=3)):
        assert new_trace.RENDERER.render(result, options) == expected
    # the pieces the command line writes one by one, however many runs a piece holds: a run's
    # or a call's piece starts where the one before it ended, its flows numbered on from there
    for runs_per_piece in (1, 2, 7, 1000):
        assert b"".join(new_trace.pieces(result, RenderOptions(), runs_per_piece)) == expected
    return expected


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_samples_give_the_same_bytes(name: str) -> None:
    result = analysed([sample(name)])
    assert b'"ph":"X"' in same_bytes(result)
    same_bytes(analysed([sample(name)], group_by="class"))
    for node in result.nodes:  # a focused result holds a tuple of attempts, not the table
        same_bytes(analysed([sample(name)], focus=node.name))
    for job in {j.id for j in result.jobs}:
        same_bytes(analysed([sample(name)], job=job))


def test_all_samples_at_once_give_the_same_bytes() -> None:
    same_bytes(analysed([sample(name) for name in SAMPLE_NAMES[:4]]))


@pytest.fixture(scope="module")
def scale_15k(scale_dir: Path) -> Path:
    return scale_dir / "scale_15k"


@pytest.mark.long
def test_scale_15k_gives_the_same_bytes(scale_15k: Path) -> None:
    result = analysed([scale_15k])
    assert len(result.attempts) > 10_000
    same_bytes(result)
    same_bytes(analysed([scale_15k], group_by="class"))
    same_bytes(analysed([scale_15k], focus=result.nodes[-1].name))


ODD_TEXT = ("", "plain", 'quote " and \\ backslash', "tab\tnew\nline", "\x1b[31mred\x1b[0m",
            "\x00\x07\x7f\x9f", "é ü 漢字 🎉", "\u202eevil\u202c", "\u2028\u2029", "\ufffe")


def generated(rng: random.Random, n: int, far: bool) -> Result:
    """n attempts of made-up tasks on made-up workers: drivers, retries, failures, unknown
    places and times, queue times of either sign; `far`: some times far from the rest."""
    base = sample("nested_tasks")
    result = analysed([base])
    jobs = ("01000000", "02000000")
    drivers = ["f" * 40 + j for j in jobs]
    tasks = drivers + [f"{rng.getrandbits(64):016x}" + "f" * 24 + rng.choice(jobs)
                       for _ in range(n // 3)] + ["short", "", 'odd"id\\']
    nodes = [n.id for n in result.nodes] + ["not-a-node", ""]
    rows = []

    def maybe(ns: int) -> int | None:
        return None if rng.random() < 0.05 else ns

    clock = 1_795_312_000_000_000_000
    for i in range(n):
        task = rng.choice(tasks)
        start = clock + rng.choice((0, 0, 1, 999, 1000, 1001, rng.randrange(10**9)))
        if far and rng.random() < 0.05:
            start = rng.choice((0, 1, 10**15, 2**43 * 1000 - 1, 2**43 * 1000 + 1, 2**62))
        end = start + rng.choice((0, 1, 999, 1500, rng.randrange(10**10)))
        pending = start - rng.choice((1, 0, -1, 5, 10**6, 10**12))
        status = rng.choice(STATUS_NAMES)
        rows.append(Attempt(task, rng.choice((0, 0, 1, 2)), rng.choice(nodes),
                            rng.choice(tasks + ["missing"]), status,
                            rng.choice(ODD_TEXT) if status == "FAILED" else "",
                            rng.choice(ODD_TEXT) if status == "FAILED" else "",
                            rng.choice(("", "ab" * 28, "cd" * 28, "(unknown node)")),
                            rng.choice(("", "w1" * 14, "w2" * 14, "(unknown worker)")),
                            rng.choice((None, 0, 1234, 5678)), maybe(max(pending, 0)),
                            maybe(start), maybe(end) if rng.random() < 0.9 else start - 1,
                            rng.choice(("", "", "10.0.0.1", "fe80::1") + ODD_TEXT)))
    actors = [replace(a, actor_name=rng.choice(ODD_TEXT), class_name=rng.choice(ODD_TEXT))
              for a in result.actors]
    named = [replace(n, name=rng.choice(ODD_TEXT + (n.name,))) for n in result.nodes]
    return replace(result, attempts=tuple(rows), nodes=tuple(named), actors=tuple(actors))


def as_table(rows: Sequence[Attempt]) -> AttemptTable:
    def ns(times: list[int | None]) -> list[int]:
        return [NO_NS if t is None else t for t in times]

    return AttemptTable(
        [a.task_id for a in rows], [a.attempt for a in rows], [a.node for a in rows],
        [a.parent_task_id for a in rows], bytes(STATUS_NAMES.index(a.status) for a in rows),
        {i: (a.error_type, a.error_message) for i, a in enumerate(rows)
         if a.error_type or a.error_message},
        [a.ray_node_id for a in rows], [a.worker_id for a in rows],
        [a.worker_pid for a in rows], ns([a.pending_ns for a in rows]),
        ns([a.start_ns for a in rows]), ns([a.end_ns for a in rows]),
        {key: [getattr(a, key) for a in rows] for key in EXTRA_FIELDS})


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("far", [False, True])
def test_generated_attempts_give_the_same_bytes(seed: int, far: bool) -> None:
    result = generated(random.Random(seed), 3000, far)
    assert isinstance(result.attempts, tuple)
    same_bytes(result)  # rows, as a focused result holds them
    same_bytes(replace(result, attempts=as_table(result.attempts)))  # the pipeline's table


def test_a_large_generated_table_gives_the_same_bytes() -> None:
    result = generated(random.Random(7), 20_000, False)
    same_bytes(replace(result, attempts=as_table(result.attempts)))


def test_added_columns_go_where_their_keys_sort(monkeypatch: pytest.MonkeyPatch) -> None:
    """A column a step adds lands in the slice's args by its sorted key, wherever that is
    among the slice's own keys, and is left out where it is its field's default. Made-up
    fields, one for each place, stand in for those a later step may add."""
    result = generated(random.Random(3), 600, False)
    places = {"a": 0, "ad": "", "b": "", "f": "", "node_ip": "", "t": "", "z": None}
    monkeypatch.setattr(new_trace, "EXTRA_FIELDS", places)
    table = as_table(result.attempts)

    def value(key: str, i: int) -> object:  # the same for rows of the same task and attempt
        pick = zlib.crc32(f"{key} {table.task_ids[i]} {table.numbers[i]}".encode()) % 4
        return (places[key], 7, "x\u0007y", "é")[pick]

    table.extra = {key: [value(key, i) for i in range(len(table))] for key in places}
    events = orjson.loads(new_trace.RENDERER.render(replace(result, attempts=table), RenderOptions()))
    slices = [e for e in events["traceEvents"] if e.get("ph") == "X"]
    assert slices
    for event in slices:
        keys = list(event["args"])
        assert keys == sorted(keys)
    row = {(t, n): i for i, (t, n) in enumerate(zip(table.task_ids, table.numbers))}
    seen = 0
    for event in slices:
        i = row[(event["args"]["task_id"], event["args"]["attempt"])]
        for key, default in places.items():
            value = table.extra[key][i]
            want = strip_control(value) if isinstance(value, str) else value
            assert event["args"].get(key, default) == (default if value == default else want)
            seen += value != default
    assert seen > len(slices)


def test_no_attempts() -> None:
    result = analysed([sample("nested_tasks")])
    for attempts in ((), as_table(())):
        same_bytes(replace(result, attempts=attempts))


def test_micros_is_round_of_the_quotient() -> None:
    """_micros leaves round out: it cannot change a quotient of an int by 1000.0."""
    rng = random.Random(1)
    edge = 2**43 * 1000
    values = [0, 1, 999, 1000, 1001, 1499, 1500, 1501, edge - 1, edge, edge + 1, -edge, 2**53,
              2**53 + 1, 2**62, -1 - 10**18]
    values += [rng.randrange(-2 * edge, 2 * edge) for _ in range(200_000)]
    values += [rng.randrange(edge // 1000) for _ in range(100_000)]
    values += [rng.randrange(2**63) for _ in range(100_000)]
    values += [rng.randrange(2**50, 2**56) for _ in range(100_000)]
    assert new_trace._micros(values) == [orjson.dumps(round(v / 1000.0, 3)) for v in values]
    assert new_trace._micros([5_000, 7_500], 1_000) == [b"4.0", b"6.5"]
