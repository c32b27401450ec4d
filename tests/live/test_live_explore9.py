"""Ray Train with PyTorch and RLlib, run under the recorder and held against Ray's State API
dump of the same run (workloads/lib_state.py): Train v2's TorchTrainer (2 workers joined over
gloo, fed by Ray Data, a run that succeeds and one whose rank 1 raises,
workloads/explore9_torch_train.py), and RLlib's PPO built directly and run through Tune
(workloads/explore9_rllib.py). Needs the `ray-libs` extra (torch, RLlib); about 70 s and
40 s."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from typing import Any

import pytest

from .harness import REPO, graph, run_workload, temp_root
from .record_library_samples import CALL_SITES, TRUTH_FILE
from .test_live_explore import (  # noqa: F401
    explored, flows_by_name, graph_calls, no_invented_nodes, node_names, pytestmark,
    truth_calls)

torch = pytest.importorskip("torch", reason="needs the ray-libs extra (torch)")
pytest.importorskip("ray.rllib", reason="needs the ray-libs extra (RLlib)")

__all__ = ["pytestmark"]


def _same(reason: str) -> str:
    """An actor's death reason, OUT_OF_SCOPE as REF_DELETED: the GCS records an actor whose
    handles went DEAD, OUT_OF_SCOPE, and turns that into REF_DELETED once its lineage goes
    too (GcsActorManager::DestroyActor on a DEAD actor); flowinsight keeps the first death
    Ray exported, the State API shows the last."""
    return "REF_DELETED" if reason == "OUT_OF_SCOPE" else reason


def _ends_as_ray_records(end: dict[str, Any], doc: dict[str, Any]) -> None:
    """Every actor death is one intended end, with the reason Ray gives it; every attempt Ray
    failed is an intended end too (Train's teardown), never a failure."""
    reasons = {a["actor_id"]: _same(a["death_cause"]["actor_died_error_context"]["reason"])
               for a in end["actors"] if a["state"] == "DEAD"}
    deaths = {e["node"]: _same(e["error_type"].rpartition(":")[2]) for e in doc["ends"]
              if e["kind"] == "actor" and e["error_type"] != "ACTOR_RESTARTING"}
    assert {actor: deaths.get(actor) for actor in reasons} == reasons
    assert {e["category"] for e in doc["ends"]} == {"intended"}
    failed = {(t["task_id"], t["attempt_number"]) for t in end["tasks"]
              if t["state"] == "FAILED"}
    assert failed <= {(e["taskId"], e["attempt"]) for e in doc["ends"] if e["kind"] == "task"}


def _no_gap(doc: dict[str, Any]) -> None:
    """The capture holds what Ray wrote: the calls whose executions or final states the kill
    of their actor or their caller lost are explained (the State API has no worker, or no
    entry, for them either), and so are the calls that left no attempt at all, their caller
    and their actor both killed in the second after (failures.lost_unattempted); nothing
    else lacks."""
    cover = doc["summary"]["coverage"]
    assert (cover["complete"], cover["without_execution"], cover["without_final_state"]) == (
        True, 0, 0)
    assert [w for w in doc["summary"]["warnings"] if "incomplete capture" in w] == []


def _explored_rows(workload: str, **env: str) -> tuple[dict[str, Any], dict[str, Any],
                                                     list[dict[str, Any]], int]:
    """explored(), and flowinsight's attempt rows with Ray's internals
    (`export --format json --attempts --internals`)."""
    with temp_root() as root:
        run = run_workload(workload, root, **CALL_SITES, **env)
        end = json.loads((root / TRUTH_FILE).read_text())["phases"]["end"]
        doc = graph(run.session_dir)
        done = subprocess.run(
            [sys.executable, "-m", "flowinsight", "export", str(run.session_dir), "--format",
             "json", "--attempts", "--internals"], capture_output=True, text=True, timeout=120,
            cwd=REPO)
        assert done.returncode == 0, done.stderr[-4000:]
        verdict = subprocess.run(
            [sys.executable, "-m", "flowinsight", "check", str(run.session_dir),
             "--max-failures", "0"], capture_output=True, text=True, timeout=120, cwd=REPO)
    return end, doc, json.loads(done.stdout)["attempts"], verdict.returncode


# The ActorDiedErrorContext reasons of an actor whose worker the GCS has killed by force
_KILLS = ("RAY_KILL", "OWNER_DIED", "REF_DELETED", "OUT_OF_SCOPE")


def _calls_as_ray_lists_them(end: dict[str, Any], doc: dict[str, Any],
                             rows: list[dict[str, Any]]) -> int:
    """Every call Ray's State API lists is flowinsight's, by Ray's names. Train kills its
    actors by force as soon as a run ends (the workers, then the DatasetManager with its
    owner), and a worker killed loses the events of its last second: of the calls it made
    then, their definitions and final states (Ray lists none of them; their executors'
    events name them). So flowinsight may know a few more calls of Ray's internals than the
    State API lists, each made by an actor Ray recorded killed, executed, without a final
    state; the nodes of the program (the workers, the dataset's operator) are exact. A call
    whose caller and actor were both killed leaves no attempt at all, only the recorder's
    submission: the number of those (on Ray's internals, of a class with a killed
    instance) is returned."""
    listed = {t["task_id"] for t in end["tasks"]}
    assert listed <= {r["task_id"] for r in rows}
    killed = {a["actor_id"] for a in end["actors"] if a["state"] == "DEAD"
              and a["death_cause"]["actor_died_error_context"]["reason"] in _KILLS}
    extra = [r for r in rows if r["task_id"] not in listed and r["node"] != "main"]
    assert [r for r in extra if r["status"] != "UNKNOWN" or r["start_ns"] is None
            or r["parent_task_id"][16:] not in killed or r["at_job_end"]] == []
    internal = {a["name"] for a in doc["actors"] if a["internal"]}
    have, truth = graph_calls(doc), truth_calls(end)
    assert not truth - have
    assert {k for k in have - truth if k.split(".")[0] not in internal} == set()
    name = node_names(doc)
    seen = Counter(name[r["node"]] for r in extra)
    assert seen <= have - truth
    no_attempt = (have - truth) - seen
    dead = {a["class_name"] for a in end["actors"] if a["actor_id"] in killed}
    assert {k.split(".")[0] for k in no_attempt} <= dead & internal
    return sum(no_attempt.values())


def test_torch_trainer_against_the_state_api() -> None:
    end, doc, rows, verdict = _explored_rows("explore9_torch_train",
                                             RAY_TRAIN_ENABLE_STATE_TRACKING="1")
    no_attempt = _calls_as_ray_lists_them(end, doc, rows)
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
    _no_gap(doc)
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
    _no_gap(doc)
    (trial,) = doc["tune"]
    (algo,) = [a for a in end["actors"] if a["class_name"] == "PPO"]
    assert (trial["actorId"], trial["trainable"], trial["train_calls"], trial["failures"]) == (
        algo["actor_id"], algo["repr_name"], 1, 0)
    no_invented_nodes(doc)
