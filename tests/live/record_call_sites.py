"""Re-record samples/call_sites/: run each workload under the recorder with Ray's own call
sites on and Ray's event export sent to `flowinsight collect`, and keep its session's
logs/events, logs/export_events and logs/ray_events (gzipped, as a user may copy them), with
machine-specific absolute paths rewritten to /home/user/... (record_samples.path_rewrites).

    .venv/bin/python -m tests.live.record_call_sites [workload ...]
"""

from __future__ import annotations

import gzip
import shutil
import sys
from pathlib import Path

from .harness import REPO, collector, run_collected, temp_root
from .record_samples import path_rewrites

WORKLOADS = ("sage_pipeline", "lattice_workflow")
SAMPLES = REPO / "samples" / "call_sites"
KEPT = ("events", "export_events", "ray_events")


def save(workload: str) -> Path:
    with temp_root() as root:
        with collector(root) as url:
            run = run_collected(workload, root, url)
        rewrites = path_rewrites(root)
        target = SAMPLES / workload / run.session_dir.name / "logs"
        shutil.rmtree(SAMPLES / workload, ignore_errors=True)
        for kept in KEPT:
            (target / kept).mkdir(parents=True)
            for source in sorted((run.session_dir / "logs" / kept).iterdir()):
                text = source.read_text(errors="replace")
                for old, new in rewrites:
                    text = text.replace(old, new)
                if not text:
                    continue  # the Export API's empty task files: the aggregator took them
                # mtime=0: the same bytes for the same events
                data = gzip.compress(text.encode(), mtime=0)
                (target / kept / (source.name + ".gz")).write_bytes(data)
        return target.parent


if __name__ == "__main__":
    for name in sys.argv[1:] or WORKLOADS:
        print("recorded", save(name).relative_to(REPO))
