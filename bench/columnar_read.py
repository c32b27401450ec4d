"""A prototype of issue 13's columnar read, measured: EXPORT_TASK lines decoded by msgspec into
column batches in forked workers (no flowinsight C), sent back as numpy arrays (pickle
protocol 5), and merged in the main process by an ordered group-by with the records' rules:
per (task, attempt), the first non-empty value of each field in file order, each state's
earliest time, each span name's first span. It builds the merged table only (no analysis), and
checks it against flowinsight's own records with --check.

    python bench/columnar_read.py bench/data/250mb [--jobs 2] [--check]
"""
from __future__ import annotations

import argparse
import base64
import concurrent.futures as cf
import multiprocessing
import os
import sys
import time
from typing import Any

import msgspec
import numpy as np
import orjson

from flowinsight.read import task_lines as TL
from flowinsight.read.discover import discover

UNSET = msgspec.UNSET
DECODE = msgspec.json.Decoder(TL._Envelope, strict=False)
SPANS = set(TL.TASK_SPANS)
STR_FIELDS = ("job", "func", "language", "actor", "node", "worker", "etype", "emsg",
              "component", "type")


def decode_files(paths: list[str]) -> dict[str, Any]:
    """One worker's batch: a row per EXPORT_TASK line, in file order."""
    lines: list[bytes] = []
    for p in paths:
        with open(p, "rb") as f:
            lines.extend(f.read().splitlines())
    # (the generated inputs hold EXPORT_TASK lines only: the prototype reads nothing else)
    events = [d for d in (e.event_data for e in map(DECODE.decode, lines)) if d is not None]
    info = [d.task_info for d in events]
    upd = [None if d.state_updates is UNSET else d.state_updates for d in events]
    prof = [None if d.profile_events is UNSET else d.profile_events for d in events]
    err = [None if u is None or u.error_info is UNSET else u.error_info for u in upd]
    cols: dict[str, list[Any]] = {
        "job": [d.job_id for d in events],
        "func": [None if i is None else i.func_or_class_name for i in info],
        "language": [None if i is None else i.language for i in info],
        "actor": [None if i is None else i.actor_id for i in info],
        "type": [None if i is None or i.type is None else i.type.value for i in info],
        "node": [None if u is None else u.node_id for u in upd],
        "worker": [None if u is None else u.worker_id for u in upd],
        "etype": [None if e is None else e.error_type for e in err],
        "emsg": [None if e is None else e.error_message for e in err],
        "component": [None if p is None else p.component_type for p in prof],
    }
    out: dict[str, Any] = {}
    for name, col in cols.items():  # dictionary-encoded: codes, and the values once
        seen: dict[Any, int] = {None: 0, "": 0}
        out[name] = (np.fromiter((seen.setdefault(v, len(seen) - 1) for v in col),
                                 np.int32, len(col)),
                     [v for v, c in sorted(seen.items(), key=lambda kv: kv[1])
                      if not (v == "" and c == 0)])
    tasks: dict[bytes, int] = {}
    out["task"] = (np.fromiter((tasks.setdefault(d.task_id, len(tasks)) for d in events),
                               np.int32, len(events)), list(tasks))
    nil = b"\xff" * 24
    out["parent"] = np.frombuffer(b"".join(
        (i.parent_task_id if i is not None and i.parent_task_id not in (None, nil)
         else b"\0" * 24) for i in info), "S24")
    out["attempt"] = np.fromiter((d.attempt_number for d in events), np.int64, len(events))
    out["pid"] = np.fromiter((-1 if u is None or u.worker_pid is UNSET else u.worker_pid
                              for u in upd), np.int64, len(events))
    # states: one row per (line, status, ns)
    s_row: list[int] = []
    s_key: list[str] = []
    s_ns: list[int] = []
    for i, u in enumerate(upd):
        if u is not None and u.state_ts_ns is not UNSET and u.state_ts_ns:
            s = u.state_ts_ns
            s_row += [i] * len(s)
            s_key += s.keys()
            s_ns += s.values()
    out["s_row"] = np.array(s_row, np.int64)
    out["s_key"] = np.array(s_key, np.int64).astype(np.int8)
    out["s_ns"] = np.array(s_ns, np.int64)
    # the spans the records keep
    p_row: list[int] = []
    p_name: list[str] = []
    p_ns: list[int] = []
    for i, profile in enumerate(prof):
        if profile is not None and profile.events is not UNSET:
            for e in profile.events:
                if e.event_name in SPANS or e.event_name.startswith("task::"):
                    p_row.append(i)
                    p_name.append(e.event_name)
                    p_ns += (e.start_time, e.end_time)
    names: dict[str, int] = {}
    out["p_row"] = np.array(p_row, np.int64)
    out["p_name"] = np.fromiter((names.setdefault(n, len(names)) for n in p_name), np.int32,
                                len(p_name))
    out["p_names"] = list(names)
    out["p_ns"] = np.array(p_ns, np.int64).reshape(-1, 2)
    out["n"] = len(events)
    return out


def concat(batches: list[dict[str, Any]]) -> dict[str, Any]:
    """The batches as one table, in file order, their dictionaries made one."""
    out: dict[str, Any] = {}
    for name in STR_FIELDS + ("p_name",):
        values: dict[Any, int] = {None: 0}
        parts = []
        for b in batches:
            codes, vals = (b[name], b["p_names"]) if name == "p_name" else b[name]
            start = 0 if name == "p_name" else 1
            remap = np.array(([0] if start else []) + [values.setdefault(v, len(values))
                                                       for v in vals[start:]], np.int32)
            parts.append(remap[codes] if len(remap) else codes)
        vals = list(values)
        if name in ("job", "actor", "node", "worker"):  # ids: base64 in the log, hex kept,
            # converted once per distinct value, not per line
            vals = [v if v is None else base64.b64decode(v).hex() for v in vals]
        out[name] = (np.concatenate(parts), vals)
    offsets = np.cumsum([0] + [b["n"] for b in batches[:-1]])
    ids: dict[bytes, int] = {}
    out["task"] = (np.concatenate([np.array([ids.setdefault(v, len(ids)) for v in b["task"][1]],
                                            np.int64)[b["task"][0]] for b in batches]),
                   list(ids))
    for name in ("parent", "attempt", "pid", "s_key", "s_ns", "p_ns"):
        out[name] = np.concatenate([b[name] for b in batches])
    for name in ("s_row", "p_row"):
        out[name] = np.concatenate([b[name] + off for b, off in zip(batches, offsets)])
    return out


def first_of(codes: np.ndarray, order: np.ndarray, group: np.ndarray, n_groups: int,
             empty: int = 0) -> np.ndarray:
    """Per group, the first value that is not `empty`, in `order` (file order within groups)."""
    c = codes[order]
    ok = np.nonzero(c != empty)[0]
    out = np.full(n_groups, empty, codes.dtype)
    g, at = np.unique(group[ok], return_index=True)
    out[g] = c[ok[at]]
    return out


def merge(t: dict[str, Any]) -> dict[str, Any]:
    """The ordered group-by: one row per (task, attempt)."""
    task, ids = t["task"]
    n = len(task)
    # by task (in order first seen) and attempt; lexsort is stable: file order within each
    order = np.lexsort((t["attempt"], task))
    k, a = task[order], t["attempt"][order]
    new = np.ones(n, bool)
    new[1:] = (k[1:] != k[:-1]) | (a[1:] != a[:-1])
    group = np.cumsum(new) - 1
    n_groups = int(group[-1]) + 1 if n else 0
    heads = order[new]
    out: dict[str, Any] = {"task": (task[heads], ids), "attempt": t["attempt"][heads],
                           "n": n_groups}
    for name in STR_FIELDS:
        codes, values = t[name]
        out[name] = (first_of(codes, order, group, n_groups), values)
    pz = t["parent"][order] != b"\0" * 24
    parent = np.full(n_groups, b"\0" * 24, "S24")
    idx = np.nonzero(pz)[0]
    g, at = np.unique(group[idx], return_index=True)
    parent[g] = t["parent"][order][idx[at]]
    out["parent"] = parent
    out["pid"] = first_of(t["pid"], order, group, n_groups, -1)
    row_group = np.empty(n, np.int64)
    row_group[order] = group
    # each state's earliest time
    sg = row_group[t["s_row"]]
    o = np.lexsort((t["s_ns"], t["s_key"], sg))
    sg, sk, sn = sg[o], t["s_key"][o], t["s_ns"][o]
    first = np.ones(len(o), bool)
    first[1:] = (sg[1:] != sg[:-1]) | (sk[1:] != sk[:-1])
    out["states"] = (sg[first], sk[first], sn[first])
    # each span name's first span, in file order
    pg = row_group[t["p_row"]]
    o = np.lexsort((np.arange(len(pg)), t["p_name"][0], pg))
    pg, pn, pns = pg[o], t["p_name"][0][o], t["p_ns"][o]
    first = np.ones(len(o), bool)
    first[1:] = (pg[1:] != pg[:-1]) | (pn[1:] != pn[:-1])
    out["spans"] = (pg[first], pn[first], pns[first], t["p_name"][1])
    return out


def groups_of(paths: list[str], jobs: int) -> list[list[str]]:
    """Consecutive files, about 16 MB each, as the reader cuts them."""
    groups: list[list[str]] = [[]]
    size = 0
    for p in paths:
        if size > 16e6:
            groups.append([])
            size = 0
        groups[-1].append(p)
        size += os.path.getsize(p)
    return [g for g in groups if g]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("path")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    paths = [str(s.path) for s in discover((args.path,), False)
             if "EXPORT_TASK" in s.path.name]
    wall, cpu = time.perf_counter(), time.process_time()
    ctx = multiprocessing.get_context("fork")
    with cf.ProcessPoolExecutor(args.jobs, mp_context=ctx) as pool:
        batches = list(pool.map(decode_files, groups_of(paths, args.jobs)))
    read_wall, read_cpu = time.perf_counter() - wall, time.process_time() - cpu
    children = os.times()
    t = concat(batches)
    merged = merge(t)
    total = time.perf_counter() - wall
    print(f"{len(paths)} files, {len(t['attempt']):,} lines -> {merged['n']:,} attempts")
    print(f"read in workers: {read_wall:.2f} s wall, workers' CPU "
          f"{children.children_user + children.children_system:.2f} s, main {read_cpu:.2f} s")
    print(f"concat + merge in main: {total - read_wall:.2f} s; total {total:.2f} s")
    if args.check:
        check(args.path, merged)
    return 0


def check(path: str, m: dict[str, Any]) -> None:
    """Every attempt's fields against flowinsight's own records of the same input."""
    from flowinsight.library import read_logs
    from flowinsight.pipeline.tasks import unpack_int64s
    tasks = read_logs(path).reduced.tasks
    states: dict[int, dict[int, int]] = {}
    for g, k, ns in zip(*m["states"]):
        states.setdefault(int(g), {})[int(k)] = int(ns)
    spans: dict[int, dict[str, tuple[int, int]]] = {}
    gs, ns_, se, names = m["spans"]
    for g, n, (s, e) in zip(gs, ns_, se):
        spans.setdefault(int(g), {})[names[n]] = (int(s), int(e))
    val = {f: (m[f][0], m[f][1]) for f in STR_FIELDS}
    bad = 0
    for i in range(m["n"]):
        task_id = m["task"][1][m["task"][0][i]].hex()
        task = tasks[task_id]
        att = task.attempt(int(m["attempt"][i]))
        assert att is not None
        got = {f: val[f][1][val[f][0][i]] or "" for f in ("node", "worker", "etype", "emsg",
                                                           "component", "job", "actor")}
        want = {"node": att.node_id, "worker": att.worker_id, "etype": att.error_type,
                "emsg": att.error_message, "component": att.component_type,
                "job": task.job_id, "actor": task.actor_id}
        pid = int(m["pid"][i])
        ok = (got == want and (None if pid == -1 else pid) == att.worker_pid
              and states.get(i, {}) == att.states()
              and spans.get(i, {}) == dict(zip(att.span_names, zip(
                  *[iter(unpack_int64s(att.span_ns))] * 2)))
              and (m["parent"][i:i + 1].tobytes().hex() if m["parent"][i] else "")
              == task.parent_task_id)
        if not ok:
            bad += 1
            if bad < 4:
                print("differs:", task_id, int(m["attempt"][i]), got, want)
    print(f"checked {m['n']:,} attempts against flowinsight's records: {bad} differ")


if __name__ == "__main__":
    sys.exit(main())
