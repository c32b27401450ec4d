"""`mermaid`: a Mermaid `flowchart LR` — for GitHub job summaries, PR comments and docs.

Node ids are n0, n1, … in sorted order of the node ids, actors are `subgraph`s a0, a1, … (up
to MAX_SUBGRAPHS of them: see there);
every label is a `"..."` string with Mermaid entity codes for anything that could end it,
turn into HTML or a directive. Mermaid refuses graphs with more than 500 edges or 50,000
characters (its defaults, which GitHub keeps), so a big graph is cut to its heaviest edges —
the most calls, the most bytes — and a comment and a note node say what was left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import zip_longest

from flowinsight.render import RenderOptions, Renderer
from flowinsight.render.labels import Labels
from flowinsight.render.text import one_line
from flowinsight.render.units import human_bytes
from flowinsight.result import CallFlow, DataFlow, Node, NodeKind, Result

MAX_EDGES = 500  # Mermaid's default maxEdges
MAX_TEXT = 50_000  # Mermaid's default maxTextSize, in UTF-16 code units
# Beyond this many subgraphs, Mermaid's dagre layout fails now and then ("Cannot set properties
# of undefined (setting 'order')") when edges cross between them; without subgraphs it never
# did in our trials. So a graph of more actors is drawn flat, each label naming its actor.
MAX_SUBGRAPHS = 6
_RESERVE = 1_000  # for the header, the note and the comments written after the cut
_LABEL_CHARS = 80

# Quote, HTML and entity syntax; `%` (directives `%%{...}%%`), `:` (Mermaid's style rewriting
# keys on "style...:...#...;") and the backtick (markdown strings) too.
_ENTITIES = {'"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;", "#": "#35;", "%": "#37;",
             ":": "#58;", "`": "#96;", "|": "#124;"}


def escape(text: str, limit: int = _LABEL_CHARS) -> str:
    """Text for inside a Mermaid `"..."` label: one line, control characters removed,
    everything that Mermaid would interpret written as an entity code."""
    return "".join(_ENTITIES.get(ch, ch) for ch in one_line(text, limit))


def quoted(text: str, limit: int = _LABEL_CHARS) -> str:
    return f'"{escape(text, limit)}"'


def _js_len(text: str) -> int:
    """Length as JavaScript counts it, which is what maxTextSize limits."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True, slots=True)
class _Edge:
    data: bool
    source: str
    target: str
    line: str


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


class _Chart:
    def __init__(self, result: Result) -> None:
        self.labels = Labels(result)
        self.nodes = {n.id: n for n in result.nodes}
        self.ids = {node_id: f"n{i}" for i, node_id in enumerate(sorted(self.nodes))}
        self.actor_ids = {a: f"a{i}" for i, a in enumerate(sorted(
            {n.actor_id for n in result.nodes if n.actor_id}))}

    def node_line(self, node: Node, indent: str, flat: bool = False) -> str:
        """A node in its actor's subgraph (`put_packet · 40 calls`) or, flat, with its actor
        in the label (`RayTask 'source'.put_packet · 40 calls`)."""
        if node.kind is NodeKind.DRIVER:
            return f"{indent}{self.ids[node.id]}([{quoted(self.labels.short(node))}])"
        if node.kind is NodeKind.ACTOR:
            init = "<init>" if node.language == "JAVA" else "__init__"
            name = f"{self.labels.actor(node.actor_id)}.{init}" if flat else init
        else:
            name = self.labels.node(node.id) if flat else self.labels.short(node)
        limit = 2 * _LABEL_CHARS if flat else _LABEL_CHARS
        text = f"{escape(name, limit)} · {_plural(node.calls, 'call')}"
        return f'{indent}{self.ids[node.id]}["{text}"]'

    def node_cost(self, node: Node) -> int:
        """Characters the node may take: the longer of its two forms, and a line break."""
        return max(_js_len(self.node_line(node, "    ")),
                   _js_len(self.node_line(node, "  ", flat=True))) + 1

    def call_edge(self, c: CallFlow) -> _Edge:
        return _Edge(False, c.source, c.target, f"  {self.ids[c.source]} -->|{c.count}| {self.ids[c.target]}")

    def data_edge(self, d: DataFlow) -> _Edge:
        size = human_bytes(d.bytes) if d.bytes is not None else f"{d.count}×"
        if d.unsized and d.bytes is not None:
            size = f"≥ {size}"
        return _Edge(True, d.source, d.target,
                     f'  {self.ids[d.source]} -.->|"{escape(size)}"| {self.ids[d.target]}')

    def subgraph_open(self, actor_id: str) -> str:
        return f"  subgraph {self.actor_ids[actor_id]}[{quoted(self.labels.actor(actor_id))}]"

    def body(self, node_ids: set[str], grouped: bool) -> list[str]:
        """Node lines: plain nodes first, then one subgraph per actor (when grouped)."""
        out = []
        by_actor: dict[str, list[Node]] = {}
        for node_id in sorted(node_ids):
            node = self.nodes[node_id]
            if node.actor_id and grouped:
                by_actor.setdefault(node.actor_id, []).append(node)
            else:
                out.append(self.node_line(node, "  ", flat=bool(node.actor_id)))
        for actor_id in sorted(by_actor):
            out.append(self.subgraph_open(actor_id))
            out.extend(self.node_line(n, "    ") for n in by_actor[actor_id])
            out.append("  end")
        return out


def render_mermaid(result: Result, options: RenderOptions) -> str:
    chart = _Chart(result)
    calls = [chart.call_edge(c) for c in sorted(
        result.call_flows, key=lambda c: (-c.count, c.source, c.target))]
    data = [chart.data_edge(d) for d in sorted(
        result.data_flows, key=lambda d: (-(d.bytes or 0), -d.count, d.source, d.target))]
    # Alternate the heaviest call and data edges, so that a cut keeps some of both.
    ranked = [e for pair in zip_longest(calls, data) for e in pair if e is not None]
    max_edges = min(MAX_EDGES, options.top) if options.top > 0 else MAX_EDGES

    header = ["flowchart LR"]
    kept: list[_Edge] = []
    nodes: set[str] = set()
    actors: set[str] = set()
    size = _js_len("\n".join(header)) + _RESERVE
    for edge in ranked:
        if len(kept) >= max_edges:
            break
        extra = {edge.source, edge.target} - nodes
        new_actors = {chart.nodes[n].actor_id for n in extra if chart.nodes[n].actor_id} - actors
        grow = (_js_len(edge.line) + 1 + sum(chart.node_cost(chart.nodes[n]) for n in extra)
                + sum(_js_len(chart.subgraph_open(a)) + len("\n  end\n") for a in new_actors))
        if size + grow > MAX_TEXT:
            break
        kept.append(edge)
        nodes |= extra
        actors |= new_actors
        size += grow
    cut = len(kept) < len(ranked)
    if not cut:
        nodes = set(chart.nodes)  # everything fits: isolated nodes too
    shown_actors = {chart.nodes[n].actor_id for n in nodes if chart.nodes[n].actor_id}
    grouped = len(shown_actors) <= MAX_SUBGRAPHS

    lines = [f"%% flowinsight: {_plural(len(result.nodes), 'node')}, "
             f"{_plural(len(result.call_flows), 'call edge')}, "
             f"{_plural(len(result.data_flows), 'data edge')}"]
    note = ""
    if cut:
        left_calls = len(calls) - sum(1 for e in kept if not e.data)
        left_data = len(data) - sum(1 for e in kept if e.data)
        left = [f"{_plural(left_calls, 'call edge')} with the fewest calls"] if left_calls else []
        if left_data:
            left.append(f"{_plural(left_data, 'data edge')} with the fewest bytes")
        if len(chart.nodes) > len(nodes):
            left.append(f"{_plural(len(chart.nodes) - len(nodes), 'node')} without a shown edge")
        why = f"--top {options.top}" if len(kept) == options.top else "Mermaid's size limits"
        note = (f"showing the {len(kept)} heaviest of {len(ranked)} edges ({why}); "
                f"left out: {', '.join(left)}")
        lines.append(f"%% {note}; the full graph: flowinsight export --format dot")
    if not grouped:
        lines.append(f"%% {len(shown_actors)} actors: drawn without subgraphs (the actor in each "
                     f"label), as Mermaid's layout fails on some graphs of more than "
                     f"{MAX_SUBGRAPHS} subgraphs")
    lines += header + chart.body(nodes, grouped) + [e.line for e in kept]
    if cut:
        lines.append(f"  omitted[{quoted(note, 400)}]")
        lines.append("  classDef note fill:#fff8e0,stroke:#c8a000,color:#5a4700")
        lines.append("  class omitted note")
    if not result.nodes:
        lines.append(f"  empty[{quoted('no calls recorded')}]")
    inferred = [chart.ids[n] for n in sorted(nodes) if chart.nodes[n].inferred]
    if inferred:
        lines.append("  classDef inferred stroke-dasharray:5 3")
        lines.append(f"  class {','.join(inferred)} inferred")
    return "\n".join(lines) + "\n"


def render(result: Result, options: RenderOptions) -> bytes:
    return render_mermaid(result, options).encode()


RENDERER = Renderer("mermaid", False,
                    "Mermaid flowchart (GitHub renders it in Markdown)", render)
