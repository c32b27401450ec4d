"""The critical path of each job: the chain of calls, from the driver down, whose executions
add up to the most time (a caller waits on its callee, so each step depends on the next)."""

from __future__ import annotations

from array import array
from typing import Callable, Mapping, Sequence

from flowinsight.pipeline.native import sweep_module
from flowinsight.result import AttemptTable, CriticalPath, PathStep


def critical_paths(attempts: AttemptTable, job_of: Callable[[str], str],
                   jobs_of: dict[str, str] | None = None) -> tuple[CriticalPath, ...]:
    """critical_paths_py's answer, from the C version (native/critical.c) when it is
    built and the rows are in task id order, as the C sweep makes them. `jobs_of`, when given,
    says what job_of does, for either version to read it without calling job_of: job_of(t) is
    jobs_of[t] if t in jobs_of, else job_of_task(t)."""
    if sweep_module is None:
        return critical_paths_py(attempts, job_of, jobs_of)
    paths = sweep_module.critical(
        _listed(attempts.task_ids), _packed(attempts.numbers), _packed(attempts.start_ns),
        _packed(attempts.end_ns), _listed(attempts.parents), _listed(attempts.nodes), job_of,
        jobs_of)
    if paths is None:  # rows in another order (the Python sweep's)
        return critical_paths_py(attempts, job_of, jobs_of)
    return tuple(CriticalPath(job, tuple(PathStep(*step) for step in steps), total)
                 for job, steps, total in paths)


def critical_paths_py(attempts: AttemptTable, job_of: Callable[[str], str],
                      jobs_of: Mapping[str, str] | None = None) -> tuple[CriticalPath, ...]:
    """The reference the C is held to: by whole columns with numpy (critical_columns.py),
    imported here, so that numpy is loaded only by the runs the C does not answer."""
    from flowinsight.pipeline.critical_columns import critical_paths as by_columns

    return by_columns(attempts, job_of, jobs_of)


def _packed(column: Sequence[int]) -> bytes:
    """A time or number column as the C side reads it: native int64. The C sweep's columns
    already are (a view of its bytes): handed over, not copied."""
    if isinstance(column, memoryview) and isinstance(column.obj, bytes):
        return column.obj
    return array("q", column).tobytes()


def _listed(column: Sequence[str]) -> list[str]:
    return column if isinstance(column, list) else list(column)
