"""lattice_workflow under the recorder: a driver thread submits tasks; one of them fails."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .harness import (
    Run, by_label, check_envelopes, check_tasks_match_export, cli_available, flow, function_id,
    function_name, graph, near, run_workload, temp_root,
)

DRIVER_TASK = "f" * 40 + "01000000"
BLOB = 200_000


@pytest.fixture(scope="module")
def run() -> Iterator[Run]:
    with temp_root() as root:
        yield run_workload("lattice_workflow", root)


def test_lines_are_well_formed_and_match_ray(run: Run) -> None:
    lines = check_envelopes(run.session_dir)
    check_tasks_match_export(run.session_dir, lines)


def test_submissions_from_the_scheduler_thread_belong_to_the_driver(run: Run) -> None:
    submitted = by_label(check_envelopes(run.session_dir), "task_submitted")
    names = sorted(function_name(s["descriptor"]) for s in submitted)
    assert names == ["_run_batch_task"] * 3 + ["run_code_task"] * 5
    assert {s["src_task_id"] for s in submitted} == {DRIVER_TASK}


def test_results_and_the_failure_are_read_by_the_driver(run: Run) -> None:
    lines = check_envelopes(run.session_dir)
    code_tasks = {s["task_id"] for s in by_label(lines, "task_submitted")
                  if function_name(s["descriptor"]) == "run_code_task"}
    returns = [p for p in by_label(lines, "object_put")
               if p["kind"] == "return" and p["task_id"] in code_tasks]
    assert len(returns) == 5  # four results and the stored error of `flaky`
    assert sum(near(p["size_bytes"], BLOB) for p in returns) == 4
    reads = [g for g in by_label(lines, "object_get")
             if g["object_id"] in {p["object_id"] for p in returns}]
    assert len(reads) == 5 and {g["task_id"] for g in reads} == {DRIVER_TASK}


@pytest.mark.skipif(not cli_available(), reason="flowinsight CLI not available")
def test_graph_data_flows(run: Run) -> None:
    result = graph(run.session_dir)
    code = function_id(result, "run_code_task")
    results = flow(result, code, "main")
    assert results["count"] == 5 and near(results["bytes"], 4 * BLOB)
    assert flow(result, "main", code)["count"] == 10  # two arguments per call
    batch = function_id(result, "_run_batch_task")
    assert flow(result, "main", batch)["count"] == 9  # three arguments per call
    assert flow(result, batch, "main")["count"] == 3
