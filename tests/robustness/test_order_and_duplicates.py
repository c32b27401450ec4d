"""The same event read twice (a rotated file overlapping the live one, a node's logs copied
twice) counts once, and says so; events out of order and clocks skewed between nodes change
nothing in the graph and never show a negative duration."""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Any

import orjson
import pytest

from conftest import DATA, cli
from flowinsight.render import RenderOptions, renderers
from robust_support import (
    analyzed,
    copy_sample,
    events_dir,
    export_dir,
    graph,
    normal_task,
    read,
    report,
    skipped,
    submitted,
    write_lines,
)

TASK_LOG = "event_EXPORT_TASK_5441.log"  # 12 lines


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, tuple[object, ...]]:
    capture = read(copy_sample(tmp_path_factory.mktemp("clean")))
    return len(capture.events), graph(analyzed(capture))


def seed_copy(tmp_path: Path) -> Path:
    """The seed-format session (RAY_EVENT lines with object events: data flows)."""
    dst = tmp_path / "seed"
    shutil.copytree(DATA / "seed_session", dst)
    return dst


def json_doc(root: Path) -> dict[str, Any]:
    doc: dict[str, Any] = orjson.loads(renderers()["json"].render(analyzed(read(root)),
                                                                  RenderOptions()))
    return doc


# --- duplicates ----------------------------------------------------------------------------

@pytest.mark.parametrize("rotated", ["event_EXPORT_TASK_5441.1.log", "event_EXPORT_TASK_5441.log.1"])
def test_a_rotated_file_identical_to_the_live_one_counts_once(
        tmp_path: Path, rotated: str, baseline: tuple[int, tuple[object, ...]]) -> None:
    root = copy_sample(tmp_path)
    shutil.copy(export_dir(root) / TASK_LOG, export_dir(root) / rotated)
    capture = read(root)
    assert (len(capture.events), graph(analyzed(capture))) == baseline
    assert (capture.duplicates, capture.skipped_total) == (12, 0)
    # the file read first keeps the events, the other one counts them as duplicates
    first, second = sorted([TASK_LOG, rotated])
    assert (report(capture, first).events, report(capture, first).duplicates) == (12, 0)
    assert (report(capture, second).events, report(capture, second).duplicates) == (0, 12)
    for f in capture.files:
        assert f.lines == f.events + f.duplicates + f.skipped_total + sum(n for _, n in f.ignored)


def test_a_partial_overlap_counts_only_the_shared_lines(
        tmp_path: Path, baseline: tuple[int, tuple[object, ...]]) -> None:
    root = copy_sample(tmp_path)
    live = export_dir(root) / TASK_LOG
    lines = live.read_bytes().splitlines()
    write_lines(export_dir(root) / "event_EXPORT_TASK_5441.1.log", lines[:8])
    write_lines(live, lines[4:])
    capture = read(root)
    assert (len(capture.events), graph(analyzed(capture))) == baseline
    assert capture.duplicates == 4
    assert report(capture, TASK_LOG).duplicates == 4


def test_a_node_copied_twice_merges_to_the_same_graph(
        tmp_path: Path, baseline: tuple[int, tuple[object, ...]]) -> None:
    root = copy_sample(tmp_path)
    session = next(root.glob("session_*"))
    shutil.copytree(session, tmp_path / "node-b" / session.name)
    capture = read(root, tmp_path / "node-b")
    assert (len(capture.events), graph(analyzed(capture))) == baseline
    assert capture.duplicates == baseline[0]


def test_duplicated_object_events_do_not_double_data_flows(tmp_path: Path) -> None:
    root = seed_copy(tmp_path)
    clean = analyzed(read(root))
    worker = next(root.glob("*/logs/events")) / "event_CORE_WORKER_200.log"
    shutil.copy(worker, worker.with_name("event_CORE_WORKER_200.1.log"))
    capture = read(root)
    result = analyzed(capture)
    assert capture.duplicates == 6  # its seventh line is cut off: skipped, not an event
    assert skipped(capture) == {"not_json": 1, "truncated": 2}
    assert (result.data_flows, result.call_flows, result.nodes) == (
        clean.data_flows, clean.call_flows, clean.nodes)


def test_the_same_event_id_with_other_content_is_not_a_duplicate(tmp_path: Path) -> None:
    root = copy_sample(tmp_path)
    a = submitted(normal_task(0xA1), "NORMAL_TASK", "m.first", event_id="same-id")
    b = submitted(normal_task(0xB2), "NORMAL_TASK", "m.second", event_id="same-id")
    write_lines(events_dir(root) / "event_CORE_WORKER_1.log", [a, b, a])
    capture = read(root)
    assert capture.duplicates == 1  # the second `a`; `b` shares the id, not the content
    names = {n.name for n in analyzed(capture).nodes}
    assert {"first", "second"} <= names


def test_events_without_an_event_id_are_all_kept(
        tmp_path: Path, baseline: tuple[int, tuple[object, ...]]) -> None:
    """Nothing to tell a repeat by: kept, and task updates merge idempotently anyway."""
    root = copy_sample(tmp_path)
    live = export_dir(root) / TASK_LOG
    lines = [orjson.dumps({k: v for k, v in orjson.loads(line).items() if k != "event_id"})
             for line in live.read_bytes().splitlines()]
    write_lines(live, lines + lines)
    capture = read(root)
    assert (capture.duplicates, len(capture.events)) == (0, baseline[0] + 12)
    assert graph(analyzed(capture)) == baseline[1]


def test_duplicates_are_reported_on_stderr(tmp_path: Path) -> None:
    root = copy_sample(tmp_path)
    shutil.copy(export_dir(root) / TASK_LOG, export_dir(root) / "event_EXPORT_TASK_5441.1.log")
    proc = cli("analyze", str(root))
    assert proc.returncode == 0
    assert proc.stderr.decode().splitlines() == [
        "flowinsight: 12 event(s) appeared more than once (same event_id and content, e.g. a "
        "rotated file overlapping the live one): each counted once"]


# --- order and clocks ---------------------------------------------------------------------

def test_lines_in_any_order_and_any_file_give_the_same_graph(
        tmp_path: Path, baseline: tuple[int, tuple[object, ...]]) -> None:
    root = copy_sample(tmp_path)
    files = sorted(export_dir(root).glob("event_EXPORT_TASK_*.log"))
    lines = [line for f in files for line in f.read_bytes().splitlines()]
    random.Random(6).shuffle(lines)
    for i, f in enumerate(files):
        write_lines(f, lines[i::len(files)])
    capture = read(root)
    assert (len(capture.events), graph(analyzed(capture))) == baseline


def _shift(path: Path, ns: int) -> None:
    """Move every time in an Export API task file by `ns` (a node whose clock is off)."""
    out = []
    for line in path.read_bytes().splitlines():
        obj = orjson.loads(line)
        data = obj["event_data"]
        states = data.get("state_updates", {}).get("state_ts_ns", {})
        for k in states:
            states[k] = str(int(states[k]) + ns)
        for ev in data.get("profile_events", {}).get("events", []):
            ev["start_time"] = str(int(ev["start_time"]) + ns)
            ev["end_time"] = str(int(ev["end_time"]) + ns)
        out.append(orjson.dumps(obj))
    write_lines(path, out)


def _negatives(doc: Any, where: str = "") -> list[str]:
    if isinstance(doc, dict):
        return [n for k, v in doc.items() for n in _negatives(v, f"{where}/{k}")]
    if isinstance(doc, list):
        return [n for i, v in enumerate(doc) for n in _negatives(v, f"{where}/{i}")]
    if isinstance(doc, (int, float)) and not isinstance(doc, bool) and doc < 0:
        return [f"{where}={doc}"]
    return []


@pytest.mark.parametrize("skew_s", [-3600, -1, 1, 3600])
def test_clock_skew_between_nodes_changes_no_call_and_no_duration_is_negative(
        tmp_path: Path, skew_s: int, baseline: tuple[int, tuple[object, ...]]) -> None:
    root = copy_sample(tmp_path)
    for name in ("event_EXPORT_TASK_5441.log", "event_EXPORT_TASK_5508.log"):
        _shift(export_dir(root) / name, skew_s * 10**9)
    capture = read(root)
    result = analyzed(capture)
    clean_nodes, clean_calls = baseline[1][0], baseline[1][1]
    # who called whom, how often: unchanged (timings move with the clock, by design)
    assert [(c.source, c.target, c.count) for c in result.call_flows] == [
        (c.source, c.target, c.count) for c in clean_calls]
    assert [(n.id, n.calls) for n in result.nodes] == [(n.id, n.calls) for n in clean_nodes]
    assert _negatives(json_doc(root)) == []
    for fmt in ("table", "dot", "trace"):
        assert renderers()[fmt].render(result, RenderOptions())


def test_object_events_with_skewed_clocks_give_no_negative_speed(tmp_path: Path) -> None:
    """Gets stamped before their puts (the reader's clock is behind the writer's)."""
    root = seed_copy(tmp_path)
    worker = next(root.glob("*/logs/events")) / "event_CORE_WORKER_100.log"
    text = worker.read_bytes()
    lines = []
    for line in text.splitlines():
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError:
            lines.append(line)
            continue
        if obj.get("label") == "object_get":
            obj["custom_fields"]["timestamp_ms"] -= 60_000
        lines.append(orjson.dumps(obj))
    write_lines(worker, lines)
    doc = json_doc(root)
    assert _negatives(doc) == []
    assert sum(d["count"] for d in doc["dataFlows"]) == 7
