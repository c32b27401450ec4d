/* decode_buffer_batches: the lines of a buffer decoded, kept as TaskBatch records
   (task_batch.h) rather than TaskUpdate objects: no states or spans tuples, no Span objects, no
   ints, no TaskUpdate per line. The records extension folds a batch into the task table
   (flowinsight.pipeline._records.fold_batch) through the capsule made here. */

#include "taskline.h"

static PyTypeObject BatchType;

static TaskBatch *batch_new(void)
{
    TaskBatch *b = PyObject_New(TaskBatch, &BatchType);
    if (!b)
        return NULL;
    b->recs = NULL;
    b->n = b->cap = 0;
    b->keys = NULL;
    b->state_ns = NULL;
    b->n_states = b->cap_states = 0;
    b->span_names = NULL;
    b->span_ns = NULL;
    b->n_spans = b->cap_spans = 0;
    b->has_first = 0;
    b->first_ns = 0;
    return b;
}

static void rec_clear(TaskRec *r)
{
    Py_XDECREF(r->task_id);
    Py_XDECREF(r->job);
    Py_XDECREF(r->type);
    Py_XDECREF(r->function);
    Py_XDECREF(r->language);
    Py_XDECREF(r->parent);
    Py_XDECREF(r->actor);
    Py_XDECREF(r->node);
    Py_XDECREF(r->worker);
    Py_XDECREF(r->etype);
    Py_XDECREF(r->emsg);
    Py_XDECREF(r->component);
}

static void batch_dealloc(PyObject *self)
{
    TaskBatch *b = (TaskBatch *)self;
    for (Py_ssize_t i = 0; i < b->n; i++)
        rec_clear(&b->recs[i]);
    for (Py_ssize_t i = 0; i < b->n_spans; i++)
        Py_DECREF(b->span_names[i]);
    PyMem_Free(b->recs);
    PyMem_Free(b->keys);
    PyMem_Free(b->state_ns);
    PyMem_Free(b->span_names);
    PyMem_Free(b->span_ns);
    PyObject_Free(self);
}

/* room for `more` items in an array of `*cap` (grown by doubling); -1 with MemoryError */
static int grow(void **arr, Py_ssize_t *cap, Py_ssize_t used, Py_ssize_t more, size_t size)
{
    if (used + more <= *cap)
        return 0;
    Py_ssize_t c = *cap ? *cap : 64;
    while (c < used + more)
        c *= 2;
    void *p = PyMem_Realloc(*arr, (size_t)c * size);
    if (!p) {
        PyErr_NoMemory();
        return -1;
    }
    *arr = p;
    *cap = c;
    return 0;
}

/* The record of a line ft_decode_fields read: f[]'s references taken over,
   the states and spans of *t packed. 0, or -1 with an exception set (f[] then released by
   the caller as always: what was taken over is NULL there). */
static int push_record(TaskBatch *b, Task *t, PyObject **f)
{
    uint64_t mask = t->state_mask & ~(uint64_t)1; /* the states 1..63 */
    Py_ssize_t n_states = POPCOUNT64(mask);
    Py_ssize_t cap_keys = b->cap_states, cap_sn = b->cap_spans;
    if (grow((void **)&b->recs, &b->cap, b->n, 1, sizeof(TaskRec)) < 0
        || grow((void **)&b->keys, &cap_keys, b->n_states, n_states, 1) < 0
        || grow((void **)&b->state_ns, &b->cap_states, b->n_states, n_states, 8) < 0
        || grow((void **)&b->span_names, &cap_sn, b->n_spans, t->nspans, sizeof(PyObject *)) < 0
        || grow((void **)&b->span_ns, &b->cap_spans, b->n_spans, t->nspans, 16) < 0)
        return -1;
    /* the two arrays of each pair grow alike: the second's cap is the shared one. When the
       first grew and the second failed, the first is only larger than needed. */
    Py_ssize_t spans_at = b->n_spans;
    for (Py_ssize_t i = 0; i < t->nspans; i++) {
        PyObject *name = ft_cached_str(&t->spans[i].name);
        if (!name) {
            for (Py_ssize_t j = spans_at; j < b->n_spans; j++)
                Py_DECREF(b->span_names[j]);
            b->n_spans = spans_at;
            return -1;
        }
        b->span_names[b->n_spans] = name;
        b->span_ns[2 * b->n_spans] = t->spans[i].start;
        b->span_ns[2 * b->n_spans + 1] = t->spans[i].end;
        b->n_spans++;
    }
    TaskRec *r = &b->recs[b->n++];
    r->states_at = b->n_states;
    r->n_states = n_states;
    for (; mask; mask &= mask - 1) { /* the set bits, lowest first */
        int s = CTZ64(mask);
        int64_t ns = t->state_ns[s];
        b->keys[b->n_states] = (unsigned char)s;
        b->state_ns[b->n_states++] = ns;
        if (!b->has_first || ns < b->first_ns) {
            b->first_ns = ns;
            b->has_first = 1;
        }
    }
    r->spans_at = spans_at;
    r->n_spans = t->nspans;
    r->attempt = t->attempt;
    r->has_pid = t->has_pid;
    r->pid = t->has_pid ? t->pid : 0;
#define TAKE(dst, i) (r->dst = f[i], f[i] = NULL)
    TAKE(task_id, F_TASK_ID);
    TAKE(job, F_JOB);
    TAKE(type, F_TYPE);
    TAKE(function, F_FUNC);
    TAKE(language, F_LANG);
    TAKE(parent, F_PARENT);
    TAKE(actor, F_ACTOR);
    TAKE(node, F_NODE);
    TAKE(worker, F_WORKER);
    TAKE(etype, F_ETYPE);
    TAKE(emsg, F_EMSG);
    TAKE(component, F_COMPONENT);
#undef TAKE
    return 0;
}

/* One line into the batch: 1 taken, 0 for the Python path, -1 with an exception set. */
static int batch_line(TaskBatch *b, const unsigned char *data, Py_ssize_t size,
                      PyObject **id, uint64_t *digest, int *has_digest)
{
    PyObject *f[N_FIELDS] = {NULL};
    Task t;
    unsigned char *scratch = NULL;
    int r = ft_decode_fields(data, size, f, digest, has_digest, &t, &scratch);
    if (!r) {
        if (push_record(b, &t, f) < 0)
            r = ERR;
        else {
            *id = f[F_EVENT_ID];
            f[F_EVENT_ID] = NULL;
        }
    }
    ft_task_done(&t, scratch);
    return ft_line_result(r, f);
}

/* Record i as the TaskUpdate of its line (what the Python path makes of it). */
static PyObject *batch_item(TaskBatch *b, Py_ssize_t i)
{
    if (i < 0 || i >= b->n) {
        PyErr_SetString(PyExc_IndexError, "TaskBatch index out of range");
        return NULL;
    }
    TaskRec *r = &b->recs[i];
    PyObject *v[16] = {NULL}, *out = NULL;
    v[0] = Py_NewRef(r->task_id);
    v[2] = Py_NewRef(r->job);
    v[3] = Py_NewRef(r->type);
    v[4] = Py_NewRef(r->function);
    v[5] = Py_NewRef(r->language);
    v[6] = Py_NewRef(r->parent);
    v[7] = Py_NewRef(r->actor);
    v[9] = Py_NewRef(r->node);
    v[10] = Py_NewRef(r->worker);
    v[12] = Py_NewRef(r->etype);
    v[13] = Py_NewRef(r->emsg);
    v[14] = Py_NewRef(r->component);
    if (!(v[1] = PyLong_FromLongLong(r->attempt)))
        goto done;
    if (!(v[11] = r->has_pid ? PyLong_FromLongLong(r->pid) : Py_NewRef(Py_None)))
        goto done;
    if (!(v[8] = PyTuple_New(r->n_states)))
        goto done;
    for (Py_ssize_t j = 0; j < r->n_states; j++) {
        PyObject *pair = PyTuple_New(2);
        if (!pair)
            goto done;
        PyTuple_SET_ITEM(v[8], j, pair);
        PyObject *status = PyLong_FromLong(b->keys[r->states_at + j]),
                 *ns = PyLong_FromLongLong(b->state_ns[r->states_at + j]);
        if (status)
            PyTuple_SET_ITEM(pair, 0, status);
        if (ns)
            PyTuple_SET_ITEM(pair, 1, ns);
        if (!status || !ns)
            goto done;
    }
    if (!(v[15] = PyTuple_New(r->n_spans)))
        goto done;
    for (Py_ssize_t j = 0; j < r->n_spans; j++) {
        Py_ssize_t k = r->spans_at + j;
        PyObject *span = ft_make_span(b->span_names[k], b->span_ns[2 * k], b->span_ns[2 * k + 1]);
        if (!span)
            goto done;
        PyTuple_SET_ITEM(v[15], j, span);
    }
    out = ft_new_instance(TASK_CLS, TASK_SET, v, 16);
done:
    for (int j = 0; j < 16; j++)
        Py_XDECREF(v[j]);
    return out;
}

static Py_ssize_t batch_len(PyObject *self)
{
    return ((TaskBatch *)self)->n;
}

static PyObject *batch_getitem(PyObject *self, Py_ssize_t i)
{
    return batch_item((TaskBatch *)self, i);
}

static PyObject *batch_first_ns(PyObject *self, void *closure)
{
    (void)closure;
    TaskBatch *b = (TaskBatch *)self;
    if (!b->has_first)
        Py_RETURN_NONE;
    return PyLong_FromLongLong(b->first_ns);
}

static PySequenceMethods BATCH_SEQ = {
    .sq_length = batch_len,
    .sq_item = batch_getitem,
};

static PyGetSetDef BATCH_GETSET[] = {
    {"first_ns", batch_first_ns, NULL, "the earliest state time of any update, or None", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject BatchType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "flowinsight.read._taskline.TaskBatch",
    .tp_basicsize = sizeof(TaskBatch),
    .tp_dealloc = batch_dealloc,
    .tp_as_sequence = &BATCH_SEQ,
    .tp_getset = BATCH_GETSET,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Decoded TaskUpdates, packed (see task_batch.h); batch[i] builds the i-th.",
};

static TaskBatchAPI API = {TASK_BATCH_VERSION, &BatchType, batch_item};

int ft_init_batch(PyObject *module)
{
    if (PyType_Ready(&BatchType) < 0)
        return -1;
    if (PyModule_AddObjectRef(module, "TaskBatch", (PyObject *)&BatchType) < 0)
        return -1;
    PyObject *capsule = PyCapsule_New(&API, TASK_BATCH_CAPSULE, NULL);
    if (!capsule)
        return -1;
    int r = PyModule_AddObjectRef(module, "_batch_api", capsule);
    Py_DECREF(capsule);
    return r;
}

/* The lines of buffer[start:end] decoded, in batches: one batch before each declined
   line and one after the last (len(misses) + 1 batches, some empty). */
PyObject *ft_decode_buffer_batches(PyObject *module, PyObject *args)
{
    (void)module;
    PyObject *batches = NULL, *ids = NULL, *misses = NULL, *out = NULL;
    TaskBatch *batch = NULL;
    Py_ssize_t start, end, index = 0;
    int digests;
    Digests d = {NULL, 0, 0};
    Py_buffer view;
    if (ft_lines_arg(args, "decode_buffer_batches", &view, &start, &end, &digests) < 0)
        return NULL;
    unsigned char *buf = view.buf;
    if (!(batches = PyList_New(0)) || !(misses = PyList_New(0))
        || (!digests && !(ids = PyList_New(0))) || !(batch = batch_new()))
        goto done;
    for (Py_ssize_t at = start; at < end; index++) {
        Py_ssize_t from = at, run = ft_skip_run(buf, &at, end);
        if (run) { /* blank and junk lines: declined as one range, as a line declined */
            if (ft_push_miss(misses, index, from, at - 1) < 0
                || PyList_Append(batches, (PyObject *)batch) < 0)
                goto done;
            Py_SETREF(batch, batch_new());
            if (!batch)
                goto done;
            index += run - 1; /* (and the loop's ++) */
            continue;
        }
        unsigned char *nl = memchr(buf + at, '\n', (size_t)(end - at));
        Py_ssize_t stop = nl - buf;
        PyObject *id = NULL;
        uint64_t digest = 0;
        int has_digest = 0;
        *nl = 0;
        int r = batch_line(batch, buf + at, stop - at, &id, digests ? &digest : NULL,
                           &has_digest);
        *nl = '\n';
        if (r < 0)
            goto done;
        if (!r) {
            r = ft_push_miss(misses, index, at, stop);
            if (!r)
                r = PyList_Append(batches, (PyObject *)batch);
            if (!r) {
                Py_SETREF(batch, batch_new());
                if (!batch)
                    r = -1;
            }
        } else if (digests) {
            r = has_digest ? ft_push_pair(&d, digest, buf + at, stop - at) : 0;
            Py_XDECREF(id);
        } else {
            r = PyList_Append(ids, id);
            Py_DECREF(id);
        }
        if (r < 0)
            goto done;
        at = stop + 1;
    }
    if (PyList_Append(batches, (PyObject *)batch) < 0)
        goto done;
    if (digests && !(ids = PyBytes_FromStringAndSize((const char *)d.v, d.n * 8)))
        goto done;
    out = Py_BuildValue("(OOOn)", batches, ids, misses, index);
done:
    PyBuffer_Release(&view);
    PyMem_Free(d.v);
    Py_XDECREF((PyObject *)batch);
    Py_XDECREF(batches);
    Py_XDECREF(ids);
    Py_XDECREF(misses);
    return out;
}
