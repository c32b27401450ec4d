"""Ray Data programs flowinsight was not built on (workloads/explore3_data_*.py), each run
under the recorder and held against Ray's State API dump of the same run (workloads/lib_state.py):
the calls of every task and method by Ray's names, the failures (every failed attempt but a
cancellation, a retried one included; docs/failures.md), each dataset operator's own tasks, the
capture complete, and no node that names no task Ray ran. Needs the `ray-libs` extra; 20-60 s
per program."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from .harness import cli_available
from .test_live_explore import LIBS, explored, graph_calls, truth_calls

pytestmark = [
    pytest.mark.skipif(not cli_available(), reason="flowinsight CLI not available"),
    pytest.mark.skipif(not LIBS, reason="needs the ray-libs extra (Ray's State API)"),
]


def real_failures(end: dict[str, Any]) -> set[tuple[str, int]]:
    """Failed attempts that are failures: every one Ray lists FAILED (a retried one included,
    docs/failures.md) but a cancellation (Ray Data cancels what a reached limit no longer
    needs)."""
    return {(t["task_id"], t["attempt_number"]) for t in end["tasks"] if t["state"] == "FAILED"
            and t["error_type"] != "TASK_CANCELLED"}


# the functions Ray Data 2.60 runs some operators' tasks as, with neither a name of their own
# nor the operator's label (flowinsight/pipeline/data_stages.py): their nodes are their
# operators', by the plans
UNNAMED = {"map", "reduce", "_sample_block", "slice_fn", "_zip_one_block",
           "_split_single_block", "_shuffle_block", "map_partition", "merge"}


def by_plan(doc: dict[str, Any], end: dict[str, Any]) -> set[str]:
    """The nodes of the plans' operators that no State API name names: those of the tasks Ray
    runs under the functions above."""
    names = set(truth_calls(end))
    return {n for plan in doc["datasets"] for op in plan["operators"] for n in op["nodes"]
            if n not in names}


def calls_by_plan(doc: dict[str, Any], end: dict[str, Any]) -> tuple[Counter[str], Counter[str]]:
    """flowinsight's calls and the State API's, the tasks Ray runs under the functions above
    set apart: in flowinsight on their operators' nodes (as many as the State API has of those
    functions), in the truth under those functions."""
    graph, truth = graph_calls(doc), truth_calls(end)
    named = by_plan(doc, end)
    assert sum(graph[n] for n in named) == sum(truth[f] for f in UNNAMED)
    assert not UNNAMED & set(graph)
    return (Counter({n: c for n, c in graph.items() if n not in named}),
            Counter({n: c for n, c in truth.items() if n not in UNNAMED}))


def operator_tasks(doc: dict[str, Any]) -> Counter[str]:
    """Tasks of each labelled operator, summed over the datasets by operator name."""
    out: Counter[str] = Counter()
    for plan in doc["datasets"]:
        for op in plan["operators"]:
            out[op["name"]] += op["tasks"]
    return out


@pytest.mark.parametrize("workload,failures", [
    ("explore3_data_ops", 0),  # a limit's cancelled tasks are intended ends
    ("explore3_data_split", 0),
    # flaky's first attempt (retried to success), bad_block's 2 (its block dropped),
    # always_bad's 1
    ("explore3_data_errors", 4),
    ("explore3_data_limit", 0),  # cancelled, or left running to the job's end: no failure
])
def test_ray_data_program_against_the_state_api(workload: str, failures: int) -> None:
    end, doc, verdict = explored(workload)
    graph, truth = calls_by_plan(doc, end)
    assert graph == truth
    real = real_failures(end)
    assert len(real) == failures
    assert {(f["taskId"], f["attempt"]) for f in doc["failures"]} == real
    assert verdict == (1 if failures else 0)
    # every other failed attempt Ray lists is an end: cancelled
    ends = {(e["taskId"], e["attempt"]): e["category"] for e in doc["ends"] if e["kind"] == "task"}
    for t in end["tasks"]:
        if t["state"] == "FAILED" and (t["task_id"], t["attempt_number"]) not in real:
            assert ends[(t["task_id"], t["attempt_number"])] == "intended"
    # each operator Ray Data labelled counts its own tasks: over all datasets, Ray's count
    names = Counter(t["name"] for t in end["tasks"] if t["attempt_number"] == 0)
    for name, tasks in operator_tasks(doc).items():
        if tasks and name in names:  # the others: by their plans (calls_by_plan)
            assert tasks == names[name], name
    # complete, an attempt left running when the job ended included (docs/failures.md)
    assert doc["summary"]["coverage"]["ratio"] == 1.0
    assert doc["summary"]["coverage"]["undefined_tasks"] == 0
    assert not [f for f in doc["functions"] if f["inferred"]]
    # no flow of a node to itself but inside an operator: a split repartition's
    # _split_single_block gives its reduce tasks their blocks, in one sub-stage of Ray's
    named = by_plan(doc, end)
    assert not [f for f in doc["dataFlows"] if f["source"] == f["target"]
                and f["source"] not in named]
    if workload == "explore3_data_split":
        # the driver reads the 4 materialized blocks twice (take_all, iter_rows): 8 Arrow
        # tables of 25 rows x 2 int64 columns (400 B of values each), plus their metadata
        flows = {(f["source"], f["target"]): f for f in doc["dataFlows"]}
        assert flows[("ReadRange->Map(tag)", "main")]["bytes"] > 8 * 400
        # each Consumer.consume reads its half of the 8 blocks on iter_batches' prefetch
        # thread: the method that started the thread reads them, not the actor's constructor
        actors = {a["id"]: a["name"] for a in doc["actors"]}
        nodes = {a: f"{name}.__init__" for a, name in actors.items()} | {
            m["id"]: f"{actors[m['actorId']]}.{m['name']}" for m in doc["methods"]}
        readers: Counter[str] = Counter()
        for f in doc["dataFlows"]:
            if f["source"] == "ReadRange->MapBatches(scale)" and f["target"] in nodes:
                readers[nodes[f["target"]]] += f["count"]
        assert {n: c for n, c in readers.items() if n.startswith("Consumer")} == {
            "Consumer.consume": 8}
