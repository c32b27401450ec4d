"""RAY_EVENT lines of `logs/events` (schema section 2), in both the C++ and Python spellings."""

from __future__ import annotations

from typing import Any

from flowinsight.model.events import (
    INPUT_NOTE,
    TASK_EXECUTION_EXCEPTION,
    CallSiteDef,
    Event,
    FailureNote,
    Frame,
    FunctionRef,
    ObjectGet,
    ObjectPut,
    TaskCallSite,
    TaskName,
    TaskSubmitted,
    TaskType,
    TaskUpdate,
    given_otherwise,
)
from flowinsight.model.ids import (
    ACTOR_HEX,
    JOB_HEX,
    NODE_HEX,
    OBJECT_HEX,
    TASK_HEX,
    WORKER_HEX,
    actor_of_task,
    job_of_task,
)
from flowinsight.read.descriptor import language_of_descriptor, parse_descriptor
from flowinsight.read.fields import (BadLine, as_dict, as_int, as_str, epoch_float, hex_id,
                                     require)

FAILURE_LABELS = frozenset(
    {"RAY_WORKER_FAILURE", "RAY_DRIVER_FAILURE", "RAY_NODE_REMOVED", "Out of Memory",
     "RAY_FATAL_CHECK_FAILED"}
)
_TASK_TYPES = {t.value: t for t in TaskType}
# Larger than any object store: a size beyond it is corrupt, and sums of such sizes would
# overflow the 64-bit integers of the output.
MAX_OBJECT_BYTES = 1 << 44
# A call site deeper than this, or a frame's text longer, is cut: a stack is for reading
MAX_FRAMES = 200
MAX_FRAME_TEXT = 1000
def later_event_id(event_id: str, place: int) -> str:
    """The event id of a line's event after its first (a task_submitted's TaskName or
    TaskCallSite, an EXPORT_TASK's TaskOperator): the line's own id plus `#2` for the second,
    `#3` for the third, so that duplicates are still told by id."""
    return f"{event_id}#{place + 1}"


def parse_ray_event(obj: dict[str, Any]) -> Event | tuple[Event, ...] | str:
    """One RAY_EVENT object to an event (more for a `task_submitted` that gives the task a name
    of its own or names its call site: later_event_id gives their event ids), or the name of
    an ignored kind of line."""
    label = as_str(obj.get("label"))
    fields = as_dict(obj.get("custom_fields"))
    if label == "task_submitted":
        submitted = _task_submitted(fields)
        events: list[Event] = [submitted]
        name = as_str(fields.get("name"))
        if given_otherwise(name, submitted.function.name):
            events.append(TaskName(submitted.task_id, submitted.job_id, name))
        site_id = _site_id(fields.get("call_site_id"), False)
        if site_id:
            events.append(TaskCallSite(submitted.task_id, submitted.job_id, site_id, (),
                                       "recorder"))
        return submitted if len(events) == 1 else tuple(events)
    if label == "call_site":
        return CallSiteDef(_site_id(fields.get("call_site_id"), True),
                           recorded_frames(fields.get("frames")))
    if label == "object_put":
        return _object_put(as_str(obj.get("event_id")), fields)
    if label == "object_get":
        return _object_get(as_str(obj.get("event_id")), fields)
    if label == "compiled_call":
        return compiled_call(fields)
    if label in FAILURE_LABELS:
        return _failure(label, obj, fields)
    return f"label:{label or '(none)'}"


def _task_submitted(f: dict[str, Any]) -> TaskSubmitted:
    task_id = require(hex_id(f.get("task_id"), TASK_HEX, "task_id", required=True)
                      or hex_id(f.get("target_task_id"), TASK_HEX, "target_task_id",
                                required=True), "task_id")
    type_name = as_str(f.get("task_type")).upper()
    task_type = _TASK_TYPES.get(type_name)
    if task_type is None:
        raise BadLine("bad_value" if type_name else "missing_field", f"task_type {type_name!r}")
    descriptor = as_str(f.get("descriptor"))
    function = parse_descriptor(descriptor, task_type) if descriptor else FunctionRef("", "", "")
    language = as_str(f.get("language")).upper() or language_of_descriptor(descriptor)
    return TaskSubmitted(
        task_id=task_id,
        task_type=task_type,
        parent_task_id=hex_id(f.get("src_task_id"), TASK_HEX, "src_task_id"),
        caller_actor_id=hex_id(f.get("src_actor_id"), ACTOR_HEX, "src_actor_id"),
        actor_id=hex_id(f.get("target_actor_id"), ACTOR_HEX, "target_actor_id"),
        job_id=hex_id(f.get("job_id"), JOB_HEX, "job_id") or job_of_task(task_id),
        time_ms=epoch_float(f.get("timestamp_ms"), 10**6, "timestamp_ms"),
        function=function,
        language=language,
    )


# Ray's TaskStatus numbers (common.proto) of a run's two states
_RUNNING, _FINISHED, _FAILED = 8, 11, 12


def compiled_call(f: dict[str, Any]) -> TaskUpdate:
    """The recorder's `compiled_call` (recorder/compiled.py): one run of a user's method in a
    compiled graph, which Ray runs inside its actor's `__ray_call__` loop task and records as
    no task. It is an attempt of an actor method like any other: a TaskUpdate under the run's
    own id, its caller the loop (the loop's caller, the task that compiled the graph, is what
    the user sees once Ray's loop is hidden: pipeline/internals.py), RUNNING at its start,
    FINISHED or FAILED at its end. A method that raised is Ray's TASK_EXECUTION_EXCEPTION,
    as a normal call's would be: `ray.get` of the execute raises its RayTaskError; so is a run
    skipped for its input's error (_run_error)."""
    task_id = require(hex_id(f.get("task_id"), TASK_HEX, "task_id", required=True), "task_id")
    loop = require(hex_id(f.get("loop_task_id"), TASK_HEX, "loop_task_id", required=True),
                   "loop_task_id")
    method = as_str(f.get("method"))
    if not method:
        raise BadLine("missing_field", "missing method")
    start = epoch_float(f.get("start_ms"), 10**6, "start_ms")
    end = epoch_float(f.get("end_ms"), 10**6, "end_ms")
    if start is None or end is None or end < start:
        raise BadLine("bad_value", f"run times {start!r}..{end!r}")
    error_type = as_str(f.get("error_type"))
    pid = as_int(f.get("pid"))
    return TaskUpdate(
        task_id=task_id,
        attempt=0,
        job_id=hex_id(f.get("job_id"), JOB_HEX, "job_id") or job_of_task(task_id),
        task_type=TaskType.ACTOR,
        function=FunctionRef("", as_str(f.get("class_name"))[:MAX_FRAME_TEXT],
                             method[:MAX_FRAME_TEXT]),
        language="PYTHON",
        parent_task_id=loop,
        actor_id=hex_id(f.get("actor_id"), ACTOR_HEX, "actor_id") or actor_of_task(task_id),
        # the recorder's times are to the microsecond: whole µs, then ns (a float's ms
        # times 1e6 would carry its rounding into the ns)
        states=((_RUNNING, round(start * 1000) * 1000),
                (_FAILED if error_type else _FINISHED, round(end * 1000) * 1000)),
        node_id=hex_id(f.get("node_id"), NODE_HEX, "node_id"),
        worker_id=hex_id(f.get("worker_id"), WORKER_HEX, "worker_id"),
        worker_pid=pid if pid and pid > 0 else None,
        error_type=TASK_EXECUTION_EXCEPTION if error_type else "",
        error_message=_run_error(f, error_type),
        component_type="worker",
        spans=(),
    )


def _run_error(f: dict[str, Any], error_type: str) -> str:
    """What the run raised; for a run `skipped` (its input was an upstream method's error,
    which Ray passed on without calling the method) that error after RayTaskError's note, as
    Ray words a normal task that failed by its input: a consequence of the upstream failure."""
    message = as_str(f.get("error_message")) or error_type
    if f.get("skipped") is True:
        return f"{INPUT_NOTE}:\n{message}" if message else INPUT_NOTE
    return message


def _site_id(value: Any, required: bool) -> str:
    text = as_str(value)
    if not text:
        if required:
            raise BadLine("missing_field", "missing call_site_id")
        return ""
    if len(text) > 64 or not text.isascii() or not text.isalnum():
        raise BadLine("bad_value", f"call_site_id {text[:70]!r}")
    return text


def recorded_frames(value: Any) -> tuple[Frame, ...]:
    """The recorder's frames: [[file, line, function], ...], outermost first."""
    if not isinstance(value, list):
        raise BadLine("bad_value" if value is not None else "missing_field",
                      "frames: expected a list of [file, line, function]")
    frames = []
    for item in value[-MAX_FRAMES:]:  # the innermost frames: those nearest the call
        if not isinstance(item, list) or len(item) != 3:
            raise BadLine("bad_value", f"frame {str(item)[:80]!r}: not [file, line, function]")
        line = as_int(item[1])
        if line is None or line < 0:
            raise BadLine("bad_value", f"frame line {str(item[1])[:20]!r}")
        frames.append(Frame(as_str(item[0])[:MAX_FRAME_TEXT], line,
                            as_str(item[2])[:MAX_FRAME_TEXT]))
    return tuple(frames)


def _size(value: Any) -> int | None:
    size = as_int(value)
    if size is not None and not 0 <= size <= MAX_OBJECT_BYTES:
        raise BadLine("bad_value", f"size_bytes {size} out of range")
    return size


def _object_put(event_id: str, f: dict[str, Any]) -> ObjectPut:
    task_id = require(hex_id(f.get("task_id"), TASK_HEX, "task_id", required=True), "task_id")
    size = _size(f.get("size_bytes"))
    return ObjectPut(
        event_id=event_id,
        object_id=_object_id(f),
        task_id=task_id,
        actor_id=hex_id(f.get("actor_id"), ACTOR_HEX, "actor_id"),
        job_id=hex_id(f.get("job_id"), JOB_HEX, "job_id") or job_of_task(task_id),
        size_bytes=size,
        kind=as_str(f.get("kind")),
        arg_index=as_int(f.get("arg_index")),
        target_task_id=hex_id(f.get("target_task_id"), TASK_HEX, "target_task_id"),
        time_ms=epoch_float(f.get("timestamp_ms"), 10**6, "timestamp_ms"),
    )


def _object_get(event_id: str, f: dict[str, Any]) -> ObjectGet:
    task_id = require(hex_id(f.get("task_id"), TASK_HEX, "task_id", required=True), "task_id")
    return ObjectGet(
        event_id=event_id,
        object_id=_object_id(f),
        task_id=task_id,
        actor_id=hex_id(f.get("actor_id"), ACTOR_HEX, "actor_id"),
        job_id=hex_id(f.get("job_id"), JOB_HEX, "job_id") or job_of_task(task_id),
        kind=as_str(f.get("kind")),
        time_ms=epoch_float(f.get("timestamp_ms"), 10**6, "timestamp_ms"),
        size_bytes=_size(f.get("size_bytes")),
        arg_index=as_int(f.get("arg_index")),
    )


def _object_id(f: dict[str, Any]) -> str:
    return require(hex_id(f.get("object_id"), OBJECT_HEX, "object_id", required=True), "object_id")


def _failure(label: str, obj: dict[str, Any], f: dict[str, Any]) -> FailureNote:
    pid = obj.get("pid", obj.get("source_pid"))
    return FailureNote(
        event_id=as_str(obj.get("event_id")),
        label=label,
        message=as_str(obj.get("message")),
        severity=as_str(obj.get("severity")),
        source_type=as_str(obj.get("source_type")),
        job_id=hex_id(f.get("job_id"), JOB_HEX, "job_id"),
        node_id=hex_id(f.get("node_id"), NODE_HEX, "node_id"),
        worker_id=hex_id(f.get("worker_id"), WORKER_HEX, "worker_id"),
        pid=as_int(pid),
        time_s=epoch_float(obj.get("timestamp"), 10**9),
        actor_id="",
        submission_id="",
    )
