"""`--engine ray`: event files parsed by Ray tasks on the nodes that hold them.

Each group of files (flowinsight.read.parallel) becomes one Ray task, pinned with
NodeAffinitySchedulingStrategy to the node whose session directory holds the files: a file
under a live node's own session directory (`ray.nodes()` names it through the node's socket
paths) belongs to that node; any other file (a copied capture, the whole input on one
machine) to the node of this driver. Groups never mix nodes. The tasks return their groups'
reduced pieces and this process merges them in file order, exactly as the local engine does:
the output does not depend on the engine.

Ray is optional (`pip install flowinsight[ray]`) and imported only here, only when used. The
driver joins the cluster named by RAY_ADDRESS, or the one `ray.init()` finds, or starts a local
one; a program that already called ray.init() keeps its own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

from flowinsight.errors import UsageError
from flowinsight.read.discover import Source
from flowinsight.read.parallel import Group, GroupResult, Reducer, R, read_group

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

    def home(self, source: Source) -> str:
        path = os.path.realpath(source.path)
        for session, node in self.session_dirs:
            if path.startswith(session + os.sep):
                return node
        return self.driver_node


def node_dirs(ray: Any) -> NodeDirs:
    """Which node holds which session directory, from ray.nodes()."""
    dirs = []
    for node in ray.nodes():
        if not node.get("Alive"):
            continue
        socket = node.get("RayletSocketName") or node.get("ObjectStoreSocketName") or ""
        if socket.startswith("/"):  # <session dir>/sockets/raylet
            dirs.append((os.path.realpath(Path(socket).parent.parent), node["NodeID"]))
    cpus = int(ray.cluster_resources().get("CPU", 1))
    return NodeDirs(ray.get_runtime_context().get_node_id(), tuple(sorted(dirs)), max(1, cpus))


@dataclass
class RayRunner:
    """read_group as Ray tasks (flowinsight.read.parallel.Runner)."""

    jobs: int = 0  # groups read at once; 0: every CPU of the cluster
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

    def run(self, groups: Sequence[Group], reducer: Reducer[R]) -> Iterator[GroupResult[R]]:
        nodes = self._connect()
        ray = self._ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        task = ray.remote(num_cpus=1, max_retries=2)(read_group)
        pending = []
        for index, sources in groups:
            node = nodes.home(sources[0]) if sources else nodes.driver_node
            # soft only for the driver's own node: a file on another node's disk cannot be
            # read anywhere else
            strategy = NodeAffinitySchedulingStrategy(node, soft=node == nodes.driver_node)
            pending.append(task.options(scheduling_strategy=strategy).remote(
                index, list(sources), reducer))
        try:
            while pending:
                done, pending = ray.wait(pending, num_returns=1)
                for ref in done:
                    yield ray.get(ref)
        finally:
            for ref in pending:  # given up (an error): stop what still runs
                ray.cancel(ref)
