"""The JSON's row per task attempt (`export --attempts`) and the attempt table's added columns
(AttemptTable.with_column): every field of Attempt reaches the rows, a step's column included,
with no renderer naming it."""

from __future__ import annotations

import json
from dataclasses import fields, replace

import orjson
import pytest

from conftest import cli, result_of, sample, validated
from flowinsight import library
from flowinsight.render import RenderOptions, renderer
from flowinsight.result import EXTRA_FIELDS, Attempt, AttemptTable

RETRIES = sample("libraries/retries")
RETRIES_NODE = "bbfb078d1518a835c3746b39826442d954c9e065fe0bfd6f02338fab"


def test_the_rows_are_the_attempts_with_every_field() -> None:
    result = result_of(RETRIES)
    doc = validated(renderer("json").render(result, RenderOptions(attempts=True)))
    rows = doc["attempts"]
    assert [tuple(row) for row in rows] == [tuple(sorted(f.name for f in fields(Attempt)))] * 10
    assert rows == [{f.name: getattr(a, f.name) for f in fields(Attempt)}
                    for a in result.attempts]
    # as Ray's State API saw them (samples/libraries/truth: list_tasks): each attempt's node,
    # and that node's IP from its EXPORT_NODE event
    truth = json.loads((sample("libraries/truth") / "retries.json").read_text())["phases"]["end"]
    assert {(t["task_id"], t["attempt_number"]): t["node_id"] for t in truth["tasks"]} == {
        (r["task_id"], r["attempt"]): r["ray_node_id"] for r in rows if r["ray_node_id"]}
    assert sorted((r["ray_node_id"], r["node_ip"]) for r in rows) == [
        ("", "")] + [(RETRIES_NODE, "127.0.0.1")] * 9
    assert sorted(r["status"] for r in rows) == ["FAILED"] * 5 + ["FINISHED"] * 5
    # without the option the document has no rows (it stays small for a big capture)
    assert "attempts" not in validated(renderer("json").render(result, RenderOptions()))


def test_the_command_line_and_the_library_write_the_same_rows() -> None:
    done = cli("export", str(RETRIES), "--format", "json", "--attempts")
    assert done.returncode == 0, done.stderr
    result = library.load(RETRIES)
    assert orjson.loads(done.stdout)["attempts"] == orjson.loads(
        library.export(result, "json", attempts=True))["attempts"]
    refused = cli("export", str(RETRIES), "--format", "svg", "--attempts")
    assert refused.returncode == 2 and refused.stdout == b""
    assert refused.stderr.decode().strip().splitlines() == [
        "flowinsight: error: --attempts adds rows to the JSON document; --format svg has none"]
    with pytest.raises(library.UsageError):
        library.export(result, "table", attempts=True)


def test_an_added_column_reaches_each_row_and_the_json() -> None:
    result = result_of(RETRIES)
    table = result.attempts
    assert isinstance(table, AttemptTable) and EXTRA_FIELDS == {"node_ip": "", "at_capture_end": "", "at_job_end": ""}
    # the pipeline's own columns alone: each added field has its default
    bare = AttemptTable(*(getattr(table, name) for name in AttemptTable.__slots__
                          if name != "extra"))
    assert list(bare.column("node_ip")) == [""] * 10 and {a.node_ip for a in bare} == {""}
    ips = [f"10.0.0.{i}" for i in range(len(table))]
    added = bare.with_column("node_ip", ips)
    assert [a.node_ip for a in added] == ips and list(added.column("node_ip")) == ips
    rows = orjson.loads(renderer("json").render(replace(result, attempts=added),
                                                RenderOptions(attempts=True)))["attempts"]
    assert [r["node_ip"] for r in rows] == ips
    with pytest.raises(ValueError, match="one value per attempt row"):
        table.with_column("node_ip", ips[1:])
    with pytest.raises(ValueError, match="not an Attempt field with a default"):
        table.with_column("task_id", [""] * len(table))



def test_a_view_keeps_the_rows_it_narrows_to_as_a_table() -> None:
    """--focus (and the internals hidden) narrow the attempts to a table of those rows
    (AttemptTable.take), equal row for row to the rows themselves, added columns and errors
    with them, and without one Attempt object per row."""
    result = result_of(RETRIES)
    table = result.attempts
    assert isinstance(table, AttemptTable)
    table = table.with_column("at_capture_end", [f"r{i}" for i in range(len(table))])
    for rows in ([], [3], [9, 0, 4], list(range(len(table)))):
        taken = table.take(rows)
        assert isinstance(taken, AttemptTable)
        assert list(taken) == [table[i] for i in rows]
    assert any(a.error_type for a in table.take([i for i in range(len(table))
                                                 if table[i].status == "FAILED"]))
    focused = library.load(RETRIES, focus="*")
    assert isinstance(focused.attempts, AttemptTable)
    assert list(focused.attempts) == [a for a in result.attempts]
