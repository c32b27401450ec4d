"""Step: the records to analyse (`--since/--until`, without driver-thread records: scan.py)
and the names Ray runs them under, where those are not their records' (a `task::` span, the
name a definition gives, a Ray Data operator, by its label or by its plan: data_stages.py). The records are only read."""

from __future__ import annotations

from dataclasses import replace

from flowinsight.pipeline.data_stages import Stage, operator_stages
from flowinsight.pipeline.datasets import name_by_operator
from flowinsight.pipeline.identity import renamed, renames_by_given_name
from flowinsight.pipeline.scan import scan_table
from flowinsight.pipeline.steps.state import Analysis, Selected


def select(analysis: Analysis) -> Analysis:
    reduced, options = analysis.reduced, analysis.options
    table = reduced.tasks
    scan = scan_table(table, options)
    window = options.since_ns is not None or options.until_ns is not None
    outside = {tid: t for tid, t in table.items() if t.defined and tid not in scan.tasks} \
        if window and scan.tasks is not table else {}
    renames = scan.renames
    if reduced.task_names:  # a task's span, where it ran, says what its given name says
        renames = {**renames_by_given_name(reduced.task_names, scan.tasks), **renames}
    stages: dict[str, Stage] = {}
    if reduced.dataset_events:  # the two never rename one task: by_operator needs no span
        renames = {**name_by_operator(table, reduced.dataset_events), **renames}
        # an unlabelled task of an operator: its `task::` span is its function's own name
        stages = operator_stages(scan.tasks, reduced.dataset_events)
        renames.update((tid, renamed(f, s.name)) for tid, s in stages.items()
                       if s.name and (f := scan.tasks[tid].function) is not None)
    operators = {tid: s.operator_uuid for tid, s in stages.items()}
    return replace(analysis, selected=Selected(scan, outside, renames, len(scan.tasks),
                                               operators))
