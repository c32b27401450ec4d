"""load_tasks_into(into, blob): a worker's piece merged into the table before it straight from
its blob (flowinsight/native/merge_tables.c), equals merge_task_tables(into,
load_tasks(blob)) exactly.

Held here, comparing every field of every Task and Attempt (value and type), the order of the
table, and which values are one object (the sharing pattern of every field of every record):
on every sample capture's events cut at random points into consecutive pieces (in order, and
shuffled), the pieces merged in order from their blobs equal the pieces loaded and then merged
(in C and in Python) and equal the whole; on generated tables of odd but representable values
(statuses and spans whose times do not match, which the C merge hands to the Python
_merge_task) and on odd records already in the table, the outcome, exception included, is
the same; a blob that is not a dump_tasks blob is refused with load_tasks' ValueError and leaves
the table as it was; and a Partial keeps its blob until it is merged or read, through pickling,
merge_into, merge_partials and read_reduced (any number of groups, pieces pickled as the Ray
engine's are).
"""

from __future__ import annotations

import copy
import pickle
import random
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SAMPLES, render, with_native
from flowinsight.model.events import Event
from flowinsight.pipeline import Reducer, analyze, analyze_partial, records_native, tasks
from flowinsight.pipeline.partial import merge_into, merge_partials, reduce_events
from flowinsight.pipeline.tasks import Task
from flowinsight.read import discover, read_capture
from flowinsight.read.discover import Source
from flowinsight.read.parallel import Group, GroupResult, R, ReadStats, read_group, read_reduced
from flowinsight.switch import native_on

if not native_on():
    pytest.skip("FLOWINSIGHT_NATIVE=0: the native records are off", allow_module_level=True)

from flowinsight.pipeline import _records  # noqa: E402

from test_records_blob import (  # noqa: E402
    BASES, SMALL_BLOB, CAPTURE_NAMES, mutated, snapshot, tables)
from test_records_native import BEFORE, TASK_ID, odd_records  # noqa: E402

Table = dict[str, Task]


# ---------------------------------------------------------------------------------------------
# Comparing


def sharing(table: Table) -> list[tuple[str, int]]:
    """Which values of the table are one object: for each field of each record and attempt (and
    each key), the index of the first value that is the same object."""
    firsts: dict[int, int] = {}
    out: list[tuple[str, int]] = []

    def see(where: str, value: Any) -> None:
        out.append((where, firsts.setdefault(id(value), len(firsts))))

    for i, (key, task) in enumerate(table.items()):
        see(f"{i} key", key)
        for name in records_native.TASK_FIELDS:
            value = getattr(task, name, None)
            see(f"{i} {name}", value)
            if name == "attempts" and type(value) is tuple:
                for j, attempt in enumerate(value):
                    for field in records_native.ATTEMPT_FIELDS:
                        see(f"{i} attempt {j} {field}", getattr(attempt, field, None))
    return out


def outcome(into: Table, merge: Callable[[], None]) -> Any:
    try:
        merge()
        error = None
    except Exception as exc:
        error = (type(exc), str(exc))
    return error, snapshot(into), sharing(into)


def load_into(into: Table, blob: bytes) -> None:
    _records.load_tasks_into(into, blob)


def load_then_merge(into: Table, blob: bytes) -> None:
    tasks.merge_task_tables(into, _records.load_tasks(blob))


def python_reference(into: Table, blob: bytes) -> None:
    tasks.merge_task_tables_python(into, records_native.load_tasks_python(blob))


WAYS: dict[str, Callable[[Table, bytes], None]] = {
    "load_tasks_into": load_into, "records_native.load_tasks_into": records_native.load_tasks_into,
    "load, then merge": load_then_merge, "records_native.load_then_merge":
    records_native.load_then_merge}


def merged_each_way(first: Callable[[], Table], blobs: Sequence[bytes]) -> dict[str, Any]:
    """The blobs merged in order into a fresh `first()`, each way. Once before, so that the
    values tasks.shared stores once (tasks._SHARED, bounded) are stored before the ways
    compared: the first way to meet a value would otherwise keep its own copy of it, and the
    others share that one."""
    into = first()
    outcome(into, lambda: [load_then_merge(into, b) for b in blobs] and None)
    out = {}
    for name, way in WAYS.items():
        into = first()
        out[name] = outcome(into, lambda: [way(into, b) for b in blobs] and None)
    return out


def assert_same_each_way(first: Callable[[], Table], blobs: Sequence[bytes]) -> Any:
    results = merged_each_way(first, blobs)
    want = results.pop("load, then merge")
    for name, got in results.items():
        assert got[:2] == want[:2], name
        differ = [(a, b) for a, b in zip(got[2], want[2]) if a != b][:1]
        assert not differ, f"{name}: values shared otherwise: {differ}"
    # the Python reference: the same records (its values are shared by its own rules)
    into = first()
    assert outcome(into, lambda: [python_reference(into, b) for b in blobs] and None)[:2] \
        == want[:2]
    return want


# ---------------------------------------------------------------------------------------------
# Pieces of real event streams


def events_of(path: Path) -> list[Event]:
    return list(read_capture(discover([str(path)])).events)


EVENTS: dict[str, list[Event]] = {}


def sample_events(name: str) -> list[Event]:
    if name not in EVENTS:
        EVENTS[name] = events_of(SAMPLES / name)
    return EVENTS[name]


def pieces(events: Sequence[Event], points: list[int]) -> list[Table]:
    return [tasks.merge_tasks(events[a:b], {}) for a, b in zip(points, points[1:])]


def assert_pieces_merge_the_same(events: Sequence[Event], points: list[int]) -> None:
    parts = pieces(events, points)
    blobs = [_records.dump_tasks(p) for p in parts]
    whole = snapshot(tasks.merge_tasks_python(events, {}))
    # the first piece loaded from its blob (as merge_into does), or built in this process
    for first in (lambda: _records.load_tasks(blobs[0]),
                  lambda: tasks.merge_tasks(events[points[0]:points[1]], {})):
        error, got, _ = assert_same_each_way(first, blobs[1:])
        assert error is None and got == whole


@pytest.mark.parametrize("name", CAPTURE_NAMES)
def test_every_sample_merges_the_same_from_its_blobs(name: str) -> None:
    events = sample_events(name)
    n = len(events)
    rng = random.Random(name)
    for count in (1, 2, 3, 7):
        points = sorted({0, n, *(rng.randrange(n + 1) for _ in range(count))})
        assert_pieces_merge_the_same(events, points)
    assert_pieces_merge_the_same(events, list(range(0, n, max(1, n // 40))) + [n])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), cuts=st.lists(st.floats(0, 1), min_size=1, max_size=8))
def test_shuffled_and_cut_streams_merge_the_same(data: st.DataObject, cuts: list[float]) -> None:
    events = list(sample_events(data.draw(st.sampled_from(CAPTURE_NAMES))))
    if data.draw(st.booleans()):
        random.Random(data.draw(st.integers(0, 2**32))).shuffle(events)
    n = len(events)
    assert_pieces_merge_the_same(events, sorted({0, n, *(int(c * n) for c in cuts)}))


# ---------------------------------------------------------------------------------------------
# Generated and odd records


@pytest.mark.long
@settings(max_examples=100, deadline=None)
@given(first=tables(), laters=st.lists(tables(), min_size=1, max_size=3), data=st.data())
def test_generated_tables_merge_the_same(first: Table, laters: list[Table],
                                         data: st.DataObject) -> None:
    # later tables share task ids with the first and with each other
    ids = list(first) + [k for t in laters for k in t]
    renamed = []
    for later in laters:
        out: Table = {}
        for key, task in later.items():
            if ids and data.draw(st.booleans()):
                key = data.draw(st.sampled_from(ids))
                task.task_id = key
            out.setdefault(key, task)
        renamed.append(out)
    blobs = [_records.dump_tasks(t) for t in renamed]
    first_blob = _records.dump_tasks(first)
    assert_same_each_way(lambda: _records.load_tasks(first_blob), blobs)
    assert_same_each_way(lambda: copy.deepcopy(first), blobs)


def test_odd_records_in_the_table_go_to_python() -> None:
    good = tasks.merge_tasks_python(BEFORE, {})
    blob = _records.dump_tasks(good)
    for odd in odd_records():
        assert_same_each_way(lambda: {TASK_ID: copy.deepcopy(odd)}, [blob, blob])
    for odd in (None, "not a task", Task("x", "y", language=7)):  # type: ignore[arg-type]
        assert_same_each_way(lambda: {TASK_ID: odd}, [blob])  # type: ignore[dict-item]


def test_an_into_that_is_not_a_dict_goes_the_long_way() -> None:
    class Sub(dict):  # type: ignore[type-arg]
        pass

    blob = _records.dump_tasks(tasks.merge_tasks_python(BEFORE, {}))
    a: Table = Sub()
    records_native.load_tasks_into(a, blob)
    b: Table = {}
    load_then_merge(b, blob)
    assert snapshot(a) == snapshot(b)
    with pytest.raises(TypeError):
        _records.load_tasks_into(Sub(), blob)
    with pytest.raises(TypeError):
        _records.load_tasks_into({}, "FIRB")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        _records.load_tasks_into({})  # type: ignore[call-arg]


# ---------------------------------------------------------------------------------------------
# Blobs refused


INTO = {"t1": Task("t1", "j0", attempts=(tasks.Attempt(0, b"\x05", bytes(8)),)),
        "other": Task("other", "j0")}


def refused_alike(blob: bytes) -> Any:
    """load_tasks_into refuses what load_tasks refuses, with its message, and the table stays
    as it was; what load_tasks reads, it merges as merge_task_tables does."""
    try:
        _records.load_tasks(blob)
        loaded = None
    except ValueError as exc:
        loaded = str(exc)
    for way in (load_into, records_native.load_tasks_into, python_reference):
        into = copy.deepcopy(INTO)
        before = snapshot(into)
        if loaded is not None:
            with pytest.raises(ValueError) as info:
                way(into, blob)
            if way is not python_reference:
                assert str(info.value) == loaded
            assert snapshot(into) == before
    if loaded is None:
        assert_same_each_way(lambda: copy.deepcopy(INTO), [blob])
    return loaded


def test_every_cut_of_a_blob_is_refused_and_the_table_left_alone() -> None:
    for end in range(len(SMALL_BLOB)):
        assert refused_alike(SMALL_BLOB[:end]) is not None, end
    for extra in (b"\0", b"junk", SMALL_BLOB):
        assert refused_alike(SMALL_BLOB + extra) is not None
    # a record of a task id twice, after records already in the table: nothing merged
    twice = SMALL_BLOB.replace(b"t2", b"t1")
    assert refused_alike(twice) == "not a records blob (dump_tasks): a task id twice"
    assert refused_alike(SMALL_BLOB) is None


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(blob=mutated())
def test_mutated_blobs_are_refused_or_merged_alike(blob: bytes) -> None:
    refused_alike(blob)


def test_every_blob_of_the_bases_merges() -> None:
    for blob in BASES:
        assert refused_alike(blob) is None


# ---------------------------------------------------------------------------------------------
# Partials that keep their blob


def test_a_partial_keeps_its_blob_until_it_is_merged_or_read() -> None:
    events = sample_events("sage_pipeline")
    n = len(events)
    whole = reduce_events(events)
    parts = [reduce_events(events[a:b]) for a, b in ((0, n // 3), (n // 3, 2 * n // 3),
                                                     (2 * n // 3, n))]
    sent = [pickle.loads(pickle.dumps(p)) for p in parts]
    assert all(p._blob is not None and not p._tasks for p in sent)
    # sent on again as it came (a Ray object passed along), unloaded
    again = pickle.loads(pickle.dumps(sent[1]))
    assert again._blob == sent[1]._blob
    # read: loaded once
    assert snapshot(again.tasks) == snapshot(parts[1].tasks) and again._blob is None
    assert again == parts[1]
    # merged: the first loaded, the later ones merged from their blobs
    out = merge_into(sent[0], sent[1])
    assert out is sent[0] and out._blob is None and sent[1]._blob is not None
    merge_into(out, sent[2])
    assert snapshot(out.tasks) == snapshot(whole.tasks) and out == whole
    # merge_partials, a single piece too
    fresh = [pickle.loads(pickle.dumps(p)) for p in parts]
    assert snapshot(merge_partials(fresh).tasks) == snapshot(whole.tasks)
    one = merge_partials([pickle.loads(pickle.dumps(whole))])
    assert snapshot(one.tasks) == snapshot(whole.tasks)
    # a table set replaces a pending blob
    pending = pickle.loads(pickle.dumps(whole))
    pending.tasks = {}
    assert pending.tasks == {} and pending._blob is None
    assert "Partial(tasks=" in repr(pending)


class PickledRunner:
    """read_group in this process, each result pickled and unpickled as a Ray task's (or a
    Pool's) is on its way back, in an order of its own."""

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def home(self, source: Source) -> str:
        return ""

    def run(self, groups: Sequence[Group], reducer: Any) -> Iterator[GroupResult[R]]:
        results = [pickle.loads(pickle.dumps(read_group(i, list(s), reducer)))
                   for i, s in groups]
        random.Random(len(results)).shuffle(results)
        yield from results


@pytest.mark.parametrize("workers", [1, 2, 5])
def test_pieces_pickled_as_the_engines_send_them_read_the_same(workers: int) -> None:
    path = SAMPLES / "sage_pipeline"
    capture = read_capture(discover([str(path)]))
    stats = ReadStats()
    account, reduced = read_reduced(discover([str(path)]), Reducer(),
                                    runner=PickledRunner(workers), stats=stats)
    assert stats.groups >= workers
    assert snapshot(reduced.tasks) == snapshot(reduce_events(capture.events).tasks)
    assert render(analyze_partial(reduced, account), "json") \
        == render(analyze(capture), "json")


def test_a_process_with_the_extension_off_merges_pieces_sent_as_blobs() -> None:
    events = sample_events("sage_pipeline")
    n = len(events)
    parts = [reduce_events(events[a:b]) for a, b in ((0, n // 2), (n // 2, n))]
    data = pickle.dumps([pickle.dumps(p) for p in parts])
    code = ("import pickle, sys\n"
            "from flowinsight.pipeline import records_native, tasks\n"
            "from flowinsight.pipeline.partial import merge_partials\n"
            "assert tasks._NATIVE is None and records_native.active() is None\n"
            "parts = [pickle.loads(p) for p in pickle.loads(sys.stdin.buffer.read())]\n"
            "assert all(p._blob is not None for p in parts)\n"
            "sys.stdout.buffer.write(pickle.dumps(merge_partials(parts)))\n")
    back = pickle.loads(with_native(False, code, data))
    whole = reduce_events(events)
    assert snapshot(back.tasks) == snapshot(whole.tasks) and back == whole
