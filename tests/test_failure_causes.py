"""One cause, one story (docs/failures.md, "One cause, its consequences"): each failure that
another recorded failure explains is linked to it by its key, the counts stay Ray's, and the
renderers tell the cause once with what followed from it. On real captures, checked against
Ray's State API (their state_truth.json), a node's death too (tests/data/node_death), and on
hand-made events for the worker's death no capture here holds."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import replace
from typing import Any

from conftest import ROOT, cli, render, result_of
from flowinsight.labels import Labels
from flowinsight.model.events import ActorUpdate, FailureNote
from flowinsight.pipeline.failures import judge
from flowinsight.render.story import told
from flowinsight.result import Attempt, Failure, Result, failure_groups

DATA = ROOT / "tests" / "data"
JOB = "01000000"


def _truth(name: str, file: str = "state_truth.json") -> dict[str, Any]:
    """What Ray's State API listed (the capture's script saved it)."""
    doc: dict[str, Any] = json.loads((DATA / name / file).read_text())
    return doc["phases"]["end"] if "phases" in doc else doc


def _causes(result: Result) -> dict[str, str]:
    """Each failure's key and the key of its cause."""
    return {f.key: f.cause for f in result.failures}


def test_an_actors_restart_and_death_explain_the_calls_they_cut() -> None:
    result = result_of(DATA / "actor_crash_retried")
    truth = _truth("actor_crash_retried")
    actors = {a["class_name"]: a for a in truth["actors"]}
    sturdy, fragile = actors["Sturdy"]["actor_id"], actors["Fragile"]["actor_id"]
    assert (actors["Sturdy"]["num_restarts"], actors["Fragile"]["state"]) == (1, "DEAD")
    restart = f"actor:{sturdy}:ACTOR_RESTARTING@1796630162000"
    death = f"actor:{fragile}:ACTOR_DIED_ERROR_CONTEXT:WORKER_DIED@1796630163000"
    # every attempt the State API lists FAILED, by its actor: the restart or the death
    expected = {f"task:{t['task_id']}:{t['attempt_number']}":
                restart if t["actor_id"] == sturdy else death
                for t in truth["tasks"] if t["state"] == "FAILED"}
    assert Counter(expected.values()) == {restart: 4, death: 3}
    assert _causes(result) == {**expected, restart: "", death: ""}
    # the counts are Ray's: 9 failures, 2 causes
    assert len(result.failures) == 9 and len(failure_groups(result.failures)) == 2


def test_the_terminal_tells_each_cause_once() -> None:
    out = cli("analyze", str(DATA / "actor_crash_retried")).stdout.decode()
    assert ("failures       9 from 2 causes (ACTOR_DIED 3, ACTOR_DIED_ERROR_CONTEXT:WORKER_DIED"
            " 1, ACTOR_RESTARTING 1, ACTOR_UNAVAILABLE 4): see Failures below") in out
    section = out.split("Failures (9 from 2 causes)\n", 1)[1].splitlines()
    assert section[:9] == [
        "1. Sturdy (actor): ACTOR_RESTARTING",
        "   at 0.05 s",
        "   on Ray node 127.0.0.1",
        "   4 calls failed with it: Sturdy.ping ×3, Sturdy.work ×1",
        "     ACTOR_UNAVAILABLE: The actor is temporarily unavailable: RpcError: RPC error: "
        "recvmsg:Connection reset by peer rpc_code: 14",
        "       - Sturdy.ping, task f4402ec78d3a2607dba55f834fcd0c259673e6da01000000 attempt 0, "
        "at 0.39 s",
        "       - Sturdy.work, task c2668a65bda616c1dba55f834fcd0c259673e6da01000000 attempt 0, "
        "at 0.39 s",
        "       - Sturdy.ping, task e0dc174c83599034dba55f834fcd0c259673e6da01000000 attempt 0, "
        "at 0.39 s",
        "       - Sturdy.ping, task 32d950ec0ccf9d2adba55f834fcd0c259673e6da01000000 attempt 0, "
        "at 0.39 s"]
    assert section[9].startswith("2. Fragile (actor): ACTOR_DIED_ERROR_CONTEXT:WORKER_DIED: The "
                                 "actor is dead because its worker process has died.")
    # Fragile's 600-character message once, not again in each of the 3 calls
    assert section[10:] == [
        "   at 1.05 s",
        "   on Ray node 127.0.0.1",
        "   3 calls failed with it: Fragile.ping ×2, Fragile.work ×1",
        "     ACTOR_DIED",
        "       - Fragile.ping, task 80e22aed7718a1254db4c3dd1eae46fc9e67d25801000000 attempt 0, "
        "at 1.84 s",
        "       - Fragile.work, task 82891771158d68c14db4c3dd1eae46fc9e67d25801000000 attempt 0, "
        "at 1.84 s",
        "       - Fragile.ping, task 8849b62d89cb30f94db4c3dd1eae46fc9e67d25801000000 attempt 0, "
        "at 1.84 s",
        ""]
    assert out.count("Worker unexpectedly exits with a connection error code 2") == 1


def test_markdown_tells_each_cause_once() -> None:
    md = render(result_of(DATA / "actor_crash_retried"), "markdown").decode()
    assert "| failures | 9 from 2 causes (ACTOR\\_DIED 3, " in md
    rows = md.split("#### Failures\n\n", 1)[1].splitlines()[2:]
    assert [r.split(" | ")[0] for r in rows] == [
        "| Sturdy", "| ↳ 4 calls failed with it: Sturdy.ping ×3, Sturdy.work ×1",
        "| ↳ Sturdy.ping", "| ↳ Sturdy.work", "| ↳ Sturdy.ping", "| ↳ Sturdy.ping",
        "| Fragile", "| ↳ 3 calls failed with it: Fragile.ping ×2, Fragile.work ×1",
        "| ↳ Fragile.ping", "| ↳ Fragile.work", "| ↳ Fragile.ping"]
    assert rows[8].split(" | ")[5] == "ACTOR\\_DIED"  # the cause's message not said again
    assert md.count("Worker unexpectedly exits with a connection error code 2") == 1


def test_a_killed_driver_explains_the_actor_it_owned() -> None:
    result = result_of(DATA / "driver_killed_mid_run")
    [keeper] = [a for a in _truth("driver_killed_mid_run", file="state_after_kill.json")["actors"]
                if a["state"] == "DEAD"]
    # the State API's death cause of Keeper (its script kept the head of it): the owner's id
    found = re.search(r"Owner Id: ([0-9a-f]+) ", keeper["death"])
    assert found is not None and found.group(1) == JOB + "f" * 48  # the driver's worker id
    driver = f"driver:{found.group(1)}@1796636302000"
    [actor] = [f.node for f in result.failures if f.kind == "actor"]
    assert _causes(result) == {
        f"actor:{actor}:ACTOR_DIED_ERROR_CONTEXT:OWNER_DIED@1796636302000": driver, driver: ""}
    out = cli("analyze", str(DATA / "driver_killed_mid_run")).stdout.decode()
    assert "failures       2 from 1 cause (" in out
    assert "   1 failure followed from it: Keeper (actor) ×1\n" in out


def test_a_failed_constructor_and_a_failed_input_explain_what_they_failed() -> None:
    result = result_of(DATA / "core_failure_causes")
    truth = _truth("core_failure_causes")
    [broken] = [a["actor_id"] for a in truth["actors"] if a["class_name"] == "Broken"]
    # what Ray failed, but for its cancels (intended: no failure)
    failed = [t for t in truth["tasks"] if t["state"] == "FAILED"
              and t["error_type"] != "TASK_CANCELLED"]
    tasks = {t["name"]: t for t in failed}
    key = {f"task:{t['task_id']}:{t['attempt_number']}" for t in failed}
    assert set(_causes(result)) == key
    creation = f"task:{'f' * 16}{broken}:0"
    boom = f"task:{tasks['boom']['task_id']}:0"
    pings = [f"task:{t['task_id']}:{t['attempt_number']}" for t in truth["tasks"]
             if t["name"] == "Broken.ping" and t["state"] == "FAILED"]
    assert len(pings) == 2
    assert _causes(result) == {
        creation: "", boom: "", f"task:{tasks['plain']['task_id']}:0": "",
        **{p: creation for p in pings}, f"task:{tasks['after_boom']['task_id']}:0": boom}
    assert len(result.failures) == 6 and len(failure_groups(result.failures)) == 3
    out = cli("analyze", str(DATA / "core_failure_causes")).stdout.decode()
    assert "failures       6 from 3 causes (" in out
    assert "   2 calls failed with it: Broken.ping ×2\n     ACTOR_DIED\n" in out
    assert ("   1 call failed with it: after_boom ×1\n     TASK_EXECUTION_EXCEPTION: input from "
            "boom failed: RuntimeError: boom fails on purpose\n") in out


def test_an_actor_never_made_explains_its_calls() -> None:
    result = result_of(DATA / "actor_never_made")
    truth = _truth("actor_never_made")
    # the call to the actor whose runtime_env failed (the other Lost was killed: no failure)
    [ping] = [t for t in truth["tasks"] if t["name"] == "Lost.ping"
              and t["error_type"] == "RUNTIME_ENV_SETUP_FAILED"]
    creation = f"task:{'f' * 16}{ping['actor_id']}:0"
    causes = _causes(result)
    assert causes[f"task:{ping['task_id']}:0"] == creation and causes[creation] == ""
    assert sorted(causes.values()) == ["", "", creation]  # `dies` is its own


def test_failures_alike_that_do_not_explain_each_other_stay_apart() -> None:
    for name, n in (("tune_retry_function", 2), ("train_torch_killed", 1),
                    ("data_udf_errors", 4), ("placement_group_ready", 3)):
        result = result_of(DATA / name)
        assert len(result.failures) == n and {f.cause for f in result.failures} == {""}, name
        assert len(failure_groups(result.failures)) == n
        out = cli("analyze", str(DATA / name)).stdout.decode()
        assert f"\nFailures ({n})\n" in out and " from " not in out.split("\nfailures ")[1][:8]


def test_the_link_survives_a_view() -> None:
    whole = {f.key: f.cause for f in result_of(DATA / "actor_crash_retried").failures}
    # a view of Fragile.ping keeps its actor (a neighbour): the calls keep their cause
    doc = json.loads(cli("export", "--format", "json", "--focus", "Fragile.ping",
                         str(DATA / "actor_crash_retried")).stdout)
    kept = {f["key"]: f["cause"] for f in doc["failures"]}
    assert len(kept) == 3 and all(whole[k] == c for k, c in kept.items())
    assert doc["summary"]["failures"] == {
        "total": 3, "causes": 1,
        "by_type": {"ACTOR_DIED": 2, "ACTOR_DIED_ERROR_CONTEXT:WORKER_DIED": 1}}
    # by class, the actors' deaths are no failures of the view (their classes are its nodes):
    # the calls name them still, and are told alone, as before
    doc = json.loads(cli("export", "--format", "json", "--group-by", "class",
                         str(DATA / "actor_crash_retried")).stdout)
    kept = {f["key"]: f["cause"] for f in doc["failures"]}
    assert len(kept) == 7 and all(whole[k] == c for k, c in kept.items())
    assert doc["summary"]["failures"]["causes"] == 7
    # a view of after_boom leaves boom out: its failure still names boom's, and is told alone
    boom = {f.key: f.cause for f in result_of(DATA / "core_failure_causes").failures}
    doc = json.loads(cli("export", "--format", "json", "--focus", "after_boom",
                         str(DATA / "core_failure_causes")).stdout)
    [(key, cause)] = [(f["key"], f["cause"]) for f in doc["failures"]]
    assert boom[key] == cause and cause not in {f["key"] for f in doc["failures"]}
    assert doc["summary"]["failures"]["causes"] == 1
    out = cli("analyze", "--focus", "after_boom", str(DATA / "core_failure_causes")).stdout
    assert b"\nFailures (1)\n1. after_boom (task): TASK_EXECUTION_EXCEPTION: input from boom " \
        b"failed: RuntimeError: boom fails on purpose\n" in out


# -- hand-made events: a worker's and a node's death, a crash note of an actor's worker --------

WORKER = "77" * 28
NODE = "bb" * 28
ACTOR = "a1" * 16


def attempt(task: str, node: str, status: str = "FAILED", error: str = "WORKER_DIED",
            worker: str = WORKER, end: int = 2_100_000_000, ray_node: str = "") -> Attempt:
    return Attempt(task, 0, node, "ff" * 20 + JOB, status, error, "the worker died", ray_node,
                   worker, None, 1_000_000_000, 1_000_000_000, end)


def note(label: str, worker: str = WORKER, node: str = "", t: float = 2.0,
         message: str = "Worker exit type: SYSTEM_ERROR Worker exit detail: x") -> FailureNote:
    return FailureNote("e1", label, message, "ERROR", "RAYLET", JOB, node, worker, 7, t, "", "")


def _judged(attempts: list[Attempt], notes: list[FailureNote],
            updates: list[ActorUpdate] = []) -> list[Failure]:
    return list(judge(attempts, [a for a in attempts if a.status == "FAILED"], updates, notes,
                      [], lambda t: JOB, lambda j: "main", lambda a: True).failures)


def test_the_attempts_a_worker_death_failed_follow_from_it() -> None:
    # an async actor's worker died running two calls: the raylet's label stands for one (the
    # nearest), the other follows from it
    a1 = attempt("t1" + "0" * 46, "f", end=2_000_000_000)
    a2 = attempt("t2" + "0" * 46, "f", end=2_300_000_000)
    failures = _judged([a1, a2], [note("RAY_WORKER_FAILURE")])
    assert [(f.key, f.cause) for f in failures] == [
        (f"task:{a1.task_id}:0", ""), (f"task:{a2.task_id}:0", f"task:{a1.task_id}:0")]


def test_the_attempts_a_node_death_failed_follow_from_it() -> None:
    removed = note("RAY_NODE_REMOVED", worker="", node=NODE, message="Node has been marked dead")
    a1 = attempt("t1" + "0" * 46, "f", error="NODE_DIED", worker="11" * 28, ray_node=NODE)
    a2 = attempt("t2" + "0" * 46, "g", error="NODE_DIED", worker="22" * 28, ray_node=NODE,
                 end=2_500_000_000)
    other = attempt("t3" + "0" * 46, "g", error="NODE_DIED", worker="33" * 28,
                    ray_node="cc" * 28)
    failures = _judged([a1, a2, other], [removed])
    assert [(f.key, f.cause) for f in failures] == [
        (f"task:{a1.task_id}:0", ""), (f"task:{a2.task_id}:0", f"task:{a1.task_id}:0"),
        (f"task:{other.task_id}:0", "")]


def test_a_crash_note_of_an_actors_worker_is_drawn_on_the_actor() -> None:
    # the actor's calls all finished on that worker; it died later, between calls
    done = attempt(f"{'ab' * 8}{ACTOR}", f"{ACTOR}.ping", "FINISHED", "", end=1_500_000_000)
    [f] = _judged([done], [note("RAY_WORKER_FAILURE", t=30.0)])
    assert (f.kind, f.node, f.key) == ("worker", ACTOR, f"worker:{WORKER}@30000")
    # without the attempt, by the pid its EXPORT_ACTOR names (Ray's "Worker PID: 42")
    alive = ActorUpdate(ACTOR, JOB, "Counter", "", "ALIVE", "", 42, False, "", "", 1.0, "")
    [f] = _judged([], [note("RAY_WORKER_FAILURE", t=30.0,
                            message="Worker PID: 42 Worker exit type: SYSTEM_ERROR")], [alive])
    assert f.node == ACTOR
    [f] = _judged([], [note("RAY_WORKER_FAILURE", t=30.0,
                            message="Worker PID: 43 Worker exit type: SYSTEM_ERROR")], [alive])
    assert f.node == ""  # another process: on no node, as before
    there = replace(alive, node_id="dd" * 28)
    [f] = _judged([], [note("RAY_WORKER_FAILURE", t=30.0, node="cc" * 28,
                            message="Worker PID: 42 Worker exit type: SYSTEM_ERROR")], [there])
    assert f.node == ""  # the same pid on another Ray node is another process


def test_the_stories_follow_causes_transitively_and_never_loop() -> None:
    a = Failure("task", "f", "t1", 0, "X", "m", 1.0, key="a")
    b = Failure("task", "g", "t2", 0, "Y", "m", 2.0, key="b", cause="a")
    c = Failure("task", "h", "t3", 0, "Y", "m", 3.0, key="c", cause="b")
    assert failure_groups((c, b, a)) == [(a, (b, c))]
    loop = (replace(a, cause="b"), b)
    assert [r.key for r, _ in failure_groups(loop)] == ["a", "b"]
    result = result_of(DATA / "core_failure_causes")
    assert [(s.node, len(rest)) for s, rest in told(result, Labels(result))] == [
        ("Broken", 2), ("boom", 1), ("plain", 0)]


def test_what_followed_is_escaped_for_each_format() -> None:
    # a consequence whose message is not its cause's is said once under it: as text, whatever
    # markup or table syntax the log put in it
    result = result_of(DATA / "core_failure_causes")
    hostile = "input from boom failed: [bold]boom[/bold] | `x` <b>y</b>"
    result = replace(result, failures=tuple(
        replace(f, message=hostile) if f.message.startswith("input from boom") else f
        for f in result.failures))
    text = render(result, "table").decode()
    assert f"     TASK_EXECUTION_EXCEPTION: {hostile}\n" in text
    md = render(result, "markdown").decode()
    [row] = [r for r in md.splitlines() if r.startswith("| ↳ after\\_boom |")]
    assert "input from boom failed: \\[bold\\]boom\\[/bold\\] \\| \\`x\\` &lt;b&gt;y&lt;/b&gt;" \
        in row and "<b>" not in md


def _node_death() -> list[str]:
    """The capture's three session folders (each node's own: tests/data/node_death/README.md)."""
    return sorted(str(p) for p in (DATA / "node_death").glob("*/session_*"))


def test_a_real_nodes_death_explains_what_it_took_with_it() -> None:
    """A node SIGKILLed with tasks and an actor on it (three-node cluster): every failed attempt
    the State API lists and the actor's death are failures, once each, all from the node's
    death, which stands for the first attempt it failed (the GCS's RAY_NODE_REMOVED)."""
    result = result_of(*_node_death())
    truth = _truth("node_death")
    dead = json.loads((DATA / "node_death" / "nodes.json").read_text())["ids"]["b"]
    assert [n["state"] for n in truth["nodes"] if n["node_id"] == dead] == ["DEAD"]
    failed = {f"task:{t['task_id']}:{t['attempt_number']}": t for t in truth["tasks"]
              if t["state"] == "FAILED"}
    assert {t["node_id"] for t in failed.values()} == {dead}
    assert Counter((t["name"], t["error_type"]) for t in failed.values()) == {
        ("slow", "NODE_DIED"): 3, ("Keeper.hold", "ACTOR_DIED"): 1,
        ("Keeper.ping", "ACTOR_DIED"): 1}
    # the two slow tasks with retries left ran again on the head, and finished
    again = [t for t in truth["tasks"] if t["name"] == "slow" and t["attempt_number"] == 1]
    assert [t["state"] for t in again] == ["FINISHED"] * 2
    [keeper] = truth["actors"]
    assert keeper["state"] == "DEAD" and "its node has died" in json.dumps(keeper["death_cause"])
    actor = f"actor:{keeper['actor_id']}:ACTOR_DIED_ERROR_CONTEXT:NODE_DIED@1796675020000"
    # the node's removal stands for its first failed attempt (by its end): slow's that ended
    # first; the actor's calls follow from the actor's death, the rest from the node's
    node = [f for f in result.failures if f.kind == "task" and not f.cause]
    first = min((a for a in result.attempts if a.status == "FAILED"
                 and a.error_type == "NODE_DIED"), key=lambda a: a.end_ns or 0)
    assert [f.key for f in node] == [f"task:{first.task_id}:0"]
    root = node[0].key
    assert _causes(result) == {
        **{key: actor if t["actor_id"] else root for key, t in failed.items()},
        root: "", actor: root}
    assert len(result.failures) == 6 and len(failure_groups(result.failures)) == 1
    assert result.coverage.complete


def test_the_terminal_tells_a_nodes_death_once() -> None:
    out = cli("analyze", *_node_death()).stdout.decode()
    assert ("failures       6 from 1 cause (ACTOR_DIED 2, ACTOR_DIED_ERROR_CONTEXT:NODE_DIED 1, "
            "NODE_DIED 3): see Failures below") in out
    assert "coverage       100.0% of tasks complete\n" in out
    section = out.split("Failures (6 from 1 cause)\n", 1)[1].splitlines()
    assert section[0].startswith("1. slow (task): NODE_DIED: Task failed because the node it was"
                                 " running on is dead or unavailable.")
    assert section[1:12] == [
        "   task e0dc174c83599034ffffffffffffffffffffffff01000000 attempt 0, at 5.81 s, on "
        "worker 23321 (2adca378)",
        "   on Ray node 127.0.0.1 (99fe3a544100d946b03bb0aa235a81c16e4762dce99a5c8076a3f1db)",
        "   5 failures followed from it: slow ×2, Keeper (actor) ×1, Keeper.hold ×1, "
        "Keeper.ping ×1",
        "     NODE_DIED",
        "       - slow, task f91b78d7db9a6593ffffffffffffffffffffffff01000000 attempt 0, "
        "at 5.86 s",
        "       - slow, task f4402ec78d3a2607ffffffffffffffffffffffff01000000 attempt 0, "
        "at 6.23 s",
        "     ACTOR_DIED_ERROR_CONTEXT:NODE_DIED: The actor died because its node has died. "
        "Node Id: 99fe3a544100d946b03bb0aa235a81c16e4762dce99a5c8076a3f1db",
        "       - Keeper (actor), at 6.27 s",
        "     ACTOR_DIED: The actor died because its node has died. Node Id: "
        "99fe3a544100d946b03bb0aa235a81c16e4762dce99a5c8076a3f1db",
        "       - Keeper.ping, task 8849b62d89cb30f9f12ffde6fdf1b31fcd8c994001000000 attempt 0, "
        "at 7.05 s",
        "       - Keeper.hold, task 82891771158d68c1f12ffde6fdf1b31fcd8c994001000000 attempt 0, "
        "at 7.05 s"]
    doc = json.loads(cli("export", *_node_death(), "--format", "json").stdout)
    keys = {f["key"]: f["cause"] for f in doc["failures"]}
    root = "task:e0dc174c83599034ffffffffffffffffffffffff01000000:0"
    actor = ("actor:f12ffde6fdf1b31fcd8c994001000000:ACTOR_DIED_ERROR_CONTEXT:NODE_DIED"
             "@1796675020000")
    assert keys == {
        root: "", actor: root,
        "task:f91b78d7db9a6593ffffffffffffffffffffffff01000000:0": root,
        "task:f4402ec78d3a2607ffffffffffffffffffffffff01000000:0": root,
        "task:8849b62d89cb30f9f12ffde6fdf1b31fcd8c994001000000:0": actor,
        "task:82891771158d68c1f12ffde6fdf1b31fcd8c994001000000:0": actor}
    assert doc["summary"]["failures"]["causes"] == 1


def _raised(task: str, parent: str, end: int, message: str = "ValueError: x") -> Attempt:
    return Attempt(task, 0, task[:4], parent, "FAILED", "TASK_EXECUTION_EXCEPTION",
                   f"Traceback (most recent call last):\n  File \"a.py\", line 1\n{message}",
                   "", WORKER, None, 1_000_000_000, 1_000_000_000, end)


def test_a_caller_that_raised_its_callee_s_exception_again_follows_from_it() -> None:
    """A call that awaited or got a call of its own that raised fails with that call's
    exception (RayTaskError), the same last line: it follows from it. A callee's other error,
    one raised after the caller's, or another task's same error, explains nothing."""
    caller = "c1" + "0" * 46
    child = _raised("d1" + "0" * 46, caller, 2_000_000_000)
    other = _raised("d2" + "0" * 46, caller, 2_050_000_000, "KeyError: y")
    later = _raised("d3" + "0" * 46, caller, 2_300_000_000)
    stranger = _raised("d4" + "0" * 46, "ff" * 20 + JOB, 2_010_000_000)
    failures = _judged([_raised(caller, "ff" * 20 + JOB, 2_200_000_000), child, other, later,
                        stranger], [])
    assert {f.task_id[:2]: f.cause for f in failures} == {
        "c1": f"task:{child.task_id}:0", "d1": "", "d2": "", "d3": "", "d4": ""}
