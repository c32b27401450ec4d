"""Helpers for the robustness suite: copies of real captures to damage, event lines built from
Ray's id layouts, and the parts of a Result that must not change when bad input is added."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson

from conftest import ROOT, sample
from flowinsight.model.capture import Capture
from flowinsight.pipeline import Options, analyze
from flowinsight.read import discover, read_capture
from flowinsight.result import Result

JOB = "01000000"
DRIVER_TASK = "ff" * 20 + JOB


def cli_with_timeout(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
    """The real command line, killed (and the test failed) if it hangs."""
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}
    return subprocess.run([sys.executable, "-m", "flowinsight", *args], capture_output=True,
                          env=env, cwd=ROOT, check=False, timeout=timeout)


def copy_sample(tmp_path: Path, name: str = "nested_tasks") -> Path:
    """A private copy of a sample capture (the folder holding its session directory)."""
    dst = tmp_path / name
    shutil.copytree(sample(name), dst)
    return dst


def session_of(root: Path) -> Path:
    return next(root.glob("session_*"))


def export_dir(root: Path) -> Path:
    return session_of(root) / "logs" / "export_events"


def events_dir(root: Path) -> Path:
    return session_of(root) / "logs" / "events"


def read(*paths: Path | str) -> Capture:
    return read_capture(discover([str(p) for p in paths]))


def analyzed(capture: Capture) -> Result:
    return analyze(capture, Options())


def graph(result: Result) -> tuple[Any, ...]:
    """What bad input must never change: the nodes (with their stats), the call and data
    flows, the actors and jobs."""
    return (result.nodes, result.call_flows, result.data_flows, result.actors, result.jobs)


def skipped(capture: Capture) -> dict[str, int]:
    out: dict[str, int] = {}
    for f in capture.files:
        for reason, n in f.skipped:
            out[reason] = out.get(reason, 0) + n
    return out


def ignored(capture: Capture) -> dict[str, int]:
    out: dict[str, int] = {}
    for f in capture.files:
        for kind, n in f.ignored:
            out[kind] = out.get(kind, 0) + n
    return out


def report(capture: Capture, suffix: str) -> Any:
    """The FileReport whose path ends with `suffix` (exactly one must)."""
    found = [f for f in capture.files if f.path.endswith(suffix)]
    assert len(found) == 1, [f.path for f in capture.files]
    return found[0]


# --- ids (schema section 3) ---------------------------------------------------------------

def actor_id(n: int) -> str:
    return f"{n:024x}" + JOB


def normal_task(n: int) -> str:
    return f"{n:016x}" + "ff" * 12 + JOB


def creation_task(actor: str) -> str:
    return "ff" * 8 + actor


def actor_task(n: int, actor: str) -> str:
    return f"{n:016x}" + actor


def object_id(task: str, index: int = 1) -> str:
    return task + index.to_bytes(4, "little").hex()


def b64(hex_id: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_id)).decode()


# --- event lines ---------------------------------------------------------------------------

def ray_line(label: Any, fields: Any, event_id: str, **envelope: Any) -> bytes:
    obj = {"custom_fields": fields, "event_id": event_id, "host_name": "node-a", "label": label,
           "message": "", "pid": "100", "severity": "INFO", "source_type": "CORE_WORKER",
           "timestamp": 1795312000, **envelope}
    return orjson.dumps({k: v for k, v in obj.items() if v is not ...})  # ... drops a key


def submitted(task: str, task_type: str, descriptor: str, parent: str = DRIVER_TASK,
              actor: str = "", caller_actor: str = "", time_ms: float = 1795312000000.0,
              event_id: str = "", **extra: Any) -> bytes:
    fields = {"descriptor": descriptor, "job_id": JOB, "language": "PYTHON",
              "src_actor_id": caller_actor, "src_task_id": parent, "target_actor_id": actor,
              "target_task_id": task, "task_id": task, "task_type": task_type,
              "timestamp_ms": time_ms, **extra}
    return ray_line("task_submitted", fields, event_id or f"sub{task}")


def export_line(source: str, data: dict[str, Any], event_id: str,
                timestamp: Any = 1795312000) -> bytes:
    return orjson.dumps({"event_data": data, "event_id": event_id, "source_type": source,
                         "timestamp": timestamp})


def export_task(task: str, task_type: str, name: str, parent: str = DRIVER_TASK,
                actor: str = "", event_id: str = "") -> bytes:
    info: dict[str, Any] = {"type": task_type, "func_or_class_name": name, "language": "PYTHON",
                            "parent_task_id": b64(parent)}
    if actor:
        info["actor_id"] = b64(actor)
    return export_line("EXPORT_TASK", {"task_id": b64(task), "attempt_number": 0,
                                       "job_id": b64(JOB), "task_info": info},
                       event_id or f"t{task}")


def export_actor(actor: str, class_name: str, name: str = "", event_id: str = "") -> bytes:
    return export_line("EXPORT_ACTOR", {"actor_id": b64(actor), "job_id": b64(JOB),
                                        "class_name": class_name, "name": name,
                                        "state": "ALIVE"}, event_id or f"a{actor}")


def write_lines(path: Path, lines: list[bytes], end: bytes = b"\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\n".join(lines) + end if lines else b"")
    return path


def new_session(tmp_path: Path, name: str = "session_2026-01-01_00-00-00_000000_1") -> Path:
    """An empty session directory with both event folders."""
    root = tmp_path / name
    (root / "logs" / "events").mkdir(parents=True)
    (root / "logs" / "export_events").mkdir(parents=True)
    return root
