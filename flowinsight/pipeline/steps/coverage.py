"""Step: how much of the session the capture holds (pipeline/coverage.py), less what a
recorded death explains, with the tasks that have no record at all."""

from __future__ import annotations

from dataclasses import replace

from flowinsight.pipeline.coverage import explain, with_undefined
from flowinsight.pipeline.facts import TaskFacts
from flowinsight.pipeline.identity import is_undefined
from flowinsight.pipeline.naming import NodeNamer
from flowinsight.pipeline.steps.state import Analysis, need


def coverage(analysis: Analysis) -> Analysis:
    namer = need(analysis.namer, "the namer")
    facts = need(analysis.facts, "the facts")
    judged = need(analysis.judgement, "the failures").judged
    cover = explain(facts.coverage, need(analysis.swept, "the sweep").attempts,
                    judged.dead_workers, judged.restarted, facts.defined, judged.explained)
    cover = with_undefined(cover, len(namer.missing), _undefined_tasks(namer, facts))
    return replace(analysis, coverage=cover)


def _undefined_tasks(node_of: NodeNamer, facts: TaskFacts) -> int:
    """The tasks drawn as undefined-task placeholders: their records, and the ids without one."""
    placeholders = {nid for nid, key in node_of.keys.items() if is_undefined(key)}
    if not placeholders:
        return 0
    asked = node_of.asked
    return sum(facts.received.get(nid, 0) for nid in placeholders) + sum(
        1 for task_id in node_of.missing if asked.get(task_id) in placeholders)
