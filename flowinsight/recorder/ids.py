"""Hex id helpers: Ray object ids of task returns and the ids the recorder gives by-value arguments.

An ObjectID is a 24-byte TaskID followed by a 4-byte little-endian index. Ray numbers a task's
return values 1..n and its puts from 100,000,001 up. An argument passed by value has no Ray id
at all, so the recorder names it after the task it is passed to, with an index in a range Ray
never hands out (0xF0000000 + argument position): submitter and executor can both compute it.
"""

from __future__ import annotations

TASK_ID_HEX_LEN = 48
BY_VALUE_ARG_INDEX_BASE = 0xF0000000
_MAX_ARG_INDEX = 0x0FFFFFFF
_ACTOR_CREATION_PREFIX = "f" * 16


def index_suffix(index: int) -> str:
    return index.to_bytes(4, "little").hex()


# Precomputed for the common small positions: these are on every task's path.
_RETURN_SUFFIXES = tuple(index_suffix(position + 1) for position in range(64))
_ARG_SUFFIXES = tuple(index_suffix(BY_VALUE_ARG_INDEX_BASE + i) for i in range(64))


def return_object_id(task_id_hex: str, position: int) -> str:
    """The id of a task's return value at 0-based `position` (Ray counts returns from 1)."""
    if position < 64:
        return task_id_hex + _RETURN_SUFFIXES[position]
    return task_id_hex + index_suffix(position + 1)


def by_value_arg_id(target_task_id_hex: str, arg_index: int) -> str:
    """The recorder's id for argument `arg_index` passed by value to `target_task_id_hex`."""
    if arg_index < 64:
        return target_task_id_hex + _ARG_SUFFIXES[arg_index]
    return target_task_id_hex + index_suffix(BY_VALUE_ARG_INDEX_BASE + (arg_index & _MAX_ARG_INDEX))


def is_by_value_arg_id(object_id_hex: str) -> bool:
    return len(object_id_hex) == TASK_ID_HEX_LEN + 8 and object_id_hex.endswith("f0")


def is_nil(id_hex: str) -> bool:
    """Ray writes nil ids as all `f`."""
    return not id_hex.strip("f")


def is_actor_creation_task(task_id_hex: str) -> bool:
    """Actor creation task ids are 8 bytes of 0xff followed by the ActorID."""
    return task_id_hex.startswith(_ACTOR_CREATION_PREFIX) and not is_nil(task_id_hex)
