"""The per-process event file: `<session>/logs/events/event_FLOWINSIGHT_<pid>.log`.

Each line goes out in one os.write on an O_APPEND descriptor, so a line is never split and a
crash loses nothing already written. The descriptor is opened for the session the process is
in; the recorder closes it when Ray disconnects (ray.shutdown), so the next session gets its own
file, and a forked child drops it to open its own.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable

EVENTS_SUBDIR = "events"

_event_files: weakref.WeakSet[EventFile] = weakref.WeakSet()


def event_file_name(pid: int) -> str:
    return f"event_FLOWINSIGHT_{pid}.log"


class EventFile:
    """`fd` is the open descriptor, or -1: call open_current() first."""

    def __init__(self, logs_dir: Callable[[], str | None]) -> None:
        self._logs_dir = logs_dir
        self._lock = threading.Lock()
        self.fd = -1
        _event_files.add(self)

    def open_current(self) -> int:
        """Open (creating it empty) the file of the current session; -1 if there is none."""
        with self._lock:
            if self.fd < 0:
                logs_dir = self._logs_dir()
                if logs_dir is None:
                    return -1
                events_dir = os.path.join(logs_dir, EVENTS_SUBDIR)
                os.makedirs(events_dir, exist_ok=True)
                path = os.path.join(events_dir, event_file_name(os.getpid()))
                self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)
            return self.fd

    def append(self, line: bytes) -> bool:
        """Append one whole line; False when there is no Ray session to write into."""
        fd = self.fd if self.fd >= 0 else self.open_current()
        if fd < 0:
            return False
        os.write(fd, line)
        return True

    def close(self) -> None:
        with self._lock:
            if self.fd >= 0:
                os.close(self.fd)
            self.fd = -1

    def forget(self) -> None:
        """Drop the descriptor without closing it (a forked child shares the parent's)."""
        self.fd = -1


def _after_fork_in_child() -> None:
    for events in list(_event_files):
        events.forget()


os.register_at_fork(after_in_child=_after_fork_in_child)
