"""A recorder that fails in every process must leave the job untouched, count its failures and
say so on stderr at exit (workloads/sabotaged_recorder.py)."""

from __future__ import annotations

import re

from .harness import WORKLOADS, base_env, recorder_lines, run_script, session_dir, temp_root


def test_a_broken_recorder_never_breaks_the_job() -> None:
    with temp_root() as root:
        done = run_script([str(WORKLOADS / "sabotaged_recorder.py")], root, base_env(root))
        assert done.returncode == 0, done.stderr[-6000:]
        assert "results ok" in done.stdout
        stats = re.search(r"internal_errors=(\d+)", done.stdout)
        assert stats and int(stats.group(1)) > 0
        assert re.search(r"flowinsight\.recorder: \d+ internal error\(s\)", done.stderr)
        session = session_dir(root)
        # the user's own setup hook ran after the recorder's in every worker: nothing written
        assert recorder_lines(session) == []
        # Ray ends workers without atexit: they report their first failure as it happens
        worker_reports = [p for p in (session / "logs").glob("worker-*.err")
                          if "flowinsight.recorder: 1 internal error(s) so far"
                          in p.read_text(errors="replace")]
        assert len(worker_reports) >= 2  # the task worker(s) and the actor
