"""The library: what the CLI does, callable from a notebook or a script.

    >>> import flowinsight
    >>> result = flowinsight.load("samples/sage_pipeline")
    >>> graph = result.call_graph()          # a networkx.DiGraph
    >>> sorted(graph.successors("main"))[:2]

`load` reads the sessions, reports what it skipped through `on_warning` (nothing is skipped
silently: the same lines the CLI prints on stderr), analyses them and returns the frozen
Result every renderer reads. `export(result, "svg")` gives the bytes of any output format.
The CLI (flowinsight/cli) is a thin layer over these two functions.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, BinaryIO, Callable, Iterable, Protocol

from flowinsight.errors import UsageError
from flowinsight.model.capture import ReadAccount
from flowinsight.pipeline import Options, Partial, Reducer, analyze_partial
from flowinsight.read import discover
from flowinsight.read.discover import Source, archive_sessions, one_session
from flowinsight.read.parallel import Runner, read_reduced
from flowinsight.labels import Labels
from flowinsight.render.text import middle_cut, one_line
from flowinsight.result import Result

if TYPE_CHECKING:
    from flowinsight.engines.ray_engine import RayRunner

Warn = Callable[[str], None]


class Progress(Protocol):
    """Told how many bytes a read has to go through, then each piece read."""

    def begin(self, total: int) -> None: ...

    def advance(self, n: int) -> None: ...


def _ignore(message: str) -> None:
    """The default of on_warning: the Result's account and warnings keep every figure."""


@dataclass(frozen=True, slots=True)
class Reading:
    """Sessions read and reduced, ready to be analysed (once, or several times with other
    views unless analysed with consume=True)."""

    account: ReadAccount  # what was read, skipped and counted, file by file
    reduced: Partial  # the merged task records and the other events the analysis reads
    job: str  # the job whose view the analysis takes ("" for all)
    since_ns: int | None  # the window, resolved against the first event
    until_ns: int | None
    # set once an analysis with consume let go of the task records: another would find none
    # and answer with an empty graph, as if the run had made no call
    spent: list[bool] = field(default_factory=lambda: [False], init=False, repr=False,
                              compare=False)


def load(*paths: str | os.PathLike[str], job: str = "", since: str | float | None = None,
         until: str | float | None = None, group_by: str = "instance", focus: str = "",
         max_nodes: int = 0, internals: bool = False, jobs: int = 0, engine: str = "local",
         strict: bool = False, merge_sessions: bool = False, on_warning: Warn = _ignore,
         progress: Progress | None = None) -> Result:
    """Read Ray session logs and analyse them: `analyse(read_logs(...))`.

    paths: session directories, their logs/ folders, event files or archives (default:
        /tmp/ray/session_latest).
    job: keep one job (hex, e.g. "01000000").
    since, until: keep tasks active in this window: seconds from the first event (2.5) or an
        ISO 8601 time.
    group_by: "instance" (each actor its own node) or "class" (instances collapsed).
    focus: keep the nodes matching this glob and their neighbours.
    max_nodes: above this many nodes, collapse and prune for drawing (0: keep all).
    internals: keep Ray's internals (libraries' bookkeeping actors and tasks) in the view;
        hidden by default, and counted in the Result's `hidden`.
    jobs: reading processes (0: one per core; 1: in this process).
    engine: "local", or "ray": every node of the cluster lists the paths on its own disk (no
        path: its own session directory of the running cluster) and parses its files as Ray
        tasks; one line through on_warning says which node read how many files.
    strict: raise UsageError when any line had to be skipped.
    merge_sessions: analyse files of different Ray sessions together (refused otherwise).
    on_warning: called with each diagnostic line (skipped lines, duplicates).
    progress: told the bytes to read, then the bytes of each piece read (a progress bar).

    Raises UsageError for input or options that cannot be used (the CLI's exit 2).
    """
    reading = read_logs(*paths, job=job, since=since, until=until, jobs=jobs, engine=engine,
                        strict=strict, merge_sessions=merge_sessions, on_warning=on_warning,
                        progress=progress)
    return analyse(reading, group_by=group_by, focus=focus, max_nodes=max_nodes,
                   internals=internals, consume=True)


def read_logs(*paths: str | os.PathLike[str], job: str = "", since: str | float | None = None,
              until: str | float | None = None, jobs: int = 0, engine: str = "local",
              strict: bool = False, merge_sessions: bool = False, on_warning: Warn = _ignore,
              progress: Progress | None = None) -> Reading:
    """Find, read and reduce the sessions' event files (the arguments as for `load`).

    A UsageError, never an empty answer: input without a single Ray event, files of several
    Ray sessions (unless `merge_sessions`), a `job` the input does not hold."""
    if engine not in ("local", "ray"):
        raise UsageError(f"engine {engine!r}: give 'local' or 'ray'")
    _at_least(jobs, 0, "jobs", "0 for one per core")
    since_text = None if since is None else str(since)
    until_text = None if until is None else str(until)
    for text, option in ((since_text, "--since"), (until_text, "--until")):
        parse_time(text, 0, option)  # a mistyped time is an error now, not after the read
    names = tuple(os.fspath(p) for p in paths)
    runner = _ray_runner(jobs) if engine == "ray" else None
    # the ray engine looks on every node (with no path: each node's own session directory)
    sources = runner.discover(names, on_warning) if runner is not None \
        else discover(names, merge_sessions)
    if not merge_sessions:  # before the read, as far as the paths tell
        one_session({s.session: s.display for s in sources if s.session})
    windowed = bool(since_text or until_text)
    if progress is not None:
        progress.begin(sum(s.size() for s in sources))
    # every job's events: a job's view needs the others' (pipeline/job_view.py)
    account, reduced = read_sources(sources, windowed, jobs, runner,
                                    None if progress is None else progress.advance)
    if runner is not None:
        on_warning(runner.summary())
    if not merge_sessions:  # and by the sessions inside the archives
        one_session({**{s.session: s.display for s in sources if s.session},
                     **archive_sessions(sources, [f.path for f in account.files])})
    report_skips(account, strict, on_warning)
    refuse_no_events(account)
    if job and not holds_job(reduced, job.lower()):
        raise UsageError(f"--job {job}: no such job in the input; " + _jobs_there(reduced))
    origin = (reduced.first_ns or 0) if windowed else 0
    since_ns = parse_time(since_text, origin, "--since")
    until_ns = parse_time(until_text, origin, "--until")
    if since_ns is not None and until_ns is not None and since_ns > until_ns:
        # no task is active in it: an empty graph would look like a run without calls
        raise UsageError(f"--since {since_text} is after --until {until_text}: the window "
                         "holds no time; give --since before --until")
    return Reading(account, reduced, job, since_ns, until_ns)


def analyse(reading: Reading, group_by: str = "instance", focus: str = "",
            max_nodes: int = 0, internals: bool = False, consume: bool = False) -> Result:
    """The analysis of what `read_logs` gave, through the views asked for. With `consume`, each
    task record is let go as soon as its attempts are worked out (a lower peak), and the
    reading cannot be analysed again."""
    if group_by not in ("instance", "class"):
        raise UsageError(f"group_by {group_by!r}: give 'instance' or 'class'")
    _at_least(max_nodes, 0, "max_nodes", "0 to keep every node")
    if reading.spent[0]:
        raise UsageError("this reading was analysed with consume=True, which let go of its task "
                         "records: read the logs again (read_logs) to analyse them again")
    options = Options(job=reading.job, since_ns=reading.since_ns, until_ns=reading.until_ns,
                      group_by=group_by, focus=focus, max_nodes=max_nodes, internals=internals)
    # with a focus the records are kept, for the names to suggest if nothing matches
    reading.spent[0] = consume and not focus  # before: an analysis that raises has let go too
    result = analyze_partial(reading.reduced, reading.account, options,
                             consume=consume and not focus)
    if focus and not result.nodes:
        unfocused = analyze_partial(reading.reduced, reading.account, replace(options, focus=""))
        refuse_empty_window(reading, unfocused)
        # the names the tables show, which --focus matches (views.focus), not raw ids
        labels = Labels(unfocused)
        raise UsageError(f"--focus {focus}: matches no node; " + _nodes_like(
            focus, [labels.node(n.id) for n in unfocused.nodes]))
    refuse_empty_window(reading, result)
    return result


def refuse_empty_window(reading: Reading, result: Result) -> None:
    """A --since/--until window that holds nothing of the input (after its last event, before
    its first, a typo in a date) is a mistake, as a --job or --focus that matches nothing is:
    its empty graph would read as a run without calls."""
    if reading.since_ns is None and reading.until_ns is None or \
            result.nodes or result.failures or result.ends:
        return
    from flowinsight.pipeline.warnings import utc

    window = " ".join(f"{word} {utc(t)}" for word, t in (("from", reading.since_ns),
                                                        ("to", reading.until_ns)) if t is not None)
    first = reading.reduced.first_ns
    raise UsageError(f"--since/--until: the time window {window} holds no task, failure or end "
                     "of the input" + (f" (its first event is at {utc(first)})" if first else "")
                     + "; give a window within the run")


def read_sources(sources: list[Source], windowed: bool, jobs: int,
                 runner: Runner | None, progress: Callable[[int], None] | None
                 ) -> tuple[ReadAccount, Partial]:
    """The discovered files read and reduced, in worker processes or by `runner` (Ray tasks)."""
    reducer = Reducer(origin=windowed)
    if runner is not None:
        return read_reduced(sources, reducer, progress=progress, runner=runner)
    return read_reduced(sources, reducer, jobs or os.cpu_count() or 1, progress)


def _ray_runner(jobs: int) -> RayRunner:
    from flowinsight.engines.ray_engine import RayRunner  # Ray only when asked for

    return RayRunner(jobs)


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
    # a JSON object with neither label nor event_data is a line, not a blank one
    objects = sum(n for f in account.files for kind, n in f.ignored if kind == "label:(none)")
    why = ", ".join(
        ([", ".join(f"{n} {reason}" for reason, n in skipped.items()) + " skipped"]
         if skipped else [])
        + ([f"{objects} JSON object(s) with neither label nor event_data"] if objects else [])
    ) or ("every line blank" if account.lines else "every file empty")
    raise UsageError(f"no Ray event in the input: {len(account.files)} file(s), "
                     f"{account.lines} line(s), {why}")


def holds_job(reduced: Partial, job: str) -> bool:
    """Whether a task or a driver of `job` was read (or a task of no job, which every view
    keeps)."""
    return any(u.job_id in (job, "") for u in reduced.job_updates) or any(
        t.job_id in (job, "") for t in reduced.tasks.values())


def _jobs_there(reduced: Partial) -> str:
    """The jobs of the input, with their entrypoints, for a --job that matched none."""
    entrypoints: dict[str, str] = {}
    for update in reduced.job_updates:
        if update.entrypoint or update.job_id not in entrypoints:
            entrypoints[update.job_id] = update.entrypoint
    for task in reduced.tasks.values():
        entrypoints.setdefault(task.job_id, "")
    # the end of an entrypoint tells jobs apart (the script and its arguments), not the
    # interpreter's path they share
    listed = [f"{job_id} ({middle_cut(one_line(entry, 1000), 80)})" if entry else job_id
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
    ns = int(moment.timestamp() * 1e9)
    if not -2**63 <= ns < 2**63:  # as in the logs: 64-bit nanoseconds, 1677 to 2262
        raise UsageError(f"{option} {text!r}: give a time between the years 1677 and 2262 "
                         "(64-bit nanoseconds, as Ray's logs count time)")
    return ns


_MAX_SECONDS = 2**63 / 1e9 / 2  # half the span of int64 nanoseconds: room for the origin


def report_skips(account: ReadAccount, strict: bool, warn: Warn) -> None:
    """One line per problem (every unreadable file, the first few bad lines), one line of
    totals; never silent. Paths and details come from the input: given without controls."""
    from flowinsight.read.capture import FILE_REASONS

    if account.duplicates:
        warn(f"{account.duplicates} event(s) appeared more than once (same event_id and "
             "content, e.g. a rotated file overlapping the live one): each counted once")
    total = account.skipped_total
    if not total:
        return
    for ex in account.examples:
        where = one_line(f"{ex.path}:{ex.line}" if ex.line else ex.path, 300)
        warn(f"{where}: skipped ({ex.reason}{': ' + one_line(ex.detail, 120) if ex.detail else ''})")
    files = sum(1 for f in account.files if f.skipped_total)
    unread = sum(n for f in account.files for r, n in f.skipped if r in FILE_REASONS)
    if unread:
        warn(f"skipped {total - unread} line(s) and {unread} unreadable file(s) or member(s), "
             f"in {files} file(s); every other event was used")
    else:
        warn(f"skipped {total} line(s) in {files} file(s); every valid event was used")
    if strict:
        raise UsageError(f"--strict: {total} line(s) could not be used")


def export(result: Result, fmt: str, width: int = 120, top: int = 0,
           critical: bool = False, attempts: bool = False) -> bytes:
    """The bytes of one output format ("json", "svg", "table", ...: render.FORMATS);
    `attempts` adds the JSON's row per task attempt."""
    return b"".join(_pieces(result, fmt, width, top, critical, attempts))


def write(result: Result, fmt: str, into: BinaryIO, width: int = 120, top: int = 0,
          critical: bool = False, attempts: bool = False) -> None:
    """export's bytes written into a binary file as the renderer makes them, never held
    whole: a trace of a big session is hundreds of MB."""
    into.writelines(_pieces(result, fmt, width, top, critical, attempts))


def _pieces(result: Result, fmt: str, width: int, top: int, critical: bool,
            attempts: bool) -> Iterable[bytes]:
    from flowinsight.render import FORMATS, RenderOptions, renderer

    if fmt not in FORMATS:
        raise UsageError(f"format {fmt!r}: give one of {', '.join(sorted(FORMATS))}")
    if attempts and fmt != "json":
        raise UsageError(f"attempts: rows of the JSON document, not of {fmt!r}")
    # (the CLI's --top takes no negative either: rows[:-1] would drop a table's last row)
    _at_least(top, 0, "top", "0 for every row")
    _at_least(width, 1, "width", "the columns of the terminal table")
    return renderer(fmt).pieces(result, RenderOptions(width=width, top=top, critical=critical,
                                                      attempts=attempts))


def _at_least(value: int, least: int, name: str, hint: str) -> None:
    """A count option as the CLI takes it (click.IntRange): an int, not below `least`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise UsageError(f"{name} {value!r}: give an integer of {least} or more ({hint})")
