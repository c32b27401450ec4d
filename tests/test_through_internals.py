"""The user's calls that Ray's hidden internals make (pipeline/through_internals.py,
views.hide_internals): drawn from the internals' nearest shown callers, marked `via` them,
every call counted once; on a synthetic graph and on the Train, Serve, Tune and Data captures
of samples/libraries (README there)."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from conftest import render, result_of, validated
from test_libraries import method_name
from flowinsight.ci.document import graph_of
from flowinsight.pipeline import Options, analyze
from flowinsight.pipeline.through_internals import calls_through
from flowinsight.pipeline.views import hide_internals
from flowinsight.read import discover, read_capture
from flowinsight.result import NO_STATS, CallFlow, Node, NodeKind, Result, Stats

LIBRARIES = Path(__file__).resolve().parents[1] / "samples" / "libraries"
REPO = LIBRARIES.parents[1]


# --- synthetic: chains, a hidden node with no shown caller, cycles, several callers ----------


def flows(*edges: tuple[str, str, int]) -> list[CallFlow]:
    return [CallFlow(s, t, n) for s, t, n in edges]


Drawn = set[tuple[str, str, int, tuple[str, ...]]]


def drawn(hidden: set[str], *edges: tuple[str, str, int]) -> Drawn:
    return {(c.source, c.target, c.count, c.via)
            for c in calls_through(hidden, flows(*edges)).flows}


def test_a_chain_of_hidden_nodes_and_one_no_shown_caller_reaches() -> None:
    # main -> A(hidden) -> B(hidden) -> C; D(hidden) -> C with nothing shown calling D
    edges = (("main", "A", 1), ("A", "B", 2), ("B", "C", 3), ("D", "C", 2), ("main", "E", 4))
    through = calls_through({"A", "B", "D"}, flows(*edges))
    assert [(c.source, c.target, c.count, c.via) for c in through.flows] == [
        ("main", "C", 3, ("A", "B"))]
    assert through.unreached == 2  # D's calls: not drawn, counted


def test_no_edge_is_invented_for_an_unreached_hidden_caller() -> None:
    assert drawn({"D"}, ("D", "C", 2)) == set()
    assert calls_through({"D"}, flows(("D", "C", 2))).unreached == 2


def test_a_cycle_among_hidden_nodes_is_followed_once() -> None:
    # main -> A <-> B (both hidden), B -> E
    assert drawn({"A", "B"}, ("main", "A", 1), ("A", "B", 5), ("B", "A", 5), ("B", "E", 7)) == {
        ("main", "E", 7, ("A", "B"))}
    # a hidden node that calls itself
    assert drawn({"A"}, ("main", "A", 1), ("A", "A", 3), ("A", "E", 2)) == {
        ("main", "E", 2, ("A",))}


def test_several_shown_callers_share_the_calls_each_counted_once() -> None:
    # main calls H 3 times, f once; H's 5 calls to g: 3.75 and 1.25 -> 4 and 1
    got = drawn({"H"}, ("main", "H", 3), ("f", "H", 1), ("H", "g", 5))
    assert got == {("main", "g", 4, ("H",)), ("f", "g", 1, ("H",))}
    assert sum(n for _, _, n, _ in got) == 5
    # an even split, ties to the smaller id
    assert drawn({"H"}, ("b", "H", 1), ("a", "H", 1), ("H", "g", 3)) == {
        ("a", "g", 2, ("H",)), ("b", "g", 1, ("H",))}


def test_flows_to_one_callee_merge_and_keep_stats_only_when_whole() -> None:
    stats = Stats(2, 2, 0, 0, None, None)
    one = [CallFlow("main", "A", 1), CallFlow("A", "C", 2, stats, 4.0)]
    (c,) = calls_through({"A"}, one).flows
    assert (c.count, c.stats, c.per_s, c.via) == (2, stats, 4.0, ("A",))
    two = [CallFlow("main", "A", 1), CallFlow("main", "B", 1), CallFlow("A", "C", 2, stats),
           CallFlow("B", "C", 3, stats)]
    (c,) = calls_through({"A", "B"}, two).flows
    assert (c.source, c.target, c.count, c.stats, c.per_s, c.via) == (
        "main", "C", 5, NO_STATS, None, ("A", "B"))


def _node(node_id: str, internal: bool = False) -> Node:
    kind = NodeKind.DRIVER if node_id == "main" else NodeKind.FUNCTION
    return Node(node_id, kind, node_id, "", "", "01000000", "PYTHON", 1, False,
                internal=internal)


def test_hide_internals_on_a_synthetic_chain() -> None:
    base = result_of(LIBRARIES / "mapreduce")  # any result: its nodes and flows are replaced
    nodes = (_node("main"), _node("A", True), _node("B", True), _node("C"), _node("D", True))
    calls = tuple(flows(("A", "B", 2), ("B", "C", 3), ("D", "C", 2), ("main", "A", 1)))
    full = replace(base, nodes=nodes, actors=(), call_flows=calls, data_flows=(), attempts=(),
                   failures=(), critical_paths=(), call_sites=(), warnings=())
    view = hide_internals(full)
    assert [(c.source, c.target, c.count, c.via) for c in view.call_flows] == [
        ("main", "C", 3, ("A", "B"))]
    assert [n.id for n in view.nodes] == ["main", "C"]
    assert view.hidden.call_flows == calls  # kept aside as they were
    assert view.warnings == (
        "3 nodes of Ray's internals hidden (0 actors; --internals shows them, the JSON has them "
        "marked); 1 call edge drawn through them (3 calls); 2 calls they made to shown nodes "
        "have no shown caller and are not drawn",)
    doc = validated(render(view, "json"))
    assert [(c["source"], c["target"], c["count"], c.get("via")) for c in doc["callFlows"]] == [
        ("A", "B", 2, None), ("B", "C", 3, None), ("D", "C", 2, None),
        ("main", "A", 1, None), ("main", "C", 3, ["A", "B"])]
    # a CI document counts each call once: the via flow repeats calls listed as recorded
    assert [(c.source, c.target) for c in graph_of(doc, "synthetic").calls] == [
        ("A", "B"), ("B", "C"), ("D", "C"), ("main", "A")]


# --- the captures --------------------------------------------------------------------------


def names(result: Result) -> dict[str, str]:
    """Node id -> `Class.method` / `Class` / function name, as the State API names classes."""
    classes = {a.id: a.class_of or a.class_name for a in (*result.actors, *result.hidden.actors)}
    out = {}
    for n in (*result.nodes, *result.hidden.nodes):
        cls = classes.get(n.actor_id, "")
        out[n.id] = (f"{cls}.{n.name}" if n.kind is NodeKind.METHOD else
                     cls if n.kind is NodeKind.ACTOR else n.name)
    return out


def edges(result: Result) -> Counter[tuple[str, str, tuple[str, ...]]]:
    name = names(result)
    got: Counter[tuple[str, str, tuple[str, ...]]] = Counter()
    for c in result.call_flows:
        got[(name[c.source], name[c.target], tuple(name[v] for v in c.via))] += c.count
    return got


def everything(run: str) -> Result:
    return analyze(read_capture(discover([str(LIBRARIES / run)])), Options(internals=True))


# per worker; Train calls `execute` under a name of its own for each function it runs
# (`worker.execute.options(name=f"execute.{fn.__name__}")`): Ray's names, one node each
WORKER = {"RayTrainWorker": 1, "RayTrainWorker.get_metadata": 1,
          "RayTrainWorker.init_train_context": 1,
          "RayTrainWorker.execute._propagate_data_context": 1,
          "RayTrainWorker.execute.chdir_to_working_dir": 1,
          "RayTrainWorker.execute.get_train_application_worker_log_path": 1,
          "RayTrainWorker.poll_status": 4, "RayTrainWorker.run_train_fn": 1,
          "RayTrainWorker.shutdown": 1}


@pytest.mark.parametrize("run, controller", [("train", "TrainController"),
                                             ("train_recorded", "TrainController.run")])
def test_train_workers_are_called_from_main_through_the_controller(run: str,
                                                                   controller: str) -> None:
    """Ray records the TrainController (an async actor: its creation; the recorder names
    `run`) as the caller of the workers; the default view draws those calls from main."""
    view = result_of(LIBRARIES / run)
    assert edges(view) == {("main", target, (controller,)): 2 * n for target, n in WORKER.items()}
    assert len(view.call_flows) == 18 and sum(c.count for c in view.call_flows) == 24
    # every shown node but main is called
    assert {n.id for n in view.nodes} - {c.target for c in view.call_flows} == {"main"}
    # --internals: the calls as Ray recorded them, no via
    full = edges(everything(run))
    assert not any(via for _, _, via in full)
    assert {t: n for (s, t, _), n in full.items()
            if s == controller and t.startswith("RayTrainWorker")} == {
        t: 2 * n for t, n in WORKER.items()}
    assert full[("main", "TrainController", ())] == 1
    assert full[("main", "TrainController.run", ())] == 1


def _truth(run: str) -> dict[str, Any]:
    path = LIBRARIES / "truth" / f"{run}.json"
    raw = path.read_bytes() if path.exists() else gzip.decompress(
        path.with_suffix(".json.gz").read_bytes())
    return dict(json.loads(raw)["phases"]["end"])


@pytest.mark.parametrize("run", ["train", "train_recorded"])
def test_train_calls_through_the_controller_are_the_truths(run: str) -> None:
    """The State API: every RayTrainWorker task's parent is the TrainController's creation
    (Ray's attribution for an async actor), which main created."""
    tasks = _truth(run)["tasks"]
    by_id = {t["task_id"]: t for t in tasks}
    workers = [t for t in tasks if t["func_or_class_name"].startswith("RayTrainWorker.")
               and t["attempt_number"] == 0]
    parents = {by_id[t["parent_task_id"]]["name"] for t in workers}
    assert parents == {"TrainController.__init__"}
    assert by_id[workers[0]["parent_task_id"]]["parent_task_id"] not in by_id  # the driver
    calls = Counter(method_name(t) for t in workers)
    view = edges(result_of(LIBRARIES / run))
    got: Counter[str] = Counter()
    for (source, target, via), n in view.items():
        assert source == "main" and via and via[0].startswith("TrainController")
        got[target.replace("RayTrainWorker", "RayTrainWorker.__init__")
            if target == "RayTrainWorker" else target] += n
    assert got == calls


def test_train_picture_table_and_json_say_via_the_controller() -> None:
    view = result_of(LIBRARIES / "train")
    dot = render(view, "dot").decode()
    assert dot.count("<i>via TrainController</i>") == 2  # poll_status of each worker
    # the rest are one call each (execute under its three names, Ray's: Train names the call
    # after the function it runs), folded
    assert dot.count("8 setup calls from main (via TrainController)") == 2
    report = render(view, "html").decode()  # the report's call view
    assert report.count('"label":"4× via TrainController"') == 2
    assert report.count('"label":"16 × 1 via TrainController"') == 1
    doc = validated(render(view, "json"))
    via = [c for c in doc["callFlows"] if "via" in c]
    controller = next(a["id"] for a in doc["actors"] if a["name"] == "TrainController")
    assert len(via) == 18 and {tuple(c["via"]) for c in via} == {(controller,)}
    assert sum(c["count"] for c in via) == 24
    done = subprocess.run([sys.executable, "-m", "flowinsight", "analyze",
                           str(LIBRARIES / "train"), "--top", "0"],
                          capture_output=True, timeout=120, cwd=REPO)
    table = done.stdout.decode()
    assert table.count("main via TrainController") == 18
    assert "18 call edges drawn through them (24 calls)" in table
    # the critical path still names the hidden step where the time went, marked as hidden
    assert ("main 24.2 s → TrainController.run 17.4 s (Ray's internals, hidden)"
            in " ".join(table.split()))
    shown = subprocess.run([sys.executable, "-m", "flowinsight", "analyze",
                            str(LIBRARIES / "train"), "--internals"],
                           capture_output=True, timeout=120, cwd=REPO).stdout.decode()
    assert "main 24.2 s → TrainController.run 17.4 s\n" in shown


SERVE: dict[tuple[str, str, tuple[str, ...]], int] = {
    ("main", "ServeReplica:doubler_app:Ingress.handle_request_with_rejection",
     ("ServeController", "ProxyActor")): 5,
    ("main", "ServeReplica:doubler_app:Ingress.get_num_ongoing_requests",
     ("ServeController", "ProxyActor")): 1,
    ("main", "ServeReplica:doubler_app:Ingress.push_proxy_handle",
     ("ServeController", "ProxyActor")): 1,
    **{("main", f"ServeReplica:doubler_app:{d}{m}", ("ServeController",)): 1
       for d in ("Ingress", "Doubler")
       for m in ("", ".check_health", ".initialize_and_get_metadata", ".is_allocated",
                 ".perform_graceful_shutdown")},
}


@pytest.mark.parametrize("run", ["serve_events", "serve_events_recorded", "serve_recorded"])
def test_serve_replicas_are_called_from_main_through_the_controller_and_proxy(run: str) -> None:
    """Serve's controller creates and checks the replicas, its proxy forwards main's 5 HTTP
    requests: drawn from main, via them (the calls among the user's replicas stay as they
    were)."""
    view = edges(result_of(LIBRARIES / run))
    assert {k: n for k, n in view.items() if k[2]} == SERVE


@pytest.mark.parametrize("run", ["serve", "tune", "tune_recorded", "data", "data_recorded"])
def test_views_without_calls_from_internals_are_unchanged(run: str) -> None:
    """Serve as shipped (no task events from its actors), Tune (its controller runs in the
    driver: no internal actor) and Ray Data (its internals call nothing of the user's): no
    edge drawn through internals, the view as before."""
    view = result_of(LIBRARIES / run)
    assert not any(c.via for c in view.call_flows)
    full = everything(run)
    gone = {n.id for n in full.nodes if n.internal}
    assert view.call_flows == tuple(c for c in full.call_flows
                                    if c.source not in gone and c.target not in gone)
