"""What a picture draws of Ray Data's plans beside the call graph: which datasets are drawn
as one plan (the executions of one dataset), which nodes of the graph a plan stands for (the
tasks and actors that only run its operators), and the calls into each plan from outside it.
Plain values out: the renderers (dot.py, plan.py, table.py) draw and escape them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flowinsight.result import CallFlow, NodeKind, Result


@dataclass(frozen=True, slots=True)
class PlanEntry:
    """The calls from one node into a Ray Data dataset whose operators' nodes are drawn in
    the dataset's plan only."""

    caller: str  # node id
    cluster: int  # the plan drawn: its index in plan_groups(result)
    dataset: int  # the first dataset it draws: its index in Result.datasets
    tasks: int  # of the plan's operators drawn there (DatasetOp.tasks)
    via: tuple[str, ...] = ()  # the hidden internals the calls went through (CallFlow.via)


def data_plan_nodes(result: Result, kept: set[str]) -> set[str]:
    """The nodes of Ray Data operators' tasks and actors that the plans stand for: each one
    not in `kept` whose calls all go to such nodes, and an actor's nodes only all together
    (its box goes whole, or stays)."""
    ops = {n for d in result.datasets for op in d.operators for n in op.nodes}
    members: dict[str, set[str]] = {}
    for n in result.nodes:
        if n.actor_id:
            members.setdefault(n.actor_id, set()).add(n.id)
    calls: dict[str, set[str]] = {}
    for c in result.call_flows:
        calls.setdefault(c.source, set()).add(c.target)
    folded = {n.id for n in result.nodes
              if n.id in ops and n.id not in kept and n.kind is not NodeKind.DRIVER}
    actor_of = {n.id: n.actor_id for n in result.nodes if n.actor_id}
    callers: dict[str, set[str]] = {}
    for source, targets in calls.items():
        for target in targets:
            callers.setdefault(target, set()).add(source)
    # the largest such set: take out what calls a node that stays, or is part of an actor
    # whose other nodes stay, and then what called what was taken out
    todo = [n for n in folded if not calls.get(n, set()) <= folded
            or (n in actor_of and not members[actor_of[n]] <= folded)]
    while todo:
        node = todo.pop()
        if node not in folded:
            continue
        gone = ({node} | members.get(actor_of.get(node, ""), set())) & folded
        folded -= gone
        todo += (c for g in gone for c in callers.get(g, ()) if c in folded)
    return folded


def plan_groups(result: Result) -> tuple[tuple[int, ...], ...]:
    """The datasets drawn as one plan (indexes into Result.datasets, in order of their first):
    the executions of one dataset. Ray runs a dataset again under a new id each time it is
    consumed (`<name>_<uuid>_<n>`: each epoch that iterates it), with the same plan; a training
    loop of 100 epochs would otherwise draw 100 alike boxes."""
    groups: dict[tuple[object, ...], list[int]] = {}
    for i, d in enumerate(result.datasets):
        plan = tuple((op.id, op.name, op.inputs) for op in d.operators)
        groups.setdefault((d.job_id, _EXECUTION.sub("", d.id), plan), []).append(i)
    return tuple(sorted(tuple(g) for g in groups.values()))


_EXECUTION = re.compile(r"_\d+$")  # an execution's number, at the end of its dataset id


def plan_entries(result: Result, in_plans: set[str],
                 callers: dict[str, list[CallFlow]]) -> tuple[PlanEntry, ...]:
    """One entry per caller (outside the plans) and plan drawn, with the tasks of its
    datasets' operators whose nodes are drawn there (a node that runs an operator of several
    datasets, `ReadRange`, counts in each for its own tasks there)."""
    entries = []
    for cluster, group in enumerate(plan_groups(result)):
        ops = [op for i in group for op in result.datasets[i].operators
               if in_plans.intersection(op.nodes)]
        tasks = sum(op.tasks for op in ops)
        into = [c for n in dict.fromkeys(n for op in ops for n in op.nodes if n in in_plans)
                for c in callers.get(n, ()) if c.source not in in_plans]
        for caller in sorted({c.source for c in into}):
            via = dict.fromkeys(v for c in into if c.source == caller for v in c.via)
            entries.append(PlanEntry(caller, cluster, group[0], tasks, tuple(via)))
    return tuple(entries)
