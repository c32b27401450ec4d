"""Export API lines of `logs/export_events` (schema section 4): base64 ids, string integers."""

from __future__ import annotations

import base64
from typing import Any

from flowinsight.model.events import (
    ActorUpdate,
    DatasetOperator,
    DatasetUpdate,
    Event,
    JobUpdate,
    NodeUpdate,
    OperatorEvent,
    OperatorSchema,
    Span,
    TaskType,
    TaskUpdate,
)
from flowinsight.model.ids import (
    ACTOR_HEX,
    JOB_HEX,
    NODE_HEX,
    TASK_HEX,
    WORKER_HEX,
    checked_b64_id,
    infer_task_type,
    job_of_task,
)
from flowinsight.read.descriptor import parse_descriptor, parse_descriptor_cached
from flowinsight.read.fields import BadLine, as_dict, as_float, as_int, as_str, b64_id, require

_TASK_TYPES = {t.value: t for t in TaskType}
# Profile spans that describe the task's own execution; the rest (submit_task, ray.get,
# user spans) say nothing the graph needs.
_TASK_SPANS = ("task:execute", "task:deserialize_arguments", "task:store_outputs")


_INT_MAX = (1 << 63) - 1
_NIL_TASK_B64 = base64.b64encode(b"\xff" * (TASK_HEX // 2)).decode()  # Ray's nil TaskID


def parse_export_event(obj: dict[str, Any]) -> Event | str:
    """One Export API object to an event, or the name of an ignored kind of line."""
    if obj.get("source_type") == "EXPORT_TASK":
        fast = task_fast(obj)
        if fast is not None:
            return fast
    return parse_export_careful(obj)


def parse_export_careful(obj: dict[str, Any]) -> Event | str:
    """The reference reading of a line: every field through the tolerant helpers of `fields`."""
    source = as_str(obj.get("source_type"))
    data = obj.get("event_data")
    if not isinstance(data, dict):
        raise BadLine("missing_field", "missing event_data")
    time_s = as_float(obj.get("timestamp"))
    if source == "EXPORT_TASK":
        if data.get("task_id") == _NIL_TASK_B64:
            # Ray's nil task id: an id, not a missing field. Profile spans a worker wrote
            # outside any task (a library's own thread): no task to put them on.
            return "task:nil_task_id"
        return _task(data)
    if source == "EXPORT_ACTOR":
        return _actor(data, time_s)
    if source == "EXPORT_DRIVER_JOB":
        return _job(data)
    if source == "EXPORT_NODE":
        return _node(data)
    if source == "EXPORT_DATASET_METADATA":
        return _dataset(data, time_s)
    if source == "EXPORT_DATASET_OPERATOR_SCHEMA":
        return _operator_schema(data)
    if source == "EXPORT_DATASET_OPERATOR_EVENT":
        return _operator_event(data)
    return f"source:{source or '(none)'}"


def task_fast(obj: dict[str, Any]) -> TaskUpdate | None:
    """An EXPORT_TASK line of the usual shape, read with plain type checks instead of a helper
    call per field (most lines of a session are these). None for anything unusual: the careful
    path below then decides, so that this one only ever returns what that one would
    (tests/test_fast_paths.py holds them to it)."""
    try:
        return _task_fast(obj)
    except Exception:  # an unexpected value: the careful path judges it
        return None


def _task_fast(obj: dict[str, Any]) -> TaskUpdate | None:
    d = obj["event_data"]
    stamp = obj.get("timestamp")
    if type(d) is not dict or (stamp is not None and type(stamp) is not int):
        return None
    value = d["task_id"]
    task_id = _TASK_IDS.get(value) or _b64_hex(value, TASK_HEX)
    if not task_id:
        return None
    task_type: TaskType | None = None
    function = None
    language = parent = actor = ""
    info = d.get("task_info")
    if type(info) is dict:
        task_type = _TASK_TYPES.get(info.get("type"))  # type: ignore[arg-type]
        name = info.get("func_or_class_name")
        lang = info.get("language")
        if task_type is None or type(name) is not str or (lang is not None
                                                           and type(lang) is not str):
            return None
        function = parse_descriptor_cached(name, task_type)
        language = lang.upper() if lang else ""
        value = info.get("parent_task_id")
        if value is not None:
            parent = _TASK_IDS.get(value) or _b64_hex(value, TASK_HEX)
        value = info.get("actor_id")
        if value is not None:
            actor = _ACTOR_IDS.get(value) or _b64_hex(value, ACTOR_HEX)
    spans: tuple[Span, ...] = ()
    component = ""
    profile = d.get("profile_events")
    if profile is not None:
        if type(profile) is not dict:
            return None
        kind = profile.get("component_type")
        component = "" if kind is None else kind
        events = profile.get("events")
        if type(component) is not str:
            return None
        if events is not None:
            if type(events) is not list:
                return None
            found = []
            for ev in events:
                if type(ev) is not dict:
                    return None
                span_name = ev.get("event_name")
                if type(span_name) is not str:
                    return None
                if span_name in _TASK_SPANS or span_name.startswith("task::"):
                    start, end = ev.get("start_time"), ev.get("end_time")
                    start = int(start) if type(start) is str else start
                    end = int(end) if type(end) is str else end
                    if type(start) is not int or type(end) is not int \
                            or not 0 <= start <= _INT_MAX or not 0 <= end <= _INT_MAX:
                        return None
                    found.append(Span(span_name, start, end if end > start else start))
            spans = tuple(found)
            if function is None:
                for span in spans:
                    if span.name.startswith("task::"):
                        function = parse_descriptor_cached(span.name[6:],
                                                           infer_task_type(task_id))
    updates = d.get("state_updates")
    states: tuple[tuple[int, int], ...] = ()
    node = worker = error_type = error_message = ""
    pid = None
    if updates is not None:
        if type(updates) is not dict:
            return None
        stamps = updates.get("state_ts_ns")
        if stamps is not None:
            if type(stamps) is not dict:
                return None
            pairs = []
            for key, ns in stamps.items():
                status = _STATUS[key]  # "1".."63" only; any other spelling goes the careful way
                ns = int(ns) if type(ns) is str else ns
                if type(ns) is not int or not 0 <= ns <= _INT_MAX:
                    return None
                pairs.append((status, ns))
            pairs.sort()
            states = tuple(pairs)
        value = updates.get("node_id")
        if value is not None:
            node = _NODE_IDS.get(value) or _b64_hex(value, NODE_HEX)
        value = updates.get("worker_id")
        if value is not None:
            worker = _NODE_IDS.get(value) or _b64_hex(value, WORKER_HEX)
        pid = updates.get("worker_pid")
        if pid is not None and (type(pid) is not int or not -_INT_MAX - 1 <= pid <= _INT_MAX):
            return None
        error = updates.get("error_info")
        if error is not None:
            if type(error) is not dict:
                return None
            kind, message = error.get("error_type"), error.get("error_message")
            error_type = "" if kind is None else kind
            error_message = "" if message is None else message
            if type(error_type) is not str or type(error_message) is not str:
                return None
    attempt = d.get("attempt_number")
    if attempt is None:
        attempt = 0
    elif type(attempt) is not int or not -_INT_MAX - 1 <= attempt <= _INT_MAX:
        return None
    value = d.get("job_id")
    job = (_JOB_IDS.get(value) or _b64_hex(value, JOB_HEX) if value is not None else "") \
        or task_id[-JOB_HEX:]
    return TaskUpdate(task_id, attempt, job, task_type, function, language, parent, actor,
                      states, node, worker, pid, error_type, error_message, component, spans)


# base64 id -> hex for the fast path, one table per length of id: ids recur on many lines (a
# worker's, a node's, a parent task's). Only valid ids are kept; anything else is looked at
# again each time and maps to "", as b64_id does for an optional id.
_TASK_IDS: dict[object, str] = {}
_ACTOR_IDS: dict[object, str] = {}
_JOB_IDS: dict[object, str] = {}
_NODE_IDS: dict[object, str] = {}  # nodes and workers: ids of the same length
_ID_TABLES = {TASK_HEX: _TASK_IDS, ACTOR_HEX: _ACTOR_IDS, JOB_HEX: _JOB_IDS, NODE_HEX: _NODE_IDS,
              WORKER_HEX: _NODE_IDS}
_MAX_IDS = 1 << 16
_STATUS = {str(n): n for n in range(1, 64)}


def _b64_hex(value: object, length: int) -> str:
    """b64_id(value, length) for an optional id, remembered in its table when valid."""
    if type(value) is not str:
        return ""
    out = checked_b64_id(value, length) or ""
    if out:
        table = _ID_TABLES[length]
        if len(table) >= _MAX_IDS:
            table.clear()
        table[value] = out
    return out


def _task(d: dict[str, Any]) -> TaskUpdate:
    task_id = require(b64_id(d.get("task_id"), TASK_HEX, "task_id", required=True), "task_id")
    info = d.get("task_info")
    task_type: TaskType | None = None
    function = None
    language = parent = actor = ""
    if isinstance(info, dict):
        type_name = as_str(info.get("type"))
        task_type = _TASK_TYPES.get(type_name)
        if task_type is None:
            raise BadLine("bad_value", f"task type {type_name!r}")
        function = parse_descriptor(as_str(info.get("func_or_class_name")), task_type)
        language = as_str(info.get("language")).upper()
        parent = b64_id(info.get("parent_task_id"), TASK_HEX, "parent_task_id")
        actor = b64_id(info.get("actor_id"), ACTOR_HEX, "actor_id")
    spans = _spans(as_dict(d.get("profile_events")).get("events"))
    if function is None:
        # The executor's `task::<name>` span names a task whose definition was lost.
        for span in spans:
            if span.name.startswith("task::"):
                function = parse_descriptor(span.name[6:], infer_task_type(task_id))
    updates = as_dict(d.get("state_updates"))
    states = tuple(
        sorted((_status(k), _ns(v)) for k, v in as_dict(updates.get("state_ts_ns")).items())
    )
    error = as_dict(updates.get("error_info"))
    profile = as_dict(d.get("profile_events"))
    return TaskUpdate(
        task_id=task_id,
        attempt=as_int(d.get("attempt_number")) or 0,
        job_id=b64_id(d.get("job_id"), JOB_HEX, "job_id") or job_of_task(task_id),
        task_type=task_type,
        function=function,
        language=language,
        parent_task_id=parent,
        actor_id=actor,
        states=states,
        node_id=b64_id(updates.get("node_id"), NODE_HEX, "node_id"),
        worker_id=b64_id(updates.get("worker_id"), WORKER_HEX, "worker_id"),
        worker_pid=as_int(updates.get("worker_pid")),
        error_type=as_str(error.get("error_type")),
        error_message=as_str(error.get("error_message")),
        component_type=as_str(profile.get("component_type")),
        spans=spans,
    )


def _status(key: str) -> int:
    status = as_int(key)
    if status is None or not 0 < status < 64:
        raise BadLine("bad_value", f"task status {key!r}")
    return status


def _ns(value: Any) -> int:
    ns = as_int(value)
    if ns is None or ns < 0:
        raise BadLine("bad_value", f"timestamp {value!r}")
    return ns


def _spans(events: Any) -> tuple[Span, ...]:
    if events is None:
        return ()
    if not isinstance(events, list):
        raise BadLine("bad_value", "profile events is not a list")
    spans = []
    for ev in events:
        ev = as_dict(ev)
        name = as_str(ev.get("event_name"))
        if name in _TASK_SPANS or name.startswith("task::"):
            start, end = _ns(ev.get("start_time")), _ns(ev.get("end_time"))
            # One process's clock: an end before the start is corruption, not skew. Keep the
            # span (its name may be all that names a task) with no negative duration.
            spans.append(Span(name, start, max(start, end)))
    return tuple(spans)


def _actor(d: dict[str, Any], time_s: float | None) -> ActorUpdate:
    actor_id = require(b64_id(d.get("actor_id"), ACTOR_HEX, "actor_id", required=True),
                       "actor_id")
    death = d.get("death_cause")
    return ActorUpdate(
        actor_id=actor_id,
        job_id=b64_id(d.get("job_id"), JOB_HEX, "job_id") or actor_id[-JOB_HEX:],
        class_name=as_str(d.get("class_name")),
        name=as_str(d.get("name")),
        state=as_str(d.get("state")),
        node_id=b64_id(d.get("node_id"), NODE_HEX, "node_id"),
        pid=as_int(d.get("pid")) or None,
        is_detached=d.get("is_detached") is True,
        death_cause=_death_cause(death),
        death_reason=_death_reason(death),
        time_s=time_s,
        repr_name=as_str(d.get("repr_name")),
    )


def _death_cause(death: Any) -> str:
    """The first message found in Ray's nested ActorDeathCause, or its context's name."""
    if not isinstance(death, dict) or not death:
        return ""
    for context_name, context in sorted(death.items()):
        if isinstance(context, dict):
            for key in ("error_message", "reason_message", "reason"):
                text = context.get(key)
                if isinstance(text, str) and text:
                    return text
        return str(context_name)
    return ""


def _death_reason(death: Any) -> str:
    """`<context>:<reason>`: which of Ray's death contexts applies, and its reason code."""
    if not isinstance(death, dict):
        return ""
    for context_name, context in sorted(death.items()):
        reason = context.get("reason") if isinstance(context, dict) else None
        return f"{context_name}:{reason}" if isinstance(reason, str) and reason else context_name
    return ""


def _job(d: dict[str, Any]) -> JobUpdate:
    return JobUpdate(
        job_id=require(b64_id(d.get("job_id"), JOB_HEX, "job_id", required=True), "job_id"),
        entrypoint=as_str(d.get("entrypoint")),
        driver_pid=as_int(d.get("driver_pid")),
        start_ms=as_int(d.get("start_time")) or None,
        end_ms=as_int(d.get("end_time")) or None,
        is_dead=d.get("is_dead") is True,
    )


def _node(d: dict[str, Any]) -> NodeUpdate:
    death = as_dict(d.get("death_info"))
    return NodeUpdate(
        node_id=require(b64_id(d.get("node_id"), NODE_HEX, "node_id", required=True), "node_id"),
        address=as_str(d.get("node_manager_address")),
        is_head=d.get("is_head_node") is True,
        state=as_str(d.get("state")),
        start_ms=as_int(d.get("start_time_ms")) or None,
        end_ms=as_int(d.get("end_time_ms")) or None,
        death_reason=as_str(death.get("reason")),
    )


# Ray Data's plan (export_dataset_metadata.proto, export_dataset_operator_*.proto; written by
# ray.data._internal.metadata_exporter): times are seconds as floats, 0 when not yet known.

def _seconds(value: Any) -> float | None:
    seconds = as_float(value)
    return seconds if seconds else None


def _strings(value: Any, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadLine("bad_value", f"{name} is not a list of strings")
    return tuple(value)


def _dataset(d: dict[str, Any], time_s: float | None) -> DatasetUpdate:
    dataset_id = as_str(d.get("dataset_id"))
    if not dataset_id:
        raise BadLine("missing_field", "missing dataset_id")
    topology = as_dict(d.get("topology"))
    raw = topology.get("operators")
    if raw is not None and not isinstance(raw, list):
        raise BadLine("bad_value", "topology.operators is not a list")
    operators = []
    for op in raw or ():
        if not isinstance(op, dict):
            raise BadLine("bad_value", "an operator is not an object")
        stages = op.get("sub_stages")
        operators.append(DatasetOperator(
            id=as_str(op.get("id")),
            name=as_str(op.get("name")),
            uuid=as_str(op.get("uuid")),
            inputs=_strings(op.get("input_dependencies"), "input_dependencies"),
            state=as_str(op.get("state")),
            start_s=_seconds(op.get("execution_start_time")),
            end_s=_seconds(op.get("execution_end_time")),
            sub_stages=tuple(as_str(as_dict(s).get("name")) for s in stages)
            if isinstance(stages, list) else (),
        ))
    return DatasetUpdate(
        dataset_id=dataset_id,
        job_id=as_str(d.get("job_id")).lower(),
        state=as_str(d.get("state")),
        start_s=_seconds(d.get("start_time")),
        exec_start_s=_seconds(d.get("execution_start_time")),
        exec_end_s=_seconds(d.get("execution_end_time")),
        operators=tuple(operators),
        time_s=time_s,
    )


def _operator_schema(d: dict[str, Any]) -> OperatorSchema:
    fields = as_dict(d.get("schema_fields"))
    return OperatorSchema(
        operator_uuid=as_str(d.get("operator_uuid")),
        fields=tuple((str(k), as_str(v)) for k, v in fields.items()),
    )


def _operator_event(d: dict[str, Any]) -> OperatorEvent:
    return OperatorEvent(
        dataset_id=as_str(d.get("dataset_id")),
        operator_id=as_str(d.get("operator_id")),
        operator_name=as_str(d.get("operator_name")),
        time_s=_seconds(d.get("event_time")),
        event_type=as_str(d.get("event_type")),
        message=as_str(d.get("message")),
    )
