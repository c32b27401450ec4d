"""Events reduced to what the analysis needs, in pieces that merge.

`reduce_events` turns a run of consecutive events (a file, a group of files) into a Partial:
the merged task records and the few other events the analysis reads. The Partials of
consecutive runs, merged in their order, equal the Partial of all the events at once: that is
what lets readers work file by file and in parallel while the graph stays exactly the same.

A Partial pickles (a worker's piece, on its way to the main process) with its table of records
as one blob of _records in flowinsight/native/ (records_native.dump_tasks): far cheaper to
write and to read than pickling each record. Where the extension is not in use, or the table
holds a value a blob cannot give back exactly, the records are pickled as plain tuples of their
fields (tasks.table_tuples). A blob is read by the extension, or in Python where the extension
is not in use (records_native.load_tasks). In the main process a piece stays in its blob (or
its tuples) until it is merged: the first piece's table is loaded, each later one merged into
it straight from its blob (records_native.load_tasks_into) or tuples
(tasks.merge_table_tuples).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import repeat
from typing import Any, Callable, Hashable, Iterable, Sequence

from flowinsight.model.events import (
    ActorUpdate,
    CallSiteDef,
    DatasetEvent,
    DatasetUpdate,
    Event,
    EventParts,
    FailureNote,
    FunctionRef,
    JobUpdate,
    NodeUpdate,
    ObjectGet,
    ObjectPut,
    OperatorEvent,
    OperatorSchema,
    TaskCallSite,
    TaskName,
    TaskOperator,
    TaskSubmitted,
    TaskUpdate,
)
from flowinsight.pipeline import records_native
from flowinsight.pipeline.tasks import (
    RecordTuple,
    Task,
    merge_function,
    merge_table_tuples,
    merge_task_tables,
    merge_tasks,
    table_of_tuples,
    table_tuples,
)


class Partial:
    """The reduced form of a run of events. Changed only by merge_into, while pieces merge.

    A Partial unpickled from a worker's blob keeps the blob as it came until its table is
    needed: `tasks` loads it then (records_native.load_tasks), or merge_into merges it
    straight into the table of the Partial before it (records_native.load_tasks_into), so
    that the records of tasks the main process already holds are never built."""

    __slots__ = ("_tasks", "_blob", "_rows", "actor_updates", "job_updates", "failure_notes",
                 "puts", "gets", "job_ids", "sources", "first_ns", "call_sites",
                 "dataset_events", "node_updates", "task_names", "keys", "fragile")

    def __init__(self, tasks: dict[str, Task] | None = None,
                 actor_updates: list[ActorUpdate] | None = None,
                 job_updates: list[JobUpdate] | None = None,
                 failure_notes: list[FailureNote] | None = None,
                 puts: list[ObjectPut] | None = None, gets: list[ObjectGet] | None = None,
                 job_ids: set[str] | None = None, sources: set[str] | None = None,
                 first_ns: int | None = None,
                 call_sites: list[CallSiteDef | TaskCallSite] | None = None,
                 dataset_events: list[DatasetEvent] | None = None,
                 node_updates: list[NodeUpdate] | None = None,
                 task_names: list[TaskName] | None = None) -> None:
        # in order of first appearance
        self._tasks: dict[str, Task] = {} if tasks is None else tasks
        # a dump_tasks blob not loaded yet (then _tasks is empty and unused)
        self._blob: bytes | None = None
        # or the records as tuples (tasks.table_tuples), where the blob is not written
        self._rows: list[RecordTuple] | None = None
        self.actor_updates: list[ActorUpdate] = [] if actor_updates is None else actor_updates
        self.job_updates: list[JobUpdate] = [] if job_updates is None else job_updates
        self.failure_notes: list[FailureNote] = [] if failure_notes is None else failure_notes
        self.puts: list[ObjectPut] = [] if puts is None else puts
        self.gets: list[ObjectGet] = [] if gets is None else gets
        # of job, object put and object get events
        self.job_ids: set[str] = set() if job_ids is None else job_ids
        self.sources: set[str] = set() if sources is None else sources  # "ray_event", "export_api"
        # The earliest recorded time of any event, whatever --job keeps: the origin of relative
        # --since/--until.
        self.first_ns = first_ns
        # where tasks were submitted from, and the recorder's stacks they name, in order
        self.call_sites: list[CallSiteDef | TaskCallSite] = [] if call_sites is None \
            else call_sites
        # Ray Data's plans, schemas and operator events, in order (pipeline/datasets.py)
        self.dataset_events: list[DatasetEvent] = [] if dataset_events is None \
            else dataset_events
        # Ray nodes' snapshots (EXPORT_NODE, node events), in order: their IPs (node_ips.py)
        self.node_updates: list[NodeUpdate] = [] if node_updates is None else node_updates
        # the names tasks were given, where their definitions say them, in order
        self.task_names: list[TaskName] = [] if task_names is None else task_names
        # What drop_repeats needs (not part of the value: __eq__ leaves it out). The key of
        # each event of the lists above (its id's digest << 64 | its line's; None: unknown, or
        # no id), list by list:
        self.keys: dict[str, list[int | None]] = {name: [None] * len(getattr(self, name))
                                                  for name in HELD}
        # Read with keys: the function refs of each task that had a ref without a name, as
        # FunctionRuns in order, the record's own function (and seen_module, seen_class) the
        # run after them. Merged again, a nameless ref is not merged once (tasks._add_function
        # replaces it by whatever comes next): a repeat of one is left out of these before
        # they are merged into the record (settle). (The C decoder declines such lines.)
        self.fragile: dict[str, list[FunctionRun]] = {}

    @property
    def tasks(self) -> dict[str, Task]:
        """The merged task records, by task id, in order of first appearance."""
        blob = self._blob
        if blob is not None:
            self._tasks = records_native.load_tasks(blob)
            self._blob = None
        elif self._rows is not None:
            self._tasks = table_of_tuples(self._rows)
            self._rows = None
        return self._tasks

    @tasks.setter
    def tasks(self, tasks: dict[str, Task]) -> None:
        self._tasks = tasks
        self._blob = self._rows = None

    def _rest(self) -> tuple[Any, ...]:
        return (self.actor_updates, self.job_updates, self.failure_notes, self.puts, self.gets,
                self.job_ids, self.sources, self.first_ns, self.call_sites,
                self.dataset_events, self.node_updates, self.task_names)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Partial):
            return NotImplemented
        return self.tasks == other.tasks and self._rest() == other._rest()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        fields = ("tasks", "actor_updates", "job_updates", "failure_notes", "puts", "gets",
                  "job_ids", "sources", "first_ns", "call_sites", "dataset_events", "node_updates",
                  "task_names")
        values = (self.tasks, *self._rest())
        return "Partial(" + ", ".join(f"{n}={v!r}" for n, v in zip(fields, values)) + ")"

    def __reduce__(self) -> tuple[Any, ...]:
        # a blob not loaded yet goes on as it came (blobs are written only where the extension
        # is in use: elsewhere the records go as tuples, or as they are where tuples would not
        # give them back exactly)
        if records_native.active() is not None:
            blob = self._blob if self._blob is not None else records_native.dump_tasks(self.tasks)
            if blob is not None:
                return (_from_blob, (blob, *self._rest()), self._repeats())
        rows = self._rows if self._rows is not None else table_tuples(self.tasks)
        if rows is None:
            return (Partial, (self.tasks, *self._rest()), self._repeats())
        return (_from_rows, (rows, *self._rest()), self._repeats())

    def _repeats(self) -> tuple[Any, ...]:
        return (self.keys, self.fragile)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self.keys, self.fragile = state

    def drop_repeats(self, same: Callable[[int], Hashable | None] | None) -> None:
        """Leave out the events read more than once, then settle the task table (a piece read
        with keys must pass here before its `tasks` are used). `same(key)`: for an event the
        reader judged a repeat (an event equal to the first one of its id), a mark shared with
        that first one; else None. Of the events of one mark, the first is kept. `same` None:
        nothing was read twice.

        The task table needs nothing but `fragile`: merging a task event again changes
        nothing (first non-empty value, earliest time, first span of a name, attempts by
        number), except a function ref without a name."""
        if same is not None:
            for name in HELD:
                keys = self.keys[name]
                events: list[Any] = getattr(self, name)
                kept = _first_of_each(keys, same)
                if len(kept) < len(keys):
                    events[:] = [events[i] for i in kept]
                    self.keys[name] = [keys[i] for i in kept]
        tasks = self.tasks if self.fragile else {}
        for task_id, runs in self.fragile.items():
            task = tasks[task_id]
            last: FunctionRun = (None, task.function, task.seen_module, task.seen_class)
            task.function, task.seen_module, task.seen_class = None, "", ""
            kept_runs = runs if same is None else [runs[i] for i in _first_of_each(
                [r[0] for r in runs], same)]
            for _, function, module, class_name in (*kept_runs, last):
                merge_function(task, function, module, class_name)
        self.fragile = {}


# A run of function refs of one task: (the key of its event when it is one nameless ref,
# else None; then the function, seen_module and seen_class its refs merge as: merge_function)
FunctionRun = tuple["int | None", "FunctionRef | None", str, str]


def _first_of_each(keys: Sequence[int | None],
                   same: Callable[[int], Hashable | None]) -> list[int]:
    """The places of the keys to keep: all but the second and later of each mark (`same`)."""
    seen: set[Hashable] = set()
    kept: list[int] = []
    for index, key in enumerate(keys):
        if key is not None:
            mark = same(key)
            if mark is not None:
                if mark in seen:
                    continue
                seen.add(mark)
        kept.append(index)
    return kept


# The lists of events a Partial holds as they are (the task events are merged into records)
HELD = ("actor_updates", "job_updates", "failure_notes", "puts", "gets", "call_sites",
        "dataset_events", "node_updates", "task_names")


def _from_blob(blob: bytes, *rest: Any) -> Partial:
    """A Partial unpickled: its table left in the blob that Partial.__reduce__ made, loaded
    when it is first needed (Partial.tasks, merge_into)."""
    out = Partial(None, *rest)
    out._blob = blob
    return out


def _from_rows(rows: list[RecordTuple], *rest: Any) -> Partial:
    """The same, where Partial.__reduce__ wrote the records as tuples."""
    out = Partial(None, *rest)
    out._rows = rows
    return out


@dataclass(frozen=True, slots=True)
class Reducer:
    """reduce_events and merge_into, as one picklable value that a reader can run in worker
    processes (flowinsight.read.parallel.Reducer). It keeps every job's events: `--job`'s
    view needs every job's records and is chosen by the analysis (pipeline/job_view.py)."""

    # whether to find the earliest event time (Partial.first_ns), the origin of relative
    # --since/--until: a walk over every state of every event, only when it is needed
    origin: bool = True

    def reduce(self, events: Sequence[Event], into: Partial | None = None,
               keys: Sequence[int | None] | None = None) -> Partial:
        return reduce_events(events, into, self.origin, keys)

    def drop_repeats(self, piece: Partial, same: Callable[[int], Hashable | None] | None
                     ) -> None:
        piece.drop_repeats(same)

    def merge(self, first: Partial, later: Partial) -> Partial:
        return merge_into(first, later)

    @property
    def folds_batches(self) -> bool:
        """Whether reduce_parts takes the readers' batches as they are (the C reader's, the
        Python reader's rows: the parallel reader then asks for them)."""
        return records_native.folds_batches()

    def reduce_parts(self, parts: EventParts, into: Partial | None = None,
                     keys: Sequence[int | None] | None = None) -> Partial:
        return reduce_parts(parts, into, self.origin, keys)


def reduce_events(events: Sequence[Event], into: Partial | None = None, origin: bool = True,
                  keys: Sequence[int | None] | None = None) -> Partial:
    """A run of consecutive events, reduced. With `into` (the Partial of the events just before), they are added to it. Without
    `origin`, first_ns is left unknown. `keys`: each event's id digest (None: no id), kept
    beside the events the Partial holds (Partial.drop_repeats)."""
    out = into if into is not None else Partial()
    first = first_time_ns(events) if origin else None
    if first is not None and (out.first_ns is None or first < out.first_ns):
        out.first_ns = first
    if keys is None:
        merge_tasks(events, out.tasks)
    else:
        _merge_keyed(events, keys, out)
    ray_event = export_api = False
    held = out.keys
    for ev, key in zip(events, keys if keys is not None else repeat(None)):
        if isinstance(ev, TaskUpdate):
            export_api = True
        elif isinstance(ev, TaskSubmitted):
            ray_event = True
        elif isinstance(ev, ObjectPut):
            out.puts.append(ev)
            held["puts"].append(key)
            out.job_ids.add(ev.job_id)
            ray_event = True
        elif isinstance(ev, ObjectGet):
            out.gets.append(ev)
            held["gets"].append(key)
            out.job_ids.add(ev.job_id)
            ray_event = True
        elif isinstance(ev, FailureNote):
            out.failure_notes.append(ev)
            held["failure_notes"].append(key)
            if ev.source_type.startswith("EXPORT_"):  # a library's export (Ray Train's)
                export_api = True
            else:
                ray_event = True
        elif isinstance(ev, (TaskCallSite, CallSiteDef)):
            out.call_sites.append(ev)
            held["call_sites"].append(key)
        elif isinstance(ev, TaskName):
            out.task_names.append(ev)
            held["task_names"].append(key)
        else:
            if isinstance(ev, ActorUpdate):
                out.actor_updates.append(ev)
                held["actor_updates"].append(key)
            elif isinstance(ev, (DatasetUpdate, OperatorSchema, OperatorEvent, TaskOperator)):
                out.dataset_events.append(ev)
                held["dataset_events"].append(key)
            elif isinstance(ev, JobUpdate):
                out.job_updates.append(ev)
                held["job_updates"].append(key)
                out.job_ids.add(ev.job_id)
            elif isinstance(ev, NodeUpdate):
                out.node_updates.append(ev)
                held["node_updates"].append(key)
            export_api = True
    if ray_event:
        out.sources.add("ray_event")
    if export_api:
        out.sources.add("export_api")
    return out


def _merge_keyed(events: Sequence[Event], keys: Sequence[int | None], out: Partial) -> None:
    """merge_tasks of the events into out.tasks, but a task event with a key and a function
    ref without a name: its ref goes to out.fragile, after the run of its task's refs before
    it, and its record's function begins again after it (Partial.drop_repeats merges them)."""
    tasks = out.tasks
    start = 0
    for index, (ev, key) in enumerate(zip(events, keys)):
        if key is None or not isinstance(ev, (TaskUpdate, TaskSubmitted)):
            continue
        function = ev.function
        if function is None or function.name:
            continue
        merge_tasks(events[start:index], tasks)
        start = index + 1
        task = tasks.get(ev.task_id)
        before = (None, None, "", "") if task is None \
            else (None, task.function, task.seen_module, task.seen_class)
        merge_tasks((ev,), tasks)  # its other fields
        task = tasks[ev.task_id]
        task.function, task.seen_module, task.seen_class = None, "", ""
        out.fragile.setdefault(ev.task_id, []).extend(
            (before, (key, function, function.module, function.class_name)))
    merge_tasks(events[start:], tasks)


def reduce_parts(parts: EventParts, into: Partial | None = None, origin: bool = True,
                  keys: Sequence[int | None] | None = None) -> Partial:
    """reduce_events of the events of `parts` in order (lists of events, and batches of
    TaskUpdates folded into the records as they are: records_native.fold_batch). `keys`: as
    reduce_events', of the events of the lists, one after the other."""
    out = into if into is not None else Partial()
    if origin:
        first: int | None = None
        for part in parts:
            ns = first_time_ns(part) if isinstance(part, list) else part.first_ns
            if ns is not None and (first is None or ns < first):
                first = ns
        if first is not None and (out.first_ns is None or first < out.first_ns):
            out.first_ns = first
    export_api = False
    done = 0  # keys used
    for part in parts:
        if isinstance(part, list):
            reduce_events(part, out, False,
                          None if keys is None else keys[done:done + len(part)])
            done += len(part)
        elif records_native.fold_batch(part, out.tasks):
            export_api = True  # it held TaskUpdates
    if export_api:
        out.sources.add("export_api")
    return out


def merge_partials(parts: Iterable[Partial]) -> Partial:
    """The Partials of consecutive runs, in order, as one (they are taken over)."""
    out: Partial | None = None
    for part in parts:
        out = part if out is None else merge_into(out, part)
    return out if out is not None else Partial()


def merge_into(first: Partial, later: Partial) -> Partial:
    """`first` extended by the Partial of the run that follows it; returns `first`. A later
    Partial still in its blob is merged straight from it (records_native.load_tasks_into)."""
    if later.fragile:
        _merge_fragile(first, later.fragile)
    blob = later._blob
    if blob is not None:
        records_native.load_tasks_into(first.tasks, blob)
    elif later._rows is not None:
        merge_table_tuples(first.tasks, later._rows)
    else:
        merge_task_tables(first.tasks, later.tasks)
    first.actor_updates += later.actor_updates
    first.job_updates += later.job_updates
    first.failure_notes += later.failure_notes
    first.puts += later.puts
    first.gets += later.gets
    first.job_ids |= later.job_ids
    first.dataset_events += later.dataset_events
    first.node_updates += later.node_updates
    first.sources |= later.sources
    first.call_sites += later.call_sites
    first.task_names += later.task_names
    for name in HELD:
        first.keys[name] += later.keys[name]
    if later.first_ns is not None and (first.first_ns is None or later.first_ns < first.first_ns):
        first.first_ns = later.first_ns
    return first


def _merge_fragile(first: Partial, later: dict[str, list[FunctionRun]]) -> None:
    """The refs kept aside of the Partial after `first` (Partial.fragile), before its table is
    merged: the run of refs of its first records (before their first nameless ref) follows the
    run `first`'s record ends with, and that record begins again (the later one's function
    is the run after its nameless refs)."""
    tasks = first.tasks
    for task_id, runs in later.items():
        task = tasks.get(task_id)
        (_, function, module, class_name), *rest = runs
        if task is not None:
            merge_function(task, function, module, class_name)
            function, module, class_name = task.function, task.seen_module, task.seen_class
            task.function, task.seen_module, task.seen_class = None, "", ""
        first.fragile.setdefault(task_id, []).extend(
            ((None, function, module, class_name), *rest))


def first_time_ns(events: Iterable[Event]) -> int | None:
    """The earliest task state or submission time, in ns; None when no event has one."""
    first: int | None = None
    for ev in events:
        if isinstance(ev, TaskUpdate):
            for _, ns in ev.states:
                if first is None or ns < first:
                    first = ns
        elif isinstance(ev, TaskSubmitted):
            if ev.time_ms is not None:
                ns = int(ev.time_ms * 1e6)
                if first is None or ns < first:
                    first = ns
    return first
