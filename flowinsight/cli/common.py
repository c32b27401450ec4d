"""What every command shares: the SESSION arguments, loading, and diagnostics on stderr."""

from __future__ import annotations

import gc
import math
import os
import sys
import time
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, ContextManager, TypeVar

import click

from flowinsight.cli import lifetime
from flowinsight.cli.allocator import fix_mmap_threshold
from flowinsight.model.capture import ReadAccount
from flowinsight.pipeline import Options, Partial, Reducer, analyze_partial
from flowinsight.errors import UsageError
from flowinsight.read import discover
from flowinsight.read.discover import Source, archive_sessions, one_session
from flowinsight.read.parallel import read_reduced
from flowinsight.render.text import one_line
from flowinsight.result import Result

F = TypeVar("F", bound=Callable[..., Any])


def session_options(func: F) -> F:
    """SESSION... and the options that choose what is analysed and how it is read."""
    func = click.option("--engine", type=click.Choice(["local", "ray"]), default="local",
                        show_default=True,
                        help="Where files are parsed: local processes, or Ray tasks on the "
                             "nodes that hold them (needs flowinsight[ray]).")(func)
    func = click.option("-j", "--jobs", type=click.IntRange(min=0), default=0,
                        help="Processes that parse files (default 0: one per core; 1 reads "
                             "in this process).")(func)
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
    return input_options(func)


def input_options(func: F) -> F:
    """SESSION..., --job and --strict: what every command that reads sessions takes (check
    takes these alone; analyze and export, session_options)."""
    func = merge_sessions_option(func)
    func = click.option("--job", metavar="HEX", default="",
                        help="Keep one job (hex id such as 01000000).")(func)
    func = click.option("--strict", is_flag=True,
                        help="Treat skipped lines as an error (exit 2).")(func)
    func = click.argument("sessions", metavar="[SESSION]...", nargs=-1,
                          type=click.Path(file_okay=True, dir_okay=True))(func)
    return func


MERGE_SESSIONS = "flowinsight.merge_sessions"


def _remember_merge(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    ctx.meta[MERGE_SESSIONS] = value
    return value


def merge_sessions_option(func: F) -> F:
    """--merge-sessions: kept in the click context for `load` (expose_value=False: the
    commands pass it on without naming it)."""
    return click.option("--merge-sessions", is_flag=True, expose_value=False,
                        callback=_remember_merge,
                        help="Analyse files of different Ray sessions together (refused "
                             "otherwise: each run of Ray is a session of its own).")(func)


def merging_sessions() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.meta.get(MERGE_SESSIONS))


def warn(message: str) -> None:
    click.echo(f"flowinsight: {message}", err=True)


def load(sessions: tuple[str, ...], job: str = "", strict: bool = False,
         since: str | None = None, until: str | None = None, group_by: str = "instance",
         focus: str = "", max_nodes: int = 0, jobs: int = 0, engine: str = "local",
         keep_records: bool = True, merge_sessions: bool | None = None) -> Result:
    """Read the sessions (in `jobs` processes, or Ray tasks), report what was skipped, analyse.
    The task records are let go as the analysis sweeps them (a lower peak), unless the process
    will end without freeing them (lifetime.py) and `keep_records` (what comes after needs
    little memory: not a render of every attempt, nor a second capture).

    A usage error (exit 2), never an empty answer: input without a single Ray event, files of
    several Ray sessions (unless `merge_sessions`: by default, the command's --merge-sessions),
    a `job` or a `focus` that matches nothing."""
    for text, option in ((since, "--since"), (until, "--until")):
        parse_time(text, 0, option)  # a mistyped time is an error now, not after the read
    if merge_sessions is None:
        merge_sessions = merging_sessions()
    sources = discover(sessions, merge_sessions)
    if not merge_sessions:  # before the read, as far as the paths tell
        one_session({s.session: s.display for s in sources if s.session})
    # The cycle collector has nothing to free here (events and task records hold no cycles)
    # and would walk every object made so far, again and again: a third of the time.
    gc.disable()
    fix_mmap_threshold()
    try:
        # the bar's total: only a terminal shows one (no stat of every file otherwise)
        total = sum(_size(s.path) for s in sources) if sys.stderr.isatty() else 0
        with ReadProgress(total) as progress:
            account, reduced = _read(sources, Reducer(job, origin=bool(since or until)), jobs,
                                     engine, progress.advance)
        if not merge_sessions:
            one_session({**{s.session: s.display for s in sources if s.session},
                         **archive_sessions(sources, [f.path for f in account.files])})
        report_skips(account, strict)
        refuse_no_events(account)
        origin = (reduced.first_ns or 0) if (since or until) else 0
        options = Options(job=job, since_ns=parse_time(since, origin, "--since"),
                          until_ns=parse_time(until, origin, "--until"), group_by=group_by,
                          focus=focus, max_nodes=max_nodes)
        with progress.analysing(len(reduced.tasks)):
            # with --focus, the records are kept for the names to suggest if nothing matches
            result = analyze_partial(reduced, account, options, consume=not (
                (keep_records and lifetime.keeping()) or focus))
        if job and not result.tasks and not result.jobs:
            raise UsageError(f"--job {job}: no such job in the input; "
                             + _jobs_there(sources, jobs, engine))
        if focus and not result.nodes:
            unfocused = analyze_partial(reduced, account, replace(options, focus=""))
            raise UsageError(f"--focus {focus}: matches no node; " + _nodes_like(
                focus, [n.name for n in unfocused.nodes] + [n.id for n in unfocused.nodes]))
        lifetime.keep(reduced, result)
        return result
    finally:
        gc.enable()


# ignored kinds of line that are not Ray events (read/event_file.py, read/archive.py; a JSON
# object without a label or event_data is no RAY_EVENT: read/ray_events.py)
_NOT_EVENTS = frozenset({"blank", "link", "archive_without_events", "label:(none)"})


def refuse_no_events(account: ReadAccount) -> None:
    """Input in which not one line is a Ray event (a README, /etc/passwd, empty files) is a
    mistake, not a run without tasks."""
    if account.events or any(n for f in account.files for kind, n in f.ignored
                             if kind not in _NOT_EVENTS):
        return
    skipped = account.skipped_by_reason()
    why = (", ".join(f"{n} {reason}" for reason, n in skipped.items()) + " skipped"
           if skipped else "every line blank" if account.lines else "every file empty")
    raise UsageError(f"no Ray event in the input: {len(account.files)} file(s), "
                     f"{account.lines} line(s), {why}")


def _jobs_there(sources: list[Source], jobs: int, engine: str) -> str:
    """The jobs of the input, with their entrypoints, for a --job that matched none (read
    again without the filter: a mistake costs a second read, a run without one nothing)."""
    _, reduced = _read(sources, Reducer(""), jobs, engine, lambda n: None)
    entrypoints: dict[str, str] = {}
    for update in reduced.job_updates:
        if update.entrypoint or update.job_id not in entrypoints:
            entrypoints[update.job_id] = update.entrypoint
    for task in reduced.tasks.values():
        entrypoints.setdefault(task.job_id, "")
    listed = [f"{job_id} ({one_line(entry, 80)})" if entry else job_id
              for job_id, entry in sorted(entrypoints.items()) if job_id]
    if not listed:
        return "the input holds no job"
    more = f" and {len(listed) - 10} more" if len(listed) > 10 else ""
    return f"the input holds {len(listed)} job(s): {', '.join(listed[:10])}{more}"


def _nodes_like(pattern: str, names: list[str]) -> str:
    import difflib

    names = sorted(set(names))
    if not names:
        return "the graph has no nodes"
    near = difflib.get_close_matches(pattern, names, n=5, cutoff=0.5)
    if not near:
        near = names[:5]
        return f"some of the {len(names)} node names: {', '.join(one_line(n, 80) for n in near)}"
    return f"the nearest node names: {', '.join(one_line(n, 80) for n in near)}"


def _read(sources: list[Source], reducer: Reducer, jobs: int, engine: str,
          progress: Callable[[int], None]) -> tuple[ReadAccount, Partial]:
    if engine == "ray":
        from flowinsight.engines.ray_engine import RayRunner

        return read_reduced(sources, reducer, progress=progress, runner=RayRunner(jobs))
    return read_reduced(sources, reducer, jobs or os.cpu_count() or 1, progress)


class ReadProgress:
    """A progress bar of bytes read, on stderr: only on a terminal, and only for a read that
    takes a while (an input of 50 MB or more, or once 2 s have passed); then a spinner during
    the analysis. NO_COLOR is honoured by rich."""

    BIG_INPUT = 50 << 20
    SLOW_S = 2.0

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self._started = time.monotonic()
        self._bar: Any = None
        self._task: Any = None
        self._enabled = sys.stderr.isatty() and total > 0

    def __enter__(self) -> ReadProgress:
        if self._enabled and self.total >= self.BIG_INPUT:
            self._show()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def advance(self, n: int) -> None:
        self.done += n
        if self._bar is None and self._enabled and \
                time.monotonic() - self._started >= self.SLOW_S and self.done < self.total:
            self._show()
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done)

    def analysing(self, tasks: int) -> ContextManager[object]:
        """After a read long enough to show the bar, a spinner while the analysis runs (it
        takes seconds on a big input, and shows nothing else)."""
        if self._bar is None:
            return nullcontext()
        from rich.console import Console

        return Console(stderr=True).status(f"analysing {tasks:,} task records")

    def _show(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self._bar = Progress(TextColumn("reading"), BarColumn(), DownloadColumn(),
                             TransferSpeedColumn(), TimeRemainingColumn(),
                             console=Console(stderr=True), transient=True)
        self._task = self._bar.add_task("read", total=self.total, completed=self.done)
        self._bar.start()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def parse_time(text: str | None, origin_ns: int, option: str) -> int | None:
    """Seconds after the first event ("2.5"), or an absolute ISO 8601 time (UTC if no zone)."""
    if text is None:
        return None
    bad = UsageError(f"{option} {text!r}: give seconds from the first event (2.5) or an ISO "
                     "8601 time (2026-11-22T01:45:30)")
    try:
        seconds = float(text)
    except ValueError:
        seconds = None
    if seconds is not None:
        # inf, nan, 1e400 (inf too) and times past the year 2262 fit no 64-bit nanosecond count
        if not math.isfinite(seconds) or abs(seconds) > _MAX_SECONDS:
            raise bad
        return origin_ns + int(seconds * 1e9)
    from datetime import datetime, timezone

    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise bad from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1e9)


_MAX_SECONDS = 2**63 / 1e9 / 2  # half the span of int64 nanoseconds: room for the origin


def report_skips(capture: ReadAccount, strict: bool) -> None:
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
        raise UsageError(f"--strict: {total} line(s) could not be used")


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()
