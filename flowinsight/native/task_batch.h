/* A batch of decoded EXPORT_TASK updates in a packed form: decode_buffer_batches' output
   (batch.c), folded into the task records by flowinsight.pipeline._records (fold_batch)
   without a TaskUpdate object per line.

   This header is the documented layout both extensions read; the records extension reaches
   the type and the functions below through the capsule TASK_BATCH_CAPSULE (the standard
   CPython C-API pattern), and checks TASK_BATCH_VERSION.

   Record i of a batch holds exactly the values the TaskUpdate of that line would hold (the
   very same objects for every str, the TaskType member, the FunctionRef), except for its
   ints and tuples: attempt and worker_pid as int64 (has_pid 0: None), the states as
   n_states (status, ns) pairs sorted by status at keys[states_at..] and state_ns[states_at..],
   the spans as n_spans (name, start, end) at span_names[spans_at..] and
   span_ns[2 * spans_at..]. `item(batch, i)` builds that TaskUpdate (the object path's
   reading, for whatever must take the Python path). */

#ifndef FLOWINSIGHT_TASK_BATCH_H
#define FLOWINSIGHT_TASK_BATCH_H

#include "cpython.h"
#include <stdint.h>

#define TASK_BATCH_CAPSULE "flowinsight.read._taskline._batch_api"
#define TASK_BATCH_VERSION 1

typedef struct {
    /* strong references; type and function may be None */
    PyObject *task_id, *job, *type, *function, *language, *parent, *actor, *node, *worker,
        *etype, *emsg, *component;
    int64_t attempt, pid;
    int has_pid;
    Py_ssize_t states_at, n_states, spans_at, n_spans;
} TaskRec;

typedef struct {
    PyObject_HEAD
    TaskRec *recs;
    Py_ssize_t n, cap;
    unsigned char *keys;
    int64_t *state_ns;
    Py_ssize_t n_states, cap_states;
    PyObject **span_names; /* strong references */
    int64_t *span_ns;      /* start, end pairs */
    Py_ssize_t n_spans, cap_spans;
    int has_first;
    int64_t first_ns; /* the earliest state time of any record */
} TaskBatch;

typedef struct {
    int version;
    PyTypeObject *type;
    /* record i's TaskUpdate (new reference), NULL with an exception set */
    PyObject *(*item)(TaskBatch *batch, Py_ssize_t i);
} TaskBatchAPI;

#endif
