"""Where the time of `flowinsight export --format json` goes, phase by phase.

    .venv/bin/python bench/phases.py bench/data/250mb [--jobs 2] [--profile read|analyze]

Runs what `load` runs, in this process: read (workers parse and reduce groups of files; this
process merges their pieces), analyze, render; and prints for each phase the wall time, this
process's CPU time and its workers' CPU time. With --profile, the cProfile of one phase (of
this process only: workers are not profiled; profile them with --jobs 1).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import resource
import time

from flowinsight.pipeline import Reducer, analyze_partial
from flowinsight.read import discover
from flowinsight.read.parallel import ReadStats, read_reduced
from flowinsight.render import RenderOptions, renderers


def clock() -> tuple[float, float, float]:
    t = os.times()
    return time.perf_counter(), t.user + t.system, t.children_user + t.children_system


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("session")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--profile", choices=["read", "analyze"])
    args = parser.parse_args()
    gc.disable()  # as the command line does
    sources = discover([args.session])
    stats = ReadStats()
    rows = []
    profiler = cProfile.Profile()

    start = clock()
    if args.profile == "read":
        profiler.enable()
    account, reduced = read_reduced(sources, Reducer(), args.jobs, stats=stats)
    profiler.disable()
    after_read = clock()
    if args.profile == "analyze":
        profiler.enable()
    result = analyze_partial(reduced, account)
    profiler.disable()
    after_analyze = clock()
    renderers()["json"].render(result, RenderOptions())
    end = clock()
    for name, a, b in (("read", start, after_read), ("analyze", after_read, after_analyze),
                       ("render", after_analyze, end)):
        rows.append((name, b[0] - a[0], b[1] - a[1], b[2] - a[2]))
    size = sum(s.path.stat().st_size for s in sources)
    print(f"{size / 1e6:.0f} MB, {sum(f.lines for f in account.files):,} lines, "
          f"{len(reduced.tasks):,} tasks; {stats.workers} workers, {stats.groups} groups"
          f"{', exact fallback' if stats.exact_fallback else ''}"
          f"{f', {stats.duplicates:,} duplicates' if stats.duplicates else ''}"
          f"{f', {stats.judged_files} files read again' if stats.judged_files else ''}")
    print(f"{'phase':8s} {'wall s':>7s} {'cpu s (this)':>13s} {'cpu s (workers)':>16s}")
    for name, wall, cpu, children in rows:
        print(f"{name:8s} {wall:7.2f} {cpu:13.2f} {children:16.2f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = sum(stats.worker_peak_rss_kb.values()) / 1024
    print(f"peak RSS: this process {peak:.0f} MB, workers (sum of their peaks) {workers:.0f} MB")
    if args.profile:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(20)


if __name__ == "__main__":
    main()
