/* Attempt.add_state and Attempt.add_span for a run of states or spans at once (a batch's
   update, or a later attempt's in load_tasks_into): each grown value stored once. */

#include "records.h"

static inline void state_at(const States *s, Py_ssize_t i, int *status, int64_t *ns)
{
    if (s->ns64) {
        *status = s->keys[i];
        *ns = s->ns64[i];
    } else {
        *status = s->keys[i];
        *ns = get64(s->ns + 8 * i);
    }
}

int fr_add_states(PyObject *a, PyObject **row, const States *src)
{
    if (!src->n)
        return 0;
    PyObject *keys = row[A_KEYS], *nsb = row[A_NS];
    Py_ssize_t k = PyBytes_GET_SIZE(keys);
    /* room for the keys so far and 256 more statuses at most */
    unsigned char kb_local[512], *kb = kb_local;
    int64_t ns_local[512], *ns = ns_local;
    if (k + 256 > 512) {
        kb = PyMem_Malloc((size_t)k + 256);
        ns = PyMem_Malloc(sizeof(int64_t) * ((size_t)k + 256));
        if (!kb || !ns) {
            PyMem_Free(kb);
            PyMem_Free(ns);
            PyErr_NoMemory();
            return -1;
        }
    }
    int r = -1;
    memcpy(kb, PyBytes_AS_STRING(keys), (size_t)k);
    for (Py_ssize_t i = 0; i < k; i++)
        ns[i] = get64(PyBytes_AS_STRING(nsb) + 8 * i);
    PyObject *cur = Py_NewRef(keys);
    int changed = 0;
    for (Py_ssize_t j = 0; j < src->n; j++) {
        int status = 0;
        int64_t value = 0;
        state_at(src, j, &status, &value);
        const unsigned char *hit = k ? memchr(kb, status, (size_t)k) : NULL;
        if (!hit) {
            PyObject *next = fr_grown_keys(cur, SMALL[status]);
            if (!next) {
                Py_DECREF(cur);
                goto done;
            }
            Py_SETREF(cur, next);
            kb[k] = (unsigned char)status;
            ns[k++] = value;
            changed = 1;
        } else if (value < ns[hit - kb]) {
            ns[hit - kb] = value;
            changed = 1;
        }
    }
    if (!changed) {
        Py_DECREF(cur);
        r = 0;
        goto done;
    }
    PyObject *packed = PyBytes_FromStringAndSize(NULL, 8 * k);
    if (!packed) {
        Py_DECREF(cur);
        goto done;
    }
    for (Py_ssize_t i = 0; i < k; i++)
        put64(PyBytes_AS_STRING(packed) + 8 * i, ns[i]);
    put_new_row(a, &ATTEMPT, row, A_KEYS, cur);
    put_new_row(a, &ATTEMPT, row, A_NS, packed);
    r = 0;
done:
    if (kb != kb_local) {
        PyMem_Free(kb);
        PyMem_Free(ns);
    }
    return r;
}

/* `name in names` (name a str): 1, 0, or -1 for an error */
static inline int has_name(PyObject *names, PyObject *name)
{
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(names); i++) {
        PyObject *item = PyTuple_GET_ITEM(names, i);
        if (is_str(item)) {
            if (str_eq(item, name))
                return 1;
        } else {
            int r = PyObject_RichCompareBool(item, name, Py_EQ);
            if (r)
                return r;
        }
    }
    return 0;
}

/* Whether a span name is a `task::<name>` one (its first six characters, of any kind). */
static int is_named_span(PyObject *name)
{
    static const char prefix[] = "task::";
    if (!PyUnicode_Check(name) || PyUnicode_GET_LENGTH(name) < 6)
        return 0;
    for (Py_ssize_t i = 0; i < 6; i++)
        if (PyUnicode_READ_CHAR(name, i) != (Py_UCS4)prefix[i])
            return 0;
    return 1;
}

/* The `task::<name>` spans of the names so far. */
static Py_ssize_t named_spans(PyObject *names)
{
    Py_ssize_t n = 0;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(names); i++)
        n += is_named_span(PyTuple_GET_ITEM(names, i));
    return n;
}

int fr_add_spans(PyObject *a, PyObject **row, const Spans *src)
{
    if (!src->n)
        return 0;
    PyObject *cur = Py_NewRef(row[A_SPAN_NAMES]);
    int64_t local[64], *pairs = local;
    Py_ssize_t added = 0, cap = 32;
    /* tasks.MAX_NAMED_SPANS, as Attempt.add_span: the names stay few, their lookups cheap */
    Py_ssize_t named = named_spans(cur);
    for (Py_ssize_t j = 0; j < src->n; j++) {
        PyObject *name;
        if (src->name_arr) {
            name = src->name_arr[j];
        } else {
            name = PyTuple_GET_ITEM(src->names, j);
        }
        int known = has_name(cur, name);
        if (known < 0)
            goto error;
        if (known)
            continue;
        if (is_named_span(name)) {
            if (named >= MAX_NAMED_SPANS)
                continue;
            named++;
        }
        PyObject *next = fr_grown_names(cur, name);
        if (!next)
            goto error;
        Py_SETREF(cur, next);
        if (added == cap) {
            int64_t *more = PyMem_Malloc(sizeof(int64_t) * 4 * (size_t)cap);
            if (!more) {
                PyErr_NoMemory();
                goto error;
            }
            memcpy(more, pairs, sizeof(int64_t) * 2 * (size_t)cap);
            if (pairs != local)
                PyMem_Free(pairs);
            pairs = more;
            cap *= 2;
        }
        if (src->ns64) {
            pairs[2 * added] = src->ns64[2 * j];
            pairs[2 * added + 1] = src->ns64[2 * j + 1];
        } else {
            pairs[2 * added] = get64(src->ns + 16 * j);
            pairs[2 * added + 1] = get64(src->ns + 16 * j + 8);
        }
        added++;
    }
    if (added) {
        PyObject *old = row[A_SPAN_NS];
        Py_ssize_t n = PyBytes_GET_SIZE(old);
        PyObject *packed = PyBytes_FromStringAndSize(NULL, n + 16 * added);
        if (!packed)
            goto error;
        memcpy(PyBytes_AS_STRING(packed), PyBytes_AS_STRING(old), (size_t)n);
        for (Py_ssize_t i = 0; i < 2 * added; i++)
            put64(PyBytes_AS_STRING(packed) + n + 8 * i, pairs[i]);
        put_new_row(a, &ATTEMPT, row, A_SPAN_NAMES, cur);
        put_new_row(a, &ATTEMPT, row, A_SPAN_NS, packed);
    } else {
        Py_DECREF(cur);
    }
    if (pairs != local)
        PyMem_Free(pairs);
    return 0;
error:
    Py_DECREF(cur);
    if (pairs != local)
        PyMem_Free(pairs);
    return -1;
}

