"""Where each attempt ran: the IP of its Ray node.

A task attempt's event names its Ray node by id only (EXPORT_TASK: `state_updates.node_id`;
Ray's event export: the task lifecycle event's `nodeId`). The IP is on the node's own events:
EXPORT_NODE's `node_manager_address` ("the IP address of the node manager",
export_node_data.proto), or the node definition event's `nodeIpAddress` in Ray's event export.
The GCS writes those, into the head node's logs, when a node registers and when it dies
(gcs_node_manager.cc: WriteNodeExportEvent), if RAY_enable_export_api_write=1 or EXPORT_NODE is
listed in RAY_enable_export_api_write_config. A capture without them (only EXPORT_TASK asked
for, or a worker node's logs read without the head's) leaves the IP unknown: "".

A node's IP is the first non-empty address its events give, in file order, as every other
merge rule (docs/architecture.md).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Iterable, Sequence

from flowinsight.model.events import ActorUpdate, NodeUpdate
from flowinsight.pipeline.failures import ACTOR_RESTARTING
from flowinsight.result import Attempt, AttemptTable, Failure, NodeIps, Result

if TYPE_CHECKING:
    from flowinsight.pipeline.build import Context


def node_addresses(updates: Iterable[NodeUpdate]) -> dict[str, str]:
    """Ray node id -> its IP: the first non-empty address of its events, in order."""
    out: dict[str, str] = {}
    for update in updates:
        if update.address and update.node_id not in out:
            out[update.node_id] = update.address
    return out


def with_node_ips(result: Result, context: Context) -> Result:
    """Each attempt's Ray node's IP (Attempt.node_ip, the table's "node_ip" column), and so each
    failure's and end's that names an attempt; an actor's death or restart takes the IP of the
    node its EXPORT_ACTOR snapshot of that death names."""
    addresses = node_addresses(context.reduced.node_updates)
    if not addresses:
        return result
    attempts = _with_ips(result.attempts, addresses)
    deaths = _death_nodes(context.reduced.actor_updates)
    actors = _actor_nodes(context.reduced.actor_updates) if any(
        f.kind == "train" for f in result.failures + result.ends) else {}
    return replace(result, attempts=attempts,
                   failures=_failures(result.failures, attempts, deaths, actors, addresses),
                   ends=_failures(result.ends, attempts, deaths, actors, addresses))


def _actor_nodes(updates: Iterable[ActorUpdate]) -> dict[str, str]:
    """Actor id -> the first Ray node its snapshots name: where a Train worker ran (a Train
    run attempt's failure names the worker's actor)."""
    out: dict[str, str] = {}
    for up in updates:
        if up.node_id:
            out.setdefault(up.actor_id, up.node_id)
    return out


def _death_nodes(updates: Iterable[ActorUpdate]) -> dict[tuple[str, str, float | None], str]:
    """(actor id, state, time) -> the Ray node its RESTARTING or DEAD snapshot names: where the
    actor was when it died (the first such snapshot with a node, in order)."""
    out: dict[tuple[str, str, float | None], str] = {}
    for up in updates:
        if up.state in ("RESTARTING", "DEAD") and up.node_id:
            out.setdefault((up.actor_id, up.state, up.time_s), up.node_id)
    return out


def _failures(failures: tuple[Failure, ...], attempts: Sequence[Attempt],
              deaths: dict[tuple[str, str, float | None], str], actors: dict[str, str],
              addresses: dict[str, str]) -> tuple[Failure, ...]:
    failures = tuple(
        replace(f, node_ip=addresses.get(deaths.get(
            (f.node, "RESTARTING" if f.error_type == ACTOR_RESTARTING else "DEAD", f.time_s),
            ""), ""))
        if f.kind == "actor" and f.attempt is None else
        replace(f, node_ip=addresses.get(actors.get(f.node, ""), ""))
        if f.kind == "train" and f.node else f for f in failures)
    return _attempt_failures(failures, attempts)


def _with_ips(attempts: Sequence[Attempt], addresses: dict[str, str]) -> Sequence[Attempt]:
    if isinstance(attempts, AttemptTable):
        # a column worked out from the Ray node column when read: nothing per row
        return attempts.with_column("node_ip", NodeIps(attempts.ray_node_ids, addresses))
    return tuple(replace(a, node_ip=addresses.get(a.ray_node_id, "")) for a in attempts)


def _attempt_failures(failures: tuple[Failure, ...],
                      attempts: Sequence[Attempt]) -> tuple[Failure, ...]:
    wanted = {(f.task_id, f.attempt) for f in failures if f.task_id and f.attempt is not None}
    if not wanted:
        return failures
    rows: Iterable[tuple[str, int, str]] = (
        zip(attempts.task_ids, attempts.numbers, attempts.column("node_ip"))
        if isinstance(attempts, AttemptTable)
        else ((a.task_id, a.attempt, a.node_ip) for a in attempts))
    ips: dict[tuple[str, int | None], str] = {
        (task_id, n): ip for task_id, n, ip in rows if ip and (task_id, n) in wanted}
    return tuple(replace(f, node_ip=ips.get((f.task_id, f.attempt), ""))
                 if (f.task_id, f.attempt) in wanted else f for f in failures)
