"""The IP of the Ray node each attempt ran on (pipeline/node_ips.py): the attempt's node id
(EXPORT_TASK state_updates.node_id) joined to its node's EXPORT_NODE node_manager_address, on
real samples, on a multi-node copy of one, and where the node events are missing or disagree."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path
from typing import Any

import orjson
import pytest

from conftest import render, result_of, sample, validated
from flowinsight.model.events import NodeUpdate
from flowinsight.pipeline import Options, Reducer, analyze_partial
from flowinsight.pipeline.node_ips import node_addresses
from flowinsight.read import discover
from flowinsight.read.parallel import read_reduced
from flowinsight.result import Result

RETRIES = sample("libraries/retries")
RETRIES_NODE = "bbfb078d1518a835c3746b39826442d954c9e065fe0bfd6f02338fab"
LATTICE_NODE = "511804a43eef2650face2fd88310783b2bab70f866e2b64465e054da"
NODE_B = "0b" * 28  # two more Ray nodes of the multi-node copy
NODE_C = "0c" * 28


def b64(hex_id: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_id)).decode()


def hex_of(b64_id: str) -> str:
    return base64.b64decode(b64_id).hex()


def processes(result: Result) -> list[str]:
    events = orjson.loads(render(result, "trace"))["traceEvents"]
    return sorted(e["args"]["name"] for e in events if e["name"] == "process_name")


def test_real_samples_name_the_ip_of_each_attempts_node() -> None:
    result = result_of(RETRIES)
    # the driver's own record names no node; each of the other nine attempts ran on the one node
    assert sorted((a.ray_node_id, a.node_ip) for a in result.attempts) == [
        ("", "")] + [(RETRIES_NODE, "127.0.0.1")] * 9
    # as Ray's State API saw them (samples/libraries/truth: list_tasks, list_nodes)
    truth = json.loads((sample("libraries/truth") / "retries.json").read_text())["phases"]["end"]
    assert [n["node_id"] for n in truth["nodes"]] == [RETRIES_NODE]
    assert {(t["task_id"], t["attempt_number"]): t["node_id"] for t in truth["tasks"]} == {
        (a.task_id, a.attempt): a.ray_node_id for a in result.attempts if a.ray_node_id}
    # each failure of an attempt, in the JSON
    doc = validated(render(result, "json"))
    assert [(f["kind"], f["attempt"], f["node_ip"]) for f in doc["failures"]] == [
        ("task", 0, "127.0.0.1"), ("task", 0, "127.0.0.1"), ("task", 1, "127.0.0.1"),
        ("task", 0, "127.0.0.1"), ("task", 1, "127.0.0.1")]
    assert processes(result) == ["Ray node 127.0.0.1 (" + RETRIES_NODE + ")", "driver"]

    lattice = result_of(sample("lattice_workflow"))
    ips = {(a.ray_node_id, a.node_ip) for a in lattice.attempts}
    assert ips == {(LATTICE_NODE, "192.0.2.2"), ("", "")}
    assert [(f.kind, f.error_type, f.node_ip) for f in lattice.failures] == [
        ("task", "TASK_EXECUTION_EXCEPTION", "192.0.2.2")]


def _rewrite(path: Path, change: Any) -> None:
    lines = path.read_text().splitlines()
    path.write_text("".join(json.dumps(change(json.loads(line))) + "\n" for line in lines))


@pytest.fixture(scope="module")
def multi_node(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A copy of samples/libraries/retries as if its two workers had run on two more nodes: the
    attempts worker 19508 ran on node B, those of worker 19507 on node C. Node B's EXPORT_NODE
    events disagree (no address, then 10.0.0.2, then 10.9.9.9); node C has none."""
    root = tmp_path_factory.mktemp("multi_node") / "retries"
    shutil.copytree(RETRIES, root)
    [logs] = root.glob("session_*/logs/export_events")
    on: dict[tuple[str, int], str] = {}
    for pid, node in ((19508, NODE_B), (19507, NODE_C)):
        for line in (logs / f"event_EXPORT_TASK_{pid}.log").read_text().splitlines():
            data = json.loads(line)["event_data"]
            on[(data["task_id"], data.get("attempt_number", 0))] = node

    def moved(event: dict[str, Any]) -> dict[str, Any]:
        data = event["event_data"]
        updates = data.get("state_updates") or {}
        node = on.get((data["task_id"], data.get("attempt_number", 0)))
        if node is not None and updates.get("node_id"):
            updates["node_id"] = b64(node)
        return event

    for path in logs.glob("event_EXPORT_TASK_*.log"):
        _rewrite(path, moved)
    node_log = logs / "event_EXPORT_NODE.log"
    first = json.loads(node_log.read_text().splitlines()[0])
    added = []
    for n, address in enumerate(("", "10.0.0.2", "10.9.9.9")):
        event = json.loads(json.dumps(first))
        event["event_id"] = f"{n:036x}"
        event["event_data"].update(node_id=b64(NODE_B), node_manager_address=address,
                                   node_name=address, is_head_node=False, labels={})
        added.append(json.dumps(event) + "\n")
    with node_log.open("a") as out:
        out.writelines(added)
    return {"root": root, "on": {(hex_of(t), n): node for (t, n), node in on.items()}}


def expected_ips(result: Result) -> list[tuple[str, str]]:
    ips = {RETRIES_NODE: "127.0.0.1", NODE_B: "10.0.0.2"}  # node C: no event
    return [(a.ray_node_id, ips.get(a.ray_node_id, "")) for a in result.attempts]


def test_two_nodes_two_ips_and_a_node_without_events(multi_node: dict[str, Any]) -> None:
    result = result_of(multi_node["root"])
    rows = {(a.task_id, a.attempt): (a.ray_node_id, a.node_ip) for a in result.attempts}
    moved = multi_node["on"]
    assert {k: rows[k][0] for k in moved} == moved  # the copy moved the attempts it meant to
    assert sorted(rows.values()) == sorted(expected_ips(result))
    assert {ip for node, ip in rows.values() if node == NODE_B} == {"10.0.0.2"}
    assert {ip for node, ip in rows.values() if node == NODE_C} == {""}
    # worker 19508's three attempts, worker 19507's four; two attempts whose worker left no
    # events of its own (a crash) stay on the head node, as the driver's record says
    assert sorted((node, ip) for node, ip in rows.values() if node) == sorted(
        [(NODE_B, "10.0.0.2")] * 3 + [(NODE_C, "")] * 4 + [(RETRIES_NODE, "127.0.0.1")] * 2)
    # a failure names the IP of the attempt it names
    assert [(f.task_id[:8], f.attempt, f.node_ip) for f in result.failures] == [
        ("32d950ec", 0, "127.0.0.1"), ("c2668a65", 0, "10.0.0.2"), ("c2668a65", 1, "10.0.0.2"),
        ("e0dc174c", 0, ""), ("e0dc174c", 1, "")]
    # (the two attempts left on the head node have no execution times: no slice)
    assert processes(result) == [f"Ray node {NODE_C}", f"Ray node 10.0.0.2 ({NODE_B})",
                                 "driver"]


def test_each_ray_node_says_where_the_work_ran(multi_node: dict[str, Any]) -> None:
    """Result.ray_nodes (pipeline/ray_nodes.py): per Ray node its IP, the attempts that ran
    on it, how many failed and on how many workers; in the JSON's summary and, for more than
    one node, in the terminal's."""
    result = result_of(multi_node["root"])
    rows = [(a.ray_node_id, a.status, a.worker_id) for a in result.attempts if a.ray_node_id]
    want = [(node, ip, sum(1 for n, _, _ in rows if n == node),
             sum(1 for n, s, _ in rows if n == node and s == "FAILED"),
             len({w for n, _, w in rows if n == node and w}))
            for node, ip in sorted({NODE_B: "10.0.0.2", NODE_C: "",
                                    RETRIES_NODE: "127.0.0.1"}.items())]
    assert [(n.id, n.ip, n.attempts, n.failed_attempts, n.workers)
            for n in result.ray_nodes] == want
    # the moved attempts: worker 19508's 3 on node B (2 failed), 19507's 4 on node C (2
    # failed), and the two the copy left on the head node (the crash and its retry)
    assert [(n.ip, n.attempts, n.failed_attempts, n.workers) for n in result.ray_nodes] == [
        ("10.0.0.2", 3, 2, 1), ("", 4, 2, 1), ("127.0.0.1", 2, 1, 1)]
    doc = validated(render(result, "json"))
    assert doc["summary"]["ray_nodes"] == [
        {"id": node, "ip": ip, "attempts": n, "failed_attempts": f, "workers": w}
        for node, ip, n, f, w in want]
    lines = render(result, "table").decode().splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("ray nodes"))
    assert lines[at:at + 3] == [
        "ray nodes      3: 10.0.0.2 (0b0b0b0b) 3 attempts on 1 worker, 2 failed;",
        "               0c0c0c0c (IP unknown) 4 attempts on 1 worker, 2 failed;",
        "               127.0.0.1 (bbfb078d) 2 attempts on 1 worker, 1 failed"]
    # one node: the JSON says it, the terminal's summary does not spend a line on it
    one = result_of(RETRIES)
    assert [(n.ip, n.attempts, n.failed_attempts, n.workers) for n in one.ray_nodes] == [
        ("127.0.0.1", 9, 5, 2)]
    assert "ray nodes" not in render(one, "table").decode()


def test_the_parallel_read_and_repeated_files_give_the_same_ips(
        multi_node: dict[str, Any]) -> None:
    """The node events travel in the worker's pickled pieces, merge in file order and are
    counted once when a file is read twice (the same folder given twice)."""
    root = multi_node["root"]
    one = result_of(root)
    for paths, jobs in (([root], 2), ([root, root], 2), ([root, root], 1)):
        account, reduced = read_reduced(discover([str(p) for p in paths]), Reducer(), jobs,
                                        min_bytes_per_job=0)
        assert len(reduced.node_updates) == 5
        result = analyze_partial(reduced, account, Options())
        assert list(result.attempts) == list(one.attempts)
        assert result.failures == one.failures


def test_without_node_events_every_ip_is_unknown(tmp_path: Path) -> None:
    root = tmp_path / "retries"
    shutil.copytree(RETRIES, root)
    [node_log] = root.glob("session_*/logs/export_events/event_EXPORT_NODE.log")
    node_log.unlink()
    result = result_of(root)
    assert len(result.attempts) == 10 and {a.node_ip for a in result.attempts} == {""}
    doc = validated(render(result, "json"))
    assert [f["node_ip"] for f in doc["failures"]] == [""] * 5
    assert processes(result) == [f"Ray node {RETRIES_NODE}", "driver"]


def test_a_nodes_ip_is_its_first_address_in_file_order() -> None:
    def update(node: str, address: str, state: str = "ALIVE") -> NodeUpdate:
        return NodeUpdate(node, address, False, state, None, None, "")

    # Ray's event export: a lifecycle event has no address, the definition event has it
    assert node_addresses([update("a", "", "DEAD"), update("b", "10.0.0.2"),
                           update("a", "10.0.0.1"), update("b", "10.9.9.9"),
                           update("a", "10.0.0.3"), update("c", "")]) == {
        "b": "10.0.0.2", "a": "10.0.0.1"}
    assert node_addresses([]) == {}


ACTOR_RESTART = sample("libraries/actor_restart")


def actor_deaths(result: Result) -> list[tuple[str, str, str]]:
    return [(f.node[:8], f.error_type, f.node_ip) for f in (*result.failures, *result.ends)
            if f.kind == "actor"]


def test_an_actors_death_names_the_ip_of_the_node_it_died_on(tmp_path: Path) -> None:
    """An actor's death or restart names no attempt: its EXPORT_ACTOR snapshot (RESTARTING,
    DEAD) names the Ray node the actor was on, whose IP it takes."""
    result = result_of(ACTOR_RESTART)
    assert actor_deaths(result) == [
        ("d8c9f293", "ACTOR_RESTARTING", "127.0.0.1"),
        ("ababf5a5", "ACTOR_DIED_ERROR_CONTEXT:RAY_KILL", "127.0.0.1"),
        ("d8c9f293", "ACTOR_DIED_ERROR_CONTEXT:OWNER_DIED", "127.0.0.1")]
    # the node Ray's State API has the actors on (samples/libraries/truth), the one node there
    truth = json.loads((sample("libraries/truth") / "actor_restart.json").read_text())
    end = truth["phases"]["end"]
    assert {a["node_id"] for a in end["actors"]} == {n["node_id"] for n in end["nodes"]}
    story = render(result, "table").decode()
    assert "Phoenix (actor): ACTOR_RESTARTING\n   at -0.46 s\n   on Ray node 127.0.0.1\n" in story
    # a death whose snapshot names no node: its IP is unknown, the others' are kept
    root = tmp_path / "actor_restart"
    shutil.copytree(ACTOR_RESTART, root)
    [actor_log] = root.glob("session_*/logs/export_events/event_EXPORT_ACTOR.log")

    def no_node_on_kill(line: dict[str, Any]) -> dict[str, Any]:
        data = line["event_data"]
        if data["class_name"] == "Bystander" and data["state"] == "DEAD":
            data["node_id"] = ""
        return line

    _rewrite(actor_log, no_node_on_kill)
    assert [ip for _, _, ip in actor_deaths(result_of(root))] == ["127.0.0.1", "", "127.0.0.1"]
