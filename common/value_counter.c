/* value_counter.c - small hashed value counters and host sets that switch
 * to dense arrays / bitmaps when those are smaller. */
#include "value_counter.h"

#include <stdlib.h>
#include <string.h>

#define HASH_MUL 2654435761u

/* ---- ft_vcount ---------------------------------------------------------- */

struct ft_vcount {
    uint32_t n;     /* distinct values */
    uint32_t cap;   /* hash slots (power of 2); unused when dense */
    uint8_t bits;   /* value domain: 8 or 16 bits */
    uint8_t dense;  /* cnt[] indexed by value */
    uint8_t shift;  /* 32 - log2(cap) */
    /* hash: slot i is cnt[2i] (count) and cnt[2i+1] (value), one cache
     * line for both; dense: cnt[1 << bits].  A count is never 0 for a
     * present value (see ft_vcount_add), so 0 marks an empty slot. */
    uint32_t cnt[];
};

static size_t vc_hash_bytes(uint32_t cap)
{
    return sizeof(ft_vcount) + (size_t)cap * 2 * sizeof(uint32_t);
}

static size_t vc_dense_bytes(int bits)
{
    return sizeof(ft_vcount) + ((size_t)1 << bits) * sizeof(uint32_t);
}

static size_t vc_bytes(const ft_vcount *m)
{
    return m->dense ? vc_dense_bytes(m->bits) : vc_hash_bytes(m->cap);
}

/* Index into cnt[] of v's count, or of the empty slot where it goes. */
static inline uint32_t vc_slot(const ft_vcount *m, uint16_t v)
{
    uint32_t i = ((uint32_t)v * HASH_MUL) >> m->shift;
    uint32_t mask = m->cap - 1;
    while (m->cnt[2 * i] && m->cnt[2 * i + 1] != v)
        i = (i + 1) & mask;
    return 2 * i;
}

static int log2u(uint32_t x)
{
    int r = 0;
    while (x > 1) {
        x >>= 1;
        r++;
    }
    return r;
}

/* Empty counter of cap slots (or dense when that is no larger). */
static ft_vcount *vc_alloc(int bits, uint32_t cap, size_t *mem)
{
    int dense = vc_hash_bytes(cap) >= vc_dense_bytes(bits);
    size_t sz = dense ? vc_dense_bytes(bits) : vc_hash_bytes(cap);
    ft_vcount *m = calloc(1, sz);
    if (!m)
        return NULL;
    *mem += sz;
    m->bits = (uint8_t)bits;
    m->dense = (uint8_t)dense;
    m->cap = dense ? 0 : cap;
    m->shift = (uint8_t)(32 - log2u(cap));
    return m;
}

/* Stores v -> c in a counter known not to hold v and to have room. */
static void vc_put(ft_vcount *m, uint16_t v, uint32_t c)
{
    m->n++;
    if (m->dense) {
        m->cnt[v] = c;
        return;
    }
    uint32_t i = vc_slot(m, v);
    m->cnt[i] = c;
    m->cnt[i + 1] = v;
}

ft_vcount *ft_vcount_new2(int bits, uint16_t a, uint32_t ca, uint16_t b,
                          uint32_t cb, size_t *mem)
{
    ft_vcount *m = vc_alloc(bits, 4, mem);
    if (!m)
        return NULL;
    vc_put(m, a, ca);
    vc_put(m, b, cb);
    return m;
}

static int vc_grow(ft_vcount **pm, size_t *mem)
{
    ft_vcount *o = *pm;
    ft_vcount *m = vc_alloc(o->bits, o->cap * 2, mem);
    if (!m)
        return -1;
    for (uint32_t i = 0; i < 2 * o->cap; i += 2)
        if (o->cnt[i])
            vc_put(m, (uint16_t)o->cnt[i + 1], o->cnt[i]);
    ft_vcount_free(o, mem);
    *pm = m;
    return 0;
}

/* v's count, made present (count 0 until the caller sets it) when new;
 * NULL when growing failed (*pm unchanged). */
static uint32_t *vc_ref(ft_vcount **pm, uint16_t v, size_t *mem)
{
    ft_vcount *m = *pm;
    if (m->dense) {
        if (!m->cnt[v])
            m->n++;
        return &m->cnt[v];
    }
    uint32_t i = vc_slot(m, v);
    if (!m->cnt[i]) {
        if ((m->n + 1) * 4 > m->cap * 3) {
            if (vc_grow(pm, mem) < 0)
                return NULL;
            return vc_ref(pm, v, mem); /* the grown counter has room */
        }
        m->n++;
        m->cnt[i + 1] = v;
    }
    return &m->cnt[i];
}

/* Counts are kept in 1 .. 2^32-1: one past 2^32-1 stores 1 and returns 1,
 * so the true count is stored + carries * (2^32 - 1) and 0 can keep
 * meaning "empty". */
int ft_vcount_add(ft_vcount **pm, uint16_t v, size_t *mem)
{
    uint32_t *c = vc_ref(pm, v, mem);
    if (!c)
        return -1;
    if (*c == UINT32_MAX) {
        *c = 1;
        return 1;
    }
    ++*c;
    return 0;
}

int ft_vcount_add_n(ft_vcount **pm, uint16_t v, uint64_t n, uint64_t *carries,
                    size_t *mem)
{
    uint32_t *c = vc_ref(pm, v, mem);
    if (!c)
        return -1;
    /* stored + n = s + k * (2^32 - 1) with s in 1 .. 2^32-1, as n single
     * adds leave it (a fresh value starts from stored 0). */
    const uint64_t unit = UINT32_MAX;
    uint64_t k = n / unit, s = *c + n % unit;
    if (s > unit) {
        s -= unit;
        k++;
    } else if (s == 0) { /* fresh value, n a multiple of the unit */
        s = unit;
        k--;
    }
    *c = (uint32_t)s;
    *carries = k;
    return 0;
}

uint32_t ft_vcount_distinct(const ft_vcount *m)
{
    return m->n;
}

int ft_vcount_next(const ft_vcount *m, uint32_t *pos, uint16_t *v,
                   uint32_t *count)
{
    uint32_t step = m->dense ? 1 : 2;
    uint32_t end = m->dense ? (uint32_t)1 << m->bits : 2 * m->cap;
    for (uint32_t i = *pos; i < end; i += step) {
        if (m->cnt[i]) {
            *v = (uint16_t)(m->dense ? i : m->cnt[i + 1]);
            *count = m->cnt[i];
            *pos = i + step;
            return 1;
        }
    }
    *pos = end;
    return 0;
}

void ft_vcount_prefetch(const ft_vcount *m, uint16_t v)
{
    if (m->dense) {
        __builtin_prefetch(&m->cnt[v]);
    } else {
        uint32_t i = ((uint32_t)v * HASH_MUL) >> m->shift;
        __builtin_prefetch(&m->cnt[2 * i]);
    }
}

int ft_vcount_is_dense(const ft_vcount *m)
{
    return m->dense;
}

void ft_vcount_free(ft_vcount *m, size_t *mem)
{
    if (!m)
        return;
    *mem -= vc_bytes(m);
    free(m);
}

/* ---- ft_hostset --------------------------------------------------------- */

struct ft_hostset {
    uint32_t n;        /* hosts in the set */
    uint32_t cap;      /* hash slots (power of 2); unused for a bitmap */
    uint8_t bits;      /* 16 under a /16, 8 under a /24 */
    uint8_t bitmap;
    uint8_t has_zero;  /* hash form: host 0 (0 marks empty slots) */
    uint8_t shift;
    uint64_t data[];   /* uint16_t key[cap], or the bitmap */
};

static size_t hs_hash_bytes(uint32_t cap)
{
    return sizeof(ft_hostset) + ((size_t)cap * sizeof(uint16_t) + 7) / 8 * 8;
}

static size_t hs_bitmap_bytes(int bits)
{
    return sizeof(ft_hostset) + ((size_t)1 << bits) / 8;
}

static ft_hostset *hs_alloc(int bits, uint32_t cap, size_t *mem)
{
    int bm = hs_hash_bytes(cap) >= hs_bitmap_bytes(bits);
    size_t sz = bm ? hs_bitmap_bytes(bits) : hs_hash_bytes(cap);
    ft_hostset *s = calloc(1, sz);
    if (!s)
        return NULL;
    *mem += sz;
    s->bits = (uint8_t)bits;
    s->bitmap = (uint8_t)bm;
    s->cap = bm ? 0 : cap;
    s->shift = (uint8_t)(32 - log2u(cap));
    return s;
}

/* Adds h to a set with room; 1 when new. */
static int hs_put(ft_hostset *s, uint16_t h)
{
    if (s->bitmap) {
        uint64_t bit = (uint64_t)1 << (h & 63);
        if (s->data[h >> 6] & bit)
            return 0;
        s->data[h >> 6] |= bit;
        s->n++;
        return 1;
    }
    if (h == 0) {
        if (s->has_zero)
            return 0;
        s->has_zero = 1;
        s->n++;
        return 1;
    }
    uint16_t *key = (uint16_t *)s->data;
    uint32_t mask = s->cap - 1;
    uint32_t i = ((uint32_t)h * HASH_MUL) >> s->shift;
    while (key[i]) {
        if (key[i] == h)
            return 0;
        i = (i + 1) & mask;
    }
    key[i] = h;
    s->n++;
    return 1;
}

ft_hostset *ft_hostset_new3(int bits, uint16_t a, uint16_t b, uint16_t c,
                            size_t *mem)
{
    ft_hostset *s = hs_alloc(bits, 4, mem);
    if (!s)
        return NULL;
    hs_put(s, a);
    hs_put(s, b);
    hs_put(s, c);
    return s;
}

static int hs_contains(const ft_hostset *s, uint16_t h)
{
    if (s->bitmap)
        return (s->data[h >> 6] >> (h & 63)) & 1;
    if (h == 0)
        return s->has_zero;
    const uint16_t *key = (const uint16_t *)s->data;
    uint32_t mask = s->cap - 1;
    uint32_t i = ((uint32_t)h * HASH_MUL) >> s->shift;
    while (key[i]) {
        if (key[i] == h)
            return 1;
        i = (i + 1) & mask;
    }
    return 0;
}

int ft_hostset_add(ft_hostset **ps, uint16_t h, size_t *mem)
{
    ft_hostset *s = *ps;
    if (s->bitmap || h == 0)
        return hs_put(s, h);
    /* Slots in use exclude host 0, which lives in has_zero. */
    if ((s->n - s->has_zero + 1) * 4 > s->cap * 3 && !hs_contains(s, h)) {
        ft_hostset *t = hs_alloc(s->bits, s->cap * 2, mem);
        if (!t)
            return -1;
        const uint16_t *key = (const uint16_t *)s->data;
        for (uint32_t i = 0; i < s->cap; i++)
            if (key[i])
                hs_put(t, key[i]);
        if (s->has_zero)
            hs_put(t, 0);
        ft_hostset_free(s, mem);
        *ps = s = t;
    }
    return hs_put(s, h);
}

uint32_t ft_hostset_count(const ft_hostset *s)
{
    return s->n;
}

void ft_hostset_prefetch(const ft_hostset *s, uint16_t h)
{
    if (s->bitmap)
        __builtin_prefetch(&s->data[h >> 6]);
    else
        __builtin_prefetch((const uint16_t *)s->data +
                           (((uint32_t)h * HASH_MUL) >> s->shift));
}

int ft_hostset_is_bitmap(const ft_hostset *s)
{
    return s->bitmap;
}

void ft_hostset_free(ft_hostset *s, size_t *mem)
{
    if (!s)
        return;
    *mem -= s->bitmap ? hs_bitmap_bytes(s->bits) : hs_hash_bytes(s->cap);
    free(s);
}
