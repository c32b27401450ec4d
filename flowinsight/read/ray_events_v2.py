"""RayEvents of Ray's event export (2.49+), as `flowinsight collect` writes them: one proto3
JSON object per line (src/ray/protobuf/public/events_*.proto). Field names in camelCase, or
snake_case when the aggregator ran with RAY_DASHBOARD_AGGREGATOR_AGENT_PRESERVE_PROTO_FIELD_NAME;
ids base64, times RFC 3339, enums by name (numbers accepted), int64 as strings.

Each payload becomes the events the Export API's lines become (TaskUpdate, ActorUpdate,
JobUpdate, NodeUpdate), so that the two merge into the same task records; a definition's
`callSite` (RAY_record_task_actor_creation_sites=1) becomes a TaskCallSite beside it, and its
`task_name` (`actor_task_name`), where it is not its function's own, a TaskName.
"""

from __future__ import annotations

import base64
import calendar
import re
from typing import Any

from flowinsight.model.events import (
    ActorUpdate,
    Event,
    Frame,
    JobUpdate,
    NodeUpdate,
    Span,
    TaskCallSite,
    TaskName,
    TaskType,
    TaskUpdate,
    given_otherwise,
)
from flowinsight.model.ids import (
    ACTOR_HEX,
    JOB_HEX,
    NODE_HEX,
    TASK_HEX,
    WORKER_HEX,
    actor_of_task,
    infer_task_type,
    job_of_task,
)
from flowinsight.read.descriptor import parse_descriptor_cached
from flowinsight.read.task_lines import TASK_SPANS
from flowinsight.read.fields import (MAX_EPOCH_NS, BadLine, as_dict, as_int, as_str, b64_id,
                                     require)
from flowinsight.read.ray_events import MAX_FRAME_TEXT, MAX_FRAMES

# ray.rpc.TaskStatus (src/ray/protobuf/common.proto), by name
TASK_STATUS = {
    "NIL": 0, "PENDING_ARGS_AVAIL": 1, "PENDING_NODE_ASSIGNMENT": 2,
    "PENDING_OBJ_STORE_MEM_AVAIL": 3, "PENDING_ARGS_FETCH": 4, "SUBMITTED_TO_WORKER": 5,
    "PENDING_ACTOR_TASK_ARGS_FETCH": 6, "PENDING_ACTOR_TASK_ORDERING_OR_CONCURRENCY": 7,
    "RUNNING": 8, "RUNNING_IN_RAY_GET": 9, "RUNNING_IN_RAY_WAIT": 10, "FINISHED": 11,
    "FAILED": 12, "GETTING_AND_PINNING_ARGS": 13,
}
# ray.rpc.TaskType and ray.rpc.Language, by number (a JSON printer may print numbers)
_TASK_TYPE_NUMBERS = ("NORMAL_TASK", "ACTOR_CREATION_TASK", "ACTOR_TASK", "DRIVER_TASK")
_LANGUAGES = ("PYTHON", "JAVA", "CPP")
_ACTOR_STATES = ("DEPENDENCIES_UNREADY", "PENDING_CREATION", "ALIVE", "RESTARTING", "DEAD")
_TASK_TYPES = {t.value: t for t in TaskType}
_NIL_TASK_B64 = base64.b64encode(b"\xff" * (TASK_HEX // 2)).decode()  # Ray's nil TaskID
# the task events' kinds, each with its payload's field (camelCase, snake_case)
_TASK_PAYLOADS = {
    "TASK_DEFINITION_EVENT": ("taskDefinitionEvent", "task_definition_event"),
    "ACTOR_TASK_DEFINITION_EVENT": ("actorTaskDefinitionEvent", "actor_task_definition_event"),
    "TASK_LIFECYCLE_EVENT": ("taskLifecycleEvent", "task_lifecycle_event"),
    "TASK_EXECUTION_EVENT": ("taskExecutionEvent", "task_execution_event"),
    "TASK_PROFILE_EVENT": ("taskProfileEvents", "task_profile_events"),
}
_RFC3339 = re.compile(
    r"^(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?([Zz]|[+-]\d\d:\d\d)$")
# a frame of traceback.format_stack(): '  File "x.py", line 12, in name' then the source line
_FRAME = re.compile(r'^\s*File "(.*)", line (\d+), in (.+?)\s*$')
# Frames of Ray, of flowinsight and of Python's standard library, recognised from the path
# alone (Ray's call site is the whole stack, read on another machine): a package under
# site-packages/dist-packages named ray or flowinsight, Ray's source tree (python/ray/),
# flowinsight's recorder wherever it is installed, or a file of lib/pythonX.Y/ itself.
_NOT_USER = re.compile(
    r"[/\\](?:site|dist)-packages[/\\](?:ray|flowinsight)[/\\]"
    r"|[/\\]python[/\\]ray[/\\]|[/\\]flowinsight[/\\]recorder[/\\]"
    r"|[/\\]lib[/\\]python3(?:\.\d+)?[/\\](?!(?:site|dist)-packages[/\\])"
    r"|^<frozen ")


def parse_ray_event_v2(obj: dict[str, Any]) -> Event | tuple[Event, ...] | str:
    """One RayEvent to an event (more for a task definition with a name of its own or a call
    site: the second's event id is the line's plus PAIR_SUFFIX, and so on), or the name of an
    ignored kind of line."""
    kind = as_str(_get(obj, "eventType", "event_type"))
    payload = _TASK_PAYLOADS.get(kind)
    if payload is not None and _get(as_dict(_get(obj, *payload)), "taskId",
                                    "task_id") == _NIL_TASK_B64:
        # Ray's nil task id: an id, not a missing field, as in the Export API's lines
        # (read/export_events.py). An async actor's worker writes the `task:store_outputs`
        # spans of its event loop's calls under it: no task to put them on.
        return "task:nil_task_id"
    if kind in ("TASK_DEFINITION_EVENT", "ACTOR_TASK_DEFINITION_EVENT"):
        actor = kind == "ACTOR_TASK_DEFINITION_EVENT"
        data = as_dict(_get(obj, "actorTaskDefinitionEvent", "actor_task_definition_event")
                       if actor else _get(obj, "taskDefinitionEvent", "task_definition_event"))
        update = _definition(data, actor)
        events: list[Event] = [update]
        name = as_str(_get(data, "actorTaskName", "actor_task_name") if actor
                      else _get(data, "taskName", "task_name"))
        if update.function is not None and given_otherwise(name, update.function.name):
            events.append(TaskName(update.task_id, update.job_id, name))
        frames = ray_frames(_get(data, "callSite", "call_site"))
        if frames:
            events.append(TaskCallSite(update.task_id, update.job_id, "", frames, "ray"))
        return update if len(events) == 1 else tuple(events)
    if kind == "TASK_LIFECYCLE_EVENT":
        return _lifecycle(as_dict(_get(obj, "taskLifecycleEvent", "task_lifecycle_event")))
    if kind == "TASK_EXECUTION_EVENT":  # Ray 2.49-2.5x: taskState {"<TaskStatus>": time}
        return _execution(as_dict(_get(obj, "taskExecutionEvent", "task_execution_event")))
    if kind == "TASK_PROFILE_EVENT":
        return _profile(as_dict(_get(obj, "taskProfileEvents", "task_profile_events")))
    time_s = _seconds(_get(obj, "timestamp"))
    if kind == "ACTOR_DEFINITION_EVENT":
        data = as_dict(_get(obj, "actorDefinitionEvent", "actor_definition_event"))
        defined = _actor_definition(data, time_s)
        frames = ray_frames(_get(data, "callSite", "call_site"))
        if not frames:
            return defined
        # the actor's creation task: ActorID plus a nil unique part (TaskID::ForActorCreationTask)
        return defined, TaskCallSite("f" * (TASK_HEX - ACTOR_HEX) + defined.actor_id,
                                     defined.job_id, "", frames, "ray")
    if kind == "ACTOR_LIFECYCLE_EVENT":
        return _actor_lifecycle(as_dict(_get(obj, "actorLifecycleEvent",
                                             "actor_lifecycle_event")), time_s)
    if kind == "DRIVER_JOB_DEFINITION_EVENT":
        data = as_dict(_get(obj, "driverJobDefinitionEvent", "driver_job_definition_event"))
        metadata = as_dict(as_dict(data.get("config")).get("metadata"))
        return JobUpdate(_id(data, "jobId", "job_id", JOB_HEX, True), as_str(data.get(
            "entrypoint")), as_int(_get(data, "driverPid", "driver_pid")), None, None, False,
            as_str(_get(metadata, "jobSubmissionId", "job_submission_id")))
    if kind == "DRIVER_JOB_LIFECYCLE_EVENT":
        return _job_lifecycle(as_dict(_get(obj, "driverJobLifecycleEvent",
                                           "driver_job_lifecycle_event")))
    if kind == "NODE_DEFINITION_EVENT":
        data = as_dict(_get(obj, "nodeDefinitionEvent", "node_definition_event"))
        start = _ns(_get(data, "startTimestamp", "start_timestamp"))
        return NodeUpdate(_id(data, "nodeId", "node_id", NODE_HEX, True),
                          as_str(_get(data, "nodeIpAddress", "node_ip_address")), False, "",
                          start // 1_000_000 if start else None, None, "")
    if kind == "NODE_LIFECYCLE_EVENT":
        return _node_lifecycle(as_dict(_get(obj, "nodeLifecycleEvent", "node_lifecycle_event")))
    return f"event_type:{kind or '(none)'}"


def _get(d: dict[str, Any], camel: str, snake: str = "") -> Any:
    value = d.get(camel)
    return d.get(snake) if value is None and snake else value


def _id(d: dict[str, Any], camel: str, snake: str, length: int, required: bool = False) -> str:
    value = b64_id(_get(d, camel, snake), length, snake, required=required)
    return require(value, snake) if required else value


def _enum(value: Any, names: tuple[str, ...] | dict[str, int]) -> str:
    """An enum by name, or by number."""
    if isinstance(value, int) and not isinstance(value, bool):
        if isinstance(names, dict):
            found = [n for n, v in names.items() if v == value]
            return found[0] if found else ""
        return names[value] if 0 <= value < len(names) else ""
    return as_str(value)


def rfc3339_ns(text: str) -> int:
    """An RFC 3339 time (proto3 JSON's Timestamp) in ns since the epoch, exactly."""
    m = _RFC3339.match(text)
    if m is None:
        raise BadLine("bad_value", f"timestamp {text[:40]!r}")
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    try:
        seconds = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))
    except (ValueError, OverflowError) as exc:
        raise BadLine("bad_value", f"timestamp {text[:40]!r}") from exc
    zone = m.group(8)
    if zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        seconds -= sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    ns = seconds * 1_000_000_000 + int((m.group(7) or "0").ljust(9, "0"))
    if ns < 0:
        raise BadLine("bad_value", f"timestamp {text[:40]!r} before 1970")
    if ns > MAX_EPOCH_NS:
        raise BadLine("bad_value", f"timestamp {text[:40]!r} after 2262")
    return ns


def _ns(value: Any) -> int | None:
    """A Timestamp: RFC 3339 text (or, from other printers, {seconds, nanos}); None if absent."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return rfc3339_ns(value)
    if isinstance(value, dict):
        seconds, nanos = as_int(value.get("seconds")) or 0, as_int(value.get("nanos")) or 0
        ns = seconds * 1_000_000_000 + nanos
        if seconds < 0 or not 0 <= nanos < 1_000_000_000 or ns > MAX_EPOCH_NS:
            raise BadLine("bad_value", "timestamp out of range")
        return ns
    raise BadLine("bad_value", f"timestamp {str(value)[:40]!r}")


def _seconds(value: Any) -> float | None:
    ns = _ns(value)
    return ns / 1e9 if ns is not None else None


def _function(desc: Any, task_type: TaskType) -> Any:
    """ray.rpc.FunctionDescriptor (a oneof of per-language messages) as the descriptor text
    the recorder writes, parsed the same way."""
    d = as_dict(desc)
    for key, snake, kind in (("pythonFunctionDescriptor", "python_function_descriptor",
                              "PythonFunctionDescriptor"),
                             ("javaFunctionDescriptor", "java_function_descriptor",
                              "JavaFunctionDescriptor"),
                             ("cppFunctionDescriptor", "cpp_function_descriptor",
                              "CppFunctionDescriptor")):
        inner = _get(d, key, snake)
        if inner is not None:
            f = as_dict(inner)
            text = (f"{{type={kind}, module_name={as_str(_get(f, 'moduleName', 'module_name'))}"
                    f", class_name={as_str(_get(f, 'className', 'class_name'))}"
                    f", function_name={as_str(_get(f, 'functionName', 'function_name'))}}}")
            return parse_descriptor_cached(text, task_type)
    return None


def _definition(d: dict[str, Any], actor_task: bool) -> TaskUpdate:
    task_id = _id(d, "taskId", "task_id", TASK_HEX, True)
    if actor_task:
        task_type = TaskType.ACTOR
        func = _get(d, "actorFunc", "actor_func")
        actor = _id(d, "actorId", "actor_id", ACTOR_HEX)
    else:
        name = _enum(_get(d, "taskType", "task_type"), _TASK_TYPE_NUMBERS)
        found = _TASK_TYPES.get(name) if name else infer_task_type(task_id)
        if found is None:
            raise BadLine("bad_value", f"task type {name[:40]!r}")
        task_type = found
        func = _get(d, "taskFunc", "task_func")
        actor = actor_of_task(task_id) if task_type is TaskType.ACTOR_CREATION else ""
    return TaskUpdate(
        task_id=task_id,
        attempt=as_int(_get(d, "taskAttempt", "task_attempt")) or 0,
        job_id=_id(d, "jobId", "job_id", JOB_HEX) or job_of_task(task_id),
        task_type=task_type,
        function=_function(func, task_type),
        language=_enum(d.get("language"), _LANGUAGES).upper(),
        parent_task_id=_id(d, "parentTaskId", "parent_task_id", TASK_HEX),
        actor_id=actor,
        states=(), node_id="", worker_id="", worker_pid=None, error_type="",
        error_message="", component_type="", spans=(),
    )


def _states(pairs: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """(status, ns), the earliest ns of each status, sorted: as the Export API's map gives."""
    earliest: dict[int, int] = {}
    for status, ns in pairs:
        if not 0 < status < 64:
            raise BadLine("bad_value", f"task status {status}")
        if status not in earliest or ns < earliest[status]:
            earliest[status] = ns
    return tuple(sorted(earliest.items()))


def _transitions(d: dict[str, Any]) -> list[Any]:
    """A lifecycle event's state transitions (task, actor, node, ...), in order."""
    transitions = _get(d, "stateTransitions", "state_transitions") or []
    if not isinstance(transitions, list):
        raise BadLine("bad_value", "stateTransitions is not a list")
    return transitions


def _lifecycle(d: dict[str, Any]) -> TaskUpdate:
    """TASK_LIFECYCLE_EVENT (2.60): state transitions, each {state, timestamp}."""
    pairs = []
    transitions = _transitions(d)
    for item in transitions:
        t = as_dict(item)
        name = _enum(t.get("state"), TASK_STATUS)
        ns = _ns(t.get("timestamp"))
        if name not in TASK_STATUS:
            raise BadLine("bad_value", f"task state {name[:40]!r}")
        if ns is not None and TASK_STATUS[name]:
            pairs.append((TASK_STATUS[name], ns))
    return _state_update(d, pairs)


def _execution(d: dict[str, Any]) -> TaskUpdate:
    """TASK_EXECUTION_EVENT (2.49-2.5x): taskState, a map of status to timestamp."""
    pairs = []
    for key, value in as_dict(_get(d, "taskState", "task_state")).items():
        status = as_int(key) if str(key).isdigit() else TASK_STATUS.get(str(key))
        ns = _ns(value)
        if status is None:
            raise BadLine("bad_value", f"task state {str(key)[:40]!r}")
        if ns is not None and status:
            pairs.append((status, ns))
    return _state_update(d, pairs)


def _state_update(d: dict[str, Any], pairs: list[tuple[int, int]]) -> TaskUpdate:
    """What a task's lifecycle or execution event says of one attempt: its states with their
    times, where it ran, and its error."""
    task_id = _id(d, "taskId", "task_id", TASK_HEX, True)
    error = as_dict(_get(d, "rayErrorInfo", "ray_error_info"))
    return TaskUpdate(
        task_id=task_id,
        attempt=as_int(_get(d, "taskAttempt", "task_attempt")) or 0,
        job_id=_id(d, "jobId", "job_id", JOB_HEX) or job_of_task(task_id),
        task_type=None, function=None, language="", parent_task_id="", actor_id="",
        states=_states(pairs),
        node_id=_id(d, "nodeId", "node_id", NODE_HEX),
        worker_id=_id(d, "workerId", "worker_id", WORKER_HEX),
        worker_pid=as_int(_get(d, "workerPid", "worker_pid")) or None,
        error_type=_enum(_get(error, "errorType", "error_type"), ()),
        error_message=as_str(_get(error, "errorMessage", "error_message")),
        component_type="", spans=(),
    )


def _profile(d: dict[str, Any]) -> TaskUpdate:
    task_id = _id(d, "taskId", "task_id", TASK_HEX, True)
    profile = as_dict(_get(d, "profileEvents", "profile_events"))
    events = profile.get("events") or []
    if not isinstance(events, list):
        raise BadLine("bad_value", "profile events is not a list")
    spans = []
    for item in events:
        ev = as_dict(item)
        name = as_str(_get(ev, "eventName", "event_name"))
        if name in TASK_SPANS or name.startswith("task::"):
            start = as_int(_get(ev, "startTime", "start_time"))
            end = as_int(_get(ev, "endTime", "end_time"))
            if start is None or end is None or start < 0 or end < 0:
                raise BadLine("bad_value", f"span {name[:40]!r} times")
            spans.append(Span(name, start, max(start, end)))
    function = None
    for span in spans:
        if span.name.startswith("task::"):
            function = parse_descriptor_cached(span.name[6:], infer_task_type(task_id))
    return TaskUpdate(
        task_id=task_id,
        attempt=as_int(_get(d, "attemptNumber", "attempt_number")) or 0,
        job_id=_id(d, "jobId", "job_id", JOB_HEX) or job_of_task(task_id),
        task_type=None, function=function, language="", parent_task_id="", actor_id="",
        states=(), node_id="", worker_id="", worker_pid=None, error_type="",
        error_message="", component_type=as_str(_get(profile, "componentType",
                                                     "component_type")),
        spans=tuple(spans),
    )


def _actor_definition(d: dict[str, Any], time_s: float | None) -> ActorUpdate:
    actor_id = _id(d, "actorId", "actor_id", ACTOR_HEX, True)
    return ActorUpdate(
        actor_id=actor_id,
        job_id=_id(d, "jobId", "job_id", JOB_HEX) or actor_id[-JOB_HEX:],
        class_name=as_str(_get(d, "className", "class_name")),
        name=as_str(d.get("name")),
        state="", node_id="", pid=None,
        is_detached=_get(d, "isDetached", "is_detached") is True,
        death_cause="", death_reason="", time_s=time_s, repr_name="",
    )


def _actor_lifecycle(d: dict[str, Any], time_s: float | None) -> ActorUpdate | str:
    """The last state transition of the event (the snapshot it leaves the actor in)."""
    actor_id = _id(d, "actorId", "actor_id", ACTOR_HEX, True)
    transitions = _transitions(d)
    if not transitions:
        return "actor_lifecycle:empty"
    last = as_dict(transitions[-1])
    ns = _ns(last.get("timestamp"))
    death = as_dict(_get(last, "deathCause", "death_cause"))
    return ActorUpdate(
        actor_id=actor_id,
        job_id=actor_id[-JOB_HEX:],
        class_name="", name="",
        state=_enum(last.get("state"), _ACTOR_STATES),
        node_id=_id(last, "nodeId", "node_id", NODE_HEX),
        pid=as_int(last.get("pid")) or None,
        is_detached=False,
        death_cause=_death_text(death),
        death_reason=_death_reason(death),
        time_s=ns / 1e9 if ns is not None else time_s,
        repr_name=as_str(_get(last, "reprName", "repr_name")),
    )


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _death_text(death: dict[str, Any]) -> str:
    for context_name, context in sorted(death.items()):
        if isinstance(context, dict):
            for key in ("errorMessage", "error_message", "reasonMessage", "reason_message",
                        "formattedExceptionString", "formatted_exception_string", "reason"):
                text = context.get(key)
                if isinstance(text, str) and text:
                    return text
        return _snake(str(context_name))
    return ""


def _death_reason(death: dict[str, Any]) -> str:
    """`<context>:<reason>` in the Export API's snake_case spelling."""
    for context_name, context in sorted(death.items()):
        reason = context.get("reason") if isinstance(context, dict) else None
        name = _snake(str(context_name))
        return f"{name}:{reason}" if isinstance(reason, str) and reason else name
    return ""


def _job_lifecycle(d: dict[str, Any]) -> JobUpdate:
    job_id = _id(d, "jobId", "job_id", JOB_HEX, True)
    start = end = None
    dead = False
    transitions = _transitions(d)
    for item in transitions:
        t = as_dict(item)
        state = _enum(t.get("state"), ("UNSPECIFIED", "CREATED", "FINISHED"))
        ns = _ns(t.get("timestamp"))
        if state == "CREATED" and ns is not None:
            start = ns // 1_000_000
        elif state == "FINISHED":
            dead = True
            end = ns // 1_000_000 if ns is not None else None
    return JobUpdate(job_id, "", None, start, end, dead, "")


def _node_lifecycle(d: dict[str, Any]) -> NodeUpdate | str:
    node_id = _id(d, "nodeId", "node_id", NODE_HEX, True)
    transitions = _transitions(d)
    if not transitions:
        return "node_lifecycle:empty"
    last = as_dict(transitions[-1])
    state = _enum(last.get("state"), ("ALIVE", "DEAD"))
    ns = _ns(last.get("timestamp"))
    ms = ns // 1_000_000 if ns is not None else None
    death = as_dict(_get(last, "deathInfo", "death_info"))
    return NodeUpdate(node_id, "", False, state, ms if state == "ALIVE" else None,
                      ms if state == "DEAD" else None, as_str(death.get("reason")))


def ray_frames(value: Any) -> tuple[Frame, ...]:
    """Ray's call site (''.join(traceback.format_stack()) in the submitting process) as the
    user's frames, outermost first: Ray's, flowinsight's and the standard library's frames
    left out. Function names are bare (`submit`): a traceback does not qualify them."""
    text = as_str(value)
    if not text:
        return ()
    frames = []
    for line in text.splitlines():
        m = _FRAME.match(line)
        if m is None:
            continue  # the source line under each frame
        path = m.group(1)
        if _NOT_USER.search(path):
            continue
        frames.append(Frame(path[:MAX_FRAME_TEXT], int(m.group(2)[:18]),
                            m.group(3)[:MAX_FRAME_TEXT]))
    return tuple(frames[-MAX_FRAMES:])
