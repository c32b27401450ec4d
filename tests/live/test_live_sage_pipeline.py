"""sage_pipeline under the recorder: 40 packets through four named, detached actors."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

import pytest

from .harness import (
    Run, by_label, check_envelopes, check_tasks_match_export, cli_available, export_actor_names,
    flow, function_name, graph, has_export_api, near, run_workload, temp_root,
)

PACKETS = [len(b"packet-%d " % i * 2000) for i in range(40)]
MAPPED = [n + 1000 for n in PACKETS]  # Upper appends 1000 bytes
EDGES = {
    ("main", "source"): PACKETS,
    ("source", "map_0"): PACKETS,
    ("source", "map_1"): PACKETS,
    ("map_0", "sink"): MAPPED,
    ("map_1", "sink"): MAPPED,
}


@pytest.fixture(scope="module")
def run() -> Iterator[Run]:
    with temp_root() as root:
        yield run_workload("sage_pipeline", root)


def test_lines_are_well_formed_and_match_ray(run: Run) -> None:
    lines = check_envelopes(run.session_dir)
    check_tasks_match_export(run.session_dir, lines)


def test_packet_puts_and_reads_per_edge(run: Run) -> None:
    lines = check_envelopes(run.session_dir)
    names = export_actor_names(run.session_dir)
    if not names:
        pytest.skip("actor names come from the Export API, which this Ray does not write")
    tasks = {s["task_id"]: s for s in by_label(lines, "task_submitted")}
    put_sizes: dict[tuple[str, str], list[int]] = defaultdict(list)
    for put in by_label(lines, "object_put"):
        target = tasks[put["target_task_id"]] if put["kind"] == "arg" else None
        if target and function_name(target["descriptor"]) == "put_packet":
            edge = (names.get(put["actor_id"], "main"), names[target["target_actor_id"]])
            put_sizes[edge].append(put["size_bytes"])
    # Ray sends bytes raw: the serialized size is the payload plus 3 bytes of metadata ("RAW")
    assert {edge: sorted(sizes) for edge, sizes in put_sizes.items()} == {
        edge: sorted(n + 3 for n in sizes) for edge, sizes in EDGES.items()
    }
    reads = [g for g in by_label(lines, "object_get") if g["kind"] == "arg"
             and function_name(tasks[g["task_id"]]["descriptor"]) == "put_packet"]
    assert len(reads) == 200


@pytest.mark.skipif(not cli_available(), reason="flowinsight CLI not available")
def test_graph_data_flows(run: Run) -> None:
    if not has_export_api(run.session_dir):
        pytest.skip("actor names come from the Export API, which this Ray does not write")
    result = graph(run.session_dir)
    actor_ids = {a["actor_name"]: a["id"] for a in result["actors"]}
    assert set(actor_ids) == {"source", "map_0", "map_1", "sink"}

    def node(name: str) -> str:
        return name if name == "main" else f"{actor_ids[name]}.put_packet"

    for (source, target), sizes in EDGES.items():
        packets = flow(result, node(source), node(target))
        assert packets["count"] == 40, (source, target)
        assert near(packets["bytes"], sum(sizes)), (source, target, packets["bytes"])
