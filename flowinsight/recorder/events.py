"""The events the recorder writes, as typed values (the schema's sections 2.1 and 2.2, and
`call_site`: docs/call-sites.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

TaskType = Literal["NORMAL_TASK", "ACTOR_TASK", "ACTOR_CREATION_TASK"]
PutKind = Literal["arg", "return", "put"]
GetKind = Literal["arg", "get"]
FieldValue = str | int | float | None | list[list[str | int]]


@dataclass(frozen=True, slots=True)
class Site:
    """Where an event happens: the task, its actor ("" for none) and its job, all hex."""

    task_id: str
    actor_id: str
    job_id: str


@dataclass(frozen=True, slots=True)
class TaskSubmitted:
    label: ClassVar[str] = "task_submitted"

    task_id: str
    task_type: TaskType
    caller: Site
    target_actor_id: str
    descriptor: str
    language: str
    timestamp_ms: int
    call_site_id: str = ""  # a CallSiteDefined's id: where the .remote() call was made
    name: str = ""  # the name given with .options(name=...), if any


    def custom_fields(self) -> dict[str, FieldValue]:
        fields: dict[str, FieldValue] = {
            "task_id": self.task_id,
            "task_type": self.task_type,
            "src_task_id": self.caller.task_id,
            "target_task_id": self.task_id,
            "src_actor_id": self.caller.actor_id,
            "target_actor_id": self.target_actor_id,
            "job_id": self.caller.job_id,
            "timestamp_ms": self.timestamp_ms,
            "descriptor": self.descriptor,
            "language": self.language,
        }
        if self.call_site_id:
            fields["call_site_id"] = self.call_site_id
        if self.name:
            fields["name"] = self.name
        return fields


@dataclass(frozen=True, slots=True)
class ObjectPut:
    """An object came into being in `sender`'s context. size_bytes None means unknown."""

    label: ClassVar[str] = "object_put"

    object_id: str
    sender: Site
    size_bytes: int | None
    kind: PutKind
    timestamp_ms: int
    arg_index: int | None = None
    target_task_id: str = ""

    def custom_fields(self) -> dict[str, FieldValue]:
        fields: dict[str, FieldValue] = {
            "object_id": self.object_id,
            "task_id": self.sender.task_id,
            "actor_id": self.sender.actor_id,
            "job_id": self.sender.job_id,
            "size_bytes": self.size_bytes,
            "kind": self.kind,
            "timestamp_ms": self.timestamp_ms,
        }
        if self.kind == "arg":
            fields["arg_index"] = self.arg_index
            fields["target_task_id"] = self.target_task_id
        return fields


@dataclass(frozen=True, slots=True)
class ObjectGet:
    """`receiver` read an object. size_bytes and arg_index go beyond the schema: the size the
    reader saw (so a lost put still leaves a size) and, for arguments, the position."""

    label: ClassVar[str] = "object_get"

    object_id: str
    receiver: Site
    kind: GetKind
    size_bytes: int | None
    timestamp_ms: int
    arg_index: int | None = None

    def custom_fields(self) -> dict[str, FieldValue]:
        fields: dict[str, FieldValue] = {
            "object_id": self.object_id,
            "task_id": self.receiver.task_id,
            "actor_id": self.receiver.actor_id,
            "job_id": self.receiver.job_id,
            "kind": self.kind,
            "size_bytes": self.size_bytes,
            "timestamp_ms": self.timestamp_ms,
        }
        if self.kind == "arg":
            fields["arg_index"] = self.arg_index
        return fields


@dataclass(frozen=True, slots=True)
class Frame:
    """One user frame: its file, line, and qualified function (`TaskFactory.create_task`)."""

    file: str
    line: int
    function: str


@dataclass(frozen=True, slots=True)
class CallSite:
    """A stack of user frames, outermost first, and its id (call_sites.site_id)."""

    site_id: str
    frames: tuple[Frame, ...]


@dataclass(frozen=True, slots=True)
class CallSiteDefined:
    """`call_site`: the frames of a site, written once per process and event file before the
    first `task_submitted` that names it."""

    label: ClassVar[str] = "call_site"

    site: CallSite
    timestamp_ms: int

    def custom_fields(self) -> dict[str, FieldValue]:
        return {
            "call_site_id": self.site.site_id,
            "frames": [[f.file, f.line, f.function] for f in self.site.frames],
            "timestamp_ms": self.timestamp_ms,
        }


@dataclass(frozen=True, slots=True)
class CompiledCall:
    """`compiled_call`: one run of a user's method in a compiled graph (recorder/compiled.py),
    under its own id `run_task_id`, inside its actor's `__ray_call__` loop task `loop`. Times
    are ms to the microsecond; error_type is the class of what the method raised, "" if none,
    or with `skipped` of what the upstream method raised (this one did not run)."""

    label: ClassVar[str] = "compiled_call"

    run_task_id: str
    loop: Site
    class_name: str
    method: str
    bind_index: int
    run: int
    start_ms: float
    end_ms: float
    error_type: str
    error_message: str
    node_id: str
    worker_id: str
    pid: int
    # the method did not run: its input was an upstream method's error (error_type, message)
    skipped: bool = False

    @property
    def timestamp_ms(self) -> int:
        return int(self.end_ms)

    def custom_fields(self) -> dict[str, FieldValue]:
        fields: dict[str, FieldValue] = {
            "task_id": self.run_task_id,
            "loop_task_id": self.loop.task_id,
            "actor_id": self.loop.actor_id,
            "job_id": self.loop.job_id,
            "class_name": self.class_name,
            "method": self.method,
            "bind_index": self.bind_index,
            "run": self.run,
            "start_ms": self.start_ms,
            "end_ms": self.end_ms,
            "node_id": self.node_id,
            "worker_id": self.worker_id,
            "pid": self.pid,
        }
        if self.error_type:
            fields["error_type"] = self.error_type
            fields["error_message"] = self.error_message
        if self.skipped:
            fields["skipped"] = True
        return fields


Event = TaskSubmitted | ObjectPut | ObjectGet | CallSiteDefined | CompiledCall
