/*
 * test_avro.c - the Avro container reader and writer: round trips through
 * every codec and block size, files from avro-c's own writer (all schema
 * variants), our files read back by avro-c, and bad input with the exact
 * error text.
 */
#include <setjmp.h>
#include <dirent.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <avro.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "../recgen.h"
#include "avro_reader.h"
#include "avro_schema.h"
#include "avro_writer.h"
#include "datum.h"
#include "ft4.h"
#include "scratch.h"


static ft4_record *gen(size_t n, uint64_t seed)
{
    ft4_record *v = calloc(n ? n : 1, sizeof *v);
    assert_non_null(v);
    recgen g;
    recgen_init(&g, seed);
    for (size_t i = 0; i < n; i++)
        recgen_next(&g, &v[i]);
    return v;
}

static void write_ours(const char *path, const ft4_record *v, size_t n,
                       enum ft_codec codec, int level, size_t block,
                       int threads)
{
    ft_error err = {{0}};
    ft_sink *s = ft_sink_open(path, 0, &err);
    assert_non_null(s);
    ft_avro_opts o = {codec, level, block, threads};
    ft_avro_writer *w = ft_avro_writer_open(s, &o, &err);
    if (!w)
        fail_msg("%s", err.msg);
    for (size_t i = 0; i < n; i++)
        if (ft_avro_writer_put(w, &v[i], &err) < 0)
            fail_msg("%s", err.msg);
    if (ft_avro_writer_close(w, &err) < 0)
        fail_msg("%s", err.msg);
    if (ft_sink_commit(s, &err) < 0)
        fail_msg("%s", err.msg);
}

/* Reads path with our reader. Returns the record count, or -1 with the
 * error in msg. Records are compared with want (when not NULL). */
static long read_ours(const char *path, const ft4_record *want, size_t nwant,
                      char *msg)
{
    ft_error err = {{0}};
    msg[0] = '\0';
    ft_source *src = ft_source_open(path, &err);
    assert_non_null(src);
    ft_avro_reader *r = ft_avro_reader_open(src, &err);
    if (!r) {
        strcpy(msg, err.msg);
        ft_source_close(src);
        return -1;
    }
    long n = 0;
    ft4_record rec;
    int rc;
    while ((rc = ft_avro_reader_next(r, &rec, &err)) == 1) {
        if (want) {
            if ((size_t)n >= nwant)
                fail_msg("%s: more records than written", path);
            if (!ft4_record_equal(&rec, &want[n]))
                fail_msg("%s: record %ld differs", path, n);
        }
        n++;
    }
    if (rc < 0) {
        strcpy(msg, err.msg);
        n = -1;
    }
    ft_avro_reader_close(r);
    ft_source_close(src);
    return n;
}

static void expect_read(const char *path, const ft4_record *want, size_t n)
{
    char msg[FT_ERRLEN];
    long got = read_ours(path, want, n, msg);
    if (got < 0)
        fail_msg("%s", msg);
    assert_int_equal(got, n);
}

static void expect_error(const char *path, const char *fmt_after_name)
{
    char msg[FT_ERRLEN], want[FT_ERRLEN + 256];
    snprintf(want, sizeof want, "%s: %s", path, fmt_after_name);
    long got = read_ours(path, NULL, 0, msg);
    if (got >= 0)
        fail_msg("%s: read %ld records, expected error '%s'", path, got, want);
    assert_string_equal(msg, want);
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

static int find(const uint8_t *h, size_t n, const uint8_t *p, size_t m)
{
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(h + i, p, m) == 0)
            return 1;
    return 0;
}

static void spit(const char *path, const void *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* ---- avro-c's generic API (the other implementation) ---- */

static avro_schema_t parse_schema(const char *json)
{
    avro_schema_t s;
    if (avro_schema_from_json_length(json, strlen(json), &s) != 0)
        fail_msg("avro-c: %s", avro_strerror());
    return s;
}

/* Sets the FT4 fields the writer schema has from r; fills the extra
 * fields of the "extra" variant. */
static void set_value(avro_value_t *rec, const ft4_record *r, long i)
{
    size_t nf;
    avro_value_get_size(rec, &nf);
    for (size_t k = 0; k < nf; k++) {
        avro_value_t fv;
        const char *name;
        avro_value_get_by_index(rec, k, &fv, &name);
        int f = ft4_field_lookup(name);
        if (f >= 0) {
            switch (avro_value_get_type(&fv)) {
            case AVRO_INT64:
                avro_value_set_long(&fv, ft4_get_int(r, f));
                break;
            case AVRO_INT32:
                avro_value_set_int(&fv, (int32_t)ft4_get_int(r, f));
                break;
            case AVRO_STRING: {
                const ft4_tag *t = ft4_get_tag(r, f);
                avro_value_set_string_len(&fv, t->s, t->len + 1u);
                break;
            }
            case AVRO_ARRAY: {
                const ft4_array *a = ft4_get_array(r, f);
                avro_value_reset(&fv);
                for (uint32_t j = 0; j < a->n; j++) {
                    avro_value_t e;
                    avro_value_append(&fv, &e, NULL);
                    if (avro_value_get_type(&e) == AVRO_INT32)
                        avro_value_set_int(&e, (int32_t)a->v[j]);
                    else
                        avro_value_set_long(&e, a->v[j]);
                }
                break;
            }
            default:
                fail_msg("unexpected type for %s", name);
            }
            continue;
        }
        if (strcmp(name, "extra") == 0 || strcmp(name, "extra2") == 0) {
            /* record X {m: map<string>, u: [null,double], f: fixed(3),
             * e: enum, a: array<string>, b: bytes, fl: float, ok: boolean,
             * n: null} */
            avro_value_t c, e;
            avro_value_get_by_name(&fv, "m", &c, NULL);
            avro_value_reset(&c);
            for (long j = 0; j < i % 3; j++) {
                char key[32];
                snprintf(key, sizeof key, "k%ld", j);
                avro_value_add(&c, key, &e, NULL, NULL);
                avro_value_set_string(&e, "some value");
            }
            avro_value_get_by_name(&fv, "u", &c, NULL);
            if (i % 2) {
                avro_value_set_branch(&c, 1, &e);
                avro_value_set_double(&e, 1.5 * (double)i);
            } else {
                avro_value_set_branch(&c, 0, &e);
                avro_value_set_null(&e);
            }
            char fx[3] = {'a', 'b', (char)i};
            avro_value_get_by_name(&fv, "f", &c, NULL);
            avro_value_set_fixed(&c, fx, 3);
            avro_value_get_by_name(&fv, "e", &c, NULL);
            avro_value_set_enum(&c, (int)(i % 2));
            avro_value_get_by_name(&fv, "a", &c, NULL);
            avro_value_reset(&c);
            for (long j = 0; j < i % 4; j++) {
                avro_value_append(&c, &e, NULL);
                avro_value_set_string(&e, "x");
            }
            avro_value_get_by_name(&fv, "b", &c, NULL);
            avro_value_set_bytes(&c, fx, (size_t)(i % 3));
            avro_value_get_by_name(&fv, "fl", &c, NULL);
            avro_value_set_float(&c, 0.25f);
            avro_value_get_by_name(&fv, "ok", &c, NULL);
            avro_value_set_boolean(&c, (int)(i & 1));
            continue;
        }
        fail_msg("unexpected field %s", name);
    }
}

static void write_avroc(const char *path, const char *schema_json,
                        const ft4_record *v, size_t n, const char *codec)
{
    avro_schema_t s = parse_schema(schema_json);
    avro_value_iface_t *iface = avro_generic_class_from_schema(s);
    avro_value_t rec;
    avro_generic_value_new(iface, &rec);
    avro_file_writer_t w;
    unlink(path);
    if (avro_file_writer_create_with_codec(path, s, &w, codec, 4096) != 0)
        fail_msg("avro-c: %s", avro_strerror());
    for (size_t i = 0; i < n; i++) {
        set_value(&rec, &v[i], (long)i);
        if (avro_file_writer_append_value(w, &rec) != 0)
            fail_msg("avro-c: %s", avro_strerror());
    }
    avro_file_writer_close(w);
    avro_value_decref(&rec);
    avro_value_iface_decref(iface);
    avro_schema_decref(s);
}

/* Reads path with avro-c and compares every field with want. */
static void read_avroc(const char *path, const ft4_record *want, size_t n)
{
    avro_file_reader_t r;
    if (avro_file_reader(path, &r) != 0)
        fail_msg("avro-c: %s: %s", path, avro_strerror());
    avro_schema_t ws = avro_file_reader_get_writer_schema(r);
    avro_value_iface_t *iface = avro_generic_class_from_schema(ws);
    avro_value_t rec;
    avro_generic_value_new(iface, &rec);
    size_t got = 0;
    while (avro_file_reader_read_value(r, &rec) == 0) {
        assert_true(got < n);
        const ft4_record *w = &want[got];
        for (int f = 0; f < FT4_F_COUNT; f++) {
            avro_value_t fv;
            assert_int_equal(avro_value_get_by_name(&rec, ft4_fields[f].name,
                                                    &fv, NULL), 0);
            switch (ft4_fields[f].type) {
            case FT4_LONG: {
                int64_t x;
                assert_int_equal(avro_value_get_long(&fv, &x), 0);
                assert_int_equal(x, ft4_get_int(w, f));
                break;
            }
            case FT4_INT: {
                int32_t x;
                assert_int_equal(avro_value_get_int(&fv, &x), 0);
                assert_int_equal(x, ft4_get_int(w, f));
                break;
            }
            case FT4_STRING: {
                const char *s;
                size_t len;
                assert_int_equal(avro_value_get_string(&fv, &s, &len), 0);
                assert_string_equal(s, ft4_get_tag(w, f)->s);
                break;
            }
            case FT4_ARRAY: {
                const ft4_array *a = ft4_get_array(w, f);
                size_t len;
                avro_value_get_size(&fv, &len);
                assert_int_equal(len, a->n);
                for (size_t j = 0; j < len; j++) {
                    avro_value_t e;
                    int64_t x;
                    avro_value_get_by_index(&fv, j, &e, NULL);
                    assert_int_equal(avro_value_get_long(&e, &x), 0);
                    assert_int_equal(x, a->v[j]);
                }
                break;
            }
            }
        }
        got++;
    }
    assert_int_equal(got, n);
    avro_value_decref(&rec);
    avro_value_iface_decref(iface);
    avro_schema_decref(ws); /* get_writer_schema gave us a reference */
    avro_file_reader_close(r);
}

/* Builds the FT4 schema with changes: rename[i] = {from, to}, type
 * overrides, dropped fields and extra fields. */
typedef struct variant {
    const char *drop[4];
    const char *rename_from, *rename_to;
    const char *type_field[4], *type_json[4];
    const char *extra_json; /* appended fields, JSON, or NULL */
    int reverse;            /* fields in reverse order */
} variant;

static char *schema_for(const variant *vr)
{
    static char buf[8192];
    size_t n = 0;
    n += (size_t)snprintf(buf + n, sizeof buf - n,
                          "{\"type\": \"record\", \"name\": \"other_name\", "
                          "\"namespace\": \"x.y\", \"fields\": [");
    int first = 1;
    for (int k = 0; k < FT4_F_COUNT; k++) {
        int f = vr->reverse ? FT4_F_COUNT - 1 - k : k;
        const char *name = ft4_fields[f].name;
        int dropped = 0;
        for (int d = 0; d < 4; d++)
            if (vr->drop[d] && strcmp(vr->drop[d], name) == 0)
                dropped = 1;
        if (dropped)
            continue;
        const char *type = ft4_fields[f].type == FT4_LONG ? "\"long\""
                         : ft4_fields[f].type == FT4_INT  ? "\"int\""
                         : ft4_fields[f].type == FT4_STRING
                             ? "\"string\""
                             : "{\"type\": \"array\", \"items\": \"long\"}";
        for (int d = 0; d < 4; d++)
            if (vr->type_field[d] && strcmp(vr->type_field[d], name) == 0)
                type = vr->type_json[d];
        if (vr->rename_from && strcmp(vr->rename_from, name) == 0)
            name = vr->rename_to;
        n += (size_t)snprintf(buf + n, sizeof buf - n,
                              "%s{\"name\": \"%s\", \"type\": %s}",
                              first ? "" : ", ", name, type);
        first = 0;
    }
    if (vr->extra_json)
        n += (size_t)snprintf(buf + n, sizeof buf - n, ", %s", vr->extra_json);
    snprintf(buf + n, sizeof buf - n, "]}");
    return buf;
}

static const char *const codecs[] = {"null", "deflate", "snappy"};

/* ---- round trips ---- */

static void test_roundtrip(void **state)
{
    (void)state;
    size_t n = 3000;
    ft4_record *v = gen(n, 7);
    static const size_t blocks[] = {1, 333, 4096, 0, 1 << 20};
    static const int threads[] = {1, 0, 3};
    for (int c = 0; c < 3; c++)
        for (int b = 0; b < 5; b++)
            for (int t = 0; t < 3; t++) {
                const char *p = scratch_path("rt.avro");
                write_ours(p, v, n, (enum ft_codec)c, 6, blocks[b], threads[t]);
                expect_read(p, v, n);
            }
    /* every deflate level */
    for (int level = 0; level <= 9; level++) {
        const char *p = scratch_path("lvl.avro");
        write_ours(p, v, 500, FT_CODEC_DEFLATE, level, 2048, 0);
        expect_read(p, v, 500);
    }
    free(v);
}

static void test_edge_records(void **state)
{
    (void)state;
    ft4_record v[RECGEN_EDGE_COUNT + 2];
    for (int k = 0; k < RECGEN_EDGE_COUNT; k++)
        recgen_edge(k, 1700000100, &v[k]);
    /* the widest values each type holds, and arrays of 64 (read limit) */
    ft4_record *w = &v[RECGEN_EDGE_COUNT];
    ft4_record_init(w);
    w->time = INT64_MIN;
    w->src_ip = INT64_MAX;
    w->dst_port = INT32_MIN;
    w->protocol = INT32_MAX;
    for (int a = 0; a < FT4_A_COUNT; a++) {
        w->arr[a].n = FT4_ARRAY_READ_MAX;
        for (int j = 0; j < FT4_ARRAY_READ_MAX; j++)
            w->arr[a].v[j] = j % 2 ? INT64_MIN + j : INT64_MAX - j;
    }
    ft4_tag_set(&w->tag[0], "fifteen-bytes!!", 15);
    ft4_tag_set(&w->tag[1], "", 0);
    ft4_record_init(&v[RECGEN_EDGE_COUNT + 1]);
    size_t n = RECGEN_EDGE_COUNT + 2;
    assert_int_equal(v[1].src_ip, 0xffffffffLL);
    assert_int_equal(v[1].packet_cnt, (int64_t)1 << 40);
    for (int c = 0; c < 3; c++) {
        const char *p = scratch_path("edge.avro");
        write_ours(p, v, n, (enum ft_codec)c, 6, 0, 0);
        expect_read(p, v, n);
        read_avroc(p, v, n);
    }
}

static void test_deterministic(void **state)
{
    (void)state;
    size_t n = 5000, la, lb, lc;
    ft4_record *v = gen(n, 11);
    write_ours(scratch_path("d1.avro"), v, n, FT_CODEC_DEFLATE, 6, 4096, 1);
    write_ours(scratch_path("d2.avro"), v, n, FT_CODEC_DEFLATE, 6, 4096, 4);
    uint8_t *a = slurp(scratch_path("d1.avro"), &la), *b = slurp(scratch_path("d2.avro"), &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    /* other data: another sync marker (the last 16 bytes) */
    write_ours(scratch_path("d3.avro"), v + 1, n - 1, FT_CODEC_DEFLATE, 6, 4096, 1);
    uint8_t *c = slurp(scratch_path("d3.avro"), &lc);
    assert_memory_not_equal(a + la - 16, c + lc - 16, 16);
    free(a);
    free(b);
    free(c);
    free(v);
}

static void test_header(void **state)
{
    (void)state;
    /* zero records: a complete header, read as 0 records by both readers */
    for (int c = 0; c < 3; c++) {
        const char *p = scratch_path("empty.avro");
        write_ours(p, NULL, 0, (enum ft_codec)c, 6, 0, 0);
        expect_read(p, NULL, 0);
        read_avroc(p, NULL, 0);
        size_t len;
        uint8_t *b = slurp(p, &len);
        assert_memory_equal(b, "Obj\x01", 4);
        /* the schema text, byte for byte, after its length */
        size_t slen = strlen(ft4_schema_json);
        uint8_t pre[10];
        size_t k = ft4_put_long(pre, (int64_t)slen);
        int found = 0;
        for (size_t i = 0; i + k + slen <= len; i++)
            if (memcmp(b + i, pre, k) == 0 &&
                memcmp(b + i + k, ft4_schema_json, slen) == 0)
                found = 1;
        assert_true(found);
        /* "avro.codec" then the codec name, both length-prefixed */
        uint8_t pat[32];
        size_t m = ft4_put_long(pat, 10);
        memcpy(pat + m, "avro.codec", 10);
        m += 10;
        m += ft4_put_long(pat + m, (int64_t)strlen(codecs[c]));
        memcpy(pat + m, codecs[c], strlen(codecs[c]));
        m += strlen(codecs[c]);
        assert_true(find(b, len, pat, m));
        free(b);
    }
}

static void test_writer_options(void **state)
{
    (void)state;
    ft_error err = {{0}};
    ft_sink *s = ft_sink_open(scratch_path("opt.avro"), 0, &err);
    assert_non_null(s);
    char want[512];
    ft_avro_opts o = {FT_CODEC_DEFLATE, 10, 0, 0};
    assert_null(ft_avro_writer_open(s, &o, &err));
    snprintf(want, sizeof want, "%s: deflate level 10 out of range (0-9)",
             scratch_path("opt.avro"));
    assert_string_equal(err.msg, want);
    o.level = 6;
    o.block_bytes = FT_AVRO_BLOCK_BYTES_MAX + 1;
    assert_null(ft_avro_writer_open(s, &o, &err));
    snprintf(want, sizeof want, "%s: block size 67108865 above 67108864 bytes",
             scratch_path("opt.avro"));
    assert_string_equal(err.msg, want);
    o.block_bytes = 0;
    ft_avro_writer *w = ft_avro_writer_open(s, &o, &err);
    assert_non_null(w);
    ft4_record r;
    ft4_record_init(&r);
    r.arr[FT4_A_TTLS].n = 65;
    assert_int_equal(ft_avro_writer_put(w, &r, &err), -1);
    snprintf(want, sizeof want, "%s: common_ttls has 65 entries, more than 64",
             scratch_path("opt.avro"));
    assert_string_equal(err.msg, want);
    ft_avro_writer_free(w);
    ft_avro_writer_free(NULL);
    ft_sink_abort(s);

    enum ft_codec c;
    assert_int_equal(ft_codec_parse("snappy", &c), 0);
    assert_int_equal(c, FT_CODEC_SNAPPY);
    assert_int_equal(ft_codec_parse("deflate", &c), 0);
    assert_int_equal(c, FT_CODEC_DEFLATE);
    assert_int_equal(ft_codec_parse("null", &c), 0);
    assert_int_equal(c, FT_CODEC_NULL);
    assert_int_equal(ft_codec_parse("xz", &c), -1);
    assert_string_equal(ft_codec_name(FT_CODEC_SNAPPY), "snappy");
}

/* ---- interop with avro-c ---- */

static void test_avroc_reads_ours(void **state)
{
    (void)state;
    size_t n = 2000;
    ft4_record *v = gen(n, 3);
    for (int c = 0; c < 3; c++) {
        const char *p = scratch_path("ours.avro");
        write_ours(p, v, n, (enum ft_codec)c, 6, 3000, 0);
        read_avroc(p, v, n);
    }
    free(v);
}

static const char extra_json[] =
    "{\"name\": \"extra\", \"type\": {\"type\": \"record\", \"name\": \"X\", "
    "\"fields\": ["
    "{\"name\": \"m\", \"type\": {\"type\": \"map\", \"values\": \"string\"}},"
    "{\"name\": \"u\", \"type\": [\"null\", \"double\"]},"
    "{\"name\": \"f\", \"type\": {\"type\": \"fixed\", \"name\": \"F\", \"size\": 3}},"
    "{\"name\": \"e\", \"type\": {\"type\": \"enum\", \"name\": \"E\", \"symbols\": [\"A\", \"B\"]}},"
    "{\"name\": \"a\", \"type\": {\"type\": \"array\", \"items\": \"string\"}},"
    "{\"name\": \"b\", \"type\": \"bytes\"},"
    "{\"name\": \"fl\", \"type\": \"float\"},"
    "{\"name\": \"ok\", \"type\": \"boolean\"},"
    "{\"name\": \"n\", \"type\": \"null\"}]}},"
    "{\"name\": \"extra2\", \"type\": \"X\"}";

static void test_ours_reads_avroc(void **state)
{
    (void)state;
    size_t n = 1500;
    ft4_record *v = gen(n, 5);
    ft4_record *want = malloc(n * sizeof *want);
    assert_non_null(want);
    const variant no_counts = {.drop = {"spoofed_packet_cnt", "masscan_packet_cnt"}};
    const variant alias = {.rename_from = "common_pktsizes",
                           .rename_to = "common_pkt_sizes"};
    const variant extra = {.extra_json = extra_json};
    const variant ints = {.type_field = {"time", "prefix2asn", "common_ttls"},
                          .type_json = {"\"int\"", "\"int\"",
                                        "{\"type\": \"array\", \"items\": \"int\"}"}};
    const variant reversed = {.reverse = 1, .extra_json = extra_json};
    for (int c = 0; c < 3; c++) {
        const char *p = scratch_path("avroc.avro");
        /* the spec schema, as we write it */
        write_avroc(p, ft4_schema_json, v, n, codecs[c]);
        expect_read(p, v, n);

        /* the earlier revision: counts read as 0 */
        memcpy(want, v, n * sizeof *want);
        for (size_t i = 0; i < n; i++)
            want[i].spoofed_packet_cnt = want[i].masscan_packet_cnt = 0;
        write_avroc(p, schema_for(&no_counts), v, n, codecs[c]);
        expect_read(p, want, n);

        write_avroc(p, schema_for(&alias), v, n, codecs[c]);
        expect_read(p, v, n);

        write_avroc(p, schema_for(&extra), v, n, codecs[c]);
        expect_read(p, v, n);

        write_avroc(p, schema_for(&reversed), v, n, codecs[c]);
        expect_read(p, v, n);

        /* int written where FT4 has long: promoted (values as the writer
         * stored them) */
        memcpy(want, v, n * sizeof *want);
        for (size_t i = 0; i < n; i++) {
            want[i].time = (int32_t)want[i].time;
            want[i].prefix2asn = (int32_t)want[i].prefix2asn;
            ft4_array *a = &want[i].arr[FT4_A_TTLS];
            for (uint32_t j = 0; j < a->n; j++)
                a->v[j] = (int32_t)a->v[j];
        }
        write_avroc(p, schema_for(&ints), v, n, codecs[c]);
        expect_read(p, want, n);

        /* header only */
        write_avroc(p, ft4_schema_json, v, 0, codecs[c]);
        expect_read(p, v, 0);
    }
    free(want);
    free(v);
}

/* ---- schema resolution ---- */

static void expect_schema_error(const char *json, const char *want)
{
    ft4_plan plan;
    ft_error err = {{0}};
    assert_int_equal(ft4_plan_from_json(json, strlen(json), &plan, &err), -1);
    assert_string_equal(err.msg, want);
}

static void test_schema(void **state)
{
    (void)state;
    ft4_plan plan;
    ft_error err = {{0}};
    assert_int_equal(ft4_plan_from_json(ft4_schema_json, strlen(ft4_schema_json),
                                        &plan, &err), 0);
    assert_int_equal(plan.fast, 1);
    assert_int_equal(plan.nsteps, FT4_F_COUNT);
    ft4_plan_release(&plan);
    ft4_plan_release(NULL);

    const variant no_counts = {.drop = {"spoofed_packet_cnt", "masscan_packet_cnt"}};
    const char *s = schema_for(&no_counts);
    assert_int_equal(ft4_plan_from_json(s, strlen(s), &plan, &err), 0);
    assert_int_equal(plan.zero_spoof_masscan, 1);
    assert_int_equal(plan.fast, 1);
    ft4_plan_release(&plan);

    const variant extra = {.extra_json = extra_json};
    s = schema_for(&extra);
    assert_int_equal(ft4_plan_from_json(s, strlen(s), &plan, &err), 0);
    assert_int_equal(plan.fast, 0);
    assert_int_equal(plan.step[FT4_F_COUNT].op, FT4_OP_SKIP);
    ft4_plan_release(&plan);

    const variant miss = {.drop = {"src_ip"}};
    expect_schema_error(schema_for(&miss), "schema: field 'src_ip' missing");
    const variant miss1 = {.drop = {"masscan_packet_cnt"}};
    expect_schema_error(schema_for(&miss1),
                        "schema: field 'masscan_packet_cnt' missing");
    const variant str = {.type_field = {"src_ip"}, .type_json = {"\"string\""}};
    expect_schema_error(schema_for(&str),
                        "schema: field 'src_ip' has type string, expected long");
    const variant lng = {.type_field = {"dst_port"}, .type_json = {"\"long\""}};
    expect_schema_error(schema_for(&lng),
                        "schema: field 'dst_port' has type long, expected int");
    const variant arr = {.type_field = {"common_ttls"},
                         .type_json = {"{\"type\": \"array\", \"items\": \"string\"}"}};
    expect_schema_error(schema_for(&arr), "schema: field 'common_ttls' has "
                        "type array of string, expected array of long");
    const variant uni = {.type_field = {"time"}, .type_json = {"[\"null\", \"long\"]"}};
    expect_schema_error(schema_for(&uni),
                        "schema: field 'time' has type union, expected long");
    const variant dup = {.extra_json = "{\"name\": \"common_pkt_sizes\", \"type\": "
                                       "{\"type\": \"array\", \"items\": \"long\"}}"};
    expect_schema_error(schema_for(&dup), "schema: field 'common_pktsizes' "
                        "appears twice (as 'common_pkt_sizes')");
    expect_schema_error("\"long\"", "schema: not a record but long");
    ft4_plan p2;
    assert_int_equal(ft4_plan_from_json("{nope", 5, &p2, &err), -1);
    assert_int_equal(strncmp(err.msg, "schema: cannot parse: ", 22), 0);
    assert_null(strchr(err.msg, '\n'));
}

/* ---- bad input ---- */

/* A container built by hand: header with schema and codec, then blocks. */
typedef struct builder {
    uint8_t *b;
    size_t n, cap;
} builder;

static void bput(builder *w, const void *p, size_t n)
{
    if (w->n + n > w->cap) {
        w->cap = (w->n + n) * 2 + 1024;
        w->b = realloc(w->b, w->cap);
        assert_non_null(w->b);
    }
    memcpy(w->b + w->n, p, n);
    w->n += n;
}

static void blong(builder *w, int64_t v)
{
    uint8_t t[10];
    bput(w, t, ft4_put_long(t, v));
}

static void bstr(builder *w, const char *s, size_t n)
{
    blong(w, (int64_t)n);
    bput(w, s, n);
}

static const uint8_t SYNC[16] = "0123456789abcdef";

static void bheader(builder *w, const char *schema, const char *codec)
{
    bput(w, "Obj\x01", 4);
    blong(w, codec ? 2 : 1);
    bstr(w, "avro.schema", 11);
    bstr(w, schema, strlen(schema));
    if (codec) {
        bstr(w, "avro.codec", 10);
        bstr(w, codec, strlen(codec));
    }
    blong(w, 0);
    bput(w, SYNC, 16);
}

static void bblock(builder *w, int64_t count, const void *data, size_t n)
{
    blong(w, count);
    blong(w, (int64_t)n);
    bput(w, data, n);
    bput(w, SYNC, 16);
}

/* One canonical record with array 0 of n entries and tag 0 = s; dst_port
 * (an int) = port. */
static size_t enc_port(uint8_t *buf, int n, const char *s, int64_t port)
{
    size_t k = 0;
    for (int f = 0; f < FT4_F_COMMON_PKTSIZES; f++)
        k += ft4_put_long(buf + k, f == FT4_F_DST_PORT ? port : 1);
    k += ft4_put_long(buf + k, n);
    for (int j = 0; j < n; j++)
        k += ft4_put_long(buf + k, j);
    buf[k++] = 0;
    for (int a = 1; a < FT4_A_COUNT; a++)
        buf[k++] = 0;
    k += ft4_put_long(buf + k, (int64_t)strlen(s));
    memcpy(buf + k, s, strlen(s));
    k += strlen(s);
    for (int t = 1; t < FT4_T_COUNT; t++) {
        k += ft4_put_long(buf + k, 2);
        memcpy(buf + k, "??", 2);
        k += 2;
    }
    for (int f = 0; f < 3; f++)
        k += ft4_put_long(buf + k, 0);
    return k;
}

static size_t enc_custom(uint8_t *buf, int n, const char *s)
{
    return enc_port(buf, n, s, 1);
}

static void test_truncated(void **state)
{
    (void)state;
    size_t n = 40;
    ft4_record *v = gen(n, 9);
    const char *p = scratch_path("full.avro"), *q = scratch_path("cut.avro");
    for (int c = 0; c < 3; c++) {
        write_ours(p, v, n, (enum ft_codec)c, 6, 600, 1);
        size_t len;
        uint8_t *b = slurp(p, &len);
        /* Find where the header ends and each block ends, and how many
         * records the blocks before each end hold. */
        size_t ends[64], recs[64], nb = 0;
        size_t hdr = 0;
        for (size_t i = 4; i + 16 <= len; i++)
            if (memcmp(b + i, b + len - 16, 16) == 0) {
                hdr = i + 16;
                break;
            }
        assert_true(hdr > 4);
        size_t off = hdr, total = 0;
        while (off < len) {
            int64_t cnt, size;
            size_t pos = off;
            assert_int_equal(ft4_get_long(b, len, &pos, &cnt), 0);
            assert_int_equal(ft4_get_long(b, len, &pos, &size), 0);
            off = pos + (size_t)size + 16;
            total += (size_t)cnt;
            ends[nb] = off;
            recs[nb++] = total;
            assert_true(nb < 64);
        }
        assert_int_equal(off, len);
        assert_int_equal(total, n);
        assert_true(nb >= 3);
        for (size_t cut = 0; cut < len; cut++) {
            spit(q, b, cut);
            char msg[FT_ERRLEN];
            if (cut == 0) {
                expect_error(q, "empty file");
            } else if (cut < 4) {
                expect_error(q, "not an Avro file");
            } else if (cut < hdr) {
                expect_error(q, "header: truncated");
            } else {
                size_t k = 0, before = 0, boundary = cut == hdr;
                while (k < nb && ends[k] <= cut) {
                    if (ends[k] == cut)
                        boundary = 1;
                    before = recs[k];
                    k++;
                }
                if (boundary) { /* a shorter valid file */
                    assert_int_equal(read_ours(q, v, n, msg), (long)before);
                } else {
                    char want[64];
                    snprintf(want, sizeof want, "block %zu: truncated", k + 1);
                    expect_error(q, want);
                }
            }
        }
        free(b);
    }
    free(v);
}

static void test_corrupt_blocks(void **state)
{
    (void)state;
    size_t n = 200, len;
    ft4_record *v = gen(n, 13);
    const char *p = scratch_path("c.avro"), *q = scratch_path("bad.avro");

    /* a byte flipped inside a snappy block: its crc catches it */
    write_ours(p, v, n, FT_CODEC_SNAPPY, 6, 0, 1);
    uint8_t *b = slurp(p, &len);
    b[len - 16 - 4 - 100] ^= 0x10;
    spit(q, b, len);
    expect_error(q, "block 1: snappy: crc mismatch");
    free(b);

    /* the first byte of a deflate stream made a reserved block type */
    write_ours(p, v, n, FT_CODEC_DEFLATE, 6, 1000, 1);
    b = slurp(p, &len);
    size_t hdr = 0;
    for (size_t i = 4; i + 16 <= len; i++)
        if (memcmp(b + i, b + len - 16, 16) == 0) {
            hdr = i + 16;
            break;
        }
    size_t pos = hdr;
    int64_t cnt, size;
    ft4_get_long(b, len, &pos, &cnt);
    ft4_get_long(b, len, &pos, &size);
    size_t block2 = pos + (size_t)size + 16;
    uint8_t keep = b[pos];
    b[pos] |= 0x06; /* BTYPE 11 */
    spit(q, b, len);
    expect_error(q, "block 1: deflate: corrupt data");
    b[pos] = keep;

    /* wrong sync marker after block 2 */
    pos = block2;
    ft4_get_long(b, len, &pos, &cnt);
    ft4_get_long(b, len, &pos, &size);
    b[pos + (size_t)size + 5] ^= 1;
    spit(q, b, len);
    expect_error(q, "block 2: bad sync marker");
    free(b);
    free(v);

    /* hand-made blocks */
    builder w = {0};
    uint8_t rec[4096], two[8192];
    size_t k;

#define BUILD(...)                                     \
    do {                                               \
        w.n = 0;                                       \
        bheader(&w, ft4_schema_json, "null");          \
        __VA_ARGS__;                                   \
        spit(q, w.b, w.n);                             \
    } while (0)

    /* good records first, to check the file is otherwise valid */
    k = enc_custom(rec, 5, "US");
    BUILD(bblock(&w, 1, rec, k); bblock(&w, 0, "", 0); bblock(&w, 1, rec, k));
    assert_int_equal(read_ours(q, NULL, 0, (char[FT_ERRLEN]){0}), 2);

    size_t k1 = enc_custom(two, 64, "US");
    size_t k2 = enc_custom(two + k1, 65, "US");
    BUILD(bblock(&w, 2, two, k1 + k2));
    expect_error(q, "block 1: record 2: array longer than 64 entries");

    k = enc_custom(rec, 1, "sixteen-bytes!!!");
    BUILD(bblock(&w, 1, rec, k));
    expect_error(q, "block 1: record 1: string longer than 15 bytes");

    k = enc_port(rec, 1, "US", (int64_t)1 << 40);
    BUILD(bblock(&w, 1, rec, k));
    expect_error(q, "block 1: record 1: int field out of range");

    k = enc_custom(rec, 1, "US");
    BUILD(bblock(&w, 2, rec, k));
    expect_error(q, "block 1: record 2: truncated record");
    memcpy(rec + k, "xyz", 3);
    BUILD(bblock(&w, 1, rec, k + 3));
    expect_error(q, "block 1: 3 bytes left after the last record");
    BUILD(bblock(&w, 0, rec, 3));
    expect_error(q, "block 1: 3 bytes left after the last record");
    BUILD(bblock(&w, -1, rec, k));
    expect_error(q, "block 1: negative record count");
    BUILD(bblock(&w, (int64_t)1 << 62, rec, k));
    char want[128];
    snprintf(want, sizeof want, "block 1: 4611686018427387904 records cannot "
             "fit in %zu bytes", k);
    expect_error(q, want);
    BUILD(bblock(&w, 1, rec, k); blong(&w, 1); blong(&w, (int64_t)1 << 40));
    expect_error(q, "block 2: size 1099511627776 above the 128 MiB limit");
    BUILD(blong(&w, 1); blong(&w, -5));
    expect_error(q, "block 1: negative size");
    BUILD(blong(&w, 1); bput(&w, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11));
    expect_error(q, "block 1: bad size");

    /* a snappy block whose claimed length is too large */
    w.n = 0;
    bheader(&w, ft4_schema_json, "snappy");
    uint8_t big[16];
    size_t nb = 0;
    for (uint32_t x = 300u << 20; ; x >>= 7) { /* snappy's varint32 length */
        big[nb++] = (uint8_t)(x > 0x7f ? (x & 0x7f) | 0x80 : x);
        if (x <= 0x7f)
            break;
    }
    memset(big + nb, 0, 4);
    bblock(&w, 1, big, nb + 4);
    spit(q, w.b, w.n);
    expect_error(q, "block 1: more than 256 MiB decompressed");

    /* a deflate block of 300 MiB of zeros: refused at 256 MiB */
    {
        z_stream z;
        memset(&z, 0, sizeof z);
        assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, -15, 8,
                                      Z_DEFAULT_STRATEGY), Z_OK);
        static uint8_t zeros[1 << 20];
        size_t cap = 1 << 20, clen = 0;
        uint8_t *cbuf = malloc(cap);
        assert_non_null(cbuf);
        for (int i = 0; i < 300; i++) {
            z.next_in = zeros;
            z.avail_in = sizeof zeros;
            int flush = i == 299 ? Z_FINISH : Z_NO_FLUSH;
            do {
                z.next_out = cbuf + clen;
                z.avail_out = (uInt)(cap - clen);
                deflate(&z, flush);
                clen = cap - z.avail_out;
                assert_true(z.avail_out > 0);
            } while (z.avail_in > 0);
        }
        deflateEnd(&z);
        w.n = 0;
        bheader(&w, ft4_schema_json, "deflate");
        bblock(&w, 1, cbuf, clen);
        spit(q, w.b, w.n);
        free(cbuf);
        expect_error(q, "block 1: more than 256 MiB decompressed");
    }

    /* headers */
    w.n = 0;
    bheader(&w, ft4_schema_json, "xz");
    spit(q, w.b, w.n);
    expect_error(q, "header: unsupported codec 'xz'");
    w.n = 0;
    bput(&w, "Obj\x01", 4);
    blong(&w, 1);
    bstr(&w, "avro.codec", 10);
    bstr(&w, "null", 4);
    blong(&w, 0);
    bput(&w, SYNC, 16);
    spit(q, w.b, w.n);
    expect_error(q, "header: no avro.schema");
    w.n = 0;
    bput(&w, "Obj\x01", 4);
    bput(&w, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 12);
    spit(q, w.b, w.n);
    expect_error(q, "header: bad varint");
    w.n = 0;
    bput(&w, "Obj\x01", 4);
    blong(&w, 1);
    blong(&w, 1 << 20);
    spit(q, w.b, w.n);
    expect_error(q, "header: bad metadata key length 1048576");
    w.n = 0;
    const variant miss = {.drop = {"src_ip"}};
    bheader(&w, schema_for(&miss), NULL);
    spit(q, w.b, w.n);
    expect_error(q, "schema: field 'src_ip' missing");
    w.n = 0;
    const variant str = {.type_field = {"src_ip"}, .type_json = {"\"string\""}};
    bheader(&w, schema_for(&str), NULL);
    spit(q, w.b, w.n);
    expect_error(q, "schema: field 'src_ip' has type string, expected long");

    /* header only, no codec entry: valid, 0 records */
    w.n = 0;
    bheader(&w, ft4_schema_json, NULL);
    spit(q, w.b, w.n);
    assert_int_equal(read_ours(q, NULL, 0, (char[FT_ERRLEN]){0}), 0);

    /* random bytes, and a file of 0 bytes */
    recgen g;
    recgen_init(&g, 99);
    for (int i = 0; i < 256; i++)
        rec[i] = (uint8_t)recgen_u64(&g);
    spit(q, rec, 256);
    expect_error(q, "not an Avro file");
    spit(q, "", 0);
    expect_error(q, "empty file");
    free(w.b);
#undef BUILD
}

/* After an error the reader stays failed instead of resynchronising. */
static void test_sticky_error(void **state)
{
    (void)state;
    builder w = {0};
    uint8_t rec[4096];
    size_t k = enc_custom(rec, 65, "US");
    bheader(&w, ft4_schema_json, "null");
    bblock(&w, 1, rec, k);
    const char *q = scratch_path("sticky.avro");
    spit(q, w.b, w.n);
    ft_error err = {{0}};
    ft_source *src = ft_source_open(q, &err);
    ft_avro_reader *r = ft_avro_reader_open(src, &err);
    assert_non_null(r);
    ft4_record x;
    assert_int_equal(ft_avro_reader_next(r, &x, &err), -1);
    assert_int_equal(ft_avro_reader_next(r, &x, &err), -1);
    ft_avro_reader_close(r);
    ft_avro_reader_close(NULL);
    ft_source_close(src);
    free(w.b);
}

/* A full disk: the error reaches the caller, in put or in close, and
 * nothing leaks or hangs, with and without worker threads. */
static void test_write_error(void **state)
{
    (void)state;
    size_t n = 20000;
    ft4_record *v = gen(1000, 17);
    for (int t = 1; t <= 3; t++)
        for (int c = 0; c < 3; c++) {
            fflush(stdout);
            int saved = dup(1), full = open("/dev/full", O_WRONLY);
            assert_true(saved >= 0 && full >= 0);
            dup2(full, 1);
            close(full);
            ft_error err = {{0}};
            ft_sink *s = ft_sink_open(NULL, 0, &err);
            assert_non_null(s);
            ft_avro_opts o = {(enum ft_codec)c, 1, 4096, t};
            ft_avro_writer *w = ft_avro_writer_open(s, &o, &err);
            assert_non_null(w);
            int failed = 0;
            for (size_t i = 0; i < n && !failed; i++)
                failed = ft_avro_writer_put(w, &v[i % 1000], &err) < 0;
            char first[FT_ERRLEN];
            strcpy(first, err.msg);
            int rc = ft_avro_writer_close(w, &err);
            ft_sink_abort(s);
            dup2(saved, 1);
            close(saved);
            assert_int_equal(rc, -1);
            if (failed) { /* then close says so */
                assert_string_equal(first, "(stdout): No space left on device");
                assert_string_equal(err.msg, "(stdout): close after an error");
            } else {
                assert_string_equal(err.msg, "(stdout): No space left on device");
            }
        }
    free(v);
}

/* Worker threads block signals, so a signal interrupts the caller's
 * thread (ft-aggregate stops on an interrupted read).  Checked in
 * /proc/self/task/N/status: SigBlk of every thread but the main one. */
static void test_workers_block_signals(void **state)
{
    (void)state;
    ft_error err = {{0}};
    ft_sink *s = ft_sink_open(scratch_path("sig.avro"), 0, &err);
    assert_non_null(s);
    ft_avro_opts o = {FT_CODEC_DEFLATE, 6, 0, 3};
    ft_avro_writer *w = ft_avro_writer_open(s, &o, &err);
    assert_non_null(w);
    /* Read the masks directly: popen() would fork, and glibc blocks every
     * signal in this thread while it spawns, racing the reading. */
    DIR *d = opendir("/proc/self/task");
    assert_non_null(d);
    int blocked = 0, total = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char path[300], line[128];
        snprintf(path, sizeof path, "/proc/self/task/%s/status", de->d_name);
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        while (fgets(line, sizeof line, f)) {
            if (strncmp(line, "SigBlk:", 7) != 0)
                continue;
            unsigned long long m = strtoull(line + 7, NULL, 16);
            unsigned long long want = 1ULL << (SIGHUP - 1) | 1ULL << (SIGINT - 1) |
                                      1ULL << (SIGPIPE - 1) | 1ULL << (SIGTERM - 1);
            total++;
            blocked += (m & want) == want;
        }
        fclose(f);
    }
    closedir(d);
    assert_int_equal(total, 4); /* this thread and 3 workers */
    assert_int_equal(blocked, 3);
    assert_int_equal(ft_avro_writer_close(w, &err), 0);
    ft_sink_abort(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_edge_records),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_writer_options),
        cmocka_unit_test(test_avroc_reads_ours),
        cmocka_unit_test(test_ours_reads_avroc),
        cmocka_unit_test(test_schema),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_corrupt_blocks),
        cmocka_unit_test(test_sticky_error),
        cmocka_unit_test(test_write_error),
        cmocka_unit_test(test_workers_block_signals),
    };
    if (getenv("TEST_FILTER")) /* e.g. TEST_FILTER=test_schema */
        cmocka_set_test_filter(getenv("TEST_FILTER"));
    return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
