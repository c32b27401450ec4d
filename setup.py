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


NATIVE = Path("flowinsight") / "native"


def native(module: str, sources: str) -> Extension:
    """One extension: these .c files of flowinsight/native/. It depends on every header there:
    the records fold the reader's batches through task_batch.h, so one extension's header can
    change another's build."""
    headers = sorted(str(p) for p in NATIVE.glob("*.h"))
    return Extension(module, [str(NATIVE / name) for name in sources.split()],
                     depends=headers, optional=True,
                     extra_compile_args=["-O2"])


# All the C is in flowinsight/native/, one flat folder; each file belongs to one extension.
EXTENSIONS = [
    native("flowinsight.read._taskline",
           "taskline_module.c batch.c buffer.c decode.c digests.c fields.c json_scan.c"
           " objects.c skipped.c spans.c strings.c"),
    native("flowinsight.pipeline._sweep",
           "sweep_module.c aggregates.c critical.c critical_runs.c facts.c rows.c slots.c"
           " sweep.c"),
    native("flowinsight.pipeline._records",
           "records_module.c attempts.c blob_read.c blob_tables.c blob_write.c checks.c"
           " merge_tables.c merge_updates.c shared.c"),
]

if not SWITCH["native_supported"]():
    oldest, newest = SWITCH["NATIVE_PYTHONS"]
    print(f"flowinsight: the C extensions are built for CPython {oldest[0]}.{oldest[1]}-"
          f"{newest[0]}.{newest[1]} with the GIL (the versions tested), not "
          f"{sys.implementation.name} {sys.version.split()[0]}{getattr(sys, 'abiflags', '')}: "
          "not building them (the Python code runs instead)", file=sys.stderr)
    EXTENSIONS = []

setup(ext_modules=EXTENSIONS)
