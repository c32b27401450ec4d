"""A compiled graph's methods as nodes, on a real Ray 2.60 capture
(tests/live/workloads/explore11_cgraph.py under the recorder, tests.live.record_test_data
explore11_cgraph compiled_graph): graph one InputNode -> a.f -> b.g -> c.h executed 20 times,
graph two InputNode -> d.f -> e.picky executed 5 times, picky raising on its 4th run. Ray runs
the methods inside one `__ray_call__(do_exec_tasks)` task per actor and lists no task of
them (the State API's truth, state_truth.json); the recorder's `compiled_call` events name
each run."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from conftest import ROOT, cli, json_of, result_of, with_native
from flowinsight.model.events import INPUT_NOTE, FunctionRef, TaskType, TaskUpdate
from flowinsight.pipeline.failures import headline
from flowinsight.read.fields import BadLine
from flowinsight.read.ray_events import parse_ray_event
from flowinsight.result import NodeKind, Result

CAPTURE = ROOT / "tests" / "data" / "compiled_graph"
SESSION = next(CAPTURE.glob("session_*"))
END = json.loads((CAPTURE / "state_truth.json").read_text())["phases"]["end"]
# the runs the workload made: method -> (executes, of which raised)
RUNS = {"f": 20 + 5, "g": 20, "h": 20, "picky": 5}


def _step_actors() -> set[str]:
    return {a["actor_id"] for a in END["actors"] if a["class_name"] == "Step"}


def _truth_calls() -> Counter[str]:
    """Node id -> Ray's tasks of it, as flowinsight names them (methods `<actor>.<method>`,
    a constructor its actor, the proxy actor's too)."""
    calls: Counter[str] = Counter()
    for t in END["tasks"]:
        if t["type"] == "ACTOR_CREATION_TASK":
            calls[t["actor_id"]] += 1
        else:
            calls[f"{t['actor_id']}.{t['func_or_class_name'].rsplit('.', 1)[1]}"] += 1
    return calls


def _runs(result: Result) -> dict[str, tuple[str, int]]:
    """The nodes of the graphs' methods: node id -> (method, calls). Which actor ran which
    method the State API does not say (it lists no task of them): each of the five Step
    actors ran one, as the workload bound them."""
    runs = {n.id: (n.name, n.calls) for n in result.nodes if n.name in RUNS}
    assert {n.split(".")[0] for n in runs} == _step_actors()
    assert sorted(runs.values()) == [("f", 5), ("f", 20), ("g", 20), ("h", 20), ("picky", 5)]
    return runs


def _by_method(runs: dict[str, tuple[str, int]]) -> dict[tuple[str, int], str]:
    return {run: node for node, run in runs.items()}


def test_the_state_api_lists_no_task_of_the_methods() -> None:
    names = Counter(t["func_or_class_name"].rsplit(".", 1)[1] for t in END["tasks"]
                    if t["type"] == "ACTOR_TASK")
    assert not set(names) & set(RUNS)
    assert names["__ray_call__"] == 25 and names["count"] == 3  # 5 per actor: set-up, loop...


@pytest.mark.parametrize("native", [True, False])
def test_each_method_is_a_node_with_a_call_per_execute(native: bool) -> None:
    code = ("import json, sys; sys.path.insert(0, 'tests'); from conftest import result_of; "
            f"r = result_of({str(SESSION)!r}); "
            "print(json.dumps(sorted((n.id, n.name, n.calls, n.internal) for n in r.nodes "
            "+ r.hidden.nodes if n.kind.value != 'driver')))")
    nodes = {x[0]: (x[1], x[2], x[3]) for x in json.loads(with_native(native, code))}
    runs = {n: calls for n, (name, calls, _) in nodes.items() if name in RUNS}
    assert {n.split(".")[0] for n in runs} == _step_actors()
    assert Counter(n.split(".")[1] for n, c in runs.items() for _ in range(c)) == RUNS
    # every other node is as Ray lists its tasks
    assert {n: c for n, (name, c, _) in nodes.items() if name not in RUNS} == \
        dict(_truth_calls())
    # each actor's __ray_call__ (its loop, its channels' set-up and teardown) is Ray's
    loops = {n for n, (_, _, internal) in nodes.items() if internal}
    assert loops == {n for n in _truth_calls() if n.endswith(".__ray_call__")}


def test_the_runs_are_called_by_main_through_the_hidden_loops() -> None:
    result = result_of(SESSION)
    runs = {node: calls for node, (_, calls) in _runs(result).items()}
    # the view: the loops are hidden, each run drawn from the driver that compiled the graph
    # and ran execute(), through its actor's loop
    assert not [n for n in result.nodes if n.name == "__ray_call__"]
    through = {(c.source, c.target): (c.count, c.via) for c in result.call_flows if c.via}
    assert through == {("main", node): (count, (f"{node.rsplit('.', 1)[0]}.__ray_call__",))
                       for node, count in runs.items()}
    # with --internals, the loop calls them
    every = result_of(SESSION)  # the hidden part of the result keeps the loops' calls
    hidden = {(c.source, c.target): c.count for c in every.hidden.call_flows}
    for node, count in runs.items():
        assert hidden[(f"{node.rsplit('.', 1)[0]}.__ray_call__", node)] == count


def test_data_flows_run_between_the_method_nodes() -> None:
    result = result_of(SESSION)
    node = _by_method(_runs(result))
    f1, g, h = node[("f", 20)], node[("g", 20)], node[("h", 20)]
    f2, picky = node[("f", 5)], node[("picky", 5)]
    flows = {(f.source, f.target): f for f in result.data_flows}
    chains = {("main", f1): 20, (f1, g): 20, (g, h): 20, (h, "main"): 20,
              ("main", f2): 5, (f2, picky): 5, (picky, "main"): 5}
    # between the actors' nodes, exactly the graphs' links: one value per execute and link
    assert {pair: f.count for pair, f in flows.items() if pair[0] in node.values()
            or pair[1] in node.values()} == chains
    # every value an execute moved is small (an int, picky's error): sized by the recorder,
    # never the channels' 1 MB buffers
    assert all(flows[pair].bytes is not None and flows[pair].unsized == 0
               and flows[pair].bytes < 2_000 for pair in chains)
    # in view, nothing else flows between the actors' nodes: the loops' own are hidden
    assert not [f for f in result.data_flows if "__ray_call__" in f.source + f.target]


def test_the_run_that_raised_is_a_failure_of_its_method() -> None:
    result = result_of(SESSION)
    picky = _by_method(_runs(result))[("picky", 5)]
    assert [(f.node, f.error_type, f.message) for f in result.failures] == [
        (picky, "TASK_EXECUTION_EXCEPTION", "ValueError: picky: 4 is refused on "
         "purpose")]
    node = next(n for n in result.nodes if n.id == picky)
    assert (node.calls, node.stats.failures) == (5, 1)
    assert cli("check", str(SESSION), "--max-failures", "0").returncode == 1


def test_the_loops_top_no_ranking() -> None:
    result = result_of(SESSION)
    ranked = sorted(result.nodes, key=lambda n: -(n.stats.exec_ms.sum
                                                  if n.stats.exec_ms else 0.0))
    assert ranked[0].kind is NodeKind.METHOD and ranked[0].name in RUNS
    analyzed = cli("analyze", str(SESSION)).stdout.decode()
    most = next(line for line in analyzed.splitlines() if line.startswith("most time"))
    assert "__ray_call__" not in most and ".picky" in most
    # on the critical path a loop is said to be Ray's, hidden
    path = next(line for line in analyzed.splitlines() if line.startswith("critical path"))
    assert ".__ray_call__" not in path or "(Ray's internals, hidden)" in path


def test_without_the_recorder_the_loops_stay_the_nodes() -> None:
    """The Export API alone names no run: each actor's __ray_call__ is its node, as Ray lists
    it, and nothing is hidden (docs/recorder.md)."""
    result = result_of(SESSION / "logs" / "export_events")
    calls = {n.id: n.calls for n in result.nodes if n.kind is not NodeKind.DRIVER}
    assert calls == dict(_truth_calls())
    assert not [n for n in result.nodes if n.internal] and not result.hidden.nodes
    assert result.failures == ()


def test_json_marks_the_loops_internal() -> None:
    doc = json_of(SESSION)
    runs = {node: calls for node, (_, calls) in _runs(result_of(SESSION)).items()}
    methods = {m["id"]: m for m in doc["methods"]}
    assert {i: m["calls"] for i, m in methods.items() if m["name"] in RUNS} == runs
    assert {i for i, m in methods.items() if m["internal"]} == {
        i for i in methods if i.endswith(".__ray_call__")}


def _line(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "task_id": "c4d058d4f43495aed9d72580543edc627c58641b01000000",
        "loop_task_id": "f4402ec78d3a2607d9d72580543edc627c58641b01000000",
        "actor_id": "d9d72580543edc627c58641b01000000", "job_id": "01000000",
        "class_name": "S", "method": "f", "bind_index": 0, "run": 1,
        "start_ms": 1796680744244.689, "end_ms": 1796680744244.721, "pid": 16123,
        "node_id": "3716ca047db8957700e06e581458cc6ddfe978bea9f82db97b823717",
        "worker_id": "85f4d2b938ed307bcf67f4282286cf7449221791ea270ac866f6a0b7"}
    base.update(fields)
    return {"label": "compiled_call", "custom_fields": base, "event_id": "ab" * 18}


def test_a_compiled_call_is_an_attempt_of_its_method() -> None:
    update = parse_ray_event(_line())
    assert update == TaskUpdate(
        task_id="c4d058d4f43495aed9d72580543edc627c58641b01000000", attempt=0,
        job_id="01000000", task_type=TaskType.ACTOR, function=FunctionRef("", "S", "f"),
        language="PYTHON", parent_task_id="f4402ec78d3a2607d9d72580543edc627c58641b01000000",
        actor_id="d9d72580543edc627c58641b01000000",
        states=((8, 1796680744244689000), (11, 1796680744244721000)),
        node_id="3716ca047db8957700e06e581458cc6ddfe978bea9f82db97b823717",
        worker_id="85f4d2b938ed307bcf67f4282286cf7449221791ea270ac866f6a0b7",
        worker_pid=16123, error_type="", error_message="", component_type="worker", spans=())
    raised = parse_ray_event(_line(error_type="ValueError", error_message="ValueError: no"))
    assert isinstance(raised, TaskUpdate)
    assert (raised.states[1][0], raised.error_type, raised.error_message) == (
        12, "TASK_EXECUTION_EXCEPTION", "ValueError: no")


def test_a_skipped_run_failed_by_its_input() -> None:
    """Ray passed an upstream method's error on without calling this one: worded as Ray words
    a task that failed by its input (failures.headline: "an input failed: ...")."""
    update = parse_ray_event(_line(error_type="KeyError", error_message="KeyError: 'one'",
                                   skipped=True))
    assert isinstance(update, TaskUpdate)
    assert (update.states[1][0], update.error_type, update.error_message) == (
        12, "TASK_EXECUTION_EXCEPTION", f"{INPUT_NOTE}:\nKeyError: 'one'")
    assert headline(update.error_message) == "an input failed: KeyError: 'one'"


@pytest.mark.parametrize("fields", [{"end_ms": 1.0}, {"method": ""}, {"loop_task_id": "xyz"},
                                    {"start_ms": None}, {"start_ms": -5.0},
                                    {"end_ms": 1e308}])
def test_a_broken_compiled_call_is_a_bad_line(fields: dict[str, Any]) -> None:
    with pytest.raises(BadLine):
        parse_ray_event(_line(**fields))


def test_capture_is_small() -> None:
    assert sum(p.stat().st_size for p in CAPTURE.rglob("*") if p.is_file()) < 2_000_000
