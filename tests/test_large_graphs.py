"""Drawing graphs of 10,000+ nodes: actor instances collapse into classes, then the busiest
nodes are kept, and the picture says what was left out."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import orjson

from conftest import cli, render
from large_sessions import many_actors, many_functions
from flowinsight.pipeline import Options, analyze
from flowinsight.read import discover, read_capture


def test_actor_instances_collapse_into_classes(tmp_path: Path) -> None:
    capture = read_capture(discover([str(many_actors(tmp_path, 5000, 5))]))
    full = analyze(capture)
    assert len(full.nodes) == 15001  # 5000 actors, 10000 methods, main
    drawn = analyze(capture, Options(max_nodes=300))
    assert len(drawn.nodes) == 16  # 5 classes, 10 methods, main
    assert {(c.source, c.target, c.count) for c in drawn.call_flows} >= {
        ("main", "class:Worker0", 1000), ("main", "class:Worker0.step", 1000)}
    assert drawn.warnings[-1] == "collapsed for drawing: 5000 actor instances into 5 classes"
    svg = render(drawn, "svg")
    assert b"collapsed for drawing" in svg
    ET.fromstring(svg)


def test_many_functions_are_pruned_to_the_busiest(tmp_path: Path) -> None:
    capture = read_capture(discover([str(many_functions(tmp_path, 10000))]))
    drawn = analyze(capture, Options(max_nodes=300))
    assert len(drawn.nodes) == 300
    kept = {n.id for n in drawn.nodes}
    assert "main" in kept and {f"fn{i}" for i in range(50)} <= kept  # the busiest
    assert drawn.warnings[-1] == ("pruned for drawing: kept the 300 busiest of 10001 nodes; "
                                  "9701 nodes and 9701 edges left out (use --max-nodes 0 for all)")


def test_export_svg_of_10k_nodes_through_the_cli(tmp_path: Path) -> None:
    session = many_functions(tmp_path, 10000)
    out = tmp_path / "big.svg"
    proc = cli("export", str(session), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert b"pruned for drawing" in out.read_bytes()
    full = cli("export", str(session), "--format", "json")
    assert len(orjson.loads(full.stdout)["functions"]) == 10001  # JSON is never pruned
