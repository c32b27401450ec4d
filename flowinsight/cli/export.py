"""`flowinsight export`: the graph in one format, to a file or to stdout."""

from __future__ import annotations

from pathlib import PurePath

import click

from flowinsight.cli.common import load, output_option, session_options, stdout_is_terminal
from flowinsight.cli.output import emit, refuse_overwrite
from flowinsight.errors import UsageError
from flowinsight.render import FORMATS, RenderOptions, guess_format, known_extensions, renderer


@click.command()
@session_options
@click.option("-f", "--format", "fmt", type=click.Choice(sorted(FORMATS)), default=None,
              help="Output format (default: from the -o file name, else json).")
@output_option
@click.option("--top", type=click.IntRange(min=0), default=0,
              help="Rows per table for --format table and markdown, edges for mermaid "
                   "(0: all).")
@click.option("--critical-path", is_flag=True, help="Highlight the critical path (dot, svg, png).")
@click.option("--call-sites", is_flag=True,
              help="With --format table: add the table of call sites.")
@click.option("--attempts", is_flag=True,
              help="With --format json: add a row per task attempt (its node, status, "
                   "times, Ray node and IP, worker, error).")
@click.option("--max-nodes", type=click.IntRange(min=0), default=300, show_default=True,
              help="Drawings (dot, svg, png) of larger graphs, or with more than 8 actors of "
                   "one class, collapse actor instances into classes, then keep the busiest "
                   "nodes; 0 keeps all.")
def export(sessions: tuple[str, ...], job: str, strict: bool, since: str | None,
           until: str | None, group_by: str, focus: str, jobs: int, engine: str,
           fmt: str | None, output: str | None, top: int, critical_path: bool,
           call_sites: bool, attempts: bool, max_nodes: int) -> None:
    """Write the analysis in one format: json, html, svg, pdf, dot, trace, table, ... (--format).

    \b
    Examples:
      flowinsight export samples/sage_pipeline --format json > graph.json
      flowinsight export samples/nested_tasks --format json --attempts -o attempts.json
      flowinsight export samples/nested_tasks -o graph.svg --critical-path
      flowinsight export samples/lattice_workflow --format trace -o trace.json
      flowinsight export /tmp/ray/session_latest --format dot | dot -Tpdf > graph.pdf
    """
    if fmt is None:
        fmt = format_of(output)
    else:
        refuse_other_binary(fmt, output)
    if attempts and fmt != "json":
        raise UsageError(f"--attempts adds rows to the JSON document; --format {fmt} has none")
    refuse_overwrite(output, "-o", sessions)
    chosen = renderer(fmt)
    if output is None and chosen.binary and stdout_is_terminal():
        raise UsageError(f"--format {fmt} is binary: give -o FILE or redirect stdout")
    drawing = fmt in ("dot", "svg", "png", "pdf", "code-dot", "code-svg")
    result = load(sessions, job, strict, since, until, group_by, focus,
                  max_nodes=max_nodes if drawing else 0, jobs=jobs, engine=engine,
                  keep_records=not (FORMATS[fmt].per_attempt or attempts))
    # written piece by piece as the renderer makes them: a big trace is never held whole
    emit(chosen.pieces(result, RenderOptions(top=top, critical=critical_path,
                                             call_sites=call_sites, attempts=attempts)),
         output)


def refuse_other_binary(fmt: str, output: str | None) -> None:
    """--format and an -o name that ask for different formats, one of them an image or a
    document (png, pdf): a file its viewer cannot open. Text formats under another text
    extension (a trace as .json, dot as .txt) are the user's choice."""
    named = guess_format(output) if output not in (None, "-") else None
    if named is None or named == fmt:
        return
    if renderer(fmt).binary or renderer(named).binary:
        names = FORMATS[fmt].extensions
        raise UsageError(f"-o {output}: its name asks for {named}, --format for {fmt}; give "
                         "one of them, or " + (f"a name ending in {' or '.join(names)}"
                                               if names else "another file name"))


def format_of(output: str | None) -> str:
    """The format an -o name asks for: json for stdout or a name without an extension; an
    extension no format declares is an error, never JSON under another name."""
    if output is None:
        return "json"
    fmt = guess_format(output)
    suffix = PurePath(output).suffix
    if fmt is None and suffix:
        raise UsageError(f"-o {output}: no format is written to {suffix!r} files; give "
                         f"--format, or a name ending in {', '.join(known_extensions())}")
    return fmt or "json"
