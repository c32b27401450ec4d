"""Re-record samples/recorded/: run each workload under the recorder and keep its session's
logs/events and logs/export_events (empty files too), with machine-specific absolute paths
rewritten to /home/user/...

    .venv/bin/python -m tests.live.record_samples [workload ...]
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from .harness import REPO, run_workload, temp_root

WORKLOADS = ("nested_tasks", "sage_pipeline", "lattice_workflow")
SAMPLES = REPO / "samples" / "recorded"
KEPT = ("events", "export_events")


def path_rewrites(tmp_root: Path) -> list[tuple[str, str]]:
    """Longest first, so that a path inside another is rewritten as the longer one."""
    pairs = {
        str(REPO): "/home/user/flowinsight",
        str(tmp_root): "/home/user/ray-tmp",
        str(Path(tmp_root).parent) if os.environ.get("FLOWINSIGHT_LIVE_TMP") else "": "/home/user/tmp",
        sys.base_prefix: "/home/user/python",
        sys.prefix: "/home/user/venv",
        os.path.expanduser("~"): "/home/user",
    }
    return sorted(((k, v) for k, v in pairs.items() if k and k != "/"),
                  key=lambda kv: -len(kv[0]))


def save(workload: str) -> Path:
    with temp_root() as root:
        run = run_workload(workload, root)
        rewrites = path_rewrites(root)
        target = SAMPLES / workload / run.session_dir.name / "logs"
        shutil.rmtree(SAMPLES / workload, ignore_errors=True)
        for kept in KEPT:
            (target / kept).mkdir(parents=True)
            for source in sorted((run.session_dir / "logs" / kept).iterdir()):
                text = source.read_text(errors="replace")
                for old, new in rewrites:
                    text = text.replace(old, new)
                (target / kept / source.name).write_text(text)
        return target.parent


if __name__ == "__main__":
    for name in sys.argv[1:] or WORKLOADS:
        print("recorded", save(name).relative_to(REPO))
