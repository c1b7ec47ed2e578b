/*
 * telescope-gen - synthetic network-telescope traffic written as a pcap.
 *
 * Used by `make demo`, by ft-aggregate's tests and by the benchmarks.  The
 * output depends only on the options: every random choice comes from one
 * xoshiro256** stream seeded (through splitmix64) from --seed, all
 * arithmetic that shapes the output is integer, so a given command line
 * gives the same bytes on every little-endian machine (libpcap writes the
 * file and record headers in host byte order).
 *
 * Model: a pool of sources ("actors") per traffic class, each with its own
 * address, initial TTL minus hops, IP-id habit, ports and options.  The
 * capture hour is cut into --packets equal time slots; each slot draws a
 * class by its share, then a source of that class (Zipf-weighted where a
 * class has heavy hitters), which sends its next packet.  Sources keep
 * state, so sweeps cover address blocks without repeats and fragments come
 * in first/non-first pairs.
 *
 * Every random draw is a statement of its own: C leaves the order of
 * function arguments and of initializers unspecified, and two draws in one
 * of them could come out swapped under another compiler.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "msg.h"
#include "parse.h"

#define PROG "telescope-gen"
#define L3OFF 64     /* room for the largest link header in front of L3 */
#define BUFSZ 8192
#define MAX_PACKETS 1000000000
#define MAX_ACTORS (1u << 20)
#define TRUNC_ONE_IN 250 /* one packet in this many is captured cut short */

/* ---- random numbers ---------------------------------------------------- */

typedef struct rng {
    uint64_t s[4];
} rng;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void rng_seed(rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static inline uint64_t rol64(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t rnext(rng *r) /* xoshiro256** */
{
    uint64_t *s = r->s;
    uint64_t out = rol64(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rol64(s[3], 45);
    return out;
}

/* Uniform-enough value in [0, n) (multiply-shift; n < 2^32). */
static inline uint32_t rbelow(rng *r, uint32_t n)
{
    return (uint32_t)(((rnext(r) >> 32) * (uint64_t)n) >> 32);
}

/* A bijection of 32-bit values (lowbias32), for distinct flood sources. */
static uint32_t mix32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}

/* ---- byte helpers and checksums ----------------------------------------- */

static inline void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint64_t csum_add(uint64_t s, const uint8_t *p, size_t n)
{
    size_t i;
    for (i = 0; i + 1 < n; i += 2)
        s += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1)
        s += (uint32_t)p[n - 1] << 8;
    return s;
}

static uint16_t csum_fold(uint64_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

static uint64_t pseudo4(uint32_t src, uint32_t dst, uint8_t proto, size_t len)
{
    return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) +
           proto + len;
}

/* Transport checksum at its offset for TCP, UDP, ICMP, ICMPv6. */
static void l4_csum(uint8_t *l4, size_t len, uint8_t proto, uint64_t pseudo)
{
    size_t off;
    switch (proto) {
    case 6: off = 16; break;
    case 17: off = 6; break;
    case 1: off = 2; pseudo = 0; break; /* ICMPv4 has no pseudo-header */
    case 58: off = 2; break;
    default: return;
    }
    put16(l4 + off, 0);
    uint16_t c = csum_fold(csum_add(pseudo, l4, len));
    if (proto == 17 && c == 0)
        c = 0xffff; /* 0 means "no checksum" in UDP */
    put16(l4 + off, c);
}

/* ---- options ------------------------------------------------------------ */

static const struct linktype {
    const char *name;
    int dlt;
    int hdr; /* bytes of link header before L3 (Ethernet: without tags) */
} linktypes[] = {
    {"en10mb", DLT_EN10MB, 14},
    {"raw", DLT_RAW, 0},
    {"linux-sll", DLT_LINUX_SLL, 16},
    {"linux-sll2", DLT_LINUX_SLL2, 20},
    {"null", DLT_NULL, 4},
};

struct opts {
    const char *out;
    uint64_t seed, packets, flood;
    uint32_t start, duration, jitter, snaplen;
    uint32_t tel_net;
    int tel_len;
    const struct linktype *lt;
    int vlan, verbose;
};

/* ---- traffic classes ---------------------------------------------------- */

enum cls {
    C_TCPSCAN, C_MASSCAN, C_MIRAI, C_SIPSWEEP, C_UDPSCAN, C_DNSNTP, C_BSTCP,
    C_BSICMP, C_ICMPSWEEP, C_OTHERPROTO, C_FRAG, C_SPOOF, C_ARP, C_IPV6, NCLS
};

/* Per-source state; the meaning of x, var, sport, dport, win depends on the
 * class (see each emit_* function). */
struct actor {
    uint32_t src;
    uint32_t x;
    uint32_t count; /* packets sent so far */
    uint16_t sport, dport, win, ipid;
    uint8_t ttl, var, os, idm;
};

struct pool {
    struct actor *a;
    uint64_t *cum; /* cumulative weights, for the weighted draw */
    size_t n;
};

struct gen;
typedef void init_fn(struct gen *, struct actor *, size_t rank);
typedef void emit_fn(struct gen *, struct actor *);

struct gen {
    rng r;
    struct opts o;
    pcap_t *pd;
    pcap_dumper_t *d;
    FILE *fp;
    char *tmp; /* temporary name of a regular output file, else NULL */
    uint32_t tel_base, tel_host; /* telescope network and host mask */
    int has_arp;                 /* the link type can carry ARP */
    struct pool pool[NCLS];
    uint8_t cls_of[1000];
    uint64_t now_us; /* timestamp of the packet being built */
    const uint8_t *eth_dst; /* destination MAC of the next frame */
    uint8_t mcast_mac[6];
    uint64_t n_cls[NCLS], n_trunc, n_vlan, n_bytes;
    uint8_t buf[BUFSZ];
};

#define L3(g) ((g)->buf + L3OFF)

static const uint8_t mac_router[6] = {0x00, 0x1c, 0x73, 0xaa, 0xbb, 0x01};
static const uint8_t mac_capture[6] = {0x00, 0x1b, 0x21, 0x3c, 0x9d, 0x10};
static const uint8_t mac_bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* ---- link layer and output --------------------------------------------- */

/* Writes the frame whose L3 part (l3len bytes, EtherType etype) is at L3(g). */
static void emit(struct gen *g, size_t l3len, uint16_t etype)
{
    uint8_t *l3 = L3(g), *p = l3;
    size_t len = l3len;
    switch (g->o.lt->dlt) {
    case DLT_EN10MB: {
        uint8_t tags[8];
        size_t nt = 0;
        if (g->o.vlan) {
            uint32_t v = rbelow(&g->r, 100);
            if (v < 5) { /* QinQ: service tag, then customer tag */
                put16(tags, 0x88a8);
                put16(tags + 2, 10);
                put16(tags + 4, 0x8100);
                put16(tags + 6, 100 + rbelow(&g->r, 3) * 100);
                nt = 8;
            } else if (v < 25) {
                put16(tags, 0x8100);
                put16(tags + 2, 100 + rbelow(&g->r, 3) * 100);
                nt = 4;
            }
            g->n_vlan += nt != 0;
        }
        if (14 + nt + len < 60) { /* Ethernet minimum frame: zero padding */
            memset(l3 + len, 0, 60 - 14 - nt - len);
            len = 60 - 14 - nt;
        }
        p -= 14 + nt;
        memcpy(p, g->eth_dst, 6);
        memcpy(p + 6, mac_router, 6);
        memcpy(p + 12, tags, nt); /* a tag's TPID takes the EtherType's place */
        put16(p + 12 + nt, etype);
        len += 14 + nt;
        break;
    }
    case DLT_RAW:
        break;
    case DLT_NULL: /* AF in host order as captured; written little-endian */
        p -= 4;
        p[0] = etype == 0x86dd ? 24 : 2;
        p[1] = p[2] = p[3] = 0;
        len += 4;
        break;
    case DLT_LINUX_SLL:
        p -= 16;
        put16(p, 0);     /* sent to us */
        put16(p + 2, 1); /* ARPHRD_ETHER */
        put16(p + 4, 6);
        memcpy(p + 6, mac_router, 6);
        put16(p + 12, 0);
        put16(p + 14, etype);
        len += 16;
        break;
    case DLT_LINUX_SLL2:
        p -= 20;
        put16(p, etype);
        put16(p + 2, 0);
        put32(p + 4, 2); /* interface index */
        put16(p + 8, 1); /* ARPHRD_ETHER */
        p[10] = 0;       /* sent to us */
        p[11] = 6;
        memcpy(p + 12, mac_router, 6);
        put16(p + 18, 0);
        len += 20;
        break;
    }
    g->eth_dst = mac_capture;

    struct pcap_pkthdr h;
    size_t cap = len;
    if (!g->o.flood && rbelow(&g->r, TRUNC_ONE_IN) == 0 && l3len > 1) {
        /* cut inside the IP header half the time, else after it */
        size_t hdr = (size_t)(l3 - p);
        size_t cut = rbelow(&g->r, 2) || l3len <= 21
                         ? 1 + rbelow(&g->r, (uint32_t)(l3len < 20 ? l3len : 20) - 1)
                         : 20 + rbelow(&g->r, (uint32_t)(l3len - 20));
        cap = hdr + cut;
        g->n_trunc++;
    }
    if (cap > g->o.snaplen)
        cap = g->o.snaplen;
    h.ts.tv_sec = (time_t)(g->now_us / 1000000);
    h.ts.tv_usec = (suseconds_t)(g->now_us % 1000000);
    h.caplen = (bpf_u_int32)cap;
    h.len = (bpf_u_int32)len;
    pcap_dump((u_char *)g->d, &h, p);
    g->n_bytes += 16 + cap;
}

/* ---- IPv4 / IPv6 / TCP builders ----------------------------------------- */

struct ip4f {
    uint32_t src, dst;
    uint16_t id, frag; /* frag: flags (0x8000 reserved, DF, MF) | offset */
    uint8_t ttl, proto;
    uint8_t opts; /* add 4 bytes of IP options (NOP NOP NOP EOL) */
};

#define DF 0x4000
#define MF 0x2000

static size_t ip4_hlen(const struct ip4f *f) { return f->opts ? 24 : 20; }

static void ip4_hdr(uint8_t *p, size_t total, const struct ip4f *f)
{
    size_t hl = ip4_hlen(f);
    p[0] = (uint8_t)(0x40 | hl / 4);
    p[1] = 0;
    put16(p + 2, (uint32_t)total);
    put16(p + 4, f->id);
    put16(p + 6, f->frag);
    p[8] = f->ttl;
    p[9] = f->proto;
    put16(p + 10, 0);
    put32(p + 12, f->src);
    put32(p + 16, f->dst);
    if (f->opts) {
        p[20] = p[21] = p[22] = 1;
        p[23] = 0;
    }
    put16(p + 10, csum_fold(csum_add(0, p, hl)));
}

/* Completes the IPv4 packet at p whose transport (l4len bytes) is already at
 * p + ip4_hlen(f); an unfragmented packet gets its transport checksum.
 * Returns the IP total length. */
static size_t v4(uint8_t *p, size_t l4len, const struct ip4f *f)
{
    size_t hl = ip4_hlen(f);
    if ((f->frag & 0x3fff) == 0)
        l4_csum(p + hl, l4len, f->proto, pseudo4(f->src, f->dst, f->proto, l4len));
    ip4_hdr(p, hl + l4len, f);
    return hl + l4len;
}

static void send4(struct gen *g, size_t l4len, const struct ip4f *f)
{
    emit(g, v4(L3(g), l4len, f), 0x0800);
}

/* Completes an IPv6 packet (no extension headers) at p; returns its length. */
static size_t v6(uint8_t *p, const uint8_t src[16], const uint8_t dst[16],
                 uint8_t nh, uint8_t hlim, size_t l4len)
{
    put32(p, 0x60000000);
    put16(p + 4, (uint32_t)l4len);
    p[6] = nh;
    p[7] = hlim;
    memcpy(p + 8, src, 16);
    memcpy(p + 24, dst, 16);
    uint64_t ps = csum_add(0, p + 8, 32) + l4len + nh;
    l4_csum(p + 40, l4len, nh, ps);
    return 40 + l4len;
}

enum { OS_NONE, OS_LINUX, OS_WINDOWS, OS_MSS };
enum { ID_RAND, ID_INC, ID_ZERO };

/* TCP header with the option set of a stack; returns its length. */
static size_t tcp(uint8_t *p, uint16_t sport, uint16_t dport, uint32_t seq,
                  uint32_t ack, uint8_t flags, uint16_t win, int os,
                  uint32_t tsval)
{
    static const uint8_t linux_o[20] = {2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0,
                                        0, 0, 0, 0, 0,    0, 1, 3, 3,  7};
    static const uint8_t win_o[12] = {2, 4, 5, 0xb4, 1, 3, 3, 8, 1, 1, 4, 2};
    size_t ol = 0;
    switch (os) {
    case OS_LINUX:
        memcpy(p + 20, linux_o, sizeof linux_o);
        put32(p + 28, tsval);
        ol = sizeof linux_o;
        break;
    case OS_WINDOWS:
        memcpy(p + 20, win_o, sizeof win_o);
        ol = sizeof win_o;
        break;
    case OS_MSS:
        memcpy(p + 20, linux_o, 4);
        ol = 4;
        break;
    }
    put16(p, sport);
    put16(p + 2, dport);
    put32(p + 4, seq);
    put32(p + 8, ack);
    p[12] = (uint8_t)(((20 + ol) / 4) << 4);
    p[13] = flags;
    put16(p + 14, win);
    put32(p + 16, 0); /* checksum, urgent pointer */
    return 20 + ol;
}

static size_t udp(uint8_t *p, uint16_t sport, uint16_t dport, size_t paylen)
{
    put16(p, sport);
    put16(p + 2, dport);
    put16(p + 4, (uint32_t)(8 + paylen));
    put16(p + 6, 0);
    return 8 + paylen;
}

/* ---- sources: addresses, TTLs, IP ids ----------------------------------- */

/* Allocated, routed /8s that sources come from (private, multicast and
 * reserved space left out); a few appear twice to weigh them. */
static const uint8_t alloc8[] = {
    1,   2,   3,   5,   8,   12,  13,  14,  14,  18,  23,  24,  27,  31,
    34,  35,  36,  37,  39,  41,  42,  43,  45,  45,  46,  47,  49,  50,
    51,  52,  58,  59,  60,  61,  61,  62,  64,  65,  66,  67,  68,  69,
    70,  71,  72,  73,  74,  75,  76,  77,  78,  79,  80,  81,  82,  83,
    84,  85,  86,  87,  88,  89,  89,  90,  91,  92,  93,  94,  95,  96,
    97,  98,  99,  101, 103, 104, 104, 106, 107, 108, 109, 110, 111, 112,
    113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125, 128,
    129, 131, 134, 137, 138, 139, 141, 142, 144, 145, 146, 147, 149, 150,
    151, 152, 154, 156, 157, 158, 159, 161, 162, 163, 164, 165, 167, 167,
    168, 170, 171, 173, 174, 175, 176, 177, 178, 179, 180, 181, 182, 183,
    185, 185, 186, 187, 188, 189, 190, 191, 193, 193, 194, 195, 196, 197,
    198, 199, 200, 201, 202, 203, 205, 206, 207, 208, 209, 210, 211, 212,
    213, 216, 217, 218, 218, 219, 220, 221, 222, 222, 223,
};

static int in_telescope(const struct gen *g, uint32_t a)
{
    return (a & ~g->tel_host) == g->tel_base;
}

static uint32_t tel_rand(struct gen *g)
{
    return g->tel_base | ((uint32_t)rnext(&g->r) & g->tel_host);
}

/* A source outside the telescope, last octet 1..254; 130/8 is boosted
 * (the seed talk's "130net" question). */
static uint32_t pick_src(struct gen *g, int force130)
{
    for (;;) {
        uint32_t first = force130 || rbelow(&g->r, 100) < 7
                             ? 130
                             : alloc8[rbelow(&g->r, sizeof alloc8)];
        uint32_t mid = (uint32_t)rnext(&g->r) & 0xffff00;
        uint32_t a = first << 24 | mid | (1 + rbelow(&g->r, 254));
        if (!in_telescope(g, a))
            return a;
        force130 = 0;
    }
}

/* Initial TTL of a stack minus 3..26 hops. */
static uint8_t hops_ttl(struct gen *g, unsigned init)
{
    return (uint8_t)(init - 3 - rbelow(&g->r, 24));
}

static uint8_t os_ttl(struct gen *g, int os)
{
    return hops_ttl(g, os == OS_WINDOWS ? 128 : os == OS_LINUX ? 64
                       : rbelow(&g->r, 10) < 6 ? 64 : 128);
}

/* The TTL seen this time: one packet in 50 took a longer path. */
static uint8_t ttl_now(struct gen *g, const struct actor *a)
{
    return (uint8_t)(a->ttl - (rbelow(&g->r, 50) == 0));
}

static uint16_t next_id(struct gen *g, struct actor *a)
{
    switch (a->idm) {
    case ID_INC: /* a host's other traffic takes ids in between */
        a->ipid = (uint16_t)(a->ipid + 1 + rbelow(&g->r, 4));
        return a->ipid;
    case ID_ZERO:
        return 0;
    default:
        return (uint16_t)rnext(&g->r);
    }
}

static uint16_t eph_port(struct gen *g) { return (uint16_t)(32768 + rbelow(&g->r, 28232)); }
static uint16_t high_port(struct gen *g) { return (uint16_t)(1024 + rbelow(&g->r, 64512)); }

/* TCP ports scanners ask for; repeats weigh them. */
static const uint16_t scan_ports[] = {
    23,   23,   23,   23,   22,   22,   22,   80,   80,    80,    443,  443,
    445,  445,  3389, 3389, 8080, 8080, 8443, 21,   25,    81,    1433, 3306,
    5900, 6379, 7547, 8000, 8081, 8888, 9200, 5555, 2375,  139,   135,  110,
    143,  993,  5432, 27017, 37215, 52869, 60001, 8291, 9000, 7001, 1723, 502,
    5000, 4567,
};

static uint16_t scan_port(struct gen *g)
{
    return scan_ports[rbelow(&g->r, sizeof scan_ports / sizeof scan_ports[0])];
}

/* Stack-typical SYN window for an option set. */
static uint16_t os_win(struct gen *g, int os)
{
    static const uint16_t w_none[] = {65535, 14600, 5840, 29200, 8192, 512};
    static const uint16_t w_linux[] = {64240, 29200, 65535, 42340};
    static const uint16_t w_win[] = {64240, 8192, 65535};
    switch (os) {
    case OS_LINUX: return w_linux[rbelow(&g->r, 4)];
    case OS_WINDOWS: return w_win[rbelow(&g->r, 3)];
    default: return w_none[rbelow(&g->r, 6)];
    }
}

static uint32_t tsval(const struct gen *g, const struct actor *a)
{
    return (uint32_t)(g->now_us / 1000) + a->src; /* ms clock, host offset */
}

/* ---- horizontal TCP scanners --------------------------------------------
 * var 1: several ports; sport != 0: fixed source port; x: last target. */

static void init_tcpscan(struct gen *g, struct actor *a, size_t rank)
{
    uint32_t r = rbelow(&g->r, 100);
    a->src = pick_src(g, rank == 0); /* the top talker sits in 130/8 */
    a->os = r < 25 ? OS_NONE : r < 70 ? OS_LINUX : r < 90 ? OS_WINDOWS : OS_MSS;
    a->ttl = os_ttl(g, a->os);
    a->win = os_win(g, a->os);
    a->idm = a->os == OS_WINDOWS ? ID_INC : ID_RAND;
    a->ipid = (uint16_t)rnext(&g->r);
    a->var = rbelow(&g->r, 5) == 0;
    a->dport = scan_port(g);
    a->sport = a->os == OS_NONE && rbelow(&g->r, 2) ? high_port(g) : 0;
}

static void emit_tcpscan(struct gen *g, struct actor *a)
{
    struct ip4f f = {.src = a->src, .proto = 6,
                     .frag = a->os == OS_LINUX || a->os == OS_WINDOWS ? DF : 0};
    f.ttl = ttl_now(g, a);
    f.opts = rbelow(&g->r, 500) == 0;
    uint16_t sport = a->sport ? a->sport
                     : a->os == OS_WINDOWS ? (uint16_t)(49152 + rbelow(&g->r, 16384))
                                           : eph_port(g);
    /* one probe in 10 is a retransmission to the last target */
    f.dst = a->count && rbelow(&g->r, 10) == 0 ? a->x : tel_rand(g);
    a->x = f.dst;
    f.id = next_id(g, a);
    uint16_t dport = a->var ? scan_port(g) : a->dport;
    uint32_t seq = (uint32_t)rnext(&g->r);
    size_t n = tcp(L3(g) + ip4_hlen(&f), sport, dport, seq, 0, 0x02, a->win,
                   a->os, tsval(g, a));
    send4(g, n, &f);
}

/* ---- masscan / zmap ------------------------------------------------------
 * var 0: masscan, one port; 1: masscan, random ports; 2: zmap (window 65535,
 * ip id 54321; os = OS_MSS for newer zmap). */

static void init_masscan(struct gen *g, struct actor *a, size_t rank)
{
    uint32_t r = rbelow(&g->r, 100);
    (void)rank;
    a->src = pick_src(g, 0);
    a->var = r < 50 ? 0 : r < 80 ? 1 : 2;
    a->ttl = (uint8_t)(255 - rbelow(&g->r, a->var == 2 ? 30 : 46)); /* >= 210 */
    a->sport = (uint16_t)(40000 + rbelow(&g->r, 20000));
    a->dport = scan_port(g);
    a->os = a->var == 2 && rbelow(&g->r, 2) ? OS_MSS : OS_NONE;
}

static void emit_masscan(struct gen *g, struct actor *a)
{
    struct ip4f f = {.src = a->src, .dst = tel_rand(g), .ttl = a->ttl, .proto = 6};
    uint16_t dport = a->var == 0 ? a->dport
                     : a->var == 1 ? (uint16_t)(1 + rbelow(&g->r, 65535))
                                   : a->dport;
    size_t n;
    if (a->var == 2) {
        uint16_t sport = eph_port(g);
        uint32_t seq = (uint32_t)rnext(&g->r);
        f.id = 54321;
        n = tcp(L3(g) + 20, sport, dport, seq, 0, 0x02, 65535, a->os, 0);
    } else {
        uint32_t seq;
        f.id = (uint16_t)rnext(&g->r);
        seq = (uint32_t)rnext(&g->r);
        n = tcp(L3(g) + 20, a->sport, dport, seq, 0, 0x02, 1024, OS_NONE, 0);
    }
    send4(g, n, &f);
}

/* ---- Mirai-like telnet sweeps: SYN to 23/2323 with seq == dst ---------- */

static void init_mirai(struct gen *g, struct actor *a, size_t rank)
{
    (void)rank;
    a->src = pick_src(g, 0);
    a->ttl = hops_ttl(g, 64);
}

static void emit_mirai(struct gen *g, struct actor *a)
{
    struct ip4f f = {.src = a->src, .proto = 6};
    f.dst = tel_rand(g);
    f.ttl = ttl_now(g, a);
    f.id = (uint16_t)rnext(&g->r);
    uint16_t dport = rbelow(&g->r, 10) ? 23 : 2323;
    uint16_t sport = (uint16_t)rnext(&g->r) | 1024;
    uint16_t win = (uint16_t)rnext(&g->r) | 1;
    size_t n = tcp(L3(g) + 20, sport, dport, f.dst, 0, 0x02, win, OS_NONE, 0);
    send4(g, n, &f);
}

/* ---- UDP payloads ---------------------------------------------------- */

static size_t sip_options(uint8_t *p, uint32_t dst, uint32_t src,
                          uint16_t sport, uint32_t tag)
{
    char d[16], s[16];
    ft_format_ipv4(dst, d);
    ft_format_ipv4(src, s);
    int n = snprintf((char *)p, 600,
                     "OPTIONS sip:100@%s SIP/2.0\r\n"
                     "Via: SIP/2.0/UDP %s:%u;branch=z9hG4bK-%u;rport\r\n"
                     "Content-Length: 0\r\n"
                     "From: \"sipvicious\"<sip:100@1.1.1.1>;tag=%08x\r\n"
                     "Accept: application/sdp\r\n"
                     "User-Agent: friendly-scanner\r\n"
                     "To: \"sipvicious\"<sip:100@1.1.1.1>\r\n"
                     "Contact: sip:100@%s:%u\r\n"
                     "CSeq: 1 OPTIONS\r\n"
                     "Call-ID: %u\r\n"
                     "Max-Forwards: 70\r\n\r\n",
                     d, s, sport, tag & 0xffffff, tag, s, sport, tag >> 4);
    return (size_t)n;
}

/* DNS query; qclass 3 (CHAOS) for version.bind; edns adds an OPT record. */
static size_t dns_query(uint8_t *p, uint16_t id, const char *name,
                        uint16_t qtype, uint16_t qclass, int edns)
{
    size_t n = 12;
    put16(p, id);
    put16(p + 2, 0x0100);
    put16(p + 4, 1);
    put16(p + 6, 0);
    put16(p + 8, 0);
    put16(p + 10, edns ? 1 : 0);
    while (*name) {
        const char *dot = strchr(name, '.');
        size_t l = dot ? (size_t)(dot - name) : strlen(name);
        p[n++] = (uint8_t)l;
        memcpy(p + n, name, l);
        n += l;
        name += l + (dot != NULL);
    }
    p[n++] = 0;
    put16(p + n, qtype);
    put16(p + n + 2, qclass);
    n += 4;
    if (edns) {
        static const uint8_t opt[11] = {0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0};
        memcpy(p + n, opt, sizeof opt);
        n += sizeof opt;
    }
    return n;
}

static const struct dnsq {
    const char *name;
    uint16_t qtype, qclass;
    uint8_t edns;
} dns_qs[] = {
    {"example.com", 1, 1, 0},  {"version.bind", 16, 3, 0},
    {"isc.org", 255, 1, 1},    {"google.com", 1, 1, 0},
    {"cloudflare.com", 1, 1, 0}, {"ripe.net", 255, 1, 1},
    {"openresolver.com", 1, 1, 0}, {"sl", 255, 1, 1},
};

static size_t dns_any_query(struct gen *g, uint8_t *p)
{
    const struct dnsq *q = &dns_qs[rbelow(&g->r, sizeof dns_qs / sizeof dns_qs[0])];
    return dns_query(p, (uint16_t)rnext(&g->r), q->name, q->qtype, q->qclass, q->edns);
}

static size_t ntp_client(struct gen *g, uint8_t *p)
{
    memset(p, 0, 48);
    p[0] = 0xe3; /* LI 3, version 4, mode 3 (client) */
    p[2] = 6;
    p[3] = 0xec;
    put32(p + 40, (uint32_t)(g->now_us / 1000000) + 2208988800u);
    put32(p + 44, (uint32_t)rnext(&g->r));
    return 48;
}

static const uint8_t pay_ssdp[] = "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n"
                                  "MAN: \"ssdp:discover\"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n";
static const uint8_t pay_snmp[] = {
    0x30, 0x29, 0x02, 0x01, 0x01, 0x04, 0x06, 'p',  'u',  'b',  'l',
    'i',  'c',  0xa0, 0x1c, 0x02, 0x04, 0x12, 0x34, 0x56, 0x78, 0x02,
    0x01, 0x00, 0x02, 0x01, 0x00, 0x30, 0x0e, 0x30, 0x0c, 0x06, 0x08,
    0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00, 0x05, 0x00};
static const uint8_t pay_nbns[] = {
    0x80, 0xf0, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20,
    'C',  'K',  'A',  'A',  'A',  'A',  'A',  'A',  'A',  'A',  'A',  'A',  'A',
    'A',  'A',  'A',  'A',  'A',  'A',  'A',  'A',  'A',  'A',  'A',  'A',  'A',
    'A',  'A',  'A',  'A',  'A',  0x00, 0x00, 0x21, 0x00, 0x01};
static const uint8_t pay_memcached[] = "\0\x01\0\0\0\x01\0\0stats\r\n";
static const uint8_t pay_wsd[] = "<:/>";
static const uint8_t pay_cldap[] = {
    0x30, 0x25, 0x02, 0x01, 0x01, 0x63, 0x20, 0x04, 0x00, 0x0a, 0x01, 0x00, 0x0a,
    0x01, 0x00, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x01, 0x01, 0x00, 0x87, 0x0b,
    'o',  'b',  'j',  'e',  'c',  't',  'c',  'l',  'a',  's',  's',  0x30, 0x00};
static const uint8_t pay_dht[] = "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe";
static const uint8_t pay_ubnt[] = {1, 0, 0, 0};
static const uint8_t pay_ard[] = {0, 0x14, 0, 1, 3};
static const uint8_t pay_mssql[] = {2};
static const uint8_t pay_chargen[] = "A";
static const uint8_t pay_ike[28] = {1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0,
                                    0, 0, 1, 0x10, 2, 0, 0, 0, 0, 0, 0, 0, 0, 28};

/* Services UDP scanners probe, with what they send (NULL: built). */
static const struct udpsvc {
    uint16_t port;
    const uint8_t *pay;
    size_t len;
} udp_svcs[] = {
#define S(port, arr) {port, arr, sizeof arr}
#define T(port, str) {port, str, sizeof str - 1}
    T(1900, pay_ssdp),  S(161, pay_snmp),    S(137, pay_nbns),
    T(11211, pay_memcached), T(3702, pay_wsd), S(389, pay_cldap),
    T(6881, pay_dht),   S(10001, pay_ubnt),  S(3283, pay_ard),
    S(1434, pay_mssql), T(19, pay_chargen),  S(500, pay_ike),
    {5060, NULL, 0},    {5353, NULL, 0},
#undef S
#undef T
};

/* ---- the big SIP sweep: one source, one source port, a whole /16 --------
 * Like the seed talk's 64942-address flow.  Packet k goes to address
 * perm(k) of block k / span; perm is a bijection, so no address repeats
 * until the block is covered.  x: first block. */

static uint32_t sweep_bits(const struct gen *g)
{
    return g->o.tel_len >= 16 ? (uint32_t)(32 - g->o.tel_len) : 16;
}

static void init_sipsweep(struct gen *g, struct actor *a, size_t rank)
{
    uint32_t blocks = 1u << (32 - g->o.tel_len - sweep_bits(g));
    (void)rank;
    a->src = pick_src(g, 0);
    a->sport = 5181;
    a->ttl = hops_ttl(g, 128);
    a->idm = ID_INC;
    a->x = rbelow(&g->r, blocks);
    a->win = (uint16_t)rnext(&g->r); /* permutation offset */
}

static void emit_sipsweep(struct gen *g, struct actor *a)
{
    uint32_t bits = sweep_bits(g), span = 1u << bits; /* bits <= 16 */
    uint32_t blocks = 1u << (32 - g->o.tel_len - bits);
    uint32_t k = a->count;
    uint32_t host = (k * 40503u + a->win) & (span - 1);
    uint32_t block = (a->x + k / span) & (blocks - 1);
    struct ip4f f = {.src = a->src, .ttl = a->ttl, .proto = 17,
                     .dst = g->tel_base | block << bits | host, .id = next_id(g, a)};
    uint8_t *l4 = L3(g) + 20;
    size_t n = sip_options(l4 + 8, f.dst, a->src, a->sport, (uint32_t)rnext(&g->r));
    send4(g, udp(l4, a->sport, 5060, n), &f);
}

/* ---- other UDP scanners: var = index in udp_svcs; sport 0: random ----- */

static void init_udpscan(struct gen *g, struct actor *a, size_t rank)
{
    (void)rank;
    a->src = pick_src(g, 0);
    a->ttl = os_ttl(g, OS_NONE);
    a->var = (uint8_t)rbelow(&g->r, sizeof udp_svcs / sizeof udp_svcs[0]);
    a->sport = rbelow(&g->r, 2) ? high_port(g) : 0;
    a->idm = rbelow(&g->r, 2) ? ID_INC : ID_RAND;
}

static void emit_udpscan(struct gen *g, struct actor *a)
{
    const struct udpsvc *s = &udp_svcs[a->var];
    struct ip4f f = {.src = a->src, .proto = 17};
    f.dst = tel_rand(g);
    f.ttl = ttl_now(g, a);
    f.id = next_id(g, a);
    uint16_t sport = a->sport ? a->sport : high_port(g);
    uint8_t *pay = L3(g) + 28;
    size_t n;
    if (s->port == 5060)
        n = sip_options(pay, f.dst, a->src, sport, (uint32_t)rnext(&g->r));
    else if (s->port == 5353)
        n = dns_query(pay, 0, "_services._dns-sd._udp.local", 12, 1, 0);
    else
        memcpy(pay, s->pay, n = s->len);
    send4(g, udp(L3(g) + 20, sport, s->port, n), &f);
}

/* ---- DNS / NTP noise ------------------------------------------------------
 * var 0: DNS queries, 1: NTP client, 2: NTP monlist, 3: DNS answers to
 * queries spoofed from the telescope (backscatter). */

static void init_dnsntp(struct gen *g, struct actor *a, size_t rank)
{
    uint32_t r = rbelow(&g->r, 100);
    (void)rank;
    a->src = pick_src(g, 0);
    a->var = r < 45 ? 0 : r < 70 ? 1 : r < 80 ? 2 : 3;
    a->ttl = os_ttl(g, OS_NONE);
    a->sport = rbelow(&g->r, 3) == 0 ? high_port(g) : 0;
}

static void emit_dnsntp(struct gen *g, struct actor *a)
{
    struct ip4f f = {.src = a->src, .proto = 17};
    f.dst = tel_rand(g);
    f.ttl = ttl_now(g, a);
    f.id = next_id(g, a);
    uint8_t *l4 = L3(g) + 20, *pay = l4 + 8;
    uint16_t sport = a->sport ? a->sport : high_port(g), dport;
    size_t n;
    switch (a->var) {
    case 0:
        dport = 53;
        n = dns_any_query(g, pay);
        break;
    case 1:
        dport = 123;
        if (rbelow(&g->r, 2))
            sport = 123;
        n = ntp_client(g, pay);
        break;
    case 2:
        dport = 123;
        memcpy(pay, "\x17\x00\x03\x2a\0\0\0\0", 8);
        n = 8;
        break;
    default:
        sport = 53;
        dport = high_port(g);
        n = dns_query(pay, (uint16_t)dport, "example.com", 1, 1, 0);
        put16(pay + 2, 0x8180); /* a response with one A record */
        put16(pay + 6, 1);
        memcpy(pay + n, "\xc0\x0c\0\x01\0\x01\0\0\x0e\x10\0\x04", 12);
        put32(pay + n + 12, 0x5db8d822);
        n += 16;
        break;
    }
    send4(g, udp(l4, sport, dport, n), &f);
}

/* ---- TCP backscatter: replies of DoS victims to spoofed SYNs -------------
 * var: the victim's main reply (0 SYN-ACK, 1 RST, 2 RST-ACK);
 * x, dport: last reply's target, for retransmitted SYN-ACKs. */

static void init_bstcp(struct gen *g, struct actor *a, size_t rank)
{
    static const uint16_t other[] = {22, 25, 53, 3389, 8080};
    uint32_t r = rbelow(&g->r, 100);
    (void)rank;
    a->src = pick_src(g, 0);
    a->sport = r < 50 ? 80 : r < 85 ? 443 : other[rbelow(&g->r, 5)];
    r = rbelow(&g->r, 100);
    a->var = r < 60 ? 0 : r < 80 ? 1 : 2;
    a->os = rbelow(&g->r, 10) < 6 ? OS_LINUX : OS_WINDOWS;
    a->ttl = os_ttl(g, a->os);
    a->idm = a->os == OS_LINUX ? ID_ZERO : ID_INC;
}

static void emit_bstcp(struct gen *g, struct actor *a)
{
    struct ip4f f = {.src = a->src, .proto = 6};
    f.ttl = ttl_now(g, a);
    f.id = next_id(g, a);
    uint32_t kind = rbelow(&g->r, 10) < 8 ? a->var : rbelow(&g->r, 3);
    uint32_t seq = (uint32_t)rnext(&g->r), ack = seq * 2654435761u + 1;
    size_t n;
    if (a->count && rbelow(&g->r, 4) == 0) {
        f.dst = a->x;
    } else {
        a->x = tel_rand(g);
        a->dport = high_port(g);
        f.dst = a->x;
    }
    uint8_t *l4 = L3(g) + 20;
    if (kind == 0) {
        f.frag = a->os == OS_LINUX ? DF : 0;
        n = tcp(l4, a->sport, a->dport, seq, ack, 0x12,
                a->os == OS_LINUX ? 65160 : 8192, a->os, tsval(g, a));
    } else if (kind == 1) {
        n = tcp(l4, a->sport, a->dport, seq, 0, 0x04, 0, OS_NONE, 0);
    } else {
        n = tcp(l4, a->sport, a->dport, 0, ack, 0x14, 0, OS_NONE, 0);
    }
    send4(g, n, &f);
}

/* ---- ICMP backscatter ----------------------------------------------------
 * var: main kind, index in icmp_kinds; x: a host behind a router (the
 * address the quoted packet was sent to); sport: echo id. */

static const uint8_t icmp_kinds[][2] = {{3, 3}, {3, 1}, {3, 13}, {0, 0}, {11, 0}};

static void init_bsicmp(struct gen *g, struct actor *a, size_t rank)
{
    uint32_t r = rbelow(&g->r, 100);
    (void)rank;
    a->src = pick_src(g, 0);
    a->var = r < 30 ? 0 : r < 50 ? 1 : r < 65 ? 2 : r < 90 ? 3 : 4;
    /* routers (3/1, 3/13, 11/0) start at 255, hosts at 64 or 128 */
    a->ttl = a->var == 1 || a->var == 2 || a->var == 4 ? hops_ttl(g, 255)
                                                        : os_ttl(g, OS_NONE);
    a->x = pick_src(g, 0);
    a->sport = (uint16_t)rnext(&g->r);
    a->idm = ID_INC;
}

static void emit_bsicmp(struct gen *g, struct actor *a)
{
    static const uint16_t qports[] = {53, 123, 161, 1900, 19, 80};
    uint32_t kind = rbelow(&g->r, 100) < 85 ? a->var : rbelow(&g->r, 5);
    struct ip4f f = {.src = a->src, .ttl = a->ttl, .proto = 1};
    f.dst = tel_rand(g);
    f.id = next_id(g, a);
    uint8_t *p = L3(g) + 20;
    size_t n;
    p[0] = icmp_kinds[kind][0];
    p[1] = icmp_kinds[kind][1];
    put16(p + 2, 0);
    if (p[0] == 0) { /* echo reply with a Linux ping's 56-byte body */
        put16(p + 4, a->sport);
        put16(p + 6, (uint16_t)a->count);
        put32(p + 8, (uint32_t)(g->now_us / 1000000));
        put32(p + 12, (uint32_t)(g->now_us % 1000000));
        for (int i = 16; i < 64; i++)
            p[i] = (uint8_t)i;
        n = 64;
    } else { /* error quoting the datagram "the telescope" sent */
        uint8_t *q = p + 8;
        uint8_t qproto = kind == 0 || rbelow(&g->r, 2) ? 17 : 6;
        uint16_t qdport = qproto == 6 ? 80 : qports[rbelow(&g->r, 6)];
        struct ip4f in = {.src = f.dst, .dst = kind == 0 ? a->src : a->x,
                          .proto = qproto};
        in.id = (uint16_t)rnext(&g->r);
        in.ttl = p[0] == 11 ? 1 : (uint8_t)(20 + rbelow(&g->r, 40));
        put32(p + 4, 0);
        ip4_hdr(q, 20 + (qproto == 6 ? 40 : 8 + 36), &in);
        put16(q + 20, high_port(g));
        put16(q + 22, qdport);
        if (qproto == 6) {
            put32(q + 24, (uint32_t)rnext(&g->r));
        } else {
            put16(q + 24, 8 + 36);
            put16(q + 26, (uint16_t)rnext(&g->r));
        }
        n = 8 + 28;
    }
    send4(g, n, &f);
}

/* ---- ICMP echo sweeps: var 0 zmap (no body), 1 Windows, 2 Linux ------- */

static void init_icmpsweep(struct gen *g, struct actor *a, size_t rank)
{
    (void)rank;
    a->src = pick_src(g, 0);
    a->var = (uint8_t)rbelow(&g->r, 3);
    a->ttl = a->var == 0 ? hops_ttl(g, 255) : os_ttl(g, a->var == 1 ? OS_WINDOWS : OS_LINUX);
    a->sport = (uint16_t)rnext(&g->r);
    a->idm = a->var == 1 ? ID_INC : ID_RAND;
}

static void emit_icmpsweep(struct gen *g, struct actor *a)
{
    static const char win_body[] = "abcdefghijklmnopqrstuvwabcdefghi";
    struct ip4f f = {.src = a->src, .proto = 1};
    f.dst = tel_rand(g);
    f.ttl = ttl_now(g, a);
    f.id = a->var == 0 ? 54321 : next_id(g, a);
    uint8_t *p = L3(g) + 20;
    size_t n = 8;
    if (rbelow(&g->r, 20) == 0) { /* timestamp request */
        p[0] = 13;
        memset(p + 8, 0, 12);
        put32(p + 8, (uint32_t)(g->now_us / 1000 % 86400000));
        n = 20;
    } else {
        p[0] = 8;
        if (a->var == 1) {
            memcpy(p + 8, win_body, 32);
            n += 32;
        } else if (a->var == 2) {
            put32(p + 8, (uint32_t)(g->now_us / 1000000));
            put32(p + 12, (uint32_t)(g->now_us % 1000000));
            for (int i = 16; i < 64; i++)
                p[i] = (uint8_t)i;
            n = 64;
        }
    }
    p[1] = 0;
    put16(p + 4, a->sport);
    put16(p + 6, (uint16_t)(a->count + 1));
    send4(g, n, &f);
}

/* ---- IPv6 helpers ---------------------------------------------------------- */

static const uint32_t v6_prefixes[] = {0x20010470, 0x2a0104f8, 0x2604a880,
                                       0x2400cb00, 0x24068800, 0x2a020c7f};

static void v6_addr_of(uint8_t a[16], uint32_t v4src)
{
    put32(a, v6_prefixes[v4src % 6]);
    put32(a + 4, mix32(v4src));
    put32(a + 8, mix32(v4src ^ 0x5bd1e995));
    put32(a + 12, v4src);
}

static void v6_dark(struct gen *g, uint8_t a[16])
{
    put32(a, 0x20010db8);
    put32(a + 4, 0x002c0000);
    put32(a + 8, (uint32_t)rnext(&g->r));
    put32(a + 12, (uint32_t)rnext(&g->r));
}

/* ICMPv6 echo request of 16 bytes at p; returns its length. */
static size_t icmp6_echo(uint8_t *p, uint16_t id, uint16_t seq)
{
    p[0] = 128;
    p[1] = 0;
    put16(p + 2, 0);
    put16(p + 4, id);
    put16(p + 6, seq);
    memset(p + 8, 0x42, 8);
    return 16;
}

/* ---- other IP protocols: GRE (47), IPv6-in-IPv4 (41), ESP (50) --------- */

static void init_otherproto(struct gen *g, struct actor *a, size_t rank)
{
    uint32_t r = rbelow(&g->r, 100);
    (void)rank;
    a->src = pick_src(g, 0);
    a->var = r < 45 ? 47 : r < 75 ? 41 : 50;
    a->ttl = os_ttl(g, OS_NONE);
    a->x = (uint32_t)rnext(&g->r); /* ESP SPI */
    a->idm = ID_RAND;
}

static void emit_otherproto(struct gen *g, struct actor *a)
{
    struct ip4f f = {.src = a->src, .proto = a->var};
    f.dst = tel_rand(g);
    f.ttl = ttl_now(g, a);
    f.id = next_id(g, a);
    uint8_t *p = L3(g) + 20;
    size_t n;
    if (a->var == 47) { /* GRE carrying a small UDP datagram */
        struct ip4f in = {.ttl = 64, .proto = 17};
        in.src = pick_src(g, 0);
        in.dst = pick_src(g, 0);
        in.id = (uint16_t)rnext(&g->r);
        put32(p, 0x00000800);
        memset(p + 4 + 28, 0, 24);
        n = 4 + v4(p + 4, udp(p + 24, high_port(g), 53, 24), &in);
    } else if (a->var == 41) { /* 6in4 tunnel: an ICMPv6 echo inside */
        uint8_t s[16], d[16];
        v6_addr_of(s, a->src);
        v6_dark(g, d);
        n = v6(p, s, d, 58, 64, icmp6_echo(p + 40, (uint16_t)a->x, (uint16_t)a->count));
    } else { /* ESP: SPI, sequence, opaque bytes */
        put32(p, a->x);
        put32(p + 4, a->count + 1);
        n = 8 + 48 + 4 * rbelow(&g->r, 16);
        for (size_t i = 8; i < n; i += 8) {
            uint64_t v = rnext(&g->r);
            memcpy(p + i, &v, 8); /* random bytes: byte order is irrelevant */
        }
    }
    send4(g, n, &f);
}

/* ---- IP fragments, in first / non-first pairs ------------------------------
 * var 0: a UDP datagram of 1481..2880 bytes in two fragments (DNS answers
 * from port 53 or a UDP flood); var 1: a TCP SYN split after 8 bytes (tiny
 * fragment).  State between the two: x dst, ipid, dport, win = datagram
 * length. */

static void frag_payload(uint8_t *p, size_t from, size_t to, uint16_t id)
{
    for (size_t i = from; i < to; i++)
        p[i - from] = (uint8_t)(i * 7 + id);
}

static void init_frag(struct gen *g, struct actor *a, size_t rank)
{
    (void)rank;
    a->src = pick_src(g, 0);
    a->var = rbelow(&g->r, 10) == 0;
    a->ttl = os_ttl(g, OS_NONE);
    a->sport = a->var == 0 && rbelow(&g->r, 2) ? 53 : high_port(g);
    a->idm = ID_INC;
}

static void emit_frag(struct gen *g, struct actor *a)
{
    struct ip4f f = {.src = a->src, .ttl = ttl_now(g, a)};
    uint8_t *l4 = L3(g) + 20;
    int first = a->count % 2 == 0;
    if (first) {
        a->x = tel_rand(g);
        a->ipid = next_id(g, a);
        a->dport = a->var ? 80 : high_port(g);
        a->win = (uint16_t)(a->var ? 20 : 8 + 1473 + rbelow(&g->r, 1400));
    }
    f.dst = a->x;
    f.id = a->ipid;
    if (a->var == 0) {
        f.proto = 17;
        if (first) { /* whole datagram for its checksum, then send 1480 */
            frag_payload(l4 + 8, 8, a->win, f.id);
            udp(l4, a->sport, a->dport, a->win - 8u);
            l4_csum(l4, a->win, 17, pseudo4(f.src, f.dst, 17, a->win));
            f.frag = MF;
            send4(g, 1480, &f);
        } else {
            frag_payload(l4, 1480, a->win, f.id);
            f.frag = 1480 / 8;
            send4(g, a->win - 1480u, &f);
        }
    } else {
        f.proto = 6; /* rebuilt alike for both halves */
        tcp(l4, a->sport, a->dport, mix32(a->ipid + a->src), 0, 0x02, 512, OS_NONE, 0);
        l4_csum(l4, 20, 6, pseudo4(f.src, f.dst, 6, 20));
        if (first) {
            f.frag = MF;
            send4(g, 8, &f);
        } else {
            memmove(l4, l4 + 8, 12);
            f.frag = 1;
            send4(g, 12, &f);
        }
    }
}

/* ---- packets that trip one spoofing heuristic each (FT4-SPEC 3) ---------
 * var = the rule number 1..7. */

static void init_spoof(struct gen *g, struct actor *a, size_t rank)
{
    a->var = (uint8_t)(rank % 7 + 1);
    a->src = pick_src(g, 0);
    if (a->var == 4)
        a->src = (a->src & ~0xffu) | (rbelow(&g->r, 2) ? 255 : 0);
    a->ttl = a->var == 2 ? (uint8_t)(255 - rbelow(&g->r, 50)) : os_ttl(g, OS_NONE);
    a->idm = ID_RAND;
}

static void emit_spoof(struct gen *g, struct actor *a)
{
    static const uint8_t bad_flags[] = {0x00, 0x29, 0x06, 0x05, 0x3f};
    static const uint8_t bad_protos[] = {0, 4, 103, 255};
    struct ip4f f = {.src = a->src, .ttl = a->ttl, .proto = 6};
    f.dst = tel_rand(g);
    f.id = next_id(g, a);
    uint8_t *l4 = L3(g) + 20;
    int odd = a->count & 1;
    /* the draws every variant may use, in a fixed order */
    uint16_t hp = high_port(g), ep = eph_port(g), sp = scan_port(g);
    uint32_t seq = (uint32_t)rnext(&g->r);
    size_t n;
    switch (a->var) {
    case 1: /* abnormal TCP flags, or an abnormal protocol */
        if (!odd) {
            uint8_t fl = bad_flags[rbelow(&g->r, sizeof bad_flags)];
            n = tcp(l4, hp, sp, seq, 0, fl, 1024, OS_NONE, 0);
        } else {
            f.proto = bad_protos[rbelow(&g->r, sizeof bad_protos)];
            n = 20;
            memset(l4, 0xa5, n);
        }
        break;
    case 2: /* TTL >= 200 and not a masscan SYN: ACK probes, DNS queries */
        if (!odd) {
            n = tcp(l4, hp, 80, seq, mix32(seq), 0x10, 65535, OS_NONE, 0);
        } else {
            f.proto = 17;
            n = udp(l4, hp, 53, dns_any_query(g, l4 + 8));
        }
        break;
    case 3: /* reserved ("evil") bit, or an ICMP non-first fragment */
        if (!odd) {
            f.frag = 0x8000;
            n = tcp(l4, ep, sp, seq, 0, 0x02, 29200, OS_LINUX, tsval(g, a));
        } else {
            f.proto = 1;
            f.frag = 185;
            n = 64;
            memset(l4, 0x61, n);
        }
        break;
    case 4: /* source address ending in .0 or .255 */
    default:
        n = tcp(l4, ep, sp, seq, 0, 0x02, 64240, OS_LINUX, tsval(g, a));
        break;
    case 5: /* source == destination (LAND) */
        f.src = f.dst;
        n = tcp(l4, 139, 139, seq, 0, 0x02, 8192, OS_NONE, 0);
        break;
    case 6: /* port 0 */
        if (!odd) {
            n = tcp(l4, hp, 0, seq, 0, 0x02, 65535, OS_NONE, 0);
        } else {
            f.proto = 17;
            memset(l4 + 8, 0, 16);
            n = udp(l4, 0, hp, 16);
        }
        break;
    case 7: /* UDP to port 80 */
        f.proto = 17;
        for (int i = 0; i < 32; i++)
            l4[8 + i] = (uint8_t)rnext(&g->r);
        n = udp(l4, hp, 80, 32);
        break;
    }
    send4(g, n, &f);
}

/* ---- ARP: the router asking for dark addresses ------------------------- */

static void init_arp(struct gen *g, struct actor *a, size_t rank)
{
    (void)rank;
    a->src = g->tel_base | (g->tel_host & 1);
}

static void emit_arp(struct gen *g, struct actor *a)
{
    uint8_t *p = L3(g);
    put16(p, 1);
    put16(p + 2, 0x0800);
    p[4] = 6;
    p[5] = 4;
    put16(p + 6, 1); /* request */
    memcpy(p + 8, mac_router, 6);
    put32(p + 14, a->src);
    memset(p + 18, 0, 6);
    put32(p + 24, tel_rand(g));
    g->eth_dst = mac_bcast;
    emit(g, 28, 0x0806);
}

/* ---- IPv6: var 0 ICMPv6 echo, 1 TCP SYN, 2 the router's neighbour
 * solicitation for a dark address ----------------------------------------- */

static void init_ipv6(struct gen *g, struct actor *a, size_t rank)
{
    uint32_t r = rbelow(&g->r, 100);
    (void)rank;
    a->src = pick_src(g, 0);
    a->var = r < 40 ? 0 : r < 85 ? 1 : 2;
    a->os = OS_LINUX;
    a->ttl = os_ttl(g, OS_LINUX);
    a->sport = (uint16_t)rnext(&g->r);
    a->dport = scan_port(g);
}

static void emit_ipv6(struct gen *g, struct actor *a)
{
    uint8_t s[16], d[16], *p = L3(g), *l4 = p + 40;
    size_t n;
    v6_dark(g, d);
    if (a->var == 2) {
        static const uint8_t ll[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0,
                                       0x02, 0x1c, 0x73, 0xff, 0xfe, 0xaa, 0xbb, 0x01};
        uint8_t m[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff};
        memcpy(m + 13, d + 13, 3);
        l4[0] = 135;
        l4[1] = 0;
        put32(l4 + 2, 0);
        put16(l4 + 6, 0);
        memcpy(l4 + 8, d, 16);
        l4[24] = 1; /* source link-layer address option */
        l4[25] = 1;
        memcpy(l4 + 26, mac_router, 6);
        memcpy(g->mcast_mac, "\x33\x33\xff", 3);
        memcpy(g->mcast_mac + 3, d + 13, 3);
        g->eth_dst = g->mcast_mac;
        n = v6(p, ll, m, 58, 255, 32);
    } else if (a->var == 1) {
        uint8_t hl = ttl_now(g, a);
        uint16_t sport = eph_port(g);
        uint32_t seq = (uint32_t)rnext(&g->r);
        v6_addr_of(s, a->src);
        n = v6(p, s, d, 6, hl,
               tcp(l4, sport, a->dport, seq, 0, 0x02, 64800, OS_LINUX, tsval(g, a)));
    } else {
        uint8_t hl = ttl_now(g, a);
        v6_addr_of(s, a->src);
        n = v6(p, s, d, 58, hl, icmp6_echo(l4, a->sport, (uint16_t)(a->count + 1)));
    }
    emit(g, n, 0x86dd);
}

/* ---- the mix ---------------------------------------------------------------- */

static const struct cls_info {
    const char *name;
    unsigned share;     /* packets per 1000 */
    unsigned per_actor; /* mean packets per source: sizes the source pool */
    unsigned min_actors;
    unsigned zipf;      /* heavy hitters: weight 1/rank, else 1..8 */
    init_fn *init;
    emit_fn *emit;
    const char *what;
} cls_tab[NCLS] = {
    [C_TCPSCAN] = {"tcp-scan", 290, 25, 20, 1, init_tcpscan, emit_tcpscan,
                   "horizontal SYN scans of 23, 22, 80, 443, 445, 3389,\n"
                   "8080 ...: Linux, Windows, MSS-only or no TCP options;\n"
                   "the top scanner is in 130.0.0.0/8"},
    [C_MASSCAN] = {"masscan", 120, 200, 10, 1, init_masscan, emit_masscan,
                   "masscan SYNs (window 1024, no options, TTL >= 210) to\n"
                   "one or random ports; a fifth are zmap (window 65535)"},
    [C_MIRAI] = {"mirai", 80, 4, 20, 0, init_mirai, emit_mirai,
                 "Mirai-like SYNs to 23 (90%) and 2323, seq == dst"},
    [C_SIPSWEEP] = {"sip-sweep", 80, 0, 1, 0, init_sipsweep, emit_sipsweep,
                    "ONE source, source port 5181: SIP OPTIONS to 5060 of\n"
                    "each address of a /16 in turn, none repeated"},
    [C_UDPSCAN] = {"udp-scan", 50, 30, 10, 1, init_udpscan, emit_udpscan,
                   "SSDP, SNMP, NetBIOS, memcached, WS-Discovery, CLDAP,\n"
                   "DHT, Ubiquiti, ARD, MS-SQL, chargen, IKE, SIP, mDNS"},
    [C_DNSNTP] = {"dns-ntp", 50, 10, 10, 1, init_dnsntp, emit_dnsntp,
                  "DNS queries to 53, NTP client/monlist to 123, DNS\n"
                  "answers from 53"},
    [C_BSTCP] = {"bs-tcp", 120, 100, 10, 1, init_bstcp, emit_bstcp,
                 "backscatter SYN-ACK, RST, RST-ACK from 80, 443, ..."},
    [C_BSICMP] = {"bs-icmp", 60, 30, 10, 1, init_bsicmp, emit_bsicmp,
                  "backscatter ICMP: unreachable 3/3, 3/1, 3/13 quoting\n"
                  "the spoofed datagram, echo reply, time exceeded"},
    [C_ICMPSWEEP] = {"icmp-sweep", 60, 40, 10, 1, init_icmpsweep, emit_icmpsweep,
                     "ICMP echo requests (zmap, Windows, Linux style),\n"
                     "5% timestamp requests"},
    [C_OTHERPROTO] = {"other-proto", 20, 20, 10, 1, init_otherproto, emit_otherproto,
                      "GRE (47), IPv6-in-IPv4 (41), ESP (50)"},
    [C_FRAG] = {"fragments", 20, 20, 10, 0, init_frag, emit_frag,
                "first/non-first pairs: UDP, tiny TCP first fragments"},
    [C_SPOOF] = {"spoof", 30, 10, 21, 0, init_spoof, emit_spoof,
                 "each source trips one FT4-SPEC section 3 spoofing\n"
                 "rule, all 7 in equal parts: bad flags or protocol,\n"
                 "TTL >= 200, reserved bit or offset, source .0/.255,\n"
                 "source == destination, port 0, UDP to port 80"},
    [C_ARP] = {"arp", 10, 0, 1, 0, init_arp, emit_arp,
               "ARP who-has for dark addresses (IPv6 instead on raw\n"
               "and null links, which cannot carry ARP)"},
    [C_IPV6] = {"ipv6", 10, 10, 10, 1, init_ipv6, emit_ipv6,
                "ICMPv6 echo, TCP SYN over IPv6, neighbour solicitation"},
};

/* ---- set-up ----------------------------------------------------------------- */

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p)
        ft_die(FT_EXIT_DATA, "out of memory");
    return p;
}

static void setup(struct gen *g)
{
    size_t k = 0;
    rng_seed(&g->r, g->o.seed);
    g->tel_host = g->o.tel_len == 32 ? 0 : 0xffffffffu >> g->o.tel_len;
    g->tel_base = g->o.tel_net;
    g->has_arp = g->o.lt->dlt != DLT_RAW && g->o.lt->dlt != DLT_NULL;
    g->eth_dst = mac_capture;
    for (int c = 0; c < NCLS; c++)
        for (unsigned i = 0; i < cls_tab[c].share; i++)
            g->cls_of[k++] = (uint8_t)c;
    if (g->o.flood)
        return;
    for (int c = 0; c < NCLS; c++) {
        const struct cls_info *ci = &cls_tab[c];
        struct pool *pl = &g->pool[c];
        uint64_t n = ci->per_actor ? g->o.packets * ci->share / 1000 / ci->per_actor : 0;
        if (n < ci->min_actors)
            n = ci->min_actors;
        if (n > MAX_ACTORS)
            n = MAX_ACTORS;
        pl->n = (size_t)n;
        pl->a = xcalloc(pl->n, sizeof *pl->a);
        pl->cum = xcalloc(pl->n, sizeof *pl->cum);
        uint64_t sum = 0;
        for (size_t i = 0; i < pl->n; i++) {
            ci->init(g, &pl->a[i], i);
            sum += ci->zipf ? (1u << 24) / (i + 1) : 1 + rbelow(&g->r, 8);
            pl->cum[i] = sum;
        }
    }
}

static struct actor *pick_actor(struct gen *g, int c)
{
    struct pool *pl = &g->pool[c];
    uint64_t r = rnext(&g->r) % pl->cum[pl->n - 1];
    size_t lo = 0, hi = pl->n - 1;
    while (lo < hi) { /* first index with cum > r */
        size_t mid = lo + (hi - lo) / 2;
        if (pl->cum[mid] > r)
            hi = mid;
        else
            lo = mid + 1;
    }
    return &pl->a[lo];
}

/* --flood: packet i comes from source mix32(i + key), a bijection, so every
 * packet is a flow of its own. */
static void emit_flood(struct gen *g, uint64_t i)
{
    uint32_t key = (uint32_t)(g->o.seed ^ g->o.seed >> 32);
    struct ip4f f = {.src = mix32((uint32_t)i + key), .proto = 6};
    f.dst = tel_rand(g);
    f.ttl = hops_ttl(g, 64);
    f.id = (uint16_t)rnext(&g->r);
    uint16_t sport = eph_port(g), dport = scan_port(g);
    uint32_t seq = (uint32_t)rnext(&g->r);
    size_t n = tcp(L3(g) + 20, sport, dport, seq, 0, 0x02, 65535, OS_NONE, 0);
    send4(g, n, &f);
}

/* ---- output ----------------------------------------------------------------- */

static int to_stdout(const struct gen *g) { return strcmp(g->o.out, "-") == 0; }

/* A regular file is written under a temporary name beside it and renamed
 * when complete, so a failed run leaves no half file and removes nothing
 * but its own temporary; a device or FIFO (/dev/full, a pipe) is written
 * directly and never removed. */
static void open_out(struct gen *g)
{
    struct stat sb;
    const char *out = g->o.out;
    if (to_stdout(g)) {
        if (isatty(STDOUT_FILENO))
            ft_die(FT_EXIT_USAGE, "will not write binary data on a terminal; use -w FILE");
        g->fp = stdout;
    } else if (stat(out, &sb) == 0 && !S_ISREG(sb.st_mode)) {
        if (!(g->fp = fopen(out, "wb")))
            ft_die(FT_EXIT_DATA, "%s: %s", out, strerror(errno));
    } else {
        size_t n = strlen(out);
        mode_t mask = umask(0);
        int fd;
        umask(mask);
        g->tmp = xcalloc(n + 16, 1);
        memcpy(g->tmp, out, n);
        memcpy(g->tmp + n, ".tmp.XXXXXX", 12);
        if ((fd = mkstemp(g->tmp)) < 0) {
            int err = errno;
            free(g->tmp);
            g->tmp = NULL;
            ft_die(FT_EXIT_DATA, "%s: %s", out, strerror(err));
        }
        if (fchmod(fd, 0666 & ~mask) != 0 || !(g->fp = fdopen(fd, "wb"))) {
            int err = errno;
            close(fd);
            unlink(g->tmp);
            ft_die(FT_EXIT_DATA, "%s: %s", out, strerror(err));
        }
    }
    setvbuf(g->fp, NULL, _IOFBF, 1 << 20);
    g->pd = pcap_open_dead(g->o.lt->dlt, (int)g->o.snaplen);
    if (!g->pd || !(g->d = pcap_dump_fopen(g->pd, g->fp))) {
        if (g->tmp)
            unlink(g->tmp);
        ft_die(FT_EXIT_DATA, "%s: cannot start the pcap file%s%s", out,
               g->pd ? ": " : "", g->pd ? pcap_geterr(g->pd) : "");
    }
}

static _Noreturn void write_failed(struct gen *g, int err)
{
    if (g->tmp)
        unlink(g->tmp);
    ft_die(FT_EXIT_DATA, "%s: %s", to_stdout(g) ? "standard output" : g->o.out,
           err ? strerror(err) : "write error");
}

static void close_out(struct gen *g)
{
    errno = 0;
    if (pcap_dump_flush(g->d) != 0 || ferror(g->fp))
        write_failed(g, errno);
    pcap_dump_close(g->d); /* closes g->fp */
    pcap_close(g->pd);
    if (g->tmp && rename(g->tmp, g->o.out) != 0)
        write_failed(g, errno);
    free(g->tmp);
    g->tmp = NULL;
}

static void run(struct gen *g)
{
    uint64_t n = g->o.flood ? g->o.flood : g->o.packets;
    uint64_t total = (uint64_t)g->o.duration * 1000000;
    uint64_t q = n ? total / n : 0, rem = n ? total % n : 0;
    uint64_t base = 0, frac = 0, start = (uint64_t)g->o.start * 1000000;
    for (uint64_t i = 0; i < n; i++) {
        /* slot i spans [floor(i*total/n), floor((i+1)*total/n)) */
        uint64_t next = base + q;
        if ((frac += rem) >= n) {
            frac -= n;
            next++;
        }
        uint64_t t = base + (next > base ? rnext(&g->r) % (next - base) : 0);
        base = next;
        if (g->o.jitter && (rnext(&g->r) & 15) == 0)
            t += rnext(&g->r) % ((uint64_t)g->o.jitter * 1000000 + 1);
        g->now_us = start + t;
        if (g->o.flood) {
            emit_flood(g, i);
        } else {
            int c = g->cls_of[rbelow(&g->r, 1000)];
            if (c == C_ARP && !g->has_arp)
                c = C_IPV6;
            struct actor *a = pick_actor(g, c);
            cls_tab[c].emit(g, a);
            a->count++;
            g->n_cls[c]++;
        }
        if ((i & 0xffff) == 0xffff && ferror(g->fp))
            write_failed(g, errno);
    }
}

static void report(const struct gen *g)
{
    uint64_t n = g->o.flood ? g->o.flood : g->o.packets;
    fprintf(stderr, "%s: %" PRIu64 " packets, %" PRIu64 " bytes, %s, to %s\n", PROG,
            n, g->n_bytes + 24, g->o.lt->name, to_stdout(g) ? "standard output" : g->o.out);
    if (g->o.flood) {
        fprintf(stderr, "%s:   %10" PRIu64 "  flood (one-packet flows)\n", PROG, n);
    } else {
        for (int c = 0; c < NCLS; c++)
            fprintf(stderr, "%s:   %10" PRIu64 "  %s\n", PROG, g->n_cls[c], cls_tab[c].name);
    }
    fprintf(stderr, "%s:   %10" PRIu64 "  captured truncated\n", PROG, g->n_trunc);
    if (g->o.vlan)
        fprintf(stderr, "%s:   %10" PRIu64 "  VLAN-tagged\n", PROG, g->n_vlan);
}

/* ---- options ---------------------------------------------------------------- */

static void usage(void)
{
    printf("Usage: %s [OPTION]... [-w FILE]\n"
           "Write synthetic network-telescope traffic (unsolicited packets to a dark\n"
           "address range) as a pcap file.  The same options give the same bytes.\n"
           "\n"
           "  -w, --write FILE      output file; '-' (the default) is standard output,\n"
           "                        refused when it is a terminal\n"
           "      --seed N          random seed (default 1)\n"
           "      --start EPOCH     earliest timestamp, Unix seconds (default 1612130100)\n"
           "      --duration SECS   span of the timestamps (default 3600)\n"
           "      --packets N       packets to write, spread evenly over the span\n"
           "                        (default 200000)\n"
           "      --telescope NET   dark destination range A.B.C.D/LEN\n"
           "                        (default 44.0.0.0/8)\n"
           "      --linktype TYPE   en10mb, raw, linux-sll, linux-sll2 or null\n"
           "                        (default en10mb)\n"
           "      --vlan            tag 20%% of Ethernet frames 802.1Q, 5%% QinQ\n"
           "      --snaplen N       capture at most N bytes of each frame (default 65535)\n"
           "      --jitter SECS     delay one packet in 16 by up to SECS, so a few\n"
           "                        timestamps go backwards (default 0: never)\n"
           "      --flood N         instead of the mix, N TCP SYNs (none truncated) from\n"
           "                        N distinct sources: N one-packet flows, for\n"
           "                        memory tests\n"
           "  -v, --verbose         print packet counts per class to standard error\n"
           "  -h, --help            print this help and exit\n"
           "      --version         print the version and exit\n"
           "\n"
           "Traffic mix (share of packets; sources outside the telescope, from many\n"
           "allocated /8s, 7%% of them in 130.0.0.0/8; heavy hitters by Zipf weights):\n",
           PROG);
    for (int c = 0; c < NCLS; c++) {
        printf("  %2u.%u%%  %-11s ", cls_tab[c].share / 10, cls_tab[c].share % 10,
               cls_tab[c].name);
        for (const char *w = cls_tab[c].what; *w; w++)
            if (*w == '\n')
                printf("\n%21s", "");
            else
                putchar(*w);
        putchar('\n');
    }
    printf("Whatever the class, 1 packet in %d is captured truncated (inside or\n"
           "after the IP header); Ethernet frames are padded to 60 bytes.  Each\n"
           "source keeps its TTL (initial 64, 128 or 255 minus hops) and IP-id habit;\n"
           "all IP, TCP, UDP and ICMP checksums are correct.\n"
           "\n"
           "Exit status: 0 success, 1 write error, 2 usage error.\n",
           TRUNC_ONE_IN);
}

static uint64_t num_opt(const char *name, const char *s, int64_t min, int64_t max)
{
    int64_t v;
    ft_error e;
    if (ft_parse_int(s, min, max, &v, &e) < 0)
        ft_usage_error("--%s: %s", name, e.msg);
    return (uint64_t)v;
}

static void parse_opts(struct opts *o, int argc, char **argv)
{
    enum { O_SEED = 256, O_START, O_DURATION, O_PACKETS, O_TELESCOPE, O_LINKTYPE,
           O_VLAN, O_SNAPLEN, O_FLOOD, O_JITTER, O_VERSION };
    static const struct option lo[] = {
        {"write", required_argument, NULL, 'w'},
        {"seed", required_argument, NULL, O_SEED},
        {"start", required_argument, NULL, O_START},
        {"duration", required_argument, NULL, O_DURATION},
        {"packets", required_argument, NULL, O_PACKETS},
        {"telescope", required_argument, NULL, O_TELESCOPE},
        {"linktype", required_argument, NULL, O_LINKTYPE},
        {"vlan", no_argument, NULL, O_VLAN},
        {"snaplen", required_argument, NULL, O_SNAPLEN},
        {"flood", required_argument, NULL, O_FLOOD},
        {"jitter", required_argument, NULL, O_JITTER},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, O_VERSION},
        {NULL, 0, NULL, 0},
    };
    ft_error e;
    int c;
    *o = (struct opts){.out = "-", .seed = 1, .start = 1612130100, .duration = 3600,
                       .packets = 200000, .snaplen = 65535, .tel_net = 44u << 24,
                       .tel_len = 8, .lt = &linktypes[0]};
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":w:vh", lo, NULL)) != -1) {
        switch (c) {
        case 'w': o->out = optarg; break;
        case O_SEED: o->seed = num_opt("seed", optarg, 0, INT64_MAX); break;
        case O_START: o->start = (uint32_t)num_opt("start", optarg, 0, UINT32_MAX); break;
        case O_DURATION:
            o->duration = (uint32_t)num_opt("duration", optarg, 1, 366 * 86400);
            break;
        case O_PACKETS: o->packets = num_opt("packets", optarg, 0, MAX_PACKETS); break;
        case O_FLOOD: o->flood = num_opt("flood", optarg, 1, MAX_PACKETS); break;
        case O_JITTER: o->jitter = (uint32_t)num_opt("jitter", optarg, 0, 86400); break;
        case O_SNAPLEN: o->snaplen = (uint32_t)num_opt("snaplen", optarg, 1, 262144); break;
        case O_VLAN: o->vlan = 1; break;
        case O_TELESCOPE:
            if (ft_parse_cidr(optarg, &o->tel_net, &o->tel_len, 0, &e) < 0)
                ft_usage_error("--telescope: %s", e.msg);
            if (o->tel_len < 1)
                ft_usage_error("--telescope: '%s': the telescope cannot be all of IPv4",
                               optarg);
            break;
        case O_LINKTYPE: {
            size_t i, n = sizeof linktypes / sizeof linktypes[0];
            for (i = 0; i < n && strcmp(optarg, linktypes[i].name) != 0; i++)
                ;
            if (i == n)
                ft_usage_error("--linktype: '%s': expected en10mb, raw, linux-sll, "
                               "linux-sll2 or null", optarg);
            o->lt = &linktypes[i];
            break;
        }
        case 'v': o->verbose = 1; break;
        case 'h': usage(); exit(ft_close_stdout(FT_EXIT_OK));
        case O_VERSION: ft_version_exit();
        case ':': ft_usage_error("option '%s' needs a value", argv[optind - 1]);
        default:
            if (optopt)
                ft_usage_error("unknown option '-%c'", optopt);
            ft_usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        ft_usage_error("unexpected argument '%s'", argv[optind]);
    if (o->vlan && o->lt->dlt != DLT_EN10MB)
        ft_usage_error("--vlan needs --linktype en10mb");
    if ((uint64_t)o->start + o->duration + o->jitter > UINT32_MAX)
        ft_usage_error("--start + --duration + --jitter must stay below 2^32 seconds");
}

int main(int argc, char **argv)
{
    struct gen *g;
    ft_msg_init(PROG);
    g = xcalloc(1, sizeof *g);
    parse_opts(&g->o, argc, argv);
    setup(g);
    open_out(g);
    run(g);
    close_out(g);
    if (g->o.verbose)
        report(g);
    for (int c = 0; c < NCLS; c++) {
        free(g->pool[c].a);
        free(g->pool[c].cum);
    }
    free(g);
    return 0;
}
