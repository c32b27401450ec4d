/* What decode_buffer_batches (batch.c) reads a buffer with: its arguments, the lines it
   declines, and the digests of the event ids. The lines are found in the buffer (memchr)
   rather than split into one bytes object each by the caller (flowinsight/read/lines.py:
   BufferBlocks). In the parallel reader only the digests of the event ids are used: with
   `digests` they are made from the id's bytes, and no str is made for them, each followed by
   its line's digest (ft_push_pair). */

#include "taskline.h"

int ft_push_digest(Digests *d, uint64_t value)
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

/* An event's id digest and its line's (ft_line_digest), one after the other: the parallel
   reader tells a line read twice from another line with the same id by them. */
int ft_push_pair(Digests *d, uint64_t digest, const unsigned char *line, Py_ssize_t n)
{
    if (ft_push_digest(d, digest) < 0)
        return -1;
    return ft_push_digest(d, ft_line_digest(line, n));
}

int ft_push_miss(PyObject *misses, Py_ssize_t index, Py_ssize_t start, Py_ssize_t stop)
{
    PyObject *miss = Py_BuildValue("(nnn)", index, start, stop);
    int r = miss ? PyList_Append(misses, miss) : -1;
    Py_XDECREF(miss);
    return r;
}

int ft_lines_arg(PyObject *args, const char *name, Py_buffer *view, Py_ssize_t *start,
                 Py_ssize_t *end, int *digests)
{
    PyObject *obj;
    if (!PyArg_ParseTuple(args, "Onnp", &obj, start, end, digests))
        return -1;
    if (!TASK_CLS) {
        PyErr_Format(PyExc_RuntimeError, "%s() before configure()", name);
        return -1;
    }
    /* writable: each line's newline is made the NUL the parser stops at, then put back */
    if (PyObject_GetBuffer(obj, view, PyBUF_WRITABLE) < 0)
        return -1;
    const unsigned char *buf = view->buf;
    if (*start < 0 || *start > *end || *end > view->len
        || (*end > *start && buf[*end - 1] != '\n')) {
        PyErr_Format(PyExc_ValueError, "%s: want whole lines, each with its newline", name);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}
