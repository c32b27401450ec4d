"""Dask on Ray names each Ray task of a dask graph by its key (`dask:load-<uuid4>`,
`dask:('sum-<md5>', 0, 1)`): a node per task by Ray's names. flowinsight names them by the
dask function (identity.dask_name, as dask's key_split): one node per function, its calls the
tasks Ray ran. A capture recorded live (tests/live/workloads/explore12_dask.py: a delayed
pipeline of 4 loads, 4 cleans and a combine; a 20 x 20 array of ones in 4 chunks summed), held
to Ray's State API dump of the same run (tests/data/dask_on_ray/state_truth.json.gz)."""

from __future__ import annotations

import gzip
import json
from collections import Counter

from conftest import DATA, result_of
from flowinsight.pipeline.identity import dask_name

CAPTURE = DATA / "dask_on_ray"


def test_a_key_is_named_by_its_function() -> None:
    assert dask_name("dask:load-7866db92-507c-4a31-b03d-d25ce387aa08") == "dask:load"
    assert dask_name("dask:('sum-7f0e7de525e8492921ae64e71225ac17', 0, 1)") == "dask:sum"
    assert dask_name("dask:sum-aggregate-finalize-hlgfinalizecompute-"
                     "8f9985a681ad4a2ca202b46ae893dde3") == \
        "dask:sum-aggregate-finalize-hlgfinalizecompute"
    assert dask_name("dask:('ones_like-deadbeef', 0)") == "dask:ones_like"  # an 8-hex token
    # no dask key, or none dask_name can read: Ray's name as it is
    for name in ("load-7866db92", "dask:", "dask:(", "dask:123-abc", "ReadRange->Map(f)"):
        assert dask_name(name) == name


def test_the_tasks_of_a_dask_function_are_one_node() -> None:
    end = json.loads(gzip.decompress((CAPTURE / "state_truth.json.gz").read_bytes())
                     )["phases"]["end"]
    truth = Counter(dask_name(t["name"]) for t in end["tasks"] if t["type"] == "NORMAL_TASK")
    assert truth == {"dask:load": 4, "dask:clean": 4, "dask:combine": 1, "dask:sum": 4,
                     "dask:sum-aggregate-finalize-hlgfinalizecompute": 1}
    assert len({t["name"] for t in end["tasks"] if t["type"] == "NORMAL_TASK"}) == 14
    result = result_of(CAPTURE)
    assert Counter({n.name: n.calls for n in result.nodes if n.name != "main"}) == truth
    # the data moved from each function's tasks to the next's
    names = {n.id: n.name for n in result.nodes}
    flows = {(names[f.source], names[f.target]): f.count for f in result.data_flows}
    assert (flows[("dask:load", "dask:clean")], flows[("dask:clean", "dask:combine")],
            flows[("dask:sum", "dask:sum-aggregate-finalize-hlgfinalizecompute")]) == (4, 4, 4)
    assert result.failures == ()
