"""Each job as its driver-job snapshots (EXPORT_DRIVER_JOB, Ray's event export's definition and
lifecycle events) say it, merged in one place: the result's jobs and the job ends the
timelines and the critical path close running attempts at are the same record."""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable

from flowinsight.model.events import JobUpdate


def merged_jobs(updates: Iterable[JobUpdate]) -> dict[str, JobUpdate]:
    """Job id -> its record: the first snapshot, replaced by the first that says the driver is
    dead (or, before that, by the first with an end); what the chosen one lacks (entrypoint,
    pid, start, end) taken from the others in order, as Ray's event export says them in
    separate events."""
    updates = list(updates)
    info: dict[str, JobUpdate] = {}
    for e in updates:
        old = info.get(e.job_id)
        if old is None or (e.is_dead and not old.is_dead) or (e.end_ms and not old.end_ms):
            info[e.job_id] = e
    for e in updates:
        chosen = info[e.job_id]
        if (not chosen.entrypoint and e.entrypoint) or (chosen.driver_pid is None and
                                                        e.driver_pid) \
                or (chosen.start_ms is None and e.start_ms) or (not chosen.end_ms and e.end_ms):
            info[e.job_id] = replace(
                chosen, entrypoint=chosen.entrypoint or e.entrypoint,
                driver_pid=chosen.driver_pid if chosen.driver_pid is not None else e.driver_pid,
                start_ms=chosen.start_ms or e.start_ms, end_ms=chosen.end_ms or e.end_ms)
    return info


def job_end_ms(updates: Iterable[JobUpdate]) -> dict[str, int]:
    """Each job's recorded end, as the result's Job has it."""
    return {job_id: job.end_ms for job_id, job in merged_jobs(updates).items() if job.end_ms}
