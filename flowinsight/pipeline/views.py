"""Views: steps that choose what the result shows (time window, grouping, focus)."""

from __future__ import annotations

import fnmatch
from dataclasses import replace
from typing import Callable, Iterable, Sequence

from flowinsight.graphs import topology
from flowinsight.labels import Labels
from flowinsight.pipeline.identity import NodeKey
from flowinsight.pipeline.tasks import Task, unpack_int64s
from flowinsight.pipeline.through_internals import calls_through
from flowinsight.result import (
    CLASS_ID, Actor, Attempt, AttemptTable, Hidden, Node, NodeKind, Result)
from flowinsight.units import counted


def in_window(task: Task, since_ns: int | None, until_ns: int | None) -> bool:
    """A task is in the window when any of its recorded times falls inside it; a task with no
    time at all is kept (nothing says it is outside)."""
    if since_ns is None and until_ns is None:
        return True
    times = [ns for a in task.attempts for ns in unpack_int64s(a.state_ns)]
    times += [ns for a in task.attempts for ns in a.span_starts()]
    if task.submit_ms is not None:
        times.append(int(task.submit_ms * 1e6))
    if not times:
        return True
    lo, hi = min(times), max(times)
    return (since_ns is None or hi >= since_ns) and (until_ns is None or lo <= until_ns)


def class_groups(actors: Iterable[Actor]) -> dict[str, str]:
    """For --group-by class: actor id -> the group its nodes join. The unnamed instances of a
    class are one group, the class; an instance the program gave a name (`.options(name=...)`)
    is a stage of its own, `<Class>/<name>`, so that a pipeline that reuses one class under
    different names keeps its stages apart instead of collapsing into one self-loop."""
    return {a.id: f"{a.class_name}/{a.actor_name}" if a.actor_name else a.class_name
            for a in actors}


def group_by_class(key: NodeKey, classes: dict[str, str]) -> NodeKey:
    """An actor instance's node becomes its group's node (see class_groups): `<Class>` and
    `<Class>.<method>`."""
    cls = classes.get(key.actor_id)
    if not cls:
        return key
    return NodeKey(key.kind, key.job_id, CLASS_ID + cls, key.module, key.name)



def focus(result: Result, pattern: str) -> Result:
    """Keep the nodes whose id, name, actor name or readable label (as the tables show it,
    `RayTask 'sink'.put_packet`, `Stage #8763c1.put_packet`: what a user copies from them)
    matches `pattern` (a glob; a plain word matches as a substring), their direct callers,
    callees, producers and consumers."""
    glob = pattern if any(c in pattern for c in "*?[") else f"*{pattern}*"
    names = {a.id: (a.class_name, a.actor_name) for a in result.actors}
    labels = Labels(result)

    def matches(node: Node) -> bool:
        cls, actor_name = names.get(node.actor_id, ("", ""))
        texts = [node.id, node.name, cls, actor_name, f"{actor_name or cls}.{node.name}",
                 labels.node(node.id)]
        return any(fnmatch.fnmatchcase(t, glob) for t in texts if t)

    hits = {n.id for n in result.nodes if matches(n)}
    graph = topology(result)
    keep = set(hits)
    for hit in hits:
        keep.update(graph.predecessors(hit), graph.successors(hit))
    actor_ids = {n.actor_id for n in result.nodes if n.id in keep and n.actor_id}
    keep.update(n.id for n in result.nodes if n.kind is NodeKind.ACTOR and n.id in actor_ids)
    return replace(
        result,
        nodes=tuple(n for n in result.nodes if n.id in keep),
        actors=tuple(a for a in result.actors if a.id in actor_ids),
        call_flows=tuple(c for c in result.call_flows if c.source in keep and c.target in keep),
        data_flows=tuple(d for d in result.data_flows if d.source in keep and d.target in keep),
        attempts=_rows_on(result.attempts, keep.__contains__),
        failures=tuple(f for f in result.failures if f.node in keep),
        critical_paths=tuple(p for p in result.critical_paths
                             if any(s.node in keep for s in p.steps)),
        warnings=(*result.warnings, f"focused on {pattern!r}: {len(hits)} matching node(s) "
                                    "and their neighbours"),
    )


def prune(result: Result, max_nodes: int) -> Result:
    """Keep the `max_nodes` busiest nodes (by calls received and made) and the edges among
    them; say in a warning what was left out. Drivers are always kept."""
    if max_nodes <= 0 or len(result.nodes) <= max_nodes:
        return result
    weight: dict[str, int] = {n.id: n.calls for n in result.nodes}
    for c in result.call_flows:
        weight[c.source] = weight.get(c.source, 0) + c.count
    for d in result.data_flows:
        weight[d.source] = weight.get(d.source, 0) + d.count
        weight[d.target] = weight.get(d.target, 0) + d.count
    drivers = {n.id for n in result.nodes if n.kind is NodeKind.DRIVER}
    ranked = sorted((n.id for n in result.nodes if n.id not in drivers),
                    key=lambda i: (-weight.get(i, 0), i))
    keep = drivers | set(ranked[: max(0, max_nodes - len(drivers))])
    for n in result.nodes:  # a kept method keeps its actor box
        if n.id in keep and n.actor_id:
            keep.add(n.actor_id)
    calls = tuple(c for c in result.call_flows if c.source in keep and c.target in keep)
    flows = tuple(d for d in result.data_flows if d.source in keep and d.target in keep)
    dropped_nodes = len(result.nodes) - len([n for n in result.nodes if n.id in keep])
    dropped_edges = len(result.call_flows) + len(result.data_flows) - len(calls) - len(flows)
    note = (f"pruned for drawing: kept the {len(keep)} busiest of {len(result.nodes)} nodes; "
            f"{dropped_nodes} nodes and {dropped_edges} edges left out (use --max-nodes 0 for all)")
    actor_ids = {n.actor_id for n in result.nodes if n.id in keep and n.actor_id}
    return replace(result, nodes=tuple(n for n in result.nodes if n.id in keep),
                   actors=tuple(a for a in result.actors if a.id in actor_ids),
                   call_flows=calls, data_flows=flows,
                   warnings=(*result.warnings, note))


def hide_internals(result: Result) -> Result:
    """Ray's internals (pipeline/internals.py) out of the view, with the call and data flows
    that touch them, kept aside in `hidden` (the JSON shows them, marked); a warning counts
    them. The calls the hidden nodes made to shown ones stay in view, drawn from the hidden
    nodes' shown callers and marked `via` them (pipeline/through_internals.py). Their failures stay: a crash is a failure wherever it happens. Their attempts go (the
    timeline and the trace show what the program ran)."""
    gone = {n.id for n in result.nodes if n.internal}
    if not gone:
        return result
    calls = [c for c in result.call_flows if c.source in gone or c.target in gone]
    flows = [d for d in result.data_flows if d.source in gone or d.target in gone]
    hidden = Hidden(
        nodes=(*result.hidden.nodes, *(n for n in result.nodes if n.id in gone)),
        actors=(*result.hidden.actors, *(a for a in result.actors if a.internal)),
        call_flows=(*result.hidden.call_flows, *calls),
        data_flows=(*result.hidden.data_flows, *flows))
    actors = sum(1 for a in result.actors if a.internal)
    note = (f"{counted(len(gone), 'node')} of Ray's internals hidden "
            f"({counted(actors, 'actor')}; --internals shows them, the JSON has them marked)")
    # the user's calls that the internals made, drawn from the internals' shown callers
    through = calls_through(gone, result.call_flows)
    if through.flows:
        note += (f"; {counted(len(through.flows), 'call edge')} drawn through them "
                 f"({counted(sum(c.count for c in through.flows), 'call')})")
    if through.unreached:
        note += (f"; {through.unreached} calls they made to shown nodes have no shown caller "
                 "and are not drawn")
    return replace(
        result,
        nodes=tuple(n for n in result.nodes if n.id not in gone),
        # their attempts leave the timeline and the trace too
        attempts=_rows_on(result.attempts, lambda node: node not in gone),
        actors=tuple(a for a in result.actors if not a.internal),
        call_flows=tuple(sorted(
            (*(c for c in result.call_flows if c.source not in gone and c.target not in gone),
             *through.flows), key=lambda c: (c.source, c.target, c.via))),
        data_flows=tuple(d for d in result.data_flows
                         if d.source not in gone and d.target not in gone),
        hidden=hidden,
        warnings=(*result.warnings, note),
    )


def _rows_on(attempts: Sequence[Attempt], keep: Callable[[str], bool]) -> Sequence[Attempt]:
    """The attempts of the nodes kept: of a table, a table of those rows (no row made)."""
    if isinstance(attempts, AttemptTable):
        return attempts.take([i for i, node in enumerate(attempts.nodes) if keep(node)])
    return tuple(a for a in attempts if keep(a.node))
