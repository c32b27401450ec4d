"""The native EXPORT_TASK line decoder (flowinsight/native/, taskline_module.c); see flowinsight.read.native."""

from typing import Callable, Iterator, Literal, TypeAlias, final, overload

from flowinsight.model.events import FunctionRef, Span, TaskType, TaskUpdate

def configure(
    task_update: type[TaskUpdate],
    task_setters: tuple[object, ...],
    span: type[Span],
    span_setters: tuple[object, ...],
    task_types: tuple[TaskType, TaskType, TaskType, TaskType],
    parse_descriptor: Callable[[str, TaskType], FunctionRef],
    /,
) -> None: ...

# crc32 << 32 | adler32 of the UTF-8 of each non-empty str id (parallel.event_id_digest), as
# native uint64s; and such values sorted, with whether any occurs twice.
def digests(ids: list[object], /) -> bytes: ...
def sort_digests(data: bytes, /) -> tuple[bytes, bool]: ...
# len << 32 | crc32 of each line (digests.line_digest), as native uint64s.
def line_digests(lines: list[bytes], /) -> bytes: ...

# The lines of a run that decode_buffer_batches declined as one range (buffer[start:stop], a newline at
# stop), each blank, junk (the first byte after JSON's whitespace one no JSON text starts
# with) or a JSON value that is not an object: (blank lines, junk lines that are UTF-8, junk
# lines that are not, values, and (line within the run, start, stop) of the first `examples`
# lines that are not blank, which are not counted).
def count_skipped(
    buffer: bytearray, start: int, stop: int, examples: int, /
) -> tuple[int, int, int, int, list[tuple[int, int, int]]]: ...

# Decoded TaskUpdates, packed (native/task_batch.h): batch[i] builds the i-th.
@final
class TaskBatch:
    @property
    def first_ns(self) -> int | None: ...
    def __len__(self) -> int: ...
    def __getitem__(self, index: int, /) -> TaskUpdate: ...
    def __iter__(self) -> Iterator[TaskUpdate]: ...

# The lines of buffer[start:end] (each ends with b"\n"; the buffer is writable: each newline
# is a NUL while its line is read) decoded, kept in TaskBatch objects: one before each line not
# decoded (misses[k] follows batches[k]) and one after the last, some empty; the decoded lines'
# event ids in order (with digests=True, the digests of the non-empty ones, as `digests` gives
# them, each followed by its line's digest, digests.line_digest); (index, start, stop) of each
# line not decoded (a run of blank and skipped lines: one range, its newlines inside; see
# count_skipped); and the number of lines.
@overload
def decode_buffer_batches(buffer: bytearray, start: int, end: int, digests: Literal[False], /
                          ) -> tuple[list[TaskBatch], list[str | None], list[tuple[int, int, int]], int]: ...
@overload
def decode_buffer_batches(buffer: bytearray, start: int, end: int, digests: Literal[True], /
                          ) -> tuple[list[TaskBatch], bytes, list[tuple[int, int, int]], int]: ...
@overload
def decode_buffer_batches(buffer: bytearray, start: int, end: int, digests: bool, /
                          ) -> tuple[list[TaskBatch], list[str | None] | bytes,
                                     list[tuple[int, int, int]], int]: ...
