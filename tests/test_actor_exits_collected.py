"""Actors that ended on purpose, captured through Ray's event export (tests/data/
actor_exits_collected: tests/live/workloads/explore8_actor_exits.py, Ray 2.60, under the
recorder, the event export received by `flowinsight collect`): exit_actor() in a sync, an
async and a threaded actor's method and in a constructor, __ray_terminate__, calls queued
behind them. The async actor's worker wrote two `task:store_outputs` spans under Ray's nil
task id: a valid line (the Export API's reader ignores such lines too), not a skipped one that
would make the capture look incomplete."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from conftest import ROOT, json_of, result_of

from flowinsight.read.fields import BadLine
from flowinsight.read.ray_events_v2 import parse_ray_event_v2

CAPTURE = ROOT / "tests" / "data" / "actor_exits_collected"
TRUTH = json.loads((CAPTURE / "state_truth.json").read_text())["phases"]["end"]


def test_a_span_under_the_nil_task_id_is_ignored_not_skipped() -> None:
    result = result_of(CAPTURE)
    assert result.read.skipped_total == 0
    ignored = Counter[str]()
    for report in result.read.files:
        ignored.update(dict(report.ignored))
    assert ignored["task:nil_task_id"] == 1
    assert result.coverage.complete and result.coverage.ratio == 1.0
    assert not [w for w in result.warnings if "incomplete capture" in w]


def test_every_end_is_intended_as_ray_says() -> None:
    doc = json_of(CAPTURE)
    names = {n["id"]: n["name"] for kind in ("functions", "actors") for n in doc[kind]}
    names.update({m["id"]: f"{names[m['actorId']]}.{m['name']}" for m in doc["methods"]})
    failed = Counter((t["name"], t["error_type"]) for t in TRUTH["tasks"]
                     if t["state"] == "FAILED")
    assert failed == {("Quitter.ping", "ACTOR_DIED"): 2, ("Terminated.ping", "ACTOR_DIED"): 2,
                      ("NeverStarts.ping", "ACTOR_DIED"): 1}
    assert doc["failures"] == [] and doc["summary"]["failures"]["total"] == 0
    assert Counter((names[e["node"]], e["error_type"]) for e in doc["ends"]
                   if e["kind"] == "task") == failed
    dead = sorted(a["class_name"] for a in TRUTH["actors"] if a["state"] == "DEAD")
    assert sorted((names[e["node"]], e["error_type"]) for e in doc["ends"]
                  if e["kind"] == "actor") == [
        (name, "ACTOR_DIED_ERROR_CONTEXT:WORKER_DIED") for name in dead]
    assert {e["category"] for e in doc["ends"]} == {"intended"}


def test_the_nil_task_id_in_either_spelling_of_the_event_export() -> None:
    nil = "/" * 32  # base64 of 24 0xff bytes
    camel = {"eventType": "TASK_PROFILE_EVENT", "taskProfileEvents": {"taskId": nil}}
    snake = {"event_type": "TASK_LIFECYCLE_EVENT", "task_lifecycle_event": {"task_id": nil}}
    assert parse_ray_event_v2(camel) == parse_ray_event_v2(snake) == "task:nil_task_id"
    with pytest.raises(BadLine):  # a task event without any task id is still a bad line
        parse_ray_event_v2({"eventType": "TASK_PROFILE_EVENT", "taskProfileEvents": {}})
