"""The native decoder of EXPORT_TASK lines (_taskline in flowinsight/native/), when it is built.

`decode_task_line(line)` reads one raw line to (event_id, TaskUpdate): exactly what the Python
path makes of it (task_lines.task_line, and the line's event id), in one C
call instead of a JSON tree and a walk over it. It returns None whenever the C decoder is not
sure (any unusual shape, or a line that is not EXPORT_TASK): the caller then takes the Python
path, which decides as it always has. tests/test_native.py holds the two to that.

`decode_task_line` is itself None when the extension is not built (no C compiler at install
time) or when the environment sets FLOWINSIGHT_NATIVE=0.

The extension's `decode(line)` gives the line's fields as a plain tuple (see _taskline.pyi);
`decode_task` gives the same with the objects built in C, each slot set through its
descriptor as flowinsight.model.fast_init does: `configure` hands it the classes, the
descriptors, the TaskType members and parse_descriptor_cached, so that the FunctionRef is
the one task_line would get.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

from flowinsight.model.events import Span, TaskType, TaskUpdate, TaskUpdateBatch
from flowinsight.read.descriptor import parse_descriptor_cached
from flowinsight.switch import native_on

DecodeTaskLine = Callable[[bytes], tuple[object | None, TaskUpdate] | None]

# The order of decode()'s tuple, which decode_task fills TaskUpdate in.
_TASK_FIELDS = ("task_id", "attempt", "job_id", "task_type", "function", "language",
                "parent_task_id", "actor_id", "states", "node_id", "worker_id", "worker_pid",
                "error_type", "error_message", "component_type", "spans")
_SPAN_FIELDS = ("name", "start_ns", "end_ns")
_TYPE_ORDER = (TaskType.NORMAL, TaskType.ACTOR, TaskType.ACTOR_CREATION, TaskType.DRIVER)


def _load() -> DecodeTaskLine | None:
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
    return _taskline.decode_task


decode_task_line: DecodeTaskLine | None = _load()


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


def _entry(name: str) -> Any:
    """One of the extension's entry points, where decode_task_line is on (not built, turned
    off, or the classes changed: None)."""
    if decode_task_line is None:
        return None
    from flowinsight.read import _taskline

    return getattr(_taskline, name)


DecodeBlock = Callable[[list[bytes]], tuple[list[TaskUpdate], list[object], list[int]]]

# decode_task_line over a whole block of lines (see _taskline.pyi), or None
decode_block: DecodeBlock | None = _entry("decode_block")


DecodeBuffer = Callable[[bytearray, int, int, bool],
                        tuple[list[TaskUpdate], list[object] | bytes, list[tuple[int, int, int]],
                              int]]

# decode_task_line over the lines of a buffer, the ids as digests on demand (see
# _taskline.pyi), or None
decode_buffer: DecodeBuffer | None = _entry("decode_buffer")


DecodeBufferBatches = Callable[[bytearray, int, int, bool],
                               tuple[list[TaskUpdateBatch], list[object] | bytes,
                                     list[tuple[int, int, int]], int]]

# decode_buffer with the decoded lines kept packed, in TaskBatch objects (see _taskline.pyi and
# native/task_batch.h): one before each line it did not decode and one after the last
decode_buffer_batches: DecodeBufferBatches | None = _entry("decode_buffer_batches")


CountSkipped = Callable[[bytearray, int, int, int],
                        tuple[int, int, int, int, list[tuple[int, int, int]]]]

# The lines of a run of blank and skipped lines that decode_buffer declined as one range, counted
# (see _taskline.pyi), or None
count_skipped: CountSkipped | None = _entry("count_skipped")
