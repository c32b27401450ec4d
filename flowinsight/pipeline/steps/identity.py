"""Step: node identity. The namer (pipeline/naming.py) that every later step asks which node
a task is: by its name as Ray runs it (selection.py), with `--group-by class` actor instances
as their class, function ids with `@<job>` where several jobs are read."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from flowinsight.model.ids import JOB_HEX, is_driver_task
from flowinsight.pipeline.actors import collect_actors
from flowinsight.pipeline.naming import NodeNamer
from flowinsight.pipeline.steps.state import Analysis, need
from flowinsight.pipeline.tasks import Task
from flowinsight.pipeline.views import class_groups


def identify(analysis: Analysis) -> Analysis:
    selected = need(analysis.selected, "the selection")
    scan, reduced = selected.scan, analysis.reduced
    job_ids = scan.job_ids | reduced.job_ids
    if analysis.options.job:  # the view's tasks may be other jobs' (job_view.py): its drivers
        job_ids = {analysis.options.job.lower()} | reduced.job_ids \
            | callers_jobs(scan.tasks.values())
    updates = reduced.actor_updates
    classes = {}
    if analysis.options.group_by == "class":
        classes = class_groups(collect_actors(updates, (), scan.actor_ids,
                                              scan.actor_facts).values())
    # the actors known from records: an undefined task of another is its job's placeholder
    known_actors = scan.actor_ids | {u.actor_id for u in updates}
    namer = NodeNamer(scan.tasks, len(job_ids - {""}) > 1, classes, scan.modules, scan.ambiguous,
                      known_actors, selected.outside, selected.renames)
    return replace(analysis, namer=namer)


def callers_jobs(tasks: Iterable[Task]) -> set[str]:
    """The jobs of the drivers that called these tasks. Ray puts an actor's tasks in the
    actor's job whoever calls them (a detached actor called from another job's driver), so
    one job's tasks may have other jobs' drivers as callers: each keeps its `@<job>` then,
    not drawn as the selected job's own `main`. A driver's task id ends with its job id."""
    return {t.parent_task_id[-JOB_HEX:] for t in tasks
            if t.parent_task_id and is_driver_task(t.parent_task_id)}
