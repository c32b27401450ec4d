"""Build a large, realistic benchmark input from the real scale_15k capture.

Each copy rewrites the unique bytes of every task and actor id (consistently, so an actor id
embedded in its tasks' ids changes with it), so tasks stay distinct and the graph keeps its
shape. The driver is shared, as one long job would be.

    python bench/make_input.py --size-mb 1000 --out bench/data/1000mb
    python bench/make_input.py --size-mb 250 --repeat-percent 1 --out bench/data/250mb-rep1

`--repeat-percent P`: as an overlapping rotated file would, each task file's last P% of lines
are written again in a file of their own beside it (`<name>.1`): P% of the lines are events
read twice, each in two files (which the parallel reader may give to two workers).
With `--repeat-differ` those copies are the same events written otherwise (JSON with spaces
after its separators): their lines differ, so which repeat is a duplicate takes their events.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import sys
import tarfile
from pathlib import Path

import orjson

SEED = Path(__file__).resolve().parents[1] / "samples" / "scale_15k.tar.gz"
_ID_FIELDS = ("task_id", "parent_task_id", "actor_id")


def _mutate(raw: bytes, copy: int) -> bytes:
    """XOR a copy number into the unique (non-ff) parts of a task or actor id."""
    key = copy.to_bytes(4, "little")
    out = bytearray(raw)

    def mix(lo: int, hi: int) -> None:
        if any(b != 0xFF for b in out[lo:hi]):
            for i in range(4):
                out[lo + i] ^= key[i]

    if len(raw) == 24:  # task id: 8 unique bytes, then the actor's 12 (or ff), then the job
        mix(0, 8)
        mix(8, 20)
    elif len(raw) == 16:  # actor id: 12 unique bytes, then the job
        mix(0, 12)
    return bytes(out)


def _rewrite_id(value: str, copy: int) -> str:
    if not value:
        return value
    return base64.b64encode(_mutate(base64.b64decode(value), copy)).decode()


def rewrite_line(line: bytes, copy: int) -> bytes:
    obj = orjson.loads(line)
    data = obj.get("event_data", {})
    for holder in (data, data.get("task_info") or {}):
        for field in _ID_FIELDS:
            if isinstance(holder.get(field), str):
                holder[field] = _rewrite_id(holder[field], copy)
    obj["event_id"] = f"{obj.get('event_id', '')}{copy:06x}"
    return orjson.dumps(obj)


def seed_files() -> dict[str, bytes]:
    files = {}
    with tarfile.open(SEED) as tar:
        for member in tar.getmembers():
            if member.isfile() and "/logs/" in member.name:
                handle = tar.extractfile(member)
                assert handle is not None
                files[member.name.split("/logs/", 1)[1]] = handle.read()
    return files


def build(out: Path, size_mb: float, repeat_percent: float = 0,
          differ: bool = False) -> tuple[int, int]:
    files = seed_files()
    seed_bytes = sum(len(b) for b in files.values())
    copies = max(1, round(size_mb * 1e6 / seed_bytes))
    session = out / "session_2026-01-01_00-00-00_000000_1" / "logs"
    total = 0
    for rel, content in sorted(files.items()):
        target_dir = (session / rel).parent
        target_dir.mkdir(parents=True, exist_ok=True)
        name = Path(rel).name
        if "EXPORT_TASK" not in name:  # actors, job, node: one copy each (rewritten actors)
            lines = content.splitlines()
            if "EXPORT_ACTOR" in name:
                lines = [rewrite_line(ln, c) for c in range(copies) for ln in lines]
            data = b"\n".join(lines) + (b"\n" if lines else b"")
            (target_dir / name).write_bytes(data)
            total += len(data)
            continue
        stem = name[: -len(".log")]
        for copy in range(copies):
            buf = io.BytesIO()
            for line in content.splitlines():
                buf.write(rewrite_line(line, copy) + b"\n")
            data = buf.getvalue()
            path = target_dir / f"{stem}.{copy}.log" if copy else target_dir / name
            path.write_bytes(data)
            total += len(data)
            if repeat_percent:
                lines = data.splitlines(keepends=True)
                tail = b"".join(lines[len(lines) - round(len(lines) * repeat_percent / 100):])
                if differ:
                    tail = b"".join(json.dumps(json.loads(ln)).encode() + b"\n"
                                    for ln in tail.splitlines())
                path.with_name(path.name + ".1").write_bytes(tail)
                total += len(tail)
    return copies, total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=1000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--repeat-percent", type=float, default=0,
                        help="this percent of the task lines written twice (rotated overlap)")
    parser.add_argument("--repeat-differ", action="store_true",
                        help="the repeated lines written otherwise (other separators)")
    args = parser.parse_args()
    if (args.out / "DONE").exists():
        print(f"{args.out}: exists", file=sys.stderr)
        return 0
    copies, total = build(args.out, args.size_mb, args.repeat_percent,
                          args.repeat_differ)
    (args.out / "DONE").write_text(f"{copies} copies, {total} bytes\n")
    print(f"{args.out}: {copies} copies of scale_15k, {total / 1e6:.0f} MB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
