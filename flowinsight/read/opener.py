"""Opening event files safely: regular files only, gzip and zstd decompressed on the fly, every
decompressed byte counted against a Budget."""

from __future__ import annotations

import errno
import gzip
import io
import os
import stat
import zlib
from pathlib import Path
from typing import Protocol

import zstandard

from flowinsight.read.limits import Budget

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
# What a damaged or cut-off compressed stream raises while being read.
DECOMPRESS_ERRORS: tuple[type[Exception], ...] = (
    EOFError, zlib.error, gzip.BadGzipFile, zstandard.ZstdError)


class ByteSource(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def open_regular(path: Path) -> io.BufferedReader:
    """A regular file opened for reading. A FIFO, device or directory is refused without
    blocking: O_NONBLOCK keeps a FIFO from waiting for a writer that never comes."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
            raise OSError(errno.EISDIR if stat.S_ISDIR(mode) else errno.EINVAL, f"is {kind}")
        return open(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def compression_of(stream: io.BufferedReader) -> str:
    """"gzip", "zstd" or "" (plain), from the first bytes: names can lie, magic numbers don't."""
    head = stream.peek(4)[:4]
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    return ""


def decompressed(stream: io.BufferedReader, budget: Budget) -> io.BufferedReader | Counted:
    """The stream's content, decompressed if it is gzip or zstd (counted against `budget`)."""
    kind = compression_of(stream)
    if kind == "gzip":
        return Counted(gzip.GzipFile(fileobj=stream, mode="rb"), budget)
    if kind == "zstd":
        return Counted(ZstdFrames(stream), budget)
    return stream


class ZstdFrames:
    """The content of consecutive zstd frames, as `zstd -d` gives it. zstandard's own
    stream_reader ends quietly when a frame is cut off; this raises EOFError, like gzip.

    Input goes in small pieces: a zstd block of at most 128 KiB can be encoded in 4 bytes, so
    one piece can never expand to more than 32768 times its size (64 MiB) in memory."""

    _PIECE = 2048

    def __init__(self, source: ByteSource) -> None:
        self._source = source
        self._frame = zstandard.ZstdDecompressor().decompressobj()
        self._in_frame = False  # some of the current frame was fed, and it has not ended
        self._out = bytearray()
        self._ended = False

    def read(self, size: int = -1, /) -> bytes:
        while not self._ended and (size < 0 or len(self._out) < size):
            piece = self._source.read(self._PIECE)
            if not piece:
                self._ended = True
                if self._in_frame:
                    raise EOFError("zstd stream ended before the end of its last frame")
            while piece:
                self._out += self._frame.decompress(piece)
                self._in_frame = not self._frame.eof
                piece = b""
                if self._frame.eof:  # the next frame may begin in the same piece
                    piece = self._frame.unused_data
                    self._frame = zstandard.ZstdDecompressor().decompressobj()
        size = len(self._out) if size < 0 else min(size, len(self._out))
        data = bytes(self._out[:size])
        del self._out[:size]
        return data


def is_tar(path: Path) -> bool:
    """Whether the file holds a POSIX tar, compressed or not (its `ustar` magic)."""
    try:
        with open_regular(path) as raw:
            head = decompressed(raw, Budget(str(path), 1 << 20)).read(512)
    except DECOMPRESS_ERRORS:
        return False
    except OSError:
        return False
    return head[257:262] == b"ustar"


class Counted(io.RawIOBase):
    """A decompressing stream that charges every byte it yields to a Budget."""

    def __init__(self, inner: ByteSource, budget: Budget) -> None:
        super().__init__()
        self._inner = inner
        self._budget = budget

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1, /) -> bytes:
        data = self._inner.read(-1 if size is None else size)
        self._budget.take(len(data))
        return data

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
