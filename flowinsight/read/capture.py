"""Reading all event files into one Capture: files in a stable order, archives expanded, and an
event read twice (a rotated file overlapping the live one) kept once and counted."""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable

import orjson

from flowinsight.model.capture import Capture, FileReport, Skipped
from flowinsight.model.events import Event
from flowinsight.read.archive import read_archive
from flowinsight.read.discover import Source
from flowinsight.read.event_file import (
    MAX_EXAMPLES,
    FileResult,
    file_problem,
    parse_object,
    read_file,
)
from flowinsight.read.fields import BadLine

# Problems with a whole file rather than a line: all reported (up to this many), not cut to
# MAX_EXAMPLES, so that a file that could not be read is never passed over in silence.
FILE_REASONS = frozenset({"unreadable_file", "bad_compression", "bad_archive", "unsafe_member"})
MAX_FILE_PROBLEMS = 20

__all__ = ["FileResult", "merge_results", "parse_line", "read_capture", "read_file",
           "read_source"]


def parse_line(raw: bytes) -> Event | tuple[Event, ...] | str:
    """One line to an event (or more: parse_ray_event), or the name of an ignored kind; raises
    BadLine for a bad line."""
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadLine("not_json", str(exc).split(":")[0]) from exc
    return parse_object(obj)


def read_source(source: Source, digests: bool = False, batches: bool = False
                ) -> Iterable[FileResult]:
    """`digests`: a plain file's result may carry its ids' digests instead; `batches` (with
    digests): its events as `parts`, TaskUpdates packed (see FileResult)."""
    if source.problem:
        return [file_problem(source.display, "unreadable_file", source.problem)]
    return read_archive(source) if source.archive else [read_file(source, digests, batches)]


def merge_results(results: Iterable[FileResult]) -> Capture:
    """Files in display order. An event whose event_id and content equal an earlier one's is a
    duplicate: left out, and counted in its file's report. Same id, other content: both kept."""
    first_seen: dict[str, Event] = {}
    events: list[Event] = []
    reports: list[FileReport] = []
    line_examples: list[Skipped] = []
    file_problems: list[Skipped] = []
    # a result with nothing but its report (an empty file: an archive may hold a million) is
    # kept as its report alone until its turn
    held = sorted((r.report if not (r.events or r.examples) else r for r in results),
                  key=lambda r: r.path if isinstance(r, FileReport) else r.report.path)
    for one in held:
        if isinstance(one, FileReport):
            reports.append(one)
            continue
        result = one
        duplicates = 0
        for event, event_id in zip(result.events, result.event_ids):
            if isinstance(event_id, str) and event_id:
                first = first_seen.setdefault(event_id, event)
                if first is not event and first == event:
                    duplicates += 1
                    continue
            events.append(event)
        report = result.report
        if duplicates:
            report = replace(report, events=report.events - duplicates, duplicates=duplicates)
        reports.append(report)
        for example in result.examples:
            (file_problems if example.reason in FILE_REASONS else line_examples).append(example)
    examples = file_problems[:MAX_FILE_PROBLEMS] + line_examples[:MAX_EXAMPLES]
    return Capture(tuple(events), tuple(reports), tuple(examples))


def read_capture(sources: Iterable[Source]) -> Capture:
    return merge_results(r for s in sources for r in read_source(s))
