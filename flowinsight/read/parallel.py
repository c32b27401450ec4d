"""Reading many event files at once, reduced as they are read.

The files (in their display order) are cut into groups of consecutive files of about equal
size. Each group is read in a worker process, each file's events are handed to the caller's
Reducer as soon as the file is read, and only the reduced piece of the group comes back, with
the account of its files. The pieces are merged in file order, so the outcome does not depend on
how many workers there were or which finished first. This module knows files, not graphs: what
"reduced" means is the Reducer's business.

Duplicates (an event whose event_id and content equal an earlier one's) cannot be judged a
group at a time. Workers send, for each file, two 64-bit digests of every event: its id's and
its line's (flowinsight.read.digests); the reduced piece keeps the key (both digests) of each
event it holds as it is (a Reducer that can `drop_repeats`). Once every group is in,
repeats.find_repeats finds the ids read more than once across all files (one sort of the id
digests); an id whose lines differ is judged from the events of those lines alone, read again
from the files that hold them (repeat_lines.judge). The files' reports count their
duplicates, and the Reducer leaves the second copies out of the merged piece. Only a Reducer
that cannot leave them out has the whole input read again the exact way, in this process,
holding every event (read_capture), when something was read twice.

A Reducer that says it `folds_batches` (and has `reduce_parts`) gets each file's events as
FileResult.parts: the C decoder's TaskUpdates packed in batches, never built one object each,
between the events of the lines it declined, in order.
"""

from __future__ import annotations

import gc
import os
import resource
from array import array
from dataclasses import dataclass, field, replace
from typing import (
    Callable,
    Generic,
    Hashable,
    Iterable,
    Iterator,
    Protocol,
    Sequence,
    TypeVar,
    cast,
)

from flowinsight.model.capture import FileReport, ReadAccount, Skipped
from flowinsight.model.events import Event
from flowinsight.read.capture import FILE_REASONS, MAX_FILE_PROBLEMS, read_capture, read_source
from flowinsight.read.digests import event_id_digest
from flowinsight.read.discover import Source
from flowinsight.read.event_file import MAX_EXAMPLES
from flowinsight.read.forked import fork_available, run_forked
from flowinsight.read.repeat_lines import Picker, judge, pick_here
from flowinsight.read.repeats import find_repeats

R = TypeVar("R")

# Below this much input per worker, starting a process costs more than it saves.
MIN_BYTES_PER_JOB = 2 << 20
# Groups per worker: enough that a slow group does not leave the other workers idle at the
# end, and that progress moves in steps small enough to see.
GROUPS_PER_JOB = 8
# And at most this much input per group: a worker holds its group's reduced piece, and its
# pickle, until the group is done (1 GB in groups of 60 MB: ~100 MB per worker; of 16 MB:
# ~55 MB, which keeps the whole run under 500 MB).
MAX_GROUP_BYTES = 16 << 20


class Reducer(Protocol[R]):
    """What the caller does with events: reduce a file's worth, merge two consecutive pieces."""

    def reduce(self, events: Sequence[Event], into: R | None = None) -> R:
        """The piece of these events; with `into` (the piece of the events just before them),
        `into` extended by them."""
        ...

    def merge(self, first: R, later: R) -> R:
        """The piece of `first`'s events followed by `later`'s (both may be taken over)."""
        ...


class KeyedReducer(Reducer[R], Protocol[R]):
    """A Reducer whose pieces can leave out events read more than once: `reduce` (and
    `reduce_parts`, if it has one) take each event's id digest (None: no id) too."""

    def reduce(self, events: Sequence[Event], into: R | None = None,
               keys: Sequence[int | None] | None = None) -> R:
        """Reducer.reduce, with each event's key (id digest << 64 | line digest; None: no
        id)."""
        ...

    def drop_repeats(self, piece: R, same: Callable[[int], Hashable | None] | None) -> None:
        """Leave out of `piece` the events read more than once: of the keys (id digest << 64 |
        line digest) that `same` gives one mark, all but the first event (None: no repeats).
        Called once the pieces are merged, before the piece is used."""
        ...


@dataclass(frozen=True, slots=True)
class GroupResult(Generic[R]):
    """What a worker sends back for one group of consecutive files."""

    index: int  # the group's place in file order
    reports: tuple[FileReport, ...]
    examples: tuple[Skipped, ...]  # each file's own examples, in file order
    events: int
    # each report's (id digest, line digest) of every event with an id, flat (repeats.py)
    keys: tuple[array[int], ...]
    keyed: bool  # whether `reduced` kept its events' id digests (KeyedReducer)
    reduced: R
    bytes_read: int
    pid: int
    peak_rss_kb: int  # of the process that read the group, so far


Group = tuple[int, Sequence[Source]]  # a group's place in file order, and its files


class Runner(Protocol):
    """Where groups are read: processes of this machine (LocalRunner), or Ray tasks on the
    nodes that hold the files (flowinsight.engines.ray_engine)."""

    @property
    def workers(self) -> int:
        """How many groups it reads at once."""
        ...

    def home(self, source: Source) -> str:
        """The machine that should read this file; a group never mixes two."""
        ...

    def run(self, groups: Sequence[Group], reducer: Reducer[R]) -> Iterator[GroupResult[R]]:
        """Every group's result, as each is ready (in any order)."""
        ...


@dataclass(slots=True)
class ReadStats:
    """How the read went (bench/phases.py and the tests read it)."""

    groups: int = 0
    workers: int = 1
    exact_fallback: bool = False  # repeats a Reducer cannot leave out: the exact read
    duplicates: int = 0  # events read more than once, left out
    judged_files: int = 0  # files read again for the lines of ids whose lines differ
    worker_peak_rss_kb: dict[int, int] = field(default_factory=dict)  # pid -> peak


def read_reduced(sources: Sequence[Source], reducer: Reducer[R], jobs: int = 1,
                 progress: Callable[[int], None] | None = None, runner: Runner | None = None,
                 min_bytes_per_job: int = MIN_BYTES_PER_JOB,
                 stats: ReadStats | None = None) -> tuple[ReadAccount, R]:
    """Read every source and reduce its events: the same answer as reducing read_capture's
    events at once, for any `jobs` or runner. `progress` gets the bytes of each group read.
    Without a runner, `jobs` processes of this machine, fewer for a small input (one per
    `min_bytes_per_job`)."""
    stats = stats if stats is not None else ReadStats()
    sizes = [s.size() for s in sources]
    if any(s.archive for s in sources):  # a tar is one stream: read in this process
        return _exact(sources, reducer, stats, progress, sum(sizes), runner)
    if runner is None:
        runner = LocalRunner(max(1, min(jobs, sum(sizes) // max(1, min_bytes_per_job))))
    count = max(runner.workers * GROUPS_PER_JOB, sum(sizes) // MAX_GROUP_BYTES) \
        if runner.workers > 1 else 1
    groups = plan_groups(sources, sizes, count, runner.home)
    stats.groups, stats.workers = len(groups), runner.workers
    keys: list[array[int]] = []
    keyed = True
    reports: list[FileReport] = []
    examples: list[Skipped] = []
    events = 0
    merged: R | None = None
    waiting: dict[int, GroupResult[R]] = {}
    next_index = 0
    results = runner.run(list(enumerate(groups)), reducer)
    try:
        for result in results:
            stats.worker_peak_rss_kb[result.pid] = max(
                result.peak_rss_kb, stats.worker_peak_rss_kb.get(result.pid, 0))
            if progress is not None:
                progress(result.bytes_read)
            waiting[result.index] = result
            while next_index in waiting:  # merge in file order, as soon as the order allows
                ready = waiting.pop(next_index)
                next_index += 1
                keys += ready.keys
                keyed = keyed and ready.keyed
                reports += ready.reports
                examples += ready.examples
                events += ready.events
                merged = ready.reduced if merged is None else reducer.merge(merged, ready.reduced)
    finally:
        close = getattr(results, "close", None)
        if close is not None:
            close()
    assert not waiting and merged is not None, "a group was never read"
    repeats = find_repeats(keys)
    drop = getattr(reducer, "drop_repeats", None) if keyed else None
    if drop is None:
        del keys
        if repeats.ids or repeats.conflicts:
            stats.exact_fallback = True
            return _exact(sources, reducer, stats, None, 0, runner)
        return ReadAccount(tuple(reports), select_examples(examples), events), merged
    per_file = repeats.per_file
    marks: dict[int, str] = {}
    if repeats.conflicts:
        assert len(keys) == len(sources)  # a file's pairs each (no archive)
        picker: Picker = getattr(runner, "pick_lines", None) or pick_here
        marks, judged = judge(sources, keys, repeats.conflicts, picker)
        per_file = tuple(a + b for a, b in zip(per_file, judged))
        stats.judged_files = sum(1 for pairs in keys if not repeats.conflicts.isdisjoint(
            pairs[0::2]))
    del keys
    same = _Marks(repeats.ids, marks).mark if repeats.ids or marks else None
    drop(merged, same)
    if any(per_file):
        reports = [replace(r, events=r.events - n, duplicates=n) if n else r
                   for r, n in zip(reports, per_file)]
        stats.duplicates = sum(per_file)
        events -= stats.duplicates
    return ReadAccount(tuple(reports), select_examples(examples), events), merged


@dataclass(frozen=True, slots=True)
class _Marks:
    """Which events are one (KeyedReducer.drop_repeats): those of an id read on equal lines
    (its digest), and those that equal their id's first event where its lines differ
    (repeat_lines.judge: the id)."""

    same: frozenset[int]  # id digests
    judged: dict[int, str]  # key -> id

    def mark(self, key: int) -> Hashable | None:
        digest = key >> 64
        if digest in self.same:
            return digest
        return self.judged.get(key)


def select_examples(examples: Iterable[Skipped]) -> tuple[Skipped, ...]:
    """As read_capture chooses them: every problem with a whole file (up to a cap), then the
    first few skipped lines."""
    files: list[Skipped] = []
    lines: list[Skipped] = []
    for example in examples:
        (files if example.reason in FILE_REASONS else lines).append(example)
    return tuple(files[:MAX_FILE_PROBLEMS] + lines[:MAX_EXAMPLES])


def plan_groups(sources: Sequence[Source], sizes: Sequence[int], count: int,
                home: Callable[[Source], str] = lambda source: "") -> list[list[Source]]:
    """Consecutive runs of files of about total/count bytes each, never mixing two homes (a run
    is never empty; a file is never cut). Rotated members of one writer sort together, so they
    mostly share a group."""
    if not sources:
        return [[]]
    target = max(1, sum(sizes) // max(1, count))
    groups: list[list[Source]] = [[]]
    filled = 0
    where = home(sources[0])
    for source, size in zip(sources, sizes):
        here = home(source)
        if groups[-1] and (here != where or (filled + size > target and filled >= target // 2)):
            groups.append([])
            filled = 0
        groups[-1].append(source)
        filled += size
        where = here
    return groups


def read_group(index: int, sources: Sequence[Source], reducer: Reducer[R]) -> GroupResult[R]:
    """One group of consecutive files, each reduced as soon as it is read (only one file's
    events are held at a time). Runs in a worker, or in this process."""
    reports: list[FileReport] = []
    examples: list[Skipped] = []
    keys: list[array[int]] = []
    events = bytes_read = 0
    merged: R | None = None
    keyed = callable(getattr(reducer, "drop_repeats", None))
    # a reducer that folds the C decoder's batches of TaskUpdates (partial.Reducer): its events
    # come packed, without an object per TaskUpdate (FileResult.parts)
    reduce_parts = getattr(reducer, "reduce_parts", None) \
        if getattr(reducer, "folds_batches", False) is True else None
    for source in sources:
        for result in read_source(source, digests=True, batches=reduce_parts is not None):
            # the decoder's pairs, made without the ids' strs (its events' ids are None in
            # event_ids); then the Python path's
            pairs = array("Q") if result.digests is None else result.digests
            ids = [event_id_digest(i) if type(i) is str and i else None
                   for i in result.event_ids]
            # (read with digests: every line's digest is known)
            assert result.contents is not None or not ids
            for n, (key, line) in enumerate(zip(ids, result.contents or ())):
                if key is not None:
                    pairs.append(key)
                    pairs.append(line)
                    ids[n] = key << 64 | line  # the event's key, for the reducer
            keys.append(pairs)
            reports.append(result.report)
            examples += result.examples
            if result.parts is not None and reduce_parts is not None:
                events += result.report.events
                merged = reduce_parts(result.parts, merged, ids) if keyed \
                    else reduce_parts(result.parts, merged)
            else:
                events += len(result.events)
                merged = cast(KeyedReducer[R], reducer).reduce(result.events, merged, ids) \
                    if keyed else reducer.reduce(result.events, merged)
        bytes_read += source.size()
    if merged is None:
        merged = reducer.reduce(())
    return GroupResult(index, tuple(reports), tuple(examples), events, tuple(keys), keyed,
                       merged, bytes_read, os.getpid(),
                       resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


@dataclass(frozen=True, slots=True)
class LocalRunner:
    """Groups read in this process (one worker) or in worker processes: forked (forked.py)
    where fork is safe, else a spawn Pool."""

    workers: int = 1

    def home(self, source: Source) -> str:
        return ""

    def run(self, groups: Sequence[Group], reducer: Reducer[R]) -> Iterator[GroupResult[R]]:
        if self.workers <= 1 or len(groups) <= 1:
            for index, group in groups:
                yield read_group(index, group, reducer)
            return
        workers = min(self.workers, len(groups))
        if fork_available():
            yield from run_forked(groups, _Task(reducer), workers)
            return
        import multiprocessing  # only here: 5 ms of imports the forked path does without

        spawn = multiprocessing.get_context("spawn")  # fork is missing or unsafe (macOS)
        with spawn.Pool(workers, initializer=gc.disable) as pool:
            yield from pool.imap_unordered(_Task(reducer), groups)


@dataclass(frozen=True, slots=True)
class _Task(Generic[R]):
    """read_group of one (index, files) item, as the workers call it."""

    reducer: Reducer[R]

    def __call__(self, item: Group) -> GroupResult[R]:
        return read_group(item[0], item[1], self.reducer)


def _exact(sources: Sequence[Source], reducer: Reducer[R], stats: ReadStats,
           progress: Callable[[int], None] | None, total: int,
           runner: Runner | None = None) -> tuple[ReadAccount, R]:
    # a runner whose files this process may not see (Ray: files on other machines) reads
    # them at once where they are, if it has a `read_exact`
    read_exact = getattr(runner, "read_exact", None)
    if read_exact is not None:
        exact: tuple[ReadAccount, R] = read_exact(sources, reducer)
    else:
        capture = read_capture(sources)
        exact = capture.account, reducer.reduce(capture.events)
    if progress is not None:
        progress(total)
    stats.worker_peak_rss_kb[os.getpid()] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return exact


