"""Function descriptors in every shape of schema 2.3, parsed into a FunctionRef.

Whether a task is an actor method or a plain function comes from its task type, never from
counting dots: `pkg.sub.func` is a plain function with a two-part module.
"""

from __future__ import annotations

import re
from functools import lru_cache

from flowinsight.model.events import FunctionRef, TaskType

_CONSTRUCTORS = ("__init__", "<init>")
# `key=value` pairs of FunctionDescriptor::ToString(); values may hold commas, keys may not.
_PAIR_SPLIT = re.compile(r",\s*(?=[A-Za-z_]\w*=)")


def parse_descriptor(text: str, task_type: TaskType) -> FunctionRef:
    text = text.strip()
    if task_type is TaskType.DRIVER:
        return FunctionRef("", "", "main")
    if text.startswith("{") and text.endswith("}"):
        return _from_tostring(text[1:-1], task_type)
    return _from_path(text, task_type)


# The same few descriptors recur on every line of a session; FunctionRef is immutable, so one
# parsed value can be shared.
parse_descriptor_cached = lru_cache(maxsize=1 << 12)(parse_descriptor)


def language_of_descriptor(text: str) -> str:
    """The language named by a ToString() descriptor's type, else ""."""
    for lang, marker in (("JAVA", "JavaFunctionDescriptor"), ("CPP", "CppFunctionDescriptor"),
                         ("PYTHON", "PythonFunctionDescriptor")):
        if marker in text:
            return lang
    return ""


def _from_tostring(body: str, task_type: TaskType) -> FunctionRef:
    fields: dict[str, str] = {}
    for part in _PAIR_SPLIT.split(body):
        key, sep, value = part.partition("=")
        if sep:
            fields[key.strip()] = value.strip()
    kind = fields.get("type", "")
    module = fields.get("module_name", "")
    class_name = fields.get("class_name", "")
    function = fields.get("function_name", "")
    if kind.startswith("Java"):
        package, _, simple = class_name.rpartition(".")
        if task_type is TaskType.NORMAL:
            return FunctionRef(class_name, "", function)
        return FunctionRef(package, simple, function)
    if kind.startswith("Cpp"):
        function = function.lstrip("&")
        if "::" in function:
            owner, _, function = function.rpartition("::")
            class_name = class_name or owner
        if task_type is TaskType.NORMAL:
            return FunctionRef("", "", function)
        return FunctionRef("", class_name, function)
    if task_type is TaskType.NORMAL:
        return FunctionRef(module, "", function)
    if task_type is TaskType.ACTOR_CREATION and not class_name:
        class_name = function
    return FunctionRef(module, class_name, function)


def _from_path(text: str, task_type: TaskType) -> FunctionRef:
    separator = "::" if "::" in text else "."
    parts = text.lstrip("&").split(separator)
    name = parts[-1]
    if task_type is TaskType.NORMAL:
        return FunctionRef(separator.join(parts[:-1]), "", name)
    if task_type is TaskType.ACTOR_CREATION and name not in _CONSTRUCTORS:
        # `module.Class` names the class itself
        return FunctionRef(separator.join(parts[:-1]), name, "__init__")
    class_name = parts[-2] if len(parts) >= 2 else ""
    return FunctionRef(separator.join(parts[:-2]), class_name, name)
