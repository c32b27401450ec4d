/* One EXPORT_TASK line of a Ray export event log, decoded in one pass over its bytes.

   decode(line: bytes) -> tuple | None

   The reference reading is orjson.loads followed by flowinsight.read.export_events.task_fast
   (and read_stream's `obj.get("event_id")`). This decoder validates the whole line as JSON the
   way orjson would, builds values only for the fields task_fast reads, and returns None
   ("not sure") for anything it does not handle exactly as that path does: the caller then
   takes the Python path. Whenever it returns a tuple, the tuple carries exactly what the
   Python path gives (tests/test_native.py holds it to that):

   (event_id, task_id, attempt, job_id, task_type, func_name, language, parent_task_id,
    actor_id, states, node_id, worker_id, worker_pid, error_type, error_message,
    component_type, spans)

   decode_task(line) gives the same as (event_id, TaskUpdate), every object built here (the
   classes, their slots' descriptors, the TaskType members and parse_descriptor_cached come
   from configure(), called by flowinsight.read.native).

   Besides every line the Python path refuses (task_fast None, orjson error, not EXPORT_TASK),
   deliberate bail-outs (None), all rare in real logs: any byte >= 0x80 (\u escapes are
   decoded, except surrogates); an escaped key, or a key given twice (orjson keeps the last),
   in an object whose keys are read; a read number that is negative, fractional, has an
   exponent or more than 19 digits; a time or state timestamp that is not [0-9]{1,19} (a
   string) or a JSON integer, both up to 2**63-1, where task_fast reads it (int() would also
   take " 1", "+1", "1_0"); a skipped number orjson might refuse or read oddly (more than 18
   integer digits, a value that may pass 1e300); nesting deeper than 64; an id that is not
   the canonical base64 of its kind's length (task_fast maps some of those to ""); a
   task_info, profile_events, state_updates or error_info that is neither an object nor null
   (task_fast ignores a task_info of another type); an event_id neither a string nor null; a
   language with non-ASCII letters.

   The line's bytes are read up to their trailing NUL, which every bytes object has: a NUL
   is never valid JSON outside a string and never valid inside one, so every scan stops there
   without a bounds check and the final check that the parse ended at the end of the buffer
   catches a NUL inside the line. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* the per-token helpers, inlined into every parser (about 10% of the time per line) */
#if defined(__GNUC__)
#define HOT static inline __attribute__((always_inline))
#else
#define HOT static inline
#endif

#define MAX_DEPTH 64
#define I63 ((uint64_t)INT64_MAX)
#define BAIL (-1) /* not sure: the caller takes the Python path */
#define ERR (-2)  /* a Python exception is set (memory) */

typedef struct {
    const unsigned char *p; /* raw between the quotes, or decoded (in scratch) */
    Py_ssize_t n;
    unsigned char esc;      /* holds a backslash escape still to be decoded */
    unsigned char nonascii; /* decoded, and holds UTF-8 of code points >= 0x80 */
} Slice;

typedef struct {
    const unsigned char *p, *begin, *end;
    int depth;
    unsigned char *scratch; /* decoded strings, bump-allocated: never more than the line */
    Py_ssize_t used;
} Ctx;

typedef struct {
    Slice name;
    int64_t start, end;
} SpanRec;

#define LOCAL_SPANS 8

typedef struct {
    /* flags */
    unsigned char has_event_data, has_source, has_event_id, has_task_id, has_info, has_func,
        has_lang, has_parent, has_actor, has_job, has_component, has_node, has_worker, has_pid,
        has_etype, has_emsg;
    int task_type; /* index into TYPE_NAMES; -1 none */
    Slice event_id, task_id, func, lang, parent, actor, job, component, node, worker, etype,
        emsg;
    int64_t attempt, pid;
    uint64_t state_mask;
    int64_t state_ns[64];
    SpanRec *spans;
    Py_ssize_t nspans, spans_cap;
    SpanRec spans_local[LOCAL_SPANS];
} Task;

/* ------------------------------------------------------------------------------------------ */
/* Lexing */

static unsigned char PLAIN[256]; /* a byte that stands for itself inside a string */
static signed char HEX[256];
static signed char B64[256];

#define WS(q) while (*(q) == ' ' || *(q) == '\n' || *(q) == '\r' || *(q) == '\t') (q)++
#define IS_DIGIT(ch) ((unsigned char)((ch) - '0') < 10)

#define ONES 0x0101010101010101ULL
#define HIGH 0x8080808080808080ULL
#define HAS_ZERO(x) (((x) - ONES) & ~(x) & HIGH)
#define HAS_LESS(x, n) (((x) - ONES * (n)) & ~(x) & HIGH)

/* c->p at the opening quote. Validates escapes; bails on raw control bytes, bytes >= 0x80 and
   \u escapes of surrogates (orjson refuses a lone one; pairs are left to the Python path). */
HOT int parse_string(Ctx *c, Slice *s)
{
    const unsigned char *p = c->p + 1, *start = p, *end = c->end;
    unsigned char esc = 0;
    for (;;) {
        /* to the next byte that is not plain (quote, backslash, control, non-ASCII), many
           at a time: one branch per block rather than one per byte */
#if defined(__SSE2__)
        const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'),
                      space = _mm_set1_epi8(0x20);
        while (end - p >= 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)p);
            /* signed: bytes >= 0x80 are negative, so below 0x20 too */
            __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote),
                                                  _mm_cmpeq_epi8(v, backslash)),
                                     _mm_cmplt_epi8(v, space));
            unsigned bits = (unsigned)_mm_movemask_epi8(m);
            if (bits) {
                p += __builtin_ctz(bits);
                goto special;
            }
            p += 16;
        }
#elif defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        while (end - p >= 8) {
            uint64_t v;
            memcpy(&v, p, 8);
            /* each term is exact up to its own first hit: the lowest bit set is the first
               special byte */
            uint64_t m = (v & HIGH) | HAS_LESS(v, 0x20) | HAS_ZERO(v ^ (ONES * '"'))
                         | HAS_ZERO(v ^ (ONES * '\\'));
            if (m) {
                p += __builtin_ctzll(m) >> 3;
                goto special;
            }
            p += 8;
        }
#endif
        while (PLAIN[*p])
            p++;
#if defined(__SSE2__) || (defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
    special:
#endif
        if (*p == '"')
            break;
        if (*p != '\\')
            return BAIL; /* control byte (or the NUL at the end), or non-ASCII */
        esc = 1;
        p++;
        switch (*p) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
            p++;
            break;
        case 'u': {
            unsigned cp = 0;
            for (int i = 1; i <= 4; i++) {
                int h = HEX[p[i]];
                if (h < 0)
                    return BAIL;
                cp = cp * 16 + (unsigned)h;
            }
            if (cp >= 0xD800 && cp <= 0xDFFF)
                return BAIL;
            p += 5;
            break;
        }
        default:
            return BAIL;
        }
    }
    s->p = start;
    s->n = p - start;
    s->esc = esc;
    s->nonascii = 0;
    c->p = p + 1;
    return 0;
}

/* The decoded bytes (UTF-8) of a string that holds escapes, in scratch. */
static int unescape(Ctx *c, Slice *s)
{
    if (!s->esc)
        return 0;
    if (!c->scratch) {
        c->scratch = PyMem_Malloc((size_t)(c->end - c->begin) + 1);
        if (!c->scratch) {
            PyErr_NoMemory();
            return ERR;
        }
    }
    unsigned char *out = c->scratch + c->used, *o = out;
    const unsigned char *p = s->p, *e = s->p + s->n;
    unsigned char nonascii = 0;
    while (p < e) {
        if (*p != '\\') {
            *o++ = *p++;
            continue;
        }
        p++;
        switch (*p++) {
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            unsigned cp = ((unsigned)HEX[p[0]] << 12) | ((unsigned)HEX[p[1]] << 8)
                          | ((unsigned)HEX[p[2]] << 4) | (unsigned)HEX[p[3]];
            p += 4;
            if (cp < 0x80) {
                *o++ = (unsigned char)cp;
            } else if (cp < 0x800) {
                *o++ = (unsigned char)(0xC0 | (cp >> 6));
                *o++ = (unsigned char)(0x80 | (cp & 0x3F));
                nonascii = 1;
            } else {
                *o++ = (unsigned char)(0xE0 | (cp >> 12));
                *o++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
                *o++ = (unsigned char)(0x80 | (cp & 0x3F));
                nonascii = 1;
            }
            break;
        }
        default: *o++ = p[-1]; break; /* " \ / */
        }
    }
    s->p = out;
    s->n = o - out;
    s->esc = 0;
    s->nonascii = nonascii;
    c->used += s->n;
    return 0;
}

typedef struct {
    uint64_t val; /* the first 19 digits of the integer part */
    int ndig;     /* digits of the integer part */
    unsigned char neg, is_int, risky;
} Num;

/* JSON number grammar. `risky`: orjson might refuse it (a double that overflows) or we are not
   sure how it reads it; a skipped risky number bails. */
HOT int parse_number(Ctx *c, Num *n)
{
    const unsigned char *p = c->p;
    n->neg = 0;
    n->is_int = 1;
    n->risky = 0;
    n->val = 0;
    n->ndig = 0;
    if (*p == '-') {
        n->neg = 1;
        p++;
    }
    if (*p == '0') {
        p++;
        n->ndig = 1;
    } else if (*p >= '1' && *p <= '9') {
        uint64_t v = 0;
        int d = 0;
        while (IS_DIGIT(*p)) {
            if (d < 19)
                v = v * 10 + (uint64_t)(*p - '0');
            d++;
            p++;
        }
        n->val = v;
        n->ndig = d;
    } else {
        return BAIL;
    }
    if (n->ndig > 18)
        n->risky = 1;
    if (*p == '.') {
        p++;
        if (!IS_DIGIT(*p))
            return BAIL;
        while (IS_DIGIT(*p))
            p++;
        n->is_int = 0;
    }
    if (*p == 'e' || *p == 'E') {
        int eneg = 0;
        p++;
        if (*p == '+') {
            p++;
        } else if (*p == '-') {
            eneg = 1;
            p++;
        }
        if (!IS_DIGIT(*p))
            return BAIL;
        while (*p == '0')
            p++;
        long ev = 0;
        int ed = 0;
        while (IS_DIGIT(*p)) {
            if (ed < 6)
                ev = ev * 10 + (*p - '0');
            ed++;
            p++;
        }
        /* a negative exponent at worst underflows to 0.0, which orjson accepts; a positive
           one may overflow, which it refuses */
        if (!eneg && (ed > 4 || n->ndig + ev > 300))
            n->risky = 1;
        n->is_int = 0;
    }
    c->p = p;
    return 0;
}

static inline int lit(Ctx *c, const char *word, int len)
{
    for (int i = 0; i < len; i++) /* stops at the first difference: never past the NUL */
        if (c->p[i] != (unsigned char)word[i])
            return 0;
    c->p += len;
    return 1;
}

static int skip_value(Ctx *c);

/* An object's keys one by one: call first with *more = 0, c->p just after the '{' and its
   whitespace. Returns 1 with the key in *k and c->p at its value, 0 once the '}' is passed. */
HOT int obj_next(Ctx *c, int *more, Slice *k)
{
    if (*more) {
        WS(c->p);
        if (*c->p == ',') {
            c->p++;
            WS(c->p);
        } else if (*c->p == '}') {
            c->p++;
            c->depth--;
            return 0;
        } else {
            return BAIL;
        }
    } else {
        *more = 1;
        if (*c->p == '}') {
            c->p++;
            c->depth--;
            return 0;
        }
    }
    if (*c->p != '"')
        return BAIL;
    int r = parse_string(c, k);
    if (r)
        return r;
    WS(c->p);
    if (*c->p != ':')
        return BAIL;
    c->p++;
    WS(c->p);
    return 1;
}

static inline int obj_open(Ctx *c)
{
    if (++c->depth > MAX_DEPTH)
        return BAIL;
    c->p++;
    WS(c->p);
    return 0;
}

static int skip_object(Ctx *c)
{
    int more = 0, r;
    Slice k;
    if ((r = obj_open(c)))
        return r;
    while ((r = obj_next(c, &more, &k)) == 1)
        if ((r = skip_value(c)))
            return r;
    return r;
}

static int skip_array(Ctx *c)
{
    int r;
    if ((r = obj_open(c)))
        return r;
    if (*c->p == ']') {
        c->p++;
        c->depth--;
        return 0;
    }
    for (;;) {
        if ((r = skip_value(c)))
            return r;
        WS(c->p);
        if (*c->p == ',') {
            c->p++;
            WS(c->p);
        } else if (*c->p == ']') {
            c->p++;
            c->depth--;
            return 0;
        } else {
            return BAIL;
        }
    }
}

static int skip_value(Ctx *c)
{
    switch (*c->p) {
    case '{':
        return skip_object(c);
    case '[':
        return skip_array(c);
    case '"': {
        Slice s;
        return parse_string(c, &s);
    }
    case 't':
        return lit(c, "true", 4) ? 0 : BAIL;
    case 'f':
        return lit(c, "false", 5) ? 0 : BAIL;
    case 'n':
        return lit(c, "null", 4) ? 0 : BAIL;
    default: {
        Num n;
        int r = parse_number(c, &n);
        if (r)
            return r;
        return n.risky ? BAIL : 0;
    }
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Values the reference reads */

#define KEY(k, s) ((k).n == (Py_ssize_t)sizeof(s) - 1 && memcmp((k).p, s, sizeof(s) - 1) == 0)
#define ONCE(bit)                                                                              \
    do {                                                                                       \
        if (seen & (bit))                                                                      \
            return BAIL;                                                                       \
        seen |= (bit);                                                                         \
    } while (0)

/* A string (*present = 1) or null (*present = 0); anything else bails. */
static int opt_str(Ctx *c, Slice *s, unsigned char *present)
{
    if (*c->p == '"') {
        *present = 1;
        return parse_string(c, s);
    }
    if (lit(c, "null", 4)) {
        *present = 0;
        return 0;
    }
    return BAIL;
}

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
static int time_value(Ctx *c, int64_t *out, int *ok)
{
    int r;
    *ok = 0;
    if (*c->p == '"') {
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

static int str_is(const Slice *s, const char *word, Py_ssize_t len)
{
    return s->n == len && memcmp(s->p, word, (size_t)len) == 0;
}

static const char *const TYPE_NAMES[4] = {"NORMAL_TASK", "ACTOR_TASK", "ACTOR_CREATION_TASK",
                                          "DRIVER_TASK"};

static int parse_task_info(Ctx *c, Task *t)
{
    int more = 0, r;
    unsigned seen = 0;
    Slice k;
    t->has_info = 1;
    if ((r = obj_open(c)))
        return r;
    while ((r = obj_next(c, &more, &k)) == 1) {
        r = 0;
        if (k.esc)
            return BAIL;
        if (KEY(k, "type")) {
            ONCE(1);
            Slice s;
            if (*c->p != '"')
                return BAIL;
            if ((r = parse_string(c, &s)) || (r = unescape(c, &s)))
                return r;
            for (int i = 0; i < 4; i++)
                if (str_is(&s, TYPE_NAMES[i], (Py_ssize_t)strlen(TYPE_NAMES[i])))
                    t->task_type = i;
            if (t->task_type < 0)
                return BAIL;
        } else if (KEY(k, "func_or_class_name")) {
            ONCE(2);
            if (*c->p != '"')
                return BAIL;
            t->has_func = 1;
            r = parse_string(c, &t->func);
        } else if (KEY(k, "language")) {
            ONCE(4);
            r = opt_str(c, &t->lang, &t->has_lang);
        } else if (KEY(k, "parent_task_id")) {
            ONCE(8);
            r = opt_str(c, &t->parent, &t->has_parent);
        } else if (KEY(k, "actor_id")) {
            ONCE(16);
            r = opt_str(c, &t->actor, &t->has_actor);
        } else {
            r = skip_value(c);
        }
        if (r)
            return r;
    }
    if (r < 0)
        return r;
    return (t->task_type >= 0 && t->has_func) ? 0 : BAIL;
}

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
            r = time_value(c, &start, &start_ok);
        } else if (KEY(k, "end_time")) {
            ONCE(4);
            r = time_value(c, &end, &end_ok);
        } else {
            r = skip_value(c);
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
    if (name.n >= 6 && memcmp(name.p, "task:", 5) == 0
        && (name.p[5] == ':' || str_is(&name, "task:execute", 12)
            || str_is(&name, "task:deserialize_arguments", 26)
            || str_is(&name, "task:store_outputs", 18))) {
        if (!start_ok || !end_ok)
            return BAIL;
        return add_span(t, &name, start, end);
    }
    return 0;
}

static int parse_profile(Ctx *c, Task *t)
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
            r = skip_value(c);
        }
        if (r)
            return r;
    }
    return r;
}

static int parse_states(Ctx *c, Task *t)
{
    int more = 0, r, ok;
    Slice k;
    if ((r = obj_open(c)))
        return r;
    while ((r = obj_next(c, &more, &k)) == 1) {
        unsigned status;
        if (k.n == 1 && k.p[0] >= '1' && k.p[0] <= '9')
            status = k.p[0] - '0';
        else if (k.n == 2 && k.p[0] >= '1' && k.p[0] <= '6' && IS_DIGIT(k.p[1]))
            status = (unsigned)(k.p[0] - '0') * 10 + (unsigned)(k.p[1] - '0');
        else
            return BAIL; /* escaped, leading zero, not a number: the reference's table lookup */
        if (status > 63 || (t->state_mask >> status) & 1)
            return BAIL;
        if ((r = time_value(c, &t->state_ns[status], &ok)))
            return r;
        if (!ok)
            return BAIL;
        t->state_mask |= (uint64_t)1 << status;
    }
    return r;
}

static int parse_error(Ctx *c, Task *t)
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
        if (KEY(k, "error_type")) {
            ONCE(1);
            r = opt_str(c, &t->etype, &t->has_etype);
        } else if (KEY(k, "error_message")) {
            ONCE(2);
            r = opt_str(c, &t->emsg, &t->has_emsg);
        } else {
            r = skip_value(c);
        }
        if (r)
            return r;
    }
    return r;
}

static int parse_updates(Ctx *c, Task *t)
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
        if (KEY(k, "state_ts_ns")) {
            ONCE(1);
            if (*c->p == '{')
                r = parse_states(c, t);
            else if (!lit(c, "null", 4))
                return BAIL;
        } else if (KEY(k, "node_id")) {
            ONCE(2);
            r = opt_str(c, &t->node, &t->has_node);
        } else if (KEY(k, "worker_id")) {
            ONCE(4);
            r = opt_str(c, &t->worker, &t->has_worker);
        } else if (KEY(k, "worker_pid")) {
            ONCE(8);
            r = opt_int(c, &t->pid, &t->has_pid);
        } else if (KEY(k, "error_info")) {
            ONCE(16);
            if (*c->p == '{')
                r = parse_error(c, t);
            else if (!lit(c, "null", 4))
                return BAIL;
        } else {
            r = skip_value(c);
        }
        if (r)
            return r;
    }
    return r;
}

static int parse_event_data(Ctx *c, Task *t)
{
    int more = 0, r;
    unsigned seen = 0;
    Slice k;
    unsigned char present = 0;
    if ((r = obj_open(c)))
        return r;
    while ((r = obj_next(c, &more, &k)) == 1) {
        r = 0;
        if (k.esc)
            return BAIL;
        if (KEY(k, "task_id")) {
            ONCE(1);
            if (*c->p != '"')
                return BAIL;
            t->has_task_id = 1;
            r = parse_string(c, &t->task_id);
        } else if (KEY(k, "task_info")) {
            ONCE(2);
            if (*c->p == '{')
                r = parse_task_info(c, t);
            else if (!lit(c, "null", 4))
                return BAIL;
        } else if (KEY(k, "profile_events")) {
            ONCE(4);
            if (*c->p == '{')
                r = parse_profile(c, t);
            else if (!lit(c, "null", 4))
                return BAIL;
        } else if (KEY(k, "state_updates")) {
            ONCE(8);
            if (*c->p == '{')
                r = parse_updates(c, t);
            else if (!lit(c, "null", 4))
                return BAIL;
        } else if (KEY(k, "attempt_number")) {
            ONCE(16);
            r = opt_int(c, &t->attempt, &present);
            if (!present)
                t->attempt = 0;
        } else if (KEY(k, "job_id")) {
            ONCE(32);
            r = opt_str(c, &t->job, &t->has_job);
        } else {
            r = skip_value(c);
        }
        if (r)
            return r;
    }
    if (r < 0)
        return r;
    return t->has_task_id ? 0 : BAIL;
}

static int parse_line(Ctx *c, Task *t)
{
    int more = 0, r;
    unsigned seen = 0;
    Slice k;
    WS(c->p);
    if (*c->p != '{')
        return BAIL;
    if ((r = obj_open(c)))
        return r;
    while ((r = obj_next(c, &more, &k)) == 1) {
        r = 0;
        if (k.esc)
            return BAIL;
        if (KEY(k, "event_data")) {
            ONCE(1);
            if (*c->p != '{')
                return BAIL;
            t->has_event_data = 1;
            r = parse_event_data(c, t);
        } else if (KEY(k, "event_id")) {
            ONCE(2);
            r = opt_str(c, &t->event_id, &t->has_event_id);
        } else if (KEY(k, "source_type")) {
            ONCE(4);
            Slice s;
            if (*c->p != '"')
                return BAIL;
            if ((r = parse_string(c, &s)) || (r = unescape(c, &s)))
                return r;
            if (!str_is(&s, "EXPORT_TASK", 11))
                return BAIL;
            t->has_source = 1;
        } else if (KEY(k, "timestamp")) {
            ONCE(8);
            if (!lit(c, "null", 4)) {
                Num n;
                if (*c->p != '-' && !IS_DIGIT(*c->p))
                    return BAIL;
                if ((r = parse_number(c, &n)))
                    return r;
                /* what orjson reads as an int: the reference wants one */
                if (!n.is_int || n.ndig > 19 || (n.neg && n.ndig > 18))
                    return BAIL;
            }
        } else {
            r = skip_value(c);
        }
        if (r)
            return r;
    }
    if (r < 0)
        return r;
    WS(c->p);
    if (c->p != c->end)
        return BAIL; /* trailing content, or a NUL inside the line */
    return (t->has_event_data && t->has_source) ? 0 : BAIL;
}

/* ------------------------------------------------------------------------------------------ */
/* Building the values */

static PyObject *EMPTY;          /* "" */
static PyObject *TYPE_STRS[4];   /* the task type names */

static PyObject *make_str(const Slice *s)
{
    if (s->nonascii)
        return PyUnicode_DecodeUTF8((const char *)s->p, s->n, NULL);
    PyObject *out = PyUnicode_New(s->n, 127);
    if (out)
        memcpy(PyUnicode_1BYTE_DATA(out), s->p, (size_t)s->n);
    return out;
}

/* For the direct-mapped tables below: ids and names differ in their first and last bytes. */
static inline uint32_t hash_bytes(const unsigned char *p, Py_ssize_t n)
{
    uint64_t a = 0, b = 0;
    if (n >= 8) {
        memcpy(&a, p, 8);
        memcpy(&b, p + n - 8, 8);
    } else {
        for (Py_ssize_t i = 0; i < n; i++)
            a = (a << 8) | p[i];
    }
    uint64_t h = (a * 0x9E3779B97F4A7C15ULL) ^ (b * 0xC2B2AE3D27D4EB4FULL) ^ (uint64_t)n;
    return (uint32_t)(h >> 32) ^ (uint32_t)h;
}

/* Short strings that recur (function names, languages, span names): one direct-mapped
   table, so a repeated value is one str shared, its hash computed once. */
#define STR_SLOTS 1024
#define STR_MAX 64
typedef struct {
    PyObject *val;
    unsigned char len;
    unsigned char key[STR_MAX];
} StrEntry;
static StrEntry STR_CACHE[STR_SLOTS];

static PyObject *cached_str(const Slice *s)
{
    if (s->n > STR_MAX)
        return make_str(s);
    StrEntry *e = &STR_CACHE[hash_bytes(s->p, s->n) & (STR_SLOTS - 1)];
    if (e->val && e->len == s->n && memcmp(e->key, s->p, (size_t)s->n) == 0)
        return Py_NewRef(e->val);
    PyObject *out = make_str(s);
    if (!out)
        return NULL;
    Py_XSETREF(e->val, Py_NewRef(out));
    e->len = (unsigned char)s->n;
    memcpy(e->key, s->p, (size_t)s->n);
    return out;
}

/* Ids' hex strs, shared as task_fast's tables share them (a TaskUpdate's ids are the same
   objects as its neighbours'): one direct-mapped table per kind, keyed by the base64 text so
   that a hit costs no decoding. Task and parent task ids share one table, nodes and workers
   another. About 1.8 MB in all. */
typedef struct {
    PyObject **vals;
    unsigned char *keys; /* slots * keylen */
    uint32_t slots;
    int keylen; /* the base64 length of the kind's ids */
} IdTable;

#define ID_TABLE(name, nslots, len)                                                            \
    static PyObject *name##_VALS[nslots];                                                      \
    static unsigned char name##_KEYS[(nslots) * (len)];                                        \
    static IdTable name = {name##_VALS, name##_KEYS, nslots, len}
ID_TABLE(TASK_IDS, 1 << 15, 32);  /* 24 bytes */
ID_TABLE(NODE_IDS, 1 << 13, 40);  /* 28 bytes */
ID_TABLE(ACTOR_IDS, 1 << 11, 24); /* 16 bytes */
ID_TABLE(JOB_IDS, 1 << 8, 8);     /* 4 bytes */

/* Canonical standard base64 of exactly `nbytes` bytes (padding as needed, zero unused bits). */
static int b64_decode(const unsigned char *s, Py_ssize_t n, unsigned char *out, int nbytes)
{
    int pad = (3 - nbytes % 3) % 3;
    if (n != (Py_ssize_t)((nbytes + 2) / 3 * 4))
        return BAIL;
    int full = nbytes / 3, o = 0; /* quads without padding */
    int32_t bad = 0;
    for (int q = 0; q < full; q++, s += 4) {
        int32_t a = B64[s[0]], b = B64[s[1]], d = B64[s[2]], e = B64[s[3]];
        bad |= a | b | d | e; /* -1 for a byte outside the alphabet */
        uint32_t v = ((uint32_t)a << 18) | ((uint32_t)b << 12) | ((uint32_t)d << 6) | (uint32_t)e;
        out[o++] = (unsigned char)(v >> 16);
        out[o++] = (unsigned char)(v >> 8);
        out[o++] = (unsigned char)v;
    }
    if (bad < 0)
        return BAIL;
    if (pad == 2) { /* xx== : one byte, the low 4 bits of the second char unused */
        int a = B64[s[0]], b = B64[s[1]];
        if (a < 0 || b < 0 || (b & 15) || s[2] != '=' || s[3] != '=')
            return BAIL;
        out[o++] = (unsigned char)((a << 2) | (b >> 4));
    } else if (pad == 1) { /* xxx= : two bytes, the low 2 bits of the third char unused */
        int a = B64[s[0]], b = B64[s[1]], d = B64[s[2]];
        if (a < 0 || b < 0 || d < 0 || (d & 3) || s[3] != '=')
            return BAIL;
        out[o++] = (unsigned char)((a << 2) | (b >> 4));
        out[o++] = (unsigned char)(((b & 15) << 4) | (d >> 2));
    }
    return 0;
}

static uint16_t HEX_PAIRS[256]; /* a byte's two lowercase hex digits, as stored in memory */

static PyObject *hex_str(const unsigned char *raw, int nbytes)
{
    unsigned char all = 0xff;
    for (int i = 0; i < nbytes; i++)
        all &= raw[i];
    if (all == 0xff)
        return Py_NewRef(EMPTY); /* nil */
    PyObject *out = PyUnicode_New(2 * nbytes, 127);
    if (!out)
        return NULL;
    Py_UCS1 *d = PyUnicode_1BYTE_DATA(out);
    for (int i = 0; i < nbytes; i++)
        memcpy(d + 2 * i, &HEX_PAIRS[raw[i]], 2);
    return out;
}

/* The id's lowercase hex ("" for an empty or nil id) in *out; BAIL for one that is not a
   canonical base64 id of its length. */
static int b64_id(Ctx *c, Slice *s, int nbytes, IdTable *table, PyObject **out)
{
    int r = unescape(c, s);
    if (r)
        return r;
    if (s->n == 0) {
        *out = Py_NewRef(EMPTY);
        return 0;
    }
    if (s->n != table->keylen)
        return BAIL;
    uint64_t h = 0;
    for (int i = 0; i < table->keylen; i += 8) { /* keylen: 8, 24, 32 or 40 */
        uint64_t w;
        memcpy(&w, s->p + i, 8);
        h = (h ^ w) * 0x9E3779B97F4A7C15ULL;
    }
    uint32_t at = (uint32_t)(h ^ (h >> 32)) & (table->slots - 1);
    unsigned char *key = table->keys + (size_t)at * (size_t)table->keylen;
    uint64_t diff = 0;
    for (int i = 0; i < table->keylen; i += 8) {
        uint64_t a, b;
        memcpy(&a, key + i, 8);
        memcpy(&b, s->p + i, 8);
        diff |= a ^ b;
    }
    if (table->vals[at] && !diff) {
        *out = Py_NewRef(table->vals[at]);
        return 0;
    }
    unsigned char raw[32];
    if (b64_decode(s->p, s->n, raw, nbytes))
        return BAIL;
    PyObject *hex = hex_str(raw, nbytes);
    if (!hex)
        return ERR;
    PyObject *old = table->vals[at];
    table->vals[at] = Py_NewRef(hex);
    memcpy(key, s->p, (size_t)table->keylen);
    Py_XDECREF(old);
    *out = hex;
    return 0;
}

enum {
    F_EVENT_ID, F_TASK_ID, F_ATTEMPT, F_JOB, F_TYPE, F_FUNC, F_LANG, F_PARENT, F_ACTOR,
    F_STATES, F_NODE, F_WORKER, F_PID, F_ETYPE, F_EMSG, F_COMPONENT, F_SPANS, N_FIELDS
};

static int opt_out_str(Ctx *c, Slice *s, unsigned char present, PyObject **out)
{
    int r;
    if (!present) {
        *out = Py_NewRef(EMPTY);
        return 0;
    }
    if ((r = unescape(c, s)))
        return r;
    *out = cached_str(s);
    return *out ? 0 : ERR;
}

/* What decode_task builds its objects with: set by configure(). */
static PyObject *TASK_CLS, *TASK_SET[16], *SPAN_CLS, *SPAN_SET[3], *TYPE_MEMBERS[4], *PARSE_DESC;

static PyObject *new_instance(PyObject *cls, PyObject **setters, PyObject **values, int n)
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

/* Function descriptors: parse_descriptor_cached's answers, keyed by the name's identity (the
   names come from the string table above, so a recurring one is the same object) and the task
   type. parse_descriptor is a pure function: a remembered answer is the answer. */
#define FN_SLOTS 256
typedef struct {
    PyObject *name, *ref;
    int type;
} FnEntry;
static FnEntry FN_CACHE[FN_SLOTS];

static PyObject *function_of(PyObject *name, int type)
{
    FnEntry *e = &FN_CACHE[(((uintptr_t)name >> 4) ^ (uintptr_t)type * 0x9E37u) & (FN_SLOTS - 1)];
    if (e->name == name && e->type == type)
        return Py_NewRef(e->ref);
    PyObject *args[2] = {name, TYPE_MEMBERS[type]};
    PyObject *ref = PyObject_Vectorcall(PARSE_DESC, args, 2, NULL);
    if (!ref)
        return NULL;
    PyObject *old_name = e->name, *old_ref = e->ref;
    e->name = Py_NewRef(name);
    e->ref = Py_NewRef(ref);
    e->type = type;
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

/* The fields of a parsed line. `objects`: for decode_task, with the type's member, the
   FunctionRef and Span objects in place of the type's name, the function's name and tuples. */
static int build(Ctx *c, Task *t, PyObject **f, int objects)
{
    int r;
    Slice *s;
    /* ids first: the ones that may still bail */
    if ((r = b64_id(c, &t->task_id, 24, &TASK_IDS, &f[F_TASK_ID])))
        return r;
    if (PyUnicode_GET_LENGTH(f[F_TASK_ID]) == 0)
        return BAIL; /* a nil task id: the reference steps aside */
    if (t->has_parent) {
        if ((r = b64_id(c, &t->parent, 24, &TASK_IDS, &f[F_PARENT])))
            return r;
    } else {
        f[F_PARENT] = Py_NewRef(EMPTY);
    }
    if (t->has_actor) {
        if ((r = b64_id(c, &t->actor, 16, &ACTOR_IDS, &f[F_ACTOR])))
            return r;
    } else {
        f[F_ACTOR] = Py_NewRef(EMPTY);
    }
    if (t->has_node) {
        if ((r = b64_id(c, &t->node, 28, &NODE_IDS, &f[F_NODE])))
            return r;
    } else {
        f[F_NODE] = Py_NewRef(EMPTY);
    }
    if (t->has_worker) {
        if ((r = b64_id(c, &t->worker, 28, &NODE_IDS, &f[F_WORKER])))
            return r;
    } else {
        f[F_WORKER] = Py_NewRef(EMPTY);
    }
    if (t->has_job) {
        if ((r = b64_id(c, &t->job, 4, &JOB_IDS, &f[F_JOB])))
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
        if (!(f[F_LANG] = cached_str(&u)))
            return ERR;
    } else {
        f[F_LANG] = Py_NewRef(EMPTY);
    }
    if (t->has_event_id) {
        if ((r = unescape(c, &t->event_id)))
            return r;
        if (!(f[F_EVENT_ID] = make_str(&t->event_id)))
            return ERR;
    } else {
        f[F_EVENT_ID] = Py_NewRef(Py_None);
    }
    if (!(f[F_ATTEMPT] = PyLong_FromLongLong(t->attempt)))
        return ERR;
    if (t->has_info) {
        f[F_TYPE] = Py_NewRef((objects ? TYPE_MEMBERS : TYPE_STRS)[t->task_type]);
        if ((r = unescape(c, &t->func)))
            return r;
        if (!(f[F_FUNC] = cached_str(&t->func)))
            return ERR;
        if (objects) {
            PyObject *name = f[F_FUNC];
            f[F_FUNC] = function_of(name, t->task_type);
            Py_DECREF(name);
            if (!f[F_FUNC])
                return ERR;
        }
    } else {
        f[F_TYPE] = Py_NewRef(Py_None);
        f[F_FUNC] = Py_NewRef(Py_None);
    }
    /* states, sorted by status */
    {
        Py_ssize_t n = 0, i = 0;
        for (int b = 1; b < 64; b++)
            n += (t->state_mask >> b) & 1;
        PyObject *states = PyTuple_New(n);
        if (!(f[F_STATES] = states))
            return ERR;
        for (int b = 1; b < 64; b++) {
            if (!((t->state_mask >> b) & 1))
                continue;
            PyObject *pair = PyTuple_New(2);
            if (!pair)
                return ERR;
            PyTuple_SET_ITEM(states, i++, pair);
            PyObject *status = PyLong_FromLong(b), *ns = PyLong_FromLongLong(t->state_ns[b]);
            if (status)
                PyTuple_SET_ITEM(pair, 0, status);
            if (ns)
                PyTuple_SET_ITEM(pair, 1, ns);
            if (!status || !ns)
                return ERR;
        }
    }
    if (t->has_pid) {
        if (!(f[F_PID] = PyLong_FromLongLong(t->pid)))
            return ERR;
    } else {
        f[F_PID] = Py_NewRef(Py_None);
    }
    if ((r = opt_out_str(c, &t->etype, t->has_etype, &f[F_ETYPE])))
        return r;
    if (t->has_emsg) {
        if ((r = unescape(c, &t->emsg)))
            return r;
        if (!(f[F_EMSG] = make_str(&t->emsg)))
            return ERR;
    } else {
        f[F_EMSG] = Py_NewRef(EMPTY);
    }
    if ((r = opt_out_str(c, &t->component, t->has_component, &f[F_COMPONENT])))
        return r;
    {
        PyObject *spans = PyTuple_New(t->nspans);
        if (!(f[F_SPANS] = spans))
            return ERR;
        for (Py_ssize_t i = 0; i < t->nspans; i++) {
            SpanRec *sp = &t->spans[i];
            PyObject *v[3] = {cached_str(&sp->name), PyLong_FromLongLong(sp->start),
                              PyLong_FromLongLong(sp->end)};
            PyObject *span = NULL;
            if (v[0] && v[1] && v[2]) {
                if (objects) {
                    span = new_instance(SPAN_CLS, SPAN_SET, v, 3);
                } else if ((span = PyTuple_New(3))) {
                    for (int j = 0; j < 3; j++)
                        PyTuple_SET_ITEM(span, j, Py_NewRef(v[j]));
                }
            }
            for (int j = 0; j < 3; j++)
                Py_XDECREF(v[j]);
            if (!span)
                return ERR;
            PyTuple_SET_ITEM(spans, i, span);
        }
    }
    if (objects && !t->has_info) {
        /* as task_fast: the executor's `task::<name>` span names a task whose definition was
           lost; its loop leaves the function of the last such span */
        for (Py_ssize_t i = t->nspans - 1; i >= 0; i--) {
            Slice name = t->spans[i].name;
            if (name.p[5] != ':')
                continue;
            Slice rest = {name.p + 6, name.n - 6, 0, name.nonascii};
            PyObject *text = cached_str(&rest);
            if (!text)
                return ERR;
            PyObject *function = function_of(text, infer_type(f[F_TASK_ID]));
            Py_DECREF(text);
            if (!function)
                return ERR;
            Py_SETREF(f[F_FUNC], function);
            break;
        }
    }
    return 0;
}

/* A line read to its fields: 0 with f[] filled, BAIL, or ERR. */
static int decode_fields(PyObject *arg, PyObject **f, int objects)
{
    const unsigned char *data = (const unsigned char *)PyBytes_AS_STRING(arg);
    Py_ssize_t size = PyBytes_GET_SIZE(arg);
    Ctx c = {data, data, data + size, 0, NULL, 0};
    Task t;
    memset(&t, 0, offsetof(Task, state_ns));
    t.task_type = -1;
    t.spans = t.spans_local;
    t.nspans = 0;
    t.spans_cap = LOCAL_SPANS;
    int r = parse_line(&c, &t);
    if (r > 0)
        r = BAIL; /* never: a parser that stopped early has not seen the whole line */
    if (!r)
        r = build(&c, &t, f, objects);
    if (t.spans != t.spans_local)
        PyMem_Free(t.spans);
    if (c.scratch)
        PyMem_Free(c.scratch);
    return r;
}

static PyObject *decode(PyObject *module, PyObject *arg)
{
    (void)module;
    if (!PyBytes_Check(arg))
        return PyErr_Format(PyExc_TypeError, "a line is bytes, not %.80s", Py_TYPE(arg)->tp_name);
    PyObject *f[N_FIELDS] = {NULL};
    PyObject *out = NULL;
    int r = decode_fields(arg, f, 0);
    if (!r) {
        if ((out = PyTuple_New(N_FIELDS))) {
            for (int i = 0; i < N_FIELDS; i++) {
                PyTuple_SET_ITEM(out, i, f[i]);
                f[i] = NULL;
            }
        }
    } else if (r == BAIL) {
        out = Py_NewRef(Py_None);
    }
    for (int i = 0; i < N_FIELDS; i++)
        Py_XDECREF(f[i]);
    return out;
}

static PyObject *decode_task(PyObject *module, PyObject *arg)
{
    (void)module;
    if (!TASK_CLS) {
        PyErr_SetString(PyExc_RuntimeError, "decode_task() before configure()");
        return NULL;
    }
    if (!PyBytes_Check(arg))
        return PyErr_Format(PyExc_TypeError, "a line is bytes, not %.80s", Py_TYPE(arg)->tp_name);
    PyObject *f[N_FIELDS] = {NULL};
    PyObject *out = NULL;
    int r = decode_fields(arg, f, 1);
    if (r == BAIL) {
        out = Py_NewRef(Py_None);
    } else if (!r) {
        /* TaskUpdate's fields are the tuple's, less the event id */
        PyObject *task = new_instance(TASK_CLS, TASK_SET, f + 1, 16);
        if (task) {
            out = PyTuple_Pack(2, f[F_EVENT_ID], task);
            Py_DECREF(task);
        }
    }
    if (!out && PyErr_ExceptionMatches(PyExc_Exception)) {
        /* as task_fast: what surprises this path (parse_descriptor) is the Python path's */
        PyErr_Clear();
        out = Py_NewRef(Py_None);
    }
    for (int i = 0; i < N_FIELDS; i++)
        Py_XDECREF(f[i]);
    return out;
}

/* decode_task over a block of lines: the events and event ids of the lines it decoded, in
   order, and the indexes of the others (for the Python path). One call per block instead of
   one per line. */
static PyObject *decode_block(PyObject *module, PyObject *lines)
{
    if (!PyList_Check(lines))
        return PyErr_Format(PyExc_TypeError, "a block is a list, not %.80s",
                            Py_TYPE(lines)->tp_name);
    PyObject *events = PyList_New(0), *ids = PyList_New(0), *misses = PyList_New(0);
    if (!events || !ids || !misses)
        goto fail;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(lines); i++) {
        PyObject *line = PyList_GET_ITEM(lines, i);
        PyObject *one = PyBytes_Check(line) ? decode_task(module, line) : Py_NewRef(Py_None);
        if (!one)
            goto fail;
        int bad;
        if (one == Py_None) {
            PyObject *at = PyLong_FromSsize_t(i);
            bad = !at || PyList_Append(misses, at) < 0;
            Py_XDECREF(at);
        } else {
            bad = PyList_Append(ids, PyTuple_GET_ITEM(one, 0)) < 0
                  || PyList_Append(events, PyTuple_GET_ITEM(one, 1)) < 0;
        }
        Py_DECREF(one);
        if (bad)
            goto fail;
    }
    return Py_BuildValue("(NNN)", events, ids, misses);
fail:
    Py_XDECREF(events);
    Py_XDECREF(ids);
    Py_XDECREF(misses);
    return NULL;
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

static PyObject *configure(PyObject *module, PyObject *args)
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


/* ---- Event id digests for the parallel reader (flowinsight/read/parallel.py) ----
   event_id_digest(id) there is crc32(utf8) << 32 | adler32(utf8), zlib's two checksums; these
   give the same 64 bits for a list of ids at once, and sort them. */

static uint32_t CRC_TABLE[256];

static void crc_init(void)
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        CRC_TABLE[n] = c;
    }
}

static uint64_t digest_of(const unsigned char *p, Py_ssize_t n)
{
    uint32_t crc = 0xFFFFFFFFu, a = 1, b = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        crc = CRC_TABLE[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
        a += p[i];
        if (a >= 65521)
            a -= 65521;
        b += a;
        if (b >= 65521)
            b -= 65521;
    }
    return (uint64_t)(crc ^ 0xFFFFFFFFu) << 32 | ((uint64_t)b << 16 | a);
}

static PyObject *digests(PyObject *self, PyObject *ids)
{
    (void)self;
    if (!PyList_Check(ids)) {
        PyErr_SetString(PyExc_TypeError, "digests: want a list");
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(ids), count = 0;
    PyObject *out = PyBytes_FromStringAndSize(NULL, 8 * n);
    if (!out)
        return NULL;
    uint64_t *dst = (uint64_t *)PyBytes_AS_STRING(out);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *id = PyList_GET_ITEM(ids, i);
        if (!PyUnicode_CheckExact(id) || PyUnicode_GET_LENGTH(id) == 0)
            continue; /* as read_group: only non-empty str ids */
        if (PyUnicode_IS_ASCII(id)) {
            dst[count++] = digest_of(PyUnicode_DATA(id), PyUnicode_GET_LENGTH(id));
            continue;
        }
        PyObject *raw = PyUnicode_AsEncodedString(id, "utf-8", "surrogatepass");
        if (!raw) {
            Py_DECREF(out);
            return NULL;
        }
        dst[count++] = digest_of((const unsigned char *)PyBytes_AS_STRING(raw),
                                 PyBytes_GET_SIZE(raw));
        Py_DECREF(raw);
    }
    if (_PyBytes_Resize(&out, 8 * count) < 0)
        return NULL;
    return out;
}

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static PyObject *sort_digests(PyObject *self, PyObject *arg)
{
    (void)self;
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    if (view.len % 8) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "sort_digests: not a whole number of 64-bit values");
        return NULL;
    }
    PyObject *out = PyBytes_FromStringAndSize(view.buf, view.len);
    PyBuffer_Release(&view);
    if (!out)
        return NULL;
    uint64_t *v = (uint64_t *)PyBytes_AS_STRING(out);
    Py_ssize_t n = PyBytes_GET_SIZE(out) / 8;
    qsort(v, (size_t)n, 8, compare_u64);
    int repeated = 0;
    for (Py_ssize_t i = 1; i < n && !repeated; i++)
        repeated = v[i] == v[i - 1];
    return Py_BuildValue("(NO)", out, repeated ? Py_True : Py_False);
}

static PyMethodDef METHODS[] = {
    {"decode", decode, METH_O,
     "decode(line: bytes, /) -> tuple | None\n\n"
     "One EXPORT_TASK line to (event_id, task_id, attempt, job_id, task_type, func_name,\n"
     "language, parent_task_id, actor_id, states, node_id, worker_id, worker_pid,\n"
     "error_type, error_message, component_type, spans), or None when not sure."},
    {"decode_task", decode_task, METH_O,
     "decode_task(line: bytes, /) -> tuple[str | None, TaskUpdate] | None\n\n"
     "The same line to (event_id, TaskUpdate), the objects built here with the classes given to\n"
     "configure(); None when not sure."},
    {"decode_block", decode_block, METH_O,
     "decode_block(lines: list[bytes], /) -> tuple[list[TaskUpdate], list[str | None], list[int]]"
     "\n\nDecode_task over a block: the decoded lines' events and event ids, in order, and the\n"
     "indexes of the lines it did not decode."},
    {"digests", digests, METH_O,
     "digests(ids: list, /) -> bytes\n\n"
     "crc32 << 32 | adler32 of the UTF-8 of each non-empty str id, as native uint64s."},
    {"sort_digests", sort_digests, METH_O,
     "sort_digests(data, /) -> tuple[bytes, bool]\n\n"
     "The uint64s of `data`, sorted, and whether any value occurs twice."},
    {"configure", configure, METH_VARARGS,
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
    crc_init();
    for (int ch = 0x20; ch < 0x80; ch++)
        PLAIN[ch] = ch != '"' && ch != '\\';
    memset(HEX, -1, sizeof HEX);
    for (int i = 0; i < 10; i++)
        HEX['0' + i] = (signed char)i;
    for (int i = 0; i < 6; i++) {
        HEX['a' + i] = (signed char)(10 + i);
        HEX['A' + i] = (signed char)(10 + i);
    }
    for (int i = 0; i < 256; i++) {
        unsigned char pair[2] = {(unsigned char)"0123456789abcdef"[i >> 4],
                                 (unsigned char)"0123456789abcdef"[i & 15]};
        memcpy(&HEX_PAIRS[i], pair, 2);
    }
    memset(B64, -1, sizeof B64);
    const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; i++)
        B64[(unsigned char)alphabet[i]] = (signed char)i;
    if (!EMPTY && !(EMPTY = PyUnicode_New(0, 0)))
        return NULL;
    for (int i = 0; i < 4; i++) {
        if (!TYPE_STRS[i] && !(TYPE_STRS[i] = PyUnicode_InternFromString(TYPE_NAMES[i])))
            return NULL;
    }
    return PyModule_Create(&MODULE);
}
