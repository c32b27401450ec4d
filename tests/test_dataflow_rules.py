"""How object events become transfers: the creating put is the producer, by-value arguments
are joined by task and position, and a size the reader saw is a known size."""

from __future__ import annotations

from pathlib import Path

import orjson

from conftest import json_of, sample

JOB = "01000000"
DRIVER = "f" * 40 + JOB
P, Q, R = (f"{i:016x}" + "f" * 24 + JOB for i in (1, 2, 3))


def _event(label: str, n: int, **fields: object) -> bytes:
    fields.setdefault("job_id", JOB)
    return orjson.dumps({"custom_fields": fields, "event_id": f"{n:036x}", "label": label,
                         "pid": "1", "source_type": "CORE_WORKER", "timestamp": 1}) + b"\n"


def _session(tmp_path: Path, lines: list[bytes]) -> Path:
    events = tmp_path / "logs" / "events"
    events.mkdir(parents=True)
    (events / "event_CORE_WORKER_1.log").write_bytes(b"".join(lines))
    return tmp_path


def _flows(path: Path) -> dict[tuple[str, str], tuple[int, int | None]]:
    return {(d["source"], d["target"]): (d["count"], d["bytes"]) for d in json_of(path)["dataFlows"]}


def test_creating_put_beats_an_earlier_forwarding_put(tmp_path: Path) -> None:
    obj = P + "01000000"
    lines = [
        _event("object_put", 1, object_id=obj, task_id=Q, size_bytes=7, kind="arg",
               arg_index=0, target_task_id=R, timestamp_ms=100),  # Q passes P's result on
        _event("object_put", 2, object_id=obj, task_id=P, size_bytes=1000, kind="return",
               timestamp_ms=200),
        _event("object_get", 3, object_id=obj, task_id=R, kind="arg", arg_index=0,
               timestamp_ms=300),
    ]
    flows = json_of(_session(tmp_path, lines))["dataFlows"]
    assert [(d["count"], d["bytes"], d["latency_ms"]) for d in flows] == [
        (1, 1000, {"p50": 100.0, "p95": 100.0})]


def test_by_value_argument_joined_by_task_and_position(tmp_path: Path) -> None:
    lines = [
        _event("task_submitted", 1, task_id=R, task_type="NORMAL_TASK", src_task_id=DRIVER,
               descriptor="app.consume", timestamp_ms=90),
        # the caller's put under an id the callee never sees ...
        _event("object_put", 2, object_id=R + "000000f0", task_id=DRIVER, size_bytes=1_000_251,
               kind="arg", arg_index=0, target_task_id=R, timestamp_ms=100),
        # ... and the callee's get of the object store's id for the same argument
        _event("object_get", 3, object_id=R + "01000000", task_id=R, kind="arg", arg_index=0,
               timestamp_ms=110),
    ]
    assert _flows(_session(tmp_path, lines)) == {("main", "consume"): (1, 1_000_251)}


def test_a_get_that_carries_its_size_is_sized(tmp_path: Path) -> None:
    lines = [
        _event("task_submitted", 1, task_id=P, task_type="NORMAL_TASK", src_task_id=DRIVER,
               descriptor="app.produce", timestamp_ms=90),
        _event("object_get", 2, object_id=P + "01000000", task_id=DRIVER, kind="get",
               size_bytes=4096, timestamp_ms=110),
        _event("object_get", 3, object_id=P + "02000000", task_id=DRIVER, kind="get",
               timestamp_ms=120),
    ]
    doc = json_of(_session(tmp_path, lines))
    assert [(d["source"], d["target"], d["count"], d["bytes"], d["unsized"])
            for d in doc["dataFlows"]] == [("produce", "main", 2, 4096, 1)]


def test_recorded_samples_have_no_unknown_producers() -> None:
    for name in ("nested_tasks", "sage_pipeline", "lattice_workflow"):
        doc = json_of(sample("recorded") / name)
        assert doc["dataFlows"], name
        assert all("(unknown)" not in d["source"] for d in doc["dataFlows"]), name
        assert all(d["unsized"] == 0 for d in doc["dataFlows"]), name
