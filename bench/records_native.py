"""Cost of merging task records: the C code (_records in flowinsight/native/) against the Python
code of flowinsight/pipeline/tasks.py, on one capture's events (bench/data/100mb when it is there,
made by `make bench` or bench/make_input.py; else samples/scale_15k.tar.gz), best of a few rounds:

    merge_tasks            µs per event: every event into one table (a worker's job)
    merge_task_tables      µs per record of the later table: the events cut into 8 runs, each
                           run's table folded into the first (the main process's job)
    pickle.loads           µs per record: the whole table as one pickled piece, rebuilt by
                           Task/Attempt (Python) or make_task/make_attempt (C)
    pickle.dumps           µs per record, for reference (the same __reduce__ either way)

and the records' size in memory (sys.getsizeof over the distinct objects they hold).

Collection is off, as in the command line and its workers.

    .venv/bin/python bench/records_native.py [rounds] [capture dir]
"""

from __future__ import annotations

import gc
import pickle
import sys
import time
from typing import Any, Callable

from bench_events import load_events
from flowinsight.pipeline import tasks


def best(run: Callable[[], tuple[float, Any]], rounds: int) -> float:
    """Fewest seconds of `rounds` runs; what each run makes is kept until all are done (its
    freeing is not timed)."""
    kept = []
    times = []
    for _ in range(rounds):
        seconds, made = run()
        times.append(seconds)
        kept.append(made)
    return min(times)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    made = fn()
    return time.perf_counter() - start, made


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    where, events = load_events(sys.argv[2] if len(sys.argv) > 2 else None)
    if tasks._NATIVE is None:
        sys.exit("the native records are not available (not built, or FLOWINSIGHT_NATIVE=0)")
    gc.disable()
    native = tasks._NATIVE
    table = tasks.merge_tasks_python(events, {})
    print(f"{where}: {len(events)} events, {len(table)} records")
    print(f"{'':20} {'Python':>8} {'C':>8}   (best of {rounds})")

    def row(name: str, unit: str, count: int, py: float, c: float) -> None:
        print(f"{name:20} {py / count * 1e6:8.3f} {c / count * 1e6:8.3f}   µs per {unit}, "
              f"{py / c:.1f}x")

    # merge_tasks
    py = best(lambda: timed(lambda: tasks.merge_tasks_python(events, {})), rounds)
    c = best(lambda: timed(lambda: tasks.merge_tasks(events, {})), rounds)
    row("merge_tasks", "event", len(events), py, c)

    # merge_task_tables over 8 consecutive runs
    cuts = [len(events) * i // 8 for i in range(9)]

    def fold(merge_tables: Callable[[dict[str, tasks.Task], dict[str, tasks.Task]], None]
             ) -> tuple[float, Any]:
        parts = [tasks.merge_tasks_python(events[a:b], {}) for a, b in zip(cuts, cuts[1:])]
        start = time.perf_counter()
        for later in parts[1:]:
            merge_tables(parts[0], later)
        return time.perf_counter() - start, parts

    later_records = sum(len(tasks.merge_tasks_python(events[a:b], {}))
                        for a, b in zip(cuts[1:], cuts[2:]))
    py = best(lambda: fold(tasks.merge_task_tables_python), rounds)
    c = best(lambda: fold(native.merge_task_tables), rounds)
    row("merge_task_tables", "later record", later_records, py, c)

    # pickling one big piece
    made = tasks._make_task, tasks._make_attempt
    c_piece = pickle.dumps(table, protocol=pickle.HIGHEST_PROTOCOL)
    c_dumps = best(lambda: timed(lambda: pickle.dumps(table, protocol=pickle.HIGHEST_PROTOCOL)),
                   rounds)
    tasks._make_task, tasks._make_attempt = tasks.Task, tasks.Attempt
    try:
        py_piece = pickle.dumps(table, protocol=pickle.HIGHEST_PROTOCOL)
        py_dumps = best(lambda: timed(lambda: pickle.dumps(table,
                                                           protocol=pickle.HIGHEST_PROTOCOL)),
                        rounds)
    finally:
        tasks._make_task, tasks._make_attempt = made
    py = best(lambda: timed(lambda: pickle.loads(py_piece)), rounds)
    c = best(lambda: timed(lambda: pickle.loads(c_piece)), rounds)
    row("pickle.loads", "record", len(table), py, c)
    row("pickle.dumps", "record", len(table), py_dumps, c_dumps)
    print(f"piece: {len(py_piece) / len(table):.0f} bytes per record (Python), "
          f"{len(c_piece) / len(table):.0f} (C)")
    py_size, py_objects = tasks.footprint(tasks.merge_tasks_python(events, {}))
    c_size, c_objects = tasks.footprint(tasks.merge_tasks(events, {}))
    print(f"records in memory: {py_size / len(table):.0f} bytes and {py_objects / len(table):.2f} "
          f"distinct objects per record (Python), {c_size / len(table):.0f} and "
          f"{c_objects / len(table):.2f} (C)")


if __name__ == "__main__":
    main()
