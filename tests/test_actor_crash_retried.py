"""Actors whose process died mid-call (tests/data/actor_crash_retried: tests/live/workloads/
explore7_actor_ft.py, Ray 2.60, without the recorder): Sturdy restarted and its calls retried,
Fragile (max_restarts=0) dead with its queued calls. Fragile died within a second of being
made, so Ray lost its constructor's execution event (a worker sends its task events about once
a second) with the process: that is explained by the crash, not a gap of the capture."""

from __future__ import annotations

import json
from collections import Counter

from conftest import ROOT, result_of

CAPTURE = ROOT / "tests" / "data" / "actor_crash_retried"
TRUTH = json.loads((CAPTURE / "state_truth.json").read_text())["phases"]["end"]


def test_a_constructor_lost_with_its_crashed_process_is_explained() -> None:
    result = result_of(CAPTURE)
    cover = result.coverage
    assert (cover.tasks, cover.complete_tasks, cover.without_execution) == (11, 11, 0)
    assert not [w for w in result.warnings if "incomplete capture" in w]


def test_the_failed_attempts_and_deaths_as_ray_says() -> None:
    result = result_of(CAPTURE)
    failed = Counter(t["error_type"] for t in TRUTH["tasks"] if t["state"] == "FAILED")
    assert Counter(f.error_type for f in result.failures if f.kind == "task") == failed == {
        "ACTOR_UNAVAILABLE": 4, "ACTOR_DIED": 3}
    assert sorted((f.error_type, f.category) for f in result.failures if f.kind == "actor") == [
        ("ACTOR_DIED_ERROR_CONTEXT:WORKER_DIED", "crash"), ("ACTOR_RESTARTING", "crash")]
    assert {f.category for f in result.failures} == {"crash"}
