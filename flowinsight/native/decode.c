/* The decoder's entry points: a line's bytes through the parser (fields.c) and the builder
   (objects.c) to decode()'s tuple, decode_task()'s (event_id, TaskUpdate), or a whole block of
   lines at once; None whenever the Python path must read the line. */

#include "taskline.h"

/* A line's bytes (data[size] is a NUL) read to its fields: 0 with f[] filled, BAIL, or ERR.
   With `digest`, the event id is not made a str: *digest gets its digest (*has_digest = 0
   for a null, absent or empty id) and f[F_EVENT_ID] is None. With `t_out` (a batch's
   reading: ft_build's `packed`), the parsed line stays in *t_out and its scratch in *scratch
   for the caller, who frees both with ft_task_done whatever the outcome. */
int ft_decode_fields(const unsigned char *data, Py_ssize_t size, PyObject **f, int objects,
                     uint64_t *digest, int *has_digest, Task *t_out, unsigned char **scratch)
{
    Ctx c = {data, data, data + size, 0, NULL, 0};
    Task local, *tp = t_out ? t_out : &local;
    Task *t = tp;
    memset(t, 0, offsetof(Task, state_ns));
    t->task_type = -1;
    t->spans = t->spans_local;
    t->nspans = 0;
    t->spans_cap = LOCAL_SPANS;
    int r = ft_parse_line(&c, t);
    if (r > 0)
        r = BAIL; /* never: a parser that stopped early has not seen the whole line */
    if (!r && digest) {
        /* the decoded bytes are the UTF-8 of the str ft_build would make (surrogates bail) */
        r = unescape(&c, &t->event_id);
        *has_digest = !r && t->has_event_id && t->event_id.n > 0;
        if (*has_digest)
            *digest = ft_digest(t->event_id.p, t->event_id.n);
        t->has_event_id = 0;
    }
    if (!r)
        r = ft_build(&c, t, f, objects, t_out != NULL);
    if (t_out) {
        *scratch = c.scratch;
        return r;
    }
    ft_task_done(t, c.scratch);
    return r;
}

void ft_task_done(Task *t, unsigned char *scratch)
{
    if (t->spans != t->spans_local)
        PyMem_Free(t->spans);
    t->spans = t->spans_local;
    if (scratch)
        PyMem_Free(scratch);
}

static int decode_fields(const unsigned char *data, Py_ssize_t size, PyObject **f, int objects,
                         uint64_t *digest, int *has_digest)
{
    return ft_decode_fields(data, size, f, objects, digest, has_digest, NULL, NULL);
}

PyObject *ft_decode(PyObject *module, PyObject *arg)
{
    (void)module;
    if (!PyBytes_Check(arg))
        return PyErr_Format(PyExc_TypeError, "a line is bytes, not %.80s", Py_TYPE(arg)->tp_name);
    PyObject *f[N_FIELDS] = {NULL};
    PyObject *out = NULL;
    int r = decode_fields((const unsigned char *)PyBytes_AS_STRING(arg), PyBytes_GET_SIZE(arg),
                          f, 0, NULL, NULL);
    if (!r) {
        if ((out = PyTuple_New(N_FIELDS))) {
            for (int i = 0; i < N_FIELDS; i++) {
                PyTuple_SET_ITEM(out, i, f[i]);
                f[i] = NULL;
            }
        }
    } else if (r == BAIL) {
        out = Py_NewRef(Py_None);
    }
    for (int i = 0; i < N_FIELDS; i++)
        Py_XDECREF(f[i]);
    return out;
}

int ft_task_of(const unsigned char *data, Py_ssize_t size, PyObject **task, PyObject **id,
               uint64_t *digest, int *has_digest)
{
    PyObject *f[N_FIELDS] = {NULL};
    int r = decode_fields(data, size, f, 1, digest, has_digest);
    if (!r) {
        /* TaskUpdate's fields are the tuple's, less the event id */
        if ((*task = ft_new_instance(TASK_CLS, TASK_SET, f + 1, 16))) {
            *id = f[F_EVENT_ID];
            f[F_EVENT_ID] = NULL;
        } else {
            r = ERR;
        }
    }
    return ft_line_result(r, f);
}

int ft_line_result(int r, PyObject **f)
{
    if (r == ERR && PyErr_ExceptionMatches(PyExc_Exception)) {
        /* as task_line: what surprises this path (parse_descriptor) is the Python path's */
        PyErr_Clear();
        r = BAIL;
    }
    for (int i = 0; i < N_FIELDS; i++)
        Py_XDECREF(f[i]);
    return r == BAIL ? 0 : r == ERR ? -1 : 1;
}

PyObject *ft_decode_task(PyObject *module, PyObject *arg)
{
    (void)module;
    if (!TASK_CLS) {
        PyErr_SetString(PyExc_RuntimeError, "decode_task() before configure()");
        return NULL;
    }
    if (!PyBytes_Check(arg))
        return PyErr_Format(PyExc_TypeError, "a line is bytes, not %.80s", Py_TYPE(arg)->tp_name);
    PyObject *task, *id;
    int r = ft_task_of((const unsigned char *)PyBytes_AS_STRING(arg), PyBytes_GET_SIZE(arg),
                       &task, &id, NULL, NULL);
    if (r <= 0)
        return r < 0 ? NULL : Py_NewRef(Py_None);
    PyObject *out = PyTuple_Pack(2, id, task);
    Py_DECREF(id);
    Py_DECREF(task);
    if (!out && PyErr_ExceptionMatches(PyExc_Exception)) {
        PyErr_Clear();
        out = Py_NewRef(Py_None);
    }
    return out;
}

/* decode_task over a block of lines: the events and event ids of the lines it decoded, in
   order, and the indexes of the others (for the Python path). One call per block instead of
   one per line. */
PyObject *ft_decode_block(PyObject *module, PyObject *lines)
{
    if (!PyList_Check(lines))
        return PyErr_Format(PyExc_TypeError, "a block is a list, not %.80s",
                            Py_TYPE(lines)->tp_name);
    PyObject *events = PyList_New(0), *ids = PyList_New(0), *misses = PyList_New(0);
    if (!events || !ids || !misses)
        goto fail;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(lines); i++) {
        PyObject *line = PyList_GET_ITEM(lines, i);
        PyObject *one = PyBytes_Check(line) ? ft_decode_task(module, line) : Py_NewRef(Py_None);
        if (!one)
            goto fail;
        int bad;
        if (one == Py_None) {
            PyObject *at = PyLong_FromSsize_t(i);
            bad = !at || PyList_Append(misses, at) < 0;
            Py_XDECREF(at);
        } else {
            bad = PyList_Append(ids, PyTuple_GET_ITEM(one, 0)) < 0
                  || PyList_Append(events, PyTuple_GET_ITEM(one, 1)) < 0;
        }
        Py_DECREF(one);
        if (bad)
            goto fail;
    }
    return Py_BuildValue("(NNN)", events, ids, misses);
fail:
    Py_XDECREF(events);
    Py_XDECREF(ids);
    Py_XDECREF(misses);
    return NULL;
}
