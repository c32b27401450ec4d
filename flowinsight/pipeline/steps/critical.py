"""Step: the critical path of each job (pipeline/critical.py: in C when built, with its
Python reference)."""

from __future__ import annotations

from dataclasses import replace

from flowinsight.model.ids import job_of_task
from flowinsight.pipeline.critical import critical_paths
from flowinsight.pipeline.steps.state import Analysis, need


def critical(analysis: Analysis) -> Analysis:
    jobs_of = need(analysis.facts, "the facts").jobs_of
    paths = critical_paths(need(analysis.swept, "the sweep").attempts,
                           lambda t: jobs_of[t] if t in jobs_of else job_of_task(t), jobs_of)
    return replace(analysis, critical_paths=paths)
