"""Fault tolerance of Ray Core, run under the recorder and held against Ray's State API dump of
the same run (workloads/lib_state.py): an actor restarted and its call retried after its process
died mid-call, the calls made while it restarted, an actor that cannot restart dying with calls
queued (workloads/explore7_actor_ft.py); tasks with max_calls=1, a retried task whose worker was
SIGKILLed, retry_exceptions with an exception that is not retried and one that is
(workloads/explore7_task_retries.py). Needs the `ray-libs` extra; about 20 s per program."""

from __future__ import annotations

from .test_live_explore import (  # noqa: F401
    explored, flows_by_name, graph_calls, no_invented_nodes, node_names, pytestmark,
    truth_calls)

__all__ = ["pytestmark"]


def test_actor_restart_and_retry_against_the_state_api() -> None:
    end, doc, verdict = explored("explore7_actor_ft")
    assert graph_calls(doc) == truth_calls(end)
    name = node_names(doc)
    failed = [t for t in end["tasks"] if t["state"] == "FAILED"]
    # every failed attempt is one of flowinsight's, with Ray's error type, judged a crash
    assert sorted((name[f["node"]], f["error_type"]) for f in doc["failures"]
                  if f["kind"] == "task") == sorted((t["name"], t["error_type"]) for t in failed)
    assert {f["category"] for f in doc["failures"]} == {"crash"}
    # the deaths, each once on its actor: Sturdy restarted (1 restart, as Ray says), Fragile died
    actors = {a["class_name"]: a for a in end["actors"]}
    assert (actors["Sturdy"]["num_restarts"], actors["Fragile"]["state"]) == (1, "DEAD")
    assert sorted((name[f["node"]], f["error_type"]) for f in doc["failures"]
                  if f["kind"] == "actor") == [
        ("Fragile", "ACTOR_DIED_ERROR_CONTEXT:WORKER_DIED"), ("Sturdy", "ACTOR_RESTARTING")]
    assert verdict == 1
    # Fragile's constructor ran in the process that died: its lost execution is explained
    assert doc["summary"]["coverage"]["ratio"] == 1.0
    flows = flows_by_name(doc)
    assert flows[("main", "Sturdy.work")][0] == 2  # the argument, read by both attempts
    assert flows[("main", "Sturdy")][0] == 2  # the marker's path, read by both creations
    no_invented_nodes(doc)


def test_task_retries_against_the_state_api() -> None:
    end, doc, verdict = explored("explore7_task_retries")
    assert graph_calls(doc) == truth_calls(end)
    name = node_names(doc)
    failed = [t for t in end["tasks"] if t["state"] == "FAILED"]
    assert sorted((name[f["node"]], f["error_type"], f["category"]) for f in doc["failures"]) \
        == sorted((t["name"], t["error_type"], "crash" if t["name"] == "killed" else "error")
                  for t in failed) == [
        ("flaky", "TASK_EXECUTION_EXCEPTION", "error"), ("killed", "WORKER_DIED", "crash"),
        ("picky", "TASK_EXECUTION_EXCEPTION", "error")]
    assert doc["summary"]["failures"]["total"] == 3 and verdict == 1
    assert doc["summary"]["coverage"]["ratio"] == 1.0
    # max_calls=1: a worker per call, 3 of them (Ray's worker pids), one node `fresh`
    assert len({t["worker_pid"] for t in end["tasks"] if t["name"] == "fresh"}) == 3
    flows = flows_by_name(doc)
    assert {pair: count for pair, (count, _) in flows.items()} == {
        ("main", "fresh"): 3, ("fresh", "main"): 3,
        ("main", "killed"): 2, ("killed", "main"): 1,  # its argument read by both attempts
        ("main", "flaky"): 2, ("flaky", "main"): 1, ("picky", "main"): 1}
    no_invented_nodes(doc)


def test_train_fed_by_ray_data_against_the_state_api() -> None:
    """workloads/explore7_train_data.py: Train v2's 2 workers read a Ray Data dataset's shards
    through the streaming split (SplitCoordinator) for 2 epochs."""
    end, doc, verdict = explored("explore7_train_data")
    assert graph_calls(doc) == truth_calls(end)
    assert not [t for t in end["tasks"] if t["state"] == "FAILED"]
    assert doc["summary"]["failures"]["total"] == 0 and verdict == 0
    # one execution of the dataset per epoch, with the operators Ray Data names
    assert [[(o["name"], o["tasks"]) for o in d["operators"]] for d in doc["datasets"]] == [[
        ("Input", 0), ("ReadRange->MapBatches(add_square)", 8), ("split(2, equal=True)", 0)]] * 2
    flows = flows_by_name(doc)
    # each of the 8 blocks of each epoch goes to one worker; the split hands them out
    assert flows[("ReadRange->MapBatches(add_square)", "RayTrainWorker")][0] == 16
    assert flows[("ReadRange->MapBatches(add_square)", "SplitCoordinator")][0] > 0
    assert flows[("SplitCoordinator.get", "RayTrainWorker")][0] > 0
    assert flows[("DatasetManager.get_dataset_shard", "RayTrainWorker")][0] == 2
    assert not [pair for pair in flows if pair[0] == pair[1]]
    no_invented_nodes(doc)
