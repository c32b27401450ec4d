"""Names from a log are data, never markup or control codes, in every output format.

A capture whose function, class, method and actor names (and the job's entrypoint) are hostile
strings is drawn in every format: JSON keeps each name exactly; DOT parses with real `dot`;
the SVG is well-formed XML whose text holds each name (its control characters removed); the
terminal table holds no escape byte and shows markup as text."""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import orjson
import pytest

from conftest import cli, validated
from flowinsight.render import RenderOptions, renderers
from flowinsight.render.text import escaped, strip_control
from flowinsight.result import Result
from robust_support import (
    JOB,
    actor_id,
    actor_task,
    analyzed,
    creation_task,
    export_actor,
    export_line,
    export_task,
    new_session,
    normal_task,
    read,
    submitted,
    write_lines,
)

HOSTILE = [
    'quote"d', "back\\slash", "trailing\\", "<script>alert(1)</script>", "a&b", "x&amp;y",
    "x&#27;[31m entity", "x&#x202E; entity", "cdata]]>end", "a{curly}b", "[square]", "pi|pe",
    "[bold red]x[/]", "\x1b[31mred\x1b[0m", "\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\",
    "new\nline", "nul\x00byte", "Ünïcødé名前", "rtl\u200fmark", "bidi\u202eoverride",
    "del\x7fc1\x85end", "nonchar\ufffe\uffff", "dollar$(rm -rf)`x`", "x{{ template }}", "%s%n",
    "L" * 10_000,
]
SVG_TEXT = "{http://www.w3.org/2000/svg}text"
# What no output meant for a terminal or an XML parser may hold (newlines aside).
_RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufffe\uffff]")


def visible(name: str) -> str:
    """A name as a drawing shows it: control characters (and escape sequences) removed."""
    return strip_control(name)


def hostile_capture(tmp_path: Path) -> Path:
    """One job whose driver calls, for every hostile name N: a function N, an actor of class N
    with user-given name N, and that actor's method N."""
    root = new_session(tmp_path)
    tasks, actors = [], []
    for i, name in enumerate(HOSTILE, start=1):
        actor = actor_id(i)
        tasks.append(export_task(normal_task(i), "NORMAL_TASK", name))
        tasks.append(export_task(creation_task(actor), "ACTOR_CREATION_TASK", "C.__init__",
                                 actor=actor))
        tasks.append(export_task(actor_task(i, actor), "ACTOR_TASK", f"C.{name}", actor=actor))
        actors.append(export_actor(actor, name, name))
    job = export_line("EXPORT_DRIVER_JOB", {"job_id": "AQAAAA==", "entrypoint":
                                            "python \x1b[2J<script>&amp; [red]x[/]",
                                            "is_dead": False}, "job1")
    write_lines(root / "logs" / "export_events" / "event_EXPORT_TASK_1.log", tasks)
    write_lines(root / "logs" / "export_events" / "event_EXPORT_ACTOR.log", actors)
    write_lines(root / "logs" / "export_events" / "event_EXPORT_DRIVER_JOB.log", [job])
    return root


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> Result:
    capture = read(hostile_capture(tmp_path_factory.mktemp("hostile")))
    assert capture.skipped_total == 0
    assert len(capture.events) == 4 * len(HOSTILE) + 1
    return analyzed(capture)


def render(result: Result, fmt: str, width: int = 120) -> bytes:
    return renderers()[fmt].render(result, RenderOptions(width=width))


def test_json_round_trips_every_name_exactly(result: Result) -> None:
    doc = validated(render(result, "json"))
    assert sorted(f["name"] for f in doc["functions"] if f["name"] != "main") == sorted(HOSTILE)
    assert sorted(m["name"] for m in doc["methods"]) == sorted(HOSTILE)
    assert sorted(a["name"] for a in doc["actors"]) == sorted(HOSTILE)
    assert sorted(a["actor_name"] for a in doc["actors"]) == sorted(HOSTILE)
    assert doc["summary"]["jobs"][0]["entrypoint"] == "python \x1b[2J<script>&amp; [red]x[/]"
    # JSON escapes the C0 controls (ESC and NUL included); the rest is data, kept as it is
    assert not re.search("[\x00-\x09\x0b-\x1f]", render(result, "json").decode())


def test_dot_parses_with_real_dot_and_holds_no_control_character(result: Result) -> None:
    source = render(result, "dot").decode()
    assert not _RAW_CONTROL.search(source)
    proc = subprocess.run(["dot", "-Tjson"], input=source.encode(), capture_output=True,
                          check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr[-500:]
    # exactly the nodes, clusters and edges drawn: no name broke out of its quotes
    drawn = orjson.loads(proc.stdout)
    clusters = [o for o in drawn["objects"] if "nodes" in o]
    nodes = [o for o in drawn["objects"] if "nodes" not in o]
    # each actor's creation and its one method, called once each by main, are folded into
    # one setup line in the actor's box (a node), not drawn as two nodes and two edges
    assert (len(nodes), len(clusters), len(drawn["edges"])) == (
        1 + 2 * len(HOSTILE), len(HOSTILE), len(HOSTILE))


def test_svg_is_well_formed_and_shows_every_name(result: Result) -> None:
    svg = render(result, "svg")
    root = ET.fromstring(svg)  # well-formed XML, or this raises
    texts = {t.text or "" for t in root.iter(SVG_TEXT)}
    for name in HOSTILE:
        for line in visible(name).split("\n"):
            # a function's label line, and an actor's cluster label "<class> '<name>'"
            assert line in texts, (name, line)
        cluster = f"{visible(name)} '{visible(name)}'"
        if "\n" not in name and len(cluster) < 5000:
            assert cluster in texts, name
    # past Graphviz's 16 kB per string, a label is cut and keeps a hash of the whole
    long_label = next(t for t in texts if t.startswith("L" * 10_000 + " '"))
    assert re.fullmatch("L{10000} 'L+… #[0-9a-f]{12}", long_label), long_label[-40:]
    assert not _RAW_CONTROL.search(svg.decode())


def test_table_has_no_escape_byte_and_shows_markup_as_text(result: Result) -> None:
    for width in (120, 30_000):
        table = render(result, "table", width=width).decode()
        assert not _RAW_CONTROL.search(table)
    # wide enough that no cell is cut: every name is there, as text, on one line, each
    # control character written out (`\n`, `\x1b`, `\u202e`)
    for name in HOSTILE:
        assert escaped(name) in table, name
    assert "new\\nline" in table and "\\x1b[31mred\\x1b[0m" in table
    assert "[bold red]x[/]" in table
    assert "<script>&amp; [red]x[/]" in table


@pytest.mark.parametrize("fmt", sorted(n for n, r in renderers().items()
                                        if not r.binary and n != "json"))
def test_every_text_format_holds_no_raw_control_character(result: Result, fmt: str) -> None:
    out = render(result, fmt)
    assert out
    assert not _RAW_CONTROL.search(out.decode()), fmt


def test_hostile_file_names_do_not_reach_stderr_raw(tmp_path: Path) -> None:
    """A file name is input too: diagnostics print it with its control characters escaped."""
    root = new_session(tmp_path)
    bad = root / "logs" / "events" / "event_\x1b[31mRED\x1b]8;;x:y\x1b\\\u202e.log"
    write_lines(bad, [b"not json", submitted(normal_task(1), "NORMAL_TASK", "m.f")])
    proc = cli("analyze", str(root))
    assert proc.returncode == 0
    err = proc.stderr.decode()
    assert "\x1b" not in err and "\u202e" not in err
    assert "event_\\x1b[31mRED\\x1b]8;;x:y\\x1b\\\\u202e.log:1: skipped (not_json" in err


def test_job_entrypoint_in_dot_title_is_escaped(result: Result) -> None:
    source = render(result, "dot").decode()
    # in the title's HTML-like label: markup as entities
    assert "python &lt;script&gt;&amp;amp; [red]x[/]" in source
    assert f"job {JOB}" in source
