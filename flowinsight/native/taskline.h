/* The internal header of the EXPORT_TASK line decoder (the flowinsight.read._taskline
   module, built from the .c files of flowinsight/native/ that setup.py lists for it). What it does
   and why it may refuse a line is said below; the parts are:

     json_scan.c  the lexer's tables, unescaping, skipping the values nobody reads
     fields.c     the line's structure: which keys are read, and their values
     spans.c      profile_events: the spans task_line keeps
     strings.c    the str objects: shared names, ids' hex
     objects.c    a parsed line to its field values (TaskUpdate objects); configure()
     decode.c     a line through the parser and the builder
     buffer.c     the arguments, declined lines and id digests of the buffer reading
     batch.c      decode_buffer_batches: the lines of a buffer, found in C, the updates kept
                  packed (task_batch.h); ids as digests
     skipped.c    count_skipped: the runs of blank and junk lines the reading declines
     digests.c    event id digests for the parallel reader
     taskline_module.c  the method table and module init

   The per-token lexer (parse_string, parse_number, obj_next, ...) is here, static inline: every
   parser calls it, and it must stay inlined into them. Functions shared between the files
   carry an ft_ prefix; everything declared here is hidden from other shared objects.

   Each EXPORT_TASK line of a Ray export event log, decoded in one pass over its bytes.

   The reference reading is flowinsight.read.task_lines.task_line (msgspec), or where it steps
   aside orjson.loads and the careful export_events.parse_export_event. This decoder validates
   the whole line as JSON the way orjson would, builds values only for the fields task_line
   reads, and declines ("not sure") anything it does not handle exactly as that path does: the
   caller then takes the Python path. Whenever it takes a line, its TaskUpdate carries exactly
   what the Python path gives (tests/test_native.py holds it to that). The objects are built
   here (the classes, their slots' descriptors, the TaskType members and
   parse_descriptor_cached come from configure(), called by flowinsight.read.native).

   Besides every line the Python path refuses (task_line None, orjson error, not EXPORT_TASK),
   deliberate bail-outs (declined), all rare in real logs: any byte >= 0x80 (\u escapes are
   decoded, except surrogates); an escaped key, or a key given twice (orjson keeps the last),
   in an object whose keys are read; a read number that is negative, fractional, has an
   exponent or more than 19 digits; a time or state timestamp that is not [0-9]{1,19} (a
   string) or a JSON integer, both up to 2**63-1, where task_line reads it (int() would also
   take " 1", "+1", "1_0"); a skipped number orjson might refuse or read oddly (more than 18
   integer digits, a value that may pass 1e300); nesting deeper than 64; an id that is not
   the canonical base64 of its kind's length (task_line maps some of those to ""); a
   task_info, profile_events, state_updates or error_info that is neither an object nor null
   (task_line ignores a task_info of another type); an event_id neither a string nor null; a
   language with non-ASCII letters.

   The line's bytes are read up to a trailing NUL (decode_buffer_batches writes it over each
   line's newline while it reads the line): a NUL
   is never valid JSON outside a string and never valid inside one, so every scan stops there
   without a bounds check and the final check that the parse ended at the end of the buffer
   catches a NUL inside the line. */

#ifndef FLOWINSIGHT_TASKLINE_H
#define FLOWINSIGHT_TASKLINE_H

#include "cpython.h"
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "task_batch.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* the per-token helpers, inlined into every parser (about 10% of the time per line) */
#if defined(__GNUC__)
#define HOT static inline __attribute__((always_inline))
#else
#define HOT static inline
#endif

/* Bits of a 64-bit mask: how many are set, and the lowest set (m != 0). */
#if defined(__GNUC__)
#define POPCOUNT64(m) __builtin_popcountll(m)
#define CTZ64(m) __builtin_ctzll(m)
#else
static inline int POPCOUNT64(uint64_t m)
{
    int n = 0;
    for (; m; m &= m - 1)
        n++;
    return n;
}
static inline int CTZ64(uint64_t m)
{
    int n = 0;
    while (!(m & 1)) {
        m >>= 1;
        n++;
    }
    return n;
}
#endif

#define MAX_DEPTH 64
#define I63 ((uint64_t)INT64_MAX)
#define BAIL (-1) /* not sure: the caller takes the Python path */
#define ERR (-2)  /* a Python exception is set (memory) */

#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif

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

typedef struct {
    uint64_t val; /* the first 19 digits of the integer part */
    int ndig;     /* digits of the integer part */
    unsigned char neg, is_int, risky;
} Num;

/* ------------------------------------------------------------------------------------------ */
/* Lexing (the tables are in json_scan.c) */

extern unsigned char PLAIN[256]; /* a byte that stands for itself inside a string */
extern signed char HEX[256];
extern signed char B64[256];
/* a byte no JSON text starts with (after JSON's whitespace): a line that starts so is junk */
extern unsigned char JUNK_START[256];

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

/* The decoded bytes (UTF-8) of a string that holds escapes, in scratch (json_scan.c). */
int ft_unescape_escaped(Ctx *c, Slice *s);

static inline int unescape(Ctx *c, Slice *s)
{
    if (!s->esc)
        return 0;
    return ft_unescape_escaped(c, s);
}

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

int ft_skip_value(Ctx *c);

/* The value of a member with key `key`, validated and passed over as skip_value would:
   a long object or array the same as the last one skipped under that key is passed over
   without parsing it again (json_scan.c). */
int ft_skip_member(Ctx *c, Slice key);

/* Any value, validated and passed over: a string (most skipped values are) here, inlined,
   c->p kept in a register rather than stored for a call and loaded back; the rest by
   ft_skip_value. */
HOT int skip_value(Ctx *c)
{
    if (*c->p == '"') {
        Slice s;
        return parse_string(c, &s);
    }
    return ft_skip_value(c);
}

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

/* The members of one JSON object, from its '{': `member` gets each key with the parser at its
   value, reads the value and returns 0, or stops the walk (BAIL, ERR). An escaped key is
   never compared (its text is not the key's): BAIL. `seen` is ONCE's: a key twice bails.
   Inlined with a constant `member`, the call is a direct one. */
typedef int (*Member)(Ctx *c, Slice key, unsigned *seen, void *state);
HOT int each_member(Ctx *c, Member member, void *state)
{
    int more = 0, r;
    unsigned seen = 0;
    Slice k;
    if ((r = obj_open(c)))
        return r;
    while ((r = obj_next(c, &more, &k)) == 1) {
        if (k.esc)
            return BAIL;
        if ((r = member(c, k, &seen, state)))
            return r;
    }
    return r;
}

/* The items of one JSON array, from its '[': each read by `item` (0), or the walk stops. */
typedef int (*Item)(Ctx *c, void *state);
HOT int each_item(Ctx *c, Item item, void *state)
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
        if ((r = item(c, state)))
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

/* ------------------------------------------------------------------------------------------ */
/* Values the reference reads (fields.c, spans.c) */

/* a[0..n) == b[0..n), a word at a time (the last word overlapping): inlined where memcmp was a
   call per key compared. Reads no byte outside either range. */
HOT int bytes_eq(const unsigned char *a, const char *b, size_t n)
{
    if (n >= 8) {
        uint64_t x, y, d = 0;
        for (size_t i = 0; i + 8 < n; i += 8) {
            memcpy(&x, a + i, 8);
            memcpy(&y, b + i, 8);
            d |= x ^ y;
        }
        memcpy(&x, a + n - 8, 8);
        memcpy(&y, b + n - 8, 8);
        return (d | (x ^ y)) == 0;
    }
    if (n >= 4) {
        uint32_t w, x, y, z;
        memcpy(&w, a, 4);
        memcpy(&x, b, 4);
        memcpy(&y, a + n - 4, 4);
        memcpy(&z, b + n - 4, 4);
        return ((w ^ x) | (y ^ z)) == 0;
    }
    for (size_t i = 0; i < n; i++)
        if (a[i] != (unsigned char)b[i])
            return 0;
    return 1;
}

#define KEY(k, s) ((k).n == (Py_ssize_t)sizeof(s) - 1 && bytes_eq((k).p, s, sizeof(s) - 1))
/* A member's key for the first time (each_member's `seen`), or BAIL. */
#define ONCE(bit)                                                                              \
    do {                                                                                       \
        if (*seen & (bit))                                                                     \
            return BAIL;                                                                       \
        *seen |= (bit);                                                                        \
    } while (0)

/* An object read by `parse`, or null (nothing to read); anything else bails. */
HOT int object_or_null(Ctx *c, Task *t, int (*parse)(Ctx *, Task *))
{
    if (*c->p == '{')
        return parse(c, t);
    return lit(c, "null", 4) ? 0 : BAIL;
}

/* A string (*present = 1) or null (*present = 0); anything else bails. */
HOT int opt_str(Ctx *c, Slice *s, unsigned char *present)
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

static inline int str_is(const Slice *s, const char *word, Py_ssize_t len)
{
    return s->n == len && bytes_eq(s->p, word, (size_t)len);
}

extern const char *const TYPE_NAMES[4]; /* the task types, in TaskType's order */

/* Any JSON value; *ok when it is a time the reference accepts (a decimal string or an
   integer, 0..2**63-1). */
int ft_time_value(Ctx *c, int64_t *out, int *ok);
/* profile_events' object: its component type, and the spans task_line keeps (spans.c) */
int ft_parse_profile(Ctx *c, Task *t);
/* The whole line: 0 with *t filled, BAIL or ERR (fields.c). */
int ft_parse_line(Ctx *c, Task *t);

/* ------------------------------------------------------------------------------------------ */
/* Building the values (strings.c, objects.c) */

extern PyObject *EMPTY;        /* "" */

/* Ids' hex strs, shared as task_line's tables share them (a TaskUpdate's ids are the same
   objects as its neighbours'): one direct-mapped table per kind, keyed by the base64 text so
   that a hit costs no decoding. Task and parent task ids share one table, nodes and workers
   another. About 1.8 MB in all. */
typedef struct {
    PyObject **vals;
    unsigned char *keys; /* slots * keylen */
    uint32_t slots;
    int keylen; /* the base64 length of the kind's ids */
} IdTable;

extern IdTable TASK_IDS, NODE_IDS, ACTOR_IDS, JOB_IDS;

/* A hint only (no effect on any result): the cache lines about to be read. */
#if defined(__GNUC__)
#define PREFETCH(a) __builtin_prefetch((const void *)(a), 0, 3)
#define PREFETCH_W(a) __builtin_prefetch((const void *)(a), 1, 3)
#else
#define PREFETCH(a) ((void)(a))
#define PREFETCH_W(a) ((void)(a))
#endif

/* The slot of an id of a table's length (its base64 text, keylen bytes: 8, 24, 32 or 40) in
   a table of `slots`. */
static inline uint32_t id_slot_n(const unsigned char *p, int keylen, uint32_t slots)
{
    uint64_t h = 0;
    for (int i = 0; i < keylen; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0x9E3779B97F4A7C15ULL;
    }
    return (uint32_t)(h ^ (h >> 32)) & (slots - 1);
}

static inline uint32_t id_slot(const unsigned char *p, const IdTable *table)
{
    return id_slot_n(p, table->keylen, table->slots);
}

/* Called by the parser as soon as it has an id's text: its slot's key and value are brought
   into the cache while the rest of the line is parsed, before ft_b64_id reads them (a table
   of ~1 MB misses the CPU's caches on most new ids). */
static inline void id_prefetch(const Slice *s, const IdTable *table)
{
    if (s->n != table->keylen || s->esc)
        return;
    uint32_t at = id_slot(s->p, table);
    const unsigned char *key = table->keys + (size_t)at * (size_t)table->keylen;
    PREFETCH(key);
    PREFETCH(key + table->keylen - 1);
    /* and the str it holds, which a hit increfs and a miss evicts (a prefetch of NULL is
       harmless: a prefetch never faults) */
    PREFETCH_W(table->vals[at]);
}

PyObject *ft_make_str(const Slice *s);
/* A short string that recurs, shared (one str per value, its hash computed once). */
PyObject *ft_cached_str(const Slice *s);
/* The id's lowercase hex ("" for an empty or nil id) in *out; BAIL for one that is not a
   canonical base64 id of its length. */
int ft_b64_id(Ctx *c, Slice *s, int nbytes, IdTable *table, PyObject **out);

enum {
    F_EVENT_ID, F_TASK_ID, F_ATTEMPT, F_JOB, F_TYPE, F_FUNC, F_LANG, F_PARENT, F_ACTOR,
    F_STATES, F_NODE, F_WORKER, F_PID, F_ETYPE, F_EMSG, F_COMPONENT, F_SPANS, N_FIELDS
};

/* What a batch builds its objects with: set by configure() (objects.c). */
extern PyObject *TASK_CLS, *TASK_SET[16];

PyObject *ft_new_instance(PyObject *cls, PyObject **setters, PyObject **values, int n);
/* Span(name, start, end), as a batch's item builds it */
PyObject *ft_make_span(PyObject *name, int64_t start, int64_t end);
/* The fields of a parsed line (objects.c): all but attempt, states, worker_pid and spans
   (left NULL), which a batch holds packed (batch.c). */
int ft_build(Ctx *c, Task *t, PyObject **f);
/* A line's bytes (data[size] a NUL) read to its fields (decode.c): 0 with f[] filled, BAIL,
   or ERR; with `digest` the event id as its digest (*has_digest: whether it has one). The
   parsed line is left in *t for the caller (its spans freed by ft_task_done). */
int ft_decode_fields(const unsigned char *data, Py_ssize_t size, PyObject **f, uint64_t *digest,
                     int *has_digest, Task *t, unsigned char **scratch);
void ft_task_done(Task *t, unsigned char *scratch);

/* ------------------------------------------------------------------------------------------ */
/* The module's functions, and what module init sets up */

/* What decode_buffer_batches reads with (buffer.c): its arguments (buffer,
   start, end, digests: whole lines in buffer[start:end], the buffer held writable: 0, or -1
   with an exception set and nothing held), the lines they decline ((index, start, stop) for
   the Python path) and the event ids' digests, grown as needed. */
typedef struct {
    uint64_t *v;
    Py_ssize_t n, cap;
} Digests;
/* A line decoded to fields f[] (r: 0, BAIL or ERR) as the callers count it: 1 taken, 0 for the
   Python path (an exception a field's builder raised included, as task_line does), -1 with an
   exception set (memory); f[] released. */
int ft_line_result(int r, PyObject **f);
int ft_lines_arg(PyObject *args, const char *name, Py_buffer *view, Py_ssize_t *start,
                 Py_ssize_t *end, int *digests);
int ft_push_miss(PyObject *misses, Py_ssize_t index, Py_ssize_t start, Py_ssize_t stop);

/* The blank lines (nothing but the ASCII whitespace bytes.strip() strips) from buf[*at] on,
   within whole lines ending before `end`: how many, *at moved past them. */
static inline Py_ssize_t ft_skip_blank(const unsigned char *buf, Py_ssize_t *at, Py_ssize_t end)
{
    Py_ssize_t lines = 0, p = *at;
    for (;;) {
        Py_ssize_t q = p;
        while (q < end && buf[q] == '\n') { /* a run of empty lines: the common blank */
            q++;
            lines++;
        }
        p = q;
        while (q < end && (buf[q] == ' ' || buf[q] == '\t' || buf[q] == '\r' || buf[q] == '\v'
                           || buf[q] == '\f'))
            q++;
        if (q >= end || buf[q] != '\n')
            break;
        lines++;
        p = q + 1;
    }
    *at = p;
    return lines;
}

/* What a line the reader skips without the Python path is, by its first byte after JSON's
   whitespace: SKIP_JUNK when that byte is one no JSON text starts with (JUNK_START: orjson
   refuses the line at once, "not_json", or "invalid_utf8" when it is not UTF-8), SKIP_VALUE
   when the line is a JSON value that is not an object, as ft_skip_value validates it (orjson
   would take it: "not_object"), else 0: a line starting with `{`, or one ft_skip_value is
   not sure of, needs the Python path. `nl` is the line's newline, a NUL while a value is
   read (the buffer is writable), then put back. Blank lines are ft_skip_blank's. */
enum { SKIP_JUNK = 1, SKIP_VALUE = 2 };
int ft_skipped_line(unsigned char *line, unsigned char *nl);

/* The run of blank and skipped lines (ft_skipped_line) from buf[*at] on, within whole lines
   ending before `end`: how many, *at moved past them. The buffer readers decline such a run
   as one range (index of its first line, start, the stop before its last newline): one
   entry for a million newlines or junk lines, which the reader counts with count_skipped (a
   range of one line is declined as before). A file of newlines or junk is read at the speed
   of this loop. */
static inline Py_ssize_t ft_skip_run(unsigned char *buf, Py_ssize_t *at, Py_ssize_t end)
{
    Py_ssize_t lines = 0;
    for (;;) {
        lines += ft_skip_blank(buf, at, end);
        const unsigned char *p = buf + *at, *e = buf + end;
        while (p < e && (*p == ' ' || *p == '\t' || *p == '\r'))
            p++;
        if (p >= e || *p == '{') /* (the decoder's, at once: no search for its end) */
            return lines;
        unsigned char *nl = memchr(buf + *at, '\n', (size_t)(end - *at));
        if (!ft_skipped_line(buf + *at, nl))
            return lines;
        *at = nl - buf + 1; /* found: whole lines */
        lines++;
    }
}
/* count_skipped (skipped.c) */
PyObject *ft_count_skipped(PyObject *module, PyObject *args);
int ft_push_digest(Digests *d, uint64_t value);
int ft_push_pair(Digests *d, uint64_t digest, const unsigned char *line, Py_ssize_t n);
PyObject *ft_decode_buffer_batches(PyObject *module, PyObject *args);
/* The TaskBatch type and its capsule (batch.c); -1 with an exception set. */
int ft_init_batch(PyObject *module);
/* parallel.event_id_digest of a str whose UTF-8 is these bytes (digests.c) */
uint64_t ft_digest(const unsigned char *p, Py_ssize_t n);
PyObject *ft_configure(PyObject *module, PyObject *args);
PyObject *ft_digests(PyObject *self, PyObject *ids);
uint64_t ft_line_digest(const unsigned char *p, Py_ssize_t n);
PyObject *ft_line_digests(PyObject *self, PyObject *lines);
PyObject *ft_sort_digests(PyObject *self, PyObject *arg);

void ft_init_lexer(void);    /* PLAIN, HEX, B64 */
int ft_init_strings(void);   /* EMPTY and the hex digit pairs; -1 with an exception set */
void ft_crc_init(void);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
