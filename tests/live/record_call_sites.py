"""Re-record samples/call_sites/: run each workload under the recorder with Ray's own call
sites on and Ray's event export sent to `flowinsight collect`, and keep its session's
logs/events, logs/export_events and logs/ray_events (gzipped, as a user may copy them), with
machine-specific absolute paths rewritten to /home/user/... (record_samples.path_rewrites).

    .venv/bin/python -m tests.live.record_call_sites [workload ...]
"""

from __future__ import annotations

import sys
from pathlib import Path

from .harness import REPO, collector, run_collected, temp_root
from .record_samples import keep_logs

WORKLOADS = ("sage_pipeline", "lattice_workflow")
SAMPLES = REPO / "samples" / "call_sites"
KEPT = ("events", "export_events", "ray_events")


def save(workload: str) -> Path:
    with temp_root() as root:
        with collector(root) as url:
            run = run_collected(workload, root, url)
        # the Export API's task files stay empty (the aggregator took the task events): left out
        return keep_logs(run.session_dir, root, SAMPLES / workload, KEPT, compress=True)


if __name__ == "__main__":
    for name in sys.argv[1:] or WORKLOADS:
        print("recorded", save(name).relative_to(REPO))
