"""Step: the critical path of each job (pipeline/critical.py: in C when built, with its
Python reference)."""

from __future__ import annotations

from dataclasses import replace

from flowinsight.model.ids import job_of_task
from flowinsight.pipeline.jobs import job_end_ms
from flowinsight.pipeline.critical import critical_paths
from flowinsight.pipeline.steps.state import Analysis, need


def critical(analysis: Analysis) -> Analysis:
    """A call still running when the capture or its job ended (coverage: capture_end.py)
    counts until then (AttemptTable.open_ends): the chain that held a job a CI timeout cut
    short is its critical path, not the calls that happened to end."""
    jobs_of = need(analysis.facts, "the facts").jobs_of
    attempts = need(analysis.attempts, "the coverage's attempts")
    attempts = attempts.with_ends(attempts.open_ends(job_end_ms(analysis.reduced.job_updates)))
    paths = critical_paths(attempts, lambda t: jobs_of[t] if t in jobs_of else job_of_task(t),
                           jobs_of)
    return replace(analysis, critical_paths=paths)
