"""The core analysis as ordered steps (pipeline/build.py: CORE, then STEPS): each step fills
its own field of the Analysis and reads only the fields of the steps before it; the task
records are only read (the names Ray runs tasks under are handed to the namer, not written into
the records), so analysing a Partial again gives the same bytes; and a function some of whose
tasks are renamed and some not gives each its own node, with the C facts as without them."""

from __future__ import annotations

import shutil
import struct
from dataclasses import fields
from pathlib import Path

import pytest

from conftest import ROOT, render
from flowinsight.model.capture import ReadAccount
from flowinsight.model.events import FunctionRef, TaskType
from flowinsight.model.ids import driver_task_id
from flowinsight.pipeline import build, critical, facts
from flowinsight.pipeline.build import CORE, Options, analyze_partial
from flowinsight.pipeline.partial import Partial, reduce_events
from flowinsight.pipeline.steps.state import Analysis
from flowinsight.pipeline.tasks import Attempt, Task
from flowinsight.read import discover, read_capture

ACCOUNT = ReadAccount((), (), 0)
JOB = "01000000"


def test_the_core_in_order() -> None:
    assert [step.__name__ for step in CORE] == [
        "job", "select", "identify", "calls", "flows", "actors", "sites", "unexecuted", "release",
        "failures", "coverage", "critical", "assemble"]
    assert [step.__name__ for step in build.STEPS] == [
        "with_node_ips", "with_ray_nodes", "with_call_sites", "with_library_views", "with_datasets",
        "without_internals", "with_actor_thread_note", "focused", "within_max_nodes",
        "call_sites_in_view"]


@pytest.mark.parametrize("name", ["nested_tasks", "libraries/serve"])
def test_each_step_fills_its_field_and_a_step_out_of_order_says_so(name: str) -> None:
    # (Serve's run has actors no task record names: nodes of their own, not the namer's)
    reduced = reduce_events(read_capture(discover([str(ROOT / "samples" / name)])).events)
    analysis = Analysis(reduced, ACCOUNT, Options())
    outputs = {"job": set(), "select": {"selected"}, "identify": {"namer"}, "calls": {"facts", "swept"},
               "flows": {"flows", "orphans"}, "actors": {"actors"}, "sites": {"sites"},
               "unexecuted": {"unexecuted"}, "release": set(), "failures": {"judgement"},
               "coverage": {"coverage", "attempts"},
               "critical": {"critical_paths"}, "assemble": {"result"}}
    for step in CORE:
        before = {f.name: getattr(analysis, f.name) for f in fields(analysis)}
        keys = dict(analysis.namer.keys) if analysis.namer else {}
        after = step(analysis)
        if step.__name__ == "assemble":  # the nodes made, the namer's keys left as they were
            assert analysis.namer is not None and analysis.namer.keys == keys
        changed = {name for name, value in before.items() if getattr(after, name) is not value}
        assert changed <= outputs[step.__name__], step.__name__
        assert all(getattr(after, name) is not None for name in outputs[step.__name__])
        analysis = after
    with pytest.raises(RuntimeError, match="out of order: the namer"):
        CORE[3](Analysis(reduced, ACCOUNT, Options(), selected=analysis.selected))
    # with --job, the job step gives the view and keeps every job's driver jobs
    viewed = CORE[0](Analysis(reduced, ACCOUNT, Options(job=JOB.upper())))
    assert viewed.reduced is not reduced and viewed.every_job is reduced.job_updates
    assert viewed.reduced.tasks == {t: r for t, r in reduced.tasks.items()
                                    if r.job_id in (JOB, "")}


def _without_write_spans(tmp_path: Path) -> Path:
    """Ray Data's run with the Write tasks' `task::` spans dropped (as Ray loses them when the
    job ends first): those tasks are named by their operator (datasets.name_by_operator)."""
    copy = tmp_path / "data"
    shutil.copytree(ROOT / "samples" / "libraries" / "data", copy)
    for path in copy.rglob("event_EXPORT_TASK*"):
        lines = path.read_bytes().splitlines(keepends=True)
        path.write_bytes(b"".join(line for line in lines
                                  if b'"event_name":"task::Write"' not in line))
    return copy


@pytest.mark.parametrize("native", [True, False])
def test_the_records_are_only_read(tmp_path: Path, native: bool,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    if not native:
        _python_only(monkeypatch)
    capture = read_capture(discover([str(_without_write_spans(tmp_path))]))
    reduced = reduce_events(capture.events)
    functions = {tid: t.function for tid, t in reduced.tasks.items()}
    first = analyze_partial(reduced, capture.account)
    assert {tid: t.function for tid, t in reduced.tasks.items()} == functions
    assert sorted((n.name, n.calls) for n in first.nodes if n.kind.value == "function") == [
        ("ReadRange->MapBatches(add_one)", 4), ("Write", 4)]
    again = analyze_partial(reduced, capture.account)
    for fmt in ("json", "table"):
        assert render(again, fmt) == render(first, fmt)


def _python_only(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in (critical, facts):
        monkeypatch.setattr(module, "sweep_module", None)


MAP_TASK = FunctionRef("ray.data._internal.execution.operators.map_operator", "", "_map_task")


def _task(n: int, span: str) -> Task:
    spans = (f"task::{span}",) if span else ()
    attempt = Attempt(0, span_names=spans, span_ns=struct.pack("<qq", 10, 20) if span else b"")
    return Task(f"{n:016x}{'f' * 24}{JOB}", JOB, TaskType.NORMAL, MAP_TASK, "PYTHON",
                driver_task_id(JOB), attempts=(attempt,))


@pytest.mark.parametrize("native", [True, False])
def test_one_function_renamed_for_some_tasks_only(native: bool,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # the C facts find a task's node by its record's function (a shape): a task not renamed
    # must not lend its node to the renamed ones of the same function, whichever comes first
    if not native:
        _python_only(monkeypatch)
    spans = ["", "Read", "", "Write", "Read", ""]
    tasks = {t.task_id: t for t in (_task(n + 1, span) for n, span in enumerate(spans))}
    result = analyze_partial(Partial(tasks=tasks, job_ids={JOB}), ACCOUNT)
    assert sorted((n.id, n.calls) for n in result.nodes) == [
        ("Read", 2), ("Write", 1), ("_map_task", 3), ("main", 0)]
    assert all(t.function is MAP_TASK for t in tasks.values())
