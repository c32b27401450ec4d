"""`flowinsight collect`: real HTTP requests to a real receiver on 127.0.0.1."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import ROOT
from flowinsight.collect import EVENTS_SUBDIR, Receiver, Sink, events_file_name

SESSION = "session_2026-12-06_13-57-24_383462_2079"


def event(i: int, session: str = SESSION) -> dict[str, object]:
    return {"eventId": f"id{i}", "eventType": "TASK_LIFECYCLE_EVENT", "sessionName": session,
            "taskLifecycleEvent": {"taskId": "x", "note": "line\nbreak"}}


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Receiver]:
    server = Receiver(Sink(None, tmp_path / "ray", max_output=4000), max_request=2000)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        server.sink.close()
        thread.join()


def post(server: Receiver, body: bytes, headers: dict[str, str] | None = None
         ) -> tuple[int, str]:
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(str(host), port, timeout=10)
    try:
        conn.request("POST", "/", body=body, headers={"Content-Type": "application/json",
                                                     **(headers or {})})
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def written(root: Path, session: str = SESSION) -> list[dict[str, object]]:
    path = root / "ray" / session / "logs" / EVENTS_SUBDIR / events_file_name(os.getpid())
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_bytes().splitlines()]


def test_binds_loopback_by_default(receiver: Receiver) -> None:
    assert receiver.server_address[0] == "127.0.0.1"
    assert receiver.url.startswith("http://127.0.0.1:")


def test_a_batch_is_on_disk_when_answered(receiver: Receiver, tmp_path: Path) -> None:
    status, text = post(receiver, json.dumps([event(1), event(2)]).encode())
    assert (status, text) == (200, "2 events\n")
    # read right after the answer: written before it, one event per line (the "\n" inside a
    # string stays escaped)
    assert written(tmp_path) == [event(1), event(2)]
    other = "session_2026-12-06_14-00-00_000000_1"
    assert post(receiver, json.dumps([event(3, other)]).encode())[0] == 200
    assert written(tmp_path, other) == [event(3, other)]
    assert written(tmp_path) == [event(1), event(2)]


def test_malformed_requests_get_400_and_the_receiver_goes_on(receiver: Receiver,
                                                             tmp_path: Path) -> None:
    for body, why in ((b"{not json", "not JSON"), (b"[1, 2]", "item 0 is a JSON int"),
                      (b'"text"', "not an array of events"), (b"", "not JSON")):
        status, text = post(receiver, body)
        assert status == 400 and why in text, (body, status, text)
    assert post(receiver, json.dumps([event(1)]).encode())[0] == 200
    assert written(tmp_path) == [event(1)]
    assert receiver.sink.counts.rejected == 4


def test_sizes_are_capped(receiver: Receiver, tmp_path: Path) -> None:
    big = json.dumps([event(i) for i in range(40)]).encode()
    assert len(big) > 2000
    assert post(receiver, big)[0] == 413
    assert post(receiver, b"[]", {"Content-Length": "-5"})[0] == 400
    # the output cap: a batch that would cross it is refused whole, nothing of it written
    accepted = 0
    while True:
        status, _ = post(receiver, json.dumps([event(accepted)]).encode())
        if status != 200:
            break
        accepted += 1
    assert status == 507
    lines = written(tmp_path)
    assert lines == [event(i) for i in range(accepted)]
    assert receiver.sink.counts.bytes <= 4000 < receiver.sink.counts.bytes + 200


def test_an_unsafe_session_name_stays_inside(receiver: Receiver, tmp_path: Path) -> None:
    assert post(receiver, json.dumps([event(1, "../../etc")]).encode())[0] == 200
    assert written(tmp_path, "session_latest") == [event(1, "../../etc")]
    assert not (tmp_path / "etc").exists()


def test_a_session_name_ending_in_a_line_break_makes_no_folder(receiver: Receiver,
                                                                tmp_path: Path) -> None:
    """`$` matches before a final newline: `session_x\n` passed the name's check and became a
    folder whose name ends in a line break, beside Ray's sessions."""
    assert post(receiver, json.dumps([event(1, "session_x\n")]).encode())[0] == 200
    assert written(tmp_path, "session_latest") == [event(1, "session_x\n")]
    assert sorted(p.name for p in (tmp_path / "ray").iterdir()) == ["session_latest"]


def test_concurrent_batches_never_interleave(receiver: Receiver, tmp_path: Path) -> None:
    receiver.sink.max_output = 1 << 20
    receiver.max_request = 1 << 20

    def send(k: int) -> None:
        assert post(receiver, json.dumps([event(100 * k + i) for i in range(20)]).encode()
                    )[0] == 200

    threads = [threading.Thread(target=send, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = [line["eventId"] for line in written(tmp_path)]
    assert len(ids) == 160
    batches = [ids[i:i + 20] for i in range(0, 160, 20)]
    assert sorted(batches) == sorted([f"id{100 * k + i}" for i in range(20)] for k in range(8))


def test_the_command_prints_its_address_and_stops_on_sigterm(tmp_path: Path) -> None:
    env = {**os.environ, "RAY_TMPDIR": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "flowinsight", "collect"], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("flowinsight collect: listening on http://127.0.0.1:")
        url = first.split("listening on ")[1].split(",")[0]
        assert "RAY_DASHBOARD_AGGREGATOR_AGENT_EVENTS_EXPORT_ADDR=" + url in proc.stdout.readline()
        host, port = url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        conn.request("POST", "/", body=json.dumps([event(1)]).encode())
        assert conn.getresponse().status == 200
        conn.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert "1 batch, 1 event" in err
    [path] = (tmp_path / "ray" / SESSION / "logs" / EVENTS_SUBDIR).iterdir()
    assert json.loads(path.read_bytes()) == event(1)
