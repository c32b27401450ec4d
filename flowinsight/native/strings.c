/* The str objects of a line: one shared str per recurring name (function, language, span),
   and ids decoded from base64 to the lowercase hex task_line gives them, shared the same way. */

#include "taskline.h"

PyObject *EMPTY;

PyObject *ft_make_str(const Slice *s)
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

PyObject *ft_cached_str(const Slice *s)
{
    if (s->n > STR_MAX)
        return ft_make_str(s);
    StrEntry *e = &STR_CACHE[hash_bytes(s->p, s->n) & (STR_SLOTS - 1)];
    if (e->val && e->len == s->n && memcmp(e->key, s->p, (size_t)s->n) == 0)
        return Py_NewRef(e->val);
    PyObject *out = ft_make_str(s);
    if (!out)
        return NULL;
    Py_XSETREF(e->val, Py_NewRef(out));
    e->len = (unsigned char)s->n;
    memcpy(e->key, s->p, (size_t)s->n);
    return out;
}

#define ID_TABLE(name, nslots, len)                                                            \
    static PyObject *name##_VALS[nslots];                                                      \
    static unsigned char name##_KEYS[(nslots) * (len)];                                        \
    IdTable name = {name##_VALS, name##_KEYS, nslots, len}
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

#if defined(__SSE2__)
/* 16 bytes to their 32 lowercase hex digits, at once rather than a pair a byte */
static inline void hex16(const unsigned char *raw, Py_UCS1 *d)
{
    const __m128i low = _mm_set1_epi8(0x0F), nine = _mm_set1_epi8(9),
                  zero = _mm_set1_epi8('0'), letters = _mm_set1_epi8('a' - '0' - 10);
    __m128i v = _mm_loadu_si128((const __m128i *)raw);
    __m128i hi = _mm_and_si128(_mm_srli_epi16(v, 4), low), lo = _mm_and_si128(v, low);
    __m128i a = _mm_unpacklo_epi8(hi, lo), b = _mm_unpackhi_epi8(hi, lo); /* high nibble first */
    a = _mm_add_epi8(_mm_add_epi8(a, zero), _mm_and_si128(_mm_cmpgt_epi8(a, nine), letters));
    b = _mm_add_epi8(_mm_add_epi8(b, zero), _mm_and_si128(_mm_cmpgt_epi8(b, nine), letters));
    _mm_storeu_si128((__m128i *)d, a);
    _mm_storeu_si128((__m128i *)(d + 16), b);
}
#endif

/* raw[0..n) all 0xff (a nil id), a word at a time (the last word overlapping; n >= 8) */
static inline int all_ones(const unsigned char *raw, int n)
{
    uint64_t all = ~(uint64_t)0, w;
    for (int i = 0; i + 8 < n; i += 8) {
        memcpy(&w, raw + i, 8);
        all &= w;
    }
    memcpy(&w, raw + n - 8, 8);
    return (all & w) == ~(uint64_t)0;
}

static PyObject *hex_str(const unsigned char *raw, int nbytes)
{
    if (nbytes >= 8 ? all_ones(raw, nbytes) : (raw[0] & raw[1] & raw[2] & raw[3]) == 0xff)
        return Py_NewRef(EMPTY); /* nil (ids are 4, 16, 24 or 28 bytes) */
    PyObject *out = PyUnicode_New(2 * nbytes, 127);
    if (!out)
        return NULL;
    Py_UCS1 *d = PyUnicode_1BYTE_DATA(out);
#if defined(__SSE2__)
    if (nbytes >= 16) {
        /* the first 16 bytes and the last 16 (overlapping: the same digits written twice) */
        hex16(raw, d);
        hex16(raw + nbytes - 16, d + 2 * (nbytes - 16));
        return out;
    }
#endif
    for (int i = 0; i < nbytes; i++)
        memcpy(d + 2 * i, &HEX_PAIRS[raw[i]], 2);
    return out;
}

/* The strs last evicted from the id tables, their references dropped N_EVICTED evictions
   later (see ft_b64_id). */
#define N_EVICTED 16
static PyObject *EVICTED[N_EVICTED];
static unsigned evicted_at;

/* ft_b64_id for one kind of id: `keylen`, the table's, a constant where it is inlined (the
   loops over the key unrolled) */
HOT int b64_id(Slice *s, int nbytes, IdTable *table, int keylen, PyObject **out)
{
    if (s->n != keylen)
        return BAIL;
    uint32_t at = id_slot_n(s->p, keylen, table->slots);
    unsigned char *key = table->keys + (size_t)at * (size_t)keylen;
    uint64_t diff = 0;
    for (int i = 0; i < keylen; i += 8) {
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
    memcpy(key, s->p, (size_t)keylen);
    if (old) {
        /* the evicted str is rarely still in the CPU's cache: its reference is dropped a few
           evictions later, its header fetched meanwhile, rather than waited for now */
        PREFETCH_W(old);
        PyObject *prev = EVICTED[evicted_at];
        EVICTED[evicted_at] = old;
        evicted_at = (evicted_at + 1) & (N_EVICTED - 1);
        Py_XDECREF(prev);
    }
    *out = hex;
    return 0;
}

/* See taskline.h. */
int ft_b64_id(Ctx *c, Slice *s, int nbytes, IdTable *table, PyObject **out)
{
    int r = unescape(c, s);
    if (r)
        return r;
    if (s->n == 0) {
        *out = Py_NewRef(EMPTY);
        return 0;
    }
    switch (table->keylen) {
    case 8:
        return b64_id(s, nbytes, table, 8, out);
    case 24:
        return b64_id(s, nbytes, table, 24, out);
    case 32:
        return b64_id(s, nbytes, table, 32, out);
    default:
        return b64_id(s, nbytes, table, 40, out);
    }
}

int ft_init_strings(void)
{
    for (int i = 0; i < 256; i++) {
        unsigned char pair[2] = {(unsigned char)"0123456789abcdef"[i >> 4],
                                 (unsigned char)"0123456789abcdef"[i & 15]};
        memcpy(&HEX_PAIRS[i], pair, 2);
    }
    if (!EMPTY && !(EMPTY = PyUnicode_New(0, 0)))
        return -1;
    return 0;
}
