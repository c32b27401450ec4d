"""Ray Data's operators whose tasks carry nothing of them (no `__data_operator_id` label, no
`.options(name=...)`): a random shuffle's and a repartition's map and reduce, a sort's
sampling, a limit's slice, a zip's (pipeline/data_stages.py). Real input: tests/data/
data_all_to_all (tests/live/workloads/explore5_data_alltoall.py, Ray 2.60, export events only;
data_all_to_all_pull, _push, _hash the same under RAY_DATA_DEFAULT_SHUFFLE_STRATEGY=
sort_shuffle_pull_based, sort_shuffle_push_based, hash_shuffle)
and data_same_operator_names (explore3_data_ops.py: a random shuffle, a sort and a repartition
in one dataset); hand-made sessions for what a capture shows only by chance."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path
from typing import Any

from conftest import ROOT, result_of
from flowinsight.pipeline import Options, analyze
from flowinsight.read import discover, read_capture
from flowinsight.result import NodeKind
from libsession import driver, executed, submitted, task_id, write_session

ALL_TO_ALL = ROOT / "tests" / "data" / "data_all_to_all"
SAME_NAMES = ROOT / "tests" / "data" / "data_same_operator_names"
# the same program under RAY_DATA_DEFAULT_SHUFFLE_STRATEGY=sort_shuffle_pull_based: the sort and
# the aggregates are all-to-all operators of three sub-stages each
PULL = ROOT / "tests" / "data" / "data_all_to_all_pull"
# under sort_shuffle_push_based: map_partition and merge, both in Ray's `Shuffle Map` sub-stage
PUSH = ROOT / "tests" / "data" / "data_all_to_all_push"
# and under hash_shuffle: the groupby's operators run _shuffle_block tasks and
# HashShuffleAggregator actors
HASH = ROOT / "tests" / "data" / "data_all_to_all_hash"
# the functions Ray Data 2.60 runs those operators' tasks as, without a name of their own
UNNAMED = {"map", "reduce", "_sample_block", "slice_fn", "_zip_one_block",
           "_split_single_block"}


def truth(capture: Path) -> list[dict[str, Any]]:
    tasks: list[dict[str, Any]] = json.loads(
        (capture / "state_truth.json").read_text())["phases"]["end"]["tasks"]
    return tasks


def test_every_task_of_an_all_to_all_operator_on_its_operators_node() -> None:
    result = result_of(ALL_TO_ALL)
    calls = {n.name: n.calls for n in result.nodes}
    assert calls == {
        "main": 0, "ReadRange": 22, "ReadRange->Map(keyed)": 8, "Project": 6,
        "HashAggregateMap(key_columns=('k',), num_partitions=2)": 1,
        "HashAggregateReduce(key_columns=('k',), num_partitions=2)": 2,
        "HashShuffleMap(keys=('k',), partitions=2)": 1,
        "HashShuffleReduce(keys=('k',), partitions=2)->MapBatches(total)": 2,
        "SortShuffleMap(partitions=4)": 1, "SortShuffleReduce(partitions=4)": 4,
        # before: map 8, reduce 7, _sample_block 4, slice_fn 2, _zip_one_block 4,
        # _split_single_block 3
        "ReadRange->RandomShuffle (Shuffle Map)": 4,
        "ReadRange->RandomShuffle (Shuffle Reduce)": 4,
        "ReadRange->Repartition (Shuffle Map)": 4,  # repartition(3, shuffle=True)
        "ReadRange->Repartition (Shuffle Reduce)": 3,
        "SortSample(partitions=4)": 4,
        "limit=3": 1,  # sort(...).take(3)
        "limit=5": 1,
        "ZipOperator(ReadRange, ReadRange)": 7,  # 4 _zip_one_block, 3 _split_single_block
    }
    # as many as Ray ran: the State API's count of those functions
    want = Counter(t["name"] for t in truth(ALL_TO_ALL) if t["name"] in UNNAMED)
    assert want == {"map": 8, "reduce": 7, "_sample_block": 4, "slice_fn": 2,
                    "_zip_one_block": 4, "_split_single_block": 3}
    assert sum(calls[n] for n in calls if n.startswith(
        ("ReadRange->R", "SortSample", "limit=", "ZipOperator"))) == sum(want.values())
    # each operator of each plan counts its own tasks
    plans = [[(o.name, o.nodes, o.tasks) for o in d.operators
              if o.name.startswith(("ReadRange->R", "SortSample", "limit=", "ZipOperator"))]
             for d in sorted(result.datasets, key=lambda d: d.start_s or 0)]
    assert [p for p in plans if p] == [
        [("ReadRange->RandomShuffle", ("ReadRange->RandomShuffle (Shuffle Map)",
                                       "ReadRange->RandomShuffle (Shuffle Reduce)"), 8)],
        [("SortSample(partitions=4)", ("SortSample(partitions=4)",), 4),
         ("limit=3", ("limit=3",), 1)],
        [("ReadRange->Repartition", ("ReadRange->Repartition (Shuffle Map)",
                                     "ReadRange->Repartition (Shuffle Reduce)"), 7)],
        [("limit=5", ("limit=5",), 1)],
        [("ZipOperator(ReadRange, ReadRange)", ("ZipOperator(ReadRange, ReadRange)",), 7)]]
    assert not result.failures


def test_two_all_to_all_operators_of_one_dataset_told_apart() -> None:
    # random_shuffle -> sort -> repartition(3) in one plan: both shuffles run `reduce`; the
    # sort's named tasks began between them, so the 10 before are the shuffle's, the 3 after
    # the repartition's (with its 2 _split_single_block)
    result = result_of(SAME_NAMES)
    calls = {n.name: n.calls for n in result.nodes}
    assert not UNNAMED & set(calls)
    assert Counter(t["name"] for t in truth(SAME_NAMES) if t["name"] in UNNAMED) == {
        "reduce": 13, "map": 10, "_sample_block": 10, "_split_single_block": 2, "slice_fn": 2}
    first = min(result.datasets, key=lambda d: d.start_s or 0)
    assert [(o.name, o.tasks) for o in first.operators if o.name.startswith(
        ("RandomShuffle", "SortSample", "Repartition", "limit="))] == [
        ("RandomShuffle", 20), ("SortSample(partitions=5)", 10), ("Repartition", 5),
        ("limit=5", 1)]
    assert (calls["RandomShuffle (Shuffle Map)"], calls["RandomShuffle (Shuffle Reduce)"],
            calls["Repartition"]) == (10, 10, 5)


def test_the_pull_based_sort_and_aggregate_by_their_sub_stages() -> None:
    result = result_of(PULL)
    calls = {n.name: n.calls for n in result.nodes}
    assert calls == {
        "main": 0, "ReadRange": 19, "ReadRange->Map(keyed)": 8, "Project": 6,
        "MapBatches(total)": 3,  # map_groups: a Sort, then its function
        "ReadRange->RandomShuffle (Shuffle Map)": 4,
        "ReadRange->RandomShuffle (Shuffle Reduce)": 4,
        "ReadRange->Repartition (Shuffle Map)": 4, "ReadRange->Repartition (Shuffle Reduce)": 3,
        "Sort (Sort Sample)": 8, "Sort (Shuffle Map)": 8, "Sort (Shuffle Reduce)": 8,
        "Aggregate (Sort Sample)": 4, "Aggregate (Shuffle Map)": 4,
        "Aggregate (Shuffle Reduce)": 4,
        "limit=3": 1, "limit=5": 1, "ZipOperator(ReadRange, ReadRange)": 7}
    assert Counter(t["name"] for t in truth(PULL) if t["name"] in UNNAMED) == {
        "map": 20, "reduce": 19, "_sample_block": 12, "slice_fn": 2, "_zip_one_block": 4,
        "_split_single_block": 3}
    # the two sorts (sort(), and map_groups') share their nodes, each counts its own
    assert [(o.name, o.tasks) for d in sorted(result.datasets, key=lambda d: d.start_s or 0)
            for o in d.operators if o.name in ("Sort", "Aggregate")] == [
        ("Sort", 12), ("Aggregate", 12), ("Sort", 12)]


def test_the_push_based_map_merge_stage_under_shuffle_map() -> None:
    result = result_of(PUSH)
    calls = {n.name: n.calls for n in result.nodes}
    assert not {"map_partition", "merge"} & set(calls)  # before: 20 each
    assert Counter(t["name"] for t in truth(PUSH) if t["name"] in UNNAMED | {
        "map_partition", "merge"}) == {
        "map_partition": 20, "merge": 20, "reduce": 19, "_sample_block": 12, "slice_fn": 2,
        "_zip_one_block": 4, "_split_single_block": 3}
    # a map_partition and a merge per input block of each shuffle: 4 blocks, 8 for the two sorts
    assert {n: c for n, c in calls.items() if n.endswith("(Shuffle Map)")} == {
        "ReadRange->RandomShuffle (Shuffle Map)": 8, "ReadRange->Repartition (Shuffle Map)": 8,
        "Sort (Shuffle Map)": 16, "Aggregate (Shuffle Map)": 8}
    assert [(o.name, o.tasks) for d in sorted(result.datasets, key=lambda d: d.start_s or 0)
            for o in d.operators if o.name in ("Sort", "Aggregate")] == [
        ("Sort", 16), ("Aggregate", 16), ("Sort", 16)]


def test_hash_shuffling_operators_with_their_tasks_and_aggregator_actors() -> None:
    result = result_of(HASH)
    calls = {n.name: n.calls for n in result.nodes if n.kind is NodeKind.FUNCTION}
    agg = "HashAggregate(key_columns=('k',), num_partitions=2)"
    shuffle = "Shuffle(key_columns=('k',), num_partitions=2)"
    assert (calls[agg], calls[shuffle]) == (4, 4)  # before: _shuffle_block 8
    assert "_shuffle_block" not in calls
    want = Counter(t["name"] for t in truth(HASH))
    assert (want["_shuffle_block"], want["HashShuffleAggregator.__init__"],
            want["HashShuffleAggregator.submit"], want["HashShuffleAggregator.finalize"]) == (
        8, 4, 16, 4)
    # each operator: its 4 _shuffle_block tasks and its 2 aggregators (the class Ray shows),
    # whose submit and finalize calls are its work, their constructors its setup
    actors = {a.id: a for a in result.actors}
    ops = {o.name: o for d in result.datasets for o in d.operators}
    mine: dict[str, set[str]] = {}
    for name in (agg, shuffle):
        op = ops[name]
        own = {n for n in op.nodes if n in actors}
        assert {actors[a].class_name for a in own} == {"HashShuffleAggregator"}
        assert len(own) == 2
        assert set(op.nodes) == {name} | own | {f"{a}.{m}" for a in own
                                                for m in ("submit", "finalize")}
        assert op.tasks == 4 + 2 * (4 + 1)
        mine[name] = own
    assert not mine[agg] & mine[shuffle]
    assert not result.failures


def _plan(dataset: str, end: float, *ops: tuple[str, list[str], list[str]],
          start: float = 1.0) -> dict[str, Any]:
    """EXPORT_DATASET_METADATA: ops as (name, sub-stages, inputs), ids `<name>_<i>`."""
    return {"dataset_id": dataset, "job_id": "01000000", "state": "FINISHED",
            "start_time": start, "execution_start_time": start, "execution_end_time": end,
            "topology": {"operators": [
                {"id": f"{name}_{i}", "name": name, "uuid": f"{dataset}-{i}", "state": "FINISHED",
                 "input_dependencies": inputs,
                 "sub_stages": [{"name": s, "id": f"{name}_{i}_sub_{j}"}
                                for j, s in enumerate(stages)]}
                for i, (name, stages, inputs) in enumerate(ops)]}}


def _names(session: Path) -> Counter[str]:
    return Counter({n.name: n.calls for n in result_of(session).nodes if n.name != "main"})


def test_by_the_dataset_running_when_submitted(tmp_path: Path) -> None:
    # two datasets one after the other, a limit each: a slice_fn submitted at 1.5 s is the
    # first's (it ends at 2 s), one at 2.5 s the second's; a dataset still running (no end)
    # takes what comes after every end
    plans = [_plan("ds_a", 2.0, ("limit=1", [], [])),
             _plan("ds_b", 3.0, ("limit=2", [], []), start=2.1),
             _plan("ds_c", 0.0, ("limit=3", [], []), start=3.5)]
    tasks = driver()
    for n, t in enumerate([1.5e9, 2.5e9, 2.6e9, 4e9]):
        tasks += [submitted(task_id(n), "slice_fn", t=int(t)),
                  executed(task_id(n), "slice_fn", start=int(t) + 10, end=int(t) + 20)]
    session = write_session(tmp_path, tasks, {"EXPORT_DATASET_METADATA": plans})
    assert _names(session) == {"limit=1": 1, "limit=2": 2, "limit=3": 1}


def test_not_named_where_the_plans_do_not_tell(tmp_path: Path) -> None:
    # two datasets ending at once, each with a shuffle: their map tasks stay `map`; two
    # shuffles one after the other with nothing between them: their reduce tasks stay
    # `reduce`; a task run under a name of its own, and one Ray Data does not run, untouched
    plans = [_plan("ds_a", 5.0, ("RandomShuffle", ["Shuffle Map", "Shuffle Reduce"], [])),
             _plan("ds_b", 5.0, ("RandomShuffle", ["Shuffle Map", "Shuffle Reduce"], [])),
             _plan("ds_c", 9.0, ("RandomShuffle", ["Shuffle Map", "Shuffle Reduce"], []),
                   ("Repartition", ["Split Repartition"], ["RandomShuffle_0"]))]
    tasks = driver()
    for n, (fn, span, t) in enumerate([("map", "map", 1e9), ("reduce", "reduce", 6e9),
                                       ("map", "mine", 1e9), ("shuffle", "shuffle", 6e9)]):
        tasks += [submitted(task_id(n), fn, t=int(t)),
                  executed(task_id(n), span, start=int(t) + 10, end=int(t) + 20)]
    session = write_session(tmp_path, tasks, {"EXPORT_DATASET_METADATA": plans})
    assert _names(session) == {"map": 1, "reduce": 1, "mine": 1, "shuffle": 1}
    assert all(o.tasks == 0 for d in result_of(session).datasets for o in d.operators)


def test_not_named_while_two_datasets_ran_at_once(tmp_path: Path) -> None:
    # ds_b began (by Ray's word) at 2 s, before ds_a ended at 5 s: a slice_fn submitted at 3 s
    # may be either's and keeps its name; one at 1.5 s is ds_a's (ds_b had not begun, as far
    # as Ray wrote), one at 6 s ds_b's
    plans = [_plan("ds_a", 5.0, ("limit=1", [], [])),
             _plan("ds_b", 7.0, ("limit=2", [], []), start=2.0)]
    tasks = driver()
    for n, t in enumerate([1.5e9, 3e9, 6e9]):
        tasks += [submitted(task_id(n), "slice_fn", t=int(t)),
                  executed(task_id(n), "slice_fn", start=int(t) + 10, end=int(t) + 20)]
    session = write_session(tmp_path, tasks, {"EXPORT_DATASET_METADATA": plans})
    assert _names(session) == {"limit=1": 1, "slice_fn": 1, "limit=2": 1}


# tests/live/workloads/explore6_data_io.py (Ray 2.60, export events only): read_parquet ->
# groupby("k", num_partitions=2).count() and, in the next dataset, .aggregate(Sum, Max): the
# two plans' operators have one name each, HashAggregateMap(...) and HashAggregateReduce(...),
# whose tasks Ray Data names after them without the `__data_operator_id` label
# (shuffle_operators/shuffle_map_operator.py, shuffle_reduce_operator.py)
GROUPBY = ROOT / "tests" / "data" / "data_groupby_same_names"


def test_named_unlabelled_operators_of_one_name_in_two_datasets_count_their_own() -> None:
    end = json.loads(gzip.decompress((GROUPBY / "state_truth.json.gz").read_bytes()))[
        "phases"]["end"]
    want = Counter(t["name"] for t in end["tasks"] if t["attempt_number"] == 0)
    result = result_of(GROUPBY)
    per_plan = [[(o.name.split("(")[0], o.tasks) for o in d.operators
                 if o.name.startswith("HashAggregate")]
                for d in sorted(result.datasets, key=lambda d: d.start_s or 0)]
    # before: each plan's operator counted every task of its name's node, 2 + 4 in each
    assert [p for p in per_plan if p] == [
        [("HashAggregateMap", 1), ("HashAggregateReduce", 2)],
        [("HashAggregateMap", 1), ("HashAggregateReduce", 2)]]
    # over the plans, each task once: Ray's count of that name
    for prefix in ("HashAggregateMap", "HashAggregateReduce"):
        (name,) = [n for n in want if n.startswith(prefix)]
        assert sum(tasks for p in per_plan for n, tasks in p if n == prefix) == want[name]
        assert {n.name: n.calls for n in result.nodes}[name] == want[name]


def test_the_parquet_footer_readers_are_ray_datas_internals() -> None:
    # each read_parquet's ListFiles task starts 32 FooterReader actors, reads the footers
    # through some and ray.kills them all: 4 reads, 128 actors, which a user never wrote
    end = json.loads(gzip.decompress((GROUPBY / "state_truth.json.gz").read_bytes()))[
        "phases"]["end"]
    readers = [a for a in end["actors"] if a["class_name"] == "FooterReader"]
    assert len(readers) == 128
    view = result_of(GROUPBY)
    assert not [n for n in view.nodes if n.actor_id and "FooterReader" in n.name]
    assert "ListFiles" in {n.name for n in view.nodes}
    shown = analyze(read_capture(discover([str(GROUPBY)])), Options(internals=True))
    assert sum(1 for a in shown.actors if a.class_name == "FooterReader" and a.internal) == 128
    # their ends stay what they were: killed (or let go) on purpose, no failure
    assert not view.failures


def test_named_unlabelled_tasks_by_the_dataset_running_when_submitted(tmp_path: Path) -> None:
    # a name Ray Data runs tasks under without the label, an operator's in three datasets:
    # two tasks before ds_a's end, one before ds_b's; ds_c ran none (a count answered from
    # its metadata) and counts none; a user's function under that name is left alone
    name = "HashAggregateMap(key_columns=('k',), num_partitions=2)"
    plans = [_plan("ds_a", 2.0, (name, [], [])), _plan("ds_b", 3.0, (name, [], []), start=2.1),
             _plan("ds_c", 4.0, (name, [], []), start=3.1)]
    fn = "ray.data._internal.execution.operators.shuffle_operators.shuffle_tasks." \
        "_shuffle_map_task"
    tasks = driver()
    for n, (f, t) in enumerate([(fn, 1.2e9), (fn, 1.5e9), (fn, 2.5e9), ("mine.work", 3.5e9)]):
        tasks += [submitted(task_id(n), f, t=int(t)),
                  executed(task_id(n), name, start=int(t) + 10, end=int(t) + 20)]
    session = write_session(tmp_path, tasks, {"EXPORT_DATASET_METADATA": plans})
    result = result_of(session)
    assert {n.name: n.calls for n in result.nodes if n.name != "main"} == {name: 4}
    assert [[o.tasks for o in d.operators] for d in sorted(
        result.datasets, key=lambda d: d.id)] == [[2], [1], [0]]
