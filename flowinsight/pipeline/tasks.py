"""Merging task events into one record per task: Export API partial updates per
(task_id, attempt), and `task_submitted` events, are the same task when their ids match.

A session has as many records as tasks, millions of them: they are kept small (state and span
times packed as int64 in bytes, span names shared) and pickle as plain tuples of them.

The Python code here is the reference, and the one merge of events and of tables. When the
extension _records in flowinsight/native/ is built (flowinsight.pipeline.records_native), the
parallel reader's batches are folded in and its pieces' tables sent and merged as blobs in C,
with the same outcome; the Python code runs whatever the C code does not take on, and
everything when FLOWINSIGHT_NATIVE=0.
"""

from __future__ import annotations

import dataclasses
import struct
import sys
from dataclasses import dataclass
from typing import Any, Callable, Iterable, TypeVar, cast

from flowinsight.model.events import (
    Event,
    FunctionRef,
    TaskRow,
    TaskSubmitted,
    TaskType,
    TaskUpdate,
    update_row,
)
from flowinsight.model.ids import job_of_task
from flowinsight.pipeline import records_native

_INT64 = struct.Struct("<q")
_PAIR = struct.Struct("<qq")


_UNPACKERS = [struct.Struct(f"<{n}q").unpack for n in range(32)]
_PACKERS = [struct.Struct(f"<{n}q").pack for n in range(32)]


def unpack_int64s(packed: bytes) -> tuple[int, ...]:
    n = len(packed) >> 3
    return _UNPACKERS[n](packed) if n < 32 else struct.unpack(f"<{n}q", packed)


def _pack_int64s(values: tuple[int, ...]) -> bytes:
    n = len(values)
    return _PACKERS[n](*values) if n < 32 else struct.pack(f"<{n}q", *values)


# Values that recur across records (a language, a component, a pid, the same span names or
# states in the same order) are stored once: a few hundred bytes per task, over millions.
_SHARED: dict[Any, Any] = {}
_MAX_SHARED = 1 << 14
# An attempt keeps its first MAX_NAMED_SPANS distinct `task::<name>` span names (as
# native/records.h): an executor writes one, and a line of thousands would make every lookup
# and every grown tuple of names cost as much (quadratic). Other span names are a fixed few.
NAMED_SPAN = "task::"
MAX_NAMED_SPANS = 8
# A task with this many attempts or more has them looked up by number, not scanned: a task
# retried 50,000 times would otherwise cost a scan of its attempts per update. While a merge
# runs, such a task's attempts grow in a list (_GROWING: id(task) -> the task, its attempts,
# number -> its first attempt), not as a tuple copied to add one; merge_tasks_python and
# merge_task_tables_python write them back as the tuple when they end (_settle). (The C fold,
# native/merge_updates.c, indexes the last such task and grows its attempts in a list
# likewise, written back as the tuple before any Python code runs and when its call ends.)
_INDEXED_FROM = 32
_GROWING: dict[int, tuple[Task, list[Attempt], dict[int, Attempt]]] = {}
T = TypeVar("T")


# (state keys or span names so far, the one added) -> the longer value, stored once
_GROWN: dict[tuple[Any, Any], Any] = {}


def _grown(key: tuple[Any, Any], value: T) -> T:
    if len(_GROWN) < _MAX_SHARED:
        _GROWN[key] = value
    return value


def shared(value: T) -> T:
    """The one stored copy of an equal str or int. Only those two exact types: equal values of
    other types would stand for each other (0 == False == 0.0, one key of a dict)."""
    kind = type(value)
    if kind is not str and kind is not int:
        return value
    found = _SHARED.get(value)
    if found is not None:
        return cast(T, found)
    if len(_SHARED) < _MAX_SHARED:
        _SHARED[value] = value
    return value


@dataclass(slots=True)
class Attempt:
    """One attempt of a task, merged from its updates."""

    number: int
    state_keys: bytes = b""  # TaskStatus numbers (all below 64), in the order first seen
    state_ns: bytes = b""  # the earliest ns of each, int64
    node_id: str = ""
    worker_id: str = ""
    worker_pid: int | None = None
    error_type: str = ""
    error_message: str = ""
    component_type: str = ""
    span_names: tuple[str, ...] = ()  # the first span of each name, in the order first seen
    span_ns: bytes = b""  # its start and end, int64 pairs

    def state(self, status: int) -> int | None:
        i = self.state_keys.find(status)
        return None if i < 0 else int(_INT64.unpack_from(self.state_ns, 8 * i)[0])

    def states(self) -> dict[int, int]:
        """TaskStatus -> earliest ns, in the order first seen."""
        return dict(zip(self.state_keys, unpack_int64s(self.state_ns)))

    def add_state(self, status: int, ns: int) -> None:
        i = self.state_keys.find(status)
        if i < 0:
            key = (self.state_keys, status)
            keys = _GROWN.get(key)
            self.state_keys = keys if keys is not None else _grown(key, self.state_keys
                                                                   + bytes((status,)))
            self.state_ns += _INT64.pack(ns)
        elif ns < _INT64.unpack_from(self.state_ns, 8 * i)[0]:
            self.state_ns = self.state_ns[:8 * i] + _INT64.pack(ns) + self.state_ns[8 * i + 8:]

    def span(self, name: str) -> tuple[int, int] | None:
        """(start, end) of the first span of that name."""
        if name not in self.span_names:
            return None
        return self.span_at(self.span_names.index(name))

    def span_at(self, index: int) -> tuple[int, int]:
        """(start, end) of the span at that place of span_names."""
        start, end = _PAIR.unpack_from(self.span_ns, 16 * index)
        return start, end

    def span_starts(self) -> tuple[int, ...]:
        return unpack_int64s(self.span_ns)[::2]

    def add_span(self, name: str, start: int, end: int) -> None:
        if name not in self.span_names:
            # (fewer names than the cap: fewer named ones too, no need to count them)
            if len(self.span_names) >= MAX_NAMED_SPANS and name.startswith(NAMED_SPAN) and sum(
                    n.startswith(NAMED_SPAN) for n in self.span_names) >= MAX_NAMED_SPANS:
                return
            key = (self.span_names, name)
            names = _GROWN.get(key)
            self.span_names = names if names is not None else _grown(
                key, (*self.span_names, sys.intern(name)))
            self.span_ns += _PAIR.pack(start, end)

    def __reduce__(self) -> tuple[Any, ...]:
        # positional fields: far cheaper to pickle than the state dict of a slots object
        return (Attempt, (self.number, self.state_keys, self.state_ns, self.node_id,
                          self.worker_id, self.worker_pid, self.error_type, self.error_message,
                          self.component_type, self.span_names, self.span_ns))


@dataclass(slots=True)
class Task:
    """A task as far as the capture knows it. Built by `merge_tasks`, read-only after."""

    task_id: str
    job_id: str
    task_type: TaskType | None = None
    function: FunctionRef | None = None
    language: str = ""
    parent_task_id: str = ""
    actor_id: str = ""
    submit_ms: float | None = None
    attempts: tuple[Attempt, ...] = ()  # in the order first seen (a tuple: most have one)
    # The first module and class named by any of the function refs merged so far: what a later
    # table needs to merge this one into it exactly (see merge_task_tables).
    seen_module: str = ""
    seen_class: str = ""

    def attempt(self, number: int) -> Attempt | None:
        """The first attempt of that number (while a merge runs, of those merged so far)."""
        growing = _GROWING.get(id(self))
        if growing is not None:
            return growing[2].get(number)
        attempts = self.attempts
        if len(attempts) < _INDEXED_FROM:
            for attempt in attempts:
                if attempt.number == number:
                    return attempt
            return None
        by_number: dict[int, Attempt] = {}
        for attempt in attempts:
            by_number.setdefault(attempt.number, attempt)
        _GROWING[id(self)] = (self, list(attempts), by_number)
        return by_number.get(number)

    def add_attempt(self, attempt: Attempt) -> None:
        """self.attempts += (attempt,): at once for a task of few, at the end of the merge for
        one of many (_settle)."""
        growing = _GROWING.get(id(self))
        if growing is None:
            self.attempts += (attempt,)
        else:
            growing[1].append(attempt)
            growing[2].setdefault(attempt.number, attempt)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Task, (self.task_id, self.job_id, self.task_type, self.function, self.language,
                       self.parent_task_id, self.actor_id, self.submit_ms, self.attempts,
                       self.seen_module, self.seen_class))

    @property
    def defined(self) -> bool:
        """Whether a submitter's record (task_info or task_submitted) was captured."""
        return self.task_type is not None


def footprint(tasks: dict[str, Task]) -> tuple[int, int]:
    """What the records of a table take in memory: sys.getsizeof summed over the distinct
    objects they hold (the table's own keys aside), and how many there are. Shared values
    count once: the measure of the sharing above (bench/ and the tests of the native code)."""
    seen: dict[int, int] = {}
    for task in tasks.values():
        for obj in (task, *(getattr(task, f.name) for f in dataclasses.fields(Task))):
            seen.setdefault(id(obj), sys.getsizeof(obj))
        for attempt in task.attempts:
            for obj in (attempt, *(getattr(attempt, f.name)
                                   for f in dataclasses.fields(Attempt))):
                seen.setdefault(id(obj), sys.getsizeof(obj))
    return sum(seen.values()), len(seen)


def merge_tasks(events: Iterable[Event], tasks: dict[str, Task] | None = None) -> dict[str, Task]:
    """One record per task, from its events in order (added to `tasks`, the table of the events
    before them, when given). Fields are filled by the first event that has them and state
    times keep the earliest, so reordering events only matters where they disagree;
    merge_task_tables keeps even that exact for tables of consecutive runs."""
    if tasks is None:
        tasks = {}
    return merge_tasks_python(events, tasks)


def merge_tasks_python(events: Iterable[Event], tasks: dict[str, Task]) -> dict[str, Task]:
    """merge_tasks in Python: the reference, and what the C code hands back what it does not
    take on."""
    try:
        return _merge_events(events, tasks)
    finally:
        _settle()


def _settle() -> None:
    """The attempts of the tasks of many, grown in lists while a merge ran, as their tuples."""
    for task, attempts, _ in _GROWING.values():
        task.attempts = tuple(attempts)
    _GROWING.clear()


def _merge_events(events: Iterable[Event], tasks: dict[str, Task]) -> dict[str, Task]:
    get = tasks.get
    for ev in events:
        kind = type(ev)
        if kind is TaskUpdate:
            update = cast(TaskUpdate, ev)
            task = get(update.task_id)
            if task is None:
                task = tasks[update.task_id] = Task(update.task_id,
                                                    update.job_id or job_of_task(update.task_id))
            _merge_row(task, update_row(update))
        elif kind is TaskSubmitted:
            submitted = cast(TaskSubmitted, ev)
            task = get(submitted.task_id)
            if task is None:
                task = tasks[submitted.task_id] = Task(
                    submitted.task_id, submitted.job_id or job_of_task(submitted.task_id))
            _merge_submitted(task, submitted)
    return tasks


def merge_rows(rows: Iterable[TaskRow], tasks: dict[str, Task]) -> int:
    """merge_tasks of the TaskUpdates of these rows (model.events.TaskRow): how many rows.
    The Python reader's batches (model.events.TaskRows) are folded so, without a TaskUpdate
    per line."""
    get = tasks.get
    kept = 0
    try:
        for row in rows:
            task_id, job_id = row[0], row[2]
            kept += 1
            task = get(task_id)
            if task is None:
                task = tasks[task_id] = Task(task_id, job_id or job_of_task(task_id))
            _merge_row(task, row)
    finally:
        _settle()
    return kept


def merge_task_tables(into: dict[str, Task], later: dict[str, Task]) -> None:
    """Fold the table of a later run of events into the table of the run before it: the result
    equals merge_tasks over both runs at once, field for field and in the order of the dict.
    `later`'s records are taken over, not copied."""
    merge_task_tables_python(into, later)


def merge_task_tables_python(into: dict[str, Task], later: dict[str, Task]) -> None:
    """merge_task_tables in Python: the reference."""
    try:
        for task_id, task in later.items():
            old = into.get(task_id)
            if old is None:
                into[task_id] = task
            else:
                _merge_task(old, record_tuple(task))
    finally:
        _settle()


def merge_task(old: Task, later: Task) -> None:
    """One task's record of a later run merged into its record of the run before (what the C
    code hands back for a record it does not take on)."""
    try:
        _merge_task(old, record_tuple(later))
    finally:
        _settle()


# A record as a plain tuple of its fields, in their order, its attempts as tuples of theirs:
# how a table travels from a worker where the C records are not in use (partial.Partial
# pickles it so: a list of them pickles in a third of the time of the records, which call
# __reduce__ each), and what the Python merge of two records reads of the later one.
RecordTuple = tuple[Any, ...]


def record_tuple(task: Task) -> RecordTuple:
    t = task
    return (t.task_id, t.job_id, t.task_type, t.function, t.language, t.parent_task_id,
            t.actor_id, t.submit_ms,
            tuple([(a.number, a.state_keys, a.state_ns, a.node_id, a.worker_id, a.worker_pid,
                    a.error_type, a.error_message, a.component_type, a.span_names, a.span_ns)
                   for a in t.attempts]),
            t.seen_module, t.seen_class)


def table_tuples(tasks: dict[str, Task]) -> list[RecordTuple] | None:
    """A table's records as tuples (record_tuple), in its order; None for a table they would
    not give back exactly (table_of_tuples): one not made by the merge (a record of another
    type, under another key, attempts not in a tuple of Attempts, a field unset)."""
    if type(tasks) is not dict:
        return None
    rows = []
    try:
        # (a plain loop: a worker sends every record it holds, once; generators cost more)
        for key, task in tasks.items():
            if type(task) is not Task or type(key) is not str or key != task.task_id \
                    or type(task.attempts) is not tuple:
                return None
            for attempt in task.attempts:
                if type(attempt) is not Attempt:
                    return None
            rows.append(record_tuple(task))
    except AttributeError:
        return None
    return rows


def _record(row: RecordTuple) -> Task:
    make_task: Callable[..., Task] = Task  # (row[:8]: the first eight fields)
    make_attempt = Attempt
    return make_task(*row[:8], tuple([make_attempt(*a) for a in row[8]]), row[9], row[10])


def table_of_tuples(rows: list[RecordTuple]) -> dict[str, Task]:
    """The table of table_tuples' rows."""
    return {row[0]: _record(row) for row in rows}


def merge_table_tuples(into: dict[str, Task], rows: list[RecordTuple]) -> None:
    """merge_task_tables(into, table_of_tuples(rows)), without a record built for a task
    `into` holds already."""
    get = into.get
    try:
        for row in rows:
            old = get(row[0])
            if old is None:
                into[row[0]] = _record(row)
            else:
                _merge_task(old, row)
    finally:
        _settle()


def is_driver_thread_record(task: Task) -> bool:
    """Profile events a driver or worker writes for a non-main thread's own context (its
    submit_task spans; a library's threads, Serve's, write them in workers too) arrive as a
    'task' with no definition, states or execution: they are not a task."""
    if task.defined:
        return False
    return all(
        not a.state_keys and not a.span_names and a.component_type in _THREAD_COMPONENTS
        for a in task.attempts
    )


_THREAD_COMPONENTS = ("driver", "worker")


def _add_function(task: Task, new: FunctionRef) -> None:
    """A named ref keeps its name and only fills in a missing module or class; a ref without a
    name is replaced by whatever comes next."""
    old = task.function
    if old is None or not old.name:
        task.function = new
    elif (not old.module and new.module) or (not old.class_name and new.class_name):
        task.function = FunctionRef(old.module or new.module, old.class_name or new.class_name,
                                    old.name)
    if not task.seen_module:
        task.seen_module = new.module
    if not task.seen_class:
        task.seen_class = new.class_name


def _merge_info(task: Task, task_type: TaskType, function: FunctionRef | None, language: str,
                parent: str, actor: str) -> None:
    if task.task_type is None:
        task.task_type = task_type
    if function is not None:
        _add_function(task, function)
    if not task.language:
        task.language = shared(language)
    if not task.parent_task_id:
        task.parent_task_id = parent
    if not task.actor_id:
        task.actor_id = actor


def _merge_submitted(task: Task, ev: TaskSubmitted) -> None:
    _merge_info(task, ev.task_type, ev.function, ev.language, ev.parent_task_id, ev.actor_id)
    if ev.time_ms is not None and (task.submit_ms is None or ev.time_ms < task.submit_ms):
        task.submit_ms = ev.time_ms


def _merge_row(task: Task, row: TaskRow) -> None:
    """One TaskUpdate, as its row, merged into its task's record."""
    (_, number, _, task_type, function, language, parent, actor, states, node, worker, pid,
     error_type, error_message, component, spans) = row
    if task_type is not None:
        _merge_info(task, task_type, function, language, parent, actor)
    elif function is not None:
        _add_function(task, function)
    attempts = task.attempts
    if len(attempts) < _INDEXED_FROM:  # (then not in _GROWING: see Task.attempt)
        for attempt in attempts:
            if attempt.number == number:
                break
        else:
            attempt = Attempt(number)
            task.attempts += (attempt,)  # (add_attempt, for a task not in _GROWING)
    else:
        found = task.attempt(number)
        if found is None:
            attempt = Attempt(number)
            task.add_attempt(attempt)
        else:
            attempt = found
    for status, ns in states:
        attempt.add_state(status, ns)
    if not attempt.node_id:
        attempt.node_id = node
    if not attempt.worker_id:
        attempt.worker_id = worker
    if attempt.worker_pid is None and pid is not None:
        attempt.worker_pid = shared(pid)
    if not attempt.error_type:
        attempt.error_type = error_type
    if not attempt.error_message:
        attempt.error_message = error_message
    if component and not attempt.component_type:
        attempt.component_type = shared(component)
    names, times = spans
    if names:
        kept = None
        had, had_ns = attempt.span_names, attempt.span_ns
        # add_span of each into no spans, in short where it can be
        if type(had) is tuple and not had and type(had_ns) is bytes and not had_ns:
            try:
                kept = _span_run(names)
                packed = _pack_int64s(times) if kept is not None else b""
            except (TypeError, struct.error):  # a value of another type: add_span decides
                kept = None
        if kept is not None:
            attempt.span_names, attempt.span_ns = kept, packed
        else:
            for i, name in enumerate(names):
                attempt.add_span(name, times[2 * i], times[2 * i + 1])


# names of an update's spans -> what add_span keeps of them, one by one into an attempt of no
# spans, when that is each of them (names all distinct, at most MAX_NAMED_SPANS named): the
# names as add_span stores and shares them; None when it is not (add_span then, one by one)
_SPAN_RUNS: dict[tuple[str, ...], tuple[str, ...] | None] = {}
_UNKNOWN: Any = object()


def _span_run(names: tuple[str, ...]) -> tuple[str, ...] | None:
    kept = _SPAN_RUNS.get(names, _UNKNOWN)
    if kept is _UNKNOWN:
        kept = None
        if all(type(n) is str for n in names) and len(set(names)) == len(names) \
                and sum(n.startswith(NAMED_SPAN) for n in names) <= MAX_NAMED_SPANS:
            kept = ()
            for name in names:  # the very tuples add_span makes and shares (_GROWN)
                key = (kept, name)
                grown = _GROWN.get(key)
                kept = grown if grown is not None else _grown(key, (*kept, sys.intern(name)))
        if len(_SPAN_RUNS) < _MAX_SHARED:
            _SPAN_RUNS[names] = kept
    return cast("tuple[str, ...] | None", kept)


def merge_function(old: Task, function: FunctionRef | None, seen_module: str,
                   seen_class: str) -> None:
    """The function of a later record (its `function`, `seen_module`, `seen_class`) merged
    into `old`'s: as each of the later record's refs would have been, in turn. (One ref `f`
    merges as merge_function(old, f, f.module, f.class_name): _add_function.)"""
    if function is not None:
        mine = old.function
        if mine is None or not mine.name:
            # each ref of `later` would have replaced `old`'s nameless one in turn
            old.function = function
        elif (not mine.module and seen_module) or (not mine.class_name and seen_class):
            old.function = FunctionRef(mine.module or seen_module,
                                       mine.class_name or seen_class, mine.name)
        old.seen_module = old.seen_module or seen_module
        old.seen_class = old.seen_class or seen_class


def _merge_task(old: Task, later: RecordTuple) -> None:
    """`later`'s record (record_tuple), built from events after all of `old`'s, merged into
    `old`."""
    (_, _, task_type, function, language, parent, actor, submit_ms, attempts, seen_module,
     seen_class) = later
    if old.task_type is None:
        old.task_type = task_type
    merge_function(old, function, seen_module, seen_class)
    old.language = old.language or language
    old.parent_task_id = old.parent_task_id or parent
    old.actor_id = old.actor_id or actor
    if submit_ms is not None and (old.submit_ms is None or submit_ms < old.submit_ms):
        old.submit_ms = submit_ms
    for attempt in attempts:
        found = old.attempt(attempt[0])
        if found is None:
            old.add_attempt(Attempt(*attempt))
        else:
            _merge_attempt(found, attempt)


def _merge_attempt(old: Attempt, later: tuple[Any, ...]) -> None:
    """An attempt's fields (in Attempt's order) of a later record merged into `old`."""
    (_, later_keys, later_ns, node, worker, pid, error_type, error_message, component,
     span_names, span_ns) = later
    # A task's updates come from several processes' files (the submitter's, the executor's):
    # most merges join a side that has states to a side that has only spans, or the reverse.
    keys = old.state_keys
    if not keys:
        old.state_keys, old.state_ns = later_keys, later_ns
    elif later_keys.translate(None, keys) == later_keys:
        # no status in common (the submitter's pending states, the executor's running ones):
        # the later ones follow, as add_state would append them one by one
        key = (keys, later_keys)
        joined = _GROWN.get(key)
        old.state_keys = joined if joined is not None else _grown(key, keys + later_keys)
        old.state_ns += later_ns
    else:
        for status, ns in zip(later_keys, unpack_int64s(later_ns)):
            old.add_state(status, ns)
    old.node_id = old.node_id or node
    old.worker_id = old.worker_id or worker
    if old.worker_pid is None:
        old.worker_pid = pid
    old.error_type = old.error_type or error_type
    old.error_message = old.error_message or error_message
    old.component_type = old.component_type or component
    if not old.span_names:
        old.span_names, old.span_ns = span_names, span_ns
    else:
        times = unpack_int64s(span_ns)
        for i, name in enumerate(span_names):
            old.add_span(name, times[2 * i], times[2 * i + 1])


# The extension (the parallel reader's batches folded, its pieces' blobs), when it is built and
# not turned off; the Python code above otherwise.
_NATIVE = records_native.load(Task, Attempt, _SHARED, _GROWN, _MAX_SHARED, merge_tasks_python,
                              merge_task)
