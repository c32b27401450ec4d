"""Reading event files into a Capture: every valid line used, every other one counted."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Iterable

import orjson

from flowinsight.model.capture import Capture, FileReport, Skipped
from flowinsight.model.events import Event
from flowinsight.read.discover import Source
from flowinsight.read.export_events import parse_export_event
from flowinsight.read.fields import BadLine
from flowinsight.read.ray_events import parse_ray_event

MAX_EXAMPLES = 5


@dataclass(frozen=True, slots=True)
class FileResult:
    """What one file gave: a unit that parallel readers can produce independently."""

    events: list[Event]
    report: FileReport
    examples: list[Skipped]


def parse_line(raw: bytes) -> Event | str:
    """One line to an event, or the name of an ignored kind; raises BadLine for a bad line."""
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadLine("not_json", str(exc).split(":")[0]) from exc
    if not isinstance(obj, dict):
        raise BadLine("not_object", f"a JSON {type(obj).__name__}, not an object")
    if "event_data" in obj:
        return parse_export_event(obj)
    return parse_ray_event(obj)


def read_file(source: Source) -> FileResult:
    events: list[Event] = []
    skipped: Counter[str] = Counter()
    ignored: Counter[str] = Counter()
    examples: list[Skipped] = []
    lines = 0
    truncated = False
    try:
        with open(source.path, "rb") as handle:
            for lines, raw in enumerate(handle, start=1):
                complete = raw.endswith(b"\n")
                raw = raw.rstrip(b"\r\n")
                if not raw.strip():
                    ignored["blank"] += 1
                    continue
                try:
                    parsed = parse_line(raw)
                except BadLine as bad:
                    reason = bad.reason
                    if reason == "not_json" and not complete:
                        reason, truncated = "truncated", True
                    skipped[reason] += 1
                    if len(examples) < MAX_EXAMPLES:
                        examples.append(Skipped(source.display, lines, reason, bad.detail))
                    continue
                except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
                    skipped["bad_value"] += 1
                    if len(examples) < MAX_EXAMPLES:
                        examples.append(Skipped(source.display, lines, "bad_value", repr(exc)))
                    continue
                if isinstance(parsed, str):
                    ignored[parsed] += 1
                else:
                    events.append(parsed)
    except OSError as exc:
        skipped["unreadable_file"] += 1
        examples.append(Skipped(source.display, 0, "unreadable_file", exc.strerror or str(exc)))
    report = FileReport(
        path=source.display,
        lines=lines,
        events=len(events),
        skipped=tuple(sorted(skipped.items())),
        ignored=tuple(sorted(ignored.items())),
        truncated=truncated,
    )
    return FileResult(events, report, examples)


def merge_results(results: Iterable[FileResult]) -> Capture:
    events: list[Event] = []
    reports: list[FileReport] = []
    examples: list[Skipped] = []
    for result in sorted(results, key=lambda r: r.report.path):
        events.extend(result.events)
        reports.append(result.report)
        examples.extend(result.examples)
    return Capture(tuple(events), tuple(reports), tuple(examples[:MAX_EXAMPLES]))


def read_capture(sources: Iterable[Source]) -> Capture:
    return merge_results(read_file(s) for s in sources)
