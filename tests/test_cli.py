"""The real command line, through `flowinsight` and `python -m flowinsight`."""

from __future__ import annotations

import io
import sys
import threading
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import click
import pytest

from conftest import ROOT, calls_by_label, cli, sample, validated
from flowinsight import __version__

SAGE = str(sample("sage_pipeline").relative_to(ROOT))
ENTRIES = ["module", "script"]


@pytest.mark.parametrize("entry", ENTRIES)
def test_export_json_to_stdout(entry: str) -> None:
    proc = cli("export", SAGE, "--format", "json", entry=entry)
    assert proc.returncode == 0, proc.stderr
    doc = validated(proc.stdout)
    assert calls_by_label(doc)[("source.put_packet", "map_0.put_packet")] == 40


@pytest.mark.parametrize("entry", ENTRIES)
def test_analyze_prints_summary_and_tables(entry: str) -> None:
    proc = cli("analyze", SAGE, entry=entry)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode()
    for expected in ("job 01000000", "216 task records", "Nodes", "Call flows",
                     "RayTask 'source'.put_packet", "Data flows: none recorded"):
        assert expected in out


def test_format_from_output_name(tmp_path: Path) -> None:
    svg = tmp_path / "graph.svg"
    proc = cli("export", SAGE, "-o", str(svg))
    assert proc.returncode == 0, proc.stderr
    ET.fromstring(svg.read_bytes())
    dot = tmp_path / "graph.gv"
    assert cli("export", SAGE, "-o", str(dot)).returncode == 0
    assert dot.read_text().startswith("digraph flowinsight {")


def test_dash_output_is_stdout(tmp_path: Path) -> None:
    """`-o -` writes to stdout, as without -o, and makes no file named `-`."""
    sage = str(sample("sage_pipeline"))
    plain = cli("export", sage, "--format", "dot", cwd=tmp_path)
    dashed = cli("export", sage, "--format", "dot", "-o", "-", cwd=tmp_path)
    assert dashed.returncode == 0, dashed.stderr
    assert dashed.stdout == plain.stdout and dashed.stdout.startswith(b"digraph flowinsight {")
    table = cli("diff", sage, sage, "-o", "-", cwd=tmp_path)
    assert table.returncode == 0 and b"no changes" in table.stdout
    assert list(tmp_path.iterdir()) == []


def test_default_format_is_json_and_output_is_identical_across_runs() -> None:
    first = cli("export", SAGE)
    second = cli("export", SAGE, "--format", "json")
    assert first.returncode == 0 and first.stdout == second.stdout
    validated(first.stdout)


def test_missing_input_is_one_line_exit_2(tmp_path: Path) -> None:
    proc = cli("export", str(tmp_path / "nope"))
    assert proc.returncode == 2
    assert proc.stderr.decode() == f"flowinsight: error: {tmp_path / 'nope'}: no such file or directory\n"
    empty = cli("analyze", str(tmp_path))
    assert empty.returncode == 2
    assert "no Ray event files found" in empty.stderr.decode()
    assert len(empty.stderr.decode().splitlines()) == 1


def test_bad_option_is_exit_2() -> None:
    proc = cli("export", SAGE, "--format", "nope")
    assert proc.returncode == 2
    assert "Invalid value for '-f' / '--format'" in proc.stderr.decode()
    for args in (("export", "--top", "-3"), ("analyze", "--top", "-1"),
                 ("export", "--max-nodes", "-1", "--format", "dot")):
        proc = cli(args[0], SAGE, *args[1:])
        assert proc.returncode == 2 and proc.stdout == b""
        assert f"Invalid value for '{args[1]}': {args[2]} is not in the range x>=0." \
            in proc.stderr.decode()


def test_skipped_lines_are_reported_and_strict_fails() -> None:
    seed = "tests/data/seed_session"
    proc = cli("export", seed)
    assert proc.returncode == 0
    err = proc.stderr.decode().splitlines()
    assert err[-1] == "flowinsight: skipped 2 line(s) in 2 file(s); every valid event was used"
    assert any("event_CORE_WORKER_100.log:4: skipped (not_json" in line for line in err)
    assert any("event_CORE_WORKER_200.log:7: skipped (truncated" in line for line in err)
    strict = cli("export", seed, "--strict")
    assert strict.returncode == 2
    assert strict.stderr.decode().splitlines()[-1] == (
        "flowinsight: error: --strict: 2 line(s) could not be used")


def test_binary_format_to_a_terminal_is_refused() -> None:
    import os
    import pty
    import subprocess
    import sys

    leader, follower = pty.openpty()
    proc = subprocess.run([sys.executable, "-m", "flowinsight", "export", SAGE, "--format", "png"],
                          stdout=follower, stderr=subprocess.PIPE, cwd=ROOT, check=False)
    os.close(follower)
    os.close(leader)
    assert proc.returncode == 2
    assert b"is binary: give -o FILE" in proc.stderr


def test_version() -> None:
    for entry in ENTRIES:
        proc = cli("--version", entry=entry)
        assert proc.stdout.decode().strip() == f"flowinsight, version {__version__}"


@pytest.mark.parametrize("command", ["analyze", "export"])
def test_every_command_has_help_with_an_example(command: str) -> None:
    proc = cli(command, "--help")
    assert proc.returncode == 0
    text = proc.stdout.decode()
    assert "Examples:" in text and f"flowinsight {command} " in text


def test_main_help_documents_exit_codes() -> None:
    text = cli("--help").stdout.decode()
    assert "Exit codes: 0 ok, 1 a check failed, 2 usage or input error" in " ".join(text.split())


def test_every_registered_command_is_in_readme() -> None:
    from flowinsight.cli import cli as group

    readme = (ROOT / "README.md").read_text()
    names = group.list_commands(click.Context(group))
    assert names == ["analyze", "check", "collect", "diff", "export"]
    for name in names:
        assert f"flowinsight {name}" in readme, name


class _Terminal(io.StringIO):
    """stderr as a terminal, for rich."""

    def isatty(self) -> bool:
        return True


def test_a_long_run_on_a_terminal_shows_the_read_then_the_analysis(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The progress bar of bytes read, then a spinner naming the task records analysed: on a
    terminal only, for inputs above ReadProgress.BIG_INPUT (lowered here to take a sample)."""
    from flowinsight import library
    from flowinsight.cli import common

    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setattr(common.ReadProgress, "BIG_INPUT", 0)
    shown_before_analysis: list[str] = []
    analyze = library.analyze_partial

    def spy(*args: Any, **kwargs: Any) -> Any:
        shown_before_analysis.append(terminal.getvalue())
        return analyze(*args, **kwargs)

    monkeypatch.setattr(library, "analyze_partial", spy)
    result = common.load((str(sample("sage_pipeline")),), jobs=1)
    assert result.tasks == 216
    assert "reading" in shown_before_analysis[0]
    assert "analysing" not in shown_before_analysis[0]
    assert "analysing 216 task records" in terminal.getvalue()


def test_the_progress_bar_runs_no_thread_the_read_would_fork_beside(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # the read forks its workers only where no other thread runs (read/forked.py): the bar
    # shown before it is redrawn by the read itself
    from flowinsight.cli import common

    monkeypatch.setattr(sys, "stderr", _Terminal())
    before = threading.active_count()
    with common.ReadProgress() as progress:
        progress.begin(common.ReadProgress.BIG_INPUT)
        progress.advance(1 << 20)
        assert threading.active_count() == before
    assert "reading" in sys.stderr.getvalue()


def test_no_progress_when_stderr_is_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from flowinsight.cli import common

    quiet = io.StringIO()
    monkeypatch.setattr(sys, "stderr", quiet)
    monkeypatch.setattr(common.ReadProgress, "BIG_INPUT", 0)
    assert common.load((str(sample("sage_pipeline")),), jobs=1).tasks == 216
    assert quiet.getvalue() == ""
