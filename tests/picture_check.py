"""Is a drawing readable? Asked of Graphviz's own layout (`dot -Tjson`), for any DOT source:
no two pieces of text overlap, no text is drawn over by a node that is not its own, no edge
line runs through a text that is not its own edge's, and the picture's size in pixels.

Text boxes come from the xdot drawing operations of the layout (`T` ops: baseline point,
alignment, width; height from the font size of the `F` op before). Coordinates are points
(1/72 in), y upwards."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from typing import Any, Iterator

import orjson

DPI = 96
_EPS = 0.5  # points: touching boxes are not overlapping


@dataclass(frozen=True)
class Box:
    owner: str  # what the text or shape belongs to: "node NAME", "edge A->B", "graph", ...
    text: str
    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: "Box") -> bool:
        return (self.x0 < other.x1 - _EPS and other.x0 < self.x1 - _EPS
                and self.y0 < other.y1 - _EPS and other.y0 < self.y1 - _EPS)

    def holds(self, x: float, y: float) -> bool:
        return self.x0 + _EPS < x < self.x1 - _EPS and self.y0 + _EPS < y < self.y1 - _EPS


@dataclass(frozen=True)
class Layout:
    width_px: float
    height_px: float
    texts: tuple[Box, ...]
    shapes: tuple[Box, ...]  # node outlines
    lines: tuple[tuple[str, tuple[tuple[float, float], ...]], ...]  # edge owner, points
    centres: dict[str, tuple[float, float]]  # node name -> its centre

    def problems(self) -> list[str]:
        """Every overdrawn label, as readable lines (empty: readable)."""
        out = []
        texts = self.texts
        for i, a in enumerate(texts):
            for b in texts[i + 1:]:
                if a.owner != b.owner and a.overlaps(b):
                    out.append(f"text {a.text!r} ({a.owner}) overlaps {b.text!r} ({b.owner})")
        for t in texts:
            for s in self.shapes:
                if t.owner != s.owner and not t.owner.startswith("cluster") and t.overlaps(s):
                    out.append(f"text {t.text!r} ({t.owner}) is under {s.owner}")
        for owner, points in self.lines:
            for t in texts:
                if t.owner != owner and any(t.holds(x, y) for x, y in points):
                    out.append(f"{owner} runs through {t.text!r} ({t.owner})")
        return out


def layout(dot_source: bytes) -> Layout:
    proc = subprocess.run(["dot", "-Tjson"], input=dot_source, capture_output=True, check=True)
    doc: dict[str, Any] = orjson.loads(proc.stdout)
    x0, y0, x1, y1 = (float(v) for v in doc["bb"].split(","))
    texts: list[Box] = list(_texts("graph", doc.get("_ldraw_", [])))
    shapes: list[Box] = []
    centres: dict[str, tuple[float, float]] = {}
    names = {}
    for obj in doc.get("objects", []):
        names[obj["_gvid"]] = obj["name"]
        if "nodes" in obj or "subgraphs" in obj or "bb" in obj:  # a (cluster) subgraph
            texts.extend(_texts(f"cluster {obj['name']}", obj.get("_ldraw_", [])))
            continue
        owner = f"node {obj['name']}"
        texts.extend(_texts(owner, obj.get("_ldraw_", [])))
        x, y = (float(v) for v in obj["pos"].split(","))
        w, h = float(obj["width"]) * 72 / 2, float(obj["height"]) * 72 / 2
        shapes.append(Box(owner, "", x - w, y - h, x + w, y + h))
        centres[obj["name"]] = (x, y)
    lines = []
    for edge in doc.get("edges", []):
        owner = f"edge {names[edge['tail']]}->{names[edge['head']]}"
        for key in ("_ldraw_", "_hldraw_", "_tldraw_"):
            texts.extend(_texts(owner, edge.get(key, [])))
        points = [p for op in edge.get("_draw_", []) if op["op"] in "bB"
                  for p in _bezier(op["points"])]
        lines.append((owner, tuple(points)))
    scale = DPI / 72
    return Layout((x1 - x0) * scale, (y1 - y0) * scale, tuple(texts), tuple(shapes),
                  tuple(lines), centres)


def _texts(owner: str, ops: list[dict[str, Any]]) -> Iterator[Box]:
    size = 14.0
    for op in ops:
        if op["op"] == "F":
            size = float(op["size"])
        elif op["op"] == "T" and op["text"].strip():
            x, y = (float(v) for v in op["pt"])
            w = float(op["width"])
            left = {"l": x, "r": x - w}.get(op["align"], x - w / 2)
            # the baseline is at y: ascenders above, descenders below
            yield Box(owner, op["text"], left, y - 0.22 * size, left + w, y + 0.78 * size)


def _bezier(points: list[list[float]], steps: int = 12) -> Iterator[tuple[float, float]]:
    """Points along a piecewise cubic Bézier curve (xdot `b` op: 3n+1 control points)."""
    for i in range(0, len(points) - 3, 3):
        (ax, ay), (bx, by), (cx, cy), (dx, dy) = points[i:i + 4]
        for k in range(steps + 1):
            t = k / steps
            u = 1 - t
            yield (u * u * u * ax + 3 * u * u * t * bx + 3 * u * t * t * cx + t * t * t * dx,
                   u * u * u * ay + 3 * u * u * t * by + 3 * u * t * t * cy + t * t * t * dy)
