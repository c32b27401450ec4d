/* load_tasks: a dump_tasks blob back to its table of records, every length, count and index
   checked against the blob (ValueError for one that is not such a blob). */

#include "records.h"

/* An index into the strings, the value shared through `_SHARED` (as the merge stores a
   language or a component type). Borrowed. */
static PyObject *rd_shared_str(Loader *r)
{
    Py_ssize_t i;
    if (rd_index(r, r->n_strs, &i) < 0)
        return NULL;
    if (!r->shared_strs[i] && !(r->shared_strs[i] = fr_shared(r->strs[i])))
        return NULL;
    return r->shared_strs[i];
}

/* An int64 (zigzag). New reference. */
static PyObject *rd_int(Loader *r)
{
    uint64_t u;
    if (rd_varint(r, &u) < 0)
        return NULL;
    int64_t v = unzigzag(u);
    return v >= 0 && v < 256 ? Py_NewRef(SMALL[v]) : PyLong_FromLongLong(v);
}

/* A worker pid's object, shared through `_SHARED` as the merge stores it. New reference. */
PyObject *fr_pid_object(Loader *r, int64_t v)
{
    uint64_t h = (uint64_t)v * 0x9E3779B97F4A7C15ull;
    size_t slot = (size_t)(h >> 58);
    if (r->pids[slot].obj && r->pids[slot].value == v)
        return Py_NewRef(r->pids[slot].obj);
    PyObject *obj = PyLong_FromLongLong(v);
    if (!obj)
        return NULL;
    Py_SETREF(obj, fr_shared(obj));
    if (!obj)
        return NULL;
    Py_XSETREF(r->pids[slot].obj, Py_NewRef(obj));
    r->pids[slot].value = v;
    return obj;
}

/* A worker pid (zigzag), likewise. New reference. */
static PyObject *rd_pid(Loader *r)
{
    uint64_t u;
    if (rd_varint(r, &u) < 0)
        return NULL;
    return fr_pid_object(r, unzigzag(u));
}

static PyObject *rd_bytes(Loader *r)
{
    Py_ssize_t n;
    if (rd_count(r, 1, &n) < 0)
        return NULL;
    PyObject *b = PyBytes_FromStringAndSize((const char *)r->p, n);
    r->p += n;
    return b;
}

PyObject *fr_load_attempt(Loader *r)
{
    PyObject *v[N_ATTEMPT] = {NULL};
    Py_ssize_t i;
    unsigned char tag;
    if (!(v[A_NUMBER] = rd_int(r)))
        goto error;
    if (rd_index(r, r->n_keys, &i) < 0)
        goto error;
    v[A_KEYS] = Py_NewRef(r->keys[i]);
    if (!(v[A_NS] = rd_bytes(r)))
        goto error;
    static const int strs1[] = {A_NODE, A_WORKER};
    for (int k = 0; k < 2; k++) {
        if (!(v[strs1[k]] = Py_XNewRef(rd_strref(r))))
            goto error;
    }
    if (rd_byte(r, &tag) < 0)
        goto error;
    if (tag > 1) {
        corrupt("a bad tag");
        goto error;
    }
    if (!(v[A_PID] = tag ? rd_pid(r) : Py_NewRef(Py_None)))
        goto error;
    static const int strs2[] = {A_ETYPE, A_EMSG};
    for (int k = 0; k < 2; k++) {
        if (!(v[strs2[k]] = Py_XNewRef(rd_strref(r))))
            goto error;
    }
    if (!(v[A_COMPONENT] = Py_XNewRef(rd_shared_str(r))))
        goto error;
    if (rd_index(r, r->n_names, &i) < 0)
        goto error;
    v[A_SPAN_NAMES] = Py_NewRef(r->names[i]);
    if (!(v[A_SPAN_NS] = rd_bytes(r)))
        goto error;
    return build(&ATTEMPT, v);
error:
    for (int k = 0; k < N_ATTEMPT; k++)
        Py_XDECREF(v[k]);
    return NULL;
}

PyObject *fr_load_task(Loader *r)
{
    PyObject *v[N_TASK] = {NULL};
    unsigned char tag;
    Py_ssize_t i, n;
    if (!(v[T_TASK_ID] = Py_XNewRef(rd_strref(r))) || !(v[T_JOB_ID] = Py_XNewRef(rd_strref(r)))
        || rd_byte(r, &tag) < 0)
        goto error;
    if (tag > (TASK_TYPES ? PyTuple_GET_SIZE(TASK_TYPES) : 0)) {
        corrupt("a task type out of range");
        goto error;
    }
    v[T_TYPE] = Py_NewRef(tag ? PyTuple_GET_ITEM(TASK_TYPES, tag - 1) : Py_None);
    if (rd_index(r, r->n_funcs, &i) < 0)
        goto error;
    v[T_FUNCTION] = Py_NewRef(r->funcs[i]);
    if (!(v[T_LANGUAGE] = Py_XNewRef(rd_shared_str(r)))
        || !(v[T_PARENT] = Py_XNewRef(rd_strref(r)))
        || !(v[T_ACTOR] = Py_XNewRef(rd_strref(r))) || rd_byte(r, &tag) < 0)
        goto error;
    if (tag > 1 || (tag && left(r) < 8)) {
        corrupt(tag > 1 ? "a bad tag" : "cut short");
        goto error;
    }
    if (tag) {
        int64_t bits = get64((const char *)r->p);
        double x;
        memcpy(&x, &bits, 8);
        r->p += 8;
        if (!(v[T_SUBMIT] = PyFloat_FromDouble(x)))
            goto error;
    } else {
        v[T_SUBMIT] = Py_NewRef(Py_None);
    }
    if (rd_count(r, MIN_ATTEMPT, &n) < 0)
        goto error;
    if (!n) {
        v[T_ATTEMPTS] = Py_NewRef(EMPTY_TUPLE);
    } else {
        if (!(v[T_ATTEMPTS] = PyTuple_New(n)))
            goto error;
        for (Py_ssize_t k = 0; k < n; k++) {
            PyObject *a = fr_load_attempt(r);
            if (!a)
                goto error;
            PyTuple_SET_ITEM(v[T_ATTEMPTS], k, a);
        }
    }
    if (!(v[T_SEEN_MODULE] = Py_XNewRef(rd_strref(r)))
        || !(v[T_SEEN_CLASS] = Py_XNewRef(rd_strref(r))))
        goto error;
    return build(&TASK, v);
error:
    for (int k = 0; k < N_TASK; k++)
        Py_XDECREF(v[k]);
    return NULL;
}

/* Raw bytes (length, bytes), in place. */
static int rd_raw(Loader *r, const char **p, Py_ssize_t *n)
{
    if (rd_count(r, 1, n) < 0)
        return -1;
    *p = (const char *)r->p;
    r->p += *n;
    return 0;
}

/* An attempt read in place: what fr_load_attempt reads, with the same checks, in the same
   order, and the same values shared through `_SHARED` (its component type, its pid), but
   nothing built. */
int fr_read_attempt(Loader *r, LaterAttempt *a)
{
    uint64_t u;
    Py_ssize_t i;
    unsigned char tag;
    a->at = r->p;
    if (rd_varint(r, &u) < 0)
        return -1;
    a->number = unzigzag(u);
    if (rd_index(r, r->n_keys, &i) < 0)
        return -1;
    a->keys = r->keys[i];
    if (rd_raw(r, &a->ns, &a->n_ns) < 0 || !(a->node = rd_strref(r))
        || !(a->worker = rd_strref(r)) || rd_byte(r, &tag) < 0)
        return -1;
    if (tag > 1)
        return corrupt("a bad tag");
    a->has_pid = tag;
    a->pid_value = 0;
    if (tag) {
        if (rd_varint(r, &u) < 0)
            return -1;
        a->pid_value = unzigzag(u);
        PyObject *pid = fr_pid_object(r, a->pid_value);
        if (!pid)
            return -1;
        Py_DECREF(pid);
    }
    if (!(a->etype = rd_strref(r)) || !(a->emsg = rd_strref(r))
        || !(a->component = rd_shared_str(r)) || rd_index(r, r->n_names, &i) < 0)
        return -1;
    a->names = r->names[i];
    return rd_raw(r, &a->span_ns, &a->n_span_ns);
}

/* A record read in place, likewise (its attempts read, checked and skipped over). */
int fr_read_task(Loader *r, LaterTask *t)
{
    unsigned char tag;
    Py_ssize_t i;
    t->r = r;
    if (!(t->task_id = rd_strref(r)) || !rd_strref(r) || rd_byte(r, &tag) < 0)
        return -1;
    if (tag > (TASK_TYPES ? PyTuple_GET_SIZE(TASK_TYPES) : 0))
        return corrupt("a task type out of range");
    t->type = tag ? PyTuple_GET_ITEM(TASK_TYPES, tag - 1) : Py_None;
    if (rd_index(r, r->n_funcs, &i) < 0)
        return -1;
    t->function = r->funcs[i];
    if (!(t->language = rd_shared_str(r)) || !(t->parent = rd_strref(r))
        || !(t->actor = rd_strref(r)) || rd_byte(r, &tag) < 0)
        return -1;
    if (tag > 1 || (tag && left(r) < 8))
        return corrupt(tag > 1 ? "a bad tag" : "cut short");
    t->has_submit = tag;
    t->submit = 0.0;
    if (tag) {
        int64_t bits = get64((const char *)r->p);
        memcpy(&t->submit, &bits, 8);
        r->p += 8;
    }
    if (rd_count(r, MIN_ATTEMPT, &t->n_attempts) < 0)
        return -1;
    t->attempts_at = r->p;
    for (Py_ssize_t k = 0; k < t->n_attempts; k++) {
        LaterAttempt a;
        if (fr_read_attempt(r, &a) < 0)
            return -1;
    }
    if (!(t->seen_module = rd_strref(r)) || !(t->seen_class = rd_strref(r)))
        return -1;
    return 0;
}

/* The records, into the dict `out`. */
static int load_records(Loader *r, PyObject *out)
{
    Py_ssize_t n;
    if (rd_count(r, MIN_TASK, &n) < 0)
        return -1;
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *task = fr_load_task(r);
        if (!task)
            return -1;
        int rc = PyDict_SetItem(out, GET(task, TASK, T_TASK_ID), task);
        Py_DECREF(task);
        if (rc < 0)
            return -1;
    }
    if (r->p != r->end)
        return corrupt("bytes after the records");
    if (PyDict_GET_SIZE(out) != n)
        return corrupt("a task id twice");
    return 0;
}

PyObject *fr_load_tasks(PyObject *module, PyObject *blob)
{
    (void)module;
    if (!fr_configured())
        return NULL;
    Py_buffer view;
    if (PyObject_GetBuffer(blob, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    Loader r;
    memset(&r, 0, sizeof r);
    r.p = (const unsigned char *)view.buf;
    r.end = r.p + view.len;
    PyObject *out = NULL;
    if (fr_load_tables(&r) == 0 && (out = PyDict_New())
        && load_records(&r, out) < 0)
        Py_CLEAR(out);
    fr_loader_free(&r);
    PyBuffer_Release(&view);
    return out;
}

