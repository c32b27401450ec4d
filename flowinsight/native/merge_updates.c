/* fold_batch: tasks.merge_tasks for the updates of a reader's batch (native/task_batch.h),
   each merged here (tasks._merge_update) without a TaskUpdate built; one whose task or
   attempt is not of the shape taken here is built and handed to the Python code, in its
   place. */

#include "records.h"
#include "task_batch.h"

static PyObject *new_attempt(PyObject *number, PyObject **row)
{
    PyObject *v[N_ATTEMPT] = {
        Py_NewRef(number), Py_NewRef(EMPTY_BYTES), Py_NewRef(EMPTY_BYTES),
        Py_NewRef(EMPTY_STR), Py_NewRef(EMPTY_STR), Py_NewRef(Py_None),
        Py_NewRef(EMPTY_STR), Py_NewRef(EMPTY_STR), Py_NewRef(EMPTY_STR),
        Py_NewRef(EMPTY_TUPLE), Py_NewRef(EMPTY_BYTES),
    };
    return build_row(&ATTEMPT, v, row);
}

/* Task(task_id, job_id or job_of_task(task_id)) */
static PyObject *new_task(PyObject *task_id, PyObject *job_id, PyObject **row)
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
    return build_row(&TASK, v, row);
}

/* tasks._add_function (`row`: the task's) */
static int add_function(PyObject *task, PyObject **row, PyObject *new)
{
    /* (both checked: fr_function_ok; the fields copied out, as one lookup can evict the
       other's cache entry) */
    PyObject *old = row[T_FUNCTION], *const *f = fr_fref_fields(new);
    PyObject *new_module = f[F_MODULE], *new_class = f[F_CLASS];
    f = old == Py_None ? NULL : fr_fref_fields(old);
    if (!f || str_empty(f[F_NAME])) {
        put_row(task, &TASK, row, T_FUNCTION, new);
    } else {
        PyObject *module = f[F_MODULE], *class_name = f[F_CLASS], *name = f[F_NAME];
        if ((str_empty(module) && !str_empty(new_module))
            || (str_empty(class_name) && !str_empty(new_class))) {
            PyObject *ref = new_function(str_empty(module) ? new_module : module,
                                         str_empty(class_name) ? new_class : class_name, name);
            if (!ref)
                return -1;
            put_new_row(task, &TASK, row, T_FUNCTION, ref);
        }
    }
    fill(task, &TASK, row, T_SEEN_MODULE, new_module);
    fill(task, &TASK, row, T_SEEN_CLASS, new_class);
    return 0;
}

/* The attempts of one task with many of them, indexed by number: the last such task looked
   up (its record and its attempts tuple held, so that neither address can be reused while
   indexed). Updates of one task come in runs: a task retried 50,000 times would otherwise
   cost a scan of its attempts and a copy of their tuple per update (quadratic). So the
   attempts appended to the indexed task during one call of this module's functions go to a
   list (`grown`), written to the record as its tuple once (fr_flush_attempts): before any
   Python code runs, when another task is indexed, and when the call returns (fr_call_done).
   Until then the record's tuple is the one indexed (`attempts`), which C code of this module
   reads only through the index (fr_find_attempt, fr_attempts_checked). */
#define INDEXED_FROM 32
static struct {
    PyObject *task, *attempts, *by_number; /* by_number: int -> the first attempt of it */
    PyObject *grown; /* NULL, or `attempts` and those appended since, a list */
    int lost;        /* a flush found no memory: the call is to fail with MemoryError */
} IDX;

int fr_flush_attempts(void)
{
    if (!IDX.grown)
        return 0;
    PyObject *attempts = PyList_AsTuple(IDX.grown);
    if (!attempts)
        return -1;
    Py_CLEAR(IDX.grown);
    put_new(IDX.task, &TASK, T_ATTEMPTS, Py_NewRef(attempts));
    Py_SETREF(IDX.attempts, attempts);
    return 0;
}

void fr_forget_index(void)
{
    if (IDX.grown && fr_flush_attempts() < 0) {
        PyErr_Clear();
        IDX.lost = 1; /* reported by fr_call_done */
    }
    Py_CLEAR(IDX.grown);
    Py_CLEAR(IDX.task);
    Py_CLEAR(IDX.attempts);
    Py_CLEAR(IDX.by_number);
}

PyObject *fr_call_done(PyObject *result)
{
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback);
    if (fr_flush_attempts() < 0) {
        PyErr_Clear();
        IDX.lost = 1;
    }
    if (IDX.lost) {
        fr_forget_index();
        IDX.lost = 0;
        if (!type) {
            Py_CLEAR(result);
            return PyErr_NoMemory();
        }
    }
    fr_fref_forget();
    PyErr_Restore(type, value, traceback);
    return result;
}

/* Add an attempt to IDX: 0; 1 when it is not an Attempt with an int number (not indexed:
   IDX is let go); -1 with an exception set. */
static int index_add(PyObject *attempt)
{
    int64_t value;
    PyObject *number = GET(attempt, ATTEMPT, A_NUMBER);
    if (Py_TYPE(attempt) != ATTEMPT.cls || !PyLong_CheckExact(number)
        || !as_i64(number, &value)) {
        fr_forget_index();
        return 1;
    }
    return PyDict_SetDefault(IDX.by_number, number, attempt) ? 0 : -1;
}

/* IDX for `task` (whose attempts tuple is `attempts`): 0; 1 when its attempts cannot be
   indexed (then scanned); -1 with an exception set. */
static int index_of(PyObject *task, PyObject *attempts)
{
    if (IDX.task == task && IDX.attempts == attempts)
        return 0;
    fr_forget_index();
    if (!(IDX.by_number = PyDict_New()))
        return -1;
    IDX.task = Py_NewRef(task);
    IDX.attempts = Py_NewRef(attempts);
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(attempts); i++) {
        int r = index_add(PyTuple_GET_ITEM(attempts, i));
        if (r)
            return r;
    }
    return 0;
}

int fr_attempts_checked(PyObject *task, PyObject *attempts)
{
    /* every attempt of an indexed tuple is an Attempt with an int number (index_add), and
       the tuple, held, cannot change */
    return IDX.task == task && IDX.attempts == attempts;
}

PyObject *fr_find_attempt(PyObject *task, int64_t number)
{
    PyObject *attempts = GET(task, TASK, T_ATTEMPTS);
    if (PyTuple_GET_SIZE(attempts) >= INDEXED_FROM) {
        PyObject *key = PyLong_FromLongLong(number);
        int r = key ? index_of(task, attempts) : -1;
        if (r == 0) {
            PyObject *found = PyDict_GetItemWithError(IDX.by_number, key);
            Py_DECREF(key);
            PyErr_Clear(); /* (an int key: no error but memory) */
            return found; /* (the records' numbers are ints: checks.c) */
        }
        Py_XDECREF(key);
        PyErr_Clear();
        fr_forget_index(); /* not indexed, or out of memory: the scan below */
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(attempts); i++) {
        PyObject *a = PyTuple_GET_ITEM(attempts, i);
        if (number_of(a) == number)
            return a;
    }
    return NULL;
}

int fr_append_attempt(PyObject *task, PyObject **row, PyObject *attempt)
{
    PyObject *old = row[T_ATTEMPTS];
    if (IDX.task == task && IDX.attempts == old) {
        /* indexed: appended to the list (the attempt is one with an int number: built here,
           or of a record checked whole) */
        if (!IDX.grown && !(IDX.grown = PySequence_List(old)))
            return -1;
        int r = index_add(attempt);
        if (r == 0 && PyList_Append(IDX.grown, attempt) == 0)
            return 0;
        if (r == 0)
            fr_forget_index(); /* the index holds an attempt the list does not */
        if (r < 0 || PyErr_Occurred())
            return -1;
        old = GET(task, TASK, T_ATTEMPTS); /* (not indexable: let go, written) */
    }
    Py_ssize_t n = PyTuple_GET_SIZE(old);
    PyObject *out = PyTuple_New(n + 1);
    if (!out)
        return -1;
    for (Py_ssize_t i = 0; i < n; i++)
        PyTuple_SET_ITEM(out, i, Py_NewRef(PyTuple_GET_ITEM(old, i)));
    PyTuple_SET_ITEM(out, n, Py_NewRef(attempt));
    put_new_row(task, &TASK, row, T_ATTEMPTS, out);
    return 0;
}

/* An update's values, from a batch record (all borrowed). */
typedef struct {
    PyObject *task_id, *job, *type, *function, *language, *parent, *actor, *node, *worker,
        *etype, *emsg, *component;
    int64_t number;
    int has_pid;
    int64_t pid;
    States states;
    Spans spans;
} View;

/* 0: merged; 1: not taken (nothing changed): the Python path's; -1: an error. */
static int merge_view(const View *u, PyObject *tasks)
{
    PyObject *task_id = u->task_id;
    PyObject *task = PyDict_GetItemWithError(tasks, task_id);
    if (!task && PyErr_Occurred())
        return -1;
    PyObject *attempt = NULL, *tr[N_TASK], *ar[N_ATTEMPT];
    if (task && task != Py_None) {
        if (!fr_task_ok(task, 0, tr))
            return 1;
        attempt = fr_find_attempt(task, u->number);
        if (attempt && !fr_attempt_ok(attempt, 0, ar))
            return 1;
        Py_INCREF(task);
    } else {
        if (!(task = new_task(task_id, u->job, tr)))
            return -1;
        if (PyDict_SetItem(tasks, task_id, task) < 0)
            goto error;
    }
    Py_XINCREF(attempt);

    /* _merge_update */
    PyObject *task_type = u->type, *function = u->function;
    if (task_type != Py_None) {
        if (tr[T_TYPE] == Py_None)
            put_row(task, &TASK, tr, T_TYPE, task_type);
        if (function != Py_None && add_function(task, tr, function) < 0)
            goto error;
        if (str_empty(tr[T_LANGUAGE])) {
            PyObject *language = fr_shared(u->language);
            if (!language)
                goto error;
            put_new_row(task, &TASK, tr, T_LANGUAGE, language);
        }
        fill(task, &TASK, tr, T_PARENT, u->parent);
        fill(task, &TASK, tr, T_ACTOR, u->actor);
    } else if (function != Py_None && add_function(task, tr, function) < 0) {
        goto error;
    }
    if (!attempt) {
        PyObject *number = PyLong_FromLongLong(u->number);
        if (!number)
            goto error;
        attempt = new_attempt(number, ar);
        Py_DECREF(number);
        if (!attempt)
            goto error;
        if (fr_append_attempt(task, tr, attempt) < 0)
            goto error;
    }
    if (fr_add_states(attempt, ar, &u->states) < 0)
        goto error;
    fill(attempt, &ATTEMPT, ar, A_NODE, u->node);
    fill(attempt, &ATTEMPT, ar, A_WORKER, u->worker);
    if (ar[A_PID] == Py_None && u->has_pid) {
        PyObject *pid = PyLong_FromLongLong(u->pid);
        if (!pid)
            goto error;
        Py_SETREF(pid, fr_shared(pid));
        if (!pid)
            goto error;
        put_new_row(attempt, &ATTEMPT, ar, A_PID, pid);
    }
    fill(attempt, &ATTEMPT, ar, A_ETYPE, u->etype);
    fill(attempt, &ATTEMPT, ar, A_EMSG, u->emsg);
    PyObject *component = u->component;
    if (!str_empty(component) && str_empty(ar[A_COMPONENT])) {
        if (!(component = fr_shared(component)))
            goto error;
        put_new_row(attempt, &ATTEMPT, ar, A_COMPONENT, component);
    }
    if (fr_add_spans(attempt, ar, &u->spans) < 0)
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
    if (fr_flush_attempts() < 0) /* the records as the Python code is to see them */
        return -1;
    PyObject *args[2] = {events, tasks};
    PyObject *r = PyObject_Vectorcall(MERGE_EVENTS, args, 2, NULL);
    fr_fref_forget(); /* what the Python code may have changed */
    Py_XDECREF(r);
    return r ? 0 : -1;
}


/* ------------------------------------------------------------------------------------------ */
/* fold_batch: the reader's packed updates (native/task_batch.h), reached through its
   capsule. */

static const TaskBatchAPI *BATCH_API;

static int batch_api(void)
{
    if (BATCH_API)
        return 0;
    const TaskBatchAPI *api = PyCapsule_Import(TASK_BATCH_CAPSULE, 0);
    if (!api)
        return -1;
    if (api->version != TASK_BATCH_VERSION) {
        PyErr_SetString(PyExc_RuntimeError, "fold_batch: another version of the batch layout");
        return -1;
    }
    BATCH_API = api;
    return 0;
}

/* The record's update, where its task or attempt is not of the shape merge_view takes: the
   TaskUpdate built, through the Python merge_tasks. */
static int fold_python(TaskBatch *b, Py_ssize_t i, PyObject *tasks)
{
    PyObject *u = BATCH_API->item(b, i);
    if (!u)
        return -1;
    PyObject *one = PyTuple_Pack(1, u);
    Py_DECREF(u);
    int r = one ? call_python(one, tasks) : -1;
    Py_XDECREF(one);
    return r;
}

static PyObject *fold_batch_call(PyObject *module, PyObject *const *args,
                             Py_ssize_t nargs)
{
    (void)module;
    fr_fref_forget();
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "fold_batch(batch, tasks)");
        return NULL;
    }
    if (!fr_configured() || batch_api() < 0)
        return NULL;
    PyObject *tasks = args[1];
    if (Py_TYPE(args[0]) != BATCH_API->type) {
        PyErr_SetString(PyExc_TypeError, "batch: a TaskBatch");
        return NULL;
    }
    if (!PyDict_CheckExact(tasks)) {
        PyErr_SetString(PyExc_TypeError, "tasks: a dict");
        return NULL;
    }
    TaskBatch *b = (TaskBatch *)args[0];
    Py_INCREF(b);
    for (Py_ssize_t i = 0; i < b->n; i++) {
        const TaskRec *r = &b->recs[i];
        View v = {
            r->task_id, r->job, r->type, r->function, r->language, r->parent, r->actor,
            r->node, r->worker, r->etype, r->emsg, r->component,
            r->attempt, r->has_pid, r->pid,
            {b->keys + r->states_at, NULL, r->n_states, b->state_ns + r->states_at},
            {NULL, NULL, r->n_spans, b->span_names + r->spans_at, b->span_ns + 2 * r->spans_at},
        };
        int m = fr_function_ok(r->function) ? merge_view(&v, tasks) : 1;
        if (m == 1)
            m = fold_python(b, i, tasks);
        if (m < 0) {
            Py_DECREF(b);
            return NULL;
        }
    }
    Py_ssize_t n = b->n;
    Py_DECREF(b);
    return PyLong_FromSsize_t(n);
}

PyObject *fr_fold_batch(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    return fr_call_done(fold_batch_call(module, args, nargs));
}
