"""The analysis phase alone, repeated: read a session once, then analyze it N times in this
process (each run on the same reduced records, which analyze_partial only reads), with the
time of its steps (facts with the sweep, critical path) from cProfile on the last run.

    .venv/bin/python bench/analysis.py bench/data/1000mb [--jobs 2] [--runs 3]

Prints the wall and CPU time of each run and the best, and the peak RSS after the read and after the
first analysis (the analysis's own peak shows only when above the read's).
FLOWINSIGHT_NATIVE=0 times the Python references instead.
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
from flowinsight.read.parallel import read_reduced


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("session")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    gc.disable()  # as the command line does
    account, reduced = read_reduced(discover([args.session]), Reducer(), args.jobs)
    after_read = peak_mb()
    times: list[float] = []
    cpus: list[float] = []
    profiler = cProfile.Profile()
    for run in range(args.runs):
        if run == args.runs - 1:
            profiler.enable()
        start, cpu = time.perf_counter(), time.process_time()
        analyze_partial(reduced, account)
        times.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
        profiler.disable()
        gc.collect()  # the run's cycles (gc is off), between runs only
        if run == 0:
            after_first = peak_mb()
    print(f"{len(reduced.tasks):,} tasks; analyze wall: "
          + ", ".join(f"{t:.2f}" for t in times) + f" s, best {min(times):.2f} s; cpu: "
          + ", ".join(f"{t:.2f}" for t in cpus) + f" s, best {min(cpus):.2f} s")
    print(f"peak RSS: after the read {after_read:.0f} MB, after the first analysis "
          f"{after_first:.0f} MB")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(6)


if __name__ == "__main__":
    main()
