"""Only the native extensions: every other piece of metadata is in pyproject.toml.

They are optional: without a C compiler the package installs without them and each one's
loader (flowinsight/read/native.py, flowinsight/pipeline/records_native.py,
flowinsight/pipeline/native.py) reports it unavailable, so the Python code runs instead. They
are built only on the Pythons they are tested on (flowinsight/switch.py: native_supported);
on any other the package installs as pure Python.
"""

import runpy
import sys
from pathlib import Path

from setuptools import Extension, setup

HERE = Path(__file__).resolve().parent
# switch.py imports only the standard library, so it runs here without the package's
# dependencies (the build's isolated environment has none of them)
SWITCH = runpy.run_path(str(HERE / "flowinsight" / "switch.py"))


def native(module: str, folder: str) -> Extension:
    """One extension: every .c file of `folder`. It depends on every header of the package: the
    records fold the reader's batches through task_batch.h, so one extension's header can
    change another's build."""
    root = Path(folder)
    headers = sorted(str(p) for p in Path("flowinsight").glob("*/**/*.h"))
    return Extension(module, sorted(str(p) for p in root.glob("*.c")),
                     depends=headers, optional=True,
                     extra_compile_args=["-O2"])


EXTENSIONS = [
    native("flowinsight.read._taskline", "flowinsight/read/taskline"),
    native("flowinsight.pipeline._sweep", "flowinsight/pipeline/sweep"),
    native("flowinsight.pipeline._records", "flowinsight/pipeline/records"),
]

if not SWITCH["native_supported"]():
    oldest, newest = SWITCH["NATIVE_PYTHONS"]
    print(f"flowinsight: the C extensions are built for CPython {oldest[0]}.{oldest[1]}-"
          f"{newest[0]}.{newest[1]} with the GIL (the versions tested), not "
          f"{sys.implementation.name} {sys.version.split()[0]}{getattr(sys, 'abiflags', '')}: "
          "not building them (the Python code runs instead)", file=sys.stderr)
    EXTENSIONS = []

setup(ext_modules=EXTENSIONS)
