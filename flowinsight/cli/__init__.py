"""The command line: a thin click layer that wires readers, pipeline and renderers.

Exit codes: 0 success; 1 a check failed; 2 bad usage or input; 3 an internal error.
"""

from __future__ import annotations

import sys
import traceback

import click

from flowinsight import __version__
from flowinsight.cli.analyze import analyze
from flowinsight.cli.check import check
from flowinsight.cli.common import SESSION_HELP
from flowinsight.cli.diff import diff
from flowinsight.cli.export import export
from flowinsight.errors import UsageError

EXIT_USAGE = 2
EXIT_INTERNAL = 3


@click.group(epilog=SESSION_HELP + " Exit codes: 0 ok, 1 a check failed, 2 usage or input "
             "error, 3 internal error.")
@click.version_option(__version__, prog_name="flowinsight")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Call graphs and data-flow graphs from Ray session logs, offline.

    \b
    Examples:
      flowinsight analyze /tmp/ray/session_latest
      flowinsight export samples/sage_pipeline -o graph.svg
    """
    ctx.obj = {"debug": debug}


cli.add_command(analyze)
cli.add_command(export)
cli.add_command(check)
cli.add_command(diff)


def main(argv: list[str] | None = None) -> int:
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        # standalone_mode=False: click returns ctx.exit()'s code instead of exiting
        code = cli.main(args=argv, prog_name="flowinsight", standalone_mode=False)
    except UsageError as exc:
        click.echo(f"flowinsight: error: {exc}", err=True)
        return EXIT_USAGE
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE
    except click.Abort:
        click.echo("flowinsight: aborted", err=True)
        return EXIT_USAGE
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug: one line, the traceback only on request
        if debug:
            traceback.print_exc()
        click.echo(f"flowinsight: internal error: {type(exc).__name__}: {exc} "
                   "(run with --debug for the traceback)", err=True)
        return EXIT_INTERNAL
    return code if isinstance(code, int) else 0


def run() -> None:
    """The console script."""
    sys.exit(main())
