"""Three Tune/Train/Serve programs flowinsight was not built on (workloads/explore3_*.py), each
run under the recorder and held against Ray's State API dump of the same run
(workloads/lib_state.py): the calls of every method and constructor, the failures (only the
real ones), no node for a task Ray never ran, and the `tune` and `serve` sections. Needs the
`ray-libs` extra; about 40-90 s per program on 2 cores."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from .test_live_explore import (  # noqa: F401
    explored, graph_calls, no_invented_nodes, pytestmark, truth_calls)

__all__ = ["pytestmark"]


def test_tune_class_trainable_under_asha() -> None:
    end, doc, verdict = explored("explore3_tune")
    # a class made in tune.with_resources: its qualname has "<locals>", Ray's task names not
    assert graph_calls(doc) == truth_calls(end)
    assert not [a for a in doc["actors"] if "<locals>" in a["name"]]
    train = Counter(t["actor_id"] for t in end["tasks"] if t["name"] == "ResourceTrainable.train")
    assert sorted(train.values())[0] < 5  # ASHA stopped some trials early
    # every trial actor is in `tune`, with a train call per iteration; ASHA's stops are no failure
    assert sorted((t["actorId"], t["train_ms"]["count"], t["failures"]) for t in doc["tune"]) == \
        sorted((actor, n, 0) for actor, n in train.items())
    assert doc["summary"]["failures"]["total"] == 0 and verdict == 0
    assert {e["category"] for e in doc["ends"]} <= {"intended"}
    no_invented_nodes(doc)


def test_serve_http_batch_two_replicas_delete_and_shutdown() -> None:
    serving, doc, verdict = explored("explore3_serve", phase="serving")
    replicas = Counter(a["class_name"] for a in serving["actors"]
                       if a["class_name"].startswith("ServeReplica:"))
    assert replicas == {"ServeReplica:batcher:Ingress": 2, "ServeReplica:batcher:Summer": 1,
                        "ServeReplica:echo:Echo": 1}
    requests = Counter(t["func_or_class_name"].split(".")[0].split(":")[-1]
                       for t in serving["tasks"]
                       if t["name"].endswith("handle_request_with_rejection"))
    assert requests == {"Ingress": 6, "Summer": 6, "Echo": 2}  # @serve.batch: one call each
    expected = {}
    for cls, n in replicas.items():
        _, app, name = cls.split(":")
        expected[(app, name)] = (n, requests[name], 0)
    assert {(d["app"], d["name"]): (len(d["replicas"]), d["requests"], d["failures"])
            for d in doc["serve"]} == expected
    # serve.delete and serve.shutdown end every Serve actor on purpose: no failure
    assert not [t for t in serving["tasks"] if t["state"] == "FAILED"]
    assert doc["summary"]["failures"]["total"] == 0 and verdict == 0
    no_invented_nodes(doc)


def test_train_v2_two_runs_one_worker_raising() -> None:
    # Train's state export (EXPORT_TRAIN_RUN_ATTEMPT) is written only when asked for
    end, doc, verdict = explored("explore3_train", RAY_TRAIN_ENABLE_STATE_TRACKING="1")
    assert graph_calls(doc) == truth_calls(end)
    # rank 1's error is caught by Train inside its worker (run_train_fn runs the loop in a
    # thread, poll_status reports it): no task of Ray's failed with it, in the truth as in the
    # task events; what failed is the other rank's wait on the SynchronizationActor, cut when
    # Train killed the worker group (WORKER_DIED, an intended end)
    assert not [t for t in end["tasks"] if t["error_type"] == "TASK_EXECUTION_EXCEPTION"]
    # Train's errored run attempt is the one failure, on rank 1's RayTrainWorker
    workers = {a["id"] for a in doc["actors"] if a["name"] == "RayTrainWorker"}
    assert len(workers) == 4  # 2 per run
    assert [(f["kind"], f["category"], f["message"], f["node"] in workers)
            for f in doc["failures"]] == [
        ("train", "error", "RuntimeError: rank 1 fails on purpose", True)]
    assert doc["summary"]["failures"]["total"] == 1 and verdict == 1
    no_invented_nodes(doc)
