"""The Python reader's fold path (no C decoder: FLOWINSIGHT_NATIVE=0, or a Python it is not
built for): EXPORT_TASK lines of the usual shape kept as rows (task_lines.task_row,
model.events.TaskRows) and folded into the records row by row (tasks.merge_rows), without a
TaskUpdate per line, give exactly what the object path gives: the same events (rows[i] is the
TaskUpdate the line makes), the same report, examples and digests, and Partials whose records
are equal field by field, in the same dict order, and after pickling; for every sample,
shuffled with damaged and odd lines. Here the C decoder is turned off in
this process; where the records extension is on, the object path merges in C, so the rows'
merge is held to it too."""

from __future__ import annotations

import gzip
import io
import pickle
import random
from functools import cache
from typing import Any

import pytest

from conftest import SAMPLES, with_native
from flowinsight.model.events import TaskRows, TaskUpdate, row_update, update_row
from flowinsight.pipeline import records_native, tasks
from flowinsight.pipeline.partial import Partial, Reducer, merge_into, reduce_events, reduce_parts
from flowinsight.read import event_file
from flowinsight.read.event_file import FileResult, read_stream
from flowinsight.read.limits import Budget
from flowinsight.read.task_lines import task_line, task_row
from parity_support import groups_with_and_without_batches, robust_lines, snapshot
from robustness.robust_support import export_task, normal_task


@pytest.fixture(autouse=True)
def python_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reader as it runs without the C decoder."""
    monkeypatch.setattr(event_file, "decode_block", None)
    monkeypatch.setattr(event_file, "decode_buffer", None)


def read(data: bytes, *, batches: bool) -> FileResult:
    stream = io.BufferedReader(io.BytesIO(data))  # type: ignore[arg-type]
    return read_stream(stream, "t.log", Budget("t"), digests=True,  # type: ignore[arg-type]
                       batches=batches)


def state(p: Partial) -> Any:
    return snapshot(p.tasks), p._rest(), p.keys, p.fragile


@cache
def real_lines() -> tuple[bytes, ...]:
    """The first lines of every event file of the samples (Ray Data's labelled tasks too)."""
    lines: list[bytes] = []
    for path in sorted(SAMPLES.rglob("event_*")):
        if path.is_file():
            data = path.read_bytes()
            data = gzip.decompress(data) if path.suffix == ".gz" else data
            lines += [x for x in data.splitlines()[:60] if x.strip()]
    return tuple(lines)


def row_lines() -> list[bytes]:
    """The suite's odd and refused lines (parity_support.robust_lines), and two that matter to
    rows: a function ref without a name (left an event: Partial.fragile) and an event id that
    is a lone surrogate."""
    return robust_lines() + [
        export_task(normal_task(7), "NORMAL_TASK", ""),
        b'{"event_id": "\\ud800", "source_type": "EXPORT_TASK", "event_data": {}}',
    ]


def mixed_lines(seed: int) -> bytes:
    lines = list(real_lines()) + row_lines() + [b"junk", b"", b"[1]", b"   "]
    random.Random(seed).shuffle(lines)
    return b"\n".join(lines) + b"\n"


def test_a_row_is_the_task_update_of_its_line() -> None:
    lines = [x for x in real_lines() if b"EXPORT_TASK" in x] + row_lines()
    rows = 0
    for line in lines:
        found = task_row(line)
        if found is None:
            assert task_line(line) is None
            continue
        rows += 1
        event_id, row, operator = found
        update = row_update(row)
        assert task_line(line) == (event_id, update if operator is None else (update, operator))
        assert update_row(update) == row
    assert rows > 100


@pytest.mark.parametrize("seed", range(4))
def test_a_file_read_as_rows_is_the_file_read_as_events(seed: int) -> None:
    data = mixed_lines(seed)
    want = read(data, batches=False)
    got = read(data, batches=True)
    assert want.parts is None and got.parts is not None and got.events == []
    assert any(isinstance(p, TaskRows) for p in got.parts)
    assert not any(not len(p) for p in got.parts)  # no empty runs
    assert (got.report, got.examples) == (want.report, want.examples)
    events = [e for part in got.parts for e in part]
    assert events == want.events and [type(e) for e in events] == [type(e) for e in want.events]
    # the rows' ids as digests (as the C decoder gives them), the other events' as they are
    listed = [i for p in got.parts if isinstance(p, list) for i in range(len(p))]
    assert len(got.event_ids) == len(listed)
    updates = [e for e in want.events if isinstance(e, TaskUpdate)]
    keys = [None] * len(listed)
    for origin in (True, False):
        want_p = reduce_events(want.events, None, origin)
        got_p = reduce_parts(got.parts, None, origin, keys)
        assert state(got_p)[:2] == state(want_p)[:2]
        # (equal values; which of them are one shared object depends on how full the
        # process's tables of shared values are, tasks._GROWN: not compared)
        assert snapshot(pickle.loads(pickle.dumps(got_p.tasks))) == snapshot(want_p.tasks)
    assert updates


def test_a_groups_result_is_the_object_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    folded: list[int] = []
    merge_rows = tasks.merge_rows

    def counting(rows: Any, table: dict[str, Any]) -> int:
        folded.append(len(rows))
        return merge_rows(rows, table)

    monkeypatch.setattr(tasks, "merge_rows", counting)
    got, want = groups_with_and_without_batches(monkeypatch)
    assert state(got.reduced) == state(want.reduced)
    assert state(pickle.loads(pickle.dumps(got.reduced))) == state(want.reduced)
    assert sum(folded) > 1000


def test_native_0_folds_rows() -> None:
    code = ("import io; from flowinsight.read import native, event_file; "
            "from flowinsight.read.limits import Budget; "
            "from flowinsight.model.events import TaskRows; "
            "from flowinsight.pipeline import partial; "
            "assert native.decode_buffer_batches is None and partial.Reducer().folds_batches; "
            "import sys; data = sys.stdin.buffer.read(); "
            "r = event_file.read_stream(io.BufferedReader(io.BytesIO(data)), 't', Budget('t'), "
            "digests=True, batches=True); "
            "print(sum(len(p) for p in r.parts if isinstance(p, TaskRows)))")
    data = b"\n".join(x for x in real_lines() if b"EXPORT_TASK" in x) + b"\n"
    assert int(with_native(False, code, data)) > 100


def test_a_pieces_records_travel_as_tuples_and_merge_from_them(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the records extension is not in use, a Partial pickles its records as tuples
    (tasks.table_tuples), keeps them so until they are read or merged, and merges a later
    piece straight from them: the same table as the pieces' events reduced at once."""
    monkeypatch.setattr(records_native, "_ACTIVE", None)
    data = b"".join(p.read_bytes() for p in sorted((SAMPLES / "sage_pipeline").rglob("event_*"))
                    if p.is_file() and p.suffix != ".gz")
    events = read(b"\n".join(x for x in data.splitlines() if x.strip()) + b"\n",
                  batches=False).events
    n = len(events)
    whole = reduce_events(events)
    parts = [reduce_events(events[a:b]) for a, b in ((0, n // 3), (n // 3, 2 * n // 3),
                                                     (2 * n // 3, n))]
    sent = [pickle.loads(pickle.dumps(p)) for p in parts]
    assert all(p._rows is not None and not p._tasks for p in sent)
    again = pickle.loads(pickle.dumps(sent[1]))  # sent on as it came
    assert again._rows == sent[1]._rows
    assert snapshot(again.tasks) == snapshot(parts[1].tasks) and again._rows is None
    out = merge_into(sent[0], sent[1])
    assert out is sent[0] and out._rows is None and sent[1]._rows is not None
    merge_into(out, sent[2])
    assert snapshot(out.tasks) == snapshot(whole.tasks) and out == whole
    # the same merge from records (merge_task_tables), and a table tuples cannot hold
    fresh = [pickle.loads(pickle.dumps(p)) for p in parts]
    table = fresh[0].tasks
    for p in fresh[1:]:
        tasks.merge_task_tables(table, p.tasks)
    assert snapshot(table) == snapshot(whole.tasks)
    odd = Partial({"not its id": next(iter(whole.tasks.values()))})
    assert b"_from_rows" not in pickle.dumps(odd)
    assert snapshot(pickle.loads(pickle.dumps(odd)).tasks) == snapshot(odd.tasks)
