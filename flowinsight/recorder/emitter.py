"""The process-wide recorder state: is it on, and where do lines go."""

from __future__ import annotations

import time

from flowinsight.recorder.envelope import Envelope
from flowinsight.recorder.events import Event, Site
from flowinsight.recorder.ray_context import RayContext
from flowinsight.recorder.safety import note_failure
from flowinsight.recorder.writer import EventFile


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class Emitter:
    def __init__(self) -> None:
        self.active = False
        self.context = RayContext()
        self.events_written = 0
        self.events_dropped = 0
        self._envelope = Envelope()
        self._file = EventFile(self.context.logs_dir)

    def site(self) -> Site:
        return self.context.site()

    def emit(self, event: Event) -> None:
        try:
            if self._file.append(self._envelope.line(event)):
                self.events_written += 1
            else:
                self.events_dropped += 1
        except Exception as error:  # noqa: BLE001 - a lost line must not break the job
            note_failure("emit", error)

    def touch_file(self) -> None:
        """Create the (possibly empty) event file as soon as the session exists."""
        try:
            self._file.ensure_open()
        except Exception as error:  # noqa: BLE001
            note_failure("touch_file", error)


EMITTER = Emitter()
