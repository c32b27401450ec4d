/* The sweep over the task records (flowinsight/pipeline/attempt_rows.py: sweep_py), in C,
   within the facts' pass (facts.c: facts(..., sweep=True)).

   attempt_rows.py's `sweep_py` is the reference: this gives the same attempt columns, the same
   stats sums per node and per call edge and the same submission times, for the same records,
   in one pass with no Python object per attempt beyond the column entries. The records are
   the pipeline's own (tasks.py: Task and Attempt, built by merge_tasks), so their fields have
   the types those classes declare; anything else raises TypeError (a bug, not bad input).

   Its columns (sw_sweep_finish):
       (task_ids, numbers, node_ids, parents, statuses, errors, ray_node_ids, worker_ids,
        worker_pids, pending_ns, start_ns, end_ns, by_node, edges)
   The rows are in task id order, each task's in attempt order; the attempts of the driver
   tasks count in no node's stats. numbers/pending_ns/start_ns/end_ns are bytes of int64 (-1: not
   recorded), statuses bytes of codes (0 FINISHED, 1 FAILED, 2 UNKNOWN), errors {row: (type, message)}.
   by_node: {node: (tasks, attempts, failures, retries, execs, queues)} with execs and queues
   bytes of doubles (ms), sorted; edges: {(caller node, callee node): (count, tasks, attempts,
   failures, retries, execs, queues, submits, span)} with submits a list of floats (ms) and
   span their (min(), max()) (None below two, or with a submit not a float). */

#include "sweep.h"

static inline int push_ref(Buf *b, PyObject *o)
{
    if (buf_push8(b, &o) < 0) {
        return -1;
    }
    Py_INCREF(o);
    return 0;
}

/* One raw attempt: its row, and its share of the node's and the edge's stats. */
static int sweep_attempt(Sweep *s, PyObject *tid, PyObject *node, PyObject *parent,
                         PyObject *raw, Agg *mine, Agg *edge, long long *first_pending)
{
    Columns *c = &s->c;
    Slots *a = &s->attempt_slots;
    int ok = -1;
    PyObject *number_o = NULL, *keys = NULL, *ns = NULL, *names = NULL, *span_ns = NULL,
             *error_type = NULL, *error_message = NULL, *ray_node = NULL, *worker = NULL,
             *pid = NULL;
    if (!(number_o = slot(raw, a, A_NUMBER, &PyLong_Type))
        || !(keys = slot(raw, a, A_STATE_KEYS, &PyBytes_Type))
        || !(ns = slot(raw, a, A_STATE_NS, &PyBytes_Type))
        || !(names = slot(raw, a, A_SPAN_NAMES, &PyTuple_Type))
        || !(span_ns = slot(raw, a, A_SPAN_NS, &PyBytes_Type))
        || !(error_type = slot(raw, a, A_ERROR_TYPE, &PyUnicode_Type))
        || !(error_message = slot(raw, a, A_ERROR_MESSAGE, &PyUnicode_Type))
        || !(ray_node = slot(raw, a, A_NODE, NULL)) || !(worker = slot(raw, a, A_WORKER, NULL))
        || !(pid = slot(raw, a, A_PID, NULL))) {
        goto done;
    }
    long long number = PyLong_AsLongLong(number_o);
    if (number == -1 && PyErr_Occurred()) {
        goto done;
    }
    const unsigned char *k = (const unsigned char *)PyBytes_AS_STRING(keys);
    Py_ssize_t nk = PyBytes_GET_SIZE(keys);
    if (PyBytes_GET_SIZE(ns) != 8 * nk) {
        PyErr_SetString(PyExc_TypeError, "record: state times do not match state keys");
        goto done;
    }
    const char *t = PyBytes_AS_STRING(ns);
    long long pending = NO_NS, running = NO_NS, finished = NO_NS, failed = NO_NS;
    for (Py_ssize_t i = 0; i < nk; i++) { /* each status once */
        long long v = read_i64(t + 8 * i);
        if (k[i] == RUNNING) {
            running = v;
        } else if (k[i] == FINISHED) {
            finished = v;
        } else if (k[i] == FAILED) {
            failed = v;
        } else if (is_pending(k[i]) && (pending == NO_NS || v < pending)) {
            pending = v;
        }
    }
    long long start, end;
    Py_ssize_t at = -1, nn = PyTuple_GET_SIZE(names);
    for (Py_ssize_t i = 0; i < nn; i++) {
        PyObject *name = PyTuple_GET_ITEM(names, i);
        if (name == s_execute || (PyUnicode_Check(name)
                                  && PyUnicode_Compare(name, s_execute) == 0)) {
            at = i;
            break;
        }
    }
    if (at >= 0) {
        if (PyBytes_GET_SIZE(span_ns) < 16 * (at + 1)) {
            PyErr_SetString(PyExc_TypeError, "record: span times do not match span names");
            goto done;
        }
        start = read_i64(PyBytes_AS_STRING(span_ns) + 16 * at);
        end = read_i64(PyBytes_AS_STRING(span_ns) + 16 * at + 8);
    } else {
        start = running;
        end = finished != NO_NS ? finished : failed;
    }
    int code = (failed != NO_NS || PyUnicode_GET_LENGTH(error_type)) ? FAILED_CODE
               : finished != NO_NS                                  ? FINISHED_CODE
                                                                    : UNKNOWN_CODE;
    if (PyUnicode_GET_LENGTH(error_type) || PyUnicode_GET_LENGTH(error_message)) {
        PyObject *row = PyLong_FromSsize_t(c->task_ids.len);
        PyObject *pair = row ? PyTuple_Pack(2, error_type, error_message) : NULL;
        int bad = !pair || PyDict_SetItem(c->errors, row, pair) < 0;
        Py_XDECREF(row);
        Py_XDECREF(pair);
        if (bad) {
            goto done;
        }
    }
    unsigned char status = (unsigned char)code;
    if (push_ref(&c->task_ids, tid) < 0 || buf_push8(&c->numbers, &number) < 0
        || push_ref(&c->node_ids, node) < 0 || push_ref(&c->parents, parent) < 0
        || buf_push1(&c->statuses, status) < 0 || push_ref(&c->ray_nodes, ray_node) < 0
        || push_ref(&c->workers, worker) < 0 || push_ref(&c->pids, pid) < 0
        || buf_push8(&c->pendings, &pending) < 0 || buf_push8(&c->starts, &start) < 0
        || buf_push8(&c->ends, &end) < 0) {
        goto done;
    }
    if (pending > 0 && (*first_pending == NO_NS || pending < *first_pending)) {
        *first_pending = pending;
    }
    int has_exec = 0, has_queue = 0;
    int64_t exec_ns = 0, queue_ns = 0; /* in ms (/ 1e6) once sorted: sw_agg_tuple */
    if (start != NO_NS) {
        if (end != NO_NS && end >= start) {
            has_exec = 1;
            exec_ns = end - start;
        }
        if (pending != NO_NS && start >= pending) {
            has_queue = 1;
            queue_ns = start - pending;
        }
    }
    if (mine && agg_add(mine, number, code == FAILED_CODE, has_exec, exec_ns, has_queue,
                        queue_ns) < 0) {
        goto done;
    }
    if (edge && agg_add(edge, number, code == FAILED_CODE, has_exec, exec_ns, has_queue,
                        queue_ns) < 0) {
        goto done;
    }
    ok = 0;
done:
    Py_XDECREF(number_o);
    Py_XDECREF(keys);
    Py_XDECREF(ns);
    Py_XDECREF(names);
    Py_XDECREF(span_ns);
    Py_XDECREF(error_type);
    Py_XDECREF(error_message);
    Py_XDECREF(ray_node);
    Py_XDECREF(worker);
    Py_XDECREF(pid);
    return ok;
}

/* A task's attempts sorted by number (stable), as a new list. */
static PyObject *by_number(PyObject *raws)
{
    PyObject *out = PySequence_List(raws);
    if (!out) {
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(out);
    for (Py_ssize_t i = 1; i < n; i++) { /* insertion sort: a few attempts at most */
        PyObject *item = PyList_GET_ITEM(out, i);
        PyObject *key = PyObject_GetAttr(item, s_number);
        if (!key) {
            Py_DECREF(out);
            return NULL;
        }
        Py_ssize_t j = i - 1;
        while (j >= 0) {
            PyObject *other = PyObject_GetAttr(PyList_GET_ITEM(out, j), s_number);
            int less = other ? PyObject_RichCompareBool(key, other, Py_LT) : -1;
            Py_XDECREF(other);
            if (less < 0) {
                Py_DECREF(key);
                Py_DECREF(out);
                return NULL;
            }
            if (!less) {
                break;
            }
            PyList_SET_ITEM(out, j + 1, PyList_GET_ITEM(out, j));
            j--;
        }
        PyList_SET_ITEM(out, j + 1, item);
        Py_DECREF(key);
    }
    return out;
}

int sw_sweep_init(Sweep *s, Py_ssize_t n_tasks)
{
    memset(s, 0, sizeof(Sweep));
    Columns *c = &s->c;
    c->task_ids.item = c->node_ids.item = c->parents.item = c->ray_nodes.item =
        c->workers.item = c->pids.item = sizeof(PyObject *);
    c->numbers.item = c->pendings.item = c->starts.item = c->ends.item = 8;
    c->statuses.item = 1;
    s->task_slots.n = T_FIELDS;
    s->task_slots.names = sw_task_names;
    s->attempt_slots.n = A_FIELDS;
    s->attempt_slots.names = sw_attempt_names;
    /* most tasks have one attempt: the columns start at about a row per task */
    Buf *bufs[] = {&c->task_ids, &c->node_ids, &c->parents, &c->ray_nodes, &c->workers,
                   &c->pids, &c->numbers, &c->statuses, &c->pendings, &c->starts, &c->ends};
    for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++) {
        Buf *b = bufs[i];
        b->cap = n_tasks + n_tasks / 32 + 16;
        if (!(b->data = PyMem_Malloc((size_t)(b->cap * b->item)))) {
            PyErr_NoMemory();
            return -1;
        }
    }
    s->cap_spans = n_tasks + 1;
    if (!(s->spans = PyMem_Malloc((size_t)s->cap_spans * sizeof(TaskRows)))) {
        PyErr_NoMemory();
        return -1;
    }
    if (!(s->node_index = PyDict_New()) || !(s->edge_index = PyDict_New())
        || !(s->keep = PyList_New(0)) || !(c->errors = PyDict_New())) {
        return -1;
    }
    return 0;
}

static void refs_free(Buf *b)
{
    PyObject **items = (PyObject **)b->data;
    for (Py_ssize_t i = 0; i < b->len; i++) {
        Py_DECREF(items[i]);
    }
    buf_free(b);
}

void sw_sweep_free(Sweep *s)
{
    Columns *c = &s->c;
    PyMem_Free(s->spans);
    s->spans = NULL;
    PyMem_Free(c->order);
    c->order = NULL;
    Py_CLEAR(s->node_index);
    Py_CLEAR(s->edge_index);
    Py_CLEAR(s->keep);
    Py_CLEAR(c->errors);
    Buf *refs[] = {&c->task_ids, &c->node_ids, &c->parents, &c->ray_nodes, &c->workers,
                   &c->pids};
    for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
        refs_free(refs[i]);
    }
    buf_free(&c->numbers);
    buf_free(&c->statuses);
    buf_free(&c->pendings);
    buf_free(&c->starts);
    buf_free(&c->ends);
    sw_aggs_free(&s->node_aggs);
    sw_aggs_free(&s->edge_aggs);
    s->node_aggs = s->edge_aggs = (Aggs){0};
    sw_ptrmap_free(&s->node_map);
    sw_ptrmap_free(&s->edge_map);
}

int sw_sweep_task(Sweep *s, PyObject *tid, PyObject *task, PyObject *parent, PyObject *node,
                  PyObject *caller, int driver)
{
    Py_ssize_t first_row = s->c.task_ids.len;
    int ok = -1;
    PyObject *raws = NULL, *submit = NULL;
    Agg *edge = NULL, *mine = NULL;
    long long first_pending = NO_NS;
    if (caller) {
        if (!(edge = sw_agg_of(&s->edge_aggs, s->edge_index, &s->edge_map, s->keep, caller,
                               node))) {
            goto done;
        }
        edge->count++;
    }
    if (!(raws = slot(task, &s->task_slots, T_ATTEMPTS, &PyTuple_Type))) {
        goto done;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(raws);
    if (n) {
        if (!driver) {
            if (!(mine = sw_agg_of(&s->node_aggs, s->node_index, &s->node_map, s->keep, node,
                                   NULL))) {
                goto done;
            }
            mine->tasks++;
        }
        if (edge) {
            edge->tasks++;
        }
        if (mine && mine->sole_edge != -2) { /* as_edge (aggregates.c) */
            Py_ssize_t at = edge ? edge - s->edge_aggs.items : -2;
            mine->sole_edge = mine->sole_edge == -1 || mine->sole_edge == at ? at : -2;
        }
        if (n == 1) {
            if (sweep_attempt(s, tid, node, parent, PyTuple_GET_ITEM(raws, 0), mine, edge,
                              &first_pending) < 0) {
                goto done;
            }
        } else {
            PyObject *sorted = by_number(raws);
            if (!sorted) {
                goto done;
            }
            for (Py_ssize_t j = 0; j < n; j++) {
                if (sweep_attempt(s, tid, node, parent, PyList_GET_ITEM(sorted, j), mine, edge,
                                  &first_pending) < 0) {
                    Py_DECREF(sorted);
                    goto done;
                }
            }
            Py_DECREF(sorted);
        }
    }
    if (edge) {
        if (!(submit = slot(task, &s->task_slots, T_SUBMIT, NULL))) {
            goto done;
        }
        if (submit == Py_None && first_pending != NO_NS) {
            Py_DECREF(submit);
            if (!(submit = PyFloat_FromDouble((double)first_pending / 1e6))) {
                goto done;
            }
        }
        if (submit != Py_None && sw_agg_submit(edge, submit) < 0) {
            goto done;
        }
    }
    if (s->c.task_ids.len > first_row) {
        if (s->n_spans == s->cap_spans) {
            PyErr_SetString(PyExc_RuntimeError, "sweep: more tasks than the table had");
            goto done;
        }
        if (s->c.task_ids.len > (Py_ssize_t)UINT32_MAX) {
            PyErr_SetString(PyExc_OverflowError, "sweep: over 2**32 attempts");
            goto done;
        }
        TaskRows *span = &s->spans[s->n_spans++];
        span->task_id = tid;
        sw_span_key(span, tid, &s->wide_ids, &s->not_hex_ids);
        span->start = (uint32_t)first_row;
        span->count = (uint32_t)(s->c.task_ids.len - first_row);
    }
    ok = 0;
done:
    Py_XDECREF(raws);
    Py_XDECREF(submit);
    return ok;
}

static PyObject *aggs_dict(PyObject *index, Aggs *aggs, int edge, Aggs *edges)
{
    PyObject *out = PyDict_New();
    if (!out) {
        return NULL;
    }
    PyObject *key, *pos;
    Py_ssize_t it = 0;
    while (PyDict_Next(index, &it, &key, &pos)) {
        PyObject *value = sw_agg_tuple(&aggs->items[PyLong_AsSsize_t(pos)], edge, edges);
        if (!value || PyDict_SetItem(out, key, value) < 0) {
            Py_XDECREF(value);
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(value);
    }
    return out;
}

PyObject *sw_sweep_finish(Sweep *s)
{
    Columns *c = &s->c;
    if (sw_rows_in_order(c, s->spans, s->n_spans, s->wide_ids, s->not_hex_ids) < 0) {
        return NULL;
    }
    /* the edges first: a node whose attempts all went to one edge takes its durations */
    PyObject *result = NULL, *edges = aggs_dict(s->edge_index, &s->edge_aggs, 1, NULL);
    PyObject *by_node = edges ? aggs_dict(s->node_index, &s->node_aggs, 0, &s->edge_aggs)
                              : NULL;
    const Py_ssize_t *o = c->order;
    PyObject *numbers = sw_rows_bytes(&c->numbers, o),
             *statuses = sw_rows_bytes(&c->statuses, o),
             *pendings = sw_rows_bytes(&c->pendings, o), *starts = sw_rows_bytes(&c->starts, o),
             *ends = sw_rows_bytes(&c->ends, o);
    PyObject *task_ids = sw_rows_list(&c->task_ids, o),
             *node_ids = sw_rows_list(&c->node_ids, o),
             *parents = sw_rows_list(&c->parents, o),
             *ray_nodes = sw_rows_list(&c->ray_nodes, o),
             *workers = sw_rows_list(&c->workers, o), *pids = sw_rows_list(&c->pids, o);
    if (by_node && edges && numbers && statuses && pendings && starts && ends && task_ids
        && node_ids && parents && ray_nodes && workers && pids) {
        result = Py_BuildValue("(OOOOOOOOOOOOOO)", task_ids, numbers, node_ids, parents,
                               statuses, c->errors, ray_nodes, workers, pids, pendings,
                               starts, ends, by_node, edges);
    }
    Py_XDECREF(by_node);
    Py_XDECREF(edges);
    Py_XDECREF(numbers);
    Py_XDECREF(statuses);
    Py_XDECREF(pendings);
    Py_XDECREF(starts);
    Py_XDECREF(ends);
    Py_XDECREF(task_ids);
    Py_XDECREF(node_ids);
    Py_XDECREF(parents);
    Py_XDECREF(ray_nodes);
    Py_XDECREF(workers);
    Py_XDECREF(pids);
    return result;
}
