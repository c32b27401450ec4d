"""A graph document (what `flowinsight export --format json` writes) read into typed values.

The performance fields (`stats`, `per_s`, `latency_ms`, `summary.coverage`,
`summary.failures`) are optional here: a document written before they existed still loads,
and whatever is absent is None, so that a rule needing it can say it cannot be evaluated.
A document that is malformed raises UsageError naming the file and the field.
"""

from __future__ import annotations

from collections import Counter

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from flowinsight.ci.names import ActorInfo, Namer
from flowinsight.errors import UsageError
from flowinsight.result import Dist, NodeKind  # a distribution reads back as the one written

_SUPPORTED_MAJOR = "1"


@dataclass(frozen=True, slots=True)
class Stats:
    attempts: int
    failures: int
    retries: int
    exec_ms: Dist | None  # None: no execution was timed
    queue_ms: Dist | None


@dataclass(frozen=True, slots=True)
class DocNode:
    id: str
    kind: NodeKind
    label: str  # as the renderers show it; patterns match it
    key: str  # identity across runs (see names.py)
    shared: bool  # the key is shared with other unnamed instances of the same class
    calls: int
    stats: Stats | None  # None: the document carries no stats

    @property
    def names(self) -> tuple[str, ...]:
        """Everything a rule pattern may match: label, key and id."""
        return tuple(dict.fromkeys((self.label, self.key, self.id)))


@dataclass(frozen=True, slots=True)
class CallEdge:
    source: str
    target: str
    count: int
    per_s: float | None
    stats: Stats | None


@dataclass(frozen=True, slots=True)
class DataEdge:
    source: str
    target: str
    count: int
    bytes: int | None
    bytes_per_s: float | None
    latency_p95: float | None


@dataclass(frozen=True, slots=True)
class DocFailure:
    """One failure as the document lists it (`failures`), its node by label."""

    kind: str
    node: str  # the node's label, or "" when no node is named
    task_id: str
    attempt: int | None
    error_type: str
    message: str

    def line(self) -> str:
        """`<node> task <id>/<attempt>: <TYPE>: <message>`, for a rule's message."""
        where = " ".join(filter(None, (self.node or f"({self.kind})", f"task {self.task_id}"
                                       + ("" if self.attempt is None else f"/{self.attempt}")
                                       if self.task_id else "")))
        what = f"{self.error_type}: {self.message}" if self.message else self.error_type
        return f"{where}: {what}"


@dataclass(frozen=True, slots=True)
class Coverage:
    ratio: float
    complete: bool


@dataclass(frozen=True, slots=True)
class Graph:
    origin: str  # the path or session it came from, for messages
    nodes: tuple[DocNode, ...]  # sorted by id
    calls: tuple[CallEdge, ...]  # sorted by (source, target)
    data: tuple[DataEdge, ...]
    coverage: Coverage | None  # None: not in the document
    failures: int | None
    failures_by_type: tuple[tuple[str, int], ...]
    has_stats: bool  # every node carries `stats`
    has_call_rates: bool  # every call flow carries `per_s`
    failure_list: tuple[DocFailure, ...] = ()  # empty where the document lists none

    def by_id(self) -> dict[str, DocNode]:
        return {n.id: n for n in self.nodes}


def looks_saved(path: str) -> bool:
    """Whether `path` is a saved graph document rather than a session, an event file or a
    folder. Event files are JSON lines, so only a file that is one JSON object holding
    `schema_version` and `callFlows` counts."""
    p = Path(path)
    if not p.is_file():
        return False
    try:
        with p.open("rb") as f:
            head = f.read(4096).lstrip()
        if not head.startswith(b"{"):
            return False
        doc = orjson.loads(p.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return False
    return isinstance(doc, dict) and "schema_version" in doc and "callFlows" in doc


def read_saved(path: str) -> Graph:
    try:
        raw = orjson.loads(Path(path).read_bytes())
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except orjson.JSONDecodeError as exc:
        raise UsageError(f"{path}: not JSON: {exc}") from exc
    return graph_of(raw, path)


def graph_of(raw: object, origin: str) -> Graph:
    """The typed graph of a document (from `json_out.to_document` or a file)."""
    r = _Reader(origin)
    doc = r.obj(raw, "")
    version = r.string(doc, "schema_version", "")
    if version.split(".", 1)[0] != _SUPPORTED_MAJOR:
        raise UsageError(f"{origin}: schema_version {version!r} is not supported "
                         f"(this flowinsight reads {_SUPPORTED_MAJOR}.x)")
    actors = [r.obj(a, f"actors[{i}]") for i, a in enumerate(r.array(doc, "actors", ""))]
    methods = [r.obj(m, f"methods[{i}]") for i, m in enumerate(r.array(doc, "methods", ""))]
    functions = [r.obj(f, f"functions[{i}]") for i, f in enumerate(r.array(doc, "functions", ""))]
    infos = [ActorInfo(r.string(a, "id", f"actors[{i}]"), r.string(a, "name", f"actors[{i}]"),
                       r.string(a, "actor_name", f"actors[{i}]"), r.string(a, "jobId", f"actors[{i}]"))
             for i, a in enumerate(actors)]
    jobs = {a.job_id for a in infos} | {
        r.string(f, "jobId", f"functions[{i}]") for i, f in enumerate(functions)}
    namer = Namer(infos, jobs)

    nodes: list[DocNode] = []
    entries: list[tuple[NodeKind, dict[str, Any], str]] = []
    entries += [(NodeKind.ACTOR, a, f"actors[{i}]") for i, a in enumerate(actors)]
    entries += [(NodeKind.METHOD, m, f"methods[{i}]") for i, m in enumerate(methods)]
    for i, f in enumerate(functions):
        node_id = r.string(f, "id", f"functions[{i}]")
        driver = r.string(f, "name", f"functions[{i}]") == "main" and (
            node_id == "main" or node_id.startswith("main@"))
        entries.append((NodeKind.DRIVER if driver else NodeKind.FUNCTION, f, f"functions[{i}]"))
    has_stats = True
    for kind, entry, where in entries:
        node_id = r.string(entry, "id", where)
        actor_id = (node_id if kind is NodeKind.ACTOR else
                    r.string(entry, "actorId", where) if kind is NodeKind.METHOD else "")
        name = r.string(entry, "name", where)
        job = namer.actors[actor_id].job_id if actor_id in namer.actors else (
            str(entry.get("jobId", "")))
        stats = r.stats(entry, where)
        has_stats = has_stats and stats is not None
        nodes.append(DocNode(
            id=node_id, kind=kind, label=namer.label(kind, node_id, name, actor_id, job),
            key=namer.key(kind, node_id, name, actor_id), shared=namer.shared_key(actor_id),
            calls=r.integer(entry, "calls", where), stats=stats))
    known = {n.id for n in nodes}

    calls: list[CallEdge] = []
    has_rates = True
    for i, c in enumerate(r.array(doc, "callFlows", "")):
        where = f"callFlows[{i}]"
        c = r.obj(c, where)
        if c.get("via"):  # drawn through Ray's hidden internals: the document also lists
            continue      # those calls as Ray recorded them (from the internal caller)
        has_rates = has_rates and "per_s" in c
        calls.append(CallEdge(r.endpoint(c, "source", where, known),
                              r.endpoint(c, "target", where, known),
                              r.integer(c, "count", where), r.opt_number(c, "per_s", where),
                              r.stats(c, where)))
    data: list[DataEdge] = []
    for i, d in enumerate(r.array(doc, "dataFlows", "")):
        where = f"dataFlows[{i}]"
        d = r.obj(d, where)
        latency = d.get("latency_ms")
        p95 = r.opt_number(r.obj(latency, f"{where}.latency_ms"), "p95", where) if (
            latency is not None) else None
        size = d.get("bytes")
        if size is not None and (not isinstance(size, int) or isinstance(size, bool)):
            raise UsageError(f"{origin}: {where}.bytes is not an integer")
        data.append(DataEdge(r.endpoint(d, "source", where, known),
                             r.endpoint(d, "target", where, known), r.integer(d, "count", where),
                             size, r.opt_number(d, "bytes_per_s", where), p95))

    summary = r.obj(doc.get("summary", {}), "summary")
    coverage = None
    if summary.get("coverage") is not None:
        cov = r.obj(summary["coverage"], "summary.coverage")
        complete = cov.get("complete")
        if not isinstance(complete, bool):
            raise UsageError(f"{origin}: summary.coverage.complete is not true or false")
        coverage = Coverage(r.number(cov, "ratio", "summary.coverage"), complete)
    failures: int | None = None
    by_type: tuple[tuple[str, int], ...] = ()
    if summary.get("failures") is not None:
        fail = r.obj(summary["failures"], "summary.failures")
        failures = r.integer(fail, "total", "summary.failures")
        types = r.obj(fail.get("by_type", {}), "summary.failures.by_type")
        by_type = tuple(sorted((str(k), r.integer(types, k, "summary.failures.by_type"))
                               for k in types))

    labels = {n.id: n.label for n in nodes}
    failure_list = []
    for i, f in enumerate(doc.get("failures") or []):
        where = f"failures[{i}]"
        f = r.obj(f, where)
        attempt = f.get("attempt")
        failure_list.append(DocFailure(
            kind=r.string(f, "kind", where), node=labels.get(str(f.get("node", "")), ""),
            task_id=r.string(f, "taskId", where),
            attempt=attempt if isinstance(attempt, int) and not isinstance(attempt, bool)
            else None,
            error_type=r.string(f, "error_type", where), message=r.string(f, "message", where)))

    return Graph(
        origin=origin,
        nodes=tuple(sorted(nodes, key=lambda n: n.id)),
        calls=tuple(sorted(calls, key=lambda c: (c.source, c.target))),
        data=tuple(sorted(data, key=lambda d: (d.source, d.target))),
        coverage=coverage, failures=failures, failures_by_type=by_type,
        has_stats=has_stats and bool(nodes), has_call_rates=has_rates and bool(calls),
        failure_list=tuple(failure_list))


class _Reader:
    """Field access that names the file and the field when a document is malformed."""

    def __init__(self, origin: str) -> None:
        self.origin = origin

    def fail(self, where: str, what: str) -> UsageError:
        return UsageError(f"{self.origin}: {where or 'document'} {what} (not a graph document "
                          "written by `flowinsight export --format json`?)")

    def obj(self, value: object, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, "is not an object")
        return value

    def _get(self, obj: dict[str, Any], key: str, where: str) -> object:
        if key not in obj:
            raise self.fail(f"{where}.{key}" if where else key, "is missing")
        return obj[key]

    def array(self, obj: dict[str, Any], key: str, where: str) -> list[object]:
        value = self._get(obj, key, where)
        if not isinstance(value, list):
            raise self.fail(f"{where}.{key}" if where else key, "is not a list")
        return value

    def string(self, obj: dict[str, Any], key: str, where: str) -> str:
        value = self._get(obj, key, where)
        if not isinstance(value, str):
            raise self.fail(f"{where}.{key}" if where else key, "is not a string")
        return value

    def integer(self, obj: dict[str, Any], key: str, where: str) -> int:
        value = self._get(obj, key, where)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(f"{where}.{key}", "is not an integer")
        return value

    def number(self, obj: dict[str, Any], key: str, where: str) -> float:
        value = self._get(obj, key, where)
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise self.fail(f"{where}.{key}", "is not a number")
        return float(value)

    def opt_number(self, obj: dict[str, Any], key: str, where: str) -> float | None:
        return None if obj.get(key) is None else self.number(obj, key, where)

    def endpoint(self, obj: dict[str, Any], key: str, where: str, known: set[str]) -> str:
        value = self.string(obj, key, where)
        if value not in known:
            raise self.fail(f"{where}.{key}", f"names node {value!r}, which is not in the document")
        return value

    def timing(self, obj: dict[str, Any], key: str, where: str) -> Dist | None:
        if obj.get(key) is None:
            return None
        t = self.obj(obj[key], f"{where}.{key}")
        w = f"{where}.{key}"
        return Dist(self.integer(t, "count", w), self.number(t, "p50", w),
                      self.number(t, "p95", w), self.number(t, "max", w), self.number(t, "sum", w))

    def stats(self, obj: dict[str, Any], where: str) -> Stats | None:
        if obj.get("stats") is None:
            return None
        s = self.obj(obj["stats"], f"{where}.stats")
        w = f"{where}.stats"
        return Stats(self.integer(s, "attempts", w), self.integer(s, "failures", w),
                     self.integer(s, "retries", w), self.timing(s, "exec_ms", w),
                     self.timing(s, "queue_ms", w))
