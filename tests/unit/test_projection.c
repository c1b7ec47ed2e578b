/*
 * Unit tests for decode projection: ft4_decode_fields() (datum.c) on the
 * canonical plan (decode_fast / decode_some) and on the step interpreter
 * (the canonical steps with fast off, and a foreign writer schema), the
 * readers' ft_reader_set_fields() over Avro (null, deflate), hand-built
 * Avro containers and framed streams, and ft_expr_fields() of expr.h; and
 * the same for records to be copied: ft4_decode_for_copy() and
 * ft4_encoded_canonical() (a record may be copied exactly when its bytes
 * are what ft4_encode writes for it), ft_reader_set_encoded().
 *
 * The reference is always the full decode of the same bytes: with any
 * mask, the fields in the mask hold exactly its values, every other field
 * is 0 or empty (whatever the record held before), the position after
 * each record is the same, and a corrupt input fails at the same record
 * with the same message.  Records are written here byte by byte so that
 * they can take every shape a foreign writer may produce: varints longer
 * than needed, arrays in several blocks or with negative counts and byte
 * sizes, end-of-array markers written long, 15-byte tags, non-ASCII tags.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "avro_schema.h"
#include "avro_writer.h"
#include "datum.h"
#include "expr.h"
#include "framed.h"
#include "ft4.h"
#include "reader.h"
#include "sink.h"
#include "../recgen.h"
#include "scratch.h"

/* More than decode_some's bound of unchecked bytes (WALK_SAFE, 1024), so
 * that records followed by it are walked, not handed to the full
 * decode. */
#define TAIL 1100


/* ---- random numbers (splitmix64, as recgen) ---------------------------- */

static uint64_t rng_state = 1;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint32_t below(uint32_t n) { return (uint32_t)(rnd() % n); }

/* A mask of random fields (about half of them). */
static uint32_t random_mask(void)
{
    return (uint32_t)rnd() & FT4_FIELDS_ALL;
}

/* ---- writing records byte by byte ------------------------------------- */

typedef struct wbuf {
    uint8_t *b;
    size_t n, cap;
} wbuf;

static void put(wbuf *w, const void *p, size_t n)
{
    if (w->n + n > w->cap) {
        w->cap = (w->n + n) * 2 + 4096;
        w->b = realloc(w->b, w->cap);
        assert_non_null(w->b);
    }
    memcpy(w->b + w->n, p, n);
    w->n += n;
}

static void put_byte(wbuf *w, uint8_t b) { put(w, &b, 1); }

/* Zigzag varint of v in len bytes (len >= its natural length, <= 10):
 * longer than needed when a foreign writer pads. */
static void put_varint(wbuf *w, int64_t v, int len)
{
    uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    for (int i = 0; i < len; i++) {
        uint8_t b = (uint8_t)(z & 0x7f);
        z >>= 7;
        if (i < len - 1)
            b |= 0x80;
        put_byte(w, b);
    }
    assert_true(z == 0);
}

static int natural_len(int64_t v)
{
    uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    int n = 1;
    while (z > 0x7f) {
        z >>= 7;
        n++;
    }
    return n;
}

/* How the current record is written: 0 canonical, else a foreign shape. */
static int odd;

static void put_long(wbuf *w, int64_t v, int max)
{
    int n = natural_len(v);
    if (odd && n < max && below(4) == 0)
        n += (int)below((uint32_t)(max - n) + 1);
    put_varint(w, v, n);
}

static void put_array(wbuf *w, const ft4_array *a)
{
    uint32_t i = 0;
    while (i < a->n) {
        uint32_t c = a->n - i;
        if (odd && below(3) == 0)
            c = 1 + below(c); /* several blocks */
        if (odd && below(3) == 0) { /* negative count, then byte size */
            wbuf items = {0};
            for (uint32_t j = 0; j < c; j++)
                put_long(&items, a->v[i + j], 10);
            put_long(w, -(int64_t)c, 10);
            put_long(w, (int64_t)items.n, 10);
            put(w, items.b, items.n);
            free(items.b);
        } else {
            put_long(w, c, 10);
            for (uint32_t j = 0; j < c; j++)
                put_long(w, a->v[i + j], 10);
        }
        i += c;
    }
    put_long(w, 0, 10); /* the end of blocks, maybe written long */
}

static void put_tag(wbuf *w, const ft4_tag *t)
{
    put_long(w, t->len, 10);
    put(w, t->s, t->len);
}

static void put_field(wbuf *w, const ft4_record *r, int f)
{
    switch (ft4_fields[f].type) {
    case FT4_LONG: put_long(w, ft4_get_int(r, f), 10); break;
    case FT4_INT: put_long(w, ft4_get_int(r, f), 5); break;
    case FT4_ARRAY: put_array(w, ft4_get_array(r, f)); break;
    case FT4_STRING: put_tag(w, ft4_get_tag(r, f)); break;
    }
}

static void put_record(wbuf *w, const ft4_record *r)
{
    for (int f = 0; f < FT4_F_COUNT; f++)
        put_field(w, r, f);
}

/* ---- records ---------------------------------------------------------- */

static int64_t random_value(int is_int)
{
    switch (below(8)) {
    case 0: return 0;
    case 1: return below(64);
    case 2: return below(70000);
    case 3: return -(int64_t)below(70000);
    case 4: return is_int ? INT32_MAX - (int64_t)below(3) : INT64_MAX - (int64_t)below(3);
    case 5: return is_int ? INT32_MIN + (int64_t)below(3) : INT64_MIN + (int64_t)below(3);
    case 6: return is_int ? (int32_t)rnd() : (int64_t)rnd();
    default: return (int64_t)(rnd() & 0xffffffffu);
    }
}

/* Anything FT4 can hold: all value ranges, arrays up to 64, tags of up to
 * 15 bytes of any value. */
static void random_record(ft4_record *r)
{
    ft4_record_init(r);
    for (int f = 0; f < FT4_F_COUNT; f++) {
        const ft4_field *fd = &ft4_fields[f];
        char *dst = (char *)r + fd->offset;
        switch (fd->type) {
        case FT4_LONG: {
            int64_t v = random_value(0);
            memcpy(dst, &v, sizeof v);
            break;
        }
        case FT4_INT: {
            int32_t v = (int32_t)random_value(1);
            memcpy(dst, &v, sizeof v);
            break;
        }
        case FT4_ARRAY: {
            ft4_array *a = (ft4_array *)(void *)dst;
            uint32_t k = below(6);
            a->n = k == 0 ? FT4_ARRAY_READ_MAX : k == 1 ? below(FT4_ARRAY_READ_MAX + 1)
                                                        : below(6);
            for (uint32_t i = 0; i < a->n; i++)
                a->v[i] = random_value(0);
            break;
        }
        case FT4_STRING: {
            ft4_tag *t = (ft4_tag *)(void *)dst;
            char s[FT4_TAG_MAX];
            size_t n = below(4) == 0 ? below(FT4_TAG_MAX + 1) : 2;
            for (size_t i = 0; i < n; i++)
                s[i] = below(3) == 0 ? (char)below(256) : (char)('A' + below(26));
            ft4_tag_set(t, s, n);
            break;
        }
        }
    }
}

/* n records: recgen's (edge cases first), then random ones; shape[i] set
 * for those written in a foreign shape. */
typedef struct record_set {
    size_t n;
    ft4_record *v;
    int *shape;
} record_set;

static record_set make_records(size_t n, uint64_t seed)
{
    record_set s = {n, calloc(n, sizeof(ft4_record)), calloc(n, sizeof(int))};
    assert_non_null(s.v);
    assert_non_null(s.shape);
    recgen g;
    recgen_init(&g, seed);
    rng_state = seed;
    for (size_t i = 0; i < n; i++) {
        if (i < n / 2)
            recgen_next(&g, &s.v[i]);
        else
            random_record(&s.v[i]);
        s.shape[i] = i >= n / 4 && below(2);
    }
    return s;
}

static void free_records(record_set *s)
{
    free(s->v);
    free(s->shape);
}

static void encode_all(wbuf *w, const record_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        odd = s->shape[i];
        put_record(w, &s->v[i]);
    }
    odd = 0;
}

/* ---- comparing decodes ------------------------------------------------ */

/* Fills a record with garbage: a projected decode must leave nothing of it. */
static void scribble(ft4_record *r)
{
    memset(r, 0xa5, sizeof *r);
    for (int i = 0; i < FT4_A_COUNT; i++)
        r->arr[i].n = 3;
    for (int i = 0; i < FT4_T_COUNT; i++)
        r->tag[i].len = 7;
}

/* got has want's fields in mask and 0 / empty everywhere else. */
static void expect_projected(const ft4_record *want, const ft4_record *got,
                             uint32_t mask, const char *what)
{
    for (int f = 0; f < FT4_F_COUNT; f++) {
        int in = (mask & FT4_FIELD_BIT(f)) != 0;
        const char *name = ft4_fields[f].name;
        switch (ft4_fields[f].type) {
        case FT4_LONG:
        case FT4_INT:
            if (ft4_get_int(got, f) != (in ? ft4_get_int(want, f) : 0))
                fail_msg("%s: mask %07x: %s = %lld, want %lld", what, mask, name,
                         (long long)ft4_get_int(got, f),
                         (long long)(in ? ft4_get_int(want, f) : 0));
            break;
        case FT4_ARRAY: {
            const ft4_array *a = ft4_get_array(got, f), *b = ft4_get_array(want, f);
            uint32_t n = in ? b->n : 0;
            if (a->n != n || (n && memcmp(a->v, b->v, n * sizeof a->v[0]) != 0))
                fail_msg("%s: mask %07x: %s differs (%u entries, want %u)", what,
                         mask, name, a->n, n);
            break;
        }
        case FT4_STRING: {
            const ft4_tag *a = ft4_get_tag(got, f), *b = ft4_get_tag(want, f);
            uint8_t n = in ? b->len : 0;
            if (a->len != n || memcmp(a->s, b->s, n) != 0 || a->s[n] != '\0')
                fail_msg("%s: mask %07x: %s differs", what, mask, name);
            break;
        }
        }
    }
}

/*
 * ft4_decode_for_copy of the record at buf[start], which the full decode
 * read as `full`: it must end where that did; say the bytes may be copied
 * exactly when they are what ft4_encode writes for `full` (and never for a
 * plan other than FT4's own encoding); then hold the fields in mask, and
 * otherwise every field.  ft4_encoded_canonical must agree.
 */
static void compare_copy(const ft4_plan *plan, const uint8_t *buf, size_t len,
                         size_t start, size_t end, uint32_t mask,
                         const ft4_record *full, const char *what, size_t k)
{
    static ft4_record got;
    static uint8_t enc[FT4_ENCODED_MAX];
    size_t pos = start;
    const char *why = "unset";
    int copyable = -1;
    scribble(&got);
    if (ft4_decode_for_copy(plan, mask, buf, len, &pos, &got, &copyable, &why) < 0)
        fail_msg("%s: mask %07x: record %zu: for copy: %s", what, mask, k, why);
    if (pos != end)
        fail_msg("%s: mask %07x: record %zu: for copy ends at %zu, not %zu", what,
                 mask, k, pos, end);
    size_t n = ft4_encode(full, enc);
    int same = n == end - start && memcmp(enc, buf + start, n) == 0;
    int canon = ft4_encoded_canonical(buf + start, end - start);
    /* (bytes in another layout may look canonical to FT4's) */
    if (ft4_plan_is_ft4(plan) && canon != same)
        fail_msg("%s: record %zu: canonical %d, re-encodes the same %d", what, k,
                 canon, same);
    if (copyable != (same && ft4_plan_is_ft4(plan)))
        fail_msg("%s: mask %07x: record %zu: copyable %d (canonical %d, plan %d)",
                 what, mask, k, copyable, same, ft4_plan_is_ft4(plan));
    expect_projected(full, &got, copyable ? mask : FT4_FIELDS_ALL, what);
}

/* Decodes buf[0..len) record by record up to `stop` bytes (or the first
 * error) with every field and with mask; everything must agree.  Returns
 * the number of records decoded. */
static size_t compare_decodes(const ft4_plan *plan, const uint8_t *data, size_t len,
                              size_t stop, uint32_t mask, const char *what)
{
    static ft4_record full, part;
    /* exactly len bytes, so that ASan sees any read past them */
    uint8_t *buf = malloc(len ? len : 1);
    assert_non_null(buf);
    memcpy(buf, data, len);
    size_t pf = 0, pp = 0, n = 0;
    for (;;) {
        if (pf >= stop)
            break;
        const char *wf = "unset", *wp = "unset";
        size_t start = pf;
        ft4_record_init(&full);
        scribble(&part);
        int rf = ft4_decode(plan, buf, len, &pf, &full, &wf);
        int rp = ft4_decode_fields(plan, mask, buf, len, &pp, &part, &wp);
        if (rf != rp)
            fail_msg("%s: mask %07x: record %zu: full decode %d, projected %d (%s / %s)",
                     what, mask, n + 1, rf, rp, rf ? wf : "-", rp ? wp : "-");
        if (rf < 0) {
            if (strcmp(wf, wp) != 0)
                fail_msg("%s: mask %07x: record %zu: '%s', projected '%s'", what,
                         mask, n + 1, wf, wp);
            /* the same failure when decoding for a copy */
            size_t pc = start;
            int copyable;
            const char *wc = "unset";
            scribble(&part);
            if (ft4_decode_for_copy(plan, mask, buf, len, &pc, &part, &copyable, &wc) != -1 ||
                strcmp(wc, wf) != 0)
                fail_msg("%s: mask %07x: record %zu: '%s', for copy '%s'", what,
                         mask, n + 1, wf, wc);
            /* safe on bytes that are no record (ASan sees buf's end) */
            (void)ft4_encoded_canonical(buf + start, len - start);
            break;
        }
        if (pf != pp)
            fail_msg("%s: mask %07x: record %zu ends at %zu, projected at %zu",
                     what, mask, n + 1, pf, pp);
        expect_projected(&full, &part, mask, what);
        compare_copy(plan, buf, len, start, pf, mask, &full, what, n + 1);
        n++;
    }
    free(buf);
    return n;
}

/* Every single-field mask, none, all, and random ones. */
static void compare_all_masks(const ft4_plan *plan, const uint8_t *buf, size_t len,
                              size_t stop, int nrandom, const char *what)
{
    for (int f = 0; f < FT4_F_COUNT; f++) {
        compare_decodes(plan, buf, len, stop, FT4_FIELD_BIT(f), what);
        compare_decodes(plan, buf, len, stop, FT4_FIELDS_ALL & ~FT4_FIELD_BIT(f), what);
    }
    compare_decodes(plan, buf, len, stop, 0, what);
    compare_decodes(plan, buf, len, stop, FT4_FIELDS_ALL, what);
    for (int i = 0; i < nrandom; i++)
        compare_decodes(plan, buf, len, stop, random_mask(), what);
}

/* ---- the canonical plan and the step interpreter ---------------------- */

static ft4_plan slow_plan(void)
{
    ft4_plan p = *ft4_plan_canonical();
    p.fast = 0;
    return p;
}

static void test_records(void **state)
{
    (void)state;
    size_t n = 600;
    record_set rs = make_records(n, 11);
    const ft4_record *v = rs.v;
    wbuf w = {0};
    encode_all(&w, &rs);
    size_t data = w.n;
    /* the full decode reads back what was written */
    static ft4_record r;
    size_t pos = 0;
    const char *why;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(ft4_decode(ft4_plan_canonical(), w.b, data, &pos, &r, &why), 0);
        assert_true(ft4_record_equal(&r, &v[i]));
    }
    assert_int_equal(pos, data);

    ft4_plan slow = slow_plan();
    /* alone in the buffer (the last records take the full decode), and
     * followed by enough bytes to be walked */
    for (int tail = 0; tail < 2; tail++) {
        if (tail)
            for (int i = 0; i < TAIL; i++)
                put_byte(&w, (uint8_t)rnd());
        assert_int_equal(compare_decodes(ft4_plan_canonical(), w.b, w.n, data,
                                         FT4_FIELD_BIT(FT4_F_PROTOCOL), "fast"), n);
        compare_all_masks(ft4_plan_canonical(), w.b, w.n, data, 40, "fast");
        assert_int_equal(compare_decodes(&slow, w.b, w.n, data, 0, "steps"), n);
        compare_all_masks(&slow, w.b, w.n, data, 40, "steps");
    }
    /* each record on its own, right at the end of the buffer */
    pos = 0;
    for (size_t i = 0; i < 60; i++) {
        size_t start = pos;
        assert_int_equal(ft4_decode(ft4_plan_canonical(), w.b, data, &pos, &r, &why), 0);
        compare_all_masks(ft4_plan_canonical(), w.b + start, pos - start, pos - start,
                          4, "fast, one record");
    }
    free(w.b);
    free_records(&rs);
}

/*
 * Records to be copied: a record whose bytes differ from ft4_encode's in
 * one field only, in each way Avro allows (a varint one byte longer, a
 * 10-byte varint with ignored high bits, an array's count or end written
 * long, an array in two blocks or with a negative count and byte size, a
 * tag's length written long), must never be copied, whether that field
 * is decoded or walked over; with no such field it always may be.
 */
static void put_odd_field(wbuf *w, const ft4_record *r, int f, int how)
{
    switch (ft4_fields[f].type) {
    case FT4_LONG:
    case FT4_INT: {
        int64_t v = ft4_get_int(r, f);
        int n = natural_len(v);
        if (n == 10) { /* bits above 64 set: read the same */
            size_t at = w->n;
            put_varint(w, v, 10);
            w->b[at + 9] |= 0x7e;
        } else {
            put_varint(w, v, n + 1);
        }
        break;
    }
    case FT4_ARRAY: {
        const ft4_array *a = ft4_get_array(r, f);
        if (how == 0 || a->n == 0) { /* the end written long */
            if (a->n) {
                put_varint(w, a->n, natural_len(a->n));
                for (uint32_t i = 0; i < a->n; i++)
                    put_varint(w, a->v[i], natural_len(a->v[i]));
            }
            put_varint(w, 0, 2);
        } else if (how == 1) { /* the count written long */
            put_varint(w, a->n, natural_len(a->n) + 1);
            for (uint32_t i = 0; i < a->n; i++)
                put_varint(w, a->v[i], natural_len(a->v[i]));
            put_byte(w, 0);
        } else if (how == 2 && a->n >= 2) { /* two blocks */
            for (int b = 0; b < 2; b++) {
                uint32_t lo = b ? 1 : 0, hi = b ? a->n : 1;
                put_varint(w, hi - lo, natural_len(hi - lo));
                for (uint32_t i = lo; i < hi; i++)
                    put_varint(w, a->v[i], natural_len(a->v[i]));
            }
            put_byte(w, 0);
        } else { /* negative count and byte size */
            wbuf items = {0};
            for (uint32_t i = 0; i < a->n; i++)
                put_varint(&items, a->v[i], natural_len(a->v[i]));
            put_varint(w, -(int64_t)a->n, natural_len(-(int64_t)a->n));
            put_varint(w, (int64_t)items.n, natural_len((int64_t)items.n));
            put(w, items.b, items.n);
            put_byte(w, 0);
            free(items.b);
        }
        break;
    }
    case FT4_STRING: {
        const ft4_tag *t = ft4_get_tag(r, f);
        put_varint(w, t->len, 2);
        put(w, t->s, t->len);
        break;
    }
    }
}

static void test_copy_one_odd_field(void **state)
{
    (void)state;
    record_set rs = make_records(40, 17);
    for (size_t i = 0; i < rs.n; i++) {
        const ft4_record *r = &rs.v[i];
        for (int f = 0; f < FT4_F_COUNT; f++) {
            for (int how = 0; how < 4; how++) {
                /* way 3 of a long: a value of 10 bytes, its high bits set */
                static ft4_record rr;
                rr = *r;
                if (how == 3 && ft4_fields[f].type == FT4_LONG) {
                    int64_t big = INT64_MIN + (int64_t)i;
                    memcpy((char *)&rr + ft4_fields[f].offset, &big, sizeof big);
                }
                wbuf w = {0};
                for (int g = 0; g < FT4_F_COUNT; g++) {
                    odd = 0;
                    if (g == f)
                        put_odd_field(&w, &rr, g, how);
                    else
                        put_field(&w, &rr, g);
                }
                size_t len = w.n;
                for (int k = 0; k < TAIL; k++)
                    put_byte(&w, (uint8_t)rnd());
                assert_false(ft4_encoded_canonical(w.b, len));
                /* compare_decodes checks ft4_decode_for_copy too */
                static const uint32_t some = FT4_FIELD_BIT(FT4_F_TIME) |
                                             FT4_FIELD_BIT(FT4_F_COMMON_TTLS);
                uint32_t masks[] = {0, FT4_FIELD_BIT(f), FT4_FIELDS_ALL & ~FT4_FIELD_BIT(f),
                                    some, FT4_FIELDS_ALL};
                for (size_t m = 0; m < sizeof masks / sizeof masks[0]; m++) {
                    assert_int_equal(compare_decodes(ft4_plan_canonical(), w.b, w.n,
                                                     len, masks[m], "one odd field"), 1);
                    size_t pos = 0;
                    int copyable = -1;
                    const char *why;
                    static ft4_record got;
                    assert_int_equal(ft4_decode_for_copy(ft4_plan_canonical(), masks[m],
                                                         w.b, w.n, &pos, &got,
                                                         &copyable, &why), 0);
                    if (copyable)
                        fail_msg("record %zu, field %s, way %d, mask %07x: copyable", i,
                                 ft4_fields[f].name, how, masks[m]);
                }
                free(w.b);
            }
        }
        /* and the same record as ft4_encode writes it: copyable */
        uint8_t enc[FT4_ENCODED_MAX + TAIL];
        size_t n = ft4_encode(r, enc);
        memset(enc + n, 0, TAIL);
        assert_true(ft4_encoded_canonical(enc, n));
        size_t pos = 0;
        int copyable = -1;
        const char *why;
        static ft4_record got;
        assert_int_equal(ft4_decode_for_copy(ft4_plan_canonical(), 0, enc, n + TAIL,
                                             &pos, &got, &copyable, &why), 0);
        assert_int_equal(pos, n);
        assert_int_equal(copyable, 1);
    }
    free_records(&rs);
}

/* A plan without spoofed/masscan counts reads them as 0, masked or not. */
static void test_no_spoof_masscan(void **state)
{
    (void)state;
    size_t n = 50;
    record_set rs = make_records(n, 5);
    const ft4_record *v = rs.v;
    wbuf w = {0};
    for (size_t i = 0; i < n; i++)
        for (int f = 0; f < FT4_F_SPOOFED_PACKET_CNT; f++)
            put_field(&w, &v[i], f);
    size_t data = w.n;
    for (int i = 0; i < TAIL; i++)
        put_byte(&w, 0);
    ft4_plan p = *ft4_plan_canonical();
    p.nsteps = FT4_F_SPOOFED_PACKET_CNT;
    p.zero_spoof_masscan = 1;
    assert_int_equal(compare_decodes(&p, w.b, w.n, data, 0, "no counts"), n);
    compare_all_masks(&p, w.b, w.n, data, 20, "no counts");
    p.fast = 0;
    compare_all_masks(&p, w.b, w.n, data, 20, "no counts, steps");
    static ft4_record r;
    size_t pos = 0;
    const char *why;
    assert_int_equal(ft4_decode_fields(&p, FT4_FIELDS_ALL, w.b, w.n, &pos, &r, &why), 0);
    assert_int_equal(r.spoofed_packet_cnt, 0);
    assert_int_equal(r.masscan_packet_cnt, 0);
    free(w.b);
    free_records(&rs);
}

/* A foreign writer: fields in another order, with fields FT4 does not
 * have (skipped whatever their type). */
static const char foreign_extra_head[] =
    "{\"name\": \"note\", \"type\": \"string\"}, "
    "{\"name\": \"flag\", \"type\": \"boolean\"}, ";
static const char foreign_extra_tail[] =
    ", {\"name\": \"extra\", \"type\": {\"type\": \"array\", \"items\": \"long\"}}"
    ", {\"name\": \"opt\", \"type\": [\"null\", \"double\"]}";

static char *foreign_schema(const int *order)
{
    static const char *const type[] = {"\"long\"", "\"int\"",
                                       "{\"type\": \"array\", \"items\": \"long\"}",
                                       "\"string\""};
    size_t cap = 8192, n = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    n += (size_t)snprintf(s + n, cap - n, "{\"type\": \"record\", \"name\": \"foreign\", "
                          "\"fields\": [%s", foreign_extra_head);
    for (int i = 0; i < FT4_F_COUNT; i++)
        n += (size_t)snprintf(s + n, cap - n, "%s{\"name\": \"%s\", \"type\": %s}",
                              i ? ", " : "", ft4_fields[order[i]].name,
                              type[ft4_fields[order[i]].type]);
    n += (size_t)snprintf(s + n, cap - n, "%s]}", foreign_extra_tail);
    assert_true(n < cap);
    return s;
}

static void put_foreign(wbuf *w, const ft4_record *r, const int *order)
{
    int len = (int)below(40);
    put_long(w, len, 10);
    for (int i = 0; i < len; i++)
        put_byte(w, (uint8_t)rnd());
    put_byte(w, (uint8_t)below(2));
    for (int i = 0; i < FT4_F_COUNT; i++)
        put_field(w, r, order[i]);
    ft4_array a = {0};
    a.n = below(9);
    for (uint32_t i = 0; i < a.n; i++)
        a.v[i] = (int64_t)rnd();
    put_array(w, &a);
    if (below(2)) {
        put_long(w, 1, 10);
        double d = 1.5;
        put(w, &d, sizeof d);
    } else {
        put_long(w, 0, 10);
    }
}

static void foreign_order(int *order)
{
    for (int i = 0; i < FT4_F_COUNT; i++)
        order[i] = FT4_F_COUNT - 1 - i;
}

static void test_foreign_schema(void **state)
{
    (void)state;
    int order[FT4_F_COUNT];
    foreign_order(order);
    char *json = foreign_schema(order);
    ft4_plan plan;
    ft_error err = {{0}};
    if (ft4_plan_from_json(json, strlen(json), &plan, &err) < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(plan.fast, 0);
    size_t n = 300;
    record_set rs = make_records(n, 21);
    const ft4_record *v = rs.v;
    wbuf w = {0};
    for (size_t i = 0; i < n; i++) {
        odd = rs.shape[i];
        put_foreign(&w, &v[i], order);
    }
    odd = 0;
    static ft4_record r;
    size_t pos = 0;
    const char *why;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(ft4_decode(&plan, w.b, w.n, &pos, &r, &why), 0);
        assert_true(ft4_record_equal(&r, &v[i]));
    }
    assert_int_equal(compare_decodes(&plan, w.b, w.n, w.n, 0, "foreign"), n);
    compare_all_masks(&plan, w.b, w.n, w.n, 40, "foreign");
    ft4_plan_release(&plan);
    free(json);
    free(w.b);
    free_records(&rs);
}

/* ---- corrupt input ---------------------------------------------------- */

/* One canonical record with field f written as the raw bytes given. */
static size_t record_with(wbuf *w, const ft4_record *r, int f, const uint8_t *raw,
                          size_t nraw)
{
    size_t start = w->n;
    for (int g = 0; g < FT4_F_COUNT; g++) {
        if (g == f)
            put(w, raw, nraw);
        else
            put_field(w, r, g);
    }
    return w->n - start;
}

/* Decodes buf (one good record, then the bad one, then maybe a tail):
 * every plan and mask must fail on the second record with `want`. */
static void expect_rejected(const wbuf *w, size_t stop, const char *want_fast,
                            const char *want_steps, const char *what)
{
    ft4_plan slow = slow_plan();
    const ft4_plan *plans[2] = {ft4_plan_canonical(), &slow};
    const char *want[2] = {want_fast, want_steps};
    for (int k = 0; k < 2; k++) {
        uint32_t masks[FT4_F_COUNT + 12];
        int nm = 0;
        for (int f = 0; f < FT4_F_COUNT; f++)
            masks[nm++] = FT4_FIELD_BIT(f);
        masks[nm++] = 0;
        masks[nm++] = FT4_FIELDS_ALL;
        for (int i = 0; i < 10; i++)
            masks[nm++] = random_mask();
        for (int i = 0; i < nm; i++) {
            static ft4_record r;
            size_t pos = 0;
            const char *why = "unset";
            assert_int_equal(ft4_decode_fields(plans[k], masks[i], w->b, w->n, &pos,
                                               &r, &why), 0);
            if (ft4_decode_fields(plans[k], masks[i], w->b, w->n, &pos, &r, &why) != -1)
                fail_msg("%s (%s): mask %07x: accepted", what, k ? "steps" : "fast",
                         masks[i]);
            if (strcmp(why, want[k]) != 0)
                fail_msg("%s (%s): mask %07x: '%s', want '%s'", what,
                         k ? "steps" : "fast", masks[i], why, want[k]);
            /* and exactly as the full decode says */
            compare_decodes(plans[k], w->b, w->n, stop, masks[i], what);
        }
    }
}

typedef struct bad_case {
    const char *what;
    int field;             /* written as raw */
    uint8_t raw[40];
    size_t nraw;
    const char *fast, *steps; /* the messages */
} bad_case;

static void test_corrupt_fields(void **state)
{
    (void)state;
    static const bad_case cases[] = {
        {"long varint of 11 bytes", FT4_F_PACKET_CNT,
         {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 11,
         "varint longer than 10 bytes", "truncated record"},
        {"int out of range", FT4_F_UNIQ_TTLS, {0xfe, 0xff, 0xff, 0xff, 0x1f}, 5,
         "int field out of range", "int field out of range"},
        {"int of 10 bytes out of range", FT4_F_DST_PORT,
         {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 10,
         "int field out of range", "int field out of range"},
        {"int of 11 bytes", FT4_F_FIRST_TCP_RWIN,
         {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, 11,
         "varint longer than 10 bytes", "truncated record"},
        {"array of 65 in one block", FT4_F_COMMON_TTLS, {0x82, 0x01}, 2,
         "array longer than 64 entries", "array longer than 64 entries"},
        {"array item of 11 bytes", FT4_F_COMMON_SRCPORTS,
         {0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00}, 13,
         "varint longer than 10 bytes", "truncated record"},
        {"array count of 11 bytes", FT4_F_COMMON_TCPFLAGS,
         {0x82, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, 11,
         "varint longer than 10 bytes", "truncated record"},
        {"negative string length", FT4_F_NETACQ_COUNTRY, {0x01}, 1,
         "negative string length", "negative string length"},
        {"string of 16 bytes", FT4_F_MAXMIND_CONTINENT,
         {0x20, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm',
          'n', 'o', 'p'}, 17,
         "string longer than 15 bytes", "string longer than 15 bytes"},
        {"string length of 11 bytes", FT4_F_MAXMIND_COUNTRY,
         {0x84, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, 11,
         "varint longer than 10 bytes", "truncated record"},
    };
    static ft4_record r;
    recgen g;
    recgen_init(&g, 3);
    recgen_next(&g, &r);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const bad_case *bc = &cases[c];
        for (int tail = 0; tail < 2; tail++) {
            wbuf w = {0};
            put_record(&w, &r);
            const uint8_t *raw = bc->raw;
            uint8_t big[2 + 65 * 1 + 1];
            size_t nraw = bc->nraw;
            if (strcmp(bc->what, "array of 65 in one block") == 0) {
                memcpy(big, bc->raw, 2); /* count 65, then 65 items of 0 */
                memset(big + 2, 0, 66);
                raw = big;
                nraw = sizeof big;
            }
            record_with(&w, &r, bc->field, raw, nraw);
            size_t stop = w.n;
            if (tail)
                for (int i = 0; i < TAIL; i++)
                    put_byte(&w, 0);
            expect_rejected(&w, stop, bc->fast, bc->steps, bc->what);
            free(w.b);
        }
    }
}

/* An array of 40 + 30 in two blocks: too long only once both are read. */
static void test_corrupt_blocks(void **state)
{
    (void)state;
    static ft4_record r;
    recgen g;
    recgen_init(&g, 4);
    recgen_next(&g, &r);
    for (int tail = 0; tail < 2; tail++) {
        wbuf raw = {0}, w = {0};
        put_varint(&raw, 40, 1);
        for (int i = 0; i < 40; i++)
            put_byte(&raw, 2);
        put_varint(&raw, -30, 1); /* negative count: a byte size follows */
        put_varint(&raw, 30, 1);
        for (int i = 0; i < 30; i++)
            put_byte(&raw, 2);
        put_byte(&raw, 0);
        put_record(&w, &r);
        record_with(&w, &r, FT4_F_COMMON_PKTSIZE_FREQS, raw.b, raw.n);
        size_t stop = w.n;
        if (tail)
            for (int i = 0; i < TAIL; i++)
                put_byte(&w, 0);
        expect_rejected(&w, stop, "array longer than 64 entries",
                        "array longer than 64 entries", "two blocks");
        free(raw.b);
        free(w.b);
    }
}

/* Every truncation of a run of records: the same record fails the same
 * way (truncated) whatever the mask. */
static void test_truncated(void **state)
{
    (void)state;
    record_set rs = make_records(12, 31);
    wbuf w = {0};
    encode_all(&w, &rs);
    ft4_plan slow = slow_plan();
    for (size_t cut = 0; cut < w.n; cut++)
        for (int k = 0; k < 2; k++) {
            const ft4_plan *p = k ? &slow : ft4_plan_canonical();
            for (int f = 0; f < FT4_F_COUNT; f += 3)
                compare_decodes(p, w.b, cut, cut, FT4_FIELD_BIT(f), "truncated");
            compare_decodes(p, w.b, cut, cut, 0, "truncated");
            compare_decodes(p, w.b, cut, cut, random_mask(), "truncated");
        }
    free(w.b);
    free_records(&rs);
}

/* Random damage to a run of records, followed or not by a tail. */
static void test_random_damage(void **state)
{
    (void)state;
    record_set rs = make_records(24, 41);
    wbuf good = {0};
    encode_all(&good, &rs);
    ft4_plan slow = slow_plan();
    uint8_t *b = malloc(good.n + TAIL);
    assert_non_null(b);
    for (int iter = 0; iter < 1500; iter++) {
        memcpy(b, good.b, good.n);
        for (size_t i = 0; i < TAIL; i++)
            b[good.n + i] = (uint8_t)rnd();
        int hits = 1 + (int)below(4);
        for (int h = 0; h < hits; h++) {
            size_t at = below((uint32_t)good.n);
            switch (below(4)) {
            case 0: b[at] = (uint8_t)rnd(); break;
            case 1: b[at] ^= 0x80; break;
            case 2: b[at] = 0xff; break;
            default: b[at] = (uint8_t)(below(2) ? 0x7f : 0x01); break;
            }
        }
        size_t len = (iter & 1) ? good.n + TAIL : good.n - below(8);
        const ft4_plan *p = (iter & 2) ? &slow : ft4_plan_canonical();
        for (int m = 0; m < 6; m++)
            compare_decodes(p, b, len, good.n, m == 0 ? 0 : random_mask(), "damaged");
        compare_decodes(p, b, len, good.n, FT4_FIELD_BIT(below(FT4_F_COUNT)), "damaged");
    }
    free(b);
    free(good.b);
    free_records(&rs);
}

/* ---- readers ---------------------------------------------------------- */

static void write_avro(const char *path, const ft4_record *v, size_t n,
                       enum ft_codec codec)
{
    ft_error err = {{0}};
    ft_sink *s = ft_sink_open(path, 0, &err);
    assert_non_null(s);
    ft_avro_opts o = {codec, 6, 4096, 1};
    ft_avro_writer *w = ft_avro_writer_open(s, &o, &err);
    if (!w)
        fail_msg("%s", err.msg);
    for (size_t i = 0; i < n; i++)
        if (ft_avro_writer_put(w, &v[i], &err) < 0)
            fail_msg("%s", err.msg);
    if (ft_avro_writer_close(w, &err) < 0 || ft_sink_commit(s, &err) < 0)
        fail_msg("%s", err.msg);
}

static void write_framed(const char *path, const ft4_record *v, size_t n)
{
    ft_error err = {{0}};
    ft_sink *s = ft_sink_open(path, 0, &err);
    assert_non_null(s);
    ft_framed_writer *w = ft_framed_writer_open(s, &err);
    if (!w)
        fail_msg("%s", err.msg);
    for (size_t i = 0; i < n; i++)
        if (ft_framed_writer_put(w, &v[i], &err) < 0)
            fail_msg("%s", err.msg);
    if (ft_framed_writer_close(w, &err) < 0 || ft_sink_commit(s, &err) < 0)
        fail_msg("%s", err.msg);
}

/* Reads path with every field and with mask (spec's range, if any):
 * the same records (projected), the same end or the same error. */
static size_t compare_reads(const char *path, uint32_t mask, const ft_dataset_spec *spec)
{
    char *paths[1] = {(char *)path};
    ft_error ef = {{0}}, ep = {{0}};
    ft_reader *full = spec ? ft_reader_open_spec(spec, 1, paths, &ef)
                           : ft_reader_open(1, paths, &ef);
    ft_reader *part = spec ? ft_reader_open_spec(spec, 1, paths, &ep)
                           : ft_reader_open(1, paths, &ep);
    ft_reader_set_fields(part, mask);
    assert_non_null(full);
    assert_non_null(part);
    static ft4_record a, b;
    size_t n = 0;
    for (;;) {
        scribble(&b);
        int rf = ft_reader_next(full, &a, &ef), rp = ft_reader_next(part, &b, &ep);
        assert_int_equal(rf, rp);
        if (rf < 0)
            assert_string_equal(ef.msg, ep.msg);
        if (rf <= 0)
            break;
        /* a time range has the reader decode time whatever the mask */
        expect_projected(&a, &b, mask | (spec ? FT4_FIELD_BIT(FT4_F_TIME) : 0), path);
        n++;
    }
    assert_int_equal(ft_reader_records(full), ft_reader_records(part));
    ft_reader_close(full);
    ft_reader_close(part);
    return n;
}

static void test_readers(void **state)
{
    (void)state;
    size_t n = 3000;
    ft4_record *v = calloc(n, sizeof *v);
    assert_non_null(v);
    recgen g;
    recgen_init(&g, 7);
    for (size_t i = 0; i < n; i++)
        recgen_next(&g, &v[i]);
    const char *files[3] = {scratch_path("null.avro"), scratch_path("deflate.avro"), scratch_path("s.ft4s")};
    write_avro(files[0], v, n, FT_CODEC_NULL);
    write_avro(files[1], v, n, FT_CODEC_DEFLATE);
    write_framed(files[2], v, n);
    for (int k = 0; k < 3; k++) {
        for (int f = 0; f < FT4_F_COUNT; f++)
            assert_int_equal(compare_reads(files[k], FT4_FIELD_BIT(f), NULL), n);
        for (int i = 0; i < 8; i++)
            assert_int_equal(compare_reads(files[k], random_mask(), NULL), n);
        /* a time range reads time even when the mask leaves it out */
        ft_dataset_spec spec;
        ft_dataset_spec_init(&spec);
        spec.from = v[n / 3].time;
        spec.to = v[n / 2].time;
        size_t want = 0;
        for (size_t i = 0; i < n; i++)
            want += v[i].time >= spec.from && v[i].time <= spec.to;
        assert_true(want > 0 && want < n);
        assert_int_equal(compare_reads(files[k], FT4_FIELD_BIT(FT4_F_DST_PORT), &spec),
                         want);
        assert_int_equal(compare_reads(files[k], 0, &spec), want);
    }
    free(v);
}

/* A hand-built Avro container (null codec): header, then blocks. */
static void avro_header(wbuf *w, const char *schema)
{
    static const uint8_t sync[16] = "0123456789abcdef";
    put(w, "Obj\x01", 4);
    put_varint(w, 1, 1);
    put_varint(w, 11, 1);
    put(w, "avro.schema", 11);
    put_varint(w, (int64_t)strlen(schema), natural_len((int64_t)strlen(schema)));
    put(w, schema, strlen(schema));
    put_varint(w, 0, 1);
    put(w, sync, 16);
}

static void avro_block(wbuf *w, int64_t count, const wbuf *data)
{
    static const uint8_t sync[16] = "0123456789abcdef";
    put_varint(w, count, natural_len(count));
    put_varint(w, (int64_t)data->n, natural_len((int64_t)data->n));
    put(w, data->b, data->n);
    put(w, sync, 16);
}

static void write_file(const char *path, const wbuf *w)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(w->b, 1, w->n, fp), w->n);
    assert_int_equal(fclose(fp), 0);
}

/* Foreign and damaged containers: projected reads fail where full reads
 * fail, with the same message (which names block and record). */
static void test_reader_containers(void **state)
{
    (void)state;
    int order[FT4_F_COUNT];
    foreign_order(order);
    char *foreign = foreign_schema(order);
    size_t n = 400;
    record_set rs = make_records(n, 51);
    const ft4_record *v = rs.v;
    const int *shape = rs.shape;
    for (int schema = 0; schema < 2; schema++) {
        wbuf blocks[4] = {{0}};
        int64_t counts[4] = {0};
        for (size_t i = 0; i < n; i++) {
            odd = shape[i];
            if (schema)
                put_foreign(&blocks[i % 4], &v[i], order);
            else
                put_record(&blocks[i % 4], &v[i]);
            counts[i % 4]++;
        }
        odd = 0;
        for (int damage = 0; damage < 40; damage++) {
            wbuf f = {0};
            avro_header(&f, schema ? foreign : ft4_schema_json);
            for (int b = 0; b < 4; b++) {
                wbuf d = {0};
                put(&d, blocks[b].b, blocks[b].n);
                if (damage && b == damage % 4) {
                    size_t at = below((uint32_t)d.n);
                    d.b[at] = damage & 1 ? (uint8_t)rnd() : (uint8_t)(d.b[at] ^ 0x80);
                    if (damage % 5 == 0)
                        d.n -= 1 + below(3);
                }
                avro_block(&f, counts[b], &d);
                free(d.b);
            }
            const char *p = scratch_path("hand.avro");
            write_file(p, &f);
            free(f.b);
            size_t got = compare_reads(p, random_mask(), NULL);
            if (damage == 0)
                assert_int_equal(got, n);
            compare_reads(p, FT4_FIELD_BIT(below(FT4_F_COUNT)), NULL);
            compare_reads(p, 0, NULL);
        }
        for (int b = 0; b < 4; b++)
            free(blocks[b].b);
    }
    free(foreign);
    free_records(&rs);
}

/* ---- ft_expr_fields --------------------------------------------------- */

static void expect_fields(const char *text, uint32_t want)
{
    ft_error err = {{0}};
    ft_expr *e = ft_expr_parse(text, NULL, &err);
    if (!e)
        fail_msg("%s: %s", text, err.msg);
    if (ft_expr_fields(e) != want)
        fail_msg("%s: fields %07x, want %07x", text, ft_expr_fields(e), want);
    ft_expr_free(e);
}

static void test_expr_fields(void **state)
{
    (void)state;
    expect_fields("protocol == tcp", FT4_FIELD_BIT(FT4_F_PROTOCOL));
    expect_fields("common_ttls in 200..255 and netacq_country == \"RU\"",
                  FT4_FIELD_BIT(FT4_F_COMMON_TTLS) | FT4_FIELD_BIT(FT4_F_NETACQ_COUNTRY));
    expect_fields("not (src_ip in 130.0.0.0/8 or dst_port != 23) and time >= 0",
                  FT4_FIELD_BIT(FT4_F_SRC_IP) | FT4_FIELD_BIT(FT4_F_DST_PORT) |
                      FT4_FIELD_BIT(FT4_F_TIME));
    expect_fields("masscan_packet_cnt > 0 || maxmind_continent in {\"EU\", \"AS\"}",
                  FT4_FIELD_BIT(FT4_F_MASSCAN_PACKET_CNT) |
                      FT4_FIELD_BIT(FT4_F_MAXMIND_CONTINENT));
    /* every field alone */
    for (int f = 0; f < FT4_F_COUNT; f++) {
        char text[128];
        if (ft4_fields[f].type == FT4_STRING)
            snprintf(text, sizeof text, "%s != \"xx\"", ft4_fields[f].name);
        else
            snprintf(text, sizeof text, "%s >= 1", ft4_fields[f].name);
        expect_fields(text, FT4_FIELD_BIT(f));
    }
    /* "and" of two filters reads both */
    ft_error err = {{0}};
    ft_expr *a = ft_expr_parse("uniq_dst_ips >= 60000", NULL, &err);
    ft_expr *b = ft_expr_parse("prefix2asn == 4134", NULL, &err);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(ft_expr_and(a, b, &err), 0);
    assert_int_equal(ft_expr_fields(a), FT4_FIELD_BIT(FT4_F_UNIQ_DST_IPS) |
                                            FT4_FIELD_BIT(FT4_F_PREFIX2ASN));
    ft_expr_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records),
        cmocka_unit_test(test_copy_one_odd_field),
        cmocka_unit_test(test_no_spoof_masscan),
        cmocka_unit_test(test_foreign_schema),
        cmocka_unit_test(test_corrupt_fields),
        cmocka_unit_test(test_corrupt_blocks),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_random_damage),
        cmocka_unit_test(test_readers),
        cmocka_unit_test(test_reader_containers),
        cmocka_unit_test(test_expr_fields),
    };
    return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
