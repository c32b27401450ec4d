"""The Chrome trace (structure checked here; tests/trace loads it in a real trace engine) and
the view steps: --job, --since/--until, --group-by class, --focus."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from conftest import CAPTURES, calls_by_label, cli, json_of, render, result_of, sample
from flowinsight.pipeline import Options, analyze
from flowinsight.read import discover, read_capture
from flowinsight.labels import Labels


@pytest.mark.parametrize("name", CAPTURES)
def test_trace_has_one_slice_per_executed_attempt(name: str) -> None:
    result = result_of(sample(name))
    events = orjson.loads(render(result, "trace"))["traceEvents"]
    slices = [e for e in events if e["ph"] == "X"]
    executed = [a for a in result.attempts if a.exec_ms is not None]
    assert sorted((s["args"]["task_id"], s["args"]["attempt"]) for s in slices) == sorted(
        (a.task_id, a.attempt) for a in executed)
    named = {(e["pid"], e["tid"]) for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
    assert {(s["pid"], s["tid"]) for s in slices} <= named
    starts = [e["id"] for e in events if e["ph"] == "s"]
    ends = [e["id"] for e in events if e["ph"] == "f"]
    assert sorted(starts) == sorted(ends) and len(set(starts)) == len(starts)
    assert all(isinstance(e["pid"], int) and isinstance(e["tid"], int) for e in events)
    # processes are the drivers and the Ray nodes, named with their IPs and ids; a worker's
    # thread is under one process only
    processes = [e["args"]["name"] for e in events if e["name"] == "process_name"]
    assert all(p == "driver" or p.startswith("Ray node ") for p in processes), processes
    threads = [(e["pid"], e["args"]["name"]) for e in events if e["name"] == "thread_name"]
    assert len({name for _, name in threads}) == len(threads), threads


def test_trace_marks_the_failure_and_names_methods() -> None:
    events = orjson.loads(render(result_of(sample("lattice_workflow")), "trace"))["traceEvents"]
    failed = [e for e in events if e["ph"] == "X" and e["args"]["status"] == "FAILED"]
    assert [(e["name"], e["args"]["error"], e["cname"]) for e in failed] == [
        ("run_code_task", "TASK_EXECUTION_EXCEPTION", "terrible")]
    assert [e["name"] for e in events if e["ph"] == "I" and e["cat"] == "failure"] == [
        "failed: TASK_EXECUTION_EXCEPTION"]
    sage = orjson.loads(render(result_of(sample("sage_pipeline")), "trace"))["traceEvents"]
    names = {e["name"] for e in sage if e["ph"] == "X"}
    # named as the graph names them: the actor's name, not only its class
    assert {"RayTask 'source'.put_packet", "RayTask 'sink'.__init__", "RayTask 'map_0'.connect",
            "main"} <= names
    # queue time: one async begin/end pair per attempt that waited
    begins = [e for e in sage if e["ph"] == "b"]
    assert begins and all(e["name"].startswith("queued: ") for e in begins)


def test_trace_places_each_worker_under_one_named_node() -> None:
    """Ray's actor-creation records name the worker's pid but not its node or id: they join
    the worker with that pid, on its node, instead of a made-up `node (unknown` process."""
    result = result_of(sample("recorded/sage_pipeline"))
    events = orjson.loads(render(result, "trace"))["traceEvents"]
    processes = {e["pid"]: e["args"]["name"] for e in events if e["name"] == "process_name"}
    node = "35f869d55da5fcdc4ffbe73fec8b3264401932d230a8e7aca1f93cca"
    # the node's IP from its EXPORT_NODE events, then its id (pipeline/node_ips.py)
    assert processes == {1: "driver", 2: f"Ray node 127.0.0.1 ({node})"}
    threads = {e["tid"]: (e["pid"], e["args"]["name"]) for e in events
               if e["name"] == "thread_name"}
    assert sorted(threads.values()) == [
        (1, "driver job 01000000"), (2, "worker 25527 (4e667672)"),
        (2, "worker 25528 (bd343f49)"), (2, "worker 25553 (b555d34d)"),
        (2, "worker 25578 (14c8eda3)")]
    slices: dict[str, set[str]] = {}
    for e in events:
        if e["ph"] == "X":
            slices.setdefault(threads[e["tid"]][1], set()).add(e["name"])
    # each actor's creation is on the worker that then runs its methods
    for actor, worker in (("source", "25528"), ("map_0", "25527"), ("map_1", "25553"),
                          ("sink", "25578")):
        thread = next(name for name in slices if name.startswith(f"worker {worker} "))
        assert {n.split(".")[0] for n in slices[thread]} == {f"RayTask '{actor}'"}
        assert f"RayTask '{actor}'.__init__" in slices[thread]
    # one arrow per call, from an instant at submission on the caller's thread
    calls = [e for e in events if e["ph"] == "s"]
    assert len(calls) == sum(c.count for c in result.call_flows) == 215
    instants = {(e["pid"], e["tid"], e["ts"]) for e in events
                if e["ph"] == "I" and e["cat"] == "task"}
    assert {(e["pid"], e["tid"], e["ts"]) for e in calls} <= instants


def test_group_by_class_collapses_instances() -> None:
    capture = read_capture(discover([str(sample("nested_tasks"))]))
    result = analyze(capture, Options(group_by="class"))
    calls = {(c.source, c.target): c.count for c in result.call_flows}
    assert calls[("class:Stage.put_packet", "class:Stage.put_packet")] == 10
    assert calls[("main", "class:Stage")] == 3
    assert [(a.id, a.class_name, a.actor_name) for a in result.actors] == [
        ("class:Stage", "Stage", "3 instances")]


def test_focus_keeps_a_node_and_its_neighbours() -> None:
    capture = read_capture(discover([str(sample("nested_tasks"))]))
    result = analyze(capture, Options(focus="produce"))
    assert {n.id for n in result.nodes} == {"produce", "parent"}
    assert [(c.source, c.target, c.count) for c in result.call_flows] == [("parent", "produce", 3)]


def test_focus_matches_the_names_the_tables_show() -> None:
    """A name copied from a table (`RayTask 'sink'.put_packet`, an unnamed instance's
    `Stage #<short id>.put_packet`) is a --focus that matches that node, and a --focus that
    matches nothing suggests such names, not raw ids."""
    capture = read_capture(discover([str(sample("sage_pipeline"))]))
    result = analyze(capture, Options(focus="RayTask 'sink'.put_packet"))
    labels = Labels(result)
    assert sorted((labels.node(c.source), labels.node(c.target), c.count)
                  for c in result.call_flows) == [
        ("RayTask 'map_0'.put_packet", "RayTask 'sink'.put_packet", 40),
        ("RayTask 'map_1'.put_packet", "RayTask 'sink'.put_packet", 40)]
    nested = read_capture(discover([str(sample("nested_tasks"))]))
    one = analyze(nested, Options(focus="Stage #8763c1.put_packet"))
    assert sorted(Labels(one).node(n.id) for n in one.nodes) == [
        "Stage #8763c1", "Stage #8763c1.put_packet", "Stage #e2e4bc", "Stage #e2e4bc.put_packet",
        "main"]
    wrong = cli("analyze", "samples/nested_tasks", "--focus", "Stage #8763c1.put_pakcet")
    assert wrong.returncode == 2
    assert wrong.stderr.decode().endswith(
        "the nearest node names: Stage #8763c1.put_packet, Stage #e2e4bc.put_packet, "
        "Stage #96ba04.put_packet, Stage #8763c1\n")


def test_time_window() -> None:
    capture = read_capture(discover([str(sample("lattice_workflow"))]))
    full = analyze(capture)
    submits = sorted(a.pending_ns for a in full.attempts
                     if a.pending_ns and a.node == "run_code_task")
    # the tasks run one after another: from the 4th submission on, the 4th and 5th and the
    # batches remain
    late = analyze(capture, Options(since_ns=submits[3]))
    counts = {(c.source, c.target): c.count for c in late.call_flows}
    assert counts == {("main", "run_code_task"): 2, ("main", "_run_batch_task"): 3}
    # the result says what the window kept, and that a job's wall time is still its whole run
    assert [w for w in late.warnings if w.startswith("time window")] == [
        f"time window from {_utc(submits[3])}: the graph, tables, failures and critical path "
        "hold the tasks active in it, each whole; the jobs' start and wall time are their "
        "whole run's"]
    assert not [w for w in full.warnings if w.startswith("time window")]


def _utc(ns: int) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(ns // 1_000_000 / 1000, tz=timezone.utc).isoformat(
        sep=" ", timespec="milliseconds").replace("+00:00", " UTC")


def test_cli_views_and_trace_file(tmp_path: Path) -> None:
    out = tmp_path / "t.trace.json"
    proc = cli("export", "samples/lattice_workflow", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "traceEvents" in orjson.loads(out.read_bytes())
    proc = cli("export", "samples/lattice_workflow", "--since", "0.39")
    assert proc.returncode == 0, proc.stderr
    assert sum(c["count"] for c in orjson.loads(proc.stdout)["callFlows"]) < 8
    bad = cli("export", "samples/lattice_workflow", "--since", "yesterday")
    assert bad.returncode == 2 and b"--since 'yesterday'" in bad.stderr
    focus = cli("export", "samples/sage_pipeline", "--focus", "sink")
    doc = orjson.loads(focus.stdout)
    assert {a["actor_name"] for a in doc["actors"]} == {"sink", "map_0", "map_1"}
    assert calls_by_label(doc)[("map_0.put_packet", "sink.put_packet")] == 40
    crit = cli("export", "samples/sage_pipeline", "--format", "dot", "--critical-path")
    assert crit.stdout.count(b'color="#d35400"') >= 4  # 3 critical edges + highlighted nodes


def test_a_window_that_ends_before_it_begins_is_a_usage_error() -> None:
    """--since after --until (in seconds or against an ISO time) holds no task: exit 2 with one
    line naming both, not an empty graph that looks like a run without calls."""
    bad = cli("analyze", "samples/nested_tasks", "--since", "5", "--until", "1")
    assert (bad.returncode, bad.stdout, bad.stderr) == (
        2, b"", b"flowinsight: error: --since 5 is after --until 1: the window holds no time; "
                b"give --since before --until\n")
    # the first event is at 01:43:26.09: 1 s after it is before 01:43:30
    mixed = cli("export", "samples/nested_tasks", "--since", "2026-11-22T01:43:30",
                "--until", "1")
    assert mixed.returncode == 2 and b"is after --until 1" in mixed.stderr
    assert cli("analyze", "samples/nested_tasks", "--since", "1", "--until", "1").returncode == 0


def test_a_window_does_not_call_actors_outside_it_silent() -> None:
    """nested_tasks' three Stage actors have Ray's task events (created 1.36-1.43 s after the
    first submission, their calls from 3.25 s on): a window between leaves their records out,
    which is no sign their task events were off."""
    capture = read_capture(discover([str(sample("nested_tasks"))]))
    first = min(a.pending_ns for a in analyze(capture).attempts if a.pending_ns)
    early = analyze(capture, Options(since_ns=first + 2_000_000_000,
                                     until_ns=first + 3_000_000_000))
    assert not [w for w in early.warnings if "without any task event" in w], early.warnings
    assert sorted(n.name for n in early.nodes if n.calls) == ["consume", "parent", "produce"]


def test_a_window_holds_the_deaths_and_the_actors_of_its_time() -> None:
    """libraries/actor_restart, in seconds from the first submission (254.59 s): Phoenix's
    restart stamped 254 s, Bystander's ray.kill 256 s, Phoenix's end with its owner 259 s (Ray
    stamps actor states in whole seconds). A window lists the deaths stamped in it, a second
    of slack each side, and the actors alive in it, called or not; an attempt's failure comes
    with its task, which the window selects."""
    capture = read_capture(discover([str(sample("libraries/actor_restart"))]))
    full = analyze(capture)
    first = min(a.pending_ns for a in full.attempts if a.pending_ns)
    by_class = {a.id: a.class_name for a in full.actors}

    def window(since: float, until: float) -> tuple[list[str], list[str], list[str]]:
        r = analyze(capture, Options(since_ns=first + int(since * 1e9),
                                     until_ns=first + int(until * 1e9)))
        return (sorted(f.error_type for f in r.failures if not f.task_id),
                sorted(f.error_type for f in r.ends),
                sorted(by_class[a.id] for a in r.actors))

    kill, owner = "ACTOR_DIED_ERROR_CONTEXT:RAY_KILL", "ACTOR_DIED_ERROR_CONTEXT:OWNER_DIED"
    assert window(-1, 20) == (["ACTOR_RESTARTING"], [owner, kill], ["Bystander", "Phoenix"])
    assert window(0, 0.3) == (["ACTOR_RESTARTING"], [], ["Bystander", "Phoenix"])
    assert window(1, 2) == ([], [kill], ["Bystander", "Phoenix"])
    # Bystander gone, Phoenix idle until its owner ends it
    assert window(3, 3.2) == ([], [], ["Phoenix"])
    assert window(4, 5) == ([], [owner], ["Phoenix"])
    assert window(10, 20) == ([], [], [])


def test_job_option_on_real_capture() -> None:
    assert json_of(sample("sage_pipeline"), job="02000000")["callFlows"] == []
