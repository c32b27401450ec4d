"""`--engine ray` on a real cluster of three nodes on 127.0.0.1 (ray.cluster_utils.Cluster, in
this process): each node with a temp dir of its own (Ray 2.60's node.py takes a node's temp dir
as given, else the head's; `ray start --temp-dir` on a worker node does the same, but a worker
node's `ray start` refuses to join on one machine unless RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=1,
which turns 127.0.0.1 into the host's outward address: not used here), so that each node
writes its own session directory, as separate machines do. A workload runs tasks and an actor
on every node (Export API on); then each node finds its files on its own disk and reads them,
and the answer is byte for byte the local engine's over the union of the nodes' session
directories.

Every node's processes start in a working directory of their own, so a relative path names a
different place on each node: that is how "a path that exists on one node only" is made on one
machine. Runs with the live suite (FLOWINSIGHT_LIVE=1) where Ray is installed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT, render, sample
from flowinsight.errors import UsageError, WorkerDied
from flowinsight.pipeline import Reducer, analyze_partial
from flowinsight.read import discover
from flowinsight.read.discover import Source
from flowinsight.read.parallel import ReadStats, read_reduced

from .harness import WORKLOADS, base_env, run_script, temp_root

if os.environ.get("FLOWINSIGHT_LIVE") != "1":
    pytest.skip("live Ray test: run tests/live/run_live.sh", allow_module_level=True)
ray = pytest.importorskip("ray")

from flowinsight.engines.node_files import Located  # noqa: E402
from flowinsight.engines.ray_engine import RayRunner, node_dirs  # noqa: E402

NODES = 3
# a node that stops is declared dead within seconds, not the default half minute
FAST_HEALTH = {"RAY_health_check_period_ms": "500", "RAY_health_check_failure_threshold": "4",
               "RAY_health_check_initial_delay_ms": "0"}


def settled(root: Path) -> None:
    """Wait until no event file under `root` grows (Ray flushes its event buffers each second)."""
    def sizes() -> dict[Path, int]:
        return {p: p.stat().st_size for p in root.rglob("event_*.log")}

    before = sizes()
    for _ in range(30):
        time.sleep(2)
        now = sizes()
        if now == before:
            return
        before = now
    raise AssertionError("the event files kept growing")


@dataclass
class Local:
    root: Path
    cluster: Any  # ray.cluster_utils.Cluster
    nodes: list[Any]  # its Node objects, head first
    homes: list[Path]  # each node's working directory

    def session(self, i: int) -> Path:
        return Path(self.nodes[i].get_session_dir_path())


@pytest.fixture(scope="module")
def cluster() -> Iterator[Local]:
    """Three nodes, each with its own temp dir and working directory; the workload run on them;
    this process then their driver (its job starts once, before any read)."""
    from ray._private import ray_constants
    from ray.cluster_utils import Cluster

    saved, cwd = dict(os.environ), os.getcwd()
    # what the harness's RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 says to Ray's processes, said to
    # this one (which imported Ray before): a single-machine Ray, every address 127.0.0.1
    single = ray_constants.ENABLE_RAY_CLUSTER
    ray_constants.ENABLE_RAY_CLUSTER = False
    with temp_root() as root:
        (root / "ray").mkdir()  # Ray writes the address of its latest cluster there
        os.environ.clear()
        os.environ.update(base_env(root, **FAST_HEALTH))
        local = None
        try:
            local = Local(root, Cluster(), [], [root / f"n{i}" for i in range(NODES)])
            for i, home in enumerate(local.homes):
                home.mkdir()
                os.chdir(home)  # the node's processes start here
                args = dict(num_cpus=1, node_ip_address="127.0.0.1", temp_dir=str(home / "ray"))
                local.nodes.append(local.cluster.add_node(
                    **args, **({"include_dashboard": False} if i == 0 else {})))
            os.chdir(cwd)
            local.cluster.wait_for_nodes()
            run = run_script([str(WORKLOADS / "spread_nodes.py")], root,
                             base_env(root, RAY_ADDRESS=local.cluster.address), timeout=180)
            assert run.returncode == 0, run.stderr[-4000:]
            assert f"nodes {NODES}" in run.stdout
            ray.init(address=local.cluster.address, logging_level="ERROR", log_to_driver=False)
            settled(root)
            yield local
        finally:
            os.chdir(cwd)
            ray.shutdown()
            if local is not None:
                local.cluster.shutdown()
            os.environ.clear()
            os.environ.update(saved)
            ray_constants.ENABLE_RAY_CLUSTER = single


def as_json(read: tuple[Any, Any]) -> bytes:
    account, reduced = read
    return render(analyze_partial(reduced, account), "json")


def real(source: Source) -> str:
    """Where a file is (the driver resolves a path the node found against its own cwd)."""
    return source.real if isinstance(source, Located) else os.path.realpath(source.path)


def placed(sources: list[Source]) -> list[tuple[str, str]]:
    return [(s.display, real(s)) for s in sources]


def node_of(ray_: Any, session: Path) -> str:
    return dict((s, n) for s, n in node_dirs(ray_).session_dirs)[os.path.realpath(session)]


def read_once_each(runner: RayRunner, sources: list[Source]) -> None:
    """Each file read exactly once, and on more than one node."""
    read = [f for files in runner.read_on.values() for f in files]
    assert Counter(read).most_common(1)[0][1] == 1
    assert sorted(read) == sorted(map(real, sources))
    assert len(runner.read_on) >= 2


def test_each_node_finds_and_reads_its_own_session_directory(cluster: Local) -> None:
    sessions = [cluster.session(i) for i in range(NODES)]
    assert len({s.name for s in sessions}) == 1  # one cluster: one session name on every node
    runner, warnings = RayRunner(), []
    sources = runner.discover([], warnings.append)
    assert warnings == []
    local_sources = discover([str(s) for s in sessions])
    assert placed(sources) == placed(local_sources)
    for session in sessions:
        inside = [s for s in sources if isinstance(s, Located)
                  and s.real.startswith(f"{session.resolve()}/")]
        assert any("/event_EXPORT_TASK_" in s.real for s in inside)  # its own task events,
        assert {s.node for s in inside} == {node_of(ray, session)}  # read by that node
    stats = ReadStats()
    remote = read_reduced(sources, Reducer(), runner=runner, stats=stats)
    local = read_reduced(local_sources, Reducer(), 1)
    assert as_json(remote) == as_json(local)
    assert remote[0] == local[0]
    # the workload's tasks are all there: on each node a branch, its leaf, an actor, its call
    workload = Counter(t.task_type for t in remote[1].tasks.values() if t.job_id == "01000000")
    assert workload == {"NORMAL_TASK": 2 * NODES, "ACTOR_CREATION_TASK": NODES,
                        "ACTOR_TASK": NODES, "DRIVER_TASK": 1}, workload
    assert len(runner.read_on) == NODES and not stats.exact_fallback
    read_once_each(runner, sources)
    assert re.fullmatch(rf"--engine ray: {len(sources)} file\(s\) read on {NODES} node\(s\): "
                        r"\d+ on node [0-9a-f]{8} \(127\.0\.0\.1\)(, \d+ on node [0-9a-f]{8} "
                        r"\(127\.0\.0\.1\))*", runner.summary())


def test_each_attempt_names_the_ip_of_its_node(cluster: Local) -> None:
    """pipeline/node_ips.py on a real three-node cluster: the workload ran on every node, and
    each attempt's IP is the one the GCS holds for its node (ray.nodes()' NodeManagerAddress:
    the State API needs the dashboard, which this cluster runs without). The head's
    EXPORT_NODE file names all three nodes; the attempts come from every node's files."""
    gcs = {n["NodeID"]: n["NodeManagerAddress"] for n in ray.nodes()}
    assert len(gcs) == NODES and set(gcs.values()) == {"127.0.0.1"}
    runner = RayRunner()
    account, reduced = read_reduced(runner.discover([], pytest.fail), Reducer(), runner=runner)
    assert {u.node_id for u in reduced.node_updates} == set(gcs)
    result = analyze_partial(reduced, account)
    ran = {(a.ray_node_id, a.node_ip) for a in result.attempts if a.ray_node_id}
    assert ran == set(gcs.items())
    # where the work ran (pipeline/ray_nodes.py): each of the three nodes, with its attempts
    attempts = Counter(a.ray_node_id for a in result.attempts if a.ray_node_id)
    assert [(n.id, n.ip, n.attempts) for n in result.ray_nodes] == sorted(
        (node, gcs[node], count) for node, count in attempts.items())
    assert len(result.ray_nodes) == NODES


def test_paths_seen_by_every_node_are_read_once(cluster: Local) -> None:
    """Three nodes on one host see the same files: each is read once, the work spread."""
    paths = [str(cluster.session(i)) for i in range(NODES)]
    runner = RayRunner()
    sources = runner.discover(paths, pytest.fail)
    local_sources = discover(paths)
    assert placed(sources) == placed(local_sources)
    remote = read_reduced(sources, Reducer(), runner=runner)
    assert as_json(remote) == as_json(read_reduced(local_sources, Reducer(), 1))
    read_once_each(runner, sources)


def test_a_path_that_exists_on_one_node_only(cluster: Local) -> None:
    only = cluster.homes[1] / "only_here"  # "only_here" from node 1's working directory
    shutil.copytree(sample("nested_tasks"), only)
    runner, warnings = RayRunner(), []
    sources = runner.discover(["only_here"], warnings.append)
    [line] = warnings
    assert re.fullmatch(r"--engine ray: a path was missing or held no event file on 2 of 3 "
                        r"node\(s\), 2 of which contributed nothing \(node [0-9a-f]{8} "
                        r"\(127\.0\.0\.1\): only_here: no such file or directory; node "
                        r"[0-9a-f]{8} \(127\.0\.0\.1\): only_here: no such file or "
                        r"directory\)", line)
    node = node_of(ray, cluster.session(1))
    assert {s.node for s in sources if isinstance(s, Located)} == {node}
    local_sources = discover([str(only)])
    assert placed(sources) == placed(local_sources)
    assert as_json(read_reduced(sources, Reducer(), runner=runner)) == as_json(
        read_reduced(local_sources, Reducer(), 1))
    assert list(runner.read_on) == [node]
    with pytest.raises(UsageError, match=r"^nowhere: no such file or directory \(on every one "
                                        r"of the 3 node\(s\)\)$"):
        runner.discover(["nowhere"], pytest.fail)


def test_the_command_line(cluster: Local) -> None:
    """`flowinsight export --engine ray` as a user runs it: the same bytes as the local engine
    (over copies, which the reading job itself cannot add to), the nodes named on stderr."""
    copies = []
    for i in range(NODES):
        copy = cluster.root / "copies" / f"n{i}" / cluster.session(i).name
        shutil.copytree(cluster.session(i) / "logs", copy / "logs",
                        ignore=shutil.ignore_patterns("*.out", "*.err", "old"))
        copies.append(str(copy))
    env = {**base_env(cluster.root), "RAY_ADDRESS": cluster.cluster.address, "NO_COLOR": "1"}
    runs = {}
    for engine in ("local", "ray"):
        done = subprocess.run([sys.executable, "-m", "flowinsight", "export", *copies,
                               "--format", "json", "--engine", engine], capture_output=True,
                              env=env, cwd=ROOT, timeout=300, check=False)
        assert done.returncode == 0, done.stderr.decode()[-3000:]
        runs[engine] = done
    assert runs["ray"].stdout == runs["local"].stdout
    [line] = runs["ray"].stderr.decode().splitlines()
    counts = [int(n) for n in re.findall(r"(\d+) on node", line)]
    assert len(counts) >= 2 and sum(counts) == len(discover(copies))
    # and with no path: every node's own session directory of the running cluster
    done = subprocess.run([sys.executable, "-m", "flowinsight", "analyze", "--engine", "ray"],
                          capture_output=True, env=env, cwd=ROOT, timeout=300, check=False)
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    assert f"read on {NODES} node(s)" in done.stderr.decode()


def test_an_archive_is_read_whole_on_the_node_that_has_it(cluster: Local) -> None:
    """An archive needs one exact read (read/parallel.py: _exact): on its node, not here."""
    home = cluster.homes[1]
    if not (home / "only_here").exists():
        shutil.copytree(sample("nested_tasks"), home / "only_here")
    with tarfile.open(home / "only_here.tar.gz", "w:gz") as tar:
        tar.add(home / "only_here", arcname="only_here")
    runner = RayRunner()
    sources = runner.discover(["only_here.tar.gz"], lambda line: None)
    node = node_of(ray, cluster.session(1))
    assert [(s.node, s.archive) for s in sources if isinstance(s, Located)] == [(node, True)]
    local_sources = discover([str(home / "only_here.tar.gz")])
    assert as_json(read_reduced(sources, Reducer(), runner=runner)) == as_json(
        read_reduced(local_sources, Reducer(), 1))
    assert list(runner.read_on) == [node]


@dataclass(frozen=True)
class SlowOn:
    """A Reducer that, on one node, says it has begun (a file in `marks`) and then takes its
    time: the node can be stopped while its files are being read."""

    node: str
    marks: str

    def reduce(self, events: Any, into: Any = None) -> Any:
        here = ray.get_runtime_context().get_node_id()
        if here == self.node:
            Path(self.marks, here).touch()
            time.sleep(3)
        return Reducer().reduce(events, into)

    def merge(self, first: Any, later: Any) -> Any:
        return Reducer().merge(first, later)


def test_a_node_that_stops_mid_read_is_one_line(cluster: Local) -> None:
    """Last: it stops node 2 while a task of it is reading."""
    from ray import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # SlowOn, for the workers
    runner = RayRunner()
    sources = runner.discover([], pytest.fail)
    node = node_of(ray, cluster.session(2))
    marks = cluster.root / "marks"
    marks.mkdir()

    def stop_when_reading() -> None:
        deadline = time.monotonic() + 120
        while not (marks / node).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        cluster.cluster.remove_node(cluster.nodes[2], allow_graceful=False)

    stopper = threading.Thread(target=stop_when_reading)
    stopper.start()
    try:
        with pytest.raises(WorkerDied) as stopped:
            read_reduced(sources, SlowOn(node, str(marks)), runner=runner)
    finally:
        stopper.join()
    assert (marks / node).exists()  # it was stopped mid-read
    message = str(stopped.value)
    assert re.match(rf"--engine ray: node {node[:8]} \(127\.0\.0\.1\) stopped while reading "
                    r"\d+ file\(s\) \(", message) and "\n" not in message, message
