"""Step: the failed attempts whose function never ran, read from the records before `release`
lets them go (cancelled_inputs.py judges with it, in the failures step).

Ray fails a task whose argument could not be computed in its worker, while it deserialises the
arguments: the attempt has the `task:deserialize_arguments` span and no `task:execute` one
(`ray/_raylet.pyx` execute_task), and its error is the input's. One that raised from its own
code ran: it has the execute span."""

from __future__ import annotations

from dataclasses import replace

from flowinsight.pipeline.steps.state import Analysis, need
from flowinsight.pipeline.timing import EXECUTE

DESERIALIZE = "task:deserialize_arguments"


def unexecuted(analysis: Analysis) -> Analysis:
    tasks = need(analysis.selected, "the selection").scan.tasks
    attempts = need(analysis.swept, "the sweep").attempts
    keys: set[tuple[str, int]] = set()
    for a in attempts.failed():
        if a.error_type != "TASK_EXECUTION_EXCEPTION":
            continue
        task = tasks.get(a.task_id)
        for raw in task.attempts if task is not None else ():
            if raw.number == a.attempt and DESERIALIZE in raw.span_names \
                    and EXECUTE not in raw.span_names:
                keys.add((a.task_id, a.attempt))
    return replace(analysis, unexecuted=frozenset(keys))
