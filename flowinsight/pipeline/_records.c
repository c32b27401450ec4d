/* flowinsight.pipeline._records: flowinsight/pipeline/tasks.py's merging, in C.

   merge_updates(events, tasks)       merge_tasks(events, tasks) for a sequence of events
   merge_task_tables(into, later)     merge_task_tables(into, later)
   make_task(*fields)                 Task(*fields), for unpickling (Task.__reduce__)
   make_attempt(*fields)              Attempt(*fields), likewise
   dump_tasks(tasks) -> bytes         a table of records as a compact blob (see "Blobs" below)
   load_tasks(blob) -> tasks          the table again

tasks.py is the reference: these do what its Python code does, field for field, and hand
whatever they are not sure of back to it. A TaskUpdate is checked whole before anything is
changed (its fields, and those of the record and attempt it goes into, of the types the readers
make them; its ints within int64, its statuses within 0..255): when anything is otherwise, the
event goes to the Python merge_tasks, so that what happens, exceptions included, is what
happens there. Any other kind of event goes there too, in order. The same for a pair of records
in merge_task_tables (the Python _merge_task).

Records are built as flowinsight.model.fast_init builds objects: the class's tp_alloc (what
object.__new__(cls) does for these classes), then each slot stored. configure() hands over the
classes and the member descriptor of each field; the slots are read and written at the
descriptors' offsets, which is what those (T_OBJECT_EX) descriptors do.

Values that recur are stored once, as in tasks.py: its `_SHARED` and `_GROWN` tables (handed
over by configure) are the very ones used here, with the same bound; in front of `_GROWN`, a
small table keyed by the identity of the value grown (most are themselves shared) saves the
tuple key and its hash. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <stdint.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* The classes: set by configure(). */

enum { T_TASK_ID, T_JOB_ID, T_TYPE, T_FUNCTION, T_LANGUAGE, T_PARENT, T_ACTOR, T_SUBMIT,
       T_ATTEMPTS, T_SEEN_MODULE, T_SEEN_CLASS, N_TASK };
enum { A_NUMBER, A_KEYS, A_NS, A_NODE, A_WORKER, A_PID, A_ETYPE, A_EMSG, A_COMPONENT,
       A_SPAN_NAMES, A_SPAN_NS, N_ATTEMPT };
enum { F_MODULE, F_CLASS, F_NAME, N_FREF };
enum { U_TASK_ID, U_ATTEMPT, U_JOB, U_TYPE, U_FUNC, U_LANG, U_PARENT, U_ACTOR, U_STATES, U_NODE,
       U_WORKER, U_PID, U_ETYPE, U_EMSG, U_COMPONENT, U_SPANS, N_UPDATE };
enum { S_NAME, S_START, S_END, N_SPAN };

typedef struct {
    PyTypeObject *cls;
    Py_ssize_t n;
    Py_ssize_t off[N_UPDATE];
} Klass;

static Klass TASK = {NULL, N_TASK, {0}}, ATTEMPT = {NULL, N_ATTEMPT, {0}},
             FREF = {NULL, N_FREF, {0}}, UPDATE = {NULL, N_UPDATE, {0}},
             SPAN = {NULL, N_SPAN, {0}};
static PyObject *SHARED, *GROWN, *MERGE_EVENTS, *MERGE_TASK;
static Py_ssize_t MAX_SHARED;
static PyObject *EMPTY_STR, *EMPTY_BYTES, *EMPTY_TUPLE, *SMALL[256];

/* A slot's value (borrowed; NULL when unset). */
#define GET(obj, k, i) (*(PyObject **)((char *)(obj) + (k).off[i]))

/* Store a slot, taking over the reference to `value`. */
static inline void put_new(PyObject *obj, const Klass *k, int i, PyObject *value)
{
    PyObject **slot = (PyObject **)((char *)obj + k->off[i]);
    PyObject *old = *slot;
    *slot = value;
    Py_XDECREF(old);
}

static inline void put(PyObject *obj, const Klass *k, int i, PyObject *value)
{
    put_new(obj, k, i, Py_NewRef(value));
}

/* A new instance with every slot taken over from `values` (new references, all set). */
static PyObject *build(const Klass *k, PyObject **values)
{
    PyObject *obj = k->cls->tp_alloc(k->cls, 0);
    if (!obj) {
        for (Py_ssize_t i = 0; i < k->n; i++)
            Py_DECREF(values[i]);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < k->n; i++)
        *(PyObject **)((char *)obj + k->off[i]) = values[i];
    return obj;
}

/* ------------------------------------------------------------------------------------------ */
/* Small helpers */

static inline int64_t get64(const char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if !PY_LITTLE_ENDIAN
    v = __builtin_bswap64(v);
#endif
    return (int64_t)v;
}

static inline void put64(char *p, int64_t value)
{
    uint64_t v = (uint64_t)value;
#if !PY_LITTLE_ENDIAN
    v = __builtin_bswap64(v);
#endif
    memcpy(p, &v, 8);
}

#if PY_VERSION_HEX < 0x030C0000
#define READY(o) PyUnicode_IS_READY(o)
#else
#define READY(o) 1
#endif
static inline int is_str(PyObject *o) { return o && PyUnicode_CheckExact(o) && READY(o); }
static inline int is_bytes(PyObject *o) { return o && PyBytes_CheckExact(o); }
static inline int str_empty(PyObject *o) { return PyUnicode_GET_LENGTH(o) == 0; }

/* An exact int within int64 (1), or not (0). Never leaves an exception. */
static inline int as_i64(PyObject *o, int64_t *out)
{
    if (!o || !PyLong_CheckExact(o))
        return 0;
#if PY_VERSION_HEX < 0x030C0000 && PYLONG_BITS_IN_DIGIT == 30
    /* up to 3 digits below 2**63 (every ns of this century), read off the digits */
    Py_ssize_t size = Py_SIZE(o), n = size < 0 ? -size : size;
    const digit *d = ((PyLongObject *)o)->ob_digit;
    if (n <= 3 && (n < 3 || d[2] < 8)) {
        uint64_t v = 0;
        for (Py_ssize_t i = n - 1; i >= 0; i--)
            v = (v << 30) | d[i];
        *out = size < 0 ? -(int64_t)v : (int64_t)v;
        return 1;
    }
#endif
    int overflow;
    long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (overflow || (v == -1 && PyErr_Occurred())) {
        PyErr_Clear();
        return 0;
    }
    *out = v;
    return 1;
}

/* `a == b` of two exact str objects (unicode_eq: equal strings have the same kind). */
static inline int str_eq(PyObject *a, PyObject *b)
{
    if (a == b)
        return 1;
    Py_ssize_t n = PyUnicode_GET_LENGTH(a);
    if (n != PyUnicode_GET_LENGTH(b) || PyUnicode_KIND(a) != PyUnicode_KIND(b))
        return 0;
    return memcmp(PyUnicode_DATA(a), PyUnicode_DATA(b), (size_t)n * PyUnicode_KIND(a)) == 0;
}

/* tasks.shared(value): the one stored copy of an equal value. New reference. */
static PyObject *shared(PyObject *value)
{
    PyObject *found = PyDict_GetItemWithError(SHARED, value);
    if (found)
        return Py_NewRef(found);
    if (PyErr_Occurred())
        return NULL;
    if (PyDict_GET_SIZE(SHARED) < MAX_SHARED && PyDict_SetItem(SHARED, value, value) < 0)
        return NULL;
    return Py_NewRef(value);
}

/* `_GROWN.get((prev, added))`, else make(prev, added) stored by `_grown`: tasks.py's way of
   storing a grown value once. Before the dict, a table keyed by the identity of `prev` and
   `added` (it holds them, so an address is never another object's). New reference. */
#define CACHE_SLOTS 4096
typedef struct {
    PyObject *prev, *added, *value;
} Grown;
static Grown STATE_CACHE[CACHE_SLOTS], SPAN_CACHE[CACHE_SLOTS], JOIN_CACHE[CACHE_SLOTS];

typedef PyObject *(*MakeFn)(PyObject *prev, PyObject *added);
typedef int (*FitFn)(PyObject *prev, PyObject *added, PyObject *value);

static PyObject *grown(Grown *cache, PyObject *prev, PyObject *added, MakeFn make, FitFn fit)
{
    uintptr_t h = ((uintptr_t)prev >> 4) ^ (((uintptr_t)added >> 4) * (uintptr_t)0x9E3779B1u);
    h ^= h >> 13;
    Grown *e = &cache[h & (CACHE_SLOTS - 1)];
    if (e->prev == prev && e->added == added)
        return Py_NewRef(e->value);
    PyObject *key = PyTuple_Pack(2, prev, added);
    if (!key)
        return NULL;
    PyObject *value = PyDict_GetItemWithError(GROWN, key);
    if (value && fit(prev, added, value)) {
        Py_INCREF(value);
    } else if (!value && PyErr_Occurred()) {
        Py_DECREF(key);
        return NULL;
    } else if (value) {
        /* not one of tasks.py's own: not shared */
        Py_DECREF(key);
        return make(prev, added);
    } else {
        if (!(value = make(prev, added))) {
            Py_DECREF(key);
            return NULL;
        }
        if (PyDict_GET_SIZE(GROWN) < MAX_SHARED && PyDict_SetItem(GROWN, key, value) < 0) {
            Py_DECREF(key);
            Py_DECREF(value);
            return NULL;
        }
    }
    Py_DECREF(key);
    Grown old = *e;
    e->prev = Py_NewRef(prev);
    e->added = Py_NewRef(added);
    e->value = Py_NewRef(value);
    Py_XDECREF(old.prev);
    Py_XDECREF(old.added);
    Py_XDECREF(old.value);
    return value;
}

/* state_keys + bytes((status,)) */
static PyObject *make_keys(PyObject *prev, PyObject *status)
{
    Py_ssize_t n = PyBytes_GET_SIZE(prev);
    PyObject *out = PyBytes_FromStringAndSize(NULL, n + 1);
    if (!out)
        return NULL;
    memcpy(PyBytes_AS_STRING(out), PyBytes_AS_STRING(prev), (size_t)n);
    PyBytes_AS_STRING(out)[n] = (char)PyLong_AsLong(status);
    return out;
}

/* (*span_names, sys.intern(name)) */
static PyObject *make_names(PyObject *prev, PyObject *name)
{
    Py_ssize_t n = PyTuple_GET_SIZE(prev);
    PyObject *out = PyTuple_New(n + 1);
    if (!out)
        return NULL;
    for (Py_ssize_t i = 0; i < n; i++)
        PyTuple_SET_ITEM(out, i, Py_NewRef(PyTuple_GET_ITEM(prev, i)));
    Py_INCREF(name);
    PyUnicode_InternInPlace(&name);
    PyTuple_SET_ITEM(out, n, name);
    return out;
}

static PyObject *concat_bytes(PyObject *a, const char *b, Py_ssize_t nb)
{
    Py_ssize_t na = PyBytes_GET_SIZE(a);
    PyObject *out = PyBytes_FromStringAndSize(NULL, na + nb);
    if (!out)
        return NULL;
    memcpy(PyBytes_AS_STRING(out), PyBytes_AS_STRING(a), (size_t)na);
    memcpy(PyBytes_AS_STRING(out) + na, b, (size_t)nb);
    return out;
}

/* keys + later_keys */
static PyObject *make_joined(PyObject *prev, PyObject *added)
{
    return concat_bytes(prev, PyBytes_AS_STRING(added), PyBytes_GET_SIZE(added));
}

/* Whether a value found in _GROWN is what make() would give (to be used as such here). */
static int keys_fit(PyObject *prev, PyObject *added, PyObject *value)
{
    (void)added;
    return PyBytes_CheckExact(value) && PyBytes_GET_SIZE(value) == PyBytes_GET_SIZE(prev) + 1;
}

static int names_fit(PyObject *prev, PyObject *added, PyObject *value)
{
    (void)added;
    return PyTuple_CheckExact(value) && PyTuple_GET_SIZE(value) == PyTuple_GET_SIZE(prev) + 1;
}

static int joined_fit(PyObject *prev, PyObject *added, PyObject *value)
{
    return PyBytes_CheckExact(value)
           && PyBytes_GET_SIZE(value) == PyBytes_GET_SIZE(prev) + PyBytes_GET_SIZE(added);
}

/* ------------------------------------------------------------------------------------------ */
/* What the fast paths take on: anything else goes to the Python code. */

static int function_ok(PyObject *f)
{
    if (f == Py_None)
        return 1;
    if (Py_TYPE(f) != FREF.cls)
        return 0;
    for (int i = 0; i < N_FREF; i++) {
        if (!is_str(GET(f, FREF, i)))
            return 0;
    }
    return 1;
}

/* A record's own fields (`tables`: also what merge_task_tables reads); its attempts' numbers. */
static int task_ok(PyObject *t, int tables)
{
    if (Py_TYPE(t) != TASK.cls || !GET(t, TASK, T_TYPE))
        return 0;
    PyObject *f = GET(t, TASK, T_FUNCTION);
    if (!f || !function_ok(f))
        return 0;
    static const int strs[] = {T_LANGUAGE, T_PARENT, T_ACTOR, T_SEEN_MODULE, T_SEEN_CLASS};
    for (size_t i = 0; i < sizeof strs / sizeof *strs; i++) {
        if (!is_str(GET(t, TASK, strs[i])))
            return 0;
    }
    if (tables) {
        PyObject *submit = GET(t, TASK, T_SUBMIT);
        if (!submit || (submit != Py_None && !PyFloat_CheckExact(submit)))
            return 0;
    }
    PyObject *attempts = GET(t, TASK, T_ATTEMPTS);
    if (!attempts || !PyTuple_CheckExact(attempts))
        return 0;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(attempts); i++) {
        PyObject *a = PyTuple_GET_ITEM(attempts, i);
        int64_t number;
        if (Py_TYPE(a) != ATTEMPT.cls || !as_i64(GET(a, ATTEMPT, A_NUMBER), &number))
            return 0;
    }
    return 1;
}

/* An attempt's fields (`exact_spans`: span_ns holds just its names' pairs). */
static int attempt_ok(PyObject *a, int exact_spans)
{
    PyObject *keys = GET(a, ATTEMPT, A_KEYS), *ns = GET(a, ATTEMPT, A_NS);
    if (!is_bytes(keys) || !is_bytes(ns) || PyBytes_GET_SIZE(ns) != 8 * PyBytes_GET_SIZE(keys))
        return 0;
    static const int strs[] = {A_NODE, A_WORKER, A_ETYPE, A_EMSG, A_COMPONENT};
    for (size_t i = 0; i < sizeof strs / sizeof *strs; i++) {
        if (!is_str(GET(a, ATTEMPT, strs[i])))
            return 0;
    }
    if (!GET(a, ATTEMPT, A_PID))
        return 0;
    PyObject *names = GET(a, ATTEMPT, A_SPAN_NAMES), *span_ns = GET(a, ATTEMPT, A_SPAN_NS);
    if (!names || !PyTuple_CheckExact(names) || !is_bytes(span_ns))
        return 0;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(names); i++) {
        if (!is_str(PyTuple_GET_ITEM(names, i)))
            return 0;
    }
    if (exact_spans && PyBytes_GET_SIZE(span_ns) != 16 * PyTuple_GET_SIZE(names))
        return 0;
    return 1;
}

/* A TaskUpdate of the shape the readers make; its attempt number. */
static int update_ok(PyObject *u, int64_t *number)
{
    for (int i = 0; i < N_UPDATE; i++) {
        if (!GET(u, UPDATE, i))
            return 0;
    }
    static const int strs[] = {U_TASK_ID, U_JOB, U_LANG, U_PARENT, U_ACTOR, U_NODE, U_WORKER,
                               U_ETYPE, U_EMSG, U_COMPONENT};
    for (size_t i = 0; i < sizeof strs / sizeof *strs; i++) {
        if (!is_str(GET(u, UPDATE, strs[i])))
            return 0;
    }
    if (!as_i64(GET(u, UPDATE, U_ATTEMPT), number) || !function_ok(GET(u, UPDATE, U_FUNC)))
        return 0;
    PyObject *pid = GET(u, UPDATE, U_PID);
    if (pid != Py_None && !PyLong_CheckExact(pid))
        return 0;
    PyObject *states = GET(u, UPDATE, U_STATES);
    if (!PyTuple_CheckExact(states))
        return 0;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(states); i++) {
        PyObject *pair = PyTuple_GET_ITEM(states, i);
        int64_t status, ns;
        if (!PyTuple_CheckExact(pair) || PyTuple_GET_SIZE(pair) != 2
            || !as_i64(PyTuple_GET_ITEM(pair, 0), &status) || status < 0 || status > 255
            || !as_i64(PyTuple_GET_ITEM(pair, 1), &ns))
            return 0;
    }
    PyObject *spans = GET(u, UPDATE, U_SPANS);
    if (!PyTuple_CheckExact(spans))
        return 0;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(spans); i++) {
        PyObject *span = PyTuple_GET_ITEM(spans, i);
        int64_t start, end;
        if (Py_TYPE(span) != SPAN.cls || !is_str(GET(span, SPAN, S_NAME))
            || !as_i64(GET(span, SPAN, S_START), &start) || !as_i64(GET(span, SPAN, S_END), &end))
            return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Attempt.add_state and Attempt.add_span, for a run of them */

/* Where states come from: an update's ((status, ns), ...) or an attempt's bytes. */
typedef struct {
    PyObject *pairs;
    const unsigned char *keys;
    const char *ns;
    Py_ssize_t n;
} States;

static inline void state_at(const States *s, Py_ssize_t i, int *status, int64_t *ns)
{
    if (s->pairs) {
        PyObject *pair = PyTuple_GET_ITEM(s->pairs, i);
        int64_t v = 0;
        as_i64(PyTuple_GET_ITEM(pair, 0), &v);
        *status = (int)v;
        as_i64(PyTuple_GET_ITEM(pair, 1), ns);
    } else {
        *status = s->keys[i];
        *ns = get64(s->ns + 8 * i);
    }
}

static int add_states(PyObject *a, const States *src)
{
    if (!src->n)
        return 0;
    PyObject *keys = GET(a, ATTEMPT, A_KEYS), *nsb = GET(a, ATTEMPT, A_NS);
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
            PyObject *next = grown(STATE_CACHE, cur, SMALL[status], make_keys, keys_fit);
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
    put_new(a, &ATTEMPT, A_KEYS, cur);
    put_new(a, &ATTEMPT, A_NS, packed);
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

/* Where spans come from: an update's Span objects or an attempt's names and int64 pairs. */
typedef struct {
    PyObject *spans;
    PyObject *names;
    const char *ns;
    Py_ssize_t n;
} Spans;

static int add_spans(PyObject *a, const Spans *src)
{
    if (!src->n)
        return 0;
    PyObject *cur = Py_NewRef(GET(a, ATTEMPT, A_SPAN_NAMES));
    int64_t local[64], *pairs = local;
    Py_ssize_t added = 0, cap = 32;
    for (Py_ssize_t j = 0; j < src->n; j++) {
        PyObject *name, *span = NULL;
        if (src->spans) {
            span = PyTuple_GET_ITEM(src->spans, j);
            name = GET(span, SPAN, S_NAME);
        } else {
            name = PyTuple_GET_ITEM(src->names, j);
        }
        int known = has_name(cur, name);
        if (known < 0)
            goto error;
        if (known)
            continue;
        PyObject *next = grown(SPAN_CACHE, cur, name, make_names, names_fit);
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
        if (span) {
            as_i64(GET(span, SPAN, S_START), &pairs[2 * added]);
            as_i64(GET(span, SPAN, S_END), &pairs[2 * added + 1]);
        } else {
            pairs[2 * added] = get64(src->ns + 16 * j);
            pairs[2 * added + 1] = get64(src->ns + 16 * j + 8);
        }
        added++;
    }
    if (added) {
        PyObject *old = GET(a, ATTEMPT, A_SPAN_NS);
        Py_ssize_t n = PyBytes_GET_SIZE(old);
        PyObject *packed = PyBytes_FromStringAndSize(NULL, n + 16 * added);
        if (!packed)
            goto error;
        memcpy(PyBytes_AS_STRING(packed), PyBytes_AS_STRING(old), (size_t)n);
        for (Py_ssize_t i = 0; i < 2 * added; i++)
            put64(PyBytes_AS_STRING(packed) + n + 8 * i, pairs[i]);
        put_new(a, &ATTEMPT, A_SPAN_NAMES, cur);
        put_new(a, &ATTEMPT, A_SPAN_NS, packed);
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

/* ------------------------------------------------------------------------------------------ */
/* merge_tasks for one TaskUpdate */

static PyObject *new_attempt(PyObject *number)
{
    PyObject *v[N_ATTEMPT] = {
        Py_NewRef(number), Py_NewRef(EMPTY_BYTES), Py_NewRef(EMPTY_BYTES),
        Py_NewRef(EMPTY_STR), Py_NewRef(EMPTY_STR), Py_NewRef(Py_None),
        Py_NewRef(EMPTY_STR), Py_NewRef(EMPTY_STR), Py_NewRef(EMPTY_STR),
        Py_NewRef(EMPTY_TUPLE), Py_NewRef(EMPTY_BYTES),
    };
    return build(&ATTEMPT, v);
}

/* Task(task_id, job_id or job_of_task(task_id)) */
static PyObject *new_task(PyObject *task_id, PyObject *job_id)
{
    PyObject *job;
    if (!str_empty(job_id))
        job = Py_NewRef(job_id);
    else if (PyUnicode_GET_LENGTH(task_id) == 48)
        job = PyUnicode_Substring(task_id, 40, 48);
    else
        job = Py_NewRef(EMPTY_STR);
    if (!job)
        return NULL;
    PyObject *v[N_TASK] = {
        Py_NewRef(task_id), job, Py_NewRef(Py_None), Py_NewRef(Py_None),
        Py_NewRef(EMPTY_STR), Py_NewRef(EMPTY_STR), Py_NewRef(EMPTY_STR), Py_NewRef(Py_None),
        Py_NewRef(EMPTY_TUPLE), Py_NewRef(EMPTY_STR), Py_NewRef(EMPTY_STR),
    };
    return build(&TASK, v);
}

static PyObject *new_function(PyObject *module, PyObject *class_name, PyObject *name)
{
    PyObject *v[N_FREF] = {Py_NewRef(module), Py_NewRef(class_name), Py_NewRef(name)};
    return build(&FREF, v);
}

/* tasks._add_function */
static int add_function(PyObject *task, PyObject *new)
{
    PyObject *old = GET(task, TASK, T_FUNCTION);
    PyObject *new_module = GET(new, FREF, F_MODULE), *new_class = GET(new, FREF, F_CLASS);
    if (old == Py_None || str_empty(GET(old, FREF, F_NAME))) {
        put(task, &TASK, T_FUNCTION, new);
    } else {
        PyObject *module = GET(old, FREF, F_MODULE), *class_name = GET(old, FREF, F_CLASS);
        if ((str_empty(module) && !str_empty(new_module))
            || (str_empty(class_name) && !str_empty(new_class))) {
            PyObject *ref = new_function(str_empty(module) ? new_module : module,
                                         str_empty(class_name) ? new_class : class_name,
                                         GET(old, FREF, F_NAME));
            if (!ref)
                return -1;
            put_new(task, &TASK, T_FUNCTION, ref);
        }
    }
    if (str_empty(GET(task, TASK, T_SEEN_MODULE)))
        put(task, &TASK, T_SEEN_MODULE, new_module);
    if (str_empty(GET(task, TASK, T_SEEN_CLASS)))
        put(task, &TASK, T_SEEN_CLASS, new_class);
    return 0;
}

/* An attempt's number (checked before). */
static inline int64_t number_of(PyObject *a)
{
    int64_t number = 0;
    as_i64(GET(a, ATTEMPT, A_NUMBER), &number);
    return number;
}

/* The attempt of that number (borrowed), or NULL. */
static PyObject *find_attempt(PyObject *task, int64_t number)
{
    PyObject *attempts = GET(task, TASK, T_ATTEMPTS);
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(attempts); i++) {
        PyObject *a = PyTuple_GET_ITEM(attempts, i);
        if (number_of(a) == number)
            return a;
    }
    return NULL;
}

/* task.attempts += (attempt,) */
static int append_attempt(PyObject *task, PyObject *attempt)
{
    PyObject *old = GET(task, TASK, T_ATTEMPTS);
    Py_ssize_t n = PyTuple_GET_SIZE(old);
    PyObject *out = PyTuple_New(n + 1);
    if (!out)
        return -1;
    for (Py_ssize_t i = 0; i < n; i++)
        PyTuple_SET_ITEM(out, i, Py_NewRef(PyTuple_GET_ITEM(old, i)));
    PyTuple_SET_ITEM(out, n, Py_NewRef(attempt));
    put_new(task, &TASK, T_ATTEMPTS, out);
    return 0;
}

/* Set an empty str slot to `value` (`if not x: x = value`). */
static inline void fill(PyObject *obj, const Klass *k, int i, PyObject *value)
{
    if (str_empty(GET(obj, *k, i)))
        put(obj, k, i, value);
}

/* 0: merged; 1: not taken (nothing changed): the Python path's; -1: an error. */
static int merge_update(PyObject *u, PyObject *tasks)
{
    int64_t number;
    if (!update_ok(u, &number))
        return 1;
    PyObject *task_id = GET(u, UPDATE, U_TASK_ID);
    PyObject *task = PyDict_GetItemWithError(tasks, task_id);
    if (!task && PyErr_Occurred())
        return -1;
    PyObject *attempt = NULL;
    if (task && task != Py_None) {
        if (!task_ok(task, 0))
            return 1;
        attempt = find_attempt(task, number);
        if (attempt && !attempt_ok(attempt, 0))
            return 1;
        Py_INCREF(task);
    } else {
        if (!(task = new_task(task_id, GET(u, UPDATE, U_JOB))))
            return -1;
        if (PyDict_SetItem(tasks, task_id, task) < 0)
            goto error;
    }
    Py_XINCREF(attempt);

    /* _merge_update */
    PyObject *task_type = GET(u, UPDATE, U_TYPE), *function = GET(u, UPDATE, U_FUNC);
    if (task_type != Py_None) {
        if (GET(task, TASK, T_TYPE) == Py_None)
            put(task, &TASK, T_TYPE, task_type);
        if (function != Py_None && add_function(task, function) < 0)
            goto error;
        if (str_empty(GET(task, TASK, T_LANGUAGE))) {
            PyObject *language = shared(GET(u, UPDATE, U_LANG));
            if (!language)
                goto error;
            put_new(task, &TASK, T_LANGUAGE, language);
        }
        fill(task, &TASK, T_PARENT, GET(u, UPDATE, U_PARENT));
        fill(task, &TASK, T_ACTOR, GET(u, UPDATE, U_ACTOR));
    } else if (function != Py_None && add_function(task, function) < 0) {
        goto error;
    }
    if (!attempt) {
        if (!(attempt = new_attempt(GET(u, UPDATE, U_ATTEMPT))))
            goto error;
        if (append_attempt(task, attempt) < 0)
            goto error;
    }
    PyObject *states = GET(u, UPDATE, U_STATES);
    States st = {states, NULL, NULL, PyTuple_GET_SIZE(states)};
    if (add_states(attempt, &st) < 0)
        goto error;
    fill(attempt, &ATTEMPT, A_NODE, GET(u, UPDATE, U_NODE));
    fill(attempt, &ATTEMPT, A_WORKER, GET(u, UPDATE, U_WORKER));
    PyObject *pid = GET(u, UPDATE, U_PID);
    if (GET(attempt, ATTEMPT, A_PID) == Py_None && pid != Py_None) {
        if (!(pid = shared(pid)))
            goto error;
        put_new(attempt, &ATTEMPT, A_PID, pid);
    }
    fill(attempt, &ATTEMPT, A_ETYPE, GET(u, UPDATE, U_ETYPE));
    fill(attempt, &ATTEMPT, A_EMSG, GET(u, UPDATE, U_EMSG));
    PyObject *component = GET(u, UPDATE, U_COMPONENT);
    if (!str_empty(component) && str_empty(GET(attempt, ATTEMPT, A_COMPONENT))) {
        if (!(component = shared(component)))
            goto error;
        put_new(attempt, &ATTEMPT, A_COMPONENT, component);
    }
    PyObject *spans = GET(u, UPDATE, U_SPANS);
    Spans sp = {spans, NULL, NULL, PyTuple_GET_SIZE(spans)};
    if (add_spans(attempt, &sp) < 0)
        goto error;
    Py_DECREF(attempt);
    Py_DECREF(task);
    return 0;
error:
    Py_XDECREF(attempt);
    Py_DECREF(task);
    return -1;
}

static int call_python(PyObject *events, PyObject *tasks)
{
    PyObject *args[2] = {events, tasks};
    PyObject *r = PyObject_Vectorcall(MERGE_EVENTS, args, 2, NULL);
    Py_XDECREF(r);
    return r ? 0 : -1;
}

static int configured(void)
{
    if (TASK.cls)
        return 1;
    PyErr_SetString(PyExc_RuntimeError, "flowinsight.pipeline._records: configure() first");
    return 0;
}

static PyObject *merge_updates(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "merge_updates(events, tasks)");
        return NULL;
    }
    if (!configured())
        return NULL;
    PyObject *tasks = args[1];
    if (!PyDict_CheckExact(tasks)) {
        PyErr_SetString(PyExc_TypeError, "tasks: a dict");
        return NULL;
    }
    PyObject *seq = PySequence_Fast(args[0], "events: a sequence");
    if (!seq)
        return NULL;
    Py_ssize_t i = 0;
    while (i < PySequence_Fast_GET_SIZE(seq)) {
        PyObject *ev = PySequence_Fast_GET_ITEM(seq, i);
        int r;
        if (Py_TYPE(ev) == UPDATE.cls) {
            Py_INCREF(ev);
            r = merge_update(ev, tasks);
            if (r == 1) {
                PyObject *one = PyTuple_Pack(1, ev);
                r = one ? call_python(one, tasks) : -1;
                Py_XDECREF(one);
            }
            Py_DECREF(ev);
            i++;
        } else {
            /* a run of other events: the Python path, in order */
            Py_ssize_t j = i + 1;
            while (j < PySequence_Fast_GET_SIZE(seq)
                   && Py_TYPE(PySequence_Fast_GET_ITEM(seq, j)) != UPDATE.cls)
                j++;
            PyObject *run = PySequence_GetSlice(seq, i, j);
            r = run ? call_python(run, tasks) : -1;
            Py_XDECREF(run);
            i = j;
        }
        if (r < 0) {
            Py_DECREF(seq);
            return NULL;
        }
    }
    Py_DECREF(seq);
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------------------------------ */
/* merge_task_tables */

/* tasks._merge_attempt, both checked. */
static int merge_attempt(PyObject *old, PyObject *later)
{
    PyObject *keys = GET(old, ATTEMPT, A_KEYS);
    PyObject *later_keys = Py_NewRef(GET(later, ATTEMPT, A_KEYS));
    PyObject *later_ns = Py_NewRef(GET(later, ATTEMPT, A_NS));
    int r = 0;
    if (!PyBytes_GET_SIZE(keys)) {
        put(old, &ATTEMPT, A_KEYS, later_keys);
        put(old, &ATTEMPT, A_NS, later_ns);
    } else {
        unsigned char seen[256] = {0};
        const unsigned char *k = (const unsigned char *)PyBytes_AS_STRING(keys);
        const unsigned char *lk = (const unsigned char *)PyBytes_AS_STRING(later_keys);
        int common = 0;
        for (Py_ssize_t i = 0; i < PyBytes_GET_SIZE(keys); i++)
            seen[k[i]] = 1;
        for (Py_ssize_t i = 0; i < PyBytes_GET_SIZE(later_keys); i++)
            common |= seen[lk[i]];
        if (!common) {
            /* no status in common: the later ones follow */
            PyObject *joined = grown(JOIN_CACHE, keys, later_keys, make_joined, joined_fit);
            PyObject *ns = joined ? concat_bytes(GET(old, ATTEMPT, A_NS),
                                                 PyBytes_AS_STRING(later_ns),
                                                 PyBytes_GET_SIZE(later_ns)) : NULL;
            if (ns) {
                put_new(old, &ATTEMPT, A_KEYS, joined);
                put_new(old, &ATTEMPT, A_NS, ns);
            } else {
                Py_XDECREF(joined);
                r = -1;
            }
        } else {
            States st = {NULL, lk, PyBytes_AS_STRING(later_ns), PyBytes_GET_SIZE(later_keys)};
            r = add_states(old, &st);
        }
    }
    Py_DECREF(later_keys);
    Py_DECREF(later_ns);
    if (r < 0)
        return -1;
    fill(old, &ATTEMPT, A_NODE, GET(later, ATTEMPT, A_NODE));
    fill(old, &ATTEMPT, A_WORKER, GET(later, ATTEMPT, A_WORKER));
    if (GET(old, ATTEMPT, A_PID) == Py_None)
        put(old, &ATTEMPT, A_PID, GET(later, ATTEMPT, A_PID));
    fill(old, &ATTEMPT, A_ETYPE, GET(later, ATTEMPT, A_ETYPE));
    fill(old, &ATTEMPT, A_EMSG, GET(later, ATTEMPT, A_EMSG));
    fill(old, &ATTEMPT, A_COMPONENT, GET(later, ATTEMPT, A_COMPONENT));
    PyObject *names = Py_NewRef(GET(later, ATTEMPT, A_SPAN_NAMES));
    PyObject *span_ns = Py_NewRef(GET(later, ATTEMPT, A_SPAN_NS));
    if (!PyTuple_GET_SIZE(GET(old, ATTEMPT, A_SPAN_NAMES))) {
        put(old, &ATTEMPT, A_SPAN_NAMES, names);
        put(old, &ATTEMPT, A_SPAN_NS, span_ns);
    } else {
        Spans sp = {NULL, names, PyBytes_AS_STRING(span_ns), PyTuple_GET_SIZE(names)};
        r = add_spans(old, &sp);
    }
    Py_DECREF(names);
    Py_DECREF(span_ns);
    return r;
}

/* tasks._merge_task: 0 merged; 1 not taken (nothing changed); -1 an error. */
static int merge_task(PyObject *old, PyObject *later)
{
    if (!task_ok(old, 1) || !task_ok(later, 1))
        return 1;
    PyObject *tuples[2] = {GET(old, TASK, T_ATTEMPTS), GET(later, TASK, T_ATTEMPTS)};
    for (int t = 0; t < 2; t++) {
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(tuples[t]); i++) {
            if (!attempt_ok(PyTuple_GET_ITEM(tuples[t], i), t == 1))
                return 1;
        }
    }
    if (GET(old, TASK, T_TYPE) == Py_None)
        put(old, &TASK, T_TYPE, GET(later, TASK, T_TYPE));
    PyObject *seen_module = GET(later, TASK, T_SEEN_MODULE);
    PyObject *seen_class = GET(later, TASK, T_SEEN_CLASS);
    if (GET(later, TASK, T_FUNCTION) != Py_None) {
        PyObject *function = GET(old, TASK, T_FUNCTION);
        if (function == Py_None || str_empty(GET(function, FREF, F_NAME))) {
            put(old, &TASK, T_FUNCTION, GET(later, TASK, T_FUNCTION));
        } else {
            PyObject *module = GET(function, FREF, F_MODULE);
            PyObject *class_name = GET(function, FREF, F_CLASS);
            if ((str_empty(module) && !str_empty(seen_module))
                || (str_empty(class_name) && !str_empty(seen_class))) {
                PyObject *ref = new_function(str_empty(module) ? seen_module : module,
                                             str_empty(class_name) ? seen_class : class_name,
                                             GET(function, FREF, F_NAME));
                if (!ref)
                    return -1;
                put_new(old, &TASK, T_FUNCTION, ref);
            }
        }
        fill(old, &TASK, T_SEEN_MODULE, seen_module);
        fill(old, &TASK, T_SEEN_CLASS, seen_class);
    }
    fill(old, &TASK, T_LANGUAGE, GET(later, TASK, T_LANGUAGE));
    fill(old, &TASK, T_PARENT, GET(later, TASK, T_PARENT));
    fill(old, &TASK, T_ACTOR, GET(later, TASK, T_ACTOR));
    PyObject *submit = GET(later, TASK, T_SUBMIT), *mine = GET(old, TASK, T_SUBMIT);
    if (submit != Py_None
        && (mine == Py_None || PyFloat_AS_DOUBLE(submit) < PyFloat_AS_DOUBLE(mine)))
        put(old, &TASK, T_SUBMIT, submit);
    PyObject *attempts = Py_NewRef(tuples[1]);
    int r = 0;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(attempts) && r == 0; i++) {
        PyObject *attempt = PyTuple_GET_ITEM(attempts, i);
        PyObject *match = find_attempt(old, number_of(attempt));
        if (!match) {
            r = append_attempt(old, attempt);
        } else {
            Py_INCREF(match);
            r = merge_attempt(match, attempt);
            Py_DECREF(match);
        }
    }
    Py_DECREF(attempts);
    return r;
}

static PyObject *merge_task_tables(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "merge_task_tables(into, later)");
        return NULL;
    }
    if (!configured())
        return NULL;
    PyObject *into = args[0], *later = args[1];
    if (!PyDict_CheckExact(into) || !PyDict_CheckExact(later)) {
        PyErr_SetString(PyExc_TypeError, "into, later: dicts");
        return NULL;
    }
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(later, &pos, &key, &value)) {
        Py_INCREF(key);
        Py_INCREF(value);
        int r = 0;
        PyObject *old = PyDict_GetItemWithError(into, key);
        if (!old && PyErr_Occurred()) {
            r = -1;
        } else if (!old || old == Py_None) {
            r = PyDict_SetItem(into, key, value);
        } else {
            Py_INCREF(old);
            r = merge_task(old, value);
            if (r == 1) {
                PyObject *pair[2] = {old, value};
                PyObject *out = PyObject_Vectorcall(MERGE_TASK, pair, 2, NULL);
                r = out ? 0 : -1;
                Py_XDECREF(out);
            }
            Py_DECREF(old);
        }
        Py_DECREF(key);
        Py_DECREF(value);
        if (r < 0)
            return NULL;
    }
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------------------------------ */
/* Unpickling */

/* Before configure() (a piece unpickled by a process that has not imported tasks.py yet):
   import it, which configures this module unless the native path is off; else the class. */
static PyObject *make_slow(const char *cls_name, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *tasks = PyImport_ImportModule("flowinsight.pipeline.tasks");
    if (!tasks)
        return NULL;
    PyObject *cls = PyObject_GetAttrString(tasks, cls_name);
    Py_DECREF(tasks);
    if (!cls)
        return NULL;
    PyObject *out = PyObject_Vectorcall(cls, args, (size_t)nargs, NULL);
    Py_DECREF(cls);
    return out;
}

static PyObject *make(const Klass *k, const char *cls_name, PyObject *const *args,
                      Py_ssize_t nargs)
{
    if (!k->cls)
        return make_slow(cls_name, args, nargs);
    if (nargs != k->n)
        return PyErr_Format(PyExc_TypeError, "%s() takes %zd fields, not %zd",
                            cls_name, k->n, nargs);
    PyObject *v[N_UPDATE];
    for (Py_ssize_t i = 0; i < nargs; i++)
        v[i] = Py_NewRef(args[i]);
    return build(k, v);
}

static PyObject *make_task(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    return make(&TASK, "Task", args, nargs);
}

static PyObject *make_attempt(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    return make(&ATTEMPT, "Attempt", args, nargs);
}

/* ------------------------------------------------------------------------------------------ */
/* Blobs: a table of records in a compact binary form, for sending a worker's piece back
   (dump_tasks, load_tasks). pickle goes through every record's __reduce__ and its memo; here a
   record is a run of small varints, each string of a blob is written once and rebuilt once.

   The layout (every count, length and index an unsigned LEB128 varint; an int a zigzag varint,
   which holds exactly the int64 range):

     "FIRB" 0x01                      magic, version
     strings     n, n × (length, UTF-8)   index i + 1 (0: ""); surrogates as "surrogatepass"
                                          writes them
     functions   n, n × (module, class_name, name)  string indexes; index i + 1 (0: None)
     state keys  n, n × (length, bytes)             index i + 1 (0: b"")
     span names  n, n × (count, count × string index)   index i + 1 (0: ())
     records     n, n × (task_id (also its key in the table); job_id;
                 task_type: a byte, 0 None, i + 1 the i-th TaskType member in definition
                 order; function; language; parent_task_id; actor_id; submit_ms: a byte, 0
                 None, 1 followed by the 8 bytes of the double; attempts: count, each (number;
                 state_keys; state_ns: length, bytes; node_id; worker_id; worker_pid: a byte, 0
                 None, 1 followed by the int; error_type; error_message; component_type;
                 span_names; span_ns: length, bytes); seen_module; seen_class)

   A str field is an index into the strings. FunctionRefs are shared by identity within a blob,
   strings (task ids too: a parent's id is its record's), state keys and span-name tuples by
   value. load_tasks shares as the merge does: language, component_type and worker_pid
   through `_SHARED` (tasks.shared), state keys and span names built through `_GROWN` (the
   values add_state and add_span make, one stored copy each), span names interned.

   dump_tasks writes only what it can give back exactly: a record, an attempt, a FunctionRef of
   another class or with a slot unset, a str or bytes or tuple subclass, an int beyond int64, a
   bool, a float where an int goes (...) raise Unrepresentable, and the caller pickles as
   before. load_tasks checks every length, count and index against the blob and raises
   ValueError for one that is not a dump_tasks blob. */

static PyObject *UNREPRESENTABLE; /* the exception */
static PyObject *TASK_TYPES;      /* the TaskType members, in definition order (configure) */

#define BLOB_MAGIC "FIRB\x01"
#define BLOB_MAGIC_LEN 5

static const char *const TASK_NAMES[N_TASK] = {
    "Task.task_id", "Task.job_id", "Task.task_type", "Task.function", "Task.language",
    "Task.parent_task_id", "Task.actor_id", "Task.submit_ms", "Task.attempts",
    "Task.seen_module", "Task.seen_class"};
static const char *const ATTEMPT_NAMES[N_ATTEMPT] = {
    "Attempt.number", "Attempt.state_keys", "Attempt.state_ns", "Attempt.node_id",
    "Attempt.worker_id", "Attempt.worker_pid", "Attempt.error_type", "Attempt.error_message",
    "Attempt.component_type", "Attempt.span_names", "Attempt.span_ns"};

static int unrepresentable(const char *what, PyObject *value)
{
    if (value)
        PyErr_Format(UNREPRESENTABLE, "%s: a %.80s value that a blob does not hold", what,
                     Py_TYPE(value)->tp_name);
    else
        PyErr_Format(UNREPRESENTABLE, "%s: not set", what);
    return -1;
}

/* Writing */

typedef struct {
    char *data;
    size_t len, cap;
} Buf;

static int buf_room(Buf *b, size_t need)
{
    if (b->cap - b->len >= need)
        return 0;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap - b->len < need) {
        if (cap > (size_t)PY_SSIZE_T_MAX / 2) {
            PyErr_NoMemory();
            return -1;
        }
        cap *= 2;
    }
    char *data = PyMem_Realloc(b->data, cap);
    if (!data) {
        PyErr_NoMemory();
        return -1;
    }
    b->data = data;
    b->cap = cap;
    return 0;
}

static inline int put_varint(Buf *b, uint64_t v)
{
    if (buf_room(b, 10) < 0)
        return -1;
    unsigned char *p = (unsigned char *)b->data + b->len;
    while (v >= 0x80) {
        *p++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *p++ = (unsigned char)v;
    b->len = (size_t)(p - (unsigned char *)b->data);
    return 0;
}

static inline uint64_t zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (v < 0 ? UINT64_MAX : 0);
}

static inline int64_t unzigzag(uint64_t u)
{
    return (int64_t)((u >> 1) ^ (0 - (u & 1)));
}

static inline int put_byte(Buf *b, unsigned char c)
{
    if (buf_room(b, 1) < 0)
        return -1;
    b->data[b->len++] = (char)c;
    return 0;
}

static inline int put_raw(Buf *b, const void *src, size_t n)
{
    if (put_varint(b, n) < 0 || buf_room(b, n) < 0)
        return -1;
    if (n)
        memcpy(b->data + b->len, src, n);
    b->len += n;
    return 0;
}

/* A str as its UTF-8 length and bytes (a surrogate as the 3 bytes of "surrogatepass"). */
static int put_str(Buf *b, PyObject *s)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    if (PyUnicode_IS_ASCII(s))
        return put_raw(b, PyUnicode_DATA(s), (size_t)n);
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    size_t len = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        len += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    }
    if (put_varint(b, len) < 0 || buf_room(b, len) < 0)
        return -1;
    unsigned char *p = (unsigned char *)b->data + b->len;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c < 0x80) {
            *p++ = (unsigned char)c;
        } else if (c < 0x800) {
            *p++ = (unsigned char)(0xC0 | (c >> 6));
            *p++ = (unsigned char)(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            *p++ = (unsigned char)(0xE0 | (c >> 12));
            *p++ = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
            *p++ = (unsigned char)(0x80 | (c & 0x3F));
        } else {
            *p++ = (unsigned char)(0xF0 | (c >> 18));
            *p++ = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
            *p++ = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
            *p++ = (unsigned char)(0x80 | (c & 0x3F));
        }
    }
    b->len += len;
    return 0;
}

/* The values written once per blob: an open-addressing table from a value (by identity, or
   equal str / bytes) to its index; `out` holds the entries in index order. The keys are
   borrowed: dump_tasks runs no Python code, so nothing the table holds can go away. */
enum { BY_ID, BY_STR, BY_BYTES };

typedef struct {
    PyObject *key;
    Py_hash_t hash;
    Py_ssize_t index;
} Entry;

typedef struct {
    Entry *entries;
    size_t mask;
    Py_ssize_t n;
    int mode;
    Buf out;
} Table;

static inline Py_hash_t table_hash(const Table *t, PyObject *key)
{
    if (t->mode == BY_ID) {
        uintptr_t h = ((uintptr_t)key >> 4) * (uintptr_t)0x9E3779B97F4A7C15ull;
        return (Py_hash_t)(h ^ (h >> 29));
    }
    return PyObject_Hash(key); /* exact str or bytes: cached, never fails */
}

static inline int table_eq(const Table *t, PyObject *a, PyObject *b)
{
    if (a == b)
        return 1;
    if (t->mode == BY_STR)
        return str_eq(a, b);
    if (t->mode == BY_BYTES)
        return PyBytes_GET_SIZE(a) == PyBytes_GET_SIZE(b)
               && memcmp(PyBytes_AS_STRING(a), PyBytes_AS_STRING(b),
                         (size_t)PyBytes_GET_SIZE(a)) == 0;
    return 0;
}

static int table_grow(Table *t)
{
    size_t size = t->entries ? 2 * (t->mask + 1) : 256;
    Entry *entries = PyMem_Calloc(size, sizeof(Entry));
    if (!entries) {
        PyErr_NoMemory();
        return -1;
    }
    if (t->entries) {
        for (size_t i = 0; i <= t->mask; i++) {
            Entry *e = &t->entries[i];
            if (!e->key)
                continue;
            size_t j = (size_t)e->hash & (size - 1);
            while (entries[j].key)
                j = (j + 1) & (size - 1);
            entries[j] = *e;
        }
        PyMem_Free(t->entries);
    }
    t->entries = entries;
    t->mask = size - 1;
    return 0;
}

/* The index of `key` (1, 2, ...): *fresh set when it was just added (its entry to be written
   to t->out by the caller). -1 on an error. */
static Py_ssize_t table_index(Table *t, PyObject *key, int *fresh)
{
    if ((size_t)(t->n + 1) * 2 > (t->entries ? t->mask + 1 : 0) && table_grow(t) < 0)
        return -1;
    Py_hash_t h = table_hash(t, key);
    size_t j = (size_t)h & t->mask;
    for (;;) {
        Entry *e = &t->entries[j];
        if (!e->key) {
            e->key = key;
            e->hash = h;
            e->index = ++t->n;
            *fresh = 1;
            return e->index;
        }
        if (e->hash == h && table_eq(t, e->key, key)) {
            *fresh = 0;
            return e->index;
        }
        j = (j + 1) & t->mask;
    }
}

static void table_free(Table *t)
{
    PyMem_Free(t->entries);
    PyMem_Free(t->out.data);
}

typedef struct {
    Table strs, funcs, keys, names;
    Buf recs;
} Dumper;

/* A str field: its index in the blob's strings, written to `b`. */
static int put_strref(Dumper *d, Buf *b, PyObject *s, const char *what)
{
    if (!is_str(s))
        return unrepresentable(what, s);
    if (str_empty(s))
        return put_byte(b, 0);
    int fresh;
    Py_ssize_t i = table_index(&d->strs, s, &fresh);
    if (i < 0 || (fresh && put_str(&d->strs.out, s) < 0))
        return -1;
    return put_varint(b, (uint64_t)i);
}

static int put_function(Dumper *d, PyObject *f)
{
    if (f == Py_None)
        return put_byte(&d->recs, 0);
    if (Py_TYPE(f) != FREF.cls)
        return unrepresentable("Task.function", f);
    int fresh;
    Py_ssize_t i = table_index(&d->funcs, f, &fresh);
    if (i < 0)
        return -1;
    if (fresh) {
        static const char *const names[N_FREF] = {"FunctionRef.module", "FunctionRef.class_name",
                                                  "FunctionRef.name"};
        for (int k = 0; k < N_FREF; k++) {
            PyObject *s = GET(f, FREF, k);
            if (!s)
                return unrepresentable(names[k], NULL);
            if (put_strref(d, &d->funcs.out, s, names[k]) < 0)
                return -1;
        }
    }
    return put_varint(&d->recs, (uint64_t)i);
}

static int put_int(Buf *b, PyObject *v, const char *what)
{
    int64_t x;
    if (!as_i64(v, &x))
        return unrepresentable(what, v);
    return put_varint(b, zigzag(x));
}

static int put_bytes_field(Buf *b, PyObject *v, const char *what)
{
    if (!is_bytes(v))
        return unrepresentable(what, v);
    return put_raw(b, PyBytes_AS_STRING(v), (size_t)PyBytes_GET_SIZE(v));
}

static int dump_attempt(Dumper *d, PyObject *a)
{
    Buf *b = &d->recs;
    if (Py_TYPE(a) != ATTEMPT.cls)
        return unrepresentable("an attempt", a);
    PyObject *v[N_ATTEMPT];
    for (int i = 0; i < N_ATTEMPT; i++) {
        if (!(v[i] = GET(a, ATTEMPT, i)))
            return unrepresentable(ATTEMPT_NAMES[i], NULL);
    }
    if (put_int(b, v[A_NUMBER], ATTEMPT_NAMES[A_NUMBER]) < 0)
        return -1;
    PyObject *keys = v[A_KEYS];
    if (!is_bytes(keys))
        return unrepresentable(ATTEMPT_NAMES[A_KEYS], keys);
    if (!PyBytes_GET_SIZE(keys)) {
        if (put_byte(b, 0) < 0)
            return -1;
    } else {
        int fresh;
        Py_ssize_t i = table_index(&d->keys, keys, &fresh);
        if (i < 0
            || (fresh && put_raw(&d->keys.out, PyBytes_AS_STRING(keys),
                                 (size_t)PyBytes_GET_SIZE(keys)) < 0)
            || put_varint(b, (uint64_t)i) < 0)
            return -1;
    }
    if (put_bytes_field(b, v[A_NS], ATTEMPT_NAMES[A_NS]) < 0
        || put_strref(d, b, v[A_NODE], ATTEMPT_NAMES[A_NODE]) < 0
        || put_strref(d, b, v[A_WORKER], ATTEMPT_NAMES[A_WORKER]) < 0)
        return -1;
    if (v[A_PID] == Py_None) {
        if (put_byte(b, 0) < 0)
            return -1;
    } else if (put_byte(b, 1) < 0 || put_int(b, v[A_PID], ATTEMPT_NAMES[A_PID]) < 0) {
        return -1;
    }
    if (put_strref(d, b, v[A_ETYPE], ATTEMPT_NAMES[A_ETYPE]) < 0
        || put_strref(d, b, v[A_EMSG], ATTEMPT_NAMES[A_EMSG]) < 0
        || put_strref(d, b, v[A_COMPONENT], ATTEMPT_NAMES[A_COMPONENT]) < 0)
        return -1;
    PyObject *names = v[A_SPAN_NAMES];
    if (!PyTuple_CheckExact(names))
        return unrepresentable(ATTEMPT_NAMES[A_SPAN_NAMES], names);
    if (!PyTuple_GET_SIZE(names)) {
        if (put_byte(b, 0) < 0)
            return -1;
    } else {
        int fresh;
        Py_ssize_t i = table_index(&d->names, names, &fresh);
        if (i < 0)
            return -1;
        if (fresh) {
            Py_ssize_t n = PyTuple_GET_SIZE(names);
            if (put_varint(&d->names.out, (uint64_t)n) < 0)
                return -1;
            for (Py_ssize_t k = 0; k < n; k++) {
                if (put_strref(d, &d->names.out, PyTuple_GET_ITEM(names, k),
                               "an item of Attempt.span_names") < 0)
                    return -1;
            }
        }
        if (put_varint(b, (uint64_t)i) < 0)
            return -1;
    }
    return put_bytes_field(b, v[A_SPAN_NS], ATTEMPT_NAMES[A_SPAN_NS]);
}

static int dump_task(Dumper *d, PyObject *key, PyObject *t)
{
    Buf *b = &d->recs;
    if (!is_str(key))
        return unrepresentable("a key of the table", key);
    if (Py_TYPE(t) != TASK.cls)
        return unrepresentable("a record", t);
    PyObject *v[N_TASK];
    for (int i = 0; i < N_TASK; i++) {
        if (!(v[i] = GET(t, TASK, i)))
            return unrepresentable(TASK_NAMES[i], NULL);
    }
    if (!is_str(v[T_TASK_ID]))
        return unrepresentable(TASK_NAMES[T_TASK_ID], v[T_TASK_ID]);
    if (!str_eq(key, v[T_TASK_ID])) {
        PyErr_SetString(UNREPRESENTABLE, "a record under a key that is not its task_id");
        return -1;
    }
    if (put_strref(d, b, v[T_TASK_ID], TASK_NAMES[T_TASK_ID]) < 0
        || put_strref(d, b, v[T_JOB_ID], TASK_NAMES[T_JOB_ID]) < 0)
        return -1;
    int code = -1;
    if (v[T_TYPE] == Py_None) {
        code = 0;
    } else if (TASK_TYPES) {
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(TASK_TYPES) && i < 255; i++) {
            if (PyTuple_GET_ITEM(TASK_TYPES, i) == v[T_TYPE])
                code = (int)i + 1;
        }
    }
    if (code < 0)
        return unrepresentable(TASK_NAMES[T_TYPE], v[T_TYPE]);
    if (put_byte(b, (unsigned char)code) < 0 || put_function(d, v[T_FUNCTION]) < 0
        || put_strref(d, b, v[T_LANGUAGE], TASK_NAMES[T_LANGUAGE]) < 0
        || put_strref(d, b, v[T_PARENT], TASK_NAMES[T_PARENT]) < 0
        || put_strref(d, b, v[T_ACTOR], TASK_NAMES[T_ACTOR]) < 0)
        return -1;
    PyObject *submit = v[T_SUBMIT];
    if (submit == Py_None) {
        if (put_byte(b, 0) < 0)
            return -1;
    } else if (PyFloat_CheckExact(submit)) {
        double x = PyFloat_AS_DOUBLE(submit);
        int64_t bits;
        memcpy(&bits, &x, 8);
        if (put_byte(b, 1) < 0 || buf_room(b, 8) < 0)
            return -1;
        put64(b->data + b->len, bits);
        b->len += 8;
    } else {
        return unrepresentable(TASK_NAMES[T_SUBMIT], submit);
    }
    PyObject *attempts = v[T_ATTEMPTS];
    if (!PyTuple_CheckExact(attempts))
        return unrepresentable(TASK_NAMES[T_ATTEMPTS], attempts);
    if (put_varint(b, (uint64_t)PyTuple_GET_SIZE(attempts)) < 0)
        return -1;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(attempts); i++) {
        if (dump_attempt(d, PyTuple_GET_ITEM(attempts, i)) < 0)
            return -1;
    }
    if (put_strref(d, b, v[T_SEEN_MODULE], TASK_NAMES[T_SEEN_MODULE]) < 0
        || put_strref(d, b, v[T_SEEN_CLASS], TASK_NAMES[T_SEEN_CLASS]) < 0)
        return -1;
    return 0;
}

static size_t varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static char *write_section(char *p, Py_ssize_t count, const Buf *b)
{
    uint64_t v = (uint64_t)count;
    while (v >= 0x80) {
        *p++ = (char)(v | 0x80);
        v >>= 7;
    }
    *p++ = (char)v;
    if (b->len)
        memcpy(p, b->data, b->len);
    return p + b->len;
}

static PyObject *dump_tasks(PyObject *module, PyObject *tasks)
{
    (void)module;
    if (!configured())
        return NULL;
    if (!PyDict_CheckExact(tasks)) {
        PyErr_SetString(PyExc_TypeError, "dump_tasks(tasks): a dict");
        return NULL;
    }
    Dumper d;
    memset(&d, 0, sizeof d);
    d.strs.mode = BY_STR;
    d.funcs.mode = BY_ID;
    d.keys.mode = BY_BYTES;
    d.names.mode = BY_ID;
    PyObject *out = NULL;
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(tasks, &pos, &key, &value)) {
        if (dump_task(&d, key, value) < 0)
            goto done;
    }
    const Table *tables[4] = {&d.strs, &d.funcs, &d.keys, &d.names};
    size_t total = BLOB_MAGIC_LEN + varint_size((uint64_t)PyDict_GET_SIZE(tasks)) + d.recs.len;
    for (int i = 0; i < 4; i++)
        total += varint_size((uint64_t)tables[i]->n) + tables[i]->out.len;
    if (total > (size_t)PY_SSIZE_T_MAX) {
        PyErr_NoMemory();
        goto done;
    }
    if (!(out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)total)))
        goto done;
    char *p = PyBytes_AS_STRING(out);
    memcpy(p, BLOB_MAGIC, BLOB_MAGIC_LEN);
    p += BLOB_MAGIC_LEN;
    for (int i = 0; i < 4; i++)
        p = write_section(p, tables[i]->n, &tables[i]->out);
    write_section(p, PyDict_GET_SIZE(tasks), &d.recs);
done:
    table_free(&d.strs);
    table_free(&d.funcs);
    table_free(&d.keys);
    table_free(&d.names);
    PyMem_Free(d.recs.data);
    return out;
}

/* Reading */

typedef struct {
    const unsigned char *p, *end;
    PyObject **strs, **shared_strs, **funcs, **keys, **names;
    Py_ssize_t n_strs, n_funcs, n_keys, n_names; /* each with its index 0 */
    struct {
        int64_t value;
        PyObject *obj;
    } pids[64];
} Loader;

static int corrupt(const char *what)
{
    PyErr_Format(PyExc_ValueError, "not a records blob (dump_tasks): %s", what);
    return -1;
}

static inline Py_ssize_t left(const Loader *r)
{
    return (Py_ssize_t)(r->end - r->p);
}

static inline int rd_varint(Loader *r, uint64_t *out)
{
    if (r->p < r->end && *r->p < 0x80) {
        *out = *r->p++;
        return 0;
    }
    uint64_t v = 0;
    for (int shift = 0; shift <= 63; shift += 7) {
        if (r->p >= r->end)
            return corrupt("cut short");
        unsigned char c = *r->p++;
        if (shift == 63 && c > 1)
            return corrupt("a varint beyond 64 bits");
        v |= (uint64_t)(c & 0x7F) << shift;
        if (!(c & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return corrupt("a varint beyond 64 bits");
}

static inline int rd_byte(Loader *r, unsigned char *out)
{
    if (r->p >= r->end)
        return corrupt("cut short");
    *out = *r->p++;
    return 0;
}

/* A count of items that take at least `each` bytes; a length of bytes (each 1). */
static inline int rd_count(Loader *r, Py_ssize_t each, Py_ssize_t *out)
{
    uint64_t v;
    if (rd_varint(r, &v) < 0)
        return -1;
    if (v > (uint64_t)(left(r) / each))
        return corrupt("a count or length beyond the end");
    *out = (Py_ssize_t)v;
    return 0;
}

static inline int rd_index(Loader *r, Py_ssize_t limit, Py_ssize_t *out)
{
    uint64_t v;
    if (rd_varint(r, &v) < 0)
        return -1;
    if (v >= (uint64_t)limit)
        return corrupt("an index out of range");
    *out = (Py_ssize_t)v;
    return 0;
}

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

/* An index into the strings. Borrowed. */
static inline PyObject *rd_strref(Loader *r)
{
    Py_ssize_t i;
    return rd_index(r, r->n_strs, &i) < 0 ? NULL : r->strs[i];
}

/* An index into the strings, the value shared through `_SHARED` (as the merge stores a
   language or a component type). Borrowed. */
static PyObject *rd_shared_str(Loader *r)
{
    Py_ssize_t i;
    if (rd_index(r, r->n_strs, &i) < 0)
        return NULL;
    if (!r->shared_strs[i] && !(r->shared_strs[i] = shared(r->strs[i])))
        return NULL;
    return r->shared_strs[i];
}

/* An int64 (zigzag). New reference. */
static PyObject *rd_int(Loader *r)
{
    uint64_t u;
    if (rd_varint(r, &u) < 0)
        return NULL;
    int64_t v = unzigzag(u);
    return v >= 0 && v < 256 ? Py_NewRef(SMALL[v]) : PyLong_FromLongLong(v);
}

/* A worker pid, shared through `_SHARED` as the merge stores it. New reference. */
static PyObject *rd_pid(Loader *r)
{
    uint64_t u;
    if (rd_varint(r, &u) < 0)
        return NULL;
    int64_t v = unzigzag(u);
    uint64_t h = (uint64_t)v * 0x9E3779B97F4A7C15ull;
    size_t slot = (size_t)(h >> 58);
    if (r->pids[slot].obj && r->pids[slot].value == v)
        return Py_NewRef(r->pids[slot].obj);
    PyObject *obj = PyLong_FromLongLong(v);
    if (!obj)
        return NULL;
    Py_SETREF(obj, shared(obj));
    if (!obj)
        return NULL;
    Py_XSETREF(r->pids[slot].obj, Py_NewRef(obj));
    r->pids[slot].value = v;
    return obj;
}

static PyObject *rd_bytes(Loader *r)
{
    Py_ssize_t n;
    if (rd_count(r, 1, &n) < 0)
        return NULL;
    PyObject *b = PyBytes_FromStringAndSize((const char *)r->p, n);
    r->p += n;
    return b;
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
            Py_SETREF(cur, grown(STATE_CACHE, cur, SMALL[k[i]], make_keys, keys_fit));
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
            Py_SETREF(cur, grown(SPAN_CACHE, cur, names[i], make_names, names_fit));
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

static void loader_free(Loader *r)
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
static int load_tables(Loader *r)
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

/* The smallest record and attempt, in bytes: what a count of them is checked against. */
#define MIN_TASK 11
#define MIN_ATTEMPT 11

static PyObject *load_attempt(Loader *r)
{
    PyObject *v[N_ATTEMPT] = {NULL};
    Py_ssize_t i;
    unsigned char tag;
    if (!(v[A_NUMBER] = rd_int(r)))
        goto error;
    if (rd_index(r, r->n_keys, &i) < 0)
        goto error;
    v[A_KEYS] = Py_NewRef(r->keys[i]);
    if (!(v[A_NS] = rd_bytes(r)))
        goto error;
    static const int strs1[] = {A_NODE, A_WORKER};
    for (int k = 0; k < 2; k++) {
        if (!(v[strs1[k]] = Py_XNewRef(rd_strref(r))))
            goto error;
    }
    if (rd_byte(r, &tag) < 0)
        goto error;
    if (tag > 1) {
        corrupt("a bad tag");
        goto error;
    }
    if (!(v[A_PID] = tag ? rd_pid(r) : Py_NewRef(Py_None)))
        goto error;
    static const int strs2[] = {A_ETYPE, A_EMSG};
    for (int k = 0; k < 2; k++) {
        if (!(v[strs2[k]] = Py_XNewRef(rd_strref(r))))
            goto error;
    }
    if (!(v[A_COMPONENT] = Py_XNewRef(rd_shared_str(r))))
        goto error;
    if (rd_index(r, r->n_names, &i) < 0)
        goto error;
    v[A_SPAN_NAMES] = Py_NewRef(r->names[i]);
    if (!(v[A_SPAN_NS] = rd_bytes(r)))
        goto error;
    return build(&ATTEMPT, v);
error:
    for (int k = 0; k < N_ATTEMPT; k++)
        Py_XDECREF(v[k]);
    return NULL;
}

static PyObject *load_task(Loader *r)
{
    PyObject *v[N_TASK] = {NULL};
    unsigned char tag;
    Py_ssize_t i, n;
    if (!(v[T_TASK_ID] = Py_XNewRef(rd_strref(r))) || !(v[T_JOB_ID] = Py_XNewRef(rd_strref(r)))
        || rd_byte(r, &tag) < 0)
        goto error;
    if (tag > (TASK_TYPES ? PyTuple_GET_SIZE(TASK_TYPES) : 0)) {
        corrupt("a task type out of range");
        goto error;
    }
    v[T_TYPE] = Py_NewRef(tag ? PyTuple_GET_ITEM(TASK_TYPES, tag - 1) : Py_None);
    if (rd_index(r, r->n_funcs, &i) < 0)
        goto error;
    v[T_FUNCTION] = Py_NewRef(r->funcs[i]);
    if (!(v[T_LANGUAGE] = Py_XNewRef(rd_shared_str(r)))
        || !(v[T_PARENT] = Py_XNewRef(rd_strref(r)))
        || !(v[T_ACTOR] = Py_XNewRef(rd_strref(r))) || rd_byte(r, &tag) < 0)
        goto error;
    if (tag > 1 || (tag && left(r) < 8)) {
        corrupt(tag > 1 ? "a bad tag" : "cut short");
        goto error;
    }
    if (tag) {
        int64_t bits = get64((const char *)r->p);
        double x;
        memcpy(&x, &bits, 8);
        r->p += 8;
        if (!(v[T_SUBMIT] = PyFloat_FromDouble(x)))
            goto error;
    } else {
        v[T_SUBMIT] = Py_NewRef(Py_None);
    }
    if (rd_count(r, MIN_ATTEMPT, &n) < 0)
        goto error;
    if (!n) {
        v[T_ATTEMPTS] = Py_NewRef(EMPTY_TUPLE);
    } else {
        if (!(v[T_ATTEMPTS] = PyTuple_New(n)))
            goto error;
        for (Py_ssize_t k = 0; k < n; k++) {
            PyObject *a = load_attempt(r);
            if (!a)
                goto error;
            PyTuple_SET_ITEM(v[T_ATTEMPTS], k, a);
        }
    }
    if (!(v[T_SEEN_MODULE] = Py_XNewRef(rd_strref(r)))
        || !(v[T_SEEN_CLASS] = Py_XNewRef(rd_strref(r))))
        goto error;
    return build(&TASK, v);
error:
    for (int k = 0; k < N_TASK; k++)
        Py_XDECREF(v[k]);
    return NULL;
}

/* The records, into the dict `out`. */
static int load_records(Loader *r, PyObject *out)
{
    Py_ssize_t n;
    if (rd_count(r, MIN_TASK, &n) < 0)
        return -1;
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *task = load_task(r);
        if (!task)
            return -1;
        int rc = PyDict_SetItem(out, GET(task, TASK, T_TASK_ID), task);
        Py_DECREF(task);
        if (rc < 0)
            return -1;
    }
    if (r->p != r->end)
        return corrupt("bytes after the records");
    if (PyDict_GET_SIZE(out) != n)
        return corrupt("a task id twice");
    return 0;
}

/* The count of records, read ahead (for the size of the dict). */
static Py_ssize_t peek_count(Loader *r)
{
    const unsigned char *at = r->p;
    Py_ssize_t n = 0;
    if (rd_count(r, MIN_TASK, &n) < 0) {
        PyErr_Clear();
        n = 0;
    }
    r->p = at;
    return n;
}

static PyObject *load_tasks(PyObject *module, PyObject *blob)
{
    (void)module;
    if (!configured())
        return NULL;
    Py_buffer view;
    if (PyObject_GetBuffer(blob, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    Loader r;
    memset(&r, 0, sizeof r);
    r.p = (const unsigned char *)view.buf;
    r.end = r.p + view.len;
    PyObject *out = NULL;
    if (load_tables(&r) == 0 && (out = _PyDict_NewPresized(peek_count(&r)))
        && load_records(&r, out) < 0)
        Py_CLEAR(out);
    loader_free(&r);
    PyBuffer_Release(&view);
    return out;
}

/* ------------------------------------------------------------------------------------------ */
/* configure */

static int configure_class(Klass *k, PyObject *cls, PyObject *descrs)
{
    if (!PyType_Check(cls)) {
        PyErr_SetString(PyExc_TypeError, "want a class");
        return -1;
    }
    PyTypeObject *t = (PyTypeObject *)cls;
    if (t->tp_new != PyBaseObject_Type.tp_new || !t->tp_alloc
        || (t->tp_flags & Py_TPFLAGS_IS_ABSTRACT)) {
        PyErr_Format(PyExc_TypeError, "%.80s: made by object.__new__ only", t->tp_name);
        return -1;
    }
    if (!PyTuple_Check(descrs) || PyTuple_GET_SIZE(descrs) != k->n) {
        PyErr_Format(PyExc_TypeError, "%.80s: want a tuple of %zd descriptors", t->tp_name, k->n);
        return -1;
    }
    Py_ssize_t off[N_UPDATE];
    for (Py_ssize_t i = 0; i < k->n; i++) {
        PyObject *d = PyTuple_GET_ITEM(descrs, i);
        if (Py_TYPE(d) != &PyMemberDescr_Type || PyDescr_TYPE(d) != t) {
            PyErr_Format(PyExc_TypeError, "%.80s: not a slot of the class", t->tp_name);
            return -1;
        }
        PyMemberDef *m = ((PyMemberDescrObject *)d)->d_member;
        if (m->type != T_OBJECT_EX || (m->flags & READONLY)
            || m->offset < (Py_ssize_t)sizeof(PyObject)
            || m->offset + (Py_ssize_t)sizeof(PyObject *) > t->tp_basicsize) {
            PyErr_Format(PyExc_TypeError, "%.80s: not a plain object slot", t->tp_name);
            return -1;
        }
        off[i] = m->offset;
    }
    memcpy(k->off, off, sizeof off);
    Py_XSETREF(k->cls, (PyTypeObject *)Py_NewRef(cls));
    return 0;
}

static void clear_cache(Grown *cache)
{
    for (int i = 0; i < CACHE_SLOTS; i++) {
        Py_CLEAR(cache[i].prev);
        Py_CLEAR(cache[i].added);
        Py_CLEAR(cache[i].value);
    }
}

static PyObject *configure(PyObject *module, PyObject *args)
{
    (void)module;
    PyObject *c[5], *d[5], *shared_dict, *grown_dict, *merge_events, *merge_one_task;
    PyObject *task_types = NULL;
    Py_ssize_t max_shared;
    if (!PyArg_ParseTuple(args, "OOOOOOOOOOO!O!nOO|O!:configure", &c[0], &d[0], &c[1], &d[1],
                          &c[2], &d[2], &c[3], &d[3], &c[4], &d[4], &PyDict_Type,
                          &shared_dict, &PyDict_Type, &grown_dict, &max_shared, &merge_events,
                          &merge_one_task, &PyTuple_Type, &task_types))
        return NULL;
    if (!PyCallable_Check(merge_events) || !PyCallable_Check(merge_one_task)) {
        PyErr_SetString(PyExc_TypeError, "merge_events, merge_task: callables");
        return NULL;
    }
    /* checked on copies first: a failing configure() leaves the module as it was */
    Klass *ks[5] = {&TASK, &ATTEMPT, &FREF, &UPDATE, &SPAN};
    Klass trial[5];
    for (int i = 0; i < 5; i++) {
        trial[i] = *ks[i];
        trial[i].cls = NULL;
        if (configure_class(&trial[i], c[i], d[i]) < 0) {
            for (int j = 0; j <= i; j++)
                Py_XDECREF(trial[j].cls);
            return NULL;
        }
    }
    for (int i = 0; i < 5; i++) {
        PyTypeObject *old = ks[i]->cls;
        *ks[i] = trial[i];
        Py_XDECREF(old);
    }
    Py_XSETREF(SHARED, Py_NewRef(shared_dict));
    Py_XSETREF(GROWN, Py_NewRef(grown_dict));
    Py_XSETREF(MERGE_EVENTS, Py_NewRef(merge_events));
    Py_XSETREF(MERGE_TASK, Py_NewRef(merge_one_task));
    MAX_SHARED = max_shared;
    Py_XSETREF(TASK_TYPES, Py_XNewRef(task_types));
    clear_cache(STATE_CACHE);
    clear_cache(SPAN_CACHE);
    clear_cache(JOIN_CACHE);
    Py_RETURN_NONE;
}

static PyMethodDef METHODS[] = {
    {"configure", configure, METH_VARARGS,
     "configure(task, task_slots, attempt, attempt_slots, function_ref, function_ref_slots,\n"
     "          task_update, task_update_slots, span, span_slots, shared, grown, max_shared,\n"
     "          merge_events, merge_task[, task_types])\n\n"
     "The classes and the member descriptors of their fields, in field order; tasks.py's\n"
     "_SHARED and _GROWN dicts and their bound; the Python merge_tasks(events, tasks) and\n"
     "_merge_task(old, later) that whatever this module does not take goes to; optionally\n"
     "the TaskType members in definition order (the codes of a blob's task types)."},
    {"merge_updates", (PyCFunction)(void (*)(void))merge_updates, METH_FASTCALL,
     "merge_updates(events, tasks, /) -> None\n\n"
     "tasks.merge_tasks(events, tasks): TaskUpdate events merged here, others in Python."},
    {"merge_task_tables", (PyCFunction)(void (*)(void))merge_task_tables, METH_FASTCALL,
     "merge_task_tables(into, later, /) -> None\n\n"
     "tasks.merge_task_tables(into, later)."},
    {"make_task", (PyCFunction)(void (*)(void))make_task, METH_FASTCALL,
     "make_task(*fields) -> Task\n\nTask(*fields), its slots set directly."},
    {"make_attempt", (PyCFunction)(void (*)(void))make_attempt, METH_FASTCALL,
     "make_attempt(*fields) -> Attempt\n\nAttempt(*fields), its slots set directly."},
    {"dump_tasks", dump_tasks, METH_O,
     "dump_tasks(tasks, /) -> bytes\n\n"
     "A table of records (dict of task id -> Task) as a compact blob: every field of every\n"
     "record, in the order of the dict. Raises Unrepresentable for what a blob cannot give\n"
     "back exactly (a field of another type, an int beyond int64, a subclass, ...)."},
    {"load_tasks", load_tasks, METH_O,
     "load_tasks(blob, /) -> dict[str, Task]\n\n"
     "The table of a dump_tasks blob, values shared as the merge shares them. ValueError\n"
     "for bytes that are not such a blob."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef MODULE = {
    PyModuleDef_HEAD_INIT, "flowinsight.pipeline._records",
    "Task records merged in C (see flowinsight.pipeline.records_native).", -1, METHODS,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__records(void)
{
    if (!EMPTY_STR && !(EMPTY_STR = PyUnicode_New(0, 0)))
        return NULL;
    if (!EMPTY_BYTES && !(EMPTY_BYTES = PyBytes_FromStringAndSize(NULL, 0)))
        return NULL;
    if (!EMPTY_TUPLE && !(EMPTY_TUPLE = PyTuple_New(0)))
        return NULL;
    for (int i = 0; i < 256; i++) {
        if (!SMALL[i] && !(SMALL[i] = PyLong_FromLong(i)))
            return NULL;
    }
    if (!UNREPRESENTABLE
        && !(UNREPRESENTABLE = PyErr_NewExceptionWithDoc(
                 "flowinsight.pipeline._records.Unrepresentable",
                 "A table that dump_tasks cannot write exactly: pickle it instead.", NULL, NULL)))
        return NULL;
    PyObject *module = PyModule_Create(&MODULE);
    if (module && PyModule_AddObjectRef(module, "Unrepresentable", UNREPRESENTABLE) < 0)
        Py_CLEAR(module);
    return module;
}
