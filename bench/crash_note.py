"""One worker's crash beside a large input: the raylet's RAY_WORKER_FAILURE of a worker that ran
an actor's calls in INPUT, written as a session folder of INPUT's own session name under OUT,
so that `flowinsight export INPUT OUT` reads the input with one recorded death. What a crash
costs the analysis (the failure and coverage passes) is then measured against INPUT alone:

    .venv/bin/python bench/crash_note.py bench/data/1000mb --out bench/data/1000mb-crash
    .venv/bin/python bench/measure.py .venv/bin/flowinsight export bench/data/1000mb \\
        bench/data/1000mb-crash --format json -o /dev/null
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import orjson

from flowinsight import load
from flowinsight.read import discover


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    sessions = sorted({s.session for s in discover([args.input]) if s.session})
    if len(sessions) != 1:
        sys.exit(f"{args.input}: one session expected, found {len(sessions)}")
    attempts = load(args.input).attempts
    for i, (worker, node) in enumerate(zip(attempts.worker_ids, attempts.nodes)):
        if worker and len(node) > 33 and node[32] == ".":  # an actor's method
            break
    else:
        sys.exit(f"{args.input}: no actor call with a worker id")
    ray_node, task_id, end_ns = attempts.ray_node_ids[i], attempts.task_ids[i], attempts.end_ns[i]
    message = ("A worker died or was killed while executing a task by an unexpected system "
               f"error. Worker ID: {worker} Node ID: {ray_node} Worker IP address: 127.0.0.1 "
               "Worker port: 46603 Worker PID: 4090 Worker exit type: SYSTEM_ERROR Worker "
               "exit detail: Worker unexpectedly exits with a connection error code 2.")
    event = {"custom_fields": {"job_id": task_id[-8:], "node_id": ray_node, "worker_id": worker},
             "event_id": "303a3d3145983f6598765c1b8a3bb74f70cf", "host_name": "bench",
             "label": "RAY_WORKER_FAILURE", "message": message, "pid": "3906",
             "severity": "ERROR", "source_type": "RAYLET", "timestamp": end_ns // 10**9 + 1}
    folder = args.out / sessions[0] / "logs" / "events"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "event_RAYLET.log").write_bytes(orjson.dumps(event) + b"\n")
    print(f"{folder / 'event_RAYLET.log'}: worker {worker} of {node} crashed")


if __name__ == "__main__":
    main()
