"""Step: node identity. The namer (pipeline/naming.py) that every later step asks which node
a task is: by its name as Ray runs it (selection.py), with `--group-by class` actor instances
as their class, function ids with `@<job>` where several jobs are read."""

from __future__ import annotations

from dataclasses import replace

from flowinsight.pipeline.actors import collect_actors
from flowinsight.pipeline.naming import NodeNamer
from flowinsight.pipeline.steps.state import Analysis, need
from flowinsight.pipeline.views import class_groups


def identify(analysis: Analysis) -> Analysis:
    selected = need(analysis.selected, "the selection")
    scan, reduced = selected.scan, analysis.reduced
    job_ids = scan.job_ids | reduced.job_ids
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
