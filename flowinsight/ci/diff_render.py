"""A Diff as terminal tables (rich), Markdown or JSON. Names come from logs: rich gets them as
`Text` (never markup), Markdown through `render.markdown.cell`."""

from __future__ import annotations

import io

import orjson
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from flowinsight.ci.diff import Diff, fmt_num, fmt_pct, summary_line, to_json
from flowinsight.render.markdown import cell, table
from flowinsight.render.table import t

_METRIC_HEADERS = ("subject", "name", "metric", "A", "B", "change")


def _count(value: int | None) -> str:
    return "-" if value is None else str(value)


def _node_rows(d: Diff) -> list[list[str]]:
    return [[n.status, n.kind, n.name, _count(n.a), _count(n.b)] for n in d.nodes]


def _edge_rows(d: Diff) -> list[list[str]]:
    return [[e.status, e.kind, e.source, e.target, _count(e.a), _count(e.b)] for e in d.edges]


def _metric_rows(d: Diff) -> list[list[str]]:
    return [[m.subject, m.name, m.metric, fmt_num(m.a), fmt_num(m.b), fmt_pct(m)]
            for m in d.metrics]


def _threshold(d: Diff) -> str:
    return (f"beyond ±{fmt_num(d.threshold)}% (durations under {fmt_num(d.min_ms)} ms on both "
            "sides ignored)")


def as_tables(d: Diff, width: int = 120, color: bool = False) -> str:
    """The diff as terminal tables fitted to `width` cells; width 0: each as wide as its
    longest cell needs (piped or written to a file: no name broken over lines)."""
    parts: list[RenderableType] = [
        Text.assemble(("A ", "bold"), t(d.a), ("  B ", "bold"), t(d.b)),
        Text(summary_line(d), style="bold" if d.changed else "green")]
    sections = (("Nodes (calls)", ("status", "kind", "node", "A", "B"), _node_rows(d), 3),
                ("Edges (calls or transfers)", ("status", "kind", "source", "target", "A", "B"),
                 _edge_rows(d), 4),
                (f"Timing and throughput {_threshold(d)}", _METRIC_HEADERS, _metric_rows(d), 3))
    for title, headers, rows, first_number in sections:
        if not rows:
            continue
        tbl = Table(title=title, title_justify="left")
        for i, h in enumerate(headers):
            tbl.add_column(h, justify="right" if i >= first_number else "left")
        for row in rows:
            tbl.add_row(*(t(c) for c in row))
        parts.append(tbl)
    parts.extend(Text.assemble(("note ", "yellow"), t(n)) for n in d.notes)
    buffer = io.StringIO()
    console = Console(file=buffer, width=width or _UNCUT, color_system="auto" if color else None,
                      force_terminal=color, highlight=False, emoji=False)
    for part in parts:
        console.print(part)
    # rich pads a table's title to the table's width: no line ends in spaces (as analyze's)
    return "\n".join(line.rstrip() for line in buffer.getvalue().split("\n"))


_UNCUT = 1 << 20  # wider than any table's natural width: rich then draws each at that width


def as_markdown(d: Diff) -> str:
    out = ["### flowinsight diff", "", f"**A** {cell(d.a)} → **B** {cell(d.b)}", "",
           f"**{cell(summary_line(d))}**"]
    if d.nodes:
        out += ["", "#### Nodes (calls)", ""]
        out += table(["status", "kind", "node", "A", "B"],
                     [[cell(c) for c in row] for row in _node_rows(d)], right=(3, 4))
    if d.edges:
        out += ["", "#### Edges (calls or transfers)", ""]
        out += table(["status", "kind", "source", "target", "A", "B"],
                     [[cell(c) for c in row] for row in _edge_rows(d)], right=(4, 5))
    if d.metrics:
        out += ["", f"#### Timing and throughput {cell(_threshold(d))}", ""]
        out += table(list(_METRIC_HEADERS), [[cell(c) for c in row] for row in _metric_rows(d)],
                     right=(3, 4, 5))
    if d.notes:
        out += ["", "Notes:", ""] + [f"- {cell(n, 500)}" for n in d.notes]
    return "\n".join(out) + "\n"


def as_json(d: Diff) -> bytes:
    return orjson.dumps(to_json(d), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
