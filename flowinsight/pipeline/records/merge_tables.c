/* merge_task_tables: tasks.merge_task_tables, a later table's records merged into another's
   (tasks._merge_task and _merge_attempt); a pair it does not take goes to the Python
   _merge_task. */

#include "records.h"

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
            PyObject *joined = fr_grown_joined(keys, later_keys);
            PyObject *ns = joined ? fr_concat_bytes(GET(old, ATTEMPT, A_NS),
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
            r = fr_add_states(old, &st);
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
        r = fr_add_spans(old, &sp);
    }
    Py_DECREF(names);
    Py_DECREF(span_ns);
    return r;
}

/* tasks._merge_task: 0 merged; 1 not taken (nothing changed); -1 an error. */
static int merge_task(PyObject *old, PyObject *later)
{
    if (!fr_task_ok(old, 1) || !fr_task_ok(later, 1))
        return 1;
    PyObject *tuples[2] = {GET(old, TASK, T_ATTEMPTS), GET(later, TASK, T_ATTEMPTS)};
    for (int t = 0; t < 2; t++) {
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(tuples[t]); i++) {
            if (!fr_attempt_ok(PyTuple_GET_ITEM(tuples[t], i), t == 1))
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
        PyObject *match = fr_find_attempt(old, number_of(attempt));
        if (!match) {
            r = fr_append_attempt(old, attempt);
        } else {
            Py_INCREF(match);
            r = merge_attempt(match, attempt);
            Py_DECREF(match);
        }
    }
    Py_DECREF(attempts);
    return r;
}

PyObject *fr_merge_task_tables(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "merge_task_tables(into, later)");
        return NULL;
    }
    if (!fr_configured())
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

