"""The task records the extension _records (flowinsight/native/) works with: it is built and in
use, with the fields it knows; tables of consecutive runs merged by merge_task_tables equal the
merge of the whole; records pickle and unpickle to equal records, in a process where the
extension is off too; a shared value never stands for an equal one of another type. The C fold
of batches and the blobs are held to the Python code by tests/test_fold_batches.py,
test_records_blob.py and test_records_into.py (which take this file's generated events and
odd records).
"""

from __future__ import annotations

import dataclasses
import pickle
import random
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SAMPLES, with_native
from flowinsight.model.events import Event, FunctionRef, Span, TaskSubmitted, TaskType, TaskUpdate
from flowinsight.pipeline import records_native, tasks
from flowinsight.pipeline.tasks import Attempt, Task
from flowinsight.read import discover, read_capture
from flowinsight.switch import native_on
from parity_support import snapshot

if not native_on():
    pytest.skip("FLOWINSIGHT_NATIVE=0: the native records are off", allow_module_level=True)

Table = dict[str, Task]
Merge = Callable[[Sequence[Event], Table], object]


# ---------------------------------------------------------------------------------------------
# The samples


def capture_dirs() -> list[Path]:
    """Every directory under samples/ that holds a session."""
    return sorted(p for p in SAMPLES.rglob("*") if p.is_dir()
                  and any(c.is_dir() and c.name.startswith("session_") for c in p.iterdir()))


CAPTURE_NAMES = [str(p.relative_to(SAMPLES)) for p in capture_dirs()]


_EVENTS: dict[str, list[Event]] = {}


def events_of(path: Path) -> list[Event]:
    key = str(path)
    if key not in _EVENTS:
        _EVENTS[key] = list(read_capture(discover([key])).events)
    return _EVENTS[key]


def test_the_extension_is_built_and_used() -> None:
    from flowinsight.pipeline import _records

    assert tasks._NATIVE is not None, "_records in flowinsight/native/ is not built"
    assert records_native.active() is not None and _records.fold_batch is not None
    # the fields the extension fills, in its order: a new field turns it off, and fails here
    for cls, names in ((Task, records_native.TASK_FIELDS), (Attempt, records_native.ATTEMPT_FIELDS),
                       (FunctionRef, records_native.FUNCTION_FIELDS)):
        assert tuple(f.name for f in dataclasses.fields(cls)) == names  # type: ignore[arg-type]
    assert len(CAPTURE_NAMES) >= 7


def _event_sets(scale_dir: Path) -> list[list[Event]]:
    return [events_of(SAMPLES / n) for n in CAPTURE_NAMES] + [events_of(scale_dir)[:4000]]


@pytest.fixture(scope="module")
def event_sets(scale_dir: Path) -> list[list[Event]]:
    return _event_sets(scale_dir)


def merge_runs(events: Sequence[Event], points: list[int], merge: Merge,
               merge_tables: Callable[[Table, Table], None]) -> Table:
    runs = [events[a:b] for a, b in zip(points, points[1:])]
    tables: list[Table] = []
    for run in runs:
        table: Table = {}
        merge(run, table)
        tables.append(table)
    for later in tables[1:]:
        merge_tables(tables[0], later)
    return tables[0]


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), cuts=st.lists(st.floats(0, 1), max_size=8))
def test_consecutive_runs_merge_as_the_whole(event_sets: list[list[Event]],
                                             data: st.DataObject, cuts: list[float]) -> None:
    events = data.draw(st.sampled_from(event_sets))
    if data.draw(st.booleans()):
        events = list(events)
        random.Random(data.draw(st.integers(0, 2**32))).shuffle(events)
    n = len(events)
    points = sorted({0, n, *(int(c * n) for c in cuts)})
    whole = snapshot(tasks.merge_tasks(events, {}))
    assert snapshot(merge_runs(events, points, tasks.merge_tasks, tasks.merge_task_tables)) \
        == whole


# ---------------------------------------------------------------------------------------------
# Generated events

TASK_IDS = ["ab" * 20 + "01000000", "cd" * 20 + "02000000", "ff" * 24, "12345678" * 6, "short",
            ""]
IDS = ["", "aa" * 28, "bb" * 28, "p1"]
TIMES = st.one_of(st.integers(0, 40), st.integers(1_700_000_000 * 10**9, 1_700_000_000 * 10**9 + 9),
                  st.sampled_from([-(2**63), 2**63 - 1, -1]))
SPAN_NAMES = ["task:execute", "task::f", "task:store_outputs", "task:deserialize_arguments", ""]
FUNCTIONS = st.builds(FunctionRef, st.sampled_from(["", "mod", "pkg.mod"]),
                      st.sampled_from(["", "Cls", "Other"]), st.sampled_from(["", "f", "g"]))
ODD_VALUES = [
    None, 7, -1, 0, 2**63, 2**70, -(2**63) - 1, "", "zz", b"by", 1.5, True, False, (), [], ("x",),
    ((1, 2),), ((300, 1),), ((-1, 3),), ((1, 2**64),), ((True, 1),), ((1, 1.0),), ((1, 2, 3),),
    ([1, 2],), [(1, 2)], (Span("n", 2**64, 1),), (Span("task::f", 1, -(2**63) - 1),),
    (Span(7, 1, 2),), (Span("n", 1.5, 2),), (("n", 1, 2),), FunctionRef("m", "c", "f"),
    FunctionRef(1, "", "f"), FunctionRef("", "", ""), FunctionRef("", "c", 3), TaskType.ACTOR,
    "NORMAL_TASK",  # a task type that is not a TaskType: the Python code only stores it
]
ODD = st.sampled_from(ODD_VALUES)


@st.composite
def updates(draw: st.DrawFn) -> TaskUpdate:
    fields: dict[str, Any] = dict(
        task_id=draw(st.sampled_from(TASK_IDS)),
        attempt=draw(st.integers(0, 2)),
        job_id=draw(st.sampled_from(["", "01000000", "03000000"])),
        task_type=draw(st.none() | st.sampled_from(TaskType)),
        function=draw(st.none() | FUNCTIONS),
        language=draw(st.sampled_from(["", "PYTHON", "JAVA"])),
        parent_task_id=draw(st.sampled_from(TASK_IDS[:3])),
        actor_id=draw(st.sampled_from(IDS)),
        states=tuple(draw(st.lists(st.tuples(st.integers(0, 12), TIMES), max_size=5))),
        node_id=draw(st.sampled_from(IDS)),
        worker_id=draw(st.sampled_from(IDS)),
        worker_pid=draw(st.none() | st.integers(1, 4) | st.integers(2**62, 2**80)),
        error_type=draw(st.sampled_from(["", "TASK_EXECUTION_EXCEPTION"])),
        error_message=draw(st.sampled_from(["", "boom", "other"])),
        component_type=draw(st.sampled_from(["", "worker", "driver"])),
        spans=tuple(draw(st.lists(st.builds(Span, st.sampled_from(SPAN_NAMES), TIMES, TIMES),
                                  max_size=4))),
    )
    for _ in range(draw(st.sampled_from([0, 0, 0, 0, 0, 0, 1, 2]))):  # now and then, odd fields
        fields[draw(st.sampled_from(sorted(fields)))] = draw(ODD)
    return TaskUpdate(**fields)


submitted = st.builds(
    TaskSubmitted, st.sampled_from(TASK_IDS), st.sampled_from(TaskType),
    st.sampled_from(TASK_IDS[:3]), st.sampled_from(IDS), st.sampled_from(IDS),
    st.sampled_from(["", "01000000"]),
    st.none() | st.floats(0, 10, allow_nan=False) | st.sampled_from([3, float("nan")]),
    FUNCTIONS, st.sampled_from(["", "PYTHON"]))
event_lists = st.lists(st.one_of(updates(), updates(), updates(), submitted), max_size=40)


TASK_ID = "ab" * 20 + "01000000"
BASE = TaskUpdate(TASK_ID, 1, "", TaskType.NORMAL, FunctionRef("", "", "f"), "PYTHON", "p", "a",
                  ((1, 10), (2, 20)), "n", "w", 7, "", "", "worker",
                  (Span("task:execute", 1, 2), Span("y", 5, 6)))
BEFORE = [TaskUpdate(TASK_ID, 1, "", None, FunctionRef("m", "", "f"), "", "", "", ((1, 5), (3, 30)),
                     "", "", None, "E", "", "", (Span("task:execute", 0, 1), Span("x", 3, 4))),
          TaskUpdate(TASK_ID, 0, "", None, None, "", "", "", ((4, 1),), "", "", None, "", "", "",
                     ())]


def odd_records() -> Iterator[Task]:
    """The record of BEFORE with one field (of the record or of its attempt) odd."""
    for field in records_native.TASK_FIELDS:
        for odd in ODD_VALUES:
            task = tasks.merge_tasks_python(BEFORE, {})[TASK_ID]
            setattr(task, field, odd)
            yield task
    for field in records_native.ATTEMPT_FIELDS:
        for odd in [*ODD_VALUES, b"\x01\x02\x03", b"12345678" * 3, ("a", 7), ("a", "b")]:
            task = tasks.merge_tasks_python(BEFORE, {})[TASK_ID]
            setattr(task.attempts[0], field, odd)
            yield task
    # many statuses (repeated ones too) and many spans: more than the C code keeps on its stack
    task = tasks.merge_tasks_python(BEFORE, {})[TASK_ID]
    task.attempts[0].state_keys = bytes(range(256)) + bytes(range(44))
    task.attempts[0].state_ns = b"".join(i.to_bytes(8, "little") for i in range(300))
    task.attempts[0].span_names = tuple(f"s{i}" for i in range(40))
    task.attempts[0].span_ns = bytes(16 * 40)
    yield task


# ---------------------------------------------------------------------------------------------
# Pickling


def test_records_pickle_to_equal_records(scale_dir: Path) -> None:
    table = tasks.merge_tasks(events_of(scale_dir))
    data = pickle.dumps(table, protocol=pickle.HIGHEST_PROTOCOL)
    assert snapshot(pickle.loads(data)) == snapshot(table)


@settings(max_examples=100, deadline=None)
@given(events=event_lists)
def test_generated_records_pickle_to_equal_records(events: list[Event]) -> None:
    table: Table = {}
    try:
        tasks.merge_tasks(events, table)
    except Exception:
        pass
    assert snapshot(pickle.loads(pickle.dumps(table))) == snapshot(table)


def test_a_process_with_the_extension_off_unpickles_records() -> None:
    table = tasks.merge_tasks(events_of(SAMPLES / "sage_pipeline"))
    code = ("import pickle, sys\n"
            "table = pickle.loads(sys.stdin.buffer.read())\n"
            "from flowinsight.pipeline import tasks\n"
            "assert tasks._NATIVE is None\n"
            "assert all(type(t) is tasks.Task for t in table.values())\n"
            "sys.stdout.buffer.write(pickle.dumps(table))\n")
    assert snapshot(pickle.loads(with_native(False, code, pickle.dumps(table)))) == \
        snapshot(table)


@pytest.mark.parametrize("first", [False, True, 0.0, 1.0])
def test_a_shared_value_never_stands_for_an_equal_one_of_another_type(first: object) -> None:
    """tasks.shared (and the C fold's, native/shared.c) store one copy of equal values:
    0 == False == 0.0 must
    not come back as one another (a pid of 0 turned False once a False had been seen)."""
    later = int(first)  # type: ignore[call-overload]
    other = TASK_ID[:-8] + "02000000"
    table = tasks.merge_tasks([dataclasses.replace(BASE, worker_pid=first),  # type: ignore
                               dataclasses.replace(BASE, task_id=other, worker_pid=later)], {})
    assert type(table[other].attempts[0].worker_pid) is int
    assert table[other].attempts[0].worker_pid == later
    assert tasks.shared(later) is not first and type(tasks.shared(later)) is int
