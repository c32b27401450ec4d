"""`--format mermaid` and `--format markdown`: ids, escaping, the cut to Mermaid's limits, and
every output drawn (or parsed) by the real Mermaid."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from ci_support import (HOSTILE_ACTOR, HOSTILE_CLS, hostile_session, mermaid_available,
                        run_mermaid)
from conftest import CAPTURES, cli, render, result_of, sample
from flowinsight.render import RenderOptions
from flowinsight.render.fold import picture
from flowinsight.render.markdown import cell, render_markdown
from flowinsight.render.mermaid import (MAX_EDGES, MAX_SUBGRAPHS, MAX_TEXT, escape,
                                        render_mermaid)
from flowinsight.render.text import one_line
from flowinsight.result import Actor, CallFlow, DataFlow, Node, NodeKind, Result


def _big_result() -> Result:
    """900 call edges and 200 data edges among 40 functions and 30 actors with long names:
    far beyond what Mermaid draws by default."""
    base = result_of(sample("nested_tasks"))
    functions = [Node(id=f"pkg.module.function_with_a_long_name_{i:03d}", kind=NodeKind.FUNCTION,
                      name=f"function_with_a_long_name_{i:03d}", module="pkg.module",
                      actor_id="", job_id="01000000", language="PYTHON", calls=i + 1,
                      inferred=i % 7 == 0) for i in range(40)]
    actors = [Actor(id=f"{i:024x}01000000", class_name=f'Worker<"{i}">', actor_name="",
                    job_id="01000000", language="PYTHON", state="ALIVE", detached=False)
              for i in range(30)]
    methods = [Node(id=f"{a.id}.handle_request_{j}", kind=NodeKind.METHOD,
                    name=f"handle_request_{j}", module="", actor_id=a.id, job_id="01000000",
                    language="PYTHON", calls=j + 1, inferred=False)
               for a in actors for j in range(3)]
    nodes = functions + methods
    n = len(nodes)
    calls = [CallFlow(source=nodes[i % n].id, target=nodes[(i % n + 1 + 17 * (i // n)) % n].id,
                      count=1000 - i) for i in range(900)]
    data = [DataFlow(source=nodes[i].id, target=nodes[-1 - i].id, count=3, bytes=10_000 * (i + 1),
                     unsized=i % 2, bytes_per_s=1e6) for i in range(100)]
    return dataclasses.replace(base, nodes=tuple(sorted(nodes, key=lambda n: n.id)),
                               actors=tuple(actors), call_flows=tuple(calls),
                               data_flows=tuple(data))


def _actors_result(actors: int, edges: int) -> Result:
    """`actors` named actors of 3 methods and 10 functions, with `edges` call edges crossing
    between them in a fixed pseudo-random pattern: the shape on which Mermaid's layout of
    many subgraphs can fail."""
    base = result_of(sample("nested_tasks"))
    records = [Actor(id=f"{i + 1:024x}01000000", class_name="Worker", actor_name=f"w{i}",
                     job_id="01000000", language="PYTHON", state="DEAD", detached=False)
               for i in range(actors)]
    nodes = [Node(id=f"f{i}", kind=NodeKind.FUNCTION, name=f"f{i}", module="", actor_id="",
                  job_id="01000000", language="PYTHON", calls=1, inferred=False)
             for i in range(10)]
    nodes += [Node(id=f"{a.id}.m{j}", kind=NodeKind.METHOD, name=f"m{j}", module="",
                   actor_id=a.id, job_id="01000000", language="PYTHON", calls=1, inferred=False)
              for a in records for j in range(3)]
    pairs: dict[tuple[str, str], CallFlow] = {}
    seed = 7
    while len(pairs) < edges:
        seed = (seed * 1103515245 + 12345) % 2**31
        s, t = nodes[seed % len(nodes)].id, nodes[(seed // 7919) % len(nodes)].id
        pairs[(s, t)] = CallFlow(source=s, target=t, count=len(pairs) + 1)
    return dataclasses.replace(base, nodes=tuple(sorted(nodes, key=lambda n: n.id)),
                               actors=tuple(records), call_flows=tuple(pairs.values()),
                               data_flows=())


def _js_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _edges(text: str) -> list[str]:
    return [line for line in text.splitlines() if re.match(r"\s+n\d+ (-->|-\.->)\|", line)]


def test_ids_are_sorted_and_actors_are_subgraphs() -> None:
    result = result_of(sample("sage_pipeline"))
    text = render_mermaid(result, RenderOptions())
    lines = text.splitlines()
    assert lines[0] == "%% flowinsight: 20 nodes, 20 call edges, 0 data edges"
    assert lines[1] == "flowchart LR"
    ids = sorted(n.id for n in result.nodes)
    assert f'  n{ids.index("main")}(["main"])' in lines
    assert sum(1 for line in lines if line.startswith("  subgraph a")) == 4
    assert '  subgraph a0["RayTask \'source\'"]' in lines  # the smallest actor id
    # the five 40-call edges; the 15 one-call setup edges are folded into one line per actor
    assert len(_edges(text)) == 5
    source_put = ids.index(next(i for i in ids if i.endswith(".put_packet")))
    assert f'  n{ids.index("main")} -->|"40 calls"| n{source_put}' in lines
    assert '    s0["4 setup calls from main#58; __init__, connect, start_running, stats"]' in lines


def test_labels_are_escaped() -> None:
    assert escape('a"b<c>&d#e%f:g`h|i\x1bj\nk') == \
        "a#quot;b#lt;c#gt;#amp;d#35;e#37;f#58;g#96;h#124;ij"


def test_hostile_names_cannot_break_out(tmp_path: Path) -> None:
    text = render_mermaid(result_of(hostile_session(tmp_path)), RenderOptions())
    assert "%%{" not in text and "<" not in text and "`" not in text and "\x1b" not in text
    for line in text.splitlines():
        if "[" in line:  # node and subgraph lines: exactly one quoted label
            assert line.count('"') == 2, line


def test_a_big_graph_is_cut_to_mermaids_limits_and_says_so() -> None:
    result = _big_result()
    text = render_mermaid(result, RenderOptions())
    assert len(_edges(text)) <= MAX_EDGES and _js_len(text) <= MAX_TEXT
    comment = text.splitlines()[1]
    assert comment.startswith("%% showing the ")
    drawn = len(picture(result).edges)  # data along a call drawn on the call's edge
    assert drawn == 987
    assert f"heaviest of {drawn} edges (Mermaid's size limits); left out: " in comment
    assert "  omitted[" in text and "class omitted note" in text
    # the heaviest edges are the ones kept
    # (a figure and its unit joined by a no-break space, so that Mermaid keeps them together)
    assert '-->|"1000 calls"|' in text and '-.->|"3 × 990\u00a0kB · 1\u00a0MB/s"|' in text
    top = render_mermaid(result, RenderOptions(top=10))
    assert len(_edges(top)) == 10 and "(--top 10)" in top


def test_many_actors_are_drawn_without_subgraphs() -> None:
    six = render_mermaid(_actors_result(MAX_SUBGRAPHS, 40), RenderOptions())
    assert six.count("\n  subgraph a") == MAX_SUBGRAPHS
    assert '["m0 · 1 call"]' in six
    seven = render_mermaid(_actors_result(MAX_SUBGRAPHS + 1, 40), RenderOptions())
    assert "subgraph" not in seven.split("flowchart LR", 1)[1]
    assert "%% 7 actors: drawn without subgraphs" in seven
    assert '["Worker \'w0\'.m0 · 1 call"]' in seven


def test_markdown_cells_are_escaped() -> None:
    assert cell("a|b`c`*d*_e_[f](g)<h>&i$j$~k\\l\x1b[31m\nm") == \
        r"a\|b\`c\`\*d\*\_e\_\[f\](g)&lt;h&gt;&amp;i\$j\$\~k\\l"


def test_markdown_report(tmp_path: Path) -> None:
    text = render_markdown(result_of(hostile_session(tmp_path)), RenderOptions())
    assert text.startswith("### flowinsight — job 01000000\n")
    assert text.count("```mermaid\n") == 1 and text.count("\n```\n") == 1
    body = text.replace(text[text.index("```mermaid"):text.index("\n```\n")], "")
    assert HOSTILE_CLS not in body and "\x1b" not in body
    assert cell(HOSTILE_CLS) in body
    for section in ("#### Nodes", "#### Call flows", "#### Data flows", "#### Call graph"):
        assert section in text
    columns = 0
    for line in body.splitlines():
        if not line.startswith("| "):
            columns = 0
        elif columns == 0:  # a header row
            columns = line.count("|")
        else:  # every cell intact: as many unescaped pipes as its header
            assert line.replace("\\|", "").count("|") == columns, line


def test_export_formats_from_file_names(tmp_path: Path) -> None:
    for name, first in (("g.mmd", b"%% flowinsight"), ("g.md", b"### flowinsight")):
        out = tmp_path / name
        proc = cli("export", str(sample("lattice_workflow")), "-o", str(out))
        assert proc.returncode == 0, proc.stderr
        assert out.read_bytes().startswith(first)


@pytest.mark.parametrize("fmt", ["mermaid", "markdown"])
@pytest.mark.parametrize("name", CAPTURES)
def test_same_input_same_bytes(name: str, fmt: str) -> None:
    assert render(result_of(sample(name)), fmt) == render(result_of(sample(name)), fmt)


@pytest.mark.long
def test_real_mermaid_draws_every_output(tmp_path: Path) -> None:
    """Mermaid itself (in headless Chromium when there is one, else its parser under jsdom)
    accepts each output; with Chromium, the labels a reader sees are the names, intact."""
    reason = mermaid_available()
    if reason:
        pytest.skip(reason)
    files: dict[str, Path] = {}
    for name in CAPTURES:
        files[name] = tmp_path / f"{name}.mmd"
        files[name].write_bytes(render(result_of(sample(name)), "mermaid"))
    hostile = result_of(hostile_session(tmp_path))
    files["hostile"] = tmp_path / "hostile.mmd"
    files["hostile"].write_bytes(render(hostile, "mermaid"))
    files["big"] = tmp_path / "big.mmd"
    files["big"].write_bytes(render(_big_result(), "mermaid"))
    for name, actors, edges in (("six_actors", MAX_SUBGRAPHS, 150), ("seven_actors", 7, 150)):
        files[name] = tmp_path / f"{name}.mmd"
        files[name].write_bytes(render(_actors_result(actors, edges), "mermaid"))
    markdown = render_markdown(result_of(sample("sage_pipeline")), RenderOptions())
    block = markdown.split("```mermaid\n", 1)[1].split("\n```\n", 1)[0]
    files["markdown"] = tmp_path / "markdown.mmd"
    files["markdown"].write_text(block + "\n")

    reports = {Path(r["file"]).stem: r for r in run_mermaid(list(files.values()))}
    for key, path in files.items():
        report = reports[path.stem]
        assert report["ok"], (key, report.get("error"))
    engine = reports["hostile"]["engine"]
    print(f"Mermaid check ran with: {engine}")
    if engine == "chromium":
        labels = reports["hostile"]["labels"]
        # the two unnamed instances are told apart by short id, the named one by its name
        assert {f"{HOSTILE_CLS} #8763c1", f"{HOSTILE_CLS} #e2e4bc"} <= set(labels), labels
        # labels are cut at 80 characters, after their control characters are removed
        assert one_line(f"{HOSTILE_CLS} '{HOSTILE_ACTOR}'", 80) in labels, labels
        assert reports["sage_pipeline"]["clusters"] == 4
        assert reports["sage_pipeline"]["edges"] == 5
        assert reports["six_actors"]["clusters"] == MAX_SUBGRAPHS
        assert reports["seven_actors"]["clusters"] == 0
        big = reports["big"]
        assert 0 < big["edges"] <= MAX_EDGES
        assert any(label.startswith("showing the ") for label in big["labels"])
