"""A tar (plain, gzip or zstd) of a session or of a logs folder, read as it streams: members are
parsed straight from the archive, nothing is written to disk.

Members with an absolute path or `..` are refused with a warning, links are ignored (they could
name any file of this machine), and only regular files named like event files, in an events
directory or at the top of the archive, are read (a device, a FIFO or a directory so named is
counted unreadable, as in a folder). Every decompressed byte, of the archive and of
compressed members, counts against one Budget.
"""

from __future__ import annotations

import dataclasses
import io
import re
import tarfile
from typing import Any, Iterator, Self, cast

from flowinsight.errors import UsageError
from flowinsight.model.capture import FileReport, Skipped
from flowinsight.read.discover import EVENT_DIRS, LOOKED_FOR, Source, is_event_file, shown
from flowinsight.read.event_file import FileResult, file_problem, read_stream
from flowinsight.read.limits import Budget
from flowinsight.read.opener import DECOMPRESS_ERRORS, decompressed, open_regular

# pax and GNU long-name headers are read into memory whole: a real one is a few hundred bytes.
MAX_HEADER_BYTES = 1 << 20
_EXTENDED_HEADERS = frozenset({tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE,
                               tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK})
_SEPARATORS = re.compile(r"[\\/]")


class _GuardedTarInfo(tarfile.TarInfo):
    """Refuses an extended header too large to hold, before tarfile reads it."""

    @classmethod
    def frombuf(cls, buf: bytes | bytearray, encoding: str, errors: str) -> Self:
        info = super().frombuf(buf, encoding, errors)
        if info.type in _EXTENDED_HEADERS and info.size > MAX_HEADER_BYTES:
            raise tarfile.ReadError(f"an extended header of {info.size} bytes")
        return info


def is_unsafe_name(name: str) -> bool:
    """Absolute (POSIX or Windows) or climbing out with `..`."""
    return (name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) is not None
            or ".." in _SEPARATORS.split(name))


def read_archive(source: Source) -> Iterator[FileResult]:
    """Each member's result as soon as it is read (an archive of a million members is never
    held whole), then the archive's own account, if it has one."""
    budget = Budget(source.display)
    results = 0
    problems: list[Skipped] = []
    refused = links = special = 0
    damaged = ""
    try:
        with open_regular(source.path) as raw:
            stream = decompressed(raw, budget)
            with tarfile.open(fileobj=stream, mode="r|", tarinfo=_GuardedTarInfo) as tar:
                while (member := tar.next()) is not None:
                    # stream mode keeps every header read (an undocumented list): a bomb of
                    # tiny members would fill memory
                    getattr(tar, "members").clear()
                    if is_unsafe_name(member.name):
                        refused += 1
                        problems.append(Skipped(source.display, 0, "unsafe_member",
                                                f"member {shown(member.name[:200])!r} refused: "
                                                "absolute path or '..'"))
                        continue
                    if member.issym() or member.islnk():
                        links += 1
                        continue
                    # (as PurePosixPath(name).parts, without its cost per member: an archive
                    # may hold a million)
                    parts = [p for p in member.name.split("/") if p and p != "."]
                    if not _is_event_member(parts):
                        continue
                    display = f"{source.display}/{'/'.join(shown(part) for part in parts)}"
                    if not member.isfile():  # a device, a FIFO, a directory: as in a folder,
                        special += 1  # never read, and said (it was passed over unseen)
                        problems.append(Skipped(display, 0, "unreadable_file", "is a directory"
                                                if member.isdir() else "is not a regular file"))
                        continue
                    results += 1
                    if not member.size:  # nothing to read: what read_stream would say
                        yield FileResult([], [], FileReport(
                            path=display, lines=0, events=0, skipped=(), ignored=(),
                            truncated=False), [])
                        continue
                    if member.issparse():  # (tarfile maps its holes)
                        content = cast(io.BufferedReader, tar.extractfile(member))
                        result = read_stream(content, display, budget)
                    else:
                        data = _Member(tar, member.size)
                        result = read_stream(io.BufferedReader(data), display, budget)
                        if data.cut:
                            result = _cut_off(result, display)
                    yield result
                    if any(reason == "bad_archive" for reason, _ in result.report.skipped):
                        break  # the archive itself is cut off or damaged: nothing follows
                else:
                    if (error := getattr(stream, "error", None)) is not None:
                        raise error  # cut between members: tarfile took it for the end
    except DECOMPRESS_ERRORS as exc:
        damaged = str(exc) or type(exc).__name__
    except tarfile.TarError as exc:
        damaged = str(exc) or type(exc).__name__
    except OSError as exc:
        yield file_problem(source.display, "unreadable_file", exc.strerror or str(exc))
        return
    # The sessions of the members (in their paths) are checked with those of every other
    # file, once all are read: discover.archive_sessions.
    if not results and not refused and not special:
        if source.searched:  # found in a folder: another kind of archive, passed over (counted)
            report = FileReport(path=source.display, lines=0, events=0, skipped=(),
                                ignored=(("archive_without_events", 1),), truncated=False)
            yield FileResult([], [], report, [])
            return
        if damaged:
            raise UsageError(f"{source.display}: not a readable tar archive ({damaged})")
        raise UsageError(f"{source.display}: no Ray event files found in the archive "
                         f"(looked for {LOOKED_FOR})")
    if damaged:
        problems.append(Skipped(source.display, 0, "bad_archive", damaged[:200]))
    if problems or links:
        yield _archive_report(source.display, refused, links, special, problems, damaged)


class _Member(io.RawIOBase):
    """The content of the member at the archive's current position, straight from the
    decompressed stream (tarfile's own reader drops its last read when the archive is cut off
    in the member: here every byte before the cut comes out, then the end, and `cut` says
    so)."""

    def __init__(self, tar: tarfile.TarFile, size: int) -> None:
        super().__init__()
        self._stream = cast(io.BufferedReader, tar.fileobj)
        self._left = size
        self.cut = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        want = min(len(buffer), self._left)
        if want <= 0 or self.cut:
            return 0
        data = self._stream.read(want)
        if len(data) < want:
            self.cut = True
        self._left -= len(data)
        buffer[:len(data)] = data
        return len(data)


def _cut_off(result: FileResult, display: str) -> FileResult:
    """A member's result, with the archive's end inside it counted (bad_archive)."""
    report = result.report
    skipped = dict(report.skipped)
    skipped["bad_archive"] = skipped.get("bad_archive", 0) + 1
    problem = Skipped(display, 0, "bad_archive",
                      f"after line {report.lines}: the archive ends inside this member")
    return dataclasses.replace(result, report=dataclasses.replace(
        report, skipped=tuple(sorted(skipped.items())), truncated=True),
        examples=[*result.examples, problem])


def _is_event_member(parts: list[str]) -> bool:
    return bool(parts) and is_event_file(parts[-1]) and (
        len(parts) == 1 or parts[-2] in EVENT_DIRS)


def _archive_report(display: str, refused: int, links: int, special: int,
                    problems: list[Skipped], damaged: str) -> FileResult:
    """The archive's own account: members refused, ignored or not files, damage found between
    members."""
    skipped = [("unsafe_member", refused)] if refused else []
    if special:
        skipped.append(("unreadable_file", special))
    if damaged:
        skipped.append(("bad_archive", 1))
    report = FileReport(path=display, lines=0, events=0, skipped=tuple(sorted(skipped)),
                        ignored=(("link", links),) if links else (), truncated=bool(damaged))
    return FileResult([], [], report, problems)
