"""Per-line cost of reading an EXPORT_TASK line: the native decoder against the Python path.

Every EXPORT_TASK line of the samples (the captures and samples/scale_15k.tar.gz), each way
timed over all lines, best of a few rounds:

    orjson.loads                  the parse floor of the Python path
    task_lines.task_line          the Python path (msgspec into typed Structs)
    native.decode_buffer_batches  the C decoder over all the lines in one buffer, each
                                  line's TaskUpdate built from its batch

    .venv/bin/python bench/native_decode.py [rounds]
"""

from __future__ import annotations

import sys
import tarfile
import time
from pathlib import Path
from typing import Any, Callable

import orjson

from flowinsight.read import native
from flowinsight.read.task_lines import task_line

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def task_lines() -> list[bytes]:
    lines: list[bytes] = []
    for path in sorted(SAMPLES.rglob("event_EXPORT_TASK*")):
        lines += path.read_bytes().splitlines()
    with tarfile.open(SAMPLES / "scale_15k.tar.gz") as tar:
        for member in tar.getmembers():
            if member.isfile() and "EXPORT_TASK" in member.name:
                handle = tar.extractfile(member)
                assert handle is not None
                lines += handle.read().splitlines()
    return [line for line in lines if line.strip() and _json(line)]


def _json(line: bytes) -> bool:
    """Whether the line is JSON (the samples hold some damaged lines on purpose)."""
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return True


def per_line(read: Callable[[bytes], Any], lines: list[bytes], rounds: int) -> float:
    """Best seconds per line over `rounds` passes."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for line in lines:
            read(line)
        best = min(best, time.perf_counter() - start)
    return best / len(lines)


def per_line_buffer(lines: list[bytes], rounds: int) -> float:
    """Best seconds per line of decode_buffer_batches over the lines in one buffer (as the
    reader holds them), each line's TaskUpdate built (the buffer made outside the clock)."""
    decode = native.decode_buffer_batches
    assert decode is not None
    best = float("inf")
    for _ in range(rounds):
        buffer = bytearray(b"\n".join(lines) + b"\n")
        start = time.perf_counter()
        batches = decode(buffer, 0, len(buffer), False)[0]
        for batch in batches:
            list(batch)
        best = min(best, time.perf_counter() - start)
    return best / len(lines)


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    lines = task_lines()
    decode = native.decode_task_line
    if decode is None:
        sys.exit("the native decoder is not available (not built, or FLOWINSIGHT_NATIVE=0)")
    refused = sum(decode(line) is None for line in lines)
    typical = [line for line in lines if len(line) < 3000]
    print(f"{len(lines)} EXPORT_TASK lines, {sum(map(len, lines)) / len(lines):.0f} bytes "
          f"on average; refused by C: {refused}")
    ways: list[tuple[str, Callable[[bytes], Any]]] = [
        ("orjson.loads", orjson.loads),
        ("task_lines.task_line", task_line),
    ]
    print(f"{'':28} {'all lines':>10} {'< 3000 B':>10}   (µs per line, best of {rounds})")
    for name, read in ways:
        every = per_line(read, lines, rounds) * 1e6
        short = per_line(read, typical, rounds) * 1e6
        print(f"{name:28} {every:10.2f} {short:10.2f}")
    every = per_line_buffer(lines, rounds) * 1e6
    short = per_line_buffer(typical, rounds) * 1e6
    print(f"{'native.decode_buffer_batches':28} {every:10.2f} {short:10.2f}")


if __name__ == "__main__":
    main()
