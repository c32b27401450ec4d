"""What the analysis's shortcuts for speed keep to: the C facts leave the tasks their shape
names out of the namer's cache (NodeNamer.by_shape), and the namer still answers every task as
the Python reference does: its cache completed when read, a driver by name once the records
are gone (consume)."""

from __future__ import annotations

import pytest

from conftest import CAPTURES, sample
from flowinsight.model.capture import ReadAccount
from flowinsight.model.ids import driver_task_id
from flowinsight.pipeline.attempt_rows import sweep
from flowinsight.pipeline.facts import task_facts, task_facts_py
from flowinsight.pipeline.naming import NodeNamer
from flowinsight.pipeline.native import sweep_module
from flowinsight.pipeline.partial import reduce_events
from flowinsight.read import discover, read_capture

pytestmark = pytest.mark.skipif(sweep_module is None, reason="pipeline/sweep/ is not built")

ACCOUNT = ReadAccount((), (), 0)


@pytest.mark.parametrize("name", CAPTURES)
def test_cache_by_shape(name: str) -> None:
    tasks = reduce_events(read_capture(discover([str(sample(name))])).events).tasks
    namer = NodeNamer(tasks, False, {})
    task_facts(tasks, namer, ACCOUNT, True, sweep=True)
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
    facts = task_facts(tasks, namer, ACCOUNT, True, sweep=True)
    sweep(tasks, namer, facts.drivers, True, facts.swept)
    assert tasks == {}
    want = NodeNamer(copy, False, {})
    task_facts_py(copy, want, ACCOUNT, True)
    for job in {t.job_id for t in copy.values()} | {""}:
        assert namer(driver_task_id(job)) == want(driver_task_id(job))
