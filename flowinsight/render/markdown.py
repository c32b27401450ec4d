"""`markdown`: a report for a CI job summary (`$GITHUB_STEP_SUMMARY`) or a PR comment — a
summary, the graph as a ```mermaid block, tables of nodes, call flows and data flows, and the
failures with their story (error, task, worker and node, the traceback's last frames).

Every string from a log goes through `cell`: Markdown, HTML and GitHub's `$` math are escaped
and control characters removed, so a name cannot break a table or inject markup. Timing
columns appear when the document carries them.
"""

from __future__ import annotations

from typing import Any, Sequence, TypeVar

from flowinsight.ci.document import Graph, graph_of
from flowinsight.render import RenderOptions, Renderer, one_piece
from flowinsight.render.json_out import to_document
from flowinsight.labels import Labels
from flowinsight.render.mermaid import render_mermaid
from flowinsight.render.story import Story, error_after, followed, told
from flowinsight.render.text import middle_cut, one_line
from flowinsight.units import counted, human_bytes, human_ms, human_rate
from flowinsight.result import NodeKind, Result

_HTML = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}
_BACKSLASHED = set("\\|`*_[]~$")


def cell(text: object, limit: int = 200) -> str:
    """Inline Markdown text, safe in a table cell: one line, no control characters."""
    out = []
    for ch in one_line(str(text), limit):
        if ch in _HTML:
            out.append(_HTML[ch])
        elif ch in _BACKSLASHED:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()
          ) -> list[str]:
    """A GFM table; cells must already be escaped with `cell`. `right`: right-aligned columns."""
    rule = ["---:" if i in right else "---" for i in range(len(headers))]
    return ["| " + " | ".join(r) + " |" for r in (list(headers), rule, *rows)]


_Row = TypeVar("_Row")


def _limit(rows: list[_Row], top: int, what: str) -> tuple[list[_Row], list[str]]:
    if top and len(rows) > top:
        return rows[:top], [f"_… and {len(rows) - top} more {what} (`--top 0` for all)_"]
    return rows, []


def render_markdown(result: Result, options: RenderOptions) -> str:
    doc = to_document(result)
    graph = graph_of(doc, "result")
    out = [f"### flowinsight — {cell(_title(doc))}", ""]
    out += table(["", ""], _summary_rows(doc, graph))
    for warning in doc["summary"].get("warnings", []):
        out += ["", f"> **Warning:** {cell(warning, 500)}"]
    out += ["", "#### Call graph", "", "```mermaid", render_mermaid(result, options).rstrip("\n"),
            "```", ""]
    out += _nodes(graph, options.top) + [""] + _calls(graph, options.top) + [""]
    out += _data(result, graph, options.top) + [""]
    out += _failures(result, options.top)
    return "\n".join(out) + "\n"


def _title(doc: dict[str, Any]) -> str:
    jobs = doc["summary"].get("jobs", [])
    return ", ".join(f"job {j['id']}" for j in jobs) or "no job recorded"


def _summary_rows(doc: dict[str, Any], graph: Graph) -> list[list[str]]:
    summary = doc["summary"]
    rows = [[f"job {cell(j['id'])}", f"{counted(j['tasks'], 'task')} · {cell(j['entrypoint'])}"]
            for j in summary.get("jobs", [])]
    rows.append(["tasks", counted(summary["tasks"], "task record")])
    rows.append(["graph", f"{counted(len(graph.nodes), 'node')} · "
                          f"{counted(len(graph.calls), 'call edge')} · "
                          f"{counted(len(graph.data), 'data edge')}"])
    rows.append(["read", f"{counted(summary['files'], 'file')} · "
                         f"{counted(summary['lines'], 'line')} · "
                         f"{counted(summary['events'], 'event')} "
                         f"({cell(', '.join(summary['sources']) or 'none')})"])
    if graph.coverage is not None:
        state = "complete" if graph.coverage.complete else "**incomplete**"
        rows.append(["coverage", f"{graph.coverage.ratio * 100:.1f}% ({state})"])
    if graph.failures is not None:
        by_type = ", ".join(f"{cell(t)} {n}" for t, n in graph.failures_by_type)
        causes = summary["failures"].get("causes", graph.failures)
        rows.append(["failures", f"{graph.failures}"
                     + (f" from {counted(causes, 'cause')}" if causes != graph.failures else "")
                     + (f" ({by_type})" if by_type else "")])
    skipped = summary.get("skipped", {}).get("total", 0)
    if skipped:
        rows.append(["skipped", f"{skipped} lines"])
    return rows


def _nodes(graph: Graph, top: int) -> list[str]:
    headers = ["node", "kind", "calls"]
    if graph.has_stats:
        headers += ["failures", "exec p50", "exec p95"]
    rows = []
    for n in sorted((n for n in graph.nodes if n.kind is not NodeKind.DRIVER),
                    key=lambda n: (-n.calls, n.label, n.id)):
        row = [cell(n.label), n.kind.value, str(n.calls)]
        if graph.has_stats:
            timing = n.stats.exec_ms if n.stats else None
            row += [str(n.stats.failures) if n.stats else "-",
                    human_ms(timing.p50 if timing else None), human_ms(timing.p95 if timing else None)]
        rows.append(row)
    shown, more = _limit(rows, top, "nodes")
    return ["#### Nodes", ""] + table(headers, shown, right=range(2, len(headers))) + more


def _calls(graph: Graph, top: int) -> list[str]:
    nodes = graph.by_id()
    headers = ["caller", "callee", "calls"]
    if graph.has_call_rates:
        headers.append("calls/s")
    rows = []
    for c in sorted(graph.calls, key=lambda c: (-c.count, nodes[c.source].label,
                                                nodes[c.target].label)):
        row = [cell(nodes[c.source].label), cell(nodes[c.target].label), str(c.count)]
        if graph.has_call_rates:
            row.append("-" if c.per_s is None else f"{c.per_s:.1f}")
        rows.append(row)
    shown, more = _limit(rows, top, "call flows")
    return ["#### Call flows", ""] + table(headers, shown, right=range(2, len(headers))) + more


def _data(result: Result, graph: Graph, top: int) -> list[str]:
    if not result.has_object_events:
        return ["#### Data flows", "", "_None recorded: the capture holds no object events._"]
    nodes = graph.by_id()
    unsized = {(d.source, d.target): d.unsized for d in result.data_flows}
    rows = []
    for d in sorted(graph.data, key=lambda d: (-(d.bytes or 0), -d.count, nodes[d.source].label,
                                               nodes[d.target].label)):
        size = human_bytes(d.bytes)
        if unsized.get((d.source, d.target)) and d.bytes is not None:
            size = f"≥ {size}"
        rows.append([cell(nodes[d.source].label), cell(nodes[d.target].label), str(d.count),
                     cell(size), cell(human_rate(d.bytes_per_s))])
    shown, more = _limit(rows, top, "data flows")
    return (["#### Data flows", ""]
            + table(["producer", "consumer", "transfers", "bytes", "speed"], shown, right=(2, 3, 4))
            + more)


def _failures(result: Result, top: int) -> list[str]:
    """Each failure's story: the error, the task, where it ran, the traceback's last frames."""
    if not result.failures:
        return ["#### Failures", "", "_None recorded._"]
    groups = []  # each cause's row, then a row of what followed from it and one row each
    for s, rest in told(result, Labels(result)):
        frames = " ← ".join(f"{middle_cut(f.file, 60)}:{f.line} in {f.function}"
                            for f in reversed(s.frames))
        rows = [[cell(s.node), cell(s.failure.kind), cell(s.task or "-"), _at(s),
                 cell(_where(s) or "-"), cell(s.error, 300), cell(frames or "-", 400)]]
        if rest:
            rows.append([cell(f"↳ {followed(rest)}", 400)] + ["-"] * 6)
        for c in rest:  # the cause's message not said again
            rows.append([cell(f"↳ {c.node}"), cell(c.failure.kind), cell(c.task or "-"),
                         _at(c), cell(_where(c) if _where(c) != _where(s) else "-"),
                         cell(error_after(c, s), 300), "-"])
        groups.append(rows)
    shown, more = _limit(groups, top, "causes")
    return (["#### Failures", ""]
            + table(["node", "kind", "task / attempt", "at", "worker, node", "error",
                     "where (last frame first)"], [r for rows in shown for r in rows]) + more)


def _at(s: Story) -> str:
    return "-" if s.at_s is None else f"{s.at_s:.2f} s"


def _where(s: Story) -> str:
    return ", ".join(filter(None, (s.worker, f"Ray node {s.ray_node}" if s.ray_node else "")))


def render(result: Result, options: RenderOptions) -> bytes:
    return render_markdown(result, options).encode()


RENDERER = Renderer("markdown", False,
                    "a Markdown report with a Mermaid graph (CI job summaries, PR comments)",
                    one_piece(render))
