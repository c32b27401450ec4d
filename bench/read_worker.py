"""A worker's CPU for reading: read_group over the first groups of a generated input.

    .venv/bin/python bench/read_worker.py bench/data/1000mb [--groups 16] [--repeat 3]

Plans the groups as a 2-worker run of 1 GB does (64 of them), reads the first `--groups` in
this process with the pipeline's Reducer, and prints the best process CPU time of `--repeat`
runs (the machine may be shared: the best run is the least disturbed one).
"""

from __future__ import annotations

import argparse
import gc
import time

from flowinsight.pipeline import Reducer
from flowinsight.read import discover
from flowinsight.read.parallel import plan_groups, read_group


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("session")
    parser.add_argument("--groups", type=int, default=16)
    parser.add_argument("--count", type=int, default=64, help="groups planned over the input")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    gc.disable()  # as the workers run
    sources = discover([args.session])
    groups = plan_groups(sources, [s.size() for s in sources], args.count)[:args.groups]
    size = sum(s.size() for g in groups for s in g)
    times = []
    for _ in range(args.repeat):
        start = time.process_time()
        for index, group in enumerate(groups):
            read_group(index, group, Reducer(origin=False))
        times.append(time.process_time() - start)
        gc.collect()
    best = min(times)
    print(f"{len(groups)} groups, {size / 1e6:.0f} MB: best CPU {best:.3f} s "
          f"({best / size * 1e9:.2f} s/GB); runs {', '.join(f'{t:.3f}' for t in times)}")


if __name__ == "__main__":
    main()
