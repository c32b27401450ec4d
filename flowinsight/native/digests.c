/* Event id digests for the parallel reader (flowinsight/read/parallel.py): crc32 and adler32
   of each id (ft_digest, which decode_buffer also uses), and sorting them. */

#include "taskline.h"

/* ---- Event id digests for the parallel reader (flowinsight/read/parallel.py) ----
   event_id_digest(id) there is crc32(utf8) << 32 | adler32(utf8), zlib's two checksums; these
   give the same 64 bits for a list of ids at once, and sort them. */

/* CRC_TABLE[k][x]: the CRC of byte x followed by k zero bytes, to take 8 bytes a step
   ("slicing by 8"): an id's digest was a table lookup per byte, one after the other. */
static uint32_t CRC_TABLE[8][256];

void ft_crc_init(void)
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        CRC_TABLE[0][n] = c;
    }
    for (int k = 1; k < 8; k++)
        for (int n = 0; n < 256; n++) {
            uint32_t c = CRC_TABLE[k - 1][n];
            CRC_TABLE[k][n] = (c >> 8) ^ CRC_TABLE[0][c & 0xFF];
        }
}

#define ADLER_MOD 65521u
#define ADLER_NMAX 5552 /* zlib's: the most bytes before b can overflow 32 bits */

/* The running crc32 (inverted) taken over q[0:left], 8 bytes a step. */
static uint32_t crc_update(uint32_t crc, const unsigned char *q, Py_ssize_t left)
{
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (; left >= 8; q += 8, left -= 8) {
        uint32_t lo, hi;
        memcpy(&lo, q, 4);
        memcpy(&hi, q + 4, 4);
        lo ^= crc;
        crc = CRC_TABLE[7][lo & 0xFF] ^ CRC_TABLE[6][(lo >> 8) & 0xFF]
              ^ CRC_TABLE[5][(lo >> 16) & 0xFF] ^ CRC_TABLE[4][lo >> 24]
              ^ CRC_TABLE[3][hi & 0xFF] ^ CRC_TABLE[2][(hi >> 8) & 0xFF]
              ^ CRC_TABLE[1][(hi >> 16) & 0xFF] ^ CRC_TABLE[0][hi >> 24];
    }
#endif
    for (; left > 0; q++, left--)
        crc = CRC_TABLE[0][(crc ^ *q) & 0xFF] ^ (crc >> 8);
    return crc;
}

uint64_t ft_digest(const unsigned char *p, Py_ssize_t n)
{
    uint32_t crc = crc_update(0xFFFFFFFFu, p, n), a = 1, b = 0;
    /* adler32 with the modulo taken once per ADLER_NMAX bytes, as zlib does */
    while (n > 0) {
        Py_ssize_t k = n < ADLER_NMAX ? n : ADLER_NMAX;
        n -= k;
#if defined(__SSE2__)
        /* 16 bytes a step: b gains 16 a and the bytes weighted 16..1, a their sum; the same
           sums as the bytes one at a time, so the same values at each modulo */
        const __m128i zero = _mm_setzero_si128(),
                      w_lo = _mm_setr_epi16(16, 15, 14, 13, 12, 11, 10, 9),
                      w_hi = _mm_setr_epi16(8, 7, 6, 5, 4, 3, 2, 1);
        for (; k >= 16; k -= 16, p += 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)p);
            __m128i sum = _mm_sad_epu8(v, zero); /* two 64-bit halves */
            __m128i w = _mm_add_epi32(_mm_madd_epi16(_mm_unpacklo_epi8(v, zero), w_lo),
                                      _mm_madd_epi16(_mm_unpackhi_epi8(v, zero), w_hi));
            w = _mm_add_epi32(w, _mm_shuffle_epi32(w, 0x4E));
            w = _mm_add_epi32(w, _mm_shuffle_epi32(w, 0xB1));
            b += 16 * a + (uint32_t)_mm_cvtsi128_si32(w);
            a += (uint32_t)_mm_cvtsi128_si32(sum) + (uint32_t)_mm_cvtsi128_si32(_mm_srli_si128(sum, 8));
        }
#endif
        while (k--) {
            a += *p++;
            b += a;
        }
        a %= ADLER_MOD;
        b %= ADLER_MOD;
    }
    return (uint64_t)(crc ^ 0xFFFFFFFFu) << 32 | ((uint64_t)b << 16 | a);
}

/* ---- Line digests: a line's length << 32 | zlib's crc32 of it (digests.line_digest) ----
   An event's line tells it from another event under the same id; crc32 tells apart every two
   lines that differ in a run of up to 32 bits, or in up to 3 bits. The crc is taken 64 bytes a
   step with carry-less multiplication where the CPU has it (Intel's "Fast CRC Computation for
   Generic Polynomials Using PCLMULQDQ", the folding constants of the reflected CRC-32 as in
   Linux's crc32-pclmul and Chromium's zlib), the table above otherwise: a line digested at the
   table's speed cost the decoder as much as decoding it. */

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#define FT_CLMUL 1

__attribute__((target("pclmul,sse4.1")))
static uint32_t crc_clmul(const unsigned char *p, Py_ssize_t n, uint32_t crc)
{
    /* n >= 64, a multiple of 16; crc is the running (inverted) value */
    const __m128i k1k2 = _mm_set_epi64x(0x01c6e41596, 0x0154442bd4),
                  k3k4 = _mm_set_epi64x(0x00ccaa009e, 0x01751997d0),
                  k5k0 = _mm_set_epi64x(0, 0x0163cd6124),
                  poly = _mm_set_epi64x(0x01f7011641, 0x01db710641);
    __m128i x1 = _mm_loadu_si128((const __m128i *)(p + 0x00)),
            x2 = _mm_loadu_si128((const __m128i *)(p + 0x10)),
            x3 = _mm_loadu_si128((const __m128i *)(p + 0x20)),
            x4 = _mm_loadu_si128((const __m128i *)(p + 0x30)), x5;
    x1 = _mm_xor_si128(x1, _mm_cvtsi32_si128((int)crc));
    p += 64;
    n -= 64;
    for (; n >= 64; p += 64, n -= 64) {
        __m128i x6, x7, x8;
        x5 = _mm_clmulepi64_si128(x1, k1k2, 0x00);
        x6 = _mm_clmulepi64_si128(x2, k1k2, 0x00);
        x7 = _mm_clmulepi64_si128(x3, k1k2, 0x00);
        x8 = _mm_clmulepi64_si128(x4, k1k2, 0x00);
        x1 = _mm_xor_si128(_mm_clmulepi64_si128(x1, k1k2, 0x11), x5);
        x2 = _mm_xor_si128(_mm_clmulepi64_si128(x2, k1k2, 0x11), x6);
        x3 = _mm_xor_si128(_mm_clmulepi64_si128(x3, k1k2, 0x11), x7);
        x4 = _mm_xor_si128(_mm_clmulepi64_si128(x4, k1k2, 0x11), x8);
        x1 = _mm_xor_si128(x1, _mm_loadu_si128((const __m128i *)(p + 0x00)));
        x2 = _mm_xor_si128(x2, _mm_loadu_si128((const __m128i *)(p + 0x10)));
        x3 = _mm_xor_si128(x3, _mm_loadu_si128((const __m128i *)(p + 0x20)));
        x4 = _mm_xor_si128(x4, _mm_loadu_si128((const __m128i *)(p + 0x30)));
    }
    /* fold the four into one, then the rest 16 bytes a step */
    x5 = _mm_clmulepi64_si128(x1, k3k4, 0x00);
    x1 = _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x1, k3k4, 0x11), x2), x5);
    x5 = _mm_clmulepi64_si128(x1, k3k4, 0x00);
    x1 = _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x1, k3k4, 0x11), x3), x5);
    x5 = _mm_clmulepi64_si128(x1, k3k4, 0x00);
    x1 = _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x1, k3k4, 0x11), x4), x5);
    for (; n >= 16; p += 16, n -= 16) {
        x5 = _mm_clmulepi64_si128(x1, k3k4, 0x00);
        x1 = _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x1, k3k4, 0x11),
                                         _mm_loadu_si128((const __m128i *)p)), x5);
    }
    /* 128 bits to 64, then Barrett's reduction to 32 */
    const __m128i low32 = _mm_setr_epi32(~0, 0, ~0, 0);
    __m128i x2b = _mm_clmulepi64_si128(x1, k3k4, 0x10);
    x1 = _mm_xor_si128(_mm_srli_si128(x1, 8), x2b);
    x2b = _mm_srli_si128(x1, 4);
    x1 = _mm_and_si128(x1, low32);
    x1 = _mm_xor_si128(_mm_clmulepi64_si128(x1, k5k0, 0x00), x2b);
    x2b = _mm_and_si128(x1, low32);
    x2b = _mm_clmulepi64_si128(x2b, poly, 0x10);
    x2b = _mm_and_si128(x2b, low32);
    x2b = _mm_clmulepi64_si128(x2b, poly, 0x00);
    x1 = _mm_xor_si128(x1, x2b);
    return (uint32_t)_mm_extract_epi32(x1, 1);
}
#endif

static int HAS_CLMUL = -1;

uint64_t ft_line_digest(const unsigned char *p, Py_ssize_t n)
{
    uint32_t crc = 0xFFFFFFFFu;
    const unsigned char *q = p;
    Py_ssize_t left = n;
#ifdef FT_CLMUL
    if (HAS_CLMUL < 0)
        HAS_CLMUL = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
    if (HAS_CLMUL && left >= 64) {
        Py_ssize_t chunk = left & ~(Py_ssize_t)15;
        crc = crc_clmul(q, chunk, crc);
        q += chunk;
        left -= chunk;
    }
#endif
    crc = crc_update(crc, q, left);
    return (uint64_t)(uint32_t)n << 32 | (crc ^ 0xFFFFFFFFu);
}

/* line_digests(lines): ft_line_digest of each bytes, as native uint64s (for the tests) */
PyObject *ft_line_digests(PyObject *self, PyObject *lines)
{
    (void)self;
    if (!PyList_Check(lines)) {
        PyErr_SetString(PyExc_TypeError, "line_digests: want a list");
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(lines);
    PyObject *out = PyBytes_FromStringAndSize(NULL, 8 * n);
    if (!out)
        return NULL;
    uint64_t *dst = (uint64_t *)PyBytes_AS_STRING(out);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *line = PyList_GET_ITEM(lines, i);
        if (!PyBytes_Check(line)) {
            Py_DECREF(out);
            PyErr_SetString(PyExc_TypeError, "line_digests: want bytes");
            return NULL;
        }
        dst[i] = ft_line_digest((const unsigned char *)PyBytes_AS_STRING(line),
                                PyBytes_GET_SIZE(line));
    }
    return out;
}

PyObject *ft_digests(PyObject *self, PyObject *ids)
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
            dst[count++] = ft_digest(PyUnicode_DATA(id), PyUnicode_GET_LENGTH(id));
            continue;
        }
        PyObject *raw = PyUnicode_AsEncodedString(id, "utf-8", "surrogatepass");
        if (!raw) {
            Py_DECREF(out);
            return NULL;
        }
        dst[count++] = ft_digest((const unsigned char *)PyBytes_AS_STRING(raw),
                                 PyBytes_GET_SIZE(raw));
        Py_DECREF(raw);
    }
    if (count == n)
        return out;
    /* some skipped: the digests copied into bytes of their size */
    PyObject *fit = PyBytes_FromStringAndSize(PyBytes_AS_STRING(out), 8 * count);
    Py_DECREF(out);
    return fit;
}

/* LSD radix sort, a byte at a time: digests are uniform 64-bit values, and a group's tens of
   thousands of them sort in a few passes over memory (qsort took a comparison call per step).
   The histograms of all 8 bytes are made in one pass; a byte that all values share is
   skipped. */
static int radix_sort(uint64_t *v, Py_ssize_t n)
{
    if (n < 2)
        return 0;
    Py_ssize_t (*count)[256] = PyMem_Calloc(8, sizeof *count);
    uint64_t *tmp = PyMem_Malloc((size_t)n * sizeof *tmp);
    if (!count || !tmp) {
        PyMem_Free(count);
        PyMem_Free(tmp);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++)
        for (int b = 0; b < 8; b++)
            count[b][(v[i] >> (8 * b)) & 0xFF]++;
    uint64_t *src = v, *dst = tmp;
    for (int b = 0; b < 8; b++) {
        Py_ssize_t *c = count[b], sum = 0;
        if (c[(v[0] >> (8 * b)) & 0xFF] == n)
            continue; /* every value has this byte: the order stands */
        for (int d = 0; d < 256; d++) {
            Py_ssize_t here = c[d];
            c[d] = sum;
            sum += here;
        }
        for (Py_ssize_t i = 0; i < n; i++)
            dst[c[(src[i] >> (8 * b)) & 0xFF]++] = src[i];
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != v)
        memcpy(v, src, (size_t)n * sizeof *v);
    PyMem_Free(count);
    PyMem_Free(tmp);
    return 0;
}

PyObject *ft_sort_digests(PyObject *self, PyObject *arg)
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
    if (radix_sort(v, n) < 0) {
        Py_DECREF(out);
        return NULL;
    }
    int repeated = 0;
    for (Py_ssize_t i = 1; i < n && !repeated; i++)
        repeated = v[i] == v[i - 1];
    return Py_BuildValue("(NO)", out, repeated ? Py_True : Py_False);
}
