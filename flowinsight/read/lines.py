"""Splitting a byte stream into lines, in blocks, with a cap on the length of a line.

LineBlocks: lines come out without their b"\\n", a list per chunk read: the caller's loop
stays a plain `for` over lists, and the cap is checked once per chunk, not once per line. A line
longer than the cap is never held whole: its pieces are dropped as they arrive and the line
comes out as the TOO_LONG sentinel.

BufferBlocks: the same blocks (one per read that ends a line, the same lines in each), left in
one reused buffer for the C decoder to find the lines itself: no bytes object per line.
"""

from __future__ import annotations

from typing import Callable, Iterator

from flowinsight.read.limits import CHUNK_BYTES, MAX_LINE_BYTES
from flowinsight.read.opener import ByteSource

# Compared by identity. Not JSON, so it takes the parser's error path, where it is recognised.
TOO_LONG = bytes(b"\xff(line too long)")
_BOM = b"\xef\xbb\xbf"


class LineBlocks:
    """Iterate over lists of lines. `tail_incomplete` turns true just before the last line is
    handed out if the stream ended without a newline (a cut-off write)."""

    __slots__ = ("_stream", "_max_line", "_chunk", "tail_incomplete")

    def __init__(self, stream: ByteSource, max_line: int = MAX_LINE_BYTES,
                 chunk: int = CHUNK_BYTES) -> None:
        self._stream = stream
        self._max_line = max_line
        self._chunk = chunk
        self.tail_incomplete = False

    def __iter__(self) -> Iterator[list[bytes]]:
        # A chunk no longer than the cap cannot hold a whole over-long line: only a line that
        # continues from earlier chunks can exceed it, and those are the ones measured.
        max_line = self._max_line
        size = min(self._chunk, max_line)
        read = self._stream.read
        pending: list[bytes] = []  # pieces of the line that the last chunk left unfinished
        pending_len = 0
        skipping = False  # inside an over-long line: drop everything up to its newline
        chunk = read(size)
        if chunk.startswith(_BOM):  # a BOM from an editor would cost the first event
            chunk = chunk[len(_BOM):]
        while chunk:
            lines = chunk.split(b"\n")
            tail = lines.pop()
            if lines:
                if skipping:
                    lines[0] = TOO_LONG
                    skipping = False
                elif pending:
                    whole = pending_len + len(lines[0]) <= max_line
                    lines[0] = b"".join(pending) + lines[0] if whole else TOO_LONG
                pending, pending_len = ([tail], len(tail)) if tail else ([], 0)
                yield lines
            elif not skipping and tail:
                pending.append(tail)
                pending_len += len(tail)
                if pending_len > max_line:
                    pending, pending_len, skipping = [], 0, True
            chunk = read(size)
        if skipping or pending:
            self.tail_incomplete = True
            yield [TOO_LONG if skipping else b"".join(pending)]


# A block of BufferBlocks: a line made outside the buffer (TOO_LONG, or one longer than a
# read) or None, then the lines of buffer[start:end], each ending with its b"\n".
Block = tuple[bytes | None, int, int]


# The buffer of the last reader that finished. A process reads one file at a time, mostly: a
# new 2 MiB buffer per file costs its zeroing and its page faults, ~5% of reading a 3 MB file.
_spare: list[bytearray] = []


class BufferBlocks:
    """LineBlocks' blocks, as (head, start, end) over `buffer` (see Block): valid until the
    next one is asked for. The same reads as LineBlocks (so the same blocks, which the reader's
    NATIVE_MISSES rule counts by), into one buffer that holds the unfinished line of the last
    read, at its start, followed by the next read."""

    __slots__ = ("_readinto", "_max_line", "_size", "buffer", "tail_incomplete")

    def __init__(self, stream: ByteSource, max_line: int = MAX_LINE_BYTES,
                 chunk: int = CHUNK_BYTES) -> None:
        self._readinto = _reader_into(stream)
        self._max_line = max_line
        self._size = min(chunk, max_line)
        # an unfinished line of at most one read, and one read
        size = 2 * self._size
        try:
            spare = _spare.pop()  # (one step: safe with threads)
        except IndexError:
            spare = None
        self.buffer = spare if spare is not None and len(spare) == size else bytearray(size)
        self.tail_incomplete = False

    def __iter__(self) -> Iterator[Block]:
        try:
            yield from self._blocks()
        finally:
            if not _spare:  # for the next file's reader
                _spare.append(self.buffer)

    def _blocks(self) -> Iterator[Block]:
        size, max_line, readinto = self._size, self._max_line, self._readinto
        buffer = self.buffer
        view = memoryview(buffer)
        have = 0  # the unfinished line at buffer[:have], while no longer than a read
        pending: list[bytes] = []  # or its pieces, once longer: never more than the cap
        pending_len = 0
        skipping = False  # inside an over-long line: drop everything up to its newline
        n = readinto(view[:size])
        if n >= 3 and view[:3] == _BOM:  # as LineBlocks: a first read of only the BOM ends it
            view[:n - 3] = view[3:n]
            n -= 3
        while n:
            end = have + n
            first = buffer.find(b"\n", have, end)
            if first < 0:  # no line ends in this read
                if skipping:
                    have = 0
                elif pending or end > size:
                    # longer than a read: in pieces, as LineBlocks holds it (the buffer has
                    # room for one read after what it keeps)
                    pending.append(bytes(view[:end]))
                    pending_len += end
                    have = 0
                    if pending_len > max_line:
                        pending, pending_len, skipping = [], 0, True
                else:
                    have = end
                n = readinto(view[have:have + size])
                continue
            last = buffer.rfind(b"\n", first, end)
            head: bytes | None = None
            if skipping:
                head, skipping = TOO_LONG, False
            elif pending:
                whole = pending_len + first <= max_line
                head = b"".join(pending) + view[:first] if whole else TOO_LONG
                pending, pending_len = [], 0
            elif first > max_line:  # the carried part and this read's are too long together
                head = TOO_LONG
            yield head, 0 if head is None else first + 1, last + 1
            # the unfinished line (shorter than a read) to the front, the next read after it
            have = end - last - 1
            view[:have] = view[last + 1:end]
            n = readinto(view[have:have + size])
        if skipping or pending or have:
            self.tail_incomplete = True
            tail = TOO_LONG if skipping else b"".join(pending) if pending else bytes(view[:have])
            yield tail, 0, 0


def _reader_into(stream: ByteSource) -> Callable[[memoryview], int]:
    """`stream.readinto`, or the same made of `read` (the same bytes as read(len(view)))."""
    readinto: Callable[[memoryview], int | None] | None = getattr(stream, "readinto", None)
    if readinto is not None:
        into = readinto
        return lambda view: into(view) or 0

    def copy(view: memoryview) -> int:
        data = stream.read(len(view))
        view[:len(data)] = data
        return len(data)

    return copy
