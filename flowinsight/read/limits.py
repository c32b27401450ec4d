"""Resource caps for reading untrusted input: per line, and per decompressed file or archive."""

from __future__ import annotations

import os

from flowinsight.errors import InputTooLarge, UsageError

# A line longer than this is skipped as `too_long` without being held in memory whole.
MAX_LINE_BYTES = 16 << 20
# Read size: large enough that the per-chunk work is negligible next to parsing.
CHUNK_BYTES = 1 << 20
# Decompressed bytes allowed per compressed file and per archive (all its members together).
MAX_DECOMPRESSED_ENV = "FLOWINSIGHT_MAX_DECOMPRESSED"
DEFAULT_MAX_DECOMPRESSED = 8 << 30
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def max_decompressed() -> int:
    """The cap from FLOWINSIGHT_MAX_DECOMPRESSED (bytes, or with a K/M/G/T suffix)."""
    text = os.environ.get(MAX_DECOMPRESSED_ENV, "").strip().upper()
    text = text.removesuffix("IB") if text.endswith("IB") else text.removesuffix("B")
    if not text:
        return DEFAULT_MAX_DECOMPRESSED
    number, unit = (text[:-1], text[-1]) if text[-1] in _UNITS else (text, "")
    try:
        value = int(number) * _UNITS[unit]
    except ValueError:
        value = -1
    if value <= 0:
        raise UsageError(f"{MAX_DECOMPRESSED_ENV}={os.environ[MAX_DECOMPRESSED_ENV]!r}: give a "
                         "positive size in bytes, or with a K, M, G or T suffix (8G)")
    return value


def human_size(n: int) -> str:
    for unit, size in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:g} {unit}"
    return f"{n} bytes"


class Budget:
    """Decompressed bytes left for one compressed file or one archive."""

    __slots__ = ("name", "limit", "used")

    def __init__(self, name: str, limit: int | None = None) -> None:
        self.name = name
        self.limit = max_decompressed() if limit is None else limit
        self.used = 0

    def take(self, n: int) -> None:
        self.used += n
        if self.used > self.limit:
            raise InputTooLarge(
                f"{self.name}: decompresses to more than {human_size(self.limit)}; refused as a "
                f"possible decompression bomb (raise the cap with {MAX_DECOMPRESSED_ENV})")
