/* What the fast paths take on: a TaskUpdate, record or attempt is checked whole before
   anything is changed; anything else goes to the Python code. */

#include "records.h"

int fr_function_ok(PyObject *f)
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

int fr_task_ok(PyObject *t, int tables)
{
    if (Py_TYPE(t) != TASK.cls || !GET(t, TASK, T_TYPE))
        return 0;
    PyObject *f = GET(t, TASK, T_FUNCTION);
    if (!f || !fr_function_ok(f))
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

int fr_attempt_ok(PyObject *a, int exact_spans)
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

int fr_update_ok(PyObject *u, int64_t *number)
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
    if (!as_i64(GET(u, UPDATE, U_ATTEMPT), number) || !fr_function_ok(GET(u, UPDATE, U_FUNC)))
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

