"""`table`: what `analyze` prints — a summary that answers first (every figure says what it
is), then tables of nodes, call flows and data flows, then the failures with their story.

Tables fit the width they are given: names are shortened in the middle (never a number), and
when that is not enough the least needed columns are dropped; each table says what it
shortened or dropped. Width 0 means no limit (output to a file or a pipe): nothing is cut, and
no line carries padding at its end. Strings from logs go in as `Text` (never parsed as markup)
and on one line, their control characters written out (text.escaped).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterable, Sequence, TypeVar

from rich.cells import cell_len
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from flowinsight.model.events import Frame
from flowinsight.model.ids import is_driver_task
from flowinsight.render import RenderOptions, Renderer, one_piece
from flowinsight.render.data_plans import plan_groups
from flowinsight.render.fold import percent
from flowinsight.labels import Labels
from flowinsight.render.story import Story, brief, by_error, followed, told
from flowinsight.render.text import escaped
from flowinsight.units import counted, human_bytes, human_ms, human_rate
from flowinsight.render.open_runs import as_table, drawn_ends
from flowinsight.result import CAPTURE_END, NO_NS, NodeKind, Result, Stats, failure_groups

_Row = TypeVar("_Row")
KEY_WIDTH = 15  # the summary's first column
MIN_NAME = 12  # a name column is not shortened below this, columns are dropped first
UNLIMITED = 0


def t(value: object) -> Text:
    """Untrusted text: on one line, control characters written out, no markup interpretation."""
    return Text(escaped(str(value)))


# -- fitting ------------------------------------------------------------------------------------

@dataclass(slots=True)
class Column:
    header: str
    kind: str = "number"  # "name": may be shortened; "number": never cut; "text": never cut
    keep: bool = False  # never dropped (names, and the figure the table is sorted by)
    cells: list[Text] = field(default_factory=list)
    compact: list[Text] = field(default_factory=list)  # names: the shorter forms, if any

    @property
    def natural(self) -> int:
        return max([cell_len(self.header)] + [c.cell_len for c in self.cells])

    def use_compact(self) -> None:
        if self.compact:
            self.cells, self.compact = self.compact, []


@dataclass(slots=True)
class Grid:
    """A table before it is fitted to a width: add columns in the order shown (the first to
    drop last), then rows."""

    title: str
    columns: list[Column]
    more: int = 0  # rows left out by --top

    def add_row(self, *cells: Text | str | tuple[Text, Text]) -> None:
        """A cell: text, or for a name its full and its compact form."""
        for column, cell in zip(self.columns, cells, strict=True):
            full, compact = cell if isinstance(cell, tuple) else (cell, None)
            column.cells.append(full if isinstance(full, Text) else Text(full))
            if compact is not None:
                column.compact.append(compact)


def _overhead(columns: int) -> int:
    """Borders and padding of a rich table with a box: `│ a │ b │`."""
    return 3 * columns + 1


def _fit(grid: Grid, width: int) -> tuple[list[Column], dict[int, int], list[str]]:
    """The columns kept, the width of each shortened name column, and what was done."""
    columns = list(grid.columns)
    dropped: list[str] = []
    if width == UNLIMITED:
        return columns, {}, []

    def room(cols: list[Column]) -> int:
        return width - _overhead(len(cols)) - sum(c.natural for c in cols if c.kind != "name")

    while True:
        names = [c for c in columns if c.kind == "name"]
        if room(columns) >= sum(min(c.natural, MIN_NAME) for c in names):
            break
        droppable = [c for c in columns if not c.keep]
        if not droppable:
            break
        columns.remove(droppable[-1])
        dropped.insert(0, droppable[-1].header)
    names = [c for c in columns if c.kind == "name"]
    space = room(columns)
    if sum(c.natural for c in names) > space:
        for c in names:
            c.use_compact()
    widths: dict[int, int] = {}
    if sum(c.natural for c in names) > space:
        # share the room: a name that needs less than its share keeps its width
        todo = sorted(names, key=lambda c: c.natural)
        while todo:
            share = max(4, space // len(todo))
            column = todo.pop(0)
            w = min(column.natural, share)
            widths[id(column)] = w
            space -= w
    did = []
    if any(widths[id(c)] < c.natural for c in names if id(c) in widths):
        did.append("names shortened (…)")
    if dropped:
        did.append(f"{', '.join(dropped)} left out")
    return columns, widths, [" and ".join(did) + f" to fit {width} columns"] if did else []


def _cut(text: Text, width: int) -> Text:
    """A name in at most `width` terminal cells: its start and its end kept (more of the end,
    where a dotted name says the most)."""
    if text.cell_len <= width:
        return text
    plain = text.plain
    head_cells = (width - 1) // 3
    tail_cells = width - 1 - head_cells
    head, used = "", 0
    for ch in plain:
        if used + cell_len(ch) > head_cells:
            break
        head += ch
        used += cell_len(ch)
    tail, used = "", 0
    for ch in reversed(plain):
        if used + cell_len(ch) > tail_cells:
            break
        tail = ch + tail
        used += cell_len(ch)
    return Text(head + "…" + tail, style=text.style)


def fitted(grid: Grid, width: int) -> Table:
    columns, widths, notes = _fit(grid, width)
    table = Table(title=grid.title, title_justify="left", caption_justify="left")
    for column in columns:
        w = widths.get(id(column), column.natural)
        table.add_column(column.header, justify="left" if column.kind != "number" else "right",
                         width=w, no_wrap=True)
    rows = len(columns[0].cells) if columns else 0
    for i in range(rows):
        table.add_row(*(_cut(c.cells[i], widths[id(c)]) if id(c) in widths else c.cells[i]
                        for c in columns))
    if grid.more:
        notes.insert(0, f"… and {grid.more} more rows (--top 0 for all)")
    if notes:
        table.caption = "\n".join(line for note in notes for line in _wrap([note], width))
    return table


def _limit(rows: Sequence[_Row], top: int) -> tuple[Sequence[_Row], int]:
    if top and len(rows) > top:
        return rows[:top], len(rows) - top
    return rows, 0


# -- the summary --------------------------------------------------------------------------------

def _wrap(items: Sequence[str], width: int, sep: str = ", ") -> list[str]:
    """Items joined by `sep`, in lines of at most `width` cells, broken between items; an item
    longer than a line is broken between its words, never between a number and its unit."""
    last = len(items) - 1
    pieces = [item + (sep.rstrip() if k < last else "") for k, item in enumerate(items)]
    glue = " " if sep.endswith(" ") else ""
    if width == UNLIMITED:
        return [glue.join(pieces)]
    lines: list[str] = []
    line = ""
    for piece in pieces:
        joined = f"{line}{glue}{piece}" if line else piece
        if cell_len(joined) <= width:
            line = joined
            continue
        if line:
            lines.append(line)
            line = ""
        if cell_len(piece) <= width:
            line = piece
            continue
        for word in _words(piece):
            candidate = f"{line} {word}" if line else word
            if cell_len(candidate) <= width or not line:
                line = candidate
            else:
                lines.append(line)
                line = word
    if line:
        lines.append(line)
    return lines


_LEADS = {"p50", "p95", "line", "wall", "at"}  # words that name the number after them
_UNITS = {"B", "kB", "MB", "GB", "TB", "B/s", "kB/s", "MB/s", "GB/s", "TB/s", "µs", "ms", "s",
          "calls", "call", "tasks", "task", "%"}


def _words(text: str) -> list[str]:
    """Words, with a number kept together with the unit after it (`68.3 ms`)."""
    words: list[str] = []
    for word in text.split(" "):
        last = words[-1].rsplit(" ", 1)[-1] if words else ""
        number = last.lstrip("(~≥<").replace(".", "", 1).replace(",", "").isdigit()
        if words and (word.rstrip(",;:)") in _UNITS and number or last.lstrip("(") in _LEADS):
            words[-1] += " " + word
        else:
            words.append(word)
    return [w for w in words if w]


@dataclass(frozen=True, slots=True)
class Line:
    key: str
    items: tuple[str, ...]
    style: str = ""
    sep: str = ", "
    lead: str = ""  # said before the items (what they are)


def _clock(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def summary_lines(result: Result, labels: Labels) -> list[Line]:
    out = []
    running = {u.job_id for u in result.coverage.unfinished if u.at == CAPTURE_END}
    for job in result.jobs:
        items = []
        if job.start_ms is not None:
            items.append(f"started {_clock(job.start_ms)}")
        if job.start_ms is not None and job.end_ms is not None and job.end_ms >= job.start_ms:
            items.append(f"wall {human_ms(job.end_ms - job.start_ms)}")
        elif job.id in running:  # its driver job recorded, no end: a copy taken mid-run
            items.append("still running when the capture ended")
        elif job.start_ms is not None:
            items.append("no end recorded")
        items.append(counted(job.tasks, "task"))
        if job.entrypoint:
            items.append(f"entrypoint {escaped(job.entrypoint)}")
        out.append(Line(f"job {escaped(job.id)}", tuple(items)))
    read = result.read
    out.append(Line("read", (counted(len(read.files), "file"), counted(read.lines, "line"),
                             f"{counted(read.events, 'event')} "
                             f"({', '.join(result.sources) or 'none'})")))
    if read.skipped_total:
        out.append(Line("skipped", (f"{read.skipped_total} lines",) + tuple(
            f"{r} {n}" for r, n in read.skipped_by_reason().items()), "yellow"))
    out.append(Line("graph", (counted(result.tasks, "task record"),
                              counted(len(result.nodes), "node"),
                              counted(len(result.call_flows), "call edge"),
                              counted(len(result.data_flows), "data edge"))))
    if len(result.ray_nodes) > 1:  # where a multi-node run's work went
        out.append(Line("ray nodes", tuple(
            (f"{escaped(n.ip)} ({escaped(n.id[:8])})" if n.ip
             else f"{escaped(n.id[:8])} (IP unknown)")
            + f" {counted(n.attempts, 'attempt')} on {counted(n.workers, 'worker')}"
            + (f", {n.failed_attempts} failed" if n.failed_attempts else "")
            for n in result.ray_nodes), sep="; ", lead=f"{len(result.ray_nodes)}:"))
    cov = result.coverage
    out.append(Line("coverage", (f"{cov.ratio:.1%} of tasks complete"
                                 + ("" if cov.complete else " (incomplete capture)"),),
                    "" if cov.complete else "yellow"))
    if result.failures:
        by_type: dict[str, int] = {}
        for f in result.failures:
            by_type[f.error_type] = by_type.get(f.error_type, 0) + 1
        out.append(Line("failures", (f"{len(result.failures)}{_from_causes(result)} (" + ", ".join(
            f"{escaped(k)} {n}" for k, n in sorted(by_type.items())) + "): see Failures below",),
                        "red bold"))
    else:
        out.append(Line("failures", ("none",)))
    if result.ends:  # deaths and failed attempts that are not failures, said as such
        kinds: dict[str, dict[str, int]] = {}
        for f in result.ends:
            types = kinds.setdefault(f.category, {})
            types[f.error_type] = types.get(f.error_type, 0) + 1
        out.append(Line("not failures", (", ".join(
            f"{escaped(category)} {sum(types.values())} (" + ", ".join(
                f"{escaped(t)} {n}" for t, n in sorted(types.items())) + ")"
            for category, types in sorted(kinds.items())) + ": see docs/failures.md",)))
    out.extend(_library_lines(result))
    timed = [n for n in result.nodes if n.stats.exec_ms is not None
             and n.kind is not NodeKind.DRIVER]
    total = sum(n.stats.exec_ms.sum for n in timed if n.stats.exec_ms is not None)
    slow = sorted(timed, key=lambda n: (-(n.stats.exec_ms.sum if n.stats.exec_ms else 0.0),
                                        n.id))[:3]
    if slow:
        items = []
        for n in slow:
            d = n.stats.exec_ms
            assert d is not None
            share = f", {percent(d.sum / total)} of all" if total > 0 else ""
            items.append(f"{escaped(labels.node(n.id))} {human_ms(d.sum)} in "
                         f"{counted(d.count, 'call')}{share} "
                         f"(p50 {human_ms(d.p50)} per call)")
        out.append(Line("most time", tuple(items), sep="; ",
                        lead="total execution time over all calls:"))
    hot = sorted(result.call_flows, key=lambda c: (-c.count, c.source, c.target))[:3]
    if hot:
        out.append(Line("most calls", tuple(
            f"{escaped(labels.node(c.source))} → {escaped(labels.node(c.target))} "
            f"{counted(c.count, 'call')}" for c in hot), sep="; "))
    out += _still_running(result, labels)
    # a step in Ray's internals taken out of the view still took its time: named, and marked
    # as a node the pictures do not draw
    hidden = {n.id for n in result.hidden.nodes}
    running_calls = {u.job_id: u.running for u in result.coverage.unfinished if u.running}
    for path in result.critical_paths:
        steps = tuple(f"→ {escaped(labels.node(s.node))} {human_ms(s.exec_ms)}"
                      + (" (Ray's internals, hidden)" if s.node in hidden else "")
                      for s in path.steps)
        key = "critical path" + (f" {escaped(path.job_id)}" if len(result.jobs) > 1 else "")
        # the calls still running when the capture or the job ended count until then
        left = running_calls.get(path.job_id, 0)
        out.append(Line(key, (steps[0].removeprefix("→ "),) + steps[1:], sep=" ",
                        lead=f"{human_ms(path.total_ms)} wall (first start to last end"
                             + (f"; the {counted(left, 'call')} still running then count "
                                "until the end" if left else "")
                             + "); each step's own execution time:"))
    for warning in result.warnings:
        out.append(Line("warning", (escaped(warning),), "yellow"))
    return out


_LONGEST_RUNNING = 3


def _still_running(result: Result, labels: Labels) -> list[Line]:
    """The calls still going when the capture ended while their job ran (a copy taken
    mid-run, a CI job's timeout: what hung), and those their job's end cut short: the longest
    first, with how long they had run by then (open_runs.drawn_ends), and how many waited."""
    table = as_table(result.attempts)
    ends = drawn_ends(table, result.jobs)
    out = []
    for column, when in (("at_capture_end", "when the capture ended"),
                         ("at_job_end", "when their job ended")):
        states = table.column(column)
        if "running" not in states and "queued" not in states:
            continue
        runs = sorted(((ends[i] - table.start_ns[i], table.nodes[i])
                       for i, state in enumerate(states) if state == "running"
                       and table.start_ns[i] != NO_NS and not is_driver_task(table.task_ids[i])),
                      key=lambda run: (-run[0], run[1]))
        queued = sum(1 for i, state in enumerate(states)
                     if state == "queued" and not is_driver_task(table.task_ids[i]))
        items = [f"{escaped(labels.node(node))} for {human_ms(ns / 1e6)}"
                 for ns, node in runs[:_LONGEST_RUNNING]]
        if len(runs) > _LONGEST_RUNNING:
            items.append(f"{len(runs) - _LONGEST_RUNNING} more running")
        if queued:
            items.append(f"{queued} queued")
        if items:
            out.append(Line("still running", tuple(items), "yellow", sep="; ",
                            lead=f"{when} ({counted(len(runs), 'call')}, longest first):"))
    return out


def _library_lines(result: Result) -> list[Line]:
    """What the run did with Tune, Serve and Ray Data, in a line each (the JSON's `tune`,
    `serve`, `datasets`; `--format plan` draws them). A Tune entry is a trial actor, not a
    trial: the trials begun are its starts, those from scratch its starts less its restores."""
    out = []
    if result.tune:
        starts = sum(t.starts for t in result.tune)
        restores = sum(t.restores for t in result.tune)
        unused = sum(1 for t in result.tune if not t.starts)
        failed = sum(t.failures for t in result.tune)
        out.append(Line("tune", (
            f"trials started on them {starts} times", f"{restores} from a checkpoint",
            f"{starts - restores} from scratch",
            f"{sum(t.train_calls for t in result.tune)} train calls")
            + ((f"{failed} failed",) if failed else ()), "red" if failed else "",
            lead=f"{len(result.tune)} trial actors" + (f" ({unused} unused)" if unused else "")
            + ":"))
    if result.serve:
        out.append(Line("serve", tuple(
            f"{escaped(d.app)}/{escaped(d.name)} {counted(d.requests, 'request')}"
            + (f" ({d.cancelled} cancelled tries)" if d.cancelled else "")
            + (f", p95 {human_ms(d.request_ms.p95)}" if d.request_ms else "")
            + (f", {d.failures} failed" if d.failures else "")
            for d in result.serve), sep="; ", lead=f"{len(result.serve)} deployments:"))
    if result.datasets:
        ops = [o for d in result.datasets for o in d.operators]
        # a dataset consumed again (an epoch) is another execution of its plan
        plans = plan_groups(result)
        failed_ops = sum(1 for group in plans
                         for at in range(len(result.datasets[group[0]].operators))
                         if any(result.datasets[i].operators[at].failures for i in group))
        runs = counted(len(result.datasets), "dataset") if len(plans) == len(result.datasets) \
            else f"{counted(len(plans), 'dataset plan')} run {len(result.datasets)} times"
        drawn = sum(len(result.datasets[group[0]].operators) for group in plans)
        out.append(Line("ray data", (
            runs,
            f"{drawn} operators" + (f", {failed_ops} with failed tasks" if failed_ops else ""),
            f"{sum(o.tasks for o in ops)} operator tasks"), "red" if failed_ops else ""))
    return out


def summary(result: Result, labels: Labels, width: int) -> RenderableType:
    """The summary as lines of text, wrapped between items to `width` (0: never)."""
    text = Text()
    for line in summary_lines(result, labels):
        room = UNLIMITED if width == UNLIMITED else max(20, width - KEY_WIDTH)
        items = line.items
        if line.lead:
            items = (f"{line.lead} {items[0]}",) + items[1:] if items else (line.lead,)
        key_alone = cell_len(line.key) > KEY_WIDTH - 1 and width != UNLIMITED
        if key_alone:  # a key wider than its column ("critical path 02000000") on its own
            text.append(line.key, style="bold")
            text.append("\n")
        for k, part in enumerate(_wrap(items, room, line.sep)):
            key = line.key if k == 0 and not key_alone else ""
            text.append(f"{key:<{KEY_WIDTH - 1}} ", style="bold")
            text.append(part, style=line.style)
            text.append("\n")
    text.rstrip()
    return text


# -- the tables ---------------------------------------------------------------------------------

def _name(labels: Labels, node_id: str) -> tuple[Text, Text]:
    return t(labels.node(node_id)), t(labels.compact(node_id))


def _p(stats: Stats, which: str) -> str:
    d = stats.exec_ms
    return human_ms(getattr(d, which)) if d is not None else "-"


def node_table(result: Result, labels: Labels, top: int = 0) -> Grid:
    grid = Grid("Nodes (exec: one call's execution time; total: over all calls)", [
        Column("node", "name", keep=True), Column("calls", keep=True), Column("failed"),
        Column("exec p50"), Column("exec p95"), Column("total"), Column("kind", "text"),
        Column("exec max"), Column("queue p95")])
    failed = result.failures_by_node()
    rows = sorted((n for n in result.nodes if n.kind is not NodeKind.DRIVER),
                  key=lambda n: (-n.calls, labels.node(n.id), n.id))
    shown, grid.more = _limit(rows, top)
    for n in shown:
        q = n.stats.queue_ms
        inferred = " (inferred)" if n.inferred else ""
        grid.add_row((t(labels.node(n.id) + inferred), t(labels.compact(n.id) + inferred)),
                     str(n.calls),
                     Text(str(failed.get(n.id, 0)), style="red" if failed.get(n.id) else ""),
                     _p(n.stats, "p50"), _p(n.stats, "p95"), _p(n.stats, "sum"), n.kind.value,
                     _p(n.stats, "max"), human_ms(q.p95) if q is not None else "-")
    return grid


def call_table(result: Result, labels: Labels, top: int = 0) -> Grid:
    grid = Grid("Call flows (exec: the callee's execution time per call)", [
        Column("caller", "name", keep=True), Column("callee", "name", keep=True),
        Column("calls", keep=True), Column("exec p50"), Column("exec p95"), Column("calls/s")])
    rows = sorted(result.call_flows, key=lambda c: (-c.count, labels.node(c.source),
                                                    labels.node(c.target)))
    shown, grid.more = _limit(rows, top)
    for c in shown:
        caller = _name(labels, c.source)
        if c.via:  # drawn through Ray's hidden internals: said with the caller
            via = labels.via(c.via)
            caller = (t(f"{labels.node(c.source)} {via}"),
                      t(f"{labels.compact(c.source)} {via}"))
        grid.add_row(caller, _name(labels, c.target), str(c.count),
                     _p(c.stats, "p50"), _p(c.stats, "p95"),
                     f"{c.per_s:.1f}" if c.per_s is not None else "-")
    return grid


def data_table(result: Result, labels: Labels, top: int = 0) -> Grid | Text:
    if not result.has_object_events:
        return Text("Data flows: none recorded (the capture holds no object events)",
                    style="dim")
    grid = Grid("Data flows (bytes: over all transfers; speed: bytes over the flow's span)", [
        Column("producer", "name", keep=True), Column("consumer", "name", keep=True),
        Column("bytes", keep=True), Column("transfers"), Column("speed")])
    rows = sorted(result.data_flows, key=lambda d: (-(d.bytes or 0), -d.count,
                                                    labels.node(d.source), labels.node(d.target)))
    shown, grid.more = _limit(rows, top)
    for d in shown:
        size = human_bytes(d.bytes)
        if d.unsized and d.bytes is not None:
            size = f"≥ {size}"
        grid.add_row(_name(labels, d.source), _name(labels, d.target), size, str(d.count),
                     human_rate(d.bytes_per_s))
    return grid


def _from_causes(result: Result) -> str:
    """" from 2 causes" where some failures follow from others (result.failure_groups)."""
    causes = len(failure_groups(result.failures))
    return "" if causes == len(result.failures) else f" from {counted(causes, 'cause')}"


def failure_section(result: Result, labels: Labels, width: int, top: int = 0) -> Text:
    """Each cause's story: what failed, the error, the task, where it ran, and the
    traceback's last frames; then what failed with it, a short line each."""
    if not result.failures:
        return Text("Failures: none recorded", style="dim")
    groups = told(result, labels)
    shown, more = _limit(groups, top)
    text = Text(f"Failures ({len(result.failures)}{_from_causes(result)})", style="bold")
    for k, (story, rest) in enumerate(shown, 1):
        _story(text, k, story, width, rest)
    if more:
        text.append(f"\n… and {counted(more, 'more cause', 'more causes')} (--top 0 for all)")
    return text


def _story(text: Text, k: int, s: Story, width: int, rest: Sequence[Story] = ()) -> None:
    indent = " " * (len(str(k)) + 2)
    room = UNLIMITED if width == UNLIMITED else max(20, width - len(indent))

    def put(items: Sequence[str], style: str = "", first: str = "", sep: str = " ") -> None:
        for i, part in enumerate(_wrap(items, room, sep)):
            text.append("\n" + (first if i == 0 and first else indent))
            text.append(part, style=style)

    f = s.failure
    put([f"{escaped(s.node)} ({f.kind}):", escaped(s.error)], "red", first=f"{k}. ")
    where = [f"task {escaped(s.task)}"] if s.task else []
    if s.at_s is not None:
        where.append(f"at {s.at_s:.2f} s")
    if s.worker:
        where.append(f"on {s.worker}")
    if where:
        put(where, sep=", ")
    if s.ray_node:
        put([f"on Ray node {escaped(s.ray_node)}"])
    if f.call_site:  # where the failed task was submitted from (call sites)
        put(["submitted from", *(f"{escaped(_frame_name(c))} →" for c in f.call_site[:-1]),
             f"{escaped(_frame_name(f.call_site[-1]))} "
             f"({escaped(f.call_site[-1].file.rsplit('/', 1)[-1])}:{f.call_site[-1].line})"])
    for frame in s.frames:
        put([f'File "{escaped(frame.file)}",', f"line {frame.line}, in "
                                               f"{escaped(frame.function)}"], "dim")
        if frame.code:
            put([f"  {escaped(frame.code)}"], "dim")
    if rest:  # what followed from it: its error said once, each a short line
        put([escaped(followed(rest))], "red")
        for error, some in by_error(s, rest):
            put([f"  {escaped(error)}"])
            for c in some:
                put([f"    - {escaped(brief(c, s))}"], "dim")


def call_site_table(result: Result, labels: Labels, top: int = 0) -> Grid | Text:
    """`--call-sites`: where in the code each node's tasks were submitted, per caller."""
    if not result.call_sites:
        return Text("Call sites: none recorded (flowinsight.recorder records them; so does "
                    "Ray with RAY_record_task_actor_creation_sites=1 and `flowinsight "
                    "collect`)", style="dim")
    grid = Grid("Call sites (the user's frames, outermost first, down to the Ray call)", [
        Column("node", "name", keep=True), Column("tasks", keep=True),
        Column("submitted from", "text", keep=True), Column("at", "text"),
        Column("caller", "name")])
    shown, grid.more = _limit(result.call_sites, top)
    for c in shown:
        last = c.frames[-1]
        where = f"{last.file.replace(chr(92), '/').rsplit('/', 1)[-1]}:{last.line}"
        caller = _name(labels, c.caller) if c.caller else (t("-"), t("-"))
        grid.add_row(_name(labels, c.node), str(c.count),
                     t(" → ".join(_frame_name(f) for f in c.frames)), t(where), caller)
    return grid


def _frame_name(frame: Frame) -> str:
    """A frame by its function, a script's top level by its file ("sage_pipeline.py", not
    "<module>": a program run by a launcher has two such frames)."""
    if frame.function == "<module>" and frame.file:
        return frame.file.replace(chr(92), "/").rsplit("/", 1)[-1]
    return frame.function




def all_parts(result: Result, top: int, width: int,
              call_sites: bool = False) -> list[RenderableType]:
    labels = Labels(result)
    parts: list[RenderableType] = [summary(result, labels, width)]
    tables = [node_table(result, labels, top), call_table(result, labels, top),
              data_table(result, labels, top)]
    if call_sites:
        tables.append(call_site_table(result, labels, top))
    for part in tables:
        parts.append(fitted(part, width) if isinstance(part, Grid) else part)
    parts.append(failure_section(result, labels, width, top))
    return parts


def text_of(parts: Iterable[RenderableType], width: int, color: bool) -> str:
    """The parts as text, a blank line after each, no line padded at its end."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width or 100_000, color_system="standard" if color
                      else None, force_terminal=color, legacy_windows=False, emoji=False,
                      highlight=False, soft_wrap=False)
    for part in parts:
        console.print(part, overflow="ignore", crop=False)
        console.print()
    return "\n".join(line.rstrip() for line in buffer.getvalue().split("\n"))


def render(result: Result, options: RenderOptions) -> bytes:
    return text_of(all_parts(result, options.top, options.width, options.call_sites),
                   options.width, False).encode()


RENDERER = Renderer("table", False, "terminal tables (plain text in a file)",
                    one_piece(render))
