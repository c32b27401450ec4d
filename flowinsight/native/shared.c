/* Values that recur, stored once as tasks.py stores them: its `_SHARED` (tasks.shared) and
   `_GROWN` tables, with a small table in front of `_GROWN` keyed by identity. */

#include "records.h"

/* tasks.shared(value): the one stored copy of an equal value. New reference. */
PyObject *fr_shared(PyObject *value)
{
    /* tasks.shared: str and int only (0 == False == 0.0 would share one key) */
    if (!PyUnicode_CheckExact(value) && !PyLong_CheckExact(value))
        return Py_NewRef(value);
    PyObject *found = PyDict_GetItemWithError(SHARED, value);
    if (found)
        return Py_NewRef(found);
    if (PyErr_Occurred())
        return NULL;
    if (PyDict_GET_SIZE(SHARED) < MAX_SHARED && PyDict_SetItem(SHARED, value, value) < 0)
        return NULL;
    return Py_NewRef(value);
}

/* `_GROWN.get((prev, added))`, else make(prev, added) stored by `_grown`: tasks.py's way of
   storing a grown value once. Before the dict, a table keyed by the identity of `prev` and
   `added` (it holds them, so an address is never another object's). New reference. */
#define CACHE_SLOTS 4096
typedef struct {
    PyObject *prev, *added, *value;
} Grown;
static Grown STATE_CACHE[CACHE_SLOTS], SPAN_CACHE[CACHE_SLOTS], JOIN_CACHE[CACHE_SLOTS];

typedef PyObject *(*MakeFn)(PyObject *prev, PyObject *added);
typedef int (*FitFn)(PyObject *prev, PyObject *added, PyObject *value);

static PyObject *grown(Grown *cache, PyObject *prev, PyObject *added, MakeFn make, FitFn fit)
{
    uintptr_t h = ((uintptr_t)prev >> 4) ^ (((uintptr_t)added >> 4) * (uintptr_t)0x9E3779B1u);
    h ^= h >> 13;
    Grown *e = &cache[h & (CACHE_SLOTS - 1)];
    if (e->prev == prev && e->added == added)
        return Py_NewRef(e->value);
    PyObject *key = PyTuple_Pack(2, prev, added);
    if (!key)
        return NULL;
    PyObject *value = PyDict_GetItemWithError(GROWN, key);
    if (value && fit(prev, added, value)) {
        Py_INCREF(value);
    } else if (!value && PyErr_Occurred()) {
        Py_DECREF(key);
        return NULL;
    } else if (value) {
        /* not one of tasks.py's own: not shared */
        Py_DECREF(key);
        return make(prev, added);
    } else {
        if (!(value = make(prev, added))) {
            Py_DECREF(key);
            return NULL;
        }
        if (PyDict_GET_SIZE(GROWN) < MAX_SHARED && PyDict_SetItem(GROWN, key, value) < 0) {
            Py_DECREF(key);
            Py_DECREF(value);
            return NULL;
        }
    }
    Py_DECREF(key);
    Grown old = *e;
    e->prev = Py_NewRef(prev);
    e->added = Py_NewRef(added);
    e->value = Py_NewRef(value);
    Py_XDECREF(old.prev);
    Py_XDECREF(old.added);
    Py_XDECREF(old.value);
    return value;
}

/* state_keys + bytes((status,)) */
static PyObject *make_keys(PyObject *prev, PyObject *status)
{
    Py_ssize_t n = PyBytes_GET_SIZE(prev);
    PyObject *out = PyBytes_FromStringAndSize(NULL, n + 1);
    if (!out)
        return NULL;
    memcpy(PyBytes_AS_STRING(out), PyBytes_AS_STRING(prev), (size_t)n);
    PyBytes_AS_STRING(out)[n] = (char)PyLong_AsLong(status);
    return out;
}

/* (*span_names, sys.intern(name)) */
static PyObject *make_names(PyObject *prev, PyObject *name)
{
    Py_ssize_t n = PyTuple_GET_SIZE(prev);
    PyObject *out = PyTuple_New(n + 1);
    if (!out)
        return NULL;
    for (Py_ssize_t i = 0; i < n; i++)
        PyTuple_SET_ITEM(out, i, Py_NewRef(PyTuple_GET_ITEM(prev, i)));
    Py_INCREF(name);
    PyUnicode_InternInPlace(&name);
    PyTuple_SET_ITEM(out, n, name);
    return out;
}

PyObject *fr_concat_bytes(PyObject *a, const char *b, Py_ssize_t nb)
{
    Py_ssize_t na = PyBytes_GET_SIZE(a);
    PyObject *out = PyBytes_FromStringAndSize(NULL, na + nb);
    if (!out)
        return NULL;
    memcpy(PyBytes_AS_STRING(out), PyBytes_AS_STRING(a), (size_t)na);
    memcpy(PyBytes_AS_STRING(out) + na, b, (size_t)nb);
    return out;
}

/* keys + later_keys */
static PyObject *make_joined(PyObject *prev, PyObject *added)
{
    return fr_concat_bytes(prev, PyBytes_AS_STRING(added), PyBytes_GET_SIZE(added));
}

/* Whether a value found in _GROWN is what make() would give (to be used as such here). */
static int keys_fit(PyObject *prev, PyObject *added, PyObject *value)
{
    (void)added;
    return PyBytes_CheckExact(value) && PyBytes_GET_SIZE(value) == PyBytes_GET_SIZE(prev) + 1;
}

static int names_fit(PyObject *prev, PyObject *added, PyObject *value)
{
    (void)added;
    return PyTuple_CheckExact(value) && PyTuple_GET_SIZE(value) == PyTuple_GET_SIZE(prev) + 1;
}

static int joined_fit(PyObject *prev, PyObject *added, PyObject *value)
{
    return PyBytes_CheckExact(value)
           && PyBytes_GET_SIZE(value) == PyBytes_GET_SIZE(prev) + PyBytes_GET_SIZE(added);
}

/* Through the caches above, each with its own make() and fit(). */
PyObject *fr_grown_keys(PyObject *prev, PyObject *status)
{
    return grown(STATE_CACHE, prev, status, make_keys, keys_fit);
}

PyObject *fr_grown_names(PyObject *prev, PyObject *name)
{
    return grown(SPAN_CACHE, prev, name, make_names, names_fit);
}

PyObject *fr_grown_joined(PyObject *prev, PyObject *added)
{
    return grown(JOIN_CACHE, prev, added, make_joined, joined_fit);
}

static void clear_cache(Grown *cache)
{
    for (int i = 0; i < CACHE_SLOTS; i++) {
        Py_CLEAR(cache[i].prev);
        Py_CLEAR(cache[i].added);
        Py_CLEAR(cache[i].value);
    }
}

void fr_clear_caches(void)
{
    clear_cache(STATE_CACHE);
    clear_cache(SPAN_CACHE);
    clear_cache(JOIN_CACHE);
}
