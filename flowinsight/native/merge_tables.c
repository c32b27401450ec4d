/* load_tasks_into(into, blob): merge_task_tables(into, load_tasks(blob)), with the blob's
   records read in place: a record whose task is already in `into` is merged into it straight
   from the blob (no Task, Attempt, tuple or bytes built for it, only what the old record
   takes over), a new one is built as load_tasks builds it. The merge reads the later record
   through a view (LaterTask, LaterAttempt in records.h) filled from the blob (tasks._merge_task
   and _merge_attempt); a pair it does not take goes to the Python _merge_task. The blob is read whole and checked (every check
   of load_tasks, in the same order, the same ValueError) before `into` is touched: a blob
   refused leaves `into` as it was. Only an error that is not the blob's (no memory, or an
   exception of the Python _merge_task for a record it is handed, as merge_task_tables would
   raise it) can stop the merge part way, as it would stop merge_task_tables. */

#include "records.h"

/* The next attempt of a later record, the attempts taken in turn: read where `*cursor` is,
   which moves past it. */
static int next_attempt(const LaterTask *t, const unsigned char **cursor, LaterAttempt *a)
{
    Loader *r = t->r;
    const unsigned char *save = r->p;
    r->p = *cursor;
    int rc = fr_read_attempt(r, a);
    *cursor = r->p;
    r->p = save;
    return rc;
}

/* Build what a view was read from, as load_tasks builds it. New reference. */
static PyObject *built(Loader *r, const unsigned char *at, PyObject *(*load)(Loader *))
{
    const unsigned char *save = r->p;
    r->p = at;
    PyObject *out = load(r);
    r->p = save;
    return out;
}

/* tasks._merge_attempt, both checked; `row`: the old attempt's (kept in step), or NULL. */
static int merge_attempt(PyObject *old, PyObject **row, const LaterAttempt *a, Loader *r)
{
    PyObject *own[N_ATTEMPT], **ar = row;
    if (!ar)
        read_row(old, &ATTEMPT, ar = own);
    PyObject *keys = ar[A_KEYS];
    PyObject *later_keys = Py_NewRef(a->keys);
    PyObject *names = Py_NewRef(a->names);
    int rc = 0;
    if (!PyBytes_GET_SIZE(keys)) {
        PyObject *ns = PyBytes_FromStringAndSize(a->ns, a->n_ns);
        if (ns) {
            put_row(old, &ATTEMPT, ar, A_KEYS, later_keys);
            put_new_row(old, &ATTEMPT, ar, A_NS, ns);
        } else {
            rc = -1;
        }
    } else {
        unsigned char seen[256] = {0};
        const unsigned char *k = (const unsigned char *)PyBytes_AS_STRING(keys);
        const unsigned char *lk = (const unsigned char *)PyBytes_AS_STRING(later_keys);
        int common = 0;
        for (Py_ssize_t i = 0; i < PyBytes_GET_SIZE(keys); i++)
            seen[k[i]] = 1;
        for (Py_ssize_t i = 0; i < PyBytes_GET_SIZE(later_keys); i++)
            common |= seen[lk[i]];
        if (!common) {
            /* no status in common: the later ones follow */
            PyObject *joined = fr_grown_joined(keys, later_keys);
            PyObject *ns = joined ? fr_concat_bytes(ar[A_NS], a->ns, a->n_ns)
                                  : NULL;
            if (ns) {
                put_new_row(old, &ATTEMPT, ar, A_KEYS, joined);
                put_new_row(old, &ATTEMPT, ar, A_NS, ns);
            } else {
                Py_XDECREF(joined);
                rc = -1;
            }
        } else {
            States st = {lk, a->ns, PyBytes_GET_SIZE(later_keys), NULL};
            rc = fr_add_states(old, ar, &st);
        }
    }
    if (rc == 0) {
        fill(old, &ATTEMPT, ar, A_NODE, a->node);
        fill(old, &ATTEMPT, ar, A_WORKER, a->worker);
        if (ar[A_PID] == Py_None && a->has_pid) {
            PyObject *pid = fr_pid_object(r, a->pid_value);
            if (pid)
                put_new_row(old, &ATTEMPT, ar, A_PID, pid);
            else
                rc = -1;
        }
    }
    if (rc == 0) {
        fill(old, &ATTEMPT, ar, A_ETYPE, a->etype);
        fill(old, &ATTEMPT, ar, A_EMSG, a->emsg);
        fill(old, &ATTEMPT, ar, A_COMPONENT, a->component);
        if (!PyTuple_GET_SIZE(ar[A_SPAN_NAMES])) {
            PyObject *ns = PyBytes_FromStringAndSize(a->span_ns, a->n_span_ns);
            if (ns) {
                put_row(old, &ATTEMPT, ar, A_SPAN_NAMES, names);
                put_new_row(old, &ATTEMPT, ar, A_SPAN_NS, ns);
            } else {
                rc = -1;
            }
        } else {
            Spans sp = {names, a->span_ns, PyTuple_GET_SIZE(names), NULL, NULL};
            rc = fr_add_spans(old, ar, &sp);
        }
    }
    Py_DECREF(later_keys);
    Py_DECREF(names);
    return rc;
}

/* tasks._merge_task, the later record a view of a blob's: 0 merged; 1 not taken (nothing
   changed); -1 an error. */
static int merge_task(PyObject *old, const LaterTask *t)
{
    /* the row of the old record's first attempt (most have one) is kept for its merge */
    PyObject *tr[N_TASK], *scratch[N_ATTEMPT], *first[N_ATTEMPT];
    if (!fr_task_ok(old, 1, tr))
        return 1;
    PyObject *mine = tr[T_ATTEMPTS];
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(mine); i++) {
        if (!fr_attempt_ok(PyTuple_GET_ITEM(mine, i), 0, i ? scratch : first))
            return 1;
    }
    PyObject *first_attempt = PyTuple_GET_SIZE(mine) ? PyTuple_GET_ITEM(mine, 0) : NULL;
    /* what fr_attempt_ok(attempt, 1) would find in the record built from the blob */
    const unsigned char *cursor = t->attempts_at;
    for (Py_ssize_t i = 0; i < t->n_attempts; i++) {
        LaterAttempt a;
        if (next_attempt(t, &cursor, &a) < 0)
            return -1;
        if (a.n_ns != 8 * PyBytes_GET_SIZE(a.keys)
            || a.n_span_ns != 16 * PyTuple_GET_SIZE(a.names))
            return 1;
    }
    if (tr[T_TYPE] == Py_None)
        put_row(old, &TASK, tr, T_TYPE, t->type);
    if (t->function != Py_None) {
        PyObject *function = tr[T_FUNCTION];
        PyObject *const *f = function == Py_None ? NULL : fr_fref_fields(function); /* checked */
        if (!f || str_empty(f[F_NAME])) {
            put_row(old, &TASK, tr, T_FUNCTION, t->function);
        } else {
            PyObject *module = f[F_MODULE], *class_name = f[F_CLASS], *name = f[F_NAME];
            if ((str_empty(module) && !str_empty(t->seen_module))
                || (str_empty(class_name) && !str_empty(t->seen_class))) {
                PyObject *ref = new_function(str_empty(module) ? t->seen_module : module,
                                             str_empty(class_name) ? t->seen_class : class_name,
                                             name);
                if (!ref)
                    return -1;
                put_new_row(old, &TASK, tr, T_FUNCTION, ref);
            }
        }
        fill(old, &TASK, tr, T_SEEN_MODULE, t->seen_module);
        fill(old, &TASK, tr, T_SEEN_CLASS, t->seen_class);
    }
    fill(old, &TASK, tr, T_LANGUAGE, t->language);
    fill(old, &TASK, tr, T_PARENT, t->parent);
    fill(old, &TASK, tr, T_ACTOR, t->actor);
    PyObject *submit = tr[T_SUBMIT];
    if (t->has_submit && (submit == Py_None || t->submit < PyFloat_AS_DOUBLE(submit))) {
        PyObject *value = PyFloat_FromDouble(t->submit);
        if (!value)
            return -1;
        put_new_row(old, &TASK, tr, T_SUBMIT, value);
    }
    cursor = t->attempts_at;
    int rc = 0;
    for (Py_ssize_t i = 0; i < t->n_attempts && rc == 0; i++) {
        LaterAttempt a;
        if (next_attempt(t, &cursor, &a) < 0) {
            rc = -1;
            break;
        }
        PyObject *match = fr_find_attempt(old, a.number);
        if (!match) {
            PyObject *attempt = built(t->r, a.at, fr_load_attempt);
            rc = attempt ? fr_append_attempt(old, tr, attempt) : -1;
            Py_XDECREF(attempt);
        } else {
            Py_INCREF(match);
            rc = merge_attempt(match, match == first_attempt ? first : NULL, &a, t->r);
            Py_DECREF(match);
        }
    }
    return rc;
}

/* The Python _merge_task(old, later). */
static int merge_in_python(PyObject *old, PyObject *later)
{
    if (fr_flush_attempts() < 0) /* the records as the Python code is to see them */
        return -1;
    PyObject *pair[2] = {old, later};
    PyObject *out = PyObject_Vectorcall(MERGE_TASK, pair, 2, NULL);
    fr_fref_forget(); /* what the Python code may have changed */
    Py_XDECREF(out);
    return out ? 0 : -1;
}

/* Where each record of a blob starts, its task id (borrowed from the Loader) and that id's
   hash (the str's own, computed once here and cached in it by CPython). */
typedef struct {
    const unsigned char *at;
    PyObject *task_id;
    Py_hash_t hash;
} Place;

/* 1 when a blob's n task ids hold one twice (str equality, as a set of them finds it); 0;
   -1 no memory. A table of the places' indexes, open addressing on the ids' hashes: what
   PySet_Add of each id found, without a set object, its resizes or its references. */
static int repeated_ids(const Place *places, Py_ssize_t n)
{
    size_t size = 8;
    while (size < (size_t)n * 2)
        size <<= 1;
    Py_ssize_t *slots = PyMem_Malloc(sizeof(Py_ssize_t) * size);
    if (!slots) {
        PyErr_NoMemory();
        return -1;
    }
    memset(slots, 0xff, sizeof(Py_ssize_t) * size); /* -1: empty */
    size_t mask = size - 1;
    int repeated = 0;
    for (Py_ssize_t k = 0; k < n && !repeated; k++) {
        size_t i = (size_t)places[k].hash & mask;
        for (;;) {
            Py_ssize_t other = slots[i];
            if (other < 0) {
                slots[i] = k;
                break;
            }
            if (places[other].hash == places[k].hash
                && str_eq(places[other].task_id, places[k].task_id)) {
                repeated = 1;
                break;
            }
            i = (i + 1) & mask;
        }
    }
    PyMem_Free(slots);
    return repeated;
}

/* The records of a blob whose tables are read: checked whole (load_tasks' checks, in its
   order), each one's place noted in `*places` (n of them, PyMem_Free them). 0 or -1. */
static int check_records(Loader *r, Place **places, Py_ssize_t *count)
{
    Py_ssize_t n;
    if (rd_count(r, MIN_TASK, &n) < 0)
        return -1;
    Place *out = PyMem_Malloc(sizeof(Place) * (size_t)(n ? n : 1));
    if (!out) {
        PyErr_NoMemory();
        return -1;
    }
    int rc = 0;
    for (Py_ssize_t k = 0; k < n && rc == 0; k++) {
        LaterTask t;
        out[k].at = r->p;
        rc = fr_read_task(r, &t);
        if (rc == 0) {
            out[k].task_id = t.task_id;
            /* a str's hash never fails */
            out[k].hash = PyObject_Hash(t.task_id);
        }
    }
    if (rc == 0 && r->p != r->end)
        rc = corrupt("bytes after the records");
    if (rc == 0) {
        int repeated = repeated_ids(out, n);
        if (repeated)
            rc = repeated < 0 ? -1 : corrupt("a task id twice");
    }
    if (rc < 0) {
        PyMem_Free(out);
        return -1;
    }
    *places = out;
    *count = n;
    return 0;
}

/* One record of a checked blob merged into `into`, `old` its task's record there (or NULL). */
static int merge_record(Loader *r, const Place *place, PyObject *old, PyObject *into)
{
    if (!old || old == Py_None) {
        PyObject *task = built(r, place->at, fr_load_task);
        if (!task)
            return -1;
        int rc = PyDict_SetItem(into, GET(task, TASK, T_TASK_ID), task);
        Py_DECREF(task);
        return rc;
    }
    LaterTask t;
    r->p = place->at;
    if (fr_read_task(r, &t) < 0)
        return -1;
    int rc = merge_task(old, &t);
    if (rc == 1) {
        PyObject *later = built(r, place->at, fr_load_task);
        rc = later ? merge_in_python(old, later) : -1;
        Py_XDECREF(later);
    }
    return rc;
}

/* The records of a checked blob, merged into `into` in their order. Their old records are
   looked up a batch ahead (a blob's task ids differ, so that a record added in the batch
   changes no other one's lookup), and what the merge reads of each is touched a batch ahead
   too: the cache misses of independent records then overlap instead of coming one by one. */
#define BATCH 32

static inline void prefetch(const void *p)
{
#if defined(__GNUC__)
    __builtin_prefetch(p);
#else
    (void)p;
#endif
}

static int merge_records(Loader *r, const Place *places, Py_ssize_t n, PyObject *into)
{
    PyObject *olds[BATCH];
    for (Py_ssize_t start = 0; start < n; start += BATCH) {
        Py_ssize_t m = n - start < BATCH ? n - start : BATCH;
        for (Py_ssize_t j = 0; j < m; j++) {
            PyObject *old = PyDict_GetItemWithError(into, places[start + j].task_id);
            if (!old && PyErr_Occurred()) {
                for (Py_ssize_t i = 0; i < j; i++)
                    Py_XDECREF(olds[i]);
                return -1;
            }
            olds[j] = Py_XNewRef(old);
            if (old)
                prefetch(old);
        }
        PyObject *firsts[BATCH];
        for (Py_ssize_t j = 0; j < m; j++) {
            PyObject *attempts = olds[j] && Py_TYPE(olds[j]) == TASK.cls
                                     ? GET(olds[j], TASK, T_ATTEMPTS) : NULL;
            firsts[j] = NULL;
            if (attempts && PyTuple_CheckExact(attempts) && PyTuple_GET_SIZE(attempts)) {
                firsts[j] = PyTuple_GET_ITEM(attempts, 0);
                prefetch(firsts[j]);
            }
        }
        for (Py_ssize_t j = 0; j < m; j++) {
            PyObject *a = firsts[j];
            if (a && Py_TYPE(a) == ATTEMPT.cls) {
                static const int fields[] = {A_KEYS, A_NS, A_SPAN_NAMES, A_SPAN_NS};
                for (int f = 0; f < 4; f++) {
                    PyObject *v = GET(a, ATTEMPT, fields[f]);
                    if (v)
                        prefetch(v);
                }
            }
        }
        int rc = 0;
        for (Py_ssize_t j = 0; j < m; j++) {
            if (rc == 0)
                rc = merge_record(r, &places[start + j], olds[j], into);
            Py_XDECREF(olds[j]);
        }
        if (rc < 0)
            return -1;
    }
    return 0;
}

static PyObject *load_tasks_into_call(PyObject *module, PyObject *const *args,
                             Py_ssize_t nargs)
{
    (void)module;
    fr_fref_forget();
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "load_tasks_into(into, blob)");
        return NULL;
    }
    if (!fr_configured())
        return NULL;
    PyObject *into = args[0];
    if (!PyDict_CheckExact(into)) {
        PyErr_SetString(PyExc_TypeError, "into: a dict");
        return NULL;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(args[1], &view, PyBUF_SIMPLE) < 0)
        return NULL;
    Loader r;
    memset(&r, 0, sizeof r);
    r.p = (const unsigned char *)view.buf;
    r.end = r.p + view.len;
    Place *places = NULL;
    Py_ssize_t n = 0;
    int rc = fr_load_tables(&r);
    if (rc == 0)
        rc = check_records(&r, &places, &n);
    if (rc == 0)
        rc = merge_records(&r, places, n, into);
    PyMem_Free(places);
    fr_loader_free(&r);
    PyBuffer_Release(&view);
    if (rc < 0)
        return NULL;
    Py_RETURN_NONE;
}

PyObject *fr_load_tasks_into(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    return fr_call_done(load_tasks_into_call(module, args, nargs));
}
