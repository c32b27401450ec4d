"""What every command shares: the SESSION arguments, loading, and diagnostics on stderr."""

from __future__ import annotations

import sys
from typing import Any, Callable, TypeVar

import click

from flowinsight.model.capture import Capture
from flowinsight.pipeline import Options, analyze
from flowinsight.read import discover, read_capture
from flowinsight.render.text import one_line
from flowinsight.result import Result

F = TypeVar("F", bound=Callable[..., Any])

SESSION_HELP = (
    "SESSION: a session_* directory, its logs/, logs/events or logs/export_events directory, "
    "one event file, or a folder of the session directories of several nodes. Default: "
    "/tmp/ray/session_latest."
)


def session_options(func: F) -> F:
    """SESSION... and the options that choose what is analysed."""
    func = click.option("--job", metavar="HEX", default="",
                        help="Keep one job (hex id such as 01000000).")(func)
    func = click.option("--strict", is_flag=True,
                        help="Treat skipped lines as an error (exit 2).")(func)
    func = click.argument("sessions", metavar="[SESSION]...", nargs=-1,
                          type=click.Path(file_okay=True, dir_okay=True))(func)
    return func


def warn(message: str) -> None:
    click.echo(f"flowinsight: {message}", err=True)


def load(sessions: tuple[str, ...], job: str = "", strict: bool = False) -> Result:
    capture = read_capture(discover(sessions))
    report_skips(capture, strict)
    return analyze(capture, Options(job=job))


def report_skips(capture: Capture, strict: bool) -> None:
    """One line per skipped example, one line of totals; never silent."""
    total = capture.skipped_total
    if not total:
        return
    for ex in capture.examples:
        where = f"{ex.path}:{ex.line}" if ex.line else ex.path
        warn(f"{where}: skipped ({ex.reason}{': ' + one_line(ex.detail, 120) if ex.detail else ''})")
    files = sum(1 for f in capture.files if f.skipped_total)
    warn(f"skipped {total} line(s) in {files} file(s); every valid event was used")
    if strict:
        from flowinsight.errors import UsageError

        raise UsageError(f"--strict: {total} line(s) could not be used")


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()
