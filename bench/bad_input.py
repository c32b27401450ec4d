"""Inputs that once cost far more time or memory than their size (issue 15), and the
measurement of one command on them: wall time and peak memory (ru_maxrss of the children).

    python bench/bad_input.py spans 30000 --out /tmp/spans        # one attempt, 30,000 spans
    python bench/bad_input.py attempts 50000 --out /tmp/attempts  # one task, 50,000 attempts
    python bench/bad_input.py attempts2 50000 --out /tmp/attempts2  # the same in two files
    python bench/bad_input.py blank 20 --out /tmp/blank            # 20 MB of newlines
    python bench/bad_input.py junk 20 --out /tmp/junk              # 20 MB of 10-byte junk lines
    python bench/bad_input.py gzblank 2048 --out /tmp/gzblank      # 2 GiB of newlines, gzipped
    python bench/bad_input.py members 1000000 --out /tmp/members   # a tar.gz of 1M empty members
    python bench/bad_input.py measure -- analyze /tmp/spans -j 1   # time, CPU time, peak memory
"""

from __future__ import annotations

import argparse
import base64
import gzip
import io
import resource
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import orjson

JOB = "01000000"
SESSION = "session_2026-01-01_00-00-00_000000_1"
T0 = 1795312000_000_000_000


def b64(hex_id: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_id)).decode()


def task(n: int) -> str:
    return f"{n:016x}" + "ff" * 12 + JOB


def task_line(n: int, attempt: int = 0, spans: list[dict[str, object]] | None = None,
              states: dict[str, int] | None = None) -> bytes:
    data: dict[str, object] = {
        "task_id": b64(task(n)), "attempt_number": attempt, "job_id": b64(JOB),
        "task_info": {"type": "NORMAL_TASK", "func_or_class_name": "m.f", "language": "PYTHON",
                      "parent_task_id": b64("ff" * 20 + JOB)},
    }
    if states:
        data["state_transitions"] = [{"state": s, "timestamp": t} for s, t in states.items()]
    if spans is not None:
        data["profile_events"] = {"component_type": "worker", "component_id": "",
                                  "node_ip_address": "127.0.0.1", "events": spans}
    return orjson.dumps({"event_data": data, "event_id": f"t{n}.{attempt}.{len(spans or ())}",
                         "source_type": "EXPORT_TASK", "timestamp": 1795312000})


def events_dir(out: Path) -> Path:
    where = out / SESSION / "logs" / "export_events"
    where.mkdir(parents=True, exist_ok=True)
    return where


def make_spans(out: Path, n: int) -> None:
    """One attempt of one task whose profile holds `n` spans of distinct task::<name>."""
    spans = [{"event_name": f"task::f{i}", "start_time": T0 + i, "end_time": T0 + i + 1,
              "extra_data": ""} for i in range(n)]
    path = events_dir(out) / "event_EXPORT_TASK_1.log.gz"
    path.write_bytes(gzip.compress(task_line(1, 0, spans) + b"\n"))


def make_attempts(out: Path, n: int) -> None:
    """One task retried `n` times: a line per attempt, each with its states."""
    lines = [task_line(1, a, states={"PENDING_ARGS_AVAIL": T0 + 10 * a,
                                     "RUNNING": T0 + 10 * a + 1, "FAILED": T0 + 10 * a + 2})
             for a in range(n)]
    (events_dir(out) / "event_EXPORT_TASK_1.log").write_bytes(b"\n".join(lines) + b"\n")


def make_attempts2(out: Path, n: int) -> None:
    """One task retried `n` times, each attempt in two files (its pending state in one, its
    end in the other, in the opposite order, other event ids): read with -j 2, each worker's
    table holds every attempt and the main process merges one into the other."""
    first = [task_line(1, a, states={"PENDING_ARGS_AVAIL": T0 + 10 * a}) for a in range(n)]
    second = [task_line(1, a, states={"RUNNING": T0 + 10 * a + 1, "FAILED": T0 + 10 * a + 2})
              .replace(b'"event_id":"t', b'"event_id":"u') for a in reversed(range(n))]
    (events_dir(out) / "event_EXPORT_TASK_1.log").write_bytes(b"\n".join(first) + b"\n")
    (events_dir(out) / "event_EXPORT_TASK_2.log").write_bytes(b"\n".join(second) + b"\n")


def make_blank(out: Path, mb: int) -> None:
    """`mb` MB of newlines around one event."""
    data = task_line(1) + b"\n" + b"\n" * (mb << 20) + task_line(2) + b"\n"
    (events_dir(out) / "event_EXPORT_TASK_1.log").write_bytes(data)


# Lines that are not a JSON object, of the kinds a wrong or damaged file holds: text, binary
# noise (invalid UTF-8), NULs, a CRLF ending, JSON values that are not objects; all 10 bytes
# with the newline.
JUNK = (b"hello wor\n", b"\xff\xfe\x00garbag\n", b"# comment\n", b"\x00" * 9 + b"\n",
        b"key=value\n", b"ok: 1 23\r\n", b"\xc3(noise!\xa0\n", b"[1, 2, 3]\n", b'"a texts"\n')


def make_junk(out: Path, mb: int) -> None:
    """`mb` MB of 10-byte junk lines (JUNK, in turn) around one event."""
    cycle = b"".join(JUNK)
    body = cycle * ((mb << 20) // len(cycle))
    data = task_line(1) + b"\n" + body + task_line(2) + b"\n"
    (events_dir(out) / "event_EXPORT_TASK_1.log").write_bytes(data)


def make_gzblank(out: Path, mb: int) -> None:
    """`mb` MiB of newlines, gzipped (written in pieces: never held whole)."""
    path = events_dir(out) / "event_EXPORT_TASK_1.log.gz"
    with gzip.open(path, "wb", compresslevel=6) as f:
        f.write(task_line(1) + b"\n")
        piece = b"\n" * (1 << 20)
        for _ in range(mb):
            f.write(piece)
        f.write(task_line(2) + b"\n")


def make_members(out: Path, n: int) -> None:
    """A tar.gz of `n` empty members named like event files, and one with an event."""
    out.mkdir(parents=True, exist_ok=True)
    raw = out / "capture.tar.gz"
    with open(raw, "wb") as f, gzip.GzipFile(fileobj=f, mode="wb", compresslevel=1) as gz:
        with tarfile.open(fileobj=gz, mode="w|", format=tarfile.USTAR_FORMAT) as tar:
            line = task_line(1) + b"\n"
            info = tarfile.TarInfo(f"{SESSION}/logs/export_events/event_EXPORT_TASK_0.log")
            info.size = len(line)
            tar.addfile(info, io.BytesIO(line))
            for i in range(n):
                tar.addfile(tarfile.TarInfo(f"{SESSION}/logs/events/event_W_{i}.log"))


def measure(args: list[str]) -> None:
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "flowinsight", *args],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    wall = time.monotonic() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = usage.ru_maxrss / 1024
    tail = proc.stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
    # CPU time too: on a shared machine the wall time says more about the neighbours
    print(f"exit {proc.returncode}  {wall:.2f} s wall  {usage.ru_utime + usage.ru_stime:.2f} s "
          f"cpu  peak {peak:.0f} MB  {tail[0][:150]}")


def main() -> None:
    if sys.argv[1:2] == ["measure"]:
        measure([a for a in sys.argv[2:] if a != "--"])
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["spans", "attempts", "attempts2", "blank", "junk",
                                           "gzblank", "members"])
    parser.add_argument("n", type=int)
    parser.add_argument("--out", type=Path, required=True)
    opts = parser.parse_args()
    {"spans": make_spans, "attempts": make_attempts, "attempts2": make_attempts2,
     "blank": make_blank, "junk": make_junk,
     "gzblank": make_gzblank, "members": make_members}[opts.kind](opts.out, opts.n)


if __name__ == "__main__":
    main()
