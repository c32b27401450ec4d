/* profile_events: its component type, and the spans of the executor task_line keeps (the
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

/* One profile event's fields, as its members are read. */
typedef struct {
    Slice name;
    int64_t start, end;
    int has_name, start_ok, end_ok;
} ProfileEvent;

static int profile_event_member(Ctx *c, Slice k, unsigned *seen, void *state)
{
    ProfileEvent *e = state;
    if (KEY(k, "event_name")) {
        ONCE(1);
        if (*c->p != '"')
            return BAIL;
        e->has_name = 1;
        return parse_string(c, &e->name);
    }
    if (KEY(k, "start_time")) {
        ONCE(2);
        return ft_time_value(c, &e->start, &e->start_ok);
    }
    if (KEY(k, "end_time")) {
        ONCE(4);
        return ft_time_value(c, &e->end, &e->end_ok);
    }
    return ft_skip_member(c, k);
}

static int parse_profile_event(Ctx *c, void *state)
{
    Task *t = state;
    ProfileEvent e = {{NULL, 0, 0}, 0, 0, 0, 0, 0};
    int r;
    if (*c->p != '{')
        return BAIL;
    if ((r = each_member(c, profile_event_member, &e)))
        return r;
    if (!e.has_name)
        return BAIL;
    Slice *name = &e.name;
    if ((r = unescape(c, name)))
        return r;
    if (name->n >= 6 && bytes_eq(name->p, "task:", 5)
        && (name->p[5] == ':' || str_is(name, "task:execute", 12)
            || str_is(name, "task:deserialize_arguments", 26)
            || str_is(name, "task:store_outputs", 18))) {
        if (!e.start_ok || !e.end_ok)
            return BAIL;
        return add_span(t, name, e.start, e.end);
    }
    return 0;
}

static int profile_member(Ctx *c, Slice k, unsigned *seen, void *state)
{
    Task *t = state;
    if (KEY(k, "component_type")) {
        ONCE(1);
        return opt_str(c, &t->component, &t->has_component);
    }
    if (KEY(k, "events")) {
        ONCE(2);
        if (lit(c, "null", 4))
            return 0;
        if (*c->p != '[')
            return BAIL;
        return each_item(c, parse_profile_event, t);
    }
    return ft_skip_member(c, k);
}

int ft_parse_profile(Ctx *c, Task *t)
{
    return each_member(c, profile_member, t);
}
