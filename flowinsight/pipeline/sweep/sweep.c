/* The sweep over the task records (flowinsight/pipeline/attempt_rows.py: sweep), in C.

   attempt_rows.py's `sweep_py` is the reference: this gives the same attempt columns, the same
   stats sums per node and per call edge and the same submission times, for the same records,
   in one pass with no Python object per attempt beyond the column entries. The records are
   the pipeline's own (tasks.py: Task and Attempt, built by merge_tasks), so their fields have
   the types those classes declare; anything else raises TypeError (a bug, not bad input).

   sweep(tasks, nodes, drivers, consume) ->
       (task_ids, numbers, node_ids, parents, statuses, errors, ray_node_ids, worker_ids,
        worker_pids, pending_ns, start_ns, end_ns, by_node, edges)
   The rows are in task id order, each task's in attempt order. tasks: task id -> Task;
   nodes: task id -> node id, for every task and every caller (naming.py's NodeNamer cache);
   drivers: the driver task ids (their attempts count in no node's stats); consume: empty
   `tasks` once swept. numbers/pending_ns/start_ns/end_ns are bytes of int64 (-1: not
   recorded), statuses bytes of codes (0 FINISHED, 1 FAILED, 2 UNKNOWN), errors {row: (type, message)}.
   by_node: {node: (tasks, attempts, failures, retries, execs, queues)} with execs and queues
   bytes of doubles (ms), sorted; edges: {(caller node, callee node): (count, tasks, attempts,
   failures, retries, execs, queues, submits)} with submits a list of floats (ms). */

#include "sweep.h"

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

PyObject *sw_sweep(PyObject *self, PyObject *args)
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
            edge = key ? sw_agg_for(&edge_aggs, edge_index, key, 1) : NULL;
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
                if (!(mine = sw_agg_for(&node_aggs, node_index, node, 0))) {
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
    if (sw_rows_in_order(&c, spans, n_spans) < 0) {
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
        PyObject *value = sw_agg_tuple(&node_aggs.items[PyLong_AsSsize_t(pos)], 0);
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
        PyObject *value = sw_agg_tuple(&edge_aggs.items[PyLong_AsSsize_t(pos)], 1);
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
    sw_aggs_free(&node_aggs);
    sw_aggs_free(&edge_aggs);
    return result;
}
