"""Durations, failures, coverage and the critical path on the real captures."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import json_of, result_of, sample
from libsession import driver, executed, submitted, task_id, write_session
from flowinsight.pipeline.stats import dist, percentile


def test_lattice_failed_attempt_and_durations() -> None:
    doc = json_of(sample("lattice_workflow"))
    assert [(f["kind"], f["node"], f["attempt"], f["error_type"], f["message"])
            for f in doc["failures"]] == [
        ("task", "run_code_task", 0, "TASK_EXECUTION_EXCEPTION", "ValueError: task failed on purpose")]
    assert doc["summary"]["failures"] == {"total": 1, "causes": 1,
                                          "by_type": {"TASK_EXECUTION_EXCEPTION": 1}}
    fns = {f["id"]: f for f in doc["functions"]}
    run = fns["run_code_task"]["stats"]
    assert (run["tasks"], run["attempts"], run["failures"], run["retries"]) == (5, 5, 1, 0)
    # the workload sleeps 50 ms: the task:execute spans say so
    assert 50.0 <= run["exec_ms"]["p50"] <= 52.0
    assert run["exec_ms"]["p50"] == 50.404 and run["exec_ms"]["max"] == 51.031
    assert fns["run_code_task"]["failures"] == 1
    batch = fns["_run_batch_task"]["stats"]
    assert (batch["attempts"], batch["failures"], batch["exec_ms"]["count"]) == (3, 0, 3)
    edge = next(c for c in doc["callFlows"] if c["target"] == "run_code_task")
    assert edge["stats"]["attempts"] == 5 and edge["stats"]["failures"] == 1


def test_coverage_full_and_lossy() -> None:
    full = json_of(sample("sage_pipeline"))["summary"]["coverage"]
    assert (full["ratio"], full["complete"], full["tasks"], full["complete_tasks"]) == (
        1.0, True, 216, 216)
    lossy_doc = json_of(sample("sage_pipeline_lossy"))
    lossy = lossy_doc["summary"]["coverage"]
    assert lossy["complete"] is False and lossy["ratio"] < 1.0
    assert {k: lossy[k] for k in ("tasks", "complete_tasks", "without_definition",
                                  "without_parent", "without_final_state",
                                  "without_execution")} == {
        "tasks": 66, "complete_tasks": 64, "without_definition": 2, "without_parent": 0,
        "without_final_state": 2, "without_execution": 0}
    # what the actors' ray.kill lost of their last second's calls (failures.lost_to_kill) is
    # no gap; the lost definitions, and the final states of calls left without an attempt, are
    assert lossy_doc["summary"]["warnings"][0].startswith("incomplete capture: coverage 97.0%")


def test_every_capture_reports_nothing_failed_but_lattice() -> None:
    for name in ("nested_tasks", "sage_pipeline", "sage_pipeline_lossy"):
        doc = json_of(sample(name))
        assert doc["failures"] == [], name  # ray.kill and a finished owner are no failures


def test_critical_path_follows_the_waiting_chain() -> None:
    doc = json_of(sample("sage_pipeline"))
    (path,) = doc["criticalPath"]
    names = {a["id"]: a["actor_name"] for a in doc["actors"]}
    steps = [s["node"] for s in path["steps"]]
    assert steps[0] == "main"
    chain = [names[n.split(".")[0]] + "." + n.split(".")[1] for n in steps[1:]]
    assert chain[0] == "source.put_packet" and chain[-1] == "sink.put_packet"
    assert len(chain) == 3 and chain[1] in ("map_0.put_packet", "map_1.put_packet")


def test_attempts_match_task_records() -> None:
    result = result_of(sample("nested_tasks"))
    assert len(result.attempts) == 27
    assert {a.status for a in result.attempts} == {"FINISHED"}


def test_exact_percentiles() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile([10.0], 0.95) == 10.0
    d = dist([4.0, None, 1.0, 3.0, 2.0])
    assert d is not None and (d.count, d.p50, d.p95, d.max, d.sum) == (4, 2.5, pytest.approx(3.85), 4.0, 10.0)
    assert dist([]) is None


def test_an_attempt_without_its_end_costs_its_duration_not_its_call(tmp_path: Path) -> None:
    # the executing worker's events lost (a job that ended within Ray's flush interval): the
    # call is in the graph and the warning says so; a task without its definition may hide
    # calls, and the warning says that instead
    lines = driver() + [submitted(task_id(1), "f"), executed(task_id(1), "f"),
                        submitted(task_id(2), "f")]
    result = result_of(write_session(tmp_path / "lost_end", lines))
    assert [(c.source, c.target, c.count) for c in result.call_flows] == [("main", "f", 2)]
    (warning,) = [w for w in result.warnings if w.startswith("incomplete capture")]
    assert warning == (
        "incomplete capture: coverage 66.7% of 3 tasks (1 attempts without a final state, "
        "1 attempts whose execution was not recorded); those attempts are in the graph with "
        "their calls, their durations or outcomes unknown (Ray writes a worker's task events "
        "about once a second and loses the last ones when the job ends or the worker dies "
        "first)")
    lines.append(executed(task_id(3), "g"))
    lossy = result_of(write_session(tmp_path / "no_definition", lines))
    (warning,) = [w for w in lossy.warnings if w.startswith("incomplete capture")]
    assert warning.endswith("; the graph may miss calls")
