"""Run one command and report its wall time and memory.

Memory, three ways (all in MB):
- peak_rss_mb: getrusage(RUSAGE_CHILDREN).ru_maxrss, the largest peak RSS of any one process
  of the command that has been waited for (the command itself, and its worker processes once
  their pool reaped them). It is a maximum, not a sum: with workers it understates the total.
- peak_tree_rss_mb: the largest sum, at one instant, of the RSS of the command and all its
  descendants, sampled every 50 ms from /proc. Pages that a forked worker shares with its
  parent count twice, so this overstates the total.
- peak_tree_pss_mb: the same sum of PSS (shared pages split between the processes that share
  them): the memory the run really took, to within what 50 ms sampling can miss.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson


def descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                todo += [int(c) for c in (task / "children").read_text().split()]
            except (OSError, ValueError):
                pass
    return out


def memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in kB; (0, 0) once it is gone."""
    rss = pss = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1])
            elif line.startswith("Pss:"):
                pss = int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return rss, pss


class TreeSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_rss = self.peak_pss = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            total_rss = total_pss = 0
            for pid in descendants(self.pid):
                rss, pss = memory_kb(pid)
                total_rss += rss
                total_pss += pss
            self.peak_rss = max(self.peak_rss, total_rss)
            self.peak_pss = max(self.peak_pss, total_pss)
            self.done.wait(0.05)


def main() -> None:
    start = time.perf_counter()
    proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE)
    sampler = TreeSampler(proc.pid)
    sampler.start()
    stdout, _ = proc.communicate()
    elapsed = time.perf_counter() - start
    sampler.done.set()
    sampler.join()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    sys.stdout.write(orjson.dumps({
        "seconds": elapsed,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "peak_tree_rss_mb": sampler.peak_rss / 1024,
        "peak_tree_pss_mb": sampler.peak_pss / 1024,
        "returncode": proc.returncode,
        "stdout": stdout.decode(errors="replace"),
    }).decode())


if __name__ == "__main__":
    main()
