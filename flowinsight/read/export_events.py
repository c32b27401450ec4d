"""Export API lines of `logs/export_events` (schema section 4): base64 ids, string integers."""

from __future__ import annotations

import base64
import re
from typing import Any

from flowinsight.model.events import (
    JOB_STOPPED,
    SUBMISSION_JOB,
    TRAIN_ERRORED,
    ActorUpdate,
    DatasetOperator,
    DatasetUpdate,
    Event,
    FailureNote,
    JobUpdate,
    NodeUpdate,
    OperatorEvent,
    OperatorSchema,
    Span,
    TaskOperator,
    TaskType,
    TaskUpdate,
)
from flowinsight.model.ids import (
    ACTOR_HEX,
    JOB_HEX,
    NODE_HEX,
    TASK_HEX,
    WORKER_HEX,
    infer_task_type,
    job_of_task,
)
from flowinsight.read.descriptor import parse_descriptor
from flowinsight.read.fields import (BadLine, as_dict, as_float, as_int, as_str, b64_id,
                                     epoch_float, epoch_int, hex_id, require)
from flowinsight.read.task_lines import TASK_SPANS, operator_label

_TASK_TYPES = {t.value: t for t in TaskType}
_NIL_TASK_B64 = base64.b64encode(b"\xff" * (TASK_HEX // 2)).decode()  # Ray's nil TaskID


def parse_export_event(obj: dict[str, Any]) -> Event | tuple[Event, ...] | str:
    """One Export API object to an event, or the name of an ignored kind of line: every field
    through the tolerant helpers of `fields`. (The reader decodes most EXPORT_TASK lines before
    they become objects, the quick way: read.task_lines, held to this.)"""
    source = as_str(obj.get("source_type"))
    data = obj.get("event_data")
    if not isinstance(data, dict):
        raise BadLine("missing_field", "missing event_data")
    if source == "EXPORT_TASK":
        # the envelope's time is none of the task's (its states have theirs): its type checked
        # alone, as the quick decoders check it (task_lines, native)
        as_float(obj.get("timestamp"))
        if data.get("task_id") == _NIL_TASK_B64:
            # Ray's nil task id: an id, not a missing field. Profile spans a worker wrote
            # outside any task (a library's own thread): no task to put them on.
            return "task:nil_task_id"
        return _task(data)
    time_s = epoch_float(obj.get("timestamp"), 10**9)  # when the event was written
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
    if source == "EXPORT_TRAIN_RUN_ATTEMPT":
        return _train_attempt(obj, data, time_s)
    if source == SUBMISSION_JOB:
        return _submission(obj, data, time_s)
    return f"source:{source or '(none)'}"


def _task(d: dict[str, Any]) -> TaskUpdate | tuple[TaskUpdate, TaskOperator]:
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
    update = TaskUpdate(
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
    labels = info.get("labels") if isinstance(info, dict) else None
    operator = operator_label(task_id, labels) if isinstance(labels, dict) else None
    return update if operator is None else (update, operator)


# Ray Train v2 (export_train_state.proto: TrainRunAttempt, written with
# RAY_TRAIN_ENABLE_STATE_TRACKING=1): an attempt's error is its worker group's, which Train
# catches in the worker (the training loop runs in a thread of it, poll_status reports the
# error): no task of Ray's fails with it. Train names the ranks that raised in the detail
# (train/v2/_internal/execution/worker_group/poll.py: "[Rank 1 Error Snippet]:", "[Rank 0,1 ...").
_TRAIN_RANKS = re.compile(r"\[Rank ([0-9,]+) Error Snippet\]")


def _train_attempt(obj: dict[str, Any], d: dict[str, Any],
                   time_s: float | None) -> FailureNote | str:
    """An ERRORED attempt of a Train run, as a failure on the worker of the first rank that
    raised; any other state of an attempt is not a failure (Train's runs, EXPORT_TRAIN_RUN,
    repeat their last attempt's error: not read)."""
    status = as_str(d.get("status"))
    if status != "ERRORED":
        return f"train_attempt:{status or '(none)'}"
    detail = as_str(d.get("status_detail"))
    ranks = _TRAIN_RANKS.search(detail)
    rank = int(ranks.group(1).split(",")[0]) if ranks else None
    workers = d.get("workers")
    worker = next((as_dict(w) for w in workers if as_int(as_dict(w).get("world_rank")) == rank
                   or (rank == 0 and "world_rank" not in as_dict(w))), {}) \
        if rank is not None and isinstance(workers, list) else {}
    end_ns = epoch_int(d.get("end_time_ns"), 1, "end_time_ns")
    actor = b64_id(worker.get("actor_id"), ACTOR_HEX, "actor_id")
    return FailureNote(
        event_id=as_str(obj.get("event_id")),
        label=TRAIN_ERRORED,
        message=detail,
        severity="ERROR",
        source_type="EXPORT_TRAIN_RUN_ATTEMPT",
        # the attempt names no job (its run does, EXPORT_TRAIN_RUN); an actor id ends with its
        # job's (ActorID: unique bytes, then the JobID)
        job_id=actor[-JOB_HEX:] if actor else "",
        node_id=b64_id(worker.get("node_id"), NODE_HEX, "node_id"),
        worker_id="",  # Train names its workers by actor
        pid=as_int(worker.get("pid")) or None,
        time_s=end_ns / 1e9 if end_ns else time_s,
        actor_id=actor,
        submission_id="",
    )


def _submission(obj: dict[str, Any], d: dict[str, Any],
                time_s: float | None) -> FailureNote | str:
    """The end of a job submitted through the Job Submission API (ray job submit), when it
    FAILED or was STOPPED (`ray job stop`): the only record of a submitted driver that raised
    (its EXPORT_DRIVER_JOB ends as a stopped one's does). Ray's JobInfo (ray.dashboard.modules.
    job.common): `error_type` a JobErrorType, `message` with the entrypoint's last logs.
    PENDING, RUNNING and SUCCEEDED are no failure."""
    status = as_str(d.get("status"))
    if status not in ("FAILED", "STOPPED"):
        return f"submission_job:{status or '(none)'}"
    end_ms = epoch_int(d.get("end_time"), 10**6, "end_time")
    return FailureNote(
        event_id=as_str(obj.get("event_id")),
        label=JOB_STOPPED if status == "STOPPED" else as_str(d.get("error_type")) or "JOB_FAILED",
        message=as_str(d.get("message")),
        severity="ERROR" if status == "FAILED" else "INFO",
        source_type=SUBMISSION_JOB,
        job_id="",  # the driver's JobUpdate names its submission: joined in the analysis
        node_id=hex_id(d.get("driver_node_id"), NODE_HEX, "driver_node_id"),
        worker_id="",
        pid=None,
        time_s=end_ms / 1000 if end_ms else time_s,
        actor_id="",
        submission_id=as_str(d.get("submission_job_id")),
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
        if name in TASK_SPANS or name.startswith("task::"):
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
            # ActorDeathCause's contexts: error_message (runtime_env, unschedulable, died),
            # reason_message (OOM), a RayException's formatted_exception_string (creation)
            for key in ("error_message", "reason_message", "formatted_exception_string",
                        "reason"):
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
        start_ms=epoch_int(d.get("start_time"), 10**6, "start_time") or None,
        end_ms=epoch_int(d.get("end_time"), 10**6, "end_time") or None,
        is_dead=d.get("is_dead") is True,
        submission_id=as_str(as_dict(as_dict(d.get("config")).get("metadata")).get(
            "job_submission_id")),
    )


def _node(d: dict[str, Any]) -> NodeUpdate:
    death = as_dict(d.get("death_info"))
    return NodeUpdate(
        node_id=require(b64_id(d.get("node_id"), NODE_HEX, "node_id", required=True), "node_id"),
        address=as_str(d.get("node_manager_address")),
        is_head=d.get("is_head_node") is True,
        state=as_str(d.get("state")),
        start_ms=epoch_int(d.get("start_time_ms"), 10**6, "start_time_ms") or None,
        end_ms=epoch_int(d.get("end_time_ms"), 10**6, "end_time_ms") or None,
        death_reason=as_str(death.get("reason")),
    )


# Ray Data's plan (export_dataset_metadata.proto, export_dataset_operator_*.proto; written by
# ray.data._internal.metadata_exporter): times are seconds as floats, 0 when not yet known.

def _seconds(value: Any) -> float | None:
    seconds = epoch_float(value, 10**9)
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
