"""What the flowinsight recorder costs a Ray driver: task throughput with and without it.

    .venv/bin/python bench/recorder_overhead.py [--tasks 2000] [--pairs 3] [--rounds 3]

Each measurement runs in a fresh process with its own local Ray (127.0.0.1, 2 CPUs, temp dir
under /tmp): after a warm-up, it submits `--tasks` small tasks (one by-value argument, one
return value) and ray.get()s them all, `--rounds` times. Processes without and with the
recorder alternate (`--pairs` of each) so that machine noise hits both alike. With the recorder,
each task writes five events (task_submitted, the argument's put and get, the return's put and
the driver's get). Reports the median throughput of each mode and the slowdown.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def child(recorded: bool, tasks: int, rounds: int) -> None:
    """One measuring process; prints one JSON line."""
    if recorded:
        import flowinsight.recorder

        flowinsight.recorder.enable()
    import ray

    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1",
             logging_level="ERROR", log_to_driver=False)

    @ray.remote
    def inc(x: int) -> int:
        return x + 1

    ray.get([inc.remote(i) for i in range(tasks // 4)])  # warm-up: start and import workers
    rates = []
    for _ in range(rounds):
        started = time.perf_counter()
        results = ray.get([inc.remote(i) for i in range(tasks)])
        rates.append(tasks / (time.perf_counter() - started))
        assert results[-1] == tasks
    time.sleep(0.5)
    session = Path(ray._private.worker._global_node.get_session_dir_path())
    ray.shutdown()
    lines = sum(p.read_bytes().count(b"\n")
                for p in (session / "logs" / "events").glob("event_FLOWINSIGHT_*.log"))
    print(json.dumps({"recorded": recorded, "rates": rates, "event_lines": lines}))


def measure(recorded: bool, tasks: int, rounds: int, call_sites: bool = True
            ) -> dict[str, object]:
    tmp = tempfile.mkdtemp(prefix="fib-", dir="/tmp")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAY_", "FLOWINSIGHT_"))}
    env.update(RAY_TMPDIR=tmp, RAY_USAGE_STATS_ENABLED="0", RAY_AUTH_MODE="disabled")
    if not call_sites:
        env["FLOWINSIGHT_CALL_SITES"] = "0"
    try:
        done = subprocess.run(
            [sys.executable, __file__, "--child", "on" if recorded else "off",
             "--tasks", str(tasks), "--rounds", str(rounds)],
            env=env, capture_output=True, text=True, timeout=600, check=False,
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if done.returncode != 0:
        raise SystemExit(f"measuring run failed:\n{done.stderr[-3000:]}")
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--compare-call-sites", action="store_true",
                        help="Also measure the recorder with call sites off "
                             "(FLOWINSIGHT_CALL_SITES=0), alternating with the other two.")
    parser.add_argument("--child", choices=["on", "off"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child == "on", args.tasks, args.rounds)
        return
    # (recorded, call sites) per mode, measured in turn
    modes = [(False, True), (True, True)] + ([(True, False)] if args.compare_call_sites else [])
    names = {(False, True): "without recorder", (True, True): "with recorder",
             (True, False): "recorder, no call sites"}
    rates: dict[tuple[bool, bool], list[float]] = {mode: [] for mode in modes}
    lines = 0
    load_before = os.getloadavg()[0]
    for pair in range(args.pairs):
        for mode in modes:
            result = measure(mode[0], args.tasks, args.rounds, mode[1])
            rates[mode] += result["rates"]  # type: ignore[arg-type]
            if mode == (True, True):
                lines = int(result["event_lines"])  # type: ignore[call-overload]
            shown = ", ".join(f"{r:.0f}" for r in result["rates"])  # type: ignore[attr-defined]
            print(f"pair {pair + 1} {names[mode]}: {shown} tasks/s", flush=True)
    off = statistics.median(rates[(False, True)])
    print(f"\n{args.tasks} small tasks, median of {len(rates[(False, True)])} rounds per mode")
    print(f"without recorder: {off:8.0f} tasks/s")
    for mode in modes[1:]:
        on = statistics.median(rates[mode])
        extra = f"   ({lines} event lines in one recorded run)" if mode == (True, True) else ""
        print(f"{names[mode] + ':':24s}{on:8.0f} tasks/s, slowdown "
              f"{100 * (off - on) / off:.1f} %{extra}")
    print(f"machine: {os.cpu_count()} CPUs, load average {load_before:.1f} before and "
          f"{os.getloadavg()[0]:.1f} after (other processes skew both modes)")


if __name__ == "__main__":
    main()
