"""`--engine ray`: each node's event files found and parsed on that node, merged here.

Discovery runs as one Ray task per alive node, pinned to it (node_files.py: the paths given,
as they exist on that node, or that node's own session directory of the running cluster);
each file is kept once, by host and real path, at a node that saw it. The files are then cut
into groups (flowinsight.read.parallel) that never mix nodes, and each group is read by a Ray
task pinned to its node (hard NodeAffinitySchedulingStrategy: a file on another machine's
disk cannot be read anywhere else). The groups' reduced pieces come back through the object
store and this process merges them in file order, exactly as the local engine does: the
output does not depend on the engine.

Files a caller discovered itself (plain Sources, seen by this driver) are read where their
path says: under a live node's own session directory (`ray.nodes()` names it through the
node's socket paths) by that node, else by this driver's node.

A node that dies under the read ends it with one line (WorkerDied), as a local worker does.
Ray is optional (`pip install flowinsight[ray]`) and imported only here, only when used. The
driver joins the cluster named by RAY_ADDRESS, or the one `ray.init()` finds, or starts a local
one; a program that already called ray.init() keeps its own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from flowinsight.engines.node_files import (Finding, Located, absent, find_here,
                                            own_session_dir, place, refuse_unfound)
from flowinsight.errors import UsageError, WorkerDied
from flowinsight.model.capture import ReadAccount
from flowinsight.read.capture import read_capture
from flowinsight.read.discover import Source
from flowinsight.read.parallel import Group, GroupResult, Reducer, R, read_group
from flowinsight.read.repeat_lines import Picked, pick_here

INSTALL_HINT = "--engine ray needs Ray: pip install 'flowinsight[ray]'"


def import_ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise UsageError(f"{INSTALL_HINT} ({exc})") from None
    return ray


@dataclass(frozen=True, slots=True)
class NodeDirs:
    """The live nodes of the cluster and their session directories."""

    driver_node: str  # the node of this process
    session_dirs: tuple[tuple[str, str], ...]  # (realpath of a node's session dir, node id)
    cpus: int
    names: tuple[tuple[str, str], ...] = ()  # node id -> "node 1a2b3c4d (10.0.0.7)"
    with_cpu: frozenset[str] = frozenset()  # nodes with a CPU to give a reading task

    def home(self, source: Source) -> str:
        if isinstance(source, Located):
            return source.node
        path = os.path.realpath(source.path)
        for session, node in self.session_dirs:
            if path.startswith(session + os.sep):
                return node
        return self.driver_node

    def name(self, node: str) -> str:
        return dict(self.names).get(node, f"node {node[:8]}")


def node_dirs(ray: Any) -> NodeDirs:
    """The alive nodes, which holds which session directory, from ray.nodes()."""
    dirs = []
    names = []
    with_cpu = set()
    for node in ray.nodes():
        if not node.get("Alive"):
            continue
        names.append((node["NodeID"], f"node {node['NodeID'][:8]} "
                                      f"({node.get('NodeManagerAddress', '?')})"))
        if node.get("Resources", {}).get("CPU", 0) >= 1:
            with_cpu.add(node["NodeID"])
        socket = node.get("RayletSocketName") or node.get("ObjectStoreSocketName") or ""
        if socket.startswith("/"):  # <session dir>/sockets/raylet
            dirs.append((os.path.realpath(Path(socket).parent.parent), node["NodeID"]))
    cpus = int(ray.cluster_resources().get("CPU", 1))
    return NodeDirs(ray.get_runtime_context().get_node_id(), tuple(sorted(dirs)), max(1, cpus),
                    tuple(sorted(names)), frozenset(with_cpu))


def _real(source: Source) -> str:
    return source.real if isinstance(source, Located) else os.path.realpath(source.path)


def _find_on_node(paths: Sequence[str]) -> Finding:
    """find_here, as a Ray task: on the node it runs on, with that node's own session dir."""
    import ray

    context = ray.get_runtime_context()
    return find_here(context.get_node_id(), paths,
                     own_session_dir(context.get_temp_dir(), context.get_session_name()))


def _read_on_node(index: int, sources: Sequence[Source],
                  reducer: Reducer[R]) -> tuple[str, GroupResult[R]]:
    """read_group, as a Ray task: and the node it ran on."""
    import ray

    return ray.get_runtime_context().get_node_id(), read_group(index, sources, reducer)


def _exact_on_node(sources: Sequence[Source], reducer: Reducer[R]) -> tuple[ReadAccount, R]:
    """Every file read at once, in one process (parallel._exact), on the node that holds them."""
    capture = read_capture(sources)
    return capture.account, reducer.reduce(capture.events)


@dataclass
class RayRunner:
    """read_group as Ray tasks (flowinsight.read.parallel.Runner), on the files' nodes."""

    jobs: int = 0  # groups read at once; 0: every CPU of the cluster
    # node id -> the files its tasks read (real paths), as the tasks report where they ran
    read_on: dict[str, list[str]] = field(default_factory=dict)
    _ray: Any = field(default=None, repr=False)
    _nodes: NodeDirs | None = field(default=None, repr=False)

    def _connect(self) -> NodeDirs:
        if self._nodes is None:
            ray = self._ray = import_ray()
            if not ray.is_initialized():
                ray.init(address=os.environ.get("RAY_ADDRESS") or None, include_dashboard=False,
                         logging_level="ERROR", log_to_driver=False)
            self._nodes = node_dirs(ray)
        return self._nodes

    @property
    def workers(self) -> int:
        return self.jobs or self._connect().cpus

    def home(self, source: Source) -> str:
        return self._connect().home(source)

    def discover(self, paths: Sequence[str], warn: Callable[[str], None]) -> list[Source]:
        """The event files under `paths` on every alive node (no path: each node's own session
        directory), each once, at the node that will read it. A node that lacks a path is
        told in one line; a path no node has is a UsageError."""
        nodes = self._connect()
        ray = self._ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        task = ray.remote(num_cpus=0, max_retries=1, enable_task_events=False)(_find_on_node)
        pending = {node: task.options(scheduling_strategy=NodeAffinitySchedulingStrategy(
            node, soft=False)).remote(list(paths)) for node, _ in nodes.names}
        findings: list[Finding] = []
        lost: list[str] = []
        for node, ref in pending.items():
            try:
                findings.append(self._get(ref))
            except WorkerDied:
                lost.append(nodes.name(node))
        if lost:
            more = ", ..." if len(lost) > 3 else ""
            warn(f"--engine ray: {len(lost)} node(s) stopped before their files were listed, "
                 f"their files are not read: {', '.join(lost[:3])}{more}")
        refuse_unfound(findings, paths)
        line = absent(findings, dict(nodes.names))
        if line:
            warn(line)
        return list(place(findings))

    def run(self, groups: Sequence[Group], reducer: Reducer[R]) -> Iterator[GroupResult[R]]:
        nodes = self._connect()
        ray = self._ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        task = ray.remote(max_retries=2, enable_task_events=False)(_read_on_node)
        pending = {}
        for index, sources in groups:
            node = nodes.home(sources[0]) if sources else nodes.driver_node
            # soft only for a driver-discovered file outside any node's session directory:
            # a file on another node's disk cannot be read anywhere else
            soft = node == nodes.driver_node and not any(isinstance(s, Located) for s in sources)
            ref = task.options(num_cpus=1 if node in nodes.with_cpu else 0,
                               scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=soft)
                               ).remote(index, list(sources), reducer)
            pending[ref] = (node, sources)
        try:
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1)
                for ref in done:
                    node, sources = pending.pop(ref)
                    try:
                        ran_on, result = self._get(ref)
                    except WorkerDied as exc:
                        raise WorkerDied(f"--engine ray: {nodes.name(node)} stopped while "
                                         f"reading {len(sources)} file(s) ({sources[0].display}"
                                         f"{', ...' if len(sources) > 1 else ''}): {exc}") from None
                    self.read_on.setdefault(ran_on, []).extend(map(_real, sources))
                    yield result
        finally:
            for ref in pending:  # given up (an error, or the exact read): stop what still runs
                ray.cancel(ref)

    def read_exact(self, sources: Sequence[Source], reducer: Reducer[R]) -> tuple[ReadAccount, R]:
        """The exact one-process read (parallel._exact: archives), on the
        machine that holds the files; files on several machines cannot be read at once."""
        located = [s for s in sources if isinstance(s, Located)]
        if not located:
            return _exact_on_node(sources, reducer)
        hosts = sorted({s.host for s in located})
        if len(hosts) > 1 or len(located) < len(sources):
            raise UsageError(
                f"--engine ray: these files must be read together in one process (an archive, "
                f"or events repeated across files that the reader cannot leave out), but they "
                f"are on {len(hosts)} machines "
                f"({', '.join(hosts[:3])}; a disk shared by several machines is seen once on "
                f"each): copy them to one machine and use --engine local")
        counts: dict[str, int] = {}
        for source in located:
            counts[source.node] = counts.get(source.node, 0) + 1
        node = min(counts, key=lambda n: (-counts[n], n))
        ray = self._ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        task = ray.remote(max_retries=2, enable_task_events=False,
                          num_cpus=1 if node in self._connect().with_cpu else 0)(
            _exact_on_node)
        ref = task.options(scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=False)
                           ).remote(list(sources), reducer)
        try:
            result: tuple[ReadAccount, R] = self._get(ref)
        except WorkerDied as exc:
            raise WorkerDied(f"--engine ray: {self._connect().name(node)} stopped while reading "
                             f"{len(sources)} file(s): {exc}") from None
        self.read_on.setdefault(node, []).extend(map(_real, sources))
        return result

    def pick_lines(self, requests: Sequence[tuple[Source, frozenset[int]]]
                   ) -> list[list[Picked]]:
        """repeat_lines.pick_here of these files (the lines of ids repeated with other
        content), one Ray task per node that holds some of them, on that node."""
        by_node: dict[str, list[int]] = {}
        for index, (source, _) in enumerate(requests):
            by_node.setdefault(self.home(source), []).append(index)
        ray = self._ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        task = ray.remote(max_retries=2, enable_task_events=False, num_cpus=0)(pick_here)
        refs = {node: task.options(scheduling_strategy=NodeAffinitySchedulingStrategy(
            node, soft=False)).remote([requests[i] for i in indexes])
            for node, indexes in by_node.items()}
        out: list[list[Picked]] = [[] for _ in requests]
        for node, ref in refs.items():
            try:
                found: list[list[Picked]] = self._get(ref)
            except WorkerDied as exc:
                raise WorkerDied(f"--engine ray: {self._connect().name(node)} stopped while "
                                 f"reading the lines of repeated event ids: {exc}") from None
            for index, picked in zip(by_node[node], found):
                out[index] = picked
        return out

    def summary(self) -> str:
        """Which node read how many files, in one line."""
        nodes = self._connect()
        parts = [f"{len(files)} on {nodes.name(node)}"
                 for node, files in sorted(self.read_on.items(), key=lambda kv: kv[0])]
        total = sum(len(files) for files in self.read_on.values())
        return f"--engine ray: {total} file(s) read on {len(self.read_on)} node(s): " \
               + ", ".join(parts)

    def _get(self, ref: Any) -> Any:
        """ray.get, with a lost node or worker as WorkerDied and an error raised inside the
        task as itself (a UsageError stays one line)."""
        ray = self._ray
        try:
            return ray.get(ref)
        except ray.exceptions.RayTaskError as exc:
            cause = getattr(exc, "cause", None)
            if isinstance(cause, Exception):
                raise cause from None
            raise
        except ray.exceptions.RayError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise WorkerDied(f"{type(exc).__name__}: {first}"[:300]) from None
