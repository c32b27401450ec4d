"""The report's timeline: a lane per worker (grouped by Ray node, the drivers first), a bar per
task attempt that ran, failures marked; and every failed attempt's full error text (its
traceback), which the JSON keeps to the first line.

Built from Result.attempts (the report's JSON document has no per-attempt rows). A Ray node's
lanes are headed by its IP where the capture has its node events. Columns, not objects: times
are integer microseconds from the first recorded time, so that a big capture stays small and
the same capture gives the same bytes. Past MAX_BARS the bars are sampled: every failed
attempt, then the longest; the report says how many it shows of how many.

An attempt whose record names no worker (an actor's creation seen only through its owner, for
one) is put on the lane of the worker with the same pid when exactly one worker had that pid.
"""

from __future__ import annotations

import heapq
from typing import Any, Sequence

from flowinsight.model.ids import is_driver_task, short
from flowinsight.render.text import strip_control
from flowinsight.render.open_runs import as_table, drawn_ends
from flowinsight.result import NO_NS, Attempt, Job

MAX_BARS = 30_000
MAX_ERRORS = 2_000  # failed attempts whose full error text is kept
MAX_ERROR_CHARS = 8_000
_UNKNOWN_NODE = "(unknown node)"
_STATUS = {"FINISHED": 0, "FAILED": 1, "UNKNOWN": 2}


def _lane_of(a: Attempt, by_pid: dict[tuple[str, int], tuple[str, str]],
             only_pid: dict[int, tuple[str, str]]) -> tuple[str, str, str]:
    """(group, key, label): the lane an attempt ran on."""
    if is_driver_task(a.task_id):
        return ("0", f"driver:{a.task_id[-8:]}", f"driver job {a.task_id[-8:]}")
    node, worker = a.ray_node_id, a.worker_id
    if not worker and a.worker_pid is not None:
        found = by_pid.get((node, a.worker_pid)) if node else only_pid.get(a.worker_pid)
        if found:
            node, worker = found
    pid = a.worker_pid
    label = f"pid {pid}" if pid else (f"worker {short(worker, 8)}" if worker else "unknown")
    return ("1", f"{node or _UNKNOWN_NODE}:{worker or f'pid {pid}'}", label)


def _lane_order(place: tuple[str, str, str]) -> tuple[str, str, int, str]:
    """Drivers first, then by Ray node, then by pid (workers with none last)."""
    group, key, label = place
    pid = int(label[4:]) if label.startswith("pid ") else 1 << 62
    return group, key.split(":", 1)[0], pid, key


def timeline_data(attempts: Sequence[Attempt], node_index: dict[str, int],
                  jobs: Sequence[Job] = ()) -> dict[str, Any]:
    # one pass over every attempt (made one at a time from the table's columns, never all
    # kept): the pids of known workers, to place attempts that name none; the errors; the
    # attempts to draw: every failed one, and the longest others (a bounded heap of
    # (duration, -row): the shortest, then the latest row, goes first). A run still going
    # when the capture or its job ended is drawn to that end (open_runs.drawn_ends).
    table = as_table(attempts)
    drawn = drawn_ends(table, jobs)
    ends: Sequence[int] = drawn if drawn is not table.end_ns else ()
    by_pid: dict[tuple[str, int], tuple[str, str]] = {}
    pids: dict[int, set[tuple[str, str]]] = {}
    failed: list[int] = []
    longest: list[tuple[int, int]] = []
    errors: dict[str, list[str]] = {}
    ips: dict[str, str] = {}  # Ray node -> its IP (one per node: pipeline/node_ips.py)
    total = 0
    for i, a in enumerate(attempts):
        if a.node_ip:
            ips[a.ray_node_id] = a.node_ip
        if a.worker_id and a.worker_pid is not None and not is_driver_task(a.task_id):
            by_pid[(a.ray_node_id, a.worker_pid)] = (a.ray_node_id, a.worker_id)
            pids.setdefault(a.worker_pid, set()).add((a.ray_node_id, a.worker_id))
        if a.status == "FAILED" and len(errors) < MAX_ERRORS:
            errors[f"{a.task_id}:{a.attempt}"] = _error(a)
        end_ns = a.end_ns if not ends or ends[i] == NO_NS else ends[i]
        if a.start_ns is None or end_ns is None or end_ns < a.start_ns:
            continue
        total += 1
        if a.status == "FAILED":
            failed.append(i)
        elif len(longest) < MAX_BARS:
            heapq.heappush(longest, (end_ns - a.start_ns, -i))
        else:
            heapq.heappushpop(longest, (end_ns - a.start_ns, -i))
    only_pid = {pid: next(iter(w)) for pid, w in pids.items() if len(w) == 1}
    rows = failed[:MAX_BARS] + [-i for _, i in sorted(longest, reverse=True)]
    picked = sorted(((attempts[i], i) for i in rows[:MAX_BARS]),
                    key=lambda p: (p[0].start_ns or 0, p[0].task_id, p[0].attempt))
    chosen = [a for a, _ in picked]
    chosen_end = [a.end_ns or 0 if not ends or ends[i] == NO_NS else ends[i] for a, i in picked]
    origin = min([a.start_ns or 0 for a in chosen]
                 + [a.pending_ns for a in chosen if a.pending_ns is not None], default=0)

    places = [_lane_of(a, by_pid, only_pid) for a in chosen]
    lane_keys = [(g, k) for g, _, _, k in sorted({_lane_order(p) for p in places})]
    lane_index = {k: i for i, (_, k) in enumerate(lane_keys)}
    labels = {k: label for _, k, label in places}
    lanes = [{"group": "driver" if g == "0" else k.split(":", 1)[0], "label": labels[k],
              "ip": "" if g == "0" else strip_control(ips.get(k.split(":", 1)[0], ""))}
             for g, k in lane_keys]

    def us(t: int | None) -> int:
        return -1 if t is None else (t - origin) // 1000

    bars = {
        "lane": [lane_index[k] for _, k, _ in places],
        "node": [node_index.get(a.node, -1) for a in chosen],
        "start": [us(a.start_ns) for a in chosen],
        "dur": [(end - (a.start_ns or 0)) // 1000 for a, end in zip(chosen, chosen_end)],
        "queued": [us(a.pending_ns) if a.pending_ns is not None
                   and a.pending_ns <= (a.start_ns or 0) else -1 for a in chosen],
        "status": [_status(a) for a in chosen],
        "task": [a.task_id for a in chosen],
        "attempt": [a.attempt for a in chosen],
    }
    not_run = len(attempts) - total
    notes = []
    if total > len(chosen):
        notes.append(f"showing {len(chosen):,} of {total:,} task attempts: every failed one, "
                     f"then the longest (the timeline draws at most {MAX_BARS:,})")
    if not_run:
        notes.append(f"{not_run:,} attempts have no recorded execution time and are not drawn")
    return {"origin_ns": str(origin), "lanes": lanes, "bars": bars, "total": total,
            "notes": notes, "errors": errors}


def _status(a: Attempt) -> int:
    """0 finished, 1 failed, 2 unknown; 3 running when the capture ended, 4 when its job
    ended (drawn to that end: timeline.js)."""
    if a.status == "UNKNOWN" and a.end_ns is None:
        if a.at_capture_end == "running":
            return 3
        if a.at_job_end == "running":
            return 4
    return _STATUS.get(a.status, 2)


def _error(a: Attempt) -> list[str]:
    """[error type, full message]: the message with its traceback, controls out, cut."""
    message = strip_control(a.error_message.replace("\r\n", "\n"))
    if len(message) > MAX_ERROR_CHARS:
        message = message[:MAX_ERROR_CHARS] + "\n… (cut)"
    return [strip_control(a.error_type), message]
