"""Completeness: how much of the session the capture holds (schema section 5)."""

from __future__ import annotations

from flowinsight.model.capture import FileReport
from flowinsight.model.events import TaskType
from flowinsight.model.ids import is_driver_task
from flowinsight.pipeline.tasks import Task
from flowinsight.pipeline.timing import has_execution, has_final_state
from flowinsight.result import Coverage


def coverage(tasks: dict[str, Task], files: tuple[FileReport, ...], has_export: bool) -> Coverage:
    """A task is complete when its definition, its caller and (where the capture has Export
    API events, which carry them) every attempt's final state and execution were recorded."""
    complete = no_def = no_parent = no_final = no_exec = 0
    for task in tasks.values():
        driver = task.task_type is TaskType.DRIVER or is_driver_task(task.task_id)
        ok = task.defined
        no_def += not task.defined
        if task.defined and not driver and (
                not task.parent_task_id or (task.parent_task_id not in tasks
                                            and not is_driver_task(task.parent_task_id))):
            no_parent += 1
            ok = False
        if has_export:
            if not task.attempts:
                no_final += 1
                ok = False
            for attempt in task.attempts:
                if not has_final_state(attempt):
                    no_final += 1
                    ok = False
                if not driver and not has_execution(attempt):
                    no_exec += 1
                    ok = False
        complete += ok
    return coverage_from((len(tasks), complete, no_def, no_parent, no_final, no_exec), files)


def coverage_from(counts: tuple[int, int, int, int, int, int],
                  files: tuple[FileReport, ...]) -> Coverage:
    """The Coverage of the task counts that `coverage` makes (tasks, complete, without a
    definition, without a parent, attempts without a final state, without an execution) and
    of the files read: what the C version (pipeline/sweep/facts.c) counts goes in here."""
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
