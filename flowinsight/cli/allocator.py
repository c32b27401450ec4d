"""glibc's malloc, set for one long analysis in this process (Linux with glibc; elsewhere a
no-op). The command line owns the process, so it may; the library never does."""

from __future__ import annotations

import ctypes
import sys

_M_MMAP_THRESHOLD = -3  # glibc's malloc.h
# Above the reader's 2 MiB buffer and the workers' pieces as they arrive (blobs of ~2 MB on
# 1 GB of logs: mapped afresh, each cost its page faults; 2 MiB here was 0.08 s slower on 1 GB
# for 6 MB less at the peak).
MMAP_THRESHOLD = 4 << 20


def fix_mmap_threshold() -> bool:
    """Keep blocks of 2 MiB and more (the growing tables and columns of a big run) in mappings
    of their own. By default glibc raises this threshold each time such a block is freed,
    after which they land in the heap between small long-lived objects and freeing them gives
    nothing back (1 GB of logs: 540 -> 475 MB peak). The reader's buffers and the pieces stay
    below it: mapping each one afresh cost 65,000 page faults per 250 MB. Returns whether it
    took."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (musl has no such call to make)
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))
