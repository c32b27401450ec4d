"""`--job`: the events of one job's view, chosen from all the events read.

Ray puts a task in the job of whoever created what runs it, not of its caller: an actor task's
job is its actor's creation job, whoever called it (CoreWorker::SubmitActorTask builds the
spec with `actor_handle->CreationJobID()` as its job and the caller's current task as its
`parent_task_id`). So the calls one job's driver makes to another job's (detached) actor carry
that other job's id. A job's view holds the tasks of the job, and the tasks its tasks called,
whatever their job (transitively: what such a call submitted in turn too): a task is in it if
its job is the job (its record's, or the one its id ends with), or its parent (the task that
submitted it) is in it. The actor itself (its creation task) stays its own job's: the view
shows it as the callee its methods' node names.

The relation needs every record (a caller may be read after its callees), so the read keeps
every job and the view is chosen here, before the analysis: the records not in it are let go.
"""

from __future__ import annotations

from flowinsight.model.ids import driver_task_id, job_of_task
from flowinsight.pipeline.partial import Partial
from flowinsight.pipeline.tasks import Task


def tasks_of_view(tasks: dict[str, Task], job: str) -> dict[str, Task]:
    """The records of `job`'s view, in table order: its tasks (by their record's job or by
    their id's), those of no job (as every event of no job is kept), and those a task of the
    view submitted. A caller with no record is in the view where its id says it is the job's
    (a TaskID ends with its JobID: its driver, a task of the job whose events are missing)."""
    kept: set[str] = set()
    callees: dict[str, list[str]] = {}
    for task_id, task in tasks.items():
        # Ray's job of a task is the one its id ends with (TaskID::ForActorTask ends with the
        # ActorID, which ends with the actor's creation job); a record's job may be the
        # submitter's where the recorder's task_submitted was merged first
        if task.job_id in (job, "") or job_of_task(task_id) == job:
            kept.add(task_id)
        else:
            callees.setdefault(task.parent_task_id, []).append(task_id)
    todo = [p for p in callees if p in kept or (p not in tasks and job_of_task(p) == job)]
    todo.append(driver_task_id(job))
    while todo:
        for task_id in callees.pop(todo.pop(), ()):
            kept.add(task_id)
            todo.append(task_id)
    if len(kept) == len(tasks):
        return tasks
    return {task_id: task for task_id, task in tasks.items() if task_id in kept}


def view_of_job(reduced: Partial, job: str) -> Partial:
    """The events of `job`'s view: its tasks (tasks_of_view) and the other events of the job
    (and of none), besides those that name a task of the view (an object put or read by it, its
    call site, its Ray Data operator) and the snapshots of the actors whose tasks are in it.
    The Ray nodes, and the earliest time of all (the origin of --since/--until), are kept."""
    job = job.lower()
    tasks = tasks_of_view(reduced.tasks, job)
    ours = (job, "")
    actors = {t.actor_id for t in tasks.values() if t.actor_id}
    puts = [e for e in reduced.puts if e.job_id in ours or e.task_id in tasks]
    gets = [e for e in reduced.gets if e.job_id in ours or e.task_id in tasks]
    jobs = [e for e in reduced.job_updates if e.job_id in ours]
    return Partial(
        tasks,
        [e for e in reduced.actor_updates if e.job_id in ours or e.actor_id in actors],
        jobs,
        [e for e in reduced.failure_notes if e.job_id in ours],
        puts, gets,
        reduced.job_ids & {job, ""},  # of the events of the job (objects: of their readers')
        set(reduced.sources), reduced.first_ns,
        [e for e in reduced.call_sites
         if getattr(e, "job_id", "") in ours or getattr(e, "task_id", "") in tasks],
        [e for e in reduced.dataset_events
         if getattr(e, "job_id", "") in ours or getattr(e, "task_id", "") in tasks],
        list(reduced.node_updates),
        [e for e in reduced.task_names if e.task_id in tasks])
