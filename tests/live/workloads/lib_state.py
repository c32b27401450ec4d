"""Not a workload: the library workloads' (lib_*.py) ground truth, Ray's own State API, dumped
by the driver while the cluster is up.

    import lib_state
    lib_state.dump("end")   # waits for Ray to flush its task events, then lists

Every call adds one phase (numbered by `order`, from 0) to `state_truth.json` in the working directory (the harness runs each
workload in its own temp dir): tasks, actors, objects, workers, jobs and nodes as
ray.util.state lists them with detail=True, trimmed to the fields the tests compare. Driver
only: workers never import this module.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import ray
from ray.util import state
import ray.util.state.exception

OUT = Path("state_truth.json")
FLUSH_S = 2.5  # workers and the driver report task events every second (task_events_report_interval_ms)
LIMIT = 10_000

FIELDS = {
    "tasks": ("task_id", "attempt_number", "name", "func_or_class_name", "type", "state",
              "parent_task_id", "actor_id", "job_id", "error_type", "error_message", "node_id",
              "worker_id", "worker_pid", "call_site"),
    "actors": ("actor_id", "class_name", "name", "repr_name", "state", "death_cause",
               "num_restarts", "pid", "job_id", "ray_namespace", "is_detached", "node_id"),
    "objects": ("object_id", "object_size", "task_status", "reference_type", "call_site", "type",
                "attempt_number", "pid"),
    "workers": ("worker_id", "worker_type", "is_alive", "exit_type", "exit_detail", "pid",
                "node_id"),
    "jobs": ("job_id", "type", "status", "entrypoint"),
    "nodes": ("node_id", "node_ip", "state", "is_head_node"),
}
SORT = {"tasks": ("task_id", "attempt_number"), "actors": ("actor_id",),
        "objects": ("object_id", "pid"), "workers": ("worker_id",), "jobs": ("job_id",),
        "nodes": ("node_id",)}


def _plain(item: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(item):
        return dataclasses.asdict(item)  # type: ignore[arg-type]
    if hasattr(item, "model_dump"):  # JobDetails is a pydantic model
        return dict(item.model_dump())
    if hasattr(item, "dict"):
        return dict(item.dict())
    return dict(vars(item))


def _trim(kind: str, rows: list[Any]) -> list[dict[str, Any]]:
    trimmed = []
    for row in rows:
        data = _plain(row)
        trimmed.append({key: data.get(key) for key in FIELDS[kind]})
    keys = SORT[kind]
    return sorted(trimmed, key=lambda r: tuple(str(r.get(k)) for k in keys))


def snapshot() -> dict[str, Any]:
    """Every list; where Ray could not read all rows, what it read and under `incomplete` why."""
    # this job's own cluster, by its GCS address: other Ray clusters may run on the machine
    kw: dict[str, Any] = {"address": ray.get_runtime_context().gcs_address, "detail": True,
                          "limit": LIMIT}
    listers = {
        "tasks": lambda **more: state.list_tasks(**kw, **more),
        "actors": lambda **more: state.list_actors(**kw, **more),
        "objects": lambda **more: state.list_objects(**kw, **more),
        "workers": lambda **more: state.list_workers(**kw, **more),
        "jobs": lambda **more: state.list_jobs(**kw, **more),
        "nodes": lambda **more: state.list_nodes(**kw, **more),
    }
    snap: dict[str, Any] = {}
    for kind, lister in listers.items():
        try:
            snap[kind] = _trim(kind, lister())
        except state.exception.RayStateApiException as err:  # some rows could not be read
            snap.setdefault("incomplete", {})[kind] = str(err).strip()
            snap[kind] = _trim(kind, lister(raise_on_missing_output=False))
    return snap


def dump(phase: str, note: str = "", flush_s: float = FLUSH_S) -> None:
    """Wait for the task events to reach the GCS, then add `phase` to state_truth.json."""
    time.sleep(flush_s)
    truth: dict[str, Any] = json.loads(OUT.read_text()) if OUT.exists() else {
        "ray_version": ray.__version__, "phases": {}}
    order = len(truth["phases"])  # the file's keys are sorted: this keeps the moments' order
    truth["phases"][phase] = {"note": note, "order": order, **snapshot()}
    OUT.write_text(json.dumps(truth, indent=1, sort_keys=True, default=str) + "\n")
