"""Merging task events into one record per task: Export API partial updates per
(task_id, attempt), and `task_submitted` events, are the same task when their ids match."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from flowinsight.model.events import Event, FunctionRef, Span, TaskSubmitted, TaskType, TaskUpdate
from flowinsight.model.ids import job_of_task


@dataclass(slots=True)
class Attempt:
    number: int
    states: dict[int, int] = field(default_factory=dict)  # TaskStatus -> earliest ns
    node_id: str = ""
    worker_id: str = ""
    worker_pid: int | None = None
    error_type: str = ""
    error_message: str = ""
    spans: dict[str, Span] = field(default_factory=dict)
    component_type: str = ""


@dataclass(slots=True)
class Task:
    """A task as far as the capture knows it. Built by `merge_tasks`, read-only after."""

    task_id: str
    job_id: str
    task_type: TaskType | None = None
    function: FunctionRef | None = None
    language: str = ""
    parent_task_id: str = ""
    actor_id: str = ""
    submit_ms: float | None = None
    attempts: dict[int, Attempt] = field(default_factory=dict)

    @property
    def defined(self) -> bool:
        """Whether a submitter's record (task_info or task_submitted) was captured."""
        return self.task_type is not None


def merge_tasks(events: Iterable[Event]) -> dict[str, Task]:
    """Merge order does not matter: fields are filled once and state times keep the earliest."""
    tasks: dict[str, Task] = {}
    for ev in events:
        if isinstance(ev, TaskUpdate):
            _merge_update(_task(tasks, ev.task_id, ev.job_id), ev)
        elif isinstance(ev, TaskSubmitted):
            _merge_submitted(_task(tasks, ev.task_id, ev.job_id), ev)
    return tasks


def is_driver_thread_record(task: Task) -> bool:
    """Profile events a driver writes for a non-main thread's own context (its submit_task
    spans) arrive as a 'task' with no definition, states or execution: they are not a task."""
    if task.defined:
        return False
    return all(
        not a.states and not a.spans and a.component_type == "driver"
        for a in task.attempts.values()
    )


def _task(tasks: dict[str, Task], task_id: str, job_id: str) -> Task:
    task = tasks.get(task_id)
    if task is None:
        task = tasks[task_id] = Task(task_id, job_id or job_of_task(task_id))
    return task


def _merge_function(old: FunctionRef | None, new: FunctionRef) -> FunctionRef:
    if old is None or not old.name:
        return new
    return FunctionRef(old.module or new.module, old.class_name or new.class_name, old.name)


def _merge_info(task: Task, task_type: TaskType, function: FunctionRef | None, language: str,
                parent: str, actor: str) -> None:
    if task.task_type is None:
        task.task_type = task_type
    if function is not None:
        task.function = _merge_function(task.function, function)
    task.language = task.language or language
    task.parent_task_id = task.parent_task_id or parent
    task.actor_id = task.actor_id or actor


def _merge_submitted(task: Task, ev: TaskSubmitted) -> None:
    _merge_info(task, ev.task_type, ev.function, ev.language, ev.parent_task_id, ev.actor_id)
    if ev.time_ms is not None and (task.submit_ms is None or ev.time_ms < task.submit_ms):
        task.submit_ms = ev.time_ms


def _merge_update(task: Task, ev: TaskUpdate) -> None:
    if ev.task_type is not None:
        _merge_info(task, ev.task_type, ev.function, ev.language, ev.parent_task_id, ev.actor_id)
    elif ev.function is not None:
        task.function = _merge_function(task.function, ev.function)
    attempt = task.attempts.get(ev.attempt)
    if attempt is None:
        attempt = task.attempts[ev.attempt] = Attempt(ev.attempt)
    for status, ns in ev.states:
        old = attempt.states.get(status)
        if old is None or ns < old:
            attempt.states[status] = ns
    attempt.node_id = attempt.node_id or ev.node_id
    attempt.worker_id = attempt.worker_id or ev.worker_id
    if attempt.worker_pid is None:
        attempt.worker_pid = ev.worker_pid
    attempt.error_type = attempt.error_type or ev.error_type
    attempt.error_message = attempt.error_message or ev.error_message
    if ev.component_type and not attempt.component_type:
        attempt.component_type = ev.component_type
    for span in ev.spans:
        attempt.spans.setdefault(span.name, span)
