"""The parse floor: a bare loop that reads every line of every event file and parses it with
orjson, doing nothing else. Prints seconds, lines and bytes as JSON."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import orjson


def main() -> None:
    root = Path(sys.argv[1])
    files = sorted(p for p in root.rglob("event_*") if p.is_file())
    start = time.perf_counter()
    lines = size = 0
    for path in files:
        with open(path, "rb") as handle:
            for line in handle:
                size += len(line)
                if line.strip():
                    orjson.loads(line)
                    lines += 1
    elapsed = time.perf_counter() - start
    sys.stdout.write(orjson.dumps({"seconds": elapsed, "lines": lines, "bytes": size}).decode())


if __name__ == "__main__":
    main()
