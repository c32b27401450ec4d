"""Step: `--job`, the events of one job's view (pipeline/job_view.py: its tasks and what they
called, whatever job Ray put those in). With `consume` the records of other jobs are let go
here, before the analysis holds anything of them."""

from __future__ import annotations

from dataclasses import replace

from flowinsight.pipeline.job_view import view_of_job
from flowinsight.pipeline.steps.state import Analysis


def job(analysis: Analysis) -> Analysis:
    chosen = analysis.options.job
    if not chosen:
        return analysis
    reduced = analysis.reduced
    view = view_of_job(reduced, chosen)
    if analysis.consume and view.tasks is not reduced.tasks:
        reduced.tasks = {}
    return replace(analysis, reduced=view, every_job=reduced.job_updates)
