"""The scan of the table before any node is named (scan.py: scan_table, one pass) gives what
the rules it stands for give, each asked of the whole selection on its own (reference_scan:
identity.known_modules, ambiguous_names, renames_by_span, actors.actor_task_facts): the
selection (the table itself when nothing is dropped), the jobs, the known modules, the renamed
tasks and what the tasks say of their actors. On every sample with and without a window, one
job, grouping by class; and on generated tables with driver-thread records, tasks without a
definition that name a function (with and without a module) or an actor, and records of a
subclass. The whole analysis with the scan gives the same bytes as with reference_scan."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CAPTURES, render, sample
from flowinsight.model.capture import ReadAccount
from flowinsight.model.events import FunctionRef, TaskType
from flowinsight.pipeline.actors import actor_task_facts
from flowinsight.pipeline.build import Options, analyze_partial
from flowinsight.pipeline.identity import (
    all_modules,
    ambiguous_names,
    renames_by_span,
    single_modules,
    span_name,
)
from flowinsight.pipeline.job_view import view_of_job
from flowinsight.pipeline.partial import Partial, reduce_events
from flowinsight.pipeline.scan import TableScan, scan_table, selected_tasks
from flowinsight.pipeline.steps import selection
from flowinsight.pipeline.tasks import Attempt, Task, unpack_int64s
from flowinsight.read import discover, read_capture
from flowinsight.result import STATUS_NAMES
from test_sweep_native import tables


def reference_scan(tasks: dict[str, Task], options: Options) -> TableScan:
    """What scan_table stands for: each rule asked of the whole selection on its own."""
    selected = selected_tasks(tasks, options)
    found = all_modules(selected)
    renamed = [t for t in selected.values() if t.function is not None
               and t.task_type in (TaskType.NORMAL, TaskType.ACTOR)
               and span_name(t) not in ("", t.function.name)]
    bare: Counter[str] = Counter(t.actor_id for t in selected.values()
                                 if t.actor_id and not t.attempts)
    return TableScan(selected, {t.job_id for t in selected.values()}, single_modules(found),
                     actor_task_facts(selected.values()),
                     {t.actor_id for t in selected.values() if t.actor_id},
                     ambiguous_names(found), renames_by_span(renamed),
                     {t.actor_id for t in selected.values() if t.actor_id and t.attempts},
                     dict(bare))


def check(tasks: dict[str, Task], options: Options = Options()) -> None:
    before = list(tasks.items())
    functions = [t.function for t in tasks.values()]
    got, want = scan_table(tasks, options), reference_scan(tasks, options)
    assert list(got.tasks.items()) == list(want.tasks.items())
    assert (got.tasks is tasks) == (want.tasks is tasks)
    assert got.job_ids == want.job_ids
    assert got.modules == want.modules
    assert got.actor_facts == want.actor_facts
    assert got.actor_ids == want.actor_ids
    assert got.renames == want.renames
    assert got.spoken == want.spoken
    assert got.bare == want.bare
    assert list(tasks.items()) == before  # only read
    assert [t.function for t in tasks.values()] == functions  # no record renamed


def _window(tasks: dict[str, Task]) -> list[Options]:
    times = sorted(ns for t in tasks.values() for a in t.attempts
                   for ns in unpack_int64s(a.state_ns))
    if not times:
        return []
    lo, hi = times[0], times[-1]
    third = (hi - lo) // 3
    return [Options(since_ns=lo + third), Options(until_ns=lo + third),
            Options(since_ns=lo + third, until_ns=hi - third)]


@pytest.mark.parametrize("name", CAPTURES)
def test_samples(name: str) -> None:
    events = read_capture(discover([str(sample(name))])).events
    reduced = reduce_events(events)
    check(reduced.tasks)
    for options in _window(reduced.tasks):
        check(reduced.tasks, options)
    for job in sorted({t.job_id for t in reduced.tasks.values()})[:3]:
        check(view_of_job(reduced, job).tasks)  # the table --job's analysis scans


def _analyses(name: str) -> list[tuple[ReadAccount, Partial, Options]]:
    capture = read_capture(discover([str(sample(name))]))
    reduced = reduce_events(capture.events)
    jobs = sorted({t.job_id for t in reduced.tasks.values()} - {""})
    out: list[tuple[Partial, Options]] = [
        (reduced, o) for o in (Options(), Options(group_by="class"), *_window(reduced.tasks))]
    out += [(reduced, Options(job=jobs[0]))] if jobs else []
    out += [(reduced, Options(max_nodes=3))]
    return [(capture.account, r, o) for r, o in out]


@pytest.mark.parametrize("name", CAPTURES)
def test_analysis_same_bytes(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for account, reduced, options in _analyses(name):
        scanned = analyze_partial(reduced, account, options)
        monkeypatch.setattr(selection, "scan_table", reference_scan)
        by_rules = analyze_partial(reduced, account, options)
        monkeypatch.undo()
        for fmt in ("json", "trace", "table"):
            assert render(scanned, fmt) == render(by_rules, fmt), (options, fmt)


@pytest.mark.parametrize("name", CAPTURES)
def test_failed_rows(name: str) -> None:
    """AttemptTable.failed (positions found by bytes.find) gives the failed rows in order."""
    capture = read_capture(discover([str(sample(name))]))
    table = analyze_partial(reduce_events(capture.events), capture.account).attempts
    code = STATUS_NAMES.index("FAILED")
    want = [table.row(i) for i in range(len(table)) if table.statuses[i] == code]
    assert list(table.failed()) == want


# Generated tables ---------------------------------------------------------------------------

_DRIVER_THREAD = Attempt(0, component_type="driver")  # no states, no spans: not a task
_UNDEFINED_FUNCTIONS = (None, FunctionRef("m", "", "f"), FunctionRef("", "", "f"),
                        FunctionRef("n", "C", ""), FunctionRef("m", "C", "method"))


@st.composite
def scan_tables(draw: st.DrawFn) -> dict[str, Task]:
    """test_sweep_native's tables, with driver-thread records (and records that only look
    like one) and undefined tasks that name a function or an actor."""
    tasks: dict[str, Task] = draw(tables())
    for task in tasks.values():
        if task.task_type is not None:
            continue
        look = draw(st.sampled_from(("as is", "thread", "thread", "almost", "named")))
        if look == "thread":
            task.attempts = tuple(_DRIVER_THREAD for _ in range(draw(st.integers(0, 2))))
        elif look == "almost":  # a driver attempt with a state: a task after all
            task.attempts = (_DRIVER_THREAD, replace(_DRIVER_THREAD, state_keys=b"\x08",
                                                     state_ns=b"\0" * 8))
        if look in ("named", "almost") or draw(st.booleans()):
            task.function = draw(st.sampled_from(_UNDEFINED_FUNCTIONS))
            task.actor_id = draw(st.sampled_from(("", "a" * 32)))
            task.language = draw(st.sampled_from(("", "PYTHON")))
    return tasks


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scan_tables(), st.integers(0, 7), st.integers(0, 7))
def test_generated_tables(tasks: dict[str, Task], since: int, until: int) -> None:
    check(tasks)
    check(tasks, Options(since_ns=since * 1_000_000))
    check(tasks, Options(since_ns=since * 1_000_000, until_ns=until * 1_000_000))
