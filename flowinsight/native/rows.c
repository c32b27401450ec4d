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

/* The first 8 chars of a task id as a big-endian number (0-padded): x < y gives key(x) <=
   key(y) for ids of 1-byte chars; and whether they are 8 hex digits [0-9a-f] (then their 4 bits
   each, in that order, are a 32-bit key of the same order). Read by the sweep while the id is
   at hand (sw_sweep_task), instead of once more, out of cache, when sorting. */
void sw_span_key(TaskRows *span, PyObject *task_id, int *wide, int *not_hex)
{
    uint64_t key = 0;
    if (PyUnicode_KIND(task_id) != PyUnicode_1BYTE_KIND) {
        *wide = 1;
        *not_hex = 1;
    } else {
        const unsigned char *s = PyUnicode_1BYTE_DATA(task_id);
        Py_ssize_t len = PyUnicode_GET_LENGTH(task_id);
        int hex = len >= 8;
        for (int j = 0; j < 8; j++) {
            unsigned char ch = j < len ? s[j] : 0;
            hex = hex && ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'));
            key = (key << 8) | ch;
        }
        if (!hex) {
            *not_hex = 1;
        }
    }
    span->key = key;
}

static inline uint64_t hex_key(uint64_t key)
{
    uint64_t out = 0;
    for (int shift = 56; shift >= 0; shift -= 8) {
        unsigned ch = (unsigned)(key >> shift) & 0xff;
        out = (out << 4) | (ch <= '9' ? ch - '0' : ch - 'a' + 10);
    }
    return out;
}

/* Each run of equal keys (ids are distinct: no stability needed) by compare_ids. */
static void sort_equal_keys(TaskRows *spans, Py_ssize_t n)
{
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
}

/* The positions of the spans in task id order, into `by_id`, for hex keys: (key << 32 |
   position) sorted by key, 11 bits a pass (3 passes), as 8-byte items rather than the spans
   themselves (nor the spans read again, out of cache, but where keys are equal: by
   compare_ids, an insertion sort since such runs are short). */
static int hex_order(const TaskRows *spans, Py_ssize_t n, Py_ssize_t *by_id)
{
    uint64_t *items = PyMem_Malloc((size_t)n * 2 * sizeof(uint64_t));
    if (!items) {
        PyErr_NoMemory();
        return -1;
    }
    uint64_t *from = items, *to = items + n;
    for (Py_ssize_t i = 0; i < n; i++) {
        from[i] = (hex_key(spans[i].key) << 32) | (uint64_t)i;
    }
    for (int shift = 32; shift < 64; shift += 11) {
        if (!radix_pass(from, to, n, shift)) {
            continue; /* one digit for all: nothing moved */
        }
        uint64_t *t = from;
        from = to;
        to = t;
    }
    for (Py_ssize_t i = 0; i < n;) {
        Py_ssize_t end = i + 1;
        while (end < n && (from[end] >> 32) == (from[i] >> 32)) {
            end++;
        }
        if (end - i > 8) { /* a long run (ids of one prefix): qsort copies, the key their place */
            TaskRows *run = PyMem_Malloc((size_t)(end - i) * sizeof(TaskRows));
            if (!run) {
                PyMem_Free(items);
                PyErr_NoMemory();
                return -1;
            }
            for (Py_ssize_t j = i; j < end; j++) {
                run[j - i] = spans[from[j] & 0xffffffffu];
                run[j - i].key = from[j] & 0xffffffffu;
            }
            qsort(run, (size_t)(end - i), sizeof(TaskRows), compare_ids);
            for (Py_ssize_t j = i; j < end; j++) {
                from[j] = (from[j] & ~(uint64_t)0xffffffffu) | run[j - i].key;
            }
            PyMem_Free(run);
        } else {
            for (Py_ssize_t m = i + 1; m < end; m++) {
                Py_ssize_t j = m;
                uint64_t item = from[m];
                while (j > i && compare_ids(&spans[from[j - 1] & 0xffffffffu],
                                            &spans[item & 0xffffffffu]) > 0) {
                    from[j] = from[j - 1];
                    j--;
                }
                from[j] = item;
            }
        }
        i = end;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        by_id[i] = (Py_ssize_t)(from[i] & 0xffffffffu);
    }
    PyMem_Free(items);
    return 0;
}

/* The spans in task id order, by their keys (sw_span_key; every key 0 when `wide`: some id
   is not of 1-byte chars): a radix sort by key, then each run of equal keys by compare_ids. */
static int sort_spans(TaskRows *spans, Py_ssize_t n, int wide)
{
    for (Py_ssize_t i = 0; wide && i < n; i++) {
        spans[i].key = 0;
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
    sort_equal_keys(spans, n);
    return 0;
}

/* The column's rows in the new order (row k the old row order[k]; as they are without an
   order), gathered into `to`: a gather per item size. */
static void gather(const Buf *column, const Py_ssize_t *order, char *to)
{
    Py_ssize_t n = column->len;
    if (!order) {
        memcpy(to, column->data, (size_t)(n * column->item));
    } else if (column->item == 8) {
        const uint64_t *from = (const uint64_t *)column->data;
        uint64_t *out = (uint64_t *)to;
        for (Py_ssize_t k = 0; k < n; k++) {
            out[k] = from[order[k]];
        }
    } else if (column->item == 1) {
        for (Py_ssize_t k = 0; k < n; k++) {
            to[k] = column->data[order[k]];
        }
    } else {
        for (Py_ssize_t k = 0; k < n; k++) {
            memcpy(to + k * column->item, column->data + order[k] * column->item,
                   (size_t)column->item);
        }
    }
}

/* A column of references as a list that takes them over, in `order` (sw_rows_in_order's);
   the column is freed. */
PyObject *sw_rows_list(Buf *column, const Py_ssize_t *order)
{
    Py_ssize_t n = column->len;
    PyObject *out = PyList_New(n);
    if (!out) {
        return NULL;
    }
    PyObject *const *from = (PyObject *const *)column->data;
    for (Py_ssize_t k = 0; k < n; k++) {
        PyList_SET_ITEM(out, k, from[order ? order[k] : k]);
    }
    column->len = 0;
    buf_free(column);
    return out;
}

/* A column of numbers as bytes, in `order`, gathered straight into them; the column is
   freed. */
PyObject *sw_rows_bytes(Buf *column, const Py_ssize_t *order)
{
    PyObject *out = PyBytes_FromStringAndSize(NULL, column->len * column->item);
    if (out) {
        if (column->len) {
            gather(column, order, PyBytes_AS_STRING(out));
        }
        buf_free(column);
    }
    return out;
}

/* The order of the columns' rows, swept in table order, in task id order (each task's rows
   stay together and in attempt order): c->order, for sw_rows_list and sw_rows_bytes; the
   errors' rows renumbered. */
int sw_rows_in_order(Columns *c, TaskRows *spans, Py_ssize_t n_spans, int wide, int not_hex)
{
    Py_ssize_t rows = c->task_ids.len;
    Py_ssize_t *order = PyMem_Malloc((size_t)(rows ? rows : 1) * sizeof(Py_ssize_t));
    if (!order) {
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t k = 0;
    if (n_spans > 1 && !not_hex && n_spans <= (Py_ssize_t)UINT32_MAX) {
        /* one row a task (the most common): span i is row i, its position the row's */
        Py_ssize_t *by_id = rows == n_spans ? order
                                            : PyMem_Malloc((size_t)n_spans * sizeof(Py_ssize_t));
        if (!by_id || hex_order(spans, n_spans, by_id) < 0) {
            if (!by_id) {
                PyErr_NoMemory();
            } else if (by_id != order) {
                PyMem_Free(by_id);
            }
            PyMem_Free(order);
            return -1;
        }
        if (by_id == order) {
            k = rows;
        } else {
            for (Py_ssize_t i = 0; i < n_spans; i++) {
                const TaskRows *span = &spans[by_id[i]];
                for (Py_ssize_t r = span->start; r < (Py_ssize_t)span->start + span->count; r++) {
                    order[k++] = r;
                }
            }
            PyMem_Free(by_id);
        }
    } else {
        if (sort_spans(spans, n_spans, wide) < 0) {
            PyMem_Free(order);
            return -1;
        }
        for (Py_ssize_t i = 0; i < n_spans; i++) {
            for (Py_ssize_t r = spans[i].start; r < (Py_ssize_t)spans[i].start + spans[i].count;
                 r++) {
                order[k++] = r;
            }
        }
    }
    if (k != rows) {
        PyMem_Free(order);
        PyErr_SetString(PyExc_RuntimeError, "sweep: rows without a task");
        return -1;
    }
    PyMem_Free(c->order);
    c->order = order; /* the columns are gathered in it as they go out (sw_rows_list) */
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
        for (k = 0; k < rows; k++) {
            moved[order[k]] = k;
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
