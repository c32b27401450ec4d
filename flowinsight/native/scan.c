/* What the analysis needs of the whole table before it names any node, in one pass in table
   order (flowinsight/pipeline/build.py: scan_table_py is the reference): the driver-thread
   records to drop, the jobs, the candidate modules of function names (identity.py:
   known_modules) and the class, language and ids of the actors the tasks name (actors.py:
   actor_task_facts). A task without a definition is rare: it is handed back to Python, which
   asks is_driver_thread_record and key_of of it as the reference does. */

#include "sweep.h"

static PyObject *s_module, *s_class_name, *s_name, *s_task_prefix;

static int intern_names(void)
{
    if (s_module) {
        return 0;
    }
    if (!(s_module = PyUnicode_InternFromString("module"))
        || !(s_class_name = PyUnicode_InternFromString("class_name"))
        || !(s_name = PyUnicode_InternFromString("name"))
        || !(s_task_prefix = PyUnicode_InternFromString("task::"))) {
        return -1;
    }
    return 0;
}

static int truthy_str(PyObject *s)
{
    return PyUnicode_Check(s) ? PyUnicode_GET_LENGTH(s) > 0 : PyObject_IsTrue(s);
}

/* modules[(job, name)].add(module); nothing for a function without a name: its task is an
   undefined-task placeholder, which has no module (identity.key_of) */
static int add_module(PyObject *modules, PyObject *job, PyObject *function, PyObject *module)
{
    PyObject *name = PyObject_GetAttr(function, s_name);
    if (!name) {
        return -1;
    }
    int named = truthy_str(name);
    if (named <= 0) {
        Py_DECREF(name);
        return named;
    }
    PyObject *key = PyTuple_Pack(2, job, name);
    Py_DECREF(name);
    if (!key) {
        return -1;
    }
    PyObject *found = PyDict_GetItemWithError(modules, key); /* borrowed */
    if (!found) {
        if (PyErr_Occurred() || !(found = PySet_New(NULL))) {
            Py_DECREF(key);
            return -1;
        }
        int err = PyDict_SetItem(modules, key, found);
        Py_DECREF(found); /* the dict holds it */
        if (err < 0) {
            Py_DECREF(key);
            return -1;
        }
    }
    Py_DECREF(key);
    return PySet_Add(found, module);
}

/* Whether the first `task::<name>` span of a task's attempts names it other than its
   function: 1 yes, 0 no (or no such span), -1 error. Answered once per (span names, function)
   pair, by identity: records share both (`named` maps them, `keep` holds them). */
static int renamed_by_span(PyObject *task, PyObject *function, Slots *ts, Slots *as,
                           PtrMap *named, PyObject *keep)
{
    PyObject *attempts = slot(task, ts, T_ATTEMPTS, &PyTuple_Type);
    if (!attempts) {
        return -1;
    }
    int out = 0;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(attempts); i++) {
        PyObject *names = slot(PyTuple_GET_ITEM(attempts, i), as, A_SPAN_NAMES, &PyTuple_Type);
        if (!names) {
            out = -1;
            break;
        }
        Py_ssize_t known = sw_ptrmap_get(named, names, function);
        if (known < 0) {
            known = 0;
            for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(names); j++) {
                PyObject *span = PyTuple_GET_ITEM(names, j);
                if (!PyUnicode_Check(span)) {
                    continue;
                }
                Py_ssize_t n = PyUnicode_GET_LENGTH(span);
                Py_ssize_t at = PyUnicode_Tailmatch(span, s_task_prefix, 0, n, -1);
                if (at < 0) {
                    known = -1;
                    break;
                }
                if (!at) {
                    continue;
                }
                PyObject *name = PyObject_GetAttr(function, s_name);
                PyObject *rest = name ? PyUnicode_Substring(span, 6, n) : NULL;
                int same = rest ? PyObject_RichCompareBool(rest, name, Py_EQ) : -1;
                Py_XDECREF(name);
                Py_XDECREF(rest);
                known = same < 0 ? -1 : 2 - same; /* 2: named otherwise, 1: the same */
                break;
            }
            if (known < 0 || PyList_Append(keep, names) < 0 || PyList_Append(keep, function) < 0
                || sw_ptrmap_put(named, names, function, known) < 0) {
                Py_DECREF(names);
                out = -1;
                break;
            }
        }
        Py_DECREF(names);
        if (known) {
            out = known == 2;
            break; /* the first attempt with a `task::` span says it */
        }
    }
    Py_DECREF(attempts);
    return out;
}

/* scan(tasks, is_driver_thread_record, actor_creation, actor, driver):
   (dropped task ids, job ids, {(job, name): {modules}}, actor classes, actor languages,
    actor ids, [(task id, task)] of the kept tasks without a definition whose function names
    a module: their modules are Python's to add, [task] of the kept normal tasks whose
    `task::<name>` span names them other than their function: Python's to rename,
    identity.rename_by_span). */
PyObject *sw_scan(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *tasks, *is_driver_record, *creation_type, *actor_type, *driver_type;
    if (!PyArg_ParseTuple(args, "O!OOOO", &PyDict_Type, &tasks, &is_driver_record,
                          &creation_type, &actor_type, &driver_type)
        || intern_names() < 0) {
        return NULL;
    }
    PyObject *dropped = PyList_New(0), *job_ids = PySet_New(NULL), *modules = PyDict_New(),
             *classes = PyDict_New(), *languages = PyDict_New(), *actor_ids = PySet_New(NULL),
             *later = PyList_New(0), *renamed = PyList_New(0), *out = NULL;
    PyObject *last_job = NULL, *last_actor = NULL; /* the previous task's, held */
    /* the actor, function, type and language of the last task whose actor's class and
       language were set (held): a task of the same four sets nothing new */
    PyObject *memo[4] = {NULL, NULL, NULL, NULL};
    PtrMap seen = {0}; /* (function, job) pairs already added to modules, by identity */
    PtrMap named = {0}; /* (span names, function) -> renamed_by_span's answer + 1 */
    PyObject *keep = PyList_New(0); /* what the pointers of `seen` point to */
    Slots ts = {NULL, T_FIELDS, sw_task_names, {0}};
    Slots as = {NULL, A_FIELDS, sw_attempt_names, {0}};
    if (!dropped || !job_ids || !modules || !classes || !languages || !actor_ids || !later
        || !renamed || !keep) {
        goto done;
    }
    PyObject *tid, *task;
    Py_ssize_t pos = 0;
    while (PyDict_Next(tasks, &pos, &tid, &task)) {
        int ok = 0, held = 0;
        PyObject *task_type = NULL, *job = NULL, *function = NULL, *actor = NULL,
                 *module = NULL, *cls = NULL, *language = NULL;
        /* tid and task are the table's (borrowed: the id is not even read, but where the
           task has no definition), held only while Python code runs */
        if (!(task_type = slot(task, &ts, T_TYPE, NULL))) {
            goto next;
        }
        if (task_type == Py_None) {
            held = 1;
            Py_INCREF(tid);
            Py_INCREF(task);
            PyObject *r = PyObject_CallOneArg(is_driver_record, task);
            int drop = r ? PyObject_IsTrue(r) : -1;
            Py_XDECREF(r);
            if (drop < 0 || (drop && PyList_Append(dropped, tid) < 0)) {
                goto next;
            }
            if (drop) {
                ok = 1;
                goto next;
            }
        }
        if (!(job = slot(task, &ts, T_JOB, NULL))) {
            goto next;
        }
        if (job != last_job) {
            if (PySet_Add(job_ids, job) < 0) {
                goto next;
            }
            Py_XSETREF(last_job, Py_NewRef(job));
        }
        if (!(function = slot(task, &ts, T_FUNCTION, NULL))
            || !(actor = slot(task, &ts, T_ACTOR, NULL))) {
            goto next;
        }
        if (function != Py_None) {
            if (task_type == Py_None) {
                if (!(module = PyObject_GetAttr(function, s_module))) {
                    goto next;
                }
                int has = truthy_str(module);
                if (has < 0) {
                    goto next;
                }
                if (has) {
                    PyObject *pair = PyTuple_Pack(2, tid, task);
                    int err = !pair || PyList_Append(later, pair) < 0;
                    Py_XDECREF(pair);
                    if (err) {
                        goto next;
                    }
                }
            } else if (task_type != driver_type && task_type != creation_type
                       && task_type != actor_type) {
                int r = renamed_by_span(task, function, &ts, &as, &named, keep);
                if (r < 0 || (r && PyList_Append(renamed, task) < 0)) {
                    goto next;
                }
            }
            if (task_type != Py_None && task_type != driver_type && task_type != creation_type
                && task_type != actor_type && sw_ptrmap_get(&seen, function, job) < 0) {
                if (!(module = PyObject_GetAttr(function, s_module))) {
                    goto next;
                }
                int has = truthy_str(module);
                if (has < 0 || (has && add_module(modules, job, function, module) < 0)
                    || PyList_Append(keep, function) < 0 || PyList_Append(keep, job) < 0
                    || sw_ptrmap_put(&seen, function, job, 1) < 0) {
                    goto next;
                }
            }
        }
        int has_actor = truthy_str(actor);
        if (has_actor < 0) {
            goto next;
        }
        if (has_actor) {
            if (actor != last_actor) {
                if (PySet_Add(actor_ids, actor) < 0) {
                    goto next;
                }
                Py_XSETREF(last_actor, Py_NewRef(actor));
            }
            if (!(language = slot(task, &ts, T_LANGUAGE, NULL))) {
                goto next;
            }
            if (actor == memo[0] && function == memo[1] && task_type == memo[2]
                && language == memo[3]) {
                ok = 1; /* as the task before: its class and language are set already */
                goto next;
            }
            if (function != Py_None) {
                if (!(cls = PyObject_GetAttr(function, s_class_name))) {
                    goto next;
                }
                int has = truthy_str(cls);
                if (has < 0) {
                    goto next;
                }
                if (has) {
                    int set = task_type == creation_type;
                    if (!set) {
                        int in = PyDict_Contains(classes, actor);
                        if (in < 0) {
                            goto next;
                        }
                        set = !in;
                    }
                    if (set && PyDict_SetItem(classes, actor, cls) < 0) {
                        goto next;
                    }
                }
            }
            int has = truthy_str(language);
            if (has < 0 || (has && !PyDict_SetDefault(languages, actor, language))) {
                goto next;
            }
            PyObject *now[4] = {actor, function, task_type, language};
            for (int i = 0; i < 4; i++) {
                Py_XSETREF(memo[i], Py_NewRef(now[i]));
            }
        }
        ok = 1;
    next:
        Py_XDECREF(task_type);
        Py_XDECREF(job);
        Py_XDECREF(function);
        Py_XDECREF(actor);
        Py_XDECREF(module);
        Py_XDECREF(cls);
        Py_XDECREF(language);
        if (held) {
            Py_DECREF(tid);
            Py_DECREF(task);
        }
        if (!ok) {
            goto done;
        }
    }
    out = PyTuple_Pack(8, dropped, job_ids, modules, classes, languages, actor_ids, later,
                       renamed);
done:
    sw_ptrmap_free(&seen);
    sw_ptrmap_free(&named);
    for (int i = 0; i < 4; i++) {
        Py_XDECREF(memo[i]);
    }
    Py_XDECREF(keep);
    Py_XDECREF(last_job);
    Py_XDECREF(last_actor);
    Py_XDECREF(dropped);
    Py_XDECREF(job_ids);
    Py_XDECREF(modules);
    Py_XDECREF(classes);
    Py_XDECREF(languages);
    Py_XDECREF(actor_ids);
    Py_XDECREF(later);
    Py_XDECREF(renamed);
    return out;
}
