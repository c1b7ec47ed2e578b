/* test_series.c - the distinct sets (inline, hash, bitmap, unions across
 * forms), per-bin sums and distinct counts, the interval grid, ASN 0,
 * partial files and the output formats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ft4.h"
#include "output.h"
#include "series.h"
#include "sink.h"
#include "u32set.h"
#include "scratch.h"


static size_t slurp(const char *name, char *buf, size_t size)
{
    FILE *f = fopen(scratch_path(name), "rb");
    assert_non_null(f);
    size_t n = fread(buf, 1, size - 1, f);
    fclose(f);
    assert_true(n < size - 1);
    buf[n] = '\0';
    return n;
}

static uint64_t rng = 88172645463325252ull;
static uint32_t next_u32(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Checks s against the distinct values of v[0..n) (sorted in place). */
static void assert_set_is(const ft_u32set *s, uint32_t *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_u32);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || v[i] != v[i - 1])
            v[m++] = v[i];
    assert_int_equal(ft_u32set_count(s), m);
    uint32_t *got = malloc((m + 1) * sizeof *got);
    assert_int_equal(ft_u32set_sorted(s, got), m);
    assert_memory_equal(got, v, m * sizeof *v);
    for (size_t i = 0; i < m; i++)
        assert_true(ft_u32set_contains(s, v[i]));
    free(got);
}

static void test_set_forms(void **state)
{
    (void)state;
    /* hash capped at 16 slots: inline up to 8, hash up to 12, then bitmap */
    ft_u32set *s = ft_u32set_new_capped(4);
    uint32_t vals[64], n = 0;
    const uint32_t first[] = {0, UINT32_MAX, 65536, 1};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(ft_u32set_add(s, first[i]), 1);
        assert_int_equal(ft_u32set_add(s, first[i]), 0);
        vals[n++] = first[i];
    }
    for (uint32_t v = 100; ft_u32set_count(s) < 40; v += 65536) {
        uint64_t before = ft_u32set_count(s);
        assert_int_equal(ft_u32set_add(s, v), 1);
        assert_int_equal(ft_u32set_add(s, v), 0);
        vals[n++] = v;
        /* 0 is a flag beside the hash: 12 non-zero values fit 16 slots */
        int want = before + 1 <= 8 ? 0 : before <= 12 ? 1 : 2;
        assert_int_equal(ft_u32set_form(s), want);
    }
    assert_false(ft_u32set_contains(s, 2));
    assert_false(ft_u32set_contains(s, 101));
    assert_true(ft_u32set_memory(s) > ((size_t)1 << 29));
    assert_set_is(s, vals, n);
    ft_u32set_free(s);
    ft_u32set_free(NULL);
    assert_null(ft_u32set_new_capped(3));
    assert_null(ft_u32set_new_capped(27));
}

static void test_set_random(void **state)
{
    (void)state;
    ft_u32set *s = ft_u32set_new();
    size_t n = 300000;
    uint32_t *v = malloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++) {
        /* half from a small range (duplicates), half anywhere */
        v[i] = i % 2 ? next_u32() : next_u32() % 50000;
        ft_u32set_add(s, v[i]);
    }
    assert_int_equal(ft_u32set_form(s), 1);
    assert_true(ft_u32set_memory(s) < n * 16);
    assert_set_is(s, v, n);
    free(v);
    ft_u32set_free(s);
}

/* Sorted output when values share bytes (the radix sort skips those
 * passes and may end in its buffer), sizes around where it starts. */
static void test_set_sorted_shapes(void **state)
{
    (void)state;
    static const uint32_t fixed[][2] = {
        /* mask of the varying bits, fixed bits */
        {0x0000ffff, 0x0a010000}, /* a /16: two passes */
        {0x00ffff00, 0x0a000001}, /* byte 0 and 3 fixed: two passes */
        {0xffffff00, 0x00000007}, /* byte 0 fixed: three (odd) passes */
        {0x000000ff, 0xc0a80100}, /* a /24: one pass */
        {0x00000000, 0x01020304}, /* one value */
        {0xffffffff, 0x00000000}, /* anything: four passes */
    };
    const size_t sizes[] = {1, 255, 256, 257, 5000};
    for (size_t k = 0; k < sizeof fixed / sizeof fixed[0]; k++) {
        for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
            ft_u32set *s = ft_u32set_new();
            size_t n = sizes[z];
            uint32_t *v = malloc(n * sizeof *v);
            assert_non_null(v);
            for (size_t i = 0; i < n; i++) {
                v[i] = (next_u32() & fixed[k][0]) | fixed[k][1];
                ft_u32set_add(s, v[i]);
            }
            assert_set_is(s, v, n);
            free(v);
            ft_u32set_free(s);
        }
    }
}

/* Union of every pair of forms equals the union of the value lists. */
static void test_set_union(void **state)
{
    (void)state;
    const int sizes[] = {3, 10, 100}; /* inline, hash, bitmap (capped at 16) */
    for (int a = 0; a < 3; a++) {
        for (int b = 0; b < 3; b++) {
            ft_u32set *x = ft_u32set_new_capped(4), *y = ft_u32set_new_capped(4);
            uint32_t v[300];
            size_t n = 0;
            for (int i = 0; i < sizes[a]; i++)
                ft_u32set_add(x, v[n++] = next_u32() % 200);
            for (int i = 0; i < sizes[b]; i++)
                ft_u32set_add(y, v[n++] = next_u32() % 200 + 100);
            ft_u32set_add(y, v[n++] = 0);
            assert_int_equal(ft_u32set_union(x, y), 0);
            assert_set_is(x, v, n);
            ft_u32set_free(x);
            ft_u32set_free(y);
        }
    }
}

static ft4_record rec(int64_t t, int64_t src, int64_t net, int64_t asn, int64_t pkts)
{
    ft4_record r;
    ft4_record_init(&r);
    r.time = t;
    r.src_ip = src;
    r.dst_net = net;
    r.prefix2asn = asn;
    r.packet_cnt = pkts;
    return r;
}

static void add(ft_series *s, ft4_record r)
{
    ft_error err;
    assert_int_equal(ft_series_add(s, &r, &err), 0);
}

static void assert_row(const ft_series *s, size_t i, int64_t t, uint64_t pkts,
                       uint64_t flows, uint64_t srcs, uint64_t nets, uint64_t asns)
{
    ft_series_row r;
    ft_series_row_at(s, i, &r);
    assert_int_equal(r.time, t);
    assert_int_equal(r.v[FT_SERIES_PKT_CNT], pkts);
    assert_int_equal(r.v[FT_SERIES_FLOWS], flows);
    assert_int_equal(r.v[FT_SERIES_SRC_IPS], srcs);
    assert_int_equal(r.v[FT_SERIES_DST_NETS], nets);
    assert_int_equal(r.v[FT_SERIES_ASNS], asns);
}

static void fill(ft_series *s)
{
    /* out of time order on purpose */
    add(s, rec(1613239500, 1, 65536, 0, 10));
    add(s, rec(1613239200, 1, 65536, 64500, 3));
    add(s, rec(1613239200, 2, 65536, 64500, 4));
    add(s, rec(1613239200, 2, 131072, 0, 5));
    add(s, rec(1613239200, 4294967295, 131072, 4294967295, 1));
    add(s, rec(1613242800, 7, 0, 3, 2));
}

static void test_series_bins(void **state)
{
    (void)state;
    ft_error err;
    ft_series *s = ft_series_new(0, 300, &err);
    fill(s);
    assert_int_equal(ft_series_rows(s), 3);
    /* ASN 0 is not an AS */
    assert_row(s, 0, 1613239200, 13, 4, 3, 2, 2);
    assert_row(s, 1, 1613239500, 10, 1, 1, 1, 0);
    assert_row(s, 2, 1613242800, 2, 1, 1, 1, 1);
    ft_series_free(s);

    s = ft_series_new(3600, 300, &err);
    fill(s);
    assert_int_equal(ft_series_rows(s), 2);
    assert_row(s, 0, 1613239200 / 3600 * 3600, 23, 5, 3, 2, 2);
    assert_row(s, 1, 1613242800, 2, 1, 1, 1, 1);
    ft4_record r = rec(1613239260, 1, 0, 0, 1);
    assert_int_equal(ft_series_add(s, &r, &err), -1);
    assert_string_equal(err.msg, "time 1613239260 is not on the 300 s interval grid "
                                 "(see --interval)");
    r = rec(1613239200, 1, 0, 0, -1);
    assert_int_equal(ft_series_add(s, &r, &err), -1);
    assert_string_equal(err.msg, "negative packet_cnt -1");
    r = rec(1613239200, 4294967296, 0, 0, 1);
    assert_int_equal(ft_series_add(s, &r, &err), -1);
    assert_string_equal(err.msg, "src_ip 4294967296 is not a 32-bit value");
    r = rec(1613239200, 1, -1, 0, 1);
    assert_int_equal(ft_series_add(s, &r, &err), -1);
    assert_string_equal(err.msg, "dst_net -1 is not a 32-bit value");
    ft_series_free(s);

    /* negative times bin downwards (floor) */
    s = ft_series_new(600, 300, &err);
    add(s, rec(-300, 1, 0, 0, 1));
    assert_row(s, 0, -600, 1, 1, 1, 1, 0);
    ft_series_free(s);

    assert_null(ft_series_new(450, 300, &err));
    assert_string_equal(err.msg, "bin 450 s is not a multiple of the 300 s interval");
}

static void write_partial(ft_series *s, const char *name)
{
    ft_error err;
    ft_sink *k = ft_sink_open(scratch_path(name), 0, &err);
    assert_non_null(k);
    assert_int_equal(ft_series_write_partial(s, k, &err), 0);
    assert_int_equal(ft_sink_commit(k, &err), 0);
}

static int merge1(ft_series **s, const char *path, ft_error *err)
{
    char *paths[] = {(char *)path};
    return ft_series_merge_files(s, 1, paths, err);
}

static void test_series_merge(void **state)
{
    (void)state;
    ft_error err;
    ft_series *all = ft_series_new(600, 300, &err);
    ft_series *part[3];
    for (int p = 0; p < 3; p++)
        part[p] = ft_series_new(600, 300, &err);
    for (int i = 0; i < 30000; i++) {
        ft4_record r = rec(1613239200 + 300 * (next_u32() % 7), next_u32() % 5000,
                           (int64_t)(next_u32() % 40) << 16, next_u32() % 300, i % 9);
        assert_int_equal(ft_series_add(all, &r, &err), 0);
        assert_int_equal(ft_series_add(part[i % 3], &r, &err), 0);
    }
    char name[32];
    for (int p = 0; p < 3; p++) {
        snprintf(name, sizeof name, "%d.part", p);
        write_partial(part[p], name);
    }
    ft_series *m = NULL;
    for (int p = 0; p < 3; p++) {
        snprintf(name, sizeof name, "%d.part", p);
        assert_int_equal(merge1(&m, scratch_path(name), &err), 0);
    }
    assert_int_equal(ft_series_rows(m), ft_series_rows(all));
    assert_int_equal(ft_series_bin(m), 600);
    for (size_t i = 0; i < ft_series_rows(all); i++) {
        ft_series_row a, b;
        ft_series_row_at(all, i, &a);
        ft_series_row_at(m, i, &b);
        assert_memory_equal(&a, &b, sizeof a);
    }
    static char x[1 << 20], y[1 << 20];
    write_partial(m, "m.part");
    write_partial(all, "all.part");
    size_t nx = slurp("m.part", x, sizeof x), ny = slurp("all.part", y, sizeof y);
    assert_int_equal(nx, ny);
    assert_memory_equal(x, y, nx);

    /* another bin is refused */
    ft_series *other = ft_series_new(0, 300, &err);
    assert_int_equal(merge1(&other, scratch_path("m.part"), &err), -1);
    assert_non_null(strstr(err.msg, "cannot merge a partial of 'ft-series v1 bin=600' "
                                    "into 'ft-series v1 bin=time'"));
    ft_series_free(other);
    ft_series_free(m);
    ft_series_free(all);
    for (int p = 0; p < 3; p++)
        ft_series_free(part[p]);
}

static void assert_same_series(ft_series *a, ft_series *b)
{
    assert_int_equal(ft_series_rows(a), ft_series_rows(b));
    for (size_t i = 0; i < ft_series_rows(a); i++) {
        ft_series_row x, y;
        ft_series_row_at(a, i, &x);
        ft_series_row_at(b, i, &y);
        assert_memory_equal(&x, &y, sizeof x);
    }
}

/* Merged in any order, file by file or all at once, into an empty series
 * or one with records of its own, and added to afterwards: the same
 * counts and the same partial bytes as one run. */
static void test_series_merge_orders(void **state)
{
    (void)state;
    ft_error err;
    ft_series *all = ft_series_new(0, 300, &err), *part[3];
    for (int p = 0; p < 3; p++)
        part[p] = ft_series_new(0, 300, &err);
    static int64_t rs[20000][4]; /* time, src_ip, dst_net, prefix2asn */
#define RS(i) rec(rs[i][0], rs[i][1], rs[i][2], rs[i][3], 1 + (i) % 9)
    for (int i = 0; i < 20000; i++) {
        /* shards by time, sharing one interval (shards of files cut by
         * time share none; partials of any inputs may) */
        int p = i < 9000 ? 0 : i < 11000 ? 1 : 2;
        rs[i][0] = 1613239200 + 300 * (p * 3 + (int64_t)(next_u32() % 4));
        rs[i][1] = next_u32() % 30000;
        rs[i][2] = (int64_t)(next_u32() % 400) << 8;
        rs[i][3] = next_u32() % 500;
        add(all, RS(i));
        add(part[p], RS(i));
    }
    static char one[1 << 21], got[1 << 21];
    char paths[3][128], name[32];
    for (int p = 0; p < 3; p++) {
        snprintf(name, sizeof name, "o%d.part", p);
        write_partial(part[p], name);
        strcpy(paths[p], scratch_path(name));
    }
    write_partial(all, "oall.part");
    size_t n1 = slurp("oall.part", one, sizeof one);
    static const int orders[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
                                     {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
    for (int o = 0; o < 6; o++) {
        char *p3[3] = {paths[orders[o][0]], paths[orders[o][1]], paths[orders[o][2]]};
        ft_series *m = NULL;
        if (o % 2) {
            assert_int_equal(ft_series_merge_files(&m, 3, p3, &err), 0);
        } else {
            for (int i = 0; i < 3; i++)
                assert_int_equal(merge1(&m, p3[i], &err), 0);
        }
        assert_same_series(m, all);
        write_partial(m, "om.part");
        assert_int_equal(slurp("om.part", got, sizeof got), n1);
        assert_memory_equal(got, one, n1);
        ft_series_free(m);
    }
    /* records of its own (the sets in their hash form) merged into */
    ft_series *m = ft_series_new(0, 300, &err);
    for (int i = 9000; i < 11000; i++)
        add(m, RS(i));
    char *p2[2] = {paths[2], paths[0]};
    assert_int_equal(ft_series_merge_files(&m, 2, p2, &err), 0);
    assert_same_series(m, all);
    /* then records again (back to hashes) */
    for (int i = 0; i < 500; i++) {
        add(m, RS(i));
        add(all, RS(i));
    }
#undef RS
    assert_same_series(m, all);
    write_partial(m, "om.part");
    write_partial(all, "oall.part");
    n1 = slurp("oall.part", one, sizeof one);
    assert_int_equal(slurp("om.part", got, sizeof got), n1);
    assert_memory_equal(got, one, n1);
    ft_series_free(m);

    /* damaged: cut short, or a flipped byte */
    FILE *f = fopen(paths[1], "r+b");
    assert_non_null(f);
    fseek(f, 200, SEEK_SET);
    int c = fgetc(f);
    fseek(f, 200, SEEK_SET);
    fputc(c ^ 0x20, f);
    fclose(f);
    m = NULL;
    assert_int_equal(merge1(&m, paths[1], &err), -1);
    assert_non_null(strstr(err.msg, "o1.part: "));
    ft_series_free(m);
    assert_int_equal(truncate(paths[2], 300), 0);
    m = NULL;
    assert_int_equal(merge1(&m, paths[2], &err), -1);
    assert_non_null(strstr(err.msg, "o2.part: truncated"));
    ft_series_free(m);

    ft_series_free(all);
    for (int p = 0; p < 3; p++)
        ft_series_free(part[p]);
}

static const char *written(ft_series *s, enum ft_series_format fmt, const char *label,
                           unsigned metrics, int iso)
{
    static char buf[1 << 16];
    ft_output_opts vo;
    ft_output_opts_init(&vo);
    vo.time_iso = iso;
    ft_series_out o = {fmt, label, metrics, &vo};
    ft_error err;
    ft_sink *k = ft_sink_open(scratch_path("out"), 0, &err);
    assert_non_null(k);
    assert_int_equal(ft_series_write(s, &o, k, &err), 0);
    assert_int_equal(ft_sink_commit(k, &err), 0);
    slurp("out", buf, sizeof buf);
    return buf;
}

static void test_series_formats(void **state)
{
    (void)state;
    ft_error err;
    ft_series *s = ft_series_new(0, 300, &err);
    fill(s);
    assert_string_equal(written(s, FT_SERIES_CSV, "dustdemo.130net", 0, 0),
                        "time,pkt_cnt,flows,src_ips,dst_nets,asns,key\n"
                        "1613239200,13,4,3,2,2,dustdemo.130net\n"
                        "1613239500,10,1,1,1,0,dustdemo.130net\n"
                        "1613242800,2,1,1,1,1,dustdemo.130net\n");
    assert_string_equal(written(s, FT_SERIES_TEXT, NULL, 1u << FT_SERIES_PKT_CNT |
                                1u << FT_SERIES_ASNS, 1),
                        "time                  pkt_cnt  asns\n"
                        "2021-02-13T18:00:00Z       13     2\n"
                        "2021-02-13T18:05:00Z       10     0\n"
                        "2021-02-13T19:00:00Z        2     1\n");
    assert_string_equal(written(s, FT_SERIES_JSON, "x", 1u << FT_SERIES_SRC_IPS, 0),
                        "{\"time\":1613239200,\"src_ips\":3,\"key\":\"x\"}\n"
                        "{\"time\":1613239500,\"src_ips\":1,\"key\":\"x\"}\n"
                        "{\"time\":1613242800,\"src_ips\":1,\"key\":\"x\"}\n");
    assert_string_equal(written(s, FT_SERIES_GRAPHITE, "dustdemo.130net",
                                1u << FT_SERIES_PKT_CNT | 1u << FT_SERIES_DST_NETS, 0),
                        "dustdemo.130net.pkt_cnt 13 1613239200\n"
                        "dustdemo.130net.dst_nets 2 1613239200\n"
                        "dustdemo.130net.pkt_cnt 10 1613239500\n"
                        "dustdemo.130net.dst_nets 1 1613239500\n"
                        "dustdemo.130net.pkt_cnt 2 1613242800\n"
                        "dustdemo.130net.dst_nets 1 1613242800\n");
    const char *svg = written(s, FT_SERIES_SVG, "a<b", 0, 0);
    assert_non_null(strstr(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert_non_null(strstr(svg, ">a&lt;b</text>"));
    assert_non_null(strstr(svg, "time (UTC)"));
    assert_non_null(strstr(svg, ">18:00</text>"));
    assert_non_null(strstr(svg, ">2021-02-13</text>"));
    const char *p = svg;
    int panels = 0;
    while ((p = strstr(p, "<polyline")))
        panels++, p++;
    assert_int_equal(panels, 5);
    assert_non_null(strstr(svg, "</svg>\n"));

    /* graphite needs a label */
    ft_output_opts vo;
    ft_output_opts_init(&vo);
    ft_series_out o = {FT_SERIES_GRAPHITE, NULL, 0, &vo};
    ft_sink *k = ft_sink_open(scratch_path("out"), 0, &err);
    assert_int_equal(ft_series_write(s, &o, k, &err), -1);
    ft_sink_abort(k);
    ft_series_free(s);

    /* an empty series: a header, or an SVG that still renders */
    s = ft_series_new(0, 300, &err);
    assert_string_equal(written(s, FT_SERIES_CSV, NULL, 0, 0),
                        "time,pkt_cnt,flows,src_ips,dst_nets,asns\n");
    assert_non_null(strstr(written(s, FT_SERIES_SVG, NULL, 0, 0), "no data"));
    ft_series_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_forms),
        cmocka_unit_test(test_set_random),
        cmocka_unit_test(test_set_sorted_shapes),
        cmocka_unit_test(test_set_union),
        cmocka_unit_test(test_series_bins),
        cmocka_unit_test(test_series_merge),
        cmocka_unit_test(test_series_merge_orders),
        cmocka_unit_test(test_series_formats),
    };
    return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
