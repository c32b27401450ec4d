"""`flowinsight diff`: real runs of the command line on the samples and on hand-made documents."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from ci_support import HOSTILE_CLS, hostile_session, perf_document, without_perf_fields, write_json
from conftest import cli, sample
from flowinsight.ci.diff import diff
from flowinsight.ci.document import graph_of

SOURCE, MAP0, MAP1, SINK = (f"RayTask '{n}'.put_packet" for n in ("source", "map_0", "map_1", "sink"))


def _diff_json(*args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    proc = cli("diff", *args, "--format", "json")
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, orjson.loads(proc.stdout)


def test_lossy_run_lists_the_lost_edges_exactly() -> None:
    rc, doc = _diff_json(str(sample("sage_pipeline")), str(sample("sage_pipeline_lossy")))
    assert rc == 0  # without --fail-on-change
    assert doc["changed"] is True
    edges = {(e["status"], e["kind"], e["source"], e["target"]): (e["a"], e["b"])
             for e in doc["edges"]}
    assert edges == {
        ("removed", "call", MAP1, SINK): (40, None),
        ("changed", "call", SOURCE, MAP0): (40, 2),
        ("changed", "call", SOURCE, MAP1): (40, 2),
        ("changed", "call", MAP0, SINK): (40, 4),
    }
    nodes = {(n["status"], n["name"]): (n["a"], n["b"]) for n in doc["nodes"]}
    assert nodes == {("changed", MAP0): (40, 4), ("changed", MAP1): (40, 2),
                     ("changed", SINK): (80, 4)}
    # the order is fixed: removed first, then added, then changed; by name within each
    assert [e["status"] for e in doc["edges"]] == ["removed", "changed", "changed", "changed"]


def test_lossy_run_fails_with_fail_on_change_in_every_format() -> None:
    for fmt in ("table", "json", "markdown"):
        proc = cli("diff", str(sample("sage_pipeline")), str(sample("sage_pipeline_lossy")),
                   "--format", fmt, "--fail-on-change")
        assert proc.returncode == 1, (fmt, proc.stderr)
        out = proc.stdout.decode()
        assert "1 call edge removed" in out
    markdown = cli("diff", str(sample("sage_pipeline")), str(sample("sage_pipeline_lossy")),
                   "--format", "markdown").stdout.decode()
    assert ("| removed | call | RayTask 'map\\_1'.put\\_packet | RayTask 'sink'.put\\_packet "
            "| 40 | - |") in markdown
    table = cli("diff", str(sample("sage_pipeline")), str(sample("sage_pipeline_lossy"))).stdout
    assert b"removed" in table and b"map_1'.put_packet" in table
    # piped, no line ends in spaces (rich padded each table's title to the table's width)
    lines = table.decode().splitlines()
    assert [line for line in lines if line != line.rstrip()] == []
    assert "Nodes (calls)" in lines and "Edges (calls or transfers)" in lines


@pytest.mark.parametrize("name", ["sage_pipeline", "nested_tasks", "lattice_workflow"])
def test_a_session_diffed_with_itself_is_empty(name: str) -> None:
    rc, doc = _diff_json(str(sample(name)), str(sample(name)), "--fail-on-change")
    assert rc == 0
    assert (doc["changed"], doc["nodes"], doc["edges"], doc["metrics"]) == (False, [], [], [])
    assert doc["summary"] == "no changes"
    for fmt in ("table", "markdown"):
        proc = cli("diff", str(sample(name)), str(sample(name)), "--format", fmt,
                   "--fail-on-change")
        assert proc.returncode == 0 and b"no changes" in proc.stdout


def test_saved_json_against_its_session_is_empty(tmp_path: Path) -> None:
    saved = tmp_path / "baseline.json"
    assert cli("export", str(sample("sage_pipeline")), "-o", str(saved)).returncode == 0
    rc, doc = _diff_json(str(saved), str(sample("sage_pipeline")), "--fail-on-change")
    assert (rc, doc["changed"]) == (0, False)
    rc, doc = _diff_json(str(saved), str(sample("sage_pipeline_lossy")))
    assert ("removed", MAP1, SINK) in {(e["status"], e["source"], e["target"])
                                       for e in doc["edges"]}


def test_unnamed_instances_are_matched_by_class_and_aggregated() -> None:
    rc, doc = _diff_json(str(sample("nested_tasks")), str(sample("nested_tasks")))
    assert rc == 0 and not doc["changed"]
    assert doc["notes"] == ["Stage: unnamed instances (3 and 3) matched by class and method "
                            "and aggregated (counts summed, percentiles the maximum over instances)"]
    table = cli("diff", str(sample("nested_tasks")), str(sample("sage_pipeline"))).stdout.decode()
    assert "aggregated" in table
    rc, doc = _diff_json(str(sample("nested_tasks")), str(sample("sage_pipeline")))
    # the three Stage.put_packet nodes are one: 15 calls in all
    assert {"status": "removed", "kind": "method", "name": "Stage.put_packet", "a": 15,
            "b": None} in doc["nodes"]


def test_durations_and_throughput_beyond_the_threshold(tmp_path: Path) -> None:
    a = write_json(tmp_path / "a.json", perf_document(p95_work=40.0, per_s=100.0))
    b = write_json(tmp_path / "b.json", perf_document(p95_work=52.0, per_s=95.0,
                                                      bytes_per_s=2e6, extra_edge=True))
    rc, doc = _diff_json(str(a), str(b), "--threshold", "10", "--fail-on-change")
    assert rc == 1
    metrics = {(m["name"], m["metric"]): (m["a"], m["b"], m["change_pct"]) for m in doc["metrics"]}
    assert metrics == {
        ("Worker 'w1'.work", "exec p50 ms"): (20.0, 26.0, 30.0),
        ("Worker 'w1'.work", "exec p95 ms"): (40.0, 52.0, 30.0),
        ("Worker 'w1'.work -> mod.leaf", "bytes/s"): (1e6, 2e6, 100.0),
    }  # calls/s changed by 5%: under the threshold
    assert [(e["status"], e["source"], e["target"], e["b"]) for e in doc["edges"]] == [
        ("added", "main", "mod.leaf", 3)]
    rc, doc = _diff_json(str(a), str(b), "--threshold", "200")
    assert [m["metric"] for m in doc["metrics"]] == []


def test_actor_ids_differ_between_runs_but_names_match(tmp_path: Path) -> None:
    a = write_json(tmp_path / "a.json", perf_document())
    b = write_json(tmp_path / "b.json", perf_document(worker_id="bb" * 12 + "01000000"))
    rc, doc = _diff_json(str(a), str(b), "--fail-on-change")
    assert (rc, doc["changed"]) == (0, False)


def test_documents_without_performance_fields_compare_structure_and_say_so(tmp_path: Path) -> None:
    a = write_json(tmp_path / "a.json", without_perf_fields(perf_document()))
    b = write_json(tmp_path / "b.json", perf_document(p95_work=400.0))
    rc, doc = _diff_json(str(a), str(b), "--fail-on-change")
    assert rc == 0 and doc["metrics"] == []
    assert any(n.startswith("durations not compared: no per-node stats in ") for n in doc["notes"])


def test_min_ms_ignores_sub_millisecond_noise() -> None:
    a = graph_of(perf_document(p95_work=0.4), "a")
    b = graph_of(perf_document(p95_work=0.8), "b")
    assert diff(a, b).metrics == ()
    assert [m.metric for m in diff(a, b, min_ms=0).metrics] == ["exec p50 ms", "exec p95 ms"]


def test_hostile_names_are_escaped_in_markdown(tmp_path: Path) -> None:
    session = hostile_session(tmp_path)
    proc = cli("diff", str(sample("nested_tasks")), str(session), "--format", "markdown")
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout.decode()
    assert HOSTILE_CLS not in text and "\x1b" not in text and "\x07" not in text
    escaped = r'Cls"&lt;b&gt;&amp;amp;\|\`x\`\*\_\[y\](z)\$m\$'
    assert escaped in text
    columns = 0
    for line in text.splitlines():
        if line.startswith("| status "):
            columns = line.count("|")
        elif line.startswith("| "):
            # the cells are intact: as many unescaped pipes as the header has
            assert line.replace("\\|", "").count("|") == columns, line


def test_bad_inputs_are_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema_version": "1.0", "callFlows": [], "actors": 3}')
    proc = cli("diff", str(bad), str(sample("nested_tasks")))
    assert proc.returncode == 2
    assert proc.stderr.decode().strip() == (
        f"flowinsight: error: {bad}: actors is not a list (not a graph document written by "
        "`flowinsight export --format json`?)")
    future = write_json(tmp_path / "future.json", {**perf_document(), "schema_version": "2.0"})
    proc = cli("diff", str(future), str(future))
    assert proc.returncode == 2 and b"schema_version '2.0' is not supported" in proc.stderr
    assert cli("diff", str(sample("nested_tasks"))).returncode == 2
    assert cli("diff", "a", "b", "--threshold", "-1").returncode == 2


def test_an_input_error_says_which_side_it_is_of(tmp_path: Path) -> None:
    """"no Ray event in the input" or "--job X: no such job" of one of two inputs begins with
    the side (A, B; check's --baseline): before, nothing said which input it was."""
    notes = tmp_path / "notes.txt"
    notes.write_text("hello\n")
    proc = cli("diff", str(sample("nested_tasks")), str(notes))
    assert proc.returncode == 2
    assert proc.stderr.decode().splitlines()[-1] == (
        "flowinsight: error: B: no Ray event in the input: 1 file(s), 1 line(s), 1 not_json "
        "skipped")
    proc = cli("diff", str(sample("nested_tasks")), str(sample("sage_pipeline")), "--job",
               "02000000")
    assert proc.returncode == 2
    assert proc.stderr.decode().startswith("flowinsight: error: A: --job 02000000: no such job")
    proc = cli("check", str(sample("nested_tasks")), "--baseline", str(notes),
               "--max-failures", "0")
    assert (proc.returncode, proc.stdout) == (2, b"")
    assert proc.stderr.decode().splitlines()[-1] == (
        "flowinsight: error: --baseline: no Ray event in the input: 1 file(s), 1 line(s), "
        "1 not_json skipped")


def test_help_has_examples() -> None:
    text = cli("diff", "--help").stdout.decode()
    assert "Examples:" in text and "flowinsight diff baseline.json" in text


def test_piped_tables_keep_long_names_on_one_line(tmp_path: Path) -> None:
    # a module path of 150 characters: piped, the table is as wide as it needs, not cut at a
    # width no terminal asked for
    long = "pkg." + "deeply_nested_module." * 7 + "leaf"
    docs = [orjson.loads(orjson.dumps(perf_document(extra_edge=extra)).replace(
        b'"mod.leaf"', orjson.dumps(long))) for extra in (False, True)]
    a, b = write_json(tmp_path / "a.json", docs[0]), write_json(tmp_path / "b.json", docs[1])
    lines = cli("diff", str(a), str(b)).stdout.decode().splitlines()
    added = [line for line in lines if line.startswith("│ added")]
    assert len(added) == 1 and long in added[0] and "main" in added[0]
    assert [line for line in lines if line != line.rstrip()] == []
