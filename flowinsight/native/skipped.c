/* count_skipped: the lines of a run of blank and skipped lines that decode_buffer_batches declined as
   one range (ft_skip_run), counted as the reader's Python path would count them one by one:
   blank; junk (ft_skipped_line) as "invalid_utf8" when bytes.decode() would fail, else as
   "not_json" (orjson refuses a line that starts with JUNK_START at once); a JSON value that
   is not an object as "not_object". The first few skipped lines are handed back instead,
   for the reader to take as examples through its Python path, which gives their detail
   text. */

#include "taskline.h"

/* Whether bytes.decode() (strict UTF-8) takes p[0:n]: no overlong form, no surrogate, nothing
   past U+10FFFF, no sequence cut short. */
static int utf8_valid(const unsigned char *p, const unsigned char *e)
{
    while (p < e) {
        unsigned char b = *p;
        if (b < 0x80) {
            p++;
            continue;
        }
        int more;
        unsigned char lo = 0x80, hi = 0xBF; /* the second byte's range */
        if (b >= 0xC2 && b <= 0xDF) {
            more = 1;
        } else if (b >= 0xE0 && b <= 0xEF) {
            more = 2;
            if (b == 0xE0)
                lo = 0xA0; /* overlong */
            else if (b == 0xED)
                hi = 0x9F; /* surrogates */
        } else if (b >= 0xF0 && b <= 0xF4) {
            more = 3;
            if (b == 0xF0)
                lo = 0x90; /* overlong */
            else if (b == 0xF4)
                hi = 0x8F; /* past U+10FFFF */
        } else {
            return 0;
        }
        if (e - p <= more || p[1] < lo || p[1] > hi)
            return 0;
        for (int i = 2; i <= more; i++)
            if (p[i] < 0x80 || p[i] > 0xBF)
                return 0;
        p += more + 1;
    }
    return 1;
}

int ft_skipped_line(unsigned char *line, unsigned char *nl)
{
    unsigned char *p = line;
    while (p < nl && (*p == ' ' || *p == '\t' || *p == '\r'))
        p++;
    if (p == nl || *p == '{')
        return 0;
    if (JUNK_START[*p])
        return SKIP_JUNK;
    *nl = 0; /* where the lexer stops */
    Ctx c = {p, line, nl, 0, NULL, 0};
    int r = ft_skip_value(&c);
    *nl = '\n';
    if (r)
        return 0; /* not sure (BAIL), or memory (ERR: the decoder meets it again) */
    while (c.p < nl && (*c.p == ' ' || *c.p == '\t' || *c.p == '\r'))
        c.p++;
    return c.p == nl ? SKIP_VALUE : 0;
}

static int is_blank(const unsigned char *p, const unsigned char *e)
{
    for (; p < e; p++)
        if (!(*p == ' ' || *p == '\t' || *p == '\r' || *p == '\v' || *p == '\f'))
            return 0;
    return 1;
}

PyObject *ft_count_skipped(PyObject *module, PyObject *args)
{
    (void)module;
    PyObject *obj, *firsts = NULL, *out = NULL;
    Py_ssize_t start, stop, want;
    Py_buffer view;
    if (!PyArg_ParseTuple(args, "Onnn", &obj, &start, &stop, &want))
        return NULL;
    /* writable: a value's newline is made the NUL the lexer stops at, then put back */
    if (PyObject_GetBuffer(obj, &view, PyBUF_WRITABLE) < 0)
        return NULL;
    unsigned char *buf = view.buf;
    if (start < 0 || start > stop || stop >= view.len || buf[stop] != '\n') {
        PyErr_SetString(PyExc_ValueError, "count_skipped: want a range followed by a newline");
        goto done;
    }
    if (!(firsts = PyList_New(0)))
        goto done;
    Py_ssize_t blank = 0, not_json = 0, invalid = 0, not_object = 0, line = 0;
    for (Py_ssize_t at = start; at <= stop; line++) {
        unsigned char *nl = memchr(buf + at, '\n', (size_t)(stop + 1 - at));
        Py_ssize_t e = nl - buf;
        int kind = 0;
        if (is_blank(buf + at, nl)) {
            blank++;
        } else if (!(kind = ft_skipped_line(buf + at, nl))) {
            PyErr_SetString(PyExc_ValueError, "count_skipped: a line the reader must read");
            goto done;
        } else if (PyList_GET_SIZE(firsts) < want) {
            if (ft_push_miss(firsts, line, at, e) < 0)
                goto done;
        } else if (kind == SKIP_VALUE) {
            not_object++;
        } else if (utf8_valid(buf + at, nl)) {
            not_json++;
        } else {
            invalid++;
        }
        at = e + 1;
    }
    out = Py_BuildValue("(nnnnO)", blank, not_json, invalid, not_object, firsts);
done:
    PyBuffer_Release(&view);
    Py_XDECREF(firsts);
    return out;
}
