"""Ray Train with PyTorch and RLlib, run under the recorder and held against Ray's State API
dump of the same run (workloads/lib_state.py): Train v2's TorchTrainer (2 workers joined over
gloo, fed by Ray Data, a run that succeeds and one whose rank 1 raises,
workloads/explore9_torch_train.py), and RLlib's PPO built directly and run through Tune
(workloads/explore9_rllib.py). Needs the `ray-libs` extra (torch, RLlib); about 70 s and
40 s."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from .test_live_explore import (  # noqa: F401
    explored, flows_by_name, graph_calls, no_invented_nodes, node_names, pytestmark,
    truth_calls)

torch = pytest.importorskip("torch", reason="needs the ray-libs extra (torch)")
pytest.importorskip("ray.rllib", reason="needs the ray-libs extra (RLlib)")

__all__ = ["pytestmark"]


def _ends_as_ray_records(end: dict[str, Any], doc: dict[str, Any]) -> None:
    """Every actor death is one intended end, with the reason Ray gives it; every attempt Ray
    failed is an intended end too (Train's teardown), never a failure."""
    reasons = {a["actor_id"]: a["death_cause"]["actor_died_error_context"]["reason"]
               for a in end["actors"] if a["state"] == "DEAD"}
    deaths = {e["node"]: e["error_type"] for e in doc["ends"] if e["kind"] == "actor"
              and e["error_type"] != "ACTOR_RESTARTING"}
    assert {actor: deaths.get(actor) for actor in reasons} == {
        actor: f"ACTOR_DIED_ERROR_CONTEXT:{reason}" for actor, reason in reasons.items()}
    assert {e["category"] for e in doc["ends"]} == {"intended"}
    failed = {(t["task_id"], t["attempt_number"]) for t in end["tasks"]
              if t["state"] == "FAILED"}
    assert failed <= {(e["taskId"], e["attempt"]) for e in doc["ends"] if e["kind"] == "task"}


def _no_gap(end: dict[str, Any], doc: dict[str, Any]) -> None:
    """The capture holds what Ray wrote: the calls whose executions the kill of their actor
    lost (the State API has no worker for them either) are explained, nothing else lacks."""
    cover = doc["summary"]["coverage"]
    assert (cover["complete"], cover["without_execution"], cover["without_final_state"]) == (
        True, 0, 0)
    assert not [w for w in doc["summary"]["warnings"] if "incomplete capture" in w]


def test_torch_trainer_against_the_state_api() -> None:
    end, doc, verdict = explored("explore9_torch_train", RAY_TRAIN_ENABLE_STATE_TRACKING="1")
    assert graph_calls(doc) == truth_calls(end)
    # 2 workers a run, each set up by Train's TorchConfig (torch.distributed over gloo)
    calls = truth_calls(end)
    assert calls["RayTrainWorker"] == 4
    assert calls["RayTrainWorker.execute._setup_torch_process_group"] == 4
    assert calls["RayTrainWorker.run_train_fn"] == 4
    # the one failure is rank 1's RuntimeError, which Train caught and its state export
    # recorded, on a worker Ray ran (its pid); no task of Ray's failed with it
    workers = {a["pid"] for a in end["actors"] if a["class_name"] == "RayTrainWorker"}
    name = node_names(doc)
    assert [(f["kind"], f["category"], f["error_type"], f["message"], name[f["node"]])
            for f in doc["failures"]] == [
        ("train", "error", "TRAIN_RUN_ATTEMPT_ERRORED",
         "RuntimeError: rank 1 fails on purpose in epoch 2", "RayTrainWorker")]
    assert doc["failures"][0]["pid"] in workers
    assert verdict == 1
    _ends_as_ray_records(end, doc)
    _no_gap(end, doc)
    # Ray Data's blocks to the workers: 8 blocks an epoch, 2 epochs of the good run and the
    # bad run's first (its second never starts: the split waits for rank 1, which raised)
    flows = flows_by_name(doc)
    op = "ReadRange->MapBatches(add_target)"
    assert calls[op] == 24
    assert flows[(op, "RayTrainWorker")][0] == 24
    assert flows[("main", "RayTrainWorker.run_train_fn")][0] == 4
    no_invented_nodes(doc)


def _shown_calls(end: dict[str, Any]) -> Counter[str]:
    """truth_calls with an actor Ray shows by its repr (RLlib's Algorithm, a Tune Trainable:
    `PPO(env=...; ...)`) named so, as Ray names its calls (`PPO(env=...).train`)."""
    shown = {a["class_name"]: a["repr_name"] for a in end["actors"] if a["repr_name"]}
    calls: Counter[str] = Counter()
    for key, count in truth_calls(end).items():
        cls, dot, rest = key.partition(".")
        calls[shown.get(cls, cls) + dot + rest] += count
    return calls


def test_rllib_ppo_against_the_state_api() -> None:
    end, doc, verdict = explored("explore9_rllib")
    assert graph_calls(doc) == _shown_calls(end)
    classes = Counter(a["class_name"].rpartition("<locals>.")[2] for a in end["actors"])
    # the direct run's EnvRunner and Learner, and the trial's Algorithm with its own
    assert classes == {"SingleAgentEnvRunner": 2, "_WrappedExecutable": 2, "PPO": 1}
    assert doc["failures"] == [] and verdict == 0
    _ends_as_ray_records(end, doc)
    _no_gap(end, doc)
    (trial,) = doc["tune"]
    (algo,) = [a for a in end["actors"] if a["class_name"] == "PPO"]
    assert (trial["actorId"], trial["trainable"], trial["train_calls"], trial["failures"]) == (
        algo["actor_id"], algo["repr_name"], 1, 0)
    no_invented_nodes(doc)
