"""Ray programs flowinsight was not built on (workloads/explore12_*.py), run under the recorder
and held against Ray's State API dump of the same run (workloads/lib_state.py). Train v2 with a
failure and a restore: a run whose rank 1 raises once in epoch 2 with
FailureConfig(max_failures=1), restarted from its checkpoint by Train, then the same with
max_failures=0 (the run fails). Needs the `ray-libs` extra; about 60 s per program."""

from __future__ import annotations

from collections import Counter

from .test_live_explore import (  # noqa: F401
    node_names, no_invented_nodes, pytestmark, truth_calls)
from .test_live_explore9 import _calls_as_ray_lists_them, _explored_rows, _same

__all__ = ["pytestmark"]


def test_train_restored_after_a_failure_then_failed() -> None:
    end, doc, rows, verdict = _explored_rows("explore12_train_restore",
                                             RAY_TRAIN_ENABLE_STATE_TRACKING="1")
    no_attempt = _calls_as_ray_lists_them(end, doc, rows)
    calls = truth_calls(end)
    # three worker groups of 2: the restored run's two attempts and the failed run's one
    assert (calls["RayTrainWorker"], calls["RayTrainWorker.run_train_fn"]) == (6, 6)
    # the failures are the two attempts whose rank 1 raised (Train caught it: no task of Ray's
    # failed with it), each on one of the workers Ray ran; the restored run's second attempt
    # and Train's own teardown (ray.kill of each group, the Ray Data actors with their owner)
    # are no failures
    workers = {a["pid"] for a in end["actors"] if a["class_name"] == "RayTrainWorker"}
    name = node_names(doc)
    assert sorted((f["kind"], f["category"], f["error_type"], f["message"], name[f["node"]])
                  for f in doc["failures"]) == [
        ("train", "error", "TRAIN_RUN_ATTEMPT_ERRORED",
         f"RuntimeError: rank 1 fails once, in epoch 2 of run {run}", "RayTrainWorker")
        for run in ("failed", "restored")]
    assert {f["pid"] for f in doc["failures"]} <= workers
    assert verdict == 1
    # every actor death is one intended end, with the reason Ray gives it
    reasons = {a["actor_id"]: _same(a["death_cause"]["actor_died_error_context"]["reason"])
               for a in end["actors"] if a["state"] == "DEAD"}
    deaths = {e["node"]: _same(e["error_type"].rpartition(":")[2]) for e in doc["ends"]
              if e["kind"] == "actor" and e["error_type"] != "ACTOR_RESTARTING"}
    assert {actor: deaths.get(actor) for actor in reasons} == reasons
    assert {e["category"] for e in doc["ends"]} == {"intended"}
    # rank 0 was waiting in the SplitCoordinator's start_epoch for the rank that raised: the
    # restored run's first attempt's coordinator was killed mid-call after rank 0's worker (the
    # GCS marks the call FAILED, WORKER_DIED, in its own store: the State API's state); the
    # failed run's was still running at the `end` snapshot, and its job's end cut it short
    waits = {t["task_id"]: (t["state"], t["error_type"]) for t in end["tasks"]
             if t["name"] == "SplitCoordinator.start_epoch" and t["state"] != "FINISHED"}
    assert sorted(waits.values()) == [("FAILED", "WORKER_DIED"), ("RUNNING", None)]
    row = {r["task_id"]: r for r in rows}
    assert sorted((row[t]["status"], row[t]["at_job_end"]) for t in waits) == [
        ("UNKNOWN", ""), ("UNKNOWN", "running")]
    # every other attempt Ray failed is an intended end (Train's teardown), never a failure
    failed = {(t["task_id"], t["attempt_number"]) for t in end["tasks"]
              if t["state"] == "FAILED" and t["task_id"] not in waits}
    assert failed <= {(e["taskId"], e["attempt"]) for e in doc["ends"] if e["kind"] == "task"}
    cover = doc["summary"]["coverage"]
    assert (cover["without_execution"], cover["without_final_state"]) == (0, no_attempt)
    assert cover["complete"] == (not no_attempt)
    assert cover["unfinished"] == [{"at": "job end", "job_id": end["jobs"][0]["job_id"],
                                    "queued": 0, "running": 1}]
    # Ray Data's blocks to the workers: 4 blocks an epoch; the restored run's epoch 1, then
    # epochs 2 and 3 after the restore (from the checkpoint of epoch 1), the failed run's 1
    calls_by_name = Counter({k: v for k, v in calls.items() if "MapBatches" in k})
    assert calls_by_name == {"ReadRange->MapBatches(add_one)": 16}
    no_invented_nodes(doc)
