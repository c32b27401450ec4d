"""`--job`: a job's view is its tasks and what they called, whatever job Ray put those in
(pipeline/job_view.py). Ray gives an actor task its actor's creation job and its caller as
parent, so job B's calls to job A's actor, and what those calls submitted in turn (A's tasks,
by the executing worker's job), are B's; A's own calls to the same actor are not."""

from __future__ import annotations

from flowinsight.model.events import FunctionRef, TaskType
from flowinsight.model.ids import driver_task_id
from flowinsight.pipeline.job_view import tasks_of_view, view_of_job
from flowinsight.pipeline.partial import Partial
from flowinsight.pipeline.tasks import Task

A, B = "0a000000", "0b000000"
ACTOR = "11" * 12 + A  # job A's actor


def task(unique: str, job: str, parent: str, actor: str = "") -> Task:
    tid = unique * 8 + (actor or "f" * 24 + job)  # TaskID: 8 unique bytes, then ActorID
    kind = TaskType.ACTOR if actor else TaskType.NORMAL
    return Task(tid, job, kind, FunctionRef("m", "", unique), "PYTHON", parent, actor)


def table(*tasks: Task) -> dict[str, Task]:
    return {t.task_id: t for t in tasks}


def test_another_jobs_actor_called_from_the_job_and_what_it_called_in_turn() -> None:
    creation = task("c0", A, driver_task_id(A), ACTOR)
    own = task("a1", A, driver_task_id(A), ACTOR)  # A's driver calls its actor
    called = task("b1", A, driver_task_id(B), ACTOR)  # B's driver calls A's actor
    nested = task("b2", A, called.task_id)  # a task that call submitted: A's, as its worker
    deeper = task("b3", A, nested.task_id)
    square = task("b4", B, driver_task_id(B))
    a_task = task("a2", A, own.task_id)
    tasks = table(creation, own, nested, deeper, called, square, a_task)  # callee before caller
    assert list(tasks_of_view(tasks, B)) == [
        nested.task_id, deeper.task_id, called.task_id, square.task_id]
    assert list(tasks_of_view(tasks, A)) == [creation.task_id, own.task_id, nested.task_id,
                                             deeper.task_id, called.task_id, a_task.task_id]


def test_a_caller_without_a_record_is_the_job_its_id_names() -> None:
    lost = "ee" * 8 + "f" * 24 + B  # a task of B whose events are all missing
    called = task("b1", A, lost, ACTOR)
    other = task("a1", A, "ee" * 8 + "f" * 24 + A, ACTOR)
    assert list(tasks_of_view(table(called, other), B)) == [called.task_id]


def test_every_task_in_view_leaves_the_table_as_it_is() -> None:
    tasks = table(task("b1", B, driver_task_id(B)), task("b2", A, driver_task_id(B), ACTOR))
    assert tasks_of_view(tasks, B) is tasks


def test_the_callee_actors_snapshots_and_the_views_objects() -> None:
    from flowinsight.model.events import ActorUpdate, JobUpdate, ObjectGet

    called = task("b1", A, driver_task_id(B), ACTOR)
    other_actor = "22" * 12 + A
    reduced = Partial(table(called, task("a1", A, driver_task_id(A), other_actor)))
    reduced.actor_updates = [
        ActorUpdate(a, A, "Keeper", "", "ALIVE", "", None, True, "", "", None, "")
        for a in (ACTOR, other_actor)]
    reduced.job_updates = [JobUpdate(j, "python x.py", 1, 1, None, False, "") for j in (A, B)]
    reduced.gets = [ObjectGet("e1", "00" * 28, called.task_id, ACTOR, A, "arg", None, None, 0),
                    ObjectGet("e2", "00" * 28, "ab" * 24, other_actor, A, "arg", None, None, 0)]
    reduced.job_ids = {A, B}
    view = view_of_job(reduced, B.upper())
    assert list(view.tasks) == [called.task_id]
    assert [u.actor_id for u in view.actor_updates] == [ACTOR]
    assert [u.job_id for u in view.job_updates] == [B]
    assert [g.event_id for g in view.gets] == ["e1"]
    assert view.job_ids == {B}


def test_a_record_with_the_submitters_job_is_still_its_actors_jobs() -> None:
    # the recorder writes the submitter's job on task_submitted (B), Ray's events the actor's
    # creation job (A), which the task's id ends with: merged, the record may say B
    called = task("b1", B, driver_task_id(B), ACTOR)
    assert list(tasks_of_view(table(called), A)) == [called.task_id]
    assert list(tasks_of_view(table(called), B)) == [called.task_id]
