"""`mermaid`: a Mermaid `flowchart LR` — for GitHub job summaries, PR comments and docs.

It draws what the DOT picture draws (render/fold.py): nodes filled by their share of the
execution time (a legend node says how), an actor's one-call setup methods as one node `sN` in
its box, the data that moved along a call on the call's edge, small flows counted, not drawn.

Node ids are n0, n1, … in sorted order of the node ids, actors are `subgraph`s a0, a1, … (up
to MAX_SUBGRAPHS of them: see there);
every label is a `"..."` string with Mermaid entity codes for anything that could end it,
turn into HTML or a directive. Mermaid refuses graphs with more than 500 edges or 50,000
characters (its defaults, which GitHub keeps), so a big graph is cut to its heaviest edges —
the most calls, the most bytes — and a comment and a note node say what was left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import zip_longest

from flowinsight.render import RenderOptions, Renderer, one_piece
from flowinsight.render.fold import (SHARES, Edge, Picture, edge_lines, fill, footnote,
                                     init_name, percent, picture, setup_line)
from flowinsight.labels import Labels
from flowinsight.render.text import one_line
from flowinsight.units import counted, human_ms
from flowinsight.result import Node, NodeKind, Result

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


# a figure and its unit: kept on one line where Mermaid wraps a label
_FIGURE = re.compile(r"(\d) (?=(?:µs|ms|s|B|kB|MB|GB|TB)(?:/s)?\b)")


def unbroken(label: str) -> str:
    """Figures glued to their units with a no-break space (Mermaid wraps at spaces)."""
    return _FIGURE.sub("\\1\u00a0", label)


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


class _Chart:
    def __init__(self, result: Result, pic: Picture) -> None:
        self.labels = Labels(result)
        self.pic = pic
        self.nodes = {n.id: n for n in pic.nodes}
        self.ids = {node_id: f"n{i}" for i, node_id in enumerate(sorted(
            n.id for n in result.nodes))}
        self.actor_ids = {a: f"a{i}" for i, a in enumerate(sorted(
            {n.actor_id for n in result.nodes if n.actor_id}))}
        self.setups = {s.actor_id: (f"s{i}", s) for i, s in enumerate(pic.setups)}

    def node_line(self, node: Node, indent: str, flat: bool = False) -> str:
        """A node in its actor's subgraph (`put_packet · 40 calls`) or, flat, with its actor
        in the label (`RayTask 'source'.put_packet · 40 calls`)."""
        if node.kind is NodeKind.DRIVER:
            return f"{indent}{self.ids[node.id]}([{quoted(self.labels.short(node))}])"
        if node.kind is NodeKind.ACTOR:
            init = init_name(node)
            name = f"{self.labels.actor(node.actor_id)}.{init}" if flat else init
        else:
            name = self.labels.node(node.id) if flat else self.labels.short(node)
        limit = 2 * _LABEL_CHARS if flat else _LABEL_CHARS
        text = f"{escape(name, limit)} · {counted(node.calls, 'call')}"
        share = self.pic.share.get(node.id)
        if node.stats.exec_ms is not None and share is not None:
            text += " · " + escape(f"{human_ms(node.stats.exec_ms.sum)} total ({percent(share)})")
        return f'{indent}{self.ids[node.id]}["{unbroken(text)}"]'

    def setup_line_of(self, actor_id: str, indent: str, flat: bool = False) -> str:
        sid, setup = self.setups[actor_id]
        text = setup_line(setup, self.labels)
        if flat:
            text = f"{self.labels.actor(actor_id)}: {text}"
        return f"{indent}{sid}[{quoted(text, 2 * _LABEL_CHARS)}]"

    def node_cost(self, node: Node) -> int:
        """Characters the node may take: the longer of its two forms, and a line break."""
        return max(_js_len(self.node_line(node, "    ")),
                   _js_len(self.node_line(node, "  ", flat=True))) + 1

    def actor_cost(self, actor_id: str) -> int:
        """Characters an actor's box may take: its opening and end, and its setup line."""
        cost = _js_len(self.subgraph_open(actor_id)) + len("\n  end\n")
        if actor_id in self.setups:
            cost += max(_js_len(self.setup_line_of(actor_id, "    ")),
                        _js_len(self.setup_line_of(actor_id, "  ", flat=True))) + 1
        return cost

    def edge(self, e: Edge) -> _Edge:
        label = unbroken(escape(" · ".join(edge_lines(e, self.labels)),
                                2 * _LABEL_CHARS))
        arrow = "-->" if e.calls is not None else "-.->"
        return _Edge(e.calls is None, e.source, e.target,
                     f'  {self.ids[e.source]} {arrow}|"{label}"| {self.ids[e.target]}')

    def subgraph_open(self, actor_id: str) -> str:
        return f"  subgraph {self.actor_ids[actor_id]}[{quoted(self.labels.actor(actor_id))}]"

    def body(self, node_ids: set[str], actors: set[str], grouped: bool) -> list[str]:
        """Node lines: plain nodes first, then one subgraph per actor (when grouped) with its
        setup line."""
        out = []
        by_actor: dict[str, list[Node]] = {a: [] for a in actors if grouped}
        for node_id in sorted(node_ids):
            node = self.nodes[node_id]
            if node.actor_id and grouped:
                by_actor.setdefault(node.actor_id, []).append(node)
            else:
                out.append(self.node_line(node, "  ", flat=bool(node.actor_id)))
        if not grouped:
            out.extend(self.setup_line_of(a, "  ", flat=True) for a in sorted(actors)
                       if a in self.setups)
        for actor_id in sorted(by_actor):
            out.append(self.subgraph_open(actor_id))
            out.extend(self.node_line(n, "    ") for n in by_actor[actor_id])
            if actor_id in self.setups:
                out.append(self.setup_line_of(actor_id, "    "))
            out.append("  end")
        return out


def render_mermaid(result: Result, options: RenderOptions) -> str:
    pic = picture(result)
    chart = _Chart(result, pic)
    calls = [chart.edge(e) for e in sorted(
        (e for e in pic.edges if e.calls is not None),
        key=lambda e: (-e.weight, e.source, e.target))]
    data = [chart.edge(e) for e in sorted(
        (e for e in pic.edges if e.calls is None),
        key=lambda e: (-((e.data.bytes or 0) if e.data else 0), -e.weight, e.source, e.target))]
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
                + sum(chart.actor_cost(a) for a in new_actors))
        if size + grow > MAX_TEXT:
            break
        kept.append(edge)
        nodes |= extra
        actors |= new_actors
        size += grow
    cut = len(kept) < len(ranked)
    if not cut:
        nodes = set(chart.nodes)  # everything fits: isolated nodes too
        actors = {n.actor_id for n in pic.nodes if n.actor_id} | set(chart.setups)
    shown_actors = actors
    grouped = len(shown_actors) <= MAX_SUBGRAPHS

    lines = [f"%% flowinsight: {counted(len(result.nodes), 'node')}, "
             f"{counted(len(result.call_flows), 'call edge')}, "
             f"{counted(len(result.data_flows), 'data edge')}"]
    note = ""
    if cut:
        left_calls = len(calls) - sum(1 for e in kept if not e.data)
        left_data = len(data) - sum(1 for e in kept if e.data)
        left = [f"{counted(left_calls, 'call edge')} with the fewest calls"] if left_calls else []
        if left_data:
            left.append(f"{counted(left_data, 'data edge')} with the fewest bytes")
        if len(chart.nodes) > len(nodes):
            left.append(f"{counted(len(chart.nodes) - len(nodes), 'node')} without a shown edge")
        why = f"--top {options.top}" if len(kept) == options.top else "Mermaid's size limits"
        note = (f"showing the {len(kept)} heaviest of {len(ranked)} edges ({why}); "
                f"left out: {', '.join(left)}")
        lines.append(f"%% {note}; the full graph: flowinsight export --format dot")
    if not grouped:
        lines.append(f"%% {len(shown_actors)} actors: drawn without subgraphs (the actor in each "
                     f"label), as Mermaid's layout fails on some graphs of more than "
                     f"{MAX_SUBGRAPHS} subgraphs")
    lines += header + chart.body(nodes, actors, grouped) + [e.line for e in kept]
    if cut:
        lines.append(f"  omitted[{quoted(note, 400)}]")
        lines.append("  classDef note fill:#fff8e0,stroke:#c8a000,color:#5a4700")
        lines.append("  class omitted note")
    if not result.nodes:
        lines.append(f"  empty[{quoted('no calls recorded')}]")
    lines += _colours(chart, nodes)
    folded = footnote(pic)
    if pic.share:
        legend = "fill: share of all execution time, white " + ", ".join(
            text for _, _, text in SHARES) + " darkest" + (f"; {folded}" if folded else "")
        lines.append(f"  legend[{quoted(legend, 400)}]")
        lines.append("  classDef legend fill:#ffffff,stroke:#c0c0c0,color:#404040")
        lines.append("  class legend legend")
    elif folded:
        lines.append(f"%% {folded}")
    inferred = [chart.ids[n] for n in sorted(nodes) if chart.nodes[n].inferred]
    if inferred:
        lines.append("  classDef inferred stroke-dasharray:5 3")
        lines.append(f"  class {','.join(inferred)} inferred")
    setups = [chart.setups[a][0] for a in sorted(actors) if a in chart.setups]
    if setups:
        lines.append("  classDef setup fill:#ffffff,stroke:#a0a0a0,stroke-dasharray:4 3,"
                     "color:#505050")
        lines.append(f"  class {','.join(setups)} setup")
    return "\n".join(lines) + "\n"


def _colours(chart: _Chart, nodes: set[str]) -> list[str]:
    """A class per share band that some shown node is in."""
    bands: dict[str, list[str]] = {}
    for node_id in sorted(nodes):
        share = chart.pic.share.get(node_id)
        colour = fill(share)
        if share is not None:
            bands.setdefault(colour, []).append(chart.ids[node_id])
    out = []
    for k, (_, colour, _) in enumerate(SHARES):
        if colour in bands:
            out.append(f"  classDef time{k} fill:{colour}")
            out.append(f"  class {','.join(bands[colour])} time{k}")
    return out


def render(result: Result, options: RenderOptions) -> bytes:
    return render_mermaid(result, options).encode()


RENDERER = Renderer("mermaid", False,
                    "Mermaid flowchart (GitHub renders it in Markdown)", one_piece(render))
