"""Tasks whose definition is missing (issue 14, "honest gaps"): real captures cut as a truncated
or partial capture would be (every line of a task dropped, or its definition and execution
lines only). A task that no event names is drawn as an "(undefined task)" placeholder, once per
job, or once per actor where the actor is known from other records; it is counted in coverage
and the warnings say why; no actor class or method is made up (no "(unknown)")."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path
from typing import Any, Callable

import orjson
import pytest

from conftest import json_of, render, result_of, sample, validated, with_native

JOB = "01000000"
PARENT = "32d950ec0ccf9d2a" + "f" * 24 + JOB  # nested_tasks: main -> parent -> produce, consume
SRC, MID, SINK = ("8763c1f7709675ca3296a236" + JOB, "e2e4bc16c6b2e8266a754304" + JOB,
                  "96ba045642ea3499c346c0be" + JOB)  # the Stage actors src -> mid -> sink
PLACEHOLDER = "(undefined task)"
REASON = ("task(s) without definition: their submission and definition events are missing (a "
          "truncated or partial capture: lines cut, files rotated away, or a process stopped "
          "before Ray wrote its events)")


def _hex(value: str) -> str:
    return base64.b64decode(value).hex()


# (an Export API line's source type and event data, or a recorder line's label and custom
# fields) -> drop the line
Drop = Callable[[str, dict[str, Any]], bool]


def _cut(tmp_path: Path, drop: Drop, name: str = "nested_tasks") -> Path:
    """A sample with the Export API and recorder lines `drop` picks left out."""
    out = tmp_path / "capture"
    shutil.copytree(sample(name), out)
    dropped = 0
    for path in sorted([*out.rglob("export_events/*.log"), *out.rglob("event_FLOWINSIGHT_*")]):
        kept = []
        for line in path.read_bytes().splitlines(keepends=True):
            event = orjson.loads(line)
            if drop(*((event["source_type"], event["event_data"]) if "event_data" in event
                      else (event["label"], event["custom_fields"]))):
                dropped += 1
            else:
                kept.append(line)
        path.write_bytes(b"".join(kept))
    assert dropped
    return out


def _task_is(*task_ids: str, definition_only: bool = False) -> Drop:
    """Every line of these tasks; or (`definition_only`) the lines that define or name them (the
    definition, the executor's profile spans), their state updates kept."""
    def drop(source: str, data: dict[str, Any]) -> bool:
        if source != "EXPORT_TASK" or _hex(data["task_id"]) not in task_ids:
            return False
        return not definition_only or "task_info" in data or "profile_events" in data
    return drop


def _nodes(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["id"]: n for kind in ("actors", "methods", "functions") for n in doc[kind]}


def _calls(doc: dict[str, Any]) -> dict[tuple[str, str], int]:
    return {(c["source"], c["target"]): c["count"] for c in doc["callFlows"]}


def _no_made_up_names(doc: dict[str, Any]) -> None:
    names = [n["name"] for n in _nodes(doc).values()] + [a["name"] for a in doc["actors"]]
    assert not [n for n in names if "unknown" in n]


def test_a_caller_with_no_record_is_one_placeholder(tmp_path: Path) -> None:
    doc = json_of(_cut(tmp_path, _task_is(PARENT)))
    nodes = _nodes(doc)
    placeholder = nodes[PLACEHOLDER]
    assert placeholder["undefined"] is True and placeholder["inferred"] is True
    assert (placeholder["name"], placeholder["calls"], placeholder["module"]) == (
        PLACEHOLDER, 0, "")
    assert "parent" not in nodes
    assert not [n for n in nodes.values() if n.get("undefined") and n["id"] != PLACEHOLDER]
    calls = _calls(doc)
    assert calls[(PLACEHOLDER, "produce")] == 3 and calls[(PLACEHOLDER, "consume")] == 3
    assert ("main", "parent") not in calls and ("main", PLACEHOLDER) not in calls
    cover = doc["summary"]["coverage"]
    # 26 records and the parent, which has none: 1 without definition, drawn as the placeholder;
    # its 6 callees' caller was never recorded
    assert (cover["tasks"], cover["without_definition"], cover["undefined_tasks"],
            cover["without_parent"]) == (27, 1, 1, 6)
    assert f'1 {REASON}; 1 drawn as "(undefined task)" placeholders' in doc["summary"]["warnings"]
    _no_made_up_names(doc)


def test_a_record_that_names_nothing_is_the_placeholder(tmp_path: Path) -> None:
    """The parent's state updates survive, its definition and execution spans do not."""
    doc = json_of(_cut(tmp_path, _task_is(PARENT, definition_only=True)))
    placeholder = _nodes(doc)[PLACEHOLDER]
    assert placeholder["undefined"] is True
    assert placeholder["stats"]["tasks"] == 1  # its record is its one task
    calls = _calls(doc)
    assert calls[(PLACEHOLDER, "produce")] == 3 and calls[(PLACEHOLDER, "consume")] == 3
    cover = doc["summary"]["coverage"]
    assert (cover["tasks"], cover["without_definition"], cover["undefined_tasks"],
            cover["without_parent"]) == (27, 1, 1, 0)
    _no_made_up_names(doc)


def test_a_recorded_producer_without_definition_is_the_placeholder(tmp_path: Path) -> None:
    """The recorded nested_tasks without `parent`'s Export API lines and its submission: the
    objects it received and returned flow to and from the one placeholder, with their bytes."""
    def drop(source: str, data: dict[str, Any]) -> bool:
        if source == "EXPORT_TASK":
            return _hex(data["task_id"]) == PARENT
        return source == "task_submitted" and data["task_id"] == PARENT

    doc = json_of(_cut(tmp_path, drop, "recorded/nested_tasks"))
    flows = {(d["source"], d["target"]): (d["count"], d["bytes"], d["unsized"])
             for d in doc["dataFlows"]}
    assert {k: v for k, v in flows.items() if PLACEHOLDER in k} == {
        (PLACEHOLDER, "main"): (1, 30, 0), ("main", PLACEHOLDER): (1, 15, 0),
        (PLACEHOLDER, "produce"): (3, 57, 0), ("consume", PLACEHOLDER): (3, 57, 0)}
    assert flows[("produce", "consume")] == (3, 3000753, 0)  # untouched
    calls = _calls(doc)
    assert calls[(PLACEHOLDER, "produce")] == 3 and calls[(PLACEHOLDER, "consume")] == 3
    assert "parent" not in _nodes(doc) and _nodes(doc)[PLACEHOLDER]["undefined"] is True
    cover = doc["summary"]["coverage"]
    assert (cover["tasks"], cover["without_definition"], cover["undefined_tasks"]) == (27, 1, 1)
    _no_made_up_names(doc)


def _mid_calls(source: str, data: dict[str, Any]) -> bool:
    """The lines of mid's put_packet calls (not of its creation)."""
    task = _hex(data["task_id"]) if source == "EXPORT_TASK" else ""
    return task.endswith(MID) and not task.startswith("f" * 16)


def test_undefined_calls_of_a_known_actor_are_its_placeholder(tmp_path: Path) -> None:
    doc = json_of(_cut(tmp_path, _mid_calls))
    nodes = _nodes(doc)
    mid = MID[:32]
    method = nodes[f"{mid}.{PLACEHOLDER}"]
    assert (method["actorId"], method["name"], method["undefined"]) == (mid, PLACEHOLDER, True)
    assert nodes[mid]["name"] == "Stage" and "undefined" not in nodes[mid]  # a real actor
    calls = _calls(doc)
    assert calls[(f"{mid}.{PLACEHOLDER}", f"{SINK[:32]}.put_packet")] == 5
    assert f"{mid}.put_packet" not in nodes
    cover = doc["summary"]["coverage"]
    assert (cover["without_definition"], cover["undefined_tasks"]) == (5, 5)
    _no_made_up_names(doc)


def test_an_actor_known_only_from_ids_is_no_node(tmp_path: Path) -> None:
    """Every line of mid (its creation, its calls, its EXPORT_ACTOR snapshots) gone: its calls
    to sink come from the job's placeholder, and no actor is made up for its id."""
    def drop(source: str, data: dict[str, Any]) -> bool:
        if source == "EXPORT_ACTOR":
            return _hex(data["actor_id"]) == MID[:32]
        return source == "EXPORT_TASK" and _hex(data["task_id"]).endswith(MID)

    doc = json_of(_cut(tmp_path, drop))
    nodes = _nodes(doc)
    assert MID[:32] not in nodes and not [n for n in nodes if n.startswith(MID[:32])]
    assert [a["id"] for a in doc["actors"]] == sorted([SRC[:32], SINK[:32]])
    calls = _calls(doc)
    assert calls[(PLACEHOLDER, f"{SINK[:32]}.put_packet")] == 5
    cover = doc["summary"]["coverage"]
    assert (cover["without_definition"], cover["undefined_tasks"]) == (5, 5)
    _no_made_up_names(doc)


@pytest.mark.parametrize("fmt", ["table", "dot"])
def test_pictures_and_tables_say_undefined(tmp_path: Path, fmt: str) -> None:
    out = render(result_of(_cut(tmp_path, _task_is(PARENT))), fmt).decode()
    assert PLACEHOLDER in out and "unknown)" not in out
    assert "without definition" in out


def test_the_document_is_valid(tmp_path: Path) -> None:
    validated(render(result_of(_cut(tmp_path, _mid_calls)), "json"))


@pytest.mark.parametrize("cut", ["parent", "parent_definition", "mid_calls"])
def test_c_and_python_agree(tmp_path: Path, cut: str) -> None:
    """The C scan and facts (_sweep in native/) and their Python references give the same bytes."""
    drop = {"parent": _task_is(PARENT), "parent_definition": _task_is(PARENT, definition_only=True),
            "mid_calls": _mid_calls}[cut]
    path = _cut(tmp_path, drop)
    code = ("import sys; from flowinsight.read import discover, read_capture; "
            "from flowinsight.pipeline import analyze; from flowinsight.render import "
            "RenderOptions, renderers; r = analyze(read_capture(discover([sys.argv[1]]))); "
            "sys.stdout.buffer.write(renderers()['json'].render(r, RenderOptions()))")
    native = with_native(True, code.replace("sys.argv[1]", repr(str(path))))
    python = with_native(False, code.replace("sys.argv[1]", repr(str(path))))
    assert native == python and b'"undefined": true' in native


def test_a_caller_left_out_by_a_time_window_keeps_its_name() -> None:
    """A caller whose record the --since/--until window left out is no task without a definition:
    its record names it (NodeNamer.outside), and it is not counted as missing."""
    from flowinsight.pipeline.naming import NodeNamer
    from flowinsight.pipeline.partial import reduce_events
    from flowinsight.read import discover, read_capture

    tasks = reduce_events(read_capture(discover([str(sample("nested_tasks"))])).events).tasks
    inside = {tid: t for tid, t in tasks.items() if tid != PARENT}
    named = NodeNamer(inside, False, {}, outside={PARENT: tasks[PARENT]})
    assert named(PARENT) == "parent" and not named.missing
    unnamed = NodeNamer(inside, False, {})
    assert unnamed(PARENT) == PLACEHOLDER and unnamed.missing == {PARENT}
