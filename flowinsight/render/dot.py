"""`dot`: Graphviz source. Calls are solid edges labelled with counts; data flows are dashed
edges labelled with bytes and speed; each actor is a cluster holding its methods; pen width
grows with weight. Every string from a log is escaped for DOT."""

from __future__ import annotations

import hashlib

from flowinsight.render import RenderOptions, Renderer
from flowinsight.render.labels import Labels
from flowinsight.render.text import strip_control
from flowinsight.render.units import human_bytes, human_ms, human_rate
from flowinsight.result import Node, NodeKind, Result

_FILL = ("#ffffff", "#fff4e0", "#ffe4b8", "#ffcf8a", "#ffb65c")  # by share of calls
_CALL = "#404040"
_DATA = "#1f6fb2"
_FAILED = "#c0392b"
_CRITICAL = "#d35400"


def quote(text: str) -> str:
    """A DOT double-quoted string: backslashes and quotes escaped, line breaks as \\n, and
    `&` as `&amp;` because Graphviz decodes HTML entities even in plain labels."""
    text = strip_control(text.replace("\r\n", "\n")).replace("&", "&amp;")
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    if len(text) > _MAX_QUOTED // 4 and len(text.encode()) > _MAX_QUOTED:
        text = _shortened(text)
    return f'"{text}"'


# Graphviz refuses a quoted string longer than 16384 bytes ("longer than 16384?").
_MAX_QUOTED = 16_000


def _shortened(escaped: str) -> str:
    """An over-long escaped string, cut, with a hash of the whole so that two long ids that
    share a beginning stay two nodes. The cut never splits an escape sequence."""
    digest = hashlib.sha256(escaped.encode()).hexdigest()[:12]
    head = escaped.encode()[: _MAX_QUOTED - 64].decode(errors="ignore")
    head = head[: len(head) - (len(head) - len(head.rstrip("\\"))) % 2]  # no lone backslash
    return f"{head}… #{digest}"


def _label(*lines: str) -> str:
    return quote("\n".join(lines))


def _pen(value: float, top: float) -> str:
    return f"{1.0 + 4.0 * (value / top if top > 0 else 0.0):.2f}"


def _fill(node: Node, top: int) -> str:
    if top <= 0 or node.calls <= 0:
        return _FILL[0]
    return _FILL[min(len(_FILL) - 1, 1 + int(3.999 * node.calls / top))]


def render_dot(result: Result, options: RenderOptions) -> str:
    labels = Labels(result)
    top_calls = max((n.calls for n in result.nodes), default=0)
    failed = result.failures_by_node()
    critical_nodes: set[str] = set()
    critical_edges: set[tuple[str, str]] = set()
    if options.critical:
        for path in result.critical_paths:
            ids = [s.node for s in path.steps]
            critical_nodes.update(ids)
            critical_edges.update(zip(ids, ids[1:]))
    out = [
        "digraph flowinsight {",
        f"  graph [rankdir=LR, fontname=Helvetica, fontsize=11, labelloc=t, labeljust=l, "
        f"label={_label(*_title(result))}];",
        '  node [shape=box, style="rounded,filled", fontname=Helvetica, fontsize=10, '
        'fillcolor="#ffffff", color="#606060"];',
        "  edge [fontname=Helvetica, fontsize=9];",
    ]

    def node_line(node: Node, indent: str) -> str:
        text = [labels.short(node)]
        if node.kind is NodeKind.ACTOR:
            text = ["<init>" if node.language == "JAVA" else "__init__"]
        if node.kind is NodeKind.FUNCTION and node.module:
            text.append(node.module)
        if node.kind is not NodeKind.DRIVER:
            text.append(f"{node.calls} call{'s' if node.calls != 1 else ''}")
        if node.stats.exec_ms is not None and node.kind is not NodeKind.DRIVER:
            text.append(f"p50 {human_ms(node.stats.exec_ms.p50)}")
        attrs = [f'fillcolor="{_fill(node, top_calls)}"']
        if node.kind is NodeKind.DRIVER:
            attrs.append("shape=ellipse")
        if node.inferred:
            attrs.append('style="rounded,filled,dashed"')
        if failed.get(node.id):
            text.append(f"{failed[node.id]} failed")
            attrs += [f'color="{_FAILED}"', f'fontcolor="{_FAILED}"', "penwidth=2.5"]
        elif node.id in critical_nodes:
            attrs += [f'color="{_CRITICAL}"', "penwidth=2.5"]
        return f'{indent}{quote(node.id)} [label={_label(*text)}, {", ".join(attrs)}];'

    by_actor: dict[str, list[Node]] = {}
    for node in result.nodes:
        if node.actor_id:
            by_actor.setdefault(node.actor_id, []).append(node)
        else:
            out.append(node_line(node, "  "))
    for actor_id in sorted(by_actor):
        out.append(f"  subgraph {quote('cluster_' + actor_id)} {{")
        out.append(f"    label={quote(labels.actor(actor_id))};")
        out.append('    style="rounded,filled"; fillcolor="#f4f7fb"; color="#9fb3c8";')
        out.extend(node_line(n, "    ") for n in by_actor[actor_id])
        out.append("  }")

    top_count = max((c.count for c in result.call_flows), default=0)
    for c in result.call_flows:
        color = _CRITICAL if (c.source, c.target) in critical_edges else _CALL
        out.append(f"  {quote(c.source)} -> {quote(c.target)} [label={quote(str(c.count))}, "
                   f"penwidth={_pen(c.count, top_count)}, color=\"{color}\"];")
    top_bytes = max((d.bytes or 0 for d in result.data_flows), default=0)
    for d in result.data_flows:
        size = human_bytes(d.bytes)
        if d.unsized and d.bytes is not None:
            size = f"≥ {size}"
        text = [f"{d.count} × → {size}", human_rate(d.bytes_per_s)]
        out.append(f"  {quote(d.source)} -> {quote(d.target)} [label={_label(*text)}, "
                   f"style=dashed, color=\"{_DATA}\", fontcolor=\"{_DATA}\", "
                   f"penwidth={_pen(d.bytes or 0, top_bytes)}];")
    out.append("}")
    return "\n".join(out) + "\n"


def _title(result: Result) -> list[str]:
    jobs = ", ".join(f"job {j.id}" + (f": {j.entrypoint}" if j.entrypoint else "")
                     for j in result.jobs)
    lines = [f"flowinsight — {jobs or 'no job recorded'}",
             f"{result.tasks} task records, {len(result.call_flows)} call edges, "
             f"{len(result.data_flows)} data edges"]
    lines.extend(f"warning: {w}" for w in result.warnings)
    return lines


def render(result: Result, options: RenderOptions) -> bytes:
    return render_dot(result, options).encode()


RENDERER = Renderer("dot", False, "Graphviz source", render)
