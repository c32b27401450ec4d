"""EXPORT_TASK lines of the usual shape, decoded by msgspec into typed Structs.

Most lines of a session are EXPORT_TASK lines (schema section 4.1). msgspec decodes one
straight from its bytes into the few fields the analysis reads, skipping the rest of the
line without building it, and checks each field's JSON type on the way. `task_line` turns that
into the TaskUpdate the careful reader (export_events.parse_export_event) would make of the
same line, or steps aside (None) for anything unusual: an unexpected type, an id that is not
valid base64 of its length, a status key outside 1..63, an integer beyond int64, a line that
is not strict UTF-8 JSON. The caller then reads the line the careful way, which decides.
tests/test_fast_paths.py holds the two to the same answers.
"""

from __future__ import annotations

from typing import Any, Union

import msgspec

from flowinsight.model.events import Span, TaskOperator, TaskType, TaskUpdate
from flowinsight.model.ids import (
    ACTOR_HEX,
    JOB_HEX,
    NODE_HEX,
    TASK_HEX,
    WORKER_HEX,
    checked_b64_id,
    infer_task_type,
)
from flowinsight.read.descriptor import parse_descriptor_cached

# Profile spans that describe the task's own execution; the rest (submit_task, ray.get,
# user spans) say nothing the graph needs.
TASK_SPANS = ("task:execute", "task:deserialize_arguments", "task:store_outputs")

_INT_MIN, _INT_MAX = -(1 << 63), (1 << 63) - 1
_UINT_END = 1 << 64  # orjson reads integers in [-2**63, 2**64) as int, larger ones as float
_TASK_TYPES = {t.value: t for t in TaskType}
_STATUS = {str(n): n for n in range(1, 64)}
_UNSET: Any = msgspec.UNSET


class _Span(msgspec.Struct):
    event_name: str
    start_time: Union[int, str, None] = None
    end_time: Union[int, str, None] = None


class _Profile(msgspec.Struct):
    component_type: Union[str, None] = None
    events: Union[list[_Span], None] = None


class _Error(msgspec.Struct):
    error_type: Union[str, None] = None
    error_message: Union[str, None] = None


class _Updates(msgspec.Struct):
    state_ts_ns: Union[dict[str, Union[int, str]], None] = None
    node_id: Union[str, None] = None
    worker_id: Union[str, None] = None
    worker_pid: Union[int, None] = None
    error_info: Union[_Error, None] = None


class _Info(msgspec.Struct):
    type: Union[str, None] = None
    func_or_class_name: Union[str, None] = None
    language: Union[str, None] = None
    parent_task_id: Union[str, None] = None
    actor_id: Union[str, None] = None
    labels: Union[dict[str, Any], None] = None


class _Task(msgspec.Struct):
    task_id: str
    attempt_number: Union[int, None] = None
    job_id: Union[str, None] = None
    task_info: Union[_Info, None] = None
    profile_events: Union[_Profile, None] = None
    state_updates: Union[_Updates, None] = None


class _Envelope(msgspec.Struct):
    # Any: what the reader keeps of the event id is whatever the line holds (parallel.py)
    event_id: Any = _UNSET
    eventId: Any = _UNSET  # noqa: N815 (Ray's spelling)
    source_type: Any = None
    timestamp: Union[int, None] = None
    event_data: Union[_Task, None] = None


_ENVELOPE = msgspec.json.Decoder(_Envelope)


def task_line(raw: bytes) -> tuple[object, TaskUpdate | tuple[TaskUpdate, TaskOperator]] | None:
    """(the line's event id, its TaskUpdate) for an EXPORT_TASK line of the usual shape, with
    the task's TaskOperator when Ray Data labelled it (operator_label); None for any other
    line, and for any line the careful reader has to judge."""
    if not raw.isascii():
        # msgspec does not check the strings it skips: orjson (the careful path) rejects a
        # line with invalid UTF-8 anywhere, and so must this
        try:
            raw.decode()
        except UnicodeDecodeError:
            return None
    if b"\\" in raw and (b"\\ud" in raw or b"\\uD" in raw):
        return None  # a surrogate escape, maybe a lone one in a skipped string: orjson's call
    try:
        # one pass, the task's fields typed: another kind of line most likely fails to fit
        # and is the careful path's (a few in a hundred lines of a session)
        envelope = _ENVELOPE.decode(raw)
        data = envelope.event_data
        if envelope.source_type != "EXPORT_TASK" or data is None:
            return None
        stamp = envelope.timestamp
        if stamp is not None and not _INT_MIN <= stamp < _UINT_END:
            return None
        task = _update(data)
    except Exception:  # noqa: BLE001 (msgspec's errors, or an unexpected value: careful path)
        return None
    if task is None:
        return None
    event_id = envelope.event_id
    if event_id is _UNSET:
        event_id = None if envelope.eventId is _UNSET else envelope.eventId
    info = data.task_info
    if info is not None and info.labels:
        operator = operator_label(task.task_id, info.labels)
        if operator is not None:
            return event_id, (task, operator)
    return event_id, task


def operator_label(task_id: str, labels: dict[str, Any]) -> TaskOperator | None:
    """The Ray Data operator named by a task's labels (`__data_operator_id`, set by
    ray.data._internal.execution on the tasks and actors of each operator), if any."""
    uuid = labels.get(DATA_OPERATOR_LABEL)
    return TaskOperator(task_id, uuid) if type(uuid) is str and uuid else None


DATA_OPERATOR_LABEL = "__data_operator_id"


def _update(d: _Task) -> TaskUpdate | None:
    task_id = _b64_hex(d.task_id, TASK_HEX)
    if not task_id:
        return None
    task_type: TaskType | None = None
    function = None
    language = parent = actor = ""
    info = d.task_info
    if info is not None:
        task_type = _TASK_TYPES.get(info.type)  # type: ignore[arg-type]
        name = info.func_or_class_name
        if task_type is None or name is None:
            return None
        function = parse_descriptor_cached(name, task_type)
        language = info.language.upper() if info.language else ""
        if info.parent_task_id is not None:
            parent = _b64_hex(info.parent_task_id, TASK_HEX)
        if info.actor_id is not None:
            actor = _b64_hex(info.actor_id, ACTOR_HEX)
    spans: tuple[Span, ...] = ()
    component = ""
    profile = d.profile_events
    if profile is not None:
        component = profile.component_type or ""
        if profile.events is not None:
            spans = _spans(profile.events)
            if function is None:
                for span in spans:
                    if span.name.startswith("task::"):
                        function = parse_descriptor_cached(span.name[6:],
                                                           infer_task_type(task_id))
    states: tuple[tuple[int, int], ...] = ()
    node = worker = error_type = error_message = ""
    pid = None
    updates = d.state_updates
    if updates is not None:
        if updates.state_ts_ns is not None:
            pairs = []
            for key, ns in updates.state_ts_ns.items():
                # "1".."63" only; any other spelling goes the careful way
                pairs.append((_STATUS[key], _ns(ns)))
            pairs.sort()
            states = tuple(pairs)
        if updates.node_id is not None:
            node = _b64_hex(updates.node_id, NODE_HEX)
        if updates.worker_id is not None:
            worker = _b64_hex(updates.worker_id, WORKER_HEX)
        pid = updates.worker_pid
        if pid is not None and not _INT_MIN <= pid <= _INT_MAX:
            return None
        error = updates.error_info
        if error is not None:
            error_type = error.error_type or ""
            error_message = error.error_message or ""
    attempt = d.attempt_number or 0
    if not _INT_MIN <= attempt <= _INT_MAX:
        return None
    job = (_b64_hex(d.job_id, JOB_HEX) if d.job_id is not None else "") or task_id[-JOB_HEX:]
    return TaskUpdate(task_id, attempt, job, task_type, function, language, parent, actor,
                      states, node, worker, pid, error_type, error_message, component, spans)


def _spans(events: list[_Span]) -> tuple[Span, ...]:
    found = []
    for ev in events:
        name = ev.event_name
        if name in TASK_SPANS or name.startswith("task::"):
            start, end = _ns(ev.start_time), _ns(ev.end_time)
            found.append(Span(name, start, end if end > start else start))
    return tuple(found)


def _ns(value: int | str | None) -> int:
    """A time in ns, as an int or its decimal string, within int64; ValueError otherwise."""
    ns = int(value) if type(value) is str else value
    if type(ns) is not int or not 0 <= ns <= _INT_MAX:
        raise ValueError(f"time {value!r}")
    return ns


def _b64_hex(value: str, length: int) -> str:
    """An optional id's hex ("" for a value that is not one, as fields.b64_id gives it):
    checked_b64_id, cached, as ids recur on many lines."""
    return checked_b64_id(value, length) or ""
