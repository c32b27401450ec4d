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
        ips = t.node_ips
    else:  # rows (a result made by hand)
        nodes = [a.ray_node_id for a in t]
        statuses = bytes(STATUS_NAMES.index(a.status) for a in t)
        workers = [a.worker_id for a in t]
        ips = [a.node_ip for a in t]
    attempts = Counter(nodes)  # counted in C; the rest only over the rows that need it
    attempts.pop("", None)
    if not attempts:
        return result
    failed = Counter(nodes[i] for i in byte_positions(statuses, _FAILED))
    seen = {(node, worker) for node, worker in zip(nodes, workers) if worker}
    per_node = Counter(node for node, _ in seen)
    ip_of: dict[str, str] = {}
    if isinstance(ips, NodeIps):
        ip_of = dict(ips.addresses)  # the step before's map itself
    else:
        for node, ip in zip(nodes, ips):
            if ip:
                ip_of.setdefault(node, ip)
    return replace(result, ray_nodes=tuple(
        RayNode(node, ip_of.get(node, ""), n, failed.get(node, 0), per_node.get(node, 0))
        for node, n in sorted(attempts.items())))

