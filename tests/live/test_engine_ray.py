"""`--engine ray` against a real local Ray: the groups of files are parsed by Ray tasks (in
several Ray worker processes, pinned to the node that holds the files) and merged here, and
the result is the very one the local engine gives.

Runs with the live suite (`make test-live`, FLOWINSIGHT_LIVE=1) where Ray is installed. The
fixture starts its own Ray on 127.0.0.1 with 2 CPUs and stops it at the end.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import CAPTURES, ROOT, SAMPLES, render, sample
from flowinsight.pipeline import Reducer, analyze_partial
from flowinsight.read import discover
from flowinsight.read.parallel import ReadStats, read_reduced

if os.environ.get("FLOWINSIGHT_LIVE") != "1":
    pytest.skip("live Ray test: run tests/live/run_live.sh", allow_module_level=True)
ray = pytest.importorskip("ray")

from flowinsight.engines.ray_engine import RayRunner, node_dirs  # noqa: E402


@pytest.fixture(scope="module")
def local_ray() -> Iterator[Any]:
    root = os.environ.get("FLOWINSIGHT_LIVE_TMP") or "/tmp"
    temp = tempfile.mkdtemp(prefix="fie-", dir=root)  # short: Ray's socket paths are limited
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    ray.init(address="local", num_cpus=2, include_dashboard=False,
             _node_ip_address="127.0.0.1", _temp_dir=temp, logging_level="ERROR",
             log_to_driver=False)
    try:
        yield ray
    finally:
        ray.shutdown()
        shutil.rmtree(temp, ignore_errors=True)


@pytest.fixture(scope="module")
def few_mb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first sixth of every file of the real scale_15k capture: a few MB, many files."""
    root = tmp_path_factory.mktemp("few_mb")
    with tarfile.open(SAMPLES / "scale_15k.tar.gz") as tar:
        tar.extractall(root, filter="data")
    for path in root.rglob("event_*.log"):
        lines = path.read_bytes().splitlines(keepends=True)
        path.write_bytes(b"".join(lines[: max(1, len(lines) // 6)]))
    return root


def both_engines(path: Path, stats: ReadStats) -> tuple[Any, Any]:
    sources = discover([str(path)])
    local = read_reduced(sources, Reducer(), 1)
    remote = read_reduced(sources, Reducer(), runner=RayRunner(), stats=stats)
    return ((local[0], render(analyze_partial(local[1], local[0]), "json")),
            (remote[0], render(analyze_partial(remote[1], remote[0]), "json")))


def test_ray_tasks_on_several_workers_give_the_local_result(local_ray: Any,
                                                             few_mb: Path) -> None:
    stats = ReadStats()
    local, remote = both_engines(few_mb, stats)
    assert remote == local
    assert stats.workers == 2 and stats.groups >= 4 and not stats.exact_fallback
    assert len(stats.worker_peak_rss_kb) >= 2  # read by more than one Ray worker process
    assert os.getpid() not in stats.worker_peak_rss_kb


@pytest.mark.parametrize("name", CAPTURES)
def test_every_sample_reads_the_same_through_ray(local_ray: Any, name: str) -> None:
    local, remote = both_engines(sample(name), ReadStats())
    assert remote == local


def test_files_belong_to_the_node_whose_session_directory_holds_them(
        local_ray: Any, tmp_path: Path) -> None:
    nodes = node_dirs(local_ray)
    session, node = nodes.session_dirs[0]
    assert node == nodes.driver_node == local_ray.get_runtime_context().get_node_id()
    # a file in the live node's own session directory, and one in a copied capture
    inside = Path(session) / "logs" / "events" / "event_FLOWINSIGHT_TEST.log"
    inside.parent.mkdir(parents=True, exist_ok=True)
    inside.write_bytes((next(sample("nested_tasks").rglob("event_CORE_WORKER_*.log")))
                       .read_bytes())
    runner = RayRunner()
    [own] = discover([str(inside)])
    [copied] = discover([str(next(sample("nested_tasks").rglob("event_EXPORT_ACTOR.log")))])
    assert runner.home(own) == node and runner.home(copied) == nodes.driver_node
    local, remote = both_engines(inside, ReadStats())
    assert remote == local


def test_the_command_line_joins_the_cluster_named_by_ray_address(local_ray: Any,
                                                                  few_mb: Path) -> None:
    env = {**os.environ, "RAY_ADDRESS": local_ray.get_runtime_context().gcs_address,
           "NO_COLOR": "1"}
    runs = {}
    for engine in ("local", "ray"):
        done = subprocess.run([sys.executable, "-m", "flowinsight", "export", str(few_mb),
                               "--format", "json", "--engine", engine], capture_output=True,
                              env=env, cwd=ROOT, timeout=300, check=False)
        assert done.returncode == 0, done.stderr.decode()[-2000:]
        runs[engine] = done.stdout
    assert runs["ray"] == runs["local"]
