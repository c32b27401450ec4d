"""64-bit digests of event ids and of lines, the same in every process (str hashes are salted
per process) and the same as the C decoder's (taskline/digests.c: ft_digest): zlib's crc32 in
the high half, adler32 in the low one. The parallel reader finds repeated events by them
(flowinsight.read.repeats)."""

from __future__ import annotations

import zlib


def bytes_digest(raw: bytes) -> int:
    """The digest of a line's bytes (without its newline)."""
    return zlib.crc32(raw) << 32 | zlib.adler32(raw)


def event_id_digest(event_id: str) -> int:
    """The digest of an id's UTF-8: equal ids share it. Two different ids that happen to share
    it are told apart by their lines' digests, or read the exact way (repeats.find_repeats)."""
    return bytes_digest(event_id.encode("utf-8", "surrogatepass"))
