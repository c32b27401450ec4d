"""Step: where in the user's code each task was called from (the recorder's call sites,
call_sites.py), with the nodes of those tasks and of their callers, read from the records
before they are let go."""

from __future__ import annotations

from dataclasses import replace

from flowinsight.pipeline.call_sites import place_sites, task_sites
from flowinsight.pipeline.steps.state import Analysis, Sites, need


def sites(analysis: Analysis) -> Analysis:
    events = analysis.reduced.call_sites
    found = task_sites(events) if events else {}
    placed = place_sites(found, need(analysis.selected, "the selection").scan.tasks,
                         need(analysis.namer, "the namer")) if found else {}
    return replace(analysis, sites=Sites(found, placed))
