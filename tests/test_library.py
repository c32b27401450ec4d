"""The library surface: flowinsight.load/read/analyse/render do what the CLI does, and the
Result's networkx graphs carry exactly the JSON's nodes, edges and attributes."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Callable, cast

import orjson
import pytest

import flowinsight
from conftest import cli, sample
from flowinsight.errors import UsageError
from flowinsight.render.json_out import to_document


def test_load_equals_the_cli_json() -> None:
    result = flowinsight.load(sample("sage_pipeline"), jobs=1)
    out = cli("export", str(sample("sage_pipeline")), "--format", "json")
    assert out.returncode == 0
    assert flowinsight.export(result, "json") == out.stdout


def test_write_gives_the_cli_trace_into_a_file(tmp_path: Path) -> None:
    result = flowinsight.load(sample("sage_pipeline"), jobs=1)
    out = cli("export", str(sample("sage_pipeline")), "--format", "trace")
    assert out.returncode == 0
    with open(tmp_path / "t.json", "wb") as f:
        flowinsight.write(result, "trace", f)
    assert (tmp_path / "t.json").read_bytes() == out.stdout == flowinsight.export(result, "trace")
    with pytest.raises(UsageError, match="format 'pdfx'"):
        flowinsight.write(result, "pdfx", io.BytesIO())


def test_call_graph_carries_the_json() -> None:
    result = flowinsight.load(sample("lattice_workflow"), jobs=1)
    doc = to_document(result)
    graph = result.call_graph()
    json_nodes = {n["id"]: n for group in ("actors", "methods", "functions") for n in doc[group]}
    assert set(graph.nodes) == set(json_nodes) == {n.id for n in result.nodes}
    for nid, attrs in graph.nodes(data=True):
        assert {"id": nid, **{k: v for k, v in attrs.items() if k != "kind"}} == json_nodes[nid]
        assert attrs["kind"] == next(n.kind.value for n in result.nodes if n.id == nid)
    edges = {(e["source"], e["target"]): e for e in doc["callFlows"]}
    assert set(graph.edges) == set(edges) and len(edges) == len(result.call_flows) > 0
    for source, target, attrs in graph.edges(data=True):
        assert {"source": source, "target": target, **attrs} == edges[(source, target)]
    assert graph.graph["schema_version"] == doc["schema_version"]
    main = next(n.id for n in result.nodes if n.name == "main")
    assert "run_code_task" in {graph.nodes[t]["name"] for t in graph.successors(main)}


def test_data_flow_graph_carries_the_json() -> None:
    result = flowinsight.load(sample("recorded/sage_pipeline"), jobs=1)
    doc = to_document(result)
    graph = result.data_flow_graph()
    edges = {(e["source"], e["target"]): e for e in doc["dataFlows"]}
    assert len(edges) == len(result.data_flows) > 0
    assert {(s, t): {"source": s, "target": t, **a} for s, t, a in graph.edges(data=True)} == edges
    assert sum(a["count"] for _, _, a in graph.edges(data=True)) == \
        sum(d.count for d in result.data_flows)


def test_read_once_analyse_with_several_views() -> None:
    reading = flowinsight.read_logs(sample("nested_tasks"), jobs=1)
    whole = flowinsight.analyse(reading)
    by_class = flowinsight.analyse(reading, group_by="class")
    focused = flowinsight.analyse(reading, focus="Stage")
    assert whole == flowinsight.load(sample("nested_tasks"), jobs=1)
    assert len(by_class.nodes) < len(whole.nodes)
    assert 0 < len(focused.nodes) < len(whole.nodes)
    # focus keeps each matching node's direct callers and callees, over the call graph
    graph = whole.call_graph()
    hits = {n.id for n in whole.nodes if "Stage" in n.id or "Stage" in n.name}
    hits |= {a.id for a in whole.actors if "Stage" in a.class_name}
    expected = set(hits)
    for hit in hits & set(graph.nodes):
        expected |= set(graph.predecessors(hit)) | set(graph.successors(hit))
    kept = {n.id for n in focused.nodes}
    assert hits <= kept and {n for n in expected if n in {x.id for x in whole.nodes}} <= kept


def test_a_reading_consumed_is_not_analysed_again_as_an_empty_run() -> None:
    """consume lets go of the task records: a second analysis found none and answered with
    an empty graph (0 nodes, no warning), which passed for a run without calls."""
    reading = flowinsight.read_logs(sample("nested_tasks"), jobs=1)
    whole = flowinsight.analyse(reading, consume=True)
    assert whole == flowinsight.load(sample("nested_tasks"), jobs=1)
    with pytest.raises(UsageError, match=r"^this reading was analysed with consume=True, which "
                                         r"let go of its task records: read the logs again"):
        flowinsight.analyse(reading, group_by="class")
    kept = flowinsight.read_logs(sample("nested_tasks"), jobs=1)
    flowinsight.analyse(kept, focus="Stage", consume=True)  # a focus keeps the records
    assert flowinsight.analyse(kept) == whole


def test_warnings_are_reported_not_swallowed(tmp_path: Path) -> None:
    src = sample("lattice_workflow")
    bad = tmp_path / "logs" / "export_events" / "event_EXPORT_TASK_1.log"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"{not json\n")
    seen: list[str] = []
    result = flowinsight.load(src, tmp_path, jobs=1, on_warning=seen.append)
    assert result.read.skipped_total == 1
    assert any("event_EXPORT_TASK_1.log:1: skipped" in line for line in seen), seen
    with pytest.raises(UsageError, match="--strict: 1 line"):
        flowinsight.load(src, tmp_path, jobs=1, strict=True)


def test_bad_options_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="group_by"):
        flowinsight.load(sample("nested_tasks"), group_by="kind", jobs=1)
    with pytest.raises(UsageError, match="--since"):
        flowinsight.load(sample("nested_tasks"), since="yesterday", jobs=1)
    with pytest.raises(UsageError, match="format 'pdfx'"):
        flowinsight.export(flowinsight.load(sample("nested_tasks"), jobs=1), "pdfx")


def test_counts_below_what_the_cli_takes_are_usage_errors() -> None:
    """The CLI takes no negative --top, --jobs or --max-nodes (click.IntRange); the library
    took them silently: top=-1 cut each table's last row (rows[:-1]), a negative jobs or
    max_nodes passed for 1 and 0."""
    result = flowinsight.load(sample("nested_tasks"), jobs=1)
    nested = sample("nested_tasks")
    cases: list[tuple[str, Callable[[], object]]] = [
        ("top -1: give an integer of 0 or more (0 for every row)",
         lambda: flowinsight.export(result, "table", top=-1)),
        ("width 0: give an integer of 1 or more (the columns of the terminal table)",
         lambda: flowinsight.write(result, "table", io.BytesIO(), width=0)),
        ("jobs -2: give an integer of 0 or more (0 for one per core)",
         lambda: flowinsight.load(nested, jobs=-2)),
        ("jobs '2': give an integer of 0 or more (0 for one per core)",
         lambda: flowinsight.read_logs(nested, jobs=cast(int, "2"))),
        ("max_nodes -1: give an integer of 0 or more (0 to keep every node)",
         lambda: flowinsight.load(nested, jobs=1, max_nodes=-1))]
    for message, call in cases:
        with pytest.raises(UsageError) as caught:
            call()
        assert str(caught.value) == message


def test_render_any_format() -> None:
    result = flowinsight.load(sample("nested_tasks"), jobs=1)
    assert orjson.loads(flowinsight.export(result, "json"))["schema_version"]
    assert flowinsight.export(result, "dot").startswith(b"digraph")
