"""flowinsight on the Ray programs people run: Ray Data, Tune, Serve and everyday patterns.
Hand-made sessions in Ray's shapes (tests/libsession.py) for the cases, and the real Ray
2.60 captures of samples/libraries checked against Ray's own State API (their truth/)."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT, cli, json_of, result_of, with_native
from flowinsight.pipeline import Options, analyze
from flowinsight.read import discover, read_capture
from flowinsight.result import NodeKind, Result
from libsession import DRIVER, driver, executed, submitted, task_id, write_session


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


# The real captures: Ray 2.60, each plain and under the recorder; truth/ is Ray's State API.
LIBRARIES = ROOT / "samples" / "libraries"
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
    state = dict(phases[phase] if phase else max(phases.values(), key=lambda p: p["order"]))
    # a task of a named actor is `name:Class.method` in the State API
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
    of its own (Train's `worker.execute.options(name="execute.<fn>")`) is still the method
    `Class.method` (pipeline/identity.py: an actor method is `<actor>.<method>`)."""
    name, function = task["name"], task["func_or_class_name"] or ""
    if task["type"] == "ACTOR_TASK" and "." in function and name != function \
            and name.split(".")[0] == function.rsplit(".", 1)[1]:
        return function
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
    # an attempt Ray retried to success is no failure, kept apart with its cause ...
    retried = sorted(tuple(f) for f in meant.get("retried_attempts", ()))
    assert sorted((name[e.node], e.attempt or 0, e.error_type)
                  for e in result.ends if e.category == "retried") == retried
    # ... the rest is an intended end (ray.kill, serve.shutdown, the job's end) ...
    assert all(e.category in ("intended", "retried") for e in result.ends)
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
    assert plans == [
        [("ReadCSV->SplitBlocks(2)", 3, 3),
         ("Filter(even)->FlatMap(twice)->MapBatches(add_column)", 6, 6),
         ("ReadArrowJSON->SplitBlocks(2)", 2, 2), ("MapBatches(add_column)", 4, 4),
         ("SortShuffleMap(partitions=5)", 1, 1), ("SortShuffleReduce(partitions=5)", 5, 5)],
        [("ReadRange->MapBatches(slow_but_first)", 1, 1)],
        [("ReadArrowJSON->SplitBlocks(2)", 2, 2)],
        [("ReadArrowJSON->SplitBlocks(2)", 2, 2), ("Write", 4, 4)]]
    per_name: Counter[str] = Counter()
    for plan in plans:
        for name, tasks, _ in plan:
            per_name[name] += tasks
    assert per_name == {name: want[name] for name in per_name}  # every task counted once
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
    # flaky's 2 failed attempts and crashy's one were retried to success: doomed's 2 are left
    ("retries", 1, "2 failures > 0 (TASK_EXECUTION_EXCEPTION 2): doomed task "),
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
        assert dict(result.serve[1].calls_to) == {"Doubler": 7}
    if not requests:
        assert any("RAY_SERVE_ENABLE_TASK_EVENTS=1" in w for w in result.warnings)
    doc = json_of(LIBRARIES / run)
    assert [d["name"] for d in doc["serve"]] == ["Doubler", "Ingress"]


@pytest.mark.parametrize("run", ["tune", "tune_recorded"])
def test_tune_trials(run: str) -> None:
    result = result_of(LIBRARIES / run)
    assert [(t.trainable, t.iterations, t.failures) for t in result.tune] == [
        ("trainable", 3, 0)] * 3
    # Ray's own names: 3 ImplicitFunc actors, 9 trainable.train tasks
    want = truth(run)
    assert Counter(a["class_name"] for a in want["actors"])["ImplicitFunc"] == 3
    assert sum(t["name"] == "trainable.train" for t in want["tasks"]) == 9
    assert [t["trainable"] for t in json_of(LIBRARIES / run)["tune"]] == ["trainable"] * 3
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
    assert sorted((t.trainable, t.iterations, t.failures) for t in result.tune) == [
        ("trainable", 2, 1), ("trainable", 4, 0), ("trainable", 4, 0)]
    # Tune's trials ran 3, 3 and 1 iterations: the plan says train calls, which is what is known
    dot = cli("export", str(capture), "--format", "plan").stdout
    assert (dot.count(b"4 train calls"), dot.count(b"2 train calls")) == (2, 1)
    assert b"iterations" not in dot
