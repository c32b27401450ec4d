"""Six Ray programs flowinsight was not built on (workloads/explore11_*.py), run under the
recorder and held against Ray's State API dump of the same run (workloads/lib_state.py):
streaming generators (a task's and an actor method's) and a ray.wait pipeline whose last 3
tasks are cancelled; streams that raise midway or are cancelled through their generator; actor
handles passed to tasks and to an actor, an actor creating a child actor, a detached named
actor looked up from a task; a compiled graph of 3 actors executed 20 times and one of 2 actors
whose method raises once, torn down with kill_actors=True; graphs ended by a kill of one of
their actors and by Ray's shutdown; a multiprocessing Pool (initializer, starmap, map with
chunksize, apply) and an ActorPool built inside a task. Each node's calls, each caller ->
callee edge's calls, each attempt's final state are Ray's; the failures are the program's own,
no incomplete capture. Needs the `ray-libs` extra; 20-60 s per program."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from collections import Counter
from typing import Any

import pytest

from .harness import REPO, run_workload, temp_root
from .record_library_samples import CALL_SITES, TRUTH_FILE
from .test_live_explore import (  # noqa: F401
    _method_name, flows_by_name, graph_calls, no_invented_nodes, node_names, pytestmark)

__all__ = ["pytestmark"]


@functools.cache  # one run per program, shared by its tests
def _explored(workload: str, internals: bool = False) -> tuple[dict[str, Any], dict[str, Any],
                                                               int]:
    """test_live_explore.explored with the attempts: (the State API truth at `end`,
    `export --format json --attempts`, `check --max-failures 0`'s exit code). `internals`:
    the export with --internals, the attempts of Ray's internals kept (a compiled graph's
    loops, which Ray lists)."""
    with temp_root() as root:
        env: dict[str, Any] = dict(CALL_SITES)  # environment strings, none of its keywords
        run = run_workload(workload, root, **env)
        truth = json.loads((root / TRUTH_FILE).read_text())["phases"]["end"]
        out: dict[str, subprocess.CompletedProcess[str]] = {}
        shown = ["--internals"] if internals else []
        for verb, more in (("export", ["--format", "json", "--attempts", *shown]),
                           ("check", ["--max-failures", "0"])):
            out[verb] = subprocess.run(
                [sys.executable, "-m", "flowinsight", verb, str(run.session_dir), *more],
                capture_output=True, text=True, timeout=120, cwd=REPO)
    assert out["export"].returncode == 0, out["export"].stderr[-4000:]
    return truth, json.loads(out["export"].stdout), out["check"].returncode


def _truth_names(end: dict[str, Any]) -> dict[str, str]:
    """task id -> the name flowinsight gives its node: a function by Ray's name, a method as
    `Class.method`, a constructor by the actor's class (list_actors' class_name, e.g.
    `CompiledDAG.DAGDriverProxyActor` for a nested class)."""
    classes = {a["actor_id"]: a["class_name"] for a in end["actors"]}
    names = {}
    for t in end["tasks"]:
        if t["type"] == "ACTOR_CREATION_TASK":
            names[t["task_id"]] = classes[t["actor_id"]]
        elif t["type"] == "ACTOR_TASK":
            names[t["task_id"]] = _method_name(t)
        else:
            names[t["task_id"]] = t["name"]
    return names


def _truth_calls(end: dict[str, Any]) -> Counter[str]:
    names = _truth_names(end)
    return Counter(names[t["task_id"]] for t in end["tasks"] if t["attempt_number"] == 0)


def _truth_edges(end: dict[str, Any]) -> Counter[tuple[str, str]]:
    """(caller, callee) -> calls from each task's parent_task_id; a parent the State API does
    not list as a task is the driver (`main`)."""
    names = _truth_names(end)
    return Counter((names.get(t["parent_task_id"], "main"), names[t["task_id"]])
                   for t in end["tasks"] if t["attempt_number"] == 0)


def _graph_edges(doc: dict[str, Any]) -> Counter[tuple[str, str]]:
    name = node_names(doc)
    edges: Counter[tuple[str, str]] = Counter()
    for f in doc["callFlows"]:
        edges[(name.get(f["source"], f["source"]), name.get(f["target"], f["target"]))] += \
            f["count"]
    return edges


def _final_states(end: dict[str, Any]) -> dict[tuple[str, int], str]:
    return {(t["task_id"], t["attempt_number"]): t["state"] for t in end["tasks"]}


def _attempt_states(doc: dict[str, Any]) -> dict[tuple[str, int], str]:
    """flowinsight's attempts of the tasks Ray listed (the driver's own is no Ray task)."""
    return {(a["task_id"], a["attempt"]): a["status"] for a in doc["attempts"]
            if a["node"] != "main"}


def _loop_edges(runs: Counter[str]) -> Counter[tuple[str, str]]:
    """A compiled graph's runs, each called by its actor's loop (`Class.__ray_call__`)."""
    return Counter({(f"{method.split('.')[0]}.__ray_call__", method): n
                    for method, n in runs.items()})


def _held_to_the_state_api(workload: str, failures: int = 0,
                           runs: Counter[str] | None = None) -> tuple[dict[str, Any],
                                                                      dict[str, Any]]:
    """The checks every program here passes: Ray's calls, callers and final states; as many
    failures as the program really had (`check --max-failures 0` fails only then), a complete
    capture, nothing invented. `runs`: a compiled graph's runs of the user's methods by name
    (one per execute, known from the program), which Ray lists as no task: beyond Ray's, read
    with --internals (the loops that call them are Ray's, hidden otherwise)."""
    end, doc, verdict = _explored(workload, internals=runs is not None)
    runs = runs or Counter()
    assert graph_calls(doc) == _truth_calls(end) + runs
    assert _graph_edges(doc) == _truth_edges(end) + _loop_edges(runs)
    states = _attempt_states(doc)
    assert {k: v for k, v in states.items() if k in _final_states(end)} == _final_states(end)
    assert len(states) - len(_final_states(end)) == sum(runs.values())
    assert doc["summary"]["failures"]["total"] == failures
    assert verdict == (1 if failures else 0)
    assert doc["summary"]["coverage"]["ratio"] == 1.0
    assert doc["summary"]["warnings"] == []
    assert {e["category"] for e in doc["ends"]} <= {"intended"}
    no_invented_nodes(doc)
    return end, doc


def test_streaming_generators_and_a_wait_pipeline_with_cancels() -> None:
    end, doc = _held_to_the_state_api("explore11_streams")
    calls = graph_calls(doc)
    assert (calls["produce"], calls["side"], calls["Feed.items"], calls["work"]) == (1, 3, 1, 10)
    # the driver cancelled the 3 work tasks it had in flight (its ray.get raised
    # TaskCancelledError); they were running sync naps, which Ray let finish: the State API
    # lists all 10 FINISHED, and so does flowinsight (above), with no failure
    works = [t for t in end["tasks"] if t["name"] == "work"]
    assert Counter(t["state"] for t in works) == Counter({"FINISHED": 10})
    # a stream's data: each yield, then the generator task's own return, which the driver's
    # iteration reads at the end of the stream (ObjectRefGenerator: ray.get of the task's ref
    # raises the task's error, if any)
    flows = flows_by_name(doc)
    assert (flows[("produce", "main")][0], flows[("Feed.items", "main")][0]) == (10 + 1, 5 + 1)


def test_streams_that_break_or_are_cancelled() -> None:
    end, doc = _held_to_the_state_api("explore11_stream_faults", failures=2)
    # the two streams that raised are the failures, each with the error the user raised
    names = _truth_names(end)
    raised = sorted((names[t["task_id"]], t["error_message"].strip().splitlines()[-1])
                    for t in end["tasks"] if t["error_type"] == "TASK_EXECUTION_EXCEPTION")
    name = node_names(doc)
    assert sorted((name[f["node"]], f["message"]) for f in doc["failures"]) == raised
    assert [n for n, _ in raised] == ["Feed.bad", "broken"]
    # `endless`, cancelled through its generator after 3 items, stops at its next yield:
    # Ray lists it FINISHED (so does flowinsight, above), no failure
    assert [t["state"] for t in end["tasks"] if t["name"] == "endless"] == ["FINISHED"]


def test_actor_handles_passed_to_tasks_and_actors() -> None:
    _, doc = _held_to_the_state_api("explore11_handles")
    edges = _graph_edges(doc)
    # the caller of a call made through a passed handle is whoever made it, never main
    assert edges[("use_tally", "Tally.add")] == 5
    assert edges[("Relay.forward", "Tally.add")] == 2
    assert edges[("main", "Tally.add")] == 0
    assert (edges[("Parent.spawn", "Child")], edges[("Parent.spawn", "Child.work")]) == (1, 3)
    assert edges[("lookup", "Registry.put")] == 2
    assert [(e["kind"], e["error_type"]) for e in doc["ends"]
            if e["error_type"].endswith("RAY_KILL")] == [
        ("actor", "ACTOR_DIED_ERROR_CONTEXT:RAY_KILL")]  # the driver's ray.kill(registry)


# explore11_cgraph's runs: a.f, b.g, c.h 20 executes, d.f and e.picky 5
_CGRAPH_RUNS = Counter({"Step.f": 20 + 5, "Step.g": 20, "Step.h": 20, "Step.picky": 5})


def test_compiled_graphs_torn_down() -> None:
    # picky raised on one execute (the driver caught the ValueError): a failure of its node
    end, doc = _held_to_the_state_api("explore11_cgraph", failures=1, runs=_CGRAPH_RUNS)
    calls = graph_calls(doc)
    # five Step actors, each running its part of a graph inside Ray's __ray_call__ calls
    # (channel setup, the do_exec_tasks loop, teardown), Ray's own: marked internal
    assert (calls["Step"], calls["Step.count"]) == (5, 3)
    assert calls["Step.__ray_call__"] == sum(
        1 for t in end["tasks"] if t["name"] == "Step.__ray_call__") > 0
    name = node_names(doc)
    assert {name[m["id"]] for m in doc["methods"] if m["internal"]} == {"Step.__ray_call__"}
    states = _attempt_states(doc)
    assert Counter(states[k] for k in states.keys() - _final_states(end).keys()) == Counter(
        {"FINISHED": 69, "FAILED": 1})
    assert [(name[f["node"]], f["error_type"], f["message"]) for f in doc["failures"]] == [
        ("Step.picky", "TASK_EXECUTION_EXCEPTION", "ValueError: picky: 4 is refused on purpose")]
    # what the graphs' channels carried, read in the reading run, written by the writing
    # one: one value per execute and link (a->b, b->c 20 each; d->e 5), between the methods
    flows = {pair: count for pair, (count, _) in flows_by_name(doc).items()}
    assert (flows[("main", "Step.f")], flows[("Step.f", "Step.g")], flows[("Step.g", "Step.h")],
            flows[("Step.h", "main")], flows[("Step.f", "Step.picky")],
            flows[("Step.picky", "main")]) == (25, 20, 20, 20, 5, 5)
    assert ("Step.__ray_call__", "Step.__ray_call__") not in flows
    owner = {m["id"]: m["actorId"] for m in doc["methods"]}
    links = {(owner[f["source"]], owner[f["target"]]): f["count"] for f in doc["dataFlows"]
             if f["source"] in owner and f["target"] in owner}
    assert sorted(links.values()) == [5, 20, 20]
    (s1, t1), (s2, t2) = [pair for pair, count in links.items() if count == 20]
    assert (t1 == s2 or t2 == s1) and len({s1, t1, s2, t2}) == 3  # one chain a -> b -> c
    a, b, c = (s1, t1, t2) if t1 == s2 else (s2, t2, t1)
    # the graph's input is read by a from the driver's channel, its output by the driver from
    # c's: 20 transfers more than b's (the three take the same __ray_call__ arguments, return
    # the same results)
    with_main: Counter[tuple[str, str]] = Counter()
    for f in doc["dataFlows"]:
        if f["source"] == "main" and f["target"] in owner:
            with_main[("in", owner[f["target"]])] += f["count"]
        if f["target"] == "main" and f["source"] in owner:
            with_main[("out", owner[f["source"]])] += f["count"]
    assert with_main[("in", a)] - with_main[("in", b)] == 20 == with_main[("in", a)] - \
        with_main[("in", c)]
    assert with_main[("out", c)] - with_main[("out", b)] == 20 == with_main[("out", c)] - \
        with_main[("out", a)]
    # teardown(kill_actors=True) of the second graph: ray.kill of its 2 actors, intended
    killed = [e for e in doc["ends"] if e["error_type"].endswith("RAY_KILL")]
    assert len(killed) == 2 == sum(1 for a in end["actors"] if a["state"] == "DEAD")


def test_a_compiled_method_skipped_for_its_inputs_error() -> None:
    """A.f raised on one of 3 executes: Ray passed its error on through B's loop without
    calling B.g; that run of g failed by its input, as a non-compiled call of g would, a
    consequence of f's failure."""
    end, doc = _held_to_the_state_api("explore11_cgraph_skip", failures=2,
                                      runs=Counter({"Step.f": 3, "Step.g": 3}))
    name = node_names(doc)
    failures = {(name[f["node"]], f["message"]): f for f in doc["failures"]}
    raised = failures[("Step.f", "KeyError: 'f refuses 1'")]
    skipped = failures[("Step.g", "an input failed: KeyError: 'f refuses 1'")]
    assert len(failures) == 2 and skipped["cause"] == raised["key"] and not raised["cause"]
    states = _attempt_states(doc)
    runs = Counter((name[a["node"]], a["status"]) for a in doc["attempts"]
                   if (a["task_id"], a["attempt"]) in states.keys() - _final_states(end).keys())
    assert runs == Counter({("Step.f", "FINISHED"): 2, ("Step.f", "FAILED"): 1,
                            ("Step.g", "FINISHED"): 2, ("Step.g", "FAILED"): 1})
    # the error went the graph's way, a value each execute: main -> f -> g -> main
    flows = {pair: count for pair, (count, _) in flows_by_name(doc).items()}
    assert (flows[("main", "Step.f")], flows[("Step.f", "Step.g")],
            flows[("Step.g", "main")]) == (3, 3, 3)


def test_compiled_graphs_ended_by_a_kill_and_by_shutdown() -> None:
    """The State API is read before ray.shutdown(), while graph two still runs: its teardown
    at shutdown (one more __ray_call__ per actor, do_cancel_executable_tasks; the loops end)
    comes after, and is in the logs flowinsight reads. Read with --internals: the loops'
    attempts are Ray's, hidden otherwise."""
    end, doc, verdict = _explored("explore11_cgraph_ends", internals=True)
    running = {key for key, state in _final_states(end).items() if state == "RUNNING"}
    assert len(running) == 2  # graph two's two do_exec_tasks loops
    states = _attempt_states(doc)
    assert {k: states[k] for k in _final_states(end)} == {
        **_final_states(end), **dict.fromkeys(running, "FINISHED")}
    after = Counter((a["node"].split(".")[-1], a["status"]) for a in doc["attempts"]
                    if (a["task_id"], a["attempt"]) in states.keys() - _final_states(end).keys())
    # the runs of f: A's (as A counted them), B's 5 before the kill, C's and D's 3; and the
    # teardown's two __ray_call__
    a_ran = int(end["note"].split(":")[0].removeprefix("a_ran="))
    assert a_ran in (5, 6)
    runs = Counter({"Step.f": a_ran + 5 + 3 + 3})
    assert after == Counter({("f", "FINISHED"): runs["Step.f"], ("__ray_call__", "FINISHED"): 2})
    truth = _truth_calls(end) + runs
    truth["Step.__ray_call__"] += 2
    assert graph_calls(doc) == truth
    per_actor = Counter(m["actorId"] for m in doc["methods"] for _ in range(m["calls"])
                        if m["name"] == "__ray_call__")
    assert sorted(per_actor.values()) == [5, 5, 5, 5]  # 3 to set up, the loop, the teardown
    edges = _truth_edges(end) + _loop_edges(runs)
    edges[("main", "Step.__ray_call__")] += 2
    assert _graph_edges(doc) == edges
    # B killed under a running graph: its loop and the teardown's call to it end with
    # ACTOR_DIED, as the State API says; the kill was the user's, so neither is a failure
    died = sorted(t["error_type"] for t in end["tasks"] if t["state"] == "FAILED")
    assert died == ["ACTOR_DIED"] * 2
    assert sorted((e["kind"], e["error_type"], e["category"]) for e in doc["ends"]
                  if e["kind"] == "task") == [("task", "ACTOR_DIED", "intended")] * 2
    assert doc["summary"]["failures"]["total"] == 0 and verdict == 0
    assert doc["summary"]["coverage"]["ratio"] == 1.0 and doc["summary"]["warnings"] == []
    assert {e["category"] for e in doc["ends"]} == {"intended"}
    no_invented_nodes(doc)


def test_pools_with_initializer_chunks_and_an_actor_pool_in_a_task() -> None:
    _, doc = _held_to_the_state_api("explore11_pools")
    calls = graph_calls(doc)
    assert (calls["PoolActor"], calls["Worker"], calls["fan_out"]) == (2, 2, 1)
    # the ActorPool's calls are made by the task that holds it
    assert _graph_edges(doc)[("fan_out", "Worker.work")] == 4
