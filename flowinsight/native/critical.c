/* Each job's critical path (flowinsight/pipeline/critical.py: critical_paths_py is the
   reference): the chain of calls, from the driver down, whose executions add up to the most
   time, over the attempt columns the sweep made, in task id order (critical_runs.c). Columns in
   another order (none the C sweep makes) get None: the caller takes the Python reference. */

#include "sweep.h"

PyObject *sw_critical(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *task_ids, *numbers_b, *starts_b, *ends_b, *parents, *nodes, *job_of,
        *jobs_of = Py_None;
    if (!PyArg_ParseTuple(args, "O!SSSO!O!O|O", &PyList_Type, &task_ids, &numbers_b,
                          &starts_b, &ends_b, &PyList_Type, &parents, &PyList_Type, &nodes,
                          &job_of, &jobs_of)) {
        return NULL;
    }
    if (jobs_of != Py_None && !PyDict_Check(jobs_of)) {
        PyErr_SetString(PyExc_TypeError, "critical: jobs_of is a dict or None");
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(task_ids);
    if (PyBytes_GET_SIZE(numbers_b) != 8 * n || PyBytes_GET_SIZE(starts_b) != 8 * n
        || PyBytes_GET_SIZE(ends_b) != 8 * n || PyList_GET_SIZE(parents) != n
        || PyList_GET_SIZE(nodes) != n) {
        PyErr_SetString(PyExc_ValueError, "critical: columns of different lengths");
        return NULL;
    }
    const int64_t *numbers = (const int64_t *)PyBytes_AS_STRING(numbers_b);
    PyObject *found = NULL;
    int runs = sw_critical_runs(task_ids, numbers, (const int64_t *)PyBytes_AS_STRING(starts_b),
                                (const int64_t *)PyBytes_AS_STRING(ends_b), parents, nodes,
                                job_of, jobs_of == Py_None ? NULL : jobs_of, &found);
    if (runs == 0) {
        Py_RETURN_NONE; /* not in task id order: the caller takes critical_paths_py */
    }
    return runs > 0 ? found : NULL;
}
