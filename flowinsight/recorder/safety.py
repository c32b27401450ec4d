"""Keeps the recorder from ever breaking the user's job: recorder code runs guarded, failures are
counted, and the count is reported on stderr when the process exits. Ray ends worker processes
without running atexit handlers, so the first failure and every tenfold count (10, 100, ...) are
reported as they happen too; Ray forwards worker stderr to the driver's console."""

from __future__ import annotations

import atexit
import functools
import sys
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

_lock = threading.Lock()
_errors = 0
_first_error = ""
_report_registered = False


def note_failure(where: str, error: BaseException) -> None:
    global _errors, _first_error
    with _lock:
        _errors += 1
        count = _errors
        if not _first_error:
            _first_error = f"{where}: {type(error).__name__}: {error}"
    if count == 1 or _is_power_of_ten(count):
        try:
            print(
                f"flowinsight.recorder: {count} internal error(s) so far, recording goes on; "
                f"first: {_first_error}",
                file=sys.stderr,
                flush=True,
            )
        except Exception:  # noqa: BLE001 - stderr may be closed; the count remains
            pass


def _is_power_of_ten(n: int) -> bool:
    while n >= 10 and n % 10 == 0:
        n //= 10
    return n == 1


def failure_count() -> int:
    return _errors


def guarded(default: R) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Run recorder code, returning `default` instead of raising. KeyboardInterrupt and
    SystemExit pass through: Ray uses them to cancel tasks and stop workers."""

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return fn(*args, **kwargs)
            except Exception as error:  # noqa: BLE001 - counting is the point
                note_failure(fn.__qualname__, error)
                return default

        return run

    return decorate


def _report() -> None:
    if _errors:
        print(
            f"flowinsight.recorder: {_errors} internal error(s), some events may be missing; "
            f"first: {_first_error}",
            file=sys.stderr,
        )


def register_exit_report() -> None:
    global _report_registered
    with _lock:
        if not _report_registered:
            atexit.register(_report)
            _report_registered = True
