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
    func = click.option("--focus", metavar="NAME", default="",
                        help="Show a node (glob on its name or id) and its neighbours.")(func)
    func = click.option("--group-by", type=click.Choice(["instance", "class"]),
                        default="instance", show_default=True,
                        help="Collapse actor instances into their class.")(func)
    func = click.option("--until", metavar="TIME", default=None,
                        help="Keep tasks active before TIME (seconds from the first event, "
                             "or an ISO 8601 time).")(func)
    func = click.option("--since", metavar="TIME", default=None,
                        help="Keep tasks active after TIME (seconds from the first event, "
                             "or an ISO 8601 time).")(func)
    func = click.option("--job", metavar="HEX", default="",
                        help="Keep one job (hex id such as 01000000).")(func)
    func = click.option("--strict", is_flag=True,
                        help="Treat skipped lines as an error (exit 2).")(func)
    func = click.argument("sessions", metavar="[SESSION]...", nargs=-1,
                          type=click.Path(file_okay=True, dir_okay=True))(func)
    return func


def warn(message: str) -> None:
    click.echo(f"flowinsight: {message}", err=True)


def load(sessions: tuple[str, ...], job: str = "", strict: bool = False,
         since: str | None = None, until: str | None = None, group_by: str = "instance",
         focus: str = "", max_nodes: int = 0) -> Result:
    capture = read_capture(discover(sessions))
    report_skips(capture, strict)
    origin = first_time_ns(capture) if (since or until) else 0
    return analyze(capture, Options(job=job, since_ns=parse_time(since, origin, "--since"),
                                    until_ns=parse_time(until, origin, "--until"),
                                    group_by=group_by, focus=focus, max_nodes=max_nodes))


def first_time_ns(capture: Capture) -> int:
    """The session's first recorded time: the origin of relative --since/--until."""
    from flowinsight.model.events import TaskSubmitted, TaskUpdate

    times = [ns for e in capture.events if isinstance(e, TaskUpdate) for _, ns in e.states]
    times += [int(e.time_ms * 1e6) for e in capture.events
              if isinstance(e, TaskSubmitted) and e.time_ms is not None]
    return min(times, default=0)


def parse_time(text: str | None, origin_ns: int, option: str) -> int | None:
    """Seconds after the first event ("2.5"), or an absolute ISO 8601 time (UTC if no zone)."""
    if text is None:
        return None
    try:
        return origin_ns + int(float(text) * 1e9)
    except ValueError:
        pass
    from datetime import datetime, timezone

    from flowinsight.errors import UsageError

    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(f"{option} {text!r}: give seconds from the first event (2.5) or an "
                         "ISO 8601 time (2026-11-22T01:45:30)") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1e9)


def report_skips(capture: Capture, strict: bool) -> None:
    """One line per problem (every unreadable file, the first few bad lines), one line of
    totals; never silent. Paths and details come from the input: printed without controls."""
    from flowinsight.read.capture import FILE_REASONS

    if capture.duplicates:
        warn(f"{capture.duplicates} event(s) appeared more than once (same event_id and "
             "content, e.g. a rotated file overlapping the live one): each counted once")
    total = capture.skipped_total
    if not total:
        return
    for ex in capture.examples:
        where = one_line(f"{ex.path}:{ex.line}" if ex.line else ex.path, 300)
        warn(f"{where}: skipped ({ex.reason}{': ' + one_line(ex.detail, 120) if ex.detail else ''})")
    files = sum(1 for f in capture.files if f.skipped_total)
    unread = sum(n for f in capture.files for r, n in f.skipped if r in FILE_REASONS)
    if unread:
        warn(f"skipped {total - unread} line(s) and {unread} unreadable file(s) or member(s), "
             f"in {files} file(s); every other event was used")
    else:
        warn(f"skipped {total} line(s) in {files} file(s); every valid event was used")
    if strict:
        from flowinsight.errors import UsageError

        raise UsageError(f"--strict: {total} line(s) could not be used")


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()
