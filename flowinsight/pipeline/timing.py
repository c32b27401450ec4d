"""Per-attempt timing from Export API states and profile spans (schema 4.1).

Queue time runs from the first pending state to RUNNING; execution time is the `task:execute`
span when present, otherwise RUNNING to FINISHED/FAILED.
"""

from __future__ import annotations

from flowinsight.model.fast_init import fast_constructor
from flowinsight.pipeline.tasks import Attempt as RawAttempt
from flowinsight.pipeline.tasks import Task
from flowinsight.result import Attempt

PENDING = frozenset((1, 2, 3, 4, 5, 6, 7, 13))
RUNNING = 8
FINISHED = 11
FAILED = 12


_new_attempt = fast_constructor(Attempt)


def attempt_of(task: Task, raw: RawAttempt, node: str) -> Attempt:
    pending = running = finished = failed = None
    for status, ns in zip(raw.state_keys, raw.state_ns):  # each status once
        if status == RUNNING:
            running = ns
        elif status == FINISHED:
            finished = ns
        elif status == FAILED:
            failed = ns
        elif status in PENDING and (pending is None or ns < pending):
            pending = ns
    execute = raw.span("task:execute") if raw.span_names else None
    start: int | None
    end: int | None
    if execute:
        start, end = execute
    else:
        start, end = running, finished if finished is not None else failed
    if failed is not None or raw.error_type:
        status_name = "FAILED"
    elif finished is not None:
        status_name = "FINISHED"
    else:
        status_name = "UNKNOWN"
    return _new_attempt(
        task_id=task.task_id,
        attempt=raw.number,
        node=node,
        parent_task_id=task.parent_task_id,
        status=status_name,
        error_type=raw.error_type,
        error_message=raw.error_message,
        ray_node_id=raw.node_id,
        worker_id=raw.worker_id,
        worker_pid=raw.worker_pid,
        pending_ns=pending,
        start_ns=start,
        end_ns=end,
    )


def has_execution(raw: RawAttempt) -> bool:
    return RUNNING in raw.state_keys or "task:execute" in raw.span_names


def has_final_state(raw: RawAttempt) -> bool:
    return FINISHED in raw.state_keys or FAILED in raw.state_keys
