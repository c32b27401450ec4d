/* flowinsight.pipeline._records: the classes and tasks.py's tables (configure), the method
   table and module init. What the module does is said
   in records.h. */

#include "records.h"

/* The classes: set by configure(). */
Klass TASK = {NULL, N_TASK, {0}}, ATTEMPT = {NULL, N_ATTEMPT, {0}},
      FREF = {NULL, N_FREF, {0}};
descrgetfunc SLOT_GET;
descrsetfunc SLOT_SET;
PyObject *SHARED, *GROWN, *MERGE_EVENTS, *MERGE_TASK;
Py_ssize_t MAX_SHARED;
PyObject *EMPTY_STR, *EMPTY_BYTES, *EMPTY_TUPLE, *SMALL[256];
PyObject *UNREPRESENTABLE;
PyObject *TASK_TYPES;

int fr_configured(void)
{
    if (TASK.cls)
        return 1;
    PyErr_SetString(PyExc_RuntimeError, "flowinsight.pipeline._records: configure() first");
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* configure */

static void klass_clear(Klass *k)
{
    Py_CLEAR(k->cls);
    for (Py_ssize_t i = 0; i < k->n; i++)
        Py_CLEAR(k->descr[i]);
}

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
    for (Py_ssize_t i = 0; i < k->n; i++) {
        PyObject *d = PyTuple_GET_ITEM(descrs, i);
        if (!Py_IS_TYPE(d, &PyMemberDescr_Type)) {
            PyErr_Format(PyExc_TypeError, "%.80s: not a slot of the class", t->tp_name);
            return -1;
        }
        PyObject *owner = PyObject_GetAttrString(d, "__objclass__");
        if (!owner)
            return -1;
        Py_DECREF(owner);
        if (owner != cls) {
            PyErr_Format(PyExc_TypeError, "%.80s: not a slot of the class", t->tp_name);
            return -1;
        }
    }
    /* What slot_get and put rely on, tried on an instance: each slot unset reads as an
       AttributeError, and hands back the very object stored in it. */
    descrgetfunc get = PyMemberDescr_Type.tp_descr_get;
    descrsetfunc set = PyMemberDescr_Type.tp_descr_set;
    PyObject *probe = t->tp_alloc(t, 0), *value = PyTuple_New(0);
    int ok = probe && value;
    for (Py_ssize_t i = 0; ok && i < k->n; i++) {
        PyObject *d = PyTuple_GET_ITEM(descrs, i), *got = get(d, probe, cls);
        ok = !got && PyErr_ExceptionMatches(PyExc_AttributeError);
        PyErr_Clear();
        Py_XDECREF(got);
        ok = ok && set(d, probe, value) == 0 && (got = get(d, probe, cls)) == value;
        Py_XDECREF(got);
    }
    Py_XDECREF(probe);
    Py_XDECREF(value);
    if (!ok) {
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_TypeError, "%.80s: not a plain object slot", t->tp_name);
        return -1;
    }
    for (Py_ssize_t i = 0; i < k->n; i++)
        k->descr[i] = Py_NewRef(PyTuple_GET_ITEM(descrs, i));
    SLOT_GET = get;
    SLOT_SET = set;
    k->cls = (PyTypeObject *)Py_NewRef(cls);
    return 0;
}

static PyObject *configure(PyObject *module, PyObject *args)
{
    (void)module;
    PyObject *c[3], *d[3], *shared_dict, *grown_dict, *merge_events, *merge_one_task;
    PyObject *task_types = NULL;
    Py_ssize_t max_shared;
    if (!PyArg_ParseTuple(args, "OOOOOOO!O!nOO|O!:configure", &c[0], &d[0], &c[1], &d[1],
                          &c[2], &d[2], &PyDict_Type,
                          &shared_dict, &PyDict_Type, &grown_dict, &max_shared, &merge_events,
                          &merge_one_task, &PyTuple_Type, &task_types))
        return NULL;
    if (!PyCallable_Check(merge_events) || !PyCallable_Check(merge_one_task)) {
        PyErr_SetString(PyExc_TypeError, "merge_events, merge_task: callables");
        return NULL;
    }
    /* checked on copies first: a failing configure() leaves the module as it was */
    Klass *ks[3] = {&TASK, &ATTEMPT, &FREF};
    Klass trial[3];
    for (int i = 0; i < 3; i++) {
        trial[i] = (Klass){NULL, ks[i]->n, {NULL}};
        if (configure_class(&trial[i], c[i], d[i]) < 0) {
            for (int j = 0; j < i; j++)
                klass_clear(&trial[j]);
            return NULL;
        }
    }
    for (int i = 0; i < 3; i++) {
        Klass old = *ks[i];
        *ks[i] = trial[i];
        klass_clear(&old);
    }
    Py_XSETREF(SHARED, Py_NewRef(shared_dict));
    Py_XSETREF(GROWN, Py_NewRef(grown_dict));
    Py_XSETREF(MERGE_EVENTS, Py_NewRef(merge_events));
    Py_XSETREF(MERGE_TASK, Py_NewRef(merge_one_task));
    MAX_SHARED = max_shared;
    Py_XSETREF(TASK_TYPES, Py_XNewRef(task_types));
    fr_clear_caches();
    fr_forget_index();
    Py_RETURN_NONE;
}

static PyMethodDef METHODS[] = {
    {"configure", configure, METH_VARARGS,
     "configure(task, task_slots, attempt, attempt_slots, function_ref, function_ref_slots,\n"
     "          shared, grown, max_shared, merge_events, merge_task[, task_types])\n\n"
     "The classes and the member descriptors of their fields, in field order; tasks.py's\n"
     "_SHARED and _GROWN dicts and their bound; the Python merge_tasks(events, tasks) and\n"
     "_merge_task(old, later) that whatever this module does not take goes to; optionally\n"
     "the TaskType members in definition order (the codes of a blob's task types)."},
    {"fold_batch", (PyCFunction)(void (*)(void))fr_fold_batch, METH_FASTCALL,
     "fold_batch(batch, tasks, /) -> int\n\n"
     "merge_tasks(list(batch), tasks) for a TaskBatch of the reader\n"
     "(flowinsight.read._taskline): its updates folded in without being built; the number\n"
     "of updates."},
    {"dump_tasks", fr_dump_tasks, METH_O,
     "dump_tasks(tasks, /) -> bytes\n\n"
     "A table of records (dict of task id -> Task) as a compact blob: every field of every\n"
     "record, in the order of the dict. Raises Unrepresentable for what a blob cannot give\n"
     "back exactly (a field of another type, an int beyond int64, a subclass, ...)."},
    {"load_tasks", fr_load_tasks, METH_O,
     "load_tasks(blob, /) -> dict[str, Task]\n\n"
     "The table of a dump_tasks blob, values shared as the merge shares them. ValueError\n"
     "for bytes that are not such a blob."},
    {"load_tasks_into", (PyCFunction)(void (*)(void))fr_load_tasks_into, METH_FASTCALL,
     "load_tasks_into(into, blob, /) -> None\n\n"
     "merge_task_tables(into, load_tasks(blob)), the blob's records merged into `into`\n"
     "straight from the blob. The blob is checked whole first: ValueError (as load_tasks)\n"
     "for bytes that are not such a blob, and then `into` is left as it was."},
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
