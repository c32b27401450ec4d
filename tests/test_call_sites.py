"""Call sites, from the captures in samples/call_sites (recorded by tests/live/record_call_sites.py:
the recorder, Ray's own call sites and Ray's event export received by `flowinsight collect`),
and the reader of Ray's event export. No Ray needed."""

from __future__ import annotations

import base64
import copy
import pickle
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from conftest import calls_by_label, cli, json_of, label_map, result_of, sample
from flowinsight.model.events import CallSiteDef, Frame, TaskCallSite, TaskType, TaskUpdate
from flowinsight.pipeline.partial import Partial, merge_into, reduce_events
from flowinsight.read.capture import parse_line
from flowinsight.read.discover import discover
from flowinsight.read.fields import BadLine
from flowinsight.read.ray_events_v2 import parse_ray_event_v2, ray_frames, rfc3339_ns
from flowinsight.recorder.call_sites import CallSites, site_id
from flowinsight.render import RenderOptions
from flowinsight.render.code_view import render_code_dot
from flowinsight.render.dot import quote
from flowinsight.result import CallSite

SAGE = sample("call_sites/sage_pipeline")
LATTICE = sample("call_sites/lattice_workflow")
HOME = "/home/user/flowinsight/tests/live"
SAGE_PY = f"{HOME}/workloads/sage_pipeline.py"
LATTICE_PY = f"{HOME}/workloads/lattice_workflow.py"
# the driver's frames down to RayTask.options(...).remote(): the launcher runs the workload
CREATION = [
    (f"{HOME}/launch_workload.py", 25, "<module>"),
    (SAGE_PY, 54, "<module>"),
    (SAGE_PY, 44, "Dispatcher.submit"),
    (SAGE_PY, 39, "FIFOScheduler.schedule_task"),
    (SAGE_PY, 36, "PlacementExecutor.place_task"),
    (SAGE_PY, 34, "TaskFactory.create_task"),
]
ACTORS = ["map_0", "map_1", "sink", "source"]


def frames_of(site: dict[str, Any]) -> list[tuple[str, int, str]]:
    return [(f["file"], f["line"], f["function"]) for f in site["frames"]]


def only(folder: Path, kept: str, tmp_path: Path) -> Path:
    """A copy of a capture with one of its event folders only."""
    session = next(folder.glob("session_*"))
    target = tmp_path / folder.name / session.name / "logs" / kept
    shutil.copytree(session / "logs" / kept, target)
    return tmp_path / folder.name


@pytest.fixture(scope="module")
def sage() -> dict[str, Any]:
    return json_of(SAGE)


def test_sage_actors_created_through_the_dispatcher_chain(sage: dict[str, Any]) -> None:
    names = label_map(sage)
    created = {names[c["node"]]: c for c in sage["callSites"]
               if c["node"] in {a["id"] for a in sage["actors"]}}
    assert sorted(created) == ACTORS
    for site in created.values():
        assert (site["caller"], site["count"], site["source"]) == ("main", 1, "recorder")
        assert frames_of(site) == CREATION


def test_sage_every_call_has_one_site(sage: dict[str, Any]) -> None:
    """Every submission of the job, each from exactly where the workload makes it (the
    driver's two <module> frames, the launcher's and the workload's, left out here)."""
    names = label_map(sage)
    got = {(names[c["node"]], names.get(c["caller"], c["caller"]), c["count"],
            " > ".join(f"{f['function']}:{f['line']}"
                       for f in (c["frames"][2:] if c["caller"] == "main" else c["frames"])))
           for c in sage["callSites"]}
    inside = "RayTask.put_packet:19 > RayTask.put_packet.<locals>.<listcomp>:19"
    assert got == {
        *((a, "main", 1, "Dispatcher.submit:44 > FIFOScheduler.schedule_task:39 > "
           "PlacementExecutor.place_task:36 > TaskFactory.create_task:34") for a in ACTORS),
        ("map_0.connect", "main", 1, "Dispatcher.submit:45"),
        ("map_1.connect", "main", 1, "Dispatcher.submit:46"),
        ("source.connect", "main", 1, "Dispatcher.submit:47"),
        *((f"{a}.start_running", "main", 1,
           "Dispatcher.submit:48 > Dispatcher.submit.<locals>.<listcomp>:48") for a in ACTORS),
        *((f"{a}.stats", "main", 1, "<listcomp>:57") for a in ACTORS),
        ("source.put_packet", "main", 40, ""),  # the workload's <module>:56 itself
        ("map_0.put_packet", "source.put_packet", 40, inside),
        ("map_1.put_packet", "source.put_packet", 40, inside),
        ("sink.put_packet", "map_0.put_packet", 40, inside),
        ("sink.put_packet", "map_1.put_packet", 40, inside),
    }
    assert sum(c["count"] for c in sage["callSites"]) == 4 + 3 + 4 + 4 + 40 * 5


def test_ray_call_sites_give_the_same_chains(tmp_path: Path) -> None:
    """Ray's own callSite (RAY_record_task_actor_creation_sites=1, received by collect): the
    same frames, with the bare function names a traceback has."""
    doc = json_of(only(SAGE, "ray_events", tmp_path))
    names = label_map(doc)
    created = {names[c["node"]]: c for c in doc["callSites"]
               if c["node"] in {a["id"] for a in doc["actors"]}}
    assert sorted(created) == ACTORS
    bare = [(file, line, function.rsplit(".", 1)[-1]) for file, line, function in CREATION]
    for site in created.values():
        assert (site["caller"], site["count"], site["source"]) == ("main", 1, "ray")
        assert frames_of(site) == bare


def test_ray_event_export_gives_the_export_apis_graph(tmp_path: Path) -> None:
    """The same workload, once with the Export API (samples/sage_pipeline) and once with only
    Ray's event export: the same nodes and calls, by name."""
    collected = json_of(only(SAGE, "ray_events", tmp_path))
    exported = json_of(sample("sage_pipeline"))
    assert calls_by_label(collected) == calls_by_label(exported)
    assert collected["summary"]["coverage"]["complete"]
    lattice = json_of(only(LATTICE, "ray_events", tmp_path))
    assert by_name(lattice) == by_name(json_of(sample("lattice_workflow"))) == {
        ("main", "run_code_task"): 5, ("main", "_run_batch_task"): 3}


def by_name(doc: dict[str, Any]) -> dict[tuple[str, str], int]:
    """Calls between functions by their names (Ray's event export names a function's module,
    the Export API does not)."""
    names = {f["id"]: f["name"] for f in doc["functions"]}
    return {(names[c["source"]], names[c["target"]]): c["count"] for c in doc["callFlows"]}


def test_lattice_scheduler_thread_and_executor_are_the_site() -> None:
    doc = json_of(LATTICE)
    sites = {(c["node"], c["caller"], c["count"], c["source"], tuple(frames_of(c)))
             for c in doc["callSites"]}
    assert sites == {
        ("run_code_task", "main", 5, "recorder",
         ((LATTICE_PY, 34, "Scheduler.run"), (LATTICE_PY, 21, "RayExecutor.submit"))),
        ("_run_batch_task", "main", 3, "recorder",
         ((LATTICE_PY, 40, "Scheduler.run"), (LATTICE_PY, 21, "RayExecutor.submit"))),
    }


def test_a_failed_task_points_at_its_call_site() -> None:
    doc = json_of(LATTICE)
    [failure] = doc["failures"]
    assert (failure["node"], failure["error_type"], failure["message"]) == (
        "run_code_task", "TASK_EXECUTION_EXCEPTION",
        "ValueError: task failed on purpose")
    assert frames_of({"frames": failure["callSite"]}) == [
        (LATTICE_PY, 34, "Scheduler.run"), (LATTICE_PY, 21, "RayExecutor.submit")]


def test_code_view_draws_the_creation_chain_once() -> None:
    dot = render_code_dot(result_of(SAGE), RenderOptions())
    chain = ["<module>\\nlaunch_workload.py:25", "<module>\\nsage_pipeline.py:54",
             "Dispatcher.submit\\nsage_pipeline.py:44",
             "FIFOScheduler.schedule_task\\nsage_pipeline.py:39",
             "PlacementExecutor.place_task\\nsage_pipeline.py:36",
             "TaskFactory.create_task\\nsage_pipeline.py:34"]
    ids = {}
    for label in chain:
        lines = [line for line in dot.splitlines() if f'[label="{label}"' in line]
        assert len(lines) == 1, label  # drawn once
        ids[label] = lines[0].split(" [")[0].strip()
    edges = [line.split(" [")[0].strip() for line in dot.splitlines() if " -> " in line]
    steps = [ids[label] for label in chain]
    assert f'"main" -> {steps[0]}' in edges
    for a, b in zip(steps, steps[1:]):
        assert f"{a} -> {b}" in edges
    doc = json_of(SAGE)
    actor_ids = sorted(a["id"] for a in doc["actors"])
    assert sorted(e.split(" -> ")[1] for e in edges
                  if e.startswith(steps[-1] + " ")) == [f'"{a}"' for a in actor_ids]


def test_code_view_escapes_frames() -> None:
    result = result_of(LATTICE)
    evil = Frame('/x/a"b.py', 3, 'f"}\n<x>')
    site = CallSite(result.nodes[0].id, "main", (evil,), 1, "ray")
    dot = render_code_dot(replace(result, call_sites=(site,)), RenderOptions())
    assert f"label={quote(evil.function + chr(10) + 'a' + chr(34) + 'b.py:3')}" in dot
    assert 'f"}\n' not in dot


def test_table_lists_call_sites() -> None:
    proc = cli("analyze", str(LATTICE), "--call-sites", "--top", "0")
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout.decode()
    assert "Call sites" in text and "Scheduler.run →" in text and "RayExecutor.submit" in text


def test_table_names_a_script_s_top_level_by_its_file() -> None:
    """A program run by a launcher has two top-level frames (<module> each): the table names
    them by their files, as the code view does."""
    text = cli("analyze", str(SAGE), "--call-sites", "--top", "0").stdout.decode()
    assert "launch_workload.py → sage_pipeline.py → Dispatcher.submit →" in text
    assert "<module>" not in text


# --- the recorder's side -----------------------------------------------------------------------


class _Deep:
    """Called back from copy.deepcopy, a standard-library function: its frames are dropped."""

    def __init__(self, sites: CallSites) -> None:
        self.sites = sites
        self.seen: Any = None

    def __deepcopy__(self, memo: dict[int, Any]) -> _Deep:
        self.seen = self.sites.here(0)
        return self


def test_recorder_keeps_user_frames_only_and_interns_stacks() -> None:
    sites = CallSites()
    first = None
    for _ in range(10_000):
        site = sites.here(0)  # one line, 10,000 times
        first = first or site
        assert site is first
    assert len(sites._stacks) == 1
    assert first is not None and first.frames[-1].function == \
        "test_recorder_keeps_user_frames_only_and_interns_stacks"
    assert first.site_id == site_id(first.frames)
    deep = _Deep(sites)
    copy.deepcopy(deep)
    functions = [f.function for f in deep.seen.frames]
    assert functions[-2:] == ["test_recorder_keeps_user_frames_only_and_interns_stacks",
                              "_Deep.__deepcopy__"]  # copy.py's frames between them dropped
    assert not any("copy.py" in f.file for f in deep.seen.frames)


def test_recorder_lines_read_back() -> None:
    site = ('{"custom_fields":{"call_site_id":"00aa","frames":[["/a/x.py",3,"A.f"],'
            '["/a/x.py",9,"A.g"]],"timestamp_ms":1},"event_id":"e1","label":"call_site"}')
    assert parse_line(site.encode()) == CallSiteDef("00aa", (Frame("/a/x.py", 3, "A.f"),
                                                             Frame("/a/x.py", 9, "A.g")))
    task = "b" * 40 + "01000000"
    submitted = ('{"custom_fields":{"task_id":"' + task + '","task_type":"NORMAL_TASK",'
                 '"call_site_id":"00aa","descriptor":"","language":"PYTHON"},'
                 '"event_id":"e2","label":"task_submitted"}')
    parsed = parse_line(submitted.encode())
    assert isinstance(parsed, tuple) and parsed[1] == TaskCallSite(task, "01000000", "00aa",
                                                                    (), "recorder")
    for bad in ('"frames":[["x",-1,"f"]]', '"frames":"x"', '"frames":[["x",1]]'):
        with pytest.raises(BadLine):
            parse_line(('{"custom_fields":{"call_site_id":"01",' + bad + '},'
                        '"label":"call_site"}').encode())


def test_partial_carries_call_sites_through_pickle_and_merge() -> None:
    events = [CallSiteDef("01", (Frame("a.py", 1, "f"),)),
              TaskCallSite("c" * 48, "01000000", "01", (), "recorder")]
    first, later = reduce_events(events[:1]), reduce_events(events[1:])
    merged = merge_into(pickle.loads(pickle.dumps(first)), pickle.loads(pickle.dumps(later)))
    assert merged.call_sites == events
    assert merged == reduce_events(events)
    assert isinstance(merged, Partial)


# --- Ray's event export --------------------------------------------------------------------


def _snake(obj: Any) -> Any:
    import re

    if isinstance(obj, dict):
        return {re.sub(r"(?<!^)(?=[A-Z])", "_", k).lower(): _snake(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_snake(v) for v in obj]
    return obj


def _collected_lines() -> list[dict[str, Any]]:
    import gzip

    import orjson

    [path] = discover([str(SAGE)])[-1:]
    return [orjson.loads(line) for line in gzip.decompress(path.path.read_bytes()).splitlines()]


def test_snake_case_reads_as_camel_case() -> None:
    lines = _collected_lines()
    kinds = {line["eventType"] for line in lines}
    assert {"TASK_DEFINITION_EVENT", "ACTOR_TASK_DEFINITION_EVENT", "TASK_LIFECYCLE_EVENT",
            "TASK_PROFILE_EVENT", "ACTOR_DEFINITION_EVENT", "ACTOR_LIFECYCLE_EVENT",
            "DRIVER_JOB_DEFINITION_EVENT", "DRIVER_JOB_LIFECYCLE_EVENT", "NODE_DEFINITION_EVENT",
            "NODE_LIFECYCLE_EVENT"} <= kinds
    for line in lines:
        assert parse_ray_event_v2(_snake(line)) == parse_ray_event_v2(line)


def test_ray_2_5x_task_execution_event() -> None:
    task = base64.b64encode(bytes(20) + b"\x01\0\0\0").decode()  # a task id of job 01
    line = {"eventId": "x", "eventType": "TASK_EXECUTION_EVENT",
            "taskExecutionEvent": {"taskId": task, "taskAttempt": 1,
                                   "taskState": {"8": "2026-01-01T00:00:01.5Z",
                                                 "11": "2026-01-01T00:00:02Z"},
                                   "nodeId": "", "workerPid": 7}}
    update = parse_ray_event_v2(line)
    assert isinstance(update, TaskUpdate)
    start = rfc3339_ns("2026-01-01T00:00:01.5Z")
    assert (update.attempt, update.states, update.worker_pid) == (
        1, ((8, start), (11, start + 500_000_000)), 7)
    assert update.task_type is None


def test_definition_event_fields() -> None:
    lines = _collected_lines()
    created = [parse_ray_event_v2(line) for line in lines
               if line["eventType"] == "TASK_DEFINITION_EVENT"
               and line["taskDefinitionEvent"]["taskType"] == "ACTOR_CREATION_TASK"]
    assert len(created) == 4
    for update, site in created:  # type: ignore[misc]
        assert update.task_type is TaskType.ACTOR_CREATION
        assert update.actor_id == update.task_id[16:]
        assert (update.function.module, update.function.class_name, update.function.name) == (
            "sage_pipeline", "RayTask", "__init__")
        assert [f.function for f in site.frames][-4:] == [
            "submit", "schedule_task", "place_task", "create_task"]


def test_ray_frames_drop_ray_stdlib_and_recorder() -> None:
    text = ('  File "/usr/lib/python3.11/threading.py", line 1, in _bootstrap\n    x\n'
            '  File "/app/job.py", line 40, in run\n    self.go()\n'
            '  File "/usr/lib/python3.11/site-packages/lib.py", line 2, in helper\n'
            '  File "/v/lib/python3.11/site-packages/ray/remote_function.py", line 5, in _remote\n'
            '  File "/src/flowinsight/recorder/submission.py", line 9, in submit\n'
            '  File "<frozen runpy>", line 88, in _run_code\n')
    assert ray_frames(text) == (Frame("/app/job.py", 40, "run"),
                                Frame("/usr/lib/python3.11/site-packages/lib.py", 2, "helper"))


def test_bad_ray_events_are_counted_not_fatal() -> None:
    for bad in ({"eventType": "TASK_LIFECYCLE_EVENT", "taskLifecycleEvent": {"taskId": "!"}},
                {"eventType": "TASK_LIFECYCLE_EVENT", "taskLifecycleEvent": {
                    "taskId": base64.b64encode(bytes(24)).decode(),
                    "stateTransitions": [{"state": "RUNNING", "timestamp": "yesterday"}]}}):
        with pytest.raises(BadLine):
            parse_ray_event_v2(bad)
    assert parse_ray_event_v2({"eventType": "PLATFORM_EVENT"}) == "event_type:PLATFORM_EVENT"


@pytest.mark.parametrize(("value", "wanted"), [("", True), ("1", True), ("0", False),
                                               ("off", False), (" False ", False)])
def test_call_sites_can_be_switched_off(monkeypatch: pytest.MonkeyPatch, value: str,
                                        wanted: bool) -> None:
    pytest.importorskip("ray")  # the emitter's module reads Ray's context
    from flowinsight.recorder.emitter import CALL_SITES_ENV, call_sites_wanted

    monkeypatch.setenv(CALL_SITES_ENV, value)
    assert call_sites_wanted() is wanted


def test_a_deep_recursion_keeps_its_innermost_frames() -> None:
    from flowinsight.recorder.call_sites import MAX_FRAMES

    sites = CallSites()

    def down(n: int) -> Any:
        return sites.here(0) if n == 0 else down(n - 1)

    site = down(200)
    assert len(site.frames) == MAX_FRAMES
    assert {f.function for f in site.frames} == {
        "test_a_deep_recursion_keeps_its_innermost_frames.<locals>.down"}


def test_code_view_bytes() -> None:
    """The whole code view of the lattice capture: the scheduler thread's two submitting lines,
    each through RayExecutor.submit, the failed node in red."""
    assert render_code_dot(result_of(LATTICE), RenderOptions()) == (
    'digraph flowinsight_code {\n'
    '  graph [rankdir=LR, fontname=Helvetica, fontsize=11, labelloc=t, labeljust=l, label="flowinsight code view — 2 call sites (recorder)"];\n'
    '  node [shape=box, style="rounded,filled", fontname=Helvetica, fontsize=10, fillcolor="#ffffff", color="#606060"];\n'
    '  edge [fontname=Helvetica, fontsize=9];\n'
    '  "_run_batch_task" [label="_run_batch_task"];\n'
    '  "main" [label="main", shape=ellipse];\n'
    '  "run_code_task" [label="run_code_task", color="#c0392b", fontcolor="#c0392b", penwidth=2.5];\n'
    '  "code:main:1" [label="Scheduler.run\\nlattice_workflow.py:34", shape=box, style="filled", fillcolor="#eef6ee", color="#2e7d32", tooltip="/home/user/flowinsight/tests/live/workloads/lattice_workflow.py"];\n'
    '  "main" -> "code:main:1" [color="#2e7d32", label="5"];\n'
    '  "code:main:2" [label="RayExecutor.submit\\nlattice_workflow.py:21", shape=box, style="filled", fillcolor="#eef6ee", color="#2e7d32", tooltip="/home/user/flowinsight/tests/live/workloads/lattice_workflow.py"];\n'
    '  "code:main:1" -> "code:main:2" [color="#2e7d32", label="5"];\n'
    '  "code:main:2" -> "run_code_task" [style=bold, color="#404040", arrowhead=normalnormal, label="5"];\n'
    '  "code:main:3" [label="Scheduler.run\\nlattice_workflow.py:40", shape=box, style="filled", fillcolor="#eef6ee", color="#2e7d32", tooltip="/home/user/flowinsight/tests/live/workloads/lattice_workflow.py"];\n'
    '  "main" -> "code:main:3" [color="#2e7d32", label="3"];\n'
    '  "code:main:4" [label="RayExecutor.submit\\nlattice_workflow.py:21", shape=box, style="filled", fillcolor="#eef6ee", color="#2e7d32", tooltip="/home/user/flowinsight/tests/live/workloads/lattice_workflow.py"];\n'
    '  "code:main:3" -> "code:main:4" [color="#2e7d32", label="3"];\n'
    '  "code:main:4" -> "_run_batch_task" [style=bold, color="#404040", arrowhead=normalnormal, label="3"];\n'
    '}\n'
    )
