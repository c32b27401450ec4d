/* dump_tasks: a table of records written as a blob (the layout is in records.h). Each string,
   FunctionRef, state-key bytes and span-name tuple is written once, in a table before the
   records, and referred to by its index. */

#include "records.h"

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

static int table_resize(Table *t, size_t size)
{
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

static int table_grow(Table *t)
{
    return table_resize(t, t->entries ? 2 * (t->mask + 1) : 256);
}

/* What one dump_tasks leaves to the next: the memory of its buffers, its string table and
   its array of entries (a worker dumps a table of some size after another: fresh memory each
   time is a page fault every 4 KB of it, and the buffers are some 200 bytes a record). Kept
   up to SCRATCH_KEEP bytes each; taken by one call at a time (`busy`; a dump runs no Python
   code, but a call that finds it taken allocates its own). */
#define SCRATCH_KEEP ((size_t)16 << 20)

static struct {
    int busy;
    Buf recs, strs;
    Entry *entries;
    size_t size; /* of entries */
    PyObject **items;
    size_t n_items;
} SCRATCH;

/* Room for `n` entries before the table grows (its size a power of two, at least 256):
   the scratch's entries, cleared, when they are of that size (or up to 4 times it). */
static int table_presize(Table *t, size_t n, int own)
{
    size_t size = 256;
    while (size < 2 * n + 2 && size < ((size_t)1 << 40))
        size <<= 1;
    if (own && SCRATCH.entries && SCRATCH.size >= size && SCRATCH.size / 4 <= size) {
        t->entries = SCRATCH.entries;
        t->mask = SCRATCH.size - 1;
        SCRATCH.entries = NULL;
        memset(t->entries, 0, sizeof(Entry) * (t->mask + 1));
        return 0;
    }
    return table_resize(t, size);
}

/* A buffer given back to the scratch (emptied), or freed. */
static void keep_buf(Buf *kept, Buf *b)
{
    if (b->cap <= SCRATCH_KEEP && b->cap >= kept->cap) {
        PyMem_Free(kept->data);
        *kept = *b;
        kept->len = 0;
    } else {
        PyMem_Free(b->data);
    }
    memset(b, 0, sizeof *b);
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

/* The record `i + 12` prefetched; the attempts tuple of `i + 8`; its first attempt at
   `i + 4`; that attempt's values and the record's ids at `i + 2`. Only reads of objects the
   table holds (dump_tasks runs no Python code), each behind the checks that make it one. */
static inline PyObject *first_attempt(PyObject *t)
{
    if (Py_TYPE(t) != TASK.cls)
        return NULL;
    PyObject *attempts = GET(t, TASK, T_ATTEMPTS);
    if (!attempts || !PyTuple_CheckExact(attempts) || !PyTuple_GET_SIZE(attempts))
        return NULL;
    PyObject *a = PyTuple_GET_ITEM(attempts, 0);
    return Py_TYPE(a) == ATTEMPT.cls ? a : NULL;
}

static inline void prefetch_object(PyObject *o)
{
    if (o) {
        __builtin_prefetch(o);
        __builtin_prefetch((char *)o + 64);
    }
}

static void prefetch_ahead(PyObject *const *items, Py_ssize_t i, Py_ssize_t n)
{
    if (i + 12 < n)
        prefetch_object(items[2 * (i + 12) + 1]);
    if (i + 8 < n) {
        PyObject *t = items[2 * (i + 8) + 1];
        if (Py_TYPE(t) == TASK.cls && GET(t, TASK, T_ATTEMPTS))
            __builtin_prefetch(GET(t, TASK, T_ATTEMPTS));
    }
    if (i + 4 < n) {
        PyObject *a = first_attempt(items[2 * (i + 4) + 1]);
        prefetch_object(a);
    }
    if (i + 2 < n) {
        PyObject *t = items[2 * (i + 2) + 1];
        PyObject *a = first_attempt(t);
        if (Py_TYPE(t) == TASK.cls) {
            static const int fields[] = {T_TASK_ID, T_JOB_ID, T_PARENT};
            for (int f = 0; f < 3; f++) {
                PyObject *v = GET(t, TASK, fields[f]);
                if (v)
                    __builtin_prefetch(v);
            }
        }
        if (a) {
            static const int fields[] = {A_KEYS, A_NS, A_NODE, A_WORKER, A_SPAN_NAMES,
                                         A_SPAN_NS};
            for (int f = 0; f < 6; f++) {
                PyObject *v = GET(a, ATTEMPT, fields[f]);
                if (v)
                    __builtin_prefetch(v);
            }
        }
    }
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

PyObject *fr_dump_tasks(PyObject *module, PyObject *tasks)
{
    (void)module;
    if (!fr_configured())
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
    PyObject **items = NULL;
    /* room ahead for what a table of n records takes, as measured on a worker's piece of
       the benchmark input (a string of 49 bytes and 56 bytes of records a record): the tables
       and buffers then seldom grow, each growth a rehash or a copy of all so far */
    size_t n_tasks = (size_t)PyDict_GET_SIZE(tasks);
    int own = !SCRATCH.busy;
    if (own) {
        SCRATCH.busy = 1;
        d.recs = SCRATCH.recs;
        d.strs.out = SCRATCH.strs;
        memset(&SCRATCH.recs, 0, sizeof SCRATCH.recs);
        memset(&SCRATCH.strs, 0, sizeof SCRATCH.strs);
        if (SCRATCH.items && SCRATCH.n_items >= n_tasks) {
            items = SCRATCH.items;
            SCRATCH.items = NULL;
        }
    }
    if (table_presize(&d.strs, n_tasks + 256, own) < 0
        || buf_room(&d.recs, 64 * n_tasks + 64) < 0
        || buf_room(&d.strs.out, 56 * n_tasks + 64) < 0)
        goto done;
    /* the keys and records first (the dict's entries, in order), then each record written
       with those a few places ahead prefetched, stage by stage (record, attempts tuple, first
       attempt, its values): every record is a chain of objects each a cache miss away */
    Py_ssize_t n = PyDict_GET_SIZE(tasks), pos = 0, k = 0;
    if (!items && !(items = PyMem_Malloc(sizeof(PyObject *) * 2 * (size_t)(n ? n : 1)))) {
        PyErr_NoMemory();
        goto done;
    }
    PyObject *key, *value;
    while (k < n && PyDict_Next(tasks, &pos, &key, &value)) {
        items[2 * k] = key;
        items[2 * k + 1] = value;
        k++;
    }
    n = k;
    for (Py_ssize_t i = 0; i < n; i++) {
        prefetch_ahead(items, i, n);
        if (dump_task(&d, items[2 * i], items[2 * i + 1]) < 0)
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
    if (own) {
        size_t entries_size = d.strs.entries ? d.strs.mask + 1 : 0;
        if (entries_size && sizeof(Entry) * entries_size <= SCRATCH_KEEP) {
            PyMem_Free(SCRATCH.entries);
            SCRATCH.entries = d.strs.entries;
            SCRATCH.size = entries_size;
            d.strs.entries = NULL;
        }
        if (items && sizeof(PyObject *) * 2 * n_tasks <= SCRATCH_KEEP) {
            PyMem_Free(SCRATCH.items);
            SCRATCH.items = items;
            SCRATCH.n_items = n_tasks;
            items = NULL;
        }
        keep_buf(&SCRATCH.recs, &d.recs);
        keep_buf(&SCRATCH.strs, &d.strs.out);
        SCRATCH.busy = 0;
    }
    PyMem_Free(items);
    table_free(&d.strs);
    table_free(&d.funcs);
    table_free(&d.keys);
    table_free(&d.names);
    PyMem_Free(d.recs.data);
    return out;
}

