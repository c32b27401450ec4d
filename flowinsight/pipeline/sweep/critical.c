/* Each job's critical path (flowinsight/pipeline/critical.py: critical_paths_py is the
   reference): the chain of calls, from the driver down, whose executions add up to the most
   time, over the attempt columns the sweep made. */

#include "sweep.h"

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

PyObject *sw_critical(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *task_ids, *numbers_b, *starts_b, *ends_b, *parents, *nodes, *job_of,
        *jobs_of = Py_None;
    if (!PyArg_ParseTuple(args, "O!SSSO!O!O|O", &PyList_Type, &task_ids, &numbers_b,
                          &starts_b, &ends_b, &PyList_Type, &parents, &PyList_Type, &nodes,
                          &job_of, &jobs_of)) {
        return NULL;
    }
    if (jobs_of != Py_None && !PyDict_Check(jobs_of)) {
        PyErr_SetString(PyExc_TypeError, "critical: jobs_of is a dict or None");
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
    PyObject *found = NULL;
    int runs = sw_critical_runs(task_ids, numbers, (const int64_t *)PyBytes_AS_STRING(starts_b),
                                (const int64_t *)PyBytes_AS_STRING(ends_b), parents, nodes,
                                job_of, jobs_of == Py_None ? NULL : jobs_of, &found);
    if (runs) {
        return runs > 0 ? found : NULL; /* else: not in task id order, the general way */
    }
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
