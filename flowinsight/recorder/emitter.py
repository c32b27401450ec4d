"""The process-wide recorder state: is it on, and where do lines go."""

from __future__ import annotations

import os
import time

from flowinsight.recorder.envelope import Envelope
from flowinsight.recorder.events import Event
from flowinsight.recorder.ray_context import RayContext
from flowinsight.recorder.safety import note_failure
from flowinsight.recorder.writer import EventFile


CALL_SITES_ENV = "FLOWINSIGHT_CALL_SITES"  # 0, false, no, off: no call sites


def call_sites_wanted() -> bool:
    return os.environ.get(CALL_SITES_ENV, "").strip().lower() not in {"0", "false", "no", "off"}


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class Emitter:
    def __init__(self) -> None:
        self.active = False
        self.context = RayContext()
        self.site = self.context.site
        self.events_written = 0
        self.events_dropped = 0
        self._envelope = Envelope()
        self._file = EventFile(self.context.logs_dir)
        self.call_sites = call_sites_wanted()  # record where each .remote() was called
        # the call sites (recorder.call_sites) whose `call_site` line the current file holds
        self.sites_written: set[str] = set()
        os.register_at_fork(after_in_child=self.sites_written.clear)

    def emit(self, event: Event) -> bool:
        """One line, one os.write, synchronously: a second thread formatting in the background
        would fight Ray's task thread for the GIL and cost far more than it saves."""
        try:
            fd = self._file.fd
            if fd < 0:
                fd = self._file.open_current()
                if fd < 0:
                    self.events_dropped += 1
                    return False
            os.write(fd, self._envelope.line(event))
            self.events_written += 1
            return True
        except Exception as error:  # noqa: BLE001 - a lost line must not break the job
            note_failure("emit", error)
            return False

    def touch_file(self) -> None:
        """Create the (possibly empty) event file as soon as the session exists."""
        try:
            self._file.open_current()
        except Exception as error:  # noqa: BLE001
            note_failure("touch_file", error)

    def session_ended(self) -> None:
        self._file.close()
        self.sites_written.clear()


EMITTER = Emitter()
