"""Failures, each on the graph node it hit: failed attempts, actor deaths and restarts, and
the stock failure labels (worker, driver and node deaths, OOM, fatal checks)."""

from __future__ import annotations

from typing import Callable, Iterable, Sequence

from flowinsight.model.events import ActorUpdate, FailureNote
from flowinsight.result import Attempt, Failure

# Deaths someone asked for, or the normal end of a job: not failures.
_INTENDED = ("RAY_KILL", "OUT_OF_SCOPE", "REF_DELETED", "OWNER_DIED", "INTENDED_USER_EXIT")
_LABEL_KIND = {"RAY_WORKER_FAILURE": "worker", "RAY_DRIVER_FAILURE": "driver",
               "RAY_NODE_REMOVED": "node", "Out of Memory": "oom",
               "RAY_FATAL_CHECK_FAILED": "fatal"}


def headline(message: str) -> str:
    """The line that says what went wrong: a traceback's last line, else the first line."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    if not lines:
        return ""
    if any(line.startswith("Traceback") or line.startswith('File "') for line in lines):
        return lines[-1]
    return lines[0]


def task_failures(attempts: Iterable[Attempt]) -> list[Failure]:
    return [
        Failure("task", a.node, a.task_id, a.attempt, a.error_type or "FAILED",
                headline(a.error_message), a.end_ns / 1e9 if a.end_ns else None)
        for a in attempts if a.status == "FAILED"
    ]


def actor_failures(updates: Iterable[ActorUpdate]) -> list[Failure]:
    out: list[Failure] = []
    seen: set[tuple[str, str, float | None]] = set()
    for up in sorted(updates, key=lambda u: (u.actor_id, u.time_s or 0.0)):
        key = (up.actor_id, up.state, up.time_s)
        if key in seen:
            continue
        seen.add(key)
        if up.state == "RESTARTING":
            out.append(Failure("actor", up.actor_id, "", None, "ACTOR_RESTARTING",
                               headline(up.death_cause), up.time_s))
        elif up.state == "DEAD" and up.death_reason and not up.death_reason.endswith(_INTENDED) \
                and "INTENDED_USER_EXIT" not in up.death_cause:
            out.append(Failure("actor", up.actor_id, "", None, up.death_reason.upper(),
                               headline(up.death_cause), up.time_s))
    return out


def note_failures(notes: Iterable[FailureNote], attempts: Sequence[Attempt],
                  driver_node: Callable[[str], str]) -> list[Failure]:
    """A worker's death is put on the node of the last attempt that ran on that worker."""
    notes = list(notes)
    if not notes:
        return []
    by_worker: dict[str, Attempt] = {}
    for a in sorted(attempts, key=lambda a: a.start_ns or 0):
        if a.worker_id:
            by_worker[a.worker_id] = a
    out = []
    for note in notes:
        kind = _LABEL_KIND.get(note.label, "worker")
        hit = by_worker.get(note.worker_id) if note.worker_id else None
        node = hit.node if hit else ""
        if kind == "driver" and note.job_id:
            node = driver_node(note.job_id)
        out.append(Failure(kind, node, hit.task_id if hit else "", hit.attempt if hit else None,
                           note.label, headline(note.message), note.time_s))
    return out
