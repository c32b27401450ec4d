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

import re
from typing import Any, Union

import msgspec

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
        stamp = envelope.timestamp
        if stamp is not None and not _INT_MIN <= stamp < _UINT_END:
            return None
        row = _row(data)
    except Exception:  # noqa: BLE001 (msgspec's errors, or an unexpected value: careful path)
        return None
    if row is None:
        return None
    event_id = envelope.event_id
    if event_id is _UNSET:
        event_id = None if envelope.eventId is _UNSET else envelope.eventId
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
    # (a task's own id recurs on a few lines only: checked_b64_id's cache is enough)
    task_id = checked_b64_id(d.task_id, TASK_HEX) or ""
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
            parent = _PARENT_IDS.get(info.parent_task_id) \
                or _hex(_PARENT_IDS, info.parent_task_id, TASK_HEX)
        if info.actor_id is not None:
            actor = _hex(_ACTOR_IDS, info.actor_id, ACTOR_HEX)
    spans = _NO_SPANS
    component = ""
    profile = d.profile_events
    if profile is not None:
        component = profile.component_type or ""
        if profile.events is not None:
            names: list[str] = []
            times: list[int] = []
            for ev in profile.events:
                name = ev.event_name
                if name in TASK_SPANS or name.startswith("task::"):
                    # a time in ns: an int or its decimal string (int() of an int is itself;
                    # of None a TypeError: the careful path), within int64
                    start = int(ev.start_time)  # type: ignore[arg-type]
                    end = int(ev.end_time)  # type: ignore[arg-type]
                    if not (0 <= start <= _INT_MAX and 0 <= end <= _INT_MAX):
                        raise ValueError(f"times {start!r}, {end!r}")
                    names.append(name)
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
    if updates is not None:
        if updates.state_ts_ns is not None:
            # "1".."63" only (KeyError for any other spelling: the careful way)
            pairs = [(_STATUS[key], int(ns)) for key, ns in updates.state_ts_ns.items()]
            for pair in pairs:
                if not 0 <= pair[1] <= _INT_MAX:
                    raise ValueError(f"time {pair[1]!r}")
            if len(pairs) > 1:
                pairs.sort()
            states = tuple(pairs)
        if updates.node_id is not None:
            node = _NODE_IDS.get(updates.node_id) or _hex(_NODE_IDS, updates.node_id, NODE_HEX)
        if updates.worker_id is not None:
            worker = _WORKER_IDS.get(updates.worker_id) \
                or _hex(_WORKER_IDS, updates.worker_id, WORKER_HEX)
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
    job = d.job_id
    job = (_JOB_IDS.get(job) or _hex(_JOB_IDS, job, JOB_HEX) if job is not None else "") \
        or task_id[-JOB_HEX:]
    return (task_id, attempt, job, task_type, function, language, parent, actor, states, node,
            worker, pid, error_type, error_message, component, spans)


_NO_SPANS: tuple[tuple[str, ...], tuple[int, ...]] = ((), ())


# Each kind of id's hex by its base64 ("" for a value that is not one, as fields.b64_id gives
# it), for the ids that recur on many lines (a few nodes, workers, jobs, parents, actors): a
# dict lookup against a call of checked_b64_id's cache; a table stops growing at _MAX_IDS
_PARENT_IDS: dict[str, str] = {}
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
