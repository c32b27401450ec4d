"""An actor restarted on purpose: `ray.kill(actor, no_restart=False)` on an actor with
max_restarts (tests/data/actor_restart_asked: tests/live/workloads/explore6_core_utils.py, Ray
2.60, export events and every Ray component's event log, without the recorder). The GCS
exports the restart (RESTARTING) without a cause, as it does a crash's; the raylet writes
RAY_WORKER_FAILURE for a worker that died of a system error and nothing for one that exited as
intended. So with the raylet's event log read and no failure label near, the restart is an
intended end (pipeline/failures.py: restarts_asked); without that log, a crash as before."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

from conftest import ROOT, result_of
from flowinsight.pipeline.failures import RESTART_ASKED

CAPTURE = ROOT / "tests" / "data" / "actor_restart_asked"
SESSION = next(CAPTURE.glob("session_*"))
PHOENIX = "9a52698e67e4f21f5ffc977301000000"  # Phoenix, killed with no_restart=False


def _truth_failures() -> set[tuple[str, int]]:
    """The failed attempts the State API lists that are the program's own errors."""
    tasks = json.loads((CAPTURE / "state_truth.json").read_text())["phases"]["end"]["tasks"]
    return {(t["task_id"], t["attempt_number"]) for t in tasks
            if t["state"] == "FAILED" and t["error_type"] == "TASK_EXECUTION_EXCEPTION"}


def test_a_restart_asked_for_is_an_intended_end() -> None:
    result = result_of(CAPTURE)
    assert {(f.task_id, f.attempt) for f in result.failures} == _truth_failures()
    assert len(result.failures) == 1  # Worker.work(13) raised, as meant
    restarts = [e for e in result.ends if e.error_type == "ACTOR_RESTARTING"]
    assert [(e.node, e.category, e.message) for e in restarts] == [
        (PHOENIX, "intended", RESTART_ASKED)]
    # the ping sent while the actor restarted failed ACTOR_UNAVAILABLE: the restart's end too
    assert [(e.category, e.error_type) for e in result.ends
            if e.kind == "task" and e.node.startswith(PHOENIX)] == [
        ("intended", "ACTOR_UNAVAILABLE")]


def _copy(tmp_path: Path) -> Path:
    copy = tmp_path / SESSION.name
    shutil.copytree(SESSION, copy)
    return copy


def test_without_the_raylets_log_a_restart_is_a_crash(tmp_path: Path) -> None:
    copy = _copy(tmp_path)
    (copy / "logs" / "events" / "event_RAYLET.log").unlink()
    result = result_of(copy)
    assert sorted((f.node[:32], f.error_type, f.category) for f in result.failures
                  if f.kind == "actor") == [(PHOENIX, "ACTOR_RESTARTING", "crash")]


def test_a_worker_failure_of_its_pid_keeps_it_a_crash(tmp_path: Path) -> None:
    copy = _copy(tmp_path)
    actor_lines = (copy / "logs" / "export_events" / "event_EXPORT_ACTOR.log").read_text()
    restart = next(e for e in map(json.loads, actor_lines.splitlines())
                   if e["event_data"]["state"] == "RESTARTING")
    pid = restart["event_data"]["pid"]
    assert base64.b64decode(restart["event_data"]["actor_id"]).hex() == PHOENIX
    note = {"custom_fields": {"job_id": "01000000", "node_id": "", "worker_id": ""},
            "event_id": "f" * 36, "host_name": "vm", "label": "RAY_WORKER_FAILURE",
            "message": "A worker died or was killed while executing a task by an unexpected "
                       f"system error. Worker PID: {pid} Worker exit type: SYSTEM_ERROR",
            "pid": "1", "severity": "ERROR", "source_type": "RAYLET",
            # long after the restart: its pid ties it
            "timestamp": restart["timestamp"] + 60}
    with (copy / "logs" / "events" / "event_RAYLET.log").open("a") as out:
        out.write(json.dumps(note) + "\n")
    result = result_of(copy)
    assert [(f.node[:32], f.category) for f in result.failures
            if f.error_type == "ACTOR_RESTARTING"] == [(PHOENIX, "crash")]
    assert not [e for e in result.ends if e.error_type == "ACTOR_RESTARTING"]


def test_a_crashed_actors_restart_with_the_raylets_log_stays_a_crash() -> None:
    # samples/libraries/actor_restart: the actor's process exits (os._exit) and Ray restarts
    # it; the raylet's log records that worker's RAY_WORKER_FAILURE
    capture = ROOT / "samples" / "libraries" / "actor_restart"
    assert next(capture.glob("session_*/logs/events/event_RAYLET.log")).read_text().count(
        "RAY_WORKER_FAILURE") >= 1
    result = result_of(capture)
    assert [(f.error_type, f.category) for f in result.failures
            if f.error_type == "ACTOR_RESTARTING"] == [("ACTOR_RESTARTING", "crash")]


def test_a_raylet_log_missing_for_a_node_the_attempts_ran_on_keeps_it_a_crash(
        tmp_path: Path) -> None:
    """One node's logs, where its attempts say another node ran some (a copy of one node of a
    cluster, without EXPORT_NODE): that node's raylet may have recorded the crash."""
    copy = _copy(tmp_path)
    for path in (copy / "logs" / "export_events").glob("event_EXPORT_NODE*"):
        path.unlink()
    other = base64.b64encode(bytes(range(28))).decode()
    for tasks in sorted((copy / "logs" / "export_events").glob("event_EXPORT_TASK*")):
        lines = tasks.read_text().splitlines()
        for i, line in enumerate(lines):
            event = json.loads(line)
            updates = event["event_data"].get("state_updates") or {}
            if updates.get("node_id"):
                updates["node_id"] = other
                lines[i] = json.dumps(event)
                tasks.write_text("\n".join(lines) + "\n")
                break
        else:
            continue
        break
    else:
        raise AssertionError("no attempt names its node")
    result = result_of(copy)
    assert [(f.node[:32], f.category) for f in result.failures
            if f.error_type == "ACTOR_RESTARTING"] == [(PHOENIX, "crash")]
