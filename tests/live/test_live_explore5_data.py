"""Ray Data's all-to-all and limit operators (workloads/explore5_data_alltoall.py), run under the
recorder and held against Ray's State API dump of the same run: every task Ray runs under a
function's name only (a shuffle's map and reduce, a sort's sample, a limit's slice, a zip's)
on a node of its operator, named as the plan names it; each operator counting its own tasks;
the rest by Ray's names; no failure, nothing invented; and the same under the hash_shuffle
strategy, whose aggregator actors are their operators'. Needs the `ray-libs` extra; ~40-70 s
each."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from typing import Any

import pytest

from .harness import REPO, cli_available, graph, run_workload, temp_root
from .record_library_samples import CALL_SITES, TRUTH_FILE
from .test_live_explore import LIBS, no_invented_nodes
from .test_live_explore3_data import UNNAMED, calls_by_plan

pytestmark = [
    pytest.mark.skipif(not cli_available(), reason="flowinsight CLI not available"),
    pytest.mark.skipif(not LIBS, reason="needs the ray-libs extra (Ray's State API)"),
]


def explored_rows(**env: str) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """Run the workload under the recorder: its State API truth, flowinsight's JSON and its
    attempt rows."""
    with temp_root() as root:
        run = run_workload("explore5_data_alltoall", root, **CALL_SITES, **env)
        end = json.loads((root / TRUTH_FILE).read_text())["phases"]["end"]
        doc = graph(run.session_dir)
        done = subprocess.run(
            [sys.executable, "-m", "flowinsight", "export", str(run.session_dir), "--format",
             "json", "--attempts"], capture_output=True, text=True, timeout=120, cwd=REPO)
        assert done.returncode == 0, done.stderr[-4000:]
    return end, doc, json.loads(done.stdout)["attempts"]


def test_all_to_all_operators_against_the_state_api() -> None:
    end, doc, rows = explored_rows()
    graph_rest, truth_rest = calls_by_plan(doc, end)
    assert graph_rest == truth_rest
    # task by task: each one the State API lists under such a function is on a node of the
    # operator of its kind (by the names Ray Data gives them)
    node_of = {(r["task_id"], r["attempt"]): r["node"] for r in rows}
    ops = {n: op["name"] for plan in doc["datasets"] for op in plan["operators"]
           for n in op["nodes"]}
    kinds = {"map": ("RandomShuffle", "Repartition"), "reduce": ("RandomShuffle", "Repartition"),
             "_sample_block": ("SortSample(",), "slice_fn": ("limit=",),
             "_zip_one_block": ("ZipOperator(",), "_split_single_block": ("ZipOperator(",)}
    ran: Counter[str] = Counter()
    for t in end["tasks"]:
        if t["name"] in UNNAMED:
            node = node_of[(t["task_id"], t["attempt_number"])]
            op = ops[node]
            assert op.split("->")[-1].startswith(kinds[t["name"]]), (t["name"], node)
            if t["name"] in ("map", "reduce"):
                stage = "Shuffle Map" if t["name"] == "map" else "Shuffle Reduce"
                assert node == f"{op} ({stage})"
            else:
                assert node == op
            ran[t["name"]] += 1
    assert ran["map"] == 8 and ran["reduce"] == 7 and ran["_sample_block"] == 4
    assert ran["slice_fn"] == 2  # limit=3 (take(3) after the sort) and limit=5
    # each operator counts its own: 4 blocks shuffled (4 map, 4 reduce), repartitioned into 3
    tasks = {op["name"]: op["tasks"] for plan in doc["datasets"] for op in plan["operators"]}
    assert (tasks["ReadRange->RandomShuffle"], tasks["ReadRange->Repartition"],
            tasks["SortSample(partitions=4)"], tasks["limit=3"], tasks["limit=5"]) == (
        8, 7, 4, 1, 1)
    assert tasks["ZipOperator(ReadRange, ReadRange)"] == ran["_zip_one_block"] + ran[
        "_split_single_block"]
    # each map gives each reduce its part: 4 x 4, and 4 x 3 for the repartition
    flows = {(f["source"], f["target"]): f["count"] for f in doc["dataFlows"]}
    for op, reduces in (("ReadRange->RandomShuffle", 4), ("ReadRange->Repartition", 3)):
        assert flows[(f"{op} (Shuffle Map)", f"{op} (Shuffle Reduce)")] == 4 * reduces
    assert not doc["failures"]
    assert not [t for t in end["tasks"] if t["state"] == "FAILED"
                and t["error_type"] != "TASK_CANCELLED"]
    no_invented_nodes(doc)
    assert doc["summary"]["coverage"]["ratio"] == 1.0


def test_hash_shuffle_operators_against_the_state_api() -> None:
    """Under the hash_shuffle strategy the groupby's operators run `_shuffle_block` tasks and
    HashShuffleAggregator actors: the tasks on their operators' nodes, each aggregator (its
    creation, submit and finalize calls, as the State API lists them by actor) among the nodes
    of one operator only."""
    end, doc, rows = explored_rows(RAY_DATA_DEFAULT_SHUFFLE_STRATEGY="hash_shuffle")
    graph_rest, truth_rest = calls_by_plan(doc, end)
    assert graph_rest == truth_rest
    node_of = {(r["task_id"], r["attempt"]): r["node"] for r in rows}
    ops = {n: op["name"] for plan in doc["datasets"] for op in plan["operators"]
           for n in op["nodes"]}
    hashed = ("Shuffle(key_columns=", "HashAggregate(key_columns=")
    for t in end["tasks"]:
        if t["name"] == "_shuffle_block":
            node = node_of[(t["task_id"], t["attempt_number"])]
            assert node == ops[node] and node.startswith(hashed), node
    aggregators = {a["actor_id"] for a in end["actors"]
                   if a["class_name"] == "HashShuffleAggregator"}
    assert len(aggregators) == 4  # 2 partitions: 2 for the aggregate, 2 for map_groups
    owner: dict[str, set[str]] = {}
    for t in end["tasks"]:
        if t["actor_id"] in aggregators:
            owner.setdefault(t["actor_id"], set()).add(
                ops[node_of[(t["task_id"], t["attempt_number"])]])
    assert all(len(names) == 1 and next(iter(names)).startswith(hashed)
               for names in owner.values()) and len(owner) == 4
    tasks = {op["name"]: op["tasks"] for plan in doc["datasets"] for op in plan["operators"]
             if op["name"].startswith(hashed)}
    # each: 4 _shuffle_block tasks, and 4 submit + 1 finalize per aggregator
    assert sorted(tasks.values()) == [14, 14]
    assert not doc["failures"]
    no_invented_nodes(doc)
