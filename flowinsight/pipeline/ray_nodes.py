"""Where the work ran: each Ray node the attempts name, with its IP, how many attempts ran on
it, how many of those failed, and on how many workers. A multi-node run's first question ("did
the work spread, and where did it fail?") is answered by this rollup of the attempts' Ray node,
status and worker columns; the IP is the node_ip column (pipeline/node_ips.py, the step before).
A driver's own record names no node and is left out, as is an attempt whose node no event
named."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import TYPE_CHECKING

from flowinsight.result import (STATUS_NAMES, AttemptTable, NodeIps, RayNode, Result,
                                byte_positions)

if TYPE_CHECKING:
    from flowinsight.pipeline.build import Context

_FAILED = STATUS_NAMES.index("FAILED")


def with_ray_nodes(result: Result, context: Context) -> Result:
    """Result.ray_nodes, by node id."""
    t = result.attempts
    if isinstance(t, AttemptTable):
        nodes, statuses, workers = t.ray_node_ids, bytes(t.statuses), t.worker_ids
        ips = t.column("node_ip")
    else:  # rows (a result made by hand)
        nodes = [a.ray_node_id for a in t]
        statuses = bytes(STATUS_NAMES.index(a.status) for a in t)
        workers = [a.worker_id for a in t]
        ips = [a.node_ip for a in t]
    # each made in C over the columns: a big session has millions of attempts, few workers
    attempts = Counter(nodes)
    attempts.pop("", None)
    if not attempts:
        return result
    per_node = Counter(node for node, worker in set(zip(nodes, workers)) if worker and node)
    failed = Counter(nodes[i] for i in byte_positions(statuses, _FAILED))
    ip_of: dict[str, str] = {}
    if isinstance(ips, NodeIps):
        ip_of = dict(ips.addresses)  # the step before's map itself
    elif not isinstance(t, AttemptTable) or "node_ip" in t.extra:
        for node, ip in zip(nodes, ips):
            if ip:
                ip_of.setdefault(node, ip)
    return replace(result, ray_nodes=tuple(
        RayNode(node, ip_of.get(node, ""), n, failed.get(node, 0), per_node.get(node, 0))
        for node, n in sorted(attempts.items())))

