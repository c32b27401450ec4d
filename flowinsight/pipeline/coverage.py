"""Completeness: how much of the session the capture holds (schema section 5)."""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from flowinsight.model.capture import FileReport
from flowinsight.model.events import TaskType
from flowinsight.model.ids import is_driver_task, is_actor_creation_task
from flowinsight.pipeline.tasks import Task
from flowinsight.pipeline.timing import EXECUTE, FAILED, FINISHED, RUNNING
from flowinsight.result import Attempt, Coverage, attempt_fields, attempts_with, lacking_of


def coverage(tasks: dict[str, Task], files: tuple[FileReport, ...], has_export: bool) -> Coverage:
    """A task is complete when its definition, its caller and (where the capture has Export
    API events, which carry them) every attempt's final state and execution were recorded."""
    complete = no_def = no_parent = no_final = no_exec = 0
    driver_type = TaskType.DRIVER
    for task in tasks.values():
        task_type = task.task_type
        driver = task_type is driver_type or is_driver_task(task.task_id)
        ok = task_type is not None  # defined
        if not ok:
            no_def += 1
        elif not driver:
            parent = task.parent_task_id
            if not parent or (parent not in tasks and not is_driver_task(parent)):
                no_parent += 1
                ok = False
        if has_export:
            if not task.attempts:
                no_final += 1
                ok = False
            for attempt in task.attempts:
                keys = attempt.state_keys
                if FINISHED not in keys and FAILED not in keys:  # no final state
                    no_final += 1
                    ok = False
                if not driver and RUNNING not in keys and EXECUTE not in attempt.span_names:
                    no_exec += 1  # no execution: neither RUNNING nor its span
                    ok = False
        complete += ok
    return coverage_from((len(tasks), complete, no_def, no_parent, no_final, no_exec), files)


def coverage_from(counts: tuple[int, int, int, int, int, int],
                  files: tuple[FileReport, ...]) -> Coverage:
    """The Coverage of the task counts that `coverage` makes (tasks, complete, without a
    definition, without a parent, attempts without a final state, without an execution) and
    of the files read: what the C version (native/facts.c) counts goes in here."""
    tasks, complete, no_def, no_parent, no_final, no_exec = counts
    return Coverage(
        tasks=tasks,
        complete_tasks=complete,
        without_definition=no_def,
        without_parent=no_parent,
        without_final_state=no_final,
        without_execution=no_exec,
        empty_files=sum(1 for f in files if f.empty),
        truncated_files=sum(1 for f in files if f.truncated),
        skipped_lines=sum(f.skipped_total for f in files),
    )


def explain(cover: Coverage, attempts: Sequence[Attempt], dead_workers: frozenset[str],
            restarted: frozenset[str], defined: set[str],
            failed: frozenset[tuple[str, int]] = frozenset(), lost_calls: int = 0) -> Coverage:
    """The coverage without what a recorded death explains: Ray loses the last events of a
    process that dies (schema section 5), so the final state or execution of an attempt on a
    worker whose death is recorded is not missing from the capture; nor is what the creation
    attempts of an actor that restarted lack (the first ran in the process that died, Ray
    records no final state for the ones it runs again); nor the execution of an attempt whose
    failure says it never ran or died running (`failed`: its actor, worker or node gone, or
    cancelled; or, with the final state too, one its job's end or the capture's end cut
    short: steps/coverage.py); nor the final state of `lost_calls` tasks that left no attempt
    at all, defined with a known caller, whose caller and actor were killed right after
    (failures.lost_unattempted): each of those is complete."""
    if not dead_workers and not restarted and not failed and not lost_calls:
        return cover
    no_final, complete = lost_calls, lost_calls
    no_exec = 0
    # only a task with an attempt lacking something can be explained: of a table, the rows of
    # those tasks alone are made
    wanted = {a.task_id for a in lacking_of(attempts)}
    rows: dict[str, list[Attempt]] = {}
    for a in attempts_with(attempts, "task_id", wanted) if wanted else ():
        rows.setdefault(a.task_id, []).append(a)
    known: set[str] | None = None  # every task id, once a parent is asked about
    for task_id, runs in rows.items():
        missing = explained = False
        for a in runs:
            final = a.status != "UNKNOWN"
            ran = a.start_ns is not None or is_driver_task(task_id)
            if final and ran:
                continue
            why = a.worker_id in dead_workers or (a.task_id, a.attempt) in failed or (
                is_actor_creation_task(task_id) and task_id[-32:] in restarted)
            if not why:
                missing = True
                continue
            explained = True
            no_final += not final
            no_exec += not ran
        if explained and not missing and (is_driver_task(task_id) or runs[0].node in defined):
            if not is_driver_task(task_id):
                if known is None:
                    known = {t for t, in attempt_fields(attempts, "task_id")}
                if not _parent_known(runs[0].parent_task_id, known):
                    continue
            complete += 1  # a driver has neither a definition nor a caller (coverage above)
    return Coverage(
        tasks=cover.tasks,
        complete_tasks=min(cover.tasks, cover.complete_tasks + complete),
        without_definition=cover.without_definition,
        without_parent=cover.without_parent,
        without_final_state=max(0, cover.without_final_state - no_final),
        without_execution=max(0, cover.without_execution - no_exec),
        empty_files=cover.empty_files,
        truncated_files=cover.truncated_files,
        skipped_lines=cover.skipped_lines,
        undefined_tasks=cover.undefined_tasks,
    )


def with_undefined(cover: Coverage, missing: int, undefined: int) -> Coverage:
    """The coverage with the tasks that have no record at all (`missing`: ids named only as a
    caller or an object's producer) counted as tasks without a definition, and the number of
    tasks drawn as undefined-task placeholders (`undefined`, records or not)."""
    if not missing and not undefined:
        return cover
    return replace(cover, tasks=cover.tasks + missing,
                   without_definition=cover.without_definition + missing,
                   undefined_tasks=undefined)


def _parent_known(parent: str, known: set[str]) -> bool:
    return bool(parent) and (parent in known or is_driver_task(parent))
