"""What the main process spends on the workers' pieces of a parallel read: unpickling them,
merging them in file order, freeing what the merge let go.

    .venv/bin/python bench/merge_pieces.py bench/data/1000mb [--groups 64] [--repeat 3]
                                            [--cache /tmp/pieces.pickle]

Reads each group (flowinsight.read.parallel.plan_groups) in this process with
read_group(..., Reducer(origin=False)), pickles each piece as a worker sends it (with --cache,
the pickled pieces are kept in that file and read from it next time), then, best of --repeat:
pickle.loads of every piece, the in-order merge (Reducer().merge) and the table made ready for
the analysis (its records loaded), and the freeing of everything. Times are this process's CPU
(time.process_time); the peak RSS is printed at the end.
"""

from __future__ import annotations

import argparse
import gc
import os
import pickle
import resource
import time
from pathlib import Path

from flowinsight.pipeline import Reducer
from flowinsight.read import discover
from flowinsight.read.parallel import plan_groups, read_group


def pieces(session: str, groups: int, cache: str) -> list[bytes]:
    if cache and Path(cache).exists():
        with open(cache, "rb") as f:
            out: list[bytes] = pickle.load(f)
        return out
    sources = discover([session])
    sizes = [s.path.stat().st_size for s in sources]
    out = []
    for index, group in enumerate(plan_groups(sources, sizes, groups)):
        result = read_group(index, group, Reducer(origin=False))
        out.append(pickle.dumps(result.reduced, protocol=pickle.HIGHEST_PROTOCOL))
    if cache:
        with open(cache, "wb") as f:
            pickle.dump(out, f, protocol=pickle.HIGHEST_PROTOCOL)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("session")
    parser.add_argument("--groups", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cache", default="")
    args = parser.parse_args()
    gc.disable()  # as the command line does
    data = pieces(args.session, args.groups, args.cache)
    print(f"{len(data)} pieces, {sum(map(len, data)) / 1e6:.1f} MB pickled")
    reducer = Reducer()
    best: dict[str, float] = {}
    for _ in range(args.repeat):
        t0 = time.process_time()
        parts = [pickle.loads(d) for d in data]
        t1 = time.process_time()
        merged = parts[0]
        for part in parts[1:]:
            merged = reducer.merge(merged, part)
        tasks = len(merged.tasks)  # what the analysis reads: the table, loaded
        t2 = time.process_time()
        del parts, part
        t3 = time.process_time()
        del merged
        t4 = time.process_time()
        for name, value in (("unpickle", t1 - t0), ("merge+load", t2 - t1),
                            ("free pieces", t3 - t2), ("main total", t3 - t0),
                            ("free table", t4 - t3)):
            best[name] = min(best.get(name, value), value)
    print(f"{tasks} tasks; best of {args.repeat}, CPU s of this process:")
    for name, value in best.items():
        print(f"  {name:12s} {value:6.3f}")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB "
          f"(pid {os.getpid()})")


if __name__ == "__main__":
    main()
