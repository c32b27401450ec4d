"""`make bench`: flowinsight against the parse floor on generated inputs of several sizes.

For each size: build the input (once, cached in bench/data), run the floor (a bare orjson loop)
and `flowinsight export --format json` on the same files, each in a fresh process, and report
time, ratio to the floor, events/s, MB/s and memory (see measure.py: the peak RSS of the
largest single process, and the peak PSS summed over the process and its workers).

    BENCH_SIZES="250 500 1000"   input sizes in MB
    BENCH_JOBS=2                 passed as --jobs (default: flowinsight's own, every core)
    BENCH_REPEAT=3               runs of each command; the fastest counts (the machine may be
                                 shared: the least disturbed run is the best estimate), memory
                                 is the largest seen
    FLOWINSIGHT_CMD=...          another flowinsight to measure (an older checkout, say)

flowinsight is measured twice: with the default --jobs (every core) and with --jobs 1 (one
process), so that what the workers buy on this machine is in the table. Then twice more on
the largest input: with 1% of its task lines written again in files beside their own (a
rotated file overlapping the live one: make_input.py --repeat-percent 1), against the floor of
that input, since repeated events must cost what their lines cost, not a slower read; and with
one worker's crash beside it (crash_note.py): a death must cost what the rows it concerns
cost, not a pass that makes every row.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson

HERE = Path(__file__).resolve().parent
PY = sys.executable


def measure(*cmd: str) -> dict[str, Any]:
    """The fastest of BENCH_REPEAT runs, with the largest memory of any of them."""
    runs = []
    for _ in range(int(os.environ.get("BENCH_REPEAT", "3"))):
        out = subprocess.run([PY, str(HERE / "measure.py"), *cmd], capture_output=True,
                             check=True)
        runs.append({**orjson.loads(out.stdout), "stderr": out.stderr.decode(errors="replace")})
    best: dict[str, Any] = min(runs, key=lambda r: r["seconds"])
    for key in ("peak_rss_mb", "peak_tree_pss_mb", "peak_tree_rss_mb"):
        best[key] = max(r[key] for r in runs)
    if any(r["returncode"] != 0 for r in runs):
        best["returncode"] = 1
    return best


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, Python "
            f"{platform.python_version()}, {platform.system()}")


def main() -> int:
    sizes = [float(s) for s in os.environ.get("BENCH_SIZES", "250 500 1000").split()]
    flowinsight = os.environ.get("FLOWINSIGHT_CMD") or str(Path(PY).parent / "flowinsight")
    jobs = ["--jobs", os.environ["BENCH_JOBS"]] if os.environ.get("BENCH_JOBS") else []
    rows = []
    for size in sizes:
        data = HERE / "data" / f"{size:g}mb"
        subprocess.run([PY, str(HERE / "make_input.py"), "--size-mb", str(size), "--out",
                        str(data)], check=True)
        floor = measure(PY, str(HERE / "floor.py"), str(data))
        info = orjson.loads(str(floor["stdout"]))
        ours = measure(flowinsight, "export", str(data), "--format", "json", "-o", os.devnull,
                       *jobs)
        single = measure(flowinsight, "export", str(data), "--format", "json", "-o",
                         os.devnull, "--jobs", "1")
        if ours["returncode"] != 0 or single["returncode"] != 0:
            print(f"flowinsight failed on {data}", file=sys.stderr)
            return 1
        mb = info["bytes"] / 1e6
        rows.append({
            "input_mb": round(mb), "lines": info["lines"],
            "floor_s": round(info["seconds"], 2), "flowinsight_s": round(ours["seconds"], 2),
            "ratio": round(ours["seconds"] / info["seconds"], 2),
            "one_process_s": round(single["seconds"], 2),
            "one_process_ratio": round(single["seconds"] / info["seconds"], 2),
            "one_process_peak_rss_mb": round(single["peak_rss_mb"]),
            "events_per_s": round(info["lines"] / ours["seconds"]),
            "mb_per_s": round(mb / ours["seconds"], 1),
            "cpu_s": round(ours["cpu_seconds"], 2),
            "peak_rss_mb": round(ours["peak_rss_mb"]),
            "peak_tree_pss_mb": round(ours["peak_tree_pss_mb"]),
            "peak_tree_rss_mb": round(ours["peak_tree_rss_mb"]),
            "floor_peak_rss_mb": round(floor["peak_rss_mb"]),
            # other work on the machine slows both runs, the parallel one more
            "load_avg_1m": round(os.getloadavg()[0], 2),
        })
        print(orjson.dumps(rows[-1]).decode(), file=sys.stderr)
    repeated = _repeated_row(flowinsight, jobs, sizes[-1]) if sizes else None
    crash = _crash_row(flowinsight, jobs, data, info) if sizes else None
    print(f"Machine: {machine()}\n")
    print("| input | lines | floor | flowinsight | ratio | events/s | MB/s | CPU | "
          "peak PSS (all processes) | `--jobs 1` | ratio | peak RSS |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['input_mb']} MB | {r['lines']:,} | {r['floor_s']} s | {r['flowinsight_s']} s "
              f"| {r['ratio']} | {r['events_per_s']:,} | {r['mb_per_s']} | {r['cpu_s']} s "
              f"| {r['peak_tree_pss_mb']} MB | {r['one_process_s']} s "
              f"| {r['one_process_ratio']} | {r['one_process_peak_rss_mb']} MB |")
    if repeated is not None:
        print(f"\nWith 1% of the task lines repeated across files ({repeated['input_mb']} MB, "
              f"{repeated['repeated']:,} events read twice, each counted once): floor "
              f"{repeated['floor_s']} s, flowinsight {repeated['flowinsight_s']} s, ratio "
              f"{repeated['ratio']}, CPU {repeated['cpu_s']} s, largest process "
              f"{repeated['peak_rss_mb']} MB")
    if crash is not None:
        print(f"\nWith one worker's crash beside the {rows[-1]['input_mb']} MB input "
              f"(bench/crash_note.py): {crash['flowinsight_s']} s, ratio {crash['ratio']}, "
              f"CPU {crash['cpu_s']} s, largest process {crash['peak_rss_mb']} MB")
    (HERE / "results.json").write_bytes(orjson.dumps(
        {"machine": machine(), "rows": rows, "repeated": repeated, "crash": crash},
        option=orjson.OPT_INDENT_2))
    return 0 if crash is not None and repeated is not None else 1


def _repeated_row(flowinsight: str, jobs: list[str], size: float) -> dict[str, float] | None:
    """An input of `size` MB with 1% of its task lines repeated, against its own floor."""
    data = HERE / "data" / f"{size:g}mb-rep1"
    subprocess.run([PY, str(HERE / "make_input.py"), "--size-mb", str(size), "--out",
                    str(data), "--repeat-percent", "1"], check=True)
    floor = measure(PY, str(HERE / "floor.py"), str(data))
    info = orjson.loads(str(floor["stdout"]))
    run = measure(flowinsight, "export", str(data), "--format", "json", "-o", os.devnull,
                  *jobs)
    if run["returncode"] != 0:
        print(f"flowinsight failed on {data}", file=sys.stderr)
        return None
    # flowinsight says on stderr how many events it read more than once
    said = [int(w) for w in run["stderr"].split() if w.isdigit()]
    return {"input_mb": round(info["bytes"] / 1e6), "repeated": said[0] if said else 0,
            "floor_s": round(info["seconds"], 2), "flowinsight_s": round(run["seconds"], 2),
            "ratio": round(run["seconds"] / info["seconds"], 2),
            "cpu_s": round(run["cpu_seconds"], 2), "peak_rss_mb": round(run["peak_rss_mb"])}


def _crash_row(flowinsight: str, jobs: list[str], data: Path,
               info: dict[str, float]) -> dict[str, float] | None:
    """The largest input read with one worker's crash note beside it, against its floor."""
    crash = data.with_name(data.name + "-crash")
    if not crash.exists():
        subprocess.run([PY, str(HERE / "crash_note.py"), str(data), "--out", str(crash)],
                       check=True, capture_output=True)
    run = measure(flowinsight, "export", str(data), str(crash), "--format", "json", "-o",
                  os.devnull, *jobs)
    if run["returncode"] != 0:
        print(f"flowinsight failed on {data} with {crash}", file=sys.stderr)
        return None
    return {"flowinsight_s": round(run["seconds"], 2),
            "ratio": round(run["seconds"] / info["seconds"], 2),
            "cpu_s": round(run["cpu_seconds"], 2), "peak_rss_mb": round(run["peak_rss_mb"])}


if __name__ == "__main__":
    sys.exit(main())
