"""One event file (plain or compressed, on disk or inside an archive) into a FileResult: every
valid line used, every other one counted by reason, a damaged file reported and not fatal."""

from __future__ import annotations

import io
import tarfile
from array import array
from collections import Counter
from dataclasses import dataclass
from itertools import repeat
from typing import Iterable

import orjson

from flowinsight.model.capture import FileReport, Skipped
from flowinsight.model.events import (
    Event,
    EventParts,
    TaskRow,
    TaskRows,
    TaskUpdateBatch,
    row_update,
)
from flowinsight.read.digests import event_id_digest, line_digest
from flowinsight.read.discover import Source
from flowinsight.read.export_events import parse_export_event
from flowinsight.read.fields import BadLine
from flowinsight.read.limits import CHUNK_BYTES, MAX_LINE_BYTES, Budget
from flowinsight.read.native import (
    count_skipped,
    decode_block,
    decode_buffer,
    decode_buffer_batches,
    decode_task_line,
)
from flowinsight.read.lines import TOO_LONG, BufferBlocks, LineBlocks
from flowinsight.read.opener import DECOMPRESS_ERRORS, decompressed, open_regular
from flowinsight.read.ray_events import later_event_id, parse_ray_event
from flowinsight.read.ray_events_v2 import parse_ray_event_v2
from flowinsight.read.task_lines import task_row

MAX_EXAMPLES = 5  # skipped lines kept per file, to show the user
# lines of a block the C decoder may decline before a file is read without it (_costly)
NATIVE_MISSES = 32
MAX_IGNORED_KINDS = 50  # distinct kinds of ignored line per file; the rest are "(other)"
MAX_KIND_CHARS = 80
# What a bug in a field parser raises on strange input: the line is skipped, never the run lost.
_PARSE_ERRORS = (ValueError, TypeError, KeyError, AttributeError, RecursionError,
                 ArithmeticError)


@dataclass(frozen=True, slots=True)
class FileResult:
    """What one file gave: a unit that parallel readers can produce independently."""

    events: list[Event]
    # each event's envelope `event_id` as read, to drop duplicates; with `digests`, those of the
    # events the C decoder read are None (theirs are in `digests`)
    event_ids: list[object]
    report: FileReport
    examples: list[Skipped]
    # Read with digests=True (and the C decoder, or batches): for the events the decoder read
    # (the events in batches), in place of event_ids, the digests.event_id_digest of each
    # non-empty str id, each followed by the digests.line_digest of its line. The parallel
    # reader needs only these, and the decoder makes them without a str per id.
    digests: array[int] | None = None
    # Read with batches=True (and digests): the events in order as `parts`, runs of TaskUpdates
    # packed (model.events.TaskUpdateBatch: the C decoder's, or without it task_row's rows in
    # TaskRows), `events` empty; report.events counts them all. For a reducer that folds
    # batches (parallel.read_group).
    parts: EventParts | None = None
    # The line_digest of the line of each id of event_ids, when every one is known (the Python
    # path's lines, and with digests); else None. The parallel reader's repeats.
    contents: array[int] | None = None


def parse_object(obj: object) -> Event | tuple[Event, ...] | str:
    """One parsed line to an event (or more: see later_event_id), or the name of an ignored kind;
    raises BadLine."""
    if not isinstance(obj, dict):
        raise BadLine("not_object", f"a JSON {type(obj).__name__}, not an object")
    if "event_data" in obj:
        return parse_export_event(obj)
    if "eventType" in obj or "event_type" in obj:
        return parse_ray_event_v2(obj)
    return parse_ray_event(obj)


def read_file(source: Source, digests: bool = False, batches: bool = False) -> FileResult:
    """An event file on disk; one that cannot be opened is reported as `unreadable_file`."""
    try:
        with open_regular(source.path) as raw:
            return read_stream(raw, source.display, Budget(source.display), digests=digests,
                               batches=batches)
    except OSError as exc:
        return file_problem(source.display, "unreadable_file", exc.strerror or str(exc))


def file_problem(display: str, reason: str, detail: str) -> FileResult:
    report = FileReport(path=display, lines=0, events=0, skipped=((reason, 1),), ignored=(),
                        truncated=False)
    return FileResult([], [], report, [Skipped(display, 0, reason, detail)], contents=array("Q"))


def read_stream(stream: io.BufferedReader, display: str, budget: Budget, *,
                digests: bool = False, batches: bool = False, in_buffer: bool = True,
                chunk: int = CHUNK_BYTES, max_line: int = MAX_LINE_BYTES) -> FileResult:
    """Parse every line of `stream` (decompressed if need be). Hot loop: EXPORT_TASK lines of
    the usual shape go to the C decoder a block at a time (flowinsight.read.native), every
    other line costs one orjson.loads and one parser call; working out why a line failed is
    left to the failures.

    `digests`: the result carries the ids' digests instead of the ids (see FileResult), when
    the C decoder is there. `in_buffer=False` reads through LineBlocks and decode_block, a list
    of bytes per block: the reference that tests hold the buffer path to, and the path
    without the extension. `chunk` and `max_line` are there for the tests.

    `batches` (with `digests`): the result carries `parts` (see FileResult), the decoded
    lines packed in batches rather than TaskUpdate objects, when the C decoder is there."""
    buffered = in_buffer and decode_buffer is not None
    state = _FileState(display, digests and buffered,
                       batches and digests and buffered and decode_buffer_batches is not None,
                       # without the C decoder: task_row's rows, in TaskRows batches
                       batches and digests and decode_block is None)
    try:
        source = decompressed(stream, budget)
        if buffered:
            _read_buffered(state, BufferBlocks(source, max_line, chunk))
        else:
            _read_blocks(state, LineBlocks(source, max_line, chunk))
        # a damaged stream ends first (every line before the damage is read), then says why
        if (error := getattr(source, "error", None)) is not None:
            raise error
    except DECOMPRESS_ERRORS as exc:
        state.truncated = True
        state.problem("bad_compression", f"after line {state.lines}: {exc}")
    except tarfile.TarError as exc:
        state.truncated = True
        state.problem("bad_archive", f"after line {state.lines}: {exc}")
    except OSError as exc:
        state.problem("unreadable_file", f"after line {state.lines}: {exc.strerror or exc}")
    return state.result()


def events_of_lines(lines: Iterable[bytes], display: str) -> tuple[list[Event], list[object]]:
    """The events of these lines of one file, read the Python way (as read_stream reads a
    line the C decoder declines), and each one's envelope `event_id` as read."""
    state = _FileState(display)
    for raw in lines:
        state.lines += 1
        state.python_line(raw, False)
    return state.events, state.event_ids


def _read_blocks(state: _FileState, reader: LineBlocks) -> None:
    native = decode_block
    for block in reader:
        if native is None:
            for raw in block:
                state.lines += 1
                state.python_line(raw, reader.tail_incomplete)
            continue
        decoded, ids, missed = native(block)
        if not missed:
            state.events += decoded
            state.event_ids += ids
            state.add_contents(block)
            state.lines += len(block)
            continue
        # Lines the decoder stepped aside for take the Python path, in their place among
        # the others. A file where it steps aside for most lines holds other kinds of
        # line: stop asking.
        if len(missed) > NATIVE_MISSES:
            costly = sum(_costly(block[index]) for index in missed)
            if costly > NATIVE_MISSES and 2 * costly > len(block):
                native = None
        done = 0  # decoded events used so far
        previous = 0  # the block's index after the last line handled
        for index in missed:
            run = index - previous
            if run:
                state.events += decoded[done:done + run]
                state.event_ids += ids[done:done + run]
                state.add_contents(block[previous:index])
                done += run
            state.lines += run + 1
            state.python_line(block[index], reader.tail_incomplete)
            previous = index + 1
        state.events += decoded[done:]
        state.event_ids += ids[done:]
        state.add_contents(block[previous:])
        state.lines += len(block) - previous


def _read_buffered(state: _FileState, reader: BufferBlocks) -> None:
    """_read_blocks' reading, block for block, with the lines found by the C decoder in the
    reader's buffer."""
    assert decode_buffer is not None and decode_task_line is not None
    decode, decode_line = decode_buffer, decode_task_line
    buffer = reader.buffer
    view = memoryview(buffer)
    digests = state.digests
    native = True
    for head, start, end in reader:
        if not native:  # as _read_blocks once the decoder is no longer asked
            block = [] if head is None else [head]
            if end > start:
                block += bytes(view[start:end - 1]).split(b"\n")
            for raw in block:
                state.lines += 1
                state.python_line(raw, reader.tail_incomplete)
            continue
        misses = 0
        if head is not None:  # the block's first line (decode_block would read it alike)
            state.lines += 1
            one = decode_line(head)
            if one is None:
                misses = _costly(head)
                state.python_line(head, reader.tail_incomplete)
            else:
                state.events.append(one[1])
                state.event_ids.append(one[0])  # digested at the end, with digests
                state.add_contents((head,))
        if end == start:
            continue  # (a block of one line is never turned off: NATIVE_MISSES > 1)
        if state.parts is not None:
            assert decode_buffer_batches is not None and digests is not None
            batches, packed, missed, count = decode_buffer_batches(buffer, start, end, True)
            assert isinstance(packed, bytes)
            digests.frombytes(packed)
            previous = 0
            for batch, (index, line_start, line_stop) in zip(batches, missed):
                state.add_batch(batch)
                state.lines += index - previous
                lines, miss = _declined(state, buffer, line_start, line_stop,
                                        reader.tail_incomplete)
                previous = index + lines
                misses += miss
            state.add_batch(batches[-1])
            state.lines += count - previous
            if misses > NATIVE_MISSES and 2 * misses > count + (head is not None):
                native = False
            continue
        decoded, ids, missed, count = decode(buffer, start, end, digests is not None)
        if digests is None:
            state.contents = None  # (the decoder's lines are not at hand: not needed)
        else:
            assert isinstance(ids, bytes)
            digests.frombytes(ids)
        if not missed:
            state.events += decoded
            if digests is None:
                state.event_ids += ids
            else:
                state.unkeyed(len(decoded))
            state.lines += count
            continue
        done = 0
        previous = 0
        for index, line_start, line_stop in missed:
            run = index - previous
            if run:
                state.events += decoded[done:done + run]
                if digests is None:
                    state.event_ids += ids[done:done + run]
                else:
                    state.unkeyed(run)
                done += run
            state.lines += run
            lines, miss = _declined(state, buffer, line_start, line_stop,
                                    reader.tail_incomplete)
            previous = index + lines
            misses += miss
        state.events += decoded[done:]
        if digests is None:
            state.event_ids += ids[done:]
        else:
            state.unkeyed(len(decoded) - done)
        state.lines += count - previous
        if misses > NATIVE_MISSES and 2 * misses > count + (head is not None):
            native = False


def _declined(state: _FileState, buffer: bytearray, start: int, stop: int,
              at_tail: bool) -> tuple[int, bool]:
    """A range the C decoder declined, buffer[start:stop]: a line, for the Python path, or a
    run of blank lines and lines it knows to skip (junk: no JSON text starts with their first
    byte; JSON values that are not objects), declined as one range, newlines inside, counted
    at once. Its lines, and whether it was a line the decoder could not read (NATIVE_MISSES)."""
    if buffer.find(b"\n", start, stop) >= 0:
        return state.skipped_run(buffer, start, stop), False
    raw = bytes(memoryview(buffer)[start:stop])
    state.lines += 1
    state.python_line(raw, at_tail)
    return 1, _costly(raw)


def _costly(raw: bytes) -> bool:
    """Whether a line the C decoder declined counts against it (NATIVE_MISSES): one that
    starts as a JSON object does (another kind of event, most likely); a blank line or any
    other costs it nothing, so that a file of junk is still read at the decoder's speed."""
    return raw.lstrip(b" \t\r")[:1] == b"{"


class _FileState:
    """What read_stream gathers from one file: every event, and every skipped line counted."""

    __slots__ = ("display", "events", "event_ids", "contents", "digests", "skipped", "ignored",
                 "examples", "lines", "truncated", "parts", "counted", "rows")

    def __init__(self, display: str, digests: bool = False, batches: bool = False,
                 rows: bool = False) -> None:
        self.display = display
        # with batches: the current run of events, since the last batch
        self.events: list[Event] = []
        # with batches: the runs of events and the batches so far, in order (see FileResult)
        self.parts: EventParts | None = [] if batches or rows else None
        self.counted = 0  # the events of `parts`
        # with rows (the Python path's batches): the current run of task_row's rows; their
        # digests are in `digests`, as the C decoder's are
        self.rows: list[TaskRow] | None = [] if rows else None
        # with digests: only the ids of the lines the C decoder did not read, digested at the
        # end; the decoder's own are in `digests` already
        self.event_ids: list[object] = []
        # the line_digest of each one's line (FileResult.contents), or None once unknown
        self.contents: array[int] | None = array("Q")
        self.digests = array("Q") if digests or rows else None
        self.skipped: Counter[str] = Counter()
        self.ignored: Counter[str] = Counter()
        self.examples: list[Skipped] = []
        self.lines = 0  # lines read so far, the current one included
        self.truncated = False

    def skipped_run(self, buffer: bytearray, start: int, stop: int) -> int:
        """A run of blank and skipped lines the C decoder declined whole (buffer[start:stop],
        a newline at stop; see _declined): counted as python_line would count each, the first
        skipped lines that become examples taken through python_line itself (their detail is
        orjson's or the parser's). Its lines."""
        assert count_skipped is not None  # the decoder that declined the run is there
        want = max(0, MAX_EXAMPLES - len(self.examples))
        blank, not_json, invalid, values, firsts = count_skipped(buffer, start, stop, want)
        base = self.lines
        view = memoryview(buffer)
        for line, first, last in firsts:
            self.lines = base + line + 1
            self.python_line(bytes(view[first:last]), False)
        lines = blank + not_json + invalid + values + len(firsts)
        self.lines = base + lines
        # (only reasons that occur: a Counter's zero would show in the report)
        if blank:
            self.ignored["blank"] += blank
        if not_json:
            self.skipped["not_json"] += not_json
        if invalid:
            self.skipped["invalid_utf8"] += invalid
        if values:
            self.skipped["not_object"] += values
        return lines

    def python_line(self, raw: bytes, at_tail: bool) -> None:
        """The line numbered self.lines, the Python way: msgspec for an EXPORT_TASK line of the
        usual shape (where the C decoder is not there to read those), else orjson and the field
        parsers."""
        if not raw:  # an empty line, the common blank: without orjson's exception
            self.ignored["blank"] += 1
            return
        # Without the C decoder, most lines: an EXPORT_TASK line of the usual shape. With it,
        # the lines here are those it declined: mostly other kinds, which task_row would
        # only parse in vain before orjson parses them again.
        fast = task_row(raw) if decode_block is None else None
        if fast is not None:
            event_id, row, operator = fast
            rows = self.rows
            function = row[4]
            # kept as a row unless it has a second event, or a function ref without a name
            # (what a repeat would merge twice: Partial.fragile keeps its ref aside)
            if rows is not None and operator is None and (function is None or function.name):
                if self.events:
                    self._close_events()
                rows.append(row)
                assert self.digests is not None
                if type(event_id) is str and event_id:
                    self.digests.append(event_id_digest(event_id))
                    self.digests.append(line_digest(raw))
                return
            update = row_update(row)
            self.add(raw, event_id, update if operator is None else (update, operator))
            return
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            reason = _json_failure(raw, exc, at_tail)
            if reason == "blank":
                self.ignored["blank"] += 1
                return
            self.truncated = self.truncated or reason == "truncated"
            self.skip(reason, "" if reason == "too_long" else str(exc).split(":")[0])
            return
        try:
            if type(obj) is not dict:
                raise BadLine("not_object", f"a JSON {type(obj).__name__}, not an object")
            parsed = parse_object(obj)
        except BadLine as bad:
            self.skip(bad.reason, bad.detail[:200])
            return
        except _PARSE_ERRORS as exc:
            self.skip("bad_value", repr(exc)[:200])
            return
        if isinstance(parsed, str):
            self.ignored[_kind(parsed, self.ignored)] += 1
        else:
            self.add(raw, obj.get("event_id", obj.get("eventId")), parsed)

    def add(self, raw: bytes, event_id: object, parsed: Event | tuple[Event, ...]) -> None:
        """The event of line `raw`, or its events (the ids of the second and later are the
        line's: later_event_id)."""
        if self.rows:
            self._close_rows()
        if isinstance(parsed, tuple):
            self.events += parsed
            self.event_ids.append(event_id)
            if isinstance(event_id, str) and event_id:
                self.event_ids += [later_event_id(event_id, k) for k in range(1, len(parsed))]
            else:
                self.event_ids += [None] * (len(parsed) - 1)
            if self.contents is not None:
                self.contents.extend(repeat(line_digest(raw), len(parsed)))
        else:
            self.events.append(parsed)
            self.event_ids.append(event_id)
            if self.contents is not None:
                self.contents.append(line_digest(raw))

    def unkeyed(self, count: int) -> None:
        """`count` events the decoder read, their digests in `digests`: no id here."""
        self.event_ids += [None] * count
        if self.contents is not None:
            self.contents.extend(repeat(0, count))

    def add_contents(self, lines: Iterable[bytes]) -> None:
        """The line digests of events the C decoder read from these lines (one each)."""
        if self.contents is not None:
            self.contents.extend(map(line_digest, lines))

    def _close_events(self) -> None:
        """The current run of events, as one of `parts` (with batches)."""
        assert self.parts is not None
        self.parts.append(self.events)
        self.counted += len(self.events)
        self.events = []

    def _close_rows(self) -> None:
        """The current run of rows, as a TaskRows batch of `parts`."""
        assert self.parts is not None and self.rows is not None
        self.parts.append(TaskRows(self.rows))
        self.counted += len(self.rows)
        self.rows = []

    def add_batch(self, batch: TaskUpdateBatch) -> None:
        """The decoder's next run of TaskUpdates, packed (with batches)."""
        assert self.parts is not None
        if not len(batch):
            return
        if self.events:
            self.parts.append(self.events)
            self.counted += len(self.events)
            self.events = []
        self.parts.append(batch)
        self.counted += len(batch)

    def skip(self, reason: str, detail: str) -> None:
        self.skipped[reason] += 1
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(Skipped(self.display, self.lines, reason, detail))

    def problem(self, reason: str, detail: str) -> None:
        """A problem with the file itself (not one line): always kept as an example."""
        self.skipped[reason] += 1
        self.examples.append(Skipped(self.display, 0, reason, detail[:200]))

    def result(self) -> FileResult:
        parts = self.parts
        if parts is not None and self.events:
            self._close_events()
        if self.rows:
            self._close_rows()
        report = FileReport(
            path=self.display,
            lines=self.lines,
            events=len(self.events) + self.counted,
            skipped=tuple(sorted(self.skipped.items())),
            ignored=tuple(sorted(self.ignored.items())),
            truncated=self.truncated,
        )
        if self.digests is None:
            return FileResult(self.events, self.event_ids, report, self.examples,
                              contents=self.contents)
        return FileResult(self.events, self.event_ids, report, self.examples, self.digests, parts,
                          self.contents)


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
