"""The result of an analysis: one frozen value that every renderer reads and none changes."""

from __future__ import annotations

from array import array
from dataclasses import MISSING, dataclass, field, fields
from enum import StrEnum
from itertools import repeat
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Container, Iterator, Mapping, Sequence, overload

from flowinsight.model.capture import ReadAccount
from flowinsight.model.events import FailureNote, Frame
from flowinsight.model.ids import job_of_task

if TYPE_CHECKING:
    import networkx as nx

# 1.1: callSites, a failure's callSite, ends, categories, internals; 1.2: attempts (with
# --attempts), serve[].load_checks_to, tune[].train_calls (was iterations); 1.3:
# tune[].starts, tune[].restores, serve[].cancelled; 1.4: summary.coverage.unfinished, the
# attempts' at_capture_end and at_job_end; 1.5: a failure's key and cause,
# summary.failures.causes
SCHEMA_VERSION = "1.5"


# With --group-by class, a class's node stands for its instances: its actor id is this plus
# the class (no actor id of Ray's, hex, begins so)
CLASS_ID = "class:"


def is_class_id(actor_id: str) -> bool:
    """Whether an actor id is a class's (--group-by class), not one actor's."""
    return actor_id.startswith(CLASS_ID)


class NodeKind(StrEnum):
    DRIVER = "driver"  # `main`, one per job
    FUNCTION = "function"  # a plain remote function
    ACTOR = "actor"  # an actor instance (its creation is a call to it)
    METHOD = "method"  # a method of one actor instance


@dataclass(frozen=True, slots=True)
class Dist:
    """A distribution of durations in milliseconds: exact percentiles (linear interpolation)."""

    count: int
    p50: float
    p95: float
    max: float
    sum: float


@dataclass(frozen=True, slots=True)
class Stats:
    """What the task attempts behind a node or a call edge did."""

    tasks: int
    attempts: int
    failures: int  # failed attempts
    retries: int  # attempts with attempt_number > 0
    exec_ms: Dist | None
    queue_ms: Dist | None


NO_STATS = Stats(0, 0, 0, 0, None, None)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One attempt of one task, as the timeline and the failure list need it. Times in ns."""

    task_id: str
    attempt: int
    node: str  # graph node id
    parent_task_id: str
    status: str  # FINISHED, FAILED, or UNKNOWN when no final state was recorded
    error_type: str
    error_message: str
    ray_node_id: str
    worker_id: str
    worker_pid: int | None
    pending_ns: int | None  # first pending state (submission)
    start_ns: int | None  # execution start (task:execute span, else RUNNING)
    end_ns: int | None  # execution end (span end, else FINISHED/FAILED)
    # Fields an analysis step adds as a column of the table (AttemptTable.with_column), each
    # with its default for a row no step filled. The JSON's attempt rows (`--attempts`) carry
    # every field, so a new one is this line, its step, and the step's place in build.STEPS.
    node_ip: str = ""  # its Ray node's IP (pipeline/node_ips.py), "" when unknown
    # "running" or "queued" for an attempt without a final state whose job the capture ended
    # during (pipeline/capture_end.py): still going then, its outcome after the capture
    at_capture_end: str = ""
    # the same for an attempt its job's recorded end cut short (Ray ends it with its job)
    at_job_end: str = ""

    @property
    def exec_ms(self) -> float | None:
        if self.start_ns is None or self.end_ns is None or self.end_ns < self.start_ns:
            return None
        return (self.end_ns - self.start_ns) / 1e6

    @property
    def queue_ms(self) -> float | None:
        if self.pending_ns is None or self.start_ns is None or self.start_ns < self.pending_ns:
            return None  # unknown, or clocks of two nodes disagree
        return (self.start_ns - self.pending_ns) / 1e6


# the Attempt fields steps add as columns, and each one's default
EXTRA_FIELDS: Mapping[str, Any] = {f.name: f.default for f in fields(Attempt)
                                   if f.default is not MISSING}

STATUS_NAMES = ("FINISHED", "FAILED", "UNKNOWN")  # Attempt.status, by AttemptTable code
NO_NS = -1  # in an AttemptTable's time columns: not recorded (times are never negative)


class _Repeat(Sequence[Any]):
    """One value, `length` times: the column of a field no step added."""

    __slots__ = ("value", "length")

    def __init__(self, value: Any, length: int) -> None:
        self.value = value
        self.length = length

    def __len__(self) -> int:
        return self.length

    @overload
    def __getitem__(self, index: int) -> Any: ...

    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self.value] * len(range(self.length)[index])
        if not -self.length <= index < self.length:
            raise IndexError("attempt row out of range")
        return self.value

    # O(1), not Sequence's scan of every row: callers ask "any row running?" of columns that
    # no step added, on tables of millions of rows
    def __contains__(self, value: object) -> bool:
        return self.length > 0 and value == self.value

    def count(self, value: Any) -> int:
        return self.length if value == self.value else 0


class NodeIps(Sequence[str]):
    """The attempts' "node_ip" column as the pipeline makes it: a row's IP is its Ray node's
    (pipeline/node_ips.py), a function of the ray_node_ids column, looked up when read, so the
    column costs nothing per row. "" where the node's IP is unknown."""

    __slots__ = ("ray_node_ids", "addresses")

    def __init__(self, ray_node_ids: Sequence[str], addresses: Mapping[str, str]) -> None:
        self.ray_node_ids = ray_node_ids
        self.addresses = addresses  # Ray node id -> its IP

    def __len__(self) -> int:
        return len(self.ray_node_ids)

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return list(map(self.addresses.get, self.ray_node_ids[index], repeat("")))
        return self.addresses.get(self.ray_node_ids[index], "")

    def __iter__(self) -> Iterator[str]:
        return map(self.addresses.get, self.ray_node_ids, repeat(""))


class AttemptTable(Sequence[Attempt]):
    """The attempts of a session as columns, one row per attempt: a big session has millions,
    and an Attempt object with its three times costs ~250 bytes where a row costs ~90. Rows are
    read as Attempt values, made when asked for. Built once by the pipeline, never changed."""

    __slots__ = ("task_ids", "numbers", "nodes", "parents", "statuses", "errors",
                 "ray_node_ids", "worker_ids", "worker_pids", "pending_ns", "start_ns",
                 "end_ns", "extra")

    def __init__(self, task_ids: Sequence[str], numbers: Sequence[int], nodes: Sequence[str],
                 parents: Sequence[str], statuses: bytes, errors: dict[int, tuple[str, str]],
                 ray_node_ids: Sequence[str], worker_ids: Sequence[str],
                 worker_pids: Sequence[int | None], pending_ns: Sequence[int],
                 start_ns: Sequence[int], end_ns: Sequence[int],
                 extra: Mapping[str, Sequence[Any]] | None = None) -> None:
        self.task_ids = task_ids
        self.numbers = numbers
        self.nodes = nodes
        self.parents = parents
        self.statuses = statuses  # index into STATUS_NAMES
        self.errors = errors  # row -> (error type, error message), for the rows that have one
        self.ray_node_ids = ray_node_ids
        self.worker_ids = worker_ids
        self.worker_pids = worker_pids
        self.pending_ns = pending_ns  # NO_NS when not recorded, as start_ns and end_ns
        self.start_ns = start_ns
        self.end_ns = end_ns
        # the columns later analysis steps add (with_column): an Attempt field each, by name
        self.extra: Mapping[str, Sequence[Any]] = dict(extra or {})
        for name, values in self.extra.items():
            if name not in EXTRA_FIELDS:
                raise ValueError(f"{name!r} is not an Attempt field with a default")
            if len(values) != len(task_ids):
                raise ValueError(f"column {name!r}: one value per attempt row")

    def column(self, name: str) -> Sequence[Any]:
        """An added column (an Attempt field after the pipeline's own), or its field's default
        for every row where no step added it."""
        if name in self.extra:
            return self.extra[name]
        if name not in EXTRA_FIELDS:
            raise KeyError(name)
        return _Repeat(EXTRA_FIELDS[name], len(self))

    def open_ends(self, job_end_ms: Mapping[str, int]) -> Sequence[int]:
        """Each row's end, counting a run still going when the capture ended while its job ran
        (`at_capture_end` "running": a copy taken mid-run, a CI job's timeout) as ending at the
        capture's last recorded time, and one its job's recorded end cut short (`at_job_end`
        "running") at that end (`job_end_ms`, by job): what the timelines draw and the
        critical path counts, so that what was running then, a hung call, shows. The recorded
        ends (`end_ns` itself) where no row is such a run; any other run without a recorded
        end keeps none (NO_NS)."""
        caught, cut = self.column("at_capture_end"), self.column("at_job_end")
        if "running" not in caught and "running" not in cut:
            return self.end_ns
        last = max(x for times in (self.pending_ns, self.start_ns, self.end_ns)
                   for x in times if x != NO_NS)
        ends = list(self.end_ns)
        for i, (start, end) in enumerate(zip(self.start_ns, self.end_ns)):
            if end != NO_NS or start == NO_NS:
                continue
            if caught[i] == "running":
                ends[i] = max(start, last)
            elif cut[i] == "running":
                job_end = job_end_ms.get(job_of_task(self.task_ids[i]))
                ends[i] = start if job_end is None else max(start, job_end * 1_000_000)
        return ends

    def with_ends(self, end_ns: Sequence[int]) -> AttemptTable:
        """The same rows with these ends (open_ends')."""
        return AttemptTable(self.task_ids, self.numbers, self.nodes, self.parents,
                            self.statuses, self.errors, self.ray_node_ids, self.worker_ids,
                            self.worker_pids, self.pending_ns, self.start_ns, end_ns, self.extra)

    def take(self, rows: Sequence[int]) -> AttemptTable:
        """These rows (positions, in the order given) as a table of their own: a view that
        narrows the attempts (--focus, the internals hidden) keeps them as columns, not as an
        Attempt object per row."""
        def pick(column: Sequence[Any]) -> tuple[Any, ...]:
            if len(rows) < 2:
                return tuple(column[i] for i in rows)
            return itemgetter(*rows)(column)  # type: ignore[no-any-return]

        errors = self.errors
        return AttemptTable(
            pick(self.task_ids), pick(self.numbers), pick(self.nodes), pick(self.parents),
            bytes(pick(self.statuses)),
            {j: errors[i] for j, i in enumerate(rows) if i in errors} if errors else {},
            pick(self.ray_node_ids), pick(self.worker_ids), pick(self.worker_pids),
            array("q", pick(self.pending_ns)), array("q", pick(self.start_ns)),
            array("q", pick(self.end_ns)),
            {name: pick(values) for name, values in self.extra.items()})

    def with_column(self, name: str, values: Sequence[Any]) -> AttemptTable:
        """The same rows with one more column, or a column replaced: `name` is an Attempt
        field (after the pipeline's own, with a default), one value per row."""
        return AttemptTable(self.task_ids, self.numbers, self.nodes, self.parents,
                            self.statuses, self.errors, self.ray_node_ids, self.worker_ids,
                            self.worker_pids, self.pending_ns, self.start_ns, self.end_ns,
                            {**self.extra, name: values})

    def __len__(self) -> int:
        return len(self.task_ids)

    @overload
    def __getitem__(self, index: int) -> Attempt: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Attempt, ...]: ...

    def __getitem__(self, index: int | slice) -> Attempt | tuple[Attempt, ...]:
        if isinstance(index, slice):
            return tuple(self.row(i) for i in range(len(self))[index])
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("attempt row out of range")
        return self.row(index)

    def __iter__(self) -> Iterator[Attempt]:
        return map(self.row, range(len(self)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other))

    __hash__ = None  # type: ignore[assignment]

    def row(self, i: int) -> Attempt:
        error_type, error_message = self.errors.get(i, _NO_ERROR)
        pending, start, end = self.pending_ns[i], self.start_ns[i], self.end_ns[i]
        return Attempt(self.task_ids[i], self.numbers[i], self.nodes[i], self.parents[i],
                       STATUS_NAMES[self.statuses[i]], error_type, error_message,
                       self.ray_node_ids[i], self.worker_ids[i], self.worker_pids[i],
                       None if pending == NO_NS else pending, None if start == NO_NS else start,
                       None if end == NO_NS else end,
                       **{name: values[i] for name, values in self.extra.items()})

    def failed(self) -> Iterator[Attempt]:
        """The failed attempts, in order, without making the others."""
        code = STATUS_NAMES.index("FAILED")
        statuses = bytes(self.statuses)  # found by bytes.find, not row by row in Python
        return (self.row(i) for i in byte_positions(statuses, code))

    def unfinished(self) -> Iterator[Attempt]:
        """The attempts without a final state, in order, without making the others."""
        statuses = bytes(self.statuses)
        return (self.row(i) for i in byte_positions(statuses, STATUS_NAMES.index("UNKNOWN")))

    def lacking(self) -> Iterator[Attempt]:
        """The attempts without a final state or without an execution (no start), in order,
        without making the others: both found by bytes.find over the columns, where a big
        session has millions of rows and few of these."""
        unknown = byte_positions(bytes(self.statuses), STATUS_NAMES.index("UNKNOWN"))
        rows = sorted(set(unknown).union(_int64_positions(self.start_ns, NO_NS)))
        return (self.row(i) for i in rows)


def _int64_positions(column: Sequence[int], value: int) -> Iterator[int]:
    """The positions of `value` in a time column: the C sweep's are views of int64 bytes,
    searched as they are; another is packed first."""
    data = column.cast("B").tobytes() if isinstance(column, memoryview) \
        else array("q", column).tobytes()
    pattern = array("q", (value,)).tobytes()
    i = data.find(pattern)
    while i >= 0:
        if i % 8 == 0:
            yield i // 8
            i = data.find(pattern, i + 8)
        else:  # inside two neighbours' bytes
            i = data.find(pattern, i + 1)


# The Attempt fields a pass reads without making rows -> their AttemptTable columns
_COLUMN_OF = {"task_id": "task_ids", "attempt": "numbers", "node": "nodes",
              "parent_task_id": "parents", "ray_node_id": "ray_node_ids",
              "worker_id": "worker_ids", "worker_pid": "worker_pids"}


def attempt_fields(attempts: Sequence[Attempt], *names: str) -> Iterator[tuple[Any, ...]]:
    """These fields of every attempt, in order: a table's columns read as they are, no row made
    (a big session has hundreds of thousands of rows, a row made costs ~3 microseconds)."""
    if isinstance(attempts, AttemptTable):
        return zip(*(getattr(attempts, _COLUMN_OF[name]) for name in names))
    return (tuple(getattr(a, name) for name in names) for a in attempts)


def rows_by(attempts: Sequence[Attempt], name: str, values: Container[Any]
            ) -> dict[Any, list[int]]:
    """The row numbers of the attempts whose field `name` is one of `values`, by value, in
    order: one pass over the column, no row made."""
    found: dict[Any, list[int]] = {}
    column = (getattr(attempts, _COLUMN_OF[name]) if isinstance(attempts, AttemptTable)
              else (getattr(a, name) for a in attempts))
    for i, value in enumerate(column):
        if value in values:
            found.setdefault(value, []).append(i)
    return found


def lacking_of(attempts: Sequence[Attempt]) -> Iterator[Attempt]:
    """The attempts without a final state or without an execution (no start), in order; of a
    table, only those rows are made (AttemptTable.lacking)."""
    if isinstance(attempts, AttemptTable):
        return attempts.lacking()
    return (a for a in attempts if a.status == "UNKNOWN" or a.start_ns is None)


def failed_of(attempts: Sequence[Attempt]) -> Iterator[Attempt]:
    """The FAILED attempts, in order; of a table, only those rows are made."""
    if isinstance(attempts, AttemptTable):
        return attempts.failed()
    return (a for a in attempts if a.status == "FAILED")


def attempts_with(attempts: Sequence[Attempt], name: str, values: Container[Any],
                  finished: bool = True) -> Iterator[Attempt]:
    """The attempts whose field `name` is one of `values` (with `finished` False, those not
    FINISHED only), in order; of a table, only those rows are made."""
    if isinstance(attempts, AttemptTable):
        column = getattr(attempts, _COLUMN_OF[name])
        if finished:
            return (attempts.row(i) for i, value in enumerate(column) if value in values)
        done = STATUS_NAMES.index("FINISHED")
        return (attempts.row(i) for i, (value, status) in enumerate(zip(column, attempts.statuses))
                if value in values and status != done)
    return (a for a in attempts if getattr(a, name) in values
            and (finished or a.status != "FINISHED"))


def byte_positions(data: bytes, byte: int) -> Iterator[int]:
    """The positions of `byte` in `data`, in order."""
    i = data.find(byte)
    while i >= 0:
        yield i
        i = data.find(byte, i + 1)


_NO_ERROR = ("", "")


@dataclass(frozen=True, slots=True)
class Failure:
    """Something that failed or ended, on the graph node it hit ("" when the capture cannot
    tell). Its category (pipeline/failures.py, docs/failures.md) says whether it is a failure:
    "error" (the program's own) and "crash" are; "intended" (ray.kill, an intended exit, the end
    of its job, ...) is not, nor is a death of a cause this version does not know ("unknown",
    except for an attempt Ray marked FAILED)."""

    kind: str  # task, actor, worker, driver, node, oom, fatal, train (a Train run attempt)
    node: str
    task_id: str
    attempt: int | None
    error_type: str
    message: str  # the first line
    time_s: float | None
    category: str = "crash"  # error, crash, intended, unknown
    pid: int | None = None  # of the worker that died, where Ray said it
    call_site: tuple[Frame, ...] = ()  # a task's: where it was submitted from (CallSite)
    node_ip: str = ""  # its Ray node's IP: of the attempt it names, or where the actor died
    # Its own id, from Ray's ids (pipeline/failure_causes.py: "task:<task id>:<attempt>",
    # "actor:<actor id>:<type>@<ms>", "<kind>:<worker, node or job id>@<ms>"), and the id of
    # the recorded failure that explains it ("" when none does): the death or restart of its
    # actor, of its worker or node, its owner's death, the failed task whose return was its
    # input. Ids, not positions, so that a view (--focus, --job, a time window) keeps them.
    key: str = ""
    cause: str = ""


def failure_groups(failures: Sequence[Failure]) -> list[tuple[Failure, tuple[Failure, ...]]]:
    """The failures told once per cause: each failure that no other of `failures` explains,
    in time order, with those that follow from it (its cause's cause, transitively), in time
    order. A failure whose cause is not among them (a view left it out) stands alone."""
    by_key = {f.key: f for f in failures if f.key}

    def root(f: Failure) -> Failure:
        top, seen = f, {f.key}
        while top.cause in by_key:
            if top.cause in seen:
                return f  # a loop (no order of time makes one): told alone
            top = by_key[top.cause]
            seen.add(top.key)
        return top

    def when(f: Failure) -> tuple[float, str, str]:
        return (f.time_s or 0.0, f.node, f.task_id)

    under: dict[int, list[Failure]] = {}
    roots: list[Failure] = []
    for f in failures:
        top = root(f)
        if top is f:
            roots.append(f)
        else:
            under.setdefault(id(top), []).append(f)
    return [(r, tuple(sorted(under.get(id(r), []), key=when)))
            for r in sorted(roots, key=when)]


CAPTURE_END = "capture end"  # Unfinished.at: caught by the capture's end
JOB_END = "job end"  # Unfinished.at: ended by its job's end


@dataclass(frozen=True, slots=True)
class Unfinished:
    """The attempts of one job without a final state of which nothing is missing
    (pipeline/capture_end.py): running or queued when the capture ended while the job still
    ran (`at` "capture end": their outcomes after the capture), or when the job's recorded end
    ended them (`at` "job end": Ray fails them with the job, in its GCS's store only). The
    drivers' own attempts are not counted."""

    job_id: str
    at: str  # CAPTURE_END or JOB_END
    running: int
    queued: int


@dataclass(frozen=True, slots=True)
class Coverage:
    """How much of the session the capture holds."""

    tasks: int
    complete_tasks: int
    without_definition: int
    without_parent: int  # the caller's own record is missing
    without_final_state: int  # attempts
    without_execution: int  # attempts whose executor left no record
    empty_files: int
    truncated_files: int
    skipped_lines: int
    # of the tasks, those no event named (their submission, definition and execution events
    # all missing): drawn as undefined-task placeholders (pipeline/identity.py)
    undefined_tasks: int = 0
    # the attempts without a final state that miss nothing, per job (not counted above):
    # running or queued when the capture ended during their job, or when their job ended
    unfinished: tuple[Unfinished, ...] = ()

    @property
    def ratio(self) -> float:
        return self.complete_tasks / self.tasks if self.tasks else 1.0

    @property
    def complete(self) -> bool:
        return self.complete_tasks == self.tasks and not self.truncated_files \
            and not self.skipped_lines


@dataclass(frozen=True, slots=True)
class PathStep:
    node: str
    task_id: str
    exec_ms: float


@dataclass(frozen=True, slots=True)
class CriticalPath:
    """The longest chain of dependent executions of a job (caller waits on callee)."""

    job_id: str
    steps: tuple[PathStep, ...]
    total_ms: float  # from the first step's start to the last end among the steps


@dataclass(frozen=True, slots=True)
class Node:
    id: str
    kind: NodeKind
    name: str  # function or method name; the class name for an actor; "main"
    module: str
    actor_id: str  # for actors and methods
    job_id: str
    language: str
    calls: int  # submissions received
    inferred: bool  # no definition was recorded for any of its tasks: named from ids and spans
    stats: Stats = NO_STATS
    internal: bool = False  # one of Ray's internals (pipeline/internals.py)
    # a placeholder for tasks whose definition is missing and that nothing names: no function,
    # method or actor of that name exists (pipeline/identity.py: UNDEFINED)
    undefined: bool = False


@dataclass(frozen=True, slots=True)
class Actor:
    id: str
    class_name: str
    actor_name: str  # user-given name, or ""
    job_id: str
    language: str
    state: str  # the last EXPORT_ACTOR state, or ""
    detached: bool
    internal: bool = False  # one of Ray's internals (pipeline/internals.py)
    class_of: str = ""  # the class, where class_name shows Ray's repr name or its own name instead


@dataclass(frozen=True, slots=True)
class CallFlow:
    source: str
    target: str
    count: int
    stats: Stats = NO_STATS  # over the callee's attempts along this edge
    per_s: float | None = None  # submissions per second over the edge's submission span
    # drawn through Ray's hidden internals (pipeline/through_internals.py): the hidden nodes
    # between the caller and the callee, nearest the caller first; () for a call Ray recorded
    via: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DataFlow:
    source: str
    target: str
    count: int  # transfers: every get counts
    bytes: int | None  # sum over transfers of known size; None when no size is known
    unsized: int  # transfers whose size is unknown (a get without a put)
    bytes_per_s: float | None  # bytes over the span from the first put to the last get
    latency_ms: Dist | None = None  # get time - put time, per transfer with both


@dataclass(frozen=True, slots=True)
class CallSite:
    """Where tasks of `node` were submitted from by `caller` (a node; "" when unknown): the
    user's frames, outermost first, the last one making the `.remote()` call; and how many
    tasks. An actor node's sites are where the actor was created."""

    node: str
    caller: str
    frames: tuple[Frame, ...]
    count: int
    # "recorder" (flowinsight.recorder: qualified names such as TaskFactory.create_task) or
    # "ray" (Ray's own, RAY_record_task_actor_creation_sites=1: bare function names)
    source: str


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    entrypoint: str
    driver_pid: int | None
    start_ms: int | None
    end_ms: int | None
    tasks: int  # task records, the drivers' own included (as Ray counts them)


@dataclass(frozen=True, slots=True)
class DatasetOp:
    """One operator of a Ray Data plan, with the graph nodes that ran it and what they did."""

    id: str  # Ray's operator id, unique in its dataset ("Write_3")
    name: str  # Ray's name ("ReadRange->MapBatches(add_one)", "Write")
    state: str
    inputs: tuple[str, ...]  # operator ids it reads from
    start_s: float | None
    end_s: float | None
    nodes: tuple[str, ...]  # graph nodes of its tasks and actor pool
    tasks: int  # that did its work (an actor pool's setup calls left out: datasets.py)
    attempts: int  # of those tasks
    failures: int  # failed attempts that are failures (pipeline/failures.py)
    exec_ms: Dist | None  # of those attempts' executions
    bytes_out: int | None  # bytes its nodes handed on (recorded object events), None unknown
    schema: tuple[tuple[str, str], ...]  # output columns (name, type)
    issues: tuple[str, ...]  # Ray Data's issue detections on it (hanging, high memory)


@dataclass(frozen=True, slots=True)
class Dataset:
    """A Ray Data dataset's plan, from its last EXPORT_DATASET_METADATA snapshot."""

    id: str
    job_id: str
    state: str
    start_s: float | None  # execution
    end_s: float | None
    operators: tuple[DatasetOp, ...]  # in Ray's order (sources first)


@dataclass(frozen=True, slots=True)
class ServeDeployment:
    """A Serve deployment, from its replica actors (Ray names them
    ServeReplica:<app>:<deployment>)."""

    app: str
    name: str
    replicas: tuple[str, ...]  # actor ids
    states: tuple[str, ...]  # each replica's last state, in the same order
    calls: int  # calls its replicas received (their methods')
    requests: int  # of them, requests (handle_request*)
    request_ms: Dist | None  # the requests' executions (not the cancelled tries')
    failures: int  # failures on its replicas and their methods
    # (deployment, requests) its replicas sent another deployment's (handle_request*)
    calls_to: tuple[tuple[str, int], ...] = ()
    # (deployment, calls) its replicas' routers made to the other's replicas to pick one
    # (get_num_ongoing_requests, reserve_slot, release_slot): Serve's own, not requests
    load_checks_to: tuple[tuple[str, int], ...] = ()
    # of its requests, those that ended on purpose unanswered: cancelled (Serve's router
    # cancels a request a full replica rejected and sends it to another; a caller's cancel),
    # or cut by an intended stop of their replica
    cancelled: int = 0


@dataclass(frozen=True, slots=True)
class TuneTrial:
    """A Tune trial actor: one trainable actor (Tune wraps a function trainable in ImplicitFunc,
    ray.tune.trainable.function_trainable; Ray shows its repr, the function's name). A trial
    Tune paused and resumed, or retried, runs on several of them; which trial each ran is not
    in Ray's logs (library_views.py)."""

    actor_id: str
    trainable: str  # the name Ray shows
    state: str
    train_calls: int  # calls of its `train` (not Tune's iterations: library_views.py)
    train_ms: Dist | None
    failures: int
    starts: int = 0  # times Tune started a trial on it (library_views.py: more than one
    # where Tune reused it, reuse_actors)
    restores: int = 0  # of those, the ones it restored from a checkpoint (`restore` calls)


@dataclass(frozen=True, slots=True)
class Hidden:
    """What views.hide_internals took out of a Result's view: Ray's internals, and the call
    and data flows that touch them."""

    nodes: tuple[Node, ...] = ()
    actors: tuple[Actor, ...] = ()
    call_flows: tuple[CallFlow, ...] = ()
    data_flows: tuple[DataFlow, ...] = ()


@dataclass(frozen=True, slots=True)
class RayNode:
    """A Ray node the attempts ran on (pipeline/ray_nodes.py): where the work went."""

    id: str  # Ray's node id (hex)
    ip: str  # its IP, "" when the capture has no event of the node (pipeline/node_ips.py)
    attempts: int  # task attempts that ran on it
    failed_attempts: int  # of those, the ones Ray marked FAILED
    workers: int  # distinct workers those attempts named


@dataclass(frozen=True, slots=True)
class Result:
    jobs: tuple[Job, ...]
    nodes: tuple[Node, ...]
    actors: tuple[Actor, ...]
    call_flows: tuple[CallFlow, ...]
    data_flows: tuple[DataFlow, ...]
    failure_notes: tuple[FailureNote, ...]
    read: ReadAccount
    tasks: int  # task records, the drivers' own included (as Ray counts them)
    sources: tuple[str, ...]  # which formats the capture held: "export_api", "ray_event"
    has_object_events: bool
    attempts: Sequence[Attempt] = field(default=())  # an AttemptTable from the pipeline
    failures: tuple[Failure, ...] = field(default=())  # errors and crashes only
    # deaths and failed attempts that are not failures: intended ends, unknown causes
    ends: tuple[Failure, ...] = field(default=())
    coverage: Coverage = Coverage(0, 0, 0, 0, 0, 0, 0, 0, 0)
    critical_paths: tuple[CriticalPath, ...] = field(default=())
    warnings: tuple[str, ...] = field(default=())
    # Ray's internals taken out of the view (views.hide_internals): kept for the JSON
    hidden: Hidden = field(default_factory=lambda: Hidden())
    call_sites: tuple[CallSite, ...] = field(default=())  # by node, caller, most tasks first
    datasets: tuple[Dataset, ...] = field(default=())  # Ray Data plans (pipeline/datasets.py)
    serve: tuple[ServeDeployment, ...] = field(default=())  # pipeline/library_views.py
    tune: tuple[TuneTrial, ...] = field(default=())
    ray_nodes: tuple[RayNode, ...] = field(default=())  # by id (pipeline/ray_nodes.py)

    def call_graph(self) -> nx.DiGraph[str]:
        """The call graph as a networkx DiGraph, with the JSON output's node and edge
        attributes (flowinsight.graphs)."""
        from flowinsight.graphs import call_graph

        return call_graph(self)

    def data_flow_graph(self) -> nx.DiGraph[str]:
        """The data-flow graph as a networkx DiGraph, with the JSON output's node and edge
        attributes (flowinsight.graphs)."""
        from flowinsight.graphs import data_flow_graph

        return data_flow_graph(self)

    def failures_by_node(self) -> dict[str, int]:
        """How many failures hit each node ("" for those no node can be named for)."""
        counts: dict[str, int] = {}
        for f in self.failures:
            counts[f.node] = counts.get(f.node, 0) + 1
        return counts
