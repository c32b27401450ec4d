/* decode_buffer: decode_task over the lines of a buffer, found here (memchr) rather than
   split into one bytes object each by the caller (flowinsight/read/lines.py: BufferBlocks).
   In the parallel reader only the digests of the event ids are used: with `digests` they are
   made from the id's bytes, and no str is made for them. */

#include "taskline.h"

/* The digests of the decoded lines, grown as needed. */
typedef struct {
    uint64_t *v;
    Py_ssize_t n, cap;
} Digests;

static int push_digest(Digests *d, uint64_t value)
{
    if (d->n == d->cap) {
        Py_ssize_t cap = d->cap ? 2 * d->cap : 1024;
        uint64_t *v = PyMem_Realloc(d->v, (size_t)cap * sizeof *v);
        if (!v) {
            PyErr_NoMemory();
            return -1;
        }
        d->v = v;
        d->cap = cap;
    }
    d->v[d->n++] = value;
    return 0;
}

/* A declined line: its index in the block and its bytes' range, for the Python path. */
static int push_miss(PyObject *misses, Py_ssize_t index, Py_ssize_t start, Py_ssize_t stop)
{
    PyObject *miss = Py_BuildValue("(nnn)", index, start, stop);
    int r = miss ? PyList_Append(misses, miss) : -1;
    Py_XDECREF(miss);
    return r;
}

PyObject *ft_decode_buffer(PyObject *module, PyObject *args)
{
    (void)module;
    PyObject *obj, *events = NULL, *ids = NULL, *misses = NULL, *out = NULL;
    Py_ssize_t start, end, index = 0;
    int digests;
    Digests d = {NULL, 0, 0};
    if (!PyArg_ParseTuple(args, "Onnp:decode_buffer", &obj, &start, &end, &digests))
        return NULL;
    if (!TASK_CLS) {
        PyErr_SetString(PyExc_RuntimeError, "decode_buffer() before configure()");
        return NULL;
    }
    Py_buffer view;
    /* writable: each line's newline is made the NUL the parser stops at, then put back */
    if (PyObject_GetBuffer(obj, &view, PyBUF_WRITABLE) < 0)
        return NULL;
    unsigned char *buf = view.buf;
    if (start < 0 || start > end || end > view.len || (end > start && buf[end - 1] != '\n')) {
        PyErr_SetString(PyExc_ValueError, "decode_buffer: want whole lines, each with its newline");
        goto done;
    }
    if (!(events = PyList_New(0)) || !(misses = PyList_New(0))
        || (!digests && !(ids = PyList_New(0))))
        goto done;
    for (Py_ssize_t at = start; at < end; index++) {
        unsigned char *nl = memchr(buf + at, '\n', (size_t)(end - at));
        Py_ssize_t stop = nl - buf; /* found: the range ends with one */
        PyObject *task = NULL, *id = NULL;
        uint64_t digest = 0;
        int has_digest = 0;
        *nl = 0;
        int r = ft_task_of(buf + at, stop - at, &task, &id, digests ? &digest : NULL,
                           &has_digest);
        *nl = '\n';
        if (r < 0)
            goto done;
        if (!r) {
            r = push_miss(misses, index, at, stop);
        } else {
            r = PyList_Append(events, task);
            if (!r)
                r = digests ? (has_digest ? push_digest(&d, digest) : 0) : PyList_Append(ids, id);
            Py_DECREF(task);
            Py_DECREF(id);
        }
        if (r < 0)
            goto done;
        at = stop + 1;
    }
    if (digests && !(ids = PyBytes_FromStringAndSize((const char *)d.v, d.n * 8)))
        goto done;
    out = Py_BuildValue("(OOOn)", events, ids, misses, index);
done:
    PyBuffer_Release(&view);
    PyMem_Free(d.v);
    Py_XDECREF(events);
    Py_XDECREF(ids);
    Py_XDECREF(misses);
    return out;
}
