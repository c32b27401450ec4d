"""Where a command's output goes: a file written whole or not at all, never over an input, and
stdout. Every error a user can fix (a missing folder, a full disk, a read-only file) is a
UsageError naming the path and the reason, never an internal error."""

from __future__ import annotations

import errno
import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import Iterable, Sequence

from flowinsight.errors import UsageError
from flowinsight.read.discover import DEFAULT_SESSION, discover, is_archive_name, is_event_file


def refuse_overwrite(output: str | None, option: str, inputs: Sequence[str]) -> None:
    """Before anything is read: refuse an output that would write over an input (the paths
    given, the files found in them) or into a place where it would be read as one."""
    if output is None:
        return
    inputs = list(inputs) or [DEFAULT_SESSION]
    try:
        found = [s.path for s in discover(inputs, merge_sessions=True)]
    except UsageError:
        found = []  # no input there: the read says so
    refuse_read_files(output, option, [*map(Path, inputs), *found])
    refuse_inputs(output, option, inputs)


def refuse_inputs(output: str, option: str, inputs: Iterable[str]) -> None:
    """Refuse an output path that reading an input folder would take in (an event file or an
    archive in it): the next run would read the output. Also refuses, before any reading, an
    output whose folder does not exist or that names a directory."""
    target = Path(os.path.realpath(output))
    if target.is_dir():
        raise UsageError(f"{option} {output}: is a directory")
    if output.endswith(("/", os.sep)):  # realpath drops the slash: `out/` would become a file
        raise UsageError(f"{option} {output}: names a directory (it ends in {output[-1]!r}); "
                         "give a file name")
    if not target.parent.is_dir():
        raise UsageError(f"{option} {output}: cannot write there (no such directory: "
                         f"{target.parent})")
    for arg in inputs:
        source = Path(os.path.realpath(arg))
        if source.is_dir() and source in target.parents and (
                is_event_file(target.name) or is_archive_name(target.name)):
            raise UsageError(f"{option} {output}: is inside the input folder {arg}, where it "
                             "would be read as input; write it elsewhere")


def refuse_read_files(output: str, option: str, read: Iterable[Path]) -> None:
    """Refuse an output path that is one of the inputs or of the files found in them (by its
    real path: a link to an input is refused too)."""
    target = os.path.realpath(output)
    for path in read:
        if os.path.realpath(path) == target:
            raise UsageError(f"{option} {output}: is an input file ({path}); refusing to write "
                             "over it")


def write_file(output: str, option: str, data: bytes) -> None:
    """`data` into `output` whole, or nothing changed (see write_pieces)."""
    write_pieces(output, option, (data,))


def write_pieces(output: str, option: str, pieces: Iterable[bytes]) -> None:
    """The pieces, in order, into `output` whole, or nothing changed: written to a temporary
    file beside the target as they come (a renderer makes each after the one before is
    written: a big output is never held whole), then renamed over it. A special file
    (/dev/null, a FIFO) is written in place."""
    target = Path(os.path.realpath(output))  # a link's target, not the link, is replaced
    try:
        try:
            mode = target.stat().st_mode
        except FileNotFoundError:
            mode = None
        if mode is not None and not stat.S_ISREG(mode):
            with open(target, "wb") as special:
                special.writelines(pieces)
            return
        # os.access says yes to root even for a read-only file: its mode still says no
        if mode is not None and (not os.access(target, os.W_OK) or not mode & 0o222):
            raise PermissionError(errno.EACCES, "Permission denied (the file is read-only)")
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.writelines(pieces)
                out.flush()
                os.fchmod(out.fileno(), stat.S_IMODE(mode) if mode is not None
                          else 0o666 & ~_umask())
            os.replace(temp, target)
        except BaseException:
            try:
                os.unlink(temp)
            except OSError:
                pass
            raise
    except OSError as exc:
        raise UsageError(f"{option} {output}: cannot write ({exc.strerror or exc})") from exc


def write_stdout(pieces: Iterable[bytes]) -> None:
    """The pieces, in order, to stdout as they come (a failure while they are made leaves what
    was written before it). A closed pipe is lifetime.StdoutClosed (the command ends quietly,
    see lifetime.guard_stdout); any other error (a full disk behind a redirection) a
    UsageError."""
    try:
        sys.stdout.buffer.writelines(pieces)
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        raise  # (stdout not guarded: main() in a test) ends quietly all the same
    except OSError as exc:
        raise UsageError(f"stdout: cannot write ({exc.strerror or exc})") from exc


def emit(pieces: Iterable[bytes], output: str | None, option: str = "-o") -> None:
    """A renderer's pieces to the file `output` (see write_pieces), or to stdout."""
    if output is None:
        write_stdout(pieces)
    else:
        write_pieces(output, option, pieces)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
