/*
 * recgen.h - deterministic generator of varied, realistic FT4 records for
 * tests and benchmarks (header only).
 *
 *     recgen g;
 *     recgen_init(&g, 42);
 *     for (...) { ft4_record r; recgen_next(&g, &r); ... }
 *
 * The same seed always gives the same sequence, on every machine (a
 * splitmix64 stream, no libc rand()).  The first RECGEN_EDGE_COUNT records
 * of every sequence are the edge cases of recgen_edge() (src_ip
 * 255.255.255.255 and 0, empty and 5-entry arrays, "??" tags, counts 0 and
 * 2^40, ports 0 and 65535, ...), and one record in RECGEN_EDGE_EVERY after
 * that is an edge case again, so that even a short sequence covers them
 * and a long one keeps mixing them in.  The others look like telescope
 * traffic: TCP scans of a few popular ports, UDP, ICMP echo and
 * unreachables, mostly small packet counts with a heavy tail, 2-letter
 * geolocation tags, and common-value arrays consistent with the counts.
 *
 * Everything generated stays inside what our own writers produce: arrays
 * of at most FT4_ARRAY_WRITE_MAX entries, addresses inside 0..2^32-1, tags
 * of 2 bytes.
 */
#ifndef FT_TESTS_RECGEN_H
#define FT_TESTS_RECGEN_H

#include <stdint.h>
#include <string.h>

#include "ft4.h"

#define RECGEN_EDGE_COUNT 8
#define RECGEN_EDGE_EVERY 101

typedef struct recgen {
    uint64_t state;
    uint64_t n;    /* records generated so far */
    int64_t time;  /* current interval */
} recgen;

static inline uint64_t recgen_u64(recgen *g)
{
    uint64_t z = (g->state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, n) (n > 0); the tiny modulo bias does not matter here. */
static inline uint32_t recgen_below(recgen *g, uint32_t n)
{
    return (uint32_t)(recgen_u64(g) % n);
}

static inline void recgen_init(recgen *g, uint64_t seed)
{
    g->state = seed * 0x2545f4914f6cdd1dULL + 1;
    g->n = 0;
    g->time = 1700000100 - 1700000100 % 300; /* an interval start */
}

static inline void recgen_array(ft4_array *a, uint32_t n, const int64_t *v)
{
    a->n = n;
    for (uint32_t i = 0; i < n; i++)
        a->v[i] = v[i];
}

/* Edge case k (0 <= k < RECGEN_EDGE_COUNT) into r. */
static inline void recgen_edge(int k, int64_t time, ft4_record *r)
{
    static const int64_t five[5] = {0, 1, 255, 65535, (int64_t)1 << 40};
    static const int64_t fivef[5] = {(int64_t)1 << 40, 7, 1, 0, 3};
    ft4_record_init(r); /* counts 0, arrays empty, tags "??" */
    r->time = time;
    switch (k) {
    case 0: /* all zero / empty / "??" */
        break;
    case 1: /* broadcast source, huge counts, every array full */
        r->src_ip = 0xffffffffLL;
        r->dst_net = 0xffff0000LL;
        r->dst_port = 65535;
        r->protocol = 6;
        r->packet_cnt = (int64_t)1 << 40;
        r->uniq_dst_ips = 65536;
        r->uniq_pkt_sizes = 65535;
        r->uniq_ttls = 256;
        r->uniq_src_ports = 65536;
        r->uniq_tcp_flags = 256;
        r->first_syn_length = 60;
        r->first_tcp_rwin = 65535;
        for (int i = 0; i < FT4_A_COUNT; i++)
            recgen_array(&r->arr[i], 5, (i & 1) ? fivef : five);
        ft4_tag_set(&r->tag[FT4_T_MAXMIND_CONTINENT], "NA", 2);
        ft4_tag_set(&r->tag[FT4_T_MAXMIND_COUNTRY], "US", 2);
        ft4_tag_set(&r->tag[FT4_T_NETACQ_CONTINENT], "NA", 2);
        ft4_tag_set(&r->tag[FT4_T_NETACQ_COUNTRY], "US", 2);
        r->prefix2asn = 4294967295LL; /* largest 32-bit ASN */
        r->spoofed_packet_cnt = (int64_t)1 << 40;
        r->masscan_packet_cnt = (int64_t)1 << 40;
        break;
    case 2: /* ICMP echo request from 0.0.0.0, one packet */
        r->src_ip = 0;
        r->dst_net = 0x2c000000LL;
        r->dst_port = 8 << 8;
        r->protocol = 1;
        r->packet_cnt = 1;
        r->uniq_dst_ips = 1;
        r->uniq_pkt_sizes = 1;
        r->uniq_ttls = 1;
        r->spoofed_packet_cnt = 1;
        break;
    case 3: /* masscan-like SYN flood: everything common */
        r->src_ip = 0xc0a80001LL;
        r->dst_net = 0x2c010000LL;
        r->dst_port = 23;
        r->protocol = 6;
        r->packet_cnt = 64942;
        r->uniq_dst_ips = 64942;
        r->uniq_pkt_sizes = 1;
        r->uniq_ttls = 1;
        r->uniq_src_ports = 1;
        r->uniq_tcp_flags = 1;
        r->first_syn_length = 20;
        r->first_tcp_rwin = 1024;
        recgen_array(&r->arr[FT4_A_PKTSIZES], 1, (const int64_t[]){40});
        recgen_array(&r->arr[FT4_A_PKTSIZE_FREQS], 1, (const int64_t[]){64942});
        recgen_array(&r->arr[FT4_A_TTLS], 1, (const int64_t[]){243});
        recgen_array(&r->arr[FT4_A_TTL_FREQS], 1, (const int64_t[]){64942});
        recgen_array(&r->arr[FT4_A_SRCPORTS], 1, (const int64_t[]){5181});
        recgen_array(&r->arr[FT4_A_SRCPORT_FREQS], 1, (const int64_t[]){64942});
        recgen_array(&r->arr[FT4_A_TCPFLAGS], 1, (const int64_t[]){2});
        recgen_array(&r->arr[FT4_A_TCPFLAG_FREQS], 1, (const int64_t[]){64942});
        ft4_tag_set(&r->tag[FT4_T_MAXMIND_CONTINENT], "AS", 2);
        ft4_tag_set(&r->tag[FT4_T_MAXMIND_COUNTRY], "CN", 2);
        r->prefix2asn = 4134;
        r->masscan_packet_cnt = 64942;
        break;
    case 4: /* protocol other than ICMP/TCP/UDP, port 0, mixed tags */
        r->src_ip = 0x01020304LL;
        r->dst_net = 0x2cff0000LL;
        r->protocol = 47;
        r->packet_cnt = 3;
        r->uniq_dst_ips = 2;
        r->uniq_pkt_sizes = 3;
        r->uniq_ttls = 2;
        ft4_tag_set(&r->tag[FT4_T_NETACQ_CONTINENT], "EU", 2);
        ft4_tag_set(&r->tag[FT4_T_NETACQ_COUNTRY], "DE", 2);
        r->prefix2asn = 3320;
        r->spoofed_packet_cnt = 3;
        break;
    case 5: /* ICMP port unreachable: dst_port 771 */
        r->src_ip = 0x08080808LL;
        r->dst_net = 0x2c800000LL;
        r->dst_port = 771;
        r->protocol = 1;
        r->packet_cnt = 12;
        r->uniq_dst_ips = 12;
        r->uniq_pkt_sizes = 1;
        r->uniq_ttls = 1;
        recgen_array(&r->arr[FT4_A_PKTSIZES], 1, (const int64_t[]){56});
        recgen_array(&r->arr[FT4_A_PKTSIZE_FREQS], 1, (const int64_t[]){12});
        recgen_array(&r->arr[FT4_A_TTLS], 1, (const int64_t[]){57});
        recgen_array(&r->arr[FT4_A_TTL_FREQS], 1, (const int64_t[]){12});
        ft4_tag_set(&r->tag[FT4_T_MAXMIND_CONTINENT], "NA", 2);
        ft4_tag_set(&r->tag[FT4_T_MAXMIND_COUNTRY], "US", 2);
        ft4_tag_set(&r->tag[FT4_T_NETACQ_CONTINENT], "NA", 2);
        ft4_tag_set(&r->tag[FT4_T_NETACQ_COUNTRY], "US", 2);
        r->prefix2asn = 15169;
        break;
    case 6: /* UDP to port 80 from a .255 source, 5 common values each */
        r->src_ip = 0x5d4f32ffLL;
        r->dst_net = 0x2c050000LL;
        r->dst_port = 80;
        r->protocol = 17;
        r->packet_cnt = 5;
        r->uniq_dst_ips = 5;
        r->uniq_pkt_sizes = 5;
        r->uniq_ttls = 5;
        r->uniq_src_ports = 5;
        recgen_array(&r->arr[FT4_A_PKTSIZES], 5, (const int64_t[]){28, 29, 30, 31, 1500});
        recgen_array(&r->arr[FT4_A_PKTSIZE_FREQS], 5, (const int64_t[]){1, 1, 1, 1, 1});
        recgen_array(&r->arr[FT4_A_TTLS], 5, (const int64_t[]){1, 64, 128, 200, 255});
        recgen_array(&r->arr[FT4_A_TTL_FREQS], 5, (const int64_t[]){1, 1, 1, 1, 1});
        recgen_array(&r->arr[FT4_A_SRCPORTS], 5, (const int64_t[]){0, 53, 123, 1900, 65535});
        recgen_array(&r->arr[FT4_A_SRCPORT_FREQS], 5, (const int64_t[]){1, 1, 1, 1, 1});
        ft4_tag_set(&r->tag[FT4_T_MAXMIND_CONTINENT], "EU", 2);
        ft4_tag_set(&r->tag[FT4_T_MAXMIND_COUNTRY], "RU", 2);
        r->prefix2asn = 0;
        r->spoofed_packet_cnt = 5;
        break;
    default: /* time 0 and the 2^40 counts on an otherwise empty record */
        r->time = 0;
        r->src_ip = 0x7f000001LL;
        r->packet_cnt = (int64_t)1 << 40;
        r->prefix2asn = (int64_t)1 << 40;
        break;
    }
}

/* Fills a common-value pair (values ascending, freqs) of up to 5 entries
 * drawn from a small pool, so arrays repeat the way real ones do. */
static inline void recgen_common(recgen *g, ft4_array *vals, ft4_array *freqs,
                                 const int64_t *pool, uint32_t npool,
                                 int64_t packets)
{
    uint32_t n = recgen_below(g, 6);
    if (n > npool)
        n = npool;
    uint32_t start = recgen_below(g, npool - n + 1);
    vals->n = freqs->n = n;
    for (uint32_t i = 0; i < n; i++) {
        vals->v[i] = pool[start + i];
        freqs->v[i] = n == 1 ? packets : 1 + (int64_t)recgen_below(g, (uint32_t)(packets > 1000 ? 1000 : packets));
    }
}

/* The next record of the sequence. */
static inline void recgen_next(recgen *g, ft4_record *r)
{
    static const int64_t sizes[] = {40, 44, 48, 52, 60, 64, 78, 1500};
    static const int64_t ttls[] = {47, 54, 64, 113, 128, 240, 243, 250};
    static const int64_t sports[] = {53, 123, 1900, 5181, 40000, 54321, 60000};
    static const int64_t flags[] = {2, 4, 16, 18, 20, 24};
    static const int32_t tcp_ports[] = {23, 445, 80, 22, 8080, 3389, 443, 2323, 5555, 81};
    static const char *const recgen_geo[][2] = {
        {"NA", "US"}, {"AS", "CN"}, {"EU", "RU"}, {"SA", "BR"}, {"AS", "IN"},
        {"EU", "NL"}, {"AS", "KR"}, {"EU", "DE"}, {"AF", "ZA"}, {"OC", "AU"},
        {"??", "??"},
    };
    uint64_t i = g->n++;

    /* A new 5-minute interval every ~20000 records. */
    if (i && i % 20000 == 0)
        g->time += 300;
    if (i < RECGEN_EDGE_COUNT || i % RECGEN_EDGE_EVERY == 0) {
        int k = i < RECGEN_EDGE_COUNT ? (int)i
                                      : (int)((i / RECGEN_EDGE_EVERY) % RECGEN_EDGE_COUNT);
        recgen_edge(k, g->time, r);
        return;
    }
    ft4_record_init(r);
    r->time = g->time;
    /* Sources cluster in a few busy /8s, the rest anywhere. */
    uint64_t u = recgen_u64(g);
    uint32_t src = (uint32_t)u;
    if ((u >> 32) % 4 == 0)
        src = (uint32_t)(((u >> 40) % 6 + 1) * 31) << 24 | (src & 0xffffff);
    r->src_ip = src;
    r->dst_net = 0x2c000000LL | (int64_t)recgen_below(g, 256) << 16;

    uint32_t kind = recgen_below(g, 100);
    int64_t p = 1;
    uint32_t t = recgen_below(g, 100);
    if (t >= 60)
        p = 1 + recgen_below(g, 9);
    if (t >= 90)
        p = 10 + recgen_below(g, 990);
    if (t >= 99)
        p = 1000 + (int64_t)recgen_below(g, 5000000);
    r->packet_cnt = p;
    r->uniq_dst_ips = (int32_t)(p < 65536 ? p : 65536);
    r->uniq_pkt_sizes = 1 + (int32_t)recgen_below(g, (uint32_t)(p < 8 ? p : 8));
    r->uniq_ttls = 1 + (int32_t)recgen_below(g, (uint32_t)(p < 8 ? p : 8));
    recgen_common(g, &r->arr[FT4_A_PKTSIZES], &r->arr[FT4_A_PKTSIZE_FREQS],
                  sizes, 8, p);
    recgen_common(g, &r->arr[FT4_A_TTLS], &r->arr[FT4_A_TTL_FREQS], ttls, 8, p);
    if (kind < 75) { /* TCP */
        r->protocol = 6;
        r->dst_port = tcp_ports[recgen_below(g, 10)];
        if (recgen_below(g, 10) == 0)
            r->dst_port = (int32_t)recgen_below(g, 65536);
        r->uniq_src_ports = 1 + (int32_t)recgen_below(g, (uint32_t)(p < 100 ? p : 100));
        r->uniq_tcp_flags = 1 + (int32_t)recgen_below(g, 3);
        if (recgen_below(g, 4)) {
            r->first_syn_length = recgen_below(g, 3) ? 20 : 40;
            r->first_tcp_rwin = recgen_below(g, 2) ? 1024 : (int32_t)recgen_below(g, 65536);
        }
        recgen_common(g, &r->arr[FT4_A_SRCPORTS], &r->arr[FT4_A_SRCPORT_FREQS],
                      sports, 7, p);
        recgen_common(g, &r->arr[FT4_A_TCPFLAGS], &r->arr[FT4_A_TCPFLAG_FREQS],
                      flags, 6, p);
        if (r->first_tcp_rwin == 1024)
            r->masscan_packet_cnt = p;
    } else if (kind < 90) { /* UDP */
        r->protocol = 17;
        r->dst_port = recgen_below(g, 2) ? 53 + (int32_t)recgen_below(g, 2) * 70
                                         : (int32_t)recgen_below(g, 65536);
        r->uniq_src_ports = 1 + (int32_t)recgen_below(g, (uint32_t)(p < 100 ? p : 100));
        recgen_common(g, &r->arr[FT4_A_SRCPORTS], &r->arr[FT4_A_SRCPORT_FREQS],
                      sports, 7, p);
    } else { /* ICMP: echo request or an unreachable */
        r->protocol = 1;
        r->dst_port = recgen_below(g, 2) ? 8 << 8 : (3 << 8) | (int32_t)recgen_below(g, 16);
    }
    if (recgen_below(g, 20) == 0)
        r->spoofed_packet_cnt = 1 + (int64_t)recgen_below(g, (uint32_t)(p < 1000 ? p : 1000));
    const char *const *geo = recgen_geo[recgen_below(g, 11)];
    ft4_tag_set(&r->tag[FT4_T_MAXMIND_CONTINENT], geo[0], 2);
    ft4_tag_set(&r->tag[FT4_T_MAXMIND_COUNTRY], geo[1], 2);
    if (recgen_below(g, 8))
        geo = recgen_geo[recgen_below(g, 11)];
    ft4_tag_set(&r->tag[FT4_T_NETACQ_CONTINENT], geo[0], 2);
    ft4_tag_set(&r->tag[FT4_T_NETACQ_COUNTRY], geo[1], 2);
    r->prefix2asn = geo[0][0] == '?' ? 0 : 1 + (int64_t)recgen_below(g, 65000);
}

#endif
