"""Events read more than once (an overlapping rotated file, a folder given twice), found across
every file at once from two 64-bit digests per event: its id's and its line's
(flowinsight.read.digests).

The rule is read_capture's (capture.merge_results): an event whose event_id and content equal
the first one's with that id is a duplicate, left out and counted in its file's report. Here
an id that occurs more than once is a repeat when all of its lines are the same bytes: every
occurrence but the first is a duplicate. When the lines of one id differ (another event under
the same id, or the same event written otherwise), the digests cannot tell: those ids are
`conflicts`, judged from their lines' events (flowinsight.read.repeat_lines).
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from itertools import pairwise
from typing import Sequence

from flowinsight.read.native import digest_functions


@dataclass(frozen=True, slots=True)
class Repeats:
    """The ids read more than once on equal lines, how many events each file repeats so, and
    the ids read more than once on lines that differ."""

    ids: frozenset[int]  # id digests
    per_file: tuple[int, ...]  # duplicates in each file, in file order (of `ids`)
    conflicts: frozenset[int] = frozenset()  # id digests (repeat_lines.judge)


def find_repeats(files: Sequence[array[int]]) -> Repeats:
    """Each file's (id digest, line digest) pairs, flat, in file order (within a file, in any
    order). Time: one sort of the id digests (radix, in C where it is built); the pairs are
    walked again only when some id repeats."""
    ids = array("Q")
    for pairs in files:
        ids += pairs[0::2]
    repeated = repeated_ids(ids)
    del ids
    if not repeated:
        return Repeats(frozenset(), (0,) * len(files))
    first_line: dict[int, int] = {}
    conflicts: set[int] = set()
    found: list[list[int]] = []  # each file's occurrences of repeated ids
    for pairs in files:
        here: list[int] = []
        for key, line in zip(pairs[0::2], pairs[1::2]):
            if key in repeated:
                here.append(key)
                if first_line.setdefault(key, line) != line:
                    conflicts.add(key)
        found.append(here)
    repeated -= conflicts
    per_file: list[int] = []
    seen: set[int] = set()  # each repeated id's first occurrence is not a duplicate
    for here in found:
        count = 0
        for key in here:
            if key in repeated:
                if key in seen:
                    count += 1
                else:
                    seen.add(key)
        per_file.append(count)
    return Repeats(frozenset(repeated), tuple(per_file), frozenset(conflicts))


def repeated_ids(ids: array[int]) -> set[int]:
    """The values that occur more than once: sorted by sort_digests in C (a radix sort, which
    also says whether any repeats), else by sorted()."""
    if digest_functions is not None:
        packed, any_repeated = digest_functions[1](ids.tobytes())
        if not any_repeated:
            return set()
        ordered = array("Q")
        ordered.frombytes(packed)
    else:
        ordered = array("Q", sorted(ids))
    return {a for a, b in pairwise(ordered) if a == b}
