/*
 * test_ft3.c - the FT3 (corsaro3 Avro) reader: files written by avro-c in
 * every codec and schema variant we accept, wrong schemas and out-of-range
 * values refused with the exact message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <avro.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ft3_reader.h"
#include "source.h"
#include "scratch.h"


/* Field names and types of FT4-SPEC section 5, in order. */
static const char *const names[19] = {
    "time", "src_ip", "dst_ip", "src_port", "dst_port", "protocol", "ttl",
    "tcp_flags", "ip_len", "tcp_synlen", "tcp_synwinlen", "packet_cnt",
    "is_spoofed", "is_masscan", "maxmind_continent", "maxmind_country",
    "netacq_continent", "netacq_country", "prefix2asn"};
static const char *const types[19] = {
    "long", "long", "long", "int", "int", "int", "int", "int", "int", "int",
    "int", "long", "int", "int", "string", "string", "string", "string", "long"};

/* A schema of the fields perm[0..n) (indices into names), with type
 * overrides (NULL = the usual type) and an extra field when given. */
static char *schema_json(const int *perm, int n, const char *const *type_of,
                         const char *extra)
{
    static char s[4096];
    size_t k = (size_t)snprintf(s, sizeof s, "{\"type\":\"record\",\"name\":"
                                "\"flowtuple\",\"fields\":[");
    for (int i = 0; i < n; i++) {
        int f = perm[i];
        k += (size_t)snprintf(s + k, sizeof s - k, "%s{\"name\":\"%s\",\"type\":\"%s\"}",
                              i ? "," : "", names[f],
                              type_of && type_of[f] ? type_of[f] : types[f]);
    }
    if (extra)
        k += (size_t)snprintf(s + k, sizeof s - k, ",%s", extra);
    snprintf(s + k, sizeof s - k, "]}");
    return s;
}

typedef struct row {
    int64_t v[19]; /* numbers; strings come from tags */
    const char *tags[4];
} row;

static const char *write_file(const char *name, const char *json,
                              const row *rows, int nrows, const char *codec)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", scratch_dir, name);
    unlink(path);
    avro_schema_t s;
    if (avro_schema_from_json_length(json, strlen(json), &s))
        fail_msg("%s", avro_strerror());
    avro_file_writer_t w;
    /* a small block size: several blocks per file */
    if (avro_file_writer_create_with_codec(path, s, &w, codec, 2048))
        fail_msg("%s", avro_strerror());
    avro_value_iface_t *iface = avro_generic_class_from_schema(s);
    avro_value_t rec;
    avro_generic_value_new(iface, &rec);
    size_t nf = avro_schema_record_size(s);
    for (int r = 0; r < nrows; r++) {
        for (size_t i = 0; i < nf; i++) {
            avro_value_t f;
            const char *fname;
            avro_value_get_by_index(&rec, i, &f, &fname);
            int id = -1;
            for (int j = 0; j < 19; j++)
                if (strcmp(fname, names[j]) == 0)
                    id = j;
            switch (avro_value_get_type(&f)) {
            case AVRO_INT32:
                avro_value_set_int(&f, id >= 0 ? (int32_t)rows[r].v[id] : 7);
                break;
            case AVRO_INT64:
                avro_value_set_long(&f, id >= 0 ? rows[r].v[id] : 7);
                break;
            case AVRO_BYTES: {
                const char *t = rows[r].tags[id - 14];
                avro_value_set_bytes(&f, (void *)t, strlen(t));
                break;
            }
            default:
                avro_value_set_string(&f, id >= 14 && id < 18 ? rows[r].tags[id - 14] : "x");
            }
        }
        if (avro_file_writer_append_value(w, &rec))
            fail_msg("%s: append row %d: %s", name, r, avro_strerror());
    }
    avro_file_writer_close(w);
    avro_value_decref(&rec);
    avro_value_iface_decref(iface);
    avro_schema_decref(s);
    return path;
}

static row make_row(int i)
{
    row r = {{1613239200 + 60 * (i / 50), 0x01020304 + (uint32_t)i, 0xfffffffe,
              5000 + i, 65535, i % 3 == 0 ? 6 : 17, 255, i % 3 == 0 ? 2 : 0, 1500,
              i % 3 == 0 ? 24 : 0, 1024, (int64_t)1 << 40 | i, i & 1, 5,
              0, 0, 0, 0, 4200000000LL + i},
             {"EU", i & 1 ? "??" : "DE", "", "ZZZZZZZZZZZZZZZ"}};
    return r;
}

static void check_row(const ft3_record *x, const row *want)
{
    assert_int_equal(x->time, want->v[0]);
    assert_int_equal(x->src_ip, (uint32_t)want->v[1]);
    assert_int_equal(x->dst_ip, 0xfffffffe);
    assert_int_equal(x->src_port, want->v[3]);
    assert_int_equal(x->dst_port, 65535);
    assert_int_equal(x->protocol, want->v[5]);
    assert_int_equal(x->ttl, 255);
    assert_int_equal(x->tcp_flags, want->v[7]);
    assert_int_equal(x->ip_len, 1500);
    assert_int_equal(x->tcp_synlen, want->v[9]);
    assert_int_equal(x->tcp_synwinlen, 1024);
    assert_int_equal(x->packet_cnt, want->v[11]);
    assert_int_equal(x->is_spoofed, want->v[12]);
    assert_int_equal(x->is_masscan, 1);
    assert_int_equal(x->prefix2asn, want->v[18]);
    for (int t = 0; t < 4; t++) {
        assert_int_equal(x->tag[t].len, strlen(want->tags[t]));
        assert_string_equal(x->tag[t].s, want->tags[t]);
    }
}

/* Reads path; returns records read (checked against rows), or -1 with err. */
static long read_file(const char *path, const row *rows, ft_error *err)
{
    ft_source *src = ft_source_open(path, err);
    assert_non_null(src);
    ft3_reader *r = ft3_reader_open(src, err);
    long n = 0;
    int rc = -1;
    ft3_record x;
    while (r && (rc = ft3_reader_next(r, &x, err)) == 1) {
        if (rows)
            check_row(&x, &rows[n]);
        n++;
    }
    if (r && rc == 0)
        assert_true(ft3_reader_block(r) > 1 || n < 5);
    ft_error again;
    if (rc < 0 && r) /* errors stick */
        assert_int_equal(ft3_reader_next(r, &x, &again), -1);
    ft3_reader_close(r);
    ft3_reader_close(NULL);
    ft_source_close(src);
    return rc < 0 ? -1 : n;
}

static void test_codecs_and_variants(void **state)
{
    (void)state;
    row rows[200];
    for (int i = 0; i < 200; i++)
        rows[i] = make_row(i);
    int canon[19], rev[19];
    for (int i = 0; i < 19; i++) {
        canon[i] = i;
        rev[i] = 18 - i;
    }
    /* int and long accepted for each other, bytes for string */
    const char *swapped[19] = {"int", NULL, NULL, "long", NULL, NULL, NULL,
                               NULL, NULL, NULL, NULL, NULL, "long", NULL,
                               "bytes"};
    const char *const codecs[] = {"null", "deflate", "snappy"};
    ft_error err = {{0}};
    for (int c = 0; c < 3; c++) {
        const char *p = write_file("a.ft3", schema_json(canon, 19, NULL, NULL),
                                   rows, 200, codecs[c]);
        if (read_file(p, rows, &err) != 200)
            fail_msg("%s: %s", codecs[c], err.msg);
        p = write_file("b.ft3", schema_json(rev, 19, NULL, NULL), rows, 200,
                       codecs[c]);
        if (read_file(p, rows, &err) != 200)
            fail_msg("%s reversed: %s", codecs[c], err.msg);
    }
    row small[3];
    for (int i = 0; i < 3; i++) {
        small[i] = make_row(i);
        small[i].v[0] = 1000 + i; /* fits the int written for time */
    }
    const char *p = write_file("c.ft3", schema_json(canon, 19, swapped, NULL),
                               small, 3, "null");
    if (read_file(p, small, &err) != 3)
        fail_msg("swapped types: %s", err.msg);
    /* a file with no records */
    p = write_file("d.ft3", schema_json(canon, 19, NULL, NULL), rows, 0, "deflate");
    assert_int_equal(read_file(p, NULL, &err), 0);
}

static void expect_error(const char *path, const char *msg)
{
    ft_error err = {{0}};
    assert_int_equal(read_file(path, NULL, &err), -1);
    char want[600];
    snprintf(want, sizeof want, "%s: %s", path, msg);
    assert_string_equal(err.msg, want);
}

static void test_wrong_schema(void **state)
{
    (void)state;
    row rows[1] = {make_row(0)};
    int canon[19];
    for (int i = 0; i < 19; i++)
        canon[i] = i;
    int no_ttl[18];
    for (int i = 0, k = 0; i < 19; i++)
        if (i != 6)
            no_ttl[k++] = i;
    expect_error(write_file("e1.ft3", schema_json(no_ttl, 18, NULL, NULL), rows,
                            1, "null"),
                 "schema: not FT3: field 'ttl' missing");
    expect_error(write_file("e2.ft3", schema_json(canon, 19, NULL,
                                                  "{\"name\":\"extra\",\"type\":\"int\"}"),
                            rows, 1, "null"),
                 "schema: not FT3: field 'extra' is not an FT3 field");
    const char *ttl_string[19] = {[6] = "string"};
    expect_error(write_file("e3.ft3", schema_json(canon, 19, ttl_string, NULL),
                            rows, 1, "null"),
                 "schema: not FT3: field 'ttl' has type string, expected int or long");
    const char *tag_int[19] = {[15] = "int"};
    expect_error(write_file("e4.ft3", schema_json(canon, 19, tag_int, NULL),
                            rows, 1, "null"),
                 "schema: not FT3: field 'maxmind_country' has type int, "
                 "expected string");
    /* an FT4 file: the first FT3 field it lacks is named */
    int ft4ish[3] = {0, 1, 5};
    expect_error(write_file("e5.ft3", schema_json(ft4ish, 3, NULL,
                                                  "{\"name\":\"dst_net\",\"type\":\"long\"}"),
                            rows, 1, "null"),
                 "schema: not FT3: field 'dst_ip' missing");
}

static void test_bad_values(void **state)
{
    (void)state;
    int canon[19];
    for (int i = 0; i < 19; i++)
        canon[i] = i;
    const char *longs[19] = {[3] = "long"};
    struct {
        int field;
        int64_t value;
        const char *msg;
    } cases[] = {
        {3, 70000, "src_port 70000 out of range"},
        {1, (int64_t)1 << 32, "src_ip 4294967296 out of range"},
        {2, -1, "dst_ip -1 out of range"},
        {5, 256, "protocol 256 out of range"},
        {11, -5, "packet_cnt -5 out of range"},
        {9, -1, "tcp_synlen -1 out of range"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        row rows[3] = {make_row(0), make_row(1), make_row(2)};
        rows[1].v[cases[c].field] = cases[c].value;
        const char *p = write_file("v.ft3", schema_json(canon, 19, longs, NULL),
                                   rows, 3, "deflate");
        char msg[200];
        snprintf(msg, sizeof msg, "block 1: record 2: %s", cases[c].msg);
        expect_error(p, msg);
    }
    row rows[2] = {make_row(0), make_row(1)};
    rows[1].tags[2] = "ABCDEFGHIJKLMNOP"; /* 16 bytes */
    expect_error(write_file("t.ft3", schema_json(canon, 19, NULL, NULL), rows, 2,
                            "snappy"),
                 "block 1: record 2: netacq_continent longer than 15 bytes");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codecs_and_variants),
        cmocka_unit_test(test_wrong_schema),
        cmocka_unit_test(test_bad_values),
    };
    return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
