"""Inputs that were passed over or misread: a folder holding a session's archive, pzstd output
(a skippable frame first), file and member names with control characters or bytes that are not
UTF-8 (read, and shown escaped in every output)."""

from __future__ import annotations

import io
import os
import shutil
import struct
import tarfile
from pathlib import Path

import pytest
import zstandard

from conftest import sample, validated
from flowinsight.cli import main
from flowinsight.read.discover import shown
from robust_support import (
    analyzed,
    copy_sample,
    export_dir,
    graph,
    new_session,
    normal_task,
    read,
    skipped,
    submitted,
    write_lines,
)


def strings(value: object) -> set[str]:
    """Every string in a JSON document, keys and values."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*(strings(k) | strings(v) for k, v in value.items()), set())
    if isinstance(value, list):
        return set().union(*(strings(v) for v in value), set())
    return set()


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_folder_holding_a_session_archive_is_read(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    expected = read(sample("nested_tasks"))
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    shutil.make_archive(str(artifacts / "ray-logs"), "gztar", sample("nested_tasks"))
    (artifacts / "other.tar.gz").write_bytes(b"\x1f\x8b not a capture")  # passed over, counted
    (artifacts / "README.md").write_text("CI artifacts\n")
    capture = read(artifacts)
    assert len(capture.events) == len(expected.events)
    assert graph(analyzed(capture)) == graph(analyzed(expected))
    assert [dict(f.ignored) for f in capture.files if f.path.endswith("other.tar.gz")] == [
        {"archive_without_events": 1}]
    assert run(capsys, "analyze", str(artifacts), "-j", "1")[0] == 0


def skippable(payload: bytes, magic: int = 0x184D2A50) -> bytes:
    return struct.pack("<II", magic, len(payload)) + payload


@pytest.mark.parametrize("magic", [0x184D2A50, 0x184D2A5F])
def test_zstd_with_a_skippable_frame_first_is_read(tmp_path: Path, magic: int) -> None:
    """pzstd writes a skippable frame before each frame (the sizes, for parallel decoding)."""
    lines = [submitted(normal_task(i), "NORMAL_TASK", f"m.f{i}") for i in range(1, 101)]
    text = b"\n".join(lines) + b"\n"
    half = len(text) // 2
    packed = b"".join(skippable(b"\x00" * 4, magic) + zstandard.ZstdCompressor().compress(part)
                      for part in (text[:half], text[half:]))
    root = new_session(tmp_path)
    (root / "logs" / "events" / "event_CORE_WORKER_1.log.zst").write_bytes(packed)
    capture = read(root)
    assert (len(capture.events), skipped(capture)) == (100, {})


def test_real_pzstd_output_is_read(tmp_path: Path) -> None:
    pzstd = shutil.which("pzstd")
    if pzstd is None:
        pytest.skip("pzstd is not installed")
    root = new_session(tmp_path)
    plain = root / "logs" / "events" / "event_CORE_WORKER_1.log"
    write_lines(plain, [submitted(normal_task(i), "NORMAL_TASK", "m.f") for i in range(1, 51)])
    import subprocess

    subprocess.run([pzstd, "-q", "--rm", str(plain)], check=True)
    assert (plain.parent / "event_CORE_WORKER_1.log.zst").read_bytes()[:4] == b"\x50\x2a\x4d\x18"
    assert (len(read(root).events), skipped(read(root))) == (50, {})


def test_shown_escapes_what_is_not_printable() -> None:
    assert shown("event_GCS.log") == "event_GCS.log"
    assert shown("event_a\nb.log") == "event_a\\nb.log"
    assert shown(os.fsdecode(b"event_\xff.log")) == "event_\\xff.log"
    assert shown("a\x1b[31m\u202eb") == "a\\x1b[31m\\u202eb"


NAMES = {
    "newline": "event_CORE_WORKER_1\n.log",
    "not_utf8": os.fsdecode(b"event_CORE_WORKER_\xff\xfe.log"),
    "escape": "event_CORE_WORKER_\x1b[2J.log",
}


@pytest.mark.parametrize("case", sorted(NAMES))
def test_strange_file_names_are_read_and_shown_escaped(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str) -> None:
    root = new_session(tmp_path)
    name = NAMES[case]
    write_lines(root / "logs" / "events" / name,
                [submitted(normal_task(1), "NORMAL_TASK", "m.f"), b"{not json"])
    capture = read(root)
    assert (len(capture.events), skipped(capture)) == (1, {"not_json": 1})
    code, out, err = run(capsys, "export", str(root), "--format", "json", "-j", "1")
    assert code == 0
    doc = validated(out.encode())
    where = f"{root.name}/logs/events/{shown(name)}"
    assert where in strings(doc)
    assert f"flowinsight: {where}:2: skipped (not_json" in err
    assert "\n" not in shown(name) and shown(name).isprintable()


@pytest.mark.parametrize("case", sorted(NAMES))
def test_strange_member_names_are_read_and_shown_escaped(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str) -> None:
    body = submitted(normal_task(1), "NORMAL_TASK", "m.f") + b"\n{not json\n"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT,
                      encoding="utf-8", errors="surrogateescape") as tar:
        info = tarfile.TarInfo(f"logs/events/{NAMES[case]}")
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))
    archive = tmp_path / "capture.tar"
    archive.write_bytes(buffer.getvalue())
    code, out, err = run(capsys, "export", str(archive), "--format", "json", "-j", "1")
    assert code == 0
    where = f"capture.tar/logs/events/{shown(NAMES[case])}"
    assert where in strings(validated(out.encode()))
    assert f"flowinsight: {where}:2: skipped (not_json" in err


def test_a_session_folder_with_a_copy_of_its_own_archive_counts_each_event_once(
        tmp_path: Path) -> None:
    root = copy_sample(tmp_path)
    expected = read(root)
    shutil.make_archive(str(root / "backup"), "gztar", export_dir(root).parent.parent.parent)
    capture = read(root)
    assert len(capture.events) == len(expected.events)
    assert graph(analyzed(capture)) == graph(analyzed(expected))
