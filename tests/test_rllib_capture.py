"""RLlib's PPO on CartPole-v1, recorded live (tests/live/workloads/explore9_rllib.py: built
directly for 2 iterations and stopped, then once through tune.Tuner("PPO")), held to Ray's
State API dump of the same run (tests/data/rllib_ppo/state_truth.json.gz)."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from typing import Any

from conftest import DATA, json_of, result_of

CAPTURE = DATA / "rllib_ppo"


def _truth() -> dict[str, Any]:
    end: dict[str, Any] = json.loads(gzip.decompress(
        (CAPTURE / "state_truth.json.gz").read_bytes()))["phases"]["end"]
    return end


def _truth_calls(end: dict[str, Any]) -> Counter[tuple[str, str]]:
    """(actor id, method) -> calls, the constructor as "": Ray names a call
    `<class or repr>.<method>`, or by the name it was given (Train's
    `_RayTrainWorker__execute.<fn>`)."""
    shown = {a["actor_id"]: {a["repr_name"], a["class_name"].rpartition("<locals>.")[2]}
             for a in end["actors"]}
    calls: Counter[tuple[str, str]] = Counter()
    for t in end["tasks"]:
        if t["attempt_number"] != 0 or t["type"] == "DRIVER_TASK":
            continue
        assert t["actor_id"], t  # RLlib's work is all in actors here
        name = t["name"]
        if t["type"] == "ACTOR_CREATION_TASK":
            name = ""
        for prefix in shown[t["actor_id"]]:
            if prefix and name.startswith(prefix + "."):
                name = name[len(prefix) + 1:]
        calls[(t["actor_id"], name)] += 1
    return calls


def test_every_call_of_every_actor_as_ray_ran_it() -> None:
    end, doc = _truth(), json_of(CAPTURE)
    graph: Counter[tuple[str, str]] = Counter()
    for a in doc["actors"]:
        graph[(a["id"], "")] += a["calls"]
    for m in doc["methods"]:
        graph[(m["actorId"], m["name"])] += m["calls"]
    assert +graph == _truth_calls(end)
    assert sum(graph.values()) == 66
    # named as Ray shows them: the Algorithm (a Tune Trainable) by its repr, the Learner by
    # the class Ray Train's worker group wraps it in, the EnvRunners by their class
    names = {a["actor_id"]: a["repr_name"] or a["class_name"].rpartition("<locals>.")[2]
             for a in end["actors"]}
    assert {a["id"]: a["name"] for a in doc["actors"]} == names
    assert sorted(names.values()) == [
        "PPO(env=CartPole-v1; env-runners=1; learners=1; multi-agent=False)",
        "SingleAgentEnvRunner", "SingleAgentEnvRunner", "_WrappedExecutable",
        "_WrappedExecutable"]
    assert not [n for kind in ("functions", "actors", "methods") for n in doc[kind]
                if n["inferred"]]


def test_no_failure_and_every_end_as_ray_records_it() -> None:
    end, doc = _truth(), json_of(CAPTURE)
    assert doc["failures"] == [] and not [t for t in end["tasks"] if t["state"] == "FAILED"]
    reasons = {a["actor_id"]: a["death_cause"]["actor_died_error_context"]["reason"]
               for a in end["actors"]}
    assert {e["node"]: (e["error_type"], e["category"]) for e in doc["ends"]} == {
        actor: (f"ACTOR_DIED_ERROR_CONTEXT:{reason}", "intended")
        for actor, reason in reasons.items()}
    # algo.stop() and Tune's trial end ray.kill the EnvRunners (RLlib's actor manager);
    # Ray Train's worker group ends the Learners with __ray_terminate__; Tune lets the trial go
    assert sorted(reasons.values()) == ["OUT_OF_SCOPE", "RAY_KILL", "RAY_KILL", "WORKER_DIED",
                                        "WORKER_DIED"]


def test_the_executions_ray_kill_lost_are_no_gap() -> None:
    """RLlib's actor manager ray.kills each EnvRunner right after its last `apply` calls: the
    worker quits without sending its buffered task events, so those calls have only their
    caller's FINISHED (the State API has no worker for them either), and the kill explains
    it (failures.lost_to_kill): the capture holds all Ray wrote."""
    end, result = _truth(), result_of(CAPTURE)
    lost = {t["task_id"] for t in end["tasks"] if t["state"] == "FINISHED"
            and t["worker_pid"] is None and t["type"] != "DRIVER_TASK"}
    assert len(lost) == 21
    assert {a.task_id for a in result.attempts if a.start_ns is None} == lost
    cover = result.coverage
    assert (cover.complete, cover.without_execution, cover.tasks, cover.complete_tasks) == (
        True, 0, 67, 67)
    assert not [w for w in result.warnings if "incomplete capture" in w]
