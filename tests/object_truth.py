"""flowinsight's data flows held to Ray's State API object by object: the objects a workload
listed while they were alive (tests/live/workloads/lib_objects.py, phase `objects` of
state_truth.json) against the flows flowinsight's own data_flows gives for each object alone.

What Ray's snapshot says of an object (dashboard/memory_utils.py: MemoryTableEntry, one row
per process holding a reference):
- its owner: the row whose `task_status` is not NIL (util/state/common.py: ObjectState, "NIL:
  ... we are not the owner"); the owner's `call_site` says how it was made, "(put object)" or
  "(task call)"/"(actor call)" (RAY_record_ref_creation_sites=1);
- its size, `object_size`: -1 while its owner does not know it yet (a call still running) and
  on some borrowers' rows (memory_utils: `objectSize` absent). The owner's (data and metadata,
  as ray.put and the recorder count it) is compared; an executor that pinned an inlined
  argument lists it without its metadata (seen 6 bytes less: b"PYTHON"), asserted as such;
- the processes that hold it (`pid`).
And the task list (`end` phase): each task's process (`worker_pid`, else its actor's pid) and
caller (`parent_task_id`).

The comparison, for each listed object that flowinsight has a put or a get of:
- producer: a call's return comes from the task whose id the object's id begins with
  (ObjectID::TaskId), which Ray lists; a put from a task run in the owner's process (ray.put
  makes its caller the owner); a driver's from the job's driver task (TaskID::ForDriverTask:
  the nil actor id of the job, `f` * 40 + job id), in the process list_workers calls DRIVER;
- bytes: each transfer exactly Ray's object_size, where Ray gives one;
- consumers: a task in a process that held the object (the owner reading a call's return, a
  borrower Ray lists), or submitted by one (the object given to it); those of which Ray's
  snapshot shows neither are counted apart (`unseen`): Ray records no reads, only holders at
  the moment listed. Conversely every borrower is a reader, a submitter of one, or the
  producer's executor (holding the returns it is reporting);
- an object nobody read (a call's result its caller left pending: RLlib's and Ray Data's
  fire-and-forget requests) has no flow, and only its owner holds it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flowinsight.library import analyse, read_logs
from flowinsight.model.events import ObjectGet, ObjectPut
from flowinsight.pipeline.graph import data_flows, object_creators
from flowinsight.result import DataFlow

PUT, CALLS = "(put object)", ("(task call)", "(actor call)")
# the lengths of the metadata Ray stores beside an object's data (ray/_private/ray_constants.py:
# OBJECT_METADATA_TYPE_PYTHON, _CROSS_LANGUAGE, _RAW)
TAGS = {len(b"PYTHON"), len(b"XLANG"), len(b"RAW")}


@dataclass(frozen=True)
class Checked:
    """What the comparison covered (each a count of listed objects) and what disagreed."""

    objects: int  # listed, not actor handles, with a put or a get in the capture
    sized: int  # of which Ray gave a size, compared byte for byte
    unread: tuple[str, ...]  # listed, made, never read: no flow
    seen: int  # transfers whose consumer ran in, or was submitted by, a process holding it
    # (object, consumer task) of the transfers whose consumer's process held nothing when
    # Ray listed the object, nor submitted it: Ray records no reads
    unseen: tuple[tuple[str, str], ...]
    problems: tuple[str, ...]


def per_object(session: Path) -> tuple[dict[str, list[ObjectPut]], dict[str, list[ObjectGet]],
                                       dict[str, tuple[DataFlow, ...]]]:
    """The capture's puts and gets by object id, and the flows graph.data_flows makes of each
    object alone, between task ids (node_of: the task id itself)."""
    reading = read_logs(session, jobs=1)
    puts: dict[str, list[ObjectPut]] = defaultdict(list)
    gets: dict[str, list[ObjectGet]] = defaultdict(list)
    for put in reading.reduced.puts:
        puts[put.object_id].append(put)
    for get in reading.reduced.gets:
        gets[get.object_id].append(get)
    known = {a.task_id for a in analyse(reading, internals=True).attempts}
    creator = object_creators(known)
    flows = {oid: data_flows(puts.get(oid, ()), gets.get(oid, ()), lambda t: t, None, creator)
             for oid in set(puts) | set(gets)}
    return puts, gets, flows


def compare(phases: dict[str, Any], session: Path) -> Checked:
    end = phases["end"]
    tasks = {t["task_id"]: t for t in end["tasks"]}
    actor_pid = {a["actor_id"]: a["pid"] for a in end["actors"]}
    (job,) = [j["job_id"] for j in end["jobs"] if j["type"] == "DRIVER"]
    driver = "f" * 40 + job
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in phases["objects"]["objects"]:
        if row["reference_type"] != "ACTOR_HANDLE":
            rows[row["object_id"]].append(row)
    (driver_pid,) = [w["pid"] for w in end["workers"] if w["worker_type"] == "DRIVER"]

    def pid_of(task_id: str) -> int | None:
        if task_id == driver:
            return int(driver_pid)
        task = tasks.get(task_id)
        if task is None:
            return None
        return task["worker_pid"] or actor_pid.get(task["actor_id"] or "")

    puts, gets, flows = per_object(session)
    problems: list[str] = []
    objects = sized = seen = 0
    unread: list[str] = []
    unseen: list[tuple[str, str]] = []
    for oid, listed in sorted(rows.items()):
        if oid not in puts and oid not in gets:
            continue
        objects += 1
        found = flows.get(oid, ())
        owners = [r for r in listed if r["task_status"] != "NIL"]  # one a reference type
        owner_pids = {r["pid"] for r in owners}
        holders = {r["pid"] for r in listed}
        sizes = {r["object_size"] for r in owners or listed if r["object_size"] >= 0}
        say = f"{oid}: flowinsight {[(f.source, f.target, f.count, f.bytes) for f in found]}," \
              f" Ray {[(r['pid'], r['object_size'], r['reference_type'], r['task_status'], r['call_site'][:14]) for r in listed]}:"
        if len(owner_pids) > 1 or len(sizes) > 1:
            problems.append(f"{say} more than one owner or size in Ray's rows")
            continue
        less = {size - r["object_size"] for size in sizes for r in listed
                if r["object_size"] >= 0} - {0}
        if not less <= TAGS:
            problems.append(f"{say} a borrower's size neither its owner's nor without metadata")
        if not found:
            unread.append(oid)
            if gets.get(oid) or len(owner_pids) != 1 or holders != owner_pids:
                problems.append(f"{say} no flow, and read or held by a borrower")
            continue
        producers = {f.source for f in found}
        if len(producers) != 1:
            problems.append(f"{say} more than one producer")
            continue
        (producer,) = producers
        made = {r["call_site"].split(")")[0] + ")" for r in owners}
        if made == {PUT}:
            if {pid_of(producer)} != owner_pids:
                problems.append(f"{say} a put from a task outside its owner's process")
        elif producer != oid[:48] or producer not in tasks:  # a call's, or seen by borrowers
            problems.append(f"{say} not from the task Ray lists under the object's id")
        if sizes:
            sized += 1
            (size,) = sizes
            if any(f.bytes != f.count * size or f.unsized for f in found):
                problems.append(f"{say} bytes other than Ray's object_size")
        readers: set[int | None] = set()
        for flow in found:
            parent = tasks.get(flow.target, {}).get("parent_task_id") or ""
            here = {pid_of(flow.target), pid_of(parent)}
            readers |= here | {pid_of(producer)}
            if here & holders:
                seen += 1
            else:
                unseen.append((oid, flow.target))
        borrowers = holders - owner_pids
        if not borrowers <= readers:
            problems.append(f"{say} borrowed by {sorted(borrowers - readers)}, which read "
                            "nothing of it and passed it to no reader")
    return Checked(objects, sized, tuple(unread), seen, tuple(unseen), tuple(problems))


def block_reads(phases: dict[str, Any], checked: Checked) -> int:
    """How many of the unseen transfers are a Train worker reading a dataset block: a return of
    a Ray Data task (its id in the task list, named after the dataset's operators) read in a
    RayTrainWorker's process. Any other unseen transfer: ValueError."""
    end = phases["end"]
    tasks = {t["task_id"]: t for t in end["tasks"]}
    workers = {a["actor_id"] for a in end["actors"] if a["class_name"] == "RayTrainWorker"}
    for oid, reader in checked.unseen:
        made = tasks.get(oid[:48], {})
        if made.get("type") != "NORMAL_TASK" or "MapBatches" not in made.get("name", "") \
                or tasks.get(reader, {}).get("actor_id") not in workers:
            raise ValueError(f"{oid} read by {reader}: not a Train worker reading a block")
    return len(checked.unseen)


def made_by(phases: dict[str, Any], object_ids: tuple[str, ...]) -> list[str]:
    """The names Ray lists for the tasks whose returns these are (ObjectID::TaskId)."""
    tasks = {t["task_id"]: t["name"] for t in phases["end"]["tasks"]}
    return sorted(tasks.get(oid[:48], "?") for oid in object_ids)
