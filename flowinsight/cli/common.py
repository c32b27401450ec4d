"""What every command shares: the SESSION arguments, loading, and diagnostics on stderr."""

from __future__ import annotations

import gc
import os
import sys
import time
from contextlib import nullcontext
from typing import Any, Callable, ContextManager, TypeVar

import click

from flowinsight import library
from flowinsight.cli import lifetime
from flowinsight.cli.allocator import fix_mmap_threshold
from flowinsight.result import Result

F = TypeVar("F", bound=Callable[..., Any])


def session_options(func: F) -> F:
    """SESSION... and the options that choose what is analysed and how it is read."""
    func = click.option("--engine", type=click.Choice(["local", "ray"]), default="local",
                        show_default=True,
                        help="Where files are found and parsed: local processes, or Ray "
                             "tasks on every node of the cluster, each reading its own disk "
                             "(no SESSION: each node's own session directory; needs "
                             "flowinsight[ray]).")(func)
    func = click.option("-j", "--jobs", type=click.IntRange(min=0), default=0,
                        help="Processes that parse files (default 0: one per core; 1 reads "
                             "in this process).")(func)
    func = click.option("--focus", metavar="NAME", default="",
                        help="Show a node and its neighbours: a glob on its name as the "
                             "tables show it (\"RayTask 'sink'.put_packet\"), its method or "
                             "actor name, or its id.")(func)
    func = click.option("--group-by", type=click.Choice(["instance", "class"]),
                        default="instance", show_default=True,
                        help="Collapse actor instances into their class.")(func)
    func = click.option("--until", metavar="TIME", default=None,
                        help="Keep tasks active before TIME (seconds from the first event, "
                             "or an ISO 8601 time).")(func)
    func = click.option("--since", metavar="TIME", default=None,
                        help="Keep tasks active after TIME (seconds from the first event, "
                             "or an ISO 8601 time).")(func)
    # read by load() from the command's context: no parameter for the commands to pass on
    func = click.option("--internals", is_flag=True, expose_value=False,
                        callback=_remember(INTERNALS),
                        help="Show Ray's internals (libraries' bookkeeping actors and tasks: "
                             "Ray Data's stats actor, Serve's controller, ...); the JSON "
                             "always has them, marked.")(func)
    return input_options(func)


INTERNALS = "flowinsight.internals"


def output_option(func: F) -> F:
    """-o/--output FILE, where `-` is stdout as it is without the option (the usual meaning of
    `-` on a command line: written to a file named `-` it would surprise)."""
    return click.option(
        "-o", "--output", type=click.Path(dir_okay=False, writable=True, allow_dash=True),
        default=None, callback=lambda _ctx, _param, value: None if value == "-" else value,
        help="Write here instead of stdout (`-`: stdout).")(func)


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


def _remember(key: str) -> Callable[[click.Context, click.Parameter, bool], bool]:
    """A flag's callback that keeps its value in the click context, for `load` to read
    (expose_value=False: the commands pass such flags on without naming them)."""
    def callback(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
        ctx.meta[key] = value
        return value

    return callback


def _flag(key: str) -> bool:
    """A flag kept by _remember, in the command that runs (False outside one)."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.meta.get(key))


def merge_sessions_option(func: F) -> F:
    """--merge-sessions, read by `load` from the command's context."""
    return click.option("--merge-sessions", is_flag=True, expose_value=False,
                        callback=_remember(MERGE_SESSIONS),
                        help="Analyse files of different Ray sessions together (refused "
                             "otherwise: each run of Ray is a session of its own).")(func)


def warn(message: str) -> None:
    click.echo(f"flowinsight: {message}", err=True)


def load(sessions: tuple[str, ...], job: str = "", strict: bool = False,
         since: str | None = None, until: str | None = None, group_by: str = "instance",
         focus: str = "", max_nodes: int = 0, jobs: int = 0, engine: str = "local",
         keep_records: bool = True, merge_sessions: bool | None = None) -> Result:
    """flowinsight.load with the CLI's progress bar and diagnostics on stderr. The task
    records are let go as the analysis sweeps them (a lower peak), unless the process will end
    without freeing them (lifetime.py) and `keep_records` (what comes after needs little
    memory: not a render of every attempt, nor a second capture). `merge_sessions` is the
    command's --merge-sessions unless given."""
    # The cycle collector has nothing to free here (events and task records hold no cycles)
    # and would walk every object made so far, again and again: a third of the time.
    gc.disable()
    fix_mmap_threshold()
    try:
        with ReadProgress() as progress:
            reading = library.read_logs(*sessions, job=job, since=since, until=until, jobs=jobs,
                                        engine=engine, strict=strict,
                                        merge_sessions=_flag(MERGE_SESSIONS) if merge_sessions
                                        is None else merge_sessions,
                                        on_warning=warn, progress=progress)
        with progress.analysing(len(reading.reduced.tasks)):
            result = library.analyse(reading, group_by=group_by, focus=focus,
                                     max_nodes=max_nodes, internals=_flag(INTERNALS),
                                     consume=not (keep_records and lifetime.keeping()))
        lifetime.keep(reading, result)
        return result
    finally:
        gc.enable()


class ReadProgress:
    """A progress bar of bytes read, on stderr: only on a terminal, and only for a read that
    takes a while (an input of 50 MB or more, or once 2 s have passed); then a spinner during
    the analysis. NO_COLOR is honoured by rich."""

    BIG_INPUT = 50 << 20
    SLOW_S = 2.0

    def __init__(self) -> None:
        self.total = 0
        self.done = 0
        self._started = time.monotonic()
        self._bar: Any = None
        self._task: Any = None
        self._enabled = False

    def __enter__(self) -> ReadProgress:
        return self

    def begin(self, total: int) -> None:
        """The read starts: `total` bytes to read."""
        self.total = total
        self._enabled = sys.stderr.isatty() and total > 0
        if self._enabled and self.total >= self.BIG_INPUT:
            self._show()

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def advance(self, n: int) -> None:
        self.done += n
        if self._bar is None and self._enabled and \
                time.monotonic() - self._started >= self.SLOW_S and self.done < self.total:
            self._show()
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done, refresh=True)

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

        # redrawn as groups of files are read (advance), not by a thread of rich's: the read
        # forks its workers only where no other thread runs (read/forked.py)
        self._bar = Progress(TextColumn("reading"), BarColumn(), DownloadColumn(),
                             TransferSpeedColumn(), TimeRemainingColumn(),
                             console=Console(stderr=True), transient=True, auto_refresh=False)
        self._task = self._bar.add_task("read", total=self.total, completed=self.done)
        self._bar.start()
        self._bar.refresh()


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()
