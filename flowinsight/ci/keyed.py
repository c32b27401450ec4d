"""A graph by node keys (see names.py), so that two runs can be compared.

Nodes sharing a key (unnamed instances of one class) are aggregated: calls, counts, bytes and
rates are summed; percentiles are the maximum over the instances (an upper bound: the exact
percentile of the union is not in the documents).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from flowinsight.ci.document import DocNode, Graph
from flowinsight.result import NodeKind


@dataclass(frozen=True, slots=True, order=True)
class Ref:
    """A node's identity across runs: its key and which list it lives in (actor, method or
    function), so that a function and a method spelled alike stay apart."""

    key: str
    group: str

    def __str__(self) -> str:
        return self.key


@dataclass(frozen=True, slots=True)
class KNode:
    ref: Ref
    kind: str
    instances: int
    calls: int
    exec_p50: float | None
    exec_p95: float | None


@dataclass(frozen=True, slots=True)
class KEdge:
    source: Ref
    target: Ref
    count: int
    per_s: float | None  # calls per second (call edges)
    bytes: int | None  # data edges
    bytes_per_s: float | None
    latency_p95: float | None

    @property
    def name(self) -> str:
        return f"{self.source} -> {self.target}"


@dataclass(frozen=True, slots=True)
class Keyed:
    nodes: Mapping[Ref, KNode]
    calls: Mapping[tuple[Ref, Ref], KEdge]
    data: Mapping[tuple[Ref, Ref], KEdge]
    shared: Mapping[str, int]  # actor key -> unnamed instances aggregated under it
    has_stats: bool
    has_call_rates: bool


def ref_of(node: DocNode) -> Ref:
    group = {NodeKind.ACTOR: "actor", NodeKind.METHOD: "method"}.get(node.kind, "function")
    return Ref(node.key, group)


def _max(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return max(known) if known else None


def _sum(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def keyed(graph: Graph) -> Keyed:
    groups: dict[Ref, list[DocNode]] = {}
    for n in graph.nodes:
        groups.setdefault(ref_of(n), []).append(n)
    nodes = {}
    for ref, members in sorted(groups.items()):
        timings = [m.stats.exec_ms for m in members if m.stats is not None and m.stats.exec_ms]
        nodes[ref] = KNode(ref, members[0].kind.value, len(members), sum(m.calls for m in members),
                           _max(t.p50 for t in timings), _max(t.p95 for t in timings))
    shared = {ref.key: n.instances for ref, n in nodes.items()
              if ref.group == "actor" and n.instances > 1}
    refs = {n.id: ref_of(n) for n in graph.nodes}

    call_groups: dict[tuple[Ref, Ref], list[KEdge]] = {}
    for c in graph.calls:
        edge = KEdge(refs[c.source], refs[c.target], c.count, c.per_s, None, None, None)
        call_groups.setdefault((edge.source, edge.target), []).append(edge)
    data_groups: dict[tuple[Ref, Ref], list[KEdge]] = {}
    for d in graph.data:
        edge = KEdge(refs[d.source], refs[d.target], d.count, None, d.bytes, d.bytes_per_s,
                     d.latency_p95)
        data_groups.setdefault((edge.source, edge.target), []).append(edge)
    return Keyed(nodes=nodes, calls=_merge(call_groups), data=_merge(data_groups), shared=shared,
                 has_stats=graph.has_stats, has_call_rates=graph.has_call_rates)


def _merge(groups: dict[tuple[Ref, Ref], list[KEdge]]) -> dict[tuple[Ref, Ref], KEdge]:
    out = {}
    for pair, edges in sorted(groups.items()):
        sized = _sum(e.bytes for e in edges)
        out[pair] = KEdge(pair[0], pair[1], sum(e.count for e in edges),
                          _sum(e.per_s for e in edges), None if sized is None else int(sized),
                          _sum(e.bytes_per_s for e in edges), _max(e.latency_p95 for e in edges))
    return out


def shared_note(a: Keyed, b: Keyed | None = None) -> list[str]:
    """One line per class whose unnamed instances were aggregated, for the output to say so."""
    notes = []
    for key in sorted(set(a.shared) | set(b.shared if b else {})):
        counts = f"{a.shared.get(key, 1)}" + (f" and {b.shared.get(key, 1)}" if b else "")
        notes.append(f"{key}: unnamed instances ({counts}) matched by class and method and "
                     "aggregated (counts summed, percentiles the maximum over instances)")
    return notes
