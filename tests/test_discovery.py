"""Every shape of SESSION argument finds the same events; several nodes merge into one graph."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import calls_by_label, cli, json_of, render, result_of, sample, validated
from flowinsight.errors import UsageError
from flowinsight.read import discover

SAGE = sample("sage_pipeline")
SESSION = next(SAGE.glob("session_*"))


def _calls(*paths: Path) -> dict[tuple[str, str], int]:
    return calls_by_label(json_of(*paths))


def test_session_dir_logs_dir_and_capture_folder_agree() -> None:
    expected = _calls(SAGE)
    assert _calls(SESSION) == expected
    assert _calls(SESSION / "logs") == expected
    assert _calls(SESSION / "logs" / "events", SESSION / "logs" / "export_events") == expected


def test_event_dirs_and_single_files() -> None:
    export_dir = SESSION / "logs" / "export_events"
    assert len(discover([str(export_dir)])) == 8
    one = export_dir / "event_EXPORT_DRIVER_JOB.log"
    sources = discover([str(one)])
    assert [s.display for s in sources] == ["event_EXPORT_DRIVER_JOB.log"]
    assert result_of(one).jobs[0].entrypoint == "/home/user/venv/bin/python sage_pipeline.py"


def test_the_same_file_twice_is_read_once() -> None:
    assert len(discover([str(SESSION), str(SESSION / "logs")])) == len(discover([str(SESSION)]))


def test_no_event_files_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(UsageError, match=r"no Ray event files found \(looked for logs/events"):
        discover([str(tmp_path)])
    with pytest.raises(UsageError, match="no such file or directory"):
        discover([str(tmp_path / "missing")])


def test_a_zip_is_refused_in_one_line(tmp_path: Path) -> None:
    """A zip of a session, whatever its name, is named as one: read line by line it gave only
    skipped binary lines and "no Ray event in the input"."""
    import zipfile

    for name in ("capture.zip", "capture.bin"):
        with zipfile.ZipFile(tmp_path / name, "w") as zf:
            for path in sorted(sample("nested_tasks").rglob("event_*")):
                zf.write(path, path.relative_to(sample("nested_tasks")))
        with pytest.raises(UsageError, match=rf"^{tmp_path}/{name}: a zip archive, which "
                                             r"flowinsight does not read: unzip it"):
            discover([str(tmp_path / name)])
    proc = cli("analyze", str(tmp_path / "capture.zip"))
    assert proc.returncode == 2 and proc.stderr.count(b"\n") == 1, proc.stderr


def test_multi_node_capture_merges(tmp_path: Path) -> None:
    """Two nodes' directories with one session name: the driver's export files on one node and
    the workers' on the other. The merged graph equals the single-directory one."""
    node_a = tmp_path / "node-a" / SESSION.name / "logs" / "export_events"
    node_b = tmp_path / "node-b" / SESSION.name / "logs" / "export_events"
    node_a.mkdir(parents=True)
    node_b.mkdir(parents=True)
    files = sorted((SESSION / "logs" / "export_events").iterdir())
    for i, f in enumerate(files):
        shutil.copy(f, (node_a if i % 2 else node_b) / f.name)
    assert _calls(tmp_path) == _calls(SAGE)
    one_node = calls_by_label(json_of(tmp_path / "node-a"))
    assert one_node != _calls(SAGE)


def test_different_sessions_in_one_folder_are_refused(tmp_path: Path) -> None:
    shutil.copytree(SESSION, tmp_path / SESSION.name)
    other = next(sample("nested_tasks").glob("session_*"))
    shutil.copytree(other, tmp_path / other.name)
    with pytest.raises(UsageError, match="2 different Ray sessions"):
        discover([str(tmp_path)])


def test_rotated_members_are_read(tmp_path: Path) -> None:
    """C++ writers rotate to event_X.1.log, Python writers to event_X.log.1."""
    logs = tmp_path / "logs" / "export_events"
    logs.mkdir(parents=True)
    for f in (SESSION / "logs" / "export_events").iterdir():
        lines = f.read_bytes().splitlines(keepends=True)
        half = len(lines) // 2
        stem = f.name[: -len(".log")]
        (logs / f"{stem}.1.log").write_bytes(b"".join(lines[:half // 2]))
        (logs / f"{stem}.log.1").write_bytes(b"".join(lines[half // 2:half]))
        (logs / f.name).write_bytes(b"".join(lines[half:]))
    assert _calls(tmp_path) == _calls(SAGE)


def test_both_sources_describe_one_task_once(tmp_path: Path) -> None:
    """A task seen in a task_submitted line and in Export API lines is one task: the module
    from the RAY_EVENT descriptor joins the Export API's name, and nothing is counted twice."""
    nested = next(sample("nested_tasks").glob("session_*"))
    shutil.copytree(nested, tmp_path / nested.name)
    before = result_of(tmp_path)
    produce = [t for t in _export_task_ids(before, "produce")]
    assert len(produce) == 3
    events = tmp_path / nested.name / "logs" / "events" / "event_CORE_WORKER_5441.log"
    lines = []
    for task_id, parent in produce:
        lines.append(
            '{"custom_fields":{"descriptor":"{type=PythonFunctionDescriptor, module_name=__main__, '
            'class_name=, function_name=produce, function_hash=1}","job_id":"01000000",'
            f'"language":"PYTHON","src_task_id":"{parent}","task_id":"{task_id}",'
            '"task_type":"NORMAL_TASK","timestamp_ms":1795311806300},"event_id":"'
            f'{task_id[:36]}","host_name":"h","label":"task_submitted","message":"",'
            '"pid":"5441","severity":"INFO","source_type":"CORE_WORKER","timestamp":1795311806}')
    events.write_text("\n".join(lines) + "\n")
    doc = validated(render(result_of(tmp_path), "json"))
    assert doc["summary"]["sources"] == ["export_api", "ray_event"]
    assert doc["summary"]["tasks"] == 27
    produce_nodes = [f for f in doc["functions"] if f["name"] == "produce"]
    assert [(f["id"], f["calls"]) for f in produce_nodes] == [("produce", 3)]
    assert calls_by_label(doc)[("parent", "produce")] == 3


def _export_task_ids(result: object, name: str) -> list[tuple[str, str]]:
    from flowinsight.read import read_capture
    from flowinsight.model.events import TaskUpdate

    del result
    capture = read_capture(discover([str(sample("nested_tasks"))]))
    out = {}
    for e in capture.events:
        if isinstance(e, TaskUpdate) and e.function is not None and e.function.name == name \
                and e.parent_task_id:
            out[e.task_id] = e.parent_task_id
    return sorted(out.items())
