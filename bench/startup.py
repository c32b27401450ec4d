"""The fixed cost of a command: wall time and import time, best of N, runs alternating between
source trees (a tree: a checkout, the command run in it: ARGS are relative to each tree).

    .venv/bin/python bench/startup.py OLD_TREE NEW_TREE [--runs 10] [--cached] -- \
        export samples/sage_pipeline --format json -o /dev/null

Wall: the whole `python -m flowinsight ARGS`. Imports: the sum of the cumulative times of the
top-level imports that -X importtime reports for the same command. --cached keeps compiled
bytecode (in a cache folder per tree under the system's temporary directory, not in the tree)
even where PYTHONDONTWRITEBYTECODE is set: what an installed package does.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _env(tree: str, cached: bool) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=tree)
    if cached:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        name = str(Path(tree).resolve()).strip("/").replace("/", "_")
        env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "fi-pyc" / name)
    return env


def wall(tree: str, args: list[str], cached: bool) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "flowinsight", *args], env=_env(tree, cached),
                   cwd=tree, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def imports(tree: str, args: list[str], cached: bool) -> float:
    err = subprocess.run([sys.executable, "-X", "importtime", "-m", "flowinsight", *args],
                         env=_env(tree, cached), cwd=tree, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True, check=True).stderr
    total = 0
    for line in err.splitlines():
        if line.startswith("import time:") and "cumulative" not in line:
            _, cumulative, name = line[len("import time:"):].split("|")
            if len(name) - len(name.lstrip(" ")) == 1:  # a top-level import
                total += int(cumulative)
    return total / 1e6


def main() -> None:
    cut = sys.argv.index("--") if "--" in sys.argv else len(sys.argv)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", nargs="+")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--cached", action="store_true")
    opts = parser.parse_args(sys.argv[1:cut])
    args = sys.argv[cut + 1:]
    for tree in opts.trees:  # warm up (and fill the bytecode caches)
        wall(tree, args, opts.cached)
    walls: dict[str, list[float]] = {t: [] for t in opts.trees}
    imps: dict[str, list[float]] = {t: [] for t in opts.trees}
    for _ in range(opts.runs):
        for tree in opts.trees:
            walls[tree].append(wall(tree, args, opts.cached))
            imps[tree].append(imports(tree, args, opts.cached))
    for tree in opts.trees:
        print(f"{tree}: wall best {min(walls[tree]) * 1000:.0f} ms, imports best "
              f"{min(imps[tree]) * 1000:.0f} ms ({opts.runs} runs, "
              f"{'cached' if opts.cached else 'as the environment says'} bytecode)")


if __name__ == "__main__":
    main()
