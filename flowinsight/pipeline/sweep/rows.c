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

/* The spans in task id order. Each gets a key, its id's first 8 chars as a big-endian
   number (0-padded): x < y gives key(x) <= key(y) when every id is of 1-byte chars (else
   every key is 0). A radix sort by key, then each run of equal keys by compare_ids (ids
   are distinct: no stability needed). */
static int sort_spans(TaskRows *spans, Py_ssize_t n)
{
    int bytes_only = 1;
    for (Py_ssize_t i = 0; i < n && bytes_only; i++) {
        bytes_only = PyUnicode_KIND(spans[i].task_id) == PyUnicode_1BYTE_KIND;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        uint64_t key = 0;
        if (bytes_only) {
            PyObject *id = spans[i].task_id;
            const unsigned char *s = PyUnicode_1BYTE_DATA(id);
            Py_ssize_t len = PyUnicode_GET_LENGTH(id);
            for (int j = 0; j < 8; j++) {
                key = (key << 8) | (j < len ? s[j] : 0);
            }
        }
        spans[i].key = key;
    }
    if (n > 1) {
        TaskRows *tmp = PyMem_Malloc((size_t)n * sizeof(TaskRows));
        if (!tmp) {
            PyErr_NoMemory();
            return -1;
        }
        TaskRows *from = spans, *to = tmp;
        for (int shift = 0; shift < 64; shift += 8) {
            Py_ssize_t count[257] = {0};
            for (Py_ssize_t i = 0; i < n; i++) {
                count[((from[i].key >> shift) & 0xff) + 1]++;
            }
            if (count[((from[0].key >> shift) & 0xff) + 1] == n) {
                continue; /* one digit for all: nothing moves */
            }
            for (int d = 0; d < 256; d++) {
                count[d + 1] += count[d];
            }
            for (Py_ssize_t i = 0; i < n; i++) {
                to[count[(from[i].key >> shift) & 0xff]++] = from[i];
            }
            TaskRows *t = from;
            from = to;
            to = t;
        }
        if (from != spans) {
            memcpy(spans, from, (size_t)n * sizeof(TaskRows));
        }
        PyMem_Free(tmp);
    }
    for (Py_ssize_t i = 0; i < n;) {
        Py_ssize_t j = i + 1;
        while (j < n && spans[j].key == spans[i].key) {
            j++;
        }
        if (j - i > 1) {
            qsort(spans + i, (size_t)(j - i), sizeof(TaskRows), compare_ids);
        }
        i = j;
    }
    return 0;
}

/* The column's rows in the new order (row k the old row order[k]): a gather per item size. */
static int buf_in_order(Buf *column, const Py_ssize_t *order)
{
    Py_ssize_t n = column->len;
    Buf out = {NULL, n, n, column->item};
    if (n && !(out.data = PyMem_Malloc((size_t)(n * column->item)))) {
        PyErr_NoMemory();
        return -1;
    }
    if (column->item == 8) {
        const uint64_t *from = (const uint64_t *)column->data;
        uint64_t *to = (uint64_t *)out.data;
        for (Py_ssize_t k = 0; k < n; k++) {
            to[k] = from[order[k]];
        }
    } else if (column->item == 1) {
        for (Py_ssize_t k = 0; k < n; k++) {
            out.data[k] = column->data[order[k]];
        }
    } else {
        for (Py_ssize_t k = 0; k < n; k++) {
            memcpy(out.data + k * column->item, column->data + order[k] * column->item,
                   (size_t)column->item);
        }
    }
    buf_free(column);
    *column = out;
    return 0;
}

/* A column of references as a list that takes them over; the column is freed. */
PyObject *sw_rows_list(Buf *column)
{
    Py_ssize_t n = column->len;
    PyObject *out = PyList_New(n);
    if (!out) {
        return NULL;
    }
    if (n) {
        memcpy(((PyListObject *)out)->ob_item, column->data, (size_t)n * sizeof(PyObject *));
    }
    column->len = 0;
    buf_free(column);
    return out;
}

/* A column of numbers as bytes; the column is freed. */
PyObject *sw_rows_bytes(Buf *column)
{
    PyObject *out = buf_bytes(column);
    if (out) {
        buf_free(column);
    }
    return out;
}

/* The columns, swept in table order, put in task id order (each task's rows stay together and
   in attempt order); the errors' rows renumbered. */
int sw_rows_in_order(Columns *c, TaskRows *spans, Py_ssize_t n_spans)
{
    if (sort_spans(spans, n_spans) < 0) {
        return -1;
    }
    Py_ssize_t rows = c->task_ids.len;
    Py_ssize_t *order = PyMem_Malloc((size_t)(rows ? rows : 1) * sizeof(Py_ssize_t));
    if (!order) {
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t k = 0;
    for (Py_ssize_t i = 0; i < n_spans; i++) {
        for (Py_ssize_t r = spans[i].start; r < (Py_ssize_t)spans[i].start + spans[i].count; r++) {
            order[k++] = r;
        }
    }
    if (k != rows) {
        PyMem_Free(order);
        PyErr_SetString(PyExc_RuntimeError, "sweep: rows without a task");
        return -1;
    }
    Buf *bufs[] = {&c->task_ids, &c->node_ids, &c->parents, &c->ray_nodes, &c->workers,
                   &c->pids, &c->numbers, &c->statuses, &c->pendings, &c->starts, &c->ends};
    for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++) {
        if (buf_in_order(bufs[i], order) < 0) {
            PyMem_Free(order);
            return -1;
        }
    }
    PyMem_Free(order);
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
        k = 0;
        for (Py_ssize_t i = 0; i < n_spans; i++) {
            for (Py_ssize_t r = spans[i].start; r < (Py_ssize_t)spans[i].start + spans[i].count;
                 r++) {
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
