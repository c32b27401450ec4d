"""Per-attempt timing from Export API states and profile spans (schema 4.1).

Queue time runs from the first pending state to RUNNING; execution time is the `task:execute`
span when present, otherwise RUNNING to FINISHED/FAILED.
"""

from __future__ import annotations

from flowinsight.pipeline.tasks import Attempt as RawAttempt
from flowinsight.pipeline.tasks import Task
from flowinsight.result import Attempt

PENDING = (1, 2, 3, 4, 5, 6, 7, 13)
RUNNING = 8
FINISHED = 11
FAILED = 12


def attempt_of(task: Task, raw: RawAttempt, node: str) -> Attempt:
    states = raw.states
    pending = [states[s] for s in PENDING if s in states]
    execute = raw.spans.get("task:execute")
    start = execute.start_ns if execute else states.get(RUNNING)
    end = execute.end_ns if execute else states.get(FINISHED, states.get(FAILED))
    if FAILED in states or raw.error_type:
        status = "FAILED"
    elif FINISHED in states:
        status = "FINISHED"
    else:
        status = "UNKNOWN"
    return Attempt(
        task_id=task.task_id,
        attempt=raw.number,
        node=node,
        parent_task_id=task.parent_task_id,
        status=status,
        error_type=raw.error_type,
        error_message=raw.error_message,
        ray_node_id=raw.node_id,
        worker_id=raw.worker_id,
        worker_pid=raw.worker_pid,
        pending_ns=min(pending) if pending else None,
        start_ns=start,
        end_ns=end,
    )


def has_execution(raw: RawAttempt) -> bool:
    return RUNNING in raw.states or "task:execute" in raw.spans


def has_final_state(raw: RawAttempt) -> bool:
    return FINISHED in raw.states or FAILED in raw.states
