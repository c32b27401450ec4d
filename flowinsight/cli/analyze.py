"""`flowinsight analyze`: the everyday command — a summary and the tables, in the terminal."""

from __future__ import annotations

import click

from flowinsight.cli.common import load, session_options


@click.command()
@session_options
@click.option("--top", type=int, default=20, show_default=True,
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
    from rich.console import Console  # here: imported once the command runs, not before

    from flowinsight.render.labels import Labels
    from flowinsight.render.table import all_tables, call_site_table, print_to

    result = load(sessions, job, strict, since, until, group_by, focus, jobs=jobs,
                  engine=engine)
    console = Console(highlight=False)
    print_to(console, all_tables(result, top))
    if call_sites:
        print_to(console, [call_site_table(result, Labels(result), top)])
