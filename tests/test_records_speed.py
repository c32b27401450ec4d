"""What the records extension's speed-ups must not change.

dump_tasks keeps the memory of its buffers and string table for the next call (a worker dumps
one table after another): a blob must not depend on what was dumped before it, of whatever
size, nor on a dump that stopped part way (Unrepresentable).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowinsight.model.events import FunctionRef, TaskType
from flowinsight.pipeline import records_native
from flowinsight.pipeline.tasks import Attempt, Task

pytest.importorskip("flowinsight.pipeline._records")
from flowinsight.pipeline import _records  # noqa: E402
from test_records_blob import assert_round_trip, tables  # noqa: E402
from parity_support import snapshot  # noqa: E402

Table = dict[str, Task]


def big_table(n: int, salt: str) -> Table:
    """n records, each with its own ids, some strings shared, one or two attempts."""
    ref = FunctionRef("mod" + salt, "", "f")
    out: Table = {}
    for i in range(n):
        task_id = f"{salt}{i:046x}"[-48:]
        attempts = tuple(
            Attempt(k, bytes([1, 2, 3][: 1 + (i + k) % 3]), bytes(8 * (1 + (i + k) % 3)),
                    f"node{i % 7}", f"worker{salt}{i}", 1000 + i % 5, "", "", "WORKER",
                    ("a", f"span{i % 3}"), bytes(range(32)))
            for k in range(1 + i % 2))
        out[task_id] = Task(task_id, f"job{i % 3}", TaskType.NORMAL if i % 4 else None,
                            ref if i % 5 else None, "PYTHON", f"parent{i % 11}", "",
                            None if i % 2 else i / 7, attempts, "mod" + salt, "")
    return out


def unrepresentable(n: int) -> Table:
    """A table whose last record cannot be held (the dump stops after n records)."""
    table = big_table(n + 1, "odd")
    last = list(table)[-1]
    table[last].attempts[0].worker_pid = 1.5  # type: ignore[assignment]
    return table


SIZES = [0, 1, 5, 300, 20000, 3, 70000, 12, 20000]


@pytest.mark.long
def test_a_blob_does_not_depend_on_the_dumps_before_it() -> None:
    tables_ = [big_table(n, f"s{k}") for k, n in enumerate(SIZES)]
    fresh = []
    for table in tables_:  # each dumped after an odd table that stopped part way
        with pytest.raises(_records.Unrepresentable):
            _records.dump_tasks(unrepresentable(500))
        fresh.append(_records.dump_tasks(table))
    for order in (tables_, tables_[::-1], tables_[::2] + tables_[1::2]):
        for table in order:
            blob = _records.dump_tasks(table)
            assert blob == fresh[tables_.index(table)]
    for table, blob in zip(tables_, fresh):
        want = snapshot(table)
        assert snapshot(records_native.load_tasks_python(blob)) == want
        assert snapshot(_records.load_tasks(blob)) == want


@settings(max_examples=75, deadline=None)
@given(first=tables(), size=st.sampled_from([0, 40, 3000]), second=tables())
def test_generated_tables_come_back_the_same_after_other_dumps(first: Table, size: int,
                                                               second: Table) -> None:
    blob = assert_round_trip(second)
    assert_round_trip(first)
    _records.dump_tasks(big_table(size, "x"))
    assert _records.dump_tasks(second) == blob
