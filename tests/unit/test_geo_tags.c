/* Unit tests for ip_ranges.c (range table, text formats) and geo_tags.c
 * (MaxMind DB layouts, continent table, gzip inputs, errors, tag hook).
 * MaxMind DB files are written by tests/tools/mkmmdb.pl (run from the
 * top of the tree, as tests/run.sh does). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "geo_tags.h"
#include "ip_ranges.h"
#include "scratch.h"

static int setup(void **state)
{
    if (scratch_setup(state) < 0)
        return -1;
    /* Temporary copies of compressed databases go here, so the tests can
     * see that none is left behind. */
    return setenv("TMPDIR", scratch_dir, 1);
}

static void write_file(const char *name, const void *data, size_t n)
{
    FILE *f = fopen(scratch_path(name), "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static void write_text(const char *name, const char *text)
{
    write_file(name, text, strlen(text));
}

static void write_gz(const char *name, const void *data, size_t n)
{
    gzFile g = gzopen(scratch_path(name), "wb");
    assert_non_null(g);
    assert_int_equal(gzwrite(g, data, (unsigned)n), (int)n);
    assert_int_equal(gzclose(g), Z_OK);
}

static char *read_all(const char *name, size_t *n)
{
    FILE *f = fopen(scratch_path(name), "rb");
    assert_non_null(f);
    char *buf = malloc(1 << 20);
    assert_non_null(buf);
    *n = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

/* Runs tests/tools/mkmmdb.pl: args are "[-6] ENTRY...", separated by
 * single spaces; each is passed single-quoted (JSON has braces and
 * double quotes). */
static void mkmmdb(const char *name, const char *args)
{
    char cmd[2048];
    int v6 = strncmp(args, "-6 ", 3) == 0;
    size_t n = (size_t)snprintf(cmd, sizeof cmd, "perl tests/tools/mkmmdb.pl %s%s",
                                v6 ? "-6 " : "", scratch_path(name));
    for (const char *p = v6 ? args + 3 : args; *p;) {
        size_t len = strcspn(p, " ");
        n += (size_t)snprintf(cmd + n, sizeof cmd - n, " '%.*s'", (int)len, p);
        assert_true(n < sizeof cmd);
        p += len;
        while (*p == ' ')
            p++;
    }
    assert_int_equal(system(cmd), 0);
}

static uint32_t ip(const char *s)
{
    uint32_t a;
    assert_int_equal(ft_ip_ranges_parse_addr(s, strlen(s), &a), 0);
    return a;
}

/* Value at addr, or -1 when no range covers it. */
static int64_t look(const ft_ip_ranges *t, uint32_t addr)
{
    uint32_t v;
    return ft_ip_ranges_lookup(t, addr, &v) ? (int64_t)v : -1;
}

static ft_ip_ranges *table(const uint32_t (*r)[3], size_t n)
{
    ft_error e;
    ft_ip_ranges *t = ft_ip_ranges_new(&e);
    assert_non_null(t);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ft_ip_ranges_add(t, r[i][0], r[i][1], r[i][2], &e), 0);
    assert_int_equal(ft_ip_ranges_build(t, &e), 0);
    return t;
}

/* ---- range table ---- */

static void test_narrowest_wins(void **state)
{
    (void)state;
    const uint32_t r[][3] = {
        {ip("10.0.0.0"), ip("10.255.255.255"), 1},
        {ip("10.1.2.0"), ip("10.1.2.255"), 3}, /* added before its parent */
        {ip("10.1.0.0"), ip("10.1.255.255"), 2},
        {ip("10.1.2.128"), ip("10.1.2.128"), 4},
    };
    ft_ip_ranges *t = table(r, 4);
    assert_int_equal(look(t, ip("9.255.255.255")), -1);
    assert_int_equal(look(t, ip("10.0.0.0")), 1);
    assert_int_equal(look(t, ip("10.0.255.255")), 1);
    assert_int_equal(look(t, ip("10.1.0.0")), 2);
    assert_int_equal(look(t, ip("10.1.1.255")), 2);
    assert_int_equal(look(t, ip("10.1.2.0")), 3);
    assert_int_equal(look(t, ip("10.1.2.127")), 3);
    assert_int_equal(look(t, ip("10.1.2.128")), 4);
    assert_int_equal(look(t, ip("10.1.2.129")), 3);
    assert_int_equal(look(t, ip("10.1.3.0")), 2);
    assert_int_equal(look(t, ip("10.2.0.0")), 1);
    assert_int_equal(look(t, ip("10.255.255.255")), 1);
    assert_int_equal(look(t, ip("11.0.0.0")), -1);
    assert_int_equal(ft_ip_ranges_count(t), 4);
    ft_ip_ranges_free(t);
}

static void test_earlier_wins_on_ties(void **state)
{
    (void)state;
    const uint32_t r[][3] = {
        {100, 199, 1}, {100, 199, 2},   /* identical: the first */
        {250, 349, 3}, {200, 299, 4},   /* overlapping, same width */
        {400, 499, 5}, {450, 549, 6},
    };
    ft_ip_ranges *t = table(r, 6);
    assert_int_equal(look(t, 100), 1);
    assert_int_equal(look(t, 199), 1);
    assert_int_equal(look(t, 200), 4);
    assert_int_equal(look(t, 249), 4);
    assert_int_equal(look(t, 250), 3); /* both cover it: 3 came first */
    assert_int_equal(look(t, 299), 3);
    assert_int_equal(look(t, 300), 3);
    assert_int_equal(look(t, 349), 3);
    assert_int_equal(look(t, 449), 5);
    assert_int_equal(look(t, 450), 5);
    assert_int_equal(look(t, 499), 5);
    assert_int_equal(look(t, 500), 6);
    assert_int_equal(look(t, 549), 6);
    assert_int_equal(look(t, 550), -1);
    ft_ip_ranges_free(t);
}

static void test_adjacent_and_nested(void **state)
{
    (void)state;
    const uint32_t r[][3] = {
        {0, 99, 1}, {100, 199, 2}, {200, 200, 1}, /* adjacent */
        {1000, 1999, 10}, {1100, 1899, 11}, {1200, 1799, 12},
        {1300, 1699, 13}, {1300, 1300, 14}, {1699, 1699, 15},
    };
    ft_ip_ranges *t = table(r, 9);
    assert_int_equal(look(t, 99), 1);
    assert_int_equal(look(t, 100), 2);
    assert_int_equal(look(t, 199), 2);
    assert_int_equal(look(t, 200), 1);
    assert_int_equal(look(t, 201), -1);
    assert_int_equal(look(t, 999), -1);
    assert_int_equal(look(t, 1099), 10);
    assert_int_equal(look(t, 1100), 11);
    assert_int_equal(look(t, 1299), 12);
    assert_int_equal(look(t, 1300), 14);
    assert_int_equal(look(t, 1301), 13);
    assert_int_equal(look(t, 1698), 13);
    assert_int_equal(look(t, 1699), 15);
    assert_int_equal(look(t, 1700), 12);
    assert_int_equal(look(t, 1800), 11);
    assert_int_equal(look(t, 1900), 10);
    assert_int_equal(look(t, 1999), 10);
    assert_int_equal(look(t, 2000), -1);
    ft_ip_ranges_free(t);
}

static void test_address_space_ends(void **state)
{
    (void)state;
    const uint32_t r[][3] = {
        {0, UINT32_MAX, 7}, {0, 0, 8}, {UINT32_MAX, UINT32_MAX, 9},
        {UINT32_MAX - 255, UINT32_MAX, 10},
    };
    ft_ip_ranges *t = table(r, 4);
    assert_int_equal(look(t, 0), 8);
    assert_int_equal(look(t, 1), 7);
    assert_int_equal(look(t, ip("128.0.0.0")), 7);
    assert_int_equal(look(t, ip("255.255.254.255")), 7);
    assert_int_equal(look(t, ip("255.255.255.0")), 10);
    assert_int_equal(look(t, ip("255.255.255.254")), 10);
    assert_int_equal(look(t, ip("255.255.255.255")), 9);
    ft_ip_ranges_free(t);

    const uint32_t only_top[][3] = {{UINT32_MAX, UINT32_MAX, 1}};
    t = table(only_top, 1);
    assert_int_equal(look(t, 0), -1);
    assert_int_equal(look(t, UINT32_MAX - 1), -1);
    assert_int_equal(look(t, UINT32_MAX), 1);
    ft_ip_ranges_free(t);

    t = table(only_top, 0); /* empty */
    assert_int_equal(look(t, 0), -1);
    assert_int_equal(look(t, UINT32_MAX), -1);
    assert_int_equal(ft_ip_ranges_segments(t), 0);
    ft_ip_ranges_free(t);
}

/* Random ranges checked against the rule itself, at every address. */
static void check_random(uint32_t base, uint32_t span, unsigned seed)
{
    enum { N = 300 };
    uint32_t r[N][3];
    unsigned x = seed;
    for (int i = 0; i < N; i++) {
        x = x * 1103515245u + 12345u;
        uint32_t a = (x >> 8) % span;
        x = x * 1103515245u + 12345u;
        uint32_t w = (x >> 8) % (i % 3 ? 20 : span / 2);
        if (a + w >= span)
            w = span - 1 - a;
        r[i][0] = base + a;
        r[i][1] = base + a + w;
        r[i][2] = (uint32_t)i % 7; /* repeated values: merged segments */
    }
    ft_ip_ranges *t = table(r, N);
    for (uint64_t addr = base; addr < (uint64_t)base + span; addr++) {
        int best = -1;
        for (int i = 0; i < N; i++) {
            if (addr < r[i][0] || addr > r[i][1])
                continue;
            if (best < 0 || r[i][1] - r[i][0] < r[best][1] - r[best][0])
                best = i;
        }
        int64_t want = best < 0 ? -1 : (int64_t)r[best][2];
        if (look(t, (uint32_t)addr) != want)
            fail_msg("address %llu: got %lld, want %lld",
                     (unsigned long long)addr,
                     (long long)look(t, (uint32_t)addr), (long long)want);
    }
    ft_ip_ranges_free(t);
}

static void test_random_against_rule(void **state)
{
    (void)state;
    check_random(0, 2000, 1);
    check_random(1000, 500, 2);
    check_random(UINT32_MAX - 999, 1000, 3); /* up to 255.255.255.255 */
}

/* ---- text formats ---- */

static int parse_num(const char *s, size_t len, uint32_t *v)
{
    if (len == 0 || len > 9)
        return -1;
    *v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        *v = *v * 10 + (uint32_t)(s[i] - '0');
    }
    return 0;
}

static const ft_ip_value_parser num_parser = {"value", parse_num};

static void test_addresses(void **state)
{
    (void)state;
    uint32_t a;
    assert_int_equal(ft_ip_ranges_parse_addr("1.2.3.4", 7, &a), 0);
    assert_int_equal(a, 16909060);
    assert_int_equal(ft_ip_ranges_parse_addr("16909060", 8, &a), 0);
    assert_int_equal(a, 16909060);
    assert_int_equal(ft_ip_ranges_parse_addr("0", 1, &a), 0);
    assert_int_equal(a, 0);
    assert_int_equal(ft_ip_ranges_parse_addr("4294967295", 10, &a), 0);
    assert_int_equal(a, UINT32_MAX);
    assert_int_equal(ft_ip_ranges_parse_addr("255.255.255.255", 15, &a), 0);
    assert_int_equal(a, UINT32_MAX);
    const char *bad[] = {"4294967296", "1.2.3", "1.2.3.4.5", "1.2.3.256",
                         "1..2.3", "1.2.3.4x", "", "::1", "2001:db8::",
                         "ip_range_start", "-1", "1.2.3.0/24", "12345678901"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (ft_ip_ranges_parse_addr(bad[i], strlen(bad[i]), &a) == 0)
            fail_msg("'%s' accepted", bad[i]);
}

static ft_ip_ranges *parse_text(const char *text, const ft_ip_value_parser *vp,
                                ft_error *e)
{
    ft_ip_ranges *t = ft_ip_ranges_new(e);
    assert_non_null(t);
    if (ft_ip_ranges_parse(t, text, strlen(text), "x.txt", vp, e) < 0) {
        ft_ip_ranges_free(t);
        return NULL;
    }
    assert_int_equal(ft_ip_ranges_build(t, e), 0);
    return t;
}

static void test_csv_formats(void **state)
{
    (void)state;
    ft_error e;
    ft_ip_ranges *t = parse_text(
        "ip_range_start,ip_range_end,value,org\n"
        "# a comment\n"
        "\n"
        "1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\r\n"
        "16778240,16779263,38803,Gtelecom Pty Ltd\n"   /* 1.0.4.0-1.0.7.255 */
        " 2.0.0.0 , 2.0.0.9 , 5 \n"
        "\"3.0.0.0\",\"3.0.0.0\",\"6\"\n"
        "2001:200::,2001:200:ffff:ffff:ffff:ffff:ffff:ffff,2500\n"
        "42540528726795050063891204319802818560,42540528806023212578155541913346768895,2500\n"
        "4.0.0.0,4.0.0.1,7",                             /* no final newline */
        &num_parser, &e);
    assert_non_null(t);
    assert_int_equal(ft_ip_ranges_count(t), 5);
    assert_int_equal(ft_ip_ranges_skipped(t), 5);
    assert_int_equal(look(t, ip("1.0.0.0")), 13335);
    assert_int_equal(look(t, ip("1.0.0.255")), 13335);
    assert_int_equal(look(t, ip("1.0.1.0")), -1);
    assert_int_equal(look(t, ip("1.0.4.0")), 38803);
    assert_int_equal(look(t, ip("1.0.7.255")), 38803);
    assert_int_equal(look(t, ip("2.0.0.9")), 5);
    assert_int_equal(look(t, ip("3.0.0.0")), 6);
    assert_int_equal(look(t, ip("4.0.0.1")), 7);
    ft_ip_ranges_free(t);
}

static void test_prefix2as(void **state)
{
    (void)state;
    ft_error e;
    ft_ip_ranges *t = ft_ip_ranges_new(&e);
    const char *text =
        "# RouteViews prefix2as\n"
        "1.0.0.0\t24\t13335\n"
        "1.0.4.0\t22\t38803_56203\n"        /* multi-origin: first */
        "1.0.4.0\t24\t23456,1234,5678\n"    /* AS set: first */
        "1.0.5.0\t24\t4739_7545,9\n"
        "10.1.2.3\t8\t65000\n"              /* host bits ignored */
        "10.9.9.9 32  65001\n"              /* spaces work too */
        "2001:db8::\t32\t65002\n"           /* IPv6: skipped */
        "0.0.0.0\t0\t1\n";
    assert_int_equal(ft_ip_ranges_parse(t, text, strlen(text), "p", &num_parser, &e), -1);
    assert_string_equal(e.msg, "p: line 3: bad value '38803_56203'");
    ft_ip_ranges_free(t);

    /* With the AS-number parser of geo_tags, through a file. */
    write_text("p2a.txt", text);
    ft_geo_tags *g = ft_geo_tags_new(&e);
    assert_int_equal(ft_geo_tags_load_asn(g, scratch_path("p2a.txt"), &e), 0);
    assert_int_equal(ft_geo_tags_asn(g, ip("1.0.0.7")), 13335);
    assert_int_equal(ft_geo_tags_asn(g, ip("1.0.4.1")), 23456);
    assert_int_equal(ft_geo_tags_asn(g, ip("1.0.5.1")), 4739);
    assert_int_equal(ft_geo_tags_asn(g, ip("1.0.6.1")), 38803);
    assert_int_equal(ft_geo_tags_asn(g, ip("10.0.0.0")), 65000);
    assert_int_equal(ft_geo_tags_asn(g, ip("10.255.255.255")), 65000);
    assert_int_equal(ft_geo_tags_asn(g, ip("10.9.9.9")), 65001);
    assert_int_equal(ft_geo_tags_asn(g, ip("10.9.9.10")), 65000);
    assert_int_equal(ft_geo_tags_asn(g, ip("0.0.0.0")), 1);
    assert_int_equal(ft_geo_tags_asn(g, ip("255.255.255.255")), 1);
    assert_string_equal(ft_geo_tags_describe_asn(g), "7 ranges");
    ft_geo_tags_free(g);
}

/* Loads text as an AS file; returns the error message ("" on success). */
static const char *asn_error(const char *text)
{
    static ft_error e;
    write_text("bad.txt", text);
    ft_geo_tags *g = ft_geo_tags_new(&e);
    int rc = ft_geo_tags_load_asn(g, scratch_path("bad.txt"), &e);
    ft_geo_tags_free(g);
    if (rc == 0)
        return "";
    /* Strip the directory so messages compare exactly. */
    return strstr(e.msg, "bad.txt");
}

static void test_text_errors(void **state)
{
    (void)state;
    assert_string_equal(asn_error("# x\n1.2.3.0\t33\t5\n"),
                        "bad.txt: line 2: bad prefix length '33'");
    assert_string_equal(asn_error("1.2.3.0\t24\tAS5\n"),
                        "bad.txt: line 1: bad AS number 'AS5'");
    assert_string_equal(asn_error("1.2.3.0\t24\t4294967296\n"),
                        "bad.txt: line 1: bad AS number '4294967296'");
    assert_string_equal(asn_error("1.2.3.0\t24\t5_\n"),
                        "bad.txt: line 1: bad AS number '5_'");
    assert_string_equal(asn_error("1.2.3.0\t24\n"),
                        "bad.txt: line 1: missing AS number");
    assert_string_equal(asn_error("1.2.3.0\n"),
                        "bad.txt: line 1: expected start,end,AS number or "
                        "prefix<TAB>length<TAB>AS number");
    assert_string_equal(asn_error("a,b,c\n1.2.3.0,1.2.2.255,5\n"),
                        "bad.txt: line 2: range ends before it starts");
    assert_string_equal(asn_error("1.2.3.0,1.2.3.256,5\n"),
                        "bad.txt: line 1: bad end address '1.2.3.256'");
    assert_string_equal(asn_error("1.2.3.0,1.2.3.255\n"),
                        "bad.txt: line 1: missing AS number");
    assert_string_equal(asn_error("1.2.3.0,1.2.3.255,\n"),
                        "bad.txt: line 1: bad AS number ''");
    assert_string_equal(asn_error(""), "bad.txt: no IPv4 entries");
    assert_string_equal(asn_error("ip_range_start,ip_range_end,asn\n# none\n"),
                        "bad.txt: no IPv4 entries");
    write_file("bin.txt", "1.2.3.0,1.2.3.255,5\n\0\1\2", 23);
    ft_error e;
    ft_geo_tags *g = ft_geo_tags_new(&e);
    assert_int_equal(ft_geo_tags_load_asn(g, scratch_path("bin.txt"), &e), -1);
    assert_non_null(strstr(e.msg, "bin.txt: neither a MaxMind DB nor a text file"));
    ft_geo_tags_free(g);
}

static void test_country_csv(void **state)
{
    (void)state;
    ft_error e;
    write_text("cc.csv", "ip_range_start,ip_range_end,country_code\n"
                         "1.0.0.0,1.0.0.255,AU\n"
                         "16777472,16777727,cn\n"        /* 1.0.1.0/24 */
                         "1.0.0.128,1.0.0.128,TH\n"
                         "5.0.0.0,5.255.255.255,ZZ\n");  /* no continent */
    ft_geo_tags *g = ft_geo_tags_new(&e);
    assert_int_equal(ft_geo_tags_load_country(g, FT_GEO_NETACQ, scratch_path("cc.csv"), &e), 0);
    assert_string_equal(ft_geo_tags_describe_country(g, FT_GEO_NETACQ), "4 ranges");
    assert_null(ft_geo_tags_describe_country(g, FT_GEO_MAXMIND));
    char cc[3], cont[3];
    ft_geo_tags_country(g, FT_GEO_NETACQ, ip("1.0.0.1"), cc, cont);
    assert_string_equal(cc, "AU");
    assert_string_equal(cont, "OC");
    ft_geo_tags_country(g, FT_GEO_NETACQ, ip("1.0.0.128"), cc, cont);
    assert_string_equal(cc, "TH");
    assert_string_equal(cont, "AS");
    ft_geo_tags_country(g, FT_GEO_NETACQ, ip("1.0.1.255"), cc, cont);
    assert_string_equal(cc, "CN");
    assert_string_equal(cont, "AS");
    ft_geo_tags_country(g, FT_GEO_NETACQ, ip("5.1.2.3"), cc, cont);
    assert_string_equal(cc, "ZZ");
    assert_string_equal(cont, "??");
    ft_geo_tags_country(g, FT_GEO_NETACQ, ip("1.0.2.0"), cc, cont);
    assert_string_equal(cc, "??");
    assert_string_equal(cont, "??");
    ft_geo_tags_country(g, FT_GEO_MAXMIND, ip("1.0.0.1"), cc, cont);
    assert_string_equal(cc, "??"); /* nothing loaded there */

    write_text("bad.csv", "1.0.0.0,1.0.0.255,AU\n1.0.1.0,1.0.1.255,AUS\n");
    assert_int_equal(ft_geo_tags_load_country(g, FT_GEO_NETACQ, scratch_path("bad.csv"), &e), -1);
    assert_non_null(strstr(e.msg, "bad.csv: line 2: bad country code 'AUS'"));
    /* A failed load keeps what was loaded. */
    ft_geo_tags_country(g, FT_GEO_NETACQ, ip("1.0.0.1"), cc, cont);
    assert_string_equal(cc, "AU");
    ft_geo_tags_free(g);
}

static void test_gzip_inputs(void **state)
{
    (void)state;
    ft_error e;
    const char *asn = "1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\n"
                      "8.8.8.0\t24\t15169\n";
    const char *cc = "8.8.8.0,8.8.8.255,US\n";
    write_gz("asn.csv.gz", asn, strlen(asn));
    write_gz("cc.csv.gz", cc, strlen(cc));
    mkmmdb("flat.mmdb", "8.0.0.0/8=BR");
    size_t n;
    char *db = read_all("flat.mmdb", &n);
    write_gz("flat.mmdb.gz", db, n);
    free(db);

    ft_geo_tags *g = ft_geo_tags_new(&e);
    assert_int_equal(ft_geo_tags_load_asn(g, scratch_path("asn.csv.gz"), &e), 0);
    assert_int_equal(ft_geo_tags_load_country(g, FT_GEO_MAXMIND, scratch_path("cc.csv.gz"), &e), 0);
    assert_int_equal(ft_geo_tags_load_country(g, FT_GEO_NETACQ, scratch_path("flat.mmdb.gz"), &e), 0);
    assert_int_equal(ft_geo_tags_asn(g, ip("1.0.0.1")), 13335);
    assert_int_equal(ft_geo_tags_asn(g, ip("8.8.8.8")), 15169);
    char c[3], k[3];
    ft_geo_tags_country(g, FT_GEO_MAXMIND, ip("8.8.8.8"), c, k);
    assert_string_equal(c, "US");
    assert_string_equal(k, "NA");
    ft_geo_tags_country(g, FT_GEO_NETACQ, ip("8.8.8.8"), c, k);
    assert_string_equal(c, "BR");
    assert_string_equal(k, "SA");
    /* The decompressed copy was removed as soon as it was opened. */
    DIR *d = opendir(scratch_dir);
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d)))
        if (strncmp(de->d_name, "ft-mmdb.", 8) == 0)
            fail_msg("temporary copy %s left behind", de->d_name);
    closedir(d);
    ft_geo_tags_free(g);
}

/* ---- continent table ---- */

static void test_continents(void **state)
{
    (void)state;
    const char *spot[][2] = {
        {"RU", "EU"}, {"TH", "AS"}, {"US", "NA"}, {"BR", "SA"}, {"AU", "OC"},
        {"ZA", "AF"}, {"AQ", "AN"}, {"DE", "EU"}, {"CN", "AS"}, {"TR", "AS"},
        {"EG", "AF"}, {"MX", "NA"}, {"PA", "NA"}, {"NZ", "OC"}, {"AD", "EU"},
        {"ZW", "AF"}, {"XK", "EU"}, {"GS", "AN"}, {"UM", "OC"}, {"CY", "EU"},
    };
    for (size_t i = 0; i < sizeof spot / sizeof spot[0]; i++) {
        const char *k = ft_geo_continent(spot[i][0]);
        if (!k || strcmp(k, spot[i][1]) != 0)
            fail_msg("%s: got %s, want %s", spot[i][0], k ? k : "NULL", spot[i][1]);
    }
    assert_null(ft_geo_continent("ZZ"));
    assert_null(ft_geo_continent("EU"));
    assert_null(ft_geo_continent("us"));
    assert_null(ft_geo_continent("USA"));
    assert_null(ft_geo_continent(""));
    assert_null(ft_geo_continent(NULL));
    /* Every entry is found (the table is sorted) and names a continent. */
    int count = 0;
    char cc[3] = "AA";
    for (cc[0] = 'A'; cc[0] <= 'Z'; cc[0]++) {
        for (cc[1] = 'A'; cc[1] <= 'Z'; cc[1]++) {
            const char *k = ft_geo_continent(cc);
            if (!k)
                continue;
            count++;
            if (!strstr("AF AN AS EU NA OC SA", k) || strlen(k) != 2)
                fail_msg("%s: continent '%s'", cc, k);
        }
    }
    assert_int_equal(count, 250); /* ISO 3166-1's 249 and XK */
}

/* Every ISO 3166-1 code (tzdata's list) has a continent. */
static void test_continents_cover_iso3166(void **state)
{
    (void)state;
    FILE *f = fopen("/usr/share/zoneinfo/iso3166.tab", "r");
    if (!f)
        skip();
    char line[256];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[2] != '\t')
            continue;
        line[2] = '\0';
        if (!ft_geo_continent(line))
            fail_msg("%s has no continent", line);
        n++;
    }
    fclose(f);
    assert_true(n >= 249);
}

/* ---- MaxMind DB ---- */

static void check_country(ft_geo_tags *g, const char *addr, const char *want_cc,
                          const char *want_cont)
{
    char cc[3], cont[3];
    ft_geo_tags_country(g, FT_GEO_MAXMIND, ip(addr), cc, cont);
    if (strcmp(cc, want_cc) || strcmp(cont, want_cont))
        fail_msg("%s: got %s/%s, want %s/%s", addr, cc, cont, want_cc, want_cont);
}

static void test_mmdb_geoip2_layout(void **state)
{
    (void)state;
    ft_error e;
    const char *entries =
        "10.0.0.0/8=FR/EU 10.1.0.0/16=-/AS "
        "10.2.0.0/16={\"country\":{\"iso_code\":\"TH\"}} "
        "10.3.0.0/16=RU/AS 0.0.0.0/32=AU/OC 255.255.255.255/32=ZA/AF "
        /* values that are not two letters count as absent */
        "10.4.0.0/16={\"country\":{\"iso_code\":\"DE\"},\"continent\":{\"code\":\"E1\"}} "
        "10.5.0.0/16={\"country\":{\"iso_code\":\"F1\"},\"continent\":{\"code\":\"EUR\"}} "
        "10.6.0.0/16={\"country\":{\"iso_code\":\"USA\"},\"continent\":{\"code\":\"na\"}}";
    for (int v6 = 0; v6 < 2; v6++) {
        char args[1024];
        snprintf(args, sizeof args, "%s%s", v6 ? "-6 " : "", entries);
        mkmmdb("geoip2.mmdb", args);
        ft_geo_tags *g = ft_geo_tags_new(&e);
        assert_int_equal(ft_geo_tags_load_country(g, FT_GEO_MAXMIND, scratch_path("geoip2.mmdb"), &e), 0);
        assert_string_equal(ft_geo_tags_describe_country(g, FT_GEO_MAXMIND),
                            "MaxMind DB, GeoIP2 layout");
        check_country(g, "10.0.0.1", "FR", "EU");
        check_country(g, "10.1.0.1", "??", "AS");  /* continent only */
        check_country(g, "10.2.0.1", "TH", "AS");  /* continent from the table */
        check_country(g, "10.3.0.1", "RU", "AS");  /* the database's own */
        check_country(g, "10.4.0.1", "DE", "EU");
        check_country(g, "10.5.0.1", "??", "??");
        check_country(g, "10.6.0.1", "??", "NA");
        check_country(g, "10.255.255.255", "FR", "EU");
        check_country(g, "11.0.0.0", "??", "??");
        check_country(g, "0.0.0.0", "AU", "OC");
        check_country(g, "0.0.0.1", "??", "??");
        check_country(g, "255.255.255.255", "ZA", "AF");
        ft_geo_tags_free(g);
    }
}

static void test_mmdb_flat_layout(void **state)
{
    (void)state;
    ft_error e;
    mkmmdb("flat.mmdb", "10.0.0.0/8=RU 10.1.0.0/16=br 10.1.2.0/24=AQ "
                        "0.0.0.0/32=AU 255.255.255.255/32=ZA 192.0.2.0/24=ZZ");
    ft_geo_tags *g = ft_geo_tags_new(&e);
    assert_int_equal(ft_geo_tags_load_country(g, FT_GEO_MAXMIND, scratch_path("flat.mmdb"), &e), 0);
    assert_string_equal(ft_geo_tags_describe_country(g, FT_GEO_MAXMIND),
                        "MaxMind DB, flat layout (country_code)");
    check_country(g, "10.0.0.1", "RU", "EU");
    check_country(g, "10.1.0.1", "BR", "SA");
    check_country(g, "10.1.2.3", "AQ", "AN");
    check_country(g, "10.1.3.0", "BR", "SA");
    check_country(g, "0.0.0.0", "AU", "OC");
    check_country(g, "255.255.255.255", "ZA", "AF");
    check_country(g, "192.0.2.1", "ZZ", "??");
    check_country(g, "9.255.255.255", "??", "??");
    ft_geo_tags_free(g);
}

/* Loads name as a country database; returns the message after the
 * directory, or "" on success. */
static const char *country_error(const char *name)
{
    static ft_error e;
    ft_geo_tags *g = ft_geo_tags_new(&e);
    int rc = ft_geo_tags_load_country(g, FT_GEO_MAXMIND, scratch_path(name), &e);
    ft_geo_tags_free(g);
    if (rc == 0)
        return "";
    const char *p = strstr(e.msg, name);
    return p ? p : e.msg;
}

static void test_mmdb_bad_files(void **state)
{
    (void)state;
    assert_string_equal(country_error("nope.mmdb"),
                        "nope.mmdb: No such file or directory");

    mkmmdb("city.mmdb", "10.0.0.0/8={\"city\":\"Paris\"} "
                        "10.1.0.0/16={\"registered_country\":{\"iso_code\":\"FR\"}}");
    assert_string_equal(country_error("city.mmdb"),
                        "city.mmdb: no country.iso_code or country_code field "
                        "in the MaxMind DB");

    size_t n;
    char *db = read_all("city.mmdb", &n);
    const char *marker = "\xab\xcd\xefMaxMind.com";
    size_t at = 0;
    while (at + 14 <= n && memcmp(db + at, marker, 14) != 0)
        at++;
    assert_true(at + 14 < n);
    /* Cut before the metadata: a binary file, no MaxMind DB. */
    write_file("cut.mmdb", db, at);
    assert_string_equal(country_error("cut.mmdb"),
                        "cut.mmdb: neither a MaxMind DB nor a text file");
    /* Cut inside the metadata. */
    write_file("cut.mmdb", db, at + 14 + (n - at - 14) / 2);
    assert_string_equal(country_error("cut.mmdb"),
                        "cut.mmdb: corrupt MaxMind DB: invalid data");
    /* Garbage, then the metadata marker and an empty map: no required
     * metadata key. */
    char junk[115];
    memset(junk, 0xee, sizeof junk);
    memcpy(junk + 100, "\xab\xcd\xefMaxMind.com\xe0", 15);
    write_file("junk.mmdb", junk, sizeof junk);
    assert_string_equal(country_error("junk.mmdb"),
                        "junk.mmdb: corrupt MaxMind DB: invalid metadata");
    free(db);

    /* A search tree whose root points past the data section. */
    mkmmdb("flat.mmdb", "10.0.0.0/8=RU");
    db = read_all("flat.mmdb", &n);
    memset(db, 0xff, 6); /* node 0, two 24-bit records */
    write_file("tree.mmdb", db, n);
    assert_string_equal(country_error("tree.mmdb"),
                        "tree.mmdb: corrupt MaxMind DB: bad search tree");
    free(db);

    /* Not for the origin AS. */
    ft_error e;
    ft_geo_tags *g = ft_geo_tags_new(&e);
    assert_int_equal(ft_geo_tags_load_asn(g, scratch_path("flat.mmdb"), &e), -1);
    assert_non_null(strstr(e.msg, "flat.mmdb: a MaxMind DB; origin AS needs a "
                                  "prefix2as or range file"));
    ft_geo_tags_free(g);
}

/* ---- the tag hook ---- */

static void test_tag_hook(void **state)
{
    (void)state;
    ft_error e;
    write_text("mm.csv", "192.0.2.0,192.0.2.255,US\n");
    mkmmdb("na.mmdb", "192.0.2.0/25=DE");
    write_text("p2a.txt", "192.0.2.0\t24\t64500\n192.0.2.0\t25\t64501\n");
    ft_geo_tags *g = ft_geo_tags_new(&e);
    assert_int_equal(ft_geo_tags_load_country(g, FT_GEO_MAXMIND, scratch_path("mm.csv"), &e), 0);
    assert_int_equal(ft_geo_tags_load_country(g, FT_GEO_NETACQ, scratch_path("na.mmdb"), &e), 0);
    assert_int_equal(ft_geo_tags_load_asn(g, scratch_path("p2a.txt"), &e), 0);

    ft4_record r;
    ft4_record_init(&r);
    ft_geo_tags_tag(g, ip("192.0.2.1"), &r);
    assert_string_equal(r.tag[FT4_T_MAXMIND_CONTINENT].s, "NA");
    assert_string_equal(r.tag[FT4_T_MAXMIND_COUNTRY].s, "US");
    assert_string_equal(r.tag[FT4_T_NETACQ_CONTINENT].s, "EU");
    assert_string_equal(r.tag[FT4_T_NETACQ_COUNTRY].s, "DE");
    assert_int_equal(r.tag[FT4_T_NETACQ_COUNTRY].len, 2);
    assert_int_equal(r.prefix2asn, 64501);

    ft4_record_init(&r);
    ft_geo_tags_tag(g, ip("192.0.2.200"), &r);
    assert_string_equal(r.tag[FT4_T_MAXMIND_COUNTRY].s, "US");
    assert_string_equal(r.tag[FT4_T_NETACQ_CONTINENT].s, "??");
    assert_string_equal(r.tag[FT4_T_NETACQ_COUNTRY].s, "??");
    assert_int_equal(r.prefix2asn, 64500);

    ft4_record_init(&r);
    ft_geo_tags_tag(g, ip("198.51.100.1"), &r);
    for (int i = 0; i < FT4_T_COUNT; i++)
        assert_string_equal(r.tag[i].s, "??");
    assert_int_equal(r.prefix2asn, 0);
    ft_geo_tags_free(g);

    /* Nothing loaded: the record is left as it was. */
    g = ft_geo_tags_new(&e);
    ft4_record_init(&r);
    r.prefix2asn = 5;
    ft_geo_tags_tag(g, ip("192.0.2.1"), &r);
    assert_int_equal(r.prefix2asn, 5);
    assert_string_equal(r.tag[FT4_T_MAXMIND_COUNTRY].s, "??");
    ft_geo_tags_free(g);
    ft_geo_tags_free(NULL);
    ft_ip_ranges_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_narrowest_wins),
        cmocka_unit_test(test_earlier_wins_on_ties),
        cmocka_unit_test(test_adjacent_and_nested),
        cmocka_unit_test(test_address_space_ends),
        cmocka_unit_test(test_random_against_rule),
        cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_csv_formats),
        cmocka_unit_test(test_prefix2as),
        cmocka_unit_test(test_text_errors),
        cmocka_unit_test(test_country_csv),
        cmocka_unit_test(test_gzip_inputs),
        cmocka_unit_test(test_continents),
        cmocka_unit_test(test_continents_cover_iso3166),
        cmocka_unit_test(test_mmdb_geoip2_layout),
        cmocka_unit_test(test_mmdb_flat_layout),
        cmocka_unit_test(test_mmdb_bad_files),
        cmocka_unit_test(test_tag_hook),
    };
    return cmocka_run_group_tests(tests, setup, scratch_teardown);
}
