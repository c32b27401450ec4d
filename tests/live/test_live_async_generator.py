"""An async actor method that is an async generator, consumed by tasks
(workloads/async_generator.py): Ray stores each yield on its event-loop executor's thread, and
the recorder sizes it there (recorder/async_yields.py), so the data flow out of the method has
bytes and a speed. The truth is Ray's State API (list_objects, detail=True: the size of every
yielded object, the refs held while it is read) and the sizes the program's serialiser gives."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from typing import Any

import pytest

from .harness import Run, by_label, cli_available, graph, recorder_lines, run_workload, temp_root

pytestmark = pytest.mark.skipif(
    not cli_available() or not importlib.util.find_spec("aiohttp"),
    reason="needs the flowinsight CLI and Ray's State API (the ray-libs extra)")


@pytest.fixture(scope="module")
def run() -> Iterator[tuple[Run, dict[str, Any], list[dict[str, Any]]]]:
    with temp_root() as root:
        run = run_workload("async_generator", root)
        truth = json.loads((root / "state_truth.json").read_text())["phases"]["end"]
        yielded = json.loads((root / "yielded.json").read_text())
        yield run, truth, yielded


def test_yields_sized_as_ray_stores_them(
        run: tuple[Run, dict[str, Any], list[dict[str, Any]]]) -> None:
    done, truth, yielded = run
    sizes = {o["object_id"]: o["object_size"] for o in truth["objects"]}
    ids = [y["object_id"] for y in yielded]
    # the State API names every yield with its size, which the program's serialiser agrees with
    assert [sizes[i] for i in ids] == [y["size"] for y in yielded] == [1003, 5003, 20003, 300003]
    # the recorder's return puts of the yields, written on Ray's event-loop executor thread
    puts = by_label(recorder_lines(done.session_dir), "object_put")
    returns = {p["object_id"]: p["size_bytes"] for p in puts if p.get("kind") == "return"}
    assert [returns.get(i) for i in ids] == [sizes[i] for i in ids]


def test_flow_out_of_the_async_generator_has_bytes(
        run: tuple[Run, dict[str, Any], list[dict[str, Any]]]) -> None:
    done, truth, yielded = run
    actor = next(a["actor_id"] for a in truth["actors"] if a["class_name"] == "Streamer")
    flows = {(d["source"], d["target"]): d for d in graph(done.session_dir)["dataFlows"]}
    edge = flows[(f"{actor}.blocks", "consume")]
    sizes = {o["object_id"]: o["object_size"] for o in truth["objects"]}
    assert (edge["count"], edge["unsized"]) == (4, 0)
    assert edge["bytes"] == sum(sizes[y["object_id"]] for y in yielded) == 326012
    assert edge["bytes_per_s"] is not None  # a put time and a get time: a speed
    assert ("consume", "consume") not in flows
