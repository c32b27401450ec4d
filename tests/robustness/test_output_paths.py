"""Where output goes: never over an input, whole or not at all, the format from known
extensions only, every error a user can fix exit 2 with the path and the reason, and a closed
stdout the same quiet end (141) in every command and format."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, sample
from flowinsight.cli import main
from flowinsight.cli.output import write_file
from flowinsight.errors import UsageError
from robust_support import copy_sample, events_dir

NESTED = str(sample("nested_tasks"))


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def digest(root: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        h.update(str(path).encode())
        if path.is_file():
            h.update(path.read_bytes())
    return h.hexdigest()


def test_output_over_an_input_file_is_refused(capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path) -> None:
    root = copy_sample(tmp_path)
    before = digest(root)
    gcs = events_dir(root) / "event_GCS.log"
    link = tmp_path / "graph.json"
    link.symlink_to(gcs)
    archive = shutil.make_archive(str(tmp_path / "capture"), "gztar", root)
    cases = [
        ("export", str(root), "-f", "json", "-o", str(gcs)),  # a file found in the folder
        ("export", str(gcs), "-f", "json", "-o", str(gcs)),  # the file given
        ("export", str(root), "-o", str(link)),  # a link to an input file
        ("export", archive, "-f", "json", "-o", archive),  # the archive given
        ("diff", str(root), NESTED, "-o", str(gcs)),
        ("check", str(root), "--max-failures", "9", "--junit", str(gcs)),
        ("check", NESTED, "--baseline", str(link), "--allow-new-nodes", "--junit", str(gcs)),
    ]
    for args in cases:
        code, out, err = run(capsys, *args)
        assert (code, out) == (2, ""), args
        assert "is an input file" in err and "refusing to write over it" in err, args
    # a file the next read of the folder would take for input
    new = events_dir(root) / "event_NEW.log"
    code, _, err = run(capsys, "export", str(root), "-f", "json", "-o", str(new))
    assert code == 2 and "is inside the input folder" in err and not new.exists()
    assert digest(root) == before
    # beside the inputs, under another name: fine
    code, _, _ = run(capsys, "export", str(root), "-o", str(root / "graph.json"))
    assert code == 0 and (root / "graph.json").stat().st_size > 0


def test_the_format_comes_from_known_extensions_only(capsys: pytest.CaptureFixture[str],
                                                     tmp_path: Path) -> None:
    for name in ("graph.eps", "graph.svgz", "graph.jpeg"):
        code, _, err = run(capsys, "export", NESTED, "-o", str(tmp_path / name))
        assert code == 2 and not (tmp_path / name).exists()
        suffix = name.rsplit(".", 1)[1]
        assert err.startswith(f"flowinsight: error: -o {tmp_path / name}: no format is written "
                              f"to '.{suffix}' files; give --format, or a name ending in .dot, ")
    # --format decides a name of no format or of another text format; one naming an image or
    # document of another format is refused (SVG text in a .pdf opens nowhere); no extension: json
    assert run(capsys, "export", NESTED, "-f", "svg", "-o", str(tmp_path / "g.pdf"))[0] == 2
    assert not (tmp_path / "g.pdf").exists()
    assert run(capsys, "export", NESTED, "-f", "svg", "-o", str(tmp_path / "g.txt"))[0] == 0
    assert (tmp_path / "g.txt").read_bytes().startswith(b"<?xml")
    # .pdf is a format of its own (Graphviz draws it), never JSON under that name
    assert run(capsys, "export", NESTED, "-o", str(tmp_path / "graph.pdf"))[0] == 0
    assert (tmp_path / "graph.pdf").read_bytes().startswith(b"%PDF-")
    assert run(capsys, "export", NESTED, "-o", str(tmp_path / "plain"))[0] == 0
    assert (tmp_path / "plain").read_bytes().startswith(b"{")


def test_output_errors_are_usage_errors_with_path_and_reason(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "x.json"
    cases = {
        ("export", NESTED, "-o", str(missing)): f"-o {missing}: cannot write there (no such "
                                                f"directory: {missing.parent})",
        ("export", NESTED, "-o", "/dev/full"): "-o /dev/full: cannot write (No space left on "
                                               "device)",
        ("diff", NESTED, NESTED, "-o", "/dev/full"): "-o /dev/full: cannot write (No space "
                                                     "left on device)",
        ("check", NESTED, "--max-failures", "9", "--junit", str(missing)):
            f"--junit {missing}: cannot write there (no such directory: {missing.parent})",
        ("check", NESTED, "--max-failures", "9", "--junit", "/dev/full"):
            "--junit /dev/full: cannot write (No space left on device)",
    }
    for args, message in cases.items():
        code, _, err = run(capsys, *args)
        assert (code, err) == (2, f"flowinsight: error: {message}\n"), args
    code, _, err = run(capsys, "export", NESTED, "-o", str(tmp_path))  # click says so
    assert code == 2 and "is a directory" in err


def test_an_output_named_as_a_directory_is_refused(capsys: pytest.CaptureFixture[str],
                                                   tmp_path: Path) -> None:
    """`-o out/` asks for a folder: it was written as a file named `out`."""
    folder = f"{tmp_path / 'out'}/"
    for args, option in ((("export", NESTED, "-o", folder), "-o"),
                         (("diff", NESTED, NESTED, "-o", folder), "-o"),
                         (("check", NESTED, "--max-failures", "9", "--junit", folder),
                          "--junit")):
        code, out, err = run(capsys, *args)
        assert (code, out, err) == (2, "", f"flowinsight: error: {option} {folder}: names a "
                                           "directory (it ends in '/'); give a file name\n")
    assert list(tmp_path.iterdir()) == []


def test_a_read_only_file_is_not_replaced(capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path) -> None:
    target = tmp_path / "graph.json"
    target.write_bytes(b"keep me")
    target.chmod(0o444)
    code, _, err = run(capsys, "export", NESTED, "-f", "json", "-o", str(target))
    assert code == 2 and "cannot write (Permission denied" in err
    assert target.read_bytes() == b"keep me"


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "graph.json"
    target.write_bytes(b"old")
    real_replace = os.replace

    def full_disk(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(UsageError, match="No space left on device"):
        write_file(str(target), "-o", b"new" * 1000)
    monkeypatch.setattr(os, "replace", real_replace)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.json"]
    target.chmod(0o640)
    write_file(str(target), "-o", b"new")  # replaced, its mode kept
    assert target.read_bytes() == b"new" and target.stat().st_mode & 0o777 == 0o640
    fresh = tmp_path / "fresh.json"
    write_file(str(fresh), "-o", b"{}")  # a new file: the umask's mode, not mkstemp's 0600
    mask = os.umask(0)
    os.umask(mask)
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~mask


def test_stdout_to_a_full_disk_is_exit_2(tmp_path: Path) -> None:
    for args in (["analyze"], ["export"], ["export", "-f", "table"], ["check", "--max-failures",
                                                                      "9"]):
        with open("/dev/full", "wb") as full:
            proc = subprocess.run([sys.executable, "-m", "flowinsight", args[0], NESTED, *args[1:],
                                   "-j", "1"] if args[0] != "check" else
                                  [sys.executable, "-m", "flowinsight", args[0], NESTED,
                                   *args[1:]], stdout=full, stderr=subprocess.PIPE, cwd=ROOT,
                                  check=False, timeout=120)
        assert proc.returncode == 2, args
        assert proc.stderr == b"flowinsight: error: stdout: cannot write (No space left on " \
                              b"device)\n", args


@pytest.mark.parametrize("args", [
    ["analyze", NESTED], ["export", NESTED], ["export", NESTED, "-f", "table"],
    ["export", NESTED, "-f", "svg"], ["export", NESTED, "-f", "dot"],
    ["export", NESTED, "-f", "trace"], ["export", NESTED, "-f", "mermaid"],
    ["export", NESTED, "-f", "markdown"], ["check", NESTED, "--max-failures", "0"],
    ["check", NESTED, "--forbid-edge", "*->*"], ["diff", NESTED, NESTED],
    ["diff", NESTED, NESTED, "-f", "json"], ["--help"],
])
def test_a_closed_stdout_ends_quietly_with_141(args: list[str]) -> None:
    """The reader went away before the first byte (`| head -0`): every command ends with 141,
    nothing on stderr; never 1 (a check failed) nor 0 (`check | head` must not pass)."""
    read, write = os.pipe()
    os.close(read)
    try:
        proc = subprocess.run([sys.executable, "-m", "flowinsight", *args], stdout=write,
                              stderr=subprocess.PIPE, cwd=ROOT, check=False, timeout=120,
                              env={**os.environ, "COLUMNS": "120"})
    finally:
        os.close(write)
    assert (proc.returncode, proc.stderr) == (141, b""), args
