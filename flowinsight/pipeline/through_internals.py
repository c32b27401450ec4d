"""The user's calls that Ray's hidden internals make (views.hide_internals): Train's
TrainController calls the RayTrainWorker actors that the driver's `fit()` asked for, Serve's
controller and proxy call the replicas. Hiding the internal node would leave the user's work
with no caller; instead each call flow X -> Y with X hidden and Y shown is drawn from X's
nearest shown caller(s), found by following the hidden call edges upward, and says which
hidden nodes it went through (`CallFlow.via`).

Every call is counted once. When several shown callers reach a hidden node, its calls are
shared among them in proportion to the calls each made into the hidden nodes above it
(largest remainder, ties to the smaller id): Ray records who called the hidden node, not on
whose behalf it then called on. A hidden node that no shown caller reaches gives no edge (none
is invented); a cycle among hidden nodes is followed once. Flows from one caller to one callee
merge into one; their stats are kept only where the flow is one hidden edge taken whole (the
attempts of several edges, or of part of one, cannot be told apart).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from flowinsight.result import NO_STATS, CallFlow


@dataclass(frozen=True, slots=True)
class Through:
    flows: tuple[CallFlow, ...]  # the new edges, sorted by (source, target)
    unreached: int  # calls from hidden nodes that no shown caller reaches: not drawn


# a hidden node's shown callers: caller -> (the calls it made into the hidden nodes above the
# node, the hidden nodes on its way in, nearest the caller first)
Reach = dict[str, tuple[int, tuple[str, ...]]]


def _reach(node: str, hidden: set[str], into: dict[str, list[CallFlow]]) -> Reach:
    """Up the hidden call edges from `node`, breadth first (each hidden node once, so a cycle
    is followed once): the shown callers met, each weighed by its calls into the hidden nodes
    found, with the shortest way from where it entered down to `node`."""
    # hidden node -> the hidden node it was reached from (None for `node`)
    below: dict[str, str | None] = {node: None}
    depth = {node: 0}
    queue = [node]
    weights: dict[str, int] = {}
    entries: dict[str, set[str]] = {}
    for current in queue:
        for c in into.get(current, ()):
            if c.source not in hidden:
                weights[c.source] = weights.get(c.source, 0) + c.count
                entries.setdefault(c.source, set()).add(current)
            elif c.source not in below:
                below[c.source] = current
                depth[c.source] = depth[current] + 1
                queue.append(c.source)
    reach: Reach = {}
    for caller in sorted(weights):
        way: set[str] = set()
        for entry in entries[caller]:
            step: str | None = entry
            while step is not None:
                way.add(step)
                step = below[step]
        reach[caller] = (weights[caller], tuple(sorted(way, key=lambda v: (-depth[v], v))))
    return reach


def _apportion(count: int, shares: dict[str, Fraction]) -> dict[str, int]:
    """`count` calls shared by `shares` (summing to 1) in whole calls: largest remainder."""
    exact = {k: share * count for k, share in shares.items()}
    whole = {k: int(v) for k, v in exact.items()}
    left = count - sum(whole.values())
    for k in sorted(exact, key=lambda k: (-(exact[k] - whole[k]), k))[:left]:
        whole[k] += 1
    return {k: n for k, n in whole.items() if n}


def calls_through(hidden: set[str], call_flows: Iterable[CallFlow]) -> Through:
    """The call flows from shown callers to shown callees through the `hidden` nodes."""
    flows = list(call_flows)
    into: dict[str, list[CallFlow]] = {}
    for c in flows:
        if c.target in hidden:
            into.setdefault(c.target, []).append(c)
    for incoming in into.values():
        incoming.sort(key=lambda c: (c.source, c.target))
    reach: dict[str, Reach] = {}
    merged: dict[tuple[str, str], list[tuple[CallFlow, int, tuple[str, ...]]]] = {}
    unreached = 0
    for c in sorted(flows, key=lambda c: (c.source, c.target)):
        if c.source not in hidden or c.target in hidden:
            continue
        if c.source not in reach:
            reach[c.source] = _reach(c.source, hidden, into)
        callers = reach[c.source]
        if not callers:
            unreached += c.count
            continue
        total = sum(weight for weight, _ in callers.values())
        counts = _apportion(c.count, {k: Fraction(weight, total)
                                      for k, (weight, _) in callers.items()})
        for caller, n in counts.items():
            merged.setdefault((caller, c.target), []).append((c, n, callers[caller][1]))
    out = []
    for (source, target), parts in sorted(merged.items()):
        via: list[str] = []
        for _, _, path in parts:
            via += [v for v in path if v not in via]
        count = sum(n for _, n, _ in parts)
        whole = len(parts) == 1 and parts[0][1] == parts[0][0].count
        first = parts[0][0]
        out.append(CallFlow(source, target, count, first.stats if whole else NO_STATS,
                            first.per_s if whole else None, tuple(via)))
    return Through(tuple(out), unreached)
