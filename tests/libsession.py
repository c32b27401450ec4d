"""Hand-made Export API sessions in Ray's own shapes (schema section 4), for the library cases
a real capture shows only in bulk: ids as Ray lays them out (schema 3), written base64."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

JOB = "01000000"
DRIVER = "ff" * 20 + JOB


def b64(hex_id: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_id)).decode()


def task_id(n: int, actor: str = "") -> str:
    """The n-th normal task of job 1, or of `actor` (32 hex chars)."""
    unique = f"{n:016x}"
    return unique + (actor if actor else "ff" * 12 + JOB)


def actor_id(n: int) -> str:
    return f"{n:024x}" + JOB


def submitted(tid: str, fn: str, kind: str = "NORMAL_TASK", parent: str = DRIVER,
              actor: str = "", t: int = 1_000, attempt: int = 0) -> dict[str, Any]:
    info: dict[str, Any] = {"type": kind, "func_or_class_name": fn, "language": "PYTHON",
                            "parent_task_id": b64(parent)}
    if actor:
        info["actor_id"] = b64(actor)
    return {"task_id": b64(tid), "attempt_number": attempt, "job_id": b64(JOB),
            "task_info": info, "state_updates": {"state_ts_ns": {"1": str(t)}}}


def executed(tid: str, span: str, worker: str = "aa" * 28, start: int = 2_000,
             end: int = 3_000, status: int = 11, attempt: int = 0,
             error: tuple[str, str] | None = None) -> dict[str, Any]:
    updates: dict[str, Any] = {"state_ts_ns": {"8": str(start), str(status): str(end)},
                               "worker_id": b64(worker), "node_id": b64("bb" * 28),
                               "worker_pid": 100}
    if error:
        updates["error_info"] = {"error_type": error[0], "error_message": error[1]}
    spans = [{"event_name": "task:execute", "start_time": str(start), "end_time": str(end),
              "extra_data": "{}"},
             {"event_name": f"task::{span}", "start_time": str(start), "end_time": str(end),
              "extra_data": "{}"}]
    return {"task_id": b64(tid), "attempt_number": attempt, "job_id": b64(JOB),
            "state_updates": updates,
            "profile_events": {"component_type": "worker", "component_id": b64(worker),
                               "node_ip_address": "127.0.0.1", "events": spans}}


def driver() -> list[dict[str, Any]]:
    return [{"task_id": b64(DRIVER), "attempt_number": 0, "job_id": b64(JOB),
             "task_info": {"type": "DRIVER_TASK", "func_or_class_name": "", "language":
                           "PYTHON", "parent_task_id": b64("ff" * 24)},
             "state_updates": {"state_ts_ns": {"8": "500", "11": "9000"}}}]


def write_session(root: Path, tasks: list[dict[str, Any]],
                  others: dict[str, list[dict[str, Any]]] | None = None) -> Path:
    """A session folder with one EXPORT_TASK file of these lines, and other Export API files
    (source type -> event_data lines)."""
    folder = root / "session_2026-01-01_00-00-00_000000_1" / "logs" / "export_events"
    folder.mkdir(parents=True, exist_ok=True)
    lines = [{"event_data": d, "event_id": f"{i:036x}", "source_type": "EXPORT_TASK",
              "timestamp": 1} for i, d in enumerate(tasks)]
    (folder / "event_EXPORT_TASK_1.log").write_text(
        "".join(json.dumps(x) + "\n" for x in lines))
    for source, data in (others or {}).items():
        lines = [{"event_data": d, "event_id": f"{i:036x}", "source_type": source,
                  "timestamp": 1} for i, d in enumerate(data)]
        (folder / f"event_{source}.log").write_text(
            "".join(json.dumps(x) + "\n" for x in lines))
    return root
