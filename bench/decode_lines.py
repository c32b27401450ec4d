"""CPU of the C decoder alone over the EXPORT_TASK files of a generated input.

    .venv/bin/python bench/decode_lines.py bench/data/1000mb [--files 24] [--repeat 5]

Loads the first `--files` EXPORT_TASK files (largest first) into memory, then times
decode_buffer_batches over each (as a worker reads them, ids as digests), best of `--repeat`
rounds of process CPU: the decoder's cost per line without the disk, the fold or Python around
it. Also prints how many lines it declined (the Python path's), which must not change.
"""

from __future__ import annotations

import argparse
import gc
import time
from pathlib import Path

from flowinsight.read import native


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("session")
    parser.add_argument("--files", type=int, default=24)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    decode = native.decode_buffer_batches
    assert decode is not None, "the native decoder is not built"
    paths = sorted(Path(args.session).rglob("event_EXPORT_TASK*"),
                   key=lambda p: (-p.stat().st_size, str(p)))[:args.files]
    buffers = [bytearray(p.read_bytes()) for p in paths]
    size = sum(len(b) for b in buffers)
    gc.disable()
    times = []
    lines = missed = 0
    for _ in range(args.repeat):
        lines = missed = 0
        start = time.process_time()
        for buf in buffers:
            _, _, misses, count = decode(buf, 0, len(buf), True)
            lines += count
            missed += len(misses)
        times.append(time.process_time() - start)
        gc.collect()
    best = min(times)
    print(f"{len(buffers)} files, {size / 1e6:.0f} MB, {lines} lines ({missed} declined): "
          f"best CPU {best:.3f} s ({best / lines * 1e9:.0f} ns/line); "
          f"runs {', '.join(f'{t:.3f}' for t in times)}")


if __name__ == "__main__":
    main()
