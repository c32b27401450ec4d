"""Splitting a byte stream into lines, in blocks, with a cap on the length of a line.

Lines come out without their b"\\n", a list per chunk read: the caller's loop stays a plain
`for` over lists, and the cap is checked once per chunk, not once per line. A line longer than
the cap is never held whole: its pieces are dropped as they arrive and the line comes out as
the TOO_LONG sentinel.
"""

from __future__ import annotations

from typing import Iterator

from flowinsight.read.limits import CHUNK_BYTES, MAX_LINE_BYTES
from flowinsight.read.opener import ByteSource

# Compared by identity. Not JSON, so it takes the parser's error path, where it is recognised.
TOO_LONG = bytes(b"\xff(line too long)")
_BOM = b"\xef\xbb\xbf"


class LineBlocks:
    """Iterate over lists of lines. `tail_incomplete` turns true just before the last line is
    handed out if the stream ended without a newline (a cut-off write)."""

    __slots__ = ("_stream", "_max_line", "tail_incomplete")

    def __init__(self, stream: ByteSource, max_line: int = MAX_LINE_BYTES) -> None:
        self._stream = stream
        self._max_line = max_line
        self.tail_incomplete = False

    def __iter__(self) -> Iterator[list[bytes]]:
        # A chunk no longer than the cap cannot hold a whole over-long line: only a line that
        # continues from earlier chunks can exceed it, and those are the ones measured.
        max_line = self._max_line
        size = min(CHUNK_BYTES, max_line)
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
