/* A parsed line to the field values of its TaskUpdate, with the classes configure() hands
   over: the TaskType member, the FunctionRef (parse_descriptor_cached's, remembered); and the
   TaskUpdate and Span objects a batch's item builds (batch.c). */

#include "taskline.h"

static int opt_out_str(Ctx *c, Slice *s, unsigned char present, PyObject **out)
{
    int r;
    if (!present) {
        *out = Py_NewRef(EMPTY);
        return 0;
    }
    if ((r = unescape(c, s)))
        return r;
    *out = ft_cached_str(s);
    return *out ? 0 : ERR;
}

/* What a batch builds its objects with: set by configure(). */
PyObject *TASK_CLS, *TASK_SET[16];
static PyObject *SPAN_CLS, *SPAN_SET[3], *TYPE_MEMBERS[4], *PARSE_DESC;

PyObject *ft_new_instance(PyObject *cls, PyObject **setters, PyObject **values, int n)
{
    /* object.__new__(cls), then each slot through its own descriptor: what
       flowinsight.model.fast_init does in Python */
    static PyObject *no_args;
    if (!no_args && !(no_args = PyTuple_New(0)))
        return NULL;
    PyObject *obj = PyBaseObject_Type.tp_new((PyTypeObject *)cls, no_args, NULL);
    if (!obj)
        return NULL;
    for (int i = 0; i < n; i++) {
        if (Py_TYPE(setters[i])->tp_descr_set(setters[i], obj, values[i]) < 0) {
            Py_DECREF(obj);
            return NULL;
        }
    }
    return obj;
}

PyObject *ft_make_span(PyObject *name, int64_t start, int64_t end)
{
    PyObject *v[3] = {Py_NewRef(name), PyLong_FromLongLong(start), PyLong_FromLongLong(end)};
    PyObject *span = v[1] && v[2] ? ft_new_instance(SPAN_CLS, SPAN_SET, v, 3) : NULL;
    for (int j = 0; j < 3; j++)
        Py_XDECREF(v[j]);
    return span;
}

/* Function descriptors: parse_descriptor_cached's answers, keyed by the name's identity (the
   names come from the string table above, so a recurring one is the same object) and the task
   type. parse_descriptor is a pure function: a remembered answer is the answer.
   A ref without a name (a descriptor that names no function: Ray's always name one) is not
   merged twice as once (tasks._add_function), which the parallel reader's handling of events
   read twice must see per event: the line is declined (BAIL), for the Python path. */
#define FN_SLOTS 256
typedef struct {
    PyObject *name, *ref;
    int type, nameless;
} FnEntry;
static FnEntry FN_CACHE[FN_SLOTS];

static PyObject *function_of(PyObject *name, int type, int *nameless)
{
    FnEntry *e = &FN_CACHE[(((uintptr_t)name >> 4) ^ (uintptr_t)type * 0x9E37u) & (FN_SLOTS - 1)];
    if (e->name == name && e->type == type) {
        *nameless = e->nameless;
        return Py_NewRef(e->ref);
    }
    PyObject *args[2] = {name, TYPE_MEMBERS[type]};
    PyObject *ref = PyObject_Vectorcall(PARSE_DESC, args, 2, NULL);
    if (!ref)
        return NULL;
    PyObject *fname = PyObject_GetAttrString(ref, "name");
    if (!fname) {
        Py_DECREF(ref);
        return NULL;
    }
    int empty = PyObject_Not(fname);
    Py_DECREF(fname);
    if (empty < 0) {
        Py_DECREF(ref);
        return NULL;
    }
    PyObject *old_name = e->name, *old_ref = e->ref;
    e->name = Py_NewRef(name);
    e->ref = Py_NewRef(ref);
    e->type = type;
    e->nameless = *nameless = empty;
    Py_XDECREF(old_name);
    Py_XDECREF(old_ref);
    return ref;
}

/* flowinsight.model.ids.infer_task_type of a 48-hex task id, as an index into TYPE_NAMES. */
static int infer_type(PyObject *task_id)
{
    const Py_UCS1 *d = PyUnicode_1BYTE_DATA(task_id);
    int unique_nil = 1, actor_nil = 1;
    for (int i = 0; i < 16; i++)
        unique_nil &= d[i] == 'f';
    for (int i = 16; i < 40; i++)
        actor_nil &= d[i] == 'f';
    if (actor_nil)
        return unique_nil ? 3 : 0; /* DRIVER_TASK : NORMAL_TASK */
    return unique_nil ? 2 : 1;     /* ACTOR_CREATION_TASK : ACTOR_TASK */
}

/* The fields of a parsed line, all but the attempt, states, worker_pid and spans (left NULL),
   which a batch holds packed (batch.c). */
int ft_build(Ctx *c, Task *t, PyObject **f)
{
    int r;
    Slice *s;
    /* ids first: the ones that may still bail */
    if ((r = ft_b64_id(c, &t->task_id, 24, &TASK_IDS, &f[F_TASK_ID])))
        return r;
    if (PyUnicode_GET_LENGTH(f[F_TASK_ID]) == 0)
        return BAIL; /* a nil task id: the reference steps aside */
    if (t->has_parent) {
        if ((r = ft_b64_id(c, &t->parent, 24, &TASK_IDS, &f[F_PARENT])))
            return r;
    } else {
        f[F_PARENT] = Py_NewRef(EMPTY);
    }
    if (t->has_actor) {
        if ((r = ft_b64_id(c, &t->actor, 16, &ACTOR_IDS, &f[F_ACTOR])))
            return r;
    } else {
        f[F_ACTOR] = Py_NewRef(EMPTY);
    }
    if (t->has_node) {
        if ((r = ft_b64_id(c, &t->node, 28, &NODE_IDS, &f[F_NODE])))
            return r;
    } else {
        f[F_NODE] = Py_NewRef(EMPTY);
    }
    if (t->has_worker) {
        if ((r = ft_b64_id(c, &t->worker, 28, &NODE_IDS, &f[F_WORKER])))
            return r;
    } else {
        f[F_WORKER] = Py_NewRef(EMPTY);
    }
    if (t->has_job) {
        if ((r = ft_b64_id(c, &t->job, 4, &JOB_IDS, &f[F_JOB])))
            return r;
    }
    if (!f[F_JOB] || PyUnicode_GET_LENGTH(f[F_JOB]) == 0) {
        /* absent, null, empty or nil: the job of the task id (its last 4 bytes) */
        Py_XDECREF(f[F_JOB]);
        f[F_JOB] = PyUnicode_Substring(f[F_TASK_ID], 40, 48);
        if (!f[F_JOB])
            return ERR;
    }
    /* language: ASCII uppercased (a non-ASCII one would need str.upper's rules) */
    if (t->has_info && t->has_lang) {
        s = &t->lang;
        if ((r = unescape(c, s)))
            return r;
        if (s->nonascii || s->n > 64)
            return BAIL;
        unsigned char up[64];
        for (Py_ssize_t i = 0; i < s->n; i++) {
            unsigned char ch = s->p[i];
            up[i] = (ch >= 'a' && ch <= 'z') ? (unsigned char)(ch - 32) : ch;
        }
        Slice u = {up, s->n, 0, 0};
        if (!(f[F_LANG] = ft_cached_str(&u)))
            return ERR;
    } else {
        f[F_LANG] = Py_NewRef(EMPTY);
    }
    if (t->has_event_id) {
        if ((r = unescape(c, &t->event_id)))
            return r;
        if (!(f[F_EVENT_ID] = ft_make_str(&t->event_id)))
            return ERR;
    } else {
        f[F_EVENT_ID] = Py_NewRef(Py_None);
    }
    if (t->has_info) {
        f[F_TYPE] = Py_NewRef(TYPE_MEMBERS[t->task_type]);
        if ((r = unescape(c, &t->func)))
            return r;
        if (!(f[F_FUNC] = ft_cached_str(&t->func)))
            return ERR;
        int nameless = 0;
        PyObject *function = function_of(f[F_FUNC], t->task_type, &nameless);
        if (!function)
            return ERR;
        Py_SETREF(f[F_FUNC], function);
        if (nameless)
            return BAIL;
    } else {
        f[F_TYPE] = Py_NewRef(Py_None);
        f[F_FUNC] = Py_NewRef(Py_None);
    }
    /* attempt, states, pid and spans: the batch's (batch.c) */
    if ((r = opt_out_str(c, &t->etype, t->has_etype, &f[F_ETYPE])))
        return r;
    if (t->has_emsg) {
        if ((r = unescape(c, &t->emsg)))
            return r;
        if (!(f[F_EMSG] = ft_make_str(&t->emsg)))
            return ERR;
    } else {
        f[F_EMSG] = Py_NewRef(EMPTY);
    }
    if ((r = opt_out_str(c, &t->component, t->has_component, &f[F_COMPONENT])))
        return r;
    if (!t->has_info) {
        /* as task_line: the executor's `task::<name>` span names a task whose definition was
           lost; its loop leaves the function of the last such span */
        for (Py_ssize_t i = t->nspans - 1; i >= 0; i--) {
            Slice name = t->spans[i].name;
            if (name.p[5] != ':')
                continue;
            Slice rest = {name.p + 6, name.n - 6, 0, name.nonascii};
            PyObject *text = ft_cached_str(&rest);
            if (!text)
                return ERR;
            int nameless = 0;
            PyObject *function = function_of(text, infer_type(f[F_TASK_ID]), &nameless);
            Py_DECREF(text);
            if (!function)
                return ERR;
            if (nameless) {
                Py_DECREF(function);
                return BAIL;
            }
            Py_SETREF(f[F_FUNC], function);
            break;
        }
    }
    return 0;
}

static int setters_of(PyObject *seq, PyObject **out, Py_ssize_t n)
{
    if (!PyTuple_Check(seq) || PyTuple_GET_SIZE(seq) != n) {
        PyErr_Format(PyExc_TypeError, "want a tuple of %zd descriptors", n);
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *d = PyTuple_GET_ITEM(seq, i);
        if (!Py_TYPE(d)->tp_descr_set) {
            PyErr_SetString(PyExc_TypeError, "not a data descriptor");
            return -1;
        }
    }
    for (Py_ssize_t i = 0; i < n; i++)
        Py_XSETREF(out[i], Py_NewRef(PyTuple_GET_ITEM(seq, i)));
    return 0;
}

PyObject *ft_configure(PyObject *module, PyObject *args)
{
    (void)module;
    PyObject *task_cls, *task_set, *span_cls, *span_set, *types, *parse;
    if (!PyArg_ParseTuple(args, "O!OO!OOO:configure", &PyType_Type, &task_cls, &task_set,
                          &PyType_Type, &span_cls, &span_set, &types, &parse))
        return NULL;
    if (!PyTuple_Check(types) || PyTuple_GET_SIZE(types) != 4 || !PyCallable_Check(parse)) {
        PyErr_SetString(PyExc_TypeError, "want the 4 task types and a callable");
        return NULL;
    }
    if (setters_of(task_set, TASK_SET, 16) || setters_of(span_set, SPAN_SET, 3))
        return NULL;
    for (int i = 0; i < 4; i++)
        Py_XSETREF(TYPE_MEMBERS[i], Py_NewRef(PyTuple_GET_ITEM(types, i)));
    Py_XSETREF(TASK_CLS, Py_NewRef(task_cls));
    Py_XSETREF(SPAN_CLS, Py_NewRef(span_cls));
    Py_XSETREF(PARSE_DESC, Py_NewRef(parse));
    for (int i = 0; i < FN_SLOTS; i++) {
        Py_CLEAR(FN_CACHE[i].name);
        Py_CLEAR(FN_CACHE[i].ref);
    }
    Py_RETURN_NONE;
}
