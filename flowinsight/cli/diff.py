"""`flowinsight diff A B`: what changed between two runs (sessions or saved JSON graphs)."""

from __future__ import annotations

import shutil
import sys

import click

from flowinsight.ci.diff import diff as diff_graphs
from flowinsight.ci.diff_render import as_json, as_markdown, as_tables
from flowinsight.ci.document import Graph, graph_of, looks_saved, read_saved
from flowinsight.ci.rules import DEFAULT_MIN_MS
from flowinsight.cli.common import load, merge_sessions_option, output_option, warn
from flowinsight.cli.output import emit, refuse_overwrite
from flowinsight.errors import UsageError

EXIT_CHECK_FAILED = 1
from flowinsight.render.json_out import to_document


def graph_from(sessions: tuple[str, ...], job: str, strict: bool, side: str = "") -> Graph:
    """A graph from a saved JSON document (one file) or from session logs. `side` ("A", "B",
    "--baseline") begins the line of a UsageError from reading the logs, whose text ("no Ray
    event in the input", "--job X: no such job") does not say which of two inputs it is of."""
    saved = [s for s in sessions if looks_saved(s)]
    if saved:
        if len(sessions) > 1:
            raise UsageError(f"{saved[0]}: a saved JSON graph stands alone; it cannot be merged "
                             "with other sessions")
        if job:
            raise UsageError(f"{saved[0]}: --job applies to sessions, not to a saved JSON graph")
        return read_saved(saved[0])
    try:
        result = load(sessions, job=job, strict=strict, keep_records=False)  # one of two
    except UsageError as exc:
        if not side:
            raise
        raise UsageError(f"{side}: {exc}") from exc
    return graph_of(to_document(result), " ".join(sessions) or "/tmp/ray/session_latest")


def incomplete(graph: Graph, side: str) -> str:
    """A note for a capture that does not hold the whole run: a comparison with it or a
    baseline made of it may show changes that are only missing records ("" if complete)."""
    cover = graph.coverage
    if cover is None or cover.complete:
        return ""
    return (f"{side} {graph.origin} is an incomplete capture ({cover.ratio:.1%} of tasks "
            "complete): what it lacks may show as removed or changed")


@click.command()
@click.argument("a", metavar="A", type=click.Path(exists=True))
@click.argument("b", metavar="B", type=click.Path(exists=True))
@click.option("-f", "--format", "fmt", type=click.Choice(["table", "json", "markdown"]),
              default="table", show_default=True, help="Output format.")
@output_option
@click.option("--threshold", metavar="PCT", type=click.FloatRange(min=0), default=10.0,
              show_default=True, help="Report durations and throughput that changed by more "
                                      "than PCT percent.")
@click.option("--min-ms", metavar="MS", type=click.FloatRange(min=0), default=DEFAULT_MIN_MS,
              show_default=True, help="Ignore duration changes where both sides are under MS.")
@click.option("--fail-on-change", is_flag=True, help="Exit 1 when anything changed.")
@click.option("--job", metavar="HEX", default="", help="Keep one job of each session.")
@click.option("--strict", is_flag=True, help="Treat skipped lines as an error (exit 2).")
@merge_sessions_option
def diff(a: str, b: str, fmt: str, output: str | None, threshold: float, min_ms: float,
         fail_on_change: bool, job: str, strict: bool) -> None:
    """Compare two runs: nodes and edges added and removed, call-count changes, and duration
    and throughput changes beyond --threshold.

    A and B are each a session (anything SESSION accepts) or a JSON graph saved with
    `flowinsight export --format json`. Actor ids differ between runs, so nodes are matched
    by name: an actor by its user-given name and class (else its class alone), a method by its
    actor and method name, a function by its id. Unnamed instances of one class are matched by
    class and method and aggregated (the output says so).

    \b
    Examples:
      flowinsight diff baseline.json /tmp/ray/session_latest
      flowinsight diff samples/sage_pipeline samples/sage_pipeline_lossy --fail-on-change
      flowinsight diff main.json run/ --format markdown >> "$GITHUB_STEP_SUMMARY"
    """
    refuse_overwrite(output, "-o", (a, b))
    first, second = graph_from((a,), job, strict, "A"), graph_from((b,), job, strict, "B")
    for graph, side in ((first, "A"), (second, "B")):
        if note := incomplete(graph, side):
            warn(f"warning: {note}")
    result = diff_graphs(first, second, threshold=threshold, min_ms=min_ms)
    if fmt == "json":
        data = as_json(result)
    elif fmt == "markdown":
        data = as_markdown(result).encode()
    else:
        terminal = output is None and sys.stdout.isatty()
        width = shutil.get_terminal_size().columns if terminal else 0  # piped: uncut
        data = as_tables(result, width=width, color=terminal).encode()
    emit((data,), output)
    if fail_on_change and result.changed:
        # SystemExit, not click's Exit: cli.main() in standalone_mode=False returns Exit's code,
        # and flowinsight.cli.main() does not pass that return value on.
        raise SystemExit(EXIT_CHECK_FAILED)
