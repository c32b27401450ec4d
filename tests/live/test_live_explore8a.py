"""How Ray Core tasks and actors end, run under the recorder and held against Ray's State API
dump of the same run (workloads/lib_state.py): actors ended on purpose with exit_actor() (sync,
async, threaded, in a constructor) and __ray_terminate__, with calls queued behind or running
beside the exit (workloads/explore8_actor_exits.py); a recursive cancel of a task tree, a
force-cancel, a cancel handled by its caller, tasks given a cancelled task's return and one
given the return of a task that raised a cancelled task's error uncaught, the only failures
(workloads/explore8_cancel_tree.py); a task and an actor's call still running, actors alive
(one detached) at ray.shutdown(), a GetTimeoutError, num_returns=2 to two consumers, refs inside
a list and a dict (workloads/explore8_driver_exit.py).
Needs the `ray-libs` extra; about 20-30 s per program."""

from __future__ import annotations

from collections import Counter
from typing import Any

from .test_live_explore import (  # noqa: F401
    explored, flows_by_name, graph_calls, no_invented_nodes, node_names, pytestmark,
    truth_calls)

__all__ = ["pytestmark"]


def ended_tasks(doc: dict[str, Any]) -> Counter[tuple[str, str]]:
    """flowinsight's intended ends of task attempts, by (node name, Ray's error type)."""
    name = node_names(doc)
    assert {e["category"] for e in doc["ends"]} <= {"intended"}
    return Counter((name[e["node"]], e["error_type"]) for e in doc["ends"] if e["kind"] == "task")


def test_actors_ended_on_purpose_against_the_state_api() -> None:
    end, doc, verdict = explored("explore8_actor_exits")
    assert graph_calls(doc) == truth_calls(end)
    assert doc["failures"] == [] and verdict == 0
    # every call that failed because its actor had exited is an intended end, once. Not the
    # calls that exited (quit, __ray_terminate__): their caller exports them FINISHED, while
    # the GCS may mark one FAILED WORKER_DIED in its own store when its worker exits first
    # (the State API then says so: a race of Ray's, seen in 2 runs of 7)
    exiting = ("quit", "__ray_terminate__")
    failed = Counter((t["name"], t["error_type"]) for t in end["tasks"]
                     if t["state"] == "FAILED" and not t["name"].endswith(exiting))
    assert ended_tasks(doc) == failed == {
        ("Quitter.ping", "ACTOR_DIED"): 2, ("Terminated.ping", "ACTOR_DIED"): 2,
        ("NeverStarts.ping", "ACTOR_DIED"): 1}
    # each actor's death once, with Ray's reason (the worker exited INTENDED_USER_EXIT);
    # ThreadedQuitter (max_restarts=2) was not restarted, as Ray says
    name = node_names(doc)
    assert sorted((name[e["node"]], e["error_type"]) for e in doc["ends"]
                  if e["kind"] == "actor") == sorted(
        (a["class_name"], "ACTOR_DIED_ERROR_CONTEXT:"
         + a["death_cause"]["actor_died_error_context"]["reason"]) for a in end["actors"])
    assert {a["num_restarts"] for a in end["actors"]} == {0}
    assert doc["summary"]["coverage"]["ratio"] == 1.0
    flows = flows_by_name(doc)
    # the calls running beside the exit finished and were read; the queued ones' errors too
    assert flows[("AsyncQuitter.slow", "main")][0] == flows[("ThreadedQuitter.slow", "main")][0] \
        == flows[("Quitter.ping", "main")][0] - 1 == 2
    no_invented_nodes(doc)


def test_a_cancelled_task_tree_against_the_state_api() -> None:
    end, doc, verdict = explored("explore8_cancel_tree")
    assert graph_calls(doc) == truth_calls(end)
    name = node_names(doc)
    failed = [t for t in end["tasks"] if t["state"] == "FAILED"]
    # the real errors: waiter (it ray.gets stubborn's cancelled result, uncaught) and the
    # `after` given waiter's return; its message is the tail of waiter's (Ray cut the rest)
    waiter = next(t["error_message"] for t in failed if t["name"] == "waiter")
    errors = sorted((t["name"], t["error_type"]) for t in failed if t["error_message"] == waiter)
    assert errors == [("after", "TASK_EXECUTION_EXCEPTION"), ("waiter", "TASK_EXECUTION_EXCEPTION")]
    assert sorted((name[f["node"]], f["error_type"]) for f in doc["failures"]) == errors
    assert {f["category"] for f in doc["failures"]} == {"error"} and verdict == 1
    # everything else that failed ended by a cancel: the queued branch and leaves and the
    # force-cancelled stubborn (TASK_CANCELLED), the 3 `after`s Ray failed for a cancelled input
    # (their function never ran); what a cancel interrupted while it ran Ray lists FINISHED
    ends = Counter((t["name"], t["error_type"]) for t in failed
                   if t["error_message"] != waiter)
    assert ended_tasks(doc) == ends == {
        ("stubborn", "TASK_CANCELLED"): 1, ("branch", "TASK_CANCELLED"): 1,
        ("leaf", "TASK_CANCELLED"): 2, ("after", "TASK_EXECUTION_EXCEPTION"): 3}
    calls = {(name[f["source"]], name[f["target"]]): f["count"] for f in doc["callFlows"]}
    assert calls == {("main", "tree"): 1, ("tree", "branch"): 3, ("branch", "leaf"): 2,
                     ("main", "stubborn"): 1, ("main", "supervisor"): 1,
                     ("supervisor", "napper"): 1, ("main", "after"): 4, ("main", "waiter"): 1}
    flows = flows_by_name(doc)
    assert flows[("napper", "supervisor")][0] == 1  # the cancelled napper's error, handled
    assert not [pair for pair in flows if pair[0] in ("branch", "leaf")]  # nothing read
    assert doc["summary"]["coverage"]["ratio"] == 1.0
    no_invented_nodes(doc)


def test_ends_at_the_driver_exit_and_values_against_the_state_api() -> None:
    end, doc, verdict = explored("explore8_driver_exit")
    assert graph_calls(doc) == truth_calls(end)
    assert doc["failures"] == [] and verdict == 0
    running = sorted(t["name"] for t in end["tasks"] if t["state"] == "RUNNING")
    assert running == ["Keeper.hold", "forever"]
    # what Ray ended at ray.shutdown(): the two actors, intended (the job had ended); the two
    # running calls have no final state, and that is no gap of the capture
    name = node_names(doc)
    assert sorted(name[e["node"]] for e in doc["ends"]) == ["Keeper", "Registry"]
    assert {e["category"] for e in doc["ends"]} == {"intended"}
    assert doc["summary"]["coverage"]["ratio"] == 1.0
    flows = flows_by_name(doc)
    assert {pair: count for pair, (count, _) in flows.items()} == {
        ("main", "make"): 2, ("main", "nested"): 2,  # by value: the n, the list and the dict
        ("make", "nested"): 2,  # the two borrowed refs nested reads itself
        ("pair", "left"): 1, ("pair", "right"): 1,  # each return to its own consumer
        ("left", "main"): 1, ("right", "main"): 1, ("nested", "main"): 1,
        ("Keeper.ping", "main"): 1, ("Registry.names", "main"): 1}  # late's: never read
    assert 200_000 < flows[("pair", "left")][1] < 200_100
    assert 300 < flows[("pair", "right")][1] < 400
    assert 150_100 < flows[("make", "nested")][1] < 150_200
    no_invented_nodes(doc)
