"""What a capture folder can hold besides event files (links, loops, FIFOs, devices,
directories named like files), and what the command line says about it: one line per problem,
no traceback without --debug, and the documented exit codes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from conftest import ROOT, cli, sample
from flowinsight.cli import main
from flowinsight.errors import UsageError
from robust_support import (
    analyzed,
    cli_with_timeout,
    copy_sample,
    export_dir,
    graph,
    read,
    report,
    skipped,
)

EXIT_CODES = ("Exit codes: 0 ok, 1 a check failed, 2 usage or input error (or output that "
              "cannot be written), 3 internal error, 141 stdout closed by its reader.")


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, tuple[object, ...]]:
    capture = read(copy_sample(tmp_path_factory.mktemp("clean")))
    return len(capture.events), graph(analyzed(capture))


def details(capture: object) -> dict[str, str]:
    return {e.path.rsplit("/", 1)[-1]: f"{e.reason}: {e.detail}"
            for e in capture.examples}  # type: ignore[attr-defined]


def test_links_loops_fifos_devices_and_directories(
        tmp_path: Path, baseline: tuple[int, tuple[object, ...]]) -> None:
    root = copy_sample(tmp_path)
    ev = export_dir(root)
    (ev / "loop").symlink_to("..")  # a directory loop: not followed
    (ev.parent / "events" / "up").symlink_to("../..")
    (ev / "event_A.log").symlink_to("event_B.log")  # a file loop
    (ev / "event_B.log").symlink_to("event_A.log")
    (ev / "event_GONE.log").symlink_to("nowhere")  # dangling
    os.mkfifo(ev / "event_FIFO.log")  # opening it for reading would wait for a writer
    (ev / "event_DIR.log").mkdir()
    (ev / "event_ZERO.log").symlink_to("/dev/zero")  # would never end
    (ev / "event_ALIAS.log").symlink_to(ev / "event_EXPORT_TASK_5441.log")  # a real file
    capture = read(root)
    assert skipped(capture) == {"unreadable_file": 6}
    assert details(capture) == {
        "event_A.log": "unreadable_file: Too many levels of symbolic links",
        "event_B.log": "unreadable_file: Too many levels of symbolic links",
        "event_DIR.log": "unreadable_file: is a directory",
        "event_FIFO.log": "unreadable_file: is not a regular file",
        "event_GONE.log": "unreadable_file: No such file or directory",
        "event_ZERO.log": "unreadable_file: is not a regular file",
    }
    # the alias of a real file is the same file: read once
    assert (len(capture.events), graph(analyzed(capture))) == baseline
    assert not [f for f in capture.files if "event_ALIAS" in f.path]


def test_the_command_line_never_blocks_on_a_fifo(tmp_path: Path) -> None:
    root = copy_sample(tmp_path)
    os.mkfifo(export_dir(root) / "event_FIFO.log")
    proc = cli_with_timeout("export", str(root), "--format", "json", timeout=60)
    assert proc.returncode == 0
    err = proc.stderr.decode().splitlines()
    assert err[0].endswith("/logs/export_events/event_FIFO.log: skipped (unreadable_file: is "
                           "not a regular file)")
    assert err[-1] == ("flowinsight: skipped 0 line(s) and 1 unreadable file(s) or member(s), "
                       "in 1 file(s); every other event was used")


def test_a_file_that_cannot_be_opened_is_reported_and_the_rest_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What chmod 000 does for a user who is not root (root reads anyway), simulated."""
    import flowinsight.read.event_file as event_file

    real_open = event_file.open_regular
    locked = "event_EXPORT_TASK_5441.log"

    def open_regular(path: Path) -> object:
        if path.name == locked:
            raise PermissionError(13, "Permission denied")
        return real_open(path)

    monkeypatch.setattr(event_file, "open_regular", open_regular)
    root = copy_sample(tmp_path)
    clean = read(root)
    assert skipped(clean) == {"unreadable_file": 1}
    assert details(clean)[locked] == "unreadable_file: Permission denied"
    assert len(clean.events) == 86 - 12  # nested_tasks less that file's 12 events


def test_a_directory_that_cannot_be_listed_is_reported(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What chmod 000 on logs/export_events does for a user who is not root, simulated: the
    walk cannot list it; the events beside it are read and the directory is named."""
    real_scandir = os.scandir

    def scandir(path: str) -> object:
        if os.path.basename(path) == "export_events":
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    root = copy_sample(tmp_path)
    monkeypatch.setattr(os, "scandir", scandir)
    capture = read(root)
    assert (len(capture.events), skipped(capture)) == (0, {"unreadable_file": 1})
    assert [(e.path.split("/", 2)[-1], e.detail) for e in capture.examples] == [
        ("logs/export_events", "cannot be listed: Permission denied")]
    assert len(capture.files) == 13  # logs/events's 12 files and the directory
    monkeypatch.setattr(os, "scandir", lambda path: (_ for _ in ()).throw(
        PermissionError(13, "Permission denied", path)))
    with pytest.raises(UsageError, match=r"cannot be read \(Permission denied\)"):
        read(root)


@pytest.mark.parametrize("case", ["empty_dir", "missing", "loop", "only_other_files"])
def test_nothing_to_read_is_a_one_line_error(tmp_path: Path, case: str) -> None:
    target = tmp_path / "capture"
    if case == "empty_dir":
        target.mkdir()
    elif case == "loop":
        target.symlink_to(target)
    elif case == "only_other_files":
        (target / "logs" / "events").mkdir(parents=True)
        (target / "logs" / "events" / "raylet.out").write_text("not an event file")
    proc = cli("analyze", str(target))
    err = proc.stderr.decode().splitlines()
    assert (proc.returncode, proc.stdout, len(err)) == (2, b"", 1), err
    want = ("no such file or directory" if case in ("missing", "loop")
            else "no Ray event files found (looked for logs/events/event_*.log, "
                 "logs/export_events/event_*.log or logs/ray_events/events_*.ndjson, or an "
                 "archive (.tar, .tar.gz, .tgz, .tar.zst, .tzst) of them)")
    assert err[0] == f"flowinsight: error: {target}: {want}"


# --- exit codes, --strict, --debug --------------------------------------------------------

def test_exit_codes_are_documented_in_help_and_readme() -> None:
    proc = cli("--help")
    assert proc.returncode == 0
    assert EXIT_CODES in " ".join(proc.stdout.decode().split())
    readme = (ROOT / "README.md").read_text()
    for code, meaning in (("0", "success"), ("1", "a check failed"), ("2", "bad usage or input"),
                          ("3", "an internal error"), ("141", "stdout closed by its reader")):
        assert f"| {code} | {meaning}" in readme
    docs = (ROOT / "docs" / "robustness.md").read_text()
    assert all(f"| {code} |" in docs for code in ("0", "1", "2", "3", "141"))


def test_exit_1_is_a_failed_check_and_bad_input_stays_2(tmp_path: Path) -> None:
    nested = str(sample("nested_tasks"))
    assert cli("check", nested, "--require-edge", "main->parent").returncode == 0
    assert cli("check", nested, "--require-edge", "main->nothing").returncode == 1
    (tmp_path / "empty").mkdir()
    assert cli("check", str(tmp_path / "empty"), "--require-edge", "a->b").returncode == 2


def _with_bad_line(tmp_path: Path) -> Path:
    root = copy_sample(tmp_path)
    with open(export_dir(root) / "event_EXPORT_TASK_5441.log", "ab") as f:
        f.write(b"garbage\n")
    return root


def test_strict_turns_skipped_lines_into_exit_2(tmp_path: Path) -> None:
    root = _with_bad_line(tmp_path)
    relaxed = cli("export", str(root), "--format", "json")
    assert relaxed.returncode == 0 and relaxed.stdout.startswith(b"{")
    strict = cli("export", str(root), "--format", "json", "--strict")
    err = strict.stderr.decode().splitlines()
    assert (strict.returncode, strict.stdout) == (2, b"")
    assert "/logs/export_events/event_EXPORT_TASK_5441.log:13: skipped (not_json: " in err[0]
    assert err[-1] == "flowinsight: error: --strict: 1 line(s) could not be used"
    # a clean capture, and one with duplicates only, pass --strict
    clean = copy_sample(tmp_path / "clean")
    assert cli("analyze", str(clean), "--strict").returncode == 0
    shutil.copy(export_dir(clean) / "event_EXPORT_TASK_5441.log",
                export_dir(clean) / "event_EXPORT_TASK_5441.1.log")
    assert cli("analyze", str(clean), "--strict").returncode == 0


def test_strict_counts_an_unreadable_file(tmp_path: Path) -> None:
    root = copy_sample(tmp_path)
    (export_dir(root) / "event_GONE.log").symlink_to("nowhere")
    assert cli("analyze", str(root)).returncode == 0
    proc = cli("analyze", str(root), "--strict")
    assert proc.returncode == 2
    assert proc.stderr.decode().splitlines()[-1] == (
        "flowinsight: error: --strict: 1 line(s) could not be used")


def test_an_internal_error_is_one_line_and_exit_3(monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("flowinsight.library.analyze_partial", broken)
    assert main(["analyze", str(sample("nested_tasks"))]) == 3
    assert capsys.readouterr().err.splitlines() == [
        "flowinsight: internal error: RuntimeError: boom (run with --debug for the traceback)"]
    assert main(["--debug", "analyze", str(sample("nested_tasks"))]) == 3
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):") and "RuntimeError: boom" in err


def test_bad_input_never_shows_a_traceback(tmp_path: Path) -> None:
    garbage = tmp_path / "capture.tgz"
    garbage.write_bytes(b"\x1f\x8b" + os.urandom(200))
    (tmp_path / "empty").mkdir()
    runs = [
        cli("analyze", str(garbage)),
        cli("analyze", str(tmp_path / "empty")),
        cli("analyze", str(sample("nested_tasks")), env={"FLOWINSIGHT_MAX_DECOMPRESSED": "x"}),
        cli("export", str(sample("nested_tasks")), "--format", "nope"),
    ]
    for proc in runs:
        err = proc.stderr.decode()
        assert proc.returncode == 2, err
        assert "Traceback" not in err
    assert [len(p.stderr.decode().splitlines()) for p in runs[:3]] == [1, 1, 1]
