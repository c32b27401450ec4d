"""A task is named by the name it was given (`.options(name=...)`) where its definition says it
(the recorder's `task_submitted` `name`, Ray's event export `task_name`/`actor_task_name`),
also when it never ran and so wrote no `task::<name>` span."""

from __future__ import annotations

import gzip
import pickle
import shutil
from pathlib import Path
from typing import Any, Callable

import orjson

from conftest import calls_by_label, json_of, sample
from flowinsight.model.events import TaskCallSite, TaskName, TaskSubmitted
from flowinsight.pipeline.partial import merge_into, reduce_events
from flowinsight.read.capture import parse_line
from flowinsight.read.event_file import events_of_lines
from flowinsight.read.ray_events_v2 import parse_ray_event_v2

TASK = "b" * 40 + "01000000"
SLEEPY = "{type=PythonFunctionDescriptor, module_name=m, class_name=, function_name=sleepy, " \
         "function_hash=}"


def submitted(**extra: str) -> bytes:
    fields = {"task_id": TASK, "task_type": "NORMAL_TASK", "descriptor": SLEEPY,
              "language": "PYTHON", **extra}
    return orjson.dumps({"custom_fields": fields, "event_id": "e2", "label": "task_submitted"})


def test_the_recorders_given_name_is_an_event_of_its_own() -> None:
    parsed = parse_line(submitted(name="queued"))
    assert isinstance(parsed, tuple) and isinstance(parsed[0], TaskSubmitted)
    assert parsed[1:] == (TaskName(TASK, "01000000", "queued"),)
    # the function's own name, with or without its module, is no name of its own
    for same in ("sleepy", "m.sleepy", ""):
        assert isinstance(parse_line(submitted(name=same)), TaskSubmitted)


def test_a_line_of_three_events_gives_each_an_id() -> None:
    line = submitted(name="queued", call_site_id="00aa")
    events, ids = events_of_lines((line,), "x")
    assert [type(e) for e in events] == [TaskSubmitted, TaskName, TaskCallSite]
    assert ids == ["e2", "e2#2", "e2#3"]


def _definition(kind: str, name: str) -> dict[str, Any]:
    import base64

    task = base64.b64encode(bytes.fromhex(TASK)).decode()
    function = {"pythonFunctionDescriptor": {"moduleName": "m", "className": "Acc",
                                             "functionName": "add"}}
    if kind == "ACTOR_TASK_DEFINITION_EVENT":
        data = {"taskId": task, "actorFunc": function, "actorTaskName": name,
                "actorId": base64.b64encode(bytes(16)).decode()}
        return {"eventType": kind, "actorTaskDefinitionEvent": data}
    function["pythonFunctionDescriptor"]["className"] = ""
    data = {"taskId": task, "taskType": "NORMAL_TASK", "taskFunc": function, "taskName": name}
    return {"eventType": kind, "taskDefinitionEvent": data}


def test_ray_event_exports_task_names() -> None:
    for kind, default in (("TASK_DEFINITION_EVENT", "add"),
                          ("ACTOR_TASK_DEFINITION_EVENT", "Acc.add")):
        for same in (default, "acc:Acc.add", ""):
            assert not isinstance(parse_ray_event_v2(_definition(kind, same)), tuple)
        parsed = parse_ray_event_v2(_definition(kind, "acc-add"))
        assert isinstance(parsed, tuple)
        assert parsed[1] == TaskName(TASK, "01000000", "acc-add")


def test_partial_carries_task_names_through_pickle_and_merge() -> None:
    events = [TaskName(TASK, "01000000", "a"), TaskName("c" * 48, "01000000", "b")]
    first, later = reduce_events(events[:1]), reduce_events(events[1:])
    merged = merge_into(pickle.loads(pickle.dumps(first)), pickle.loads(pickle.dumps(later)))
    assert merged.task_names == events
    assert merged == reduce_events(events)


def _edited(capture: Path, tmp_path: Path, edit: Callable[[list[dict[str, Any]]],
                                                          list[dict[str, Any]]]) -> Path:
    """A copy of a capture whose event files' lines went through `edit`."""
    target = tmp_path / capture.name
    shutil.copytree(capture, target)
    for path in target.rglob("*"):
        if not path.is_file() or path.suffix not in (".log", ".gz"):
            continue
        raw = path.read_bytes()
        data = gzip.decompress(raw) if path.suffix == ".gz" else raw
        lines = edit([orjson.loads(line) for line in data.splitlines() if line.strip()])
        text = b"".join(orjson.dumps(line) + b"\n" for line in lines)
        path.write_bytes(gzip.compress(text, mtime=0) if path.suffix == ".gz" else text)
    return target


def _name_first(label: str, function: str, name: str) -> Callable[[list[dict[str, Any]]],
                                                                   list[dict[str, Any]]]:
    """Give the first `task_submitted` of `function` the name `name`."""
    done: list[bool] = []

    def edit(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for line in lines:
            fields = line.get("custom_fields", {})
            if (not done and line.get("label") == label
                    and f"function_name={function}," in fields.get("descriptor", "")):
                fields["name"] = name
                done.append(True)
        return lines

    return edit


def test_recorder_only_captures_name_a_renamed_function_and_method(tmp_path: Path) -> None:
    """Without the Export API, no `task::` span says a task's name: the recorder's does."""
    lattice = json_of(_edited(sample("recorded/lattice_workflow"), tmp_path,
                              _name_first("task_submitted", "run_code_task", "queued")))
    calls = calls_by_label(lattice)
    assert (calls[("main", "queued")], calls[("main", "run_code_task")]) == (1, 4)
    before = calls_by_label(json_of(sample("recorded/sage_pipeline")))
    sage = calls_by_label(json_of(_edited(sample("recorded/sage_pipeline"), tmp_path,
                                          _name_first("task_submitted", "stats", "report"))))
    [(caller, renamed)] = [k for k in sage if k[1].endswith(".report")]
    actor = renamed.rsplit(".", 1)[0]
    assert sage[(caller, renamed)] == 1
    assert sage == {**{k: v for k, v in before.items() if k != (caller, f"{actor}.stats")},
                    (caller, renamed): 1}


def test_ray_event_export_names_a_task_that_wrote_no_span(tmp_path: Path) -> None:
    """Ray's event export: a task definition's `task_name` names a task whose profile (its
    `task::<name>` span) the capture lacks, as a task cancelled before it ran has none."""
    lattice = sample("call_sites/lattice_workflow")
    dropped: list[str] = []

    def edit(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for line in lines:
            data = line.get("taskDefinitionEvent", {})
            function = data.get("taskFunc", {}).get("pythonFunctionDescriptor", {})
            if not dropped and function.get("functionName") == "run_code_task":
                data["taskName"] = "queued"
                dropped.append(data["taskId"])
        return [line for line in lines
                if line.get("taskProfileEvents", {}).get("taskId") not in dropped]

    session = next(lattice.glob("session_*"))
    target = tmp_path / "lattice" / session.name / "logs" / "ray_events"
    shutil.copytree(session / "logs" / "ray_events", target)
    doc = json_of(_edited(target.parents[2], tmp_path / "edited", edit))
    assert dropped
    names = {f["id"]: f["name"] for f in doc["functions"]}
    calls = {(names.get(c["source"], c["source"]), names[c["target"]]): c["count"]
             for c in doc["callFlows"]}
    assert (calls[("main", "queued")], calls[("main", "run_code_task")]) == (1, 4)
