"""What the analysis's shortcuts for speed keep to: the C facts leave the tasks their shape
names out of the namer's cache (NodeNamer.by_shape), and the namer still answers every task as
the Python reference does: its cache completed when read, a driver by name once the records
are gone (consume). The rows put in task id order by keys of the ids' first chars; the span of
submissions worked out in C."""

from __future__ import annotations

import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CAPTURES, sample
from flowinsight.model.capture import ReadAccount
from flowinsight.model.events import TaskType
from flowinsight.model.ids import driver_task_id
from flowinsight.pipeline.facts import facts_and_sweep, task_facts_py
from flowinsight.pipeline.naming import NodeNamer
from flowinsight.pipeline.native import sweep_module
from flowinsight.pipeline.partial import reduce_events
from flowinsight.pipeline.tasks import Attempt, Task
from flowinsight.read import discover, read_capture
from test_sweep_native import _FUNCTIONS, JOBS, check

pytestmark = pytest.mark.skipif(sweep_module is None, reason="_sweep in native/ is not built")

ACCOUNT = ReadAccount((), (), 0)


@pytest.mark.parametrize("name", CAPTURES)
def test_cache_by_shape(name: str) -> None:
    tasks = reduce_events(read_capture(discover([str(sample(name))])).events).tasks
    namer = NodeNamer(tasks, False, {})
    facts_and_sweep(tasks, namer, ACCOUNT, True)
    assert namer.by_shape
    asked = dict(namer.asked)
    want = NodeNamer(tasks, False, {})
    task_facts_py(tasks, want, ACCOUNT, True)
    assert all(want.cache[t] == n for t, n in asked.items())
    assert namer.cache == want.cache and not namer.by_shape  # completed, the same answers
    assert list(namer.keys) == list(want.keys)


@pytest.mark.parametrize("name", CAPTURES)
def test_drivers_after_consume(name: str) -> None:
    tasks = reduce_events(read_capture(discover([str(sample(name))])).events).tasks
    copy = dict(tasks)
    namer = NodeNamer(tasks, False, {})
    facts_and_sweep(tasks, namer, ACCOUNT, True)
    tasks.clear()  # as steps/release.py does under consume
    want = NodeNamer(copy, False, {})
    task_facts_py(copy, want, ACCOUNT, True)
    for job in {t.job_id for t in copy.values()} | {""}:
        assert namer(driver_task_id(job)) == want(driver_task_id(job))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.text("0123456789abcdef", min_size=8, max_size=8),
                          st.integers(1, 3), st.integers(0, 2)), min_size=1, max_size=60),
       st.sampled_from(("ffffffff", "00000000", "0f0f0f0f")))
def test_ids_of_one_prefix(draws: list[tuple[str, int, int]], prefix: str) -> None:
    """Task ids sharing their first 8 chars by the dozen (actor creation tasks: 'f' * 16
    first), some with several attempts, some callers of others: the rows in task id order
    (rows.c: a run of equal keys sorted by id, by qsort when long) and the critical path."""
    job = JOBS[0]
    tasks: dict[str, Task] = {}
    ids = sorted({prefix + tail + "f" * 32 + job for tail, _, _ in draws})
    for i, (tail, n_attempts, caller) in enumerate(draws):
        tid = prefix + tail + "f" * 32 + job
        if tid in tasks:
            continue
        parent = ids[(i * 7) % len(ids)] if caller else ""
        runs = tuple(Attempt(n, bytes((1, 8, 11)), struct.pack(
            "<3q", 10 * i + n, 10 * i + n + 3, 10 * i + n + 3 + i % 5))
            for n in reversed(range(n_attempts)))
        tasks[tid] = Task(tid, job, TaskType.ACTOR_CREATION if i % 3 else TaskType.NORMAL,
                          _FUNCTIONS[i % 2], "PYTHON", parent,
                          "a" * 32 if i % 3 else "", attempts=runs)
    check(tasks)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.floats() | st.none(), min_size=1, max_size=12))
def test_submission_rates(submits: list[float | None]) -> None:
    """The submissions' span (min(), max()) the C sweep keeps for an edge's rate, whatever the
    floats (NaN where min() and max() depend on the order, infinities, -0.0)."""
    job = JOBS[0]
    caller = "1" * 16 + "f" * 24 + job
    tasks = {caller: Task(caller, job, TaskType.NORMAL, _FUNCTIONS[1], "PYTHON", "", "")}
    for i, submit in enumerate(submits):
        tid = f"{i:016x}" + "f" * 24 + job
        tasks[tid] = Task(tid, job, TaskType.NORMAL, _FUNCTIONS[0], "PYTHON", caller, "",
                          submit, (Attempt(0, bytes((1, 8, 11)), struct.pack("<3q", 1, 2, 3)),))
    check(tasks)


@pytest.mark.parametrize("with_driver", [False, True])
@pytest.mark.parametrize("orphan", [False, True])
def test_node_durations_from_its_edge(with_driver: bool, orphan: bool) -> None:
    """A node whose attempts all went to one call edge takes that edge's sorted durations
    (aggregates.c: as_edge), unless the edge has more: a driver's task of the node under the
    same caller (its attempts in no node's stats), or a task of the node without a caller."""
    job = JOBS[0]
    caller = "1" * 16 + "f" * 24 + job
    tasks = {caller: Task(caller, job, TaskType.NORMAL, _FUNCTIONS[1], "PYTHON", "", "")}
    ids = [f"{i:016x}" + "f" * 24 + job for i in range(60)]
    if with_driver:
        ids.append("f" * 40 + job)
    for i, tid in enumerate(ids):
        parent = "" if orphan and i == 7 else caller
        states = struct.pack("<3q", 1000 * i, 1000 * i + 7 * i, 1000 * i + 7 * i + (i * 37) % 50)
        tasks[tid] = Task(tid, job, TaskType.NORMAL, _FUNCTIONS[0], "PYTHON", parent, "",
                          attempts=(Attempt(0, bytes((1, 8, 11)), states),))
    check(tasks)
