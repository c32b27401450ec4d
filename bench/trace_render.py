"""How long `flowinsight export --format trace` spends rendering, apart from the read.

    .venv/bin/python bench/trace_render.py bench/data/1000mb [--repeat 3] [--profile]
        [--out trace.json] [--compare]

Reads and analyses the session once (as `load` does: read_reduced, then analyze_partial), then
renders the trace --repeat times and prints the best wall and CPU times (the CPU time is the
steadier figure on a busy machine), the output's size and its SHA-256 (the same capture must
give the same bytes before and after a change). --out writes the output; --profile prints the
cProfile of one render; --compare also times the renderer that the current one replaced (kept in
tests/test_trace_speed.py) and checks that both give the same bytes.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import os
import pstats
import sys
import time
from pathlib import Path
from typing import Callable

from flowinsight.pipeline import Reducer, analyze_partial
from flowinsight.read import discover
from flowinsight.read.parallel import read_reduced
from flowinsight.render import RenderOptions, renderers
from flowinsight.result import Result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("session")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--compare", action="store_true")
    args = parser.parse_args()
    gc.disable()  # as the command line's read does; it renders with gc enabled again
    start = time.perf_counter()
    account, reduced = read_reduced(discover([args.session]), Reducer(), os.cpu_count() or 1)
    result = analyze_partial(reduced, account)
    print(f"read + analyze {time.perf_counter() - start:.2f} s, "
          f"{len(result.attempts):,} attempts")
    gc.enable()
    render = renderers()["trace"].render
    data = timed("trace render", render, result, args.repeat)
    if args.compare:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
        from test_trace_speed import render as previous  # noqa: E402

        same = timed("previous renderer", previous, result, args.repeat) == data
        print("same bytes" if same else "DIFFERENT BYTES")
    if args.out:
        args.out.write_bytes(data)
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(render, result, RenderOptions())
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


def timed(label: str, render: Callable[[Result, RenderOptions], bytes], result: Result,
          repeat: int) -> bytes:
    wall, cpu, data = float("inf"), float("inf"), b""
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        data = render(result, RenderOptions())
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    print(f"{label}: best of {repeat}: wall {wall:.2f} s, cpu {cpu:.2f} s; "
          f"{len(data) / 1e6:.1f} MB, sha256 {hashlib.sha256(data).hexdigest()[:16]}")
    return data


if __name__ == "__main__":
    main()
