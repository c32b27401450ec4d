"""64-bit digests of event ids and of lines, the same in every process (str hashes are salted
per process) and the same as the C decoder's (native/digests.c). The parallel reader finds
repeated events by them (flowinsight.read.repeats)."""

from __future__ import annotations

import zlib


def line_digest(raw: bytes) -> int:
    """A line's (without its newline): its length and crc32, which tells apart any two lines
    that differ in a run of up to 32 bits or in up to 3 bits (ft_line_digest)."""
    return len(raw) << 32 | zlib.crc32(raw)


def event_id_digest(event_id: str) -> int:
    """An id's: crc32 and adler32 of its UTF-8 (ft_digest). Equal ids share it; two different
    ids that happen to share it are told apart by their lines' digests, or by the ids read
    again from their lines (repeat_lines.judge)."""
    raw = event_id.encode("utf-8", "surrogatepass")
    return zlib.crc32(raw) << 32 | zlib.adler32(raw)
