/* What flowinsight's C takes from CPython, in one place: its public C API, and the one guard on
   which CPythons it builds for.

   The C uses CPython's public C API only (no object internals: the records' fields are read and
   written through their member descriptors). It needs CPython 3.11 or later, the oldest it is
   built and tested on (flowinsight/switch.py: NATIVE_PYTHONS, the versions setup.py builds it
   for), with the GIL: the modules' state and the borrowed references they hold between calls
   into the API are guarded by nothing else. */

#ifndef FLOWINSIGHT_CPYTHON_H
#define FLOWINSIGHT_CPYTHON_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#if PY_VERSION_HEX < 0x030B0000 || defined(Py_GIL_DISABLED) || defined(PYPY_VERSION)
#error "flowinsight's C extensions need CPython 3.11 or later, with the GIL"
#endif

#endif
