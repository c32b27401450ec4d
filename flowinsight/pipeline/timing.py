"""Per-attempt timing from Export API states and profile spans (schema 4.1).

Queue time runs from the first pending state to RUNNING; execution time is the `task:execute`
span when present, otherwise RUNNING to FINISHED/FAILED.
"""

from __future__ import annotations

from flowinsight.model.fast_init import fast_constructor
from flowinsight.pipeline.tasks import Attempt as RawAttempt
from flowinsight.pipeline.tasks import Task, unpack_int64s
from flowinsight.result import Attempt

PENDING = frozenset((1, 2, 3, 4, 5, 6, 7, 13))
RUNNING = 8
FINISHED = 11
FAILED = 12
EXECUTE = "task:execute"


_new_attempt = fast_constructor(Attempt)


def attempt_of(task: Task, raw: RawAttempt, node: str) -> Attempt:
    pending = running = finished = failed = None
    for status, ns in zip(raw.state_keys, unpack_int64s(raw.state_ns)):  # each status once
        if status == RUNNING:
            running = ns
        elif status == FINISHED:
            finished = ns
        elif status == FAILED:
            failed = ns
        elif status in PENDING and (pending is None or ns < pending):
            pending = ns
    start: int | None
    end: int | None
    if EXECUTE in raw.span_names:
        start, end = raw.span(EXECUTE)  # type: ignore[misc]
    else:
        start, end = running, finished if finished is not None else failed
    if failed is not None or raw.error_type:
        status_name = "FAILED"
    elif finished is not None:
        status_name = "FINISHED"
    else:
        status_name = "UNKNOWN"
    return _new_attempt(task.task_id, raw.number, node, task.parent_task_id, status_name,
                        raw.error_type, raw.error_message, raw.node_id, raw.worker_id,
                        raw.worker_pid, pending, start, end)


def has_execution(raw: RawAttempt) -> bool:
    return RUNNING in raw.state_keys or EXECUTE in raw.span_names


def has_final_state(raw: RawAttempt) -> bool:
    return FINISHED in raw.state_keys or FAILED in raw.state_keys
