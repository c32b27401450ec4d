"""Not a workload: Ray's State API's object list taken while the objects are alive, for the
workloads whose objects a library frees before lib_state.dump could list them (RLlib's and
Train's: an actor call's result is freed once its caller has read it).

    import lib_objects
    watch = lib_objects.Watch()
    with watch.on_gets():          # a snapshot after every ray.get of this process
        algo.save(path)
    watch.save("objects")          # the union, a phase of state_truth.json

Each snapshot is `ray.util.state.list_objects(detail=True)`: a row per object and process
holding a reference to it (dashboard/memory_utils.py: MemoryTableEntry, one per entry of each
core worker's reference table; `pid` is that process). The phase keeps every distinct row
(object, pid, reference type) in the order first seen. A snapshot taken right after ray.get
returned sees the refs the caller still holds: the results it read (their size known to
their owner once the task returned them) and the objects it put for the calls it waited on.
Driver only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import ray
from ray.util import state

import lib_state

FIELDS = ("object_id", "object_size", "task_status", "reference_type", "call_site", "type",
          "attempt_number", "pid", "ip")


class Watch:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, int, str], dict[str, Any]] = {}
        self.snapshots = 0

    def take(self) -> None:
        listed = state.list_objects(address=ray.get_runtime_context().gcs_address,
                                    detail=True, limit=lib_state.LIMIT,
                                    raise_on_missing_output=False)
        self.snapshots += 1
        for obj in listed:
            row = {key: getattr(obj, key, None) for key in FIELDS}
            self.rows.setdefault((row["object_id"], row["pid"], row["reference_type"]), row)

    @contextmanager
    def on_gets(self) -> Iterator[None]:
        """ray.get of this process (the name every library looks up on the module) followed
        by a snapshot while its caller still holds what it read."""
        real = ray.get

        def get(*args: Any, **kwargs: Any) -> Any:
            out = real(*args, **kwargs)
            self.take()
            return out

        ray.get = get
        try:
            yield
        finally:
            ray.get = real

    def save(self, phase: str, note: str = "") -> None:
        out = Path(lib_state.OUT)
        truth: dict[str, Any] = json.loads(out.read_text()) if out.exists() else {
            "ray_version": ray.__version__, "phases": {}}
        truth["phases"][phase] = {"note": note, "order": len(truth["phases"]),
                                  "snapshots": self.snapshots, "objects": list(self.rows.values())}
        out.write_text(json.dumps(truth, indent=1, sort_keys=True, default=str) + "\n")
