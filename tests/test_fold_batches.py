"""The fold path: the parallel reader's TaskUpdates kept packed by the C decoder
(decode_buffer_batches, TaskBatch) and folded into the records by the records extension
(fold_batch), without a TaskUpdate object per line, gives exactly what the object path gives:
the same events (batch[i] is the decoded TaskUpdate), the same report, examples and digests,
and Partials whose records are equal field by field and by type, in the same dict order, with
the same first_ns, sources and other events, written to the same blob; for every sample, cut
anywhere, shuffled, with declined lines (junk, damaged task lines) at any
place among the decoded ones, and with records the C code does not take on."""

from __future__ import annotations

import copy
import dataclasses
import io
import json
import pickle
import random
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SAMPLES, with_native
from flowinsight.model.events import Event, EventParts
from flowinsight.pipeline import records_native, tasks
from flowinsight.pipeline.partial import Partial, reduce_events, reduce_parts
from flowinsight.pipeline.tasks import Attempt, Task
from flowinsight.read import native
from flowinsight.read.event_file import FileResult, read_stream
from flowinsight.read.limits import Budget
from json_damage import LIKELY, damage, json_values
from parity_support import groups_with_and_without_batches, robust_lines, snapshot
from test_read_buffer import BOM, _LINE, escaped_id_lines, real_lines, sample_files

if native.decode_buffer_batches is None or records_native.active() is None:
    pytest.skip("the native decoder or the records extension is off or not built",
                allow_module_level=True)

decode_buffer = native.decode_buffer
decode_batches = native.decode_buffer_batches


def read(data: bytes, *, batches: bool, chunk: int = 1 << 20,
         max_line: int = 16 << 20) -> FileResult:
    stream = io.BufferedReader(io.BytesIO(data))  # type: ignore[arg-type]
    return read_stream(stream, "t.log", Budget("t"), digests=True, batches=batches,  # type: ignore[arg-type]
                       chunk=chunk, max_line=max_line)


def flat(parts: EventParts) -> list[Event]:
    return [e for part in parts for e in part]


def partial_state(p: Partial) -> Any:
    return (snapshot(p.tasks), p._rest(), records_native.dump_tasks(p.tasks))


def assert_same_partials(want: Partial, got: Partial) -> None:
    # Equal pickles are the same records, every field with its type, and their values shared
    # alike: a record pickles all its fields (test_a_record_pickles_every_field). Comparing
    # them field by field (partial_state) costs ten times more, and only says where they
    # differ: it is done when they do.
    if pickle.dumps(got.tasks) != pickle.dumps(want.tasks):
        assert partial_state(got) == partial_state(want)
        raise AssertionError("the records are equal field by field, but not shared alike")
    assert got._rest() == want._rest()
    assert records_native.dump_tasks(got.tasks) == records_native.dump_tasks(want.tasks)
    assert got == want


def test_a_record_pickles_every_field() -> None:
    """What assert_same_partials leans on: a Task and an Attempt pickle as all their fields,
    in order."""
    data = next(f for f in sample_files() if b"EXPORT_TASK" in f)
    tasks = reduce_parts(read(data, batches=True).parts, None, True).tasks
    assert tasks
    for task in tasks.values():
        assert task.__reduce__()[1] == tuple(getattr(task, f.name)
                                             for f in dataclasses.fields(Task))
        for attempt in task.attempts:
            assert attempt.__reduce__()[1] == tuple(getattr(attempt, f.name)
                                                    for f in dataclasses.fields(Attempt))


def assert_same(data: bytes, chunk: int = 1 << 20, max_line: int = 16 << 20) -> FileResult:
    """The file read with and without batches: the same account, the same events in order,
    and the same Partials (with and without origin, and after a Partial of other events)."""
    want = read(data, batches=False, chunk=chunk, max_line=max_line)
    got = read(data, batches=True, chunk=chunk, max_line=max_line)
    assert got.parts is not None and want.parts is None and got.events == []
    assert (got.report, got.examples) == (want.report, want.examples)
    assert got.digests == want.digests
    events = flat(got.parts)
    assert events == want.events
    assert [type(e) for e in events] == [type(e) for e in want.events]
    assert not any(isinstance(p, list) and not p for p in got.parts)  # no empty runs
    assert not any(not isinstance(p, list) and not len(p) for p in got.parts)
    for origin in (True, False):
        assert_same_partials(reduce_events(want.events, None, origin),
                             reduce_parts(got.parts, None, origin))
        # a Partial of events before these (each path's own objects, for the same sharing)
        n = len(events) // 3
        assert_same_partials(
            reduce_events(want.events, reduce_events(want.events[:n]), origin),
            reduce_parts(got.parts, reduce_events(events[:n]), origin))
    return want


# ---------------------------------------------------------------------------------------------


def test_a_batch_holds_the_decoded_updates() -> None:
    assert decode_buffer is not None and decode_batches is not None
    lines = list(real_lines()) + robust_lines() + escaped_id_lines() + [b"junk", b""]
    random.Random(5).shuffle(lines)
    data = bytearray(b"\n".join(lines) + b"\n")
    before = bytes(data)
    for digests in (False, True):
        events, ids, missed, count = decode_buffer(data, 0, len(data), digests)
        batches, ids2, missed2, count2 = decode_batches(data, 0, len(data), digests)
        assert bytes(data) == before
        assert (ids2, missed2, count2) == (ids, missed, count) and len(missed) > 5
        assert len(batches) == len(missed) + 1
        assert [u for b in batches for u in b] == events
        for batch in batches:
            states = [ns for u in batch for _, ns in u.states]
            assert batch.first_ns == (min(states) if states else None)
            with pytest.raises(IndexError):
                batch[len(batch)]
    assert decode_batches(data, 3, 3, True)[0][0].first_ns is None
    for start, end in ((0, len(data) - 1), (-1, 4), (5, 2)):
        with pytest.raises(ValueError):
            decode_batches(data, start, end, False)


def test_every_sample_file_folds_the_same() -> None:
    files = sample_files()
    total = 0
    for data in files:
        total += assert_same(data).report.events
    assert total > 10_000
    for data in files[:30]:
        assert_same(data)


@pytest.mark.parametrize("chunk", [100, 919, 4096, 65536])
def test_sample_files_cut_into_reads_fold_the_same(chunk: int) -> None:
    for data in [f for f in sample_files() if b"EXPORT_TASK" in f][:15]:
        assert_same(data, chunk=chunk)


def test_shuffled_and_cut_streams_fold_the_same() -> None:
    rng = random.Random(11)
    pool = [line for data in sample_files() for line in data.splitlines()]
    for _ in range(12):
        lines = rng.sample(pool, min(len(pool), 3000))
        cut = rng.randrange(len(lines))
        data = b"\n".join(lines[cut:] + lines[:cut]) + b"\n"
        assert_same(data, chunk=rng.choice([500, 7000, 1 << 20]))


def test_many_declined_lines_turn_the_decoder_off_alike() -> None:
    tasks_ = [x for x in real_lines() if b"EXPORT_TASK" in x]
    others = [x for x in real_lines() if b"EXPORT_TASK" not in x]
    for mix in (others * 3 + tasks_, tasks_[:5] + others[:40] + tasks_,
                [b"junk"] * 40 + tasks_[:32] + tasks_):
        data = b"\n".join(mix) + b"\n"
        for chunk in (500, 5000, 40_000, 1 << 20):
            assert_same(data, chunk=chunk)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(_LINE, max_size=60), crlf=st.booleans(), bom=st.booleans(),
       last_newline=st.booleans(), chunk=st.integers(1, 6000),
       max_line=st.sampled_from([300, 2000, 16 << 20]))
def test_random_mixes_fold_the_same(lines: list[bytes], crlf: bool, bom: bool,
                                    last_newline: bool, chunk: int, max_line: int) -> None:
    end = b"\r\n" if crlf else b"\n"
    data = (BOM if bom else b"") + end.join(lines) + (end if last_newline else b"")
    assert_same(data, chunk=chunk, max_line=max_line)


_VALUES = json_values(LIKELY + ["AQAAAB==", "/" * 40, "task:store_outputs", "PYTHON"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_damaged_task_lines_among_good_ones_fold_the_same(data: st.DataObject) -> None:
    """Lines the C decoder declines (damaged ones: the Python path reads or refuses them) at
    any place among lines of the same tasks that it decodes."""
    pool = [x for x in real_lines() if b"EXPORT_TASK" in x]
    lines = data.draw(st.lists(st.sampled_from(pool), min_size=1, max_size=30))
    for i in data.draw(st.lists(st.integers(0, len(lines) - 1), max_size=6)):
        obj = orjson.loads(lines[i])
        if damage(obj, data, _VALUES):
            lines[i] = json.dumps(obj).encode()
    assert_same(b"\n".join(lines) + b"\n", chunk=data.draw(st.sampled_from([300, 1 << 20])))


def test_records_the_c_code_does_not_take_go_to_python() -> None:
    """A batch folded into a table whose record (or attempt) is of another shape: those
    updates are built and merged by the Python merge_tasks, in their place."""
    data = bytearray(b"\n".join(x for x in real_lines() if b"EXPORT_TASK" in x) + b"\n")
    assert decode_batches is not None
    # the first batch: a line the decoder declines (some samples' shapes) ends a batch
    batch = decode_batches(data, 0, len(data), True)[0][0]
    assert len(batch) > 20
    updates = list(batch)
    base = tasks.merge_tasks_python(updates[:5], {})
    odd_tables: list[dict[str, Task]] = []
    for key in list(base)[:2]:
        for field, value in (("language", b"x"), ("attempts", [])):
            table = copy.deepcopy(base)
            setattr(table[key], field, value)
            odd_tables.append(table)
        table = copy.deepcopy(base)
        if table[key].attempts:
            attempt: Attempt = table[key].attempts[0]
            attempt.node_id = 5  # type: ignore[assignment]
            odd_tables.append(table)
    assert len(odd_tables) >= 5
    for table in odd_tables:
        want = copy.deepcopy(table)
        got = copy.deepcopy(table)
        error_want = error_got = None
        try:
            tasks.merge_tasks_python(updates, want)
        except Exception as exc:
            error_want = (type(exc), str(exc))
        try:
            assert records_native.fold_batch(batch, got) == len(batch)
        except Exception as exc:
            error_got = (type(exc), str(exc))
        assert (error_got, snapshot(got)) == (error_want, snapshot(want))


def test_fold_batch_checks_its_arguments_and_has_a_python_path() -> None:
    data = bytearray(b"\n".join(x for x in real_lines() if b"EXPORT_TASK" in x) + b"\n")
    assert decode_batches is not None
    batch = decode_batches(data, 0, len(data), True)[0][0]
    from flowinsight.pipeline import _records

    with pytest.raises(TypeError):
        _records.fold_batch([], {})
    with pytest.raises(TypeError):
        _records.fold_batch(batch, [])
    with pytest.raises(TypeError):
        _records.fold_batch(batch, {}, "")  # type: ignore[call-arg]

    class Table(dict[str, Task]):
        pass

    python: dict[str, Task] = Table()
    c_table: dict[str, Task] = {}
    assert records_native.fold_batch(batch, python) == \
        records_native.fold_batch(batch, c_table) == len(batch)
    assert snapshot(python) == snapshot(c_table)


def test_a_groups_result_is_the_object_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[int] = []
    fold = records_native.fold_batch

    def counting(batch: Any, table: dict[str, Task]) -> int:
        asked.append(len(batch))
        return fold(batch, table)

    monkeypatch.setattr(records_native, "fold_batch", counting)
    got, want = groups_with_and_without_batches(monkeypatch)
    assert_same_partials(want.reduced, got.reduced)
    assert pickle.dumps(got.reduced) == pickle.dumps(want.reduced)
    assert sum(asked) > 1000


def test_native_0_has_no_c_batches() -> None:
    # (the Python reader's own batches, rows: tests/test_task_rows.py)
    code = ("from flowinsight.read import native; from flowinsight.pipeline import partial, "
            "records_native; assert native.decode_buffer_batches is None; "
            "assert records_native.active() is None")
    with_native(False, code)
