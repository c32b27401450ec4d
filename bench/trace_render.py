"""How long `flowinsight export --format trace` spends rendering, apart from the read.

    .venv/bin/python bench/trace_render.py bench/data/1000mb [--repeat 3] [--profile]
        [--out trace.json]

Reads and analyses the session once (as `load` does: read_reduced, then analyze_partial), then
renders the trace --repeat times and prints the best wall time, the output's size and its
SHA-256 (the same capture must give the same bytes before and after a change). --out writes the
output; --profile prints the cProfile of one render.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import os
import pstats
import time
from pathlib import Path

from flowinsight.pipeline import Reducer, analyze_partial
from flowinsight.read import discover
from flowinsight.read.parallel import read_reduced
from flowinsight.render import RenderOptions, renderers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("session")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    gc.disable()  # as the command line's read does; it renders with gc enabled again
    start = time.perf_counter()
    account, reduced = read_reduced(discover([args.session]), Reducer(), os.cpu_count() or 1)
    result = analyze_partial(reduced, account)
    print(f"read + analyze {time.perf_counter() - start:.2f} s, "
          f"{len(result.attempts):,} attempts")
    gc.enable()
    render = renderers()["trace"].render
    best, data = float("inf"), b""
    for _ in range(args.repeat):
        start = time.perf_counter()
        data = render(result, RenderOptions())
        best = min(best, time.perf_counter() - start)
    print(f"trace render: best of {args.repeat} {best:.2f} s, {len(data) / 1e6:.1f} MB, "
          f"sha256 {hashlib.sha256(data).hexdigest()[:16]}")
    if args.out:
        args.out.write_bytes(data)
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(render, result, RenderOptions())
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main()
