"""Call sites: where in the user's code each node's tasks were submitted (an actor: created),
per calling node, with counts; and the site of each failed task.

A task's site comes from flowinsight.recorder (a TaskCallSite naming a CallSiteDef: qualified
function names) or else from Ray's own `callSite` (a TaskCallSite with its frames). Each task
counts once, however many events name its site.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Callable, Mapping, Sequence

from flowinsight.model.events import CallSiteDef, Frame, TaskCallSite
from flowinsight.model.ids import is_driver_task
from flowinsight.pipeline.tasks import Task
from flowinsight.result import CallSite, Failure

Frames = tuple[Frame, ...]


def task_sites(events: Sequence[CallSiteDef | TaskCallSite]) -> dict[str, tuple[Frames, str]]:
    """Task id -> (frames, source): the recorder's site where there is one, else Ray's."""
    stacks: dict[str, Frames] = {}
    for ev in events:
        if isinstance(ev, CallSiteDef):
            stacks.setdefault(ev.site_id, ev.frames)
    out: dict[str, tuple[Frames, str]] = {}
    for ev in events:
        if isinstance(ev, CallSiteDef):
            continue
        if ev.site_id:
            frames = stacks.get(ev.site_id)
            if frames is None:
                continue  # its `call_site` line was lost
        else:
            frames = ev.frames
        if not frames:
            continue
        old = out.get(ev.task_id)
        if old is None or (old[1] != "recorder" and ev.source == "recorder"):
            out[ev.task_id] = (frames, ev.source)
    return out


def place_sites(sites: dict[str, tuple[Frames, str]], tasks: Mapping[str, Task],
                node_of: Callable[[str], str]) -> dict[str, tuple[str, str]]:
    """Task id -> (its node, its caller's node or "") for the tasks of the table that have a
    site. Run before the sweep lets the records go. A caller is asked for only where the table
    holds it or it is a driver (as the call flows name it): asking makes a node."""
    out: dict[str, tuple[str, str]] = {}
    for task_id in sites:
        task = tasks.get(task_id)
        if task is None:
            continue
        parent = task.parent_task_id
        caller = node_of(parent) if parent and (parent in tasks or is_driver_task(parent)) \
            else ""
        out[task_id] = (node_of(task_id), caller)
    return out


def call_sites(sites: dict[str, tuple[Frames, str]], placed: dict[str, tuple[str, str]],
               nodes: set[str]) -> tuple[CallSite, ...]:
    """The distinct (node, caller, frames) of the placed tasks, with counts, for the nodes of
    the graph; sorted by node, caller, most tasks first."""
    counts: Counter[tuple[str, str, Frames, str]] = Counter()
    for task_id, (node, caller) in placed.items():
        if node in nodes:
            frames, source = sites[task_id]
            counts[(node, caller, frames, source)] += 1
    return tuple(CallSite(node, caller, frames, n, source) for (node, caller, frames, source), n
                 in sorted(counts.items(), key=lambda kv: (kv[0][0], kv[0][1], -kv[1],
                                                            _key(kv[0][2]), kv[0][3])))


def with_failure_sites(failures: Sequence[Failure], sites: dict[str, tuple[Frames, str]]
                       ) -> tuple[Failure, ...]:
    """Each failed task's failure with the site it was submitted from."""
    return tuple(replace(f, call_site=sites[f.task_id][0])
                 if f.kind == "task" and f.task_id in sites else f for f in failures)


def _key(frames: Frames) -> tuple[tuple[str, int, str], ...]:
    return tuple((f.file, f.line, f.function) for f in frames)
