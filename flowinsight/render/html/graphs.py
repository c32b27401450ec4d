"""The report's two graph views, call graph and data flow, as positioned shapes.

What is drawn: every node with its readable label and its share of execution time (the
colour), every call or data edge with its count or bytes. What is folded, so that the view
shows the program's structure and not its bookkeeping:
- one-call setup edges (a caller's single call to each of several leaves called once, such as
  `main` creating actors and calling their `connect`, `stats`, ...) become one edge per caller
  to one "N one-call setup edges" box (a leaf that failed stays drawn, with its failure);
- small data flows (under 1% of the largest flow's bytes: return values, small arguments)
  become one edge per source, else per target, to one "N small flows" box.
A fold needs two or more edges; its box lists what it holds (the report shows them on click).
Past MAX_DRAWN nodes a view keeps the nodes with the most execution time and says what it
left out; the report's tables always hold everything.

Laid out by Graphviz's `dot` at export time (see the package's docstring for why): nodes are
named by their index in the DOT source, so no log-derived string is a DOT identifier, and
labels go through render.dot.quote.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import orjson

from flowinsight.render.dot import quote
from flowinsight.labels import Labels
from flowinsight.units import counted, human_bytes, human_ms
from flowinsight.result import Node, NodeKind, Result

MAX_DRAWN = 250  # nodes per view: dot lays out a few hundred in a second or two
SMALL_FLOW = 0.01  # of the largest data flow's bytes
_LABEL_CHARS = 36  # longer names are cut in the picture (the details show them whole)
_DOT_TIMEOUT_S = 120


@dataclass(frozen=True, slots=True)
class _Box:
    key: str  # a graph node id, or "fold:<n>"
    lines: list[str]
    kind: str  # driver, function, actor, method, fold
    members: list[int] = field(default_factory=list)  # fold: the flows it holds (Result indices)


@dataclass(frozen=True, slots=True)
class _Line:
    source: str  # box keys
    target: str
    label: str
    weight: float  # 0..1, of the view's largest
    flows: list[int]  # Result indices of the flows it stands for (html._in_doc: the doc's)
    fold: bool = False
    ranks: bool = True  # sets the left-to-right order (dot's constraint)


def exec_shares(result: Result) -> dict[str, float]:
    """Each node's share of the execution time of all non-driver nodes (a driver's own time
    is mostly waiting for the others, so it is left out of the total and gets no share)."""
    total = {n.id: n.stats.exec_ms.sum for n in result.nodes
             if n.kind is not NodeKind.DRIVER and n.stats.exec_ms is not None}
    whole = sum(total.values())
    return {k: (v / whole if whole > 0 else 0.0) for k, v in total.items()}


def _cut(text: str) -> str:
    return text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 1] + "…"


def _node_lines(node: Node, labels: Labels) -> list[str]:
    if node.kind is NodeKind.METHOD:
        lines = [_cut(labels.actor(node.actor_id)), _cut("." + node.name)]
    elif node.kind is NodeKind.ACTOR:
        lines = [_cut(labels.actor(node.actor_id)),
                 "<init>" if node.language == "JAVA" else "__init__"]
    else:
        lines = [_cut(labels.short(node))]
    if node.kind is not NodeKind.DRIVER:
        total = node.stats.exec_ms.sum if node.stats.exec_ms else None
        lines.append(counted(node.calls, "call")
                     + (f" · total {human_ms(total)}" if total is not None else ""))
    return lines


def _ranked(result: Result, wanted: set[str], shares: dict[str, float]) -> list[str]:
    """The nodes to draw when there are too many: drivers, then by execution time, calls."""
    nodes = [n for n in result.nodes if n.id in wanted]
    nodes.sort(key=lambda n: (n.kind is not NodeKind.DRIVER, -shares.get(n.id, 0.0),
                              -n.calls, n.id))
    return [n.id for n in nodes[:MAX_DRAWN]]


def call_view(result: Result, labels: Labels, shares: dict[str, float]) -> dict[str, Any]:
    if not result.nodes:
        return {"empty": "no task recorded in this capture: nothing to draw"}
    by_id = {n.id: n for n in result.nodes}
    callers = {c.source for c in result.call_flows}
    failed = result.failures_by_node()
    flows = list(enumerate(result.call_flows))
    # one-call setup edges, by caller (a leaf that failed is never folded away)
    setup: dict[str, list[int]] = {}
    for i, c in flows:
        target = by_id.get(c.target)
        if (c.count == 1 and target is not None and target.calls <= 1
                and target.kind is not NodeKind.DRIVER and c.target not in callers
                and not failed.get(c.target) and not target.stats.failures):
            setup.setdefault(c.source, []).append(i)
    folded = {i for members in setup.values() if len(members) > 1 for i in members}
    hidden = {result.call_flows[i].target for i in folded}
    wanted = {n.id for n in result.nodes if n.id not in hidden}
    drawn = _ranked(result, wanted, shares) if len(wanted) > MAX_DRAWN else sorted(wanted)
    keep = set(drawn)
    boxes = [_Box(k, _node_lines(by_id[k], labels), by_id[k].kind.value) for k in drawn]
    top = max((c.count for c in result.call_flows), default=1)
    lines = [_Line(c.source, c.target,
                   f"{c.count}× {labels.via(c.via)}" if c.via else f"{c.count}×", c.count / top,
                   [i])
             for i, c in flows if i not in folded and c.source in keep and c.target in keep]
    for source in sorted(setup):
        members = setup[source]
        if len(members) < 2 or source not in keep:
            continue
        key = f"fold:{len(boxes)}"
        boxes.append(_Box(key, [f"{len(members)} one-call setup edges",
                                _cut(", ".join(sorted({by_id[result.call_flows[i].target].name
                                                       for i in members})))], "fold", members))
        via = labels.via(tuple(dict.fromkeys(v for i in members
                                             for v in result.call_flows[i].via)))
        lines.append(_Line(source, key, f"{len(members)} × 1" + (f" {via}" if via else ""),
                           min(1.0, len(members) / top), members, fold=True))
    left_out = len(wanted) - len(drawn)
    note = (f"showing the {len(drawn)} nodes with the most execution time of {len(wanted)}; "
            f"{left_out} nodes and their edges are left out (the tables list all)"
            if left_out else "")
    return _laid_out(boxes, lines, shares, note, folded=len(folded),
                     fold_note=f"{len(folded)} one-call setup edges folded" if folded else "")


def data_view(result: Result, labels: Labels, shares: dict[str, float]) -> dict[str, Any]:
    if not result.data_flows:
        return {"empty": ("no data flows in this capture: stock Ray records no object ids or "
                          "sizes (record them with flowinsight.recorder)"
                          if not result.has_object_events else
                          "no data flows: no object was read by another task")}
    by_id = {n.id: n for n in result.nodes}
    flows = list(enumerate(result.data_flows))
    largest = max((d.bytes or 0 for d in result.data_flows), default=0)
    small = {i for i, d in flows if d.bytes is not None and d.bytes < SMALL_FLOW * largest}
    groups: list[tuple[str, str, list[int]]] = []  # (side, node, members)
    rest = set(small)
    for side in ("source", "target"):
        by_node: dict[str, list[int]] = {}
        for i in sorted(rest):
            by_node.setdefault(getattr(result.data_flows[i], side), []).append(i)
        for node_id in sorted(by_node):
            if len(by_node[node_id]) > 1:
                groups.append((side, node_id, by_node[node_id]))
                rest -= set(by_node[node_id])
    folded = {i for _, _, members in groups for i in members}
    shown = [(i, d) for i, d in flows if i not in folded]
    ends = {node_id for _, node_id, _ in groups} | {x for _, d in shown
                                                    for x in (d.source, d.target)}
    wanted = ends & by_id.keys()
    drawn = _ranked(result, wanted, shares) if len(wanted) > MAX_DRAWN else sorted(wanted)
    keep = set(drawn)
    boxes = [_Box(k, _node_lines(by_id[k], labels), by_id[k].kind.value) for k in drawn]
    top = largest or 1
    # the order follows the data: a small flow, or one back along a call (a return value to
    # the caller), is drawn but does not pull its source to the left of its target
    calls = {(c.source, c.target) for c in result.call_flows}
    lines = [_Line(d.source, d.target, _flow_label(d.count, d.bytes), (d.bytes or 0) / top,
                   [i], ranks=(d.target, d.source) not in calls and i not in small)
             for i, d in shown if d.source in keep and d.target in keep]
    for side, node_id, members in groups:
        if node_id not in keep:
            continue
        key = f"fold:{len(boxes)}"
        total = sum(result.data_flows[i].bytes or 0 for i in members)
        count = sum(result.data_flows[i].count for i in members)
        boxes.append(_Box(key, [f"{len(members)} small flows", human_bytes(total)], "fold",
                          members))
        label = _flow_label(count, total)
        lines.append(_Line(node_id, key, label, 0.0, members, fold=True) if side == "source"
                     else _Line(key, node_id, label, 0.0, members, fold=True, ranks=False))
    left_out = len(wanted) - len(drawn)
    note = (f"showing the {len(drawn)} nodes with the most execution time of {len(wanted)}; "
            f"{left_out} nodes and their flows are left out (the tables list all)"
            if left_out else "")
    return _laid_out(boxes, lines, shares, note, folded=len(folded),
                     fold_note=(f"{len(folded)} small flows (under {SMALL_FLOW:.0%} of the "
                                f"largest, {human_bytes(largest)}) folded" if folded else ""))


def _flow_label(count: int, size: int | None) -> str:
    return f"{count}× {human_bytes(size)}"


def _laid_out(boxes: list[_Box], lines: list[_Line], shares: dict[str, float], note: str,
              folded: int, fold_note: str) -> dict[str, Any]:
    index = {b.key: k for k, b in enumerate(boxes)}
    view: dict[str, Any] = {"note": note, "folded": folded, "fold_note": fold_note}
    try:
        layout = _dot_layout(boxes, lines, index)
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        view["error"] = f"no layout: Graphviz's dot could not be run ({type(exc).__name__})"
        layout = None
    nodes = []
    for k, b in enumerate(boxes):
        item: dict[str, Any] = {"id": b.key, "lines": b.lines, "kind": b.kind,
                                "share": round(shares[b.key], 4) if b.key in shares else None}
        if b.members:
            item["members"] = b.members
        if layout:
            item.update(layout["nodes"][k])
        nodes.append(item)
    edges = []
    for k, line in enumerate(lines):
        item = {"s": index[line.source], "t": index[line.target], "label": line.label,
                "w": round(line.weight, 3), "flows": line.flows, "fold": line.fold}
        if layout:
            item.update(layout["edges"][k])
        edges.append(item)
    view.update(nodes=nodes, edges=edges)
    if layout:
        view.update(width=layout["width"], height=layout["height"])
    return view


def _dot_layout(boxes: list[_Box], lines: list[_Line], index: dict[str, int]) -> dict[str, Any]:
    """Positions from `dot -Tjson0`, in SVG coordinates (y down), rounded to 0.1 pt."""
    src = ["digraph g {",
           "  graph [rankdir=LR, nodesep=0.25, ranksep=0.6, fontname=Helvetica];",
           '  node [shape=box, style=rounded, fontname=Helvetica, fontsize=11, '
           'margin="0.14,0.06"];',
           "  edge [fontname=Helvetica, fontsize=10];"]
    for k, b in enumerate(boxes):
        src.append(f"  n{k} [label={quote(chr(10).join(b.lines))}];")
    for line in lines:
        weight = 1 + int(9 * line.weight)  # heavy flows pull their ends into a straight line
        src.append(f"  n{index[line.source]} -> n{index[line.target]} "
                   f"[label={quote(line.label)}, weight={weight}"
                   f"{'' if line.ranks else ', constraint=false'}];")
    src.append("}")
    proc = subprocess.run(["dot", "-Tjson0"], input="\n".join(src).encode(),
                          capture_output=True, check=True, timeout=_DOT_TIMEOUT_S)
    graph = orjson.loads(proc.stdout)
    x0, y0, x1, y1 = (float(v) for v in graph["bb"].split(","))
    height = y1 - y0

    def point(text: str) -> tuple[float, float]:
        x, y = text.split(",")[-2:]
        return round(float(x) - x0, 1), round(height - (float(y) - y0), 1)

    nodes: list[dict[str, Any]] = [{} for _ in boxes]
    for obj in graph.get("objects", []):
        k = int(obj["name"][1:])
        x, y = point(obj["pos"])
        nodes[k] = {"x": x, "y": y, "w": round(float(obj["width"]) * 72, 1),
                    "h": round(float(obj["height"]) * 72, 1)}
    edges: list[dict[str, Any]] = [{} for _ in lines]
    by_ends: dict[tuple[int, int], list[int]] = {}
    for k, line in enumerate(lines):
        by_ends.setdefault((index[line.source], index[line.target]), []).append(k)
    for e in graph.get("edges", []):  # in the order of the source, per pair of ends
        k = by_ends[(int(e["tail"]), int(e["head"]))].pop(0)
        edges[k] = {"path": _path(e["pos"], point)}
        if "lp" in e:
            edges[k]["lx"], edges[k]["ly"] = point(e["lp"])
    return {"nodes": nodes, "edges": edges, "width": round(x1 - x0, 1), "height": round(height, 1)}


def _path(pos: str, point: Callable[[str], tuple[float, float]]) -> str:
    """An SVG path from a DOT spline: `e,x,y` (arrow tip), `s,x,y` (tail), then the start
    point and cubic Bézier control triples."""
    tip = None
    pts: list[tuple[float, float]] = []
    for token in pos.split(";")[0].split():
        if token.startswith("e,"):
            tip = point(token)
        elif not token.startswith("s,"):
            pts.append(point(token))
    out = [f"M{pts[0][0]},{pts[0][1]}"]
    out.extend(f"C{a[0]},{a[1]} {b[0]},{b[1]} {c[0]},{c[1]}"
               for a, b, c in _triples(pts[1:]))
    if tip is not None:
        out.append(f"L{tip[0]},{tip[1]}")
    return " ".join(out)


def _triples(pts: list[tuple[float, float]]) -> Iterable[tuple[tuple[float, float], ...]]:
    for k in range(0, len(pts) - 2, 3):
        yield pts[k], pts[k + 1], pts[k + 2]
