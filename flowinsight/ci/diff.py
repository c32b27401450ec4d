"""`flowinsight diff`: what changed between two graph documents, nodes matched by key.

Structure (nodes and edges added or removed, call and transfer counts) is reported on any
change: a test run makes the same calls every time. Durations and throughput vary from run to
run, so they are reported only beyond a threshold (percent of A's value).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Literal, Mapping, TypeVar

from flowinsight.ci.document import Graph
from flowinsight.ci.keyed import KEdge, Keyed, KNode, Ref, keyed, shared_note
from flowinsight.ci.rules import DEFAULT_MIN_MS

Status = Literal["added", "removed", "changed"]
_ORDER = {"removed": 0, "added": 1, "changed": 2}
K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class NodeChange:
    status: Status
    kind: str
    name: str
    a: int | None  # calls in A; None: not in A
    b: int | None


@dataclass(frozen=True, slots=True)
class EdgeChange:
    status: Status
    kind: Literal["call", "data"]
    source: str
    target: str
    a: int | None  # calls or transfers in A; None: not in A
    b: int | None


@dataclass(frozen=True, slots=True)
class MetricChange:
    subject: Literal["node", "call", "data"]
    name: str
    metric: str
    a: float
    b: float

    @property
    def pct(self) -> float | None:
        """Change relative to A in percent; None when A is 0."""
        return None if self.a == 0 else (self.b - self.a) / self.a * 100.0


@dataclass(frozen=True, slots=True)
class Diff:
    a: str
    b: str
    threshold: float
    min_ms: float
    nodes: tuple[NodeChange, ...]
    edges: tuple[EdgeChange, ...]
    metrics: tuple[MetricChange, ...]
    notes: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return bool(self.nodes or self.edges or self.metrics)


def beyond(a: float, b: float, threshold: float) -> bool:
    if a == 0:
        return b != 0
    return abs(b - a) / abs(a) * 100.0 > threshold


def diff(a: Graph, b: Graph, threshold: float = 10.0, min_ms: float = DEFAULT_MIN_MS) -> Diff:
    ka, kb = keyed(a), keyed(b)
    nodes = [NodeChange(st, _either(na, nb).kind, str(ref), _calls(na), _calls(nb))
             for ref, st, na, nb in _pairs(ka.nodes, kb.nodes, lambda x, y: x.calls != y.calls)]
    edges: list[EdgeChange] = []
    kinds: tuple[tuple[Literal["call", "data"], Mapping[tuple[Ref, Ref], KEdge],
                       Mapping[tuple[Ref, Ref], KEdge]], ...] = (
        ("call", ka.calls, kb.calls), ("data", ka.data, kb.data))
    for kind, ea, eb in kinds:
        for pair, st, x, y in _pairs(ea, eb, lambda x, y: x.count != y.count):
            edges.append(EdgeChange(st, kind, str(pair[0]), str(pair[1]), _count(x), _count(y)))
    metrics = _metrics(ka, kb, threshold, min_ms)
    notes = shared_note(ka, kb) + _unavailable(a, b, ka, kb)
    return Diff(a.origin, b.origin, threshold, min_ms,
                tuple(sorted(nodes, key=lambda n: (_ORDER[n.status], n.name, n.kind))),
                tuple(sorted(edges, key=lambda e: (_ORDER[e.status], e.kind, e.source, e.target))),
                tuple(metrics), tuple(notes))


def _either(x: KNode | None, y: KNode | None) -> KNode:
    node = x if x is not None else y
    assert node is not None
    return node


def _calls(node: KNode | None) -> int | None:
    return None if node is None else node.calls


def _count(edge: KEdge | None) -> int | None:
    return None if edge is None else edge.count


def _pairs(a: Mapping[K, V], b: Mapping[K, V], differs: Callable[[V, V], bool]
           ) -> list[tuple[K, Status, V | None, V | None]]:
    out: list[tuple[K, Status, V | None, V | None]] = []
    for key in a:
        if key not in b:
            out.append((key, "removed", a[key], None))
        elif differs(a[key], b[key]):
            out.append((key, "changed", a[key], b[key]))
    out.extend((key, "added", None, b[key]) for key in b if key not in a)
    return out


def _metrics(ka: Keyed, kb: Keyed, threshold: float, min_ms: float) -> list[MetricChange]:
    out: list[MetricChange] = []

    def compare(subject: Literal["node", "call", "data"], name: str, metric: str,
                x: float | None, y: float | None) -> None:
        if x is None or y is None:
            return
        if metric.endswith(" ms") and x < min_ms and y < min_ms:
            return  # sub-millisecond differences are scheduling noise
        if beyond(x, y, threshold):
            out.append(MetricChange(subject, name, metric, x, y))

    for ref in sorted(set(ka.nodes) & set(kb.nodes)):
        na, nb = ka.nodes[ref], kb.nodes[ref]
        compare("node", str(ref), "exec p50 ms", na.exec_p50, nb.exec_p50)
        compare("node", str(ref), "exec p95 ms", na.exec_p95, nb.exec_p95)
    for pair in sorted(set(ka.calls) & set(kb.calls)):
        ca, cb = ka.calls[pair], kb.calls[pair]
        compare("call", ca.name, "calls/s", ca.per_s, cb.per_s)
    for pair in sorted(set(ka.data) & set(kb.data)):
        da, db = ka.data[pair], kb.data[pair]
        compare("data", da.name, "bytes", _f(da.bytes), _f(db.bytes))
        compare("data", da.name, "bytes/s", da.bytes_per_s, db.bytes_per_s)
        compare("data", da.name, "latency p95 ms", da.latency_p95, db.latency_p95)
    return out


def _f(value: int | None) -> float | None:
    return None if value is None else float(value)


def _unavailable(a: Graph, b: Graph, ka: Keyed, kb: Keyed) -> list[str]:
    notes = []
    missing = [g.origin for g, k in ((a, ka), (b, kb)) if not k.has_stats]
    if missing:
        notes.append(f"durations not compared: no per-node stats in {', '.join(missing)}")
    missing = [g.origin for g, k in ((a, ka), (b, kb)) if not k.has_call_rates and g.calls]
    if missing:
        notes.append(f"call rates not compared: no per_s in {', '.join(missing)}")
    return notes


def summary_line(d: Diff) -> str:
    """One line: what changed, counted; or that nothing did."""
    parts = []
    for label, items in (("node", [n.status for n in d.nodes]),
                         ("call edge", [e.status for e in d.edges if e.kind == "call"]),
                         ("data edge", [e.status for e in d.edges if e.kind == "data"])):
        for status in ("removed", "added", "changed"):
            n = items.count(status)
            if n:
                what = "count changed" if status == "changed" else status
                parts.append(f"{n} {label}{'s' if n != 1 else ''} {what}")
    if d.metrics:
        parts.append(f"{len(d.metrics)} timing/throughput change"
                     f"{'s' if len(d.metrics) != 1 else ''} beyond ±{fmt_num(d.threshold)}%")
    return "; ".join(parts) if parts else "no changes"


def fmt_num(value: float) -> str:
    """Fixed, short formatting of a measured value (deterministic output)."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.3f}".rstrip("0").rstrip(".")


def fmt_pct(m: MetricChange) -> str:
    pct = m.pct
    return "from 0" if pct is None else f"{pct:+.1f}%"


def to_json(d: Diff) -> dict[str, Any]:
    return {
        "a": d.a,
        "b": d.b,
        "threshold_pct": d.threshold,
        "min_ms": d.min_ms,
        "changed": d.changed,
        "summary": summary_line(d),
        "nodes": [{"status": n.status, "kind": n.kind, "name": n.name, "a": n.a, "b": n.b}
                  for n in d.nodes],
        "edges": [{"status": e.status, "kind": e.kind, "source": e.source, "target": e.target,
                   "a": e.a, "b": e.b} for e in d.edges],
        "metrics": [{"subject": m.subject, "name": m.name, "metric": m.metric,
                     "a": round(m.a, 3), "b": round(m.b, 3),
                     "change_pct": None if m.pct is None else round(m.pct, 1)}
                    for m in d.metrics],
        "notes": list(d.notes),
    }

