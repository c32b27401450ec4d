"""Task records merged in C (_records in flowinsight/native/), when it is built.

flowinsight.pipeline.tasks stays the reference: its Python merge_tasks and merge_task_tables
are what the extension does, field for field, only in C, for the parallel reader's pieces:

    dump_tasks(tasks) -> bytes       a table of records as a compact blob (the layout is in
                                     flowinsight/native/records.h), for a worker's piece
                                     (partial.Partial pickles its table so); Unrepresentable
                                     for a table it cannot write
                                     exactly: the caller pickles that one as before
    load_tasks(blob) -> tasks        the table again, values shared as the merge shares them;
                                     ValueError for bytes that are not such a blob
    fold_batch(batch, tasks)         merge_tasks(list(batch), tasks) for a TaskBatch of the C
                                     reader (model.events.TaskUpdateBatch): its updates
                                     folded in without a TaskUpdate each (one the C code does
                                     not take on is built and goes to the Python merge_tasks,
                                     in its place); the number of updates
    load_tasks_into(into, blob)      merge_task_tables(into, load_tasks(blob)), the blob's
                                     records merged straight from it: a record of a task
                                     already in `into` is merged without being built; the
                                     blob is checked whole before `into` is touched (a
                                     ValueError leaves `into` as it was)

The same values are shared as on the Python side (tasks.py's `_SHARED` and `_GROWN` tables are
handed over and used, with their bound). tests/test_records_native.py holds the two paths to
the same tables.

`load` gives None when the extension is not built (no C compiler at install time) or when the
environment sets FLOWINSIGHT_NATIVE=0: tasks.py then runs its Python code.

Blobs are written only where the extension is in use (dump_tasks here gives None otherwise, and
Partial pickles its table as before); load_tasks here reads one anywhere: with the extension
when it is in use, else with load_tasks_python (the same checks, in Python), so that a process
with FLOWINSIGHT_NATIVE=0 or without the build still unpickles a piece sent by one with it.
"""

from __future__ import annotations

import dataclasses
import struct
import sys
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from flowinsight.model.events import (
    FunctionRef,
    TaskRows,
    TaskType,
    TaskUpdateBatch,
)
from flowinsight.switch import native_on

# The fields the extension knows, in the order of its slots: a field added to a class turns
# the extension off (and tests/test_records_native.py fails) rather than leaving it unset.
TASK_FIELDS = ("task_id", "job_id", "task_type", "function", "language", "parent_task_id",
               "actor_id", "submit_ms", "attempts", "seen_module", "seen_class")
ATTEMPT_FIELDS = ("number", "state_keys", "state_ns", "node_id", "worker_id", "worker_pid",
                  "error_type", "error_message", "component_type", "span_names", "span_ns")
FUNCTION_FIELDS = ("module", "class_name", "name")


@dataclass(frozen=True, slots=True)
class Native:
    """The extension's entry points, once configured."""

    dump_tasks: Callable[[dict[str, Any]], bytes]
    load_tasks: Callable[[bytes], dict[str, Any]]
    unrepresentable: type[Exception]
    load_tasks_into: Callable[[dict[str, Any], bytes], None]
    fold_batch: Callable[[Any, dict[str, Any]], int]


# The configured extension, once load() gave one (what dump_tasks and load_tasks below use).
_ACTIVE: Native | None = None


def _fields(cls: Any) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def _slots(cls: Any, names: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(cls.__dict__[n] for n in names)


def load(task: type, attempt: type, shared: dict[Any, Any], grown: dict[Any, Any],
         max_shared: int, merge_events: Callable[[Sequence[Any], dict[str, Any]], object],
         merge_task: Callable[[Any, Any], object]) -> Native | None:
    """The extension configured with tasks.py's classes, tables and Python fallbacks
    (merge_events: its Python merge_tasks; merge_task: its merge_task); None when it is off."""
    if not native_on():
        return None
    try:
        from flowinsight.pipeline import _records
    except ImportError:
        return None
    classes: tuple[tuple[Any, tuple[str, ...]], ...] = (
        (task, TASK_FIELDS), (attempt, ATTEMPT_FIELDS), (FunctionRef, FUNCTION_FIELDS))
    if any(_fields(cls) != names for cls, names in classes):
        return None
    _records.configure(task, _slots(task, TASK_FIELDS), attempt, _slots(attempt, ATTEMPT_FIELDS),
                       FunctionRef, _slots(FunctionRef, FUNCTION_FIELDS), shared, grown,
                       max_shared, merge_events, merge_task, tuple(TaskType))
    global _ACTIVE
    _ACTIVE = Native(_records.dump_tasks, _records.load_tasks,
                     _records.Unrepresentable, _records.load_tasks_into, _records.fold_batch)
    return _ACTIVE


def active() -> Native | None:
    """The extension in use in this process (once tasks.py is imported), or None."""
    return _ACTIVE


def folds_batches() -> bool:
    """Whether fold_batch takes batches in this process: always (the C reader's in C where the
    extension is in use, and through their TaskUpdates elsewhere; the Python reader's rows
    row by row)."""
    return True


def fold_batch(batch: TaskUpdateBatch, tasks: dict[str, Any]) -> int:
    """merge_tasks(list(batch), tasks): the number of updates. The Python reader's TaskRows
    by tasks.merge_rows; the C reader's batches in C when the extension is in use, else
    through their TaskUpdates."""
    if isinstance(batch, TaskRows):
        from flowinsight.pipeline.tasks import merge_rows

        return merge_rows(batch.rows, tasks)
    native = _ACTIVE
    if native is not None and type(tasks) is dict:
        return native.fold_batch(batch, tasks)
    from flowinsight.pipeline.tasks import merge_tasks

    updates = list(batch)
    merge_tasks(updates, tasks)
    return len(updates)


def dump_tasks(tasks: dict[str, Any]) -> bytes | None:
    """A table of records as a blob; None when the extension is not in use, or when the table
    holds something a blob cannot give back exactly (pickle it then)."""
    native = _ACTIVE
    if native is None or type(tasks) is not dict:
        return None
    try:
        return native.dump_tasks(tasks)
    except native.unrepresentable:
        return None


def load_tasks(blob: bytes) -> dict[str, Any]:
    """The table of a dump_tasks blob (by the extension when it is in use, else in Python)."""
    native = _ACTIVE
    return native.load_tasks(blob) if native is not None else load_tasks_python(blob)


def load_tasks_into(into: dict[str, Any], blob: bytes) -> None:
    """merge_task_tables(into, load_tasks(blob)): by the extension when it is in use (the
    blob's records merged straight from it), else in Python. Either way the blob is checked
    whole before `into` is touched: ValueError for one that is not a dump_tasks blob, and
    `into` is left as it was."""
    native = _ACTIVE
    if native is not None and type(into) is dict:
        native.load_tasks_into(into, blob)
    else:
        load_then_merge(into, blob)


def load_then_merge(into: dict[str, Any], blob: bytes) -> None:
    """What load_tasks_into does, the long way (the reference): the blob's table loaded whole
    (load_tasks checks it whole), then merged by tasks.merge_task_tables."""
    from flowinsight.pipeline.tasks import merge_task_tables

    merge_task_tables(into, load_tasks(blob))


# ---------------------------------------------------------------------------------------------
# Blobs read in Python: the layout of _records in native/ (see records.h), with the same checks.

_MAGIC = b"FIRB\x01"
_MIN_TASK = 11  # the fewest bytes of a record and of an attempt: what counts are checked against
_MIN_ATTEMPT = 11
_DOUBLE = struct.Struct("<d")


class _Reader:
    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def varint(self) -> int:
        data, pos = self.data, self.pos
        value = shift = 0
        while True:
            if pos >= len(data):
                raise _corrupt("cut short")
            c = data[pos]
            pos += 1
            if shift == 63 and c > 1:
                raise _corrupt("a varint beyond 64 bits")
            value |= (c & 0x7F) << shift
            if not c & 0x80:
                self.pos = pos
                return value
            shift += 7

    def count(self, each: int) -> int:
        n = self.varint()
        if n > (len(self.data) - self.pos) // each:
            raise _corrupt("a count or length beyond the end")
        return n

    def index(self, limit: int) -> int:
        i = self.varint()
        if i >= limit:
            raise _corrupt("an index out of range")
        return i

    def byte(self, top: int) -> int:
        if self.pos >= len(self.data):
            raise _corrupt("cut short")
        c = self.data[self.pos]
        self.pos += 1
        if c > top:
            raise _corrupt("a bad tag")
        return c

    def raw(self) -> bytes:
        n = self.count(1)
        self.pos += n
        return self.data[self.pos - n:self.pos]

    def str(self) -> str:
        try:
            return self.raw().decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            raise _corrupt("a string that is not UTF-8") from None

    def int64(self) -> int:
        u = self.varint()
        return (u >> 1) ^ -(u & 1)


def _corrupt(what: str) -> ValueError:
    return ValueError(f"not a records blob (dump_tasks): {what}")


def load_tasks_python(blob: bytes) -> dict[str, Any]:
    """load_tasks in Python: for a process where the extension is not in use."""
    from flowinsight.pipeline.tasks import Attempt, Task, shared

    data = bytes(blob)
    if data[:len(_MAGIC)] != _MAGIC:
        raise _corrupt("no magic")
    r = _Reader(data)
    r.pos = len(_MAGIC)
    strs = [""] + [r.str() for _ in range(r.count(1))]
    functions: list[FunctionRef | None] = [None]
    for _ in range(r.count(3)):
        module, class_name, name = (strs[r.index(len(strs))] for _ in range(3))
        functions.append(FunctionRef(module, class_name, name))
    keys = [b""] + [r.raw() for _ in range(r.count(1))]
    names: list[tuple[str, ...]] = [()]
    for _ in range(r.count(1)):
        names.append(tuple(sys.intern(strs[r.index(len(strs))]) for _ in range(r.count(1))))
    types = (None, *TaskType)
    out: dict[str, Any] = {}
    count = r.count(_MIN_TASK)
    for _ in range(count):
        task_id = strs[r.index(len(strs))]
        job_id = strs[r.index(len(strs))]
        task_type = types[r.byte(len(types) - 1)]
        function = functions[r.index(len(functions))]
        language = shared(strs[r.index(len(strs))])
        parent, actor = (strs[r.index(len(strs))] for _ in range(2))
        submit_ms: float | None = None
        if r.byte(1):
            if len(data) - r.pos < 8:
                raise _corrupt("cut short")
            submit_ms = _DOUBLE.unpack_from(data, r.pos)[0]
            r.pos += 8
        attempts = []
        for _ in range(r.count(_MIN_ATTEMPT)):
            number = r.int64()
            state_keys = keys[r.index(len(keys))]
            state_ns = r.raw()
            node, worker = (strs[r.index(len(strs))] for _ in range(2))
            pid = shared(r.int64()) if r.byte(1) else None
            error_type, error_message = (strs[r.index(len(strs))] for _ in range(2))
            component = shared(strs[r.index(len(strs))])
            span_names = names[r.index(len(names))]
            attempts.append(Attempt(number, state_keys, state_ns, node, worker, pid, error_type,
                                    error_message, component, span_names, r.raw()))
        seen_module, seen_class = (strs[r.index(len(strs))] for _ in range(2))
        out[task_id] = Task(task_id, job_id, task_type, function, language, parent, actor,
                            submit_ms, tuple(attempts), seen_module, seen_class)
    if r.pos != len(data):
        raise _corrupt("bytes after the records")
    if len(out) != count:
        raise _corrupt("a task id twice")
    return out
