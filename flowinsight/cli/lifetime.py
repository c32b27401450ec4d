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
import os
import sys

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
