"""load_tasks_into on tables large enough for what only large tables meet (merge_tables.c):
its check of a blob's task ids (a table of their hashes, no set: many ids, ids whose hashes
collide in it, one id twice at two places of the blob's strings) and its lookups into the
table, prefetched a batch ahead through CPython's dict layout (tables that grow through several
resizes while pieces are merged, tables of str keys only and tables with another key, so with
either layout of entries). Each is held to the long way (load_tasks, then merge_task_tables):
the same records, the same order, the same values shared, the same error.
"""

from __future__ import annotations

import copy
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowinsight.pipeline import records_native
from flowinsight.pipeline.tasks import Attempt, FunctionRef, Task, TaskType
from flowinsight.switch import native_on

if not native_on():
    pytest.skip("FLOWINSIGHT_NATIVE=0: the native records are off", allow_module_level=True)

from flowinsight.pipeline import _records  # noqa: E402

from test_records_into import assert_same_each_way, refused_alike  # noqa: E402
from parity_support import snapshot  # noqa: E402

Table = dict[str, Task]


def record(task_id: str, seed: int) -> Task:
    rng = random.Random(seed)
    number = rng.randrange(3)
    attempt = Attempt(number, bytes([1 + rng.randrange(4)]), bytes(8), "n", "w",
                      1000 + rng.randrange(5))
    return Task(task_id, "j", rng.choice([None, TaskType.NORMAL]),
                rng.choice([None, FunctionRef("m", "", "f")]), "PYTHON",
                rng.choice(["", "p"]), "", rng.choice([None, float(seed)]), (attempt,))


def pieces(ids: list[str], count: int, seed: int) -> list[Table]:
    """`count` tables of records of `ids`, each id in one to three of them."""
    rng = random.Random(seed)
    out: list[Table] = [{} for _ in range(count)]
    for k, task_id in enumerate(ids):
        for i in rng.sample(range(count), min(count, 1 + rng.randrange(3))):
            out[i][task_id] = record(task_id, seed * 7919 + k * 31 + i)
    return out


@pytest.mark.long
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(1, 6000), count=st.integers(2, 6), seed=st.integers(0, 2**16),
       hex_ids=st.booleans())
def test_many_pieces_of_many_ids_merge_the_same(n: int, count: int, seed: int,
                                                hex_ids: bool) -> None:
    ids = [f"{k * 2654435761 % 2**32:032x}" if hex_ids else f"t{k}" for k in range(n)]
    parts = pieces(ids, count, seed)
    blobs = [_records.dump_tasks(p) for p in parts]
    first = blobs[0]
    # a table loaded from a blob (presized), one built key by key (str keys only), one with
    # another kind of key in it too
    assert_same_each_way(lambda: _records.load_tasks(first), blobs[1:])
    assert_same_each_way(lambda: dict(_records.load_tasks(first).items()), blobs[1:])
    assert_same_each_way(lambda: {**{0: None}, **_records.load_tasks(first)},  # type: ignore
                         blobs[1:])


def test_a_table_grown_from_empty_through_its_resizes() -> None:
    ids = [f"task-{k}" for k in range(20000)]
    blobs = [_records.dump_tasks(p) for p in pieces(ids, 8, 1)]
    into: Table = {}
    ref: Table = {}
    for blob in blobs:
        _records.load_tasks_into(into, blob)
        records_native.load_then_merge(ref, blob)
    assert list(into) == list(ref) and snapshot(into) == snapshot(ref)


def test_an_id_twice_among_many_is_refused_and_the_table_left_alone() -> None:
    ids = [f"t{k:05d}" for k in range(5000)]
    table = {i: record(i, k) for k, i in enumerate(ids)}
    blob = _records.dump_tasks(table)
    for at, to in ((4999, 0), (1, 2), (2500, 17)):
        # the same id at two places of the blob's strings: equal strs, not one index
        twice = blob.replace(ids[at].encode(), ids[to].encode())
        assert refused_alike(twice) == "not a records blob (dump_tasks): a task id twice"
        into = _records.load_tasks(_records.dump_tasks(pieces(ids, 2, 3)[0]))
        before = snapshot(into)
        with pytest.raises(ValueError, match="a task id twice"):
            _records.load_tasks_into(into, twice)
        assert snapshot(into) == before
    assert refused_alike(blob) is None


def test_ids_of_one_hash_slot_and_odd_strings() -> None:
    # ids that differ only late, non-ASCII ids, an empty id: all found, none taken as another
    ids = ["", "é", "\U0001f600", "a" * 200 + "x", "a" * 200 + "y"] \
        + [f"{'z' * 40}{k}" for k in range(300)]
    parts = pieces(ids, 3, 5)
    blobs = [_records.dump_tasks(p) for p in parts]
    assert_same_each_way(lambda: copy.deepcopy(parts[0]), blobs[1:])
    assert_same_each_way(lambda: _records.load_tasks(blobs[0]), blobs[1:])
