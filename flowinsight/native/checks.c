/* What the fast paths take on: a TaskUpdate, record or attempt is checked whole before
   anything is changed; anything else goes to the Python code. */

#include "records.h"

/* The FunctionRefs read during one call of this module's functions. A FunctionRef (a frozen
   dataclass) is shared by many records and updates; its three fields are read once, here, and
   kept with a reference to it (so that its address is not reused while cached). Emptied
   whenever Python code may have run since (fr_fref_forget). */
#define FREF_CACHE 32
static struct {
    PyObject *f;
    PyObject *fields[N_FREF]; /* borrowed: f holds them */
} FREFS[FREF_CACHE];

void fr_fref_forget(void)
{
    for (int i = 0; i < FREF_CACHE; i++)
        Py_CLEAR(FREFS[i].f);
}

PyObject *const *fr_fref_fields(PyObject *f)
{
    size_t at = ((uintptr_t)f >> 4) % FREF_CACHE;
    if (FREFS[at].f == f)
        return FREFS[at].fields;
    if (Py_TYPE(f) != FREF.cls)
        return NULL;
    PyObject *fields[N_FREF];
    read_row(f, &FREF, fields);
    for (int i = 0; i < N_FREF; i++) {
        if (!is_str(fields[i]))
            return NULL;
    }
    PyObject *old = FREFS[at].f;
    FREFS[at].f = Py_NewRef(f);
    memcpy(FREFS[at].fields, fields, sizeof fields);
    Py_XDECREF(old);
    return FREFS[at].fields;
}

int fr_function_ok(PyObject *f)
{
    return f == Py_None || fr_fref_fields(f) != NULL;
}

int fr_task_ok(PyObject *t, int tables, PyObject **row)
{
    if (Py_TYPE(t) != TASK.cls)
        return 0;
    if (tables) {
        read_row(t, &TASK, row);
    } else {
        /* what an update reads: not the id, job or submit time */
        static const int read[] = {T_TYPE, T_FUNCTION, T_LANGUAGE, T_PARENT, T_ACTOR,
                                   T_ATTEMPTS, T_SEEN_MODULE, T_SEEN_CLASS};
        row[T_TASK_ID] = row[T_JOB_ID] = row[T_SUBMIT] = NULL;
        for (size_t i = 0; i < sizeof read / sizeof *read; i++)
            row[read[i]] = slot_get(t, &TASK, read[i]);
    }
    if (!row[T_TYPE])
        return 0;
    PyObject *f = row[T_FUNCTION];
    if (!f || !fr_function_ok(f))
        return 0;
    static const int strs[] = {T_LANGUAGE, T_PARENT, T_ACTOR, T_SEEN_MODULE, T_SEEN_CLASS};
    for (size_t i = 0; i < sizeof strs / sizeof *strs; i++) {
        if (!is_str(row[strs[i]]))
            return 0;
    }
    if (tables) {
        PyObject *submit = row[T_SUBMIT];
        if (!submit || (submit != Py_None && !PyFloat_CheckExact(submit)))
            return 0;
    }
    PyObject *attempts = row[T_ATTEMPTS];
    if (!attempts || !PyTuple_CheckExact(attempts))
        return 0;
    if (fr_attempts_checked(t, attempts))
        return 1;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(attempts); i++) {
        PyObject *a = PyTuple_GET_ITEM(attempts, i);
        int64_t number;
        if (Py_TYPE(a) != ATTEMPT.cls || !as_i64(GET(a, ATTEMPT, A_NUMBER), &number))
            return 0;
    }
    return 1;
}

int fr_attempt_ok(PyObject *a, int exact_spans, PyObject **row)
{
    if (Py_TYPE(a) != ATTEMPT.cls)
        return 0;
    row[A_NUMBER] = NULL; /* known to the caller */
    for (int i = A_NUMBER + 1; i < N_ATTEMPT; i++)
        row[i] = slot_get(a, &ATTEMPT, i);
    PyObject *keys = row[A_KEYS], *ns = row[A_NS];
    if (!is_bytes(keys) || !is_bytes(ns) || PyBytes_GET_SIZE(ns) != 8 * PyBytes_GET_SIZE(keys))
        return 0;
    static const int strs[] = {A_NODE, A_WORKER, A_ETYPE, A_EMSG, A_COMPONENT};
    for (size_t i = 0; i < sizeof strs / sizeof *strs; i++) {
        if (!is_str(row[strs[i]]))
            return 0;
    }
    if (!row[A_PID])
        return 0;
    PyObject *names = row[A_SPAN_NAMES], *span_ns = row[A_SPAN_NS];
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

