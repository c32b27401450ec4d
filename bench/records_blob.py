"""Cost of shipping a worker's task records to the main process: the blob of
_records in flowinsight/native/ (dump_tasks / load_tasks) against pickle, on one
capture's records (bench/data/100mb when it is there, made by `make bench` or
bench/make_input.py; else samples/scale_15k.tar.gz), best of a few rounds. The events are cut
into 8 consecutive runs, as the parallel reader cuts files into groups, each run reduced to
its table of records (a worker's piece); per record of those pieces:

    dump            the worker's side: pickle.dumps of the table, or dump_tasks
    load            the main process: pickle.loads, or load_tasks (C; and in Python, the
                    fallback of a process without the extension)
    load + merge    the main process's whole job: each piece loaded and merged into the first
                    (merge_task_tables)

and the bytes per record sent, and the records' size in memory once loaded and merged
(sys.getsizeof over the distinct objects they hold).

Collection is off, as in the command line and its workers.

    .venv/bin/python bench/records_blob.py [rounds] [capture dir]
"""

from __future__ import annotations

import gc
import pickle
import sys
import time
from typing import Any, Callable

from bench_events import load_events
from flowinsight.pipeline import records_native, tasks
from flowinsight.pipeline.tasks import Task

RUNS = 8
Table = dict[str, Task]


def best(run: Callable[[], Any], rounds: int) -> float:
    """Fewest seconds of `rounds` runs; what each run makes is kept until all are done (its
    freeing is not timed)."""
    kept = []
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        kept.append(run())
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    where, events = load_events(sys.argv[2] if len(sys.argv) > 2 else None)
    native = tasks._NATIVE
    if native is None:
        sys.exit("the native records are not available (not built, or FLOWINSIGHT_NATIVE=0)")
    gc.disable()
    n = len(events)
    points = [n * i // RUNS for i in range(RUNS + 1)]
    pieces = [tasks.merge_tasks(events[a:b]) for a, b in zip(points, points[1:])]
    records = sum(len(p) for p in pieces)
    whole = len(tasks.merge_tasks(events))
    print(f"{where}: {n} events; {RUNS} pieces of {records} records in all ({whole} tasks)")
    pickles = [pickle.dumps(p, protocol=pickle.HIGHEST_PROTOCOL) for p in pieces]
    blobs = [native.dump_tasks(p) for p in pieces]
    print(f"bytes per record: pickle {sum(map(len, pickles)) / records:.0f}, "
          f"blob {sum(map(len, blobs)) / records:.0f}")
    print(f"{'µs per record':24} {'pickle':>8} {'blob':>8}   (best of {rounds})")

    def row(name: str, plain: float, blob: float) -> None:
        print(f"{name:24} {plain / records * 1e6:8.3f} {blob / records * 1e6:8.3f}   "
              f"{plain / blob:.1f}x")

    row("dump", best(lambda: [pickle.dumps(p, protocol=pickle.HIGHEST_PROTOCOL)
                              for p in pieces], rounds),
        best(lambda: [native.dump_tasks(p) for p in pieces], rounds))
    row("load", best(lambda: [pickle.loads(p) for p in pickles], rounds),
        best(lambda: [native.load_tasks(b) for b in blobs], rounds))
    python_load = best(lambda: [records_native.load_tasks_python(b) for b in blobs],
                       max(1, rounds // 2))
    print(f"{'load (Python)':24} {'':8} {python_load / records * 1e6:8.3f}")

    def merged(load: Callable[[Any], Table], data: list[Any]) -> Table:
        into = load(data[0])
        for later in data[1:]:
            tasks.merge_task_tables(into, load(later))
        return into

    row("load + merge", best(lambda: merged(pickle.loads, pickles), rounds),
        best(lambda: merged(native.load_tasks, blobs), rounds))
    sizes = [tasks.footprint(merged(pickle.loads, pickles))[0],
             tasks.footprint(merged(native.load_tasks, blobs))[0]]
    print(f"bytes per task once merged: pickle {sizes[0] / whole:.0f}, blob {sizes[1] / whole:.0f}")


if __name__ == "__main__":
    main()
