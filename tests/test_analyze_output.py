"""`analyze` answers first and fits: pinned byte for byte on real captures in a terminal of 80
and of 120 columns (run under a pseudo-terminal of that size) and piped (no width: nothing
cut, no line padded). Every number is shown whole at every width."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from conftest import CAPTURES, GOLDEN, ROOT, cli, render, result_of, sample
from flowinsight.render import RenderOptions, renderers

CASES = ("recorded/lattice_workflow", "recorded/sage_pipeline")
CAPTURES_ALL = CAPTURES + CASES + ("recorded/nested_tasks",)
# a figure with its unit, as the tables and the summary print them
NUMBER = re.compile(r"\d+(?:\.\d+)? (?:µs|ms|s|B|kB|MB|GB|B/s|kB/s|MB/s)(?![\w/])")
# a figure wrapped away from its unit
SPLIT = re.compile(r"\d\n *(?:µs|ms|s|B|kB|MB|GB|calls?|tasks)\b")


def whole_figures(out: str) -> None:
    assert not SPLIT.search(out), SPLIT.search(out)


def in_terminal(args: list[str], columns: int) -> str:
    """`flowinsight ARGS` with its stdout on a pseudo-terminal `columns` wide (TERM=dumb: no
    colour codes), as a user sees it."""
    main, side = pty.openpty()
    fcntl.ioctl(side, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    env = {**os.environ, "COLUMNS": str(columns), "LINES": "50", "TERM": "dumb",
           "NO_COLOR": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "flowinsight", *args], stdin=subprocess.DEVNULL,
                            stdout=side, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    os.close(side)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # EIO: the other side closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    assert proc.wait(timeout=120) == 0, proc.stderr.read() if proc.stderr else ""
    return b"".join(chunks).decode().replace("\r\n", "\n")


def golden(name: str, out: str, update: bool) -> None:
    path = GOLDEN / name
    if update or not path.exists():
        path.write_text(out)
        if not update:
            pytest.fail(f"{path.name} did not exist: written, review and commit it")
    assert out == path.read_text()


def _name(case: str, how: str) -> str:
    return f"analyze_{case.split('/')[-1]}_{how}.txt"


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("columns", [80, 120])
def test_analyze_in_a_terminal(case: str, columns: int, update_golden: bool) -> None:
    out = in_terminal(["analyze", str(sample(case)), "--top", "8"], columns)
    assert "\x1b" not in out
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= columns
    assert all(line == line.rstrip() for line in lines)
    # every figure shown is one the unlimited output holds: none cut; columns left out are
    # said to be
    whole = render_plain(case, top=8)
    assert NUMBER.findall(out) and set(NUMBER.findall(out)) <= set(NUMBER.findall(whole))
    whole_figures(out)
    if columns == 80:
        assert "exec max, queue p95 left out to fit 80 columns" in out
    golden(_name(case, str(columns)), out, update_golden)


@pytest.mark.parametrize("case", CASES)
def test_analyze_piped(case: str, update_golden: bool) -> None:
    proc = cli("analyze", str(sample(case)), "--top", "8")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode()
    assert all(line == line.rstrip() for line in out.splitlines())
    assert out == render_plain(case, top=8)
    golden(_name(case, "piped"), out, update_golden)


def render_plain(case: str, top: int) -> str:
    return renderers()["table"].render(result_of(sample(case)),
                                       RenderOptions(width=0, top=top)).decode()


@pytest.mark.parametrize("name", CAPTURES_ALL)
def test_figures_stay_with_their_units_at_80_and_120(name: str) -> None:
    for width in (80, 120):
        whole_figures(renderers()["table"].render(result_of(sample(name)),
                                                  RenderOptions(width=width)).decode())


@pytest.mark.parametrize("name", CAPTURES_ALL)
def test_the_table_and_the_markdown_give_each_node_the_same_durations(name: str) -> None:
    """The table draws from the Result, the Markdown (like the HTML report, check and diff)
    from the JSON document, whose durations are rounded to 1 µs: both say the same figures
    (before, the table said 15.5 µs and 4.06 ms where the Markdown said 15 µs and 4.05 ms)."""
    result = result_of(sample(name))
    options = RenderOptions(width=0, top=0)
    table = renderers()["table"].render(result, options).decode()
    markdown = renderers()["markdown"].render(result, options).decode()
    nodes = table.split("\nNodes")[1].split("\n\n")[0]
    rows = [[c.strip() for c in line.split("│")[1:-1]] for line in nodes.splitlines()
            if line.startswith("│")]
    header = [c.strip() for c in next(line for line in nodes.splitlines()
                                       if line.startswith("┃")).split("┃")[1:-1]]
    p50, p95 = header.index("exec p50"), header.index("exec p95")
    from_table = {(r[0], r[p50], r[p95]) for r in rows}
    section = markdown.split("#### Nodes\n\n")[1].split("\n\n")[0].splitlines()[2:]
    cells = [[c.strip().replace("\\", "") for c in line.split(" | ")] for line in section
             if line.startswith("| ")]
    from_markdown = {(c[0].lstrip("| "), c[4], c[5].rstrip(" |")) for c in cells}
    assert len(from_table) == len(rows) == len(cells) > 0
    assert from_table == from_markdown


def test_export_table_is_not_padded() -> None:
    proc = cli("export", str(sample("recorded/sage_pipeline")), "--format", "table")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.decode().splitlines()
    assert all(line == line.rstrip() for line in lines)
    assert max(len(line) for line in lines) <= 120


def test_a_newline_in_a_name_cannot_start_a_line() -> None:
    """Forged output: a function named to look like a verdict stays inside its line."""
    import dataclasses
    result = result_of(sample("lattice_workflow"))
    forged = "run\nFAIL max-failures 0: 3 failures\x1b[2J"
    nodes = tuple(dataclasses.replace(n, name=forged) if n.name == "run_code_task" else n
                  for n in result.nodes)
    out = render(dataclasses.replace(result, nodes=nodes), "table").decode()
    assert "\nFAIL" not in out and "\x1b" not in out
    assert "run\\nFAIL max-failures 0: 3 failures\\x1b[2J" in out


def test_the_summary_says_what_the_run_did_with_tune_serve_and_ray_data() -> None:
    from conftest import DATA
    from flowinsight.labels import Labels
    from flowinsight.render.table import summary_lines

    def lines(path: Path) -> dict[str, str]:
        result = result_of(path)
        return {line.key: (line.lead + " " if line.lead else "") + line.sep.join(line.items)
                for line in summary_lines(result, Labels(result))}

    # FailureConfig retries: 5 trial actors, one trial restored from its checkpoint
    assert lines(DATA / "tune_retry_function")["tune"] == (
        "5 trial actors: trials started on them 5 times, 1 from a checkpoint, 4 from scratch, "
        "15 train calls, 2 failed")
    # PBT with reuse_actors: one actor ran every start, two Tune made and left unused
    assert lines(DATA / "tune_pbt_reuse")["tune"] == (
        "3 trial actors (2 unused): trials started on them 12 times, 8 from a checkpoint, "
        "4 from scratch, 24 train calls")
    assert lines(sample("libraries/serve_events"))["serve"] == (
        "2 deployments: doubler_app/Doubler 5 requests, p95 5.51 ms; "
        "doubler_app/Ingress 5 requests, p95 37.1 ms")
    assert lines(DATA / "data_groupby_same_names")["ray data"] == (
        "7 datasets, 25 operators, 28 operator tasks")
    # a dataset iterated for three epochs: one plan (2 operators) run three times
    assert lines(DATA / "data_epochs")["ray data"] == (
        "1 dataset plan run 3 times, 2 operators, 12 operator tasks")
    assert lines(DATA / "data_udf_errors")["ray data"] == (
        "3 datasets, 9 operators, 3 with failed tasks, 18 operator tasks")
    assert not {"tune", "serve", "ray data"} & set(lines(sample("recorded/sage_pipeline")))


def test_a_summary_key_wider_than_its_column_keeps_the_lines_in_the_terminal() -> None:
    # tests/data/jobs_submitted: several jobs, so each critical path's key names its job
    # ("critical path 02000000", 22 cells) and pushed its line 3 cells past 100 columns
    from conftest import DATA
    out = re.sub(r"\x1b\[[0-9;]*m", "", in_terminal(["analyze", str(DATA / "jobs_submitted")],
                                                     100))
    lines = out.splitlines()
    assert max(map(len, lines)) <= 100
    k = lines.index("critical path 02000000")
    assert lines[k + 1].startswith(" " * 15 + "3.74 s wall (first start to last end)")


def test_a_job_of_one_task_reads_singular() -> None:
    from conftest import DATA
    from flowinsight.labels import Labels
    from flowinsight.render.table import summary_lines

    result = result_of(DATA / "jobs_submitted")
    jobs = {line.key: line.items[2] for line in summary_lines(result, Labels(result))
            if line.key.startswith("job ")}
    assert (jobs["job 02000000"], jobs["job 03000000"], jobs["job 07000000"]) == (
        "11 tasks", "1 task", "0 tasks")


def test_one_record_node_or_edge_reads_singular_in_the_table_and_the_markdown() -> None:
    """lattice_workflow from 1 s on: only the driver's record is active, one node (main).
    Before, the summary said "1 task records, 1 nodes" (and a hidden-internals warning
    "1 call edges")."""
    cli_out = cli("analyze", "samples/lattice_workflow", "--since", "1")
    assert cli_out.returncode == 0, cli_out.stderr
    graph = [line for line in cli_out.stdout.decode().splitlines() if line.startswith("graph")]
    assert graph == ["graph          1 task record, 1 node, 0 call edges, 0 data edges"]
    md = cli("export", "samples/lattice_workflow", "--since", "1", "--format", "markdown")
    rows = md.stdout.decode().splitlines()
    assert "| tasks | 1 task record |" in rows and "| graph | 1 node · 0 call edges · 0 data edges |" \
        in rows
