"""Function descriptors in every shape of schema 2.3; type decides method vs function."""

from __future__ import annotations

import pytest

from flowinsight.model.events import FunctionRef, TaskType
from flowinsight.read.descriptor import language_of_descriptor, parse_descriptor

N, A, C = TaskType.NORMAL, TaskType.ACTOR, TaskType.ACTOR_CREATION


@pytest.mark.parametrize(("text", "task_type", "expected"), [
    ("{type=PythonFunctionDescriptor, module_name=__main__, class_name=Stage, "
     "function_name=put_packet, function_hash=ab}", A, FunctionRef("__main__", "Stage", "put_packet")),
    ("{type=PythonFunctionDescriptor, module_name=pkg.sub, class_name=, function_name=f, "
     "function_hash=}", N, FunctionRef("pkg.sub", "", "f")),
    ("{type=PythonFunctionDescriptor, module_name=m, class_name=Stage, function_name=__init__, "
     "function_hash=}", C, FunctionRef("m", "Stage", "__init__")),
    ("{type=JavaFunctionDescriptor, class_name=io.ray.demo.Counter, function_name=increment, "
     "signature=()I}", A, FunctionRef("io.ray.demo", "Counter", "increment")),
    ("{type=JavaFunctionDescriptor, class_name=io.ray.demo.Echo, function_name=echo, "
     "signature=(Ljava/lang/String;)Ljava/lang/String;}", N, FunctionRef("io.ray.demo.Echo", "", "echo")),
    ("{type=CppFunctionDescriptor, function_name=Plus1, caller=, class_name=Counter}", A,
     FunctionRef("", "Counter", "Plus1")),
    ("{type=CppFunctionDescriptor, function_name=Plus1, caller=a, b, class_name=}", N,
     FunctionRef("", "", "Plus1")),
    ("module.Class.method", A, FunctionRef("module", "Class", "method")),
    ("pkg.sub.func", N, FunctionRef("pkg.sub", "", "func")),  # not a method: the type says so
    ("a.b.c.d.func", N, FunctionRef("a.b.c.d", "", "func")),
    ("io.ray.test.TestActor.method", A, FunctionRef("io.ray.test", "TestActor", "method")),
    ("io.ray.test.TestActor.<init>", C, FunctionRef("io.ray.test", "TestActor", "<init>")),
    ("Counter::Plus1", A, FunctionRef("", "Counter", "Plus1")),
    ("Plus1", N, FunctionRef("", "", "Plus1")),
    ("f", N, FunctionRef("", "", "f")),  # Export API func_or_class_name
    ("Stage.put_packet", A, FunctionRef("", "Stage", "put_packet")),
    ("Stage.__init__", C, FunctionRef("", "Stage", "__init__")),
    ("app.Stage", C, FunctionRef("app", "Stage", "__init__")),
])
def test_parse(text: str, task_type: TaskType, expected: FunctionRef) -> None:
    assert parse_descriptor(text, task_type) == expected


def test_driver_is_main() -> None:
    assert parse_descriptor("", TaskType.DRIVER) == FunctionRef("", "", "main")


def test_language_from_descriptor_type() -> None:
    assert language_of_descriptor("{type=JavaFunctionDescriptor, class_name=x}") == "JAVA"
    assert language_of_descriptor("{type=CppFunctionDescriptor, function_name=x}") == "CPP"
    assert language_of_descriptor("mod.f") == ""
