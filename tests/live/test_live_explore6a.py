"""Tune's PopulationBasedTraining, a Tune trial retried after a failure, and Serve's
autoscaling with a redeploy (workloads/explore6_*.py), each run under the recorder and held
against Ray's State API dump of the same run (workloads/lib_state.py): the calls of every
method and constructor, the failures (only the real ones), no node for a task Ray never ran,
and the `tune` and `serve` sections. Needs the `ray-libs` extra; about 30-60 s per program on
2 cores."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from .test_live_explore import (  # noqa: F401
    explored, graph_calls, no_invented_nodes, pytestmark)

__all__ = ["pytestmark"]


def ray_names(end: dict[str, Any]) -> Counter[str]:
    """Calls by Ray's task names, a constructor as its actor's name (the repr Ray shows:
    a function trainable's ImplicitFunc is the function's name)."""
    shown = {a["actor_id"]: a["repr_name"] or a["class_name"] for a in end["actors"]}
    return Counter(shown[t["actor_id"]] if t["type"] == "ACTOR_CREATION_TASK" else t["name"]
                   for t in end["tasks"] if t["attempt_number"] == 0)


def trial_actors(end: dict[str, Any], trainable: str) -> list[tuple[str, int, int, int]]:
    """(actor, Tune's starts, restores, train calls) of every trial actor, from the truth:
    Tune asks get_auto_filled_metrics once per start, twice where it reused the actor (reset)."""
    calls = {m: Counter(t["actor_id"] for t in end["tasks"] if t["name"] == f"{trainable}.{m}")
             for m in ("get_auto_filled_metrics", "reset", "restore", "train")}
    # Tune's trial actors: of its function wrapper's class or shown as the trainable (in two CI
    # runs the State API's dump named no ImplicitFunc class), or asked what every trial actor
    # is asked once started
    actors = {a["actor_id"] for a in end["actors"]
              if a["class_name"] == "ImplicitFunc" or a["repr_name"] == trainable}
    actors |= set(calls["get_auto_filled_metrics"])
    return sorted((actor, calls["get_auto_filled_metrics"][actor] - calls["reset"][actor],
                   calls["restore"][actor], calls["train"][actor]) for actor in actors)


@pytest.mark.parametrize("reuse", ["0", "1"])
def test_pbt_pauses_and_restores_trials(reuse: str) -> None:
    # without reuse_actors a paused trial starts again on a new actor, with it on an idle one
    end, doc, verdict = explored("explore6_tune_pbt", EXPLORE6_REUSE=reuse)
    assert graph_calls(doc) == ray_names(end)
    trials = [t for t in trial_actors(end, "climb") if t[1]]  # those Tune started trials on
    shown = Counter((a["class_name"], a["repr_name"]) for a in end["actors"])
    if reuse == "0":
        assert len(trials) > 4 and {t[1] for t in trials} == {1}, shown  # a new actor per start
    else:
        assert max(t[1] for t in trials) > 1  # an actor Tune reset and started again
    # the actors Tune started trials on; one it made and left unused (no start) the State API
    # does not always list as the trainable's (two CI runs), flowinsight does by its class
    assert sorted((t["actorId"], t["starts"], t["restores"], t["train_calls"])
                  for t in doc["tune"] if t["starts"]) == trials, shown
    # each of the 4 trials began from scratch once; every later start restored a checkpoint
    assert sum(t["starts"] - t["restores"] for t in doc["tune"]) == 4
    # paused trials' actors are stopped on purpose: no failure
    assert doc["summary"]["failures"]["total"] == 0 and verdict == 0
    assert {e["category"] for e in doc["ends"]} <= {"intended"}
    no_invented_nodes(doc)


def test_a_trial_retried_after_its_failure() -> None:
    end, doc, verdict = explored("explore6_tune_retry")
    assert graph_calls(doc) == ray_names(end)
    failed = sorted(t["error_message"].splitlines()[-1] for t in end["tasks"]
                    if t["state"] == "FAILED")
    assert failed == ["RuntimeError: trial x=2 fails on its first run",
                      "RuntimeError: trial x=3 fails on its first run"]
    # each first run is a real error, on the actor that ran it
    assert sorted((f["category"], f["message"]) for f in doc["failures"]) == [
        ("error", m) for m in failed]
    assert doc["summary"]["failures"]["total"] == 2 and verdict == 1
    assert sorted((t["actorId"], t["starts"], t["restores"], t["train_calls"])
                  for t in doc["tune"]) == trial_actors(end, "flaky")
    # x=3 went on from its checkpoint; x=2's retry from scratch reads as one more trial
    assert sum(t["restores"] for t in doc["tune"]) == 1
    assert sum(t["starts"] - t["restores"] for t in doc["tune"]) == 4
    no_invented_nodes(doc)


def _cancelled(task: dict[str, Any]) -> bool:
    """A call Ray cancelled: before it ran, or while it ran (its own TaskCancelledError)."""
    return task["state"] == "FAILED" and (
        task["error_type"] == "TASK_CANCELLED"
        or f"TaskCancelledError: Task: TaskID({task['task_id']})" in task["error_message"])


def test_serve_autoscaling_and_redeploy() -> None:
    end, doc, verdict = explored("explore6_serve")
    replicas = Counter(a["class_name"] for a in end["actors"]
                       if a["class_name"].startswith("ServeReplica:"))
    assert replicas["ServeReplica:auto:Slow"] == 2  # scaled up, then down
    requests = [t for t in end["tasks"] if ".handle_request" in t["name"]]
    expected = {}
    for cls, n in replicas.items():
        _, app, name = cls.split(":")
        mine = [t for t in requests if t["name"].startswith(cls + ".")]
        expected[(app, name)] = (n, len(mine), sum(map(_cancelled, mine)), 0)
    assert {(d["app"], d["name"]): (len(d["replicas"]), d["requests"], d["cancelled"],
                                    d["failures"]) for d in doc["serve"]} == expected
    # the requests' executions are those answered, not the rejected tries'
    assert [d["request_ms"]["count"] for d in doc["serve"]] == [
        d["requests"] - d["cancelled"] for d in doc["serve"]]
    # the only FAILED calls are the router's cancels of requests a full replica rejected
    assert all(_cancelled(t) for t in end["tasks"] if t["state"] == "FAILED")
    # the replica scaled down and the redeployed one were stopped on purpose: no failure
    stopped = {a["actor_id"] for a in end["actors"] if a["state"] == "DEAD"
               and a["class_name"].startswith("ServeReplica:")}
    assert len(stopped) == sum(replicas.values()) - 2
    assert stopped <= {e["node"][:32] for e in doc["ends"] if e["category"] == "intended"}
    assert doc["summary"]["failures"]["total"] == 0 and verdict == 0
    # the replicas' calls, by Ray's names
    calls = graph_calls(doc)
    for name, n in Counter(t["name"] for t in end["tasks"] if t["name"].startswith(
            "ServeReplica:") and t["attempt_number"] == 0).items():
        if not name.endswith(("perform_graceful_shutdown", "check_health")):  # go on after
            assert calls[name] == n, name
    no_invented_nodes(doc)
