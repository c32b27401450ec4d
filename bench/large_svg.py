"""Drawing a session of 10,000+ graph nodes: how long `flowinsight export -o x.svg` takes.

    .venv/bin/python bench/large_svg.py [--functions 10000] [--actors 5000] [--full-timeout 600]

Two generated sessions, the ones tests/test_large_graphs.py draws (tests/large_sessions.py): 10,000 remote functions called from
the driver (10,001 nodes), and 5,000 actors of 5 classes with two methods each (15,001 nodes).
Each is exported, in a fresh process, as SVG with the default --max-nodes 300 (actors collapse
into classes, then the busiest nodes are kept), as DOT (flowinsight's share of the time, without
Graphviz), and as SVG with --max-nodes 0 (every node drawn: Graphviz's share grows fast; given
up after --full-timeout seconds).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FLOWINSIGHT = str(Path(sys.executable).parent / "flowinsight")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from large_sessions import many_actors, many_functions  # noqa: E402  (the tests' sessions)

def timed(args: list[str], timeout: float) -> str:
    start = time.perf_counter()
    try:
        done = subprocess.run([FLOWINSIGHT, *args], capture_output=True, timeout=timeout,
                              check=False)
    except subprocess.TimeoutExpired:
        return f"gave up after {timeout:.0f} s"
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        return f"failed ({done.stderr.decode(errors='replace').strip()[:200]})"
    out = Path(args[args.index("-o") + 1])
    return f"{seconds:.2f} s ({out.stat().st_size / 1e6:.1f} MB)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--functions", type=int, default=10000)
    parser.add_argument("--actors", type=int, default=5000)
    parser.add_argument("--full-timeout", type=float, default=600)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fi-svg-") as tmp:
        cases = [(f"{args.functions} functions ({args.functions + 1} nodes)",
                  many_functions(Path(tmp) / "functions", args.functions)),
                 (f"{args.actors} actors of 5 classes ({3 * args.actors + 1} nodes)",
                  many_actors(Path(tmp) / "actors", args.actors))]
        print("| session | svg (default --max-nodes 300) | dot (no Graphviz) | svg, every node "
              "(--max-nodes 0) |")
        print("|---|---:|---:|---:|")
        for name, root in cases:
            svg = timed(["export", str(root), "-o", f"{tmp}/a.svg"], 600)
            dot = timed(["export", str(root), "-o", f"{tmp}/a.dot"], 600)
            full = timed(["export", str(root), "-o", f"{tmp}/b.svg", "--max-nodes", "0"],
                         args.full_timeout)
            print(f"| {name} | {svg} | {dot} | {full} |", flush=True)


if __name__ == "__main__":
    main()
