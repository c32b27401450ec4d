/* The structure of an EXPORT_TASK line: which keys of which objects the reference reads, each
   read once (a repeated one bails), the others skipped; and the integer and time values those
   keys hold. profile_events is in spans.c. */

#include "taskline.h"

const char *const TYPE_NAMES[4] = {"NORMAL_TASK", "ACTOR_TASK", "ACTOR_CREATION_TASK",
                                   "DRIVER_TASK"};

/* A JSON integer the reference keeps: 0..2**63-1 (negative ones bail: rare, and allowed). */
static int num_i63(const Num *n, int64_t *out)
{
    if (!n->is_int || n->neg || n->ndig > 19 || n->val > I63)
        return BAIL;
    *out = (int64_t)n->val;
    return 0;
}

#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SWAR_DIGITS 1
/* Eight ASCII digits at p (the first the most significant) to their value; 0 if one is not a
   digit. */
static inline int eight_digits(const unsigned char *p, uint64_t *out)
{
    uint64_t v;
    memcpy(&v, p, 8);
    if (((v & 0xF0F0F0F0F0F0F0F0ULL) | (((v + 0x0606060606060606ULL) & 0xF0F0F0F0F0F0F0F0ULL) >> 4))
        != 0x3333333333333333ULL)
        return 0;
    v -= 0x3030303030303030ULL;
    v = v * 10 + (v >> 8);
    v = (((v & 0x000000FF000000FFULL) * 0x000F424000000064ULL)
         + (((v >> 16) & 0x000000FF000000FFULL) * 0x0000271000000001ULL)) >> 32;
    *out = v;
    return 1;
}
#endif

/* int(s) of a decimal string as the reference does it, for [0-9]{1,19} up to 2**63-1. */
static int digits_i63(const Slice *s, int64_t *out)
{
    if (s->esc || s->n < 1 || s->n > 19)
        return BAIL;
    uint64_t v = 0;
    Py_ssize_t i = 0;
#ifdef SWAR_DIGITS
    for (; s->n - i >= 8; i += 8) {
        uint64_t eight;
        if (!eight_digits(s->p + i, &eight))
            return BAIL;
        v = v * 100000000u + eight;
    }
#endif
    for (; i < s->n; i++) {
        if (!IS_DIGIT(s->p[i]))
            return BAIL;
        v = v * 10 + (uint64_t)(s->p[i] - '0');
    }
    if (v > I63)
        return BAIL;
    *out = (int64_t)v;
    return 0;
}

/* null (*present = 0) or an integer kept as is (attempt_number, worker_pid). */
static int opt_int(Ctx *c, int64_t *out, unsigned char *present)
{
    if (lit(c, "null", 4)) {
        *present = 0;
        return 0;
    }
    if (*c->p != '-' && !IS_DIGIT(*c->p))
        return BAIL;
    Num n;
    int r = parse_number(c, &n);
    if (r)
        return r;
    *present = 1;
    return num_i63(&n, out);
}

/* Any JSON value; *ok when it is a time the reference accepts (a decimal string or an
   integer, 0..2**63-1). */
int ft_time_value(Ctx *c, int64_t *out, int *ok)
{
    int r;
    *ok = 0;
    if (*c->p == '"') {
#ifdef SWAR_DIGITS
        /* the usual time, 19 digits (ns since 2001 up to 2286), read where it lies: what
           parse_string and digits_i63 below make of it, in one pass */
        const unsigned char *p = c->p + 1;
        uint64_t hi, lo;
        if (c->end - p >= 20 && eight_digits(p, &hi) && eight_digits(p + 8, &lo)
            && IS_DIGIT(p[16]) && IS_DIGIT(p[17]) && IS_DIGIT(p[18]) && p[19] == '"') {
            uint64_t v = (hi * 100000000u + lo) * 1000u + (uint64_t)(p[16] - '0') * 100u
                         + (uint64_t)(p[17] - '0') * 10u + (uint64_t)(p[18] - '0');
            c->p = p + 20;
            if (v <= I63) {
                *out = (int64_t)v;
                *ok = 1;
            }
            return 0;
        }
#endif
        Slice s;
        if ((r = parse_string(c, &s)))
            return r;
        *ok = digits_i63(&s, out) == 0;
        return 0;
    }
    if (*c->p == '-' || IS_DIGIT(*c->p)) {
        Num n;
        if ((r = parse_number(c, &n)))
            return r;
        if (num_i63(&n, out) == 0)
            *ok = 1;
        else if (n.risky)
            return BAIL;
        return 0;
    }
    return skip_value(c);
}

static int task_info_member(Ctx *c, Slice k, unsigned *seen, void *state)
{
    Task *t = state;
    if (KEY(k, "type")) {
        ONCE(1);
        Slice s;
        int r;
        if (*c->p != '"')
            return BAIL;
        if ((r = parse_string(c, &s)) || (r = unescape(c, &s)))
            return r;
        for (int i = 0; i < 4; i++)
            if (str_is(&s, TYPE_NAMES[i], (Py_ssize_t)strlen(TYPE_NAMES[i])))
                t->task_type = i;
        return t->task_type < 0 ? BAIL : 0;
    }
    if (KEY(k, "func_or_class_name")) {
        ONCE(2);
        if (*c->p != '"')
            return BAIL;
        t->has_func = 1;
        return parse_string(c, &t->func);
    }
    if (KEY(k, "language")) {
        ONCE(4);
        return opt_str(c, &t->lang, &t->has_lang);
    }
    if (KEY(k, "parent_task_id")) {
        ONCE(8);
        int r = opt_str(c, &t->parent, &t->has_parent);
        if (!r && t->has_parent)
            id_prefetch(&t->parent, &TASK_IDS);
        return r;
    }
    if (KEY(k, "actor_id")) {
        ONCE(16);
        int r = opt_str(c, &t->actor, &t->has_actor);
        if (!r && t->has_actor)
            id_prefetch(&t->actor, &ACTOR_IDS);
        return r;
    }
    if (KEY(k, "labels") && *c->p == '{') {
        /* a label (Ray Data's operator of the task) is a second event, made the Python way
           (read/task_lines.py: operator_label); most tasks have none */
        const unsigned char *q = c->p + 1;
        WS(q);
        if (*q != '}')
            return BAIL;
    }
    return ft_skip_member(c, k);
}

static int parse_task_info(Ctx *c, Task *t)
{
    t->has_info = 1;
    int r = each_member(c, task_info_member, t);
    if (r < 0)
        return r;
    return (t->task_type >= 0 && t->has_func) ? 0 : BAIL;
}

/* state_ts_ns: {"<TaskStatus number>": time, ...}; each status once, within 1..63. */
static int state_member(Ctx *c, Slice k, unsigned *seen, void *state)
{
    (void)seen;
    Task *t = state;
    unsigned status;
    int r, ok;
    if (k.n == 1 && k.p[0] >= '1' && k.p[0] <= '9')
        status = k.p[0] - '0';
    else if (k.n == 2 && k.p[0] >= '1' && k.p[0] <= '6' && IS_DIGIT(k.p[1]))
        status = (unsigned)(k.p[0] - '0') * 10 + (unsigned)(k.p[1] - '0');
    else
        return BAIL; /* leading zero, not a number: the reference's table lookup */
    if (status > 63 || (t->state_mask >> status) & 1)
        return BAIL;
    if ((r = ft_time_value(c, &t->state_ns[status], &ok)))
        return r;
    if (!ok)
        return BAIL;
    t->state_mask |= (uint64_t)1 << status;
    return 0;
}

static int parse_states(Ctx *c, Task *t)
{
    return each_member(c, state_member, t);
}

static int error_member(Ctx *c, Slice k, unsigned *seen, void *state)
{
    Task *t = state;
    if (KEY(k, "error_type")) {
        ONCE(1);
        return opt_str(c, &t->etype, &t->has_etype);
    }
    if (KEY(k, "error_message")) {
        ONCE(2);
        return opt_str(c, &t->emsg, &t->has_emsg);
    }
    return ft_skip_member(c, k);
}

static int parse_error(Ctx *c, Task *t)
{
    return each_member(c, error_member, t);
}

static int updates_member(Ctx *c, Slice k, unsigned *seen, void *state)
{
    Task *t = state;
    if (KEY(k, "state_ts_ns")) {
        ONCE(1);
        return object_or_null(c, t, parse_states);
    }
    if (KEY(k, "node_id")) {
        ONCE(2);
        int r = opt_str(c, &t->node, &t->has_node);
        if (!r && t->has_node)
            id_prefetch(&t->node, &NODE_IDS);
        return r;
    }
    if (KEY(k, "worker_id")) {
        ONCE(4);
        int r = opt_str(c, &t->worker, &t->has_worker);
        if (!r && t->has_worker)
            id_prefetch(&t->worker, &NODE_IDS);
        return r;
    }
    if (KEY(k, "worker_pid")) {
        ONCE(8);
        return opt_int(c, &t->pid, &t->has_pid);
    }
    if (KEY(k, "error_info")) {
        ONCE(16);
        return object_or_null(c, t, parse_error);
    }
    return ft_skip_member(c, k);
}

static int parse_updates(Ctx *c, Task *t)
{
    return each_member(c, updates_member, t);
}

static int event_data_member(Ctx *c, Slice k, unsigned *seen, void *state)
{
    Task *t = state;
    if (KEY(k, "task_id")) {
        ONCE(1);
        if (*c->p != '"')
            return BAIL;
        t->has_task_id = 1;
        int r = parse_string(c, &t->task_id);
        if (!r)
            id_prefetch(&t->task_id, &TASK_IDS);
        return r;
    }
    if (KEY(k, "task_info")) {
        ONCE(2);
        return object_or_null(c, t, parse_task_info);
    }
    if (KEY(k, "profile_events")) {
        ONCE(4);
        return object_or_null(c, t, ft_parse_profile);
    }
    if (KEY(k, "state_updates")) {
        ONCE(8);
        return object_or_null(c, t, parse_updates);
    }
    if (KEY(k, "attempt_number")) {
        ONCE(16);
        unsigned char present = 0;
        int r = opt_int(c, &t->attempt, &present);
        if (!present)
            t->attempt = 0;
        return r;
    }
    if (KEY(k, "job_id")) {
        ONCE(32);
        return opt_str(c, &t->job, &t->has_job);
    }
    return ft_skip_member(c, k);
}

static int parse_event_data(Ctx *c, Task *t)
{
    int r = each_member(c, event_data_member, t);
    if (r < 0)
        return r;
    return t->has_task_id ? 0 : BAIL;
}

static int line_member(Ctx *c, Slice k, unsigned *seen, void *state)
{
    Task *t = state;
    int r;
    if (KEY(k, "event_data")) {
        ONCE(1);
        if (*c->p != '{')
            return BAIL;
        t->has_event_data = 1;
        return parse_event_data(c, t);
    }
    if (KEY(k, "event_id")) {
        ONCE(2);
        return opt_str(c, &t->event_id, &t->has_event_id);
    }
    if (KEY(k, "source_type")) {
        ONCE(4);
        Slice s;
        if (*c->p != '"')
            return BAIL;
        if ((r = parse_string(c, &s)) || (r = unescape(c, &s)))
            return r;
        if (!str_is(&s, "EXPORT_TASK", 11))
            return BAIL;
        t->has_source = 1;
        return 0;
    }
    if (KEY(k, "timestamp")) {
        ONCE(8);
        if (lit(c, "null", 4))
            return 0;
        Num n;
        if (*c->p != '-' && !IS_DIGIT(*c->p))
            return BAIL;
        if ((r = parse_number(c, &n)))
            return r;
        /* what orjson reads as an int: the reference wants one */
        return (!n.is_int || n.ndig > 19 || (n.neg && n.ndig > 18)) ? BAIL : 0;
    }
    return ft_skip_member(c, k);
}

int ft_parse_line(Ctx *c, Task *t)
{
    WS(c->p);
    if (*c->p != '{')
        return BAIL;
    int r = each_member(c, line_member, t);
    if (r < 0)
        return r;
    WS(c->p);
    if (c->p != c->end)
        return BAIL; /* trailing content, or a NUL inside the line */
    return (t->has_event_data && t->has_source) ? 0 : BAIL;
}
