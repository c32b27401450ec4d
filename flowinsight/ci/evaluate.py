"""`flowinsight check`: each rule against a graph (and its baseline), one outcome per rule.

A rule whose data the document does not carry (a capture without timings, a document written
before stats existed) is broken with a message saying so: a CI gate that cannot look must not
pass silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Callable, Iterable

from flowinsight.ci.diff import beyond, fmt_num
from flowinsight.ci.document import DocNode, Graph
from flowinsight.ci.keyed import KEdge, Keyed, keyed, shared_note
from flowinsight.ci.rules import Baseline, EdgePattern, P95Limit, Rules
from flowinsight.render.text import one_line

_SHOWN = 5  # items listed in one message before "and N more"


@dataclass(frozen=True, slots=True)
class Outcome:
    rule: str  # the rule as the user wrote it, short: "max-p95 RayTask*=50"
    ok: bool
    message: str  # with the numbers; one line

    def line(self) -> str:
        return one_line(f"{'ok  ' if self.ok else 'FAIL'} {self.rule}: {self.message}", 2000)


def evaluate(rules: Rules, graph: Graph, baseline: Graph | None = None) -> tuple[Outcome, ...]:
    out: list[Outcome] = []
    if rules.max_failures is not None:
        out.append(_max_failures(graph, rules.max_failures))
    if rules.min_coverage is not None:
        out.append(_min_coverage(graph, rules.min_coverage))
    out.extend(_max_p95(graph, limit) for limit in rules.max_p95)
    out.extend(_edge(graph, pattern, required=True) for pattern in rules.require_edges)
    out.extend(_edge(graph, pattern, required=False) for pattern in rules.forbid_edges)
    if rules.baseline is not None:
        if baseline is None:
            raise ValueError("baseline rules need the baseline graph")
        out.extend(_against(rules.baseline, keyed(graph), keyed(baseline), baseline.origin))
    return tuple(out)


def notes(graph: Graph, baseline: Graph | None) -> list[str]:
    """What the reader should know about how nodes were matched."""
    if baseline is None:
        return []
    return shared_note(keyed(baseline), keyed(graph))


def matches(node: DocNode, pattern: str) -> bool:
    return any(fnmatchcase(name, pattern) for name in node.names)


def _listed(items: list[str]) -> str:
    more = len(items) - _SHOWN
    return "; ".join(items[:_SHOWN]) + (f"; and {more} more" if more > 0 else "")


def _unavailable(what: str) -> str:
    return (f"cannot be evaluated: {what} (the document has no such field: export it with a "
            "flowinsight that records it, from a capture with timings)")


def _max_failures(graph: Graph, limit: int) -> Outcome:
    rule = f"max-failures {limit}"
    if graph.failures is None:
        return Outcome(rule, False, _unavailable("no failure counts (summary.failures)"))
    by_type = ", ".join(f"{t} {n}" for t, n in graph.failures_by_type)
    detail = f" ({by_type})" if by_type else ""
    if graph.failures > limit:
        where = _listed([f"{label} {n}" for label, n in graph.failures_by_node])
        return Outcome(rule, False, f"{graph.failures} failures > {limit}{detail}"
                       + (f" in {where}" if where else ""))
    return Outcome(rule, True, f"{graph.failures} failures <= {limit}{detail}")


def _min_coverage(graph: Graph, minimum: float) -> Outcome:
    rule = f"min-coverage {fmt_num(minimum)}"
    if graph.coverage is None:
        return Outcome(rule, False, _unavailable("no coverage (summary.coverage)"))
    ratio = graph.coverage.ratio
    state = "complete" if graph.coverage.complete else "incomplete"
    if ratio < minimum:
        return Outcome(rule, False, f"coverage {ratio:.3f} < {minimum:.3f} ({state} capture)")
    return Outcome(rule, True, f"coverage {ratio:.3f} >= {minimum:.3f} ({state} capture)")


def _max_p95(graph: Graph, limit: P95Limit) -> Outcome:
    rule = f"max-p95 {limit.pattern}={fmt_num(limit.ms)}ms"
    matched = [n for n in graph.nodes if matches(n, limit.pattern)]
    if not matched:
        return Outcome(rule, False, f"no node matches {limit.pattern!r}")
    if not graph.has_stats:
        return Outcome(rule, False, _unavailable("no execution times (stats.exec_ms)"))
    timed = sorted(((n.stats.exec_ms.p95, n.label) for n in matched
                    if n.stats is not None and n.stats.exec_ms is not None),
                   key=lambda t: (-t[0], t[1]))
    if not timed:
        return Outcome(rule, False, f"{len(matched)} node(s) match but none has execution times")
    over = [f"{label} p95 {fmt_num(p95)} ms > {fmt_num(limit.ms)} ms"
            for p95, label in timed if p95 > limit.ms]
    if over:
        return Outcome(rule, False, _listed(over))
    p95, label = timed[0]
    return Outcome(rule, True, f"{len(timed)} node(s), highest p95 {fmt_num(p95)} ms ({label}) "
                               f"<= {fmt_num(limit.ms)} ms")


def _edge(graph: Graph, pattern: EdgePattern, required: bool) -> Outcome:
    rule = f"{'require' if required else 'forbid'}-edge {pattern}"
    nodes = graph.by_id()
    sources = {n.id for n in graph.nodes if matches(n, pattern.source)}
    targets = {n.id for n in graph.nodes if matches(n, pattern.target)}
    found = [f"{nodes[c.source].label} -> {nodes[c.target].label} ({c.count} calls)"
             for c in sorted(graph.calls, key=lambda c: (-c.count, nodes[c.source].label,
                                                         nodes[c.target].label))
             if c.source in sources and c.target in targets]
    if required:
        if found:
            return Outcome(rule, True, f"found {_listed(found)}")
        hints = [f"no node matches {p!r}" for p, ids in
                 ((pattern.source, sources), (pattern.target, targets)) if not ids]
        hint = f" ({'; '.join(hints)})" if hints else ""
        return Outcome(rule, False, f"no call edge from {pattern.source!r} to "
                                    f"{pattern.target!r}{hint}")
    if found:
        return Outcome(rule, False, f"{len(found)} forbidden edge(s): {_listed(found)}")
    return Outcome(rule, True, "no such call edge")


# -- against a baseline ------------------------------------------------------------------------

def _against(b: Baseline, cur: Keyed, base: Keyed, origin: str) -> list[Outcome]:
    out = []
    if not b.new_nodes:
        new = [f"{ref} ({n.kind}, {n.calls} calls)" for ref, n in cur.nodes.items()
               if ref not in base.nodes]
        out.append(Outcome("baseline: no new nodes", not new,
                           f"{len(new)} node(s) not in {origin}: {_listed(new)}" if new else
                           f"all {len(cur.nodes)} nodes are in the baseline"))
    if not b.new_edges:
        new = [f"{e.name} ({e.count} calls)" for pair, e in cur.calls.items()
               if pair not in base.calls]
        new += [f"{e.name} (data, {e.count} transfers)" for pair, e in cur.data.items()
                if pair not in base.data]
        out.append(Outcome("baseline: no new edges", not new,
                           f"{len(new)} edge(s) not in {origin}: {_listed(new)}" if new else
                           f"all {len(cur.calls) + len(cur.data)} edges are in the baseline"))
    if b.calls_tolerance is not None:
        out.append(_calls(b.calls_tolerance, cur, base))
    if b.p95_tolerance is not None:
        out.append(_p95(b.p95_tolerance, b.floor_ms, cur, base))
    if b.throughput_tolerance is not None:
        out.append(_throughput(b.throughput_tolerance, cur, base))
    return out


def _pct(a: float, b: float) -> str:
    return "from 0" if a == 0 else f"{(b - a) / a * 100:+.1f}%"


def _calls(tolerance: float, cur: Keyed, base: Keyed) -> Outcome:
    rule = f"baseline: calls within ±{fmt_num(tolerance)}%"
    # A baseline edge missing now counts as 0 calls: losing an edge is the biggest change.
    changed = []
    for pair, e in base.calls.items():
        now = cur.calls[pair].count if pair in cur.calls else 0
        if e.count and beyond(e.count, now, tolerance):
            changed.append((abs(now - e.count) / e.count, f"{e.name} {e.count} -> {now} "
                                                         f"({_pct(e.count, now)})"))
    changed.sort(key=lambda c: (-c[0], c[1]))
    if changed:
        return Outcome(rule, False, f"{len(changed)} call edge(s) changed: "
                                    f"{_listed([c[1] for c in changed])}")
    return Outcome(rule, True, f"{len(base.calls)} call edges within tolerance")


def _compare(rule: str, tolerance: float, pairs: Iterable[tuple[str, str, float, float]],
             what: str, floor: Callable[[float, float], bool] = lambda a, b: False) -> Outcome:
    compared = 0
    changed = []
    for name, unit, a, b in pairs:
        if floor(a, b):
            continue
        compared += 1
        if beyond(a, b, tolerance):
            change = abs(b - a) / a if a else float("inf")
            changed.append((change, f"{name} {fmt_num(a)} -> {fmt_num(b)} {unit} ({_pct(a, b)})"))
    if not compared:
        return Outcome(rule, False, f"cannot be evaluated: no {what} measured in both runs")
    changed.sort(key=lambda c: (-c[0], c[1]))
    if changed:
        return Outcome(rule, False, f"{len(changed)} of {compared} changed: "
                                    f"{_listed([c[1] for c in changed])}")
    return Outcome(rule, True, f"{compared} {what} within tolerance")


def _p95(tolerance: float, min_ms: float, cur: Keyed, base: Keyed) -> Outcome:
    rule = f"baseline: p95 within ±{fmt_num(tolerance)}%"
    if not (cur.has_stats and base.has_stats):
        return Outcome(rule, False, _unavailable("no execution times (stats.exec_ms) in "
                                                 f"{'the baseline' if cur.has_stats else 'this run'}"))
    pairs = [(str(ref), "ms p95", n.exec_p95, cur.nodes[ref].exec_p95)
             for ref, n in base.nodes.items() if ref in cur.nodes]
    return _compare(rule, tolerance, [(n, u, a, b) for n, u, a, b in pairs
                                      if a is not None and b is not None],
                    f"node p95 times (of at least {fmt_num(min_ms)} ms)",
                    lambda a, b: a < min_ms and b < min_ms)


def _throughput(tolerance: float, cur: Keyed, base: Keyed) -> Outcome:
    rule = f"baseline: throughput within ±{fmt_num(tolerance)}%"
    pairs: list[tuple[str, str, float, float]] = []

    def add(edges: dict[tuple[str, str], tuple[KEdge, KEdge]], unit: str,
            value: Callable[[KEdge], float | None]) -> None:
        for (name, _), (a, b) in sorted(edges.items()):
            va, vb = value(a), value(b)
            if va is not None and vb is not None:
                pairs.append((name, unit, va, vb))

    add({(e.name, "call"): (e, cur.calls[p]) for p, e in base.calls.items() if p in cur.calls},
        "calls/s", lambda e: e.per_s)
    add({(e.name, "data"): (e, cur.data[p]) for p, e in base.data.items() if p in cur.data},
        "B/s", lambda e: e.bytes_per_s)
    return _compare(rule, tolerance, pairs, "edge rates (calls/s, bytes/s)")
