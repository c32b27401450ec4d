"""`dot`: Graphviz source, laid out left to right along the calls and the data.

Each actor is a box holding its methods; its one-call setup methods are one line in it; a call
edge carries the data that moved along it (and back); data flows with no call between the two
ends are dashed; flows too small to matter are counted in the footnote, not drawn. Nodes are
filled by their share of the execution time, with a legend. DOT names are the nodes' readable
labels, so that SVG tooltips show names, not ids. Every string from a log is escaped for DOT
(and for Graphviz's HTML-like labels where one is used).
"""

from __future__ import annotations

import hashlib
import textwrap
from collections import Counter

from flowinsight.render import RenderOptions, Renderer, one_piece
from flowinsight.render.fold import (SHARES, Edge, Picture, edge_lines, fill, flow_rank,
                                     footnote, node_lines, picture, setup_line,
                                     shared_setup_line, shared_setups)
from flowinsight.labels import Labels
from flowinsight.render.text import strip_control
from flowinsight.units import counted
from flowinsight.result import Node, NodeKind, Result, is_class_id

_CALL = "#404040"
_DATA = "#1f6fb2"
_FAILED = "#c0392b"
_FAILED_TEXT = "#8b0000"  # readable on every fill
_CRITICAL = "#d35400"
_TITLE_CHARS = 90  # a longer entrypoint is cut at its start: its end names the script


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


def html(text: str, limit: int = 4000) -> str:
    """Text for inside a Graphviz HTML-like label: one line, entities for markup."""
    text = strip_control(text).replace("\n", " ")
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def _label(*lines: str) -> str:
    return quote("\n".join(lines))


def _pen(value: float, top: float) -> str:
    return f"{1.0 + 4.0 * (value / top if top > 0 else 0.0):.2f}"


class _Names:
    """DOT names: each node's readable label, made unique with its id where two share one."""

    def __init__(self, result: Result, labels: Labels) -> None:
        wanted = {n.id: labels.node(n.id) for n in result.nodes}
        taken: dict[str, int] = {}
        for label in wanted.values():
            taken[label] = taken.get(label, 0) + 1
        self.names = {nid: label if taken[label] == 1 else f"{label} [{nid}]"
                      for nid, label in wanted.items()}

    def __call__(self, node_id: str) -> str:
        return quote(self.names.get(node_id, node_id))


def render_dot(result: Result, options: RenderOptions) -> str:
    labels = Labels(result)
    names = _Names(result, labels)
    critical_nodes: set[str] = set()
    critical_edges: set[tuple[str, str]] = set()
    if options.critical:
        for path in result.critical_paths:
            ids = [s.node for s in path.steps]
            critical_nodes.update(ids)
            critical_edges.update(zip(ids, ids[1:]))
    pic = picture(result, critical_nodes, plans=bool(result.datasets))
    failed = pic.failed
    # (compound: an edge may end at a dataset's plan box)
    out = [
        "digraph flowinsight {",
        f"  graph [rankdir=LR, newrank=true, {'compound=true, ' if pic.plan_entries else ''}"
        f"nodesep=0.25, ranksep=0.6, fontname=Helvetica, "
        f"fontsize=11, labelloc=t, labeljust=l, tooltip={quote('flowinsight')}, "
        f"label=<{_title(result, pic)}>];",
        '  node [shape=box, style="rounded,filled", fontname=Helvetica, fontsize=10, '
        'fillcolor="#ffffff", color="#606060"];',
        "  edge [fontname=Helvetica, fontsize=9, tailport=e, headport=w];",
    ]

    def node_line(node: Node, indent: str) -> str:
        share = pic.share.get(node.id)
        text = node_lines(node, labels, share)
        attrs = [f'fillcolor="{fill(share)}"',
                 f"tooltip={quote(_node_tip(node, labels, share))}"]
        if node.kind is NodeKind.DRIVER:
            attrs.append("shape=ellipse")
        if node.inferred:
            attrs.append('style="rounded,filled,dashed"')
        if failed.get(node.id):
            text.append(f"{failed[node.id]} failed")
            attrs += [f'color="{_FAILED}"', f'fontcolor="{_FAILED_TEXT}"', "penwidth=2.5"]
        elif node.id in critical_nodes:
            attrs += [f'color="{_CRITICAL}"', "penwidth=2.5"]
        return f'{indent}{names(node.id)} [label={_label(*text)}, {", ".join(attrs)}];'

    by_actor: dict[str, list[Node]] = {}
    for node in pic.nodes:
        if node.actor_id:
            by_actor.setdefault(node.actor_id, []).append(node)
        else:
            out.append(node_line(node, "  "))
    for folded in pic.setups:
        by_actor.setdefault(folded.actor_id, [])
    # a subgraph's name is its label, unless two actors share one (two subgraphs of one name
    # are one cluster to Graphviz)
    shared = Counter(labels.actor(a) for a in by_actor)
    # the setups of a class's unnamed instances listed once, beside the boxes (a box in the
    # column of its methods would stack its list under them: N lists, N times as tall)
    listed = shared_setups(pic, labels)
    in_list = {s.actor_id for group in listed for s in group.setups}
    for actor_id in sorted(by_actor, key=lambda a: (labels.actor(a), a)):
        actor = labels.actor(actor_id)
        cluster = actor if shared[actor] == 1 else f"{actor} [{actor_id}]"
        out.append(f"  subgraph {quote(cluster)} {{")
        hit = pic.actor_failed.get(actor_id, 0)
        setup = pic.setup_of(actor_id)
        tip = _actor_tip(actor_id, actor)
        title = actor
        setup_node = ""
        if setup is not None:
            line = setup_line(setup, labels)
            name = quote(f"setup of {cluster}")
            count = counted(len(setup.names), "setup call")
            if actor_id not in in_list:
                setup_node = f"    {name} [label={_label(*_wrapped(line))}, " \
                             f"tooltip={quote(line)}, {_SETUP_STYLE}];"
            elif by_actor[actor_id]:  # in its class's list: the box says how many
                title += f" ({count})"
                tip += f": {line}"
            else:  # a box of its setup calls alone (Graphviz draws no empty cluster)
                class_name = labels.actors[actor_id].class_name
                short = f"{count} (listed once for the {class_name} instances)"
                setup_node = f"    {name} [label={_label(*_wrapped(short))}, " \
                             f"tooltip={quote(line)}, {_SETUP_STYLE}];"
        title = f"{title}: {hit} failed" if hit else title
        out.append(f"    cluster=true; label={quote(title)}; tooltip={quote(tip)};")
        out.append('    style="rounded,filled"; fillcolor="#f4f7fb"; '
                   + (f'color="{_FAILED}"; penwidth=2.5; fontcolor="{_FAILED_TEXT}";' if hit
                      else 'color="#9fb3c8";'))
        out.extend(node_line(n, "    ") for n in by_actor[actor_id])
        if setup_node:
            out.append(setup_node)
            if by_actor[actor_id]:  # beside the actor's busiest method, not a rank of its own
                busiest = max(by_actor[actor_id], key=lambda n: (n.calls, n.id))
                out.append(f"    {{rank=same; cluster=false; {names(busiest.id)}; {name}}}")
        out.append("  }")
    notes = Counter(group.class_name for group in listed)
    for i, group in enumerate(listed):
        line = shared_setup_line(group, labels)
        name = f"setup of {group.class_name} instances" + (
            f" [{i}]" if notes[group.class_name] > 1 else "")
        out.append(f"  {quote(name)} [label={_label(*_wrapped(line))}, tooltip={quote(line)}, "
                   f"{_SETUP_STYLE}];")

    ranked = flow_rank(pic.edges)
    top_calls = max((e.weight for e in pic.edges), default=0)
    for e in pic.edges:
        out.append(f"  {names(e.source)} -> {names(e.target)} "
                   f"[{_edge_attrs(e, labels, top_calls, critical_edges, ranked)}];")
    if result.datasets or result.serve or result.tune:
        # what the program asked of Ray's libraries (its Ray Data plan, Serve deployments, Tune
        # trials) is the picture a library user knows: drawn with the calls that ran it
        from flowinsight.render.plan import plan_lines

        out += plan_lines(result, pic.total_ms)
        top = max([top_calls] + [entry.tasks for entry in pic.plan_entries])
        for entry in pic.plan_entries:
            d = result.datasets[entry.dataset]
            lines = [counted(entry.tasks, "task")]
            if entry.via:
                lines.append(labels.via(entry.via))
            tip = f"{labels.node(entry.caller)} → dataset {d.id}: {'; '.join(lines)}"
            label = "<br/>".join(f"<i>{html(line)}</i>" if i else html(line)
                                 for i, line in enumerate(lines))
            out.append(f"  {names(entry.caller)} -> {quote(f'{d.id}/{d.operators[0].id}')} "
                       f"[lhead={quote(f'cluster_dataset_{entry.cluster}')}, minlen=2, "
                       f"label=<{label}>, "
                       f"penwidth={_pen(entry.tasks, top)}, "
                       f'color="{_CALL}", tooltip={quote(tip)}];')
    out.append("}")
    return "\n".join(out) + "\n"


_SETUP_STYLE = 'shape=box, style="rounded,dashed", fontsize=9, fontcolor="#505050", ' \
    'color="#a0a0a0"'


def _wrapped(line: str) -> list[str]:
    """A setup list in lines of 34 characters, a long name not cut."""
    return textwrap.wrap(line, 34, break_long_words=False)


def _edge_attrs(e: Edge, labels: Labels, top: int,
                critical: set[tuple[str, str]], ranked: set[tuple[str, str]]) -> str:
    lines = edge_lines(e, labels)
    tip = f"{labels.node(e.source)} → {labels.node(e.target)}: {'; '.join(lines)}"
    if e.calls is not None:
        colour = _CRITICAL if (e.source, e.target) in critical else _CALL
        # through Ray's hidden internals: said in the call's colour, the data after it in blue
        calls = 2 if e.calls.via else 1
        head = "<br/>".join(f"<i>{html(line)}</i>" if i else html(line)
                            for i, line in enumerate(lines[:calls]))
        rest = "".join(f'<br/><font color="{_DATA}">{html(line)}</font>'
                       for line in lines[calls:])
        attrs = [f"label=<{head}{rest}>", f"penwidth={_pen(e.weight, top)}",
                 f'color="{colour}"']
    else:
        attrs = [f"label={_label(*lines)}", "style=dashed", f'color="{_DATA}"',
                 f'fontcolor="{_DATA}"', f"penwidth={_pen(e.weight, top)}"]
    attrs.append(f"tooltip={quote(tip)}")
    if (e.source, e.target) not in ranked:
        attrs.append("constraint=false")
    return ", ".join(attrs)


def _node_tip(node: Node, labels: Labels, share: float | None) -> str:
    text = " · ".join(node_lines(node, labels, share)[1:])
    return f"{labels.node(node.id)} ({node.kind.value})" + (f": {text}" if text else "")


def _actor_tip(actor_id: str, label: str) -> str:
    return f"actor {label}" + ("" if is_class_id(actor_id) else f", id {actor_id}")


def _title(result: Result, pic: Picture) -> str:
    """The picture's heading as an HTML-like label: what it shows, the colour legend, what was
    folded and the warnings."""
    jobs = []
    for j in result.jobs:
        entry = _tail(j.entrypoint, _TITLE_CHARS)
        jobs.append(f"job {j.id}" + (f": {entry}" if entry else ""))
    # several jobs' command lines wrapped like a long warning: on one line they made the
    # picture 6000 px wide (eight `ray job submit` jobs)
    heading = f"flowinsight — {', '.join(jobs) or 'no job recorded'}"
    rows = [f"<b>{html(heading)}</b>" if len(heading) <= _WARNING_CHARS else
            "<b>" + "".join(html(line) + '<br align="left"/>'
                            for line in textwrap.wrap(heading, _WARNING_CHARS)) + "</b>",
            html(f"{counted(result.tasks, 'task record')}, "
                 f"{counted(len(result.call_flows), 'call edge')}, "
                 f"{counted(len(result.data_flows), 'data edge')}" + (
                     "; calls solid (data that moved along them in blue), data without a "
                     "call dashed" if result.data_flows else ""))]
    note = footnote(pic)
    if note:
        rows.append(html(note))
    # a long warning wrapped, so that it does not make the picture as wide as itself
    # (a <br> aligns the line before it: the last line too needs one)
    rows += [f'<font color="{_FAILED}">'
             + "".join(html(line) + '<br align="left"/>'
                       for line in textwrap.wrap("warning: " + w, _WARNING_CHARS))
             + "</font>" if len(w) + 9 > _WARNING_CHARS
             else f'<font color="{_FAILED}">{html("warning: " + w)}</font>'
             for w in result.warnings]
    cells = "".join(f'<td bgcolor="{colour}" border="1">{html(text)}</td>'
                    for _, colour, text in SHARES)
    legend = (f'<table border="0" cellborder="0" cellspacing="2" cellpadding="2"><tr>'
              f"<td>fill: share of all execution time</td>{cells}</tr></table>")
    body = "".join(f'<tr><td align="left">{row}</td></tr>' for row in rows)
    return (f'<table border="0" cellborder="0" cellspacing="1" cellpadding="1">{body}'
            f'<tr><td align="left">{legend}</td></tr></table>')


_WARNING_CHARS = 120  # a line of a warning in the heading


def _tail(text: str, limit: int) -> str:
    """The end of a long text (a command line's script is at its end), cut after a separator."""
    if len(text) <= limit:
        return text
    tail = text[-(limit - 1):]
    cut = min((i for i in (tail.find("/"), tail.find(" ")) if 0 <= i < limit // 2), default=-1)
    return "…" + tail[cut:] if cut >= 0 else "…" + tail


def render(result: Result, options: RenderOptions) -> bytes:
    return render_dot(result, options).encode()


RENDERER = Renderer("dot", False, "Graphviz source", one_piece(render))
