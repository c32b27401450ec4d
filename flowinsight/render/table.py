"""`table`: rich tables for the terminal — a summary, nodes with call counts, call flows and
data flows. Strings from logs go in as `Text` (never parsed as markup), stripped of control
characters."""

from __future__ import annotations

import io
from typing import Iterable, Sequence, TypeVar

from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from flowinsight.render import RenderOptions, Renderer
from flowinsight.render.labels import Labels
from flowinsight.render.text import one_line, strip_control
from flowinsight.render.units import human_bytes, human_rate
from flowinsight.result import NodeKind, Result

_Row = TypeVar("_Row")


def t(value: object) -> Text:
    """Untrusted text: control characters removed, no markup interpretation."""
    return Text(strip_control(str(value)))


def _limit(rows: Sequence[_Row], top: int) -> tuple[Sequence[_Row], int]:
    if top and len(rows) > top:
        return rows[:top], len(rows) - top
    return rows, 0


def summary(result: Result) -> RenderableType:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    for job in result.jobs:
        grid.add_row(f"job {job.id}", t(f"{job.tasks} tasks  {one_line(job.entrypoint)}"))
    read = result.read
    grid.add_row("tasks", t(f"{result.tasks} task records"))
    grid.add_row("graph", t(f"{len(result.nodes)} nodes, {len(result.call_flows)} call edges, "
                            f"{len(result.data_flows)} data edges"))
    grid.add_row("read", t(f"{len(read.files)} files, {read.lines} lines, {read.events} events"
                           f" ({', '.join(result.sources) or 'none'})"))
    if read.skipped:
        by_reason = ", ".join(f"{r} {n}" for r, n in read.skipped_by_reason().items())
        grid.add_row("skipped", t(f"{read.skipped} lines: {by_reason}"))
    for warning in result.warnings:
        grid.add_row(Text("warning", style="yellow bold"), t(warning))
    return grid


def node_table(result: Result, labels: Labels, top: int = 0) -> Table:
    table = Table(title="Nodes", title_justify="left")
    table.add_column("node")
    table.add_column("kind")
    table.add_column("calls", justify="right")
    rows = sorted((n for n in result.nodes if n.kind is not NodeKind.DRIVER),
                  key=lambda n: (-n.calls, labels.node(n.id), n.id))
    shown, rest = _limit(rows, top)
    for n in shown:
        table.add_row(t(labels.node(n.id) + (" (inferred)" if n.inferred else "")),
                      n.kind.value, str(n.calls))
    _more(table, rest)
    return table


def call_table(result: Result, labels: Labels, top: int = 0) -> Table:
    table = Table(title="Call flows", title_justify="left")
    table.add_column("caller")
    table.add_column("callee")
    table.add_column("calls", justify="right")
    rows = sorted(result.call_flows, key=lambda c: (-c.count, labels.node(c.source),
                                                    labels.node(c.target)))
    shown, rest = _limit(rows, top)
    for c in shown:
        table.add_row(t(labels.node(c.source)), t(labels.node(c.target)), str(c.count))
    _more(table, rest)
    return table


def data_table(result: Result, labels: Labels, top: int = 0) -> RenderableType:
    if not result.has_object_events:
        return Text("Data flows: none recorded (the capture holds no object events)",
                    style="dim")
    table = Table(title="Data flows", title_justify="left")
    for name in ("producer", "consumer"):
        table.add_column(name)
    for name in ("transfers", "bytes", "speed"):
        table.add_column(name, justify="right")
    rows = sorted(result.data_flows, key=lambda d: (-(d.bytes or 0), -d.count,
                                                    labels.node(d.source), labels.node(d.target)))
    shown, rest = _limit(rows, top)
    for d in shown:
        size = human_bytes(d.bytes)
        if d.unsized and d.bytes is not None:
            size = f"≥ {size}"
        table.add_row(t(labels.node(d.source)), t(labels.node(d.target)), str(d.count), size,
                      human_rate(d.bytes_per_s))
    _more(table, rest)
    return table


def _more(table: Table, rest: int) -> None:
    if rest:
        table.caption = f"… and {rest} more (use --top 0 for all)"


def all_tables(result: Result, top: int = 0) -> list[RenderableType]:
    labels = Labels(result)
    return [summary(result), node_table(result, labels, top), call_table(result, labels, top),
            data_table(result, labels, top)]


def print_to(console: Console, parts: Iterable[RenderableType]) -> None:
    for part in parts:
        console.print(part)
        console.print()


def render(result: Result, options: RenderOptions) -> bytes:
    buffer = io.StringIO()
    console = Console(file=buffer, width=options.width, color_system=None, force_terminal=False,
                      legacy_windows=False, emoji=False, highlight=False)
    print_to(console, all_tables(result, options.top))
    return buffer.getvalue().encode()


RENDERER = Renderer("table", (".txt",), False, "terminal tables (plain text in a file)", render)
