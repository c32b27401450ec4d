"""The native decoder of EXPORT_TASK lines (_taskline in flowinsight/native/), when it is built.

Its one reading, `decode_buffer_batches(buffer, start, end, digests)`, decodes the lines of a
buffer to TaskBatch objects (see _taskline.pyi): exactly what the Python path makes of each
line (task_lines.task_line, and the line's event id), in C instead of a JSON tree and a walk
over it. It declines any line it is not sure of (any unusual shape, or a line that is not
EXPORT_TASK): the caller then takes the Python path, which decides as it always has.
tests/test_native.py holds the two to that.

`decode_buffer`, `decode_block` and `decode_task_line` are that reading for the callers that
want TaskUpdate objects (a batch builds the one of its line on demand): the lines of a buffer,
a list of lines, one line.

Each is None when the extension is not built (no C compiler at install time) or when the
environment sets FLOWINSIGHT_NATIVE=0. `configure` hands the extension the classes, the
descriptors, the TaskType members and parse_descriptor_cached, so that each object is built as
flowinsight.model.fast_init builds it and the FunctionRef is the one task_line would get.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, cast

from flowinsight.model.events import Span, TaskType, TaskUpdate, TaskUpdateBatch
from flowinsight.read.descriptor import parse_descriptor_cached
from flowinsight.switch import native_on

# TaskUpdate's fields, in the order the extension fills them.
_TASK_FIELDS = ("task_id", "attempt", "job_id", "task_type", "function", "language",
                "parent_task_id", "actor_id", "states", "node_id", "worker_id", "worker_pid",
                "error_type", "error_message", "component_type", "spans")
_SPAN_FIELDS = ("name", "start_ns", "end_ns")
_TYPE_ORDER = (TaskType.NORMAL, TaskType.ACTOR, TaskType.ACTOR_CREATION, TaskType.DRIVER)


DecodeBufferBatches = Callable[[bytearray, int, int, bool],
                               tuple[list[TaskUpdateBatch], list[object] | bytes,
                                     list[tuple[int, int, int]], int]]


def _load() -> DecodeBufferBatches | None:
    if not native_on():
        return None
    try:
        from flowinsight.read import _taskline
    except ImportError:
        return None
    # every field filled, in this order: a field added to the classes turns the decoder off
    # (and tests/test_native.py fails) rather than leaving it unset
    if tuple(f.name for f in dataclasses.fields(TaskUpdate)) != _TASK_FIELDS \
            or tuple(f.name for f in dataclasses.fields(Span)) != _SPAN_FIELDS:
        return None
    _taskline.configure(TaskUpdate, tuple(getattr(TaskUpdate, n) for n in _TASK_FIELDS),
                        Span, tuple(getattr(Span, n) for n in _SPAN_FIELDS), _TYPE_ORDER,
                        parse_descriptor_cached)
    # (the stub's TaskBatch is a TaskUpdateBatch; its ids, objects)
    return cast(DecodeBufferBatches, _taskline.decode_buffer_batches)


# The lines of buffer[start:end] (writable; each ends with b"\n") decoded, kept packed in
# TaskBatch objects (see _taskline.pyi and native/task_batch.h): one before each line (or run
# of blank and skipped lines) it did not decode and one after the last; the decoded lines'
# event ids (with `digests`, their digests as bytes); (index, start, stop) of each range not
# decoded; the number of lines. None without the extension.
decode_buffer_batches: DecodeBufferBatches | None = _load()


def _load_digests() -> tuple[Callable[[list[object]], bytes],
                             Callable[[bytes], tuple[bytes, bool]]] | None:
    if not native_on():
        return None
    try:
        from flowinsight.read import _taskline
    except ImportError:
        return None
    return _taskline.digests, _taskline.sort_digests


# (digests, sort_digests) for the parallel reader's event ids (see _taskline.pyi), or None
digest_functions = _load_digests()


DecodeBuffer = Callable[[bytearray, int, int, bool],
                       tuple[list[TaskUpdate], list[object] | bytes, list[tuple[int, int, int]],
                             int]]
DecodeBlock = Callable[[list[bytes]], tuple[list[TaskUpdate], list[object], list[int]]]
DecodeTaskLine = Callable[[bytes], tuple[object | None, TaskUpdate] | None]


def _decode_buffer(buffer: bytearray, start: int, end: int, digests: bool
                   ) -> tuple[list[TaskUpdate], list[object] | bytes, list[tuple[int, int, int]],
                              int]:
    """decode_buffer_batches with the decoded lines' TaskUpdates in one list."""
    assert decode_buffer_batches is not None
    batches, ids, missed, count = decode_buffer_batches(buffer, start, end, digests)
    return [update for batch in batches for update in batch], ids, missed, count


def _decode_block(lines: list[bytes]) -> tuple[list[TaskUpdate], list[object], list[int]]:
    """The lines of a list decoded: the decoded lines' TaskUpdates and event ids, in order, and
    the indexes of the lines not decoded (each line of a declined run of blank or skipped
    lines)."""
    if not lines:
        return [], [], []
    buffer = bytearray(b"\n".join(lines))
    buffer += b"\n"
    decoded, ids, missed, count = _decode_buffer(buffer, 0, len(buffer), False)
    if count != len(lines):  # a line with a newline in it: each one the Python path's
        return [], [], list(range(len(lines)))
    assert isinstance(ids, list)
    misses: list[int] = []
    for index, first, stop in missed:
        misses += range(index, index + 1 + buffer.count(b"\n", first, stop))
    return decoded, ids, misses


def _decode_task_line(line: bytes) -> tuple[object | None, TaskUpdate] | None:
    """One line to (event_id, TaskUpdate); None when the decoder declines it."""
    decoded, ids, _ = _decode_block([line])
    return (ids[0], decoded[0]) if decoded else None


_ON = decode_buffer_batches is not None

# decode_buffer_batches with TaskUpdates: over the lines of a buffer, over a list of lines
# (block), of one line; each None without the extension
decode_buffer: DecodeBuffer | None = _decode_buffer if _ON else None
decode_block: DecodeBlock | None = _decode_block if _ON else None
decode_task_line: DecodeTaskLine | None = _decode_task_line if _ON else None


CountSkipped = Callable[[bytearray, int, int, int],
                        tuple[int, int, int, int, list[tuple[int, int, int]]]]


def _count_skipped() -> CountSkipped | None:
    if not _ON:
        return None
    from flowinsight.read import _taskline

    count: CountSkipped = _taskline.count_skipped
    return count


# The lines of a run of blank and skipped lines that decode_buffer_batches declined as one
# range, counted (see _taskline.pyi), or None
count_skipped: CountSkipped | None = _count_skipped()
