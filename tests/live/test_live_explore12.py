"""Ray programs flowinsight was not built on (workloads/explore12_*.py), run under the recorder
and held against Ray's State API dump of the same run (workloads/lib_state.py). Train v2 with a
failure and a restore: a run whose rank 1 raises once in epoch 2 with
FailureConfig(max_failures=1), restarted from its checkpoint by Train, then the same with
max_failures=0 (the run fails); a Serve app of 3 deployments composed with DeploymentHandles
(a @serve.batch method, a streamed generator, a replica that raises on one request) asked over
HTTP and through a handle, then deleted and shut down; Ray Data's union, groupby.map_groups,
zip, a shuffled repartition written to Parquet and read back, and a streaming split read by two
actors; a Tune experiment with an errored trial, restored with restart_errored=True; Dask
graphs run by Ray's scheduler. Needs the `ray-libs` extra (dask included); 30-60 s per program."""

from __future__ import annotations

from collections import Counter

from .test_live_explore import (  # noqa: F401
    explored, graph_calls, node_names, no_invented_nodes, pytestmark, truth_calls)
from .test_live_explore3_data import calls_by_plan, operator_tasks
from .test_live_explore11 import _graph_edges, _truth_calls, _truth_names
from .test_live_explore9 import (
    _calls_as_ray_lists_them, _explored_rows, _same, _shown_calls)

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
    # nothing missing from the capture: what the kills lost is explained, the calls that left
    # no attempt at all (`no_attempt`, made and received by killed actors) included
    assert no_attempt >= 0
    cover = doc["summary"]["coverage"]
    assert (cover["complete"], cover["without_execution"], cover["without_final_state"]) == (
        True, 0, 0)
    assert [w for w in doc["summary"]["warnings"] if "incomplete capture" in w] == []
    assert cover["unfinished"] == [{"at": "job end", "job_id": end["jobs"][0]["job_id"],
                                    "queued": 0, "running": 1}]
    # Ray Data's blocks to the workers: 4 blocks an epoch; the restored run's epoch 1, then
    # epochs 2 and 3 after the restore (from the checkpoint of epoch 1), the failed run's 1
    calls_by_name = Counter({k: v for k, v in calls.items() if "MapBatches" in k})
    assert calls_by_name == {"ReadRange->MapBatches(add_one)": 16}
    no_invented_nodes(doc)


def test_serve_composed_deployments_batch_stream_and_a_raising_replica() -> None:
    end, doc, verdict = explored("explore12_serve_compose")
    have, truth = graph_calls(doc), _truth_calls(end)
    # every call Ray lists at `end` (after serve.delete), by its name and count; the logs go on
    # to serve.shutdown, whose calls (the controller's and the proxy's) come after
    assert not truth - have
    assert {k.split(".")[0] for k in have - truth} <= {"ServeController", "ProxyActor"}
    requests = {name.split(":")[2].split(".")[0]: n for name, n in truth.items()
                if name.endswith(".handle_request_with_rejection")}
    assert requests == {"Front": 40, "Adder": 40, "Counter": 40}  # 30 over HTTP, 10 by handle
    # Front's requests made Adder's and Counter's (the recorder names the method; Ray's
    # parent is the replica's creation: ray-project/ray#31879)
    edges = _graph_edges(doc)
    front = "ServeReplica:compose:Front.handle_request_with_rejection"
    assert {callee.split(":")[2]: n for (caller, callee), n in edges.items()
            if caller == front and callee.endswith(".handle_request_with_rejection")} == {
        "Adder.handle_request_with_rejection": 40, "Counter.handle_request_with_rejection": 40}
    # the failures are the two attempts Ray failed with the user's ValueError: Counter's, and
    # Front's, which streamed it; nothing of serve.delete and serve.shutdown is a failure
    names = _truth_names(end)
    raised = sorted(names[t["task_id"]] for t in end["tasks"]
                    if t["state"] == "FAILED" and t["error_type"] == "TASK_EXECUTION_EXCEPTION")
    name = node_names(doc)
    assert sorted((name[f["node"]], f["message"]) for f in doc["failures"]) == [
        (n, "ValueError: Counter refuses 13") for n in raised]
    assert [n.split(":")[2] for n in raised] == [
        "Counter.handle_request_with_rejection", "Front.handle_request_with_rejection"]
    # Front's request re-raised the error of Counter's stream: it follows from it
    cause = {name[f["node"]].split(":")[2].split(".")[0]: (f["key"], f["cause"])
             for f in doc["failures"]}
    assert (cause["Counter"][1], cause["Front"][1]) == ("", cause["Counter"][0])
    assert doc["summary"]["failures"]["causes"] == 1
    assert verdict == 1
    assert {e["category"] for e in doc["ends"]} == {"intended"}
    assert {(d["name"], d["requests"], d["failures"]) for d in doc["serve"]} == {
        ("Front", 40, 1), ("Adder", 40, 0), ("Counter", 40, 1)}
    # serve.shutdown kills the controller right after its last health checks of the proxy,
    # and the proxy: those calls left only the recorder's submission, lost with both, no gap
    cover = doc["summary"]["coverage"]
    assert (cover["complete"], cover["without_execution"], cover["without_final_state"]) == (
        True, 0, 0)
    assert [w for w in doc["summary"]["warnings"] if "incomplete capture" in w] == []
    no_invented_nodes(doc)


def test_data_operators_composed() -> None:
    end, doc, verdict = explored("explore12_data_mix")
    # Ray's calls, by its names; the tasks Ray runs under a function's name only (the
    # shuffle's map and reduce, the zip's) on their operators' nodes, as many
    graph_rest, truth_rest = calls_by_plan(doc, end)
    assert graph_rest == truth_rest
    tasks = operator_tasks(doc)
    # 3 blocks zipped, each shuffled by the repartition (3 maps) into 4 (4 reduces)
    assert (tasks["ZipOperator(ReadRange, Map(square))"], tasks["Repartition"]) == (3, 3 + 4)
    # the two Readers each called once with its half; no failure: the footer readers, the
    # split's coordinator and Ray Data's actors end as Ray Data ends them
    assert graph_calls(doc)["Reader.total"] == 2
    assert doc["failures"] == [] and verdict == 0
    assert {e["category"] for e in doc["ends"]} <= {"intended"}
    cover = doc["summary"]["coverage"]
    assert (cover["complete"], cover["without_final_state"]) == (True, 0)
    assert [w for w in doc["summary"]["warnings"] if "incomplete capture" in w] == []
    no_invented_nodes(doc)


def test_tune_errored_trial_restored() -> None:
    end, doc, verdict = explored("explore12_tune_restore")
    assert graph_calls(doc) == _shown_calls(end)
    # 5 trial actors: the 4 of the first fit, and x=3's run again by the restored fit
    trials = [a for a in end["actors"] if a["repr_name"] == "trainable"]
    assert len(trials) == 5 and len(doc["tune"]) == 5
    # the one failure is x=3's first run raising (its train call), on the actor Ray ran it on
    raised = [t for t in end["tasks"] if t["state"] == "FAILED"]
    assert [(t["error_type"], t["actor_id"]) for t in raised] == [
        ("TASK_EXECUTION_EXCEPTION", doc["failures"][0]["node"].split(".")[0])]
    assert [(f["kind"], f["category"], f["message"]) for f in doc["failures"]] == [
        ("task", "error", "RuntimeError: trial x=3 fails on its first run")]
    assert verdict == 1
    assert sorted((t["train_calls"], t["failures"]) for t in doc["tune"]) == [
        (2, 1), (4, 0), (4, 0), (4, 0), (4, 0)]
    assert {e["category"] for e in doc["ends"]} == {"intended"}
    assert doc["summary"]["coverage"]["complete"] is True
    no_invented_nodes(doc)


def test_dask_on_ray_named_by_dask_function() -> None:
    from flowinsight.pipeline.identity import dask_name

    end, doc, verdict = explored("explore12_dask")
    # every task Ray ran under its dask key is one call of its dask function's node
    truth = Counter(dask_name(t["name"]) for t in end["tasks"] if t["type"] == "NORMAL_TASK")
    assert truth == {"dask:load": 4, "dask:clean": 4, "dask:combine": 1, "dask:sum": 4,
                     "dask:sum-aggregate-finalize-hlgfinalizecompute": 1}
    assert graph_calls(doc) == truth
    assert doc["failures"] == [] and verdict == 0
    assert doc["summary"]["coverage"]["complete"] is True
    no_invented_nodes(doc)
