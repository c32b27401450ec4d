"""Task records merged in C (flowinsight/pipeline/_records.c), when it is built.

flowinsight.pipeline.tasks stays the reference: its Python merge_tasks, merge_task_tables and
the records' constructors are what the extension does, field for field, only in C:

    merge_updates(events, tasks)     merge_tasks(events, tasks): every TaskUpdate of the usual
                                     shape merged in C, any other event (and any TaskUpdate with
                                     a field of another type, an int beyond int64, a status
                                     beyond 0..255) by the Python merge_tasks, in order
    merge_task_tables(into, later)   merge_task_tables(into, later), each pair of records of the
                                     usual shape in C, any other by the Python _merge_task
    make_task(*fields)               Task(*fields): Task.__reduce__'s constructor, so that
    make_attempt(*fields)            unpickling a worker's piece sets each slot directly

The same values are shared as on the Python side (tasks.py's `_SHARED` and `_GROWN` tables are
handed over and used, with their bound). tests/test_records_native.py holds the two paths to
the same tables.

`load` gives None when the extension is not built (no C compiler at install time) or when the
environment sets FLOWINSIGHT_NATIVE=0: tasks.py then runs its Python code.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from flowinsight.model.events import FunctionRef, Span, TaskUpdate

ENV_VAR = "FLOWINSIGHT_NATIVE"

# The fields the extension knows, in the order of its slots: a field added to a class turns
# the extension off (and tests/test_records_native.py fails) rather than leaving it unset.
TASK_FIELDS = ("task_id", "job_id", "task_type", "function", "language", "parent_task_id",
               "actor_id", "submit_ms", "attempts", "seen_module", "seen_class")
ATTEMPT_FIELDS = ("number", "state_keys", "state_ns", "node_id", "worker_id", "worker_pid",
                  "error_type", "error_message", "component_type", "span_names", "span_ns")
FUNCTION_FIELDS = ("module", "class_name", "name")
UPDATE_FIELDS = ("task_id", "attempt", "job_id", "task_type", "function", "language",
                 "parent_task_id", "actor_id", "states", "node_id", "worker_id", "worker_pid",
                 "error_type", "error_message", "component_type", "spans")
SPAN_FIELDS = ("name", "start_ns", "end_ns")


@dataclass(frozen=True, slots=True)
class Native:
    """The extension's entry points, once configured."""

    merge_updates: Callable[[Sequence[object], dict[str, Any]], None]
    merge_task_tables: Callable[[dict[str, Any], dict[str, Any]], None]
    make_task: Callable[..., Any]
    make_attempt: Callable[..., Any]


def _fields(cls: Any) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def _slots(cls: Any, names: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(cls.__dict__[n] for n in names)


def load(task: type, attempt: type, shared: dict[Any, Any], grown: dict[Any, Any],
         max_shared: int, merge_events: Callable[[Sequence[Any], dict[str, Any]], object],
         merge_task: Callable[[Any, Any], object]) -> Native | None:
    """The extension configured with tasks.py's classes, tables and Python fallbacks
    (merge_events: its Python merge_tasks; merge_task: its _merge_task); None when it is off."""
    if os.environ.get(ENV_VAR, "").strip() == "0":
        return None
    try:
        from flowinsight.pipeline import _records
    except ImportError:
        return None
    classes: tuple[tuple[Any, tuple[str, ...]], ...] = (
        (task, TASK_FIELDS), (attempt, ATTEMPT_FIELDS), (FunctionRef, FUNCTION_FIELDS),
        (TaskUpdate, UPDATE_FIELDS), (Span, SPAN_FIELDS))
    if any(_fields(cls) != names for cls, names in classes):
        return None
    _records.configure(task, _slots(task, TASK_FIELDS), attempt, _slots(attempt, ATTEMPT_FIELDS),
                       FunctionRef, _slots(FunctionRef, FUNCTION_FIELDS),
                       TaskUpdate, _slots(TaskUpdate, UPDATE_FIELDS),
                       Span, _slots(Span, SPAN_FIELDS), shared, grown, max_shared,
                       merge_events, merge_task)
    return Native(_records.merge_updates, _records.merge_task_tables, _records.make_task,
                  _records.make_attempt)
