/* flowinsight.pipeline._records: flowinsight/pipeline/tasks.py's merging, in C.

   merge_updates(events, tasks)       merge_tasks(events, tasks) for a sequence of events
   merge_task_tables(into, later)     merge_task_tables(into, later)
   make_task(*fields)                 Task(*fields), for unpickling (Task.__reduce__)
   make_attempt(*fields)              Attempt(*fields), likewise

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
    Py_ssize_t max_shared;
    if (!PyArg_ParseTuple(args, "OOOOOOOOOOO!O!nOO:configure", &c[0], &d[0], &c[1], &d[1],
                          &c[2], &d[2], &c[3], &d[3], &c[4], &d[4], &PyDict_Type,
                          &shared_dict, &PyDict_Type, &grown_dict, &max_shared, &merge_events,
                          &merge_one_task))
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
    clear_cache(STATE_CACHE);
    clear_cache(SPAN_CACHE);
    clear_cache(JOIN_CACHE);
    Py_RETURN_NONE;
}

static PyMethodDef METHODS[] = {
    {"configure", configure, METH_VARARGS,
     "configure(task, task_slots, attempt, attempt_slots, function_ref, function_ref_slots,\n"
     "          task_update, task_update_slots, span, span_slots, shared, grown, max_shared,\n"
     "          merge_events, merge_task)\n\n"
     "The classes and the member descriptors of their fields, in field order; tasks.py's\n"
     "_SHARED and _GROWN dicts and their bound; the Python merge_tasks(events, tasks) and\n"
     "_merge_task(old, later) that whatever this module does not take goes to."},
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
    return PyModule_Create(&MODULE);
}
