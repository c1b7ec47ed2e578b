/* Unit tests for expr.c: the filter language, its errors and its
 * compiled form. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"

/* 1/0 for text on r; the text must compile. */
static int m(const char *text, const ft4_record *r)
{
    ft_error e;
    size_t where;
    ft_expr *x = ft_expr_parse(text, &where, &e);
    if (!x)
        fail_msg("'%s' did not compile: %s", text, e.msg);
    int res = ft_expr_match(x, r);
    ft_expr_free(x);
    return res;
}

/* The text must fail with exactly msg, pointing at byte offset where. */
static void bad(const char *text, const char *msg, size_t where)
{
    ft_error e;
    size_t w = 12345;
    ft_expr *x = ft_expr_parse(text, &w, &e);
    if (x) {
        ft_expr_free(x);
        fail_msg("'%s' compiled", text);
    }
    if (strcmp(e.msg, msg) != 0)
        fail_msg("'%s':\n got  %s\n want %s", text, e.msg, msg);
    assert_int_equal(w, where);
}

/* The first line of the dump: the tree. */
static char *tree(const char *text)
{
    ft_error e;
    ft_expr *x = ft_expr_parse(text, NULL, &e);
    if (!x)
        fail_msg("'%s' did not compile: %s", text, e.msg);
    char *d = ft_expr_dump(x);
    ft_expr_free(x);
    assert_non_null(d);
    *strchr(d, '\n') = '\0';
    return d;
}

static void tree_is(const char *text, const char *want)
{
    char *t = tree(text);
    if (strcmp(t, want) != 0)
        fail_msg("'%s':\n got  %s\n want %s", text, t, want);
    free(t);
}

static void set_array(ft4_record *r, int a, int n, const int64_t *v)
{
    r->arr[a].n = (uint32_t)n;
    for (int i = 0; i < n; i++)
        r->arr[a].v[i] = v[i];
}

static void test_integer_comparisons(void **state)
{
    (void)state;
    ft4_record r;
    ft4_record_init(&r);
    r.dst_port = 23;                      /* int */
    r.packet_cnt = (int64_t)1 << 40;      /* long */
    const char *yes[] = {
        "dst_port == 23", "dst_port = 23", "dst_port != 22", "dst_port < 24",
        "dst_port <= 23", "dst_port > 22", "dst_port >= 23",
        "dst_port == 0x17", "dst_port == 0X17", "dst_port > -1",
        "packet_cnt == 1099511627776", "packet_cnt > 1099511627775",
        "packet_cnt >= -9223372036854775808", "packet_cnt <= 9223372036854775807",
        "packet_cnt != 9223372036854775807", "dst_port < 99999999999",
    };
    const char *no[] = {
        "dst_port == 22", "dst_port != 23", "dst_port < 23", "dst_port <= 22",
        "dst_port > 23", "dst_port >= 24", "packet_cnt < 1099511627776",
        "packet_cnt < -9223372036854775808", "packet_cnt > 9223372036854775807",
        "dst_port > 99999999999", "packet_cnt == 1",
    };
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        if (!m(yes[i], &r))
            fail_msg("'%s' should match", yes[i]);
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        if (m(no[i], &r))
            fail_msg("'%s' should not match", no[i]);
    /* every numeric field by its schema name */
    for (int f = 0; f < FT4_F_COUNT; f++) {
        if (ft4_fields[f].type == FT4_STRING || ft4_fields[f].type == FT4_ARRAY)
            continue;
        char t[96];
        ft4_record z;
        ft4_record_init(&z);
        snprintf(t, sizeof t, "%s == 0", ft4_fields[f].name);
        assert_true(m(t, &z));
        snprintf(t, sizeof t, "%s > 0", ft4_fields[f].name);
        assert_false(m(t, &z));
    }
}

static void test_constant_tests_fold(void **state)
{
    (void)state;
    char *d;
    ft_error e;
    ft_expr *x = ft_expr_parse("packet_cnt < -9223372036854775808", NULL, &e);
    assert_non_null(x);
    d = ft_expr_dump(x);
    assert_non_null(strstr(d, "program: 0 nodes, entry reject\n"));
    free(d);
    ft_expr_free(x);
    x = ft_expr_parse("dst_port == 1 or not packet_cnt > 9223372036854775807",
                      NULL, &e);
    d = ft_expr_dump(x);
    assert_non_null(strstr(d, "program: 1 node, entry 0\n"
                              "0  dst_port == 1  true:accept false:accept\n"));
    free(d);
    ft_expr_free(x);
}

/* A, B, C are dst_port == 1, protocol == 1, uniq_ttls == 1. */
static void abc(ft4_record *r, int bits)
{
    ft4_record_init(r);
    r->dst_port = bits & 1;
    r->protocol = (bits >> 1) & 1;
    r->uniq_ttls = (bits >> 2) & 1;
}

#define A "dst_port == 1"
#define B "protocol == 1"
#define C "uniq_ttls == 1"

static void test_precedence_and_associativity(void **state)
{
    (void)state;
    for (int bits = 0; bits < 8; bits++) {
        ft4_record r;
        abc(&r, bits);
        int a = bits & 1, b = (bits >> 1) & 1, c = (bits >> 2) & 1;
        assert_int_equal(m(A " or " B " and " C, &r), a || (b && c));
        assert_int_equal(m(A " and " B " or " C, &r), (a && b) || c);
        assert_int_equal(m("(" A " or " B ") and " C, &r), (a || b) && c);
        assert_int_equal(m("not " A " and " B, &r), !a && b);
        assert_int_equal(m("not (" A " and " B ")", &r), !(a && b));
        assert_int_equal(m("!" A " || " B " && !" C, &r), !a || (b && !c));
        assert_int_equal(m(A " and not not " B, &r), a && b);
        assert_int_equal(m(A " AND " B " Or NOT " C, &r), (a && b) || !c);
        assert_int_equal(m("((" A ") or ((" B ")))", &r), a || b);
        assert_int_equal(m("not " A " or not " B " and not " C, &r),
                         !a || (!b && !c));
    }
    tree_is(A " or " B " and " C,
            "tree: (dst_port == 1 or (protocol == 1 and uniq_ttls == 1))");
    tree_is(A " and " B " or " C,
            "tree: ((dst_port == 1 and protocol == 1) or uniq_ttls == 1)");
    tree_is(A " or " B " or " C,
            "tree: ((dst_port == 1 or protocol == 1) or uniq_ttls == 1)");
    tree_is(A " && " B " && " C,
            "tree: ((dst_port == 1 and protocol == 1) and uniq_ttls == 1)");
    tree_is("not " A " and " B,
            "tree: (not (dst_port == 1) and protocol == 1)");
    tree_is("!(" A " || " B ")",
            "tree: not (dst_port == 1 or protocol == 1)");
}

static void test_compiled_form(void **state)
{
    (void)state;
    ft_error e;
    ft_expr *x = ft_expr_parse(A " or " B " and not " C, NULL, &e);
    char *d = ft_expr_dump(x);
    assert_string_equal(d,
        "tree: (dst_port == 1 or (protocol == 1 and not (uniq_ttls == 1)))\n"
        "program: 3 nodes, entry 0\n"
        "0  dst_port == 1  true:accept false:1\n"
        "1  protocol == 1  true:2 false:reject\n"
        "2  uniq_ttls == 1  true:reject false:accept\n");
    free(d);
    ft_expr_free(x);
    x = ft_expr_parse("dst_port in {1..3, 7, 2..5, 6, 100} and "
                      "src_ip in {10.0.0.0/8, 11.0.0.0/8, 1.2.3.4} and "
                      "common_ttls in 200..255 and packet_cnt < 5 and "
                      "netacq_country in {'RU', \"UA\"}", NULL, &e);
    d = ft_expr_dump(x);
    assert_string_equal(d,
        "tree: ((((dst_port in {1..3, 7, 2..5, 6, 100} and src_ip in "
        "{10.0.0.0/8, 11.0.0.0/8, 1.2.3.4}) and common_ttls in {200..255}) "
        "and packet_cnt < 5) and netacq_country in {\"RU\", \"UA\"})\n"
        "program: 5 nodes, entry 0\n"
        "0  dst_port in {1..7, 100} (scan)  true:1 false:reject\n"
        "1  src_ip in {1.2.3.4, 10.0.0.0/7} (scan)  true:2 false:reject\n"
        "2  any common_ttls in 200..255  true:3 false:reject\n"
        "3  packet_cnt <= 4  true:4 false:reject\n"
        "4  netacq_country in {\"RU\", \"UA\"}  true:accept false:reject\n");
    free(d);
    ft_expr_free(x);
}

static void test_cidr(void **state)
{
    (void)state;
    ft4_record r;
    ft4_record_init(&r);
    static const struct {
        int64_t ip;
        int in130;
    } ips[] = {
        {0x81ffffff, 0}, {0x82000000, 1}, {0x82abcdef, 1}, {0x82ffffff, 1},
        {0x83000000, 0}, {0, 0}, {0xffffffff, 0},
        /* foreign files may hold values outside 0..2^32-1 */
        {0x182000000LL, 0}, {-0x7e000000LL, 0},
    };
    for (size_t i = 0; i < sizeof ips / sizeof *ips; i++) {
        r.src_ip = ips[i].ip;
        assert_int_equal(m("src_ip in 130.0.0.0/8", &r), ips[i].in130);
        assert_int_equal(m("src_ip not in 130.0.0.0/8", &r), !ips[i].in130);
        assert_int_equal(m("src_ip in 0.0.0.0/0", &r),
                         ips[i].ip >= 0 && ips[i].ip <= 0xffffffffLL);
    }
    r.src_ip = 0xffffffff;
    assert_true(m("src_ip == 255.255.255.255", &r));
    assert_true(m("src_ip in 255.255.255.255/32", &r));
    assert_true(m("src_ip in 255.255.255.255", &r));
    assert_true(m("src_ip in 255.255.255.254/31", &r));
    assert_false(m("src_ip in 255.255.255.254/32", &r));
    assert_true(m("src_ip == 4294967295", &r));
    assert_true(m("src_ip > 255.255.255.254", &r));
    r.src_ip = 0x01020304;
    assert_true(m("src_ip == 1.2.3.4", &r));
    assert_true(m("src_ip != 1.2.3.5", &r));
    assert_true(m("src_ip < 1.2.3.5 and src_ip >= 1.2.3.4", &r));
    assert_true(m("src_ip in 1.2.3.0..1.2.3.4", &r));
    assert_false(m("src_ip in 1.2.3.5..1.2.3.9", &r));
    assert_true(m("src_ip in {10.0.0.0/8, 192.168.0.0/16, 1.2.3.4/32}", &r));
    r.src_ip = 0xc0a8ffff;
    assert_true(m("src_ip in {10.0.0.0/8, 192.168.0.0/16}", &r));
    r.src_ip = 0xc0a90000;
    assert_false(m("src_ip in {10.0.0.0/8, 192.168.0.0/16}", &r));
    r.dst_net = 0x2c010000;
    assert_true(m("dst_net in 44.0.0.0/8 and dst_net == 44.1.0.0", &r));
    tree_is("src_ip in {0.0.0.0/0, 1.2.3.4/32, 10.0.0.0/8}",
            "tree: src_ip in {0.0.0.0/0, 1.2.3.4, 10.0.0.0/8}");
}

static void test_ranges_and_lists(void **state)
{
    (void)state;
    ft4_record r;
    ft4_record_init(&r);
    for (int v = 0; v < 300; v++) {
        r.dst_port = v;
        assert_int_equal(m("dst_port in 200..255", &r), v >= 200 && v <= 255);
        assert_int_equal(m("dst_port in {22, 23, 2323}", &r), v == 22 || v == 23);
        assert_int_equal(m("dst_port in {22, 100..150, 140..160, 161}", &r),
                         v == 22 || (v >= 100 && v <= 161));
        assert_int_equal(m("dst_port not in {1..5, 7}", &r),
                         !((v >= 1 && v <= 5) || v == 7));
        assert_int_equal(m("dst_port in 42", &r), v == 42);
        assert_int_equal(m("dst_port in 42..42", &r), v == 42);
    }
    /* a big list is binary-searched: compare with the plain definition */
    char text[4096];
    int lo[60], hi[60], n = 0;
    size_t len = (size_t)snprintf(text, sizeof text, "dst_port in {");
    unsigned seed = 7;
    for (int i = 0; i < 60; i++) {
        seed = seed * 1103515245u + 12345u;
        lo[n] = (int)(seed >> 16) % 5000;
        hi[n] = lo[n] + (int)((seed >> 8) % 40);
        len += (size_t)snprintf(text + len, sizeof text - len, "%s%d..%d",
                                i ? ", " : "", lo[n], hi[n]);
        n++;
    }
    snprintf(text + len, sizeof text - len, "}");
    ft_error e;
    ft_expr *x = ft_expr_parse(text, NULL, &e);
    assert_non_null(x);
    char *d = ft_expr_dump(x);
    assert_non_null(strstr(d, "(binary search)"));
    free(d);
    for (int v = -5; v < 5100; v++) {
        int want = 0;
        for (int i = 0; i < n; i++)
            want |= v >= lo[i] && v <= hi[i];
        r.dst_port = v;
        assert_int_equal(ft_expr_match(x, &r), want);
    }
    ft_expr_free(x);
    r.packet_cnt = INT64_MAX;
    assert_true(m("packet_cnt in {0..9223372036854775807, 5}", &r));
    assert_true(m("packet_cnt in {-9223372036854775808..9223372036854775807}", &r));
    r.packet_cnt = INT64_MIN;
    assert_true(m("packet_cnt in {-9223372036854775808..-9223372036854775807}", &r));
    assert_false(m("packet_cnt in {-9223372036854775807..9223372036854775807}", &r));
}

static void test_arrays(void **state)
{
    (void)state;
    ft4_record r;
    ft4_record_init(&r);
    /* empty: never matches a positive test, always its negation */
    const char *pos[] = {
        "common_ttls in 0..255", "common_ttls == 0", "common_ttls < 1000",
        "common_ttls <= 0", "common_ttls > -1", "common_ttls >= 0",
        "common_ttls in {1, 2..3}",
    };
    for (size_t i = 0; i < sizeof pos / sizeof *pos; i++) {
        if (m(pos[i], &r))
            fail_msg("'%s' matched an empty array", pos[i]);
        char neg[128];
        snprintf(neg, sizeof neg, "not %s", pos[i]);
        assert_true(m(neg, &r));
    }
    assert_true(m("common_ttls != 64", &r));
    assert_true(m("common_ttls not in 200..255", &r));

    set_array(&r, FT4_A_TTLS, 2, (const int64_t[]){64, 240});
    assert_true(m("common_ttls in 200..255", &r));
    assert_true(m("common_ttls == 64", &r));
    assert_true(m("common_ttls == 240", &r));
    assert_false(m("common_ttls == 128", &r));
    assert_false(m("common_ttls != 64", &r));   /* some element is 64 */
    assert_true(m("common_ttls != 65", &r));
    assert_true(m("common_ttls > 200 and common_ttls < 100", &r)); /* any */
    assert_false(m("common_ttls not in 200..255", &r));
    assert_true(m("common_ttls in {1..10, 60..70}", &r));
    set_array(&r, FT4_A_TTLS, 1, (const int64_t[]){64});
    assert_false(m("common_ttls in 200..255", &r));
    /* the last element of a full foreign array is seen */
    int64_t v[FT4_ARRAY_READ_MAX];
    for (int i = 0; i < FT4_ARRAY_READ_MAX; i++)
        v[i] = i;
    set_array(&r, FT4_A_SRCPORT_FREQS, FT4_ARRAY_READ_MAX, v);
    assert_true(m("common_srcport_freqs == 63", &r));
    assert_false(m("common_srcport_freqs == 64", &r));
    /* every array by name, and the alias */
    ft4_record_init(&r);
    for (int a = 0; a < FT4_A_COUNT; a++)
        set_array(&r, a, 1, (const int64_t[]){100 + a});
    for (int f = FT4_F_COMMON_PKTSIZES; f <= FT4_F_COMMON_TCPFLAG_FREQS; f++) {
        char t[96];
        snprintf(t, sizeof t, "%s == %d", ft4_fields[f].name,
                 100 + f - FT4_F_COMMON_PKTSIZES);
        assert_true(m(t, &r));
    }
    assert_true(m("common_pkt_sizes == 100", &r));
}

static void test_strings(void **state)
{
    (void)state;
    ft4_record r;
    ft4_record_init(&r);
    ft4_tag_set(&r.tag[FT4_T_NETACQ_COUNTRY], "RU", 2);
    ft4_tag_set(&r.tag[FT4_T_MAXMIND_CONTINENT], "a\"b'c", 5);
    assert_true(m("netacq_country == \"RU\"", &r));
    assert_true(m("netacq_country == 'RU'", &r));
    assert_false(m("netacq_country != 'RU'", &r));
    assert_false(m("netacq_country == 'ru'", &r));
    assert_false(m("netacq_country == 'R'", &r));
    assert_false(m("netacq_country == 'RUS'", &r));
    assert_false(m("netacq_country == ''", &r));
    assert_true(m("netacq_country in {'UA', 'RU'}", &r));
    assert_true(m("netacq_country in 'RU'", &r));
    assert_false(m("netacq_country not in {'UA', 'RU'}", &r));
    assert_true(m("netacq_country not in {'UA', 'BY'}", &r));
    assert_true(m("maxmind_country == '?\?' and netacq_continent == \"?\?\"", &r));
    assert_true(m("maxmind_continent == \"a\\\"b'c\"", &r));
    assert_true(m("maxmind_continent == 'a\"b\\'c'", &r));
    assert_true(m("maxmind_continent == 'a\"b\\'c' # comment 'x'", &r));
    ft4_tag_set(&r.tag[FT4_T_NETACQ_COUNTRY], "", 0);
    assert_true(m("netacq_country == ''", &r));
    ft4_tag_set(&r.tag[FT4_T_NETACQ_COUNTRY], "ABCDEFGHIJKLMNO", 15);
    assert_true(m("netacq_country == 'ABCDEFGHIJKLMNO'", &r));
    bad("netacq_country == 'ABCDEFGHIJKLMNOP'",
        "'ABCDEFGHIJKLMNOP' is longer than any netacq_country value "
        "(15 bytes) at column 19", 18);
    tree_is("netacq_country != 'a\"b'",
            "tree: netacq_country != \"a\\\"b\"");
}

static void test_protocol_names_and_time(void **state)
{
    (void)state;
    ft4_record r;
    ft4_record_init(&r);
    static const struct {
        const char *name;
        int number;
    } p[] = {{"icmp", 1}, {"igmp", 2}, {"tcp", 6}, {"udp", 17}, {"ipv6", 41},
             {"gre", 47}, {"esp", 50}, {"ah", 51}, {"sctp", 132}, {"TCP", 6}};
    for (size_t i = 0; i < sizeof p / sizeof *p; i++) {
        char t[64];
        r.protocol = p[i].number;
        snprintf(t, sizeof t, "protocol == %s", p[i].name);
        assert_true(m(t, &r));
        r.protocol = p[i].number + 1;
        assert_false(m(t, &r));
    }
    r.protocol = 17;
    assert_true(m("protocol in {tcp, udp}", &r));
    assert_true(m("protocol in tcp..udp", &r));
    bad("dst_port == tcp", "expected a number after '==', found 'tcp' at column 13", 12);

    r.time = 1613239200; /* 2021-02-13T18:00:00Z */
    assert_true(m("time == \"2021-02-13T18:00:00Z\"", &r));
    assert_true(m("time == '2021-02-13 18:00'", &r));
    assert_true(m("time >= '2021-02-13' and time < '2021-02-14'", &r));
    assert_true(m("time in '2021-02-13T17:00'..'2021-02-13T18:00'", &r));
    assert_true(m("time == 1613239200", &r));
    bad("time >= '2021-02-30'", "'2021-02-30': not a time (epoch seconds or "
        "YYYY-MM-DDTHH:MM:SSZ) at column 9", 8);
}

static void test_comments_and_lines(void **state)
{
    (void)state;
    ft4_record r;
    ft4_record_init(&r);
    r.dst_port = 23;
    r.protocol = 6;
    assert_true(m("# telnet scans\ndst_port == 23 # the port\n"
                  "  and protocol == tcp\n# end\n", &r));
    bad("# a filter\ndst_port ==\n  and protocol == 6\n",
        "expected a value after '==', found 'and' at line 3, column 3", 25);
    /* one line with a trailing newline still reports only the column */
    bad("dst_port ==\n", "expected a value after '==' at column 12", 11);
}

static void test_syntax_errors(void **state)
{
    (void)state;
    bad("uniq_dst_ips >= ", "expected a value after '>=' at column 16", 15);
    bad("", "empty expression at column 1", 0);
    bad("  # only a comment", "empty expression at column 1", 0);
    bad("dst_port", "expected a comparison (== != < <= > >=) or 'in' after "
        "'dst_port' at column 9", 8);
    bad("dst_port 23", "expected a comparison (== != < <= > >=) or 'in' after "
        "'dst_port', found '23' at column 10", 9);
    bad("dst_port not 23", "expected 'in' after 'not', found '23' at column 14", 13);
    bad("dst_port == 23 protocol == 6", "expected 'and', 'or' or the end after "
        "'23', found 'protocol' at column 16", 15);
    bad("(dst_port == 1", "expected 'and', 'or' or ')' after '1' at column 15", 14);
    bad("dst_port == 1)", "expected 'and', 'or' or the end after '1', found "
        "')' at column 14", 13);
    bad("dst_port == 1 and", "expected a field name, 'not' or '(' after 'and' "
        "at column 18", 17);
    bad("not", "expected a field name, 'not' or '(' after 'not' at column 4", 3);
    bad("()", "expected a field name, 'not' or '(' after '(', found ')' at "
        "column 2", 1);
    bad("23 == dst_port", "expected a field name, 'not' or '(', found '23' at "
        "column 1", 0);
    bad("dst_port == 1 & protocol == 6", "unexpected '&' (did you mean '&&'?) "
        "at column 15", 14);
    bad("dst_port == 1 | protocol == 6", "unexpected '|' (did you mean '||'?) "
        "at column 15", 14);
    bad("dst_port == $", "unexpected character '$' at column 13", 12);
    bad("dst_port == \x01", "unexpected byte 0x01 at column 13", 12);
    bad("dst_port == 12x", "'12x': not a number at column 13", 12);
    bad("dst_port == 0x", "'0x': not a number at column 13", 12);
    bad("dst_port == 99999999999999999999", "'99999999999999999999': number "
        "out of range at column 13", 12);
    bad("dst_port in {1, }", "expected a value after ',', found '}' at column 17", 16);
    bad("dst_port in {1 2}", "expected ',' or '}' after '1', found '2' at "
        "column 16", 15);
    bad("dst_port in {1", "expected ',' or '}' after '1' at column 15", 14);
    bad("dst_port in {}", "empty list at column 13", 12);
    bad("dst_port in 5..", "expected a value after '..' at column 16", 15);
    bad("dst_port in 300..200", "empty range 300..200 (the lower bound comes "
        "first) at column 13", 12);
    bad("netacq_country == \"RU", "unterminated string at column 19", 18);
    bad("src_ip == 1.2.3", "'1.2.3': not an IPv4 address at column 11", 10);
    bad("src_ip == 1.2.3.256", "'1.2.3.256': not an IPv4 address at column 11", 10);
    bad("src_ip == 1.2.3.4.5", "'1.2.3.4.5': not an IPv4 address at column 11", 10);
    bad("src_ip in 10.0.0.0/33", "'10.0.0.0/33': prefix length must be 0..32 "
        "at column 11", 10);
    bad("src_ip in 10.0.0.1/8", "'10.0.0.1/8': host bits set (did you mean "
        "10.0.0.0/8?) at column 11", 10);
    bad("src_ip == 10.0.0.0/8", "'10.0.0.0/8': a prefix needs 'in' (src_ip in "
        "10.0.0.0/8) at column 11", 10);
    bad("src_ip in 10.0.0.0/8..11.0.0.0", "a prefix cannot be a range bound at "
        "column 21", 20);
    bad("src_ip == dst_net", "'dst_net': comparing two fields is not supported "
        "at column 11", 10);
    /* too deep, too many */
    char deep[1024] = "";
    for (int i = 0; i < 250; i++)
        strcat(deep, "(");
    strcat(deep, "dst_port == 1");
    ft_error e;
    size_t w;
    assert_null(ft_expr_parse(deep, &w, &e));
    assert_non_null(strstr(e.msg, "expression nested too deeply"));
    char *many = malloc(10001 * 20);
    size_t len = 0;
    for (int i = 0; i <= 10000; i++)
        len += (size_t)sprintf(many + len, "%sdst_port == %d", i ? " or " : "", i);
    assert_null(ft_expr_parse(many, &w, &e));
    assert_non_null(strstr(e.msg, "more than 10000 tests"));
    many[len - strlen(" or dst_port == 10000")] = '\0';
    ft_expr *x = ft_expr_parse(many, &w, &e);
    assert_non_null(x);
    ft4_record r;
    ft4_record_init(&r);
    r.dst_port = 9999;
    assert_true(ft_expr_match(x, &r));
    r.dst_port = 10000;
    assert_false(ft_expr_match(x, &r));
    ft_expr_free(x);
    free(many);
}

static void test_unknown_fields(void **state)
{
    (void)state;
    bad("uniq_dst_ip >= 5", "unknown field 'uniq_dst_ip' (did you mean "
        "'uniq_dst_ips'?) at column 1", 0);
    bad("dst_port == 1 or scr_ip == 1", "unknown field 'scr_ip' (did you mean "
        "'src_ip'?) at column 18", 17);
    bad("netacq_countyr == 'RU'", "unknown field 'netacq_countyr' (did you mean "
        "'netacq_country'?) at column 1", 0);
    bad("tcp", "unknown field 'tcp' (for a protocol write: protocol == tcp) at "
        "column 1", 0);
    bad("zzzzzzzzzzzzzzzzzzzzzz == 1", "unknown field 'zzzzzzzzzzzzzzzzzzzzzz' "
        "(--help-fields lists them) at column 1", 0);
    bad("Dst_Port == 1", "unknown field 'Dst_Port' (did you mean 'dst_port'?) "
        "at column 1", 0);
}

static void test_type_errors(void **state)
{
    (void)state;
    bad("uniq_dst_ips >= \"RU\"", "type mismatch: uniq_dst_ips is a number, "
        "\"RU\" is a string at column 17", 16);
    bad("common_ttls == 'x'", "type mismatch: common_ttls is an array of "
        "numbers, 'x' is a string at column 16", 15);
    bad("src_ip == 'x'", "type mismatch: src_ip is an address, 'x' is a "
        "string at column 11", 10);
    bad("netacq_country == 5", "type mismatch: netacq_country is a string, "
        "'5' is a number (quote strings: \"RU\") at column 19", 18);
    bad("netacq_country == RU", "expected a quoted string, found 'RU' (write "
        "\"RU\") at column 19", 18);
    bad("netacq_country in 1..5", "type mismatch: netacq_country is a string, "
        "'1' is a number (quote strings: \"RU\") at column 19", 18);
    bad("netacq_country in {'A'..'B'}", "type mismatch: netacq_country is a "
        "string, ranges apply to numbers at column 23", 22);
    bad("netacq_country < 'RU'", "'<' does not apply to strings "
        "(netacq_country takes ==, != or in) at column 16", 15);
    bad("maxmind_continent >= 'EU'", "'>=' does not apply to strings "
        "(maxmind_continent takes ==, != or in) at column 19", 18);
    bad("dst_port in 10.0.0.0/8", "type mismatch: dst_port is a number, "
        "'10.0.0.0/8' is an IPv4 prefix (addresses and prefixes apply to "
        "src_ip and dst_net) at column 13", 12);
    bad("common_ttls == 1.2.3.4", "type mismatch: common_ttls is an array of "
        "numbers, '1.2.3.4' is an IPv4 address (addresses and prefixes apply "
        "to src_ip and dst_net) at column 16", 15);
    bad("protocol == tpc", "unknown protocol name 'tpc' (known: icmp igmp tcp "
        "udp ipv6 gre esp ah sctp, or a number) at column 13", 12);
}

static void test_and(void **state)
{
    (void)state;
    ft_error e;
    ft_expr *a = ft_expr_parse(A, NULL, &e), *b = ft_expr_parse(B " or " C, NULL, &e);
    assert_int_equal(ft_expr_and(a, b, &e), 0);
    char *d = ft_expr_dump(a);
    assert_non_null(strstr(d, "tree: (dst_port == 1 and (protocol == 1 or "
                              "uniq_ttls == 1))\nprogram: 3 nodes, entry 0\n"));
    free(d);
    for (int bits = 0; bits < 8; bits++) {
        ft4_record r;
        abc(&r, bits);
        assert_int_equal(ft_expr_match(a, &r),
                         (bits & 1) && ((bits >> 1) & 1 || (bits >> 2) & 1));
    }
    ft_expr_free(a);
    ft_expr_free(NULL);
}

static void test_caret(void **state)
{
    (void)state;
    char *c = ft_expr_caret("uniq_dst_ips >= ", 15);
    assert_string_equal(c, "  uniq_dst_ips >= \n                 ^\n");
    free(c);
    c = ft_expr_caret("a == 1\n\tand b", 11);
    assert_string_equal(c, "  \tand b\n  \t   ^\n");
    free(c);
    c = ft_expr_caret("x", 99);
    assert_string_equal(c, "  x\n   ^\n");
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integer_comparisons),
        cmocka_unit_test(test_constant_tests_fold),
        cmocka_unit_test(test_precedence_and_associativity),
        cmocka_unit_test(test_compiled_form),
        cmocka_unit_test(test_cidr),
        cmocka_unit_test(test_ranges_and_lists),
        cmocka_unit_test(test_arrays),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_protocol_names_and_time),
        cmocka_unit_test(test_comments_and_lines),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_unknown_fields),
        cmocka_unit_test(test_type_errors),
        cmocka_unit_test(test_and),
        cmocka_unit_test(test_caret),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
