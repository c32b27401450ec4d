"""How the console script ends: once its output is flushed and the exit handlers have run, with
os._exit, so that what a command made is not freed object by object first (half a million task
records on 1 GB of logs took 0.1-0.2 s to free, for a process about to end). The records are
then kept by the analysis instead of let go as it sweeps them (`load`), and set aside from the
cycle collector (gc.freeze) so that no collection walks them meanwhile.

Only the console script (`run`) ends this way: `main()` called in a process that goes on
(tests, embedding) frees what it made as usual.
"""

from __future__ import annotations

import atexit
import gc
import io
import os
import sys
from contextlib import contextmanager
from typing import Any, BinaryIO, Iterator

from flowinsight.errors import UsageError

_ending = False
_kept: list[object] = []


def end_with_exit() -> None:
    """From now on, keep what commands make until the process ends (leave)."""
    global _ending
    _ending = True


def keeping() -> bool:
    return _ending


def keep(*made: object) -> None:
    """Keep these until the process ends, out of the cycle collector's sight."""
    if _ending:
        _kept.extend(made)
        gc.freeze()


def leave(code: int) -> None:
    """End the process with this status, its output flushed and exit handlers run (Ray's
    shutdown, say), without freeing anything first."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe, or a closed stream: nothing to lose
            pass
    atexit._run_exitfuncs()
    os._exit(code)


class StdoutClosed(Exception):
    """The reader of stdout went away (`| head`). Not an OSError: no handler of write errors
    takes it for one, and rich (which exits 1 on a BrokenPipeError) lets it through."""


# A closed stdout ends every command with this status: what a process killed by SIGPIPE
# reports in a shell. Not 0: `check ... | head` under `set -o pipefail` must not pass unseen;
# not 1: nothing was checked.
EXIT_STDOUT_CLOSED = 141


class _Guarded(io.RawIOBase):
    """stdout's binary stream, with a BrokenPipeError turned into StdoutClosed."""

    def __init__(self, inner: BinaryIO) -> None:
        super().__init__()
        self._inner = inner

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        try:
            written = self._inner.write(data)
        except OSError as exc:
            raise _failed(exc) from exc
        return len(data) if written is None else written

    def flush(self) -> None:
        try:
            self._inner.flush()
        except OSError as exc:
            raise _failed(exc) from exc

    def fileno(self) -> int:
        return self._inner.fileno()

    def isatty(self) -> bool:
        return self._inner.isatty()


def _failed(exc: OSError) -> Exception:
    if isinstance(exc, BrokenPipeError):
        return StdoutClosed()
    # a full disk behind `> file`: the user's to fix, as for -o
    return UsageError(f"stdout: cannot write ({exc.strerror or exc})")


@contextmanager
def guard_stdout() -> Iterator[None]:
    """While a command runs, every write to stdout (click, rich, the binary stream) goes
    through _Guarded: a closed pipe raises StdoutClosed wherever it is met, any other write
    error a UsageError. Only a real stdout
    (one with a binary stream) is guarded; the original is put back after."""
    original = sys.stdout
    buffer = getattr(original, "buffer", None)
    if buffer is None or not isinstance(original, io.TextIOWrapper):
        yield
        return
    guarded = io.TextIOWrapper(io.BufferedWriter(_Guarded(buffer)),
                               encoding=original.encoding, errors=original.errors,
                               line_buffering=original.line_buffering, write_through=True)
    sys.stdout = guarded
    try:
        yield
        guarded.flush()
    except StdoutClosed:
        silence_stdout()
        raise
    finally:
        sys.stdout = original
        try:
            guarded.detach()  # (flushes, and leaves `buffer` open)
        except (StdoutClosed, OSError, ValueError):
            pass


def silence_stdout() -> None:
    """After StdoutClosed: stdout to /dev/null, so that the flushes still to come (leave, the
    interpreter's exit) find nothing to complain about."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, io.UnsupportedOperation):
        pass
