"""Where the timelines (the trace, the report's) end a run: at its recorded end, or, for one
still running when the capture or its job ended (pipeline/capture_end.py), at that end."""

from __future__ import annotations

from typing import Sequence

from flowinsight.model.ids import job_of_task
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
    """Each row's end as the timelines draw it: the one recorded; for a run still going when the
    capture ended while its job ran (`at_capture_end` "running": a copy taken mid-run, a CI
    job's timeout), the capture's last recorded time; for one its job's recorded end cut short
    (`at_job_end` "running"), that end. So what was running then shows (a hung call); a run
    that merely has no recorded end is not drawn."""
    caught, cut = t.column("at_capture_end"), t.column("at_job_end")
    if "running" not in caught and "running" not in cut:
        return t.end_ns
    last = max(x for times in (t.pending_ns, t.start_ns, t.end_ns) for x in times if x != NO_NS)
    job_ends = {j.id: j.end_ms * 1_000_000 for j in jobs if j.end_ms is not None}
    ends = list(t.end_ns)
    for i, (start, end) in enumerate(zip(t.start_ns, t.end_ns)):
        if end != NO_NS or start == NO_NS:
            continue
        if caught[i] == "running":
            ends[i] = max(start, last)
        elif cut[i] == "running":
            ends[i] = max(start, job_ends.get(job_of_task(t.task_ids[i]), start))
    return ends
