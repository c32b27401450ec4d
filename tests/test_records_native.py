"""The C merging of task records (_records in flowinsight/native/) gives exactly what the Python
code of flowinsight/pipeline/tasks.py gives.

Held here, comparing every field of every Task and Attempt (value and type) and the order of the
table: the extension is built and in use; merge_tasks in C equals the Python merge_tasks on the
events of every sample capture, in their order and shuffled; tables of consecutive runs merged
by merge_task_tables in C equal the Python merge and the whole; on generated events (TaskUpdates
with random states, times, spans, functions and attempts, TaskSubmitted events between them, and
fields of unexpected types or ranges that the C code must hand back to Python) the two paths
give the same table and the same exception, if any; records pickle and unpickle to equal
records, by either constructor and in a process where the extension is off; and the C tables
are no bigger in memory than the Python ones.
"""

from __future__ import annotations

import copy
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
from parity_support import snapshot, snapshot_attempt

if not native_on():
    pytest.skip("FLOWINSIGHT_NATIVE=0: the native records are off", allow_module_level=True)

Table = dict[str, Task]
Merge = Callable[[Sequence[Event], Table], object]


# ---------------------------------------------------------------------------------------------
# Comparing tables


def outcome(merge: Merge, events: Sequence[Event], table: Table | None = None) -> Any:
    table = {} if table is None else table
    try:
        merge(events, table)
        error = None
    except Exception as exc:  # the same exception either way, with the same table after it
        error = (type(exc), str(exc))
    return error, snapshot(table)


def c_merge(events: Sequence[Event], table: Table) -> object:
    return tasks.merge_tasks(events, table)


def py_merge(events: Sequence[Event], table: Table) -> object:
    return tasks.merge_tasks_python(events, table)


def assert_same_merge(events: Sequence[Event]) -> Table:
    c_table: Table = {}
    py_table: Table = {}
    assert outcome(c_merge, events, c_table) == outcome(py_merge, events, py_table)
    return c_table


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
    assert tasks._make_task is _records.make_task
    assert tasks._make_attempt is _records.make_attempt
    # the fields the extension fills, in its order: a new field turns it off, and fails here
    for cls, names in ((Task, records_native.TASK_FIELDS), (Attempt, records_native.ATTEMPT_FIELDS),
                       (FunctionRef, records_native.FUNCTION_FIELDS),
                       (TaskUpdate, records_native.UPDATE_FIELDS),
                       (Span, records_native.SPAN_FIELDS)):
        assert tuple(f.name for f in dataclasses.fields(cls)) == names  # type: ignore[arg-type]
    assert len(CAPTURE_NAMES) >= 7


@pytest.mark.parametrize("name", CAPTURE_NAMES)
def test_every_sample_capture_merges_the_same(name: str) -> None:
    events = events_of(SAMPLES / name)
    table = assert_same_merge(events)
    assert table and all(type(t) is Task for t in table.values())
    assert snapshot(tasks.merge_tasks(iter(events))) == snapshot(table)  # any iterable


def test_the_scale_sample_merges_the_same(scale_dir: Path) -> None:
    events = events_of(scale_dir)
    table = assert_same_merge(events)
    assert len(table) > 10_000


def _event_sets(scale_dir: Path) -> list[list[Event]]:
    return [events_of(SAMPLES / n) for n in CAPTURE_NAMES] + [events_of(scale_dir)[:4000]]


@pytest.fixture(scope="module")
def event_sets(scale_dir: Path) -> list[list[Event]]:
    return _event_sets(scale_dir)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_shuffled_events_merge_the_same(event_sets: list[list[Event]], data: st.DataObject) -> None:
    events = list(data.draw(st.sampled_from(event_sets)))
    random.Random(data.draw(st.integers(0, 2**32))).shuffle(events)
    assert_same_merge(events)


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
def test_consecutive_runs_merge_the_same(event_sets: list[list[Event]], data: st.DataObject,
                                         cuts: list[float]) -> None:
    events = data.draw(st.sampled_from(event_sets))
    if data.draw(st.booleans()):
        events = list(events)
        random.Random(data.draw(st.integers(0, 2**32))).shuffle(events)
    n = len(events)
    points = sorted({0, n, *(int(c * n) for c in cuts)})
    whole = snapshot(tasks.merge_tasks_python(events, {}))
    c = merge_runs(events, points, c_merge, tasks.merge_task_tables)
    py = merge_runs(events, points, py_merge, tasks.merge_task_tables_python)
    assert snapshot(c) == snapshot(py) == whole
    # and each merge on the other's tables
    assert snapshot(merge_runs(events, points, py_merge, tasks.merge_task_tables)) == whole
    assert snapshot(merge_runs(events, points, c_merge, tasks.merge_task_tables_python)) == whole


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


@settings(max_examples=600, deadline=None)
@given(events=event_lists)
def test_generated_events_merge_the_same(events: list[Event]) -> None:
    assert_same_merge(events)


@settings(max_examples=300, deadline=None)
@given(events=event_lists, cuts=st.lists(st.floats(0, 1), max_size=4))
def test_generated_tables_merge_the_same(events: list[Event], cuts: list[float]) -> None:
    n = len(events)
    points = sorted({0, max(n, 1), *(int(c * n) for c in cuts)})

    def tables() -> list[Table]:
        out: list[Table] = []
        for a, b in zip(points, points[1:]):
            table: Table = {}
            try:
                tasks.merge_tasks_python(events[a:b], table)
            except Exception:
                pass  # a table as far as it got: odd records for the merges below
            out.append(table)
        return out

    def merged(merge_tables: Callable[[Table, Table], None]) -> Any:
        parts = tables()
        try:
            for later in parts[1:]:
                merge_tables(parts[0], later)
            error = None
        except Exception as exc:
            error = (type(exc), str(exc))
        return error, snapshot(parts[0])

    assert merged(tasks.merge_task_tables) == merged(tasks.merge_task_tables_python)


TASK_ID = "ab" * 20 + "01000000"
BASE = TaskUpdate(TASK_ID, 1, "", TaskType.NORMAL, FunctionRef("", "", "f"), "PYTHON", "p", "a",
                  ((1, 10), (2, 20)), "n", "w", 7, "", "", "worker",
                  (Span("task:execute", 1, 2), Span("y", 5, 6)))
BEFORE = [TaskUpdate(TASK_ID, 1, "", None, FunctionRef("m", "", "f"), "", "", "", ((1, 5), (3, 30)),
                     "", "", None, "E", "", "", (Span("task:execute", 0, 1), Span("x", 3, 4))),
          TaskUpdate(TASK_ID, 0, "", None, None, "", "", "", ((4, 1),), "", "", None, "", "", "",
                     ())]


def test_every_odd_field_of_an_update_goes_to_python() -> None:
    for field in records_native.UPDATE_FIELDS:
        for odd in ODD_VALUES:
            update = dataclasses.replace(BASE, **{field: odd})
            for events in ([update], [*BEFORE, update], [*BEFORE, update, BASE]):
                assert_same_merge(events)


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


def test_odd_records_go_to_python() -> None:
    many = TaskUpdate(TASK_ID, 1, "", None, None, "", "", "",
                      tuple((i, 500 - i) for i in range(256)), "", "", None, "", "", "",
                      tuple(Span(f"t{i}", i, i) for i in range(70)))
    good = tasks.merge_tasks_python([*BEFORE, BASE, many], {})[TASK_ID]
    for odd in odd_records():
        for events in ([BASE], [BASE, many, BASE]):
            c_table: Table = {TASK_ID: copy.deepcopy(odd)}
            py_table: Table = {TASK_ID: copy.deepcopy(odd)}
            assert outcome(c_merge, events, c_table) == outcome(py_merge, events, py_table)
        for first, later in ((odd, good), (good, odd)):
            results = []
            for merge_tables in (tasks.merge_task_tables, tasks.merge_task_tables_python):
                into = {TASK_ID: copy.deepcopy(first)}
                try:
                    merge_tables(into, {TASK_ID: copy.deepcopy(later), "other": copy.deepcopy(odd)})
                    error = None
                except Exception as exc:
                    error = (type(exc), str(exc))
                results.append((error, snapshot(into)))
            assert results[0] == results[1]


def unset(cls: type, **fields: Any) -> Any:
    """An instance with only these slots set."""
    obj = object.__new__(cls)
    for name, value in fields.items():
        object.__setattr__(obj, name, value)
    return obj


def test_odd_tables_and_events_go_to_python() -> None:
    """Records the C code does not take (not a Task, fields of other types, unset slots) are the
    Python code's, errors and all."""
    update = TaskUpdate("ab" * 24, 0, "", None, None, "", "", "", ((1, 5),), "", "", None, "",
                        "", "", ())
    half = unset(TaskUpdate, **{f: getattr(update, f) for f in records_native.UPDATE_FIELDS[:-1]})
    assert_same_merge([update, half])
    assert_same_merge([unset(TaskUpdate)])

    def without_pid() -> Task:
        attempt = Attempt(0)
        object.__delattr__(attempt, "worker_pid")
        return Task("ab" * 24, "", attempts=(attempt,))

    def without_seen_class() -> Task:
        task = Task("ab" * 24, "")
        object.__delattr__(task, "seen_class")
        return task

    for make in (without_pid, without_seen_class):
        c_table: Table = {"ab" * 24: make()}
        py_table: Table = {"ab" * 24: make()}
        assert outcome(c_merge, [update], c_table) == outcome(py_merge, [update], py_table)
    for odd in (None, "not a task", Task("x", "y", language=7),  # type: ignore[arg-type]
                Task("x", "y", attempts=(Attempt(0, state_keys=b"\x01", state_ns=b"12"),)),
                Task("x", "y", attempts=[Attempt(0)]),  # type: ignore[arg-type]
                Task("x", "y", submit_ms=3)):  # type: ignore[arg-type]
        for events in ([update], [update, update]):
            c_table: Table = {update.task_id: odd}  # type: ignore[dict-item]
            py_table: Table = {update.task_id: pickle.loads(pickle.dumps(odd))}  # type: ignore
            assert outcome(c_merge, events, c_table) == outcome(py_merge, events, py_table)
        later = {"x": Task("x", "y", submit_ms=1.0, attempts=(Attempt(0, span_names=("a",),
                                                                      span_ns=b"1" * 16),))}
        results = []
        for merge_tables in (tasks.merge_task_tables, tasks.merge_task_tables_python):
            into: Table = {"x": pickle.loads(pickle.dumps(odd))}  # type: ignore[dict-item]
            try:
                merge_tables(into, pickle.loads(pickle.dumps(later)))
                error = None
            except Exception as exc:
                error = (type(exc), str(exc))
            results.append((error, snapshot(into)))
        assert results[0] == results[1]


# ---------------------------------------------------------------------------------------------
# Pickling


def test_records_pickle_to_equal_records(scale_dir: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    table = tasks.merge_tasks(events_of(scale_dir))
    data = pickle.dumps(table, protocol=pickle.HIGHEST_PROTOCOL)
    assert b"_records" in data and b"make_task" in data
    assert snapshot(pickle.loads(data)) == snapshot(table)
    # a piece pickled by the Python constructors loads the same
    monkeypatch.setattr(tasks, "_make_task", Task)
    monkeypatch.setattr(tasks, "_make_attempt", Attempt)
    plain = pickle.dumps(table, protocol=pickle.HIGHEST_PROTOCOL)
    assert b"make_task" not in plain
    assert snapshot(pickle.loads(plain)) == snapshot(table)


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
            "assert tasks._NATIVE is None and tasks._make_task is tasks.Task\n"
            "assert all(type(t) is tasks.Task for t in table.values())\n"
            "sys.stdout.buffer.write(pickle.dumps(table))\n")
    assert snapshot(pickle.loads(with_native(False, code, pickle.dumps(table)))) == \
        snapshot(table)


def test_make_task_and_make_attempt_check_their_arguments() -> None:
    from flowinsight.pipeline import _records

    with pytest.raises(TypeError):
        _records.make_task("only one")
    with pytest.raises(TypeError):
        _records.make_attempt()
    attempt = _records.make_attempt(*dataclasses.astuple(Attempt(3, b"\x01", b"\0" * 8)))
    assert snapshot_attempt(attempt) == snapshot_attempt(Attempt(3, b"\x01", b"\0" * 8))


# ---------------------------------------------------------------------------------------------
# Memory






def test_c_records_are_no_bigger_than_python_ones(scale_dir: Path) -> None:
    events = events_of(scale_dir)
    c = tasks.merge_tasks(events)
    py = tasks.merge_tasks_python(events, {})
    c_bytes, c_count = tasks.footprint(c)
    py_bytes, py_count = tasks.footprint(py)
    assert c_bytes <= py_bytes and c_count <= py_count
    # the values shared: one state-key string and one span-name tuple per distinct value
    for field in ("state_keys", "span_names", "component_type"):
        values = [getattr(a, field) for t in c.values() for a in t.attempts]
        assert len({id(v) for v in values}) <= len(set(values)) + 8


@pytest.mark.parametrize("merge", [tasks.merge_tasks, tasks.merge_tasks_python])
@pytest.mark.parametrize("first", [False, True, 0.0, 1.0])
def test_a_shared_value_never_stands_for_an_equal_one_of_another_type(
        merge: Callable[..., Table], first: object) -> None:
    """tasks.shared (and its C twin) store one copy of equal values: 0 == False == 0.0 must
    not come back as one another (a pid of 0 turned False once a False had been seen)."""
    later = int(first)  # type: ignore[call-overload]
    other = TASK_ID[:-8] + "02000000"
    table = merge([dataclasses.replace(BASE, worker_pid=first),  # type: ignore[arg-type]
                   dataclasses.replace(BASE, task_id=other, worker_pid=later)], {})
    assert type(table[other].attempts[0].worker_pid) is int
    assert table[other].attempts[0].worker_pid == later
    assert tasks.shared(later) is not first and type(tasks.shared(later)) is int
