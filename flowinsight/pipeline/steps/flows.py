"""Step: the data flows, each object from the task that produced it to the tasks that read it
(graph.data_flows), with their sizes and latency."""

from __future__ import annotations

from dataclasses import replace

from flowinsight.pipeline.graph import data_flows
from flowinsight.pipeline.steps.state import Analysis, need


def flows(analysis: Analysis) -> Analysis:
    reduced = analysis.reduced
    orphans = [0]
    found = data_flows(reduced.puts, reduced.gets, need(analysis.namer, "the namer"), orphans)
    return replace(analysis, flows=found, orphans=orphans[0])
