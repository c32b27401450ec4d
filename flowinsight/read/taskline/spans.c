/* profile_events: its component type, and the spans of the executor task_fast keeps (the
   `task::<name>` span and task:execute, task:deserialize_arguments, task:store_outputs), each
   with its start and end. */

#include "taskline.h"

static int add_span(Task *t, const Slice *name, int64_t start, int64_t end)
{
    if (t->nspans == t->spans_cap) {
        Py_ssize_t cap = t->spans_cap * 4;
        SpanRec *more;
        if (t->spans == t->spans_local) {
            more = PyMem_Malloc((size_t)cap * sizeof(SpanRec));
            if (more)
                memcpy(more, t->spans, (size_t)t->nspans * sizeof(SpanRec));
        } else {
            more = PyMem_Realloc(t->spans, (size_t)cap * sizeof(SpanRec));
        }
        if (!more) {
            PyErr_NoMemory();
            return ERR;
        }
        t->spans = more;
        t->spans_cap = cap;
    }
    SpanRec *s = &t->spans[t->nspans++];
    s->name = *name;
    s->start = start;
    s->end = end > start ? end : start;
    return 0;
}

static int parse_profile_event(Ctx *c, Task *t)
{
    int more = 0, r, start_ok = 0, end_ok = 0;
    unsigned seen = 0;
    Slice k, name;
    int64_t start = 0, end = 0;
    if ((r = obj_open(c)))
        return r;
    while ((r = obj_next(c, &more, &k)) == 1) {
        r = 0;
        if (k.esc)
            return BAIL;
        if (KEY(k, "event_name")) {
            ONCE(1);
            if (*c->p != '"')
                return BAIL;
            r = parse_string(c, &name);
        } else if (KEY(k, "start_time")) {
            ONCE(2);
            r = ft_time_value(c, &start, &start_ok);
        } else if (KEY(k, "end_time")) {
            ONCE(4);
            r = ft_time_value(c, &end, &end_ok);
        } else {
            r = ft_skip_value(c);
        }
        if (r)
            return r;
    }
    if (r < 0)
        return r;
    if (!(seen & 1))
        return BAIL;
    if ((r = unescape(c, &name)))
        return r;
    if (name.n >= 6 && bytes_eq(name.p, "task:", 5)
        && (name.p[5] == ':' || str_is(&name, "task:execute", 12)
            || str_is(&name, "task:deserialize_arguments", 26)
            || str_is(&name, "task:store_outputs", 18))) {
        if (!start_ok || !end_ok)
            return BAIL;
        return add_span(t, &name, start, end);
    }
    return 0;
}

int ft_parse_profile(Ctx *c, Task *t)
{
    int more = 0, r;
    unsigned seen = 0;
    Slice k;
    if ((r = obj_open(c)))
        return r;
    while ((r = obj_next(c, &more, &k)) == 1) {
        r = 0;
        if (k.esc)
            return BAIL;
        if (KEY(k, "component_type")) {
            ONCE(1);
            r = opt_str(c, &t->component, &t->has_component);
        } else if (KEY(k, "events")) {
            ONCE(2);
            if (lit(c, "null", 4))
                continue;
            if (*c->p != '[')
                return BAIL;
            if ((r = obj_open(c)))
                return r;
            if (*c->p == ']') {
                c->p++;
                c->depth--;
                continue;
            }
            for (;;) {
                if (*c->p != '{')
                    return BAIL;
                if ((r = parse_profile_event(c, t)))
                    return r;
                WS(c->p);
                if (*c->p == ',') {
                    c->p++;
                    WS(c->p);
                } else if (*c->p == ']') {
                    c->p++;
                    c->depth--;
                    break;
                } else {
                    return BAIL;
                }
            }
        } else {
            r = ft_skip_value(c);
        }
        if (r)
            return r;
    }
    return r;
}
