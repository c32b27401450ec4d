"""Data flows through objects the executor sees without an id (recorder/submission.py names
the refs a caller passes on, recorder/execution.py a streaming generator's yields)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .harness import Run, graph, run_workload, temp_root


@pytest.fixture(scope="module")
def run() -> Iterator[Run]:
    with temp_root() as root:
        yield run_workload("inlined_and_streaming", root)


def test_inlined_returns_flow_from_their_producer(run: Run) -> None:
    flows = {(d["source"], d["target"]): d for d in graph(run.session_dir)["dataFlows"]}
    edge = flows[("small", "reduce_parts")]
    assert (edge["count"], edge["unsized"]) == (2, 0)
    assert 2 * 8000 <= edge["bytes"] <= 2 * 8100  # Ray's serialised size
    assert ("reduce_parts", "reduce_parts") not in flows


def test_streaming_yields_are_sized_at_the_producer(run: Run) -> None:
    flows = {(d["source"], d["target"]): d for d in graph(run.session_dir)["dataFlows"]}
    edge = flows[("blocks", "consume")]
    assert (edge["count"], edge["unsized"]) == (3, 0)
    assert 6000 <= edge["bytes"] <= 6100
    assert edge["bytes_per_s"] is not None  # a put time and a get time: a speed
