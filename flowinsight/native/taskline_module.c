/* flowinsight.read._taskline: the method table and module init (the tables every part
   reads are filled here, once). What the module does is said in taskline.h. */

#include "taskline.h"

static PyMethodDef METHODS[] = {
    {"decode", ft_decode, METH_O,
     "decode(line: bytes, /) -> tuple | None\n\n"
     "One EXPORT_TASK line to (event_id, task_id, attempt, job_id, task_type, func_name,\n"
     "language, parent_task_id, actor_id, states, node_id, worker_id, worker_pid,\n"
     "error_type, error_message, component_type, spans), or None when not sure."},
    {"decode_task", ft_decode_task, METH_O,
     "decode_task(line: bytes, /) -> tuple[str | None, TaskUpdate] | None\n\n"
     "The same line to (event_id, TaskUpdate), the objects built here with the classes given to\n"
     "configure(); None when not sure."},
    {"decode_block", ft_decode_block, METH_O,
     "decode_block(lines: list[bytes], /) -> tuple[list[TaskUpdate], list[str | None], list[int]]"
     "\n\nDecode_task over a block: the decoded lines' events and event ids, in order, and the\n"
     "indexes of the lines it did not decode."},
    {"decode_buffer", ft_decode_buffer, METH_VARARGS,
     "decode_buffer(buffer, start, end, digests, /) -> tuple[list[TaskUpdate], list | bytes,\n"
     "    list[tuple[int, int, int]], int]\n\n"
     "Decode_task over the lines of buffer[start:end] (writable; each line ends with b'\\n'):\n"
     "the decoded lines' events, their event ids (with `digests`, the digests of the non-empty\n"
     "ones as native uint64s instead), (index, start, stop) of each line not decoded, and the\n"
     "number of lines."},
    {"decode_buffer_batches", ft_decode_buffer_batches, METH_VARARGS,
     "decode_buffer_batches(buffer, start, end, digests, /) -> tuple[list[TaskBatch],\n"
     "    list | bytes, list[tuple[int, int, int]], int]\n\n"
     "Decode_buffer with the decoded lines kept packed: one TaskBatch before each line not\n"
     "decoded and one after the last (some empty); batch[i] is the TaskUpdate of its line."},
    {"count_skipped", ft_count_skipped, METH_VARARGS,
     "count_skipped(buffer, start, stop, examples, /) -> tuple[int, int, int, int,\n"
     "    list[tuple[int, int, int]]]\n\n"
     "The lines of a run of blank and skipped lines declined as one range (buffer[start:stop]\n"
     "and the newline at stop; writable): (blank lines, not_json, invalid_utf8 and not_object\n"
     "lines, and (line within the run, start, stop) of the first `examples` skipped lines,\n"
     "not counted)."},
    {"digests", ft_digests, METH_O,
     "digests(ids: list, /) -> bytes\n\n"
     "crc32 << 32 | adler32 of the UTF-8 of each non-empty str id, as native uint64s."},
    {"line_digests", ft_line_digests, METH_O,
     "line_digests(lines: list[bytes], /) -> bytes\n\n"
     "len << 32 | crc32 of each line, as native uint64s (digests.line_digest)."},
    {"sort_digests", ft_sort_digests, METH_O,
     "sort_digests(data, /) -> tuple[bytes, bool]\n\n"
     "The uint64s of `data`, sorted, and whether any value occurs twice."},
    {"configure", ft_configure, METH_VARARGS,
     "configure(task_update, task_setters, span, span_setters, task_types, parse_descriptor)\n\n"
     "The classes decode_task builds: TaskUpdate and the descriptors of its 16 fields in the\n"
     "order of decode()'s tuple (task_id .. spans, function for func_name), Span and those of\n"
     "its 3 fields, the TaskType members in the order NORMAL_TASK, ACTOR_TASK,\n"
     "ACTOR_CREATION_TASK, DRIVER_TASK, and parse_descriptor_cached."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef MODULE = {
    PyModuleDef_HEAD_INIT, "flowinsight.read._taskline",
    "A native decoder for EXPORT_TASK lines (see flowinsight.read.native).", -1, METHODS,
};

PyMODINIT_FUNC PyInit__taskline(void)
{
    ft_crc_init();
    ft_init_lexer();
    if (ft_init_strings() < 0 || ft_init_objects() < 0)
        return NULL;
    PyObject *module = PyModule_Create(&MODULE);
    if (module && ft_init_batch(module) < 0)
        Py_CLEAR(module);
    return module;
}
