"""Times no clock wrote: negative, past the year 2262 (the end of the int64 nanoseconds the
analysis counts in), 1e308 seconds. In any field that holds a time since the epoch, in any of
Ray's formats and units, such a line is skipped as `bad_value` with its file and line, and
every other event is used; before, a failure label stamped 1e308 s crashed the failures' keys
and a driver job started 9e18 ms crashed the table's dates (exit 3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from flowinsight.cli import main
from robust_support import (
    DRIVER_TASK,
    JOB,
    actor_id,
    analyzed,
    b64,
    copy_sample,
    events_dir,
    export_dir,
    export_line,
    graph,
    normal_task,
    ray_line,
    read,
    session_of,
)

WORKER = "a3" * 28
NODE = "06" * 28


def worker_failure(timestamp: Any) -> bytes:
    return ray_line("RAY_WORKER_FAILURE", {"job_id": JOB, "node_id": NODE, "worker_id": WORKER},
                    "wf1", source_type="RAYLET", severity="ERROR", timestamp=timestamp,
                    message="A worker died. Worker exit type: SYSTEM_ERROR")


def driver_job(**times: Any) -> bytes:
    return export_line("EXPORT_DRIVER_JOB", {"job_id": b64(JOB), "entrypoint": "python x.py",
                                             "is_dead": False, **times}, "dj1")


def actor(timestamp: Any) -> bytes:
    return export_line("EXPORT_ACTOR", {"actor_id": b64(actor_id(3)), "job_id": b64(JOB),
                                        "class_name": "A", "state": "ALIVE"},
                       "ac1", timestamp=timestamp)


def submitted(time_ms: Any) -> bytes:
    task = normal_task(99)
    return ray_line("task_submitted", {"descriptor": "m.f", "job_id": JOB, "language": "PYTHON",
                                       "src_task_id": DRIVER_TASK, "target_task_id": task,
                                       "task_id": task, "task_type": "NORMAL_TASK",
                                       "timestamp_ms": time_ms}, "ts1")


def node_v2(timestamp: str) -> bytes:
    return orjson.dumps({"eventId": "bm9kZQ==", "sourceType": "GCS",
                         "eventType": "NODE_DEFINITION_EVENT", "timestamp": timestamp,
                         "sessionName": "s", "nodeDefinitionEvent": {
                             "nodeId": b64(NODE),
                             "nodeIpAddress": "127.0.0.1",
                             "startTimestamp": "2026-12-06T13:57:50.961Z"}})


# (folder, file, line, what the skip says): each time out of 1970 .. 2262 in its own unit
CASES = {
    "failure label 1e308 s": ("events", "event_RAYLET.log", worker_failure(1e308),
                              "timestamp '1e+308' out of range"),
    "failure label before 1970": ("events", "event_RAYLET.log", worker_failure(-5),
                                  "timestamp '-5' out of range"),
    "job start 9e18 ms": ("export_events", "event_EXPORT_DRIVER_JOB.log",
                          driver_job(start_time="9000000000000000000"),
                          "start_time '9000000000000000000' out of range"),
    "job end before 1970": ("export_events", "event_EXPORT_DRIVER_JOB.log",
                            driver_job(start_time="1795312000000", end_time="-1"),
                            "end_time '-1' out of range"),
    "actor stamped 1e300 s": ("export_events", "event_EXPORT_ACTOR.log", actor(1e300),
                              "timestamp '1e+300' out of range"),
    "submission 1e300 ms": ("events", "event_CORE_WORKER_100.log", submitted(1e300),
                            "timestamp_ms '1e+300' out of range"),
    "event export in 9999": ("ray_events", "events_1.ndjson", node_v2("9999-12-31T00:00:00Z"),
                             "timestamp '9999-12-31T00:00:00Z' after 2262"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_time_out_of_range_skips_its_line_and_keeps_the_rest(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, case: str) -> None:
    folder, name, line, detail = CASES[case]
    root = copy_sample(tmp_path)
    before = graph(analyzed(read(root)))
    target = session_of(root) / "logs" / folder / name
    target.parent.mkdir(exist_ok=True)
    lines = target.read_bytes().splitlines() if target.exists() else []
    target.write_bytes(b"\n".join([*lines, line]) + b"\n")
    for fmt in ("table", "json", "markdown", "html", "trace"):
        code = main(["export", str(root), "-f", fmt, "-j", "1"])
        _, err = capsys.readouterr()
        assert code == 0, (fmt, err)
        assert f"{name}:{len(lines) + 1}: skipped (bad_value: {detail})" in err
    assert graph(analyzed(read(root))) == before  # every other event used


def test_times_at_the_ends_of_the_range_are_read(tmp_path: Path) -> None:
    """1970 and the last millisecond before 2262 are times: the line is an event."""
    root = copy_sample(tmp_path)
    raylet = events_dir(root) / "event_RAYLET.log"
    raylet.write_bytes(raylet.read_bytes() + worker_failure(0) + b"\n")
    jobs = export_dir(root) / "event_EXPORT_DRIVER_JOB.log"
    jobs.write_bytes(jobs.read_bytes() + driver_job(start_time=str((2**63 - 1) // 10**6))
                     + b"\n")
    assert sum(n for f in read(root).files for _, n in f.skipped) == 0
