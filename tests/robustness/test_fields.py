"""Wrong types and malformed ids, field by field: a number where a string belongs and the
reverse, ids of the wrong length for their kind (schema section 3). A required field that is
wrong makes the line `bad_value`; an optional id that is wrong is dropped, the event kept."""

from __future__ import annotations

import io
from typing import Any

import orjson
import pytest

from flowinsight.model.events import (
    ActorUpdate,
    Event,
    FailureNote,
    JobUpdate,
    ObjectGet,
    ObjectPut,
    TaskSubmitted,
    TaskUpdate,
)
from flowinsight.read.event_file import read_stream
from flowinsight.read.limits import Budget
from robust_support import (
    DRIVER_TASK,
    JOB,
    actor_id,
    b64,
    export_line,
    normal_task,
    object_id,
    ray_line,
)

TASK = normal_task(7)
ACTOR = actor_id(3)
NODE = "ab" * 28
OBJ = object_id(TASK)


def one(raw: bytes) -> Event | str:
    """What the reader makes of one line: the event, or "skipped:<reason>" / "ignored:<kind>"."""
    result = read_stream(io.BufferedReader(io.BytesIO(raw + b"\n")), "t.log", Budget("t"))
    if result.events:
        return result.events[0]
    if result.report.skipped:
        return "skipped:" + result.report.skipped[0][0]
    return "ignored:" + result.report.ignored[0][0]


def submitted_with(**fields: Any) -> bytes:
    base: dict[str, Any] = {"descriptor": "m.f", "job_id": JOB, "language": "PYTHON",
                            "src_actor_id": "", "src_task_id": DRIVER_TASK,
                            "target_actor_id": "", "target_task_id": TASK, "task_id": TASK,
                            "task_type": "NORMAL_TASK", "timestamp_ms": 1795312000000}
    base.update(fields)
    return ray_line("task_submitted", {k: v for k, v in base.items() if v is not ...}, "e1")


def put_with(**fields: Any) -> bytes:
    base: dict[str, Any] = {"object_id": OBJ, "task_id": TASK, "job_id": JOB, "kind": "return",
                            "size_bytes": 1000, "timestamp_ms": 1795312000300}
    base.update(fields)
    return ray_line("object_put", {k: v for k, v in base.items() if v is not ...}, "e2")


def task_with(info: dict[str, Any] | None = None, **data: Any) -> bytes:
    base: dict[str, Any] = {"task_id": b64(TASK), "attempt_number": 0, "job_id": b64(JOB),
                            "task_info": {"type": "NORMAL_TASK", "func_or_class_name": "f",
                                          "parent_task_id": b64(DRIVER_TASK),
                                          **(info or {})}}
    base.update(data)
    return export_line("EXPORT_TASK", {k: v for k, v in base.items() if v is not ...}, "e3")


# --- numbers as strings and the reverse: accepted where the meaning is plain ---------------

def test_numbers_spelled_as_strings_are_read() -> None:
    ev = one(submitted_with(timestamp_ms="1795312000000.5", task_type="normal_task",
                            task_id=TASK.upper()))
    assert isinstance(ev, TaskSubmitted)
    assert (ev.time_ms, ev.task_id, ev.task_type.value) == (1795312000000.5, TASK, "NORMAL_TASK")
    put = one(put_with(size_bytes="1000", arg_index="2", kind="arg", timestamp_ms="17"))
    assert isinstance(put, ObjectPut) and (put.size_bytes, put.arg_index, put.time_ms) == (
        1000, 2, 17.0)
    assert isinstance(put2 := one(put_with(size_bytes="1e3")), ObjectPut)
    assert put2.size_bytes == 1000
    upd = one(task_with(attempt_number="2", state_updates={"state_ts_ns": {"8": 5, "11": "9"},
                                                           "worker_pid": "321"}))
    assert isinstance(upd, TaskUpdate)
    assert (upd.attempt, upd.states, upd.worker_pid) == (2, ((8, 5), (11, 9)), 321)
    note = one(ray_line("RAY_WORKER_FAILURE", {"job_id": JOB}, "e4", pid=...,
                        source_pid=77, timestamp="1795312001"))
    assert isinstance(note, FailureNote) and (note.pid, note.time_s) == (77, 1795312001.0)


def test_a_descriptor_or_label_given_as_a_number_is_spelled_out() -> None:
    ev = one(submitted_with(descriptor=12345))
    assert isinstance(ev, TaskSubmitted) and ev.function.name == "12345"
    assert one(ray_line(17, {}, "e")) == "ignored:label:17"


@pytest.mark.parametrize("line", [
    submitted_with(timestamp_ms=[1]), submitted_with(timestamp_ms=True),
    submitted_with(timestamp_ms="soon"), submitted_with(task_type=7),
    submitted_with(task_type="LAMBDA"), submitted_with(descriptor={"a": 1}),
    ray_line("task_submitted", [1, 2], "e"),
    ray_line("task_submitted", "fields", "e"),
    ray_line(["task_submitted"], {}, "e"),
    put_with(size_bytes=-1), put_with(size_bytes=1 << 60), put_with(size_bytes=1e300),
    put_with(size_bytes="lots"), put_with(size_bytes="NaN"), put_with(timestamp_ms="1e999"),
    put_with(arg_index={}),
    task_with(attempt_number="first"), task_with(state_updates={"state_ts_ns": {"8": "x"}}),
    task_with(state_updates={"state_ts_ns": {"eight": "1"}}),
    task_with(state_updates={"state_ts_ns": {"8": "-5"}}),
    task_with(state_updates={"worker_pid": 1}).replace(b'"worker_pid":1',
                                                       b'"worker_pid":' + b"9" * 25),
    task_with(state_updates=[1]), task_with(profile_events={"events": "x"}),
    task_with(info={"type": "SOMETHING"}), task_with(info={"func_or_class_name": ["f"]}),
    export_line("EXPORT_TASK", {"task_id": b64(TASK)}, "e", timestamp=[]),
    export_line("EXPORT_ACTOR", {"actor_id": b64(ACTOR), "pid": "p"}, "e"),
    export_line("EXPORT_DRIVER_JOB", {"job_id": b64(JOB), "driver_pid": True}, "e"),
], ids=lambda raw: raw.decode(errors="replace")[:60])
def test_wrong_types_make_the_line_bad_value(line: bytes) -> None:
    assert one(line) == "skipped:bad_value"


def test_event_data_that_is_not_an_object_is_a_missing_field() -> None:
    assert one(export_line("EXPORT_TASK", [1], "e")) == "skipped:missing_field"
    assert one(submitted_with(task_id=..., target_task_id=...)) == "skipped:missing_field"


# --- ids of the wrong length ---------------------------------------------------------------

@pytest.mark.parametrize("line", [
    submitted_with(task_id=TASK[:-2]), submitted_with(task_id=TASK + "00"),
    submitted_with(task_id="zz" * 24), submitted_with(task_id=TASK[:20] + " " + TASK[21:]),
    submitted_with(task_id=12345), submitted_with(task_id=..., target_task_id=TASK[:40]),
    put_with(object_id=OBJ[:-2]), put_with(object_id=TASK), put_with(task_id=ACTOR),
    ray_line("object_get", {"object_id": OBJ, "task_id": JOB}, "e"),
    task_with(task_id=b64(TASK[:-8])), task_with(task_id="not base64!"),
    task_with(task_id=b64(OBJ)),
    export_line("EXPORT_ACTOR", {"actor_id": b64(TASK)}, "e"),
    export_line("EXPORT_DRIVER_JOB", {"job_id": b64(JOB + "00")}, "e"),
    export_line("EXPORT_NODE", {"node_id": b64(NODE[:-2])}, "e"),
], ids=lambda raw: raw.decode()[:70])
def test_a_required_id_of_the_wrong_length_makes_the_line_bad_value(line: bytes) -> None:
    assert one(line) == "skipped:bad_value"


def test_an_optional_id_of_the_wrong_length_is_dropped_and_the_event_kept() -> None:
    ev = one(submitted_with(src_task_id=DRIVER_TASK[:-2], target_actor_id=ACTOR[:30],
                            src_actor_id="xyz", job_id="1"))
    assert isinstance(ev, TaskSubmitted)
    assert (ev.parent_task_id, ev.actor_id, ev.caller_actor_id, ev.job_id) == ("", "", "", JOB)
    put = one(put_with(target_task_id=TASK[:-1], actor_id=ACTOR + "ff", job_id=12))
    assert isinstance(put, ObjectPut) and (put.target_task_id, put.actor_id, put.job_id) == (
        "", "", JOB)
    get = one(ray_line("object_get", {"object_id": OBJ, "task_id": TASK, "actor_id": "ab"}, "g"))
    assert isinstance(get, ObjectGet) and get.actor_id == ""
    upd = one(task_with(info={"parent_task_id": b64(TASK[:-8]), "actor_id": "!!"},
                        job_id=b64(JOB + "00"),
                        state_updates={"node_id": b64(NODE[:-4]), "worker_id": "x"}))
    assert isinstance(upd, TaskUpdate)
    assert (upd.parent_task_id, upd.actor_id, upd.job_id, upd.node_id, upd.worker_id) == (
        "", "", JOB, "", "")
    actor = one(export_line("EXPORT_ACTOR", {"actor_id": b64(ACTOR), "node_id": b64(JOB),
                                             "job_id": "AA=="}, "a"))
    assert isinstance(actor, ActorUpdate) and (actor.node_id, actor.job_id) == ("", JOB)
    note = one(ray_line("RAY_WORKER_FAILURE", {"job_id": "0100", "node_id": NODE,
                                               "worker_id": NODE[:-2]}, "n"))
    assert isinstance(note, FailureNote)
    assert (note.job_id, note.node_id, note.worker_id) == ("", NODE, "")


def test_ids_of_the_right_length_in_any_case_are_normalised() -> None:
    ev = one(submitted_with(target_actor_id=ACTOR.upper(), task_type="ACTOR_TASK",
                            task_id=TASK.upper(), src_actor_id="f" * 32))
    assert isinstance(ev, TaskSubmitted)
    assert (ev.task_id, ev.actor_id, ev.caller_actor_id) == (TASK, ACTOR, "")
    job = one(export_line("EXPORT_DRIVER_JOB", {"job_id": b64(JOB), "start_time": "5"}, "j"))
    assert isinstance(job, JobUpdate) and (job.job_id, job.start_ms) == (JOB, 5)


# --- times that run backwards -------------------------------------------------------------

def test_a_span_that_ends_before_it_starts_gets_no_negative_duration() -> None:
    span = {"event_name": "task:execute", "start_time": "2000", "end_time": "1500"}
    upd = one(task_with(profile_events={"component_type": "worker", "events": [span]}))
    assert isinstance(upd, TaskUpdate)
    assert [(s.name, s.start_ns, s.end_ns) for s in upd.spans] == [("task:execute", 2000, 2000)]


def test_json_numbers_beyond_64_bits_are_refused_not_carried() -> None:
    """orjson reads 2**70 as a float; as an int it would break the JSON output later."""
    line = orjson.dumps({"event_data": {"job_id": b64(JOB), "driver_pid": 1},
                         "source_type": "EXPORT_DRIVER_JOB", "event_id": "x"})
    assert isinstance(one(line), JobUpdate)
    assert one(line.replace(b'"driver_pid":1', b'"driver_pid":' + str(2 ** 70).encode())) == (
        "skipped:bad_value")
    assert one(line.replace(b'"driver_pid":1', b'"driver_pid":' + str(2 ** 63).encode())) == (
        "skipped:bad_value")
    assert isinstance(one(line.replace(b'"driver_pid":1',
                                       b'"driver_pid":' + str(2 ** 63 - 1).encode())), JobUpdate)
