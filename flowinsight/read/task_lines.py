"""EXPORT_TASK lines of the usual shape, decoded by msgspec into typed Structs.

Most lines of a session are EXPORT_TASK lines (schema section 4.1). msgspec decodes one
straight from its bytes into the few fields the analysis reads, skipping the rest of the
line without building it, and checks each field's JSON type on the way, and more: ns times
spelled as strings become ints within bounds, a task's id becomes its bytes (see _Ns, _TaskId:
work done in msgspec's C, not per value in Python). `task_line` turns that
into the TaskUpdate the careful reader (export_events.parse_export_event) would make of the
same line, or steps aside (None) for anything unusual: an unexpected type, an id that is not
valid base64 of its length, a status key outside 1..63, an integer beyond int64, a line that
is not strict UTF-8 JSON. The caller then reads the line the careful way, which decides.
tests/test_fast_paths.py holds the two to the same answers.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Union

import msgspec
from msgspec import UNSET, UnsetType

from flowinsight.model.events import TaskOperator, TaskRow, TaskType, TaskUpdate, row_update
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
_STATUS = {str(n): n for n in range(1, 64)}

# The decoder is lax (strict=False): a number spelled as a string ("1795312161202513851", as
# Ray's protobuf JSON writes int64) decodes as the int, and the bounds below are checked as it
# decodes, in msgspec's C, not in a Python loop. Lax mode takes only what the careful reader's
# fields.as_int reads as the same number (decimal integers, and integral floats msgspec can hold
# exactly: "1.0", "1e3"); it also reads the string "null" as None wherever None is allowed,
# which the careful reader refuses for numbers and objects: so those fields allow no None
# (UnsetType: absent, or the careful path for a null). None is left only where it reads as the
# careful reader reads the string: the strings (a string stays one), task_info and labels
# (ignored unless objects), the task type (None: the careful path), the parent (dropped).
_Ns = Annotated[int, msgspec.Meta(ge=0, le=_INT_MAX)]  # a time in ns, within int64
_Int64 = Annotated[int, msgspec.Meta(ge=_INT_MIN, le=_INT_MAX)]
# A task id: msgspec decodes base64 into bytes as checked_b64_id does (the standard alphabet;
# 24 bytes are 32 characters, no padding), any other spelling fails to fit
_TaskId = Annotated[bytes, msgspec.Meta(min_length=TASK_HEX // 2, max_length=TASK_HEX // 2)]
_NIL_TASK = b"\xff" * (TASK_HEX // 2)  # Ray's nil task id: the careful reader's to count


class _Span(msgspec.Struct, gc=False):
    event_name: str
    # (typed for every span, though only TASK_SPANS' are read: odd times on another span
    # send the line to the careful path, which reads it alike, only slower)
    start_time: _Ns
    end_time: _Ns


class _Profile(msgspec.Struct, gc=False):
    component_type: Union[str, None] = None
    events: Union[list[_Span], UnsetType] = UNSET


class _Error(msgspec.Struct, gc=False):
    error_type: Union[str, None] = None
    error_message: Union[str, None] = None


class _Updates(msgspec.Struct, gc=False):
    state_ts_ns: Union[dict[str, _Ns], UnsetType] = UNSET
    node_id: Union[str, None] = None
    worker_id: Union[str, None] = None
    worker_pid: Union[_Int64, UnsetType] = UNSET
    error_info: Union[_Error, UnsetType] = UNSET


class _Info(msgspec.Struct, gc=False):
    type: Union[TaskType, None] = None
    func_or_class_name: Union[str, None] = None
    language: Union[str, None] = None
    parent_task_id: Union[_TaskId, None] = None
    actor_id: Union[str, None] = None
    labels: Union[dict[str, Any], None] = None


class _Task(msgspec.Struct, gc=False):
    task_id: _TaskId
    attempt_number: _Int64 = 0
    job_id: Union[str, None] = None
    task_info: Union[_Info, None] = None
    profile_events: Union[_Profile, UnsetType] = UNSET
    state_updates: Union[_Updates, UnsetType] = UNSET


class _Envelope(msgspec.Struct, gc=False):
    # Any: what the reader keeps of the event id is whatever the line holds (parallel.py)
    event_id: Any = UNSET
    eventId: Any = UNSET  # noqa: N815 (Ray's spelling)
    source_type: Any = None
    # (read as a float by the careful reader, for other kinds of line: an integer of int64
    # here, or the careful path; orjson reads up to 2**64 as an int, msgspec's bounds int64)
    timestamp: Union[_Int64, UnsetType] = UNSET
    event_data: Union[_Task, None] = None


_ENVELOPE = msgspec.json.Decoder(_Envelope, strict=False)
# (a regular expression: `b"\\ud" in raw or b"\\uD" in raw` costs five times as much on a line
# whose profile spans hold escaped quotes)
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD]")


def task_line(raw: bytes) -> tuple[object, TaskUpdate | tuple[TaskUpdate, TaskOperator]] | None:
    """(the line's event id, its TaskUpdate) for an EXPORT_TASK line of the usual shape, with
    the task's TaskOperator when Ray Data labelled it (operator_label); None for any other
    line, and for any line the careful reader has to judge."""
    found = task_row(raw)
    if found is None:
        return None
    event_id, row, operator = found
    task = row_update(row)
    return event_id, task if operator is None else (task, operator)


def task_row(raw: bytes) -> tuple[object, TaskRow, TaskOperator | None] | None:
    """task_line's answer with the TaskUpdate as its row (model.events.TaskRow), as the
    Python reader keeps it: (the event id, the row, the TaskOperator or None); None as
    task_line gives it."""
    if not raw.isascii():
        # msgspec does not check the strings it skips: orjson (the careful path) rejects a
        # line with invalid UTF-8 anywhere, and so must this
        try:
            raw.decode()
        except UnicodeDecodeError:
            return None
    if b"\\" in raw and _SURROGATE_ESCAPE.search(raw):
        return None  # a surrogate escape, maybe a lone one in a skipped string: orjson's call
    try:
        # one pass, the task's fields typed: another kind of line most likely fails to fit
        # and is the careful path's (a few in a hundred lines of a session)
        envelope = _ENVELOPE.decode(raw)
        data = envelope.event_data
        if envelope.source_type != "EXPORT_TASK" or data is None:
            return None
        row = _row(data)
    except Exception:  # noqa: BLE001 (msgspec's errors, or an unexpected value: careful path)
        return None
    if row is None:
        return None
    event_id = envelope.event_id
    if event_id is UNSET:
        event_id = None if envelope.eventId is UNSET else envelope.eventId
    info = data.task_info
    operator = operator_label(row[0], info.labels) if info is not None and info.labels \
        else None
    return event_id, row, operator


def operator_label(task_id: str, labels: dict[str, Any]) -> TaskOperator | None:
    """The Ray Data operator named by a task's labels (`__data_operator_id`, set by
    ray.data._internal.execution on the tasks and actors of each operator), if any."""
    uuid = labels.get(DATA_OPERATOR_LABEL)
    return TaskOperator(task_id, uuid) if type(uuid) is str and uuid else None


DATA_OPERATOR_LABEL = "__data_operator_id"


def _row(d: _Task) -> TaskRow | None:
    if d.task_id == _NIL_TASK:
        return None
    task_id = d.task_id.hex()
    task_type: TaskType | None = None
    function = None
    language = parent = actor = ""
    info = d.task_info
    if info is not None:
        task_type = info.type
        name = info.func_or_class_name
        if task_type is None or name is None:
            return None
        function = parse_descriptor_cached(name, task_type)
        language = info.language.upper() if info.language else ""
        if info.parent_task_id is not None:
            parent = _PARENT_IDS.get(info.parent_task_id) \
                or _task_hex(_PARENT_IDS, info.parent_task_id)
        if info.actor_id is not None:
            actor = _hex(_ACTOR_IDS, info.actor_id, ACTOR_HEX)
    spans = _NO_SPANS
    component = ""
    profile = d.profile_events
    if profile is not UNSET:
        component = profile.component_type or ""
        if profile.events is not UNSET:
            names: list[str] = []
            times: list[int] = []
            for ev in profile.events:
                name = ev.event_name
                if name in TASK_SPANS or name.startswith("task::"):
                    names.append(name)
                    start = ev.start_time
                    end = ev.end_time
                    times.append(start)
                    times.append(end if end > start else start)
            if names:
                spans = (tuple(names), tuple(times))
            if function is None:
                for name in names:
                    if name.startswith("task::"):
                        function = parse_descriptor_cached(name[6:], infer_task_type(task_id))
    states: tuple[tuple[int, int], ...] = ()
    node = worker = error_type = error_message = ""
    pid = None
    updates = d.state_updates
    if updates is not UNSET:
        if updates.state_ts_ns is not UNSET:
            # "1".."63" only (KeyError for any other spelling: the careful way)
            pairs = [(_STATUS[key], ns) for key, ns in updates.state_ts_ns.items()]
            if len(pairs) > 1:
                pairs.sort()
            states = tuple(pairs)
        if updates.node_id is not None:
            node = _NODE_IDS.get(updates.node_id) or _hex(_NODE_IDS, updates.node_id, NODE_HEX)
        if updates.worker_id is not None:
            worker = _WORKER_IDS.get(updates.worker_id) \
                or _hex(_WORKER_IDS, updates.worker_id, WORKER_HEX)
        if updates.worker_pid is not UNSET:
            pid = updates.worker_pid
        error = updates.error_info
        if error is not UNSET:
            error_type = error.error_type or ""
            error_message = error.error_message or ""
    job = d.job_id
    job = (_JOB_IDS.get(job) or _hex(_JOB_IDS, job, JOB_HEX) if job is not None else "") \
        or task_id[-JOB_HEX:]
    return (task_id, d.attempt_number, job, task_type, function, language, parent, actor,
            states, node, worker, pid, error_type, error_message, component, spans)


_NO_SPANS: tuple[tuple[str, ...], tuple[int, ...]] = ((), ())


# Each kind of id's hex by its base64 ("" for a value that is not one, as fields.b64_id gives
# it), for the ids that recur on many lines (a few nodes, workers, jobs, parents, actors): a
# dict lookup against a call of checked_b64_id's cache; a table stops growing at _MAX_IDS
# (parents by their bytes: one str for each, shared by the rows and the records of its tasks)
_PARENT_IDS: dict[bytes, str] = {}
_ACTOR_IDS: dict[str, str] = {}
_NODE_IDS: dict[str, str] = {}
_WORKER_IDS: dict[str, str] = {}
_JOB_IDS: dict[str, str] = {}
_MAX_IDS = 1 << 12


def _hex(table: dict[str, str], value: str, length: int) -> str:
    found = table.get(value)
    if found is None:
        found = checked_b64_id(value, length) or ""
        if len(table) < _MAX_IDS:
            table[value] = found
    return found


def _task_hex(table: dict[bytes, str], value: bytes) -> str:
    """A task id's hex from its bytes ("" for Ray's nil id), kept in `table` as _hex keeps
    ids."""
    found = "" if value == _NIL_TASK else value.hex()
    if len(table) < _MAX_IDS:
        table[value] = found
    return found
