/* Each job's critical path over attempt columns in task id order (what the sweep makes), with
   the tasks as runs of rows and C arrays indexed by task instead of dicts keyed by task id
   (critical.c: sw_critical tries this first). Same answers as critical_paths_py; columns
   whose task ids are not in order are left to the general version in critical.c. */

#include "sweep.h"

/* str order, as sorted() has it: <0, 0, >0 */
static int compare_str(PyObject *x, PyObject *y)
{
    if (x == y) {
        return 0;
    }
    if (PyUnicode_KIND(x) == PyUnicode_1BYTE_KIND && PyUnicode_KIND(y) == PyUnicode_1BYTE_KIND) {
        Py_ssize_t nx = PyUnicode_GET_LENGTH(x), ny = PyUnicode_GET_LENGTH(y);
        int c = memcmp(PyUnicode_DATA(x), PyUnicode_DATA(y), (size_t)(nx < ny ? nx : ny));
        return c ? c : (nx > ny) - (nx < ny);
    }
    return PyUnicode_Compare(x, y); /* never fails on two str */
}

/* The callers: each distinct caller id of the rows (by value) numbered in the order met, and
   the task of that id (-1: none). A table of the few callers, not of every task: it stays in
   the cache, and each task is looked up in it while its id is at hand (open addressing on the
   ids' str hashes). */
typedef struct {
    Py_hash_t *hashes;
    PyObject **ids;       /* borrowed from the parents column; NULL: free */
    Py_ssize_t *numbers;  /* the caller's number */
    Py_ssize_t cap;
    Py_ssize_t *task_of;  /* caller number -> its task, -1: none */
    Py_ssize_t len, cap_tasks;
} Callers;

static void callers_free(Callers *m)
{
    PyMem_Free(m->hashes);
    PyMem_Free(m->ids);
    PyMem_Free(m->numbers);
    PyMem_Free(m->task_of);
}

static int callers_grow(Callers *m)
{
    Py_ssize_t cap = m->cap ? 2 * m->cap : 1024;
    Py_hash_t *hashes = PyMem_Malloc((size_t)cap * sizeof(Py_hash_t));
    PyObject **ids = PyMem_Calloc((size_t)cap, sizeof(PyObject *));
    Py_ssize_t *numbers = PyMem_Malloc((size_t)cap * sizeof(Py_ssize_t));
    Py_ssize_t *task_of = PyMem_Realloc(m->task_of, (size_t)cap * sizeof(Py_ssize_t));
    if (task_of) {
        m->task_of = task_of;
    }
    if (!hashes || !ids || !numbers || !task_of) {
        PyMem_Free(hashes);
        PyMem_Free(ids);
        PyMem_Free(numbers);
        PyErr_NoMemory();
        return -1;
    }
    size_t mask = (size_t)cap - 1;
    for (Py_ssize_t j = 0; j < m->cap; j++) {
        if (!m->ids[j]) {
            continue;
        }
        size_t i = (size_t)m->hashes[j] & mask;
        while (ids[i]) {
            i = (i + 1) & mask;
        }
        hashes[i] = m->hashes[j];
        ids[i] = m->ids[j];
        numbers[i] = m->numbers[j];
    }
    PyMem_Free(m->hashes);
    PyMem_Free(m->ids);
    PyMem_Free(m->numbers);
    m->hashes = hashes;
    m->ids = ids;
    m->numbers = numbers;
    m->cap = cap;
    return 0;
}

/* The number of caller `id` (a str), added when absent and `add`; -1 absent, -2 error. */
static Py_ssize_t callers_number(Callers *m, PyObject *id, int add)
{
    if (add && 2 * (m->len + 1) > m->cap && callers_grow(m) < 0) {
        return -2;
    }
    if (!m->cap) {
        return -1;
    }
    Py_hash_t h = PyObject_Hash(id);
    if (h == -1) {
        return -2;
    }
    size_t mask = (size_t)m->cap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        PyObject *other = m->ids[i];
        if (!other) {
            if (!add) {
                return -1;
            }
            m->hashes[i] = h;
            m->ids[i] = id;
            m->numbers[i] = m->len;
            m->task_of[m->len] = -1;
            return m->len++;
        }
        if (other == id || (m->hashes[i] == h && compare_str(other, id) == 0)) {
            return m->numbers[i];
        }
    }
}

typedef struct {
    Py_ssize_t n_rows, n_tasks;
    PyObject **ids;       /* the task ids column's items */
    Py_ssize_t *first;    /* task -> its first row */
    Py_ssize_t *last;     /* task -> row of its last attempt that ran, -1: none */
    const int64_t *starts, *ends;
} Runs;

static inline PyObject *id_of(Runs *r, Py_ssize_t task)
{
    return r->ids[r->first[task]];
}

static inline double exec_ms(Runs *r, Py_ssize_t task)
{
    Py_ssize_t row = r->last[task];
    return (double)(r->ends[row] - r->starts[row]) / 1e6;
}

typedef struct {
    PyObject *job;
    Py_ssize_t start; /* the root whose chain is longest */
    double value;
} JobStart;

/* 1: done (*out set); 0: the columns are not in task id order (nothing set); -1: error. */
int sw_critical_runs(PyObject *task_ids, const int64_t *numbers, const int64_t *starts,
                     const int64_t *ends, PyObject *parents, PyObject *nodes, PyObject *job_of,
                     PyObject *jobs_of, PyObject **out)
{
    Py_ssize_t n = PyList_GET_SIZE(task_ids);
    PyObject **ids = PySequence_Fast_ITEMS(task_ids); /* a list: its own items */
    int status = -1;
    Runs r = {n, 0, ids, NULL, NULL, starts, ends};
    Callers callers = {NULL, NULL, NULL, 0, NULL, 0, 0};
    Py_ssize_t *row_caller = NULL; /* row -> its caller's number */
    PtrMap by_address = {NULL, NULL, 0, 0}; /* a caller object -> its number (the list holds it) */
    Py_ssize_t *parent_of = NULL, *n_children = NULL, *child_at = NULL, *children = NULL,
               *best_tail = NULL, *stack = NULL;
    double *best_value = NULL, *child_exec = NULL;
    char *flags = NULL; /* 1 visiting, 2 has best */
    JobStart *job_starts = NULL;
    Py_ssize_t n_jobs = 0;
    PyObject *job_index = NULL, *paths = NULL, *empty = NULL, *tail_cache = NULL;
    if (!(r.first = PyMem_Malloc((size_t)(n + 1) * sizeof(Py_ssize_t)))
        || !(r.last = PyMem_Malloc((size_t)(n + 1) * sizeof(Py_ssize_t)))
        || !(row_caller = PyMem_Malloc((size_t)(n + 1) * sizeof(Py_ssize_t)))) {
        PyErr_NoMemory();
        goto done;
    }
    /* every row's caller numbered: the same few objects, mostly, known by their address
       (by_address) without reading them again, out of cache, for their type and hash */
    PyObject *last_parent = NULL; /* borrowed from parents: the caller of the row before */
    Py_ssize_t last_number = -1;
    for (Py_ssize_t row = 0; row < n; row++) {
        PyObject *parent = PyList_GET_ITEM(parents, row);
        if (parent != last_parent) {
            last_number = sw_ptrmap_get(&by_address, parent, NULL);
            if (last_number < 0) {
                if (!PyUnicode_Check(parent)) {
                    status = 0;
                    goto done;
                }
                if ((last_number = callers_number(&callers, parent, 1)) == -2
                    || sw_ptrmap_put(&by_address, parent, NULL, last_number) < 0) {
                    goto done;
                }
            }
            last_parent = parent;
        }
        row_caller[row] = last_number;
    }
    /* the tasks: runs of equal ids, each above the one before (else: not in order). The ids
       lie all over the heap: each is asked from memory a few rows ahead, so that the loads
       overlap instead of one wait each. */
    for (Py_ssize_t row = 0; row < n; row++) {
#if defined(__GNUC__)
        if (row + 16 < n) {
            __builtin_prefetch(ids[row + 16], 0, 3);
        }
#endif
        if (!row || ids[row] != ids[row - 1]) {
            if (!PyUnicode_Check(ids[row])) {
                status = 0;
                goto done;
            }
        }
        if (row && ids[row] != ids[row - 1]) {
            int c = compare_str(ids[row - 1], ids[row]);
            if (c > 0) {
                status = 0;
                goto done;
            }
            if (c == 0) {
                goto same_task;
            }
        }
        if (!row || ids[row] != ids[row - 1]) {
            /* a caller's task, found while its id is at hand */
            Py_ssize_t number = callers_number(&callers, ids[row], 0);
            if (number == -2) {
                goto done;
            }
            if (number >= 0) {
                callers.task_of[number] = r.n_tasks;
            }
            r.first[r.n_tasks] = row;
            r.last[r.n_tasks] = -1;
            r.n_tasks++;
        }
    same_task:;
        Py_ssize_t task = r.n_tasks - 1, other = r.last[task];
        int64_t began = starts[row], ended = ends[row];
        if (began != NO_NS && ended != NO_NS && ended >= began
            && (other < 0 || numbers[row] > numbers[other])) {
            r.last[task] = row;
        }
    }
    Py_ssize_t k = r.n_tasks;
    parent_of = PyMem_Malloc((size_t)(k + 1) * sizeof(Py_ssize_t));
    n_children = PyMem_Calloc((size_t)(k + 1), sizeof(Py_ssize_t));
    child_at = PyMem_Malloc((size_t)(k + 2) * sizeof(Py_ssize_t));
    children = PyMem_Malloc((size_t)(k + 1) * sizeof(Py_ssize_t));
    best_tail = PyMem_Malloc((size_t)(k + 1) * sizeof(Py_ssize_t));
    best_value = PyMem_Malloc((size_t)(k + 1) * sizeof(double));
    child_exec = PyMem_Malloc((size_t)(k + 1) * sizeof(double));
    flags = PyMem_Calloc((size_t)(k + 1), 1);
    stack = PyMem_Malloc((size_t)(2 * k + 2) * sizeof(Py_ssize_t));
    if (!parent_of || !n_children || !child_at || !children || !best_tail || !best_value
        || !child_exec || !flags || !stack) {
        PyErr_NoMemory();
        goto done;
    }
    /* each ran task under its caller when the caller ran; a root of its job otherwise */
    for (Py_ssize_t t = 0; t < k; t++) {
        parent_of[t] = -1;
        if (r.last[t] < 0) {
            continue;
        }
        Py_ssize_t p = callers.task_of[row_caller[r.last[t]]];
        if (p < 0 || r.last[p] < 0) {
            p = -1; /* no task of that id, or one that never ran */
        }
        parent_of[t] = p;
        if (p >= 0) {
            n_children[p]++;
        }
    }
    child_at[0] = 0;
    for (Py_ssize_t t = 0; t < k; t++) {
        child_at[t + 1] = child_at[t] + n_children[t];
    }
    for (Py_ssize_t t = 0, *fill = best_tail; t < k; t++) { /* best_tail: fill positions */
        fill[t] = child_at[t];
    }
    /* in id order: each caller's callees in id order; a callee that called none as ~t, with
       its execution next to it (child_exec): the chains below read them in order, not from
       all over the columns */
    for (Py_ssize_t t = 0; t < k; t++) {
        if (r.last[t] >= 0 && parent_of[t] >= 0) {
            Py_ssize_t at = best_tail[parent_of[t]]++;
            children[at] = n_children[t] ? t : ~t;
            child_exec[at] = exec_ms(&r, t) + 0.0;
        }
    }
    /* _longest_chains: iterative post-order from each caller that ran, in id order */
    for (Py_ssize_t root = 0; root < k; root++) {
        if (r.last[root] < 0 || !n_children[root]) {
            continue;
        }
        Py_ssize_t depth = 0;
        stack[depth++] = root << 1;
        while (depth) {
            Py_ssize_t top = stack[--depth], t = top >> 1;
            if (flags[t] & 2) {
                continue;
            }
            if (!(top & 1)) {
                if (flags[t] & 1) {
                    continue;
                }
                flags[t] |= 1;
                stack[depth++] = (t << 1) | 1;
                for (Py_ssize_t j = child_at[t]; j < child_at[t + 1]; j++) {
                    Py_ssize_t c = children[j];
                    if (c >= 0 && !(flags[c] & 2)) {
                        stack[depth++] = c << 1; /* at most 2 entries per task: room */
                    }
                }
                continue;
            }
            double tail_value = 0.0;
            Py_ssize_t tail = -1;
            for (Py_ssize_t j = child_at[t]; j < child_at[t + 1]; j++) {
                Py_ssize_t c = children[j];
                double v;
                if (c >= 0) {
                    if (!(flags[c] & 2)) {
                        continue; /* a loop, cut */
                    }
                    v = best_value[c];
                } else {
                    v = child_exec[j];
                    c = ~c;
                }
                if (tail < 0 || v >= tail_value) { /* ties: the greater id, as max() */
                    tail_value = v;
                    tail = c;
                }
            }
            best_value[t] = exec_ms(&r, t) + tail_value;
            best_tail[t] = tail;
            flags[t] |= 2;
        }
    }
    /* each job's root with the longest chain (ties: the greater id) */
    if (!(job_index = PyDict_New()) || !(empty = PyUnicode_FromString(""))
        || !(job_starts = PyMem_Malloc(sizeof(JobStart) * 8))) {
        if (!PyErr_Occurred()) {
            PyErr_NoMemory();
        }
        goto done;
    }
    Py_ssize_t cap_jobs = 8, last_job = -1;
    for (Py_ssize_t t = 0; t < k; t++) {
        if (r.last[t] < 0 || parent_of[t] >= 0) {
            continue;
        }
        PyObject *id = id_of(&r, t), *job = NULL;
        if (jobs_of) {
            job = PyDict_GetItemWithError(jobs_of, id);
            if (job) {
                Py_INCREF(job);
            } else if (PyErr_Occurred()) {
                goto done;
            } else if (PyUnicode_GET_LENGTH(id) != 48) {
                job = Py_NewRef(empty);
            } else if (tail_cache && PyUnicode_Tailmatch(id, tail_cache, 40, 48, 1) == 1) {
                job = Py_NewRef(tail_cache);
            } else if ((job = PyUnicode_Substring(id, 40, 48))) {
                Py_XSETREF(tail_cache, Py_NewRef(job));
            }
        } else {
            job = PyObject_CallOneArg(job_of, id);
        }
        if (!job) {
            goto done;
        }
        Py_ssize_t at;
        if (last_job >= 0 && job_starts[last_job].job == job) {
            at = last_job;
        } else {
            PyObject *pos = PyDict_GetItemWithError(job_index, job);
            if (pos) {
                at = PyLong_AsSsize_t(pos);
            } else if (PyErr_Occurred()) {
                Py_DECREF(job);
                goto done;
            } else {
                if (n_jobs == cap_jobs) {
                    JobStart *more = PyMem_Realloc(job_starts, sizeof(JobStart) * (size_t)cap_jobs * 2);
                    if (!more) {
                        Py_DECREF(job);
                        PyErr_NoMemory();
                        goto done;
                    }
                    job_starts = more;
                    cap_jobs *= 2;
                }
                at = n_jobs;
                pos = PyLong_FromSsize_t(at);
                if (!pos || PyDict_SetItem(job_index, job, pos) < 0) {
                    Py_XDECREF(pos);
                    Py_DECREF(job);
                    goto done;
                }
                Py_DECREF(pos);
                job_starts[at].job = job; /* held by job_index */
                job_starts[at].start = -1;
                n_jobs++;
            }
            last_job = at;
        }
        Py_DECREF(job);
        double v = (flags[t] & 2) ? best_value[t] : exec_ms(&r, t) + 0.0;
        if (job_starts[at].start < 0 || v >= job_starts[at].value) { /* ids ascending */
            job_starts[at].start = t;
            job_starts[at].value = v;
        }
    }
    PyObject *jobs = PyDict_Keys(job_index);
    if (!jobs || PyList_Sort(jobs) < 0 || !(paths = PyList_New(0))) {
        Py_XDECREF(jobs);
        goto done;
    }
    for (Py_ssize_t j = 0; j < PyList_GET_SIZE(jobs); j++) {
        PyObject *job = PyList_GET_ITEM(jobs, j);
        JobStart *js = &job_starts[PyLong_AsSsize_t(PyDict_GetItem(job_index, job))];
        PyObject *steps = PyList_New(0);
        if (!steps) {
            Py_DECREF(jobs);
            goto done;
        }
        int64_t begin = 0, end = 0;
        int first = 1;
        for (Py_ssize_t t = js->start; t >= 0 && PyUnicode_GET_LENGTH(id_of(&r, t));
             t = (flags[t] & 2) ? best_tail[t] : -1) {
            Py_ssize_t row = r.last[t];
            PyObject *step = Py_BuildValue("(OOd)", PyList_GET_ITEM(nodes, row), id_of(&r, t),
                                           exec_ms(&r, t));
            if (!step || PyList_Append(steps, step) < 0) {
                Py_XDECREF(step);
                Py_DECREF(steps);
                Py_DECREF(jobs);
                goto done;
            }
            Py_DECREF(step);
            if (first || starts[row] < begin) {
                begin = starts[row];
            }
            if (first || ends[row] > end) {
                end = ends[row];
            }
            first = 0;
        }
        PyObject *path = Py_BuildValue("(ONd)", job, steps, (double)(end - begin) / 1e6);
        if (!path || PyList_Append(paths, path) < 0) {
            Py_XDECREF(path);
            Py_DECREF(jobs);
            goto done;
        }
        Py_DECREF(path);
    }
    Py_DECREF(jobs);
    *out = paths;
    paths = NULL;
    status = 1;
done:
    PyMem_Free(r.first);
    PyMem_Free(r.last);
    callers_free(&callers);
    sw_ptrmap_free(&by_address);
    PyMem_Free(row_caller);
    PyMem_Free(parent_of);
    PyMem_Free(n_children);
    PyMem_Free(child_at);
    PyMem_Free(children);
    PyMem_Free(best_tail);
    PyMem_Free(best_value);
    PyMem_Free(child_exec);
    PyMem_Free(flags);
    PyMem_Free(stack);
    PyMem_Free(job_starts);
    Py_XDECREF(job_index);
    Py_XDECREF(paths);
    Py_XDECREF(empty);
    Py_XDECREF(tail_cache);
    return status;
}
