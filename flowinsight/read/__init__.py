"""Readers: Ray's on-disk formats in, typed events out. They know files, not graphs."""

from flowinsight.read.capture import read_capture
from flowinsight.read.discover import discover

__all__ = ["discover", "read_capture"]
