/* test_flow_table.c - FT4 aggregation: keys, counts, the common-value
 * rule, distinct destinations, first SYN, order, tags and memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "flow_table.h"

#define A(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))

/* ---- helpers ------------------------------------------------------------ */

/* A parsed packet as ft_packet_parse would produce it (transport present). */
static ft_packet pkt(uint32_t src, uint32_t dst, uint8_t proto,
                     uint16_t sport, uint16_t dport)
{
    ft_packet p;
    memset(&p, 0, sizeof p);
    p.status = FT_PKT_IPV4;
    p.src = src;
    p.dst = dst;
    p.proto = proto;
    p.ttl = 64;
    p.ip_len = 40;
    p.has_transport = 1;
    if (proto == 6 || proto == 17) {
        p.src_port = sport;
        p.dst_port = dport;
    } else if (proto == 1) {
        p.dst_port = dport;
    }
    if (proto == 6) {
        p.tcp_flags = 0x10;
        p.tcp_hlen = 20;
        p.tcp_win = 512;
    }
    return p;
}

typedef struct sink {
    ft4_record *r;
    size_t n, cap;
    size_t fail_at; /* emit fails on this record (1-based); 0 never */
} sink;

static int collect(void *ctx, const ft4_record *r, ft_error *err)
{
    sink *s = ctx;
    if (s->fail_at && s->n + 1 == s->fail_at)
        return ft_error_set(err, "sink: refused");
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->r = realloc(s->r, s->cap * sizeof *s->r);
        assert_non_null(s->r);
    }
    s->r[s->n++] = *r;
    return 0;
}

static void sink_free(sink *s)
{
    free(s->r);
    memset(s, 0, sizeof *s);
}

static ft_flow_table *table(int prefix)
{
    ft_error err;
    ft_flow_table *t = ft_flow_table_new(prefix, &err);
    assert_non_null(t);
    return t;
}

static void add(ft_flow_table *t, const ft_packet *p)
{
    ft_error err;
    assert_int_equal(ft_flow_table_add(t, p, &err), 0);
}

static void add_n(ft_flow_table *t, const ft_packet *p, long n)
{
    for (long i = 0; i < n; i++)
        add(t, p);
}

/* Emits t into s (interval start 600) and checks the table is drained. */
static void emit(ft_flow_table *t, sink *s)
{
    ft_error err;
    assert_int_equal(ft_flow_table_emit(t, 600, NULL, NULL, collect, s, &err),
                     0);
    assert_int_equal(ft_flow_table_flows(t), 0);
    assert_int_equal(ft_flow_table_packets(t), 0);
}

/* The record emitted for exactly one flow. */
static ft4_record emit_one(ft_flow_table *t)
{
    sink s = {0};
    emit(t, &s);
    assert_int_equal(s.n, 1);
    ft4_record r = s.r[0];
    sink_free(&s);
    return r;
}

/* Emits a table of `count` flows and returns record `idx`. */
static ft4_record emit_one_of(ft_flow_table *t, size_t count, size_t idx)
{
    sink s = {0};
    emit(t, &s);
    assert_int_equal(s.n, count);
    ft4_record r = s.r[idx];
    sink_free(&s);
    return r;
}

static void set_arr(ft4_array *a, uint32_t n, const int64_t *v)
{
    a->n = n;
    for (uint32_t i = 0; i < n; i++)
        a->v[i] = v[i];
}

#define ARR(rec, id, ...)                                                   \
    do {                                                                    \
        const int64_t v_[] = {__VA_ARGS__};                                 \
        set_arr(&(rec).arr[id], sizeof v_ / sizeof v_[0], v_);              \
    } while (0)

/* Expected-record skeleton: key, counts; arrays empty, tags "??". */
static ft4_record expect(uint32_t src, uint32_t dnet, int dport, int proto,
                         int64_t pkts)
{
    ft4_record r;
    ft4_record_init(&r);
    r.time = 600;
    r.src_ip = src;
    r.dst_net = dnet;
    r.dst_port = dport;
    r.protocol = proto;
    r.packet_cnt = pkts;
    return r;
}

static void print_field(const ft4_record *r, int f, char *buf, size_t n)
{
    const ft4_field *fd = &ft4_fields[f];
    if (fd->type == FT4_ARRAY) {
        const ft4_array *a = ft4_get_array(r, f);
        size_t o = (size_t)snprintf(buf, n, "[");
        for (uint32_t i = 0; i < a->n && o < n; i++)
            o += (size_t)snprintf(buf + o, n - o, "%s%lld", i ? "," : "",
                                  (long long)a->v[i]);
        if (o < n)
            snprintf(buf + o, n - o, "]");
    } else if (fd->type == FT4_STRING) {
        snprintf(buf, n, "%s", ft4_get_tag(r, f)->s);
    } else {
        snprintf(buf, n, "%lld", (long long)ft4_get_int(r, f));
    }
}

static void assert_record(const ft4_record *got, const ft4_record *want)
{
    int bad = 0;
    for (int f = 0; f < FT4_F_COUNT; f++) {
        char g[512], w[512];
        print_field(got, f, g, sizeof g);
        print_field(want, f, w, sizeof w);
        if (strcmp(g, w) != 0) {
            print_error("%s: got %s, want %s\n", ft4_fields[f].name, g, w);
            bad = 1;
        }
    }
    assert_false(bad);
    assert_true(ft4_record_equal(got, want));
}

/* ---- basics ------------------------------------------------------------- */

static void test_bad_prefix(void **state)
{
    (void)state;
    ft_error err;
    assert_null(ft_flow_table_new(20, &err));
    assert_string_equal(err.msg, "destination prefix /20: must be 16 or 24");
    assert_null(ft_flow_table_new(32, &err));
    ft_flow_table_free(NULL);
}

static void test_single_packet(void **state)
{
    (void)state;
    ft_flow_table *t = table(16);
    ft_packet p = pkt(A(192, 0, 2, 7), A(10, 20, 30, 40), 6, 40000, 23);
    p.tcp_flags = 0x02;
    p.tcp_win = 1024;
    p.ttl = 240;
    p.ip_len = 40;
    p.masscan = 1;
    add(t, &p);
    assert_int_equal(ft_flow_table_flows(t), 1);
    assert_int_equal(ft_flow_table_packets(t), 1);
    ft4_record r = emit_one(t);
    ft4_record w = expect(A(192, 0, 2, 7), A(10, 20, 0, 0), 23, 6, 1);
    w.uniq_dst_ips = w.uniq_pkt_sizes = w.uniq_ttls = 1;
    w.uniq_src_ports = w.uniq_tcp_flags = 1;
    w.first_syn_length = 20;
    w.first_tcp_rwin = 1024;
    ARR(w, FT4_A_PKTSIZES, 40);
    ARR(w, FT4_A_PKTSIZE_FREQS, 1);
    ARR(w, FT4_A_TTLS, 240);
    ARR(w, FT4_A_TTL_FREQS, 1);
    ARR(w, FT4_A_SRCPORTS, 40000);
    ARR(w, FT4_A_SRCPORT_FREQS, 1);
    ARR(w, FT4_A_TCPFLAGS, 2);
    ARR(w, FT4_A_TCPFLAG_FREQS, 1);
    w.masscan_packet_cnt = 1;
    assert_record(&r, &w);
    ft_flow_table_free(t);
}

static void test_non_ipv4_ignored(void **state)
{
    (void)state;
    ft_flow_table *t = table(16);
    ft_packet p = pkt(A(1, 1, 1, 1), A(2, 2, 2, 2), 6, 1, 2);
    p.status = FT_PKT_NOT_IPV4;
    add(t, &p);
    p.status = FT_PKT_MALFORMED;
    add(t, &p);
    assert_int_equal(ft_flow_table_flows(t), 0);
    assert_int_equal(ft_flow_table_packets(t), 0);
    ft_flow_table_free(t);
}

/* Keys: same /16 -> one flow; other port, protocol or /16 -> other flows;
 * emitted in (src_ip, dst_net, dst_port, protocol) order. */
static void test_keys_and_order(void **state)
{
    (void)state;
    ft_flow_table *t = table(16);
    struct { uint32_t src, dst; uint8_t proto; uint16_t dport; } in[] = {
        {A(9, 0, 0, 1), A(44, 1, 0, 1), 6, 80},
        {A(1, 0, 0, 1), A(44, 2, 0, 1), 17, 80},
        {A(1, 0, 0, 1), A(44, 2, 9, 9), 6, 80},   /* same /16 as next */
        {A(1, 0, 0, 1), A(44, 2, 0, 2), 6, 80},
        {A(1, 0, 0, 1), A(44, 1, 255, 255), 6, 443},
        {A(1, 0, 0, 1), A(44, 1, 0, 0), 6, 22},
        {A(255, 255, 255, 254), A(0, 0, 0, 0), 6, 65535},
        {A(0, 0, 0, 1), A(255, 255, 255, 255), 17, 0},
        {A(1, 0, 0, 1), A(44, 1, 0, 0), 1, 22},   /* ICMP type 0 code 22 */
        {A(1, 0, 0, 1), A(43, 255, 0, 0), 6, 65535},
    };
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        ft_packet p = pkt(in[i].src, in[i].dst, in[i].proto, 1000,
                          in[i].dport);
        add(t, &p);
    }
    assert_int_equal(ft_flow_table_flows(t), 9);
    sink s = {0};
    emit(t, &s);
    struct { uint32_t src, dnet; int dport, proto, dsts; } want[] = {
        {A(0, 0, 0, 1), A(255, 255, 0, 0), 0, 17, 1},
        {A(1, 0, 0, 1), A(43, 255, 0, 0), 65535, 6, 1},
        {A(1, 0, 0, 1), A(44, 1, 0, 0), 22, 1, 1},
        {A(1, 0, 0, 1), A(44, 1, 0, 0), 22, 6, 1},
        {A(1, 0, 0, 1), A(44, 1, 0, 0), 443, 6, 1},
        {A(1, 0, 0, 1), A(44, 2, 0, 0), 80, 6, 2},
        {A(1, 0, 0, 1), A(44, 2, 0, 0), 80, 17, 1},
        {A(9, 0, 0, 1), A(44, 1, 0, 0), 80, 6, 1},
        {A(255, 255, 255, 254), A(0, 0, 0, 0), 65535, 6, 1},
    };
    assert_int_equal(s.n, 9);
    for (size_t i = 0; i < 9; i++) {
        assert_int_equal(s.r[i].time, 600);
        assert_int_equal(s.r[i].src_ip, want[i].src);
        assert_int_equal(s.r[i].dst_net, want[i].dnet);
        assert_int_equal(s.r[i].dst_port, want[i].dport);
        assert_int_equal(s.r[i].protocol, want[i].proto);
        assert_int_equal(s.r[i].uniq_dst_ips, want[i].dsts);
    }
    sink_free(&s);
    ft_flow_table_free(t);
}

/* Many flows through several table doublings; sorted, none lost. */
static void test_many_flows_sorted(void **state)
{
    (void)state;
    ft_flow_table *t = table(24);
    const uint32_t n = 50000;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t k = i * 7919u % n; /* a permutation: scrambled order */
        ft_packet p = pkt(A(7, 7, 0, 0) + k / 100, A(44, 0, 0, 5) + (k % 100) * 256,
                          17, 53, (uint16_t)(k % 3));
        add(t, &p);
        add(t, &p);
    }
    assert_int_equal(ft_flow_table_flows(t), n);
    assert_int_equal(ft_flow_table_packets(t), 2 * n);
    sink s = {0};
    emit(t, &s);
    assert_int_equal(s.n, n);
    for (uint32_t k = 0; k < n; k++) {
        assert_int_equal(s.r[k].src_ip, A(7, 7, 0, 0) + k / 100);
        assert_int_equal(s.r[k].dst_net, A(44, 0, 0, 0) + (k % 100) * 256);
        assert_int_equal(s.r[k].dst_port, k % 3);
        assert_int_equal(s.r[k].packet_cnt, 2);
    }
    sink_free(&s);
    ft_flow_table_free(t);
}

/* ---- the common-value rule ---------------------------------------------- */

typedef struct vc { uint16_t v; long c; } vc;

/* One UDP flow whose packet sizes follow `vals` (in that order), everything
 * else constant; returns its record. */
static ft4_record sizes_flow(const vc *vals, size_t n)
{
    ft_flow_table *t = table(16);
    for (size_t i = 0; i < n; i++) {
        ft_packet p = pkt(A(1, 2, 3, 4), A(5, 6, 7, 8), 17, 999, 53);
        p.ip_len = vals[i].v;
        add_n(t, &p, vals[i].c);
    }
    ft4_record r = emit_one(t);
    ft_flow_table_free(t);
    assert_int_equal(r.uniq_pkt_sizes, n);
    return r;
}

static void check_common(const ft4_record *r, uint32_t n, const int64_t *vals,
                         const int64_t *freqs)
{
    const ft4_array *v = &r->arr[FT4_A_PKTSIZES];
    const ft4_array *f = &r->arr[FT4_A_PKTSIZE_FREQS];
    assert_int_equal(v->n, n);
    assert_int_equal(f->n, n);
    for (uint32_t i = 0; i < n; i++) {
        assert_int_equal(v->v[i], vals[i]);
        assert_int_equal(f->v[i], freqs[i]);
    }
}

#define COMMON(vals_, ...)                                                  \
    do {                                                                    \
        ft4_record r_ = sizes_flow(vals_, sizeof vals_ / sizeof vals_[0]);  \
        const int64_t w_[] = {0, __VA_ARGS__};                              \
        size_t k_ = (sizeof w_ / sizeof w_[0] - 1) / 2;                     \
        check_common(&r_, (uint32_t)k_, w_ + 1, w_ + 1 + k_);              \
    } while (0)
#define NO_COMMON(vals_)                                                    \
    do {                                                                    \
        ft4_record r_ = sizes_flow(vals_, sizeof vals_ / sizeof vals_[0]);  \
        check_common(&r_, 0, NULL, NULL);                                   \
    } while (0)

static void test_common_small_flows(void **state)
{
    (void)state;
    /* spec example: 2 packets, 2 sizes: none */
    const vc two[] = {{60, 1}, {40, 1}};
    NO_COMMON(two);
    const vc one[] = {{1500, 9}};
    COMMON(one, 1500, 9);
    /* P = 9, n = 3: ratio 1.0 */
    const vc p9n3[] = {{100, 7}, {200, 1}, {300, 1}};
    NO_COMMON(p9n3);
    /* P = 9, n = 4: ratio 0.5, 5 >= 4.5 but 4 < 4.5 */
    const vc p9n4a[] = {{400, 1}, {100, 5}, {200, 2}, {300, 1}};
    COMMON(p9n4a, 100, 5);
    const vc p9n4b[] = {{100, 4}, {200, 3}, {300, 1}, {400, 1}};
    NO_COMMON(p9n4b);
    /* P = 8, n = 4: exactly at 0.5 * P */
    const vc p8n4[] = {{40, 1}, {30, 1}, {20, 2}, {10, 4}};
    COMMON(p8n4, 10, 4);
    /* P = 9: n = 6 still 0.5, n = 7 is 0.33 (3 >= 2.97) */
    const vc p9n6[] = {{1, 4}, {2, 1}, {3, 1}, {4, 1}, {5, 1}, {6, 1}};
    NO_COMMON(p9n6);
    const vc p9n6b[] = {{1, 3}, {2, 2}, {3, 1}, {4, 1}, {5, 1}, {6, 1}};
    NO_COMMON(p9n6b);
    const vc p9n7[] = {{7, 1}, {1, 3}, {2, 1}, {3, 1}, {4, 1}, {5, 1}, {6, 1}};
    COMMON(p9n7, 1, 3);
    const vc p9n7b[] = {{5, 2}, {1, 2}, {2, 1}, {3, 1}, {4, 1}, {6, 1}, {7, 1}};
    NO_COMMON(p9n7b);
    /* P = 9 vs 10 at n = 3: 1.0 vs 0.33 */
    const vc p9[] = {{100, 4}, {200, 3}, {300, 2}};
    NO_COMMON(p9);
    const vc p10[] = {{300, 3}, {100, 4}, {200, 3}};
    COMMON(p10, 100, 4);
    /* P = 3, n = 3 (ratio 1): nothing; P = 1: the one value */
    const vc p3[] = {{1, 1}, {2, 1}, {3, 1}};
    NO_COMMON(p3);
}

static void test_common_large_flows(void **state)
{
    (void)state;
    /* P = 100, n = 3: 33 >= 33 exactly, 32 not */
    const vc p100[] = {{9, 35}, {5, 32}, {7, 33}};
    COMMON(p100, 7, 9, 33, 35);
    /* P = 200, n = 14 (0.33: c >= 66) vs n = 15 (0.2: c >= 40) */
    vc n14[14] = {{50, 66}, {60, 65}};
    for (int i = 0; i < 12; i++)
        n14[2 + i] = (vc){(uint16_t)(1000 + i), i < 11 ? 6 : 3};
    COMMON(n14, 50, 66);
    vc n15[15] = {{70, 41}, {50, 40}, {60, 39}};
    for (int i = 0; i < 12; i++)
        n15[3 + i] = (vc){(uint16_t)(1000 + i), i < 11 ? 7 : 3};
    COMMON(n15, 50, 70, 40, 41);
    /* n = 15: four values at exactly 0.2 * P, inserted in descending
     * order, come out ascending.  (Five is impossible: five values at
     * >= 20 % leave nothing for the other ten.) */
    vc four[15] = {{900, 20}, {800, 20}, {700, 20}, {600, 20}};
    for (int i = 0; i < 11; i++)
        four[4 + i] = (vc){(uint16_t)(65535 - i), i < 9 ? 2 : 1};
    COMMON(four, 600, 700, 800, 900, 20, 20, 20, 20);
    /* the same but one of them one short */
    four[0].c = 19;
    four[14].c = 2;
    COMMON(four, 600, 700, 800, 20, 20, 20);
    /* n = 14, P = 22: c >= 0.33 * 22 = 7.26, so 8 is common, 7 not */
    vc p23[14] = {{3, 8}, {4, 2}};
    for (int i = 0; i < 12; i++)
        p23[2 + i] = (vc){(uint16_t)(10 + i), 1};
    COMMON(p23, 3, 8);
    p23[0].c = 7;
    p23[1].c = 3;
    NO_COMMON(p23);
}

/* Many distinct sizes: the counter goes dense; exact counts survive. */
static void test_common_many_values(void **state)
{
    (void)state;
    ft_flow_table *t = table(16);
    ft_packet p = pkt(A(1, 2, 3, 4), A(5, 6, 7, 8), 6, 1000, 80);
    for (uint32_t v = 0; v < 65536; v++) {
        p.ip_len = (uint16_t)(v * 40503u); /* all 65536 values, scrambled */
        p.src_port = (uint16_t)v;
        p.ttl = (uint8_t)v;
        p.tcp_flags = (uint8_t)(v >> 8);
        add(t, &p);
    }
    /* make 777 (size), 4242 (port), TTL 17 and flag byte 0x12 common */
    p.ip_len = 777;
    p.src_port = 4242;
    p.ttl = 17;
    p.tcp_flags = 0x12;
    add_n(t, &p, 20000);
    ft4_record r = emit_one(t);
    ft_flow_table_free(t);
    ft4_record w = expect(A(1, 2, 3, 4), A(5, 6, 0, 0), 80, 6, 85536);
    w.uniq_dst_ips = 1;
    w.uniq_pkt_sizes = 65536;
    w.uniq_src_ports = 65536;
    w.uniq_ttls = 256;
    w.uniq_tcp_flags = 256;
    w.first_syn_length = 20; /* v = 512: flag byte 0x02 */
    w.first_tcp_rwin = 512;
    /* P = 85536, n >= 15: c >= 17107.2 */
    ARR(w, FT4_A_PKTSIZES, 777);
    ARR(w, FT4_A_PKTSIZE_FREQS, 20001);
    ARR(w, FT4_A_SRCPORTS, 4242);
    ARR(w, FT4_A_SRCPORT_FREQS, 20001);
    ARR(w, FT4_A_TTLS, 17);
    ARR(w, FT4_A_TTL_FREQS, 20256);
    ARR(w, FT4_A_TCPFLAGS, 0x12);
    ARR(w, FT4_A_TCPFLAG_FREQS, 20256);
    assert_record(&r, &w);
}

/* Spec example: 64942 packets all from source port 5181; and the same past
 * the 65535 packets a simple flow holds. */
static void test_common_spec_example(void **state)
{
    (void)state;
    const long counts[] = {64942, 65535, 65536, 70000};
    for (size_t i = 0; i < 4; i++) {
        ft_flow_table *t = table(16);
        ft_packet p = pkt(A(1, 2, 3, 4), A(5, 6, 7, 8), 17, 5181, 1900);
        p.ip_len = 120;
        p.spoofed = 1;
        add_n(t, &p, counts[i]);
        ft4_record r = emit_one(t);
        ft_flow_table_free(t);
        ft4_record w = expect(A(1, 2, 3, 4), A(5, 6, 0, 0), 1900, 17,
                              counts[i]);
        w.uniq_dst_ips = w.uniq_pkt_sizes = w.uniq_ttls = 1;
        w.uniq_src_ports = 1;
        ARR(w, FT4_A_PKTSIZES, 120);
        ARR(w, FT4_A_PKTSIZE_FREQS, counts[i]);
        ARR(w, FT4_A_TTLS, 64);
        ARR(w, FT4_A_TTL_FREQS, counts[i]);
        ARR(w, FT4_A_SRCPORTS, 5181);
        ARR(w, FT4_A_SRCPORT_FREQS, counts[i]);
        w.spoofed_packet_cnt = counts[i];
        assert_record(&r, &w);
    }
}

/* ---- distinct destinations ---------------------------------------------- */

static void dst_sweep(int prefix, uint32_t n, int repeat)
{
    ft_flow_table *t = table(prefix);
    uint32_t dom = prefix == 16 ? 65536 : 256;
    uint32_t base = prefix == 16 ? A(44, 7, 0, 0) : A(44, 7, 9, 0);
    /* n distinct hosts in a scrambled order (odd multiplier permutes) */
    for (int r = 0; r < repeat; r++) {
        for (uint32_t i = 0; i < n; i++) {
            uint32_t h = (i * 40503u + 12345u) & (dom - 1);
            ft_packet p = pkt(A(3, 3, 3, 3), base | h, 6, 5555, 445);
            p.tcp_flags = 0x02;
            add(t, &p);
        }
    }
    ft4_record r = emit_one(t);
    assert_int_equal(r.dst_net, base);
    assert_int_equal(r.uniq_dst_ips, n);
    assert_int_equal(r.packet_cnt, (int64_t)n * repeat);
    assert_int_equal(r.uniq_pkt_sizes, 1);
    assert_int_equal(r.arr[FT4_A_SRCPORT_FREQS].v[0], (int64_t)n * repeat);
    ft_flow_table_free(t);
}

static void test_uniq_dst_16(void **state)
{
    (void)state;
    const uint32_t ns[] = {1, 2, 3, 4, 100, 1536, 1537, 3000, 4096, 4097,
                           30000, 65535, 65536};
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
        dst_sweep(16, ns[i], 1);
        dst_sweep(16, ns[i], 2);
    }
}

static void test_uniq_dst_24(void **state)
{
    (void)state;
    const uint32_t ns[] = {1, 2, 3, 4, 6, 7, 100, 255, 256};
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
        dst_sweep(24, ns[i], 1);
        dst_sweep(24, ns[i], 3);
    }
}

/* Host part 0 (x.y.0.0) counts like any other. */
static void test_uniq_dst_host_zero(void **state)
{
    (void)state;
    const uint32_t hosts[] = {0, 0, 1, 0, 2, 65535, 0, 3, 3};
    ft_flow_table *t = table(16);
    for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
        ft_packet p = pkt(A(3, 3, 3, 3), A(44, 7, 0, 0) | hosts[i], 6, 1, 2);
        add(t, &p);
    }
    ft4_record r = emit_one(t);
    assert_int_equal(r.uniq_dst_ips, 5);
    for (uint32_t i = 0; i < 5000; i++) {
        ft_packet p = pkt(A(3, 3, 3, 3), A(44, 7, 0, 0) | (i % 2500), 6, 1, 2);
        add(t, &p);
    }
    r = emit_one(t);
    assert_int_equal(r.uniq_dst_ips, 2500);
    ft_flow_table_free(t);
}

static void test_prefix24_keys(void **state)
{
    (void)state;
    ft_flow_table *t = table(24);
    ft_packet p = pkt(A(1, 1, 1, 1), A(44, 1, 2, 3), 6, 1, 80);
    add(t, &p);
    p.dst = A(44, 1, 2, 200);
    add(t, &p);
    p.dst = A(44, 1, 3, 3);
    add(t, &p);
    sink s = {0};
    emit(t, &s);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.r[0].dst_net, A(44, 1, 2, 0));
    assert_int_equal(s.r[0].uniq_dst_ips, 2);
    assert_int_equal(s.r[0].packet_cnt, 2);
    assert_int_equal(s.r[1].dst_net, A(44, 1, 3, 0));
    assert_int_equal(s.r[1].uniq_dst_ips, 1);
    sink_free(&s);
    ft_flow_table_free(t);
}

/* ---- first SYN, per-protocol fields, counts -------------------------------- */

static ft_packet tcp_pkt(uint8_t flags, uint16_t win, uint8_t hlen)
{
    ft_packet p = pkt(A(1, 2, 3, 4), A(5, 6, 7, 8), 6, 33000, 80);
    p.tcp_flags = flags;
    p.tcp_win = win;
    p.tcp_hlen = hlen;
    return p;
}

static void test_first_syn(void **state)
{
    (void)state;
    ft_flow_table *t = table(16);
    ft_packet seq[] = {
        tcp_pkt(0x12, 111, 20), /* SYN+ACK */
        tcp_pkt(0x42, 222, 20), /* SYN+ECE */
        tcp_pkt(0xc2, 333, 20), /* SYN+ECE+CWR */
        tcp_pkt(0x03, 444, 20), /* SYN+FIN */
        tcp_pkt(0x02, 1234, 16), /* the first exact SYN; offset 4 */
        tcp_pkt(0x02, 999, 20),
        tcp_pkt(0x02, 1024, 44),
    };
    for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++)
        add(t, &seq[i]);
    ft4_record r = emit_one(t);
    assert_int_equal(r.first_syn_length, 16);
    assert_int_equal(r.first_tcp_rwin, 1234);
    assert_int_equal(r.uniq_tcp_flags, 5);
    /* first exact SYN right away, then nothing but other flags */
    ft_packet a = tcp_pkt(0x02, 65535, 60);
    add(t, &a);
    ft_packet b = tcp_pkt(0x10, 7, 20);
    add_n(t, &b, 3);
    r = emit_one(t);
    assert_int_equal(r.first_syn_length, 60);
    assert_int_equal(r.first_tcp_rwin, 65535);
    /* the exact SYN arrives after the flow went multi-valued */
    add(t, &b);
    b.ip_len = 52;
    add(t, &b);
    add(t, &seq[6]);
    add(t, &seq[5]);
    r = emit_one(t);
    assert_int_equal(r.first_syn_length, 44);
    assert_int_equal(r.first_tcp_rwin, 1024);
    /* a SYN with window 0 and data offset 0 is still reported */
    ft_packet z = tcp_pkt(0x02, 0, 0);
    add(t, &z);
    ft_packet later = tcp_pkt(0x02, 5, 20);
    add(t, &later);
    r = emit_one(t);
    assert_int_equal(r.first_syn_length, 0);
    assert_int_equal(r.first_tcp_rwin, 0);
    /* none */
    add(t, &seq[0]);
    add(t, &seq[1]);
    r = emit_one(t);
    assert_int_equal(r.first_syn_length, 0);
    assert_int_equal(r.first_tcp_rwin, 0);
    ft_flow_table_free(t);
}

/* Source ports only for TCP/UDP, flag bytes only for TCP; header-less
 * TCP packets count port 0 and flag byte 0 as real values. */
static void test_protocol_fields(void **state)
{
    (void)state;
    ft_flow_table *t = table(16);
    ft_packet icmp = pkt(A(8, 8, 8, 8), A(44, 0, 0, 1), 1, 0, 771);
    icmp.ip_len = 56;
    add_n(t, &icmp, 3);
    ft_packet udp = pkt(A(8, 8, 8, 8), A(44, 0, 0, 1), 17, 53, 33434);
    add(t, &udp);
    udp.src_port = 54;
    add(t, &udp);
    ft_packet gre = pkt(A(8, 8, 8, 8), A(44, 0, 0, 1), 47, 0, 0);
    gre.has_transport = 0;
    gre.spoofed = 1;
    add(t, &gre);
    ft_packet tcp = pkt(A(8, 8, 8, 8), A(44, 0, 0, 1), 6, 4000, 0);
    add(t, &tcp);
    ft_packet frag = pkt(A(8, 8, 8, 8), A(44, 0, 0, 1), 6, 0, 0);
    frag.has_transport = 0;
    frag.tcp_flags = 0;
    frag.tcp_win = 0;
    frag.tcp_hlen = 0;
    frag.spoofed = 1;
    add(t, &frag);
    sink s = {0};
    emit(t, &s);
    assert_int_equal(s.n, 4);

    ft4_record w = expect(A(8, 8, 8, 8), A(44, 0, 0, 0), 0, 6, 2);
    w.uniq_dst_ips = w.uniq_pkt_sizes = w.uniq_ttls = 1;
    w.uniq_src_ports = 2;
    w.uniq_tcp_flags = 2;
    w.spoofed_packet_cnt = 1;
    ARR(w, FT4_A_PKTSIZES, 40);
    ARR(w, FT4_A_PKTSIZE_FREQS, 2);
    ARR(w, FT4_A_TTLS, 64);
    ARR(w, FT4_A_TTL_FREQS, 2);
    assert_record(&s.r[0], &w); /* P = 2, n = 2: no common port/flags */

    w = expect(A(8, 8, 8, 8), A(44, 0, 0, 0), 0, 47, 1);
    w.uniq_dst_ips = w.uniq_pkt_sizes = w.uniq_ttls = 1;
    w.spoofed_packet_cnt = 1;
    ARR(w, FT4_A_PKTSIZES, 40);
    ARR(w, FT4_A_PKTSIZE_FREQS, 1);
    ARR(w, FT4_A_TTLS, 64);
    ARR(w, FT4_A_TTL_FREQS, 1);
    assert_record(&s.r[1], &w);

    w = expect(A(8, 8, 8, 8), A(44, 0, 0, 0), 771, 1, 3);
    w.uniq_dst_ips = w.uniq_pkt_sizes = w.uniq_ttls = 1;
    ARR(w, FT4_A_PKTSIZES, 56);
    ARR(w, FT4_A_PKTSIZE_FREQS, 3);
    ARR(w, FT4_A_TTLS, 64);
    ARR(w, FT4_A_TTL_FREQS, 3);
    assert_record(&s.r[2], &w);

    w = expect(A(8, 8, 8, 8), A(44, 0, 0, 0), 33434, 17, 2);
    w.uniq_dst_ips = w.uniq_pkt_sizes = w.uniq_ttls = 1;
    w.uniq_src_ports = 2;
    ARR(w, FT4_A_PKTSIZES, 40);
    ARR(w, FT4_A_PKTSIZE_FREQS, 2);
    ARR(w, FT4_A_TTLS, 64);
    ARR(w, FT4_A_TTL_FREQS, 2);
    assert_record(&s.r[3], &w);
    sink_free(&s);

    /* a header-less TCP flow on its own: port 0 and flag byte 0 */
    add_n(t, &frag, 2);
    ft4_record r = emit_one(t);
    assert_int_equal(r.uniq_src_ports, 1);
    assert_int_equal(r.arr[FT4_A_SRCPORTS].n, 1);
    assert_int_equal(r.arr[FT4_A_SRCPORTS].v[0], 0);
    assert_int_equal(r.uniq_tcp_flags, 1);
    assert_int_equal(r.arr[FT4_A_TCPFLAGS].v[0], 0);
    assert_int_equal(r.arr[FT4_A_TCPFLAG_FREQS].v[0], 2);
    ft_flow_table_free(t);
}

static void test_spoofed_masscan_counts(void **state)
{
    (void)state;
    ft_flow_table *t = table(16);
    ft_packet p = tcp_pkt(0x02, 1024, 20);
    p.ttl = 250;
    p.masscan = 1;
    add_n(t, &p, 5);
    p.masscan = 0;
    p.spoofed = 1;
    add_n(t, &p, 3);
    ft4_record r = emit_one(t);
    assert_int_equal(r.packet_cnt, 8);
    assert_int_equal(r.masscan_packet_cnt, 5);
    assert_int_equal(r.spoofed_packet_cnt, 3);
    /* the same through the extended path */
    add_n(t, &p, 2);
    p.ttl = 10;
    p.spoofed = 0;
    p.masscan = 1;
    add_n(t, &p, 4);
    p.dst++;
    p.spoofed = 1;
    add(t, &p);
    r = emit_one(t);
    assert_int_equal(r.packet_cnt, 7);
    assert_int_equal(r.spoofed_packet_cnt, 3);
    assert_int_equal(r.masscan_packet_cnt, 5);
    assert_int_equal(r.uniq_ttls, 2);
    assert_int_equal(r.uniq_dst_ips, 2);
    ft_flow_table_free(t);
}

/* ---- tags, emit errors, memory ------------------------------------------ */

typedef struct tagger { int calls; uint32_t last; } tagger;

static void tag_fn(void *ctx, uint32_t src, ft4_record *r)
{
    tagger *g = ctx;
    g->calls++;
    g->last = src;
    if (src == A(1, 0, 0, 1)) {
        ft4_tag_set(&r->tag[FT4_T_MAXMIND_CONTINENT], "EU", 2);
        ft4_tag_set(&r->tag[FT4_T_MAXMIND_COUNTRY], "DE", 2);
        ft4_tag_set(&r->tag[FT4_T_NETACQ_CONTINENT], "EU", 2);
        ft4_tag_set(&r->tag[FT4_T_NETACQ_COUNTRY], "FR", 2);
        r->prefix2asn = 3320;
    } else if (src == A(2, 0, 0, 2)) {
        ft4_tag_set(&r->tag[FT4_T_NETACQ_COUNTRY], "US", 2);
    }
}

static void test_tags(void **state)
{
    (void)state;
    ft_flow_table *t = table(16);
    const uint32_t srcs[] = {A(2, 0, 0, 2), A(1, 0, 0, 1), A(3, 0, 0, 3),
                             A(1, 0, 0, 1), A(2, 0, 0, 2), A(1, 0, 0, 1)};
    for (size_t i = 0; i < 6; i++) {
        ft_packet p = pkt(srcs[i], A(44, 0, 0, 1), 6, 1, (uint16_t)(80 + i));
        add(t, &p);
    }
    tagger g = {0};
    sink s = {0};
    ft_error err;
    assert_int_equal(ft_flow_table_emit(t, 0, tag_fn, &g, collect, &s, &err), 0);
    assert_int_equal(g.calls, 3); /* once per distinct source */
    assert_int_equal(s.n, 6);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(s.r[i].src_ip, A(1, 0, 0, 1));
        assert_string_equal(s.r[i].tag[FT4_T_MAXMIND_CONTINENT].s, "EU");
        assert_string_equal(s.r[i].tag[FT4_T_MAXMIND_COUNTRY].s, "DE");
        assert_string_equal(s.r[i].tag[FT4_T_NETACQ_COUNTRY].s, "FR");
        assert_int_equal(s.r[i].prefix2asn, 3320);
        assert_int_equal(s.r[i].time, 0);
    }
    for (size_t i = 3; i < 5; i++) {
        assert_string_equal(s.r[i].tag[FT4_T_MAXMIND_CONTINENT].s, "??");
        assert_string_equal(s.r[i].tag[FT4_T_NETACQ_COUNTRY].s, "US");
        assert_int_equal(s.r[i].prefix2asn, 0);
    }
    assert_string_equal(s.r[5].tag[FT4_T_NETACQ_COUNTRY].s, "??");
    assert_int_equal(s.r[5].tag[FT4_T_NETACQ_COUNTRY].len, 2);
    sink_free(&s);
    ft_flow_table_free(t);
}

static void test_emit_error_drains(void **state)
{
    (void)state;
    ft_flow_table *t = table(16);
    size_t base = ft_flow_table_memory(t);
    for (uint32_t i = 0; i < 5000; i++) {
        ft_packet p = pkt(A(1, 0, 0, 1) + i, A(44, 0, 0, 1), 6, 1, 80);
        add(t, &p);
        p.ttl = 3;
        add(t, &p);
    }
    assert_true(ft_flow_table_memory(t) > base);
    sink s = {.fail_at = 3};
    ft_error err;
    assert_int_equal(ft_flow_table_emit(t, 0, NULL, NULL, collect, &s, &err),
                     -1);
    assert_string_equal(err.msg, "sink: refused");
    assert_int_equal(s.n, 2);
    assert_int_equal(ft_flow_table_flows(t), 0);
    assert_int_equal(ft_flow_table_memory(t), base);
    sink_free(&s);
    /* reusable afterwards */
    ft_packet p = pkt(A(1, 0, 0, 1), A(44, 0, 0, 1), 6, 1, 80);
    add(t, &p);
    ft4_record r = emit_one(t);
    assert_int_equal(r.packet_cnt, 1);
    assert_int_equal(ft_flow_table_memory(t), base);
    ft_flow_table_free(t);
}

static void test_memory(void **state)
{
    (void)state;
    ft_flow_table *t = table(16);
    size_t base = ft_flow_table_memory(t);
    assert_true(base > 0 && base < 64 * 1024);
    /* 200,000 one-packet flows: tens of bytes each */
    const size_t n = 200000;
    for (uint32_t i = 0; i < n; i++) {
        ft_packet p = pkt(A(1, 0, 0, 0) + i, A(44, 0, 0, 1), 6, 1, 80);
        add(t, &p);
    }
    size_t per = ft_flow_table_memory(t) / n;
    print_message("# %zu one-packet flows: %zu bytes/flow\n", n, per);
    assert_true(per <= 86);
    sink s = {0};
    emit(t, &s);
    sink_free(&s);
    assert_int_equal(ft_flow_table_memory(t), base);
    /* a full /16 sweep costs about the 8 KiB bitmap */
    for (uint32_t h = 0; h < 65536; h++) {
        ft_packet p = pkt(A(6, 6, 6, 6), A(44, 9, 0, 0) + h, 6, 61000, 23);
        p.tcp_flags = 0x02;
        add(t, &p);
    }
    size_t sweep = ft_flow_table_memory(t) - base;
    print_message("# /16 sweep flow: %zu bytes\n", sweep);
    assert_true(sweep >= 8192 && sweep <= 8192 + 23000);
    ft4_record r = emit_one(t);
    assert_int_equal(r.uniq_dst_ips, 65536);
    ft_flow_table_free(t);
}

/* ---- randomised check against a naive model ------------------------------ */

enum { RF = 6 }; /* flows */

typedef struct model {
    uint64_t pkts, spoofed, masscan;
    uint32_t cnt[4][65536]; /* size, sport, ttl, flags */
    uint8_t dst[65536];
    int syn_seen;
    int syn_len, syn_win;
} model;

static uint64_t rng_state = 88172645463325252ull;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)rng_state;
}

/* A value from a skewed distribution over `dom` values with `spread`. */
static uint16_t pick(uint32_t dom, uint32_t spread)
{
    uint32_t r = rnd();
    if (r % 4 == 0)
        return (uint16_t)(rnd() % dom);
    return (uint16_t)((r >> 8) % spread % dom);
}

static void model_check(const model *m, const ft4_record *r, int proto)
{
    assert_int_equal(r->packet_cnt, m->pkts);
    assert_int_equal(r->spoofed_packet_cnt, m->spoofed);
    assert_int_equal(r->masscan_packet_cnt, m->masscan);
    int dsts = 0;
    for (int h = 0; h < 65536; h++)
        dsts += m->dst[h];
    assert_int_equal(r->uniq_dst_ips, dsts);
    assert_int_equal(r->first_syn_length, m->syn_seen ? m->syn_len : 0);
    assert_int_equal(r->first_tcp_rwin, m->syn_seen ? m->syn_win : 0);
    const int arr[4] = {FT4_A_PKTSIZES, FT4_A_SRCPORTS, FT4_A_TTLS,
                        FT4_A_TCPFLAGS};
    const int32_t uniq[4] = {r->uniq_pkt_sizes, r->uniq_src_ports,
                             r->uniq_ttls, r->uniq_tcp_flags};
    for (int a = 0; a < 4; a++) {
        int applies = a == 1 ? proto == 6 || proto == 17 : a == 3 ? proto == 6 : 1;
        uint32_t n = 0;
        for (int v = 0; v < 65536; v++)
            n += m->cnt[a][v] != 0;
        int64_t vals[5], fr[5];
        uint32_t k = 0;
        uint64_t P = m->pkts;
        for (int v = 0; v < 65536 && k < 5; v++) {
            uint64_t c = m->cnt[a][v];
            if (!c)
                continue;
            /* ratio as a fraction num/den */
            uint64_t num, den = 100;
            if (P < 10)
                num = n < 4 ? 100 : n < 7 ? 50 : 33;
            else
                num = n < 15 ? 33 : 20;
            if (c * den >= num * P) {
                vals[k] = v;
                fr[k++] = (int64_t)c;
            }
        }
        if (!applies) {
            n = 0;
            k = 0;
        }
        assert_int_equal(uniq[a], n);
        assert_int_equal(r->arr[arr[a]].n, k);
        assert_int_equal(r->arr[arr[a] + 1].n, k);
        for (uint32_t i = 0; i < k; i++) {
            assert_int_equal(r->arr[arr[a]].v[i], vals[i]);
            assert_int_equal(r->arr[arr[a] + 1].v[i], fr[i]);
        }
    }
}

static void test_random_against_model(void **state)
{
    (void)state;
    for (int round = 0; round < 8; round++) {
        model *m = calloc(RF, sizeof *m);
        assert_non_null(m);
        ft_flow_table *t = table(16);
        const uint8_t protos[RF] = {6, 6, 17, 1, 6, 47};
        /* flows differ in how spread out their values are */
        const uint32_t spread[RF] = {1, 3, 40, 2, 70000, 9};
        long npkts = 2000 + round * 3000;
        ft_packet batch[600];
        size_t nb = 0, want = 1;
        for (long i = 0; i < npkts; i++) {
            int f = (int)(rnd() % RF);
            if (round % 2 && f > 2 && rnd() % 8)
                f = 0; /* some rounds: one dominant flow */
            ft_packet p = pkt(A(1, 0, 0, 1) + (uint32_t)f, A(44, 1, 0, 0),
                              protos[f], 0, 443);
            uint32_t sp = spread[f];
            p.dst |= pick(65536, sp * 7);
            p.ip_len = pick(65536, sp);
            p.ttl = (uint8_t)pick(256, sp);
            if (protos[f] == 6 || protos[f] == 17)
                p.src_port = pick(65536, sp * 3);
            if (protos[f] == 6) {
                p.tcp_flags = (uint8_t)(rnd() % 3 == 0 ? 2 : pick(256, sp));
                p.tcp_win = (uint16_t)rnd();
                p.tcp_hlen = (uint8_t)(rnd() % 16 * 4);
            } else {
                p.tcp_flags = 0;
                p.tcp_win = 0;
                p.tcp_hlen = 0;
            }
            p.spoofed = rnd() % 5 == 0;
            p.masscan = rnd() % 7 == 0;
            if (round % 2 == 0) {
                add(t, &p);
            } else {
                /* batches of random size, with non-IPv4 packets mixed in */
                batch[nb++] = p;
                if (rnd() % 4 == 0) {
                    batch[nb] = p;
                    batch[nb++].status = FT_PKT_NOT_IPV4;
                }
                if (nb >= want || i == npkts - 1) {
                    ft_error err;
                    assert_int_equal(ft_flow_table_add_many(t, batch, nb, &err), 0);
                    nb = 0;
                    want = 1 + rnd() % 300;
                }
            }
            model *q = &m[f];
            q->pkts++;
            q->spoofed += p.spoofed;
            q->masscan += p.masscan;
            q->cnt[0][p.ip_len]++;
            q->cnt[1][p.src_port]++;
            q->cnt[2][p.ttl]++;
            q->cnt[3][p.tcp_flags]++;
            q->dst[p.dst & 0xffff] = 1;
            if (p.tcp_flags == 2 && !q->syn_seen) {
                q->syn_seen = 1;
                q->syn_len = p.tcp_hlen;
                q->syn_win = p.tcp_win;
            }
        }
        sink s = {0};
        emit(t, &s);
        size_t k = 0;
        for (int f = 0; f < RF; f++) {
            if (!m[f].pkts)
                continue;
            assert_true(k < s.n);
            assert_int_equal(s.r[k].src_ip, A(1, 0, 0, 1) + (uint32_t)f);
            model_check(&m[f], &s.r[k], protos[f]);
            k++;
        }
        assert_int_equal(k, s.n);
        sink_free(&s);
        ft_flow_table_free(t);
        free(m);
    }
}

/* add_many gives exactly what add gives, also when the table grows in
 * the middle of a batch and when one batch holds a flow's first packets. */
static void test_add_many_same_as_add(void **state)
{
    (void)state;
    static ft_packet ps[60000];
    for (size_t i = 0; i < 60000; i++) {
        uint32_t r = rnd();
        ft_packet p = pkt(A(20, 0, 0, 0) + r % 3000, A(44, 0, 0, 0) + (rnd() & 0x3ffff),
                          (uint8_t)(r % 3 ? 6 : 17), (uint16_t)(rnd() % 4),
                          (uint16_t)(rnd() % 3));
        p.ip_len = (uint16_t)(40 + rnd() % 3);
        p.ttl = (uint8_t)(rnd() % 2 ? 64 : 250);
        if (p.proto == 6)
            p.tcp_flags = (uint8_t)(rnd() % 2 ? 0x02 : 0x12);
        p.tcp_win = (uint16_t)rnd();
        p.spoofed = rnd() % 2;
        if (rnd() % 50 == 0)
            p.status = FT_PKT_MALFORMED;
        ps[i] = p;
    }
    ft_flow_table *one = table(16), *many = table(16);
    ft_error err;
    for (size_t i = 0; i < 60000; i++)
        assert_int_equal(ft_flow_table_add(one, &ps[i], &err), 0);
    for (size_t i = 0, k = 1; i < 60000; i += k, k = k * 3 % 1000 + 1) {
        size_t n = i + k > 60000 ? 60000 - i : k;
        assert_int_equal(ft_flow_table_add_many(many, ps + i, n, &err), 0);
    }
    assert_int_equal(ft_flow_table_flows(one), ft_flow_table_flows(many));
    assert_int_equal(ft_flow_table_packets(one), ft_flow_table_packets(many));
    assert_int_equal(ft_flow_table_memory(one), ft_flow_table_memory(many));
    assert_int_equal(ft_flow_table_add_many(many, ps, 0, &err), 0);
    sink a = {0}, b = {0};
    emit(one, &a);
    emit(many, &b);
    assert_int_equal(a.n, b.n);
    assert_true(a.n > 10000);
    for (size_t i = 0; i < a.n; i++)
        assert_record(&b.r[i], &a.r[i]);
    sink_free(&a);
    sink_free(&b);
    ft_flow_table_free(one);
    ft_flow_table_free(many);
}

/* ft_flow_table_add_weighted(p, n) gives exactly what n ft_flow_table_add
 * calls give: random flows, values and counts (0, small, and large enough
 * to outgrow a simple slot), SYNs with any header length, non-IPv4. */
static void test_weighted_same_as_add(void **state)
{
    (void)state;
    for (int round = 0; round < 6; round++) {
        ft_flow_table *w = table(round % 2 ? 24 : 16), *one = table(round % 2 ? 24 : 16);
        ft_error err;
        uint64_t total = 0;
        for (int i = 0; i < 3000; i++) {
            uint32_t r = rnd();
            int f = (int)(r % 40);
            uint8_t proto = (uint8_t)(f % 4 == 3 ? 1 : f % 4 == 2 ? 17 : 6);
            ft_packet p = pkt(A(9, 0, 0, 0) + (uint32_t)f % 13,
                              A(44, 3, 0, 0) + (uint32_t)(f % 3) * 256,
                              proto, 0, (uint16_t)(f % 5));
            /* flows f < 20 keep one value set; the others vary */
            uint32_t sp = f < 20 ? 1 : (uint32_t)(f - 18) * 3;
            p.dst |= pick(256, sp);
            p.ip_len = (uint16_t)(40 + pick(65536, sp));
            p.ttl = (uint8_t)pick(256, sp);
            if (proto == 6 || proto == 17)
                p.src_port = pick(65536, sp);
            if (proto == 6) {
                p.tcp_flags = (uint8_t)(rnd() % 3 == 0 ? 2 : 0x10 | pick(4, sp));
                p.tcp_hlen = (uint8_t)rnd(); /* converted FT3: any value */
                p.tcp_win = (uint16_t)rnd();
            }
            p.spoofed = f % 7 == 0 || rnd() % 9 == 0;
            p.masscan = f % 5 == 0 || rnd() % 11 == 0;
            if (rnd() % 40 == 0)
                p.status = FT_PKT_NOT_IPV4;
            uint64_t n = rnd() % 3;
            if (rnd() % 5 == 0)
                n = rnd() % 300;
            if (rnd() % 500 == 0)
                n = 30000 + rnd() % 40000;
            assert_int_equal(ft_flow_table_add_weighted(w, &p, n, &err), 0);
            for (uint64_t k = 0; k < n; k++)
                add(one, &p);
            total += p.status == FT_PKT_IPV4 ? n : 0;
        }
        assert_int_equal(ft_flow_table_packets(w), total);
        assert_int_equal(ft_flow_table_packets(w), ft_flow_table_packets(one));
        assert_int_equal(ft_flow_table_flows(w), ft_flow_table_flows(one));
        assert_int_equal(ft_flow_table_memory(w), ft_flow_table_memory(one));
        sink a = {0}, b = {0};
        emit(one, &a);
        emit(w, &b);
        assert_int_equal(a.n, b.n);
        assert_true(a.n > 20);
        for (size_t i = 0; i < a.n; i++)
            assert_record(&b.r[i], &a.r[i]);
        sink_free(&a);
        sink_free(&b);
        ft_flow_table_free(w);
        ft_flow_table_free(one);
    }
}

/* Counts past 2^16 (simple slot) and 2^32 (value counters) stay exact. */
static void test_weighted_large_counts(void **state)
{
    (void)state;
    const int64_t big = ((int64_t)1 << 32) + 7; /* > 2^32 - 1 */
    ft_flow_table *t = table(16);
    ft_error err;
    ft_packet p = pkt(A(1, 2, 3, 4), A(44, 0, 0, 1), 6, 1000, 80);
    p.tcp_flags = FT_TCP_SYN;
    p.tcp_hlen = 44;
    p.tcp_win = 29200;
    p.spoofed = 1;
    assert_int_equal(ft_flow_table_add_weighted(t, &p, (uint64_t)big, &err), 0);
    ft_packet q = p; /* a second size and host, 2^32 + 9 packets */
    q.ip_len = 60;
    q.dst = A(44, 0, 0, 2);
    q.tcp_hlen = 40;
    q.spoofed = 0;
    q.masscan = 1;
    assert_int_equal(ft_flow_table_add_weighted(t, &q, (uint64_t)big + 2, &err), 0);
    ft_packet s3 = p; /* and a third size, 3 packets */
    s3.ip_len = 52;
    assert_int_equal(ft_flow_table_add_weighted(t, &s3, 3, &err), 0);
    add(t, &s3);
    assert_int_equal(ft_flow_table_add_weighted(t, &s3, 0, &err), 0);
    assert_int_equal(ft_flow_table_packets(t), 2 * big + 6);

    ft4_record r = emit_one(t);
    ft4_record want = expect(A(1, 2, 3, 4), A(44, 0, 0, 0), 80, 6, 2 * big + 6);
    want.spoofed_packet_cnt = big + 4;
    want.masscan_packet_cnt = big + 2;
    want.uniq_dst_ips = 2;
    want.first_syn_length = 44;
    want.first_tcp_rwin = 29200;
    want.uniq_pkt_sizes = 3;
    want.uniq_ttls = want.uniq_src_ports = want.uniq_tcp_flags = 1;
    ARR(want, FT4_A_PKTSIZES, 40, 60);
    ARR(want, FT4_A_PKTSIZE_FREQS, big, big + 2);
    ARR(want, FT4_A_TTLS, 64);
    ARR(want, FT4_A_TTL_FREQS, 2 * big + 6);
    ARR(want, FT4_A_SRCPORTS, 1000);
    ARR(want, FT4_A_SRCPORT_FREQS, 2 * big + 6);
    ARR(want, FT4_A_TCPFLAGS, 2);
    ARR(want, FT4_A_TCPFLAG_FREQS, 2 * big + 6);
    assert_record(&r, &want);

    /* a flow born with more packets than a simple slot holds */
    p.tcp_flags = 0x12;
    assert_int_equal(ft_flow_table_add_weighted(t, &p, 70000, &err), 0);
    r = emit_one(t);
    assert_int_equal(r.packet_cnt, 70000);
    assert_int_equal(r.spoofed_packet_cnt, 70000);
    assert_int_equal(r.first_syn_length, 0);
    assert_int_equal(r.arr[FT4_A_TCPFLAG_FREQS].v[0], 70000);
    ft_flow_table_free(t);
}

static void test_reserve(void **state)
{
    (void)state;
    ft_flow_table *t = table(16);
    ft_error err;
    size_t base = ft_flow_table_memory(t);
    assert_int_equal(ft_flow_table_reserve(t, 100, &err), 0);
    assert_int_equal(ft_flow_table_memory(t), base); /* 1024 slots hold it */
    ft_packet p = pkt(A(1, 1, 1, 1), A(44, 0, 0, 1), 6, 1, 80);
    add(t, &p);
    assert_int_equal(ft_flow_table_reserve(t, 100000, &err), 0);
    size_t big = ft_flow_table_memory(t);
    assert_true(big >= base + 100000 * 32 * 4 / 3 - 1024 * 32);
    for (uint32_t i = 0; i < 100000; i++) {
        p.src = A(2, 0, 0, 0) + i;
        add(t, &p);
    }
    assert_int_equal(ft_flow_table_memory(t), big); /* no growth */
    ft4_record r = emit_one_of(t, 100001, 0);
    assert_int_equal(r.src_ip, A(1, 1, 1, 1));
    assert_int_equal(ft_flow_table_memory(t), base);
    ft_flow_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_prefix),
        cmocka_unit_test(test_single_packet),
        cmocka_unit_test(test_non_ipv4_ignored),
        cmocka_unit_test(test_keys_and_order),
        cmocka_unit_test(test_many_flows_sorted),
        cmocka_unit_test(test_common_small_flows),
        cmocka_unit_test(test_common_large_flows),
        cmocka_unit_test(test_common_many_values),
        cmocka_unit_test(test_common_spec_example),
        cmocka_unit_test(test_uniq_dst_16),
        cmocka_unit_test(test_uniq_dst_24),
        cmocka_unit_test(test_uniq_dst_host_zero),
        cmocka_unit_test(test_prefix24_keys),
        cmocka_unit_test(test_first_syn),
        cmocka_unit_test(test_protocol_fields),
        cmocka_unit_test(test_spoofed_masscan_counts),
        cmocka_unit_test(test_tags),
        cmocka_unit_test(test_emit_error_drains),
        cmocka_unit_test(test_memory),
        cmocka_unit_test(test_random_against_model),
        cmocka_unit_test(test_add_many_same_as_add),
        cmocka_unit_test(test_reserve),
        cmocka_unit_test(test_weighted_same_as_add),
        cmocka_unit_test(test_weighted_large_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
