"""Step: the facts of every task (what the nodes, jobs and coverage need) and the sweep (each
attempt a row with its durations, the call flows, each node's stats), in one pass over the
records (facts.facts_and_sweep: in C when built, with its Python reference)."""

from __future__ import annotations

from dataclasses import replace

from flowinsight.pipeline.facts import facts_and_sweep
from flowinsight.pipeline.steps.state import Analysis, need


def calls(analysis: Analysis) -> Analysis:
    selected = need(analysis.selected, "the selection")
    facts, swept = facts_and_sweep(selected.scan.tasks, need(analysis.namer, "the namer"),
                                   analysis.account, "export_api" in analysis.reduced.sources)
    return replace(analysis, facts=facts, swept=swept)
