"""The console script ends with os._exit once its output is out (flowinsight/cli/lifetime.py):
its output is whole and the same as a command that frees what it made, exit handlers still run,
and a reader that goes away early is no error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT, cli, sample
from flowinsight import library
from flowinsight.cli import lifetime, main


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


@pytest.mark.parametrize(("args", "consumed"), [
    (["export", "--format", "json"], [False]),
    (["export", "--format", "svg"], [False]),
    (["export", "--format", "trace"], [True]),  # its render needs the records' memory
    (["analyze"], [False]),
])
def test_records_are_kept_to_the_end_only_where_little_comes_after(
        args: list[str], consumed: list[bool], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    seen = _consume_flags(monkeypatch)
    out = ["-o", str(tmp_path / "out")] if args[0] == "export" else []
    assert main([*args, str(sample("sage_pipeline")), *out, "-j", "1"]) == 0
    assert seen == consumed


def test_a_diff_lets_each_captures_records_go(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _consume_flags(monkeypatch)
    assert main(["diff", str(sample("sage_pipeline")), str(sample("nested_tasks"))]) in (0, 1)
    assert seen == [True, True]


def _consume_flags(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Make this process end as the console script would (lifetime.end_with_exit, without
    leaving), and record each analysis's `consume`."""
    monkeypatch.setattr(lifetime, "_ending", True)
    monkeypatch.setattr(lifetime, "_kept", [])
    monkeypatch.setattr(lifetime.gc, "freeze", lambda: None)
    seen: list[bool] = []
    real = library.analyze_partial

    def spy(*args: Any, consume: bool = False, **kwargs: Any) -> Any:
        seen.append(consume)
        return real(*args, consume=consume, **kwargs)

    monkeypatch.setattr(library, "analyze_partial", spy)
    return seen
