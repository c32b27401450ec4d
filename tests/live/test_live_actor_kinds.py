"""The recorder across execution styles (workloads/actor_kinds.py), checked on the raw lines."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .harness import (
    WORKLOADS, Run, base_env, by_label, check_envelopes, check_tasks_match_export, function_name,
    near, run_script, session_dir, temp_root,
)

DRIVER = "f" * 40 + "01000000"


@pytest.fixture(scope="module")
def run() -> Iterator[Run]:
    with temp_root() as root:
        done = run_script([str(WORKLOADS / "actor_kinds.py")], root, base_env(root))
        assert done.returncode == 0, done.stderr[-6000:]
        yield Run("actor_kinds", root, session_dir(root), done.stdout, done.stderr, 0.0)


@pytest.fixture(scope="module")
def lines(run: Run) -> dict[str, list[dict[str, Any]]]:
    recorded = check_envelopes(run.session_dir)
    check_tasks_match_export(run.session_dir, recorded)
    return {label: by_label(recorded, label)
            for label in ("task_submitted", "object_put", "object_get")}


def tasks_of(lines: dict[str, list[dict[str, Any]]], name: str) -> list[dict[str, Any]]:
    return [s for s in lines["task_submitted"] if function_name(s["descriptor"]) == name]


def gets_by(lines: dict[str, list[dict[str, Any]]], task_id: str) -> list[dict[str, Any]]:
    return [g for g in lines["object_get"] if g["task_id"] == task_id]


def test_no_internal_errors(run: Run) -> None:
    assert "internal error" not in run.stderr
    assert "internal_errors=0" in run.stdout and "missing_hooks=()" in run.stdout


def test_nested_tasks_and_wait(lines: dict[str, list[dict[str, Any]]]) -> None:
    (fan_out,) = tasks_of(lines, "fan_out")
    leaves = [t for t in tasks_of(lines, "leaf") if t["src_task_id"] == fan_out["task_id"]]
    assert len(leaves) == 4
    reads = gets_by(lines, fan_out["task_id"])  # ray.wait reads nothing, ray.get reads 4
    assert sorted(g["object_id"][:48] for g in reads if g["kind"] == "get") == sorted(
        t["task_id"] for t in leaves)


def test_several_return_values(lines: dict[str, list[dict[str, Any]]]) -> None:
    (split,) = tasks_of(lines, "split")
    returns = [p for p in lines["object_put"] if p["task_id"] == split["task_id"]
               and p["kind"] == "return"]
    assert sorted(p["object_id"][48:] for p in returns) == ["01000000", "02000000"]
    assert all(near(p["size_bytes"], 25_000) for p in returns)
    driver_reads = {g["object_id"] for g in gets_by(lines, DRIVER)}
    assert {p["object_id"] for p in returns} <= driver_reads


def test_keyword_argument(lines: dict[str, list[dict[str, Any]]]) -> None:
    (task,) = tasks_of(lines, "length")
    (put,) = [p for p in lines["object_put"] if p.get("target_task_id") == task["task_id"]]
    assert put["arg_index"] == 0 and near(put["size_bytes"], 30_000)
    (read,) = [g for g in gets_by(lines, task["task_id"]) if g["kind"] == "arg"]
    assert read["object_id"] == put["object_id"] and read["arg_index"] == 0


def test_threaded_actor_gets(lines: dict[str, list[dict[str, Any]]]) -> None:
    (shared,) = [p for p in lines["object_put"] if p["kind"] == "put"]
    assert near(shared["size_bytes"], 200_000)
    (fetch,) = tasks_of(lines, "fetch")
    reads = [g for g in gets_by(lines, fetch["task_id"]) if g["kind"] == "get"]
    assert [g["object_id"] for g in reads] == [shared["object_id"]] * 2  # every get counts
    assert all(g["actor_id"] == fetch["target_actor_id"] for g in reads)


def test_async_actor_awaits_and_calls(lines: dict[str, list[dict[str, Any]]]) -> None:
    (shared,) = [p for p in lines["object_put"] if p["kind"] == "put"]
    (wait_for,) = tasks_of(lines, "wait_for")
    awaited = [g for g in gets_by(lines, wait_for["task_id"]) if g["kind"] == "get"]
    assert [g["object_id"] for g in awaited] == [shared["object_id"]] * 3
    (call_sync,) = tasks_of(lines, "call_sync")
    (inner,) = [t for t in tasks_of(lines, "echo") if t["src_task_id"] == call_sync["task_id"]]
    assert inner["src_actor_id"] == call_sync["target_actor_id"]
    echoed = [g for g in gets_by(lines, call_sync["task_id"]) if g["kind"] == "get"]
    assert [g["object_id"][:48] for g in echoed] == [inner["task_id"]]
    assert near(echoed[0]["size_bytes"], 20_000)


def test_large_by_value_argument(lines: dict[str, list[dict[str, Any]]]) -> None:
    """Ray moves a by-value argument over 100 KiB into the object store under an id only the
    executor sees; put and get still share (target task, arg_index) and the size."""
    (task,) = [t for t in tasks_of(lines, "echo") if t["src_task_id"] == DRIVER
               and any(near(p["size_bytes"], 300_000) for p in lines["object_put"]
                       if p.get("target_task_id") == t["task_id"])]
    (put,) = [p for p in lines["object_put"] if p.get("target_task_id") == task["task_id"]]
    (read,) = [g for g in gets_by(lines, task["task_id"]) if g["kind"] == "arg"]
    assert read["arg_index"] == put["arg_index"] == 0
    assert near(read["size_bytes"], put["size_bytes"], 0.001)


def test_failure_is_a_return_value(lines: dict[str, list[dict[str, Any]]]) -> None:
    (fail,) = tasks_of(lines, "fail")
    (error,) = [p for p in lines["object_put"] if p["task_id"] == fail["task_id"]]
    assert error["kind"] == "return" and error["object_id"] in {
        g["object_id"] for g in gets_by(lines, DRIVER)}


def test_driver_thread_calls_are_the_drivers(lines: dict[str, list[dict[str, Any]]]) -> None:
    leaves = [t for t in tasks_of(lines, "leaf") if t["src_task_id"] == DRIVER]
    assert len(leaves) == 1
    assert {t["src_task_id"] for t in lines["task_submitted"]
            if t["src_actor_id"] == "" and function_name(t["descriptor"]) != "leaf"} == {DRIVER}


def test_fire_and_forget_is_not_recorded(lines: dict[str, list[dict[str, Any]]]) -> None:
    """num_returns=0: Ray returns nothing that names the task (a known limit)."""
    assert tasks_of(lines, "ignore") == []
