"""Step: how much of the session the capture holds (pipeline/coverage.py), less what a
recorded death or the end of a job explains and what was still running or queued when the
capture ended during its job (pipeline/capture_end.py), with the tasks that have no record at
all."""

from __future__ import annotations

from dataclasses import replace

from flowinsight.model.ids import actor_of_task, job_of_task
from flowinsight.pipeline.capture_end import (
    NOTHING, Caught, caught, in_progress, restarted_creation, running_jobs, with_columns)
from flowinsight.pipeline.coverage import explain, with_undefined
from flowinsight.pipeline.failures import JobEnds
from flowinsight.pipeline.facts import TaskFacts
from flowinsight.pipeline.identity import is_undefined
from flowinsight.pipeline.naming import NodeNamer
from flowinsight.pipeline.steps.state import Analysis, need
from flowinsight.result import CAPTURE_END, JOB_END, Attempt

def coverage(analysis: Analysis) -> Analysis:
    namer = need(analysis.namer, "the namer")
    facts = need(analysis.facts, "the facts")
    judged = need(analysis.judgement, "the failures").judged
    attempts = need(analysis.swept, "the sweep").attempts
    reduced = analysis.reduced
    # an attempt whose final state a kill lost was not cut short by the end of anything
    open_ends = [a for a in attempts.unfinished()
                 if (a.task_id, a.attempt) not in judged.explained]
    at_capture_end = in_progress(open_ends,
                                 running_jobs(reduced.job_updates, reduced.failure_notes),
                                 facts.jobs_of, reduced.actor_updates, judged.dead_workers,
                                 judged.restarted)
    at_job_end = _cut_by_job_end(analysis, open_ends)
    cover = explain(facts.coverage, attempts, judged.dead_workers, judged.restarted,
                    facts.defined, judged.explained | at_job_end.keys() | at_capture_end.keys(),
                    judged.lost_calls)
    cover = with_undefined(cover, len(namer.missing), _undefined_tasks(namer, facts))
    unfinished = at_capture_end.by_job(CAPTURE_END) + at_job_end.by_job(JOB_END)
    if unfinished:
        cover = replace(cover, unfinished=unfinished)
    return replace(analysis, coverage=cover,
                   attempts=with_columns(attempts, (at_capture_end, at_job_end)))


def _cut_by_job_end(analysis: Analysis, unfinished: list[Attempt]) -> Caught:
    """The attempts without a final state that were still pending or running when their job
    ended: Ray ends them with it (the GCS marks every non-terminal attempt of a finished job
    FAILED, WORKER_DIED "Job finishes ... as driver exits": gcs_task_manager.cc
    MarkTasksFailedOnJobEnds, in its own store only, never in an event file; the raylet kills
    their workers, "Worker force exited because its job has finished"), so nothing is missing
    from the capture there. However the driver ended: the GCS finishes the job of a driver
    that died too (GcsJobManager::MarkJobAsFinished, `is_dead` with an `end_time` in
    EXPORT_DRIVER_JOB), and that death is the failure (RAY_DRIVER_FAILURE), counted once.
    An actor's task whose actor died before the job ended did not last until then: what its
    end lacks stays a gap (events lost to a `ray.kill`, docs/failures.md); nor did an attempt
    whose worker's death a failure records, and a restarted actor's creation never has a final
    state (both coverage.explain's)."""
    reduced = analysis.reduced
    if not reduced.job_updates:
        return NOTHING
    ends = JobEnds(reduced.job_updates, ())  # every recorded end, a driver's death's too
    jobs_of = need(analysis.facts, "the facts").jobs_of
    judged = need(analysis.judgement, "the failures").judged
    died: dict[str, float] = {}  # actor id -> when it first died
    for up in reduced.actor_updates:
        if up.state == "DEAD" and up.time_s is not None:
            died[up.actor_id] = min(up.time_s, died.get(up.actor_id, up.time_s))
    cut: list[tuple[Attempt, str]] = []
    for a in unfinished:
        job = jobs_of[a.task_id] if a.task_id in jobs_of else job_of_task(a.task_id)
        if not ends.over(job) or (a.worker_id and a.worker_id in judged.dead_workers) \
                or restarted_creation(a.task_id, judged.restarted):
            continue
        actor = actor_of_task(a.task_id)
        if actor and actor in died and not ends.ended(job, died[actor]):
            continue  # its actor was gone before the job ended
        cut.append((a, job))
    return caught(cut)


def _undefined_tasks(node_of: NodeNamer, facts: TaskFacts) -> int:
    """The tasks drawn as undefined-task placeholders: their records, and the ids without one."""
    placeholders = {nid for nid, key in node_of.keys.items() if is_undefined(key)}
    if not placeholders:
        return 0
    asked = node_of.asked
    return sum(facts.received.get(nid, 0) for nid in placeholders) + sum(
        1 for task_id in node_of.missing if asked.get(task_id) in placeholders)
