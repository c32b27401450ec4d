"""Ray Data with an actor pool that scales, Ray Data file IO with groupbys, and Ray Core's
utilities (workloads/explore6_*.py), each run under the recorder and held against Ray's State
API dump of the same run: the calls of every task, method and constructor by Ray's names, the
failures (only the program's own error), Ray Data's ends (the pools' actors, the parquet
footer readers it kills) and an actor restarted on purpose as intended ends, each operator
counting its own tasks, data flows from the read tasks into the tasks that take their blocks,
and no node that names no task Ray ran. Needs the `ray-libs` extra; 30-70 s per program."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from .harness import cli_available
from .test_live_explore import LIBS, explored, flows_by_name, graph_calls, no_invented_nodes, \
    truth_calls
from .test_live_explore3_data import calls_by_plan, operator_tasks

pytestmark = [
    pytest.mark.skipif(not cli_available(), reason="flowinsight CLI not available"),
    pytest.mark.skipif(not LIBS, reason="needs the ray-libs extra (Ray's State API)"),
]


def _real_failures(end: dict[str, Any]) -> set[tuple[str, int]]:
    return {(t["task_id"], t["attempt_number"]) for t in end["tasks"]
            if t["state"] == "FAILED" and t["error_type"] == "TASK_EXECUTION_EXCEPTION"}


def _ops(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {op["name"]: op for plan in doc["datasets"] for op in plan["operators"]}


def test_an_actor_pool_that_scales_against_the_state_api() -> None:
    end, doc, verdict = explored("explore6_data_actor_pool")
    graph, truth = graph_calls(doc), truth_calls(end)
    # a pool actor tells Ray Data's ActorLocationTracker where it runs; one Ray Data kills
    # right after may never report that call, which the State API then does not list (it
    # knows a task from its caller's events): the tracker's own execution events have it
    tracked = "ActorLocationTracker.update_actor_location"
    pools = Counter(a["class_name"] for a in end["actors"]
                    if a["class_name"].startswith("MapWorker("))
    assert truth[tracked] <= graph.pop(tracked) <= truth.pop(tracked) + sum(pools.values())
    assert graph == truth
    assert pools["MapWorker(MapBatches(Scale))"] >= 2, pools  # the pool scaled up
    # each actor of a pool is a node of its operator, the operator counts its submit calls
    ops = _ops(doc)
    for op_name in ("MapBatches(Scale)", "MapBatches(Tag)"):
        actors = {a["actor_id"] for a in end["actors"]
                  if a["class_name"] == f"MapWorker({op_name})"}
        assert {n for n in ops[op_name]["nodes"] if "." not in n} == actors
        assert ops[op_name]["tasks"] == sum(
            1 for t in end["tasks"] if t["actor_id"] in actors and t["attempt_number"] == 0
            and t["func_or_class_name"].endswith(".submit"))
    assert (ops["ReadRange"]["tasks"], ops["Filter(even)"]["tasks"]) == (16, 16)
    # Ray Data lets the pools go, and kills an actor it asked for that had not started yet
    assert not doc["failures"] and verdict == 0
    assert {e["category"] for e in doc["ends"]} <= {"intended"}
    flows = flows_by_name(doc)
    assert flows[("ReadRange", "MapWorker(MapBatches(Scale)).submit")][0] == 16
    assert flows[("MapWorker(MapBatches(Scale)).submit",
                  "MapWorker(MapBatches(Tag)).submit")][0] == 16
    assert flows[("MapWorker(MapBatches(Tag)).submit", "Filter(even)")][0] == 16
    no_invented_nodes(doc)


def test_file_io_and_groupbys_against_the_state_api() -> None:
    end, doc, verdict = explored("explore6_data_io")
    graph, truth = calls_by_plan(doc, end)
    assert graph == truth
    # the footer readers read_parquet starts and kills (their creations FAILED WORKER_DIED,
    # their actors killed by ray.kill or let go): intended, no failure
    assert not doc["failures"] and verdict == 0
    assert {e["category"] for e in doc["ends"]} <= {"intended"}
    # each operator counts its own tasks, over all datasets Ray's count of its name: the
    # count's and the aggregate's HashAggregateMap/Reduce(...) share their names
    names = Counter(t["name"] for t in end["tasks"] if t["attempt_number"] == 0)
    for name, tasks in operator_tasks(doc).items():
        if tasks and name in names:
            assert tasks == names[name], name
    assert sum(1 for plan in doc["datasets"] for op in plan["operators"]
               if op["name"].startswith("HashAggregateMap(")) == 2
    # the read tasks give their blocks to the tasks after them
    flows = flows_by_name(doc)
    ops = _ops(doc)
    (shuffle_map,) = [n for n in ops if n.startswith("HashShuffleMap(")]
    assert flows[("ReadFilesParquetV2->MapBatches(double)", shuffle_map)][0] >= 1
    assert flows[("ReadCSV->SplitBlocks(4)", "Filter(small)->Write")][0] >= 1
    assert flows[("ReadArrowJSON->SplitBlocks(2)", "main")][0] >= 2  # iter_batches' blocks
    assert len(doc["datasets"]) == 7
    # the footer readers are Ray Data's internals: in the JSON, marked, as many as Ray made
    readers = [a for a in doc["actors"] if a["name"] == "FooterReader"]
    assert len(readers) == sum(1 for a in end["actors"] if a["class_name"] == "FooterReader")
    assert all(a["internal"] for a in readers)
    no_invented_nodes(doc)
    # ListFiles kills each footer reader as soon as its read_footers returns: the worker's
    # events of that call are lost to the kill, and the State API has no worker for it
    # either; the recorded kill explains them (no gap of the capture, docs/failures.md)
    lost = [t for t in end["tasks"] if t["state"] == "FINISHED" and t["worker_pid"] is None
            and t["type"] != "DRIVER_TASK"]
    # (and, on a loaded machine, its creation's too: a CI run lost FooterReader.__init__'s)
    assert {t["name"] for t in lost} <= {"FooterReader.read_footers", "FooterReader.__init__"}
    assert doc["summary"]["coverage"]["without_execution"] == 0
    assert doc["summary"]["coverage"]["complete"] is True


def test_core_utilities_against_the_state_api() -> None:
    end, doc, verdict = explored("explore6_core_utils")
    assert graph_calls(doc) == truth_calls(end)
    # the one failure is Worker.work(13)'s ValueError, which the driver caught
    real = _real_failures(end)
    assert len(real) == 1
    assert {(f["taskId"], f["attempt"]) for f in doc["failures"]} == real
    assert verdict == 1
    # the ledger ray.kill'ed by a task, Phoenix restarted by ray.kill(no_restart=False)
    ends = {(e["error_type"], e["category"]) for e in doc["ends"] if e["kind"] == "actor"}
    assert ("ACTOR_DIED_ERROR_CONTEXT:RAY_KILL", "intended") in ends
    assert ("ACTOR_RESTARTING", "intended") in ends
    phoenix = [a for a in end["actors"] if a["class_name"] == "Phoenix"]
    assert [a["num_restarts"] for a in phoenix] == [1]
    flows = flows_by_name(doc)
    assert flows[("settle", "Ledger.record")][0] == 3
    assert flows[("Ledger.record", "settle")][0] == 3
    assert flows[("main", "Worker.work")][0] == 11  # map 6, submit 4, the idle one's 1
    no_invented_nodes(doc)
