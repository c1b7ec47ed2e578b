/* test_packet.c - link types, IPv4/transport parsing rules and the
 * spoofing/masscan heuristics (FT4-SPEC sections 1 and 3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <pcap/dlt.h>

#include "packet.h"

/* ---- frame builders ----------------------------------------------------- */

typedef struct ip_spec {
    int version, ihl;     /* 4, 5 */
    int tot_len;          /* -1: header + l4 bytes */
    uint16_t frag;
    uint8_t ttl, proto;
    uint32_t src, dst;
    uint8_t l4[64];
    size_t l4len;
} ip_spec;

#define A(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))

static ip_spec ip_default(uint8_t proto)
{
    ip_spec s;
    memset(&s, 0, sizeof s);
    s.version = 4;
    s.ihl = 5;
    s.tot_len = -1;
    s.ttl = 64;
    s.proto = proto;
    s.src = A(1, 2, 3, 4);
    s.dst = A(5, 6, 7, 8);
    return s;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

/* TCP header with doff*4 bytes (at least the 20 fixed ones written). */
static ip_spec tcp(uint16_t sport, uint16_t dport, uint8_t flags, uint16_t win,
                   int doff)
{
    ip_spec s = ip_default(6);
    put16(s.l4, sport);
    put16(s.l4 + 2, dport);
    s.l4[12] = (uint8_t)(doff << 4);
    s.l4[13] = flags;
    put16(s.l4 + 14, win);
    s.l4len = doff * 4 < 20 ? 20 : (size_t)doff * 4;
    return s;
}

static ip_spec syn_ok(void) /* a plain, unsuspicious SYN */
{
    return tcp(40000, 80, 0x02, 64240, 5);
}

static ip_spec udp(uint16_t sport, uint16_t dport)
{
    ip_spec s = ip_default(17);
    put16(s.l4, sport);
    put16(s.l4 + 2, dport);
    put16(s.l4 + 4, 8);
    s.l4len = 8;
    return s;
}

static ip_spec icmp(uint8_t type, uint8_t code)
{
    ip_spec s = ip_default(1);
    s.l4[0] = type;
    s.l4[1] = code;
    s.l4len = 8;
    return s;
}

/* Writes the IPv4 packet; returns its length in bytes. */
static size_t put_ip(uint8_t *b, const ip_spec *s)
{
    size_t hl = (size_t)(s->ihl < 5 ? 5 : s->ihl) * 4;
    memset(b, 0, hl);
    b[0] = (uint8_t)(s->version << 4 | s->ihl);
    put16(b + 2, (uint16_t)(s->tot_len >= 0 ? (size_t)s->tot_len
                                            : hl + s->l4len));
    put16(b + 6, s->frag);
    b[8] = s->ttl;
    b[9] = s->proto;
    put32(b + 12, s->src);
    put32(b + 16, s->dst);
    for (size_t i = 20; i < hl; i++)
        b[i] = 1; /* NOP options */
    memcpy(b + hl, s->l4, s->l4len);
    return hl + s->l4len;
}

static const uint8_t mac12[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};

/* Ethernet frame with the given VLAN tag types (outermost first). */
static size_t put_eth(uint8_t *b, const uint16_t *tags, int ntags,
                      uint16_t type, const ip_spec *s)
{
    memcpy(b, mac12, 12);
    size_t off = 12;
    for (int i = 0; i < ntags; i++) {
        put16(b + off, tags[i]);
        put16(b + off + 2, (uint16_t)(100 + i)); /* TCI */
        off += 4;
    }
    put16(b + off, type);
    off += 2;
    return off + (s ? put_ip(b + off, s) : 0);
}

static ft_packet parse(int dlt, const uint8_t *b, size_t n)
{
    ft_packet p;
    memset(&p, 0xa5, sizeof p); /* parse must overwrite everything */
    int st = ft_packet_parse(dlt, b, (uint32_t)n, &p);
    assert_int_equal(st, p.status);
    return p;
}

/* Parses s as a DLT_IPV4 frame. */
static ft_packet parse_ip(const ip_spec *s)
{
    uint8_t b[256];
    size_t n = put_ip(b, s);
    return parse(DLT_IPV4, b, n);
}

/* The fields every 1.2.3.4 -> 5.6.7.8 TCP SYN 40000 -> 80 has. */
static void check_syn_fields(const ft_packet *p)
{
    assert_int_equal(p->status, FT_PKT_IPV4);
    assert_int_equal(p->src, A(1, 2, 3, 4));
    assert_int_equal(p->dst, A(5, 6, 7, 8));
    assert_int_equal(p->proto, 6);
    assert_int_equal(p->ttl, 64);
    assert_int_equal(p->ip_len, 40);
    assert_int_equal(p->has_transport, 1);
    assert_int_equal(p->src_port, 40000);
    assert_int_equal(p->dst_port, 80);
    assert_int_equal(p->tcp_flags, 0x02);
    assert_int_equal(p->tcp_hlen, 20);
    assert_int_equal(p->tcp_win, 64240);
    assert_int_equal(p->spoofed, 0);
    assert_int_equal(p->masscan, 0);
}

static void assert_not_ipv4(const ft_packet *p)
{
    assert_int_equal(p->status, FT_PKT_NOT_IPV4);
    assert_int_equal(p->src, 0);
    assert_int_equal(p->has_transport, 0);
    assert_int_equal(p->spoofed, 0);
}

/* ---- link layers -------------------------------------------------------- */

static void test_ethernet(void **state)
{
    (void)state;
    uint8_t b[256];
    ip_spec s = syn_ok();
    size_t n = put_eth(b, NULL, 0, 0x0800, &s);
    assert_int_equal(n, 54);
    ft_packet p = parse(DLT_EN10MB, b, n);
    check_syn_fields(&p);
}

static void test_vlan_stacks(void **state)
{
    (void)state;
    uint8_t b[256];
    ip_spec s = syn_ok();
    const uint16_t q[] = {0x8100};
    const uint16_t qinq[] = {0x88a8, 0x8100};
    const uint16_t old[] = {0x9100, 0x8100};
    const uint16_t deep[] = {0x88a8, 0x9100, 0x8100, 0x8100, 0x8100};
    ft_packet p;
    p = parse(DLT_EN10MB, b, put_eth(b, q, 1, 0x0800, &s));
    check_syn_fields(&p);
    p = parse(DLT_EN10MB, b, put_eth(b, qinq, 2, 0x0800, &s));
    check_syn_fields(&p);
    p = parse(DLT_EN10MB, b, put_eth(b, old, 2, 0x0800, &s));
    check_syn_fields(&p);
    p = parse(DLT_EN10MB, b, put_eth(b, deep, 5, 0x0800, &s));
    check_syn_fields(&p);
    /* IPv6 and ARP inside a tag are still not IPv4 */
    p = parse(DLT_EN10MB, b, put_eth(b, q, 1, 0x86dd, &s));
    assert_not_ipv4(&p);
    p = parse(DLT_EN10MB, b, put_eth(b, qinq, 2, 0x0806, &s));
    assert_not_ipv4(&p);
    /* frame ends inside the second tag */
    size_t n = put_eth(b, qinq, 2, 0x0800, &s);
    (void)n;
    p = parse(DLT_EN10MB, b, 18);
    assert_not_ipv4(&p);
    p = parse(DLT_EN10MB, b, 20);
    assert_not_ipv4(&p);
    /* tag complete, IP header missing: the link layer said IPv4 */
    p = parse(DLT_EN10MB, b, 22);
    assert_int_equal(p.status, FT_PKT_MALFORMED);
}

static void test_ethernet_not_ipv4(void **state)
{
    (void)state;
    uint8_t b[256];
    ip_spec s = syn_ok();
    ft_packet p;
    p = parse(DLT_EN10MB, b, put_eth(b, NULL, 0, 0x0806, &s)); /* ARP */
    assert_not_ipv4(&p);
    p = parse(DLT_EN10MB, b, put_eth(b, NULL, 0, 0x86dd, &s)); /* IPv6 */
    assert_not_ipv4(&p);
    p = parse(DLT_EN10MB, b, put_eth(b, NULL, 0, 0x0040, &s)); /* 802.3 */
    assert_not_ipv4(&p);
    p = parse(DLT_EN10MB, b, 13); /* shorter than the header */
    assert_not_ipv4(&p);
    p = parse(DLT_EN10MB, b, 0);
    assert_not_ipv4(&p);
}

static void test_linux_sll(void **state)
{
    (void)state;
    uint8_t b[256];
    ip_spec s = syn_ok();
    memset(b, 0, 16);
    put16(b, 0);      /* packet type: to us */
    put16(b + 2, 1);  /* ARPHRD_ETHER */
    put16(b + 4, 6);
    memcpy(b + 6, mac12, 6);
    put16(b + 14, 0x0800);
    size_t n = 16 + put_ip(b + 16, &s);
    ft_packet p = parse(DLT_LINUX_SLL, b, n);
    check_syn_fields(&p);
    put16(b + 14, 0x86dd);
    p = parse(DLT_LINUX_SLL, b, n);
    assert_not_ipv4(&p);
    put16(b + 14, 0x0806);
    p = parse(DLT_LINUX_SLL, b, n);
    assert_not_ipv4(&p);
    p = parse(DLT_LINUX_SLL, b, 15);
    assert_not_ipv4(&p);
    /* a VLAN tag after the protocol field */
    put16(b + 14, 0x8100);
    put16(b + 16, 5);
    put16(b + 18, 0x0800);
    n = 20 + put_ip(b + 20, &s);
    p = parse(DLT_LINUX_SLL, b, n);
    check_syn_fields(&p);
}

static void test_linux_sll2(void **state)
{
    (void)state;
    uint8_t b[256];
    ip_spec s = syn_ok();
    memset(b, 0, 20);
    put16(b, 0x0800);
    put32(b + 4, 3);  /* interface index */
    put16(b + 8, 1);  /* ARPHRD_ETHER */
    b[11] = 6;
    memcpy(b + 12, mac12, 6);
    size_t n = 20 + put_ip(b + 20, &s);
    ft_packet p = parse(DLT_LINUX_SLL2, b, n);
    check_syn_fields(&p);
    /* v1's protocol position (14) must not be used */
    put16(b + 14, 0x86dd);
    p = parse(DLT_LINUX_SLL2, b, n);
    check_syn_fields(&p);
    put16(b, 0x86dd);
    put16(b + 14, 0x0800);
    p = parse(DLT_LINUX_SLL2, b, n);
    assert_not_ipv4(&p);
    put16(b, 0x0800);
    p = parse(DLT_LINUX_SLL2, b, 19);
    assert_not_ipv4(&p);
}

static void test_bsd_loopback(void **state)
{
    (void)state;
    uint8_t b[256];
    ip_spec s = syn_ok();
    size_t n = 4 + put_ip(b + 4, &s);
    ft_packet p;
    const uint8_t le[4] = {2, 0, 0, 0}, be[4] = {0, 0, 0, 2};
    const uint8_t v6le[4] = {24, 0, 0, 0}, v6be[4] = {0, 0, 0, 30};
    const uint8_t v6linux[4] = {10, 0, 0, 0};
    memcpy(b, le, 4);
    p = parse(DLT_NULL, b, n);
    check_syn_fields(&p);
    memcpy(b, be, 4);
    p = parse(DLT_NULL, b, n);
    check_syn_fields(&p);
    memcpy(b, v6le, 4);
    p = parse(DLT_NULL, b, n);
    assert_not_ipv4(&p);
    memcpy(b, v6be, 4);
    p = parse(DLT_NULL, b, n);
    assert_not_ipv4(&p);
    memcpy(b, v6linux, 4);
    p = parse(DLT_NULL, b, n);
    assert_not_ipv4(&p);
    p = parse(DLT_NULL, b, 3);
    assert_not_ipv4(&p);
    /* DLT_LOOP: network byte order only */
    memcpy(b, be, 4);
    p = parse(DLT_LOOP, b, n);
    check_syn_fields(&p);
    memcpy(b, le, 4);
    p = parse(DLT_LOOP, b, n);
    assert_not_ipv4(&p);
    memcpy(b, v6be, 4);
    p = parse(DLT_LOOP, b, n);
    assert_not_ipv4(&p);
}

static void test_raw(void **state)
{
    (void)state;
    uint8_t b[256];
    ip_spec s = syn_ok();
    size_t n = put_ip(b, &s);
    ft_packet p;
    p = parse(DLT_RAW, b, n);
    check_syn_fields(&p);
    p = parse(101, b, n); /* LINKTYPE_RAW */
    check_syn_fields(&p);
    p = parse(DLT_IPV4, b, n);
    check_syn_fields(&p);
    /* version 6 under DLT_RAW: not IPv4; under DLT_IPV4: malformed */
    b[0] = 0x60;
    p = parse(DLT_RAW, b, n);
    assert_not_ipv4(&p);
    p = parse(DLT_IPV4, b, n);
    assert_int_equal(p.status, FT_PKT_MALFORMED);
    b[0] = 0x45;
    p = parse(DLT_RAW, b, 0);
    assert_not_ipv4(&p);
    p = parse(DLT_RAW, b, 19); /* version 4 but short: malformed */
    assert_int_equal(p.status, FT_PKT_MALFORMED);
}

static void test_dlt_support(void **state)
{
    (void)state;
    const int ok[] = {DLT_EN10MB, DLT_RAW, 101, DLT_IPV4, DLT_LINUX_SLL,
                      DLT_LINUX_SLL2, DLT_NULL, DLT_LOOP};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        assert_true(ft_packet_dlt_supported(ok[i]));
    assert_false(ft_packet_dlt_supported(DLT_IEEE802_11));
    assert_false(ft_packet_dlt_supported(DLT_PPP));
    assert_string_equal(ft_packet_dlt_name(DLT_EN10MB), "EN10MB");
    assert_string_equal(ft_packet_dlt_name(DLT_LINUX_SLL2), "LINUX_SLL2");
    assert_string_equal(ft_packet_dlt_name(101), "RAW");
    assert_string_equal(ft_packet_dlt_name(DLT_IEEE802_11), "IEEE802_11");
    assert_string_equal(ft_packet_dlt_name(99999), "unknown");
    /* an unsupported type parses as not IPv4 */
    uint8_t b[64];
    ip_spec s = syn_ok();
    size_t n = put_ip(b, &s);
    ft_packet p = parse(DLT_PPP, b, n);
    assert_not_ipv4(&p);
}

/* ---- IPv4 rules --------------------------------------------------------- */

static void test_malformed(void **state)
{
    (void)state;
    uint8_t b[256];
    ft_packet p;
    ip_spec s = syn_ok();
    s.ihl = 4;
    p = parse(DLT_EN10MB, b, put_eth(b, NULL, 0, 0x0800, &s));
    assert_int_equal(p.status, FT_PKT_MALFORMED);
    assert_int_equal(p.src, 0);
    s = syn_ok();
    s.ihl = 0;
    p = parse_ip(&s);
    assert_int_equal(p.status, FT_PKT_MALFORMED);
    s = syn_ok();
    s.version = 6; /* Ethernet says IPv4, header says 6 */
    p = parse(DLT_EN10MB, b, put_eth(b, NULL, 0, 0x0800, &s));
    assert_int_equal(p.status, FT_PKT_MALFORMED);
    s.version = 5; /* cooked v2 says IPv4, header says 5 */
    memset(b, 0, 20);
    put16(b, 0x0800);
    p = parse(DLT_LINUX_SLL2, b, 20 + put_ip(b + 20, &s));
    assert_int_equal(p.status, FT_PKT_MALFORMED);
    /* fewer than 20 bytes of IP header captured */
    s = syn_ok();
    size_t n = put_eth(b, NULL, 0, 0x0800, &s);
    p = parse(DLT_EN10MB, b, 14 + 19);
    assert_int_equal(p.status, FT_PKT_MALFORMED);
    p = parse(DLT_EN10MB, b, 14);
    assert_int_equal(p.status, FT_PKT_MALFORMED);
    p = parse(DLT_EN10MB, b, 14 + 20); /* exactly 20: fine, no TCP */
    assert_int_equal(p.status, FT_PKT_IPV4);
    assert_int_equal(p.has_transport, 0);
    assert_int_equal(p.ip_len, 40);
    (void)n;
}

static void test_ip_options(void **state)
{
    (void)state;
    ip_spec s = syn_ok();
    s.ihl = 7; /* 8 bytes of options */
    ft_packet p = parse_ip(&s);
    assert_int_equal(p.status, FT_PKT_IPV4);
    assert_int_equal(p.ip_len, 48);
    assert_int_equal(p.src_port, 40000);
    assert_int_equal(p.dst_port, 80);
    assert_int_equal(p.tcp_flags, 0x02);
    assert_int_equal(p.tcp_win, 64240);
    assert_int_equal(p.spoofed, 0);
    /* options cut short by the capture: header present, transport not */
    uint8_t b[128];
    size_t n = put_ip(b, &s);
    p = parse(DLT_IPV4, b, 24);
    assert_int_equal(p.status, FT_PKT_IPV4);
    assert_int_equal(p.has_transport, 0);
    /* transport cut short by one byte */
    p = parse(DLT_IPV4, b, (uint32_t)n - 1);
    assert_int_equal(p.has_transport, 0);
    assert_int_equal(p.src_port, 0);
    assert_int_equal(p.dst_port, 0);
    assert_int_equal(p.tcp_flags, 0);
    assert_int_equal(p.tcp_win, 0);
    assert_int_equal(p.tcp_hlen, 0);
    assert_int_equal(p.spoofed, 1); /* rule 6: TCP port 0 */
}

static void test_truncated_capture(void **state)
{
    (void)state;
    uint8_t b[256];
    ip_spec s = udp(5353, 5353);
    size_t n = put_ip(b, &s);
    ft_packet p = parse(DLT_RAW, b, (uint32_t)n);
    assert_int_equal(p.has_transport, 1);
    assert_int_equal(p.spoofed, 0);
    p = parse(DLT_RAW, b, 27); /* 7 of 8 UDP bytes */
    assert_int_equal(p.status, FT_PKT_IPV4);
    assert_int_equal(p.has_transport, 0);
    assert_int_equal(p.ip_len, 28); /* as written */
    assert_int_equal(p.src_port, 0);
    assert_int_equal(p.dst_port, 0);
    assert_int_equal(p.spoofed, 1);
    /* a snaplen-cut TCP packet */
    s = syn_ok();
    n = put_eth(b, NULL, 0, 0x0800, &s);
    p = parse(DLT_EN10MB, b, 14 + 20 + 19);
    assert_int_equal(p.has_transport, 0);
    assert_int_equal(p.ip_len, 40);
    assert_int_equal(p.dst_port, 0);
    p = parse(DLT_EN10MB, b, 14 + 20 + 20);
    assert_int_equal(p.has_transport, 1);
    (void)n;
}

static void test_ethernet_padding(void **state)
{
    (void)state;
    uint8_t b[256];
    /* IP total length 20, protocol TCP, frame padded to 60 bytes with
     * bytes that would look like a TCP header */
    ip_spec s = syn_ok();
    s.tot_len = 20;
    size_t n = put_eth(b, NULL, 0, 0x0800, &s);
    assert_int_equal(n, 54);
    memset(b + n, 0x11, 6);
    ft_packet p = parse(DLT_EN10MB, b, 60);
    assert_int_equal(p.status, FT_PKT_IPV4);
    assert_int_equal(p.ip_len, 20);
    assert_int_equal(p.has_transport, 0);
    assert_int_equal(p.src_port, 0);
    assert_int_equal(p.dst_port, 0);
    assert_int_equal(p.tcp_flags, 0);
    /* UDP with total length 26: 6 bytes of UDP, the rest padding */
    s = udp(1000, 2000);
    s.tot_len = 26;
    n = put_eth(b, NULL, 0, 0x0800, &s);
    memset(b + n, 0, 60 - n);
    p = parse(DLT_EN10MB, b, 60);
    assert_int_equal(p.has_transport, 0);
    assert_int_equal(p.dst_port, 0);
    /* ICMP with total length 27 */
    s = icmp(8, 0);
    s.tot_len = 27;
    n = put_eth(b, NULL, 0, 0x0800, &s);
    p = parse(DLT_EN10MB, b, 60);
    assert_int_equal(p.has_transport, 0);
    assert_int_equal(p.dst_port, 0);
    s.tot_len = 28;
    put_eth(b, NULL, 0, 0x0800, &s);
    p = parse(DLT_EN10MB, b, 60);
    assert_int_equal(p.has_transport, 1);
    assert_int_equal(p.dst_port, 2048);
    /* total length shorter than the IP header itself */
    s = udp(1000, 2000);
    s.tot_len = 10;
    put_eth(b, NULL, 0, 0x0800, &s);
    p = parse(DLT_EN10MB, b, 60);
    assert_int_equal(p.status, FT_PKT_IPV4);
    assert_int_equal(p.ip_len, 10);
    assert_int_equal(p.has_transport, 0);
    /* total length larger than captured: size as written */
    s = udp(1000, 2000);
    s.tot_len = 1500;
    n = put_eth(b, NULL, 0, 0x0800, &s);
    p = parse(DLT_EN10MB, b, (uint32_t)n);
    assert_int_equal(p.ip_len, 1500);
    assert_int_equal(p.has_transport, 1);
    assert_int_equal(p.src_port, 1000);
}

static void test_fragments(void **state)
{
    (void)state;
    ft_packet p;
    /* first fragment (MF, offset 0) with its header */
    ip_spec s = syn_ok();
    s.frag = 0x2000;
    p = parse_ip(&s);
    assert_int_equal(p.has_transport, 1);
    assert_int_equal(p.src_port, 40000);
    assert_int_equal(p.dst_port, 80);
    assert_int_equal(p.frag, 0x2000);
    assert_int_equal(p.spoofed, 0);
    /* DF alone is fine too */
    s.frag = 0x4000;
    p = parse_ip(&s);
    assert_int_equal(p.spoofed, 0);
    /* non-first fragment: bytes at the transport offset are payload */
    s = udp(53, 53);
    s.frag = 0x2000 | 185;
    p = parse_ip(&s);
    assert_int_equal(p.status, FT_PKT_IPV4);
    assert_int_equal(p.has_transport, 0);
    assert_int_equal(p.src_port, 0);
    assert_int_equal(p.dst_port, 0);
    assert_int_equal(p.spoofed, 1);
    s = icmp(3, 3);
    s.frag = 1; /* last fragment, offset 8 bytes */
    p = parse_ip(&s);
    assert_int_equal(p.has_transport, 0);
    assert_int_equal(p.dst_port, 0);
    assert_int_equal(p.spoofed, 1); /* rule 3 (ICMP: no rule 6) */
    /* tiny first fragment: 8 bytes of TCP */
    s = syn_ok();
    s.frag = 0x2000;
    s.l4len = 8;
    p = parse_ip(&s);
    assert_int_equal(p.has_transport, 0);
    assert_int_equal(p.ip_len, 28);
    assert_int_equal(p.dst_port, 0);
    assert_int_equal(p.tcp_flags, 0);
    assert_int_equal(p.spoofed, 1); /* rule 6 */
    /* reserved ("evil") bit alone */
    s = syn_ok();
    s.frag = 0x8000;
    p = parse_ip(&s);
    assert_int_equal(p.has_transport, 1);
    assert_int_equal(p.spoofed, 1);
}

static void test_transports(void **state)
{
    (void)state;
    ft_packet p;
    ip_spec s = udp(5060, 5061);
    p = parse_ip(&s);
    assert_int_equal(p.proto, 17);
    assert_int_equal(p.src_port, 5060);
    assert_int_equal(p.dst_port, 5061);
    assert_int_equal(p.tcp_flags, 0);
    assert_int_equal(p.tcp_win, 0);
    assert_int_equal(p.ip_len, 28);
    assert_int_equal(p.spoofed, 0);
    s = icmp(3, 3);
    p = parse_ip(&s);
    assert_int_equal(p.dst_port, 771);
    assert_int_equal(p.src_port, 0);
    assert_int_equal(p.spoofed, 0);
    s = icmp(8, 0);
    p = parse_ip(&s);
    assert_int_equal(p.dst_port, 2048);
    s = icmp(0, 0); /* echo reply: port 0, but rule 6 is TCP/UDP only */
    p = parse_ip(&s);
    assert_int_equal(p.dst_port, 0);
    assert_int_equal(p.has_transport, 1);
    assert_int_equal(p.spoofed, 0);
    s = icmp(11, 1);
    p = parse_ip(&s);
    assert_int_equal(p.dst_port, 11 << 8 | 1);
    /* GRE: no ports, abnormal protocol */
    s = ip_default(47);
    s.l4len = 24;
    memset(s.l4, 0x33, 24);
    p = parse_ip(&s);
    assert_int_equal(p.status, FT_PKT_IPV4);
    assert_int_equal(p.proto, 47);
    assert_int_equal(p.has_transport, 0);
    assert_int_equal(p.src_port, 0);
    assert_int_equal(p.dst_port, 0);
    assert_int_equal(p.spoofed, 1);
    /* TCP header length reported as found, even below 20 */
    s = tcp(1, 2, 0x02, 7, 4);
    p = parse_ip(&s);
    assert_int_equal(p.has_transport, 1);
    assert_int_equal(p.tcp_hlen, 16);
    s = tcp(1, 2, 0x02, 7, 15);
    p = parse_ip(&s);
    assert_int_equal(p.tcp_hlen, 60);
    /* NS (low bit of byte 12) is not part of the flag byte */
    s = syn_ok();
    s.l4[12] |= 1;
    p = parse_ip(&s);
    assert_int_equal(p.tcp_flags, 0x02);
    assert_int_equal(p.tcp_hlen, 20);
    assert_int_equal(p.spoofed, 0);
}

/* ---- spoofing rules ----------------------------------------------------- */

static int spoofed(const ip_spec *s)
{
    ft_packet p = parse_ip(s);
    assert_int_equal(p.status, FT_PKT_IPV4);
    return p.spoofed;
}

static void test_rule1_protocol(void **state)
{
    (void)state;
    const uint8_t bad[] = {0, 2, 4, 47, 50, 58, 132, 255};
    for (size_t i = 0; i < sizeof bad; i++) {
        ip_spec s = ip_default(bad[i]);
        s.l4len = 20;
        assert_int_equal(spoofed(&s), 1);
    }
    ip_spec s = ip_default(41); /* IPv6-in-IPv4 is normal */
    s.l4len = 40;
    s.l4[0] = 0x60;
    assert_int_equal(spoofed(&s), 0);
    s = ip_default(1); /* header-less ICMP, e.g. truncated */
    assert_int_equal(spoofed(&s), 0);
}

static void test_rule1_tcp_flags(void **state)
{
    (void)state;
    /* allowed: SYN, ACK, RST, FIN, SYN+FIN, SYN+ACK, FIN+ACK, PSH+ACK,
     * FIN+PSH+ACK */
    const uint8_t ok[] = {0x02, 0x10, 0x04, 0x01, 0x03, 0x12, 0x11, 0x18, 0x19};
    for (size_t i = 0; i < sizeof ok; i++) {
        ip_spec s = tcp(40000, 80, ok[i], 1000, 5);
        assert_int_equal(spoofed(&s), 0);
        /* ECE and CWR do not change the verdict */
        s = tcp(40000, 80, ok[i] | 0x40, 1000, 5);
        assert_int_equal(spoofed(&s), 0);
        s = tcp(40000, 80, ok[i] | 0xc0, 1000, 5);
        assert_int_equal(spoofed(&s), 0);
        s = tcp(40000, 80, ok[i], 1000, 5); /* NS */
        s.l4[12] |= 1;
        assert_int_equal(spoofed(&s), 0);
    }
    const uint8_t bad[] = {0x00, 0x06, 0x05, 0x08, 0x20, 0x29, 0x3f, 0x14,
                           0x30, 0x1a, 0x0a, 0x13, 0x09, 0xc0};
    for (size_t i = 0; i < sizeof bad; i++) {
        ip_spec s = tcp(40000, 80, bad[i], 1000, 5);
        assert_int_equal(spoofed(&s), 1);
    }
    /* Without a TCP header the flag byte is not looked at (taken as 0).
     * Such a packet always fires rule 3 or 6, so check the byte itself. */
    uint8_t b[128];
    ip_spec s = tcp(40000, 80, 0x3f, 1000, 5);
    size_t n = put_ip(b, &s);
    ft_packet p = parse(DLT_IPV4, b, (uint32_t)n - 1);
    assert_int_equal(p.tcp_flags, 0);
}

static void test_rule2_ttl(void **state)
{
    (void)state;
    ip_spec s = udp(1000, 53);
    s.ttl = 199;
    assert_int_equal(spoofed(&s), 0);
    s.ttl = 200;
    assert_int_equal(spoofed(&s), 1);
    s.ttl = 255;
    assert_int_equal(spoofed(&s), 1);
    s = icmp(8, 0); /* ICMP exempt */
    s.ttl = 255;
    assert_int_equal(spoofed(&s), 0);
    /* the scanner exception: TCP SYN, window 1024, no options */
    s = tcp(40000, 80, 0x02, 1024, 5);
    s.ttl = 250;
    assert_int_equal(spoofed(&s), 0);
    s = tcp(40000, 80, 0x42, 1024, 5); /* SYN+ECE: still a TCP SYN */
    s.ttl = 250;
    assert_int_equal(spoofed(&s), 0);
    s = tcp(40000, 80, 0x02, 1025, 5);
    s.ttl = 250;
    assert_int_equal(spoofed(&s), 1);
    s = tcp(40000, 80, 0x02, 1024, 6); /* options */
    s.ttl = 250;
    assert_int_equal(spoofed(&s), 1);
    s = tcp(40000, 80, 0x12, 1024, 5); /* SYN+ACK */
    s.ttl = 250;
    assert_int_equal(spoofed(&s), 1);
    s = tcp(40000, 80, 0x10, 1024, 5); /* ACK */
    s.ttl = 250;
    assert_int_equal(spoofed(&s), 1);
    s = tcp(40000, 80, 0x02, 1024, 5);
    s.ttl = 199;
    assert_int_equal(spoofed(&s), 0);
    s = tcp(40000, 80, 0x10, 1024, 5);
    s.ttl = 199;
    assert_int_equal(spoofed(&s), 0);
    /* IPv6-in-IPv4 is not ICMP: rule 2 applies */
    s = ip_default(41);
    s.l4len = 40;
    s.ttl = 200;
    assert_int_equal(spoofed(&s), 1);
}

static void test_rule3_fragment(void **state)
{
    (void)state;
    ip_spec s = udp(1000, 53);
    s.frag = 0x0001;
    assert_int_equal(spoofed(&s), 1);
    s.frag = 0x1fff;
    assert_int_equal(spoofed(&s), 1);
    s.frag = 0x8000;
    assert_int_equal(spoofed(&s), 1);
    s.frag = 0x2000;
    assert_int_equal(spoofed(&s), 0);
    s.frag = 0x4000;
    assert_int_equal(spoofed(&s), 0);
    s.frag = 0x6000;
    assert_int_equal(spoofed(&s), 0);
}

static void test_rule4_5_source(void **state)
{
    (void)state;
    ip_spec s = syn_ok();
    s.src = A(1, 2, 3, 0);
    assert_int_equal(spoofed(&s), 1);
    s.src = A(1, 2, 3, 255);
    assert_int_equal(spoofed(&s), 1);
    s.src = A(1, 2, 3, 1);
    assert_int_equal(spoofed(&s), 0);
    s.src = A(1, 2, 3, 254);
    assert_int_equal(spoofed(&s), 0);
    s.src = A(0, 2, 3, 4); /* only the last byte counts */
    assert_int_equal(spoofed(&s), 0);
    s.src = A(255, 255, 3, 4);
    assert_int_equal(spoofed(&s), 0);
    s.src = s.dst = A(9, 9, 9, 9);
    assert_int_equal(spoofed(&s), 1);
    s.dst = A(9, 9, 9, 8);
    assert_int_equal(spoofed(&s), 0);
}

static void test_rule6_7_ports(void **state)
{
    (void)state;
    ip_spec s;
    s = tcp(0, 80, 0x02, 100, 5);
    assert_int_equal(spoofed(&s), 1);
    s = tcp(40000, 0, 0x02, 100, 5);
    assert_int_equal(spoofed(&s), 1);
    s = udp(0, 53);
    assert_int_equal(spoofed(&s), 1);
    s = udp(53, 0);
    assert_int_equal(spoofed(&s), 1);
    s = udp(1, 1);
    assert_int_equal(spoofed(&s), 0);
    s = udp(40000, 80);
    assert_int_equal(spoofed(&s), 1);
    s = udp(80, 81);
    assert_int_equal(spoofed(&s), 0);
    s = udp(40000, 443);
    assert_int_equal(spoofed(&s), 0);
    s = tcp(40000, 80, 0x02, 100, 5);
    assert_int_equal(spoofed(&s), 0);
}

/* ---- masscan ------------------------------------------------------------ */

static ft_packet masscan_probe(uint8_t flags, uint16_t win, int doff,
                               uint8_t ttl)
{
    ip_spec s = tcp(61000, 23, flags, win, doff);
    s.ttl = ttl;
    return parse_ip(&s);
}

static void test_masscan(void **state)
{
    (void)state;
    ft_packet p = masscan_probe(0x02, 1024, 5, 200);
    assert_int_equal(p.masscan, 1);
    assert_int_equal(p.spoofed, 0);
    p = masscan_probe(0x02, 1024, 5, 255);
    assert_int_equal(p.masscan, 1);
    p = masscan_probe(0xc2, 1024, 5, 255); /* other bits may be set */
    assert_int_equal(p.masscan, 1);
    p = masscan_probe(0x03, 1024, 5, 255); /* SYN+FIN */
    assert_int_equal(p.masscan, 1);
    /* each condition failing alone */
    p = masscan_probe(0x10, 1024, 5, 255); /* SYN clear */
    assert_int_equal(p.masscan, 0);
    p = masscan_probe(0x12, 1024, 5, 255); /* ACK set */
    assert_int_equal(p.masscan, 0);
    p = masscan_probe(0x02, 1023, 5, 255);
    assert_int_equal(p.masscan, 0);
    p = masscan_probe(0x02, 1024, 6, 255); /* options */
    assert_int_equal(p.masscan, 0);
    p = masscan_probe(0x02, 1024, 4, 255); /* data offset not 5 */
    assert_int_equal(p.masscan, 0);
    p = masscan_probe(0x02, 1024, 5, 199);
    assert_int_equal(p.masscan, 0);
    assert_int_equal(p.spoofed, 0);
    /* no TCP header (truncated) */
    uint8_t b[128];
    ip_spec s = tcp(61000, 23, 0x02, 1024, 5);
    s.ttl = 255;
    size_t n = put_ip(b, &s);
    p = parse(DLT_IPV4, b, (uint32_t)n - 1);
    assert_int_equal(p.masscan, 0);
    assert_int_equal(p.spoofed, 1);
    /* not TCP: UDP with the same bytes */
    s.proto = 17;
    p = parse_ip(&s);
    assert_int_equal(p.masscan, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ethernet),
        cmocka_unit_test(test_vlan_stacks),
        cmocka_unit_test(test_ethernet_not_ipv4),
        cmocka_unit_test(test_linux_sll),
        cmocka_unit_test(test_linux_sll2),
        cmocka_unit_test(test_bsd_loopback),
        cmocka_unit_test(test_raw),
        cmocka_unit_test(test_dlt_support),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_ip_options),
        cmocka_unit_test(test_truncated_capture),
        cmocka_unit_test(test_ethernet_padding),
        cmocka_unit_test(test_fragments),
        cmocka_unit_test(test_transports),
        cmocka_unit_test(test_rule1_protocol),
        cmocka_unit_test(test_rule1_tcp_flags),
        cmocka_unit_test(test_rule2_ttl),
        cmocka_unit_test(test_rule3_fragment),
        cmocka_unit_test(test_rule4_5_source),
        cmocka_unit_test(test_rule6_7_ports),
        cmocka_unit_test(test_masscan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
