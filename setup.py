"""Only the native extensions: every other piece of metadata is in pyproject.toml.

They are optional: without a C compiler the package installs without them and each one's
loader (flowinsight/read/native.py, flowinsight/pipeline/records_native.py,
flowinsight/pipeline/native.py) reports it unavailable, so the Python code runs instead.
"""

from pathlib import Path

from setuptools import Extension, setup


def native(module: str, folder: str) -> Extension:
    """One extension: every .c file of `folder`. It depends on every header of the package: the
    records fold the reader's batches through task_batch.h, so one extension's header can
    change another's build."""
    root = Path(folder)
    headers = sorted(str(p) for p in Path("flowinsight").glob("*/**/*.h"))
    return Extension(module, sorted(str(p) for p in root.glob("*.c")),
                     depends=headers, optional=True,
                     extra_compile_args=["-O2"])


setup(ext_modules=[
    native("flowinsight.read._taskline", "flowinsight/read/taskline"),
    native("flowinsight.pipeline._sweep", "flowinsight/pipeline/sweep"),
    native("flowinsight.pipeline._records", "flowinsight/pipeline/records"),
])
