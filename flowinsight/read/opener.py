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
    """"gzip", "zstd" or "" (plain), from the first bytes: names can lie, magic numbers don't.
    A zstd stream may begin with a skippable frame (pzstd writes one first, with the sizes of
    the frames that follow: magic 0x184D2A50 to 0x184D2A5F)."""
    head = stream.peek(4)[:4]
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC) or (len(head) == 4 and head[1:] == _SKIPPABLE_TAIL
                                       and head[0] & 0xF0 == 0x50):
        return "zstd"
    return ""


_SKIPPABLE_TAIL = b"\x2a\x4d\x18"


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
        self._cut = False  # the source ended inside a frame

    def read(self, size: int = -1, /) -> bytes:
        while not self._ended and (size < 0 or len(self._out) < size):
            piece = self._source.read(self._PIECE)
            if not piece:
                self._ended = True
                if self._in_frame:
                    self._cut = True
                break
            while piece:
                self._out += self._frame.decompress(piece)
                self._in_frame = not self._frame.eof
                piece = b""
                if self._frame.eof:  # the next frame may begin in the same piece
                    piece = self._frame.unused_data
                    self._frame = zstandard.ZstdDecompressor().decompressobj()
        if self._cut and not self._out:  # what came before the cut is out: now the error
            raise EOFError("zstd stream ended before the end of its last frame")
        size = len(self._out) if size < 0 else min(size, len(self._out))
        data = bytes(self._out[:size])
        del self._out[:size]
        return data


# a zip's local file header, or the end record that is all an empty zip holds
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


def is_zip(path: Path) -> bool:
    """Whether the file is a zip archive (by its first bytes: a name can lie)."""
    try:
        with open_regular(path) as raw:
            return raw.read(4) in _ZIP_MAGIC
    except OSError:
        return False


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
    """A decompressing stream that charges every byte it yields to a Budget.

    A damaged or cut-off stream gives every byte decoded before the damage, then an end (b""),
    and only then raises: `error` holds it from the end on, for the reader to report. (Raised
    at once, it would take with it the bytes of the read it happened in: tarfile and
    io.BufferedReader drop what they gathered when the stream under them raises.)"""

    _STEP = 1 << 20

    def __init__(self, inner: ByteSource, budget: Budget) -> None:
        super().__init__()
        # read1: at most one step of decompression per call, so that an error loses nothing
        self._read1 = getattr(inner, "read1", inner.read)
        self._budget = budget
        self._pending: Exception | None = None
        self.error: Exception | None = None

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1, /) -> bytes:
        if self.error is not None:
            raise self.error
        if self._pending is not None:
            self.error, self._pending = self._pending, None
            return b""
        size = -1 if size is None else size
        parts: list[bytes] = []
        got = 0
        while size < 0 or got < size:
            try:
                data = self._read1(self._STEP if size < 0 else size - got)
            except DECOMPRESS_ERRORS as exc:
                if not parts:
                    self.error = exc
                    return b""
                self._pending = exc
                break
            if not data:
                break
            self._budget.take(len(data))
            parts.append(data)
            got += len(data)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
