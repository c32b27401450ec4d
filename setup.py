"""Only the native extensions: every other piece of metadata is in pyproject.toml.

They are optional: without a C compiler the package installs without them and each one's
loader (flowinsight/read/native.py, flowinsight/pipeline/records_native.py,
flowinsight/pipeline/native.py) reports it unavailable, so the Python code runs instead.
"""

from pathlib import Path

from setuptools import Extension, setup


def native(module: str, folder: str) -> Extension:
    """One extension: every .c file of `folder`, around its one header (named after it)."""
    root = Path(folder)
    return Extension(module, sorted(str(p) for p in root.glob("*.c")),
                     depends=[str(root / f"{root.name}.h")], optional=True,
                     extra_compile_args=["-O2"])


setup(ext_modules=[
    native("flowinsight.read._taskline", "flowinsight/read/taskline"),
    native("flowinsight.pipeline._sweep", "flowinsight/pipeline/sweep"),
    native("flowinsight.pipeline._records", "flowinsight/pipeline/records"),
])
