/* The stats sums of a node or a call edge, as the sweep adds attempts to them: counts, and
   every duration (exact percentiles need them all), sorted when they go out. */

#include "sweep.h"

void sw_aggs_free(Aggs *a)
{
    for (Py_ssize_t i = 0; i < a->len; i++) {
        buf_free(&a->items[i].execs);
        buf_free(&a->items[i].queues);
        Py_XDECREF(a->items[i].submits);
        Py_XDECREF(a->items[i].execs_out);
        Py_XDECREF(a->items[i].queues_out);
    }
    PyMem_Free(a->items);
}

/* The aggregate of `key` in `index` (key -> position in `aggs`), made when absent. */
Agg *sw_agg_for(Aggs *aggs, PyObject *index, PyObject *key, int with_submits)
{
    PyObject *at = PyDict_GetItemWithError(index, key);
    if (at) {
        return &aggs->items[PyLong_AsSsize_t(at)];
    }
    if (PyErr_Occurred()) {
        return NULL;
    }
    if (aggs->len == aggs->cap) {
        Py_ssize_t cap = aggs->cap ? aggs->cap * 2 : 16;
        Agg *items = PyMem_Realloc(aggs->items, (size_t)cap * sizeof(Agg));
        if (!items) {
            PyErr_NoMemory();
            return NULL;
        }
        aggs->items = items;
        aggs->cap = cap;
    }
    Agg *agg = &aggs->items[aggs->len];
    memset(agg, 0, sizeof(Agg));
    agg->execs.item = agg->queues.item = sizeof(int64_t);
    agg->sole_edge = -1;
    if (with_submits && !(agg->submits = PyList_New(0))) {
        return NULL;
    }
    PyObject *pos = PyLong_FromSsize_t(aggs->len);
    if (!pos || PyDict_SetItem(index, key, pos) < 0) {
        Py_XDECREF(pos);
        Py_XDECREF(agg->submits);
        return NULL;
    }
    Py_DECREF(pos);
    aggs->len++;
    return agg;
}


/* Durations in ns, sorted ascending. They are differences of int64 times, >= 0: an LSD radix
   sort of their bits (11 at a time, a pass skipped where all share the digit; fewer passes
   than the doubles they become would take, whose mantissas fill every bit). */
static int sort_ns(uint64_t *values, Py_ssize_t n)
{
    if (n < 2) {
        return 0;
    }
    if (n < 48) {
        for (Py_ssize_t i = 1; i < n; i++) {
            uint64_t v = values[i];
            Py_ssize_t j = i;
            for (; j > 0 && values[j - 1] > v; j--) {
                values[j] = values[j - 1];
            }
            values[j] = v;
        }
        return 0;
    }
    uint64_t any = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        any |= values[i];
    }
    uint64_t *tmp = PyMem_Malloc((size_t)n * sizeof(uint64_t));
    if (!tmp) {
        PyErr_NoMemory();
        return -1;
    }
    uint64_t *from = values, *to = tmp;
    for (int shift = 0; shift < 64; shift += 11) {
        if (!((any >> shift) & 0x7ff)) {
            continue; /* every value has 0 there */
        }
        if (!radix_pass(from, to, n, shift)) {
            continue; /* one digit for all: nothing moved */
        }
        uint64_t *t = from;
        from = to;
        to = t;
    }
    if (from != values) {
        memcpy(values, from, (size_t)n * sizeof(uint64_t));
    }
    PyMem_Free(tmp);
    return 0;
}

/* The durations sorted, as bytes of doubles in ms: (double)ns / 1e6, what the sweep's Python
   reference computes for each (and in the same order: the division keeps it). */
static PyObject *ms_sorted(Buf *ns)
{
    if (sort_ns((uint64_t *)ns->data, ns->len) < 0) {
        return NULL;
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, ns->len * (Py_ssize_t)sizeof(double));
    if (out) {
        const int64_t *from = (const int64_t *)ns->data;
        double *to = (double *)PyBytes_AS_STRING(out);
        for (Py_ssize_t i = 0; i < ns->len; i++) {
            to[i] = (double)from[i] / 1e6;
        }
    }
    return out;
}

/* A submission time of an edge's task: in its list, and in its min() and max() as Python
   finds them (the first, then each one below or above: what `<` and `>` say of floats). */
int sw_agg_submit(Agg *agg, PyObject *submit)
{
    if (!PyFloat_CheckExact(submit)) {
        agg->odd_submits = 1;
    } else {
        double v = PyFloat_AS_DOUBLE(submit);
        if (!PyList_GET_SIZE(agg->submits)) {
            agg->earliest = agg->latest = v;
        } else {
            if (v < agg->earliest) {
                agg->earliest = v;
            }
            if (v > agg->latest) {
                agg->latest = v;
            }
        }
    }
    return PyList_Append(agg->submits, submit);
}

/* A node's durations, when all its attempts went to one edge too, and to that edge only
   theirs (as many durations): the very same, sorted once (the edges go out first). */
static PyObject *as_edge(Agg *agg, Aggs *edges, int queues)
{
    if (!edges || agg->sole_edge < 0) {
        return NULL;
    }
    Agg *edge = &edges->items[agg->sole_edge];
    PyObject *out = queues ? edge->queues_out : edge->execs_out;
    Py_ssize_t mine = queues ? agg->queues.len : agg->execs.len,
               its = queues ? edge->queues.len : edge->execs.len;
    return out && mine == its ? Py_NewRef(out) : NULL;
}

/* The durations go out sorted, in ms (an edge's kept for its node: as_edge). */
PyObject *sw_agg_tuple(Agg *agg, int edge, Aggs *edges)
{
    PyObject *execs = as_edge(agg, edges, 0);
    if (!execs) {
        execs = ms_sorted(&agg->execs);
    }
    PyObject *queues = execs ? as_edge(agg, edges, 1) : NULL;
    if (execs && !queues) {
        queues = ms_sorted(&agg->queues);
    }
    if (!execs || !queues) {
        Py_XDECREF(execs);
        return NULL;
    }
    if (edge) {
        Py_XSETREF(agg->execs_out, Py_NewRef(execs));
        Py_XSETREF(agg->queues_out, Py_NewRef(queues));
        PyObject *span = PyList_GET_SIZE(agg->submits) >= 2 && !agg->odd_submits
                             ? Py_BuildValue("(dd)", agg->earliest, agg->latest)
                             : Py_NewRef(Py_None);
        if (!span) {
            Py_DECREF(execs);
            Py_DECREF(queues);
            return NULL;
        }
        return Py_BuildValue("(nnnnnNNON)", agg->count, agg->tasks, agg->attempts,
                             agg->failures, agg->retries, execs, queues, agg->submits, span);
    }
    return Py_BuildValue("(nnnnNN)", agg->tasks, agg->attempts, agg->failures, agg->retries,
                         execs, queues);
}

/* The aggregate of node `a` (b NULL) or of the edge (a, b): by the objects' identity through
   `map`, else by value through `index` (sw_agg_for), the pair then remembered. `keep` holds
   the objects remembered, so that no other object takes their address meanwhile. */
Agg *sw_agg_of(Aggs *aggs, PyObject *index, PtrMap *map, PyObject *keep, PyObject *a,
               PyObject *b)
{
    Py_ssize_t at = sw_ptrmap_get(map, a, b);
    if (at >= 0) {
        return &aggs->items[at];
    }
    PyObject *key = b ? PyTuple_Pack(2, a, b) : (Py_INCREF(a), a);
    Agg *agg = key ? sw_agg_for(aggs, index, key, b != NULL) : NULL;
    int bad = !agg || PyList_Append(keep, key) < 0
              || sw_ptrmap_put(map, a, b, agg - aggs->items) < 0;
    Py_XDECREF(key);
    return bad ? NULL : agg;
}
