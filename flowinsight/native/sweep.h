/* flowinsight.pipeline._sweep, the analysis's hot loops in C: what its parts share.

   sweep_module.c: the module and the interned names; sweep.c: the sweep over the task records
   (attempt columns, stats sums), task by task, with aggregates.c (the sums of a node or an
   edge) and rows.c (the rows put in task id order); facts.c: every task's node facts and the
   coverage counts, sweeping each task as it names it when asked (the pipeline's one pass);
   slots.c: the records' fields read from their slots, and a map of pointer pairs;
   critical.c: each job's critical path, by critical_runs.c over columns in task id order.
   Each has its Python reference next to its caller in flowinsight/pipeline (see
   pipeline/native.py). */

#ifndef FLOWINSIGHT_SWEEP_H
#define FLOWINSIGHT_SWEEP_H

#include "cpython.h"
#include <stdint.h>
#include <string.h>

#define NO_NS (-1LL)
enum { FINISHED_CODE = 0, FAILED_CODE = 1, UNKNOWN_CODE = 2 };
enum { RUNNING = 8, FINISHED = 11, FAILED = 12 };

/* Interned attribute names of the records (sweep_module.c). */
extern PyObject *s_parent_task_id, *s_attempts, *s_submit_ms, *s_number, *s_state_keys,
    *s_state_ns, *s_node_id, *s_worker_id, *s_worker_pid, *s_error_type, *s_error_message,
    *s_span_names, *s_span_ns, *s_execute, *s_task_type, *s_language, *s_actor_id, *s_job_id,
    *s_function;

static inline int is_pending(int status)
{
    return (status >= 1 && status <= 7) || status == 13;
}

/* A growable array of one C type. */

typedef struct {
    char *data;
    Py_ssize_t len, cap, item;
} Buf;

static inline int buf_push(Buf *b, const void *value)
{
    if (b->len == b->cap) {
        Py_ssize_t cap = b->cap ? b->cap + b->cap / 2 + 64 : 64;
        char *data = PyMem_Realloc(b->data, (size_t)(cap * b->item));
        if (!data) {
            PyErr_NoMemory();
            return -1;
        }
        b->data = data;
        b->cap = cap;
    }
    memcpy(b->data + b->len * b->item, value, (size_t)b->item);
    b->len++;
    return 0;
}

/* buf_push for a Buf of 8-byte items, and of 1-byte items: a copy of a fixed size (no call
   of memcpy for each item, as buf_push's copy of b->item bytes makes). */
static inline int buf_push8(Buf *b, const void *value)
{
    if (b->len == b->cap) {
        return buf_push(b, value);
    }
    memcpy(b->data + 8 * b->len, value, 8);
    b->len++;
    return 0;
}

static inline int buf_push1(Buf *b, unsigned char value)
{
    if (b->len == b->cap) {
        return buf_push(b, &value);
    }
    b->data[b->len++] = (char)value;
    return 0;
}

static inline PyObject *buf_bytes(Buf *b)
{
    return PyBytes_FromStringAndSize(b->data ? b->data : "", b->len * b->item);
}

static inline void buf_free(Buf *b)
{
    PyMem_Free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

static inline PyObject *attr(PyObject *obj, PyObject *name, PyTypeObject *want)
{
    PyObject *value = PyObject_GetAttr(obj, name);
    if (value && want && !PyObject_TypeCheck(value, want)) {
        PyErr_Format(PyExc_TypeError, "record field %U: %s, not %s", name,
                     Py_TYPE(value)->tp_name, want->tp_name);
        Py_DECREF(value);
        return NULL;
    }
    return value;
}

/* The records pack their times with struct "<q": little-endian, whatever the machine. */
/* One stable LSD radix pass over 64-bit items, on the 11 bits at `shift`, `from` into `to`.
   0 when every item has the same digit there: nothing moved, `to` left as it was. */
static inline int radix_pass(const uint64_t *from, uint64_t *to, Py_ssize_t n, int shift)
{
    Py_ssize_t count[2049] = {0};
    for (Py_ssize_t i = 0; i < n; i++) {
        count[((from[i] >> shift) & 0x7ff) + 1]++;
    }
    if (count[((from[0] >> shift) & 0x7ff) + 1] == n) {
        return 0;
    }
    for (int d = 0; d < 2048; d++) {
        count[d + 1] += count[d];
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        to[count[(from[i] >> shift) & 0x7ff]++] = from[i];
    }
    return 1;
}

static inline int64_t read_i64(const char *p)
{
    const unsigned char *b = (const unsigned char *)p;
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) {
        v = (v << 8) | b[i];
    }
    return (int64_t)v;
}

/* Pointer pairs -> small ints (open addressing): which aggregate a node or an edge is, by the
   node objects' identity; a pair not found is looked up by value (aggregates.c). */
typedef struct {
    void **keys; /* 2 per entry */
    Py_ssize_t *values;
    Py_ssize_t len, cap;
} PtrMap;

Py_ssize_t sw_ptrmap_get(PtrMap *m, void *a, void *b); /* -1: absent */
int sw_ptrmap_put(PtrMap *m, void *a, void *b, Py_ssize_t value);
void sw_ptrmap_free(PtrMap *m);

/* The stats of the attempts of a node or an edge, summed as the sweep goes. */
typedef struct {
    Py_ssize_t count, tasks, attempts, failures, retries;
    Buf execs, queues; /* durations in ns (int64, >= 0): ms, as doubles, once sorted */
    PyObject *submits; /* edges only: list of floats */
    double earliest, latest; /* min() and max() of the submits, while all are floats */
    int odd_submits;         /* a submit not a float: min() and max() left to Python */
    /* nodes: the one edge all the node's attempts went to as well (its position in the
       edges' Aggs; -1: none yet, -2: none); edges: the durations as they went out */
    Py_ssize_t sole_edge;
    PyObject *execs_out, *queues_out;
} Agg;

typedef struct {
    Agg *items;
    Py_ssize_t len, cap;
} Aggs;

static inline int agg_add(Agg *agg, long long number, int failed, int has_exec,
                          int64_t exec_ns, int has_queue, int64_t queue_ns)
{
    agg->attempts++;
    agg->failures += failed;
    agg->retries += number > 0;
    if (has_exec && buf_push8(&agg->execs, &exec_ns) < 0) {
        return -1;
    }
    if (has_queue && buf_push8(&agg->queues, &queue_ns) < 0) {
        return -1;
    }
    return 0;
}

Agg *sw_agg_for(Aggs *aggs, PyObject *index, PyObject *key, int with_submits);
Agg *sw_agg_of(Aggs *aggs, PyObject *index, PtrMap *map, PyObject *keep, PyObject *a,
               PyObject *b);
PyObject *sw_agg_tuple(Agg *agg, int edge, Aggs *edges);
int sw_agg_submit(Agg *agg, PyObject *submit);
void sw_aggs_free(Aggs *a);

/* The records' fields read through their member descriptors (slots.c), found once per call on
   the exact type of the first record; a record of another type, or a type whose fields are not
   member descriptors, is read with PyObject_GetAttr (same answers). */
enum { T_PARENT, T_ATTEMPTS, T_SUBMIT, T_TYPE, T_LANGUAGE, T_JOB, T_ACTOR, T_FUNCTION,
       T_FIELDS };
enum { A_NUMBER, A_STATE_KEYS, A_STATE_NS, A_NODE, A_WORKER, A_PID, A_ERROR_TYPE,
       A_ERROR_MESSAGE, A_SPAN_NAMES, A_SPAN_NS, A_FIELDS };

enum { MAX_FIELDS = 10 }; /* T_FIELDS, A_FIELDS at most */

typedef struct {
    PyTypeObject *type; /* NULL: not known yet; (PyTypeObject *)1: always generic */
    int n;
    PyObject *const *names;
    PyObject *descrs[MAX_FIELDS]; /* borrowed: slots.c keeps them */
    descrgetfunc get;             /* PyMemberDescr_Type's */
} Slots;

extern PyObject *sw_task_names[T_FIELDS], *sw_attempt_names[A_FIELDS];

void sw_slots_learn(Slots *s, PyTypeObject *type);

/* attr(obj, names[i], want) (a new reference), through the descriptor when obj's type is the
   one learnt. */
static inline PyObject *slot(PyObject *obj, Slots *s, int i, PyTypeObject *want)
{
    if (Py_TYPE(obj) != s->type) {
        if (!s->type) {
            sw_slots_learn(s, Py_TYPE(obj));
        }
        if (Py_TYPE(obj) != s->type) {
            return attr(obj, s->names[i], want);
        }
    }
    PyObject *value = s->get(s->descrs[i], obj, (PyObject *)s->type);
    if (!value || (want && !PyObject_TypeCheck(value, want))) {
        Py_XDECREF(value);
        PyErr_Clear();
        return attr(obj, s->names[i], want); /* its error */
    }
    return value;
}

/* The attempt columns in table order: C arrays of new references, put in task id order and
   handed to lists without touching a reference count (rows.c). */
typedef struct {
    Buf task_ids, node_ids, parents, ray_nodes, workers, pids; /* PyObject * each */
    PyObject *errors;
    Buf numbers, statuses, pendings, starts, ends;
    Py_ssize_t *order; /* sw_rows_in_order's: row k of the output is row order[k] */
} Columns;

/* A task's rows in the columns as swept (in table order), to put them in task id order. */
typedef struct {
    uint64_t key;      /* the id's first 8 chars, big-endian (sw_span_key): compared first */
    PyObject *task_id; /* borrowed: its rows' task_ids entries hold it */
    uint32_t start, count; /* sw_sweep_task checks the rows fit */
} TaskRows;

void sw_span_key(TaskRows *span, PyObject *task_id, int *wide, int *not_hex);
int sw_rows_in_order(Columns *c, TaskRows *spans, Py_ssize_t n_spans, int wide, int not_hex);
PyObject *sw_rows_list(Buf *column, const Py_ssize_t *order); /* steals its references */
PyObject *sw_rows_bytes(Buf *column, const Py_ssize_t *order);

/* The sweep as a task-by-task state, so that facts.c can sweep each task as it names it
   (one pass over the records) and sweep.c on its own. */
typedef struct {
    Columns c;
    TaskRows *spans;
    Py_ssize_t n_spans, cap_spans;
    int wide_ids, not_hex_ids; /* sw_span_key's findings over the spans */
    PyObject *node_index, *edge_index;
    Aggs node_aggs, edge_aggs;
    PtrMap node_map, edge_map;
    PyObject *keep; /* what the maps' pointers point to */
    Slots task_slots, attempt_slots;
} Sweep;

int sw_sweep_init(Sweep *s, Py_ssize_t n_tasks);
/* One task: node and caller (NULL without a caller) are its node and its caller's. */
int sw_sweep_task(Sweep *s, PyObject *tid, PyObject *task, PyObject *parent, PyObject *node,
                  PyObject *caller, int driver);
PyObject *sw_sweep_finish(Sweep *s); /* the columns (sweep.c) */
void sw_sweep_free(Sweep *s);
int sw_is_driver_id(PyObject *task_id);

PyObject *sw_facts(PyObject *self, PyObject *args);
PyObject *sw_critical(PyObject *self, PyObject *args);
int sw_critical_runs(PyObject *task_ids, const int64_t *numbers, const int64_t *starts,
                     const int64_t *ends, PyObject *parents, PyObject *nodes, PyObject *job_of,
                     PyObject *jobs_of, PyObject **out);

#endif
