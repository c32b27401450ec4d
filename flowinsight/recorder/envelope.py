"""Formats events as RAY_EVENT lines in the C++ spelling (schema section 2): sorted keys, pid as a
string, timestamp in whole seconds, 36-hex-char event ids."""

from __future__ import annotations

import os
import random
import socket
from typing import Any

from flowinsight.recorder.events import Event

try:
    import orjson

    def _dumps(obj: dict[str, Any]) -> bytes:
        return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE)

except ImportError:  # pragma: no cover - orjson is a dependency, this only keeps workers safe
    import json

    def _dumps(obj: dict[str, Any]) -> bytes:
        return (json.dumps(obj, sort_keys=True, separators=(",", ":")) + "\n").encode()


class Envelope:
    """Wraps custom fields into one line. Uses its own RNG so that the user's `random` sequence
    is left alone."""

    def __init__(self) -> None:
        self._rng = random.Random(os.urandom(16))
        self._host = socket.gethostname()
        self._pid = str(os.getpid())

    def line(self, event: Event) -> bytes:
        return _dumps(
            {
                "custom_fields": event.custom_fields(),
                "event_id": "%036x" % self._rng.getrandbits(144),
                "host_name": self._host,
                "label": event.label,
                "message": "",
                "pid": self._pid,
                "severity": "INFO",
                "source_type": "CORE_WORKER",
                "timestamp": event.timestamp_ms // 1000,
            }
        )
