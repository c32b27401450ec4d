"""Calls that Ray attributes to an actor's creation although its methods made them.

A task records its caller as `parent_task_id`. A call made in an actor method that runs on an
event loop (an async actor) or in a thread pool (`max_concurrency` > 1) is recorded with the
actor's creation task as its caller, not the method's task: Ray gives such threads
`main_thread_or_actor_creation_task_id` (ray-project/ray#32157, and #31879 still open). The
graph then draws an edge from the actor itself, which reads as if `__init__` made the calls.

Which calls these are follows from the times Ray records: a call the creation task made was
submitted while the creation ran; one submitted after every creation attempt had ended was made
by one of the actor's methods (the submitter's and the creation's times come from the same
worker process, so one clock). This step counts those by actor and says so in one warning. The
recorder (flowinsight.recorder) records the submitting method's own task, so its captures need
no such note.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable, Sequence

from flowinsight.result import NO_NS, Attempt, AttemptTable, NodeKind, Result


def after_creation(result: Result) -> dict[str, int]:
    """The calls attributed to each actor node (by node id) that were submitted after its
    creation had ended, for the actors that have any. Calls with an unknown submission time,
    or whose creation has no recorded end, are not counted: they cannot be told apart."""
    actors = {n.id for n in result.nodes if n.kind is NodeKind.ACTOR}
    callers = {c.source for c in result.call_flows if c.source in actors}
    if not callers:
        return {}
    # the end of each attempt of each calling actor's creation task
    ends: dict[str, list[int]] = {}
    node_of: dict[str, str] = {}
    for task_id, node, _parent, _pending, end in _rows(result.attempts):
        if node in callers:
            node_of[task_id] = node
            if end != NO_NS:
                ends.setdefault(task_id, []).append(end)
    counts: dict[str, int] = {}
    for _task, _node, parent, pending, _end in _rows(result.attempts):
        if pending != NO_NS and parent in ends and pending > max(ends[parent]):
            counts[node_of[parent]] = counts.get(node_of[parent], 0) + 1
    return counts


def note_after_creation(result: Result) -> Result:
    """The result with one warning naming the actors whose methods' calls Ray attributes to
    their creation, if there are any."""
    counts = after_creation(result)
    if not counts:
        return result
    # by what a reader calls the actor: its class, and its name when it was given one
    names = {a.id: a.actor_name for a in result.actors}
    by_label: dict[str, list[int]] = {}
    for node in result.nodes:
        if node.id in counts:
            name = names.get(node.actor_id, "")
            label = f"{node.name} '{name}'" if name else node.name
            calls_actors = by_label.setdefault(label, [0, 0])
            calls_actors[0] += counts[node.id]
            calls_actors[1] += 1
    named = sorted(by_label.items(), key=lambda item: (-item[1][0], item[0]))
    listed = ", ".join(
        f"{label}{f' ({actors} actors)' if actors > 1 else ''} {calls} "
        f"call{'s' if calls != 1 else ''}" for label, (calls, actors) in named[:5])
    if len(named) > 5:
        listed += f" and those of {len(named) - 5} more"
    note = (f"Ray records a call an actor makes after its __init__ (in an async or threaded "
            f"method, or a thread of its own) as made by the actor's creation "
            f"(ray-project/ray#31879), so such edges start at the actor, not at the method: "
            f"{listed}; flowinsight.recorder records the method that made them")
    return replace(result, warnings=(*result.warnings, note))


def _rows(attempts: Sequence[Attempt]) -> Iterable[tuple[str, str, str, int, int]]:
    """(task id, node, parent, submission, end) per attempt, times NO_NS when unknown; from
    the table's columns when there is one (no Attempt made per row)."""
    if isinstance(attempts, AttemptTable):
        return zip(attempts.task_ids, attempts.nodes, attempts.parents, attempts.pending_ns,
                   attempts.end_ns)
    return ((a.task_id, a.node, a.parent_task_id,
             NO_NS if a.pending_ns is None else a.pending_ns,
             NO_NS if a.end_ns is None else a.end_ns) for a in attempts)
