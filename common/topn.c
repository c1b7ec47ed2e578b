/* topn.c - group, count and rank FT4 records (see topn.h). */
#include "topn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "partial.h"

/* Longest encoded key: every field, arrays full (see topn.h). */
#define KEY_MAX (FT4_F_COUNT * (FT4_ARRAY_READ_MAX * 9 + 1))
#define DESC_PREFIX "ft-topn v1 "
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

struct ft_topn {
    int nfields;
    int fields[FT4_F_COUNT];
    enum ft_topn_by by;
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
    return t;
}

void ft_topn_free(ft_topn *t)
{
    if (!t)
        return;
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
    if (t->acap - t->alen < len) {
        size_t cap = t->acap ? t->acap * 2 : 65536;
        while (cap - t->alen < len)
            cap *= 2;
        uint8_t *a = realloc(t->arena, cap);
        if (!a)
            return ft_error_set(err, "out of memory (%zu keys)", t->used);
        t->arena = a;
        t->acap = cap;
    }
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

/* Rank order: count descending, then key ascending. */
static int cmp_rank(const ft_topn_entry *a, const ft_topn_entry *b)
{
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    int c = memcmp(a->key, b->key, a->len < b->len ? a->len : b->len);
    if (c)
        return c;
    return (a->len > b->len) - (a->len < b->len);
}

static int qcmp_rank(const void *a, const void *b) { return cmp_rank(a, b); }

static int qcmp_key(const void *a, const void *b)
{
    const ft_topn_entry *x = a, *y = b;
    int c = memcmp(x->key, y->key, x->len < y->len ? x->len : y->len);
    return c ? c : (x->len > y->len) - (x->len < y->len);
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
    size_t m = 0;
    for (size_t i = 0; i <= t->mask; i++) {
        if (!t->slots[i].len)
            continue;
        ft_topn_entry e = entry_of(t, &t->slots[i]);
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

static int make_desc(const ft_topn *t, char *buf, size_t size)
{
    size_t n = (size_t)snprintf(buf, size, DESC_PREFIX "key=");
    for (int i = 0; i < t->nfields; i++)
        n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? "," : "",
                              ft4_fields[t->fields[i]].name);
    n += (size_t)snprintf(buf + n, size - n, " by=%s", ft_topn_by_name(t->by));
    return n < size ? 0 : -1;
}

int ft_topn_write_partial(ft_topn *t, ft_sink *sink, ft_error *err)
{
    if (ft_topn_flush(t, err) < 0)
        return -1;
    char desc[FT_PARTIAL_DESC_MAX + 1];
    if (make_desc(t, desc, sizeof desc) < 0)
        return ft_error_set(err, "partial: descriptor too long");
    ft_topn_entry *e = malloc((t->used ? t->used : 1) * sizeof *e);
    if (!e)
        return ft_error_set(err, "out of memory");
    size_t m = 0;
    for (size_t i = 0; i <= t->mask; i++)
        if (t->slots[i].len)
            e[m++] = entry_of(t, &t->slots[i]);
    /* Key order makes the file independent of hashing and input order. */
    qsort(e, m, sizeof *e, qcmp_key);
    ft_partial_writer *w = ft_partial_writer_open(sink, desc, m, err);
    if (!w) {
        free(e);
        return -1;
    }
    for (size_t i = 0; i < m; i++) {
        ft_partial_put_uint(w, e[i].len);
        ft_partial_put_bytes(w, e[i].key, e[i].len);
        ft_partial_put_uint(w, e[i].count);
    }
    free(e);
    return ft_partial_writer_close(w, err);
}

/* A new, empty table for a descriptor written by make_desc. */
static ft_topn *from_desc(const char *desc, ft_error *err)
{
    const char *p = desc + strlen(DESC_PREFIX "key=");
    const char *by = strstr(desc, " by=");
    if (strncmp(desc, DESC_PREFIX "key=", strlen(DESC_PREFIX "key=")) != 0 || !by ||
        by < p) {
        ft_error_set(err, "not an ft-topn partial ('%s')", desc);
        return NULL;
    }
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

/* One section of a partial file into *ctx (an ft_topn **, created from
 * the first descriptor when NULL). */
static int merge_section(void *ctx, ft_partial_reader *r, ft_error *err)
{
    ft_topn **tp = ctx, *t;
    const char *name = ft_partial_name(r);
    char mine[FT_PARTIAL_DESC_MAX + 1];
    if (!*tp && !(*tp = from_desc(ft_partial_desc(r), err)))
        return ft_error_prefix(err, "%s", name);
    t = *tp;
    make_desc(t, mine, sizeof mine);
    if (ft_partial_expect(r, mine, err) < 0)
        return -1;
    uint8_t k[KEY_MAX];
    for (uint64_t i = 0; i < ft_partial_items(r); i++) {
        uint64_t len, count;
        if (ft_partial_get_uint(r, &len, err) < 0)
            return -1;
        if (len == 0 || len > KEY_MAX || len > FT_PARTIAL_BYTES_MAX)
            return ft_error_set(err, "%s: corrupt (key of %llu bytes)", name,
                                (unsigned long long)len);
        if (ft_partial_get_bytes(r, k, (size_t)len, err) < 0 ||
            ft_partial_get_uint(r, &count, err) < 0)
            return -1;
        if (decode_key(t, k, (size_t)len, NULL) != (long)len)
            return ft_error_set(err, "%s: corrupt (bad key %llu)", name,
                                (unsigned long long)i);
        if (add_total(t, count, err) < 0 ||
            insert(t, k, (size_t)len, (uint32_t)hash_key(k, (size_t)len), count, err) < 0)
            return ft_error_prefix(err, "%s", name);
    }
    return 0;
}

int ft_topn_merge_files(ft_topn **t, int n, char *const *paths, ft_error *err)
{
    return ft_partial_read_files(n, paths, merge_section, t, err);
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
