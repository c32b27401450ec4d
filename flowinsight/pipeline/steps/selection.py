"""Step: the records to analyse (`--since/--until`, without driver-thread records: scan.py)
and the names Ray runs them under, where those are not their records' (a `task::` span, a Ray
Data operator). The records are only read."""

from __future__ import annotations

from dataclasses import replace

from flowinsight.pipeline.datasets import name_by_operator
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
    if reduced.dataset_events:  # the two never rename one task: by_operator needs no span
        renames = {**name_by_operator(table, reduced.dataset_events), **renames}
    return replace(analysis, selected=Selected(scan, outside, renames, len(scan.tasks)))
