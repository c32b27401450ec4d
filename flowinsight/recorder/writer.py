"""The per-process event file: `<session>/logs/events/event_FLOWINSIGHT_<pid>.log`.

Each line goes out in one os.write on an O_APPEND descriptor, so a line is never split and a
crash loses nothing already written. The file follows the process's Ray session: after
ray.shutdown() and a new ray.init() lines go to the new session's directory.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

EVENTS_SUBDIR = "events"


def event_file_name(pid: int) -> str:
    return f"event_FLOWINSIGHT_{pid}.log"


class EventFile:
    def __init__(self, locate_logs_dir: Callable[[], str | None]) -> None:
        self._locate = locate_logs_dir
        self._lock = threading.Lock()
        self._fd = -1
        self._logs_dir: str | None = None
        self._pid = -1

    def ensure_open(self) -> bool:
        """Open (creating it empty) the file of the current session; False if Ray has none yet."""
        logs_dir = self._locate()
        pid = os.getpid()
        if logs_dir is None:
            return False
        if self._fd >= 0 and logs_dir == self._logs_dir and pid == self._pid:
            return True
        with self._lock:
            if self._fd >= 0 and logs_dir == self._logs_dir and pid == self._pid:
                return True
            events_dir = os.path.join(logs_dir, EVENTS_SUBDIR)
            os.makedirs(events_dir, exist_ok=True)
            path = os.path.join(events_dir, event_file_name(pid))
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)
            old, self._fd = self._fd, fd
            self._logs_dir, self._pid = logs_dir, pid
            if old >= 0:
                os.close(old)
        return True

    def append(self, line: bytes) -> bool:
        """Append one whole line; False when there is no Ray session to write into."""
        if not self.ensure_open():
            return False
        os.write(self._fd, line)
        return True

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
            self._fd = -1
            self._logs_dir = None
