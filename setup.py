"""Only the native extensions: every other piece of metadata is in pyproject.toml.

They are optional: without a C compiler the package installs without them and each one's
loader (flowinsight/read/native.py, flowinsight/pipeline/records_native.py,
flowinsight/pipeline/native.py) reports it unavailable, so the Python code runs instead.
"""

from pathlib import Path

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "flowinsight.read._taskline",
            sorted(str(p) for p in Path("flowinsight/read/taskline").glob("*.c")),
            depends=["flowinsight/read/taskline/taskline.h"],
            optional=True,
            extra_compile_args=["-O2"],
        ),
        Extension(
            "flowinsight.pipeline._sweep",
            sorted(str(p) for p in Path("flowinsight/pipeline/sweep").glob("*.c")),
            depends=["flowinsight/pipeline/sweep/sweep.h"],
            optional=True,
            extra_compile_args=["-O2"],
        ),
        Extension(
            "flowinsight.pipeline._records",
            sorted(str(p) for p in Path("flowinsight/pipeline/records").glob("*.c")),
            depends=["flowinsight/pipeline/records/records.h"],
            optional=True,
            extra_compile_args=["-O2"],
        ),
    ]
)
