"""Events read more than once (an overlapping rotated file, a folder given twice), found across
every file at once from two 64-bit digests per event: its id's and its line's
(flowinsight.read.digests).

The rule is read_capture's (capture.merge_results): an event whose event_id and content equal
the first one's with that id is a duplicate, left out and counted in its file's report. Here
an id that occurs more than once is a repeat when all of its lines are the same bytes: every
occurrence but the first is a duplicate. When the lines of one id differ (another event under
the same id, or the same event written differently), only the exact read can judge: None.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from itertools import pairwise
from typing import Sequence

from flowinsight.read.native import digest_functions


@dataclass(frozen=True, slots=True)
class Repeats:
    """The ids read more than once, and how many events each file repeats."""

    ids: frozenset[int]  # id digests
    per_file: tuple[int, ...]  # duplicates in each file, in file order


def find_repeats(files: Sequence[array[int]]) -> Repeats | None:
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
    per_file: list[int] = []
    for pairs in files:
        count = 0
        for key, line in zip(pairs[0::2], pairs[1::2]):
            if key not in repeated:
                continue
            first = first_line.setdefault(key, line)
            if first != line:
                return None
            count += 1
        per_file.append(count)
    # each repeated id's first occurrence is not a duplicate
    seen: set[int] = set()
    for n, pairs in enumerate(files):
        if per_file[n]:
            here = repeated.intersection(pairs[0::2]) - seen
            per_file[n] -= len(here)
            seen |= here
    return Repeats(frozenset(repeated), tuple(per_file))


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
