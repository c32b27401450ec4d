/* The attempt columns, swept in table order (the order the records lie in memory), put in
   task id order: each task's rows stay together and in attempt order. */

#include "sweep.h"

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
int sw_rows_in_order(Columns *c, TaskRows *spans, Py_ssize_t n_spans)
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
