"""Four Ray core programs flowinsight was not built on (workloads/explore4_*.py), run under the
recorder and held against Ray's State API dump of the same run (workloads/lib_state.py):
failure causes (a constructor that raises, a failed dependency, force-cancel, a runtime_env
that cannot be set up, an unplaceable task cancelled, an actor never made, an actor killed with
a call pending, a worker that exits) and object forms (num_returns=2, refs
in a list, a nested ref, inlined and plasma values, ray.wait(fetch_local=True), ray.dag of
functions and of an actor method, a large by-value array, a put ref shared by tasks and an
actor, refs in a dict, an actor's two returns to another actor). Needs the `ray-libs`
extra; about 20-40 s per program."""

from __future__ import annotations

from .test_live_explore import (  # noqa: F401
    explored, flows_by_name, graph_calls, no_invented_nodes, node_names, pytestmark,
    truth_calls)

__all__ = ["pytestmark"]


def test_core_failure_causes_against_the_state_api() -> None:
    end, doc, verdict = explored("explore4_failures")
    assert graph_calls(doc) == truth_calls(end)
    name = node_names(doc)
    failed = [t for t in end["tasks"] if t["state"] == "FAILED"]
    # every failed attempt but the two cancellations is a failure, once, with Ray's error type;
    # the constructor's failure is its attempt (Ray's name `Broken.__init__`, the node `Broken`)
    assert sorted((name[f["node"]], f["error_type"]) for f in doc["failures"]) == sorted(
        (t["name"].removesuffix(".__init__"), t["error_type"]) for t in failed
        if t["error_type"] != "TASK_CANCELLED")
    assert {f["category"] for f in doc["failures"]} == {"error"}
    assert sorted((name[e["node"]], e["error_type"], e["category"]) for e in doc["ends"]
                  if e["kind"] == "task") == sorted(
        (t["name"], "TASK_CANCELLED", "intended") for t in failed
        if t["error_type"] == "TASK_CANCELLED")
    assert doc["summary"]["failures"]["total"] == 6 and verdict == 1
    assert doc["summary"]["coverage"]["ratio"] == 1.0  # nothing of the capture is missing
    no_invented_nodes(doc)


def test_core_object_forms_against_the_state_api() -> None:
    end, doc, verdict = explored("explore4_objects")
    assert graph_calls(doc) == truth_calls(end)
    assert doc["summary"]["failures"]["total"] == 0 and verdict == 0
    assert doc["summary"]["coverage"]["ratio"] == 1.0
    flows = flows_by_name(doc)
    assert {pair: count for pair, (count, _) in flows.items()} == {
        ("main", "split"): 1, ("split", "count"): 2, ("split", "gather"): 2,  # borrowed refs
        ("main", "gather"): 1, ("count", "main"): 2, ("gather", "main"): 1,
        ("make_nested", "main"): 2,  # its return (a ref) and the object it put
        ("main", "double"): 5, ("double", "main"): 1, ("double", "add"): 2, ("add", "main"): 1,
        ("double", "Acc.push"): 2, ("Acc.push", "main"): 2}
    assert all(f["unsized"] == 0 for f in doc["dataFlows"])
    # the sizes Ray's State API gives the objects still held at the end: split's two returns
    sizes = {o["object_id"]: o["object_size"] for o in end["objects"]}
    split_task = [t["task_id"] for t in end["tasks"] if t["name"] == "split"][0]
    returns = [sizes[split_task + f"{i:02x}000000"] for i in (1, 2)]
    assert returns[1] > 2 * 1024 * 1024 > 100 * 1024 > returns[0]  # plasma, inlined
    assert flows[("split", "count")][1] == flows[("split", "gather")][1] == sum(returns)
    assert flows[("make_nested", "main")][1] > 2 * 1024 * 1024
    no_invented_nodes(doc)


def test_core_object_forms_by_value_shared_and_actor_to_actor() -> None:
    end, doc, verdict = explored("explore4_objects2")
    assert graph_calls(doc) == truth_calls(end)
    assert doc["summary"]["failures"]["total"] == 0 and verdict == 0
    assert doc["summary"]["coverage"]["ratio"] == 1.0
    flows = flows_by_name(doc)
    big = 2 * 1024 * 1024
    assert {pair: count for pair, (count, _) in flows.items()} == {
        # a 2 MB array by value, the put ref twice (once as a keyword), scale=2, an 8-byte array
        ("main", "size_of"): 5,
        ("size_of", "main"): 5,  # one ray.get of 1, one of 2, one naming one ref twice
        ("main", "unpack"): 3,  # the dict by value, then the two refs it held, read inside
        ("unpack", "main"): 1,
        ("main", "Maker.pair"): 1,
        ("Maker.pair", "Taker.take"): 2,  # both returns of num_returns=2, one as a keyword
        ("main", "Taker.take"): 1, ("Taker.take", "main"): 2}
    assert all(f["unsized"] == 0 for f in doc["dataFlows"])
    assert 3 * big < flows[("main", "size_of")][1] < 3 * big + 4096
    assert big < flows[("main", "unpack")][1] < big + 4096
    assert big < flows[("Maker.pair", "Taker.take")][1] < big + 4096
    assert big < flows[("main", "Taker.take")][1] < big + 4096
    no_invented_nodes(doc)


def test_actor_never_made_killed_while_pending_and_a_worker_exit() -> None:
    end, doc, verdict = explored("explore4_failures2")
    assert graph_calls(doc) == truth_calls(end)
    name = {k: v.split(" #")[0] for k, v in node_names(doc).items()}  # two Lost instances
    failed = [t for t in end["tasks"] if t["state"] == "FAILED"]
    killed = [t for t in failed if "killed by `ray.kill`" in (t["error_message"] or "")]
    assert len(killed) == 1  # the pending call; the killed actor's creation has no text
    # every failed attempt but those ray.kill ended (the call, the creation) is a failure, once
    assert sorted((name[f["node"]], f["error_type"]) for f in doc["failures"]) == [
        ("Lost", "WORKER_DIED"), ("Lost.ping", "RUNTIME_ENV_SETUP_FAILED"),
        ("dies", "WORKER_DIED")]
    assert sorted(t["name"].removesuffix(".__init__") for t in failed) == [
        "Lost", "Lost", "Lost.ping", "Lost.ping", "dies"]
    assert sorted((e["kind"], e["category"]) for e in doc["ends"]) == [
        ("actor", "intended"), ("task", "intended"), ("task", "intended")]
    assert doc["summary"]["failures"]["total"] == 3 and verdict == 1
    assert doc["summary"]["coverage"]["ratio"] == 1.0
    no_invented_nodes(doc)
