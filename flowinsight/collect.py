"""A receiver for Ray's event export (2.49+): the per-node aggregator agent POSTs JSON arrays of
RayEvents to RAY_DASHBOARD_AGGREGATOR_AGENT_EVENTS_EXPORT_ADDR; nothing of them reaches the
session folder unless something receives them. This receiver appends each event as one line
(NDJSON) to `<session>/logs/ray_events/events_<pid>.ndjson` of the session the event names
(`sessionName`), under Ray's temp folder, or to one folder given.

A batch is answered 200 only once all its lines are written (os.write on an O_APPEND file,
fsync'd with `fsync=True`): an accepted batch is never lost with this process. A malformed
request gets 400 (413 too large, 411 without a length, 507 over the output cap) and the
receiver goes on; the aggregator retries what was not accepted.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson

from flowinsight.units import counted

EVENTS_SUBDIR = "ray_events"
MAX_REQUEST_BYTES = 64 << 20  # the aggregator sends at most ~1000 events a batch
MAX_OUTPUT_BYTES = 4 << 30
LOOPBACK = "127.0.0.1"
# what a session folder's name may be, whole (fullmatch: `$` lets a final line break through):
# nothing that could leave the Ray folder
_SESSION = re.compile(r"session_[0-9A-Za-z_.-]{1,200}")
LATEST = "session_latest"


def events_file_name(pid: int) -> str:
    return f"events_{pid}.ndjson"


def ray_temp_dir(environ: dict[str, str] | None = None) -> Path:
    """Where Ray keeps its sessions: $RAY_TMPDIR/ray, else /tmp/ray (Ray's get_ray_temp_dir)."""
    env = os.environ if environ is None else environ
    return Path(env.get("RAY_TMPDIR") or "/tmp") / "ray"


@dataclass(slots=True)
class Counts:
    batches: int = 0
    events: int = 0
    bytes: int = 0
    rejected: int = 0  # requests answered with an error
    files: set[str] = field(default_factory=set)


class Sink:
    """Where accepted events go: one file per session folder (or the one `out_dir`), kept open,
    written under one lock so that lines of two batches never interleave."""

    def __init__(self, out_dir: Path | None, ray_dir: Path, max_output: int,
                 fsync: bool = False) -> None:
        self.out_dir = out_dir
        self.ray_dir = ray_dir
        self.max_output = max_output
        self.fsync = fsync
        self.counts = Counts()
        self._lock = threading.Lock()
        self._fds: dict[Path, int] = {}

    def folder_for(self, session: str) -> Path:
        if self.out_dir is not None:
            return self.out_dir
        name = session if _SESSION.fullmatch(session) and session != LATEST else LATEST
        return self.ray_dir / name / "logs" / EVENTS_SUBDIR

    def write(self, lines: dict[Path, list[bytes]]) -> str:
        """Append every folder's lines; "" when all are written, else why none was."""
        size = sum(len(line) for group in lines.values() for line in group)
        with self._lock:
            if self.counts.bytes + size > self.max_output:
                return f"output cap of {self.max_output} bytes reached"
            for folder, group in lines.items():
                fd = self._fds.get(folder)
                if fd is None:
                    folder.mkdir(parents=True, exist_ok=True)
                    path = folder / events_file_name(os.getpid())
                    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC,
                                 0o644)
                    self._fds[folder] = fd
                    self.counts.files.add(str(path))
                data = memoryview(b"".join(group))
                while data:  # a regular file takes it whole; a short write is carried on
                    data = data[os.write(fd, data):]
                if self.fsync:
                    os.fsync(fd)
            self.counts.bytes += size
            return ""

    def close(self) -> None:
        with self._lock:
            for fd in self._fds.values():
                os.close(fd)
            self._fds.clear()


class BadBatch(ValueError):
    pass


def split_batch(body: bytes, sink: Sink) -> tuple[dict[Path, list[bytes]], int]:
    """A POST's body (a JSON array of event objects, or one object) as lines per folder, and
    the number of events. Raises BadBatch."""
    try:
        data: Any = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadBatch(f"not JSON: {str(exc).split(':')[0]}") from None
    events = [data] if isinstance(data, dict) else data
    if not isinstance(events, list):
        raise BadBatch(f"a JSON {type(data).__name__}, not an array of events")
    lines: dict[Path, list[bytes]] = {}
    for index, event in enumerate(events):
        if not isinstance(event, dict):
            raise BadBatch(f"item {index} is a JSON {type(event).__name__}, not an object")
        session = event.get("sessionName", event.get("session_name", ""))
        folder = sink.folder_for(session if isinstance(session, str) else "")
        # written again by orjson: one line per event whatever the sender's layout
        lines.setdefault(folder, []).append(orjson.dumps(event) + b"\n")
    return lines, len(events)


class Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, sink: Sink, host: str = LOOPBACK, port: int = 0,
                 max_request: int = MAX_REQUEST_BYTES) -> None:
        self.sink = sink
        self.max_request = max_request
        super().__init__((host, port), _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class _Handler(BaseHTTPRequestHandler):
    server: Receiver
    protocol_version = "HTTP/1.1"  # keep-alive: the aggregator reuses its connection

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        server = self.server
        length_text = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked" or length_text is None:
            self._answer(411, "a Content-Length is required", close=True)
            return
        try:
            length = int(length_text)
            if length < 0:
                raise ValueError(length_text)
        except ValueError:
            self._answer(400, "bad Content-Length", close=True)
            return
        if length > server.max_request:
            self._answer(413, f"request over {server.max_request} bytes", close=True)
            return
        body = self.rfile.read(length)
        if len(body) < length:
            self._answer(400, "request body cut short", close=True)
            return
        try:
            lines, count = split_batch(body, server.sink)
        except BadBatch as bad:
            self._answer(400, str(bad))
            return
        try:
            problem = server.sink.write(lines)
        except OSError as exc:
            self._answer(500, f"cannot write: {exc.strerror or exc}")
            return
        if problem:
            self._answer(507, problem)
            return
        counts = server.sink.counts
        with server.sink._lock:
            counts.batches += 1
            counts.events += count
        self._answer(200, f"{count} events")

    def do_GET(self) -> None:  # noqa: N802
        counts = self.server.sink.counts
        self._answer(200, f"flowinsight collect: {counted(counts.batches, 'batch', 'batches')}, "
                          f"{counted(counts.events, 'event')}, "
                          f"{counted(counts.bytes, 'byte')} written")

    def do_PUT(self) -> None:  # noqa: N802
        self._answer(405, "POST a JSON array of events")

    do_DELETE = do_PATCH = do_PUT

    def _answer(self, status: int, text: str, close: bool = False) -> None:
        if status >= 400:
            with self.server.sink._lock:
                self.server.sink.counts.rejected += 1
        body = (text + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # one line per batch would drown the summary; errors are counted


def is_loopback(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")
