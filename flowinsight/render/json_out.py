"""`json`: the Flow Insight design's graph structure (actors, methods, functions, callFlows,
dataFlows) plus `schema_version` and a `summary`. Validated by `schema/flowinsight.schema.json`."""

from __future__ import annotations

from dataclasses import fields
from typing import Any, Sequence

import orjson

from flowinsight.render import RenderOptions, Renderer, one_piece
from flowinsight.units import MS_DECIMALS, human_rate
from flowinsight.model.events import Frame
from flowinsight.result import (Attempt, Dist, Failure, NodeKind, Result, SCHEMA_VERSION,
                                Stats, failure_groups)

# an attempt row's keys: every field of Attempt, those later steps add included
ATTEMPT_KEYS = tuple(f.name for f in fields(Attempt))


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, MS_DECIMALS)


def _dist(d: Dist | None) -> dict[str, Any] | None:
    if d is None:
        return None
    return {"count": d.count, "p50": _ms(d.p50), "p95": _ms(d.p95), "max": _ms(d.max),
            "sum": _ms(d.sum)}


def _stats(s: Stats) -> dict[str, Any]:
    return {"tasks": s.tasks, "attempts": s.attempts, "failures": s.failures,
            "retries": s.retries, "exec_ms": _dist(s.exec_ms), "queue_ms": _dist(s.queue_ms)}


def _frames(frames: tuple[Frame, ...]) -> list[dict[str, Any]]:
    return [{"file": f.file, "line": f.line, "function": f.function} for f in frames]


def to_document(result: Result) -> dict[str, Any]:
    hidden = result.hidden  # Ray's internals, out of the view: always in the JSON, marked
    actors = {a.id: a for a in (*result.actors, *hidden.actors)}
    nodes = sorted((*result.nodes, *hidden.nodes), key=lambda n: n.id) if hidden.nodes \
        else result.nodes
    call_flows = sorted((*result.call_flows, *hidden.call_flows),
                        key=lambda c: (c.source, c.target, c.via)) if hidden.call_flows \
        else result.call_flows
    data_flows = sorted((*result.data_flows, *hidden.data_flows),
                        key=lambda d: (d.source, d.target)) if hidden.data_flows \
        else result.data_flows
    failures = result.failures_by_node()

    def common(n: Any) -> dict[str, Any]:
        out = {"stats": _stats(n.stats), "failures": failures.get(n.id, 0),
               "internal": n.internal}
        if n.undefined:  # a placeholder, not a function or method of that name
            out["undefined"] = True
        return out

    return {
        "schema_version": SCHEMA_VERSION,
        "summary": _summary(result),
        "actors": [
            {
                "id": n.id,
                "name": actors[n.id].class_name if n.id in actors else n.name,
                "actor_name": actors[n.id].actor_name if n.id in actors else "",
                "language": n.language,
                "jobId": n.job_id,
                "state": actors[n.id].state if n.id in actors else "",
                "detached": actors[n.id].detached if n.id in actors else False,
                "calls": n.calls,
                "inferred": n.inferred,
                **common(n),
            }
            for n in nodes if n.kind is NodeKind.ACTOR
        ],
        "methods": [
            {"id": n.id, "actorId": n.actor_id, "name": n.name, "language": n.language,
             "calls": n.calls, "inferred": n.inferred, **common(n)}
            for n in nodes if n.kind is NodeKind.METHOD
        ],
        "functions": [
            {"id": n.id, "name": n.name, "module": n.module, "language": n.language,
             "jobId": n.job_id, "calls": n.calls, "inferred": n.inferred, **common(n)}
            for n in nodes if n.kind in (NodeKind.FUNCTION, NodeKind.DRIVER)
        ],
        "callFlows": [
            {"source": c.source, "target": c.target, "count": c.count, "stats": _stats(c.stats),
             "per_s": None if c.per_s is None else round(c.per_s, 3),
             # through Ray's hidden internals (the hidden flows are listed too, as they ran)
             **({"via": list(c.via)} if c.via else {})}
            for c in call_flows
        ],
        "dataFlows": [
            {
                "source": d.source,
                "target": d.target,
                "count": d.count,
                "bytes": d.bytes,
                "unsized": d.unsized,
                "bytes_per_s": None if d.bytes_per_s is None else round(d.bytes_per_s, 1),
                "speed": human_rate(d.bytes_per_s),
                "latency_ms": None if d.latency_ms is None else
                {"p50": _ms(d.latency_ms.p50), "p95": _ms(d.latency_ms.p95)},
            }
            for d in data_flows
        ],
        "failureNotes": [
            {"label": f.label, "message": f.message, "severity": f.severity,
             "jobId": f.job_id, "nodeId": f.node_id, "workerId": f.worker_id, "pid": f.pid,
             "time_s": f.time_s}
            for f in result.failure_notes
        ],
        "failures": [_failure(f) for f in result.failures],
        "ends": [_failure(f) for f in result.ends],
        "callSites": [
            {"node": c.node, "caller": c.caller, "count": c.count, "source": c.source,
             "frames": _frames(c.frames)}
            for c in result.call_sites
        ],
        "datasets": [
            {"id": d.id, "jobId": d.job_id, "state": d.state, "start_s": d.start_s,
             "end_s": d.end_s,
             "operators": [
                 {"id": o.id, "name": o.name, "state": o.state, "inputs": list(o.inputs),
                  "start_s": o.start_s, "end_s": o.end_s, "nodes": list(o.nodes),
                  "tasks": o.tasks, "attempts": o.attempts, "failures": o.failures,
                  "exec_ms": _dist(o.exec_ms), "bytes_out": o.bytes_out,
                  "schema": [list(f) for f in o.schema], "issues": list(o.issues)}
                 for o in d.operators]}
            for d in result.datasets
        ],
        "serve": [
            {"app": d.app, "name": d.name, "replicas": list(d.replicas), "states": list(d.states),
             "calls": d.calls, "requests": d.requests, "request_ms": _dist(d.request_ms),
             "failures": d.failures, "calls_to": [[t, n] for t, n in d.calls_to],
             "load_checks_to": [[t, n] for t, n in d.load_checks_to],
             "cancelled": d.cancelled}
            for d in result.serve
        ],
        "tune": [
            {"actorId": t.actor_id, "trainable": t.trainable, "state": t.state,
             "train_calls": t.train_calls, "train_ms": _dist(t.train_ms),
             "failures": t.failures, "starts": t.starts, "restores": t.restores}
            for t in result.tune
        ],
        "criticalPath": [
            {"jobId": p.job_id, "total_ms": _ms(p.total_ms),
             "steps": [{"node": s.node, "taskId": s.task_id, "exec_ms": _ms(s.exec_ms)}
                       for s in p.steps]}
            for p in result.critical_paths
        ],
    }


def _failure(f: Failure) -> dict[str, Any]:
    return {"kind": f.kind, "node": f.node, "taskId": f.task_id, "attempt": f.attempt,
            "error_type": f.error_type, "message": f.message, "time_s": f.time_s,
            "category": f.category, "pid": f.pid, "callSite": _frames(f.call_site),
            "node_ip": f.node_ip, "key": f.key, "cause": f.cause}


def _by_type(failures: tuple[Failure, ...]) -> dict[str, Any]:
    by_type: dict[str, int] = {}
    for failure in failures:
        by_type[failure.error_type] = by_type.get(failure.error_type, 0) + 1
    return {"total": len(failures), "by_type": dict(sorted(by_type.items()))}


def _summary(result: Result) -> dict[str, Any]:
    read = result.read
    c = result.coverage
    ignored: dict[str, int] = {}
    for f in read.files:
        for kind, n in f.ignored:
            ignored[kind] = ignored.get(kind, 0) + n
    return {
        "jobs": [
            {"id": j.id, "entrypoint": j.entrypoint, "driver_pid": j.driver_pid,
             "start_ms": j.start_ms, "end_ms": j.end_ms, "tasks": j.tasks}
            for j in result.jobs
        ],
        "tasks": result.tasks,
        "files": len(read.files),
        "lines": read.lines,
        "events": read.events,
        "duplicates": read.duplicates,
        "sources": list(result.sources),
        "object_events": result.has_object_events,
        "skipped": {
            "total": read.skipped_total,
            "by_reason": read.skipped_by_reason(),
            "by_file": {f.path: dict(f.skipped) for f in read.files if f.skipped},
        },
        "ignored": dict(sorted(ignored.items())),
        "truncated_files": [f.path for f in read.files if f.truncated],
        "coverage": {
            "ratio": round(c.ratio, 4),
            "complete": c.complete,
            "tasks": c.tasks,
            "complete_tasks": c.complete_tasks,
            "without_definition": c.without_definition,
            "without_parent": c.without_parent,
            "without_final_state": c.without_final_state,
            "without_execution": c.without_execution,
            "empty_files": c.empty_files,
            "truncated_files": c.truncated_files,
            "skipped_lines": c.skipped_lines,
            "undefined_tasks": c.undefined_tasks,
            "unfinished": [{"job_id": u.job_id, "at": u.at, "running": u.running,
                            "queued": u.queued} for u in c.unfinished],
        },
        # how many stories: the failures no other one explains (result.failure_groups)
        "failures": {**_by_type(result.failures),
                     "causes": len(failure_groups(result.failures))},
        "ends": _by_type(result.ends),
        "warnings": list(result.warnings),
        "ray_nodes": [{"id": n.id, "ip": n.ip, "attempts": n.attempts,
                       "failed_attempts": n.failed_attempts, "workers": n.workers}
                      for n in result.ray_nodes],
    }


def attempt_rows(attempts: Sequence[Attempt]) -> list[dict[str, Any]]:
    """One object per task attempt, in the table's order (by task, then attempt), with every
    field of Attempt: times in ns since the epoch (null when not recorded), `node` the graph
    node, `status` FINISHED, FAILED or UNKNOWN."""
    return [{key: getattr(a, key) for key in ATTEMPT_KEYS} for a in attempts]


def render(result: Result, options: RenderOptions) -> bytes:
    document = to_document(result)
    if options.attempts:
        document["attempts"] = attempt_rows(result.attempts)
    return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


RENDERER = Renderer("json", False, "the graph as JSON (schema in the package)",
                    one_piece(render))
