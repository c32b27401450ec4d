"""Generated sessions of 10,000+ graph nodes (RAY_EVENT `task_submitted` lines, the driver
calling each task): for tests/test_large_graphs.py, and for bench/large_svg.py, which times
drawing them."""

from __future__ import annotations

from pathlib import Path

import orjson

DRIVER = "f" * 40 + "01000000"


def line(task_id: str, task_type: str, descriptor: str, actor: str = "") -> bytes:
    fields = {"task_id": task_id, "task_type": task_type, "src_task_id": DRIVER,
              "target_actor_id": actor, "job_id": "01000000", "timestamp_ms": 1795312000000,
              "descriptor": descriptor, "language": "PYTHON"}
    return orjson.dumps({"custom_fields": fields, "event_id": task_id[:36], "label":
                         "task_submitted", "pid": "1", "source_type": "CORE_WORKER",
                         "timestamp": 1795312000}) + b"\n"


def session(root: Path, lines: list[bytes]) -> Path:
    events = root / "logs" / "events"
    events.mkdir(parents=True)
    (events / "event_CORE_WORKER_1.log").write_bytes(b"".join(lines))
    return root


def many_functions(root: Path, n: int) -> Path:
    """n remote functions fn0..fn<n-1> (n + 1 nodes with main); fn0..fn49 are called twice."""
    return session(root, [line(f"{i + 1:016x}" + "f" * 24 + "01000000", "NORMAL_TASK",
                               f"app.fn{i % n}") for i in range(n + 50)])


def many_actors(root: Path, n: int, classes: int = 5) -> Path:
    """n actors of `classes` classes, each called `step` and `flush` once (3n + 1 nodes)."""
    lines = []
    for i in range(n):
        actor = f"{i + 1:024x}01000000"
        cls = f"Worker{i % classes}"
        lines.append(line("f" * 16 + actor, "ACTOR_CREATION_TASK", f"app.{cls}.__init__", actor))
        for m, method in enumerate(("step", "flush")):
            lines.append(line(f"{m + 1:016x}" + actor, "ACTOR_TASK", f"app.{cls}.{method}", actor))
    return session(root, lines)
