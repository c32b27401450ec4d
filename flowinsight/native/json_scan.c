/* The JSON lexer's tables, the unescaping of strings that hold escapes, and the skipping of
   the values the reference does not read (validated all the same, as orjson would). The
   per-token helpers themselves are static inline in taskline.h. */

#include "taskline.h"

unsigned char PLAIN[256];
signed char HEX[256];
signed char B64[256];
unsigned char JUNK_START[256];

void ft_init_lexer(void)
{
    for (int ch = 0x20; ch < 0x80; ch++)
        PLAIN[ch] = ch != '"' && ch != '\\';
    memset(HEX, -1, sizeof HEX);
    for (int i = 0; i < 10; i++)
        HEX['0' + i] = (signed char)i;
    for (int i = 0; i < 6; i++) {
        HEX['a' + i] = (signed char)(10 + i);
        HEX['A' + i] = (signed char)(10 + i);
    }
    memset(JUNK_START, 1, sizeof JUNK_START);
    for (const char *c = "{[\"-0123456789tfn \t\r\n"; *c; c++)
        JUNK_START[(unsigned char)*c] = 0;
    memset(B64, -1, sizeof B64);
    const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; i++)
        B64[(unsigned char)alphabet[i]] = (signed char)i;
}

/* The decoded bytes (UTF-8) of a string that holds escapes, in scratch. */
int ft_unescape_escaped(Ctx *c, Slice *s)
{
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

static int skip_item(Ctx *c, void *state)
{
    (void)state;
    return skip_value(c);
}

static int skip_array(Ctx *c)
{
    return each_item(c, skip_item, NULL);
}

int ft_skip_value(Ctx *c)
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

/* Skipped objects and arrays recur byte for byte from line to line (every task's
   runtime_env_info, say): the last long one skipped under each key (a slot per hash of the
   key; the key only picks the slot) is kept, and a value of the same bytes is passed over
   without parsing it again. What skipping a value finds depends only on its bytes and on how
   deep it starts (MAX_DEPTH): one that passed starting at `depth` passes again at that depth
   or shallower. An object or array ends at its own closing bracket, so its bytes alone say
   where it ends (a number's end would depend on the byte after it). */
#define MEMO_SLOTS 32
#define MEMO_MIN 32 /* shorter ones parse about as fast as they compare */
#define MEMO_MAX 512
typedef struct {
    Py_ssize_t len; /* 0: empty */
    int depth;
    unsigned char bytes[MEMO_MAX];
} Memo;
static Memo MEMO[MEMO_SLOTS];

int ft_skip_member(Ctx *c, Slice key)
{
    if (*c->p != '{' && *c->p != '[')
        return skip_value(c);
    uint32_t h = (uint32_t)key.n * 0x9E3779B1u;
    if (key.n > 0)
        h ^= (uint32_t)key.p[0] * 0x85EBCA6Bu ^ (uint32_t)key.p[key.n - 1] * 0xC2B2AE35u;
    Memo *m = &MEMO[(h ^ (h >> 16)) & (MEMO_SLOTS - 1)];
    const unsigned char *start = c->p;
    Py_ssize_t room = c->end - start;
    if (m->len && m->len <= room && c->depth <= m->depth
        && memcmp(start, m->bytes, (size_t)m->len) == 0) {
        c->p = start + m->len;
        return 0;
    }
    int depth = c->depth, r = ft_skip_value(c);
    Py_ssize_t len = c->p - start;
    if (!r && len >= MEMO_MIN && len <= MEMO_MAX) {
        memcpy(m->bytes, start, (size_t)len);
        m->len = len;
        m->depth = depth;
    }
    return r;
}
