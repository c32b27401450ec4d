"""Task records sent from a worker as one blob (_records in flowinsight/native/: dump_tasks,
load_tasks; flowinsight.pipeline.records_native; Partial's pickling) come back exactly.

Held here, comparing every field of every Task and Attempt (value and type) and the order of the
table: the tables of every sample capture and of the scale sample, and generated tables of odd
but ordinary values (None pids, empty and non-ASCII strings, surrogates, int64 extremes, nan,
many statuses and spans, attempts without states), go through dump_tasks and come back equal,
by the C loader and by the Python one; FunctionRefs shared within a table stay shared; what a
blob cannot hold exactly (ints beyond int64, bools, subclasses, unset slots, ...) raises
Unrepresentable and the Partial is pickled as before; loaded records are no bigger in memory
than unpickled ones; bytes that are not a blob (cut short, mutated, extended) raise ValueError
from both loaders alike, never anything else; a process without the extension reads a blob; and
the parallel reader, whose pieces now travel as blobs, gives what one process gives.
"""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SAMPLES, render, with_native
from flowinsight.model.events import FunctionRef, TaskType
from flowinsight.pipeline import Reducer, analyze, analyze_partial, records_native, tasks
from flowinsight.pipeline.partial import Partial, merge_partials, reduce_events
from flowinsight.pipeline.tasks import Attempt, Task
from flowinsight.read import discover, read_capture
from flowinsight.read.parallel import ReadStats, read_group, read_reduced
from flowinsight.switch import native_on

if not native_on():
    pytest.skip("FLOWINSIGHT_NATIVE=0: the native records are off", allow_module_level=True)

from flowinsight.pipeline import _records  # noqa: E402  (built: test_records_native checks)
from parity_support import snapshot  # noqa: E402

Table = dict[str, Task]
Load = Callable[[bytes], Table]
LOADERS: dict[str, Load] = {"C": _records.load_tasks, "Python": records_native.load_tasks_python}


# ---------------------------------------------------------------------------------------------
# Comparing tables

def assert_round_trip(table: Table) -> bytes:
    blob = _records.dump_tasks(table)
    assert type(blob) is bytes
    want = snapshot(table)
    for name, load in LOADERS.items():
        got = load(blob)
        assert snapshot(got) == want, name
        assert all(key is task.task_id for key, task in got.items())
    return blob


# ---------------------------------------------------------------------------------------------
# The samples


def capture_dirs() -> list[Path]:
    """Every directory under samples/ that holds a session."""
    return sorted(p for p in SAMPLES.rglob("*") if p.is_dir()
                  and any(c.is_dir() and c.name.startswith("session_") for c in p.iterdir()))


CAPTURE_NAMES = [str(p.relative_to(SAMPLES)) for p in capture_dirs()]
_PARTIALS: dict[str, Partial] = {}


def partial_of(path: Path) -> Partial:
    key = str(path)
    if key not in _PARTIALS:
        _PARTIALS[key] = reduce_events(read_capture(discover([key])).events)
    return _PARTIALS[key]


def test_the_blob_is_in_use() -> None:
    native = records_native.active()
    assert native is not None and native is tasks._NATIVE
    assert native.dump_tasks is _records.dump_tasks and native.load_tasks is _records.load_tasks
    assert len(CAPTURE_NAMES) >= 7
    data = pickle.dumps(partial_of(SAMPLES / "sage_pipeline"))
    assert b"_from_blob" in data and b"make_task" not in data


@pytest.mark.parametrize("name", CAPTURE_NAMES)
def test_every_sample_capture_comes_back_the_same(name: str) -> None:
    partial = partial_of(SAMPLES / name)
    assert partial.tasks
    assert_round_trip(partial.tasks)
    for protocol in (2, pickle.DEFAULT_PROTOCOL, pickle.HIGHEST_PROTOCOL):
        back = pickle.loads(pickle.dumps(partial, protocol=protocol))
        assert snapshot(back.tasks) == snapshot(partial.tasks)
        assert back == partial  # every other field too


def test_the_scale_sample_comes_back_the_same(scale_dir: Path) -> None:
    partial = partial_of(scale_dir)
    assert len(partial.tasks) > 10_000
    blob = assert_round_trip(partial.tasks)
    assert len(blob) < len(pickle.dumps(partial.tasks, protocol=pickle.HIGHEST_PROTOCOL))


# ---------------------------------------------------------------------------------------------
# Memory: loaded records are no bigger than unpickled ones






def test_loaded_records_are_no_bigger_than_unpickled_ones(scale_dir: Path) -> None:
    events = read_capture(discover([str(scale_dir)])).events
    n = len(events)
    points = [n * i // 6 for i in range(7)]
    pieces = [tasks.merge_tasks(events[a:b]) for a, b in zip(points, points[1:])]
    blobs = [_records.dump_tasks(p) for p in pieces]
    pickles = [pickle.dumps(p, protocol=pickle.HIGHEST_PROTOCOL) for p in pieces]

    def merged(load: Callable[[Any], Table], data: list[Any]) -> Table:
        into = load(data[0])
        for later in data[1:]:
            tasks.merge_task_tables(into, load(later))
        return into

    for one_blob, one_pickle in zip(blobs, pickles):
        loaded, unpickled = tasks.footprint(_records.load_tasks(one_blob)), tasks.footprint(
            pickle.loads(one_pickle))
        assert loaded[0] <= unpickled[0] and loaded[1] <= unpickled[1]
    from_blobs = merged(_records.load_tasks, blobs)
    from_pickles = merged(pickle.loads, pickles)
    assert snapshot(from_blobs) == snapshot(from_pickles) == snapshot(tasks.merge_tasks(events))
    blob_size, pickle_size = tasks.footprint(from_blobs), tasks.footprint(from_pickles)
    assert blob_size[0] <= pickle_size[0] and blob_size[1] <= pickle_size[1]
    # one stored copy of each state-key string, span-name tuple, language, component, pid
    attempts = [a for t in from_blobs.values() for a in t.attempts]
    for values in ([a.state_keys for a in attempts], [a.span_names for a in attempts],
                   [a.component_type for a in attempts], [a.worker_pid for a in attempts],
                   [t.language for t in from_blobs.values()]):
        assert len({id(v) for v in values}) <= len(set(values)) + 8


# ---------------------------------------------------------------------------------------------
# Generated records

INT64 = st.integers(-(2**63), 2**63 - 1)
CHARS = st.characters(blacklist_categories=())  # surrogates too
STRS = st.one_of(st.sampled_from(["", "", "PYTHON", "ab" * 24, "01000000", "worker", "driver",
                                  "task:execute", "é", "\udc80", "\U0001f600"]),
                 st.text(CHARS, max_size=10))
KEYS = st.one_of(st.lists(st.integers(0, 12), unique=True, max_size=8).map(bytes),
                 st.binary(max_size=300))
FUNCTIONS = st.builds(FunctionRef, STRS, STRS, STRS)


@st.composite
def attempts(draw: st.DrawFn) -> Attempt:
    keys = draw(KEYS)
    names = tuple(draw(st.one_of(st.lists(STRS, max_size=4, unique=True),
                                 st.lists(STRS, max_size=80))))
    return Attempt(
        draw(st.one_of(st.integers(0, 3), INT64)), keys,
        draw(st.one_of(st.binary(max_size=0).map(lambda _: bytes(8 * len(keys))),
                       st.binary(max_size=40))),
        draw(STRS), draw(STRS), draw(st.none() | st.integers(1, 5) | INT64), draw(STRS),
        draw(STRS), draw(STRS), names,
        draw(st.one_of(st.binary(max_size=0).map(lambda _: bytes(16 * len(names))),
                       st.binary(max_size=40))))


@st.composite
def tables(draw: st.DrawFn) -> Table:
    shared_refs = draw(st.lists(FUNCTIONS, min_size=1, max_size=3))
    out: Table = {}
    for task_id in draw(st.lists(STRS, unique=True, max_size=12)):
        function = draw(st.one_of(st.none(), st.sampled_from(shared_refs), FUNCTIONS))
        out[task_id] = Task(
            task_id, draw(STRS), draw(st.none() | st.sampled_from(TaskType)), function,
            draw(STRS), draw(STRS), draw(STRS),
            draw(st.none() | st.floats() | st.sampled_from([-0.0, float("nan"), 1e300])),
            tuple(draw(st.lists(attempts(), max_size=4))), draw(STRS), draw(STRS))
    return out


@settings(max_examples=200, deadline=None)
@given(table=tables())
def test_generated_tables_come_back_the_same(table: Table) -> None:
    blob = assert_round_trip(table)
    # a FunctionRef shared by records is shared after; distinct ones stay distinct
    def pattern(t: Table) -> list[int]:
        firsts: dict[int, int] = {}
        return [firsts.setdefault(id(task.function), i) for i, task in enumerate(t.values())
                if task.function is not None]
    assert pattern(_records.load_tasks(blob)) == pattern(table)


class StrSub(str):
    pass


class BytesSub(bytes):
    pass


class TupleSub(tuple):  # type: ignore[type-arg]
    pass


class FloatSub(float):
    pass


@dataclasses.dataclass(frozen=True)
class Opaque:
    """Not a FunctionRef (equal by value, for the comparison after pickling)."""

    name: str = "f"


class TaskSub(Task):
    pass


ODD_TASK: dict[str, list[Any]] = {
    "task_id": [7, None, b"x"],
    "job_id": [None, 3, b"", StrSub("sub")],
    "task_type": ["NORMAL_TASK", 1, "ACTOR_TASK"],
    "function": ["f", ("m", "c", "f"), FunctionRef(1, "", "f"),  # type: ignore[arg-type]
                 Opaque()],
    "language": [None, 1.0],
    "submit_ms": [3, True, 2**70, "1.0", FloatSub(1.0)],
    "attempts": [[], None, (None,), ("a",), (Attempt(0),) * 2 + ([],)],
    "seen_class": [None],
}
ODD_ATTEMPT: dict[str, list[Any]] = {
    "number": [2**63, -(2**63) - 1, True, 1.0, None, "0"],
    "state_keys": ["", bytearray(b"x"), BytesSub(b"x"), None],
    "state_ns": [None, bytearray(b"12345678")],
    "node_id": [None, 5],
    "worker_pid": [2**63, 2**80, -(2**63) - 1, False, 1.5, "7"],
    "error_message": [b"boom"],
    "span_names": [["a"], ("a", 1), ("a", None), TupleSub(("a",))],
    "span_ns": ["", None, bytearray(16)],
}


def odd_tables() -> Iterator[tuple[str, Table]]:
    base = Task("ab" * 24, "01000000", TaskType.NORMAL, FunctionRef("m", "", "f"), "PYTHON",
                attempts=(Attempt(0, b"\x01", bytes(8), "n", "w", 7, span_names=("x",),
                                  span_ns=bytes(16)),))
    for name, values in ODD_TASK.items():
        for value in values:
            task = pickle.loads(pickle.dumps(base))
            object.__setattr__(task, name, value)
            yield f"Task.{name}={value!r}", {task.task_id: task}
    for name, values in ODD_ATTEMPT.items():
        for value in values:
            task = pickle.loads(pickle.dumps(base))
            object.__setattr__(task.attempts[0], name, value)
            yield f"Attempt.{name}={value!r}", {task.task_id: task}
    for cls, field in ((Task, "seen_module"), (Attempt, "worker_pid"), (FunctionRef, "name")):
        task = pickle.loads(pickle.dumps(base))
        owner = {Task: task, Attempt: task.attempts[0], FunctionRef: task.function}[cls]
        object.__delattr__(owner, field)
        yield f"{cls.__name__}.{field} unset", {task.task_id: task}
    yield "a key that is not the task id", {"other": pickle.loads(pickle.dumps(base))}
    yield "a key of another type", {7: base}  # type: ignore[dict-item]
    yield "a str subclass key", {StrSub(base.task_id): base}
    yield "not a record", {base.task_id: None}  # type: ignore[dict-item]
    yield "a record subclass", {base.task_id: TaskSub(base.task_id, "")}


def test_what_a_blob_cannot_hold_exactly_is_pickled_as_before() -> None:
    for what, table in odd_tables():
        with pytest.raises(_records.Unrepresentable):
            _records.dump_tasks(table)
        assert records_native.dump_tasks(table) is None, what
        partial = Partial(table, puts=[], sources={"export_api"})
        try:
            plain = pickle.loads(pickle.dumps(table))
        except Exception as exc:  # a slot unset: no pickling either, as ever
            with pytest.raises(type(exc)):
                pickle.dumps(partial)
            continue
        data = pickle.dumps(partial)
        assert b"_from_blob" not in data, what
        back = pickle.loads(data)
        assert back.sources == {"export_api"}
        assert snapshot(back.tasks) == snapshot(plain), what


def test_a_blob_of_the_usual_values_of_those_fields_is_written() -> None:
    """The odd values above are odd: the same records with ordinary values are written."""
    base = Task("ab" * 24, "01000000", TaskType.ACTOR, None, attempts=(
        Attempt(-(2**63), worker_pid=2**63 - 1), Attempt(2**63 - 1, worker_pid=-(2**63))))
    assert_round_trip({base.task_id: base})
    assert_round_trip({})
    with pytest.raises(TypeError):
        _records.dump_tasks([base])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        _records.load_tasks("FIRB")  # type: ignore[arg-type]
    view = memoryview(_records.dump_tasks({base.task_id: base}))
    assert snapshot(_records.load_tasks(view)) == snapshot(  # type: ignore[arg-type]
        {base.task_id: base})


# ---------------------------------------------------------------------------------------------
# Bytes that are not a blob


def outcome(load: Load, blob: bytes) -> Any:
    try:
        return snapshot(load(blob))
    except ValueError as exc:
        return ValueError, str(exc).split(":")[0]


def both(blob: bytes) -> Any:
    c, py = (outcome(load, blob) for load in LOADERS.values())
    assert c == py
    return c


SMALL_BLOB = _records.dump_tasks({
    "t1": Task("t1", "j", TaskType.NORMAL, FunctionRef("m", "C", "f"), "PYTHON", "p", "",
               1.5, (Attempt(0, b"\x01\x02", bytes(range(16)), "n", "w", 300, "E", "msg",
                             "worker", ("a", "é"), bytes(32)),), "m", "C"),
    "t2": Task("t2", "j", None, None, attempts=(Attempt(1), Attempt(2, worker_pid=-5))),
})


def test_every_cut_of_a_blob_is_refused() -> None:
    for end in range(len(SMALL_BLOB)):
        assert both(SMALL_BLOB[:end])[0] is ValueError, end
    for extra in (b"\0", b"junk", SMALL_BLOB):
        assert both(SMALL_BLOB + extra)[0] is ValueError
    assert both(b"")[0] is ValueError and both(b"FIRB\x02" + SMALL_BLOB[5:])[0] is ValueError
    twice = SMALL_BLOB.replace(b"t2", b"t1")
    assert both(twice) == (ValueError, "not a records blob (dump_tasks)")


BASES = [SMALL_BLOB, _records.dump_tasks(partial_of(SAMPLES / "nested_tasks").tasks)]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    blob = bytearray(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(blob)))
        kind = draw(st.sampled_from(["set", "set", "flip", "insert", "delete", "cut"]))
        if kind == "set" and at < len(blob):
            blob[at] = draw(st.sampled_from([0, 1, 2, 0x7F, 0x80, 0xFF, 0xED, 0xC3]))
        elif kind == "flip" and at < len(blob):
            blob[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "insert":
            blob[at:at] = draw(st.binary(min_size=1, max_size=12))
        elif kind == "delete":
            del blob[at:at + draw(st.integers(1, 12))]
        elif kind == "cut":
            del blob[at:]
    return bytes(blob)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(blob=mutated())
def test_mutated_blobs_are_refused_or_read_alike(blob: bytes) -> None:
    """Either a ValueError from both loaders, or the same table from both: never a crash, never
    another exception."""
    both(blob)


@settings(max_examples=300, deadline=None)
@given(blob=st.binary(max_size=64).map(lambda b: b"FIRB\x01" + b))
def test_random_bytes_after_the_magic_are_refused_or_read_alike(blob: bytes) -> None:
    both(blob)


# ---------------------------------------------------------------------------------------------
# Processes


def test_a_process_with_the_extension_off_reads_a_blob() -> None:
    partial = partial_of(SAMPLES / "sage_pipeline")
    data = pickle.dumps(partial)
    assert b"_from_blob" in data
    code = ("import pickle, sys\n"
            "partial = pickle.loads(sys.stdin.buffer.read())\n"
            "from flowinsight.pipeline import records_native, tasks\n"
            "assert tasks._NATIVE is None and records_native.active() is None\n"
            "out = pickle.dumps(partial)\n"
            "assert b'_from_blob' not in out\n"
            "sys.stdout.buffer.write(out)\n")
    back = pickle.loads(with_native(False, code, data))
    assert snapshot(back.tasks) == snapshot(partial.tasks) and back == partial


def test_a_worker_sends_its_piece_as_a_blob() -> None:
    sources = discover([str(SAMPLES / "sage_pipeline")])
    result = read_group(0, sources, Reducer())
    data = pickle.dumps(result)
    assert b"_from_blob" in data
    assert snapshot(pickle.loads(data).reduced.tasks) == snapshot(result.reduced.tasks)


def test_the_scale_sample_reads_the_same_in_parallel(scale_dir: Path) -> None:
    capture = read_capture(discover([str(scale_dir)]))
    whole = render(analyze(capture), "json")
    for jobs in (2, 3):
        stats = ReadStats()
        account, reduced = read_reduced(discover([str(scale_dir)]), Reducer(), jobs,
                                        min_bytes_per_job=0, stats=stats)
        assert stats.workers == jobs and stats.groups > jobs and not stats.exact_fallback
        assert account == capture.account
        assert snapshot(reduced.tasks) == snapshot(reduce_events(capture.events).tasks)
        assert render(analyze_partial(reduced, account), "json") == whole


def test_pieces_sent_as_blobs_merge_into_the_whole(scale_dir: Path) -> None:
    events = read_capture(discover([str(scale_dir)])).events
    n = len(events)
    points = [n * i // 5 for i in range(6)]
    pieces = [pickle.loads(pickle.dumps(reduce_events(events[a:b])))
              for a, b in zip(points, points[1:])]
    assert snapshot(merge_partials(pieces).tasks) == snapshot(reduce_events(events).tasks)
