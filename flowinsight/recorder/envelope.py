"""Formats events as RAY_EVENT lines in the C++ spelling (schema section 2): keys in alphabetical
order, pid as a string, timestamp in whole seconds, 36-hex-char event ids. The envelope's
constant parts are encoded once; only the custom fields go through the JSON encoder."""

from __future__ import annotations

import json
import os
import random
import socket
from typing import Any

from flowinsight.recorder.events import Event

try:
    import orjson

    def _dumps(obj: dict[str, Any]) -> bytes:
        return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)

except ImportError:  # pragma: no cover - orjson is a dependency, this only keeps workers safe

    def _dumps(obj: dict[str, Any]) -> bytes:
        return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


class Envelope:
    """Wraps custom fields into one line. Uses its own RNG so that the user's `random` sequence
    is left alone."""

    def __init__(self) -> None:
        self._rng = random.Random(os.urandom(16))
        host = json.dumps(socket.gethostname())
        pid = json.dumps(str(os.getpid()))
        # Everything between "label" and "timestamp" is fixed for the process.
        self._middle = (
            f'","host_name":{host},"label":"'.encode(),
            f'","message":"","pid":{pid},"severity":"INFO","source_type":"CORE_WORKER",'
            f'"timestamp":'.encode(),
        )

    def line(self, event: Event) -> bytes:
        head, tail = self._middle
        return b"".join((
            b'{"custom_fields":',
            _dumps(event.custom_fields()),
            b',"event_id":"',
            b"%036x" % self._rng.getrandbits(144),
            head,
            event.label.encode(),
            tail,
            b"%d}\n" % (event.timestamp_ms // 1000),
        ))
