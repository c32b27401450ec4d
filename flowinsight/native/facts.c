/* What the nodes, jobs, coverage and critical path need of the task records, in one pass in
   table order (flowinsight/pipeline/facts.py: task_facts_py and coverage.py's coverage() are
   the reference): every task's node and its caller's, with _Identity's shape shortcut. With
   `sweep`, each task is swept (sweep.c: sw_sweep_task) as soon as its node and its caller's
   are known, so that the records are visited once and nothing is looked up by task id; the
   tasks their shape names are then neither looked up in the cache nor put in it (node_for:
   `lean`; a dict of every task id was a fifth of the pass), NodeNamer.by_shape. */

#include "sweep.h"

static int has_status(PyObject *keys, int status)
{
    const char *k = PyBytes_AS_STRING(keys);
    return memchr(k, status, (size_t)PyBytes_GET_SIZE(keys)) != NULL;
}

static int has_execute(PyObject *names)
{
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(names); i++) {
        PyObject *name = PyTuple_GET_ITEM(names, i);
        if (name == s_execute || (PyUnicode_Check(name)
                                  && PyUnicode_Compare(name, s_execute) == 0)) {
            return 1;
        }
    }
    return 0;
}

/* An ASCII id of at least 40 chars whose first 40 are 'f' (a driver's task id has the nil
   task part, then its job). */
static int forty_fs(PyObject *task_id)
{
    if (!PyUnicode_IS_ASCII(task_id) || PyUnicode_GET_LENGTH(task_id) < 40) {
        return 0;
    }
    const char *s = (const char *)PyUnicode_DATA(task_id);
    for (int i = 0; i < 40; i++) {
        if (s[i] != 'f') {
            return 0;
        }
    }
    return 1;
}

/* is_driver_task: 48 chars, the first 40 of them 'f' */
int sw_is_driver_id(PyObject *task_id)
{
    return PyUnicode_GET_LENGTH(task_id) == 48 && forty_fs(task_id);
}

/* job_of_task(task_id) == job: the last 8 chars of a 48-char id, else "" */
static int job_matches_id(PyObject *task_id, PyObject *job)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(task_id);
    if (n != 48) {
        return PyUnicode_GET_LENGTH(job) == 0;
    }
    if (PyUnicode_GET_LENGTH(job) != 8) {
        return 0;
    }
    if (PyUnicode_KIND(task_id) == PyUnicode_1BYTE_KIND
        && PyUnicode_KIND(job) == PyUnicode_1BYTE_KIND) {
        return memcmp(PyUnicode_1BYTE_DATA(task_id) + 40, PyUnicode_1BYTE_DATA(job), 8) == 0;
    }
    PyObject *tail = PyUnicode_Substring(task_id, 40, 48);
    if (!tail) {
        return -1;
    }
    int same = PyUnicode_Compare(tail, job) == 0;
    Py_DECREF(tail);
    return same;
}

/* Counts per key (a node, a job) kept in C as the pass goes, and handed over as a dict in the
   order the keys came first: what adding 1 to dict[key] each time would give. Keys are found
   by identity (keys are mostly the same few objects), else by value. */
typedef struct {
    PtrMap map;
    PyObject *index; /* key -> position, by value */
    PyObject *keep;  /* the keys the map points to */
    Py_ssize_t *counts;
    Py_ssize_t len, cap;
} Counts;

static int counts_add(Counts *c, PyObject *key)
{
    Py_ssize_t at = sw_ptrmap_get(&c->map, key, NULL);
    if (at < 0) {
        PyObject *pos = PyDict_GetItemWithError(c->index, key);
        if (pos) {
            at = PyLong_AsSsize_t(pos);
        } else if (PyErr_Occurred()) {
            return -1;
        } else {
            if (c->len == c->cap) {
                Py_ssize_t cap = c->cap ? 2 * c->cap : 16;
                Py_ssize_t *counts = PyMem_Realloc(c->counts, (size_t)cap * sizeof(Py_ssize_t));
                if (!counts) {
                    PyErr_NoMemory();
                    return -1;
                }
                c->counts = counts;
                c->cap = cap;
            }
            at = c->len;
            pos = PyLong_FromSsize_t(at);
            if (!pos || PyDict_SetItem(c->index, key, pos) < 0) {
                Py_XDECREF(pos);
                return -1;
            }
            Py_DECREF(pos);
            c->counts[c->len++] = 0;
        }
        if (PyList_Append(c->keep, key) < 0 || sw_ptrmap_put(&c->map, key, NULL, at) < 0) {
            return -1;
        }
    }
    c->counts[at]++;
    return 0;
}

/* The counts as {key: count}, keys in the order they came first (the index's order). */
static PyObject *counts_dict(Counts *c)
{
    PyObject *out = PyDict_New();
    PyObject *key, *pos;
    Py_ssize_t it = 0;
    while (out && PyDict_Next(c->index, &it, &key, &pos)) {
        PyObject *n = PyLong_FromSsize_t(c->counts[PyLong_AsSsize_t(pos)]);
        if (!n || PyDict_SetItem(out, key, n) < 0) {
            Py_XDECREF(n);
            Py_CLEAR(out);
        }
        Py_XDECREF(n);
    }
    return out;
}

static void counts_free(Counts *c)
{
    sw_ptrmap_free(&c->map);
    Py_CLEAR(c->index);
    Py_CLEAR(c->keep);
    PyMem_Free(c->counts);
    c->counts = NULL;
}

/* The shape of the task before (function, type, actor, job: the objects themselves) and its
   node, when the shapes had it: a task of the very same objects has the same shape, whose
   node never changes once known (consecutive tasks are mostly of one shape). */
typedef struct {
    PyObject *function, *task_type, *actor, *job, *nid; /* strong references, or NULL */
} ShapeMemo;

static void memo_clear(ShapeMemo *m)
{
    Py_CLEAR(m->function);
    Py_CLEAR(m->task_type);
    Py_CLEAR(m->actor);
    Py_CLEAR(m->job);
    Py_CLEAR(m->nid);
}

static void memo_set(ShapeMemo *m, PyObject *function, PyObject *task_type, PyObject *actor,
                     PyObject *job, PyObject *nid)
{
    memo_clear(m);
    m->function = Py_NewRef(function);
    m->task_type = Py_NewRef(task_type);
    m->actor = Py_NewRef(actor);
    m->job = Py_NewRef(job);
    m->nid = Py_NewRef(nid);
}

/* A task its node is kept for in the cache even when `lean`: a driver's (by its type, or an
   id of driver_task_id's shape: 40 'f' first), asked for by name once the records are gone. */
static int keep_cached(PyObject *task_id, PyObject *task_type, PyObject *driver_type)
{
    return task_type == driver_type || forty_fs(task_id);
}

/* The task's node: the cache, else its shape's node, else node_of(task_id) (Python). With
   `lean` (the sweep in the same pass: NodeNamer.by_shape), a task its shape answers is not
   looked up in the cache nor put in it, unless `keep`: the cache only ever holds a task's
   shape's node (NodeNamer.__call__), and NodeNamer gives that again when asked. */
static PyObject *node_for(PyObject *task_id, PyObject *task, PyObject *task_type,
                          PyObject *cache, PyObject *shapes, PyObject *node_of,
                          PyObject *no_actor, Slots *ts, ShapeMemo *memo, int lean, int keep)
{
    PyObject *nid;
    int cached = !lean || keep;
    if (task_type != Py_None) {
        PyObject *actor = slot(task, ts, T_ACTOR, NULL);
        if (!actor) {
            return NULL;
        }
        int shaped = PyObject_IsTrue(actor);
        if (shaped == 0) {
            shaped = PySequence_Contains(no_actor, task_type);
        }
        if (shaped < 0) {
            Py_DECREF(actor);
            return NULL;
        }
        if (shaped) {
            PyObject *function = slot(task, ts, T_FUNCTION, NULL);
            PyObject *job = function ? slot(task, ts, T_JOB, NULL) : NULL;
            if (!job) {
                Py_XDECREF(function);
                Py_DECREF(actor);
                return NULL;
            }
            if (memo->nid && function == memo->function && task_type == memo->task_type
                && actor == memo->actor && job == memo->job) {
                /* the cache's node if it has one, else the shape's, put in the cache */
                Py_DECREF(function);
                Py_DECREF(job);
                Py_DECREF(actor);
                if (!cached) {
                    return Py_NewRef(memo->nid);
                }
                nid = PyDict_SetDefault(cache, task_id, memo->nid);
                Py_XINCREF(nid);
                return nid;
            }
            nid = cached ? PyDict_GetItemWithError(cache, task_id) : NULL;
            if (nid || PyErr_Occurred()) {
                Py_DECREF(function);
                Py_DECREF(job);
                Py_DECREF(actor);
                Py_XINCREF(nid);
                return nid;
            }
            PyObject *ident = PyLong_FromVoidPtr(function);
            PyObject *shape = ident ? PyTuple_Pack(4, ident, task_type, actor, job) : NULL;
            Py_XDECREF(ident);
            nid = shape ? PyDict_GetItemWithError(shapes, shape) : NULL;
            Py_XDECREF(shape);
            if (nid) {
                memo_set(memo, function, task_type, actor, job, nid);
            }
            Py_DECREF(function);
            Py_DECREF(job);
            Py_DECREF(actor);
            if (nid) {
                if (cached && PyDict_SetItem(cache, task_id, nid) < 0) {
                    return NULL;
                }
                Py_INCREF(nid);
                return nid;
            }
            if (PyErr_Occurred()) {
                return NULL;
            }
            return PyObject_CallOneArg(node_of, task_id);
        }
        Py_DECREF(actor);
    }
    nid = PyDict_GetItemWithError(cache, task_id);
    if (nid || PyErr_Occurred()) {
        Py_XINCREF(nid);
        return nid;
    }
    return PyObject_CallOneArg(node_of, task_id);
}

/* Two str equal (str are canonical: one kind for one value) */
static int same_str(PyObject *a, PyObject *b)
{
    if (a == b) {
        return 1;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(a);
    return n == PyUnicode_GET_LENGTH(b) && PyUnicode_KIND(a) == PyUnicode_KIND(b)
           && memcmp(PyUnicode_DATA(a), PyUnicode_DATA(b), (size_t)(n * PyUnicode_KIND(a))) == 0;
}

/* The table in order, with the records a few tasks ahead prefetched: the pass is bound by
   memory latency (records scattered over the heap), and a task's own chain of loads leaves
   the memory idle. Only the record and its key are prefetched: what a record points to is
   read through its descriptors (slots.c), not looked into ahead. */
enum { AHEAD = 6, RING = 8 };

typedef struct {
    PyObject *keys[RING], *values[RING];
    Py_ssize_t head, len, pos;
    int done;
} Ahead;

static inline void prefetch(const void *p)
{
#if defined(__GNUC__)
    __builtin_prefetch(p, 0, 3);
#else
    (void)p;
#endif
}

static int ahead_next(Ahead *a, PyObject *dict, PyObject **key, PyObject **value)
{
    while (a->len <= AHEAD && !a->done) {
        Py_ssize_t at = (a->head + a->len) % RING;
        if (PyDict_Next(dict, &a->pos, &a->keys[at], &a->values[at])) {
            prefetch(a->values[at]);
            prefetch(a->keys[at]);
            a->len++;
        } else {
            a->done = 1;
        }
    }
    if (!a->len) {
        return 0;
    }
    *key = a->keys[a->head];
    *value = a->values[a->head];
    a->head = (a->head + 1) % RING;
    a->len--;
    return 1;
}

PyObject *sw_facts(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *tasks, *cache, *shapes, *node_of, *no_actor, *driver_type;
    int has_export, sweeping = 0;
    if (!PyArg_ParseTuple(args, "O!O!O!OOOp|p", &PyDict_Type, &tasks, &PyDict_Type, &cache,
                          &PyDict_Type, &shapes, &node_of, &no_actor, &driver_type,
                          &has_export, &sweeping)) {
        return NULL;
    }
    PyObject *received = NULL, *defined = PySet_New(NULL), *languages = PyDict_New(),
             *drivers = PySet_New(NULL), *job_counts = NULL, *jobs_of = PyDict_New();
    Counts received_n = {{0}}, job_n = {{0}};
    PyObject *swept = NULL;
    Py_ssize_t complete = 0, no_def = 0, no_parent = 0, no_final = 0, no_exec = 0;
    Sweep sw;
    memset(&sw, 0, sizeof(sw));
    Slots ts = {NULL, T_FIELDS, sw_task_names, {0}}, as = {NULL, A_FIELDS, sw_attempt_names, {0}};
    ShapeMemo memo = {NULL, NULL, NULL, NULL, NULL}, parent_memo = memo;
    /* the caller of the task before, its node, whether it has a record (-1: not asked yet):
       consecutive tasks mostly have the same caller */
    PyObject *last_parent = NULL, *last_caller = NULL;
    int last_in_table = -1;
    /* the last node added to `defined`, and to `languages` (or found there): the task before
       is mostly of the same node, and nothing is ever taken out of either (borrowed: they
       hold them) */
    PyObject *last_defined = NULL, *last_language = NULL;
    if (!defined || !languages || !drivers || !jobs_of || !(received_n.index = PyDict_New())
        || !(received_n.keep = PyList_New(0)) || !(job_n.index = PyDict_New())
        || !(job_n.keep = PyList_New(0))
        || (sweeping && sw_sweep_init(&sw, PyDict_GET_SIZE(tasks)) < 0)) {
        goto fail;
    }
    PyObject *tid, *task;
    Ahead ahead = {{0}};
    while (ahead_next(&ahead, tasks, &tid, &task)) {
        int ok_task = 0;
        PyObject *parent = NULL, *task_type = NULL, *nid = NULL, *language = NULL, *job = NULL,
                 *raws = NULL, *caller = NULL;
        Py_INCREF(task);
        if (!(parent = slot(task, &ts, T_PARENT, &PyUnicode_Type))
            || !(task_type = slot(task, &ts, T_TYPE, NULL))) {
            goto next;
        }
        if (PyUnicode_GET_LENGTH(parent)) {
            if (last_parent && same_str(parent, last_parent)) {
                caller = Py_NewRef(last_caller);
            } else {
                /* lean: a caller with a record is named by it (node_for: its shape, not the
                   cache), which also says it is in the table */
                PyObject *record = sweeping ? PyDict_GetItemWithError(tasks, parent) : NULL;
                int in_table = -1;
                if (record) {
                    Py_INCREF(record);
                    PyObject *ptype = slot(record, &ts, T_TYPE, NULL);
                    caller = ptype ? node_for(parent, record, ptype, cache, shapes, node_of,
                                              no_actor, &ts, &parent_memo, 1,
                                              keep_cached(parent, ptype, driver_type))
                                   : NULL;
                    Py_XDECREF(ptype);
                    Py_DECREF(record);
                    if (!caller) {
                        goto next;
                    }
                    in_table = 1;
                } else if (PyErr_Occurred()) {
                    goto next;
                } else {
                    in_table = sweeping ? 0 : -1;
                    caller = PyDict_GetItemWithError(cache, parent);
                    if (caller) {
                        Py_INCREF(caller);
                    } else if (PyErr_Occurred()
                               || !(caller = PyObject_CallOneArg(node_of, parent))) {
                        goto next;
                    }
                }
                Py_XSETREF(last_parent, Py_NewRef(parent));
                Py_XSETREF(last_caller, Py_NewRef(caller));
                last_in_table = in_table;
            }
        }
        if (!(nid = node_for(tid, task, task_type, cache, shapes, node_of, no_actor, &ts,
                             &memo, sweeping, sweeping && keep_cached(tid, task_type,
                                                                      driver_type)))) {
            goto next;
        }
        int is_defined = task_type != Py_None;
        if (is_defined && nid != last_defined) {
            if (PySet_Add(defined, nid) < 0) {
                goto next;
            }
            last_defined = nid; /* the set holds it */
        }
        if (!(language = slot(task, &ts, T_LANGUAGE, &PyUnicode_Type))) {
            goto next;
        }
        if (PyUnicode_GET_LENGTH(language) && nid != last_language) {
            int has = PyDict_Contains(languages, nid);
            if (has < 0 || (!has && PyDict_SetItem(languages, nid, language) < 0)) {
                goto next;
            }
            last_language = nid; /* the dict holds it */
        }
        if (!(job = slot(task, &ts, T_JOB, &PyUnicode_Type))) {
            goto next;
        }
        int driver_id = sw_is_driver_id(tid);
        if (driver_id) {
            if (PySet_Add(drivers, tid) < 0) {
                goto next;
            }
        } else if (counts_add(&received_n, nid) < 0 || counts_add(&job_n, job) < 0) {
            goto next;
        }
        int same_job = job_matches_id(tid, job);
        if (same_job < 0 || (!same_job && PyDict_SetItem(jobs_of, tid, job) < 0)) {
            goto next;
        }
        /* coverage.py */
        int driver = task_type == driver_type || driver_id;
        int ok = is_defined;
        no_def += !is_defined;
        if (is_defined && !driver) {
            int lost = !PyUnicode_GET_LENGTH(parent);
            if (!lost) {
                /* last_parent is this task's caller */
                if (last_in_table < 0 && (last_in_table = PyDict_Contains(tasks, parent)) < 0) {
                    goto next;
                }
                lost = !last_in_table && !sw_is_driver_id(parent);
            }
            if (lost) {
                no_parent++;
                ok = 0;
            }
        }
        if (has_export) {
            if (!(raws = slot(task, &ts, T_ATTEMPTS, &PyTuple_Type))) {
                goto next;
            }
            if (!PyTuple_GET_SIZE(raws)) {
                no_final++;
                ok = 0;
            }
            for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(raws); j++) {
                PyObject *raw = PyTuple_GET_ITEM(raws, j);
                PyObject *keys = slot(raw, &as, A_STATE_KEYS, &PyBytes_Type);
                PyObject *names = keys ? slot(raw, &as, A_SPAN_NAMES, &PyTuple_Type) : NULL;
                if (!names) {
                    Py_XDECREF(keys);
                    goto next;
                }
                if (!has_status(keys, FINISHED) && !has_status(keys, FAILED)) {
                    no_final++;
                    ok = 0;
                }
                if (!driver && !has_status(keys, RUNNING) && !has_execute(names)) {
                    no_exec++;
                    ok = 0;
                }
                Py_DECREF(keys);
                Py_DECREF(names);
            }
        }
        complete += ok;
        /* the sweep of the task (attempt_rows.py), its node and its caller's at hand: a
           driver (its attempts in no node's stats) is a task with a driver's id */
        if (sweeping && sw_sweep_task(&sw, tid, task, parent, nid, caller, driver_id) < 0) {
            goto next;
        }
        ok_task = 1;
    next:
        Py_XDECREF(parent);
        Py_XDECREF(task_type);
        Py_XDECREF(nid);
        Py_XDECREF(caller);
        Py_XDECREF(language);
        Py_XDECREF(job);
        Py_XDECREF(raws);
        Py_DECREF(task);
        if (!ok_task) {
            goto fail;
        }
    }
    if (!(received = counts_dict(&received_n)) || !(job_counts = counts_dict(&job_n))) {
        goto fail;
    }
    counts_free(&received_n);
    counts_free(&job_n);
    if (sweeping) {
        if (!(swept = sw_sweep_finish(&sw))) {
            goto fail;
        }
        sw_sweep_free(&sw);
    } else {
        swept = Py_NewRef(Py_None);
    }
    memo_clear(&memo);
    memo_clear(&parent_memo);
    Py_XDECREF(last_parent);
    Py_XDECREF(last_caller);
    return Py_BuildValue("(NNNNNN(nnnnnn)N)", received, defined, languages, drivers, job_counts,
                         jobs_of, PyDict_GET_SIZE(tasks), complete, no_def, no_parent, no_final,
                         no_exec, swept);
fail:
    sw_sweep_free(&sw);
    counts_free(&received_n);
    counts_free(&job_n);
    memo_clear(&memo);
    memo_clear(&parent_memo);
    Py_XDECREF(last_parent);
    Py_XDECREF(last_caller);
    Py_XDECREF(received);
    Py_XDECREF(defined);
    Py_XDECREF(languages);
    Py_XDECREF(drivers);
    Py_XDECREF(job_counts);
    Py_XDECREF(jobs_of);
    return NULL;
}
