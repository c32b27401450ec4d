"""The command line: a thin click layer that wires readers, pipeline and renderers.

Exit codes: 0 success; 1 a check failed; 2 bad usage or input (output that cannot be written
included); 3 an internal error; 141 stdout was closed by its reader (`| head`).
"""

from __future__ import annotations

import importlib
import sys

import click

from flowinsight import __version__
from flowinsight.cli import lifetime
from flowinsight.errors import UsageError, WorkerDied

# The commands, each in a module of its own imported only when it runs (or --help lists it):
# a command needs neither the others' machinery (check and diff: rules, TOML, documents) nor
# their renderers. Each module defines its command under the command's name.
COMMANDS = {name: f"flowinsight.cli.{name}" for name in ("analyze", "check", "collect", "diff",
                                                              "export")}

# SESSION... as every command reads it: the group's epilog (kept here, not in common.py, so
# that the group imports no command machinery)
SESSION_HELP = (
    "SESSION: a session_* directory, its logs/, logs/events, logs/export_events or "
    "logs/ray_events directory, one event file, a folder of the session directories of "
    "several nodes, or a .tar, .tar.gz, .tgz or .tar.zst of any of these. Default: "
    "/tmp/ray/session_latest."
)


class LazyGroup(click.Group):
    """A group whose commands are imported when asked for by name (COMMANDS)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            command = getattr(importlib.import_module(COMMANDS[cmd_name]), cmd_name)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

EXIT_USAGE = 2
EXIT_INTERNAL = 3


@click.group(cls=LazyGroup,
             epilog=SESSION_HELP + " Exit codes: 0 ok, 1 a check failed, 2 usage or input "
             "error (or output that cannot be written), 3 internal error, 141 stdout closed "
             "by its reader.")
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


def main(argv: list[str] | None = None) -> int:
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        with lifetime.guard_stdout():
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
    except (lifetime.StdoutClosed, BrokenPipeError):
        return lifetime.EXIT_STDOUT_CLOSED  # the reader went away (`| head`): quietly
    except WorkerDied as exc:
        click.echo(f"flowinsight: error: {exc}", err=True)
        return EXIT_INTERNAL
    except Exception as exc:  # a bug: one line, the traceback only on request
        if debug:
            import traceback

            traceback.print_exc()
        click.echo(f"flowinsight: internal error: {type(exc).__name__}: {exc} "
                   "(run with --debug for the traceback)", err=True)
        return EXIT_INTERNAL
    return code if isinstance(code, int) else 0


def run() -> None:
    """The console script: ends with os._exit once its output is out (cli/lifetime.py)."""
    lifetime.end_with_exit()
    lifetime.leave(main())
