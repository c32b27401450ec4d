"""`python -m flowinsight.recorder run SCRIPT`: an unmodified driver, recorded from outside."""

from __future__ import annotations

from .harness import WORKLOADS, base_env, by_label, check_envelopes, run_script, session_dir, temp_root


def test_run_command_records_driver_and_workers() -> None:
    with temp_root() as root:
        done = run_script(["-m", "flowinsight.recorder", "run", str(WORKLOADS / "tiny.py")],
                          root, base_env(root))
        assert done.returncode == 0, done.stderr[-4000:]
        lines = check_envelopes(session_dir(root))
        (submitted,) = by_label(lines, "task_submitted")
        # named as Ray names it for `python tiny.py`: after the script
        assert "module_name=tiny," in submitted["descriptor"]
        puts = by_label(lines, "object_put")
        assert sorted(p["kind"] for p in puts) == ["arg", "return"]
        assert all(5000 <= p["size_bytes"] <= 5100 for p in puts)
        assert len({line.file_pid for line in lines}) == 2  # the driver and one worker
