/* flowinsight.pipeline._sweep: the module, its functions and the interned names the parts
   read records with (see sweep.h for what each part holds). */

#include "sweep.h"

PyObject *s_parent_task_id, *s_attempts, *s_submit_ms, *s_number, *s_state_keys, *s_state_ns,
    *s_node_id, *s_worker_id, *s_worker_pid, *s_error_type, *s_error_message, *s_span_names,
    *s_span_ns, *s_execute, *s_task_type, *s_language, *s_actor_id, *s_job_id, *s_function;

static PyMethodDef methods[] = {
    {"facts", sw_facts, METH_VARARGS,
     "facts(tasks, cache, shapes, node_of, no_actor, driver_type, has_export, sweep=False): "
     "the nodes' facts and the coverage counts of the task records "
     "(flowinsight/pipeline/facts.py); with sweep, and the columns of sweep.c for them, swept in "
     "the same pass (None without), and the tasks their shape names left out of cache "
     "(NodeNamer.by_shape)."},
    {"critical", sw_critical, METH_VARARGS,
     "critical(task_ids, numbers, start_ns, end_ns, parents, nodes, job_of, jobs_of=None): "
     "each job's critical path as (job, [(node, task, exec_ms)], total_ms) (critical.py), "
     "for columns in task id order (None for any other: critical_paths_py's to answer); "
     "jobs_of, when given, is what job_of says, read in C: jobs_of.get(t) or job_of_task(t)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "flowinsight.pipeline._sweep",
    "The analysis sweep over task records, in C (see pipeline/native.py).", -1, methods,
};

PyMODINIT_FUNC PyInit__sweep(void)
{
    struct {
        PyObject **slot;
        const char *text;
    } names[] = {
        {&s_parent_task_id, "parent_task_id"}, {&s_attempts, "attempts"},
        {&s_submit_ms, "submit_ms"}, {&s_number, "number"}, {&s_state_keys, "state_keys"},
        {&s_state_ns, "state_ns"}, {&s_node_id, "node_id"}, {&s_worker_id, "worker_id"},
        {&s_worker_pid, "worker_pid"}, {&s_error_type, "error_type"},
        {&s_error_message, "error_message"}, {&s_span_names, "span_names"},
        {&s_span_ns, "span_ns"}, {&s_execute, "task:execute"}, {&s_task_type, "task_type"},
        {&s_language, "language"}, {&s_actor_id, "actor_id"}, {&s_job_id, "job_id"},
        {&s_function, "function"},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (!(*names[i].slot = PyUnicode_InternFromString(names[i].text))) {
            return NULL;
        }
    }
    PyObject *task_fields[T_FIELDS] = {s_parent_task_id, s_attempts, s_submit_ms, s_task_type,
                                       s_language, s_job_id, s_actor_id, s_function};
    PyObject *attempt_fields[A_FIELDS] = {s_number, s_state_keys, s_state_ns, s_node_id,
                                          s_worker_id, s_worker_pid, s_error_type,
                                          s_error_message, s_span_names, s_span_ns};
    memcpy(sw_task_names, task_fields, sizeof(task_fields));
    memcpy(sw_attempt_names, attempt_fields, sizeof(attempt_fields));
    return PyModule_Create(&module);
}
