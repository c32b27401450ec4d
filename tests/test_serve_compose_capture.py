"""Serve: one app of 3 deployments composed with DeploymentHandles, recorded live
(tests/live/workloads/explore12_serve_compose.py: `Front` calls `Adder`'s @serve.batch method
and streams `Counter`'s generator, whose replica raises on one request; 30 requests over HTTP,
10 through a handle; serve.delete, serve.shutdown), held to Ray's State API dump of the same
run after serve.delete (tests/data/serve_compose/state_truth.json.gz)."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from typing import Any

from conftest import DATA, cli
from flowinsight.model.ids import actor_of_task
from flowinsight.pipeline import Options, analyze
from flowinsight.read import discover, read_capture

CAPTURE = DATA / "serve_compose"


def _truth() -> dict[str, Any]:
    end: dict[str, Any] = json.loads(gzip.decompress(
        (CAPTURE / "state_truth.json.gz").read_bytes()))["phases"]["end"]
    return end


def test_the_calls_killed_with_serve_s_controller_and_proxy_are_no_gap() -> None:
    """serve.shutdown kills the controller right after its last health checks of the proxy
    (ProxyActor.check_health, shutdown), and the proxy: those calls left only the recorder's
    submission (the controller held their definition, the proxy their execution), no gap."""
    end = _truth()
    result = analyze(read_capture(discover([str(CAPTURE)])), Options(internals=True))
    rows = {(a.task_id, a.attempt) for a in result.attempts}
    assert {(t["task_id"], t["attempt_number"]) for t in end["tasks"]} <= rows
    killed = {f.node for f in result.ends
              if f.kind == "actor" and f.error_type.endswith(":RAY_KILL")}
    classes = {a["actor_id"]: a["class_name"] for a in end["actors"]}
    assert Counter(classes[a] for a in killed) == {
        "ServeController": 1, "ProxyActor": 1, "ServeReplica:compose:Front": 1,
        "ServeReplica:compose:Adder": 1, "ServeReplica:compose:Counter": 1}
    cover = result.coverage
    assert (cover.complete, cover.tasks, cover.without_final_state, cover.without_execution) \
        == (True, 274, 0, 0)
    assert not [w for w in result.warnings if "incomplete capture" in w]
    # the calls without any attempt: the controller's last three to the proxy
    first = Counter(a.node for a in result.attempts if a.attempt == 0)
    proxy = {a: c for a, c in classes.items() if c == "ProxyActor"}
    assert {(n.name, n.calls - first[n.id]) for n in result.nodes
            if n.calls > first[n.id]} == {("check_health", 2), ("shutdown", 1)}
    assert {n.actor_id for n in result.nodes if n.calls > first[n.id]} == proxy.keys()


def test_a_raising_replica_fails_the_request_that_streamed_it() -> None:
    end = _truth()
    doc = json.loads(cli("export", "--format", "json", str(CAPTURE)).stdout)
    raised = {t["task_id"]: t for t in end["tasks"]
              if t["state"] == "FAILED" and t["error_type"] == "TASK_EXECUTION_EXCEPTION"}
    classes = {a["actor_id"]: a["class_name"] for a in end["actors"]}
    assert sorted(classes[t["actor_id"]] for t in raised.values()) == [
        "ServeReplica:compose:Counter", "ServeReplica:compose:Front"]
    failures = {f["taskId"]: f for f in doc["failures"]}
    assert failures.keys() == raised.keys()
    assert {f["message"] for f in failures.values()} == {"ValueError: Counter refuses 13"}
    assert {f["category"] for f in doc["ends"]} == {"intended"}
    assert {(d["name"], d["requests"], d["failures"]) for d in doc["serve"]} == {
        ("Front", 40, 1), ("Adder", 40, 0), ("Counter", 40, 1)}
    assert {actor_of_task(t) for t in failures} <= set(classes)


def test_the_request_that_streamed_the_error_follows_from_it() -> None:
    """Front awaited Counter's stream, which raised: Ray re-raised the ValueError in Front's
    request (RayTaskError), which failed with it. Both stay failures (Ray recorded both); the
    caller's follows from its callee's (failure_causes: a call of its own that raised)."""
    end = _truth()
    doc = json.loads(cli("export", "--format", "json", str(CAPTURE)).stdout)
    classes = {a["actor_id"]: a["class_name"] for a in end["actors"]}
    by_class = {classes[actor_of_task(f["taskId"])]: f for f in doc["failures"]}
    counter, front = by_class["ServeReplica:compose:Counter"], by_class[
        "ServeReplica:compose:Front"]
    assert (counter["cause"], front["cause"]) == ("", counter["key"])
    assert doc["summary"]["failures"]["causes"] == 1
    out = cli("analyze", str(CAPTURE)).stdout.decode()
    assert "\nFailures (2 from 1 cause)\n" in out
