"""nested_tasks under the recorder: nested tasks, a 5 MB ray.put, a chain of three actors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .harness import (
    Run, by_label, check_envelopes, check_tasks_match_export, cli_available, flow, function_id,
    graph, near, run_workload, temp_root,
)

MB = 1_000_000
PACKET = 100_000


@pytest.fixture(scope="module")
def run() -> Iterator[Run]:
    with temp_root() as root:
        yield run_workload("nested_tasks", root)


def test_lines_are_well_formed_and_match_ray(run: Run) -> None:
    lines = check_envelopes(run.session_dir)
    check_tasks_match_export(run.session_dir, lines)
    assert "internal error" not in run.stderr


def test_every_submission_is_recorded(run: Run) -> None:
    submitted = by_label(check_envelopes(run.session_dir), "task_submitted")
    names = sorted(s["descriptor"].split("function_name=")[1].split(",")[0] for s in submitted)
    assert names == sorted(["parent"] + ["produce"] * 3 + ["consume"] * 4
                           + ["__init__"] * 3 + ["put_packet"] * 15)
    types = {s["task_type"] for s in submitted if "function_name=__init__" in s["descriptor"]}
    assert types == {"ACTOR_CREATION_TASK"}


def test_object_sizes_are_ray_serialized_sizes(run: Run) -> None:
    lines = check_envelopes(run.session_dir)
    puts, gets = by_label(lines, "object_put"), by_label(lines, "object_get")
    big_returns = [p for p in puts if p["kind"] == "return" and p["size_bytes"] > MB // 2]
    assert len(big_returns) == 3 and all(near(p["size_bytes"], MB) for p in big_returns)
    # consume reads each produce result as an argument, by the very same object id
    arg_reads = {g["object_id"] for g in gets if g["kind"] == "arg"}
    assert {p["object_id"] for p in big_returns} <= arg_reads
    (put,) = [p for p in puts if p["kind"] == "put"]
    assert near(put["size_bytes"], 5 * MB)
    assert put["object_id"] in arg_reads
    packets = [p for p in puts if p["kind"] == "arg" and near(p["size_bytes"], PACKET)]
    assert len(packets) == 15
    packet_reads = [g for g in gets if g["kind"] == "arg" and g["object_id"]
                    in {p["object_id"] for p in packets}]
    assert len(packet_reads) == 15 and all(near(g["size_bytes"], PACKET) for g in packet_reads)


@pytest.mark.skipif(not cli_available(), reason="flowinsight CLI not available")
def test_graph_data_flows(run: Run) -> None:
    result = graph(run.session_dir)
    produce, consume = function_id(result, "produce"), function_id(result, "consume")
    produced = flow(result, produce, consume)
    assert produced["count"] == 3 and near(produced["bytes"], 3 * MB)
    from_main = flow(result, "main", consume)
    assert from_main["count"] == 1 and near(from_main["bytes"], 5 * MB)
    # main -> src.put_packet -> mid.put_packet -> sink.put_packet, 5 packets each
    chain = ["main"]
    for _ in range(3):
        (next_hop,) = [c["target"] for c in result["callFlows"]
                       if c["source"] == chain[-1] and c["target"].endswith(".put_packet")]
        chain.append(next_hop)
    for source, target in zip(chain, chain[1:]):
        packets = flow(result, source, target)
        assert packets["count"] == 5 and near(packets["bytes"], 5 * PACKET), (source, target)
