"""One event file (plain or compressed, on disk or inside an archive) into a FileResult: every
valid line used, every other one counted by reason, a damaged file reported and not fatal."""

from __future__ import annotations

import io
import tarfile
from collections import Counter
from dataclasses import dataclass

import orjson

from flowinsight.model.capture import FileReport, Skipped
from flowinsight.model.events import Event
from flowinsight.read.discover import Source
from flowinsight.read.export_events import parse_export_event
from flowinsight.read.fields import BadLine
from flowinsight.read.limits import Budget
from flowinsight.read.native import decode_task_line
from flowinsight.read.lines import TOO_LONG, LineBlocks
from flowinsight.read.opener import DECOMPRESS_ERRORS, decompressed, open_regular
from flowinsight.read.ray_events import parse_ray_event

MAX_EXAMPLES = 5  # skipped lines kept per file, to show the user
NATIVE_MISSES = 32  # lines in a row the C decoder declines before a file is read without it
MAX_IGNORED_KINDS = 50  # distinct kinds of ignored line per file; the rest are "(other)"
MAX_KIND_CHARS = 80
# What a bug in a field parser raises on strange input: the line is skipped, never the run lost.
_PARSE_ERRORS = (ValueError, TypeError, KeyError, AttributeError, RecursionError,
                 ArithmeticError)


@dataclass(frozen=True, slots=True)
class FileResult:
    """What one file gave: a unit that parallel readers can produce independently."""

    events: list[Event]
    event_ids: list[object]  # each event's envelope `event_id` as read, to drop duplicates
    report: FileReport
    examples: list[Skipped]


def parse_object(obj: object) -> Event | str:
    """One parsed line to an event, or the name of an ignored kind; raises BadLine."""
    if not isinstance(obj, dict):
        raise BadLine("not_object", f"a JSON {type(obj).__name__}, not an object")
    if "event_data" in obj:
        return parse_export_event(obj)
    return parse_ray_event(obj)


def read_file(source: Source) -> FileResult:
    """An event file on disk; one that cannot be opened is reported as `unreadable_file`."""
    try:
        with open_regular(source.path) as raw:
            return read_stream(raw, source.display, Budget(source.display))
    except OSError as exc:
        return file_problem(source.display, "unreadable_file", exc.strerror or str(exc))


def file_problem(display: str, reason: str, detail: str) -> FileResult:
    report = FileReport(path=display, lines=0, events=0, skipped=((reason, 1),), ignored=(),
                        truncated=False)
    return FileResult([], [], report, [Skipped(display, 0, reason, detail)])


def read_stream(stream: io.BufferedReader, display: str, budget: Budget) -> FileResult:
    """Parse every line of `stream` (decompressed if need be). Hot loop: a normal line costs one
    orjson.loads and one parser call; working out why a line failed is left to the failures."""
    events: list[Event] = []
    event_ids: list[object] = []
    skipped: Counter[str] = Counter()
    ignored: Counter[str] = Counter()
    examples: list[Skipped] = []
    lines = 0
    truncated = False
    loads = orjson.loads
    native = decode_task_line
    misses = 0
    try:
        reader = LineBlocks(decompressed(stream, budget))
        for block in reader:
            for raw in block:
                lines += 1
                if native is not None:
                    # The C decoder reads an EXPORT_TASK line of the usual shape straight to
                    # its event, and steps aside (None) for anything else. A file where it
                    # keeps stepping aside holds other lines: stop asking.
                    decoded = native(raw)
                    if decoded is not None:
                        event_ids.append(decoded[0])
                        events.append(decoded[1])
                        misses = 0
                        continue
                    misses += 1
                    if misses > NATIVE_MISSES:
                        native = None
                try:
                    obj = loads(raw)
                except orjson.JSONDecodeError as exc:
                    reason = _json_failure(raw, exc, reader.tail_incomplete)
                    if reason == "blank":
                        ignored["blank"] += 1
                        continue
                    truncated = truncated or reason == "truncated"
                    skipped[reason] += 1
                    if len(examples) < MAX_EXAMPLES:
                        detail = "" if reason == "too_long" else str(exc).split(":")[0]
                        examples.append(Skipped(display, lines, reason, detail))
                    continue
                try:
                    if type(obj) is not dict:
                        raise BadLine("not_object", f"a JSON {type(obj).__name__}, not an object")
                    if "event_data" in obj:
                        parsed = parse_export_event(obj)
                    else:
                        parsed = parse_ray_event(obj)
                except BadLine as bad:
                    skipped[bad.reason] += 1
                    if len(examples) < MAX_EXAMPLES:
                        examples.append(Skipped(display, lines, bad.reason, bad.detail[:200]))
                    continue
                except _PARSE_ERRORS as exc:
                    skipped["bad_value"] += 1
                    if len(examples) < MAX_EXAMPLES:
                        examples.append(Skipped(display, lines, "bad_value", repr(exc)[:200]))
                    continue
                if isinstance(parsed, str):
                    ignored[_kind(parsed, ignored)] += 1
                else:
                    events.append(parsed)
                    event_ids.append(obj.get("event_id"))
    except DECOMPRESS_ERRORS as exc:
        truncated = True
        _problem(skipped, examples, display, "bad_compression", f"after line {lines}: {exc}")
    except tarfile.TarError as exc:
        truncated = True
        _problem(skipped, examples, display, "bad_archive", f"after line {lines}: {exc}")
    except OSError as exc:
        _problem(skipped, examples, display, "unreadable_file",
                 f"after line {lines}: {exc.strerror or exc}")
    report = FileReport(
        path=display,
        lines=lines,
        events=len(events),
        skipped=tuple(sorted(skipped.items())),
        ignored=tuple(sorted(ignored.items())),
        truncated=truncated,
    )
    return FileResult(events, event_ids, report, examples)


def _json_failure(raw: bytes, exc: orjson.JSONDecodeError, at_tail: bool) -> str:
    """Why a line did not parse: "blank" (ignored) or a reason for skipping it."""
    if raw is TOO_LONG:
        return "too_long"
    if not raw.strip():
        return "blank"
    if at_tail:
        return "truncated"  # the last line, cut off by a writer that died or a copy mid-write
    try:
        raw.decode()
    except UnicodeDecodeError:
        return "invalid_utf8"
    if str(exc).startswith("depth limit"):
        return "too_deep"  # nested beyond orjson's 1024 levels
    return "not_json"


def _kind(kind: str, seen: Counter[str]) -> str:
    """An ignored line's kind, bounded: labels come from the input and may be anything."""
    if len(kind) > MAX_KIND_CHARS or (kind not in seen and len(seen) >= MAX_IGNORED_KINDS):
        return "(other)"
    return kind


def _problem(skipped: Counter[str], examples: list[Skipped], display: str, reason: str,
             detail: str) -> None:
    skipped[reason] += 1
    examples.append(Skipped(display, 0, reason, detail[:200]))
