"""sweep_py reads the records in table order (where they lie in memory) and puts the rows in
task id order after. The namer's answers depend on the order it is asked in: where it has not
named every task already, sweep_py reads the records in id order instead, and asks as if it
had only ever read them so. Both ways give the same rows, sums and names."""

from __future__ import annotations

import pytest

from conftest import CAPTURES, sample
from flowinsight.model.capture import ReadAccount
from flowinsight.pipeline.attempt_rows import Swept, sweep_py
from flowinsight.pipeline.facts import task_facts_py
from flowinsight.pipeline.naming import NodeNamer
from flowinsight.pipeline.partial import reduce_events
from flowinsight.read import discover, read_capture
from flowinsight.result import AttemptTable

ACCOUNT = ReadAccount((), (), 0)


def _rows(table: AttemptTable) -> list[tuple[object, ...]]:
    return [tuple(getattr(table, name)[i] for name in AttemptTable.__slots__
                  if name not in ("statuses", "errors", "extra"))
            + (table.statuses[i], table.errors.get(i)) for i in range(len(table))]


def _same(got: Swept, want: Swept) -> None:
    assert _rows(got.attempts) == _rows(want.attempts)
    assert list(got.attempts.task_ids) == sorted(got.attempts.task_ids)
    assert got.node_stats == want.node_stats and got.calls == want.calls


@pytest.mark.parametrize("name", CAPTURES)
def test_named_or_not(name: str) -> None:
    tasks = reduce_events(read_capture(discover([str(sample(name))])).events).tasks
    order = sorted(tasks)
    drivers = task_facts_py(tasks, NodeNamer(tasks, False, {}), ACCOUNT, True).drivers
    named = NodeNamer(tasks, False, {})
    task_facts_py(tasks, named, ACCOUNT, True)  # names every task and caller, in table order
    in_table_order = sweep_py(tasks, order, named, drivers, False)
    fresh = NodeNamer(tasks, False, {})
    in_id_order = sweep_py(tasks, order, fresh, drivers, False)
    # as the sweep asks, record by record in id order: the caller, then the task
    asked = NodeNamer(tasks, False, {})
    for tid in order:
        if tasks[tid].parent_task_id:
            asked(tasks[tid].parent_task_id)
            asked(tid)
        elif tasks[tid].attempts:
            asked(tid)
    assert list(fresh.asked.items()) == list(asked.asked.items())
    assert fresh.keys == asked.keys
    assert named.keys == fresh.keys  # these captures name alike in either order
    _same(in_table_order, in_id_order)
    copy = dict(tasks)
    consumed = sweep_py(copy, sorted(copy), named, drivers, True)
    assert copy == {}
    _same(consumed, in_table_order)
