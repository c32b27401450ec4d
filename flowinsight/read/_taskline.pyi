"""The native EXPORT_TASK line decoder (flowinsight/native/, taskline_module.c); see flowinsight.read.native."""

from typing import Callable, Iterator, Literal, TypeAlias, final, overload

from flowinsight.model.events import FunctionRef, Span, TaskType, TaskUpdate

Fields: TypeAlias = tuple[
    str | None,  # event_id: the envelope's, None when absent or null
    str,  # task_id: 48 lowercase hex, never nil
    int,  # attempt
    str,  # job_id: 8 hex (the task id's own when the line has none)
    str | None,  # task_type: a TaskType value, None without task_info
    str | None,  # func_or_class_name, None without task_info
    str,  # language, uppercased; "" when absent
    str,  # parent_task_id, "" when absent or nil
    str,  # actor_id
    tuple[tuple[int, int], ...],  # states: (TaskStatus number, ns), sorted
    str,  # node_id
    str,  # worker_id
    int | None,  # worker_pid
    str,  # error_type
    str,  # error_message
    str,  # component_type of the profile events
    tuple[tuple[str, int, int], ...],  # spans: (name, start_ns, end_ns), end never before start
]

def decode(line: bytes, /) -> Fields | None: ...

# The same, with TaskUpdate, its Spans and its FunctionRef built in C (after configure()).
def decode_task(line: bytes, /) -> tuple[str | None, TaskUpdate] | None: ...
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

# decode_task over a block: the decoded lines' events and event ids, in order, and the indexes
# of the lines it did not decode.
def decode_block(lines: list[bytes], /) -> tuple[list[TaskUpdate], list[str | None], list[int]]: ...

# decode_task over the lines of buffer[start:end] (each ends with b"\n"; the buffer is
# writable: each newline is a NUL while its line is read): the decoded lines' events and event
# ids in order (with digests=True, the digests of the non-empty ones, as `digests` gives them,
# each followed by its line's digest, digests.line_digest),
# (index, start, stop) of each line not decoded (a run of blank and skipped lines: one range, its
# newlines inside; see count_skipped), and the number of lines.
@overload
def decode_buffer(buffer: bytearray, start: int, end: int, digests: Literal[False], /
                  ) -> tuple[list[TaskUpdate], list[str | None], list[tuple[int, int, int]], int]: ...
@overload
def decode_buffer(buffer: bytearray, start: int, end: int, digests: Literal[True], /
                  ) -> tuple[list[TaskUpdate], bytes, list[tuple[int, int, int]], int]: ...

# The lines of a run that decode_buffer declined as one range (buffer[start:stop], a newline at
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

# decode_buffer with the decoded lines kept in TaskBatch objects: one before each line not
# decoded (misses[k] follows batches[k]) and one after the last, some empty.
@overload
def decode_buffer_batches(buffer: bytearray, start: int, end: int, digests: Literal[False], /
                          ) -> tuple[list[TaskBatch], list[str | None], list[tuple[int, int, int]], int]: ...
@overload
def decode_buffer_batches(buffer: bytearray, start: int, end: int, digests: Literal[True], /
                          ) -> tuple[list[TaskBatch], bytes, list[tuple[int, int, int]], int]: ...
