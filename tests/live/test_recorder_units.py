"""Unit tests of the recorder's Ray-free parts: ids, events, the line format, the event file,
failure counting and the runtime_env merge. These run in the normal test suite."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from flowinsight import recorder
from flowinsight.recorder import ids, runtime_env, safety
from flowinsight.recorder.envelope import Envelope
from flowinsight.recorder.events import ObjectGet, ObjectPut, Site, TaskSubmitted
from flowinsight.recorder.writer import EventFile

TASK = "c8ef45ccd0112571" + "f" * 24 + "01000000"
DRIVER = Site("f" * 40 + "01000000", "", "01000000")
IN_TASK = Site(TASK, "", "01000000")


def test_ids() -> None:
    assert ids.return_object_id(TASK, 0) == TASK + "01000000"
    assert ids.return_object_id(TASK, 1) == TASK + "02000000"
    arg = ids.by_value_arg_id(TASK, 2)
    assert arg == TASK + "020000f0" and ids.is_by_value_arg_id(arg)
    assert not ids.is_by_value_arg_id(TASK + "01000000")
    assert ids.is_nil("f" * 56) and not ids.is_nil(TASK)
    assert ids.is_actor_creation_task("f" * 16 + "52e213fb705ffc6b8ce4729f01000000")
    assert not ids.is_actor_creation_task(TASK) and not ids.is_actor_creation_task("f" * 48)


def test_event_fields_follow_the_schema() -> None:
    submitted = TaskSubmitted(TASK, "NORMAL_TASK", DRIVER, "", "{type=...}", "PYTHON", 1234)
    assert sorted(submitted.custom_fields()) == sorted([
        "task_id", "task_type", "src_task_id", "target_task_id", "src_actor_id",
        "target_actor_id", "job_id", "timestamp_ms", "descriptor", "language"])
    assert submitted.custom_fields()["target_task_id"] == TASK
    arg = ObjectPut(ids.by_value_arg_id(TASK, 0), DRIVER, 10, "arg", 1, 0, TASK)
    assert arg.custom_fields()["arg_index"] == 0 and arg.custom_fields()["target_task_id"] == TASK
    put = ObjectPut("00" * 28, DRIVER, None, "put", 1).custom_fields()
    assert "arg_index" not in put and put["size_bytes"] is None
    get = ObjectGet(TASK + "01000000", DRIVER, "get", 99, 1).custom_fields()
    assert sorted(get) == sorted(["object_id", "task_id", "actor_id", "job_id", "kind",
                                  "size_bytes", "timestamp_ms"])


def test_envelope_is_the_cpp_spelling() -> None:
    envelope = Envelope()
    line = envelope.line(ObjectGet(TASK + "01000000", DRIVER, "get", 5, 1_795_312_031_999))
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    event = json.loads(line)
    assert list(event) == sorted(event)  # keys in alphabetical order, as Ray's C++ writes
    assert list(event["custom_fields"]) == sorted(event["custom_fields"])
    assert event["pid"] == str(os.getpid()) and event["timestamp"] == 1_795_312_031
    assert (event["label"], event["severity"], event["source_type"]) == (
        "object_get", "INFO", "CORE_WORKER")
    event_ids = {json.loads(envelope.line(ObjectGet("a", DRIVER, "get", 1, 1)))["event_id"]
                 for _ in range(5000)}
    assert len(event_ids) == 5000 and all(len(i) == 36 for i in event_ids)


def test_event_file_follows_the_session(tmp_path: Path) -> None:
    logs: list[str | None] = [None]
    events = EventFile(lambda: logs[0])
    assert events.append(b"x\n") is False  # no session yet: nothing written, nothing raised
    logs[0] = str(tmp_path / "s1" / "logs")
    assert events.open_current() >= 0
    path = tmp_path / "s1" / "logs" / "events" / f"event_FLOWINSIGHT_{os.getpid()}.log"
    assert path.exists() and path.read_bytes() == b""  # created empty, like Ray's own files
    assert events.append(b"a\n") and events.append(b"b\n")
    events.close()  # what ray.shutdown() triggers
    logs[0] = str(tmp_path / "s2" / "logs")
    assert events.append(b"c\n")
    events.close()
    assert path.read_bytes() == b"a\nb\n"
    assert (tmp_path / "s2" / "logs" / "events" / path.name).read_bytes() == b"c\n"


def test_guarded_counts_and_never_raises(capsys: pytest.CaptureFixture[str]) -> None:
    before = safety.failure_count()

    @safety.guarded(-1)
    def broken() -> int:
        raise RuntimeError("boom")

    assert [broken() for _ in range(10)] == [-1] * 10
    assert safety.failure_count() == before + 10

    @safety.guarded(None)
    def interrupted() -> None:
        raise KeyboardInterrupt  # Ray cancels tasks this way: it must pass through

    with pytest.raises(KeyboardInterrupt):
        interrupted()


def test_tenfold_reporting() -> None:
    assert [n for n in range(1, 2000) if safety._is_power_of_ten(n)] == [1, 10, 100, 1000]


def test_runtime_env_gets_the_worker_hook() -> None:
    assert runtime_env.with_recorder_hook(None) == {
        "worker_process_setup_hook": runtime_env.SETUP_HOOK}
    user = {"env_vars": {"A": "1"}, "pip": ["x"]}
    merged = runtime_env.with_recorder_hook(user)
    assert merged["pip"] == ["x"] and merged["env_vars"] == {"A": "1"}
    assert user == {"env_vars": {"A": "1"}, "pip": ["x"]}  # the caller's dict is left alone
    assert runtime_env.with_recorder_hook(merged) == merged
    fixed = {"env_vars": {"__RAY_WORKER_PROCESS_SETUP_HOOK_ENV_VAR": "other.hook"}}
    assert runtime_env.with_recorder_hook(fixed) == fixed  # Ray would report a conflict


def test_user_hooks_are_chained(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr("flowinsight.recorder.worker_setup.setup", lambda: calls.append("rec"))
    merged = runtime_env.with_recorder_hook({"worker_process_setup_hook": lambda: calls.append("u")})
    assert runtime_env.has_recorder_hook(merged)
    merged["worker_process_setup_hook"]()
    by_name = runtime_env.with_recorder_hook({"worker_process_setup_hook": "os.getcwd"})
    by_name["worker_process_setup_hook"]()
    assert calls == ["rec", "u", "rec"]


def test_switch_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    assert recorder.recording_requested({"FLOWINSIGHT_RECORD": "1"})
    assert recorder.recording_requested({"FLOWINSIGHT_RECORD": " Yes "})
    assert not recorder.recording_requested({"FLOWINSIGHT_RECORD": "0"})
    assert not recorder.recording_requested({})
    monkeypatch.delenv("FLOWINSIGHT_RECORD", raising=False)
    env = {"pip": ["x"]}
    assert recorder.runtime_env_hook(env) is env  # switched off: Ray's runtime_env untouched


def test_argument_sizes_follow_rays_flattening() -> None:
    pytest.importorskip("ray")
    import ray

    from flowinsight.recorder.submission import argument_sizes

    ref = ray.ObjectRef(b"\x01" * 28)
    # Ray serialises [marker, a, marker, ref (skipped), key, v]: sizes of 5 entries
    sizes = [13, 100, 13, 11, 200]
    assert argument_sizes([b"a", ref], {"k": "v"}, sizes) == [
        (0, b"a", 100), (1, ref, None), (2, "v", 200)]
    assert argument_sizes([1], None, [13]) == [(0, 1, None)]  # misaligned: size unknown
    assert argument_sizes(None, None, []) == []


def test_a_yield_is_what_ray_serialises_not_what_the_task_does(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Ray Data's SizeEstimator serialises sampled rows inside a streaming generator task:
    those are no yields, and the block yielded after them is still return index 2."""
    pytest.importorskip("ray")
    from flowinsight.recorder import capture, execution
    from flowinsight.recorder.emitter import EMITTER

    emitted: list[ObjectPut] = []
    monkeypatch.setattr(EMITTER, "emit", emitted.append)

    class Serialized:
        def __init__(self, size: int) -> None:
            self.total_bytes, self.metadata = size, b""

    serialize = capture.wrap_serialize(lambda context, value: Serialized(len(value)))

    def task_code() -> None:  # the generator's body, estimating a row's size
        serialize(None, "a row")

    bases: list[object] = []
    monkeypatch.setattr(EMITTER, "active", True)
    monkeypatch.setattr(execution, "_on_task_start", lambda task_id, base: bases.append(base))
    task_log_start = execution.wrap_task_log_start(lambda worker, task_id, attempt: None)

    def execute_task() -> None:  # Ray's Cython: the task's start, then each yield's store
        task_log_start(None, bytes.fromhex(TASK), 0)
        assert bases == [sys._getframe()]  # the frame that called record_task_log_start
        monkeypatch.setattr(capture.TLS, "sink", execution.YieldedValues(IN_TASK, bases[0]))
        task_code()
        serialize(None, "block" * 100)
        task_code()
        serialize(None, "metadata")

    execute_task()
    assert [(e.object_id, e.size_bytes) for e in emitted] == [
        (ids.return_object_id(TASK, 1), 500), (ids.return_object_id(TASK, 2), 8)]


def test_importing_flowinsight_imports_no_ray() -> None:
    code = ("import sys, flowinsight, flowinsight.recorder, flowinsight.recorder.events, "
            "flowinsight.recorder.runtime_env; assert 'ray' not in sys.modules; "
            "assert not flowinsight.recorder.is_enabled(); print(flowinsight.recorder.stats())")
    env = {k: v for k, v in os.environ.items() if k != "FLOWINSIGHT_RECORD"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert "enabled=False" in done.stdout


def test_env_command_prints_the_cluster_setup() -> None:
    done = subprocess.run([sys.executable, "-m", "flowinsight.recorder", "env"],
                          capture_output=True, text=True)
    assert done.returncode == 0
    assert "export RAY_RUNTIME_ENV_HOOK=flowinsight.recorder.runtime_env_hook" in done.stdout
    assert "export RAY_preload_python_modules=flowinsight.recorder.autostart" in done.stdout
