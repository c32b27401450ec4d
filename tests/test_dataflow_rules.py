"""How object events become transfers: the creating put is the producer, by-value arguments
are joined by task and position, a size the reader saw is a known size, and a put's id without
its put names the task that put it (Ray makes it under that task's execution-attempt id)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from conftest import DATA, json_of, sample

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


# A put's ObjectID begins with TaskID::ForExecutionAttempt(task, attempt): the task's id with
# its first byte replaced by the attempt number (src/ray/common/id.cc); its index follows the
# task's returns (Ray 2.60: 100000001 for the first put).
PUT_INDEX = (100_000_001).to_bytes(4, "little").hex()


def _attempt(task_id: str, attempt: int) -> str:
    return f"{attempt:02x}" + task_id[2:]


@pytest.mark.parametrize("attempt", [0, 1])
def test_a_put_without_its_put_event_names_the_task_that_put_it(tmp_path: Path,
                                                                  attempt: int) -> None:
    actor = "ab" * 12 + JOB
    creation = "f" * 16 + actor  # the actor's creation task: unique bytes all ff
    lines = [
        _event("task_submitted", 1, task_id=P, task_type="NORMAL_TASK", src_task_id=DRIVER,
               descriptor="app.produce", timestamp_ms=90),
        _event("task_submitted", 2, task_id=creation, task_type="ACTOR_CREATION_TASK",
               src_task_id=DRIVER, descriptor="app.Keeper.__init__", actor_id=actor,
               timestamp_ms=91),
        # P's ray.put, its constructor's, and the driver's own, none recorded (a worker that
        # died before it wrote them, or an object the core worker made: placement groups'
        # ready()), each read by another task
        _event("object_get", 3, object_id=_attempt(P, attempt) + PUT_INDEX, task_id=DRIVER,
               kind="get", size_bytes=100, timestamp_ms=110),
        _event("object_get", 4, object_id=_attempt(creation, attempt) + PUT_INDEX,
               task_id=DRIVER, kind="get", size_bytes=20, timestamp_ms=111),
        _event("object_get", 5, object_id=_attempt(DRIVER, attempt) + PUT_INDEX, task_id=P,
               kind="get", size_bytes=3, timestamp_ms=112),
        # the driver reading what it put itself moved nothing
        _event("object_get", 6, object_id=_attempt(DRIVER, attempt) + PUT_INDEX,
               task_id=DRIVER, kind="get", size_bytes=3, timestamp_ms=113),
    ]
    doc = json_of(_session(tmp_path, lines))
    assert doc["summary"]["coverage"]["undefined_tasks"] == 0
    assert [f["id"] for f in doc["functions"]] == ["main", "produce"]
    assert [a["id"] for a in doc["actors"]] == [actor]  # the constructor's node: its actor's
    assert sorted((d["source"], d["target"], d["count"], d["bytes"])
                  for d in doc["dataFlows"]) == [
        (actor, "main", 1, 20), ("main", "produce", 1, 3), ("produce", "main", 1, 100)]


def test_an_unknown_tasks_put_stays_a_placeholder(tmp_path: Path) -> None:
    # no record of Q: its put's id names no known task; the placeholder keeps the id read
    lines = [_event("object_get", 1, object_id=_attempt(Q, 0) + PUT_INDEX, task_id=DRIVER,
                    kind="get", size_bytes=5, timestamp_ms=110)]
    doc = json_of(_session(tmp_path, lines))
    assert [(d["count"], d["bytes"]) for d in doc["dataFlows"]] == [(1, 5)]
    assert doc["summary"]["coverage"]["undefined_tasks"] == 1


def test_placement_group_ready_is_no_invented_task() -> None:
    # Ray 2.60, under the recorder: ray.get(pg.ready()) in the driver reads an object the
    # driver's core worker made (no put event), named by the driver's execution-attempt id
    # 00ff..ff01000000; the capture's tasks are the State API's, with no "(undefined task)"
    capture = DATA / "placement_group_ready"
    truth = orjson.loads((capture / "state_truth.json").read_bytes())["phases"]["end"]
    doc = json_of(capture)
    calls = {}
    for t in truth["tasks"]:
        if t["attempt_number"] == 0:
            name = t["name"].split(":")[-1].replace(".__init__", "")
            calls[name] = calls.get(name, 0) + 1
    actors = {a["id"]: a["name"] for a in doc["actors"]}
    names = {f["id"]: f["name"] for f in doc["functions"]} | actors | {
        m["id"]: f"{actors[m['actorId']]}.{m['name']}" for m in doc["methods"]}
    assert {names[f["id"]]: f["calls"] for f in doc["functions"] + doc["actors"]
            + doc["methods"] if f["id"] != "main"} == calls
    assert doc["summary"]["coverage"]["undefined_tasks"] == 0
    assert doc["summary"]["coverage"]["ratio"] == 1.0
    assert sorted((names[d["source"]], names[d["target"]], d["count"])
                  for d in doc["dataFlows"]) == [
        ("Counter.incr", "main", 8), ("Store.compute", "main", 2), ("Store.read", "main", 3),
        ("doomed", "main", 1), ("flaky", "main", 1), ("main", "Counter.incr", 8),
        ("main", "Store.compute", 2), ("main", "Store.read", 3), ("main", "flaky", 3)]


def test_a_retried_tasks_return_is_the_put_the_reader_read(tmp_path: Path) -> None:
    # attempts 0 and 1 fail and put their error (800 B) under the return's id, attempt 2 puts
    # its value (15 B); the driver reads once, after the last put (Ray 2.60's retries capture)
    obj = P + "01000000"
    lines = [
        _event("task_submitted", 1, task_id=P, task_type="NORMAL_TASK", src_task_id=DRIVER,
               descriptor="app.flaky", timestamp_ms=90),
        _event("object_put", 2, object_id=obj, task_id=P, size_bytes=800, kind="return",
               timestamp_ms=100),
        _event("object_put", 3, object_id=obj, task_id=P, size_bytes=800, kind="return",
               timestamp_ms=1000),
        _event("object_put", 4, object_id=obj, task_id=P, size_bytes=15, kind="return",
               timestamp_ms=2000),
        _event("object_get", 5, object_id=obj, task_id=DRIVER, kind="get", size_bytes=15,
               timestamp_ms=2001),
    ]
    flows = json_of(_session(tmp_path, lines))["dataFlows"]
    assert [(d["source"], d["target"], d["count"], d["bytes"], d["latency_ms"])
            for d in flows] == [("flaky", "main", 1, 15, {"p50": 1.0, "p95": 1.0})]


def test_the_retries_capture_flows_carry_what_was_read() -> None:
    flows = {(d["source"], d["target"]): d["bytes"]
             for d in json_of(sample("libraries") / "retries_recorded")["dataFlows"]}
    assert flows[("flaky", "main")] == 15  # not 863, the error its failed attempts put
    assert flows[("doomed", "main")] == 857
