"""The HTML report without a browser: registered and guessed, the same bytes for the same
input, the JSON document embedded as it is, script-safe data, and the graph views' folding and
the timeline built from known captures (tests/html drives the page in Chromium)."""

from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import orjson
import pytest

from conftest import cli, render, result_of, sample
from flowinsight.render import guess_format
from flowinsight.render.html import payload, script_json
from flowinsight.render.html import graphs
from flowinsight.render.html.timeline import timeline_data
from flowinsight.result import Failure
from large_sessions import many_functions

SAGE = sample("recorded/sage_pipeline")


class _Scripts(HTMLParser):
    """The page's script elements: (attributes, text)."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._open: dict[str, str | None] | None = None
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "script":
            self._open = dict(attrs)
            self.scripts.append((self._open, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)


def scripts(page: bytes) -> _Scripts:
    parser = _Scripts()
    parser.feed(page.decode())
    return parser


def embedded(page: bytes) -> Any:
    (data,) = [text for attrs, text in scripts(page).scripts
               if attrs.get("type") == "application/json"]
    return orjson.loads(data)


def test_format_registered_and_guessed_from_the_file_name() -> None:
    assert [guess_format(n) for n in ("r.html", "R.HTM", "r.html.json")] == ["html", "html",
                                                                            "json"]


def test_script_json_cannot_end_its_element_and_reads_back_the_same() -> None:
    hostile = {"k</script>": "</script><!--<script>&amp;\u2028\u2029\u202e\x85\x7f\ufffe\x1b"}
    text = script_json(hostile)
    assert not re.search(rb"[<>&]", text)
    assert not re.search("[\u2028\u2029\u202e\x85\x7f\ufffe\x1b]", text.decode())
    assert orjson.loads(text) == hostile


def test_the_page_embeds_the_json_document_as_it_is() -> None:
    result = result_of(SAGE)
    page = render(result, "html")
    data = embedded(page)
    assert data["doc"] == orjson.loads(render(result, "json"))
    # exactly two scripts: the data and the page's own code; nothing loaded from elsewhere
    found = scripts(page)
    assert [attrs for attrs, _ in found.scripts] == [
        {"type": "application/json", "id": "flowinsight-data"}, {}]
    assert not re.search(rb"""\s(src|href|action|srcset)=""", page)
    assert b"default-src 'none'" in page


def test_same_bytes_for_the_same_input(tmp_path: Path) -> None:
    assert render(result_of(SAGE), "html") == render(result_of(SAGE), "html")
    outs = []
    for k in range(2):
        out = tmp_path / f"r{k}.html"
        proc = cli("export", str(SAGE), "-o", str(out))
        assert proc.returncode == 0, proc.stderr
        outs.append(out.read_bytes())
    assert outs[0] == outs[1] and outs[0].startswith(b"<!doctype html>")


def test_call_view_folds_the_one_call_setup_edges() -> None:
    data = payload(result_of(SAGE))
    view, doc, names = data["views"]["call"], data["doc"], data["names"]
    folds = [n for n in view["nodes"] if n["kind"] == "fold"]
    assert len(folds) == 1 and folds[0]["lines"][0] == "15 one-call setup edges"
    # main creating the four actors and calling connect (3), start_running (4), stats (4)
    folded = sorted(names[doc["callFlows"][i]["target"]].split(".")[-1]
                    for i in folds[0]["members"])
    assert folded == ["RayTask 'map_0'", "RayTask 'map_1'", "RayTask 'sink'",
                      "RayTask 'source'"] + ["connect"] * 3 + ["start_running"] * 4 + \
        ["stats"] * 4
    drawn = {names[n["id"]] for n in view["nodes"] if n["kind"] != "fold"}
    assert drawn == {"main"} | {f"RayTask '{a}'.put_packet"
                                for a in ("source", "map_0", "map_1", "sink")}
    def short(k: int) -> str:
        name = names[view["nodes"][k]["id"]]
        return name.split("'")[1] if "'" in name else name

    edges = sorted((short(e["s"]), short(e["t"]), e["label"]) for e in view["edges"]
                   if not e["fold"])
    assert edges == [("main", "source", "40×"), ("map_0", "sink", "40×"),
                     ("map_1", "sink", "40×"), ("source", "map_0", "40×"),
                     ("source", "map_1", "40×")]
    assert view["fold_note"] == "15 one-call setup edges folded"
    # laid out left to right: main, source, the maps, sink
    x = {short(k): n["x"] for k, n in enumerate(view["nodes"]) if n["kind"] != "fold"}
    assert x["main"] < x["source"] < x["map_0"] == x["map_1"] < x["sink"]


def test_data_view_folds_small_flows_and_keeps_the_pipeline() -> None:
    data = payload(result_of(SAGE))
    view, names = data["views"]["data"], data["names"]
    big = sorted((names[view["nodes"][e["s"]]["id"]], names[view["nodes"][e["t"]]["id"]],
                  e["label"]) for e in view["edges"] if not e["fold"])
    assert big == [
        ("RayTask 'map_0'.put_packet", "RayTask 'sink'.put_packet", "40× 820 kB"),
        ("RayTask 'map_1'.put_packet", "RayTask 'sink'.put_packet", "40× 820 kB"),
        ("RayTask 'source'.put_packet", "RayTask 'map_0'.put_packet", "40× 780 kB"),
        ("RayTask 'source'.put_packet", "RayTask 'map_1'.put_packet", "40× 780 kB"),
        ("main", "RayTask 'source'.put_packet", "40× 780 kB")]
    folds = [n for n in view["nodes"] if n["kind"] == "fold"]
    assert sum(len(f["members"]) for f in folds) == view["folded"] == 23
    assert len(data["doc"]["dataFlows"]) == 5 + 23


def test_no_data_flows_says_why() -> None:
    data = payload(result_of(sample("nested_tasks")))
    assert data["views"]["data"] == {"empty": (
        "no data flows in this capture: stock Ray records no object ids or sizes (record them "
        "with flowinsight.recorder)")}


def test_timeline_has_a_bar_per_attempt_and_the_failures_full_text() -> None:
    result = result_of(sample("lattice_workflow"))
    tl = timeline_data(result.attempts, {n.id: i for i, n in enumerate(result.nodes)})
    assert tl["total"] == len(tl["bars"]["task"]) == 9 and tl["notes"] == []
    assert [lane["label"] for lane in tl["lanes"]][0] == "driver job 01000000"
    # the worker lanes are headed by their Ray node's IP (its EXPORT_NODE event)
    assert {(lane["group"][:12], lane["ip"]) for lane in tl["lanes"]} == {
        ("driver", ""), ("511804a43eef", "192.0.2.2")}
    assert tl["bars"]["status"].count(1) == 1
    ((key, (kind, text)),) = tl["errors"].items()
    assert key == "000f9678149bd9dcffffffffffffffffffffffff01000000:0"
    assert kind == "TASK_EXECUTION_EXCEPTION"
    assert text.endswith('raise ValueError("task failed on purpose")\n'
                         "ValueError: task failed on purpose")
    assert "\x1b" not in text  # Ray's colour codes are out


def test_timeline_is_sampled_past_its_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    result = result_of(SAGE)
    monkeypatch.setattr("flowinsight.render.html.timeline.MAX_BARS", 50)
    tl = timeline_data(result.attempts, {})
    assert len(tl["bars"]["task"]) == 50 and tl["total"] == 216
    assert tl["notes"] == ["showing 50 of 216 task attempts: every failed one, then the "
                           "longest (the timeline draws at most 50)"]
    starts = tl["bars"]["start"]
    assert starts == sorted(starts)
    # the 50 longest (none failed here)
    ran = sorted(((a.end_ns - a.start_ns) // 1000 for a in result.attempts
                  if a.start_ns is not None and a.end_ns is not None), reverse=True)
    assert sorted(tl["bars"]["dur"], reverse=True) == ran[:50]


def test_thousands_of_nodes_are_cut_and_the_page_says_so(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    result = result_of(many_functions(tmp_path, 2000))
    data = payload(result)
    view = data["views"]["call"]
    # 1950 functions called once each are setup edges of main; fn0..fn49 (twice) are drawn
    assert view["fold_note"] == "1950 one-call setup edges folded"
    assert len(view["nodes"]) == 1 + 50 + 1
    monkeypatch.setattr(graphs, "MAX_DRAWN", 20)
    view = payload(result)["views"]["call"]
    assert view["note"] == ("showing the 20 nodes with the most execution time of 51; 31 nodes "
                            "and their edges are left out (the tables list all)")
    assert len(data["doc"]["functions"]) == 2001  # the tables have them all


def test_without_dot_the_report_still_renders(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    data = embedded(render(result_of(SAGE), "html"))
    assert data["views"]["call"]["error"] == ("no layout: Graphviz's dot could not be run "
                                              "(FileNotFoundError)")
    assert "x" not in data["views"]["call"]["nodes"][0]


def test_a_sampled_timeline_keeps_every_failed_attempt(monkeypatch: pytest.MonkeyPatch) -> None:
    result = result_of(sample("lattice_workflow"))
    monkeypatch.setattr("flowinsight.render.html.timeline.MAX_BARS", 2)
    tl = timeline_data(result.attempts, {})
    assert tl["bars"]["status"].count(1) == 1 and len(tl["bars"]["task"]) == 2
    assert tl["notes"][0].startswith("showing 2 of 9 task attempts: every failed one")


def test_a_failed_setup_call_is_not_folded_away() -> None:
    result = result_of(SAGE)
    source = next(a.id for a in result.actors if a.actor_name == "source")
    failed = replace(result, failures=(Failure("actor", source, "", None, "ACTOR_DIED",
                                               "died in __init__", None),))
    view = payload(failed)["views"]["call"]
    assert source in {n["id"] for n in view["nodes"]}  # drawn, its failure badge with it
    assert view["fold_note"] == "14 one-call setup edges folded"


def test_every_script_of_the_package_is_in_the_page() -> None:
    from flowinsight.render import html

    folder = Path(html.__file__).parent
    assert sorted(html.SCRIPTS) == sorted(p.name for p in folder.glob("*.js"))
    page = render(result_of(SAGE), "html").decode()
    for name in html.SCRIPTS:  # each part's first line, in the order of SCRIPTS
        first = (folder / name).read_text().splitlines()[0]
        assert first in page
    positions = [page.index((folder / n).read_text().splitlines()[0]) for n in html.SCRIPTS]
    assert positions == sorted(positions)
