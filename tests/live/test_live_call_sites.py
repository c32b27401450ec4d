"""Call sites on a real Ray: sage_pipeline and lattice_workflow run under the recorder with
RAY_record_task_actor_creation_sites=1 and Ray's event export sent to `flowinsight collect`;
and once more with the Export API alone, for the graph to compare with."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .harness import REPO, Run, cli_available, collector, run_collected, run_workload, temp_root

pytestmark = pytest.mark.skipif(not cli_available(), reason="flowinsight CLI not available")

SAGE_CHAIN = ["Dispatcher.submit", "FIFOScheduler.schedule_task", "PlacementExecutor.place_task",
              "TaskFactory.create_task"]


def _aggregator_available() -> bool:
    try:  # Ray's aggregator agent loads only with ray[default]'s dependencies
        import aiohttp  # noqa: F401
        import opentelemetry  # noqa: F401
    except ImportError:
        return False
    return True


def export(path: Path, fmt: str = "json") -> str:
    proc = subprocess.run([sys.executable, "-m", "flowinsight", "export", str(path), "--format",
                           fmt], cwd=REPO, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def graph(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(export(path))
    return doc


def only(session: Path, kept: str, where: Path) -> Path:
    target = where / kept / session.name / "logs" / kept
    shutil.copytree(session / "logs" / kept, target)
    return where / kept


def names(doc: dict[str, Any]) -> dict[str, str]:
    """Node id -> a name that does not depend on the run: actor name, method, function."""
    actors = {a["id"]: a["actor_name"] or a["name"] for a in doc["actors"]}
    out = dict(actors)
    out.update({m["id"]: f"{actors.get(m['actorId'], '?')}.{m['name']}" for m in doc["methods"]})
    out.update({f["id"]: f["name"] for f in doc["functions"]})
    return out


def calls(doc: dict[str, Any]) -> dict[tuple[str, str], int]:
    n = names(doc)
    return {(n[c["source"]], n[c["target"]]): c["count"] for c in doc["callFlows"]}


def sites(doc: dict[str, Any], source: str) -> dict[tuple[str, str], list[list[str]]]:
    """(node, caller) by name -> the functions of each of its sites of that source."""
    n = names(doc)
    out: dict[tuple[str, str], list[list[str]]] = {}
    for c in doc["callSites"]:
        if c["source"] == source:
            out.setdefault((n[c["node"]], n.get(c["caller"], c["caller"])), []).append(
                [f["function"] for f in c["frames"]])
    return out


def _collected_and_plain(workload: str) -> Iterator[tuple[Run, Run]]:
    """The workload run twice: with Ray's event export sent to `flowinsight collect`, and
    plainly (its Export API to compare with)."""
    if not _aggregator_available():
        pytest.skip("Ray's aggregator agent needs ray[default] (aiohttp, opentelemetry)")
    with temp_root() as root, temp_root() as plain_root:
        with collector(root) as url:
            collected = run_collected(workload, root, url)
        yield collected, run_workload(workload, plain_root)


@pytest.fixture(scope="module")
def sage() -> Iterator[tuple[Run, Run]]:
    yield from _collected_and_plain("sage_pipeline")


@pytest.fixture(scope="module")
def lattice() -> Iterator[tuple[Run, Run]]:
    yield from _collected_and_plain("lattice_workflow")


def test_sage_chains_from_the_recorder_and_from_ray(sage: tuple[Run, Run], tmp_path: Path) -> None:
    collected, _ = sage
    doc = graph(collected.session_dir)
    actors = sorted(a["actor_name"] for a in doc["actors"])
    assert actors == ["map_0", "map_1", "sink", "source"]
    recorder = sites(doc, "recorder")
    for actor in actors:
        [chain] = recorder[(actor, "main")]
        assert chain[-4:] == SAGE_CHAIN and chain[-5] == "<module>", (actor, chain)
    ray_only = graph(only(collected.session_dir, "ray_events", tmp_path))
    ray_sites = sites(ray_only, "ray")
    for actor in actors:
        [chain] = ray_sites[(actor, "main")]
        assert chain[-4:] == [f.rsplit(".", 1)[-1] for f in SAGE_CHAIN], (actor, chain)


def test_sage_code_view_draws_the_chain_once(sage: tuple[Run, Run]) -> None:
    collected, _ = sage
    dot = export(collected.session_dir, "code-dot")
    doc = graph(collected.session_dir)
    actor_ids = sorted(a["id"] for a in doc["actors"])
    [create] = [line.split(" [")[0].strip() for line in dot.splitlines()
                if '[label="TaskFactory.create_task\\nsage_pipeline.py:' in line]
    fans = sorted(line.split(" -> ")[1].split(" [")[0] for line in dot.splitlines()
                  if line.strip().startswith(create + " -> "))
    assert fans == [f'"{a}"' for a in actor_ids]
    for name in SAGE_CHAIN[:-1]:
        assert sum(f'[label="{name}\\nsage_pipeline.py:' in line
                   for line in dot.splitlines()) == (5 if name == "Dispatcher.submit" else 1), name


def test_sage_event_export_gives_the_export_apis_graph(sage: tuple[Run, Run],
                                                      tmp_path: Path) -> None:
    collected, plain = sage
    from_export = graph(plain.session_dir)
    from_events = graph(only(collected.session_dir, "ray_events", tmp_path))
    assert calls(from_events) == calls(from_export)
    assert from_events["summary"]["coverage"]["complete"]


def test_lattice_sites(lattice: tuple[Run, Run], tmp_path: Path) -> None:
    collected, plain = lattice
    doc = graph(collected.session_dir)
    assert sites(doc, "recorder") == {
        ("run_code_task", "main"): [["Scheduler.run", "RayExecutor.submit"]],
        ("_run_batch_task", "main"): [["Scheduler.run", "RayExecutor.submit"]],
    }
    [failure] = doc["failures"]
    assert [f["function"] for f in failure["callSite"]] == ["Scheduler.run",
                                                            "RayExecutor.submit"]
    from_events = graph(only(collected.session_dir, "ray_events", tmp_path))
    assert sites(from_events, "ray") == {
        ("run_code_task", "main"): [["run", "submit"]],
        ("_run_batch_task", "main"): [["run", "submit"]],
    }
    assert calls(from_events) == calls(graph(plain.session_dir)) == {
        ("main", "run_code_task"): 5, ("main", "_run_batch_task"): 3}
