"""The work a capture holds unfinished with nothing missing: caught running or queued by the
capture's end while its job ran, or ended by its job's end.

Ray records a task attempt's final state (FINISHED, FAILED) when the attempt ends; its states
before that (pending, RUNNING) as they happen, a worker's about once a second. The GCS exports
a job's driver job when the driver registers (EXPORT_DRIVER_JOB, `is_dead` false) and again
when it ends (`is_dead` with an `end_time`: GcsJobManager::MarkJobAsFinished), whether the
driver exited or died. A capture in which a job's driver job is recorded and never says it
ended ends while the job ran: a session folder copied or tarred while the cluster ran (a CI
artifact of a job still going), or a cluster stopped before the GCS recorded the end (every
process killed at once: `ray stop --force`, a CI job's timeout). The attempts of that job
without a final state were then running (their RUNNING state or execution recorded) or queued
(submitted, not started): their outcomes come after the capture, nothing of them is missing
from it.

Not so, and left to the coverage as gaps: an attempt of an actor whose death is recorded (its
end was lost with its actor, as with `ray.kill`, docs/failures.md), the attempts of a job whose
driver failed (RAY_DRIVER_FAILURE: the driver is gone and the GCS ends its job), and those of a
job without any driver job (nothing tells whether it still ran). Nor an attempt whose worker's
death a failure records (the raylet saw it die: a crash, or `ray stop --force` killing workers
before the raylet, which Ray does not tell apart): that death ended it, and explains what its
events lack (coverage.explain).

The attempts without a final state that their job's recorded end cut short are told the same
way, running or queued then (steps/coverage.py decides which: Ray ends them with the job).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from flowinsight.model.events import ActorUpdate, FailureNote, JobUpdate
from flowinsight.model.ids import (
    actor_of_task, is_actor_creation_task, is_driver_task, job_of_task)
from flowinsight.result import Attempt, AttemptTable, Unfinished

RUNNING = "running"
QUEUED = "queued"


@dataclass(frozen=True, slots=True)
class Caught:
    """Attempts without a final state, each with its job and where it was: RUNNING (it
    started: its RUNNING state or execution recorded; a driver always) or QUEUED."""

    states: Mapping[tuple[str, int], tuple[str, str]]  # (task id, attempt) -> (job, state)

    def keys(self) -> frozenset[tuple[str, int]]:
        return frozenset(self.states)

    def by_job(self, at: str) -> tuple[Unfinished, ...]:
        """The counts per job, sorted, the drivers' own left out (a driver is no task of the
        program's: Ray's State API lists none); a job with only its driver is still named."""
        counts: dict[str, list[int]] = {}
        for (task_id, _), (job, state) in self.states.items():
            count = counts.setdefault(job, [0, 0])
            if not is_driver_task(task_id):
                count[state == QUEUED] += 1
        return tuple(Unfinished(job, at, running, queued)
                     for job, (running, queued) in sorted(counts.items()))

    def column(self, attempts: AttemptTable) -> list[str]:
        """An Attempt column: RUNNING or QUEUED for the rows caught, "" for the others."""
        states = self.states
        return [states[key][1] if key in states else ""
                for key in zip(attempts.task_ids, attempts.numbers)]


NOTHING = Caught({})


def caught(attempts: Iterable[tuple[Attempt, str]]) -> Caught:
    """Each (attempt, its job) as RUNNING or QUEUED."""
    return Caught({(a.task_id, a.attempt): (
        job, RUNNING if a.start_ns is not None or is_driver_task(a.task_id) else QUEUED)
        for a, job in attempts})


def restarted_creation(task_id: str, restarted: frozenset[str]) -> bool:
    """Whether the task is the creation of an actor that restarted."""
    return is_actor_creation_task(task_id) and actor_of_task(task_id) in restarted


def running_jobs(jobs: Iterable[JobUpdate], notes: Sequence[FailureNote]) -> frozenset[str]:
    """The jobs whose driver job is recorded and never ended, and whose driver did not fail."""
    failed = {n.job_id for n in notes if n.label == "RAY_DRIVER_FAILURE"}
    seen: set[str] = set()
    ended: set[str] = set()
    for job in jobs:
        seen.add(job.job_id)
        if job.is_dead or job.end_ms:
            ended.add(job.job_id)
    return frozenset(seen - ended - failed)


def in_progress(unfinished: Iterable[Attempt], running: frozenset[str],
                jobs_of: Mapping[str, str], actors: Iterable[ActorUpdate],
                dead_workers: frozenset[str] = frozenset(),
                restarted: frozenset[str] = frozenset()) -> Caught:
    """Of the attempts without a final state, those of a job the capture ends during whose
    actor (if any) is not recorded dead, nor their worker (`dead_workers`: a failure records
    its death, which ended the attempt), and that are no creation of a restarted actor
    (`restarted`: Ray records no final state for a creation it runs again, whatever the
    capture: coverage.explain's)."""
    if not running:
        return NOTHING
    dead = {up.actor_id for up in actors if up.state == "DEAD"}
    found = []
    for a in unfinished:
        job = jobs_of[a.task_id] if a.task_id in jobs_of else job_of_task(a.task_id)
        if job not in running or actor_of_task(a.task_id) in dead \
                or (a.worker_id and a.worker_id in dead_workers) \
                or restarted_creation(a.task_id, restarted):
            continue
        found.append((a, job))
    return caught(found)


def with_columns(attempts: AttemptTable, unfinished: tuple[Caught, Caught] | None
                 ) -> AttemptTable:
    """The table with the attempts' at_capture_end and at_job_end columns, where any is set."""
    at_capture_end, at_job_end = unfinished or (NOTHING, NOTHING)
    if at_capture_end.states:
        attempts = attempts.with_column("at_capture_end", at_capture_end.column(attempts))
    if at_job_end.states:
        attempts = attempts.with_column("at_job_end", at_job_end.column(attempts))
    return attempts
