"""The console script ends with os._exit once its output is out (flowinsight/cli/lifetime.py):
its output is whole and the same as a command that frees what it made, exit handlers still run,
and a reader that goes away early is no error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, cli, sample
from flowinsight.cli import main


@pytest.mark.parametrize("fmt", ["json", "trace", "table"])
def test_the_output_is_whole_and_the_same_as_when_everything_is_freed(
        fmt: str, tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes],
        scale_dir: Path) -> None:
    freed = tmp_path / f"freed.{fmt}"
    assert main(["export", str(scale_dir), "--format", fmt, "-o", str(freed), "-j", "2"]) == 0
    kept = cli("export", str(scale_dir), "--format", fmt, "-j", "2")
    assert kept.returncode == 0, kept.stderr
    assert kept.stdout == freed.read_bytes() and len(kept.stdout) > 5_000


def test_exit_handlers_still_run(tmp_path: Path) -> None:
    mark = tmp_path / "ran"
    code = ("import atexit, sys; from flowinsight.cli import run; "
            f"atexit.register(lambda: open({str(mark)!r}, 'w').write('ran')); "
            f"sys.argv = ['flowinsight', 'export', {str(sample('sage_pipeline'))!r}, "
            "'--format', 'json', '-o', '/dev/null']; run()")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True)
    assert done.returncode == 0, done.stderr
    assert mark.read_text() == "ran"


def test_the_exit_status_is_the_commands() -> None:
    assert cli("export", "/nonexistent/session").returncode == 2


def test_a_reader_that_stops_early_is_no_error(scale_dir: Path) -> None:
    script = (f"{sys.executable} -m flowinsight export {scale_dir} --format json -j 2 "
              "| head -c 100 > /dev/null; echo ${PIPESTATUS[0]}")
    done = subprocess.run(["bash", "-c", script], cwd=ROOT, capture_output=True)
    assert done.stdout.strip() == b"0" and b"Error" not in done.stderr, done.stderr
