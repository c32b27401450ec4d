"""Renderers: DOT that `dot` accepts, well-formed SVG, and every name from a log intact and
escaped in every format."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import orjson
import pytest

from conftest import CAPTURES, render, result_of, sample, validated
from flowinsight.render import guess_format
from flowinsight.render.dot import quote
from flowinsight.units import human_bytes, human_ms, human_rate

HOSTILE_FN = 'we"ird<fn>&Ünïcødé_名前'
HOSTILE_CLS = 'Cls"<&>\\'
HOSTILE_ACTOR = "actor [bold]x[/] \"q\" <b>&amp;"


def _hostile_session(tmp_path: Path) -> Path:
    """nested_tasks with its names replaced by hostile ones (still valid Export API lines)."""
    src = next(sample("nested_tasks").glob("session_*"))
    dst = tmp_path / src.name
    shutil.copytree(src, dst)
    for f in (dst / "logs" / "export_events").iterdir():
        text = f.read_text()
        text = text.replace('"func_or_class_name":"produce"',
                            '"func_or_class_name":' + orjson.dumps(HOSTILE_FN).decode())
        # Ray's task name, in the executor's span, is what names the node
        text = text.replace('"event_name":"task::produce"',
                            '"event_name":' + orjson.dumps("task::" + HOSTILE_FN).decode())
        text = text.replace('Stage.put_packet', HOSTILE_CLS.replace("\\", "\\\\").replace('"', '\\"') + ".put_packet")
        text = text.replace('"class_name":"Stage"',
                            '"class_name":' + orjson.dumps(HOSTILE_CLS).decode())
        text = text.replace('"name":""', '"name":' + orjson.dumps(HOSTILE_ACTOR).decode(), 1)
        f.write_text(text)
    return dst


def test_hostile_names_survive_json(tmp_path: Path) -> None:
    doc = validated(render(result_of(_hostile_session(tmp_path)), "json"))
    assert HOSTILE_FN in {f["name"] for f in doc["functions"]}
    assert {a["name"] for a in doc["actors"]} == {HOSTILE_CLS}
    assert HOSTILE_ACTOR in {a["actor_name"] for a in doc["actors"]}


def test_hostile_names_in_dot_and_svg(tmp_path: Path) -> None:
    result = result_of(_hostile_session(tmp_path))
    dot_src = render(result, "dot").decode()
    assert quote(HOSTILE_FN) in dot_src
    # real `dot` parses it ...
    proc = subprocess.run(["dot", "-Tcanon"], input=dot_src.encode(), capture_output=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    # ... and the SVG it draws is well-formed XML holding the names intact
    svg = render(result, "svg")
    root = ET.fromstring(svg)
    texts = {t.text for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert HOSTILE_FN in texts
    assert f"{HOSTILE_CLS} '{HOSTILE_ACTOR}'" in texts


def test_hostile_names_in_html(tmp_path: Path) -> None:
    from test_html import embedded  # the page's JSON data, read as a browser's parser would

    page = render(result_of(_hostile_session(tmp_path)), "html")
    for name in (HOSTILE_FN, HOSTILE_CLS, HOSTILE_ACTOR):
        assert name.encode() not in page  # its < > & are escaped in the page's JSON
    doc = embedded(page)["doc"]
    assert HOSTILE_FN in {f["name"] for f in doc["functions"]}
    assert {a["name"] for a in doc["actors"]} == {HOSTILE_CLS}
    assert HOSTILE_ACTOR in {a["actor_name"] for a in doc["actors"]}
    assert page.count(b"<script") == 2 and page.count(b"</script") == 2


def test_hostile_names_in_table(tmp_path: Path) -> None:
    table = render(result_of(_hostile_session(tmp_path)), "table").decode()
    assert HOSTILE_FN in table
    assert "[bold]x[/]" in table  # shown, not interpreted as markup
    assert "\x1b" not in table


def test_dot_quote_escapes() -> None:
    assert quote('a"b\\c\nd &amp;') == '"a\\"b\\\\c\\nd &amp;amp;"'
    assert quote("x\x1b[31my\x00") == '"xy"'


@pytest.mark.parametrize("name", CAPTURES)
def test_dot_renders_with_dot(name: str) -> None:
    proc = subprocess.run(["dot", "-Tsvg"], input=render(result_of(sample(name)), "dot"),
                          capture_output=True, check=False)
    assert proc.returncode == 0 and proc.stdout.startswith(b"<?xml"), proc.stderr
    ET.fromstring(proc.stdout)


def test_svg_contains_actor_clusters_and_counts() -> None:
    root = ET.fromstring(render(result_of(sample("sage_pipeline")), "svg"))
    ns = "{http://www.w3.org/2000/svg}"
    texts = [t.text for t in root.iter(f"{ns}text")]
    for actor in ("source", "map_0", "map_1", "sink"):
        assert f"RayTask '{actor}'" in texts
    assert texts.count("40 calls") == 5  # the five 40-call edges
    # sink.put_packet, as the JSON has it (p50 0.013 ms): to 1 µs, as every output says it
    assert "80 calls · p50 13 µs" in texts


def test_units_are_fixed() -> None:
    assert [human_bytes(x) for x in (0, 999, 1000, 12_500, 1_000_000, 5_000_000_000)] == [
        "0 B", "999 B", "1 kB", "12.5 kB", "1 MB", "5 GB"]
    assert human_bytes(None) == "unknown"
    assert human_rate(12_500_000) == "12.5 MB/s"
    assert human_rate(None) == "unknown"
    # durations at the JSON's precision (1 µs) first: 0.0155 ms is 0.015 ms there
    assert [human_ms(x) for x in (None, 0.0155, 0.0004, 4.0555, 999.9999, 1000.0, 61_234.5)] == [
        "-", "15 µs", "0 µs", "4.06 ms", "1 s", "1 s", "61.2 s"]


def test_format_guessed_from_file_name() -> None:
    assert [guess_format(n) for n in ("g.svg", "g.DOT", "g.gv", "g.json", "g.png", "g.txt",
                                      "g.bin")] == ["svg", "dot", "dot", "json", "png", "table",
                                                    None]
