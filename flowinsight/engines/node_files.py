"""`--engine ray`: which event files each node of the cluster holds, found on that node.

A machine cannot list another machine's disk, so discovery runs once per alive node, as a
Ray task pinned to it (ray_engine.py): `find_here` lists the paths the user gave, as they
exist on that node, or, with no path, that node's own session directory of the running
cluster (its temp dir, as `ray start --temp-dir` or the head's set it, and the session name
every node of one cluster shares). The driver then keeps each file once (`place`): a file is
known by its host and real path, so several nodes on one machine (a local test cluster, or
nodes sharing a disk) do not read it twice, and it is read on the node whose own session
directory holds it, else on the least loaded node that saw it.

This module knows files and nodes, not Ray's API: the runner hands in what Ray says.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, fields
from typing import Sequence

from flowinsight.errors import UsageError
from flowinsight.read.discover import Source, discover, shown


@dataclass(frozen=True, slots=True)
class Located(Source):
    """An event file found on a node: the node that reads it, its host, its real path there,
    and its size (the driver cannot stat a file on another machine)."""

    node: str = ""
    host: str = ""
    real: str = ""
    bytes: int = 0

    def size(self) -> int:
        return self.bytes


@dataclass(frozen=True, slots=True)
class Finding:
    """What one node found on its own disk."""

    node: str
    host: str
    session_dir: str  # the real path of this node's own session directory ("" if not there)
    found: tuple[tuple[Source, str, int], ...]  # each file, its real path, its bytes
    missing: tuple[tuple[str, str], ...]  # each path this node could not use, and why


def own_session_dir(temp_dir: str, session_name: str) -> str:
    """Where a node of a running cluster writes its logs (Ray's node.py: the node's temp dir
    joined with the cluster's session name)."""
    return os.path.join(temp_dir, session_name)


def find_here(node: str, paths: Sequence[str], own_session: str) -> Finding:
    """The event files under `paths` (none: `own_session`) on this machine. A path that does
    not exist here, or holds no event file, is noted and passed over: another node may hold
    it."""
    usable: list[str] = []
    missing: list[tuple[str, str]] = []
    for arg in list(paths) or [own_session]:
        try:
            discover([arg], merge_sessions=True)  # whether it holds event files here
        except UsageError as exc:
            missing.append((arg, str(exc)))
            continue
        # absolute: the task that reads it may run in another working directory
        usable.append(os.path.abspath(arg))
    # found again by their absolute paths, together: one file reached through two of them is
    # kept once
    sources = discover(usable, merge_sessions=True) if usable else []
    real_session = os.path.realpath(own_session) if os.path.isdir(own_session) else ""
    return Finding(node, socket.gethostname(), real_session,
                   tuple((s, os.path.realpath(s.path), s.size()) for s in sources),
                   tuple(missing))


def place(findings: Sequence[Finding]) -> list[Located]:
    """Every file once, by (host, real path), at the node that reads it; in display order (ties:
    by host and real path, the order of the same paths given to the local engine)."""
    holders: dict[tuple[str, str], list[tuple[Finding, Source, int]]] = {}
    for finding in sorted(findings, key=lambda f: f.node):
        for source, real, size in finding.found:
            holders.setdefault((finding.host, real), []).append((finding, source, size))
    load: dict[str, int] = {}
    located: list[Located] = []
    for (host, real), seen in sorted(holders.items(),
                                     key=lambda item: (item[1][0][1].display, item[0])):
        # the node whose own session directory holds the file, else the one with least to read
        own = [h for h in seen if h[0].session_dir and real.startswith(h[0].session_dir + os.sep)]
        finding, source, size = own[0] if own else min(
            seen, key=lambda h: (load.get(h[0].node, 0), h[0].node))
        load[finding.node] = load.get(finding.node, 0) + size
        located.append(Located(**{f.name: getattr(source, f.name) for f in fields(Source)},
                               node=finding.node, host=host, real=real, bytes=size))
    return sorted(located, key=lambda s: (s.display, s.host, s.real))


def absent(findings: Sequence[Finding], names: dict[str, str]) -> str:
    """One line on the nodes that lacked a path (`names`: node id -> how to name it), or ""."""
    lacking = [f for f in findings if f.missing]
    if not lacking:
        return ""
    empty = sum(1 for f in lacking if not f.found)
    examples = "; ".join(f"{names.get(f.node, f.node[:8])}: {shown(f.missing[0][1])}"
                         for f in sorted(lacking, key=lambda f: f.node)[:3])
    return (f"--engine ray: a path was missing or held no event file on {len(lacking)} of "
            f"{len(findings)} node(s), {empty} of which contributed nothing ({examples}"
            f"{'; ...' if len(lacking) > 3 else ''})")


def refuse_unfound(findings: Sequence[Finding], paths: Sequence[str]) -> None:
    """A path no node could use is a mistake, as it is for the local engine."""
    for arg in paths:
        reasons = [why for f in findings for where, why in f.missing if where == arg]
        if len(reasons) == len(findings):
            raise UsageError(f"{reasons[0]} (on every one of the {len(findings)} node(s))"
                             if reasons else f"{arg}: no node to look on")
    if not any(f.found for f in findings):
        first = next((why for f in findings for _, why in f.missing), "nothing found")
        raise UsageError(f"{first} (on every one of the {len(findings)} node(s))")
