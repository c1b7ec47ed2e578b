/* topn.c - group, count and rank FT4 records (see topn.h). */
#include "topn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "partial.h"

/* Longest encoded key: every field, arrays full (see topn.h). */
#define KEY_MAX (FT4_F_COUNT * (FT4_ARRAY_READ_MAX * 9 + 1))
/* The item layout partials are written in (see topn.h). */
#define VERSION 2
/* Records wait in a queue of BATCH so that the cache misses of their
 * table lookups overlap (see ft_topn_add). */
#define BATCH 32
#define QBUF (2 * KEY_MAX)

typedef struct slot {
    uint64_t count;
    uint64_t off;  /* key bytes in the arena */
    uint32_t hash; /* low 32 bits of the key's hash */
    uint32_t len;  /* 0 = empty slot (no key encodes to 0 bytes) */
} slot;

/* Keys in ascending key order, each once, with their counts: what a
 * partial section holds, and what merging sections gives (see
 * ft_topn_merge_files). */
typedef struct run {
    uint8_t *keys; /* key bytes back to back */
    size_t klen, kcap;
    struct item {
        uint64_t count;
        uint64_t off; /* in keys */
        uint32_t len;
    } *items;
    size_t n, cap;
    int level; /* merged from about 2^level sections */
} run;

struct ft_topn {
    int nfields;
    int fields[FT4_F_COUNT];
    enum ft_topn_by by;
    size_t key_len; /* every key's length; 0 when an array field varies it */
    size_t check_end; /* with key_len: the bytes up to the last string field's
                         end, which decode_key checks (numbers are any bytes) */
    /* After a merge the keys are one sorted run and there are no slots
     * (merging sorted runs reads and writes memory in order, where
     * inserting into slots misses the cache once a key);
     * ft_topn_add puts them back into slots. */
    int sorted;
    run merged;
    slot *slots;
    size_t mask; /* slots - 1 */
    size_t used;
    uint64_t total;
    uint8_t *arena;
    size_t alen, acap;
    struct pending {
        uint32_t off, len, hash;
        uint64_t count;
    } q[BATCH];
    int nq;
    size_t qlen;
    uint8_t qbuf[QBUF];
};

static const char *const by_names[] = {"flows", "packets", "dst_ips"};

int ft_topn_by_parse(const char *s, enum ft_topn_by *by)
{
    for (int i = 0; i < 3; i++) {
        if (strcmp(s, by_names[i]) == 0) {
            *by = (enum ft_topn_by)i;
            return 0;
        }
    }
    return -1;
}

const char *ft_topn_by_name(enum ft_topn_by by) { return by_names[by]; }

ft_topn *ft_topn_new(const int *fields, int nfields, enum ft_topn_by by,
                     ft_error *err)
{
    if (nfields < 1 || nfields > FT4_F_COUNT) {
        ft_error_set(err, "key: %d fields", nfields);
        return NULL;
    }
    for (int i = 0; i < nfields; i++)
        for (int j = 0; j < i; j++)
            if (fields[i] == fields[j]) {
                ft_error_set(err, "key: field '%s' given twice",
                             ft4_fields[fields[i]].name);
                return NULL;
            }
    ft_topn *t = calloc(1, sizeof *t);
    if (!t || !(t->slots = calloc(64, sizeof *t->slots))) {
        free(t);
        ft_error_set(err, "out of memory");
        return NULL;
    }
    t->mask = 63;
    t->nfields = nfields;
    memcpy(t->fields, fields, (size_t)nfields * sizeof *fields);
    t->by = by;
    for (int i = 0; i < nfields; i++) {
        enum ft4_type ty = ft4_fields[fields[i]].type;
        if (ty == FT4_ARRAY) {
            t->key_len = 0;
            break;
        }
        t->key_len += ty == FT4_LONG ? 8 : ty == FT4_INT ? 4 : 16;
        if (ty == FT4_STRING)
            t->check_end = t->key_len;
    }
    return t;
}

static void run_free(run *r)
{
    free(r->keys);
    free(r->items);
    *r = (run){0};
}

void ft_topn_free(ft_topn *t)
{
    if (!t)
        return;
    run_free(&t->merged);
    free(t->slots);
    free(t->arena);
    free(t);
}

size_t ft_topn_keys(ft_topn *t)
{
    ft_topn_flush(t, NULL);
    return t->used;
}
uint64_t ft_topn_total(const ft_topn *t) { return t->total; }

static void put_be(uint8_t *p, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint64_t get_be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static size_t encode_key(const ft_topn *t, const ft4_record *r, uint8_t *k)
{
    size_t n = 0;
    for (int i = 0; i < t->nfields; i++) {
        int f = t->fields[i];
        const void *p = (const char *)r + ft4_fields[f].offset;
        switch (ft4_fields[f].type) {
        case FT4_LONG:
            put_be(k + n, (uint64_t)*(const int64_t *)p ^ ((uint64_t)1 << 63), 8);
            n += 8;
            break;
        case FT4_INT:
            put_be(k + n, (uint32_t)*(const int32_t *)p ^ ((uint32_t)1 << 31), 4);
            n += 4;
            break;
        case FT4_STRING: {
            const ft4_tag *tag = p;
            memset(k + n, 0, 16);
            memcpy(k + n, tag->s, tag->len);
            k[n + 15] = tag->len;
            n += 16;
            break;
        }
        case FT4_ARRAY: {
            const ft4_array *a = p;
            for (uint32_t j = 0; j < a->n; j++) {
                k[n] = 1;
                put_be(k + n + 1, (uint64_t)a->v[j] ^ ((uint64_t)1 << 63), 8);
                n += 9;
            }
            k[n++] = 0;
            break;
        }
        }
    }
    return n;
}

/* The inverse of encode_key, reading at most len bytes: returns the
 * bytes the key takes, or -1 when k does not start with a valid key
 * (checks keys read from partial files).  r may be NULL. */
static long decode_key(const ft_topn *t, const uint8_t *k, size_t len,
                       ft4_record *r)
{
    size_t n = 0;
    for (int i = 0; i < t->nfields; i++) {
        int f = t->fields[i];
        void *p = r ? (char *)r + ft4_fields[f].offset : NULL;
        switch (ft4_fields[f].type) {
        case FT4_LONG:
            if (len - n < 8)
                return -1;
            if (p)
                *(int64_t *)p = (int64_t)(get_be(k + n, 8) ^ ((uint64_t)1 << 63));
            n += 8;
            break;
        case FT4_INT:
            if (len - n < 4)
                return -1;
            if (p)
                *(int32_t *)p = (int32_t)(uint32_t)(get_be(k + n, 4) ^ ((uint32_t)1 << 31));
            n += 4;
            break;
        case FT4_STRING:
            if (len - n < 16 || k[n + 15] > FT4_TAG_MAX)
                return -1;
            for (size_t j = k[n + 15]; j < 15; j++)
                if (k[n + j])
                    return -1;
            if (p)
                ft4_tag_set(p, (const char *)k + n, k[n + 15]);
            n += 16;
            break;
        case FT4_ARRAY: {
            ft4_array *a = p;
            uint32_t m = 0;
            for (;;) {
                if (n >= len)
                    return -1;
                if (k[n] == 0)
                    break;
                if (k[n] != 1 || len - n < 9 || m == FT4_ARRAY_READ_MAX)
                    return -1;
                if (a)
                    a->v[m] = (int64_t)(get_be(k + n + 1, 8) ^ ((uint64_t)1 << 63));
                m++;
                n += 9;
            }
            if (a)
                a->n = m;
            n++;
            break;
        }
        }
    }
    return (long)n;
}

void ft_topn_key_decode(const ft_topn *t, const uint8_t *key, ft4_record *r)
{
    /* Keys in the table were all checked when they came in. */
    decode_key(t, key, KEY_MAX, r);
}

/* 64-bit multiply-xorshift over 8-byte words (keys are short: 4 to a
 * few dozen bytes). */
static uint64_t hash_key(const uint8_t *k, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, k, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
        h ^= h >> 31;
        k += 8;
        n -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, k, n);
    h = (h ^ w) * 0x94d049bb133111ebull;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    return h ^ (h >> 32);
}

static int grow(ft_topn *t, ft_error *err)
{
    size_t n = (t->mask + 1) * 2;
    slot *s = calloc(n, sizeof *s);
    if (!s)
        return ft_error_set(err, "out of memory (%zu keys)", t->used);
    for (size_t i = 0; i <= t->mask; i++) {
        if (!t->slots[i].len)
            continue;
        size_t j = t->slots[i].hash & (n - 1);
        while (s[j].len)
            j = (j + 1) & (n - 1);
        s[j] = t->slots[i];
    }
    free(t->slots);
    t->slots = s;
    t->mask = n - 1;
    return 0;
}

/* Room for n more bytes after the used ones of *buf (capacity *cap),
 * doubling. */
static int room(uint8_t **buf, size_t *cap, size_t used, size_t n)
{
    if (*cap - used >= n)
        return 0;
    size_t c = *cap ? *cap * 2 : 65536;
    while (c - used < n)
        c *= 2;
    uint8_t *b = realloc(*buf, c);
    if (!b)
        return -1;
    *buf = b;
    *cap = c;
    return 0;
}

/* Adds count to key k (hash h); creates the key when new.  The total is
 * the caller's. */
static int insert(ft_topn *t, const uint8_t *k, size_t len, uint32_t h,
                  uint64_t count, ft_error *err)
{
    size_t i = h & t->mask;
    for (;; i = (i + 1) & t->mask) {
        slot *s = &t->slots[i];
        if (!s->len)
            break;
        if (s->hash == h && s->len == len && memcmp(t->arena + s->off, k, len) == 0) {
            s->count += count; /* <= total: cannot overflow */
            return 0;
        }
    }
    if (room(&t->arena, &t->acap, t->alen, len) < 0)
        return ft_error_set(err, "out of memory (%zu keys)", t->used);
    memcpy(t->arena + t->alen, k, len);
    t->slots[i] = (slot){count, t->alen, h, (uint32_t)len};
    t->alen += len;
    t->used++;
    if (t->used * 4 > (t->mask + 1) * 3)
        return grow(t, err);
    return 0;
}

static int add_total(ft_topn *t, uint64_t count, ft_error *err)
{
    if (__builtin_add_overflow(t->total, count, &t->total))
        return ft_error_set(err, "%s: total past 2^64 - 1", ft_topn_by_name(t->by));
    return 0;
}

int ft_topn_flush(ft_topn *t, ft_error *err)
{
    /* The slots were fetched when the keys were queued; now fetch the
     * stored keys they point to, then compare and add. */
    for (int i = 0; i < t->nq; i++) {
        const slot *s = &t->slots[t->q[i].hash & t->mask];
        if (s->len && s->hash == t->q[i].hash)
            __builtin_prefetch(t->arena + s->off);
    }
    int rc = 0;
    for (int i = 0; i < t->nq && rc == 0; i++)
        rc = insert(t, t->qbuf + t->q[i].off, t->q[i].len, t->q[i].hash,
                    t->q[i].count, err);
    t->nq = 0;
    t->qlen = 0;
    return rc;
}

/* Puts the keys of a merged table back into slots, sized once; the run's
 * key bytes become the arena. */
static int to_slots(ft_topn *t, ft_error *err)
{
    run *m = &t->merged;
    size_t n = 64;
    while (m->n * 4 > n * 3)
        n *= 2;
    slot *s = calloc(n, sizeof *s);
    if (!s)
        return ft_error_set(err, "out of memory (%zu keys)", m->n);
    for (size_t i = 0; i < m->n; i++) {
        const struct item *it = &m->items[i];
        uint32_t h = (uint32_t)hash_key(m->keys + it->off, it->len);
        size_t j = h & (n - 1);
        while (s[j].len)
            j = (j + 1) & (n - 1);
        s[j] = (slot){it->count, it->off, h, it->len};
    }
    free(t->slots);
    free(t->arena);
    t->slots = s;
    t->mask = n - 1;
    t->arena = m->keys;
    t->alen = m->klen;
    t->acap = m->kcap;
    free(m->items);
    *m = (run){0};
    t->sorted = 0;
    return 0;
}

int ft_topn_add(ft_topn *t, const ft4_record *r, ft_error *err)
{
    uint64_t w = 1;
    if (t->by == FT_TOPN_PACKETS) {
        if (r->packet_cnt < 0)
            return ft_error_set(err, "negative packet_cnt %lld", (long long)r->packet_cnt);
        w = (uint64_t)r->packet_cnt;
    } else if (t->by == FT_TOPN_DST_IPS) {
        if (r->uniq_dst_ips < 0)
            return ft_error_set(err, "negative uniq_dst_ips %d", r->uniq_dst_ips);
        w = (uint64_t)r->uniq_dst_ips;
    }
    if (t->sorted && to_slots(t, err) < 0)
        return -1;
    if (add_total(t, w, err) < 0)
        return -1;
    if (QBUF - t->qlen < KEY_MAX && ft_topn_flush(t, err) < 0)
        return -1;
    uint8_t *k = t->qbuf + t->qlen;
    size_t len = encode_key(t, r, k);
    uint32_t h = (uint32_t)hash_key(k, len);
    __builtin_prefetch(&t->slots[h & t->mask]);
    t->q[t->nq++] = (struct pending){(uint32_t)t->qlen, (uint32_t)len, h, w};
    t->qlen += len;
    return t->nq == BATCH ? ft_topn_flush(t, err) : 0;
}

static uint64_t load_be64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return v;
#else
    return __builtin_bswap64(v);
#endif
}

/* Key order: bytes, a prefix first.  Keys are short (4 to a few dozen
 * bytes): 8 bytes at a time, without a call. */
static int key_cmp(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
    size_t n = na < nb ? na : nb, i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x = load_be64(a + i), y = load_be64(b + i);
        if (x != y)
            return x < y ? -1 : 1;
    }
    for (; i < n; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return (na > nb) - (na < nb);
}

/* Rank order: count descending, then key ascending. */
static int cmp_rank(const ft_topn_entry *a, const ft_topn_entry *b)
{
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return key_cmp(a->key, a->len, b->key, b->len);
}

static int qcmp_rank(const void *a, const void *b) { return cmp_rank(a, b); }

static int qcmp_key(const void *a, const void *b)
{
    const ft_topn_entry *x = a, *y = b;
    return key_cmp(x->key, x->len, y->key, y->len);
}

/* Heap whose root is the worst of the best n so far. */
static void sift_down(ft_topn_entry *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, w = i;
        if (l < n && cmp_rank(&h[l], &h[w]) > 0)
            w = l;
        if (r < n && cmp_rank(&h[r], &h[w]) > 0)
            w = r;
        if (w == i)
            return;
        ft_topn_entry tmp = h[i];
        h[i] = h[w];
        h[w] = tmp;
        i = w;
    }
}

static void sift_up(ft_topn_entry *h, size_t i)
{
    while (i && cmp_rank(&h[i], &h[(i - 1) / 2]) > 0) {
        ft_topn_entry tmp = h[i];
        h[i] = h[(i - 1) / 2];
        h[(i - 1) / 2] = tmp;
        i = (i - 1) / 2;
    }
}

static ft_topn_entry entry_of(const ft_topn *t, const slot *s)
{
    return (ft_topn_entry){t->arena + s->off, s->len, s->count};
}

/* The keys are slots 0..mask, or items 0..n-1 of the merged run. */
static size_t entry_end(const ft_topn *t)
{
    return t->sorted ? t->merged.n : t->mask + 1;
}

/* 0 for an empty slot. */
static int entry_at(const ft_topn *t, size_t i, ft_topn_entry *e)
{
    if (t->sorted) {
        const struct item *it = &t->merged.items[i];
        *e = (ft_topn_entry){t->merged.keys + it->off, it->len, it->count};
        return 1;
    }
    *e = entry_of(t, &t->slots[i]);
    return e->len != 0;
}

int ft_topn_rank(ft_topn *t, size_t n, ft_topn_entry **keys,
                 size_t *nkeys, ft_error *err)
{
    if (ft_topn_flush(t, err) < 0)
        return -1;
    if (n == 0 || n > t->used)
        n = t->used;
    ft_topn_entry *h = malloc((n ? n : 1) * sizeof *h);
    if (!h)
        return ft_error_set(err, "out of memory");
    size_t m = 0, end = entry_end(t);
    ft_topn_entry e;
    for (size_t i = 0; i < end; i++) {
        if (!entry_at(t, i, &e))
            continue;
        if (m < n) {
            h[m] = e;
            sift_up(h, m++);
        } else if (cmp_rank(&e, &h[0]) < 0) {
            h[0] = e;
            sift_down(h, m, 0);
        }
    }
    qsort(h, m, sizeof *h, qcmp_rank);
    *keys = h;
    *nkeys = m;
    return 0;
}

/* Called with every key of a table in key order; -1 = out of memory. */
typedef int (*key_fn)(void *ctx, const uint8_t *key, size_t len, uint64_t count);

/* each_key for a table in slots whose keys all have one length (no
 * array field), which then lie back to back in the arena: a radix sort
 * on up to 8 of the byte positions where keys differ, packed into an
 * integer (bytes that are the same in every key decide nothing: in a
 * country x port key that leaves 4 of 20 bytes).  When no more bytes
 * differ, the keys are rebuilt from the integers, never read again;
 * otherwise keys that tie on those bytes are compared whole.  Returns 1
 * when done, 0 when not for this table (or memory is short), -1 when fn
 * failed. */
static int radix_keys(const ft_topn *t, key_fn fn, void *ctx)
{
    typedef struct { uint64_t k, v; } pair; /* v: the count, or the slot */
    size_t n = t->used, len = t->key_len;
    if (len == 0 || n < 256)
        return 0;
    pair *p = malloc(n * sizeof *p), *q = malloc(n * sizeof *q);
    if (!p || !q) {
        free(p);
        free(q);
        return 0;
    }
    const uint8_t *a = t->arena;
    uint64_t acc[FT4_F_COUNT * 2] = {0};
    uint8_t diff[FT4_F_COUNT * 16] = {0}, key[FT4_F_COUNT * 16];
    size_t words = len / 8;
    for (size_t i = 1; i < n; i++) {
        const uint8_t *k = a + i * len;
        for (size_t w = 0; w < words; w++) {
            uint64_t x, y;
            memcpy(&x, k + 8 * w, 8);
            memcpy(&y, a + 8 * w, 8);
            acc[w] |= x ^ y;
        }
        for (size_t j = 8 * words; j < len; j++)
            diff[j] |= k[j] ^ a[j];
    }
    memcpy(diff, acc, 8 * words); /* OR of XORs, byte by byte */
    size_t pos[8], np = 0;
    int more = 0;
    for (size_t j = 0; j < len; j++) {
        if (diff[j] && np == 8)
            more = 1;
        else if (diff[j])
            pos[np++] = j;
    }
    /* The integers in arena order (q is free until the sort), read in
     * slot order: a smaller table than the keys to miss the cache on. */
    uint64_t *packed = (uint64_t *)(void *)q;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *k = a + i * len;
        uint64_t x = 0;
        for (size_t b = 0; b < np; b++)
            x = x << 8 | k[pos[b]];
        packed[i] = x;
    }
    /* A key's number is off / len: off is a multiple of len and there
     * are far fewer than 2^50 keys, so off times 1 / len in doubles is
     * within 1/4 of it (a multiply instead of a division per key). */
    double inv = 1.0 / (double)len;
#define KEY_NO(off) ((size_t)((double)(off) * inv + 0.25))
    size_t count[8][256] = {{0}}, m = 0;
    for (size_t s = 0; s <= t->mask; s++) {
        const slot *sl = &t->slots[s];
        if (s + 16 <= t->mask && t->slots[s + 16].len)
            __builtin_prefetch(&packed[KEY_NO(t->slots[s + 16].off)]);
        if (!sl->len)
            continue;
        uint64_t x = packed[KEY_NO(sl->off)];
        p[m++] = (pair){x, more ? s : sl->count};
        for (size_t b = 0; b < np; b++)
            count[b][(x >> (8 * b)) & 0xff]++;
    }
#undef KEY_NO
    /* Least significant byte first, each pass stable. */
    for (size_t b = 0; b < np; b++) {
        size_t sum = 0;
        for (int v = 0; v < 256; v++) {
            size_t c = count[b][v];
            count[b][v] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            q[count[b][(p[i].k >> (8 * b)) & 0xff]++] = p[i];
        pair *tmp = p;
        p = q;
        q = tmp;
    }
    int rc = 1;
    memcpy(key, a, len);
    for (size_t i = 0; i < n && rc == 1;) {
        if (!more) {
            for (size_t b = 0; b < np; b++)
                key[pos[b]] = (uint8_t)(p[i].k >> (8 * (np - 1 - b)));
            if (fn(ctx, key, len, p[i].v) < 0)
                rc = -1;
            i++;
            continue;
        }
        size_t j = i + 1;
        while (j < n && p[j].k == p[i].k)
            j++;
        /* q is free now: entries of the tie group, sorted whole */
        ft_topn_entry *e = (ft_topn_entry *)(void *)q;
        if ((j - i) * sizeof *e > n * sizeof *q)
            e = malloc((j - i) * sizeof *e);
        if (!e) {
            rc = -1;
            break;
        }
        for (size_t g = i; g < j; g++)
            e[g - i] = entry_of(t, &t->slots[p[g].v]);
        qsort(e, j - i, sizeof *e, qcmp_key);
        for (size_t g = 0; g < j - i && rc == 1; g++)
            if (fn(ctx, e[g].key, len, e[g].count) < 0)
                rc = -1;
        if (e != (ft_topn_entry *)(void *)q)
            free(e);
        i = j;
    }
    free(p);
    free(q);
    return rc;
}

/* Calls fn with every key of t in key order.  Errors: out of memory. */
static int each_key(ft_topn *t, key_fn fn, void *ctx, ft_error *err)
{
    if (ft_topn_flush(t, err) < 0)
        return -1;
    if (t->sorted) {
        /* A merged run is in key order already. */
        const run *m = &t->merged;
        for (size_t i = 0; i < m->n; i++)
            if (fn(ctx, m->keys + m->items[i].off, m->items[i].len, m->items[i].count) < 0)
                return ft_error_set(err, "out of memory");
        return 0;
    }
    int rc = radix_keys(t, fn, ctx);
    if (rc != 0)
        return rc < 0 ? ft_error_set(err, "out of memory") : 0;
    ft_topn_entry *e = malloc((t->used ? t->used : 1) * sizeof *e);
    if (!e)
        return ft_error_set(err, "out of memory");
    size_t m = 0;
    for (size_t i = 0; i <= t->mask; i++)
        if (t->slots[i].len)
            e[m++] = entry_of(t, &t->slots[i]);
    qsort(e, m, sizeof *e, qcmp_key);
    for (size_t i = 0; i < m; i++)
        if (fn(ctx, e[i].key, e[i].len, e[i].count) < 0) {
            free(e);
            return ft_error_set(err, "out of memory");
        }
    free(e);
    return 0;
}

/* "ft-topn vVERSION key=F[,F...] by=BY". */
static int make_desc(const ft_topn *t, int version, char *buf, size_t size)
{
    size_t n = (size_t)snprintf(buf, size, "ft-topn v%d key=", version);
    for (int i = 0; i < t->nfields; i++)
        n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? "," : "",
                              ft4_fields[t->fields[i]].name);
    n += (size_t)snprintf(buf + n, size - n, " by=%s", ft_topn_by_name(t->by));
    return n < size ? 0 : -1;
}

/* The item layout a descriptor names (1 or 2), or 0. */
static int desc_version(const char *desc)
{
    if (strncmp(desc, "ft-topn v", 9) != 0 || (desc[9] != '1' && desc[9] != '2') ||
        desc[10] != ' ')
        return 0;
    return desc[9] - '0';
}

/* Writes items in layout 2: each key as the bytes it shares with the one
 * before and the rest. */
typedef struct writing {
    ft_partial_writer *w;
    size_t len;
    uint8_t prev[KEY_MAX];
} writing;

static int put_item(void *ctx, const uint8_t *key, size_t len, uint64_t count)
{
    writing *x = ctx;
    size_t same = 0, most = len < x->len ? len : x->len;
    while (same < most && key[same] == x->prev[same])
        same++;
    ft_partial_put_uint(x->w, same);
    ft_partial_put_uint(x->w, len - same);
    ft_partial_put_bytes(x->w, key + same, len - same);
    ft_partial_put_uint(x->w, count);
    memcpy(x->prev + same, key + same, len - same);
    x->len = len;
    return 0;
}

int ft_topn_write_partial(ft_topn *t, ft_sink *sink, ft_error *err)
{
    if (ft_topn_flush(t, err) < 0)
        return -1;
    char desc[FT_PARTIAL_DESC_MAX + 1];
    if (make_desc(t, VERSION, desc, sizeof desc) < 0)
        return ft_error_set(err, "partial: descriptor too long");
    writing *x = malloc(sizeof *x);
    if (!x)
        return ft_error_set(err, "out of memory");
    x->len = 0;
    if (!(x->w = ft_partial_writer_open(sink, desc, t->used, err))) {
        free(x);
        return -1;
    }
    /* Key order makes the file independent of hashing and input order. */
    int rc = each_key(t, put_item, x, err);
    if (rc < 0) {
        ft_error e2;
        ft_partial_writer_close(x->w, &e2);
    } else {
        rc = ft_partial_writer_close(x->w, err);
    }
    free(x);
    return rc;
}

/* A new, empty table for a descriptor written by make_desc. */
static ft_topn *from_desc(const char *desc, ft_error *err)
{
    /* "ft-topn vN key=" (15 bytes), the fields, " by=", the weight */
    const char *by = strstr(desc, " by=");
    if (!desc_version(desc) || strncmp(desc + 10, " key=", 5) != 0 || !by ||
        by < desc + 15) {
        ft_error_set(err, "not an ft-topn partial ('%s')", desc);
        return NULL;
    }
    const char *p = desc + 15;
    char list[FT_PARTIAL_DESC_MAX + 1];
    memcpy(list, p, (size_t)(by - p));
    list[by - p] = '\0';
    int fields[FT4_F_COUNT], n;
    enum ft_topn_by b;
    if (ft4_parse_field_list(list, fields, &n, err) < 0 ||
        ft_topn_by_parse(by + 4, &b) < 0) {
        ft_error_set(err, "unknown ft-topn partial ('%s')", desc);
        return NULL;
    }
    return ft_topn_new(fields, n, b, err);
}

/* Room for one more key of len bytes. */
static int run_reserve(run *r, size_t len)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 1024;
        struct item *it = realloc(r->items, cap * sizeof *it);
        if (!it)
            return -1;
        r->items = it;
        r->cap = cap;
    }
    return room(&r->keys, &r->kcap, r->klen, len);
}

/* Appends a key (after the others in key order, or the caller sorts). */
static int run_add(run *r, const uint8_t *k, size_t len, uint64_t count)
{
    if (run_reserve(r, len) < 0)
        return -1;
    memcpy(r->keys + r->klen, k, len);
    r->items[r->n++] = (struct item){count, r->klen, (uint32_t)len};
    r->klen += len;
    return 0;
}

/* Merges two runs into out, adding the counts of keys in both (sums of
 * counts are at most the total, which was checked). */
static int run_merge(const run *a, const run *b, run *out)
{
    *out = (run){0};
    out->cap = a->n + b->n;
    out->kcap = a->klen + b->klen;
    if (!(out->items = malloc((out->cap ? out->cap : 1) * sizeof *out->items)) ||
        !(out->keys = malloc(out->kcap ? out->kcap : 1))) {
        run_free(out);
        return -1;
    }
    size_t i = 0, j = 0;
    while (i < a->n || j < b->n) {
        const struct item *x = i < a->n ? &a->items[i] : NULL;
        const struct item *y = j < b->n ? &b->items[j] : NULL;
        int c = !x ? 1 : !y ? -1
                    : key_cmp(a->keys + x->off, x->len, b->keys + y->off, y->len);
        const struct item *from = c <= 0 ? x : y;
        const uint8_t *k = (c <= 0 ? a->keys : b->keys) + from->off;
        memcpy(out->keys + out->klen, k, from->len);
        out->items[out->n++] = (struct item){
            (c < 0 ? x->count : c > 0 ? y->count : x->count + y->count), out->klen,
            from->len};
        out->klen += from->len;
        i += c <= 0;
        j += c >= 0;
    }
    return 0;
}

/* Sorts a run whose keys came out of order (a partial written by other
 * means than ours), adding up repeated keys. */
static int run_order(run *r)
{
    ft_topn_entry *e = malloc((r->n ? r->n : 1) * sizeof *e);
    if (!e)
        return -1;
    for (size_t i = 0; i < r->n; i++)
        e[i] = (ft_topn_entry){r->keys + r->items[i].off, r->items[i].len,
                               r->items[i].count};
    qsort(e, r->n, sizeof *e, qcmp_key);
    run s = {0};
    for (size_t i = 0; i < r->n; i++) {
        struct item *last = s.n ? &s.items[s.n - 1] : NULL;
        if (last && key_cmp(s.keys + last->off, last->len, e[i].key, e[i].len) == 0)
            last->count += e[i].count;
        else if (run_add(&s, e[i].key, e[i].len, e[i].count) < 0) {
            free(e);
            run_free(&s);
            return -1;
        }
    }
    free(e);
    run_free(r);
    *r = s;
    return 0;
}

/* A merge: the table, the sorted runs waiting to be merged, and the
 * sections being read.  The sections of up to GROUP files are read at
 * once, item by item, and merged as they are read into one run (a
 * k-way merge: no section is held in memory).  Runs wait on a stack
 * whose levels fall from the bottom to the top; two runs of one level
 * are merged at once (as a binary counter), so that every key is copied
 * about log2(runs) times and at most that many runs are held. */
#define GROUP 64

typedef struct cursor {
    ft_partial_reader *r;
    int version;   /* item layout of the section: 1 whole keys, 2 prefix-coded */
    uint64_t left; /* items not read yet */
    uint64_t count;
    size_t len;
    uint8_t *key, *next; /* the current item's key, room for the next */
} cursor;

typedef struct merging {
    ft_topn **tp;
    run stack[64];
    int n;
    cursor cs[GROUP];
    cursor *heap[GROUP]; /* cursors with an item, the least key on top */
    int nheap;
} merging;

static int push_run(merging *m, run *r, ft_error *err)
{
    m->stack[m->n++] = *r;
    *r = (run){0};
    while (m->n >= 2 && m->stack[m->n - 1].level >= m->stack[m->n - 2].level) {
        run out;
        if (run_merge(&m->stack[m->n - 2], &m->stack[m->n - 1], &out) < 0)
            return ft_error_set(err, "out of memory");
        out.level = m->stack[m->n - 2].level + 1;
        run_free(&m->stack[m->n - 2]);
        run_free(&m->stack[m->n - 1]);
        m->stack[m->n - 2] = out;
        m->n--;
    }
    return 0;
}

/* Reads the next item of c's section into c->next (len, count):
 * 1 = read, 0 = the section has no more items. */
static int read_item(const ft_topn *t, cursor *c, size_t *shared, size_t *len,
                     uint64_t *count, ft_error *err)
{
    if (c->left == 0)
        return 0;
    uint64_t same = 0, rest;
    if (c->version == 2 && ft_partial_get_uint(c->r, &same, err) < 0)
        return -1;
    if (ft_partial_get_uint(c->r, &rest, err) < 0)
        return -1;
    if (same > c->len || rest > KEY_MAX - same || same + rest == 0)
        return ft_error_set(err, "%s: corrupt (key of %llu + %llu bytes)",
                            ft_partial_name(c->r), (unsigned long long)same,
                            (unsigned long long)rest);
    memcpy(c->next, c->key, (size_t)same);
    for (uint64_t got = 0; got < rest;) {
        size_t k = rest - got < FT_PARTIAL_BYTES_MAX ? (size_t)(rest - got)
                                                     : FT_PARTIAL_BYTES_MAX;
        if (ft_partial_get_bytes(c->r, c->next + same + got, k, err) < 0)
            return -1;
        got += k;
    }
    if (ft_partial_get_uint(c->r, count, err) < 0)
        return -1;
    *shared = (size_t)same;
    *len = (size_t)(same + rest);
    /* A key that shares the checked bytes with the one before (checked
     * too) needs only its length checked. */
    if (t->key_len && same >= t->check_end ? *len != t->key_len
                                           : decode_key(t, c->next, *len, NULL) != (long)*len)
        return ft_error_set(err, "%s: corrupt (bad key %llu)", ft_partial_name(c->r),
                            (unsigned long long)(ft_partial_items(c->r) - c->left));
    c->left--;
    return 1;
}

/* Adds a count read from a partial to the table's total. */
static int count_in(ft_topn *t, const cursor *c, uint64_t count, ft_error *err)
{
    if (add_total(t, count, err) < 0)
        return ft_error_prefix(err, "%s", ft_partial_name(c->r));
    return 0;
}

/* Moves c to its section's next item: 1 = there is one (c->key), 0 =
 * none.  Items out of key order (a partial not written by ft-topn) end
 * the streaming of the section: its other items are read into a run of
 * their own, sorted. */
static int cursor_next(merging *m, cursor *c, ft_error *err)
{
    ft_topn *t = *m->tp;
    size_t same, len;
    uint64_t count;
    int rc = read_item(t, c, &same, &len, &count, err);
    if (rc <= 0 || count_in(t, c, count, err) < 0)
        return rc == 0 ? 0 : -1;
    /* In order, the first byte past the shared ones is greater (ft-topn
     * shares all it can); anything else is compared whole. */
    int after = c->len == 0 ||
                (same < c->len && same < len && c->next[same] != c->key[same]
                     ? c->next[same] > c->key[same]
                     : key_cmp(c->key, c->len, c->next, len) < 0);
    if (after) {
        uint8_t *k = c->key;
        c->key = c->next;
        c->next = k;
        c->len = len;
        c->count = count;
        return 1;
    }
    run rest = {0};
    if (run_add(&rest, c->next, len, count) < 0)
        goto oom;
    for (;;) {
        /* c->key is the previous key of a prefix-coded item */
        memcpy(c->key, c->next, len);
        c->len = len;
        if ((rc = read_item(t, c, &same, &len, &count, err)) < 0 ||
            (rc == 1 && count_in(t, c, count, err) < 0)) {
            run_free(&rest);
            return -1;
        }
        if (rc == 0)
            break;
        if (run_add(&rest, c->next, len, count) < 0)
            goto oom;
    }
    if (run_order(&rest) < 0)
        goto oom;
    return push_run(m, &rest, err) < 0 ? -1 : 0;
oom:
    run_free(&rest);
    return ft_error_set(err, "%s: out of memory", ft_partial_name(c->r));
}

static int cursor_less(const cursor *a, const cursor *b)
{
    return key_cmp(a->key, a->len, b->key, b->len) < 0;
}

static void heap_down(merging *m, int i)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, w = i;
        if (l < m->nheap && cursor_less(m->heap[l], m->heap[w]))
            w = l;
        if (r < m->nheap && cursor_less(m->heap[r], m->heap[w]))
            w = r;
        if (w == i)
            return;
        cursor *tmp = m->heap[i];
        m->heap[i] = m->heap[w];
        m->heap[w] = tmp;
        i = w;
    }
}

/* Starts reading the section whose header c->r has just read. */
static int cursor_start(merging *m, cursor *c, ft_error *err)
{
    const char *name = ft_partial_name(c->r), *desc = ft_partial_desc(c->r);
    char mine[FT_PARTIAL_DESC_MAX + 1];
    if (!*m->tp && !(*m->tp = from_desc(desc, err)))
        return ft_error_prefix(err, "%s", name);
    c->version = desc_version(desc);
    make_desc(*m->tp, c->version ? c->version : VERSION, mine, sizeof mine);
    if (ft_partial_expect(c->r, mine, err) < 0)
        return -1;
    c->left = ft_partial_items(c->r);
    c->len = 0;
    return cursor_next(m, c, err);
}

/* Merges the current sections of the cursors cs[0..k) into one run on
 * the stack, then moves each to its file's next section; a cursor whose
 * file has ended is closed (its r set to NULL). */
static int merge_round(merging *m, int k, ft_error *err)
{
    run out = {0};
    m->nheap = 0;
    for (int i = 0; i < k; i++) {
        int rc = m->cs[i].r ? cursor_start(m, &m->cs[i], err) : 0;
        if (rc < 0)
            return -1;
        if (rc == 1)
            m->heap[m->nheap++] = &m->cs[i];
    }
    for (int i = m->nheap / 2 - 1; i >= 0; i--)
        heap_down(m, i);
    while (m->nheap) {
        cursor *c = m->heap[0];
        struct item *last = out.n ? &out.items[out.n - 1] : NULL;
        if (last && key_cmp(out.keys + last->off, last->len, c->key, c->len) == 0)
            last->count += c->count; /* sums of counts are at most the total */
        else if (run_add(&out, c->key, c->len, c->count) < 0) {
            run_free(&out);
            return ft_error_set(err, "out of memory (%zu keys)", out.n);
        }
        int rc = cursor_next(m, c, err);
        if (rc < 0) {
            run_free(&out);
            return -1;
        }
        if (rc == 0)
            m->heap[0] = m->heap[--m->nheap];
        heap_down(m, 0);
    }
    if (push_run(m, &out, err) < 0)
        return -1;
    for (int i = 0; i < k; i++) {
        cursor *c = &m->cs[i];
        if (!c->r)
            continue;
        int rc = ft_partial_end_section(c->r, err);
        if (rc == 0)
            rc = ft_partial_next_section(c->r, err);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            ft_partial_reader_close(c->r);
            c->r = NULL;
        }
    }
    return 0;
}

static int add_to_run(void *ctx, const uint8_t *key, size_t len, uint64_t count)
{
    return run_add(ctx, key, len, count);
}

/* The keys of a table as the first run of a merge; the table is left
 * with none. */
static int take_keys(ft_topn *t, run *out, ft_error *err)
{
    *out = (run){0};
    if (t->sorted) {
        *out = t->merged;
        t->merged = (run){0};
        return 0;
    }
    if (each_key(t, add_to_run, out, err) < 0) {
        run_free(out);
        return -1;
    }
    return 0;
}

/* Reads the files paths[0..n) in groups of GROUP into runs on m's stack. */
static int merge_groups(merging *m, int n, char *const *paths, ft_error *err)
{
    for (int g = 0; g < n; g += GROUP) {
        int k = n - g < GROUP ? n - g : GROUP;
        for (int i = 0; i < k; i++) {
            cursor *c = &m->cs[i];
            if (!(c->r = ft_partial_reader_open(paths[g + i], err)))
                return -1;
            if (ft_partial_next_section(c->r, err) < 0)
                return -1;
        }
        for (;;) {
            int open = 0;
            for (int i = 0; i < k; i++)
                open += m->cs[i].r != NULL;
            if (!open)
                break;
            if (merge_round(m, k, err) < 0)
                return -1;
        }
    }
    return 0;
}

int ft_topn_merge_files(ft_topn **t, int n, char *const *paths, ft_error *err)
{
    static char *const stdin_only[] = {"-"};
    if (n == 0) {
        n = 1;
        paths = stdin_only;
    }
    merging *m = calloc(1, sizeof *m);
    uint8_t *bufs = m ? malloc((size_t)2 * GROUP * KEY_MAX) : NULL;
    if (!bufs) {
        free(m);
        return ft_error_set(err, "out of memory");
    }
    m->tp = t;
    for (int i = 0; i < GROUP; i++) {
        m->cs[i].key = bufs + (size_t)2 * i * KEY_MAX;
        m->cs[i].next = m->cs[i].key + KEY_MAX;
    }
    int rc = 0;
    if (*t && (ft_topn_keys(*t) || (*t)->sorted)) {
        rc = take_keys(*t, &m->stack[0], err);
        m->n = rc == 0;
    }
    if (rc == 0)
        rc = merge_groups(m, n, paths, err);
    for (int i = 0; i < GROUP; i++)
        ft_partial_reader_close(m->cs[i].r);
    /* Also after an error, so that *t holds the counts read so far. */
    while (m->n >= 2) {
        run out;
        if (run_merge(&m->stack[m->n - 2], &m->stack[m->n - 1], &out) < 0) {
            if (rc == 0)
                rc = ft_error_set(err, "out of memory");
            for (int i = 0; i < m->n; i++)
                run_free(&m->stack[i]);
            m->n = 0;
            break;
        }
        run_free(&m->stack[m->n - 2]);
        run_free(&m->stack[m->n - 1]);
        m->stack[m->n - 2] = out;
        m->n--;
    }
    if (*t) {
        ft_topn *tt = *t;
        free(tt->slots);
        free(tt->arena);
        tt->slots = NULL;
        tt->arena = NULL;
        tt->alen = tt->acap = 0;
        tt->mask = 0;
        tt->merged = m->n ? m->stack[0] : (run){0};
        tt->sorted = 1;
        tt->used = tt->merged.n;
    } else if (m->n) {
        run_free(&m->stack[0]);
    }
    free(bufs);
    free(m);
    return rc;
}

/* Appends the key cells of one row. */
static int key_cells(const ft_topn *t, const uint8_t *key, const ft_output_opts *vo,
                     ft_table *tab, ft_error *err)
{
    ft4_record rec;
    char text[FT_VALUE_MAX], json[FT_VALUE_MAX];
    ft4_record_init(&rec);
    ft_topn_key_decode(t, key, &rec);
    for (int i = 0; i < t->nfields; i++) {
        int f = t->fields[i];
        ft_format_value(&rec, f, vo, 0, text);
        ft_format_value(&rec, f, vo, 1, json);
        int numeric = json[0] != '"' && json[0] != '[';
        if (ft_table_value(tab, text, json, numeric, err) < 0)
            return -1;
    }
    return 0;
}

/* A total of 0 (keys that all weigh 0) gives fractions 0, not NaN. */
static int count_cells(ft_table *tab, uint64_t count, uint64_t cum, uint64_t total,
                       ft_error *err)
{
    if (ft_table_u64(tab, count, err) < 0 || ft_table_ratio(tab, count, total, err) < 0 ||
        ft_table_ratio(tab, cum, total, err) < 0)
        return -1;
    return ft_table_end_row(tab, err);
}

ft_table *ft_topn_result(ft_topn *t, size_t n, int no_other,
                         enum ft_table_format fmt, int no_header,
                         const ft_output_opts *vo, ft_error *err)
{
    const char *names[FT4_F_COUNT + 4];
    int nc = 0;
    names[nc++] = "rank";
    if (t->nfields == 1)
        names[nc++] = "name";
    else
        for (int i = 0; i < t->nfields; i++)
            names[nc++] = ft4_fields[t->fields[i]].name;
    names[nc++] = ft_topn_by_name(t->by);
    names[nc++] = "pct";
    names[nc++] = "cumpct";
    ft_table *tab = ft_table_new(fmt, no_header, nc, names, err);
    ft_topn_entry *e = NULL;
    size_t m = 0;
    if (!tab || ft_topn_rank(t, n, &e, &m, err) < 0)
        goto fail;
    uint64_t cum = 0;
    for (size_t i = 0; i < m; i++) {
        cum += e[i].count;
        if (ft_table_u64(tab, i + 1, err) < 0 || key_cells(t, e[i].key, vo, tab, err) < 0 ||
            count_cells(tab, e[i].count, cum, t->total, err) < 0)
            goto fail;
    }
    /* "Nothing left" = no key past rank n; keys that all weigh 0 still
     * make an Other row, as they would a ranked row. */
    if (!no_other && m < t->used) {
        if (ft_table_u64(tab, m + 1, err) < 0 || ft_table_str(tab, "Other", err) < 0)
            goto fail;
        for (int i = 1; i < t->nfields; i++)
            if (ft_table_null(tab, err) < 0)
                goto fail;
        if (count_cells(tab, t->total - cum, t->total, t->total, err) < 0)
            goto fail;
    }
    free(e);
    return tab;
fail:
    free(e);
    ft_table_free(tab);
    return NULL;
}
