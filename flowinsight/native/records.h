/* The internal header of flowinsight.pipeline._records (built from the .c files of
   flowinsight/native/ that setup.py lists for it). The parts:

     shared.c         values stored once: tasks.shared and the `_GROWN` values
     checks.c         what the fast paths take on
     attempts.c       Attempt.add_state and Attempt.add_span, for a run of them
     merge_updates.c  fold_batch: merge_tasks for a batch of the reader's packed updates
                      (native/task_batch.h)
     merge_tables.c   load_tasks_into's merge (a record read in place)
     blob_write.c     dump_tasks
     blob_tables.c    load_tasks: the blob's tables (strings, functions, keys, names)
     blob_read.c      load_tasks: the records
     records_module.c the classes and configure(), module init

   The slot accessors and the small per-field helpers are here, static inline, as are the
   blob's varint writers and readers: the hot loops call them and they must stay inlined.
   Functions shared between the files carry an fr_ prefix; everything declared here is hidden
   from other shared objects.

   flowinsight.pipeline._records: flowinsight/pipeline/tasks.py's merging, in C.

   fold_batch(batch, tasks)           merge_tasks of a reader's batch
   dump_tasks(tasks) -> bytes         a table of records as a compact blob (see "Blobs" below)
   load_tasks(blob) -> tasks          the table again
   load_tasks_into(into, blob)        merge_task_tables(into, load_tasks(blob)), the blob's
                                      records merged straight from it (see merge_tables.c)

   tasks.py is the reference: these do what its Python code does, field for field, and hand
   whatever they are not sure of back to it. An update's record and attempt are checked whole
   before anything is changed (their fields of the types the readers make them): when anything is
   otherwise, the update is built and goes to the Python merge_tasks, so that what happens,
   exceptions included, is what happens there. The same for a pair of records in
   load_tasks_into (the Python _merge_task).

   Records are built as flowinsight.model.fast_init builds objects: the class's tp_alloc (what
   object.__new__(cls) does for these classes), then each slot stored. configure() hands over the
   classes and the member descriptor of each field; the slots are read and written through
   those descriptors (tp_descr_get, tp_descr_set), CPython's public API only.

   Values that recur are stored once, as in tasks.py: its `_SHARED` and `_GROWN` tables (handed
   over by configure) are the very ones used here, with the same bound; in front of `_GROWN`, a
   small table keyed by the identity of the value grown (most are themselves shared) saves the
   tuple key and its hash. */

#ifndef FLOWINSIGHT_RECORDS_H
#define FLOWINSIGHT_RECORDS_H

#include "cpython.h"
#include <structmember.h>
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif

/* ------------------------------------------------------------------------------------------ */
/* The classes: set by configure(). */

enum { T_TASK_ID, T_JOB_ID, T_TYPE, T_FUNCTION, T_LANGUAGE, T_PARENT, T_ACTOR, T_SUBMIT,
       T_ATTEMPTS, T_SEEN_MODULE, T_SEEN_CLASS, N_TASK };
enum { A_NUMBER, A_KEYS, A_NS, A_NODE, A_WORKER, A_PID, A_ETYPE, A_EMSG, A_COMPONENT,
       A_SPAN_NAMES, A_SPAN_NS, N_ATTEMPT };
enum { F_MODULE, F_CLASS, F_NAME, N_FREF };

/* A class and the member descriptors of its fields, in field order. Slots are read and written
   through the descriptors (the descriptor protocol, PyMemberDescr_Type's tp_descr_get and
   tp_descr_set: what `obj.field` and `obj.field = value` do), never at an offset. */
typedef struct {
    PyTypeObject *cls;
    Py_ssize_t n;
    PyObject *descr[N_TASK];
} Klass;
_Static_assert((int)N_ATTEMPT <= (int)N_TASK && (int)N_FREF <= (int)N_TASK,
               "a Klass holds the descriptors of the class with the most fields");

extern Klass TASK, ATTEMPT, FREF;
/* PyMemberDescr_Type's getter and setter (every descriptor above is of that exact type) */
extern descrgetfunc SLOT_GET;
extern descrsetfunc SLOT_SET;
/* tasks.py's _SHARED and _GROWN and their bound; its merge_tasks and _merge_task */
extern PyObject *SHARED, *GROWN, *MERGE_EVENTS, *MERGE_TASK;
extern Py_ssize_t MAX_SHARED;
extern PyObject *EMPTY_STR, *EMPTY_BYTES, *EMPTY_TUPLE, *SMALL[256];

/* A slot's value (borrowed; NULL when unset, no exception left). The getter returns a new
   reference to the object the slot holds (configure() checked that it hands back the very
   object stored, and raises AttributeError for an unset slot); the slot keeps its own
   reference, so the value lives as long as the slot holds it, as a borrowed one would. Not
   called with an exception pending (an unset slot's AttributeError would replace it). */
static inline PyObject *slot_get(PyObject *obj, const Klass *k, int i)
{
    PyObject *value = SLOT_GET(k->descr[i], obj, (PyObject *)k->cls);
    if (!value) {
        PyErr_Clear();
        return NULL;
    }
    Py_DECREF(value);
    return value;
}
#define GET(obj, k, i) slot_get((obj), &(k), (i))

/* Store a slot, taking over the reference to `value`. The setter cannot fail on an object of
   the class (configure() checked each slot writable); if it ever did, its exception is left
   set, and the module's function returning a value with it set is a SystemError: loud. */
static inline void put_new(PyObject *obj, const Klass *k, int i, PyObject *value)
{
    SLOT_SET(k->descr[i], obj, value);
    Py_DECREF(value);
}

static inline void put(PyObject *obj, const Klass *k, int i, PyObject *value)
{
    SLOT_SET(k->descr[i], obj, value);
}

/* Rows: where a function reads many slots of one record, it reads each once, into a row of
   borrowed values (NULL for an unset slot), and writes through put_row/put_new_row, which keep
   the row in step with the record. Only C of this module runs between (no Python code that
   could change the record). */
static inline void read_row(PyObject *obj, const Klass *k, PyObject **row)
{
    for (Py_ssize_t i = 0; i < k->n; i++)
        row[i] = slot_get(obj, k, (int)i);
}

static inline void put_row(PyObject *obj, const Klass *k, PyObject **row, int i,
                           PyObject *value)
{
    put(obj, k, i, value);
    row[i] = value;
}

static inline void put_new_row(PyObject *obj, const Klass *k, PyObject **row, int i,
                               PyObject *value)
{
    put_new(obj, k, i, value); /* the slot holds it now */
    row[i] = value;
}

/* A new instance with every slot taken over from `values` (new references, all set); `row`
   (or NULL): its row. */
static inline PyObject *build_row(const Klass *k, PyObject **values, PyObject **row)
{
    PyObject *obj = k->cls->tp_alloc(k->cls, 0);
    int failed = !obj;
    for (Py_ssize_t i = 0; i < k->n; i++) {
        if (!failed && SLOT_SET(k->descr[i], obj, values[i]) < 0)
            failed = 1;
        if (row)
            row[i] = values[i];
        Py_DECREF(values[i]);
    }
    if (failed)
        Py_CLEAR(obj);
    return obj;
}

static inline PyObject *build(const Klass *k, PyObject **values)
{
    return build_row(k, values, NULL);
}

static inline PyObject *new_function(PyObject *module, PyObject *class_name, PyObject *name)
{
    PyObject *v[N_FREF] = {Py_NewRef(module), Py_NewRef(class_name), Py_NewRef(name)};
    return build(&FREF, v);
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

/* An attempt's number (checked before). */
static inline int64_t number_of(PyObject *a)
{
    int64_t number = 0;
    as_i64(GET(a, ATTEMPT, A_NUMBER), &number);
    return number;
}

/* Set an empty str slot to `value` (`if not x: x = value`), its row kept in step. */
static inline void fill(PyObject *obj, const Klass *k, PyObject **row, int i, PyObject *value)
{
    if (str_empty(row[i]))
        put_row(obj, k, row, i, value);
}

/* 1 when configure() has run; else 0 with an exception set. */
int fr_configured(void);

/* ------------------------------------------------------------------------------------------ */
/* Values stored once (shared.c) */

/* tasks.shared(value): the one stored copy of an equal value. New reference. */
PyObject *fr_shared(PyObject *value);
/* state_keys + bytes((status,)), (*span_names, sys.intern(name)), keys + later_keys: each the
   one stored copy, as tasks.py's `_grown` stores it. New references. */
PyObject *fr_grown_keys(PyObject *prev, PyObject *status);
PyObject *fr_grown_names(PyObject *prev, PyObject *name);
PyObject *fr_grown_joined(PyObject *prev, PyObject *added);
PyObject *fr_concat_bytes(PyObject *a, const char *b, Py_ssize_t nb);
void fr_clear_caches(void);

/* ------------------------------------------------------------------------------------------ */
/* What the fast paths take on (checks.c) */

/* A record's own fields (`tables`: also what merge_task_tables reads); its attempts' numbers.
   `row`: the record's row (N_TASK), read here (without `tables`: all but the task id, job id
   and submit time, NULL). */
int fr_task_ok(PyObject *t, int tables, PyObject **row);
/* An attempt's fields (`exact_spans`: span_ns holds just its names' pairs). `row`: the
   attempt's row (N_ATTEMPT), read here, all but its number (NULL). */
int fr_attempt_ok(PyObject *a, int exact_spans, PyObject **row);
/* None, or a FunctionRef of str slots. */
int fr_function_ok(PyObject *f);
/* A FunctionRef's fields (module, class_name, name: borrowed), when it is one of str slots;
   else NULL, no exception. Cached until fr_fref_forget(), which every function of the module
   that reads them calls on entry, on exit and after each call into Python code. */
PyObject *const *fr_fref_fields(PyObject *f);
void fr_fref_forget(void);
/* A TaskUpdate of the shape the readers make; its attempt number. */

/* ------------------------------------------------------------------------------------------ */
/* Attempt.add_state and Attempt.add_span, for a run of them (attempts.c) */

/* Where states come from: an attempt's bytes, or a batch's statuses (keys) and int64s
   (ns64). */
typedef struct {
    const unsigned char *keys;
    const char *ns;
    Py_ssize_t n;
    const int64_t *ns64;
} States;

/* Where spans come from: an attempt's names and int64 pairs, or a batch's names (name_arr)
   and int64 pairs (ns64). */
typedef struct {
    PyObject *names;
    const char *ns;
    Py_ssize_t n;
    PyObject *const *name_arr;
    const int64_t *ns64;
} Spans;

/* `row`: the attempt's row, kept in step */
int fr_add_states(PyObject *a, PyObject **row, const States *src);
/* An attempt keeps its first MAX_NAMED_SPANS distinct `task::<name>` span names (tasks.py:
   MAX_NAMED_SPANS): an executor writes one; a line of thousands would make every lookup and
   every grown tuple cost as much. Other names (task:execute, ...) are a fixed few. */
#define MAX_NAMED_SPANS 8
int fr_add_spans(PyObject *a, PyObject **row, const Spans *src);

/* The attempt of that number (borrowed), or NULL (merge_updates.c). */
PyObject *fr_find_attempt(PyObject *task, int64_t number);
/* task.attempts += (attempt,) */
int fr_append_attempt(PyObject *task, PyObject **row, PyObject *attempt); /* row: the task's */
/* Let go of the index of a task's attempts (merge_updates.c), its attempts written first. */
void fr_forget_index(void);
/* Write the attempts appended to the indexed task to its record (0), or -1 no memory. */
int fr_flush_attempts(void);
/* What every function of the module that merges returns through: the indexed task's
   attempts written, the FunctionRefs let go; `result`, or NULL with MemoryError when the
   attempts could not be written (an exception already set is kept). */
PyObject *fr_call_done(PyObject *result);
/* Whether `attempts`, the task's, is indexed: its attempts are known good (fr_task_ok need
   not check them again, a linear walk per update of a task of many attempts). */
int fr_attempts_checked(PyObject *task, PyObject *attempts);

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

extern PyObject *UNREPRESENTABLE; /* the exception */
extern PyObject *TASK_TYPES;      /* the TaskType members, in definition order (configure) */

#define BLOB_MAGIC "FIRB\x01"
#define BLOB_MAGIC_LEN 5

/* The writer's buffer, and the varints both ends use */

typedef struct {
    char *data;
    size_t len, cap;
} Buf;

static inline int buf_room(Buf *b, size_t need)
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

/* The reader's place in a blob, and the tables read before the records (blob_tables.c) */

typedef struct {
    const unsigned char *p, *end;
    PyObject **strs, **shared_strs, **funcs, **keys, **names;
    Py_ssize_t n_strs, n_funcs, n_keys, n_names; /* each with its index 0 */
    struct {
        int64_t value;
        PyObject *obj;
    } pids[64];
} Loader;

/* ValueError for a blob that is not a dump_tasks one; -1. */
static inline int corrupt(const char *what)
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

/* An index into the strings. Borrowed. */
static inline PyObject *rd_strref(Loader *r)
{
    Py_ssize_t i;
    return rd_index(r, r->n_strs, &i) < 0 ? NULL : r->strs[i];
}

/* The smallest record and attempt, in bytes: what a count of them is checked against. */
#define MIN_TASK 11
#define MIN_ATTEMPT 11

int fr_load_tables(Loader *r);
void fr_loader_free(Loader *r);

/* ------------------------------------------------------------------------------------------ */
/* A later record as the merge reads it (merge_tables.c): a record of a blob read in place
   (load_tasks_into). Every object is borrowed from the Loader's tables (alive while it is). */

typedef struct {
    int64_t number;
    PyObject *keys;                  /* state_keys (bytes) */
    const char *ns;                  /* state_ns: its bytes, n_ns of them */
    Py_ssize_t n_ns;
    PyObject *node, *worker, *etype, *emsg, *component;
    int has_pid;
    int64_t pid_value;
    PyObject *names;                 /* span_names (a tuple of str) */
    const char *span_ns;             /* span_ns: its bytes, n_span_ns of them */
    Py_ssize_t n_span_ns;
    const unsigned char *at;         /* where the attempt starts in the blob */
} LaterAttempt;

typedef struct {
    PyObject *task_id, *type, *function, *language, *parent, *actor, *seen_module, *seen_class;
    int has_submit;
    double submit;
    Py_ssize_t n_attempts;
    Loader *r;
    const unsigned char *attempts_at;
} LaterTask;

/* blob_read.c: one record of a blob read into a view (its attempts checked and skipped: read
   them with fr_read_attempt from attempts_at); one attempt; a record or an attempt built as
   load_tasks builds it (from where r->p is); a worker pid's object as load_tasks shares it. */
int fr_read_task(Loader *r, LaterTask *t);
int fr_read_attempt(Loader *r, LaterAttempt *a);
PyObject *fr_load_task(Loader *r);
PyObject *fr_load_attempt(Loader *r);
PyObject *fr_pid_object(Loader *r, int64_t value);

/* ------------------------------------------------------------------------------------------ */
/* The module's functions */

PyObject *fr_fold_batch(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
PyObject *fr_dump_tasks(PyObject *module, PyObject *tasks);
PyObject *fr_load_tasks(PyObject *module, PyObject *blob);
PyObject *fr_load_tasks_into(PyObject *module, PyObject *const *args, Py_ssize_t nargs);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
