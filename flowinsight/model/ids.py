"""Ray id layouts (schema section 3): conversions and what an id's bytes reveal.

Readers use these to normalise ids to lowercase hex; the pipeline uses them to infer
facts a lossy capture no longer states (a task's job, actor, or an object's creator).
"""

from __future__ import annotations

import base64
import binascii
from functools import lru_cache

from flowinsight.model.events import TaskType

JOB_HEX = 8
ACTOR_HEX = 32
TASK_HEX = 48
OBJECT_HEX = 56
NODE_HEX = 56
WORKER_HEX = 56


def is_nil(hex_id: str) -> bool:
    """Empty and all-`ff` ids mean "none"."""
    return not hex_id or hex_id.strip("f") == ""


@lru_cache(maxsize=1 << 16)
def checked_hex_id(value: str, length: int) -> str | None:
    """A hex id of exactly `length` chars, lowercased; "" when empty or nil; None when it is not
    hex or has the wrong length for its kind (an id cut short or padded would otherwise name a
    node or an actor that never existed). Cached: the same ids recur on many lines."""
    if not value:
        return ""
    # isalnum: bytes.fromhex would also accept spaces inside the id
    if len(value) != length or not value.isalnum():
        return None
    low = value.lower()
    try:
        bytes.fromhex(low)
    except ValueError:
        return None
    return "" if is_nil(low) else low


@lru_cache(maxsize=1 << 16)
def checked_b64_id(value: str, length: int) -> str | None:
    """The same for an id in standard base64 (the Export API's spelling)."""
    if not value:
        return ""
    try:
        out = base64.b64decode(value, validate=True).hex()
    except (binascii.Error, ValueError):
        return None
    if len(out) != length:
        return None
    return "" if is_nil(out) else out


def job_of_task(task_id: str) -> str:
    """Every TaskID ends with its JobID."""
    return task_id[-JOB_HEX:] if len(task_id) == TASK_HEX else ""


def driver_task_id(job_id: str) -> str:
    return "f" * (TASK_HEX - JOB_HEX) + job_id


_DRIVER_PREFIX = "f" * (TASK_HEX - JOB_HEX)


def is_driver_task(task_id: str) -> bool:
    return len(task_id) == TASK_HEX and task_id.startswith(_DRIVER_PREFIX)


def actor_of_task(task_id: str) -> str:
    """The ActorID embedded in an actor task or actor creation task id, else ""."""
    if len(task_id) != TASK_HEX or is_driver_task(task_id):
        return ""
    unique = task_id[16 : TASK_HEX - JOB_HEX]
    if unique.strip("f") == "":
        return ""  # a normal task: ff x 12 where the actor would be
    return task_id[16:]


def is_actor_creation_task(task_id: str) -> bool:
    return bool(actor_of_task(task_id)) and task_id[:16].strip("f") == ""


def creator_task_of_object(object_id: str) -> str:
    """The first 24 bytes of an ObjectID: the TaskID it was made under. A task's return is made
    under the task's own id; a put (ray.put, or an object the core worker makes for the caller,
    as a placement group's ready()) under the id of the putting task's execution attempt
    (TaskID::ForExecutionAttempt, src/ray/common/id.cc), which is not a task's: see
    attempt_key and putter_by_layout."""
    return object_id[:TASK_HEX] if len(object_id) == OBJECT_HEX else ""


def attempt_key(task_id: str) -> str:
    """What a TaskID shares with the ids of its execution attempts: all but its first byte.
    TaskID::ForExecutionAttempt clears the low byte of the id's first 8 bytes (little-endian:
    the first byte) and adds the attempt number; the put objects of a task are made under that
    id (CoreWorker::Put: ObjectID::FromIndex(GetCurrentInternalTaskId(), put index))."""
    return task_id[2:]


def putter_by_layout(prefix: str) -> str:
    """The task whose execution-attempt id `prefix` is, where its layout tells: a driver's and
    an actor creation task's unique bytes are all ff (TaskID::ForDriverTask,
    ForActorCreationTask), so `NN ff*7 <actor or nil actor> <job>` with NN not ff is one of
    their attempts (NN: the attempt number). "" otherwise (a normal or actor task's unique
    bytes are a hash: only the known tasks can tell, by attempt_key)."""
    if len(prefix) != TASK_HEX or prefix.startswith("ff") or prefix[2:16].strip("f"):
        return ""
    return "ff" + prefix[2:]


def short(hex_id: str, n: int = 6) -> str:
    """A short id for labels; the unique bytes lead in actor ids."""
    return hex_id[:n]


def infer_task_type(task_id: str) -> TaskType:
    """A task's type from its id layout alone, for tasks whose definition was lost. The same
    answers as is_driver_task, is_actor_creation_task and actor_of_task, with each part of the
    id looked at once (this runs for every execution record)."""
    if len(task_id) != TASK_HEX:
        return TaskType.NORMAL
    unique_is_nil = task_id[:16].strip("f") == ""
    if task_id[16 : TASK_HEX - JOB_HEX].strip("f") == "":  # no actor in the id
        return TaskType.DRIVER if unique_is_nil else TaskType.NORMAL
    return TaskType.ACTOR_CREATION if unique_is_nil else TaskType.ACTOR
