"""Ids read more than once on lines that differ (another event under the same id, or the same
event written otherwise), judged by their events: capture.merge_results' rule, on these ids
alone.

The parallel reader knows each event only by its id's and line's digests
(flowinsight.read.repeats); an id whose lines differ needs the events of those lines: equal to
the first event of the id, a duplicate; else kept. Only the files that hold such a line are
read again, and only the lines of the wanted digests are parsed (a file is streamed and each
line's length, then digest, compared); a line holds its id, so the events found are the ids'
occurrences in file order.
"""

from __future__ import annotations

import tarfile
from array import array
from zlib import crc32
from typing import Callable, Sequence

from flowinsight.model.events import Event
from flowinsight.read.digests import event_id_digest, line_digest
from flowinsight.read.discover import Source
from flowinsight.read.event_file import events_of_lines
from flowinsight.read.limits import Budget
from flowinsight.read.lines import LineBlocks
from flowinsight.read.opener import DECOMPRESS_ERRORS, decompressed, open_regular

# A line picked from a file: its line_digest, its event's id and the event, for each event
# with a non-empty str id of the line (one line may give more: ray_events.later_event_id)
Picked = tuple[int, str, Event]
# Reads these files' lines of those digests (pick_lines of each; a runner may read them where
# the files are: flowinsight.engines.ray_engine)
Picker = Callable[[Sequence[tuple[Source, frozenset[int]]]], list[list[Picked]]]


def pick_lines(source: Source, wanted: frozenset[int]) -> list[Picked]:
    """The events of the lines of `source` whose line_digest is in `wanted`, in file order. A
    file that cannot be read again, or not to its end, gives what it gave (its problems were
    reported by the read)."""
    lengths = {digest >> 32 for digest in wanted}
    picked: list[Picked] = []
    try:
        with open_regular(source.path) as raw:
            for block in LineBlocks(decompressed(raw, Budget(source.display))):
                # line_digest, inline: this loop sees every line of the file
                lines = [line for line in block
                         if len(line) in lengths and len(line) << 32 | crc32(line) in wanted]
                for line in lines:
                    events, ids = events_of_lines((line,), source.display)
                    picked += [(line_digest(line), i, e) for e, i in zip(events, ids)
                               if type(i) is str and i]
    except DECOMPRESS_ERRORS:
        pass
    except (OSError, tarfile.TarError):
        pass
    return picked


def pick_here(requests: Sequence[tuple[Source, frozenset[int]]]) -> list[list[Picked]]:
    """pick_lines of each file, in this process."""
    return [pick_lines(source, wanted) for source, wanted in requests]


def judge(sources: Sequence[Source], keys: Sequence[array[int]], conflicts: frozenset[int],
          pick: Picker = pick_here) -> tuple[dict[int, str], list[int]]:
    """The ids of `conflicts` (id digests whose lines differ), judged from the events of their
    lines. `keys`: each file's (id digest, line digest) pairs (repeats.find_repeats). Returns
    the mark of each event key (id digest << 64 | line digest) that is its id's first event or
    equal to it (the id: Partial.drop_repeats keeps the first of each mark), and how many
    duplicates each file holds."""
    wanted: dict[int, set[int]] = {}
    for index, pairs in enumerate(keys):
        if conflicts.isdisjoint(pairs[0::2]):
            continue
        for digest, line in zip(pairs[0::2], pairs[1::2]):
            if digest in conflicts:
                wanted.setdefault(index, set()).add(line)
    order = sorted(wanted)
    found = pick([(sources[index], frozenset(wanted[index])) for index in order])
    first: dict[str, Event] = {}
    marks: dict[int, str] = {}
    per_file = [0] * len(keys)
    for index, picked in zip(order, found):
        for line, event_id, event in picked:
            digest = event_id_digest(event_id)
            if digest not in conflicts:  # (a line of another id that shares the digest)
                continue
            earlier = first.setdefault(event_id, event)
            if earlier is event or earlier == event:
                marks[digest << 64 | line] = event_id
                if earlier is not event:
                    per_file[index] += 1
    return marks, per_file
