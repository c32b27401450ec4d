"""Runs a workload against a fresh local Ray with the recorder on, and reads what it left.

Every run gets its own short temp dir (Ray's unix socket paths are limited to ~107 bytes) and
its own process session; afterwards every process of that session, and any process whose
command line names the temp dir, is stopped by pid, whether the run passed or not.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LIVE_DIR = Path(__file__).resolve().parent
REPO = LIVE_DIR.parents[1]
WORKLOADS = LIVE_DIR / "workloads"
LAUNCHER = LIVE_DIR / "launch_workload.py"
RUN_TIMEOUT_S = 240
KEEP_ENV = "FLOWINSIGHT_LIVE_KEEP"  # set to keep the temp dirs for a look afterwards
TMP_ENV = "FLOWINSIGHT_LIVE_TMP"  # parent of the runs' temp dirs (run_live.sh sets it)

RECORDER_ENV = {
    "FLOWINSIGHT_RECORD": "1",
    "RAY_RUNTIME_ENV_HOOK": "flowinsight.recorder.runtime_env_hook",
}


@dataclass(frozen=True, slots=True)
class Run:
    workload: str
    tmp_root: Path
    session_dir: Path
    stdout: str
    stderr: str
    seconds: float


def base_env(tmp_root: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("RAY_", "FLOWINSIGHT_")) or k == TMP_ENV}
    env.update(
        RAY_TMPDIR=str(tmp_root),
        RAY_enable_export_api_write="1",
        RAY_USAGE_STATS_ENABLED="0",
        # Ray 2.5x+ token auth needs a token in ~/.ray shared by cluster and drivers; live runs
        # are loopback-only and must not write to $HOME.
        RAY_AUTH_MODE="disabled",
        # Ray 2.6x turns 127.0.0.1 into the host's outward address unless told that this is
        # a single-machine Ray; then every process binds to loopback.
        RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


@contextmanager
def temp_root() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="fi-", dir=os.environ.get(TMP_ENV) or "/tmp"))
    try:
        yield root
    finally:
        stop_processes(root)
        if not os.environ.get(KEEP_ENV):
            shutil.rmtree(root, ignore_errors=True)


def run_script(
    args: list[str], tmp_root: Path, env: dict[str, str], timeout: float = RUN_TIMEOUT_S
) -> subprocess.CompletedProcess[str]:
    """Run a driver in its own process session; whatever it leaves behind is stopped."""
    proc = subprocess.Popen(
        [sys.executable, *args],
        cwd=tmp_root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _signal_group(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        raise AssertionError(f"{args} timed out after {timeout}s\n{err[-4000:]}") from None
    finally:
        stop_processes(tmp_root, proc.pid, by_marker=False)  # a shared cluster stays up
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


def run_workload(name: str, tmp_root: Path, record: bool = True,
                 timeout: float = RUN_TIMEOUT_S, **extra_env: str) -> Run:
    """Run workloads/<name>.py, under the recorder unless `record` is False."""
    started = time.monotonic()
    env = base_env(tmp_root, **(RECORDER_ENV if record else {}), **extra_env)
    done = run_script([str(LAUNCHER), str(WORKLOADS / f"{name}.py")], tmp_root, env, timeout)
    assert done.returncode == 0, f"{name} failed:\n{done.stderr[-6000:]}"
    return Run(name, tmp_root, session_dir(tmp_root), done.stdout, done.stderr,
               time.monotonic() - started)


# Ray's own call sites and its event export (2.49+), received by `flowinsight collect`
CALL_SITE_ENV = {
    "RAY_record_task_actor_creation_sites": "1",
    "RAY_enable_core_worker_ray_event_to_aggregator": "1",
    "RAY_enable_ray_event": "1",  # the GCS's: actor, job and node definitions and lifecycles
    "RAY_DASHBOARD_AGGREGATOR_AGENT_EXPOSABLE_EVENT_TYPES": "ALL",
}


@contextmanager
def collector(tmp_root: Path) -> Iterator[str]:
    """`flowinsight collect` on a free loopback port, writing into the sessions under
    tmp_root; yields its URL, and stops it (SIGTERM: it writes its summary) afterwards."""
    env = base_env(tmp_root)
    proc = subprocess.Popen([sys.executable, "-m", "flowinsight", "collect"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert "listening on http://127.0.0.1:" in first, first + (proc.stderr.read()
                                                                   if proc.stderr else "")
        yield first.split("listening on ")[1].split(",")[0]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


def run_collected(name: str, tmp_root: Path, url: str) -> Run:
    """run_workload with Ray's call sites on and its event export sent to `url`."""
    return run_workload(name, tmp_root, **CALL_SITE_ENV,
                        RAY_DASHBOARD_AGGREGATOR_AGENT_EVENTS_EXPORT_ADDR=url)


def session_dir(tmp_root: Path) -> Path:
    sessions = sorted((tmp_root / "ray").glob("session_2*"))
    assert sessions, f"no Ray session under {tmp_root}"
    return sessions[-1]


# --- stopping what a run started -------------------------------------------------------------


def _processes() -> Iterator[tuple[int, int, int, str]]:
    """(pid, ppid, process group, command line) of every process we can see."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        yield int(entry.name), int(fields[1]), int(fields[2]), cmdline


def _session_pids(tmp_root: Path, group: int | None, by_marker: bool = True) -> set[int]:
    procs = list(_processes())
    marker = str(tmp_root)
    pids = {pid for pid, _, pgid, cmd in procs
            if (by_marker and marker in cmd) or (group and pgid == group)}
    pids.discard(os.getpid())
    grew = True
    while grew:  # and their descendants (Ray workers rename themselves to ray::...)
        children = {pid for pid, ppid, _, _ in procs if ppid in pids} - pids - {os.getpid()}
        grew = bool(children)
        pids |= children
    return pids


def _signal_group(group: int, sig: signal.Signals) -> None:
    try:
        os.killpg(group, sig)
    except (ProcessLookupError, PermissionError):
        pass


def stop_processes(tmp_root: Path, group: int | None = None, by_marker: bool = True) -> None:
    """Stop process group `group` with its descendants and (by_marker) every process whose
    command line names `tmp_root`: SIGTERM, then SIGKILL for what is left."""
    for sig, wait_s in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 2.0)):
        pids = _session_pids(tmp_root, group, by_marker)
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, sig)
            except (ProcessLookupError, PermissionError):
                pass
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline and _session_pids(tmp_root, group, by_marker):
            time.sleep(0.1)


# --- reading a session -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Line:
    file_pid: int
    event: dict[str, Any]

    @property
    def label(self) -> str:
        return str(self.event["label"])

    @property
    def fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = self.event["custom_fields"]
        return fields


def recorder_files(session: Path) -> list[Path]:
    return sorted((session / "logs" / "events").glob("event_FLOWINSIGHT_*.log"))


def recorder_lines(session: Path) -> list[Line]:
    lines = []
    for path in recorder_files(session):
        pid = int(path.stem.rsplit("_", 1)[1])
        for raw in path.read_text().splitlines():
            lines.append(Line(pid, json.loads(raw)))
    return lines


def by_label(lines: list[Line], label: str) -> list[dict[str, Any]]:
    return [line.fields for line in lines if line.label == label]


def export_tasks(session: Path) -> dict[str, dict[str, Any]]:
    """task id (hex) -> merged task_info of the Export API's EXPORT_TASK lines."""
    tasks: dict[str, dict[str, Any]] = {}
    for path in (session / "logs" / "export_events").glob("event_EXPORT_TASK_*.log"):
        for raw in path.read_text().splitlines():
            data = json.loads(raw)["event_data"]
            task_id = base64.b64decode(data["task_id"]).hex()
            tasks.setdefault(task_id, {}).update(data.get("task_info") or {})
    return tasks


def has_export_api(session: Path) -> bool:
    """Ray writes Export API files from 2.35 on (older Ray: the recorder's lines only)."""
    return any((session / "logs" / "export_events").glob("event_EXPORT_*.log"))


def export_actor_names(session: Path) -> dict[str, str]:
    """actor id (hex) -> the name the user gave it (EXPORT_ACTOR)."""
    names: dict[str, str] = {}
    path = session / "logs" / "export_events" / "event_EXPORT_ACTOR.log"
    for raw in (path.read_text() if path.exists() else "").splitlines():
        data = json.loads(raw)["event_data"]
        names[base64.b64decode(data["actor_id"]).hex()] = data.get("name", "")
    return names


def function_name(descriptor: str) -> str:
    return descriptor.split("function_name=")[1].split(",")[0]


def cli_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("flowinsight.__main__") is not None


def graph(session: Path) -> dict[str, Any]:
    """flowinsight's own graph of the session: `python -m flowinsight export DIR --format json`."""
    done = subprocess.run(
        [sys.executable, "-m", "flowinsight", "export", str(session), "--format", "json"],
        capture_output=True, text=True, timeout=120, cwd=REPO,
    )
    assert done.returncode == 0, f"flowinsight export failed:\n{done.stderr[-4000:]}"
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def function_id(result: dict[str, Any], name: str) -> str:
    ids = [f["id"] for f in result["functions"] if f["name"] == name]
    assert len(ids) == 1, f"function {name!r}: {ids}"
    return str(ids[0])


def flow(result: dict[str, Any], source: str, target: str) -> dict[str, Any]:
    found = [f for f in result["dataFlows"] if f["source"] == source and f["target"] == target]
    assert len(found) == 1, (
        f"data flow {source} -> {target} not found once; flows: "
        + ", ".join(f"{f['source']}->{f['target']}" for f in result["dataFlows"])
    )
    return found[0]


def near(value: float | None, expected: float, tolerance: float = 0.05) -> bool:
    return value is not None and abs(value - expected) <= tolerance * expected


# --- checks every recorded session must pass --------------------------------------------------

ENVELOPE_KEYS = ["custom_fields", "event_id", "host_name", "label", "message", "pid", "severity",
                 "source_type", "timestamp"]
HEX = set("0123456789abcdef")


def check_envelopes(session: Path) -> list[Line]:
    """Schema section 2 envelope, C++ spelling; one file per process; whole lines only."""
    lines = recorder_lines(session)
    assert lines, "the recorder wrote nothing"
    seen_ids = set()
    for path in recorder_files(session):
        text = path.read_text()
        assert not text or text.endswith("\n"), f"{path.name} ends in a partial line"
    for line in lines:
        event = line.event
        assert sorted(event) == ENVELOPE_KEYS
        assert event["label"] in {"task_submitted", "object_put", "object_get", "call_site"}
        assert event["source_type"] == "CORE_WORKER" and event["severity"] == "INFO"
        assert event["pid"] == str(line.file_pid)
        assert isinstance(event["timestamp"], int)
        assert len(event["event_id"]) == 36 and set(event["event_id"]) <= HEX
        assert event["event_id"] not in seen_ids
        seen_ids.add(event["event_id"])
        fields = line.fields
        assert isinstance(fields["timestamp_ms"], int)
        assert abs(fields["timestamp_ms"] // 1000 - event["timestamp"]) <= 1
        for key in ("task_id", "object_id", "job_id", "src_task_id", "target_task_id",
                    "actor_id", "src_actor_id", "target_actor_id"):
            if key in fields:
                assert set(fields[key]) <= HEX, (key, fields[key])
    return lines


def check_tasks_match_export(session: Path, lines: list[Line]) -> None:
    """Every submission the recorder saw is a task Ray's Export API knows, of the same type
    (where this Ray has an Export API)."""
    tasks = export_tasks(session)
    for fields in by_label(lines, "task_submitted"):
        if tasks:
            info = tasks.get(fields["task_id"])
            assert info is not None, f"task {fields['task_id']} unknown to the Export API"
            assert info.get("type", fields["task_type"]) == fields["task_type"]
        assert fields["target_task_id"] == fields["task_id"]
        assert fields["language"] == "PYTHON"
        assert fields["descriptor"].startswith("{type=PythonFunctionDescriptor, module_name=")


if __name__ == "__main__":  # python -m tests.live.harness stop DIR: the backstop of run_live.sh
    if sys.argv[1:2] == ["stop"] and len(sys.argv) == 3:
        stop_processes(Path(sys.argv[2]))
