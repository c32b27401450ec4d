"""The scan of the table before any node is named: the selection (`--since/--until`, without
driver-thread records), its jobs, the modules known for function names, what the tasks say of
their actors and which tasks Ray names by their span (native/scan.c when built;
scan_table_py is the reference)."""

from __future__ import annotations

from dataclasses import dataclass

from flowinsight.model.events import FunctionRef, TaskType
from flowinsight.pipeline.actors import actor_task_facts
from flowinsight.pipeline.identity import (
    add_modules,
    all_modules,
    ambiguous_names,
    renamed_tasks,
    renames_by_span,
    single_modules,
)
from flowinsight.pipeline.native import sweep_module
from flowinsight.pipeline.options import Options
from flowinsight.pipeline.tasks import Task, is_driver_thread_record
from flowinsight.pipeline.views import in_window


@dataclass(frozen=True, slots=True)
class TableScan:
    """What the analysis needs of the whole table before it names any node: one pass over the
    records."""

    tasks: dict[str, Task]  # the selection (selected_tasks)
    job_ids: set[str]  # the jobs of the selected tasks
    modules: dict[tuple[str, str], str]  # known_modules(tasks), of the functions as submitted
    actor_facts: tuple[dict[str, str], dict[str, str]]  # actor_task_facts(tasks)
    actor_ids: set[str]  # the actors the selected tasks name
    ambiguous: set[tuple[str, str]]  # ambiguous_names: names of functions of several modules
    renames: dict[str, FunctionRef]  # identity.renames_by_span of the selected tasks


def scan_table(tasks: dict[str, Task], options: Options) -> TableScan:
    """scan_table_py's answer, from native/scan.c when built (a time window is still
    chosen in Python, before). The records are only read."""
    if sweep_module is None:
        return scan_table_py(tasks, options)
    if options.since_ns is not None or options.until_ns is not None:
        tasks = selected_tasks(tasks, options)
    (dropped, job_ids, found, classes, languages, actor_ids, undefined,
     renamed) = sweep_module.scan(tasks, is_driver_thread_record, TaskType.ACTOR_CREATION,
                                  TaskType.ACTOR, TaskType.DRIVER)
    add_modules(found, undefined)  # tasks without a definition: key_of places them
    if dropped:
        gone = set(dropped)
        tasks = {tid: t for tid, t in tasks.items() if tid not in gone}
    return TableScan(tasks, job_ids, single_modules(found), (classes, languages), actor_ids,
                     ambiguous_names(found), renames_by_span(renamed))


def scan_table_py(tasks: dict[str, Task], options: Options) -> TableScan:
    selected = selected_tasks(tasks, options)
    found = all_modules(selected)  # of the functions as submitted, as scan.c
    return TableScan(selected, {t.job_id for t in selected.values()}, single_modules(found),
                     actor_task_facts(selected.values()),
                     {t.actor_id for t in selected.values() if t.actor_id},
                     ambiguous_names(found), renames_by_span(renamed_tasks(selected.values())))


def selected_tasks(tasks: dict[str, Task], options: Options) -> dict[str, Task]:
    """The tasks in the --since/--until window, without driver-thread records; the table
    itself (not a copy of it, millions of entries) when that is all of them."""
    since, until = options.since_ns, options.until_ns
    window = since is not None or until is not None
    dropped = {tid for tid, t in tasks.items()
               if (t.task_type is None and is_driver_thread_record(t))
               or (window and not in_window(t, since, until))}
    if not dropped:
        return tasks
    return {tid: t for tid, t in tasks.items() if tid not in dropped}
