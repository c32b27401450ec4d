"""Re-record samples/recorded/: run each workload under the recorder and keep its session's
logs/events and logs/export_events (empty files too), with machine-specific absolute paths
rewritten to /home/user/...

    .venv/bin/python -m tests.live.record_samples [workload ...]
"""

from __future__ import annotations

import gzip
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


def keep_logs(session_dir: Path, tmp_root: Path, dest: Path, kept: tuple[str, ...],
              compress: bool = False) -> Path:
    """A run's logs/<kept> folders copied under dest/<session name>/logs (dest emptied first),
    machine paths rewritten; with `compress`, each non-empty file gzipped (mtime 0: the same
    bytes for the same events) and empty ones left out. The copied session folder."""
    rewrites = path_rewrites(tmp_root)
    target = dest / session_dir.name / "logs"
    shutil.rmtree(dest, ignore_errors=True)
    for folder in kept:
        (target / folder).mkdir(parents=True)
        for source in sorted((session_dir / "logs" / folder).iterdir()):
            text = source.read_text(errors="replace")
            for old, new in rewrites:
                text = text.replace(old, new)
            if not compress:
                (target / folder / source.name).write_text(text)
            elif text:
                (target / folder / (source.name + ".gz")).write_bytes(
                    gzip.compress(text.encode(), mtime=0))
    return target.parent


def save(workload: str) -> Path:
    with temp_root() as root:
        run = run_workload(workload, root)
        return keep_logs(run.session_dir, root, SAMPLES / workload, KEPT)


if __name__ == "__main__":
    for name in sys.argv[1:] or WORKLOADS:
        print("recorded", save(name).relative_to(REPO))
