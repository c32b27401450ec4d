"""Run one command and report its wall time and peak RSS (this process has no other child)."""

from __future__ import annotations

import resource
import subprocess
import sys
import time

import orjson


def main() -> None:
    start = time.perf_counter()
    proc = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    sys.stdout.write(orjson.dumps({"seconds": elapsed, "peak_rss_mb": peak_kb / 1024,
                                   "returncode": proc.returncode,
                                   "stdout": proc.stdout.decode(errors="replace")}).decode())


if __name__ == "__main__":
    main()
