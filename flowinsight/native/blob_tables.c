/* load_tasks, first part: the tables a blob holds before its records (strings, FunctionRefs,
   state keys, span names), each rebuilt once and shared as the merge shares them. */

#include "records.h"

static PyObject *decode_str(const unsigned char *p, Py_ssize_t n)
{
    if (!n)
        return Py_NewRef(EMPTY_STR);
    unsigned char high = 0;
    for (Py_ssize_t i = 0; i < n; i++)
        high |= p[i];
    if (high < 0x80) {
        PyObject *s = PyUnicode_New(n, 127);
        if (s)
            memcpy(PyUnicode_1BYTE_DATA(s), p, (size_t)n);
        return s;
    }
    PyObject *s = PyUnicode_DecodeUTF8((const char *)p, n, "surrogatepass");
    if (!s && PyErr_ExceptionMatches(PyExc_UnicodeDecodeError)) {
        PyErr_Clear();
        corrupt("a string that is not UTF-8");
    }
    return s;
}

/* A str (length, UTF-8). New reference. */
static PyObject *rd_str(Loader *r)
{
    Py_ssize_t n;
    if (rd_count(r, 1, &n) < 0)
        return NULL;
    PyObject *s = decode_str(r->p, n);
    r->p += n;
    return s;
}

/* state_keys as add_state builds them (each status added in turn through `_GROWN`): the one
   stored copy. Plain bytes when a status repeats or `_GROWN` holds something else. */
static PyObject *stored_keys(const unsigned char *k, Py_ssize_t n)
{
    unsigned char seen[256] = {0};
    int repeats = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        repeats |= seen[k[i]];
        seen[k[i]] = 1;
    }
    if (!repeats) {
        PyObject *cur = Py_NewRef(EMPTY_BYTES);
        for (Py_ssize_t i = 0; i < n && cur; i++)
            Py_SETREF(cur, fr_grown_keys(cur, SMALL[k[i]]));
        if (!cur)
            return NULL;
        if (PyBytes_GET_SIZE(cur) == n && memcmp(PyBytes_AS_STRING(cur), k, (size_t)n) == 0)
            return cur;
        Py_DECREF(cur);
    }
    return PyBytes_FromStringAndSize((const char *)k, n);
}

/* span_names as add_span builds them, likewise; `names` are n strs. */
static PyObject *stored_names(PyObject *const *names, Py_ssize_t n)
{
    int repeats = n > 64;
    for (Py_ssize_t i = 0; i < n && !repeats; i++) {
        for (Py_ssize_t j = 0; j < i && !repeats; j++)
            repeats = str_eq(names[i], names[j]);
    }
    if (!repeats) {
        PyObject *cur = Py_NewRef(EMPTY_TUPLE);
        for (Py_ssize_t i = 0; i < n && cur; i++)
            Py_SETREF(cur, fr_grown_names(cur, names[i]));
        if (!cur)
            return NULL;
        int same = PyTuple_GET_SIZE(cur) == n;
        for (Py_ssize_t i = 0; i < n && same; i++) {
            PyObject *item = PyTuple_GET_ITEM(cur, i);
            same = is_str(item) && str_eq(item, names[i]);
        }
        if (same)
            return cur;
        Py_DECREF(cur);
    }
    PyObject *out = PyTuple_New(n);
    if (!out)
        return NULL;
    for (Py_ssize_t i = 0; i < n; i++)
        PyTuple_SET_ITEM(out, i, Py_NewRef(names[i]));
    return out;
}

static PyObject **new_array(Py_ssize_t n)
{
    PyObject **out = PyMem_Calloc((size_t)n, sizeof(PyObject *));
    if (!out)
        PyErr_NoMemory();
    return out;
}

static void free_array(PyObject **a, Py_ssize_t n)
{
    if (!a)
        return;
    for (Py_ssize_t i = 0; i < n; i++)
        Py_XDECREF(a[i]);
    PyMem_Free(a);
}

void fr_loader_free(Loader *r)
{
    free_array(r->strs, r->n_strs);
    free_array(r->shared_strs, r->n_strs);
    free_array(r->funcs, r->n_funcs);
    free_array(r->keys, r->n_keys);
    free_array(r->names, r->n_names);
    for (int i = 0; i < 64; i++)
        Py_XDECREF(r->pids[i].obj);
}

/* The tables before the records. */
int fr_load_tables(Loader *r)
{
    if (left(r) < BLOB_MAGIC_LEN || memcmp(r->p, BLOB_MAGIC, BLOB_MAGIC_LEN) != 0)
        return corrupt("no magic");
    r->p += BLOB_MAGIC_LEN;
    Py_ssize_t n;
    if (rd_count(r, 1, &n) < 0 || !(r->strs = new_array(n + 1))
        || !(r->shared_strs = new_array(n + 1)))
        return -1;
    r->n_strs = n + 1;
    r->strs[0] = Py_NewRef(EMPTY_STR);
    for (Py_ssize_t i = 1; i <= n; i++) {
        if (!(r->strs[i] = rd_str(r)))
            return -1;
    }
    if (rd_count(r, 3, &n) < 0 || !(r->funcs = new_array(n + 1)))
        return -1;
    r->n_funcs = n + 1;
    r->funcs[0] = Py_NewRef(Py_None);
    for (Py_ssize_t i = 1; i <= n; i++) {
        PyObject *v[N_FREF];
        for (int k = 0; k < N_FREF; k++) {
            if (!(v[k] = rd_strref(r)))
                return -1;
        }
        if (!(r->funcs[i] = new_function(v[F_MODULE], v[F_CLASS], v[F_NAME])))
            return -1;
    }
    if (rd_count(r, 1, &n) < 0 || !(r->keys = new_array(n + 1)))
        return -1;
    r->n_keys = n + 1;
    r->keys[0] = Py_NewRef(EMPTY_BYTES);
    for (Py_ssize_t i = 1; i <= n; i++) {
        Py_ssize_t len;
        if (rd_count(r, 1, &len) < 0)
            return -1;
        if (!(r->keys[i] = stored_keys(r->p, len)))
            return -1;
        r->p += len;
    }
    if (rd_count(r, 1, &n) < 0 || !(r->names = new_array(n + 1)))
        return -1;
    r->n_names = n + 1;
    r->names[0] = Py_NewRef(EMPTY_TUPLE);
    for (Py_ssize_t i = 1; i <= n; i++) {
        Py_ssize_t count;
        if (rd_count(r, 1, &count) < 0)
            return -1;
        PyObject *local[64], **items = count <= 64 ? local : PyMem_Malloc(sizeof(PyObject *)
                                                                          * (size_t)count);
        if (!items) {
            PyErr_NoMemory();
            return -1;
        }
        int ok = 1;
        for (Py_ssize_t k = 0; k < count && ok; k++)
            ok = (items[k] = rd_strref(r)) != NULL;
        if (ok)
            ok = (r->names[i] = stored_names(items, count)) != NULL;
        if (items != local)
            PyMem_Free(items);
        if (!ok)
            return -1;
    }
    return 0;
}

