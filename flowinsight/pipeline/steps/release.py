"""Step: with `consume`, the task records let go, the table and the selection emptied: no
step after this one reads a record (the attempt rows take their place), so a large analysis
does not hold both. A namer asked about a task afterwards answers from what it was asked
before (a driver's node by name)."""

from __future__ import annotations

from flowinsight.pipeline.steps.state import Analysis, need


def release(analysis: Analysis) -> Analysis:
    if analysis.consume:
        tasks = need(analysis.selected, "the selection").scan.tasks
        reduced = analysis.reduced
        if reduced.tasks is not tasks:
            reduced.tasks = {}
        tasks.clear()
    return analysis
