"""The attempts as the timelines (the trace, the report's) draw them: as columns, each run
ending at its recorded end or, still running when the capture or its job ended
(pipeline/capture_end.py), at that end."""

from __future__ import annotations

from typing import Sequence

from flowinsight.result import EXTRA_FIELDS, NO_NS, STATUS_NAMES, Attempt, AttemptTable, Job


def as_table(attempts: Sequence[Attempt]) -> AttemptTable:
    """The attempts as columns: the pipeline's table itself, or a copy of other rows (a
    focused result holds a tuple)."""
    if isinstance(attempts, AttemptTable):
        return attempts
    rows = list(attempts)

    def ns(times: list[int | None]) -> list[int]:
        return [NO_NS if t is None else t for t in times]

    return AttemptTable(
        [a.task_id for a in rows], [a.attempt for a in rows], [a.node for a in rows],
        [a.parent_task_id for a in rows], bytes(STATUS_NAMES.index(a.status) for a in rows),
        {i: (a.error_type, a.error_message) for i, a in enumerate(rows)},
        [a.ray_node_id for a in rows], [a.worker_id for a in rows],
        [a.worker_pid for a in rows], ns([a.pending_ns for a in rows]),
        ns([a.start_ns for a in rows]), ns([a.end_ns for a in rows]),
        {name: [getattr(a, name) for a in rows] for name in EXTRA_FIELDS})


def drawn_ends(t: AttemptTable, jobs: Sequence[Job]) -> Sequence[int]:
    """Each row's end as the timelines draw it (AttemptTable.open_ends): a run still going
    when the capture or its job ended is drawn to that end; a run that merely has no recorded
    end is not drawn."""
    return t.open_ends({j.id: j.end_ms for j in jobs if j.end_ms is not None})
