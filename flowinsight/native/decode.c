/* A line's bytes through the parser (fields.c) and the builder (objects.c), for a batch
   (batch.c); the line is declined (for the Python path) whenever the parser is not sure. */

#include "taskline.h"

/* A line's bytes (data[size] is a NUL) read to its fields: 0 with f[] filled, BAIL, or ERR.
   With `digest`, the event id is not made a str: *digest gets its digest (*has_digest = 0
   for a null, absent or empty id) and f[F_EVENT_ID] is None. The parsed line stays in *t and
   its scratch in *scratch for the caller (the batch takes the attempt, states, pid and spans
   from it, packed), who frees both with ft_task_done whatever the outcome. */
int ft_decode_fields(const unsigned char *data, Py_ssize_t size, PyObject **f, uint64_t *digest,
                     int *has_digest, Task *t, unsigned char **scratch)
{
    Ctx c = {data, data, data + size, 0, NULL, 0};
    memset(t, 0, offsetof(Task, state_ns));
    t->task_type = -1;
    t->spans = t->spans_local;
    t->nspans = 0;
    t->spans_cap = LOCAL_SPANS;
    int r = ft_parse_line(&c, t);
    if (r > 0)
        r = BAIL; /* never: a parser that stopped early has not seen the whole line */
    if (!r && digest) {
        /* the decoded bytes are the UTF-8 of the str ft_build would make (surrogates bail) */
        r = unescape(&c, &t->event_id);
        *has_digest = !r && t->has_event_id && t->event_id.n > 0;
        if (*has_digest)
            *digest = ft_digest(t->event_id.p, t->event_id.n);
        t->has_event_id = 0;
    }
    if (!r)
        r = ft_build(&c, t, f);
    *scratch = c.scratch;
    return r;
}

void ft_task_done(Task *t, unsigned char *scratch)
{
    if (t->spans != t->spans_local)
        PyMem_Free(t->spans);
    t->spans = t->spans_local;
    if (scratch)
        PyMem_Free(scratch);
}

int ft_line_result(int r, PyObject **f)
{
    if (r == ERR && PyErr_ExceptionMatches(PyExc_Exception)) {
        /* as task_line: what surprises this path (parse_descriptor) is the Python path's */
        PyErr_Clear();
        r = BAIL;
    }
    for (int i = 0; i < N_FIELDS; i++)
        Py_XDECREF(f[i]);
    return r == BAIL ? 0 : r == ERR ? -1 : 1;
}
