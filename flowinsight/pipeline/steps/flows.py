"""Step: the data flows, each object from the task that produced it to the tasks that read it
(graph.data_flows), with their sizes and latency."""

from __future__ import annotations

from dataclasses import replace

from flowinsight.pipeline.graph import data_flows, object_creators
from flowinsight.pipeline.steps.state import Analysis, need


def flows(analysis: Analysis) -> Analysis:
    reduced = analysis.reduced
    orphans = [0]
    namer = need(analysis.namer, "the namer")
    found = data_flows(reduced.puts, reduced.gets, namer, orphans,
                       object_creators(namer.tasks, namer.outside))
    return replace(analysis, flows=found, orphans=orphans[0])
