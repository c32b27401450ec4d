"""The main process's merge of the workers' pieces into the task table, alone: the pieces
cached by bench/merge_pieces.py (--cache) are unpickled once; then, best of --repeat, the
first piece's table is loaded (records_native.load_tasks) and every later piece still in its
blob merged into it (records_native.load_tasks_into), timed (CPU of this process) apart from
the load of the first one and the freeing of the table.

    .venv/bin/python bench/table_merge.py /tmp/pieces.pickle [--repeat 5] [--check]

--check: the table also built the long way (records_native.load_then_merge) and compared
(pickled, byte for byte), as a guard that a change alters nothing.
"""

from __future__ import annotations

import argparse
import gc
import pickle
import time

from flowinsight.pipeline import records_native


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cache")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    gc.disable()  # as the command line does
    with open(args.cache, "rb") as f:
        data: list[bytes] = pickle.load(f)
    parts = [pickle.loads(d) for d in data]
    blobs = [p._blob for p in parts if p._blob is not None]
    print(f"{len(blobs)} blobs of {len(parts)} pieces, {sum(map(len, blobs)) / 1e6:.1f} MB")
    best = float("inf")
    for _ in range(args.repeat):
        into = records_native.load_tasks(blobs[0])
        t0 = time.process_time()
        for blob in blobs[1:]:
            records_native.load_tasks_into(into, blob)
        best = min(best, time.process_time() - t0)
        n = len(into)
        del into
    print(f"{n} tasks; load_tasks_into x{len(blobs) - 1}: best of {args.repeat} {best:.3f} s CPU")
    if args.check:
        into = records_native.load_tasks(blobs[0])
        for blob in blobs[1:]:
            records_native.load_tasks_into(into, blob)
        ref = records_native.load_tasks(blobs[0])
        for blob in blobs[1:]:
            records_native.load_then_merge(ref, blob)
        same = pickle.dumps(into, protocol=5) == pickle.dumps(ref, protocol=5)
        print("check:", "same" if same else "DIFFERENT")


if __name__ == "__main__":
    main()
