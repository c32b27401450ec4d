"""What a picture of the graph draws (DOT/SVG/PNG/PDF and Mermaid share it): nodes coloured by
their share of the execution time, call and data edges between the same two nodes drawn as one
edge, and the clutter folded away with a count — an actor's one-call setup methods (`__init__`,
`connect`, `start_running`, `stats` called once each) as one line in the actor's box, and data
flows too small to matter next to the biggest as one line in the picture's footnote.

The rules are about the graph, not about any program: a setup method is a method (or an
actor's creation) called exactly once, calling nothing, failing nowhere and moving no data
that is not small; a small flow is one under SMALL_SHARE of the biggest flow's bytes. Several
unnamed instances of one class (a pool, a Train run's workers, Tune's trials, Serve's
replicas) set up by the same callers share one list of their setup calls (`shared_setups`):
N lists of mostly the same names, one in each box, made a column N times as tall. Plain text
out: each renderer escapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flowinsight.render.data_plans import PlanEntry, data_plan_nodes, plan_entries
from flowinsight.labels import Labels
from flowinsight.units import counted, human_bytes, human_ms, human_rate
from flowinsight.result import CallFlow, DataFlow, Node, NodeKind, Result, is_class_id

SMALL_SHARE = 0.01  # a data flow under 1% of the biggest one's bytes is folded
SETUP_NOTED = 0.05  # a folded setup call with this share of the execution time names it
# fill colours by share of the execution time: (lowest share, colour, legend text)
SHARES = ((0.0, "#ffffff", "< 1%"), (0.01, "#fff1d6", "1–5%"), (0.05, "#ffd89a", "5–20%"),
          (0.20, "#ffb354", "20–50%"), (0.50, "#f08a24", "≥ 50%"))


@dataclass(frozen=True, slots=True)
class Edge:
    """One drawn edge: the calls from source to target, and the data that moved between the
    two in either direction (`back`: from target to source, e.g. returned values)."""

    source: str
    target: str
    calls: CallFlow | None
    data: DataFlow | None
    back: DataFlow | None

    @property
    def weight(self) -> int:
        return self.calls.count if self.calls else self.data.count if self.data else 0


@dataclass(frozen=True, slots=True)
class Setup:
    """An actor's one-call methods, folded into one line of its box."""

    actor_id: str
    callers: tuple[str, ...]  # node ids
    names: tuple[str, ...]  # method names, `__init__` first
    nodes: tuple[str, ...]
    via: tuple[str, ...] = ()  # the hidden internals the calls went through (CallFlow.via)
    shares: tuple[float, ...] = ()  # each method's share of all execution time, as `names`


@dataclass(frozen=True, slots=True)
class Picture:
    nodes: tuple[Node, ...]  # drawn, in the result's order
    edges: tuple[Edge, ...]
    setups: tuple[Setup, ...]
    share: dict[str, float]  # node id -> share of all execution time (drivers left out)
    folded_calls: int  # call edges folded into setup lines
    small_flows: int  # data flows folded as too small
    small_bytes: int
    small_limit: int  # the bytes under which a flow is small
    # failures drawn on each node, and on each actor's box: the actor's own (its death or
    # crash, a worker failure there, a Train run's error) hit no call of it, not __init__,
    # the node its creation is drawn as (`failures`)
    failed: dict[str, int] = field(default_factory=dict)
    actor_failed: dict[str, int] = field(default_factory=dict)
    total_ms: float = 0.0  # all execution time (drivers left out): what a share is of
    plan_entries: tuple[PlanEntry, ...] = ()
    in_plans: int = 0  # operator nodes drawn in their plans only

    def setup_of(self, actor_id: str) -> Setup | None:
        return next((s for s in self.setups if s.actor_id == actor_id), None)


def init_name(node: Node) -> str:
    return "<init>" if node.language == "JAVA" else "__init__"


def fill(share: float | None) -> str:
    """The colour of a share of the execution time (white: no time recorded)."""
    if share is None:
        return SHARES[0][1]
    return [colour for low, colour, _ in SHARES if share >= low][-1]


def picture(result: Result, keep: frozenset[str] | set[str] = frozenset(),
            plans: bool = False) -> Picture:
    """`keep`: nodes never folded (a highlighted critical path). `plans`: the picture draws
    the Ray Data plans (plan.plan_lines), so the nodes of an operator's tasks and actors that
    call only such nodes and move no drawn data are drawn there alone (their tasks, times and
    failures are the plan's), with one edge from each caller into each dataset: else a job's
    operators stand twice, the second time as a column of nodes under the driver."""
    total = sum(n.stats.exec_ms.sum for n in result.nodes
                if n.stats.exec_ms is not None and n.kind is not NodeKind.DRIVER)
    share = {n.id: (n.stats.exec_ms.sum / total if total > 0 else 0.0)
             for n in result.nodes
             if n.stats.exec_ms is not None and n.kind is not NodeKind.DRIVER}
    failed, actor_failed = failures(result)
    callers: dict[str, list[CallFlow]] = {}
    calls_out: set[str] = set()
    for c in result.call_flows:
        callers.setdefault(c.target, []).append(c)
        calls_out.add(c.source)
    biggest = max((d.bytes or 0 for d in result.data_flows), default=0)
    limit = int(biggest * SMALL_SHARE)

    def is_small(d: DataFlow) -> bool:  # a flow of unknown size is not known to be small
        return d.bytes is not None and d.bytes < limit

    big_data = {end for d in result.data_flows if not is_small(d)
                for end in (d.source, d.target)}
    setup_nodes = {n.id for n in result.nodes
                   if n.actor_id and n.kind in (NodeKind.ACTOR, NodeKind.METHOD)
                   and n.calls <= 1 and n.id not in calls_out and not failed.get(n.id)
                   and n.id not in keep and n.id not in big_data
                   and all(c.count <= 1 for c in callers.get(n.id, ()))}
    in_plans = data_plan_nodes(result, set(keep) | big_data) if plans else set()
    setups = []
    by_actor: dict[str, list[Node]] = {}
    for n in result.nodes:
        if n.id in setup_nodes and n.id not in in_plans:
            by_actor.setdefault(n.actor_id, []).append(n)
    for actor_id in sorted(by_actor):
        members = sorted(by_actor[actor_id], key=lambda n: (n.kind is not NodeKind.ACTOR, n.name))
        setups.append(Setup(
            actor_id,
            tuple(sorted({c.source for n in members for c in callers.get(n.id, ())})),
            tuple(init_name(n) if n.kind is NodeKind.ACTOR else n.name for n in members),
            tuple(n.id for n in members),
            tuple(dict.fromkeys(v for n in members for c in callers.get(n.id, ())
                                for v in c.via)),
            tuple(share.get(n.id, 0.0) for n in members)))
    hidden = setup_nodes | in_plans
    entries = plan_entries(result, in_plans, callers)
    small = [d for d in result.data_flows if is_small(d)]
    small_ids = {(d.source, d.target) for d in small}
    data = {(d.source, d.target): d for d in result.data_flows
            if (d.source, d.target) not in small_ids}
    edges = []
    for c in result.call_flows:
        if c.target in hidden:  # (a call from a node in the plans is to one in them)
            continue
        edges.append(Edge(c.source, c.target, c, data.pop((c.source, c.target), None),
                          data.pop((c.target, c.source), None)))
    edges += [Edge(d.source, d.target, None, d, None) for d in data.values()]
    edges.sort(key=lambda e: (e.source, e.target))
    return Picture(
        nodes=tuple(n for n in result.nodes if n.id not in hidden),
        edges=tuple(edges), setups=tuple(setups), share=share,
        folded_calls=sum(1 for c in result.call_flows
                         if c.target in setup_nodes and c.target not in in_plans),
        small_flows=len(small), small_bytes=sum(d.bytes or 0 for d in small), small_limit=limit,
        total_ms=total, plan_entries=entries, in_plans=len(in_plans), failed=failed,
        actor_failed=actor_failed)


def failures(result: Result) -> tuple[dict[str, int], dict[str, int]]:
    """The failures on each node, and on each actor: those of an actor node that are not a
    failed attempt of its creation."""
    actors = {n.id: n.actor_id for n in result.nodes if n.kind is NodeKind.ACTOR}
    on_node: dict[str, int] = {}
    on_actor: dict[str, int] = {}
    for f in result.failures:
        if f.kind != "task" and f.node in actors:
            on_actor[actors[f.node]] = on_actor.get(actors[f.node], 0) + 1
        else:
            on_node[f.node] = on_node.get(f.node, 0) + 1
    return on_node, on_actor


def node_lines(node: Node, labels: Labels, share: float | None) -> list[str]:
    """A node's label, each figure saying what it is."""
    if node.kind is NodeKind.DRIVER:
        lines = [labels.short(node)]
        if node.stats.exec_ms is not None:
            lines.append(f"wall {human_ms(node.stats.exec_ms.max)}")
        return lines
    name = init_name(node) if node.kind is NodeKind.ACTOR else labels.short(node)
    lines = [name]
    if node.kind is NodeKind.FUNCTION and node.module:
        lines.append(node.module)
    exec_ms = node.stats.exec_ms
    calls = counted(node.calls, "call")
    if exec_ms is None:
        lines.append(calls)
        return lines
    lines.append(f"{calls} · p50 {human_ms(exec_ms.p50)}")
    lines.append(f"total {human_ms(exec_ms.sum)} ({percent(share)} of time)"
                 if share is not None else f"total {human_ms(exec_ms.sum)}")
    return lines


def percent(share: float) -> str:
    """A share as a whole percentage; a share that rounds to 0 but is not 0 is "<1%"."""
    return "<1%" if 0 < share < 0.005 else f"{share:.0%}"


def edge_lines(edge: Edge, labels: Labels) -> list[str]:
    """An edge's label: its calls (and the hidden internals they went through), and the data
    moved each way."""
    lines = []
    if edge.calls is not None:
        lines.append(counted(edge.calls.count, "call"))
        if edge.calls.via:
            lines.append(labels.via(edge.calls.via))
        if edge.data is not None:
            lines.append(f"→ {size(edge.data)} · {human_rate(edge.data.bytes_per_s)}")
    elif edge.data is not None:
        lines.append(f"{edge.data.count} × {size(edge.data)}")
        lines.append(human_rate(edge.data.bytes_per_s))
    if edge.back is not None:
        lines.append(f"← {size(edge.back)} back")
    return lines


def size(d: DataFlow) -> str:
    text = human_bytes(d.bytes)
    return f"≥ {text}" if d.unsized and d.bytes is not None else text


def setup_line(setup: Setup, labels: Labels) -> str:
    who = ", ".join(labels.node(c) for c in setup.callers) or "an unrecorded caller"
    if setup.via:
        who += f" ({labels.via(setup.via)})"
    # a folded call that took much of the time says so: one call can be the work itself (a
    # Train worker's run_train_fn, a model loaded in __init__)
    names = [f"{name} ({percent(share)} of time)" if share >= SETUP_NOTED else name
             for name, share in zip(setup.names, setup.shares or (0.0,) * len(setup.names))]
    return f"{counted(len(setup.names), 'setup call')} from {who}: " \
           f"{', '.join(names)}"


@dataclass(frozen=True, slots=True)
class SharedSetup:
    """The setup calls of several unnamed instances of one class from the same callers (and
    through the same internals), listed once: each instance's box says only how many it had."""

    class_name: str
    setups: tuple[Setup, ...]  # one per instance, by actor id

    @property
    def calls(self) -> int:
        return sum(len(s.names) for s in self.setups)


def shared_setups(p: Picture, labels: Labels) -> tuple[SharedSetup, ...]:
    """The instances' setups that are listed once for their class: those of the unnamed
    instances of a class (told apart by id alone) whose callers and internals are the same,
    where at least two are. A named actor is a role of its own (a pipeline's stage, as
    `--group-by class` keeps it) and keeps its list in its box."""
    groups: dict[tuple[str, tuple[str, ...], str], list[Setup]] = {}
    for s in p.setups:
        actor = labels.actors.get(s.actor_id)
        if actor is None or actor.actor_name or is_class_id(actor.id):
            continue
        # callers and internals as the picture names them: each run of a library has its
        # own hidden controller (Train's TrainController), the same to the reader
        key = (actor.class_name, tuple(labels.node(c) for c in s.callers), labels.via(s.via))
        groups.setdefault(key, []).append(s)
    return tuple(SharedSetup(key[0], tuple(sorted(group, key=lambda s: s.actor_id)))
                 for key, group in sorted(groups.items()) if len(group) > 1)


def shared_setup_line(shared: SharedSetup, labels: Labels) -> str:
    """The one list of a class's instances' setup calls: each method once, with the instances
    it was called on where not all were, and the share of the time it took in all where that
    is SETUP_NOTED or more."""
    first = shared.setups[0]
    who = ", ".join(labels.node(c) for c in first.callers) or "an unrecorded caller"
    if first.via:  # the same names for each instance's (shared_setups)
        who += f" ({labels.via(first.via)})"
    on: dict[str, list[str]] = {}
    took: dict[str, float] = {}
    for s in shared.setups:
        for name, share in zip(s.names, s.shares or (0.0,) * len(s.names)):
            on.setdefault(name, []).append(s.actor_id)
            took[name] = took.get(name, 0.0) + share
    inits = ("__init__", "<init>")
    order = [n for n in inits if n in on] + sorted(n for n in on if n not in inits)
    every = len(shared.setups)
    names = []
    for name in order:
        notes = []
        if len(on[name]) < every:
            notes.append("on " + ", ".join(_instance(a, labels) for a in on[name]))
        if took[name] >= SETUP_NOTED:
            notes.append(f"{percent(took[name])} of time")
        names.append(f"{name} ({'; '.join(notes)})" if notes else name)
    some = " or on those named" if any(len(v) < every for v in on.values()) else ""
    return f"{counted(shared.calls, 'setup call')} from {who}, each method once on each of " \
           f"the {every} {shared.class_name} instances{some}: {', '.join(names)}"


def _instance(actor_id: str, labels: Labels) -> str:
    """An instance by the part of its label that tells it from its class's others (`#53027d`)."""
    label = labels.actor(actor_id)
    return label.rsplit(" ", 1)[-1] if " #" in label else label


def footnote(p: Picture) -> str:
    """What was folded, in one line ("" when nothing was)."""
    parts = []
    if p.folded_calls:
        parts.append(f"{counted(p.folded_calls, 'one-call setup edge')} folded into their "
                     "actors' boxes")
    if p.in_plans:
        parts.append(f"{counted(p.in_plans, 'Ray Data operator node')} drawn in the "
                     "datasets' plans only")
    if p.small_flows:
        parts.append(f"{counted(p.small_flows, 'small data flow')} "
                     f"(each under {human_bytes(p.small_limit)}, "
                     f"{human_bytes(p.small_bytes)} in all) not drawn")
    return "; ".join(parts)


def flow_rank(edges: tuple[Edge, ...]) -> set[tuple[str, str]]:
    """The edges that may decide the layout's ranks: every call edge, and each data-only edge
    that does not close a cycle with those taken before it (so a pipeline reads left to right
    along its data and a back flow does not fold the picture)."""
    after: dict[str, set[str]] = {}
    taken: set[tuple[str, str]] = set()

    def reaches(a: str, b: str) -> bool:
        seen, todo = {a}, [a]
        while todo:
            here = todo.pop()
            if here == b:
                return True
            for nxt in after.get(here, ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return False

    ordered = sorted(edges, key=lambda e: (e.calls is None, -e.weight, e.source, e.target))
    for e in ordered:
        if e.calls is None and (e.source == e.target or reaches(e.target, e.source)):
            continue
        after.setdefault(e.source, set()).add(e.target)
        taken.add((e.source, e.target))
    return taken
