/* The analysis sweep over the task records (flowinsight/pipeline/build.py: _sweep), in C.

   build.py's `_sweep_py` is the reference: this gives the same attempt columns, the same
   stats sums per node and per call edge and the same submission times, for the same records,
   in one pass with no Python object per attempt beyond the column entries. The records are
   the pipeline's own (tasks.py: Task and Attempt, built by merge_tasks), so their fields have
   the types those classes declare; anything else raises TypeError (a bug, not bad input).

   sweep(tasks, nodes, drivers, consume) ->
       (task_ids, numbers, node_ids, parents, statuses, errors, ray_node_ids, worker_ids,
        worker_pids, pending_ns, start_ns, end_ns, by_node, edges)
   The rows are in task id order, each task's in attempt order. tasks: task id -> Task;
   nodes: task id -> node id, for every task and every caller (build.py's _Identity cache);
   drivers: the driver task ids (their attempts count in no node's stats); consume: empty
   `tasks` once swept. numbers/pending_ns/start_ns/end_ns are bytes of int64 (-1: not
   recorded), statuses bytes of codes (0 FINISHED, 1 FAILED, 2 UNKNOWN), errors {row: (type, message)}.
   by_node: {node: (tasks, attempts, failures, retries, execs, queues)} with execs and queues
   bytes of doubles (ms), sorted; edges: {(caller node, callee node): (count, tasks, attempts,
   failures, retries, execs, queues, submits)} with submits a list of floats (ms). */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define NO_NS (-1LL)
enum { FINISHED_CODE = 0, FAILED_CODE = 1, UNKNOWN_CODE = 2 };
enum { RUNNING = 8, FINISHED = 11, FAILED = 12 };

static int is_pending(int status)
{
    return (status >= 1 && status <= 7) || status == 13;
}

/* A growable array of one C type. */
typedef struct {
    char *data;
    Py_ssize_t len, cap, item;
} Buf;

static int buf_push(Buf *b, const void *value)
{
    if (b->len == b->cap) {
        Py_ssize_t cap = b->cap ? b->cap * 2 : 64;
        char *data = PyMem_Realloc(b->data, (size_t)(cap * b->item));
        if (!data) {
            PyErr_NoMemory();
            return -1;
        }
        b->data = data;
        b->cap = cap;
    }
    memcpy(b->data + b->len * b->item, value, (size_t)b->item);
    b->len++;
    return 0;
}

static PyObject *buf_bytes(Buf *b)
{
    return PyBytes_FromStringAndSize(b->data ? b->data : "", b->len * b->item);
}

static void buf_free(Buf *b)
{
    PyMem_Free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* The stats of the attempts of a node or an edge, summed as the sweep goes. */
typedef struct {
    Py_ssize_t count, tasks, attempts, failures, retries;
    Buf execs, queues;
    PyObject *submits; /* edges only: list of floats */
} Agg;

typedef struct {
    Agg *items;
    Py_ssize_t len, cap;
} Aggs;

static void aggs_free(Aggs *a)
{
    for (Py_ssize_t i = 0; i < a->len; i++) {
        buf_free(&a->items[i].execs);
        buf_free(&a->items[i].queues);
        Py_XDECREF(a->items[i].submits);
    }
    PyMem_Free(a->items);
}

/* The aggregate of `key` in `index` (key -> position in `aggs`), made when absent. */
static Agg *agg_for(Aggs *aggs, PyObject *index, PyObject *key, int with_submits)
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
    agg->execs.item = agg->queues.item = sizeof(double);
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

static int agg_add(Agg *agg, long long number, int failed, int has_exec, double exec_ms,
                   int has_queue, double queue_ms)
{
    agg->attempts++;
    agg->failures += failed;
    agg->retries += number > 0;
    if (has_exec && buf_push(&agg->execs, &exec_ms) < 0) {
        return -1;
    }
    if (has_queue && buf_push(&agg->queues, &queue_ms) < 0) {
        return -1;
    }
    return 0;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The durations go out sorted (no NaN among them: differences of int64 times). */
static PyObject *agg_tuple(Agg *agg, int edge)
{
    if (agg->execs.len) {
        qsort(agg->execs.data, (size_t)agg->execs.len, sizeof(double), compare_doubles);
    }
    if (agg->queues.len) {
        qsort(agg->queues.data, (size_t)agg->queues.len, sizeof(double), compare_doubles);
    }
    PyObject *execs = buf_bytes(&agg->execs), *queues = buf_bytes(&agg->queues);
    if (!execs || !queues) {
        Py_XDECREF(execs);
        Py_XDECREF(queues);
        return NULL;
    }
    if (edge) {
        return Py_BuildValue("(nnnnnNNO)", agg->count, agg->tasks, agg->attempts,
                             agg->failures, agg->retries, execs, queues, agg->submits);
    }
    return Py_BuildValue("(nnnnNN)", agg->tasks, agg->attempts, agg->failures, agg->retries,
                         execs, queues);
}

/* Interned attribute names of the records. */
static PyObject *s_parent_task_id, *s_attempts, *s_submit_ms, *s_number, *s_state_keys,
    *s_state_ns, *s_node_id, *s_worker_id, *s_worker_pid, *s_error_type, *s_error_message,
    *s_span_names, *s_span_ns, *s_execute;

static PyObject *attr(PyObject *obj, PyObject *name, PyTypeObject *want)
{
    PyObject *value = PyObject_GetAttr(obj, name);
    if (value && want && !PyObject_TypeCheck(value, want)) {
        PyErr_Format(PyExc_TypeError, "record field %U: %s, not %s", name,
                     Py_TYPE(value)->tp_name, want->tp_name);
        Py_DECREF(value);
        return NULL;
    }
    return value;
}

/* The records pack their times with struct "<q": little-endian, whatever the machine. */
static int64_t read_i64(const char *p)
{
    const unsigned char *b = (const unsigned char *)p;
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) {
        v = (v << 8) | b[i];
    }
    return (int64_t)v;
}

typedef struct {
    PyObject *task_ids, *node_ids, *parents, *ray_nodes, *workers, *pids, *errors;
    Buf numbers, statuses, pendings, starts, ends;
} Columns;

/* One raw attempt: its row, and its share of the node's and the edge's stats. */
static int sweep_attempt(Columns *c, PyObject *tid, PyObject *node, PyObject *parent,
                         PyObject *raw, Agg *mine, Agg *edge, long long *first_pending)
{
    int ok = -1;
    PyObject *number_o = NULL, *keys = NULL, *ns = NULL, *names = NULL, *span_ns = NULL,
             *error_type = NULL, *error_message = NULL, *ray_node = NULL, *worker = NULL,
             *pid = NULL;
    if (!(number_o = attr(raw, s_number, &PyLong_Type))
        || !(keys = attr(raw, s_state_keys, &PyBytes_Type))
        || !(ns = attr(raw, s_state_ns, &PyBytes_Type))
        || !(names = attr(raw, s_span_names, &PyTuple_Type))
        || !(span_ns = attr(raw, s_span_ns, &PyBytes_Type))
        || !(error_type = attr(raw, s_error_type, &PyUnicode_Type))
        || !(error_message = attr(raw, s_error_message, &PyUnicode_Type))
        || !(ray_node = attr(raw, s_node_id, NULL)) || !(worker = attr(raw, s_worker_id, NULL))
        || !(pid = attr(raw, s_worker_pid, NULL))) {
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
        PyObject *row = PyLong_FromSsize_t(PyList_GET_SIZE(c->task_ids));
        PyObject *pair = row ? PyTuple_Pack(2, error_type, error_message) : NULL;
        int bad = !pair || PyDict_SetItem(c->errors, row, pair) < 0;
        Py_XDECREF(row);
        Py_XDECREF(pair);
        if (bad) {
            goto done;
        }
    }
    unsigned char status = (unsigned char)code;
    if (PyList_Append(c->task_ids, tid) < 0 || buf_push(&c->numbers, &number) < 0
        || PyList_Append(c->node_ids, node) < 0 || PyList_Append(c->parents, parent) < 0
        || buf_push(&c->statuses, &status) < 0 || PyList_Append(c->ray_nodes, ray_node) < 0
        || PyList_Append(c->workers, worker) < 0 || PyList_Append(c->pids, pid) < 0
        || buf_push(&c->pendings, &pending) < 0 || buf_push(&c->starts, &start) < 0
        || buf_push(&c->ends, &end) < 0) {
        goto done;
    }
    if (pending > 0 && (*first_pending == NO_NS || pending < *first_pending)) {
        *first_pending = pending;
    }
    int has_exec = 0, has_queue = 0;
    double exec_ms = 0.0, queue_ms = 0.0;
    if (start != NO_NS) {
        if (end != NO_NS && end >= start) {
            has_exec = 1;
            exec_ms = (double)(end - start) / 1e6;
        }
        if (pending != NO_NS && start >= pending) {
            has_queue = 1;
            queue_ms = (double)(start - pending) / 1e6;
        }
    }
    if (mine && agg_add(mine, number, code == FAILED_CODE, has_exec, exec_ms, has_queue,
                        queue_ms) < 0) {
        goto done;
    }
    if (edge && agg_add(edge, number, code == FAILED_CODE, has_exec, exec_ms, has_queue,
                        queue_ms) < 0) {
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

static PyObject *node_of(PyObject *nodes, PyObject *task_id)
{
    PyObject *node = PyDict_GetItemWithError(nodes, task_id);
    if (!node && !PyErr_Occurred()) {
        PyErr_SetString(PyExc_KeyError, "a task or caller without a node: sweep needs them all");
    }
    return node; /* borrowed */
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

/* A task's rows in the columns as swept (in table order), to put them in task id order. */
typedef struct {
    PyObject *task_id; /* borrowed: its rows' task_ids entries hold it */
    Py_ssize_t start, count;
} TaskRows;

/* str order (code points), as sorted() has it; task ids are ASCII, compared as bytes */
static int compare_ids(const void *a, const void *b)
{
    PyObject *x = ((const TaskRows *)a)->task_id, *y = ((const TaskRows *)b)->task_id;
    if (PyUnicode_KIND(x) == PyUnicode_1BYTE_KIND && PyUnicode_KIND(y) == PyUnicode_1BYTE_KIND) {
        Py_ssize_t nx = PyUnicode_GET_LENGTH(x), ny = PyUnicode_GET_LENGTH(y);
        int c = memcmp(PyUnicode_DATA(x), PyUnicode_DATA(y), (size_t)(nx < ny ? nx : ny));
        return c ? c : (nx > ny) - (nx < ny);
    }
    return PyUnicode_Compare(x, y); /* never fails on two str */
}

static PyObject *list_in_order(PyObject *column, const TaskRows *spans, Py_ssize_t n_spans,
                               Py_ssize_t rows)
{
    PyObject *out = PyList_New(rows);
    if (!out) {
        return NULL;
    }
    Py_ssize_t k = 0;
    for (Py_ssize_t i = 0; i < n_spans; i++) {
        for (Py_ssize_t r = spans[i].start; r < spans[i].start + spans[i].count; r++) {
            PyObject *item = PyList_GET_ITEM(column, r);
            Py_INCREF(item);
            PyList_SET_ITEM(out, k++, item);
        }
    }
    return out;
}

static int buf_in_order(Buf *column, const TaskRows *spans, Py_ssize_t n_spans)
{
    Buf out = {NULL, 0, column->len, column->item};
    if (column->len && !(out.data = PyMem_Malloc((size_t)(column->len * column->item)))) {
        PyErr_NoMemory();
        return -1;
    }
    char *at = out.data;
    for (Py_ssize_t i = 0; i < n_spans; i++) {
        size_t size = (size_t)(spans[i].count * column->item);
        memcpy(at, column->data + spans[i].start * column->item, size);
        at += size;
    }
    out.len = column->len;
    buf_free(column);
    *column = out;
    return 0;
}

/* The columns, swept in table order, put in task id order (each task's rows stay together and
   in attempt order); the errors' rows renumbered. */
static int rows_in_order(Columns *c, TaskRows *spans, Py_ssize_t n_spans)
{
    qsort(spans, (size_t)n_spans, sizeof(TaskRows), compare_ids);
    Py_ssize_t rows = PyList_GET_SIZE(c->task_ids);
    PyObject **lists[] = {&c->task_ids, &c->node_ids, &c->parents, &c->ray_nodes, &c->workers,
                          &c->pids};
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
        PyObject *sorted = list_in_order(*lists[i], spans, n_spans, rows);
        if (!sorted) {
            return -1;
        }
        Py_SETREF(*lists[i], sorted);
    }
    Buf *bufs[] = {&c->numbers, &c->statuses, &c->pendings, &c->starts, &c->ends};
    for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++) {
        if (buf_in_order(bufs[i], spans, n_spans) < 0) {
            return -1;
        }
    }
    if (PyDict_GET_SIZE(c->errors)) {
        Py_ssize_t *moved = PyMem_Malloc((size_t)(rows ? rows : 1) * sizeof(Py_ssize_t));
        PyObject *errors = moved ? PyDict_New() : NULL;
        if (!errors) {
            PyMem_Free(moved);
            if (!PyErr_Occurred()) {
                PyErr_NoMemory();
            }
            return -1;
        }
        Py_ssize_t k = 0;
        for (Py_ssize_t i = 0; i < n_spans; i++) {
            for (Py_ssize_t r = spans[i].start; r < spans[i].start + spans[i].count; r++) {
                moved[r] = k++;
            }
        }
        PyObject *key, *value;
        Py_ssize_t it = 0;
        while (PyDict_Next(c->errors, &it, &key, &value)) {
            PyObject *row = PyLong_FromSsize_t(moved[PyLong_AsSsize_t(key)]);
            if (!row || PyDict_SetItem(errors, row, value) < 0) {
                Py_XDECREF(row);
                Py_DECREF(errors);
                PyMem_Free(moved);
                return -1;
            }
            Py_DECREF(row);
        }
        PyMem_Free(moved);
        Py_SETREF(c->errors, errors);
    }
    return 0;
}

static PyObject *sweep(PyObject *self, PyObject *args)
{
    PyObject *tasks, *nodes, *drivers;
    int consume;
    if (!PyArg_ParseTuple(args, "O!O!O!p", &PyDict_Type, &tasks, &PyDict_Type, &nodes,
                          &PySet_Type, &drivers, &consume)) {
        return NULL;
    }
    PyObject *result = NULL, *node_index = PyDict_New(), *edge_index = PyDict_New();
    Aggs node_aggs = {0}, edge_aggs = {0};
    Columns c = {0};
    c.numbers.item = c.pendings.item = c.starts.item = c.ends.item = 8;
    c.statuses.item = 1;
    TaskRows *spans = PyMem_Malloc((size_t)(PyDict_GET_SIZE(tasks) + 1) * sizeof(TaskRows));
    Py_ssize_t n_spans = 0;
    if (!spans || !node_index || !edge_index || !(c.task_ids = PyList_New(0))
        || !(c.node_ids = PyList_New(0)) || !(c.parents = PyList_New(0))
        || !(c.ray_nodes = PyList_New(0)) || !(c.workers = PyList_New(0))
        || !(c.pids = PyList_New(0)) || !(c.errors = PyDict_New())) {
        if (!spans) {
            PyErr_NoMemory();
        }
        goto done;
    }
    /* In table order: the records lie in memory about in that order (task id order would
       jump around all of it: twice the time on 1 GB); the rows are put in order after. */
    PyObject *tid, *task;
    Py_ssize_t at = 0;
    while (PyDict_Next(tasks, &at, &tid, &task)) {
        Py_INCREF(task);
        Py_ssize_t first_row = PyList_GET_SIZE(c.task_ids);
        int failed_task = 1;
        PyObject *parent = NULL, *raws = NULL, *submit = NULL;
        Agg *edge = NULL, *mine = NULL;
        long long first_pending = NO_NS;
        if (!(parent = attr(task, s_parent_task_id, &PyUnicode_Type))) {
            goto task_done;
        }
        if (PyUnicode_GET_LENGTH(parent)) {
            PyObject *caller = node_of(nodes, parent), *callee = node_of(nodes, tid);
            if (!caller || !callee) {
                goto task_done;
            }
            PyObject *key = PyTuple_Pack(2, caller, callee);
            edge = key ? agg_for(&edge_aggs, edge_index, key, 1) : NULL;
            Py_XDECREF(key);
            if (!edge) {
                goto task_done;
            }
            edge->count++;
        }
        if (!(raws = attr(task, s_attempts, &PyTuple_Type))) {
            goto task_done;
        }
        Py_ssize_t n = PyTuple_GET_SIZE(raws);
        if (n) {
            PyObject *node = node_of(nodes, tid);
            if (!node) {
                goto task_done;
            }
            int driver = PySet_Contains(drivers, tid);
            if (driver < 0) {
                goto task_done;
            }
            if (!driver) {
                if (!(mine = agg_for(&node_aggs, node_index, node, 0))) {
                    goto task_done;
                }
                mine->tasks++;
            }
            if (edge) {
                edge->tasks++;
            }
            PyObject *sorted = n > 1 ? by_number(raws) : PySequence_List(raws);
            if (!sorted) {
                goto task_done;
            }
            for (Py_ssize_t j = 0; j < n; j++) {
                if (sweep_attempt(&c, tid, node, parent, PyList_GET_ITEM(sorted, j), mine, edge,
                                  &first_pending) < 0) {
                    Py_DECREF(sorted);
                    goto task_done;
                }
            }
            Py_DECREF(sorted);
        }
        if (edge) {
            if (!(submit = PyObject_GetAttr(task, s_submit_ms))) {
                goto task_done;
            }
            if (submit == Py_None && first_pending != NO_NS) {
                Py_DECREF(submit);
                if (!(submit = PyFloat_FromDouble((double)first_pending / 1e6))) {
                    goto task_done;
                }
            }
            if (submit != Py_None && PyList_Append(edge->submits, submit) < 0) {
                goto task_done;
            }
        }
        if (PyList_GET_SIZE(c.task_ids) > first_row) {
            spans[n_spans].task_id = tid;
            spans[n_spans].start = first_row;
            spans[n_spans].count = PyList_GET_SIZE(c.task_ids) - first_row;
            n_spans++;
        }
        failed_task = 0;
    task_done:
        Py_XDECREF(parent);
        Py_XDECREF(raws);
        Py_XDECREF(submit);
        Py_DECREF(task);
        if (failed_task) {
            goto done;
        }
    }
    if (rows_in_order(&c, spans, n_spans) < 0) {
        goto done;
    }
    if (consume) {
        PyDict_Clear(tasks); /* the records go now, in table order */
    }
    PyObject *by_node = PyDict_New(), *edges = PyDict_New();
    if (!by_node || !edges) {
        Py_XDECREF(by_node);
        Py_XDECREF(edges);
        goto done;
    }
    PyObject *key, *pos;
    Py_ssize_t it = 0;
    while (PyDict_Next(node_index, &it, &key, &pos)) {
        PyObject *value = agg_tuple(&node_aggs.items[PyLong_AsSsize_t(pos)], 0);
        if (!value || PyDict_SetItem(by_node, key, value) < 0) {
            Py_XDECREF(value);
            Py_DECREF(by_node);
            Py_DECREF(edges);
            goto done;
        }
        Py_DECREF(value);
    }
    it = 0;
    while (PyDict_Next(edge_index, &it, &key, &pos)) {
        PyObject *value = agg_tuple(&edge_aggs.items[PyLong_AsSsize_t(pos)], 1);
        if (!value || PyDict_SetItem(edges, key, value) < 0) {
            Py_XDECREF(value);
            Py_DECREF(by_node);
            Py_DECREF(edges);
            goto done;
        }
        Py_DECREF(value);
    }
    PyObject *numbers = buf_bytes(&c.numbers), *statuses = buf_bytes(&c.statuses),
             *pendings = buf_bytes(&c.pendings), *starts = buf_bytes(&c.starts),
             *ends = buf_bytes(&c.ends);
    if (numbers && statuses && pendings && starts && ends) {
        result = Py_BuildValue("(OOOOOOOOOOOOOO)", c.task_ids, numbers, c.node_ids, c.parents,
                               statuses, c.errors, c.ray_nodes, c.workers, c.pids, pendings,
                               starts, ends, by_node, edges);
    }
    Py_XDECREF(numbers);
    Py_XDECREF(statuses);
    Py_XDECREF(pendings);
    Py_XDECREF(starts);
    Py_XDECREF(ends);
    Py_DECREF(by_node);
    Py_DECREF(edges);
done:
    PyMem_Free(spans);
    Py_XDECREF(node_index);
    Py_XDECREF(edge_index);
    Py_XDECREF(c.task_ids);
    Py_XDECREF(c.node_ids);
    Py_XDECREF(c.parents);
    Py_XDECREF(c.ray_nodes);
    Py_XDECREF(c.workers);
    Py_XDECREF(c.pids);
    Py_XDECREF(c.errors);
    buf_free(&c.numbers);
    buf_free(&c.statuses);
    buf_free(&c.pendings);
    buf_free(&c.starts);
    buf_free(&c.ends);
    aggs_free(&node_aggs);
    aggs_free(&edge_aggs);
    return result;
}


/* ---- The critical path (critical.py's critical_paths_py is the reference) ---- */

typedef struct {
    PyObject *last;          /* task -> row of its last attempt that ran */
    const int64_t *starts, *ends;
} Ran;

static double exec_of(Ran *ran, PyObject *task_id)
{
    PyObject *row = PyDict_GetItemWithError(ran->last, task_id);
    if (!row) {
        return -1.0; /* callers check membership first */
    }
    Py_ssize_t r = PyLong_AsSsize_t(row);
    return (double)(ran->ends[r] - ran->starts[r]) / 1e6;
}

/* (value, task) > (best value, best task), as Python compares the tuples */
static int key_greater(double value, PyObject *task, double best, PyObject *best_task)
{
    if (value != best) {
        return value > best;
    }
    return PyUnicode_Compare(task, best_task) > 0;
}

/* chain(t): best[t], or the leaf's own (exec + 0.0, "") */
static PyObject *chain_of(Ran *ran, PyObject *best, PyObject *task_id, PyObject *empty)
{
    PyObject *found = PyDict_GetItemWithError(best, task_id);
    if (found) {
        Py_INCREF(found);
        return found;
    }
    if (PyErr_Occurred()) {
        return NULL;
    }
    return Py_BuildValue("(dO)", exec_of(ran, task_id) + 0.0, empty);
}

static int longest_chains(Ran *ran, PyObject *children, PyObject *best, PyObject *empty)
{
    int ok = -1;
    PyObject *visiting = PySet_New(NULL), *roots = PyList_New(0), *stack = PyList_New(0);
    if (!visiting || !roots || !stack) {
        goto done;
    }
    PyObject *key, *value;
    Py_ssize_t it = 0;
    while (PyDict_Next(children, &it, &key, &value)) {
        if (PyList_Sort(value) < 0) {
            goto done;
        }
        int has = PyDict_Contains(ran->last, key);
        if (has < 0 || (has && PyList_Append(roots, key) < 0)) {
            goto done;
        }
    }
    if (PyList_Sort(roots) < 0) {
        goto done;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(roots); i++) {
        /* stack of (task, done) pairs, as two entries: task, then Py_True/Py_False */
        if (PyList_Append(stack, PyList_GET_ITEM(roots, i)) < 0
            || PyList_Append(stack, Py_False) < 0) {
            goto done;
        }
        while (PyList_GET_SIZE(stack)) {
            Py_ssize_t n = PyList_GET_SIZE(stack);
            PyObject *task_id = PyList_GET_ITEM(stack, n - 2), *flag = PyList_GET_ITEM(stack, n - 1);
            Py_INCREF(task_id);
            int finished = flag == Py_True;
            if (PyList_SetSlice(stack, n - 2, n, NULL) < 0) {
                Py_DECREF(task_id);
                goto done;
            }
            int in_best = PyDict_Contains(best, task_id);
            if (in_best) {
                Py_DECREF(task_id);
                if (in_best < 0) {
                    goto done;
                }
                continue;
            }
            PyObject *below = PyDict_GetItemWithError(children, task_id); /* borrowed */
            if (!below) {
                Py_DECREF(task_id);
                if (!PyErr_Occurred()) {
                    PyErr_SetString(PyExc_KeyError, "critical path: a caller without callees");
                }
                goto done;
            }
            if (!finished) {
                int seen = PySet_Contains(visiting, task_id);
                if (seen) {
                    Py_DECREF(task_id);
                    if (seen < 0) {
                        goto done;
                    }
                    continue;
                }
                if (PySet_Add(visiting, task_id) < 0 || PyList_Append(stack, task_id) < 0
                    || PyList_Append(stack, Py_True) < 0) {
                    Py_DECREF(task_id);
                    goto done;
                }
                for (Py_ssize_t j = 0; j < PyList_GET_SIZE(below); j++) {
                    PyObject *c = PyList_GET_ITEM(below, j);
                    int has_children = PyDict_Contains(children, c);
                    int done_c = has_children > 0 ? PyDict_Contains(best, c) : 0;
                    if (has_children < 0 || done_c < 0) {
                        Py_DECREF(task_id);
                        goto done;
                    }
                    if (has_children && !done_c
                        && (PyList_Append(stack, c) < 0 || PyList_Append(stack, Py_False) < 0)) {
                        Py_DECREF(task_id);
                        goto done;
                    }
                }
                Py_DECREF(task_id);
                continue;
            }
            double tail_value = 0.0;
            PyObject *tail_task = empty;
            int any = 0;
            for (Py_ssize_t j = 0; j < PyList_GET_SIZE(below); j++) {
                PyObject *c = PyList_GET_ITEM(below, j);
                int has_children = PyDict_Contains(children, c);
                if (has_children < 0) {
                    Py_DECREF(task_id);
                    goto done;
                }
                double v;
                if (has_children) {
                    PyObject *found = PyDict_GetItemWithError(best, c);
                    if (!found) {
                        if (PyErr_Occurred()) {
                            Py_DECREF(task_id);
                            goto done;
                        }
                        continue; /* a loop, cut */
                    }
                    v = PyFloat_AS_DOUBLE(PyTuple_GET_ITEM(found, 0));
                } else {
                    v = exec_of(ran, c) + 0.0;
                }
                if (!any || key_greater(v, c, tail_value, tail_task)) {
                    tail_value = v;
                    tail_task = c;
                    any = 1;
                }
            }
            PyObject *entry = Py_BuildValue("(dO)", exec_of(ran, task_id) + tail_value, tail_task);
            int bad = !entry || PyDict_SetItem(best, task_id, entry) < 0;
            Py_XDECREF(entry);
            Py_DECREF(task_id);
            if (bad) {
                goto done;
            }
        }
    }
    ok = 0;
done:
    Py_XDECREF(visiting);
    Py_XDECREF(roots);
    Py_XDECREF(stack);
    return ok;
}

static PyObject *critical(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *task_ids, *numbers_b, *starts_b, *ends_b, *parents, *nodes, *job_of;
    if (!PyArg_ParseTuple(args, "O!SSSO!O!O", &PyList_Type, &task_ids, &numbers_b, &starts_b,
                          &ends_b, &PyList_Type, &parents, &PyList_Type, &nodes, &job_of)) {
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(task_ids);
    if (PyBytes_GET_SIZE(numbers_b) != 8 * n || PyBytes_GET_SIZE(starts_b) != 8 * n
        || PyBytes_GET_SIZE(ends_b) != 8 * n || PyList_GET_SIZE(parents) != n
        || PyList_GET_SIZE(nodes) != n) {
        PyErr_SetString(PyExc_ValueError, "critical: columns of different lengths");
        return NULL;
    }
    const int64_t *numbers = (const int64_t *)PyBytes_AS_STRING(numbers_b);
    Ran ran = {PyDict_New(), (const int64_t *)PyBytes_AS_STRING(starts_b),
               (const int64_t *)PyBytes_AS_STRING(ends_b)};
    PyObject *children = PyDict_New(), *roots = PyDict_New(), *best = PyDict_New();
    PyObject *empty = PyUnicode_FromString(""), *paths = NULL, *jobs = NULL;
    if (!ran.last || !children || !roots || !best || !empty) {
        goto done;
    }
    for (Py_ssize_t row = 0; row < n; row++) {
        int64_t began = ran.starts[row], ended = ran.ends[row];
        if (began == NO_NS || ended == NO_NS || ended < began) {
            continue;
        }
        PyObject *task_id = PyList_GET_ITEM(task_ids, row);
        PyObject *other = PyDict_GetItemWithError(ran.last, task_id);
        if (!other && PyErr_Occurred()) {
            goto done;
        }
        if (!other || numbers[row] > numbers[PyLong_AsSsize_t(other)]) {
            PyObject *at = PyLong_FromSsize_t(row);
            int bad = !at || PyDict_SetItem(ran.last, task_id, at) < 0;
            Py_XDECREF(at);
            if (bad) {
                goto done;
            }
        }
    }
    PyObject *task_id, *row_o;
    Py_ssize_t it = 0;
    while (PyDict_Next(ran.last, &it, &task_id, &row_o)) {
        PyObject *parent = PyList_GET_ITEM(parents, PyLong_AsSsize_t(row_o));
        PyObject *below = PyDict_GetItemWithError(children, parent);
        if (!below) {
            if (PyErr_Occurred() || !(below = PyList_New(0))) {
                goto done;
            }
            int bad = PyDict_SetItem(children, parent, below) < 0;
            Py_DECREF(below); /* the dict holds it */
            if (bad) {
                goto done;
            }
        }
        if (PyList_Append(below, task_id) < 0) {
            goto done;
        }
        int has = PyDict_Contains(ran.last, parent);
        if (has < 0) {
            goto done;
        }
        if (!has) {
            PyObject *job = PyObject_CallOneArg(job_of, task_id);
            if (!job) {
                goto done;
            }
            PyObject *mine = PyDict_GetItemWithError(roots, job);
            if (!mine) {
                if (PyErr_Occurred() || !(mine = PyList_New(0))) {
                    Py_DECREF(job);
                    goto done;
                }
                int bad = PyDict_SetItem(roots, job, mine) < 0;
                Py_DECREF(mine);
                if (bad) {
                    Py_DECREF(job);
                    goto done;
                }
            }
            Py_DECREF(job);
            if (PyList_Append(mine, task_id) < 0) {
                goto done;
            }
        }
    }
    if (longest_chains(&ran, children, best, empty) < 0) {
        goto done;
    }
    if (!(jobs = PyDict_Keys(roots)) || PyList_Sort(jobs) < 0 || !(paths = PyList_New(0))) {
        goto done;
    }
    for (Py_ssize_t j = 0; j < PyList_GET_SIZE(jobs); j++) {
        PyObject *job = PyList_GET_ITEM(jobs, j);
        PyObject *mine = PyDict_GetItem(roots, job);
        PyObject *start = NULL;
        double start_value = 0.0;
        for (Py_ssize_t k = 0; k < PyList_GET_SIZE(mine); k++) {
            PyObject *t = PyList_GET_ITEM(mine, k);
            PyObject *ch = chain_of(&ran, best, t, empty);
            if (!ch) {
                goto done;
            }
            double v = PyFloat_AS_DOUBLE(PyTuple_GET_ITEM(ch, 0));
            Py_DECREF(ch);
            if (!start || key_greater(v, t, start_value, start)) {
                start = t;
                start_value = v;
            }
        }
        PyObject *steps = PyList_New(0);
        if (!steps) {
            goto done;
        }
        int64_t begin = 0, end = 0;
        int first = 1;
        PyObject *node = start;
        Py_INCREF(node);
        while (PyUnicode_GET_LENGTH(node)) {
            Py_ssize_t r = PyLong_AsSsize_t(PyDict_GetItem(ran.last, node));
            PyObject *step = Py_BuildValue("(OOd)", PyList_GET_ITEM(nodes, r), node,
                                           exec_of(&ran, node));
            PyObject *ch = step ? chain_of(&ran, best, node, empty) : NULL;
            if (!step || !ch || PyList_Append(steps, step) < 0) {
                Py_XDECREF(step);
                Py_XDECREF(ch);
                Py_DECREF(node);
                Py_DECREF(steps);
                goto done;
            }
            Py_DECREF(step);
            if (first || ran.starts[r] < begin) {
                begin = ran.starts[r];
            }
            if (first || ran.ends[r] > end) {
                end = ran.ends[r];
            }
            first = 0;
            Py_DECREF(node);
            node = PyTuple_GET_ITEM(ch, 1);
            Py_INCREF(node);
            Py_DECREF(ch);
        }
        Py_DECREF(node);
        PyObject *path = Py_BuildValue("(ONd)", job, steps, (double)(end - begin) / 1e6);
        if (!path || PyList_Append(paths, path) < 0) {
            Py_XDECREF(path);
            goto done;
        }
        Py_DECREF(path);
    }
    Py_XDECREF(jobs);
    Py_DECREF(ran.last);
    Py_DECREF(children);
    Py_DECREF(roots);
    Py_DECREF(best);
    Py_DECREF(empty);
    return paths;
done:
    Py_XDECREF(jobs);
    Py_XDECREF(paths);
    Py_XDECREF(ran.last);
    Py_XDECREF(children);
    Py_XDECREF(roots);
    Py_XDECREF(best);
    Py_XDECREF(empty);
    return NULL;
}

/* ---- Task facts and coverage (build.py's _task_facts_py and coverage.py are the reference) */

static PyObject *s_task_type, *s_language, *s_actor_id, *s_job_id, *s_function;

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

/* is_driver_task: 48 chars, the first 40 of them 'f' */
static int is_driver_id(PyObject *task_id)
{
    if (!PyUnicode_IS_ASCII(task_id) || PyUnicode_GET_LENGTH(task_id) != 48) {
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

/* job_of_task(task_id) == job: the last 8 chars of a 48-char id, else "" */
static int job_matches_id(PyObject *task_id, PyObject *job)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(task_id);
    if (n != 48) {
        return PyUnicode_GET_LENGTH(job) == 0;
    }
    PyObject *tail = PyUnicode_Substring(task_id, 40, 48);
    if (!tail) {
        return -1;
    }
    int same = PyUnicode_Compare(tail, job) == 0;
    Py_DECREF(tail);
    return same;
}

static int count_in(PyObject *dict, PyObject *key)
{
    PyObject *old = PyDict_GetItemWithError(dict, key);
    if (!old && PyErr_Occurred()) {
        return -1;
    }
    PyObject *now = PyLong_FromSsize_t(old ? PyLong_AsSsize_t(old) + 1 : 1);
    int bad = !now || PyDict_SetItem(dict, key, now) < 0;
    Py_XDECREF(now);
    return bad ? -1 : 0;
}

/* The task's node: the cache, else its shape's node, else node_of(task_id) (Python). */
static PyObject *node_for(PyObject *task_id, PyObject *task, PyObject *task_type,
                          PyObject *cache, PyObject *shapes, PyObject *node_of,
                          PyObject *no_actor)
{
    PyObject *nid = PyDict_GetItemWithError(cache, task_id);
    if (nid || PyErr_Occurred()) {
        Py_XINCREF(nid);
        return nid;
    }
    if (task_type != Py_None) {
        PyObject *actor = PyObject_GetAttr(task, s_actor_id);
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
            PyObject *function = PyObject_GetAttr(task, s_function);
            PyObject *job = function ? PyObject_GetAttr(task, s_job_id) : NULL;
            PyObject *ident = job ? PyLong_FromVoidPtr(function) : NULL;
            PyObject *shape = ident ? PyTuple_Pack(4, ident, task_type, actor, job) : NULL;
            Py_XDECREF(function);
            Py_XDECREF(job);
            Py_XDECREF(ident);
            Py_DECREF(actor);
            if (!shape) {
                return NULL;
            }
            nid = PyDict_GetItemWithError(shapes, shape);
            Py_DECREF(shape);
            if (nid) {
                if (PyDict_SetItem(cache, task_id, nid) < 0) {
                    return NULL;
                }
                Py_INCREF(nid);
                return nid;
            }
            if (PyErr_Occurred()) {
                return NULL;
            }
        } else {
            Py_DECREF(actor);
        }
    }
    return PyObject_CallOneArg(node_of, task_id);
}

static PyObject *facts(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *tasks, *cache, *shapes, *node_of, *no_actor, *driver_type;
    int has_export;
    if (!PyArg_ParseTuple(args, "O!O!O!OOOp", &PyDict_Type, &tasks, &PyDict_Type, &cache,
                          &PyDict_Type, &shapes, &node_of, &no_actor, &driver_type,
                          &has_export)) {
        return NULL;
    }
    PyObject *received = PyDict_New(), *defined = PySet_New(NULL), *languages = PyDict_New(),
             *drivers = PySet_New(NULL), *job_counts = PyDict_New(), *jobs_of = PyDict_New();
    Py_ssize_t complete = 0, no_def = 0, no_parent = 0, no_final = 0, no_exec = 0;
    if (!received || !defined || !languages || !drivers || !job_counts || !jobs_of) {
        goto fail;
    }
    PyObject *tid, *task;
    Py_ssize_t it = 0;
    while (PyDict_Next(tasks, &it, &tid, &task)) {
        int ok_task = 0;
        PyObject *parent = NULL, *task_type = NULL, *nid = NULL, *language = NULL, *job = NULL,
                 *raws = NULL;
        Py_INCREF(task);
        if (!(parent = attr(task, s_parent_task_id, &PyUnicode_Type))
            || !(task_type = PyObject_GetAttr(task, s_task_type))) {
            goto next;
        }
        if (PyUnicode_GET_LENGTH(parent)) {
            int cached = PyDict_Contains(cache, parent);
            if (cached < 0) {
                goto next;
            }
            if (!cached) {
                PyObject *caller = PyObject_CallOneArg(node_of, parent);
                if (!caller) {
                    goto next;
                }
                Py_DECREF(caller);
            }
        }
        if (!(nid = node_for(tid, task, task_type, cache, shapes, node_of, no_actor))) {
            goto next;
        }
        int is_defined = task_type != Py_None;
        if (is_defined && PySet_Add(defined, nid) < 0) {
            goto next;
        }
        if (!(language = attr(task, s_language, &PyUnicode_Type))) {
            goto next;
        }
        if (PyUnicode_GET_LENGTH(language)) {
            int has = PyDict_Contains(languages, nid);
            if (has < 0 || (!has && PyDict_SetItem(languages, nid, language) < 0)) {
                goto next;
            }
        }
        if (!(job = attr(task, s_job_id, &PyUnicode_Type))) {
            goto next;
        }
        int driver_id = is_driver_id(tid);
        if (driver_id) {
            if (PySet_Add(drivers, tid) < 0) {
                goto next;
            }
        } else if (count_in(received, nid) < 0 || count_in(job_counts, job) < 0) {
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
                int has = PyDict_Contains(tasks, parent);
                if (has < 0) {
                    goto next;
                }
                lost = !has && !is_driver_id(parent);
            }
            if (lost) {
                no_parent++;
                ok = 0;
            }
        }
        if (has_export) {
            if (!(raws = attr(task, s_attempts, &PyTuple_Type))) {
                goto next;
            }
            if (!PyTuple_GET_SIZE(raws)) {
                no_final++;
                ok = 0;
            }
            for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(raws); j++) {
                PyObject *raw = PyTuple_GET_ITEM(raws, j);
                PyObject *keys = attr(raw, s_state_keys, &PyBytes_Type);
                PyObject *names = keys ? attr(raw, s_span_names, &PyTuple_Type) : NULL;
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
        ok_task = 1;
    next:
        Py_XDECREF(parent);
        Py_XDECREF(task_type);
        Py_XDECREF(nid);
        Py_XDECREF(language);
        Py_XDECREF(job);
        Py_XDECREF(raws);
        Py_DECREF(task);
        if (!ok_task) {
            goto fail;
        }
    }
    return Py_BuildValue("(NNNNNN(nnnnnn))", received, defined, languages, drivers, job_counts,
                         jobs_of, PyDict_GET_SIZE(tasks), complete, no_def, no_parent, no_final,
                         no_exec);
fail:
    Py_XDECREF(received);
    Py_XDECREF(defined);
    Py_XDECREF(languages);
    Py_XDECREF(drivers);
    Py_XDECREF(job_counts);
    Py_XDECREF(jobs_of);
    return NULL;
}

static PyMethodDef methods[] = {
    {"sweep", sweep, METH_VARARGS,
     "sweep(tasks, nodes, drivers, consume): the attempt columns and the stats sums of "
     "nodes and call edges (flowinsight/pipeline/build.py: _sweep)."},
    {"facts", facts, METH_VARARGS,
     "facts(tasks, cache, shapes, node_of, no_actor, driver_type, has_export): the nodes' "
     "facts and the coverage counts of the task records (build.py: _task_facts)."},
    {"critical", critical, METH_VARARGS,
     "critical(task_ids, numbers, start_ns, end_ns, parents, nodes, job_of): each job's "
     "critical path as (job, [(node, task, exec_ms)], total_ms) (critical.py)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "flowinsight.pipeline._sweep",
    "The analysis sweep over task records, in C (see build.py: _sweep).", -1, methods,
};

PyMODINIT_FUNC PyInit__sweep(void)
{
    struct {
        PyObject **slot;
        const char *text;
    } names[] = {
        {&s_parent_task_id, "parent_task_id"}, {&s_attempts, "attempts"},
        {&s_submit_ms, "submit_ms"}, {&s_number, "number"}, {&s_state_keys, "state_keys"},
        {&s_state_ns, "state_ns"}, {&s_node_id, "node_id"}, {&s_worker_id, "worker_id"},
        {&s_worker_pid, "worker_pid"}, {&s_error_type, "error_type"},
        {&s_error_message, "error_message"}, {&s_span_names, "span_names"},
        {&s_span_ns, "span_ns"}, {&s_execute, "task:execute"}, {&s_task_type, "task_type"},
        {&s_language, "language"}, {&s_actor_id, "actor_id"}, {&s_job_id, "job_id"},
        {&s_function, "function"},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (!(*names[i].slot = PyUnicode_InternFromString(names[i].text))) {
            return NULL;
        }
    }
    return PyModule_Create(&module);
}
