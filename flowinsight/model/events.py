"""Events: what the readers produce, normalised away from Ray's two file formats.

Every id is lowercase hex ("" when absent or nil). Times keep the unit in their name.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Iterator, Protocol

from flowinsight.model.fast_init import fast_init


class TaskType(StrEnum):
    NORMAL = "NORMAL_TASK"
    ACTOR = "ACTOR_TASK"
    ACTOR_CREATION = "ACTOR_CREATION_TASK"
    DRIVER = "DRIVER_TASK"


@fast_init
@dataclass(frozen=True, slots=True)
class FunctionRef:
    """A parsed function descriptor. `module` is "" when the source did not say."""

    module: str
    class_name: str
    name: str


@fast_init
@dataclass(frozen=True, slots=True)
class Span:
    """A profile span of a task execution (`task:execute`, `task::<name>`, ...)."""

    name: str
    start_ns: int
    end_ns: int


@fast_init
@dataclass(frozen=True, slots=True)
class TaskSubmitted:
    """RAY_EVENT `task_submitted` (Flow Insight design, schema 2.1)."""

    task_id: str
    task_type: TaskType
    parent_task_id: str
    caller_actor_id: str
    actor_id: str
    job_id: str
    time_ms: float | None
    function: FunctionRef
    language: str


@fast_init
@dataclass(frozen=True, slots=True)
class TaskUpdate:
    """One EXPORT_TASK line: a partial update of one task attempt (schema 4.1).

    Fields of a part the line did not carry are None / "" / empty.
    """

    task_id: str
    attempt: int
    job_id: str
    task_type: TaskType | None
    function: FunctionRef | None
    language: str
    parent_task_id: str
    actor_id: str
    states: tuple[tuple[int, int], ...]  # (TaskStatus number, ns)
    node_id: str
    worker_id: str
    worker_pid: int | None
    error_type: str
    error_message: str
    component_type: str  # of the profile events: "worker", "driver" or ""
    spans: tuple[Span, ...]


@fast_init
@dataclass(frozen=True, slots=True)
class ObjectPut:
    """RAY_EVENT `object_put` (schema 2.2): an object came into being."""

    event_id: str
    object_id: str
    task_id: str
    actor_id: str
    job_id: str
    size_bytes: int | None
    kind: str
    arg_index: int | None
    target_task_id: str
    time_ms: float | None


@fast_init
@dataclass(frozen=True, slots=True)
class ObjectGet:
    """RAY_EVENT `object_get` (schema 2.2): a task read an object."""

    event_id: str
    object_id: str
    task_id: str
    actor_id: str
    job_id: str
    kind: str
    time_ms: float | None
    size_bytes: int | None  # when the reader knew it (flowinsight.recorder writes it)
    arg_index: int | None  # for kind = arg: the argument position


# Ray's ErrorType (common.proto) of a task whose own code raised
TASK_EXECUTION_EXCEPTION = "TASK_EXECUTION_EXCEPTION"
# ray/exceptions.py RayTaskError: a dependency's failure, said in place of Ray's frame (a task
# that failed because its input had: pipeline/cancelled_inputs.py, failures.headline)
INPUT_NOTE = "At least one of the input arguments for this task could not be computed"
# FailureNote.label of an errored Ray Train run attempt (read/export_events.py)
TRAIN_ERRORED = "TRAIN_RUN_ATTEMPT_ERRORED"
# FailureNote.source_type of a submitted job's end (read/export_events.py); its label is the
# job's error type (JOB_ENTRYPOINT_COMMAND_ERROR, ...), JOB_FAILED without one, or JOB_STOPPED
SUBMISSION_JOB = "EXPORT_SUBMISSION_JOB"
JOB_STOPPED = "JOB_STOPPED"


@fast_init
@dataclass(frozen=True, slots=True)
class FailureNote:
    """A stock RAY_EVENT failure label (worker, driver, node death, OOM, fatal check), or a
    library's record of a failure that no task of Ray's carries (Ray Train's errored run
    attempt: EXPORT_TRAIN_RUN_ATTEMPT)."""

    event_id: str
    label: str
    message: str
    severity: str
    source_type: str
    job_id: str
    node_id: str
    worker_id: str
    pid: int | None
    time_s: float | None
    actor_id: str  # the actor it names (the Train worker that raised), or ""
    # the submitted job it is the end of (EXPORT_SUBMISSION_JOB), "" for any other note: its
    # Ray job is the driver whose JobUpdate.submission_id is this
    submission_id: str


@fast_init
@dataclass(frozen=True, slots=True)
class ActorUpdate:
    """One EXPORT_ACTOR snapshot (schema 4.2)."""

    actor_id: str
    job_id: str
    class_name: str
    name: str
    state: str
    node_id: str
    pid: int | None
    is_detached: bool
    death_cause: str  # the message of Ray's ActorDeathCause, or ""
    death_reason: str  # its context and reason, e.g. "actor_died_error_context:RAY_KILL"
    time_s: float | None
    repr_name: str  # the name Ray shows for it (its __repr__, e.g. Tune's trainable), or ""


@fast_init
@dataclass(frozen=True, slots=True)
class JobUpdate:
    """One EXPORT_DRIVER_JOB snapshot."""

    job_id: str
    entrypoint: str
    driver_pid: int | None
    start_ms: int | None
    end_ms: int | None
    is_dead: bool
    # the Job Submission API's id of the job whose entrypoint this driver is ("" for a driver
    # not submitted): EXPORT_DRIVER_JOB config.metadata.job_submission_id
    submission_id: str


@fast_init
@dataclass(frozen=True, slots=True)
class NodeUpdate:
    """One EXPORT_NODE snapshot."""

    node_id: str
    address: str
    is_head: bool
    state: str
    start_ms: int | None
    end_ms: int | None
    death_reason: str


@fast_init
@dataclass(frozen=True, slots=True)
class Frame:
    """One frame of the user's code: file, line, function (qualified where the source gave
    it: `TaskFactory.create_task`; Ray's own call sites give the bare name)."""

    file: str
    line: int
    function: str


@fast_init
@dataclass(frozen=True, slots=True)
class DatasetOperator:
    """One operator of a Ray Data plan (export_dataset_metadata.proto: Operator)."""

    id: str  # unique in its dataset, e.g. "ReadRange->MapBatches(add_one)_1"
    name: str  # Ray's name, the name its tasks run under (task::<name>)
    uuid: str
    inputs: tuple[str, ...]  # the ids of the operators it reads from
    state: str  # OperatorState: PENDING, RUNNING, FINISHED, FAILED, UNKNOWN
    start_s: float | None  # execution start, seconds since the epoch
    end_s: float | None
    sub_stages: tuple[str, ...]  # the names of the stages fused into it


@fast_init
@dataclass(frozen=True, slots=True)
class CallSiteDef:
    """flowinsight.recorder's `call_site`: the user frames of one stack, outermost first, by
    an id that TaskCallSite names (written once per process, not once per submission)."""

    site_id: str
    frames: tuple[Frame, ...]


@fast_init
@dataclass(frozen=True, slots=True)
class TaskCallSite:
    """Where a task was submitted (for an actor's creation task: where the actor was created).
    Either `site_id` names a CallSiteDef (the recorder), or `frames` are given (Ray's
    `callSite`, parsed: then site_id is "")."""

    task_id: str
    job_id: str
    site_id: str
    frames: tuple[Frame, ...]
    source: str  # "recorder" or "ray"


@fast_init
@dataclass(frozen=True, slots=True)
class DatasetUpdate:
    """One EXPORT_DATASET_METADATA snapshot: a Ray Data dataset's plan and state, written by
    the driver (ray.data._internal.metadata_exporter) as it registers and runs it."""

    dataset_id: str
    job_id: str
    state: str  # DatasetState: PENDING, RUNNING, FINISHED, FAILED, UNKNOWN
    start_s: float | None  # registered
    exec_start_s: float | None
    exec_end_s: float | None
    operators: tuple[DatasetOperator, ...]
    time_s: float | None


@fast_init
@dataclass(frozen=True, slots=True)
class OperatorSchema:
    """EXPORT_DATASET_OPERATOR_SCHEMA: the columns an operator outputs."""

    operator_uuid: str
    fields: tuple[tuple[str, str], ...]  # (column, type), in Ray's order


@fast_init
@dataclass(frozen=True, slots=True)
class OperatorEvent:
    """EXPORT_DATASET_OPERATOR_EVENT: an issue Ray Data detected on an operator (hanging,
    high memory)."""

    dataset_id: str
    operator_id: str
    operator_name: str
    time_s: float | None
    event_type: str
    message: str


@fast_init
@dataclass(frozen=True, slots=True)
class TaskOperator:
    """The Ray Data operator a task ran for: the `__data_operator_id` label Ray Data puts on
    every task and actor of an operator (EXPORT_TASK task_info.labels), the uuid of the
    operator in its dataset's plan (DatasetOperator.uuid)."""

    task_id: str
    operator_uuid: str


@fast_init
@dataclass(frozen=True, slots=True)
class TaskName:
    """The name a task was given (`.options(name=...)`, or a library's), where its definition
    says it: Ray's event export (`task_name`, `actor_task_name`) or the recorder's
    `task_submitted` (`name`). Only a name other than its function's (given_otherwise): that is
    the name Ray runs the task under, also for a task that never ran and so wrote no
    `task::<name>` span."""

    task_id: str
    job_id: str
    name: str


def given_otherwise(name: str, function_name: str) -> bool:
    """Whether Ray's name of a task (given, or its `task::<name>` span) is another name than
    its function's. A name that only adds the module or class is the same name: `mod.f` for
    `f`, and Ray's own name of an actor task, `Class.method` (`actor name:Class.method` for a
    named actor; Tune's `trainable.train` for `ImplicitFunc.train`)."""
    return bool(name) and name != function_name and not name.endswith("." + function_name)


DatasetEvent = DatasetUpdate | OperatorSchema | OperatorEvent | TaskOperator


Event = (
    TaskSubmitted
    | TaskUpdate
    | ObjectPut
    | ObjectGet
    | FailureNote
    | ActorUpdate
    | JobUpdate
    | NodeUpdate
    | CallSiteDef
    | TaskCallSite
    | TaskName
    | DatasetUpdate
    | OperatorSchema
    | TaskOperator
    | OperatorEvent
)


class TaskUpdateBatch(Protocol):
    """A run of consecutive TaskUpdates in a packed form, without an object per update: what
    the C decoder gives the parallel reader (flowinsight.read._taskline.TaskBatch, its layout
    in flowinsight/native/task_batch.h), folded into the task records as it is
    (flowinsight.pipeline._records.fold_batch). batch[i] builds the i-th TaskUpdate."""

    @property
    def first_ns(self) -> int | None:
        """The earliest state time of any of its updates (partial.first_time_ns)."""
        ...

    def __len__(self) -> int: ...

    def __getitem__(self, index: int, /) -> TaskUpdate: ...

    def __iter__(self) -> Iterator[TaskUpdate]: ...


# A TaskUpdate as a plain tuple of its fields, in their order, its spans as two tuples (their
# names; their start and end ns, flat): what the Python reader makes of an EXPORT_TASK line,
# far cheaper to build than the object (a tuple against 16 slots set), and what the Python
# merge of task records reads (pipeline/tasks.py: a TaskUpdate is merged as its row).
TaskRow = tuple[str, int, str, "TaskType | None", "FunctionRef | None", str, str, str,
                tuple[tuple[int, int], ...], str, str, "int | None", str, str, str,
                tuple[tuple[str, ...], tuple[int, ...]]]


def update_row(update: TaskUpdate) -> TaskRow:
    """A TaskUpdate's row."""
    u = update
    return (u.task_id, u.attempt, u.job_id, u.task_type, u.function, u.language,
            u.parent_task_id, u.actor_id, u.states, u.node_id, u.worker_id, u.worker_pid,
            u.error_type, u.error_message, u.component_type,
            (tuple([s.name for s in u.spans]),
             tuple([ns for s in u.spans for ns in (s.start_ns, s.end_ns)])))


def row_update(row: TaskRow) -> TaskUpdate:
    """The TaskUpdate of a row."""
    names, times = row[15]
    return TaskUpdate(*row[:15], tuple([Span(name, times[2 * i], times[2 * i + 1])
                                        for i, name in enumerate(names)]))


class TaskRows:
    """A run of consecutive TaskUpdates as rows (a TaskUpdateBatch): the Python reader's
    batches, folded into the task records row by row (records_native.fold_batch)."""

    __slots__ = ("rows",)

    def __init__(self, rows: list[TaskRow]) -> None:
        self.rows = rows

    @property
    def first_ns(self) -> int | None:
        return min((ns for row in self.rows for _, ns in row[8]), default=None)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int, /) -> TaskUpdate:
        return row_update(self.rows[index])

    def __iter__(self) -> Iterator[TaskUpdate]:
        return map(row_update, self.rows)


# A file's events, in order, with runs of TaskUpdates packed: lists of events and batches.
EventParts = list[list[Event] | TaskUpdateBatch]
