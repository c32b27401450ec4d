"""flowinsight on the Ray programs people run: Ray Data, Tune, Serve and everyday patterns.
Hand-made sessions in Ray's shapes (tests/libsession.py) for the cases, and the real Ray
2.60 captures of samples/libraries checked against Ray's own State API (their truth/)."""

from __future__ import annotations

import base64
import gzip
import json
import os
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT, cli, json_of, result_of, with_native
from flowinsight.model.events import FailureNote
from flowinsight.pipeline import Options, analyze
from flowinsight.pipeline.failures import judge
from flowinsight.read import discover, read_capture
from flowinsight.result import Failure, NodeKind, Result
from libsession import (
    DRIVER,
    actor_id,
    driver,
    executed,
    submitted,
    task_id,
    write_session,
)


def functions_of(session: Path, native: bool) -> list[tuple[str, int]]:
    code = ("import json, sys; sys.path.insert(0, 'tests'); from conftest import result_of; "
            f"r = result_of({str(session)!r}); "
            "print(json.dumps(sorted((n.id, n.calls) for n in r.nodes "
            "if n.kind == 'function')))")
    return [(x[0], x[1]) for x in json.loads(with_native(native, code))]


@pytest.mark.parametrize("native", [True, False])
def test_tasks_named_as_ray_names_them(tmp_path: Path, native: bool) -> None:
    # Ray Data's _map_task runs as its operators; .options(name=...) renames a task; a
    # function's own name (with or without its module) is no renaming
    lines = driver()
    spans = ["ReadRange->MapBatches(add_one)", "ReadRange->MapBatches(add_one)", "Write",
             "Write", "Write", "custom", "plain", "mod.plain"]
    functions = ["_map_task"] * 5 + ["renamed_fn", "plain", "plain"]
    for n, (fn, span) in enumerate(zip(functions, spans)):
        tid = task_id(n + 1)
        lines += [submitted(tid, fn), executed(tid, span)]
    session = write_session(tmp_path, lines)
    assert functions_of(session, native) == [
        ("ReadRange->MapBatches(add_one)", 2), ("Write", 3), ("custom", 1),
        ("plain", 2)]


@pytest.mark.parametrize("native", [True, False])
def test_renamed_and_plain_calls_of_one_method(tmp_path: Path, native: bool) -> None:
    # one method called plainly (Ray's names: `Acc.add`, `acc:Acc.add` for a named actor),
    # under a name of its own, and again plainly, on two actors: the renamed calls are one
    # node per actor and name, the plain ones stay the method's, interleaved in the table
    first, second = actor_id(1), actor_id(2)
    lines = driver()
    for n, (actor, span) in enumerate([(first, "Acc.add"), (first, "acc-add"),
                                       (first, "acc:Acc.add"), (second, "acc-add"),
                                       (second, "Acc.add"), (first, "acc-add")]):
        tid = task_id(n + 1, actor)
        lines += [submitted(tid, "Acc.add", "ACTOR_TASK", actor=actor), executed(tid, span)]
    session = write_session(tmp_path, lines)
    code = ("import json, sys; sys.path.insert(0, 'tests'); from conftest import result_of; "
            f"r = result_of({str(session)!r}); "
            "print(json.dumps(sorted((n.id, n.calls) for n in r.nodes if n.kind == 'method')))")
    assert [tuple(x) for x in json.loads(with_native(native, code))] == [
        (f"{first}.acc-add", 2), (f"{first}.add", 2), (f"{second}.acc-add", 1),
        (f"{second}.add", 1)]


@pytest.mark.parametrize("native", [True, False])
def test_an_actor_method_called_under_a_name_of_its_own_is_that_name(native: bool) -> None:
    # Ray 2.60 (workloads/explore_names.py, under the recorder): `acc.add.options(
    # name="acc-add")` runs as `task::acc-add`, and the State API lists it as `acc-add`
    # (func_or_class_name Acc.add): its node is that name under its actor, as a function task
    # renamed is its new name (load, clean)
    capture = DATA / "renamed_method"
    end = unprefixed(json.loads((capture / "state_truth.json").read_text())["phases"]["end"])
    assert [(t["name"], t["func_or_class_name"]) for t in end["tasks"]
            if t["type"] == "ACTOR_TASK"] == [("acc-add", "Acc.add")]
    code = ("import json, sys; sys.path.insert(0, 'tests'); from conftest import result_of; "
            f"r = result_of({str(capture)!r}); "
            "print(json.dumps(sorted((n.id.split('.', 1)[-1] if n.actor_id else n.id, "
            "n.kind.value, n.calls) for n in r.nodes)))")
    assert [tuple(x) for x in json.loads(with_native(native, code))] == sorted([
        ("acc-add", "method", 1), ("clean", "function", 2), ("load", "function", 3),
        ("main", "driver", 0), ("split", "function", 1),
        (end["actors"][0]["actor_id"], "actor", 1)])
    result = result_of(capture)
    assert Counter(method_name(t) for t in end["tasks"] if t["attempt_number"] == 0) \
        == _tasks_by_name(result)
    assert b"Acc 'acc'.acc-add" in cli("analyze", str(capture)).stdout


def test_an_actor_with_task_events_off_is_said_to_be_so() -> None:
    # Ray 2.60 (workloads/explore_silent_actor.py, under the recorder): Quiet, created with
    # enable_task_events=False, gets 3 pings; Loud 2. The State API lists no task of Quiet;
    # the recorder saw its creation and pings submitted. Those 4 records are attempts without
    # a final state because Ray recorded nothing of them, not because events were lost
    capture = DATA / "silent_actor"
    end = json.loads((capture / "state_truth.json").read_text())["phases"]["end"]
    quiet = next(a["actor_id"] for a in end["actors"] if a["class_name"] == "Quiet")
    assert not [t for t in end["tasks"] if t["actor_id"] == quiet]
    assert Counter(t["name"] for t in end["tasks"]) == {"Loud.ping": 2, "Loud.__init__": 1}
    result = result_of(capture)
    assert Counter({n.id: n.calls for n in result.nodes if n.actor_id == quiet}) == {
        quiet: 1, f"{quiet}.ping": 3}
    assert (result.coverage.tasks, result.coverage.without_final_state) == (8, 4)
    incomplete, off = [w for w in result.warnings if "task events were off" in w]
    assert incomplete.endswith("(4 of them are calls to actors whose task events were off, "
                               "as said below: the recorder saw them submitted, Ray recorded "
                               "nothing of them)")
    assert "loses the last" not in incomplete
    assert off.startswith("1 actor(s) without any task event from Ray (Quiet): their task "
                          "events were off (the actor created with enable_task_events=False")
    # without Ray's events at all (recorder only), no actor is said to have had them off
    recorder_only = result_of(*sorted((capture).glob("*/logs/events")))
    assert not [w for w in recorder_only.warnings if "task events were off" in w]


def test_grouped_by_class_the_same_actors_are_said_silent() -> None:
    """With --group-by class the nodes name classes, not actors: the warning still speaks of
    the instances whose task events were off (Quiet), and of no other (it took each class's
    node for an actor that no task event named)."""
    for path in (DATA / "silent_actor", ROOT / "samples" / "sage_pipeline"):
        capture = read_capture(discover([str(path)]))
        said = [[w for w in analyze(capture, Options(group_by=group)).warnings
                 if "without any task event" in w] for group in ("instance", "class")]
        assert said[0] == said[1]
        assert len(said[0]) == (path.name == "silent_actor")


# The real captures: Ray 2.60, each plain and under the recorder; truth/ is Ray's State API.
LIBRARIES = ROOT / "samples" / "libraries"
DATA = ROOT / "tests" / "data"
CAPTURES = ("mapreduce", "retries", "actor_restart", "data", "tune", "serve_events", "serve",
            "param_server", "async_threaded", "train")
RUNS = tuple(f"{name}{suffix}" for name in CAPTURES for suffix in ("", "_recorded"))
EXPECTED = json.loads((LIBRARIES / "expected.json").read_text())["captures"]


def truth(run: str, phase: str = "") -> dict[str, Any]:
    """A truth phase (the last one by default: the end of the job)."""
    path = LIBRARIES / "truth" / f"{run}.json"
    raw = path.read_bytes() if path.exists() else gzip.decompress(
        path.with_suffix(".json.gz").read_bytes())
    doc: dict[str, Any] = json.loads(raw)
    assert doc["ray_version"] == "2.60.0"
    phases = doc["phases"]
    return unprefixed(dict(phases[phase] if phase else max(phases.values(),
                                                            key=lambda p: p["order"])))


def unprefixed(state: dict[str, Any]) -> dict[str, Any]:
    """A truth phase whose tasks of named actors lose the actor's name: a task of a named
    actor is `name:Class.method` in the State API."""
    names = {a["actor_id"]: a.get("name") or "" for a in state["actors"]}
    for t in state["tasks"]:
        given = names.get(t.get("actor_id") or "", "")
        if given and t["name"].startswith(given + ":"):
            t["name"] = t["name"][len(given) + 1:]
    return state


def ray_name(name: str) -> str:
    return name


def method_name(task: dict[str, Any]) -> str:
    """A truth task's name as flowinsight names its node: an actor method called under a name
    of its own (Train's `worker.execute.options(name="execute.<fn>")`) is that name under its
    class, `Class.<name>` (pipeline/identity.py: renames_by_span), as Ray lists it; under
    Ray's own name (`Class.method`) it is the method."""
    name, function = task["name"], task["func_or_class_name"] or ""
    if task["type"] == "ACTOR_TASK" and "." in function:
        cls, method = function.rsplit(".", 1)
        if name != method and not name.endswith("." + method):
            return f"{cls}.{name}"
    return ray_name(name)


def names_of(result: Result) -> dict[str, str]:
    """Each node's name as Ray's State API writes task names: the function's, or
    `Class.method` (`Class.__init__` for the actor's creation)."""
    classes = {a.id: a.class_name for a in result.actors}
    # Ray names an actor's creation after its class, its methods after its repr (Tune's
    # trainable: ImplicitFunc.__init__, trainable.train)
    created = {a.id: a.class_of or a.class_name for a in result.actors}
    out = {}
    for n in result.nodes:
        if n.kind is NodeKind.METHOD:
            out[n.id] = f"{classes.get(n.actor_id, '')}.{n.name}"
        elif n.kind is NodeKind.ACTOR:
            out[n.id] = f"{created.get(n.id, n.name)}.__init__"
        else:
            out[n.id] = n.name
    return out


def _result(run: str) -> Result:
    return analyze(read_capture(discover([str(LIBRARIES / run)])), Options(internals=True))


def expected(run: str) -> dict[str, Any]:
    return dict(EXPECTED[run.removesuffix("_recorded")])


def _tasks_by_name(result: Result) -> Counter[str]:
    name = names_of(result)
    got: Counter[str] = Counter()
    for n in (*result.nodes, *result.hidden.nodes):
        if n.kind is not NodeKind.DRIVER:
            got[name[n.id]] += n.calls
    return got


@pytest.mark.parametrize("run", RUNS)
def test_tasks_and_calls_as_ray_reports_them(run: str) -> None:
    result, want = _result(run), truth(run)
    name = names_of(result)
    got = _tasks_by_name(result)
    # the user's view (expected.json): the tasks they wrote, by Ray's names, all there
    user = expected(run)["user_view"].get("tasks", {})
    assert {k: got[k] for k in user} == user
    if run.startswith("serve"):
        # Serve: the State API saw calls the logs cannot hold (task events off in Serve's
        # actors as shipped; the controller ray.kill-ed at shutdown loses its last events)
        return
    # tasks per name (Ray lists one row per attempt; a restart is no new row there)
    ids = {t["task_id"]: method_name(t) for t in want["tasks"]}
    assert Counter(ids.values()) == got
    # call edges: the parent's name -> the task's name, tasks counted once
    edges = Counter((ids.get(t["parent_task_id"], "main"), method_name(t))
                    for t in {t["task_id"]: t for t in want["tasks"]}.values())
    calls: Counter[tuple[str, str]] = Counter()
    for c in result.call_flows:
        calls[(name[c.source], name[c.target])] += c.count
    if run.endswith("_recorded"):
        # Ray gives a call from an async or threaded actor its actor's creation as parent;
        # the recorder names the method that made it: the same actor on both sides
        edges, calls = _by_actor(edges), _by_actor(calls)
    assert edges == calls


def _by_actor(edges: Counter[tuple[str, str]]) -> Counter[tuple[str, str]]:
    out: Counter[tuple[str, str]] = Counter()
    for (source, target), n in edges.items():
        out[(source.rsplit(".", 1)[0], target)] += n
    return out


@pytest.mark.parametrize("run", RUNS)
def test_failures_as_ray_reports_them(run: str) -> None:
    result, want, meant = _result(run), truth(run), expected(run)
    name = names_of(result)
    real = sorted(tuple(f) for f in meant["real_failures"])
    assert sorted((name[f.node], f.attempt or 0, f.error_type)
                  for f in result.failures if f.kind == "task") == real
    restarts: Counter[str] = Counter()
    for f in result.failures:
        if f.error_type == "ACTOR_RESTARTING":
            restarts[name[f.node].removesuffix(".__init__")] += 1
    assert restarts == Counter(meant["actor_restarts"])
    # nothing else failed: a worker's failure event is the failure it caused, counted once
    assert len(result.failures) == len(real) + sum(restarts.values())
    # the rest is an intended end (ray.kill, serve.shutdown, the job's end) ...
    assert all(e.category == "intended" for e in result.ends)
    # ... and every failed attempt Ray lists that is no real failure is one of them
    ended = {(name[e.node], e.attempt or 0, e.error_type) for e in result.ends if e.kind == "task"}
    intended = {(ray_name(t["name"]), t["attempt_number"], t["error_type"])
                for t in want["tasks"] if t["state"] == "FAILED"} - set(real)
    assert ended <= intended
    if not run.startswith("serve"):
        assert ended == intended


def test_ray_data_internals_hidden_unless_asked() -> None:
    data = LIBRARIES / "data"
    shown = _result("data")
    internal = sorted({a.class_name for a in shown.actors if a.internal})
    assert internal == ["ActorLocationTracker", "_AutoscalingCoordinatorActor", "_StatsActor"]
    # the view: the user's operators and actor pool, no bookkeeping
    view = result_of(data)
    assert sorted({names_of(view)[n.id] for n in view.nodes}) == [
        "MapWorker(MapBatches(Multiply)).__init__", "MapWorker(MapBatches(Multiply)).get_location",
        "MapWorker(MapBatches(Multiply)).submit", "ReadRange->MapBatches(add_one)", "Write",
        "main"]
    assert view.warnings[-1] == ("10 nodes of Ray's internals hidden (3 actors; --internals "
                                 "shows them, the JSON has them marked)")
    # the JSON has all of them, marked
    doc = json_of(data)
    marked = sorted((a["name"], a["internal"]) for a in doc["actors"])
    assert marked == [("ActorLocationTracker", True), ("MapWorker(MapBatches(Multiply))", False),
                      ("MapWorker(MapBatches(Multiply))", False),
                      ("_AutoscalingCoordinatorActor", True), ("_StatsActor", True)]
    assert sum(m["internal"] for m in doc["methods"]) == 7
    assert len(doc["callFlows"]) == len(shown.call_flows)
    # the table: hidden by default, shown with --internals
    plain = cli("analyze", str(data), "--top", "0").stdout.decode()
    every = cli("analyze", str(data), "--top", "0", "--internals").stdout.decode()
    assert "_StatsActor" not in plain and "_StatsActor" in every


# Data flows through objects Ray inlines (RAY_EVENT object events, schema 2.2)
P, Q, R = (task_id(i) for i in (1, 2, 3))


def _event(label: str, n: int, **fields: object) -> bytes:
    fields.setdefault("job_id", "01000000")
    return json.dumps({"custom_fields": fields, "event_id": f"{n:036x}", "label": label,
                       "pid": "1", "source_type": "CORE_WORKER", "timestamp": 1}).encode() + b"\n"


def _flows_of(tmp_path: Path, lines: list[bytes]) -> tuple[list[tuple[str, str, int, int | None,
                                                                      int]], list[str]]:
    events = tmp_path / "logs" / "events"
    events.mkdir(parents=True)
    (events / "event_CORE_WORKER_1.log").write_bytes(b"".join(lines))
    doc = json_of(tmp_path)
    return ([(d["source"], d["target"], d["count"], d["bytes"], d["unsized"])
             for d in doc["dataFlows"]], doc["summary"]["warnings"])


def _map_reduce(forwarded: bool) -> list[bytes]:
    """P (map) returns an 8,246 B object; the driver passes its ref to R (reduce), and Ray
    inlines it: R reads its argument 0 by value, under the id the recorder gives it."""
    small = P + "01000000"
    inlined = R + "000000f0"  # recorder/ids.py: by_value_arg_id(R, 0)
    lines = [
        _event("task_submitted", 1, task_id=P, src_task_id=DRIVER, task_type="NORMAL_TASK",
               descriptor="map_small", timestamp_ms=1),
        _event("task_submitted", 2, task_id=R, src_task_id=DRIVER, task_type="NORMAL_TASK",
               descriptor="reduce_parts", timestamp_ms=2),
        _event("object_put", 3, object_id=small, task_id=P, size_bytes=8246, kind="return",
               timestamp_ms=10),
        _event("object_get", 5, object_id=inlined, task_id=R, kind="arg", arg_index=0,
               size_bytes=8246, timestamp_ms=30),
    ]
    if forwarded:  # the recorder names the ref the driver passed on (recorder/submission.py)
        lines.append(_event("object_put", 4, object_id=small, task_id=DRIVER, size_bytes=None,
                            kind="arg", arg_index=0, target_task_id=R, timestamp_ms=2))
    return lines


def test_an_inlined_object_flows_from_its_creator(tmp_path: Path) -> None:
    flows, warnings = _flows_of(tmp_path, _map_reduce(forwarded=True))
    assert flows == [("map_small", "reduce_parts", 1, 8246, 0)]
    assert not [w for w in warnings if "left out" in w]


def test_an_inlined_object_without_its_ref_is_no_self_loop(tmp_path: Path) -> None:
    flows, warnings = _flows_of(tmp_path, _map_reduce(forwarded=False))
    assert flows == []
    assert any("1 argument read(s) left out of the data flows" in w for w in warnings)
    assert any(w.startswith("no Export API events: ") for w in warnings)


@pytest.mark.parametrize("run", ["data", "data_recorded"])
def test_ray_data_plan_with_its_tasks(run: str) -> None:
    result = result_of(LIBRARIES / run)  # internals hidden: the plan still sees every node
    (plan,) = result.datasets
    assert (plan.job_id, plan.state) == ("01000000", "FINISHED")
    ops = [(o.id, o.name, o.inputs, o.state, o.tasks, o.attempts, o.failures) for o in
           plan.operators]
    assert ops == [
        ("Input_0", "Input", (), "FINISHED", 0, 0, 0),
        ("ReadRange->MapBatches(add_one)_1", "ReadRange->MapBatches(add_one)", ("Input_0",),
         "FINISHED", 4, 4, 0),
        # the actor pool: 2 MapWorker actors, 4 submit and 2 get_location calls (truth); its
        # work is the 4 submits, as Ray Data counts it (the constructors and get_location are
        # the pool's setup)
        ("MapBatches(Multiply)_2", "MapBatches(Multiply)", ("ReadRange->MapBatches(add_one)_1",),
         "FINISHED", 4, 4, 0),
        ("Write_3", "Write", ("MapBatches(Multiply)_2",), "FINISHED", 4, 4, 0),
    ]
    want = Counter(ray_name(t["name"]) for t in truth(run)["tasks"])
    assert want["ReadRange->MapBatches(add_one)"] == 4 and want["Write"] == 4
    assert want["MapWorker(MapBatches(Multiply)).submit"] == 4
    assert [o.schema for o in plan.operators][1] == (("id", "int64"),)
    assert plan.operators[1].exec_ms is not None and plan.operators[1].exec_ms.count == 4
    pool = plan.operators[2]  # its setup calls stay among its nodes, out of its work
    assert pool.exec_ms is not None and pool.exec_ms.count == want[
        "MapWorker(MapBatches(Multiply)).submit"]
    assert sum(n.endswith(".get_location") for n in pool.nodes) == 2
    # the JSON (validated against the schema) and the plan's DOT, which Graphviz parses
    doc = json_of(LIBRARIES / run)
    assert [o["name"] for o in doc["datasets"][0]["operators"]] == [
        "Input", "ReadRange->MapBatches(add_one)", "MapBatches(Multiply)", "Write"]
    dot = cli("export", str(LIBRARIES / run), "--format", "plan").stdout
    assert subprocess.run(["dot", "-Tcanon"], input=dot, capture_output=True).returncode == 0
    assert b'"MapBatches(Multiply)\\n4 tasks' in dot


@pytest.mark.parametrize("native", [True, False])
def test_ray_data_tasks_without_their_spans_are_named_by_their_operator(
        tmp_path: Path, native: bool) -> None:
    # Ray writes a worker's profile events (the `task::<name>` spans) last and loses them when
    # the job ends first: the Write tasks' spans dropped here, as such a run leaves them. Ray
    # Data's operator label (`__data_operator_id`) still names them and ties them to the plan.
    copy = tmp_path / "data"
    shutil.copytree(LIBRARIES / "data", copy)
    dropped = 0
    for path in copy.rglob("event_EXPORT_TASK*"):
        lines = path.read_bytes().splitlines(keepends=True)
        kept = [line for line in lines if b'"event_name":"task::Write"' not in line]
        dropped += len(lines) - len(kept)
        path.write_bytes(b"".join(kept))
    assert dropped == 4
    code = ("import json, sys; sys.path.insert(0, 'tests'); from conftest import result_of; "
            f"r = result_of({str(copy)!r}); "
            "print(json.dumps([sorted((n.name, n.calls) for n in r.nodes if n.kind == 'function'),"
            " [(o.name, o.tasks, o.nodes) for o in r.datasets[0].operators][-1]]))")
    functions, write = json.loads(with_native(native, code))
    assert functions == [["ReadRange->MapBatches(add_one)", 4], ["Write", 4]]
    assert write == ["Write", 4, ["Write"]]


def test_operators_of_one_name_in_several_datasets_keep_their_own_tasks() -> None:
    # tests/live/workloads/explore3_data_ops.py (Ray 2.60, export events only): ReadArrowJSON
    # runs in 3 datasets (2 tasks each), the graph node of that name holds all 6; each plan's
    # operator is only the tasks Ray Data labelled with its uuid (`__data_operator_id`)
    capture = ROOT / "tests" / "data" / "data_same_operator_names"
    end = json.loads((capture / "state_truth.json").read_text())["phases"]["end"]
    want = Counter(t["name"] for t in end["tasks"])
    assert want["ReadArrowJSON->SplitBlocks(2)"] == 6
    result = result_of(capture)
    plans = [[(o.name, o.tasks, o.attempts) for o in d.operators if o.tasks]
             for d in sorted(result.datasets, key=lambda d: d.start_s or 0)]
    # (the random shuffle's, the sort sample's, the repartition's and the limits' tasks by
    # their plans: pipeline/data_stages.py, tests/test_data_stages.py)
    assert plans == [
        [("ReadCSV->SplitBlocks(2)", 3, 3),
         ("Filter(even)->FlatMap(twice)->MapBatches(add_column)", 6, 6),
         ("ReadArrowJSON->SplitBlocks(2)", 2, 2), ("MapBatches(add_column)", 4, 4),
         ("RandomShuffle", 20, 20), ("SortSample(partitions=5)", 10, 10),
         ("SortShuffleMap(partitions=5)", 1, 1), ("SortShuffleReduce(partitions=5)", 5, 5),
         ("Repartition", 5, 5), ("limit=5", 1, 1)],
        [("ReadRange->MapBatches(slow_but_first)", 1, 1), ("limit=7", 1, 1)],
        [("ReadArrowJSON->SplitBlocks(2)", 2, 2)],
        [("ReadArrowJSON->SplitBlocks(2)", 2, 2), ("Write", 4, 4)]]
    per_name: Counter[str] = Counter()
    for plan in plans:
        for name, tasks, _ in plan:
            per_name[name] += tasks
    # every task counted once: by Ray's name, or, for the tasks Ray runs under their
    # functions' names, by their operators' (as many as the State API has of those functions)
    by_plan = {"RandomShuffle", "SortSample(partitions=5)", "Repartition", "limit=5", "limit=7"}
    assert {n: c for n, c in per_name.items() if n not in by_plan} == {
        name: want[name] for name in per_name if name not in by_plan}
    assert sum(per_name[n] for n in by_plan) == sum(
        want[f] for f in ("map", "reduce", "_sample_block", "_split_single_block", "slice_fn"))
    node = {n.name: n for n in result.nodes}["ReadArrowJSON->SplitBlocks(2)"]
    assert node.calls == 6
    dot = cli("export", str(capture), "--format", "plan").stdout
    assert dot.count(b"ReadArrowJSON->SplitBlocks(2)\\n2 tasks") == 3
    assert b"ReadArrowJSON->SplitBlocks(2)\\n6 tasks" not in dot


def test_dataset_events_of_another_shape(tmp_path: Path) -> None:
    # unknown states are shown as they are; a malformed plan is one skipped line, counted
    plan = {"dataset_id": "ds_1", "job_id": "01000000", "state": "SOME_NEW_STATE",
            "topology": {"operators": [{"id": "Write_1", "name": "Write", "state": "NEWER",
                                        "input_dependencies": ["Read_0"]}]}}
    broken = {"dataset_id": "ds_2", "topology": {"operators": "not a list"}}
    session = write_session(tmp_path, driver(),
                            {"EXPORT_DATASET_METADATA": [plan, broken]})
    result = result_of(session)
    assert [(d.id, d.state, [(o.id, o.state, o.inputs) for o in d.operators])
            for d in result.datasets] == [("ds_1", "SOME_NEW_STATE",
                                            [("Write_1", "NEWER", ("Read_0",))])]
    assert result.read.skipped_total == 1
    assert b"Write" in cli("export", str(session), "--format", "plan").stdout


@pytest.mark.parametrize("run,code,says", [
    ("mapreduce_recorded", 0, "0 failures <= 0"),
    ("data", 0, "0 failures <= 0"),  # Ray Data's actors end with the job: no failure
    ("retries", 1, "5 failures > 0 (TASK_EXECUTION_EXCEPTION 4, WORKER_DIED 1): crashy task "
                   "32d950ec0ccf9d2affffffffffffffffffffffff01000000/0: WORKER_DIED; flaky task "
                   "c2668a65bda616c1ffffffffffffffffffffffff01000000/0: TASK_EXECUTION_EXCEPTION: "
                   "ValueError: flaky: attempt 0 fails on purpose; "),
    ("actor_restart", 1, "2 failures > 0 (ACTOR_RESTARTING 1, ACTOR_UNAVAILABLE 1): "
                         "Phoenix.crash task f4402ec78d3a2607d8c9f2931a575114f7a766d601000000/0: "
                         "ACTOR_UNAVAILABLE: "),
])
def test_check_fails_only_what_failed(run: str, code: int, says: str) -> None:
    done = cli("check", str(LIBRARIES / run), "--max-failures", "0")
    assert done.returncode == code
    assert says in done.stdout.decode()


@pytest.mark.parametrize("run", RUNS)
def test_internals_user_view_and_verdict(run: str) -> None:
    meant = expected(run)
    everything = _result(run)
    internal = {a.class_of or a.class_name for a in everything.actors if a.internal}
    assert internal == set(meant["internals"])
    # the default view: the user's actors (as the State API names their classes), no internals
    view = result_of(LIBRARIES / run)
    actors = Counter(a.class_of or a.class_name for a in view.actors)
    assert actors == Counter(meant["user_view"].get("actors", {}))
    # Ray Data: the plan's operators, in order, as the user wrote them
    if "operators" in meant["user_view"]:
        (plan,) = view.datasets
        assert [o.name for o in plan.operators if o.nodes] == meant["user_view"]["operators"]
    assert ("pass" if not view.failures else "fail") == meant["check"]


def test_serve_requests_a_full_replica_rejected_are_counted_cancelled() -> None:
    # workloads/explore6_serve.py (autoscaling, max_ongoing_requests=2, a burst of 12 through a
    # DeploymentHandle): Ray's State API listed 26 handle_request_with_rejection calls on Slow's
    # 2 replicas for 13 requests, 13 FINISHED and 13 the router cancelled after the replica
    # rejected them (10 TASK_EXECUTION_EXCEPTION with their own TaskCancelledError, 3
    # TASK_CANCELLED). Their shape, on one replica: the cancelled calls are intended ends
    # (failures.py), counted apart from the requests they were tries of
    from flowinsight.pipeline.library_views import serve_deployments
    from flowinsight.result import Actor, Attempt, Node

    actor = "ad1191364e4e1e9e14da06dd01000000"
    replica = Actor(actor, "ServeReplica:auto:Slow", "", "01000000", "PYTHON", "ALIVE", False)
    method = Node(f"{actor}:handle_request_with_rejection", NodeKind.METHOD,
                  "handle_request_with_rejection", "", actor, "01000000", "PYTHON", 26, False)
    ends = [Failure("task", method.id, f"{i:02x}" * 24, 0, kind, "", None, "intended")
            for i, kind in enumerate(["TASK_EXECUTION_EXCEPTION"] * 10 + ["TASK_CANCELLED"] * 3)]
    # the 13 answered took 400 ms each, the rejected tries 2 ms until the router cancelled them
    attempts = [Attempt(f"{i:02x}" * 24, 0, method.id, "", "FAILED" if i < 13 else "FINISHED",
                        "", "", "", "", None, 0, 0, (2 if i < 13 else 400) * 1_000_000)
                for i in range(26)]
    (slow,) = serve_deployments([replica], [method], attempts, [], (), ends)
    assert (slow.name, slow.requests, slow.cancelled, slow.failures) == ("Slow", 26, 13, 0)
    # the requests' executions are the answered ones', not the rejected tries'
    assert slow.request_ms is not None
    assert (slow.request_ms.count, slow.request_ms.p50) == (13, 400.0)
    # the picture's Serve box says so too: 13 requests (not 26 calls), 13 cancelled
    from dataclasses import replace

    from flowinsight.render.plan import plan_lines

    shown = replace(result_of(ROOT / "samples" / "sage_pipeline"), serve=(slow,))
    [box] = [line for line in plan_lines(shown) if "serve/" in line]
    assert '"auto: Slow\\n1 replica\\n13 requests · p50 400 ms\\n13 cancelled"' in box, box
    # an end of another kind or on another node is not one of its requests
    other = Failure("actor", actor, "", None, "RAY_KILL", "", None, "intended")
    (slow,) = serve_deployments([replica], [method], [], [], (), [other])
    assert slow.cancelled == 0


@pytest.mark.parametrize("run", ["serve_events", "serve_events_recorded", "serve",
                                 "serve_recorded"])
def test_serve_deployments(run: str) -> None:
    result = result_of(LIBRARIES / run)
    got = [(d.app, d.name, len(d.replicas), d.requests, d.failures) for d in result.serve]
    # as shipped, Serve's task events are off: its calls are there only where the recorder
    # (in every worker) wrote them
    requests = 0 if run == "serve" else 5
    assert got == [("doubler_app", "Doubler", 1, requests, 0),
                   ("doubler_app", "Ingress", 1, requests, 0)]
    assert [d.name for d in result.serve] == sorted(expected(run)["user_view"]["deployments"])
    # the truth: 5 requests answered by each deployment's replica
    want = Counter(t["name"] for t in truth(run, "serving")["tasks"])
    if run.startswith("serve_events"):
        assert want["ServeReplica:doubler_app:Ingress.handle_request_with_rejection"] == 5
        # Ingress's DeploymentHandle sent Doubler 5 requests, and its router checked the
        # Doubler replica's load twice before sending (get_num_ongoing_requests): Serve's own
        # calls, not requests
        serving = truth(run, "serving")
        by_id = {t["task_id"]: t for t in serving["tasks"]}
        ingress = {a["actor_id"] for a in serving["actors"]
                   if a["class_name"] == "ServeReplica:doubler_app:Ingress"}
        to_doubler = Counter(t["name"].rsplit(".", 1)[1] for t in serving["tasks"]
                             if t["name"].startswith("ServeReplica:doubler_app:Doubler.")
                             and by_id[t["parent_task_id"]]["actor_id"] in ingress)
        assert to_doubler == {"handle_request_with_rejection": 5, "get_num_ongoing_requests": 2}
    if requests:  # the recorder saw the same calls with Serve's task events off
        assert [(dict(d.calls_to), dict(d.load_checks_to)) for d in result.serve] == [
            ({}, {}), ({"Doubler": 5}, {"Doubler": 2})]
        plan = cli("export", str(LIBRARIES / run), "--format", "plan").stdout
        assert b'"serve/doubler_app/Ingress" -> "serve/doubler_app/Doubler" ' \
            b'[label="5 requests\\n2 load checks"];' in plan
    # as shipped, whether the recorder named their calls or not, the 4 Serve actors are said
    # to have had their task events off, with the setting that turns them on
    hint = [w for w in result.warnings if "RAY_SERVE_ENABLE_TASK_EVENTS=1" in w]
    assert len(hint) == (1 if run in ("serve", "serve_recorded") else 0)
    assert not hint or hint[0].startswith("4 Serve actor(s) without any task event from Ray")
    doc = json_of(LIBRARIES / run)
    assert [d["name"] for d in doc["serve"]] == ["Doubler", "Ingress"]


@pytest.mark.parametrize("run", ["tune", "tune_recorded"])
def test_tune_trials(run: str) -> None:
    result = result_of(LIBRARIES / run)
    assert [(t.trainable, t.train_calls, t.failures) for t in result.tune] == [
        ("trainable", 3, 0)] * 3
    # Ray's own names: 3 ImplicitFunc actors, 9 trainable.train tasks
    want = truth(run)
    assert Counter(a["class_name"] for a in want["actors"])["ImplicitFunc"] == 3
    assert sum(t["name"] == "trainable.train" for t in want["tasks"]) == 9
    # the JSON says what is counted: train calls (Tune's iterations are not in the logs)
    assert [(t["trainable"], t["train_calls"]) for t in json_of(LIBRARIES / run)["tune"]] \
        == [("trainable", 3)] * 3
    dot = cli("export", str(LIBRARIES / run), "--format", "plan").stdout
    assert subprocess.run(["dot", "-Tcanon"], input=dot, capture_output=True).returncode == 0
    assert dot.count(b"3 train calls") == 3


def test_same_answers_with_the_extensions_off() -> None:
    # the scan renames tasks by their span (scan.py), with the extensions on and off
    code = ("import sys, json; sys.path.insert(0, 'tests'); from conftest import json_of; "
            f"print(json.dumps([json_of({str(LIBRARIES)!r} + '/' + run) for run in "
            f"{list(RUNS)!r}], sort_keys=True))")
    assert with_native(True, code) == with_native(False, code)


def test_the_trace_and_timeline_leave_internals_out_unless_asked() -> None:
    """Ray Data's bookkeeping actors (ActorLocationTracker, _StatsActor, ...) run attempts of
    their own: hidden from the view, they are out of the trace too; --internals brings them
    back."""
    import flowinsight

    hidden = flowinsight.load(LIBRARIES / "data", jobs=1)
    shown = flowinsight.load(LIBRARIES / "data", jobs=1, internals=True)
    internal = {n.id for n in hidden.hidden.nodes}
    assert internal and not any(a.node in internal for a in hidden.attempts)
    assert sum(a.node in internal for a in shown.attempts) > 0
    assert len(shown.attempts) - len(hidden.attempts) == sum(
        a.node in internal for a in shown.attempts)
    trace = flowinsight.export(hidden, "trace").decode()
    assert "ActorLocationTracker" not in trace and "Write" in trace
    assert "ActorLocationTracker" in flowinsight.export(shown, "trace").decode()


def test_tune_trials_of_a_trainable_class_defined_in_a_function() -> None:
    # Ray 2.60 names an actor's class by its __qualname__ (PythonFunctionDescriptor.from_class):
    # Tune's ImplicitFunc, made inside wrap_function, can come as
    # "wrap_function.<locals>.ImplicitFunc" (workloads/explore2_tune.py: 3 trials, 3 iterations
    # each, trial x=2 raising after its first report)
    capture = ROOT / "tests" / "data" / "tune_local_class"
    end = json.loads((capture / "state_truth.json").read_text())["phases"]["end"]
    assert {a["class_name"] for a in end["actors"]} == {"wrap_function.<locals>.ImplicitFunc"}
    assert sum(t["name"] == "trainable.train" for t in end["tasks"]) == 10
    result = result_of(capture)
    assert sorted((t.trainable, t.train_calls, t.failures) for t in result.tune) == [
        ("trainable", 2, 1), ("trainable", 4, 0), ("trainable", 4, 0)]
    doc = json_of(capture)
    assert sorted(t["train_calls"] for t in doc["tune"]) == [2, 4, 4]
    assert not [t for t in doc["tune"] if "iterations" in t]
    # Tune's trials ran 3, 3 and 1 iterations: the plan says train calls, which is what is known
    dot = cli("export", str(capture), "--format", "plan").stdout
    assert (dot.count(b"4 train calls"), dot.count(b"2 train calls")) == (2, 1)
    assert b"iterations" not in dot


def test_tune_trials_of_a_class_trainable_stopped_early_by_asha() -> None:
    # workloads/explore3_tune.py: a tune.Trainable subclass given resources with
    # tune.with_resources (Tune subclasses it inside that function: Ray names the class
    # "with_resources.<locals>.ResourceTrainable", its tasks "ResourceTrainable.train"); 5
    # trials under ASHAScheduler (grace_period=1, max_t=5), 3 stopped after 1 iteration
    capture = ROOT / "tests" / "data" / "tune_asha_class"
    end = json.loads((capture / "state_truth.json").read_text())["phases"]["end"]
    assert {a["class_name"] for a in end["actors"]} == {
        "with_resources.<locals>.ResourceTrainable"}
    train = Counter(t["actor_id"] for t in end["tasks"] if t["name"] == "ResourceTrainable.train")
    assert sorted(train.values()) == [1, 1, 1, 5, 5]
    result = result_of(capture)
    # every trial actor is one (Tune called get_auto_filled_metrics on it), named as Ray's
    # task names name its class, with a train call per iteration; stopped by ASHA or at
    # max_t, no trial failed
    assert sorted((t.actor_id, t.trainable, t.train_ms.count if t.train_ms else 0, t.failures)
                  for t in result.tune) == sorted(
        (actor, "ResourceTrainable", n, 0) for actor, n in train.items())
    assert {a.class_name for a in result.actors} == {"ResourceTrainable"}
    assert {a.class_of for a in result.actors} == {"with_resources.<locals>.ResourceTrainable"}
    assert result.failures == () and {e.category for e in result.ends} == {"intended"}
    table = cli("analyze", str(capture)).stdout
    assert b"ResourceTrainable #" in table and b"<locals>" not in table
    plan = cli("export", str(capture), "--format", "plan").stdout
    assert (plan.count(b"\\n1 train call\\n"), plan.count(b"\\n5 train calls\\n")) == (3, 2)


def test_pbt_trials_run_on_several_actors_each_start_said() -> None:
    # workloads/explore6_tune_pbt.py: PopulationBasedTraining (perturbation_interval=2) over a
    # checkpointing function trainable, 4 trials of 6 iterations, at most 2 at once. Tune
    # pauses the trials at every perturbation and starts each again on a new actor, restored
    # from its own or (exploit) a better trial's checkpoint: 13 trial actors for 4 trials
    capture = ROOT / "tests" / "data" / "tune_pbt_function"
    end = json.loads((capture / "state_truth.json").read_text())["phases"]["end"]
    assert Counter(a["class_name"] for a in end["actors"]) == {"ImplicitFunc": 13}
    calls = {m: Counter(t["actor_id"] for t in end["tasks"] if t["name"] == f"climb.{m}")
             for m in ("get_auto_filled_metrics", "restore", "train")}
    result = result_of(capture)
    # one entry per trial actor; Tune started a trial on each once, 9 of them from a
    # checkpoint (`restore`): the other 4 are the 4 trials begun from scratch
    assert sorted((t.actor_id, t.starts, t.restores, t.train_calls) for t in result.tune) == \
        sorted((actor, n, calls["restore"][actor], calls["train"][actor])
               for actor, n in calls["get_auto_filled_metrics"].items())
    assert sum(t.starts - t.restores for t in result.tune) == 4
    # paused trials are stopped on purpose: no failure
    assert result.failures == () and {e.category for e in result.ends} == {"intended"}
    doc = json_of(capture)
    assert sorted((t["starts"], t["restores"]) for t in doc["tune"]) == [(1, 0)] * 4 + [(1, 1)] * 9


def test_pbt_with_reused_actors_counts_each_start_once() -> None:
    # the same PBT run with TuneConfig(reuse_actors=True): Tune starts a paused trial again on
    # an idle trial actor, asking it get_auto_filled_metrics twice per start (when it takes
    # the actor, and once `reset` succeeded: tune_controller._maybe_reuse_cached_actor,
    # _on_trial_reset); two actors it made for trials were never used (it reused another)
    capture = ROOT / "tests" / "data" / "tune_pbt_reuse"
    end = json.loads((capture / "state_truth.json").read_text())["phases"]["end"]
    calls = {m: Counter(t["actor_id"] for t in end["tasks"] if t["name"] == f"climb.{m}")
             for m in ("get_auto_filled_metrics", "reset", "restore", "train")}
    actors = {a["actor_id"] for a in end["actors"]}
    assert len(actors) == 3 and len(calls["reset"]) == 1
    result = result_of(capture)
    assert sorted((t.actor_id, t.starts, t.restores, t.train_calls) for t in result.tune) == \
        sorted((a, calls["get_auto_filled_metrics"][a] - calls["reset"][a],
                calls["restore"][a], calls["train"][a]) for a in actors)
    assert sorted(t.starts for t in result.tune)[:2] == [0, 0]
    # the 4 trials begun from scratch, as without reuse
    assert sum(t.starts - t.restores for t in result.tune) == 4
    assert result.failures == ()


def test_a_retried_tune_trial_is_restored_only_from_a_checkpoint() -> None:
    # workloads/explore6_tune_retry.py: FailureConfig(max_failures=1), 3 trials; x=2 raises on
    # its first run before any checkpoint (Tune retries it from scratch on a new actor), x=3
    # raises after a checkpoint (retried on a new actor that restores it). Both first runs
    # are real errors; the retries succeed
    capture = ROOT / "tests" / "data" / "tune_retry_function"
    end = json.loads((capture / "state_truth.json").read_text())["phases"]["end"]
    assert sorted((t["name"], t["error_type"]) for t in end["tasks"] if t["state"] == "FAILED") \
        == [("flaky.train", "TASK_EXECUTION_EXCEPTION")] * 2
    result = result_of(capture)
    assert sorted((f.category, f.message) for f in result.failures) == [
        ("error", "RuntimeError: trial x=2 fails on its first run"),
        ("error", "RuntimeError: trial x=3 fails on its first run")]
    restored = Counter(t["actor_id"] for t in end["tasks"] if t["name"] == "flaky.restore")
    assert sorted((t.failures, t.restores, t.train_calls) for t in result.tune) == [
        (0, 0, 4), (0, 0, 4), (0, 1, 2), (1, 0, 2), (1, 0, 3)]
    assert {t.actor_id for t in result.tune if t.restores} == set(restored)
    # 3 trials and x=2's retry from scratch: the logs cannot tell that retry from a new trial
    assert sum(t.starts - t.restores for t in result.tune) == 4


def test_a_train_run_attempt_that_errored_is_the_failure() -> None:
    # workloads/explore3_train.py with RAY_TRAIN_ENABLE_STATE_TRACKING=1: two Train v2 runs of
    # 2 workers; in the second, rank 1 raises. Train catches it in the worker (the loop runs in
    # a thread, poll_status reports it): no task of Ray's fails with it, and the only FAILED
    # task (the other rank's wait on the SynchronizationActor, cut when Train killed the group)
    # is an intended end. Train's state export records the attempt ERRORED, naming the rank.
    capture = ROOT / "tests" / "data" / "train_errored"
    end = json.loads(gzip.decompress((capture / "state_truth.json.gz").read_bytes()))[
        "phases"]["end"]
    assert [(t["error_type"]) for t in end["tasks"] if t["state"] == "FAILED"] == ["WORKER_DIED"]
    result = result_of(capture)
    workers = {a.id for a in result.actors if a.class_name == "RayTrainWorker"}
    assert len(workers) == 4
    assert [(f.kind, f.category, f.error_type, f.message, f.node in workers, f.node_ip)
            for f in result.failures] == [
        ("train", "error", "TRAIN_RUN_ATTEMPT_ERRORED", "RuntimeError: rank 1 fails on purpose",
         True, "127.0.0.1")]
    # rank 1's worker, by the attempt's worker list: the one that ran pid 15756
    assert result.failures[0].pid == 15756 and result.failures[0].node.startswith("e19a23")
    assert {e.category for e in result.ends} == {"intended"}
    assert b"events (export_api)\n" in cli("analyze", str(capture)).stdout  # Train's: Export API
    for native in ("1", "0"):
        verdict = cli("check", str(capture), "--max-failures", "0",
                      env={**os.environ, "FLOWINSIGHT_NATIVE": native})
        assert verdict.returncode == 1 and b"rank 1 fails on purpose" in verdict.stdout


def test_train_run_attempt_lines() -> None:
    from flowinsight.read.export_events import parse_export_event

    def line(status: str, detail: str, workers: list[dict[str, Any]]) -> object:
        return parse_export_event({
            "event_id": "e1", "timestamp": 5, "source_type": "EXPORT_TRAIN_RUN_ATTEMPT",
            "event_data": {"run_id": "r", "attempt_id": "a", "status": status,
                           "status_detail": detail, "end_time_ns": "7000000000",
                           "workers": workers}})

    actor = [base64.b64encode(bytes([i]) * 16).decode() for i in range(3)]
    # proto3's JSON leaves out a zero: rank 0 has no world_rank
    workers = [{"actor_id": actor[0], "pid": 10}, {"actor_id": actor[1], "world_rank": 1,
                                                   "pid": 11}]
    assert line("RUNNING", "", workers) == "train_attempt:RUNNING"
    assert line("FINISHED", "", workers) == "train_attempt:FINISHED"
    note = line("ERRORED", "[Rank 0,1 Error Snippet]:\nTraceback ...\nValueError: x\n", workers)
    assert isinstance(note, FailureNote)
    assert (note.label, note.actor_id, note.pid, note.time_s) == (
        "TRAIN_RUN_ATTEMPT_ERRORED", "00" * 16, 10, 7.0)
    note = line("ERRORED", "[Rank 1 Error Snippet]:\nValueError: x\n", workers)
    assert isinstance(note, FailureNote) and note.actor_id == "01" * 16 and note.pid == 11
    assert note.job_id == "01" * 4  # the actor id's last 4 bytes: its job
    # a detail that names no rank (another Train version): the failure, on no actor
    note = line("ERRORED", "the controller failed", workers)
    assert isinstance(note, FailureNote) and (note.actor_id, note.pid) == ("", None)
    failures, _ = judge_notes([note])
    assert [(f.kind, f.node, f.category, f.message) for f in failures] == [
        ("train", "", "error", "the controller failed")]


def judge_notes(notes: list[FailureNote]) -> tuple[tuple[Failure, ...], tuple[Failure, ...]]:
    judged = judge([], [], [], notes, [], lambda t: "", lambda j: "main", lambda a: True)
    return judged.failures, judged.ends
