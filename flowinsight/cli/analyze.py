"""`flowinsight analyze`: the everyday command — a summary that answers first, the tables and
the failures, fitted to the terminal's width; plain and uncut when piped or redirected."""

from __future__ import annotations

import click

from flowinsight.cli.common import load, session_options, stdout_is_terminal


@click.command()
@session_options
@click.option("--top", type=click.IntRange(min=0), default=20, show_default=True,
              help="Rows per table (0 for all).")
@click.option("--call-sites", is_flag=True,
              help="Add a table of where in the code each node's tasks were submitted.")
def analyze(sessions: tuple[str, ...], job: str, strict: bool, since: str | None,
            until: str | None, group_by: str, focus: str, jobs: int, engine: str,
            top: int, call_sites: bool) -> None:
    """Summarise a Ray session: jobs, nodes with call counts, call flows and data flows.

    \b
    Examples:
      flowinsight analyze /tmp/ray/session_latest
      flowinsight analyze samples/sage_pipeline --top 10
      flowinsight analyze node1/ node2/ --job 01000000
      flowinsight analyze samples/nested_tasks --group-by class --focus consume
    """
    import sys

    from rich.console import Console  # here: imported once the command runs, not before

    from flowinsight.render.table import UNLIMITED, all_parts, text_of

    result = load(sessions, job, strict, since, until, group_by, focus, jobs=jobs,
                  engine=engine)
    terminal = stdout_is_terminal()
    console = Console()  # the terminal's width (or $COLUMNS), NO_COLOR and TERM=dumb respected
    width = console.width if terminal else UNLIMITED
    color = terminal and console.color_system is not None
    sys.stdout.write(text_of(all_parts(result, top, width, call_sites), width, color))
    sys.stdout.flush()
