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
from flowinsight.render.units import human_bytes, human_ms, human_rate
from flowinsight.result import NodeKind, Result, Stats

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
    if read.skipped_total:
        by_reason = ", ".join(f"{r} {n}" for r, n in read.skipped_by_reason().items())
        grid.add_row("skipped", t(f"{read.skipped_total} lines: {by_reason}"))
    cov = result.coverage
    grid.add_row("coverage", Text(f"{cov.ratio:.1%} of task records complete"
                                  + ("" if cov.complete else " (incomplete capture)"),
                                  style="" if cov.complete else "yellow"))
    grid.add_row("failures", Text(str(len(result.failures)),
                                  style="red bold" if result.failures else ""))
    labels = Labels(result)
    slow = sorted((n for n in result.nodes if n.stats.exec_ms is not None),
                  key=lambda n: (-(n.stats.exec_ms.sum if n.stats.exec_ms else 0.0), n.id))[:3]
    if slow:
        grid.add_row("slowest", t(", ".join(
            f"{labels.node(n.id)} {human_ms(n.stats.exec_ms.sum if n.stats.exec_ms else None)}"
            for n in slow)))
    hot = sorted(result.call_flows, key=lambda c: (-c.count, c.source, c.target))[:3]
    if hot:
        grid.add_row("hottest", t(", ".join(
            f"{labels.node(c.source)} → {labels.node(c.target)} ×{c.count}" for c in hot)))
    for path in result.critical_paths:
        chain = " → ".join(labels.node(s.node) for s in path.steps)
        grid.add_row("critical path", t(f"{human_ms(path.total_ms)}: {chain}"))
    for warning in result.warnings:
        grid.add_row(Text("warning", style="yellow bold"), t(warning))
    return grid


def _p(stats: Stats, which: str) -> str:
    d = stats.exec_ms
    return human_ms(getattr(d, which)) if d is not None else "-"


def node_table(result: Result, labels: Labels, top: int = 0) -> Table:
    table = Table(title="Nodes", title_justify="left")
    table.add_column("node", min_width=_width(labels.node(n.id) for n in result.nodes))
    table.add_column("kind")
    for name in ("calls", "failed", "exec p50", "exec p95", "exec max", "queue p95"):
        table.add_column(name, justify="right")
    failed = result.failures_by_node()
    rows = sorted((n for n in result.nodes if n.kind is not NodeKind.DRIVER),
                  key=lambda n: (-n.calls, labels.node(n.id), n.id))
    shown, rest = _limit(rows, top)
    for n in shown:
        q = n.stats.queue_ms
        table.add_row(t(labels.node(n.id) + (" (inferred)" if n.inferred else "")),
                      n.kind.value, str(n.calls),
                      Text(str(failed.get(n.id, 0)), style="red" if failed.get(n.id) else ""),
                      _p(n.stats, "p50"), _p(n.stats, "p95"), _p(n.stats, "max"),
                      human_ms(q.p95) if q is not None else "-")
    _more(table, rest)
    return table


def call_table(result: Result, labels: Labels, top: int = 0) -> Table:
    table = Table(title="Call flows", title_justify="left")
    width = _width(labels.node(n.id) for n in result.nodes)
    table.add_column("caller", min_width=width)
    table.add_column("callee", min_width=width)
    for name in ("calls", "per s", "exec p50", "exec p95"):
        table.add_column(name, justify="right")
    rows = sorted(result.call_flows, key=lambda c: (-c.count, labels.node(c.source),
                                                    labels.node(c.target)))
    shown, rest = _limit(rows, top)
    for c in shown:
        table.add_row(t(labels.node(c.source)), t(labels.node(c.target)), str(c.count),
                      f"{c.per_s:.1f}" if c.per_s is not None else "-",
                      _p(c.stats, "p50"), _p(c.stats, "p95"))
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


def failure_table(result: Result, labels: Labels, top: int = 0) -> RenderableType:
    if not result.failures:
        return Text("Failures: none recorded", style="dim")
    table = Table(title="Failures", title_justify="left")
    for name in ("node", "kind", "task", "error", "message"):
        table.add_column(name)
    rows = sorted(result.failures, key=lambda f: (f.time_s or 0.0, f.node, f.task_id))
    shown, rest = _limit(rows, top)
    for f in shown:
        task = f"{f.task_id[:16]}…/{f.attempt}" if f.task_id else "-"
        table.add_row(t(labels.node(f.node) if f.node else "(cluster)"), f.kind, task,
                      Text(strip_control(f.error_type), style="red"), t(one_line(f.message, 120)))
    _more(table, rest)
    return table


def call_site_table(result: Result, labels: Labels, top: int = 0) -> RenderableType:
    """`--call-sites`: where in the code each node's tasks were submitted, per caller."""
    if not result.call_sites:
        return Text("Call sites: none recorded (flowinsight.recorder records them; so does "
                    "Ray with RAY_record_task_actor_creation_sites=1 and `flowinsight "
                    "collect`)", style="dim")
    table = Table(title="Call sites", title_justify="left")
    for name in ("node", "caller", "tasks", "submitted from", "at"):
        table.add_column(name, justify="right" if name == "tasks" else "left")
    shown, rest = _limit(result.call_sites, top)
    for c in shown:
        last = c.frames[-1]
        where = f"{last.file.replace(chr(92), '/').rsplit('/', 1)[-1]}:{last.line}"
        table.add_row(t(labels.node(c.node)), t(labels.node(c.caller) if c.caller else "-"),
                      str(c.count), t(" → ".join(f.function for f in c.frames)), t(where))
    _more(table, rest)
    return table


def _width(names: Iterable[str], cap: int = 28) -> int:
    """Names stay readable: their column is not squeezed below its longest name (capped)."""
    return min(cap, max((len(n) for n in names), default=4))


def _more(table: Table, rest: int) -> None:
    if rest:
        table.caption = f"… and {rest} more (use --top 0 for all)"


def all_tables(result: Result, top: int = 0) -> list[RenderableType]:
    labels = Labels(result)
    return [summary(result), node_table(result, labels, top), call_table(result, labels, top),
            data_table(result, labels, top), failure_table(result, labels, top)]


def print_to(console: Console, parts: Iterable[RenderableType]) -> None:
    for part in parts:
        console.print(part)
        console.print()


def render(result: Result, options: RenderOptions) -> bytes:
    buffer = io.StringIO()
    console = Console(file=buffer, width=options.width, color_system=None, force_terminal=False,
                      legacy_windows=False, emoji=False, highlight=False)
    print_to(console, all_tables(result, options.top))
    if options.call_sites:
        print_to(console, [call_site_table(result, Labels(result), options.top)])
    return buffer.getvalue().encode()


RENDERER = Renderer("table", False, "terminal tables (plain text in a file)", render)
