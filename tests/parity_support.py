"""What the parity tests share, in a module that runs with the C off too (the test modules of
the C skip themselves then, and so would anything importing from them): a table's records as
comparable values, the robustness suite's kinds of line, and every capture read as one group
with and without folding batches."""

from __future__ import annotations

import dataclasses
import io
import pickle
from typing import Any

import pytest

from conftest import capture_dirs
from flowinsight.pipeline import records_native
from flowinsight.pipeline.partial import Reducer
from flowinsight.pipeline.tasks import Attempt, Task
from flowinsight.read import discover
from flowinsight.read.parallel import GroupResult, read_group
from robustness.robust_support import (
    actor_id,
    creation_task,
    export_actor,
    export_task,
    normal_task,
    ray_line,
    submitted,
)

Table = dict[str, Task]


UNSET = object()  # a slot never set


def typed(value: Any) -> Any:
    kind = type(value)
    if kind is str or kind is int or value is None:  # most values: decided at once
        return (kind, value)
    if isinstance(value, tuple):
        return (tuple, tuple(map(typed, value)))
    if isinstance(value, float):
        return (kind, repr(value))  # nan too, and 0.0 apart from -0.0
    return (kind, value)


_ATTEMPT_FIELDS = tuple(f.name for f in dataclasses.fields(Attempt))
_TASK_FIELDS = tuple(f.name for f in dataclasses.fields(Task))


def snapshot_attempt(attempt: Any) -> Any:
    if type(attempt) is not Attempt:
        return typed(attempt)
    return tuple((name, typed(getattr(attempt, name, UNSET))) for name in _ATTEMPT_FIELDS)


def snapshot_task(task: Any) -> Any:
    if type(task) is not Task:
        return typed(task)
    out = []
    for name in _TASK_FIELDS:
        value = getattr(task, name, UNSET)
        if name == "attempts" and type(value) is tuple:
            out.append((name, tuple(map(snapshot_attempt, value))))
        else:
            out.append((name, typed(value)))
    return tuple(out)


def typed_snapshot(table: Table) -> list[Any]:
    """Every key (and its type), in order, with every field of its record."""
    return [(typed(key), snapshot_task(task)) for key, task in table.items()]


def flat_pickle(value: Any) -> bytes | None:
    """The value pickled without its memo (each shared object written out again), so that
    equal bytes mean equal values of equal types, whatever is shared; None where a value
    does not pickle (a record with a slot never set)."""
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=5)
    pickler.fast = True
    try:
        pickler.dump(value)
    except (AttributeError, TypeError, ValueError, pickle.PicklingError):
        return None
    return out.getvalue()


class Snapshot:
    """A table as it was when taken: equal to another when their flat pickles are equal (a
    record pickles as all its fields, in order: test_fold_batches'
    test_a_record_pickles_every_field), else when their typed snapshots are (floats by
    their repr, so that two NaNs of other bits are equal); those are worked out, from the
    pickle, only then. Comparing pickles is about four times faster than building the
    typed snapshot of every field, which the parity tests did for every table."""

    __slots__ = ("flat", "_typed")

    def __init__(self, table: Table) -> None:
        self.flat = flat_pickle(table)
        self._typed = typed_snapshot(table) if self.flat is None else None

    def typed(self) -> list[Any]:
        if self._typed is None:
            assert self.flat is not None
            self._typed = typed_snapshot(pickle.loads(self.flat))
        return self._typed

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Snapshot):
            return NotImplemented
        if self.flat is not None and self.flat == other.flat:
            return True
        return self.typed() == other.typed()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self.typed())


def snapshot(table: Table) -> Snapshot:
    """The table as it is now, to compare with another (Snapshot)."""
    return Snapshot(table)


def robust_lines() -> list[bytes]:
    """Lines as the robustness suite builds them: odd but valid events, and refused ones."""
    actor = actor_id(1)
    task = normal_task(7)
    return [
        export_task(task, "NORMAL_TASK", "mod.f"),
        export_task(task, "NORMAL_TASK", "mod.f", event_id=""),
        export_task(creation_task(actor), "ACTOR_CREATION_TASK", "mod.C.__init__"),
        export_actor(actor, "C"),
        submitted(normal_task(8), "NORMAL_TASK", "mod.g"),
        ray_line("TASK_DEFINITION_EVENT", {"x": 1}, "e1"),
        ray_line(None, None, "e2"),
        b'{"event_id": "a\\u0041\\u00e9\\n", "source_type": "EXPORT_TASK", "event_data": {}}',
        b"[1, 2]",
        b'"a string"',
        b"{" * 2000 + b"}" * 2000,
        b"\xff\xfe not utf-8",
        b'{"event_id": 1, "source_type": "EXPORT_TASK"}',
        b"   ",
        b"\r",
        b"\x00",
    ]


def groups_with_and_without_batches(monkeypatch: pytest.MonkeyPatch
                                    ) -> tuple[GroupResult, GroupResult]:
    """Every capture's files read as one group, folding batches and not
    (records_native.folds_batches off): the same reports, examples, events and keys. Returns
    (with batches, without)."""
    sources = [s for f in capture_dirs() if f.is_dir() for s in discover([str(f)])]
    reducer = Reducer()
    got = read_group(0, sources, reducer)
    with monkeypatch.context() as m:
        m.setattr(records_native, "folds_batches", lambda: False)
        want = read_group(0, sources, reducer)
    assert (got.reports, got.examples, got.events, got.keyed) == \
        (want.reports, want.examples, want.events, want.keyed)
    assert [sorted(k) for k in got.keys] == [sorted(k) for k in want.keys]
    return got, want
