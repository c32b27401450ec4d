"""The C facts, sweep and critical path (_sweep in native/) give what their Python references
give, field by field: task_facts_py, sweep_py, critical_paths_py. On every sample, and on
generated task tables with what real captures rarely hold together: tasks without attempts,
drivers, callers without a record of their own, several attempts out of order, equal times,
ids that share long prefixes, ids of other lengths and of non-ASCII characters, records of a
subclass (read the generic way). The C sweep runs within the facts' pass (the pipeline's:
facts_and_sweep); the C facts alone (task_facts) are held to the reference too."""

from __future__ import annotations

import struct
from array import array
from dataclasses import fields
from typing import Any, Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CAPTURES, sample
from flowinsight.model.capture import ReadAccount
from flowinsight.model.events import FunctionRef, TaskType
from flowinsight.model.ids import job_of_task
from flowinsight.pipeline.attempt_rows import Swept, sweep_py
from flowinsight.pipeline.critical import critical_paths, critical_paths_py
from flowinsight.pipeline.facts import TaskFacts, facts_and_sweep, task_facts, task_facts_py
from flowinsight.pipeline.naming import NodeNamer
from flowinsight.pipeline.native import sweep_module
from flowinsight.pipeline.partial import reduce_events
from flowinsight.pipeline.tasks import Attempt, Task
from flowinsight.read import discover, read_capture
from flowinsight.result import AttemptTable

pytestmark = pytest.mark.skipif(sweep_module is None, reason="_sweep in native/ is not built")

ACCOUNT = ReadAccount((), (), 0)


def _columns(table: AttemptTable) -> dict[str, Any]:
    return {name: (dict(getattr(table, name)) if name == "errors" else
                   bytes(table.statuses) if name == "statuses" else
                   list(getattr(table, name))) for name in AttemptTable.__slots__}


def _facts_fields(facts: TaskFacts) -> dict[str, Any]:
    return {f.name: getattr(facts, f.name) for f in fields(facts)}


def _same_swept(got: Swept, want: Swept) -> None:
    assert _columns(got.attempts) == _columns(want.attempts)
    assert got.node_stats == want.node_stats
    assert got.calls == want.calls


def check(tasks: dict[str, Task], multi_job: bool = False, has_export: bool = True) -> None:
    """C and Python, each with a namer of its own: the same facts, naming, sweep and paths."""
    before = list(tasks.items())
    namer_c = NodeNamer(tasks, multi_job, {})
    facts_c, within_facts = facts_and_sweep(tasks, namer_c, ACCOUNT, has_export)
    namer_p = NodeNamer(tasks, multi_job, {})
    facts_p = task_facts_py(tasks, namer_p, ACCOUNT, has_export)
    assert _facts_fields(facts_c) == _facts_fields(facts_p)
    assert _facts_fields(task_facts(tasks, NodeNamer(tasks, multi_job, {}), ACCOUNT,
                                    has_export)) == _facts_fields(facts_p)
    assert namer_c.cache == namer_p.cache and namer_c.keys == namer_p.keys
    assert list(namer_c.keys) == list(namer_p.keys)
    want = sweep_py(tasks, sorted(tasks), namer_p, facts_p.drivers, False)
    _same_swept(within_facts, want)
    assert list(tasks.items()) == before  # only read
    jobs_of = facts_p.jobs_of

    def job_of(t: str) -> str:
        return jobs_of[t] if t in jobs_of else job_of_task(t)

    want_paths = critical_paths_py(want.attempts, job_of)
    # the C answers for the rows of the C sweep (in task id order), itself
    columns = within_facts.attempts
    assert sweep_module is not None and sweep_module.critical(
        list(columns.task_ids), _int64(columns.numbers), _int64(columns.start_ns),
        _int64(columns.end_ns), list(columns.parents), list(columns.nodes), job_of,
        jobs_of) is not None
    assert critical_paths(within_facts.attempts, job_of, jobs_of) == want_paths
    assert critical_paths(within_facts.attempts, job_of) == want_paths
    assert critical_paths(want.attempts, job_of) == want_paths  # Python's columns, packed
    # rows out of task id order: the Python reference answers
    table = want.attempts
    order = sorted(range(len(table)), key=lambda i: (table.task_ids[i][::-1], i))
    shuffled = AttemptTable(*(
        [getattr(table, name)[i] for i in order] if name not in ("statuses", "errors", "extra")
        else bytes(table.statuses[i] for i in order) if name == "statuses" else {}
        for name in AttemptTable.__slots__))
    # (the C answers only rows in task id order: None says critical_paths takes the reference)
    out_of_order = any(a > b for a, b in zip(shuffled.task_ids, shuffled.task_ids[1:]))
    answer = sweep_module.critical(
        list(shuffled.task_ids), _int64(shuffled.numbers), _int64(shuffled.start_ns),
        _int64(shuffled.end_ns), list(shuffled.parents), list(shuffled.nodes), job_of, jobs_of)
    assert (answer is None) == out_of_order
    assert critical_paths(shuffled, job_of, jobs_of) == critical_paths_py(shuffled, job_of)


def _int64(column: Sequence[int]) -> bytes:
    return array("q", column).tobytes()


@pytest.mark.parametrize("name", CAPTURES)
def test_samples(name: str) -> None:
    capture = read_capture(discover([str(sample(name))]))
    reduced = reduce_events(capture.events)
    assert reduced.tasks
    check(reduced.tasks, len({t.job_id for t in reduced.tasks.values()} - {""}) > 1)
    check(reduced.tasks, True, has_export=False)


# Generated tables ---------------------------------------------------------------------------

JOBS = ("01000000", "02000000")
_FUNCTIONS = (FunctionRef("m", "", "f"), FunctionRef("m", "", "g"), FunctionRef("", "", "f"),
              FunctionRef("m", "C", "method"), FunctionRef("", "", ""))
STATUSES = (1, 2, 5, 8, 11, 12, 13)


class SubTask(Task):
    """A record of another class than Task: the C reads its fields the generic way."""

    __slots__ = ()


@st.composite
def hex_ids(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(("normal", "actor", "creation", "driver", "odd")))
    job = draw(st.sampled_from(JOBS))
    unique = draw(st.text("0f1", min_size=16, max_size=16))  # long shared prefixes
    actor = draw(st.text("ab", min_size=24, max_size=24))
    if kind == "normal":
        return unique + "f" * 24 + job
    if kind == "actor":
        return unique + actor + job
    if kind == "creation":
        return "f" * 16 + actor + job
    if kind == "driver":
        return "f" * 40 + job
    # never "": a task id "" ends its critical path before it starts (critical_paths_py has
    # no step to take the time of); the readers keep no record without an id
    return draw(st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1,
                        max_size=6) | st.sampled_from(("x", "é", "\u4e00", "ffff")))


@st.composite
def attempts(draw: st.DrawFn) -> Attempt:
    keys = draw(st.lists(st.sampled_from(STATUSES), unique=True, max_size=5))
    times = [draw(st.integers(0, 6)) * 1_000_000 for _ in keys]
    names: tuple[str, ...] = ()
    spans = b""
    if draw(st.booleans()):
        names = tuple(draw(st.lists(st.sampled_from(("task:execute", "submit", "other")),
                                    unique=True, max_size=3)))
        for _ in names:
            start = draw(st.integers(0, 6)) * 1_000_000
            spans += struct.pack("<qq", start, start + draw(st.integers(-1, 3)) * 1_000_000)
    error = draw(st.sampled_from(("", "", "ValueError")))
    return Attempt(draw(st.integers(0, 3)), bytes(keys), struct.pack(f"<{len(keys)}q", *times),
                   draw(st.sampled_from(("", "n1", "n2"))), draw(st.sampled_from(("", "w1"))),
                   draw(st.sampled_from((None, 7, 8))), error,
                   draw(st.sampled_from(("", "boom"))) if error or draw(st.booleans()) else "",
                   "", names, spans)


@st.composite
def tables(draw: st.DrawFn) -> dict[str, Task]:
    ids = draw(st.lists(hex_ids(), min_size=1, max_size=30, unique=True))
    callers = ids + draw(st.lists(hex_ids(), max_size=4))
    tasks: dict[str, Task] = {}
    for tid in ids:
        cls = SubTask if draw(st.integers(0, 9)) == 0 else Task
        defined = draw(st.booleans()) or draw(st.booleans())
        task = cls(tid, draw(st.sampled_from((*JOBS, "", job_of_task(tid)))))
        if defined:
            task.task_type = draw(st.sampled_from(list(TaskType)))
            task.function = draw(st.sampled_from((None, *_FUNCTIONS)))
            task.language = draw(st.sampled_from(("", "PYTHON", "JAVA")))
            task.parent_task_id = draw(st.sampled_from(("", *callers)))
            task.actor_id = draw(st.sampled_from(("", "a" * 32, "b" * 32)))
        task.submit_ms = draw(st.sampled_from((None, 1.0, 2.5, 2.5)))
        task.attempts = tuple(draw(st.lists(attempts(), max_size=3)))
        tasks[tid] = task
    return tasks


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(), st.booleans(), st.booleans())
def test_generated_tables(tasks: dict[str, Task], multi_job: bool, has_export: bool) -> None:
    check(tasks, multi_job, has_export)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2**40), st.integers(0, 2**40)), min_size=40,
                max_size=400), st.integers(0, 3))
def test_large_nodes(times: list[tuple[int, int]], scale: int) -> None:
    """Hundreds of attempts in one node and one edge (their durations sorted by a radix of
    their bits in C): zero durations, equal ones, and all orders of magnitude."""
    job = JOBS[0]
    caller = "1" * 16 + "f" * 24 + job
    tasks = {caller: Task(caller, job, TaskType.NORMAL, _FUNCTIONS[1], "PYTHON", "", "")}
    for i, (start, length) in enumerate(times):
        tid = f"{i:016x}" + "f" * 24 + job
        length = length >> (10 * scale)
        states = struct.pack("<3q", start, start + length // 2, start + length)
        tasks[tid] = Task(tid, job, TaskType.NORMAL, _FUNCTIONS[0], "PYTHON", caller, "",
                          attempts=(Attempt(0, bytes((1, 8, 11)), states),))
    check(tasks)
