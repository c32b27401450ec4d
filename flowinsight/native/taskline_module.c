/* flowinsight.read._taskline: the method table and module init (the tables every part
   reads are filled here, once). What the module does is said in taskline.h. */

#include "taskline.h"

static PyMethodDef METHODS[] = {
    {"decode_buffer_batches", ft_decode_buffer_batches, METH_VARARGS,
     "decode_buffer_batches(buffer, start, end, digests, /) -> tuple[list[TaskBatch],\n"
     "    list | bytes, list[tuple[int, int, int]], int]\n\n"
     "The EXPORT_TASK lines of buffer[start:end] (writable; each line ends with b'\\n'),\n"
     "decoded and kept packed: one TaskBatch before each line not decoded and one after the\n"
     "last (some empty; batch[i] is the TaskUpdate of its line); their event ids (with\n"
     "`digests`, the digests of the non-empty ones as native uint64s instead, each followed by\n"
     "its line's), (index, start, stop) of each line not decoded (a run of blank and skipped\n"
     "lines: one range), and the number of lines."},
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
     "The classes a batch builds: TaskUpdate and the descriptors of its 16 fields in the\n"
     "order task_id .. spans (function for func_name), Span and those of\n"
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
    if (ft_init_strings() < 0)
        return NULL;
    PyObject *module = PyModule_Create(&MODULE);
    if (module && ft_init_batch(module) < 0)
        Py_CLEAR(module);
    return module;
}
