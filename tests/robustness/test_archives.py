"""Compressed event files and archives: read like the plain capture, streamed, bounded.

Every case compares against the clean sample: the same events and graph when nothing is wrong,
and exact counts of what was refused, ignored or lost when something is."""

from __future__ import annotations

import gzip
import zlib
import io
import tarfile
from pathlib import Path

import pytest
import zstandard

from conftest import cli
from flowinsight.errors import InputTooLarge, UsageError
from flowinsight.read.limits import MAX_DECOMPRESSED_ENV, max_decompressed
from robust_support import (
    analyzed,
    copy_sample,
    export_dir,
    graph,
    ignored,
    normal_task,
    read,
    session_of,
    skipped,
    submitted,
)

def clean(tmp_path: Path) -> tuple[Path, int, tuple[object, ...]]:
    root = copy_sample(tmp_path)
    capture = read(root)
    return root, len(capture.events), graph(analyzed(capture))


def zst(data: bytes) -> bytes:
    return zstandard.ZstdCompressor().compress(data)


def tar_bytes(members: list[tarfile.TarInfo | tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for m in members:
            if isinstance(m, tarfile.TarInfo):
                tar.addfile(m)
            else:
                info = tarfile.TarInfo(m[0])
                info.size = len(m[1])
                tar.addfile(info, io.BytesIO(m[1]))
    return buffer.getvalue()


def tree_members(root: Path, prefix: str = "") -> list[tarfile.TarInfo | tuple[str, bytes]]:
    return [(prefix + p.relative_to(root).as_posix(), p.read_bytes())
            for p in sorted(root.rglob("*")) if p.is_file()]


def compress(data: bytes, kind: str) -> bytes:
    return {"tar": data, "tar.gz": gzip.compress(data), "tgz": gzip.compress(data),
            "tar.zst": zst(data)}[kind]


# --- compressed event files ---------------------------------------------------------------

def test_gzip_and_zstd_event_files_read_like_plain_ones(tmp_path: Path) -> None:
    root, events, expected = clean(tmp_path)
    for i, f in enumerate(sorted(export_dir(root).iterdir())):
        data = f.read_bytes()
        f.unlink()
        if i % 2:
            f.with_name(f.name + ".gz").write_bytes(gzip.compress(data))
        else:
            f.with_name(f.name + ".zst").write_bytes(zst(data))
    capture = read(root)
    assert (len(capture.events), skipped(capture)) == (events, {})
    assert graph(analyzed(capture)) == expected
    names = [f.path.rsplit("/", 1)[-1] for f in capture.files if "export_events" in f.path]
    assert len(names) == 12 and all(n.endswith((".log.gz", ".log.zst")) for n in names)


def test_rotated_members_compressed_are_found(tmp_path: Path) -> None:
    root, events, expected = clean(tmp_path)
    task_log = export_dir(root) / "event_EXPORT_TASK_5441.log"
    lines = task_log.read_bytes().splitlines(keepends=True)
    task_log.unlink()
    (export_dir(root) / "event_EXPORT_TASK_5441.2.log.zst").write_bytes(zst(b"".join(lines[:3])))
    (export_dir(root) / "event_EXPORT_TASK_5441.1.log.gz").write_bytes(
        gzip.compress(b"".join(lines[3:6])))
    (export_dir(root) / "event_EXPORT_TASK_5441.log").write_bytes(b"".join(lines[6:]))
    capture = read(root)
    assert (len(capture.events), skipped(capture)) == (events, {})
    assert graph(analyzed(capture)) == expected


def test_compression_is_told_by_content_not_name(tmp_path: Path) -> None:
    """A gzip file without .gz, and a plain file named .gz, are both read right."""
    root, events, expected = clean(tmp_path)
    a = export_dir(root) / "event_EXPORT_TASK_5441.log"
    a.write_bytes(gzip.compress(a.read_bytes()))
    b = export_dir(root) / "event_EXPORT_TASK_5442.log"
    b.rename(b.with_name(b.name + ".gz"))
    capture = read(root)
    assert (len(capture.events), skipped(capture)) == (events, {})
    assert graph(analyzed(capture)) == expected


def test_cut_off_gzip_file_is_reported_and_the_rest_used(tmp_path: Path) -> None:
    root, events, _ = clean(tmp_path)
    f = export_dir(root) / "event_EXPORT_TASK_5441.log"
    lines = len(f.read_bytes().splitlines())
    data = gzip.compress(f.read_bytes())
    f.unlink()
    cut = export_dir(root) / "event_EXPORT_TASK_5441.log.gz"
    cut.write_bytes(data[: len(data) // 2])
    # what zlib can decode of the half: its complete lines are used, the rest is lost
    before = zlib.decompressobj(31).decompress(data[: len(data) // 2])
    used = before.count(b"\n")
    assert 0 < used < lines and not before.endswith(b"\n")
    capture = read(root)
    assert (len(capture.events), skipped(capture)) == (
        events - lines + used, {"bad_compression": 1, "truncated": 1})
    assert [f.path for f in capture.files if f.truncated] == [
        f"nested_tasks/{session_of(root).name}/logs/export_events/event_EXPORT_TASK_5441.log.gz"]


def test_cut_off_zstd_file_keeps_its_complete_lines(tmp_path: Path) -> None:
    """zstd hands out whole blocks: the lines of the blocks before the cut are used, the cut
    is reported (zstandard's own reader would end quietly)."""
    root = tmp_path / "s" / "logs" / "events"
    lines = [submitted(normal_task(i), "NORMAL_TASK", f"m.f{i}") for i in range(1, 3001)]
    data = zst(b"\n".join(lines) + b"\n")
    (root / "event_CORE_WORKER_1.log.zst").parent.mkdir(parents=True)
    (root / "event_CORE_WORKER_1.log.zst").write_bytes(data[: len(data) * 3 // 4])
    capture = read(root.parent.parent)
    got = skipped(capture)
    assert got.pop("bad_compression") == 1
    assert got in ({}, {"truncated": 1})  # the cut may fall on a line boundary
    kept = len(capture.events)
    assert 0 < kept < 3000
    # exactly the first `kept` lines, none lost before the cut
    assert [e.task_id for e in capture.events] == [normal_task(i) for i in range(1, kept + 1)]


# --- archives ------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["tar", "tar.gz", "tgz", "tar.zst"])
@pytest.mark.parametrize("layout", ["capture", "session", "logs", "export_events"])
def test_archive_of_a_capture_reads_like_the_folder(tmp_path: Path, kind: str,
                                                    layout: str) -> None:
    root, events, expected = clean(tmp_path)
    top = {"capture": root, "session": session_of(root),
           "logs": session_of(root) / "logs", "export_events": export_dir(root)}[layout]
    prefix = "./" if layout == "export_events" else f"{top.name}/"
    archive = tmp_path / f"capture.{kind}"
    archive.write_bytes(compress(tar_bytes(tree_members(top, prefix)), kind))
    capture = read(archive)
    assert (len(capture.events), skipped(capture), ignored(capture)) == (events, {}, {})
    assert graph(analyzed(capture)) == expected
    assert all(f.path.startswith(f"capture.{kind}/") for f in capture.files)
    assert not list(tmp_path.glob("**/session_*/**/*.tmp"))  # nothing unpacked beside it


def test_an_archive_is_recognised_by_its_content(tmp_path: Path) -> None:
    root, events, expected = clean(tmp_path)
    archive = tmp_path / "capture.gz"
    archive.write_bytes(gzip.compress(tar_bytes(tree_members(root))))
    capture = read(archive)
    assert (len(capture.events), graph(analyzed(capture))) == (events, expected)


def test_unsafe_members_are_refused_and_reported(tmp_path: Path) -> None:
    """Absolute and `..` members hold valid events that would add nodes: they are refused,
    one warning each, and the graph is the clean one."""
    root, events, expected = clean(tmp_path)
    evil = submitted(normal_task(0xE1), "NORMAL_TASK", "evil.f") + b"\n"
    members = tree_members(root) + [
        ("/abs/logs/events/event_CORE_WORKER_1.log", evil),
        ("../logs/events/event_CORE_WORKER_2.log", evil),
        ("nested_tasks/../../logs/events/event_CORE_WORKER_3.log", evil),
        ("C:\\logs\\events\\event_CORE_WORKER_4.log", evil),
    ]
    archive = tmp_path / "capture.tar"
    archive.write_bytes(tar_bytes(members))
    capture = read(archive)
    assert (len(capture.events), skipped(capture)) == (events, {"unsafe_member": 4})
    assert graph(analyzed(capture)) == expected
    proc = cli("analyze", str(archive))
    err = proc.stderr.decode().splitlines()
    assert proc.returncode == 0
    assert sum("skipped (unsafe_member: member" in line for line in err) == 4
    assert any("'/abs/logs/events/event_CORE_WORKER_1.log' refused" in line for line in err)


def test_links_in_an_archive_are_ignored(tmp_path: Path) -> None:
    """A symlink (to a file of this machine) and a hard link (to a member, which would double
    its events) named like event files: neither is followed."""
    root, events, expected = clean(tmp_path)
    base = f"nested_tasks/{session_of(root).name}/logs/export_events/"
    sym = tarfile.TarInfo(base + "event_EXPORT_TASK_666.log")
    sym.type, sym.linkname = tarfile.SYMTYPE, "/etc/passwd"
    hard = tarfile.TarInfo(base + "event_EXPORT_TASK_667.log")
    hard.type, hard.linkname = tarfile.LNKTYPE, base + "event_EXPORT_TASK_5441.log"
    archive = tmp_path / "capture.tgz"
    archive.write_bytes(gzip.compress(tar_bytes(tree_members(root) + [sym, hard])))
    capture = read(archive)
    assert (len(capture.events), skipped(capture), ignored(capture)) == (events, {}, {"link": 2})
    assert graph(analyzed(capture)) == expected


def test_members_that_are_not_files_are_counted_unreadable(tmp_path: Path) -> None:
    """A device, a FIFO, a directory or a member of a type tar does not know, named like an
    event file: never read (as in a folder), and counted as a folder counts them. They were
    passed over unseen: nothing said the archive held them."""
    root, events, expected = clean(tmp_path)
    base = f"nested_tasks/{session_of(root).name}/logs/export_events/"
    odd = []
    for name, kind in (("CHR", tarfile.CHRTYPE), ("BLK", tarfile.BLKTYPE),
                       ("FIFO", tarfile.FIFOTYPE), ("DIR", tarfile.DIRTYPE), ("Z", b"Z")):
        member = tarfile.TarInfo(f"{base}event_EXPORT_TASK_{name}.log")
        member.type = kind
        odd.append(member)
    archive = tmp_path / "capture.tgz"
    archive.write_bytes(gzip.compress(tar_bytes(tree_members(root) + odd)))
    capture = read(archive)
    assert (len(capture.events), skipped(capture)) == (events, {"unreadable_file": 5})
    assert {ex.path.rsplit("_", 1)[1]: ex.detail for ex in capture.examples} == {
        "CHR.log": "is not a regular file", "BLK.log": "is not a regular file",
        "FIFO.log": "is not a regular file", "DIR.log": "is a directory",
        "Z.log": "is not a regular file"}
    assert graph(analyzed(capture)) == expected


def test_cut_off_archive_keeps_the_members_before_the_cut(tmp_path: Path) -> None:
    lines = [submitted(normal_task(i), "NORMAL_TASK", f"m.f{i}") for i in range(1, 31)]
    body = [b"\n".join(lines[i:i + 10]) + b"\n" for i in (0, 10, 20)]
    data = tar_bytes([(f"logs/events/event_CORE_WORKER_{i}.log", b) for i, b in enumerate(body)])
    third = data.rindex(body[2][:50])  # where the third member's content starts
    archive = tmp_path / "capture.tar"
    archive.write_bytes(data[: third + 100])
    capture = read(archive)
    # the 100 bytes of the third member: part of a line (counted), no whole one
    assert (len(capture.events), skipped(capture)) == (20, {"bad_archive": 1, "truncated": 1})
    assert [f.path for f in capture.files if f.truncated] == [
        "capture.tar/logs/events/event_CORE_WORKER_2.log"]


@pytest.mark.parametrize("kind", ["tar", "tar.gz", "tar.zst"])
def test_the_complete_lines_before_a_cut_in_a_member_are_used(tmp_path: Path,
                                                              kind: str) -> None:
    """A member of 3 MiB cut off at 2.5 MiB: every complete line before the cut is an event
    (tarfile's own member reader would drop its whole last read, up to a MiB of lines)."""
    lines = [submitted(normal_task(i), "NORMAL_TASK", f"m.f{i}") for i in range(1, 20001)]
    body = b"\n".join(lines) + b"\n"
    assert len(body) > 3 << 20
    data = tar_bytes([("logs/events/event_CORE_WORKER_1.log", body)])
    start = data.index(body[:50])
    cut = start + (5 << 19)  # 2.5 MiB into the member
    whole = body[:cut - start].count(b"\n")
    archive = tmp_path / f"capture.{kind}"
    packed = compress(data, kind)
    if kind == "tar":
        packed = packed[:cut]
    else:  # cut the compressed stream where it holds the first `cut` bytes, or a little more
        packed = packed[:len(packed) * cut // len(data)]
    archive.write_bytes(packed)
    capture = read(archive)
    kept = len(capture.events)
    if kind == "tar":
        assert kept == whole
    else:
        assert kept > (2 << 20) // len(lines[0])  # far more than the lines of 2 MiB
    assert [e.task_id for e in capture.events] == [normal_task(i) for i in range(1, kept + 1)]
    got = skipped(capture)
    assert got.pop("bad_archive") == 1 and got in ({}, {"truncated": 1})


def test_a_cut_between_members_is_reported(tmp_path: Path) -> None:
    one = submitted(normal_task(1), "NORMAL_TASK", "m.f") + b"\n"
    data = tar_bytes([(f"logs/events/event_CORE_WORKER_{i}.log", one * 4000) for i in (1, 2)])
    packed = gzip.compress(data)
    archive = tmp_path / "capture.tar.gz"
    archive.write_bytes(packed[:-5000])  # the end of the archive and of the gzip stream gone
    capture = read(archive)
    assert skipped(capture).get("bad_archive") == 1 or \
        skipped(capture).get("bad_compression") == 1


def test_oversized_extended_header_is_refused_before_it_is_read(tmp_path: Path) -> None:
    good = submitted(normal_task(1), "NORMAL_TASK", "m.f") + b"\n"
    huge = tarfile.TarInfo("logs/events/event_CORE_WORKER_2.log")
    huge.pax_headers = {"comment": "x" * (2 << 20)}
    data = tar_bytes([("logs/events/event_CORE_WORKER_1.log", good), huge])
    archive = tmp_path / "capture.tar"
    archive.write_bytes(data)
    capture = read(archive)
    assert (len(capture.events), skipped(capture)) == (1, {"bad_archive": 1})
    assert "an extended header of" in capture.examples[0].detail


@pytest.mark.parametrize("case", ["garbage", "empty", "no_events"])
def test_archives_that_cannot_be_used_are_a_one_line_error(tmp_path: Path, case: str) -> None:
    archive = tmp_path / "capture.tgz"
    one = submitted(normal_task(1), "NORMAL_TASK", "m.f") + b"\n"
    content = {
        "garbage": b"\x1f\x8bnot really gzip" * 10,
        "empty": b"",
        "no_events": gzip.compress(tar_bytes([("notes/readme.txt", b"hello")])),
    }[case]
    archive.write_bytes(content)
    message = {"garbage": "not a readable tar archive", "empty": "not a readable tar archive",
               "no_events": "no Ray event files found in the archive"}[case]
    with pytest.raises(UsageError, match=message):
        read(archive)
    proc = cli("analyze", str(archive))
    err = proc.stderr.decode().splitlines()
    assert (proc.returncode, len(err)) == (2, 1), err
    assert err[0].startswith("flowinsight: error: capture.tgz: ") and message in err[0]


def test_an_archive_of_two_sessions_is_refused_unless_merged(tmp_path: Path) -> None:
    """The sessions named inside an archive are checked with those of every other input once
    read (the reader itself reads them all: the command line refuses)."""
    archive = tmp_path / "capture.tgz"
    one = submitted(normal_task(1), "NORMAL_TASK", "m.f") + b"\n"
    archive.write_bytes(gzip.compress(tar_bytes([
        (f"session_2026-01-0{i}_00-00-00_000000_1/logs/events/event_GCS.log", one)
        for i in (1, 2)])))
    assert len(read(archive).files) == 2
    proc = cli("analyze", str(archive))
    err = proc.stderr.decode().splitlines()
    assert (proc.returncode, len(err)) == (2, 1), err
    assert err[0].startswith("flowinsight: error: the input holds 2 different Ray sessions: "
                             "session_2026-01-01_00-00-00_000000_1 (capture.tgz/session_2026-01-"
                             "01_00-00-00_000000_1/logs/events/event_GCS.log); ")
    assert cli("analyze", str(archive), "--merge-sessions").returncode == 0


# --- decompression bombs ------------------------------------------------------------------

def test_the_cap_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MAX_DECOMPRESSED_ENV, raising=False)
    assert max_decompressed() == 8 << 30
    for text, value in (("1000", 1000), ("64K", 64 << 10), ("3m", 3 << 20), ("2GiB", 2 << 30)):
        monkeypatch.setenv(MAX_DECOMPRESSED_ENV, text)
        assert max_decompressed() == value
    for bad in ("0", "-5", "lots", "1.5G"):
        monkeypatch.setenv(MAX_DECOMPRESSED_ENV, bad)
        with pytest.raises(UsageError, match=MAX_DECOMPRESSED_ENV):
            max_decompressed()


@pytest.mark.parametrize("kind", ["gz", "zst"])
def test_a_compressed_file_past_the_cap_stops_the_run(tmp_path: Path, kind: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    events = tmp_path / "logs" / "events"
    events.mkdir(parents=True)
    bomb = b"x" * (3 << 20)  # one 3 MiB line: a few kB compressed
    packed = gzip.compress(bomb) if kind == "gz" else zst(bomb)
    (events / f"event_GCS.log.{kind}").write_bytes(packed)
    (events / "event_RAYLET.log.gz").write_bytes(gzip.compress(b"y" * (1 << 20)))
    monkeypatch.setenv(MAX_DECOMPRESSED_ENV, "2M")
    with pytest.raises(InputTooLarge):
        read(tmp_path)
    proc = cli("analyze", str(tmp_path), env={MAX_DECOMPRESSED_ENV: "2M"})
    err = proc.stderr.decode().splitlines()
    assert (proc.returncode, len(err)) == (2, 1), err
    assert err[0] == (f"flowinsight: error: {tmp_path.name}/logs/events/event_GCS.log.{kind}: "
                      "decompresses to more than 2 MiB; refused as a possible decompression "
                      f"bomb (raise the cap with {MAX_DECOMPRESSED_ENV})")
    # under a cap it fits, the same input is read (its two lines skipped as cut off: and
    # then, not one Ray event in it, an error too)
    proc = cli("analyze", str(tmp_path), env={MAX_DECOMPRESSED_ENV: "4M"})
    assert proc.returncode == 2
    assert proc.stderr.decode().splitlines()[-2:] == [
        "flowinsight: skipped 2 line(s) in 2 file(s); every valid event was used",
        "flowinsight: error: no Ray event in the input: 2 file(s), 2 line(s), 2 truncated "
        "skipped"]


def test_an_archive_counts_all_its_members_against_one_cap(tmp_path: Path) -> None:
    """Three members of 1 MiB each (one of them gzip inside the tar), none over a 2 MiB cap
    alone: together they are, and the archive is named."""
    blank = b"x" * (1 << 20)
    data = tar_bytes([("logs/events/event_A.log", blank), ("junk/not_an_event.bin", blank),
                      ("logs/events/event_B.log.gz", gzip.compress(blank))])
    archive = tmp_path / "bomb.tar.gz"
    archive.write_bytes(gzip.compress(data))
    proc = cli("analyze", str(archive), env={MAX_DECOMPRESSED_ENV: "2M"})
    err = proc.stderr.decode().splitlines()
    assert (proc.returncode, len(err)) == (2, 1), err
    assert err[0].startswith("flowinsight: error: bomb.tar.gz: decompresses to more than 2 MiB")
    # under a cap it fits, read: not one Ray event in it, the one error left is that
    proc = cli("analyze", str(archive), env={MAX_DECOMPRESSED_ENV: "8M"})
    assert proc.returncode == 2
    assert proc.stderr.decode().splitlines()[-1].startswith(
        "flowinsight: error: no Ray event in the input: 2 file(s)")

