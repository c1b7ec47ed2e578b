/* test_topn.c - grouping, weights, ranking and tie breaks, the key
 * encoding, the result table (Other row, fractions) and partial files:
 * write, merge, refuse mismatched or damaged ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "ft4.h"
#include "output.h"
#include "partial.h"
#include "sink.h"
#include "table.h"
#include "topn.h"
#include "scratch.h"


static char *slurp(const char *path)
{
    static char buf[1 << 16];
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static ft_topn *new_topn(const char *fields, enum ft_topn_by by)
{
    int ids[FT4_F_COUNT], n;
    ft_error err;
    assert_int_equal(ft4_parse_field_list(fields, ids, &n, &err), 0);
    ft_topn *t = ft_topn_new(ids, n, by, &err);
    assert_non_null(t);
    return t;
}

static void add_port(ft_topn *t, int32_t port, int times)
{
    ft4_record r;
    ft4_record_init(&r);
    r.dst_port = port;
    ft_error err;
    for (int i = 0; i < times; i++)
        assert_int_equal(ft_topn_add(t, &r, &err), 0);
}

/* The ranked keys, decoded into r[] (at most 16). */
static size_t ranked(ft_topn *t, size_t n, ft4_record *r, uint64_t *count)
{
    ft_topn_entry *e;
    size_t m;
    ft_error err;
    assert_int_equal(ft_topn_rank(t, n, &e, &m, &err), 0);
    assert_true(m <= 16);
    for (size_t i = 0; i < m; i++) {
        ft4_record_init(&r[i]);
        ft_topn_key_decode(t, e[i].key, &r[i]);
        count[i] = e[i].count;
    }
    free(e);
    return m;
}

static void test_ties_numeric(void **state)
{
    (void)state;
    ft_topn *t = new_topn("dst_port", FT_TOPN_FLOWS);
    add_port(t, 80, 3);
    add_port(t, 443, 1);
    add_port(t, 22, 3);
    add_port(t, -5, 3); /* foreign data: negative sorts first */
    add_port(t, 65535, 4);
    ft4_record r[16];
    uint64_t c[16];
    assert_int_equal(ranked(t, 0, r, c), 5);
    int32_t want[] = {65535, -5, 22, 80, 443};
    uint64_t wantc[] = {4, 3, 3, 3, 1};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(r[i].dst_port, want[i]);
        assert_int_equal(c[i], wantc[i]);
    }
    assert_int_equal(ft_topn_keys(t), 5);
    assert_int_equal(ft_topn_total(t), 14);
    /* top 3 is the prefix of the full order */
    assert_int_equal(ranked(t, 3, r, c), 3);
    assert_int_equal(r[2].dst_port, 22);
    ft_topn_free(t);
}

static void test_ties_strings(void **state)
{
    (void)state;
    ft_topn *t = new_topn("netacq_country", FT_TOPN_FLOWS);
    /* byte order, a prefix first; a NUL byte is an ordinary byte */
    const char *s[] = {"B", "AB", "A\0", "", "A", "\xff"};
    const size_t len[] = {1, 2, 2, 0, 1, 1};
    ft_error err;
    for (int i = 0; i < 6; i++) {
        ft4_record r;
        ft4_record_init(&r);
        ft4_tag_set(&r.tag[FT4_T_NETACQ_COUNTRY], s[i], len[i]);
        assert_int_equal(ft_topn_add(t, &r, &err), 0);
        assert_int_equal(ft_topn_add(t, &r, &err), 0);
    }
    ft4_record r[16];
    uint64_t c[16];
    assert_int_equal(ranked(t, 0, r, c), 6);
    const int order[] = {3, 4, 2, 1, 0, 5};
    for (int i = 0; i < 6; i++) {
        const ft4_tag *g = &r[i].tag[FT4_T_NETACQ_COUNTRY];
        assert_int_equal(g->len, len[order[i]]);
        assert_memory_equal(g->s, s[order[i]], len[order[i]]);
        assert_int_equal(c[i], 2);
    }
    ft_topn_free(t);
}

static void set_ttls(ft4_record *r, int n, const int64_t *v)
{
    r->arr[FT4_A_TTLS].n = (uint32_t)n;
    for (int i = 0; i < n; i++)
        r->arr[FT4_A_TTLS].v[i] = v[i];
}

static void test_ties_arrays(void **state)
{
    (void)state;
    ft_topn *t = new_topn("common_ttls", FT_TOPN_PACKETS);
    const int64_t a[][2] = {{2, 0}, {1, 2}, {1, 0}, {0, 0}, {-1, 0}};
    const int n[] = {1, 2, 1, 0, 1};
    ft_error err;
    for (int i = 0; i < 5; i++) {
        ft4_record r;
        ft4_record_init(&r);
        set_ttls(&r, n[i], a[i]);
        r.packet_cnt = 7;
        assert_int_equal(ft_topn_add(t, &r, &err), 0);
    }
    ft4_record r[16];
    uint64_t c[16];
    assert_int_equal(ranked(t, 0, r, c), 5);
    /* [], [-1], [1], [1,2], [2] */
    const int order[] = {3, 4, 2, 1, 0};
    for (int i = 0; i < 5; i++) {
        const ft4_array *g = &r[i].arr[FT4_A_TTLS];
        assert_int_equal(g->n, n[order[i]]);
        for (int j = 0; j < n[order[i]]; j++)
            assert_int_equal(g->v[j], a[order[i]][j]);
        assert_int_equal(c[i], 7);
    }
    ft_topn_free(t);
}

static void test_composite(void **state)
{
    (void)state;
    ft_topn *t = new_topn("src_ip,dst_port", FT_TOPN_DST_IPS);
    struct { int64_t ip; int32_t port; int32_t dst; } in[] = {
        {1, 80, 5}, {1, 22, 5}, {0, 443, 5}, {4294967295, 1, 2}, {1, 80, 1},
        {0, 443, 0},
    };
    ft_error err;
    for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
        ft4_record r;
        ft4_record_init(&r);
        r.src_ip = in[i].ip;
        r.dst_port = in[i].port;
        r.uniq_dst_ips = in[i].dst;
        assert_int_equal(ft_topn_add(t, &r, &err), 0);
    }
    ft4_record r[16];
    uint64_t c[16];
    assert_int_equal(ranked(t, 0, r, c), 4);
    /* (1,80)=6; then 5s by src_ip, then dst_port: (0,443), (1,22); (max,1)=2 */
    assert_int_equal(r[0].src_ip, 1);
    assert_int_equal(r[0].dst_port, 80);
    assert_int_equal(c[0], 6);
    assert_int_equal(r[1].src_ip, 0);
    assert_int_equal(r[1].dst_port, 443);
    assert_int_equal(r[2].src_ip, 1);
    assert_int_equal(r[2].dst_port, 22);
    assert_int_equal(r[3].src_ip, 4294967295);
    assert_int_equal(c[3], 2);
    assert_int_equal(ft_topn_total(t), 18);
    ft_topn_free(t);
}

static void test_weights_and_errors(void **state)
{
    (void)state;
    ft_error err;
    ft4_record r;
    ft4_record_init(&r);
    ft_topn *t = new_topn("protocol", FT_TOPN_PACKETS);
    r.packet_cnt = -1;
    assert_int_equal(ft_topn_add(t, &r, &err), -1);
    assert_string_equal(err.msg, "negative packet_cnt -1");
    r.packet_cnt = INT64_MAX;
    assert_int_equal(ft_topn_add(t, &r, &err), 0);
    assert_int_equal(ft_topn_add(t, &r, &err), 0);
    r.packet_cnt = 1;
    assert_int_equal(ft_topn_add(t, &r, &err), 0); /* 2^64 - 1 */
    assert_int_equal(ft_topn_total(t), UINT64_MAX);
    assert_int_equal(ft_topn_add(t, &r, &err), -1);
    assert_string_equal(err.msg, "packets: total past 2^64 - 1");
    ft_topn_free(t);

    t = new_topn("protocol", FT_TOPN_DST_IPS);
    r.uniq_dst_ips = -3;
    assert_int_equal(ft_topn_add(t, &r, &err), -1);
    assert_string_equal(err.msg, "negative uniq_dst_ips -3");
    ft_topn_free(t);

    int twice[] = {FT4_F_SRC_IP, FT4_F_SRC_IP};
    assert_null(ft_topn_new(twice, 2, FT_TOPN_FLOWS, &err));
    assert_string_equal(err.msg, "key: field 'src_ip' given twice");
}

/* Many keys: the heap's top n equals the first n of a full sort, and the
 * full sort is in rank order. */
static void test_many_keys(void **state)
{
    (void)state;
    ft_topn *t = new_topn("src_ip", FT_TOPN_PACKETS);
    ft_error err;
    ft4_record r;
    ft4_record_init(&r);
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        r.src_ip = (int64_t)(x % 50000);
        r.packet_cnt = (int64_t)(x >> 60); /* 0..15: many ties */
        assert_int_equal(ft_topn_add(t, &r, &err), 0);
    }
    ft_topn_entry *all, *top;
    size_t na, nt;
    assert_int_equal(ft_topn_rank(t, 0, &all, &na, &err), 0);
    assert_int_equal(na, ft_topn_keys(t));
    uint64_t sum = 0;
    for (size_t i = 0; i < na; i++) {
        sum += all[i].count;
        if (i) {
            assert_true(all[i - 1].count >= all[i].count);
            if (all[i - 1].count == all[i].count)
                assert_true(memcmp(all[i - 1].key, all[i].key, 8) < 0);
        }
    }
    assert_int_equal(sum, ft_topn_total(t));
    for (size_t n = 1; n <= 1000; n *= 10) {
        assert_int_equal(ft_topn_rank(t, n, &top, &nt, &err), 0);
        assert_int_equal(nt, n);
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(top[i].count, all[i].count);
            assert_ptr_equal(top[i].key, all[i].key);
        }
        free(top);
    }
    free(all);
    ft_topn_free(t);
}

static void test_key_roundtrip(void **state)
{
    (void)state;
    ft_topn *t = new_topn("time,src_ip,dst_port,netacq_country,common_srcports,"
                          "prefix2asn", FT_TOPN_FLOWS);
    ft4_record r, back;
    ft4_record_init(&r);
    r.time = -1613239200;
    r.src_ip = 3239906926;
    r.dst_port = INT32_MIN;
    ft4_tag_set(&r.tag[FT4_T_NETACQ_COUNTRY], "RU-long-value!!", 15);
    r.arr[FT4_A_SRCPORTS].n = FT4_ARRAY_READ_MAX;
    for (int i = 0; i < FT4_ARRAY_READ_MAX; i++)
        r.arr[FT4_A_SRCPORTS].v[i] = INT64_MIN + i;
    r.prefix2asn = INT64_MAX;
    ft_error err;
    assert_int_equal(ft_topn_add(t, &r, &err), 0);
    ft_topn_entry *e;
    size_t m;
    assert_int_equal(ft_topn_rank(t, 0, &e, &m, &err), 0);
    assert_int_equal(m, 1);
    assert_int_equal(e[0].len, 8 + 8 + 4 + 16 + 64 * 9 + 1 + 8);
    ft4_record_init(&back);
    ft_topn_key_decode(t, e[0].key, &back);
    assert_true(ft4_record_equal(&r, &back));
    free(e);
    ft_topn_free(t);
}

/* Writes the result table of t to a file and returns its text. */
static char *result(ft_topn *t, size_t n, int no_other, enum ft_table_format fmt)
{
    ft_output_opts vo;
    ft_output_opts_init(&vo);
    ft_error err;
    ft_table *tab = ft_topn_result(t, n, no_other, fmt, 0, &vo, &err);
    assert_non_null(tab);
    ft_sink *s = ft_sink_open(scratch_path("result"), 0, &err);
    assert_non_null(s);
    assert_int_equal(ft_table_write(tab, s, &err), 0);
    assert_int_equal(ft_sink_commit(s, &err), 0);
    ft_table_free(tab);
    return slurp(scratch_path("result"));
}

static void test_result_table(void **state)
{
    (void)state;
    ft_topn *t = new_topn("dst_port", FT_TOPN_FLOWS);
    add_port(t, 23, 5);
    add_port(t, 22, 2);
    add_port(t, 80, 2);
    add_port(t, 443, 1);
    assert_string_equal(result(t, 2, 0, FT_TABLE_TEXT),
                        "rank  name   flows     pct  cumpct\n"
                        "   1  23         5  0.5000  0.5000\n"
                        "   2  22         2  0.2000  0.7000\n"
                        "   3  Other      3  0.3000  1.0000\n");
    assert_string_equal(result(t, 2, 0, FT_TABLE_JSON),
                        "{\"rank\":1,\"name\":23,\"flows\":5,\"pct\":0.5,\"cumpct\":0.5}\n"
                        "{\"rank\":2,\"name\":22,\"flows\":2,\"pct\":0.2,\"cumpct\":0.7}\n"
                        "{\"rank\":3,\"name\":\"Other\",\"flows\":3,\"pct\":0.3,\"cumpct\":1}\n");
    assert_string_equal(result(t, 3, 1, FT_TABLE_CSV),
                        "rank,name,flows,pct,cumpct\n"
                        "1,23,5,0.5,0.5\n2,22,2,0.2,0.7\n3,80,2,0.2,0.9\n");
    /* nothing left past rank 4: no Other row; n = 0 is every key */
    assert_string_equal(result(t, 4, 0, FT_TABLE_CSV), result(t, 0, 0, FT_TABLE_CSV));
    assert_null(strstr(result(t, 4, 0, FT_TABLE_CSV), "Other"));
    ft_topn_free(t);

    /* composite: one column per field, Other's other columns null */
    t = new_topn("src_ip,netacq_country", FT_TOPN_PACKETS);
    ft4_record r;
    ft4_record_init(&r);
    ft_error err;
    r.src_ip = 16909060;
    r.packet_cnt = 2;
    assert_int_equal(ft_topn_add(t, &r, &err), 0);
    r.src_ip = 16909061;
    r.packet_cnt = 1;
    assert_int_equal(ft_topn_add(t, &r, &err), 0);
    assert_string_equal(result(t, 1, 0, FT_TABLE_JSON),
                        "{\"rank\":1,\"src_ip\":\"1.2.3.4\",\"netacq_country\":\"??\","
                        "\"packets\":2,\"pct\":0.6666666666666666,\"cumpct\":0.6666666666666666}\n"
                        "{\"rank\":2,\"src_ip\":\"Other\",\"netacq_country\":null,"
                        "\"packets\":1,\"pct\":0.3333333333333333,\"cumpct\":1}\n");
    assert_string_equal(result(t, 1, 0, FT_TABLE_TEXT),
                        "rank  src_ip   netacq_country  packets     pct  cumpct\n"
                        "   1  1.2.3.4  ??                    2  0.6666  0.6666\n"
                        "   2  Other                          1  0.3333  1.0000\n");
    ft_topn_free(t);

    /* weights all 0: fractions 0, not NaN; empty: header only */
    t = new_topn("protocol", FT_TOPN_PACKETS);
    assert_string_equal(result(t, 10, 0, FT_TABLE_CSV), "rank,name,packets,pct,cumpct\n");
    assert_string_equal(result(t, 10, 0, FT_TABLE_JSON), "");
    r.packet_cnt = 0;
    assert_int_equal(ft_topn_add(t, &r, &err), 0);
    assert_string_equal(result(t, 10, 0, FT_TABLE_CSV),
                        "rank,name,packets,pct,cumpct\n1,0,0,0,0\n");
    ft_topn_free(t);
}

static void test_format_double(void **state)
{
    (void)state;
    char b[32];
    ft_format_double(0.4171, b);
    assert_string_equal(b, "0.4171");
    ft_format_double(1.0, b);
    assert_string_equal(b, "1");
    ft_format_double(1.0 / 3, b);
    assert_string_equal(b, "0.3333333333333333");
    ft_format_double(0.1 + 0.2, b);
    assert_string_equal(b, "0.30000000000000004");
    ft_format_double(36296567.0 / 87020298.0, b);
    assert_true(strtod(b, NULL) == 36296567.0 / 87020298.0);
}

/* Text ratios are truncated from the exact fraction, as the seed talk
 * prints them; csv has the nearest double in full. */
static void test_ratio_cells(void **state)
{
    (void)state;
    const char *names[] = {"r"};
    ft_error err;
    const uint64_t num[] = {36296567, 10111708, 46408275, 3, 1, 0, UINT64_MAX, 5};
    const uint64_t den[] = {87020298, 87020298, 87020298, 10, 3, 0, UINT64_MAX, 0};
    const char *text =
        "     r\n0.4171\n0.1161\n0.5333\n0.3000\n0.3333\n0.0000\n1.0000\n0.0000\n";
    const char *csv = "r\n0.41710460472107325\n0.116199418209301\n0.5333040229303743\n"
                      "0.3\n0.3333333333333333\n0\n1\n0\n";
    for (int f = 0; f < 2; f++) {
        ft_table *t = ft_table_new(f ? FT_TABLE_CSV : FT_TABLE_TEXT, 0, 1, names, &err);
        assert_non_null(t);
        for (int i = 0; i < 8; i++) {
            assert_int_equal(ft_table_ratio(t, num[i], den[i], &err), 0);
            assert_int_equal(ft_table_end_row(t, &err), 0);
        }
        assert_int_equal(ft_table_str(t, "x", &err), 0);
        assert_int_equal(ft_table_str(t, "y", &err), -1); /* 2 cells in a 1-column row */
        ft_table_free(t);
        t = ft_table_new(f ? FT_TABLE_CSV : FT_TABLE_TEXT, 0, 1, names, &err);
        for (int i = 0; i < 8; i++) {
            ft_table_ratio(t, num[i], den[i], &err);
            ft_table_end_row(t, &err);
        }
        ft_sink *s = ft_sink_open(scratch_path("ratio"), 0, &err);
        assert_int_equal(ft_table_write(t, s, &err), 0);
        assert_int_equal(ft_sink_commit(s, &err), 0);
        assert_string_equal(slurp(scratch_path("ratio")), f ? csv : text);
        ft_table_free(t);
    }
}

static void write_partial(ft_topn *t, const char *name)
{
    ft_error err;
    ft_sink *s = ft_sink_open(scratch_path(name), 0, &err);
    assert_non_null(s);
    assert_int_equal(ft_topn_write_partial(t, s, &err), 0);
    assert_int_equal(ft_sink_commit(s, &err), 0);
}

static void fill(ft_topn *t, int from, int to)
{
    ft4_record r;
    ft4_record_init(&r);
    ft_error err;
    for (int i = from; i < to; i++) {
        r.src_ip = i % 97;
        r.dst_port = i % 5;
        assert_int_equal(ft_topn_add(t, &r, &err), 0);
    }
}

static void assert_same_rank(ft_topn *a, ft_topn *b)
{
    ft_topn_entry *x, *y;
    size_t nx, ny;
    ft_error err;
    assert_int_equal(ft_topn_rank(a, 0, &x, &nx, &err), 0);
    assert_int_equal(ft_topn_rank(b, 0, &y, &ny, &err), 0);
    assert_int_equal(nx, ny);
    for (size_t i = 0; i < nx; i++) {
        assert_int_equal(x[i].count, y[i].count);
        assert_int_equal(x[i].len, y[i].len);
        assert_memory_equal(x[i].key, y[i].key, x[i].len);
    }
    assert_int_equal(ft_topn_total(a), ft_topn_total(b));
    free(x);
    free(y);
}

static int merge1(ft_topn **t, const char *path, ft_error *err)
{
    char *paths[] = {(char *)path};
    return ft_topn_merge_files(t, 1, paths, err);
}

static void test_partial_merge(void **state)
{
    (void)state;
    ft_topn *all = new_topn("src_ip,dst_port", FT_TOPN_FLOWS);
    ft_topn *a = new_topn("src_ip,dst_port", FT_TOPN_FLOWS);
    ft_topn *b = new_topn("src_ip,dst_port", FT_TOPN_FLOWS);
    ft_topn *empty = new_topn("src_ip,dst_port", FT_TOPN_FLOWS);
    fill(all, 0, 5000);
    fill(a, 0, 1234);
    fill(b, 1234, 5000);
    write_partial(a, "a.part");
    write_partial(b, "b.part");
    write_partial(empty, "e.part");
    ft_error err;
    ft_topn *m = NULL;
    assert_int_equal(merge1(&m, scratch_path("a.part"), &err), 0);
    assert_non_null(m);
    assert_int_equal(merge1(&m, scratch_path("e.part"), &err), 0);
    assert_int_equal(merge1(&m, scratch_path("b.part"), &err), 0);
    assert_same_rank(m, all);
    /* several files in one call, in another order */
    ft_topn *m2 = NULL;
    char pa[128], pb[128], pe[128];
    strcpy(pa, scratch_path("a.part"));
    strcpy(pb, scratch_path("b.part"));
    strcpy(pe, scratch_path("e.part"));
    char *three[] = {pb, pe, pa};
    assert_int_equal(ft_topn_merge_files(&m2, 3, three, &err), 0);
    assert_same_rank(m2, all);
    ft_topn_free(m2);
    /* the merged partial is byte for byte the one-run partial */
    write_partial(m, "m.part");
    write_partial(all, "all.part");
    static char x[1 << 16], y[1 << 16];
    FILE *f = fopen(scratch_path("m.part"), "rb");
    size_t nx = fread(x, 1, sizeof x, f);
    fclose(f);
    f = fopen(scratch_path("all.part"), "rb");
    size_t ny = fread(y, 1, sizeof y, f);
    fclose(f);
    assert_true(nx > 100 && nx < sizeof x);
    assert_int_equal(nx, ny);
    assert_memory_equal(x, y, nx);

    /* another key or weight is refused, naming both */
    ft_topn *other = new_topn("src_ip", FT_TOPN_FLOWS);
    assert_int_equal(merge1(&other, scratch_path("a.part"), &err), -1);
    assert_non_null(strstr(err.msg, "cannot merge a partial of 'ft-topn v2 key=src_ip,dst_port "
                                    "by=flows' into 'ft-topn v2 key=src_ip by=flows'"));
    ft_topn_free(other);
    other = new_topn("src_ip,dst_port", FT_TOPN_PACKETS);
    assert_int_equal(merge1(&other, scratch_path("a.part"), &err), -1);
    ft_topn_free(other);

    /* a flipped byte fails the checksum; a cut file is truncated */
    f = fopen(scratch_path("a.part"), "r+b");
    fseek(f, 60, SEEK_SET);
    int c = fgetc(f);
    fseek(f, 60, SEEK_SET);
    fputc(c ^ 0x40, f);
    fclose(f);
    other = NULL;
    assert_int_equal(merge1(&other, scratch_path("a.part"), &err), -1);
    assert_non_null(strstr(err.msg, "a.part: "));
    ft_topn_free(other);
    assert_int_equal(truncate(scratch_path("b.part"), 100), 0);
    other = NULL;
    assert_int_equal(merge1(&other, scratch_path("b.part"), &err), -1);
    assert_non_null(strstr(err.msg, "b.part: truncated"));
    ft_topn_free(other);

    ft_topn_free(m);
    ft_topn_free(all);
    ft_topn_free(a);
    ft_topn_free(b);
    ft_topn_free(empty);
}

/* ---- merging: any order, every sort path, layouts 1 and 2 ---- */

/* Record i of a deterministic mix: countries, ports, TTL arrays of 0..3
 * values; addresses and networks shared by 4 records in a row, so that
 * src_ip,dst_net,dst_port keys differ in 9 bytes and some tie on the
 * first 8 of them. */
static void mix_record(unsigned i, ft4_record *r)
{
    static const char *const cc[] = {"RU", "CN", "US", "BR", "??", "NL", "SC"};
    uint32_t x = i * 2654435761u, y = (i / 4) * 2246822519u;
    ft4_record_init(r);
    ft4_tag_set(&r->tag[FT4_T_NETACQ_COUNTRY], cc[x % 7], 2);
    r->dst_port = (int32_t)((x >> 7) % 3000);
    r->src_ip = y;
    r->dst_net = y & 0xffffff00;
    r->packet_cnt = 1 + x % 5;
    r->arr[FT4_A_TTLS].n = x % 4;
    for (uint32_t j = 0; j < r->arr[FT4_A_TTLS].n; j++)
        r->arr[FT4_A_TTLS].v[j] = (x >> (4 * j)) % 7 * 40;
}

static void fill_mix(ft_topn *t, unsigned from, unsigned to)
{
    ft4_record r;
    ft_error err;
    for (unsigned i = from; i < to; i++) {
        mix_record(i, &r);
        assert_int_equal(ft_topn_add(t, &r, &err), 0);
    }
}

static size_t slurp_n(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(buf, 1, size, f);
    fclose(f);
    assert_true(n < size);
    return n;
}

/* Every section of a partial file has its keys strictly ascending. */
static void assert_ascending(const char *path)
{
    ft_error err;
    ft_partial_reader *r = ft_partial_reader_open(path, &err);
    assert_non_null(r);
    while (ft_partial_next_section(r, &err) == 1) {
        int v2 = strncmp(ft_partial_desc(r), "ft-topn v2 ", 11) == 0;
        static uint8_t prev[4096], key[4096];
        uint64_t plen = 0;
        for (uint64_t i = 0; i < ft_partial_items(r); i++) {
            uint64_t same = 0, rest, count;
            if (v2)
                assert_int_equal(ft_partial_get_uint(r, &same, &err), 0);
            assert_int_equal(ft_partial_get_uint(r, &rest, &err), 0);
            assert_true(same <= plen && same + rest <= sizeof key);
            memcpy(key, prev, same);
            assert_int_equal(ft_partial_get_bytes(r, key + same, rest, &err), 0);
            assert_int_equal(ft_partial_get_uint(r, &count, &err), 0);
            uint64_t len = same + rest, m = len < plen ? len : plen;
            int c = memcmp(prev, key, m);
            assert_true(i == 0 || c < 0 || (c == 0 && plen < len));
            memcpy(prev, key, len);
            plen = len;
        }
        assert_int_equal(ft_partial_end_section(r, &err), 0);
    }
    ft_partial_reader_close(r);
}

static void test_merge_any_order(void **state)
{
    (void)state;
    /* one length, <= 8 differing bytes (radix, keys rebuilt); one length,
     * more (radix, ties compared whole); arrays (qsort); few keys */
    static const char *const keys[] = {"netacq_country,dst_port", "src_ip,dst_net,dst_port",
                                       "common_ttls,netacq_country", "dst_port"};
    static const unsigned counts[] = {40000, 40000, 40000, 200};
    static char one[1 << 21], got[1 << 21];
    for (int k = 0; k < 4; k++) {
        unsigned n = counts[k], cut[] = {0, n / 5, n / 2, n};
        ft_topn *all = new_topn(keys[k], FT_TOPN_PACKETS);
        fill_mix(all, 0, n);
        write_partial(all, "all.part");
        assert_ascending(scratch_path("all.part"));
        size_t none = slurp_n(scratch_path("all.part"), one, sizeof one);
        char names[3][32], paths[3][128];
        for (int s = 0; s < 3; s++) {
            ft_topn *t = new_topn(keys[k], FT_TOPN_PACKETS);
            fill_mix(t, cut[s], cut[s + 1]);
            snprintf(names[s], sizeof names[s], "s%d.part", s);
            write_partial(t, names[s]);
            assert_ascending(scratch_path(names[s]));
            strcpy(paths[s], scratch_path(names[s]));
            ft_topn_free(t);
        }
        static const int orders[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
                                         {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
        for (int o = 0; o < 6; o++) {
            char *p[3] = {paths[orders[o][0]], paths[orders[o][1]], paths[orders[o][2]]};
            ft_topn *m = NULL;
            ft_error err;
            /* all at once, or file by file into the table so far */
            if (o % 2 == 0) {
                assert_int_equal(ft_topn_merge_files(&m, 3, p, &err), 0);
            } else {
                for (int i = 0; i < 3; i++)
                    assert_int_equal(merge1(&m, p[i], &err), 0);
            }
            assert_same_rank(m, all);
            write_partial(m, "m.part");
            assert_int_equal(slurp_n(scratch_path("m.part"), got, sizeof got), none);
            assert_memory_equal(got, one, none);
            ft_topn_free(m);
        }
        /* sections back to back in one file (read in rounds: the other
         * file has ended after the first) */
        char cat[512];
        snprintf(cat, sizeof cat, "cat '%s' '%s' >'%s'", paths[0], paths[2],
                 scratch_path("s02.part"));
        assert_int_equal(system(cat), 0);
        char s02[128];
        strcpy(s02, scratch_path("s02.part"));
        char *two[2] = {paths[1], s02};
        ft_topn *m2 = NULL;
        ft_error err2;
        assert_int_equal(ft_topn_merge_files(&m2, 2, two, &err2), 0);
        assert_same_rank(m2, all);
        ft_topn_free(m2);
        /* a table with counts of its own, merged into, then added to */
        ft_topn *t = new_topn(keys[k], FT_TOPN_PACKETS);
        fill_mix(t, cut[1], cut[2]);
        ft_error err;
        char *p[2] = {paths[2], paths[0]};
        assert_int_equal(ft_topn_merge_files(&t, 2, p, &err), 0);
        assert_same_rank(t, all);
        fill_mix(t, 0, 100);
        fill_mix(all, 0, 100);
        assert_same_rank(t, all);
        ft_topn_free(t);
        ft_topn_free(all);
    }
}

/* Writes a section by hand: layout 1 (whole keys, in the order given) or
 * 2 (shared prefix and rest, as given). */
static void hand_section(FILE *f, const char *desc, int layout, int n,
                         const char *const *keys, const uint8_t *same,
                         const uint64_t *counts)
{
    static uint8_t sec[4096];
    size_t len = 0, dlen = strlen(desc);
    memcpy(sec, "\x89" "FT4P\r\n\x1a", 8);
    sec[8] = 1, sec[9] = 0, sec[10] = (uint8_t)dlen, sec[11] = 0;
    for (int i = 0; i < 8; i++)
        sec[12 + i] = (uint8_t)((uint64_t)n >> (8 * i));
    memcpy(sec + 20, desc, dlen);
    len = 20 + dlen;
    for (int i = 0; i < n; i++) {
        uint8_t key[16] = {0};
        size_t kl = strlen(keys[i]);
        memcpy(key, keys[i], kl);
        key[15] = (uint8_t)kl;
        size_t from = layout == 2 ? same[i] : 0;
        if (layout == 2)
            sec[len++] = (uint8_t)from;
        sec[len++] = (uint8_t)(16 - from);
        memcpy(sec + len, key + from, 16 - from);
        len += 16 - from;
        sec[len++] = (uint8_t)counts[i]; /* < 128 */
    }
    uLong crc = crc32(0, sec, (uInt)len);
    memcpy(sec + len, "END!", 4);
    for (int i = 0; i < 4; i++)
        sec[len + 4 + i] = (uint8_t)(crc >> (8 * i));
    assert_int_equal(fwrite(sec, 1, len + 8, f), len + 8);
}

static void test_merge_layouts(void **state)
{
    (void)state;
    ft_error err;
    /* layout 1 (written before layout 2), keys out of order and twice;
     * layout 2, out of order too; both merge into one table */
    FILE *f = fopen(scratch_path("old.part"), "wb");
    const char *k1[] = {"US", "RU", "CN", "RU"};
    const uint64_t c1[] = {5, 7, 1, 2};
    hand_section(f, "ft-topn v1 key=netacq_country by=flows", 1, 4, k1, NULL, c1);
    const char *k2[] = {"BR", "CN", "AU"};
    const uint8_t s2[] = {0, 0, 0};
    const uint64_t c2[] = {3, 4, 6};
    hand_section(f, "ft-topn v2 key=netacq_country by=flows", 2, 3, k2, s2, c2);
    fclose(f);
    ft_topn *t = NULL;
    assert_int_equal(merge1(&t, scratch_path("old.part"), &err), 0);
    ft4_record r[16];
    uint64_t c[16];
    size_t m = ranked(t, 0, r, c);
    const char *want[] = {"RU", "AU", "CN", "US", "BR"};
    const uint64_t wc[] = {9, 6, 5, 5, 3};
    assert_int_equal(m, 5);
    for (size_t i = 0; i < m; i++) {
        assert_string_equal(r[i].tag[FT4_T_NETACQ_COUNTRY].s, want[i]);
        assert_int_equal(c[i], wc[i]);
    }
    assert_int_equal(ft_topn_total(t), 28);
    /* written back: one section in layout 2, ascending */
    write_partial(t, "new.part");
    assert_ascending(scratch_path("new.part"));
    ft_topn_free(t);

    /* a layout-1 partial of another key is refused naming its version */
    f = fopen(scratch_path("other.part"), "wb");
    hand_section(f, "ft-topn v1 key=maxmind_country by=flows", 1, 1, k1, NULL, c1);
    fclose(f);
    t = new_topn("netacq_country", FT_TOPN_FLOWS);
    assert_int_equal(merge1(&t, scratch_path("other.part"), &err), -1);
    assert_non_null(strstr(err.msg, "other.part: cannot merge a partial of 'ft-topn v1 "
                                    "key=maxmind_country by=flows' into 'ft-topn v1 "
                                    "key=netacq_country by=flows'"));
    ft_topn_free(t);

    /* a shared prefix longer than the key before is corrupt */
    f = fopen(scratch_path("bad.part"), "wb");
    const uint8_t bad[] = {3};
    hand_section(f, "ft-topn v2 key=netacq_country by=flows", 2, 1, k2, bad, c2);
    fclose(f);
    t = NULL;
    assert_int_equal(merge1(&t, scratch_path("bad.part"), &err), -1);
    assert_non_null(strstr(err.msg, "bad.part: corrupt"));
    ft_topn_free(t);
}

/* More files than are read at once (64): merged in groups. */
static void test_merge_many_files(void **state)
{
    (void)state;
    enum { N = 70 };
    static char paths[N][128];
    char *p[N];
    ft_topn *all = new_topn("src_ip,dst_port", FT_TOPN_FLOWS);
    fill_mix(all, 0, N * 300);
    for (int i = 0; i < N; i++) {
        ft_topn *t = new_topn("src_ip,dst_port", FT_TOPN_FLOWS);
        fill_mix(t, (unsigned)i * 300, (unsigned)i * 300 + 300);
        char name[32];
        snprintf(name, sizeof name, "many%d.part", i);
        write_partial(t, name);
        strcpy(paths[i], scratch_path(name));
        p[i] = paths[i];
        ft_topn_free(t);
    }
    ft_topn *m = NULL;
    ft_error err;
    assert_int_equal(ft_topn_merge_files(&m, N, p, &err), 0);
    assert_same_rank(m, all);
    /* a damaged file past the first group is named */
    assert_int_equal(truncate(paths[66], 40), 0);
    ft_topn_free(m);
    m = NULL;
    assert_int_equal(ft_topn_merge_files(&m, N, p, &err), -1);
    assert_non_null(strstr(err.msg, "many66.part: truncated"));
    ft_topn_free(m);
    ft_topn_free(all);
}

/* Keys longer than the 4096 bytes a partial reader gives at once: every
 * array field full (8 x 64 elements). */
static void test_long_keys(void **state)
{
    (void)state;
    ft_topn *t = new_topn("common_pktsizes,common_pktsize_freqs,common_ttls,"
                          "common_ttl_freqs,common_srcports,common_srcport_freqs,"
                          "common_tcpflags,common_tcpflag_freqs", FT_TOPN_FLOWS);
    static ft4_record r;
    ft_error err;
    for (int i = 0; i < 3; i++) {
        ft4_record_init(&r);
        for (int a = 0; a < FT4_A_COUNT; a++) {
            r.arr[a].n = FT4_ARRAY_READ_MAX;
            for (int j = 0; j < FT4_ARRAY_READ_MAX; j++)
                r.arr[a].v[j] = (int64_t)a * 1000 + j + (j == 63 ? i : 0);
        }
        for (int k = 0; k <= i; k++)
            assert_int_equal(ft_topn_add(t, &r, &err), 0);
    }
    write_partial(t, "long.part");
    ft_topn *m = NULL;
    assert_int_equal(merge1(&m, scratch_path("long.part"), &err), 0);
    assert_same_rank(m, t);
    ft_topn_entry *e;
    size_t n;
    assert_int_equal(ft_topn_rank(m, 0, &e, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_true(e[0].len > 4096);
    free(e);
    ft_topn_free(m);
    ft_topn_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ties_numeric),
        cmocka_unit_test(test_ties_strings),
        cmocka_unit_test(test_ties_arrays),
        cmocka_unit_test(test_composite),
        cmocka_unit_test(test_weights_and_errors),
        cmocka_unit_test(test_many_keys),
        cmocka_unit_test(test_key_roundtrip),
        cmocka_unit_test(test_result_table),
        cmocka_unit_test(test_format_double),
        cmocka_unit_test(test_ratio_cells),
        cmocka_unit_test(test_partial_merge),
        cmocka_unit_test(test_merge_any_order),
        cmocka_unit_test(test_merge_layouts),
        cmocka_unit_test(test_merge_many_files),
        cmocka_unit_test(test_long_keys),
    };
    return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
