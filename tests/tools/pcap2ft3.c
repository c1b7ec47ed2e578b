/*
 * pcap2ft3 - FT3 (corsaro3 FlowTuple Avro) records from a pcap, for the
 * tests and benchmarks of ft-convert.
 *
 *   pcap2ft3 [-c null|deflate|snappy] [-p] IN.pcap OUT
 *   pcap2ft3 -2 IN.pcap OUT.gz
 *
 * Packets are parsed by common/packet.c, exactly as ft-aggregate parses
 * them (non-IPv4 and malformed packets are skipped).  One FT3 record per
 * (60-s interval, src, dst, src_port, dst_port, protocol, ttl, tcp_flags,
 * ip_len) as FT4-SPEC section 5 says, with its packet count; ICMP keeps
 * the type in src_port and the code in dst_port; protocols other than
 * TCP/UDP/ICMP have ports 0.  Two refinements keep every FT3 field
 * well defined for the packets it stands for: packets of one such key
 * that differ in is_spoofed / is_masscan (rules that also look at the
 * window, options and fragment bits) make separate records, and
 * tcp_synlen / tcp_synwinlen are those of the record's first packet.
 * Records are written interval by interval, each in the order of its
 * first packet, so "the first FT3 record of a key with flags 0x02" holds
 * the key's first SYN packet.  Tags are "??" and prefix2asn 0.
 *
 * -p: OUT is a prefix; one file per interval, OUT<start>.ft3.avro (as
 * corsaro3 writes a file per minute).
 *
 * -2: the same records as one gzip-compressed FT2 file (FT4-SPEC section
 * 6: SIXU, no global header, one interval per 60 s; class 1 holds ICMP
 * echo requests, class 0 TCP with ACK or RST and other ICMP, class 2 the
 * rest).  The spoofed/masscan split and the SYN fields do not exist in
 * FT2: records that differ only in them stay separate records.
 */
#include <avro.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "packet.h"

#define IV 60

static const char schema_json[] =
    "{\"type\":\"record\",\"name\":\"flowtuple\",\"namespace\":\"org.caida.corsaro\","
    "\"fields\":[{\"name\":\"time\",\"type\":\"long\"},"
    "{\"name\":\"src_ip\",\"type\":\"long\"},{\"name\":\"dst_ip\",\"type\":\"long\"},"
    "{\"name\":\"src_port\",\"type\":\"int\"},{\"name\":\"dst_port\",\"type\":\"int\"},"
    "{\"name\":\"protocol\",\"type\":\"int\"},{\"name\":\"ttl\",\"type\":\"int\"},"
    "{\"name\":\"tcp_flags\",\"type\":\"int\"},{\"name\":\"ip_len\",\"type\":\"int\"},"
    "{\"name\":\"tcp_synlen\",\"type\":\"int\"},{\"name\":\"tcp_synwinlen\",\"type\":\"int\"},"
    "{\"name\":\"packet_cnt\",\"type\":\"long\"},{\"name\":\"is_spoofed\",\"type\":\"int\"},"
    "{\"name\":\"is_masscan\",\"type\":\"int\"},"
    "{\"name\":\"maxmind_continent\",\"type\":\"string\"},"
    "{\"name\":\"maxmind_country\",\"type\":\"string\"},"
    "{\"name\":\"netacq_continent\",\"type\":\"string\"},"
    "{\"name\":\"netacq_country\",\"type\":\"string\"},"
    "{\"name\":\"prefix2asn\",\"type\":\"long\"}]}";

typedef struct ent {
    int64_t iv;
    uint32_t src, dst;
    uint16_t sport, dport, ip_len, win;
    uint8_t proto, ttl, flags, spoofed, masscan, hlen;
    uint64_t seq, cnt;
} ent;

static int cmp_key(const void *a, const void *b)
{
    const ent *x = a, *y = b;
#define C(f) if (x->f != y->f) return x->f < y->f ? -1 : 1
    C(iv); C(src); C(dst); C(sport); C(dport); C(proto); C(ttl); C(flags);
    C(ip_len); C(spoofed); C(masscan); C(seq);
#undef C
    return 0;
}

static int cmp_out(const void *a, const void *b)
{
    const ent *x = a, *y = b;
    if (x->iv != y->iv)
        return x->iv < y->iv ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int same_key(const ent *x, const ent *y)
{
    return x->iv == y->iv && x->src == y->src && x->dst == y->dst &&
           x->sport == y->sport && x->dport == y->dport && x->proto == y->proto &&
           x->ttl == y->ttl && x->flags == y->flags && x->ip_len == y->ip_len &&
           x->spoofed == y->spoofed && x->masscan == y->masscan;
}

static void die(const char *what)
{
    fprintf(stderr, "pcap2ft3: %s\n", what);
    exit(1);
}

static int ft2_class(const ent *x)
{
    if (x->proto == 1)
        return x->sport == 8 ? 1 : 0;
    if (x->proto == 6 && (x->flags & (FT_TCP_ACK | FT_TCP_RST)))
        return 0;
    return 2;
}

static void put(uint8_t *b, size_t *n, uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--)
        b[(*n)++] = (uint8_t)(v >> (8 * i));
}

/* Writes e[0..m) (sorted by interval) as one gzip FT2 file. */
static void write_ft2(const char *path, const ent *e, size_t m)
{
    gzFile f = gzopen(path, "wb6");
    if (!f)
        die("cannot create the FT2 file");
    uint8_t b[64];
    unsigned number = 0;
    for (size_t i = 0; i < m;) {
        size_t j = i;
        while (j < m && e[j].iv == e[i].iv)
            j++;
        size_t n = 0;
        put(b, &n, 0x45444752, 4); put(b, &n, 0x494E5452, 4);
        put(b, &n, number, 2); put(b, &n, (uint64_t)e[i].iv, 4);
        gzwrite(f, b, (unsigned)n);
        for (int cls = 0; cls < 3; cls++) {
            uint32_t count = 0;
            for (size_t k = i; k < j; k++)
                count += ft2_class(&e[k]) == cls;
            n = 0;
            put(b, &n, 0x53495855, 4); put(b, &n, (uint64_t)cls, 2);
            put(b, &n, count, 4);
            gzwrite(f, b, (unsigned)n);
            for (size_t k = i; k < j; k++) {
                const ent *x = &e[k];
                if (ft2_class(x) != cls)
                    continue;
                n = 0;
                put(b, &n, x->src, 4); put(b, &n, x->dst, 4);
                put(b, &n, x->sport, 2); put(b, &n, x->dport, 2);
                put(b, &n, x->proto, 1); put(b, &n, x->ttl, 1);
                put(b, &n, x->flags, 1); put(b, &n, x->ip_len, 2);
                put(b, &n, x->cnt, 4);
                gzwrite(f, b, (unsigned)n);
            }
            n = 0;
            put(b, &n, 0x53495855, 4); put(b, &n, (uint64_t)cls, 2);
            gzwrite(f, b, (unsigned)n);
        }
        n = 0;
        put(b, &n, 0x45444752, 4); put(b, &n, 0x494E5452, 4);
        put(b, &n, number++, 2); put(b, &n, (uint64_t)e[i].iv + IV - 1, 4);
        gzwrite(f, b, (unsigned)n);
        i = j;
    }
    if (gzclose(f) != Z_OK)
        die("cannot write the FT2 file");
}

static void set(avro_value_t *rec, int i, int64_t v, int is_long)
{
    avro_value_t f;
    avro_value_get_by_index(rec, (size_t)i, &f, NULL);
    if (is_long ? avro_value_set_long(&f, v) : avro_value_set_int(&f, (int32_t)v))
        die(avro_strerror());
}

int main(int argc, char **argv)
{
    const char *codec = "deflate";
    int per_interval = 0, ft2 = 0, c;
    while ((c = getopt(argc, argv, "c:p2")) != -1) {
        if (c == 'c')
            codec = optarg;
        else if (c == 'p')
            per_interval = 1;
        else if (c == '2')
            ft2 = 1;
        else
            return 2;
    }
    if (argc - optind != 2) {
        fprintf(stderr, "usage: pcap2ft3 [-c codec] [-p | -2] IN.pcap OUT\n");
        return 2;
    }
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *pc = pcap_open_offline(argv[optind], errbuf);
    if (!pc)
        die(errbuf);
    int dlt = pcap_datalink(pc);
    size_t n = 0, cap = 1 << 16;
    ent *e = malloc(cap * sizeof *e);
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc;
    while (e && (rc = pcap_next_ex(pc, &h, &data)) == 1) {
        ft_packet p;
        if (ft_packet_parse(dlt, data, h->caplen, &p) != FT_PKT_IPV4)
            continue;
        if (n == cap && !(e = realloc(e, (cap *= 2) * sizeof *e)))
            break;
        ent *x = &e[n];
        memset(x, 0, sizeof *x);
        int64_t ts = h->ts.tv_sec;
        x->iv = ts - ((ts % IV) + IV) % IV;
        x->src = p.src;
        x->dst = p.dst;
        if (p.proto == 1) { /* FT3: type in src_port, code in dst_port */
            x->sport = p.dst_port >> 8;
            x->dport = p.dst_port & 0xff;
        } else {
            x->sport = p.src_port;
            x->dport = p.dst_port;
        }
        x->proto = p.proto;
        x->ttl = p.ttl;
        x->flags = p.tcp_flags;
        x->ip_len = p.ip_len;
        x->spoofed = p.spoofed;
        x->masscan = p.masscan;
        x->hlen = p.tcp_hlen;
        x->win = p.tcp_win;
        x->seq = n;
        x->cnt = 1;
        n++;
    }
    if (!e)
        die("out of memory");
    pcap_close(pc);

    /* Group: sort by key then arrival; the first of a run stands for it. */
    qsort(e, n, sizeof *e, cmp_key);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m > 0 && same_key(&e[m - 1], &e[i]))
            e[m - 1].cnt++;
        else
            e[m++] = e[i];
    }
    qsort(e, m, sizeof *e, cmp_out);
    if (ft2) {
        write_ft2(argv[optind + 1], e, m);
        free(e);
        return 0;
    }

    avro_schema_t schema;
    if (avro_schema_from_json_length(schema_json, strlen(schema_json), &schema))
        die(avro_strerror());
    avro_value_iface_t *iface = avro_generic_class_from_schema(schema);
    avro_value_t rec;
    avro_generic_value_new(iface, &rec);
    avro_file_writer_t w = NULL;
    int64_t cur = INT64_MIN;
    for (size_t i = 0; i <= m; i++) {
        if (w && (i == m || (per_interval && e[i].iv != cur))) {
            avro_file_writer_close(w);
            w = NULL;
        }
        if (i == m)
            break;
        if (!w) {
            char path[4096];
            if (per_interval)
                snprintf(path, sizeof path, "%s%lld.ft3.avro", argv[optind + 1],
                         (long long)e[i].iv);
            else
                snprintf(path, sizeof path, "%s", argv[optind + 1]);
            unlink(path);
            if (avro_file_writer_create_with_codec(path, schema, &w, codec, 0))
                die(avro_strerror());
            cur = e[i].iv;
        }
        const ent *x = &e[i];
        int syn = x->proto == 6;
        int64_t v[14] = {x->iv, x->src, x->dst, x->sport, x->dport, x->proto,
                         x->ttl, x->flags, x->ip_len, syn ? x->hlen : 0,
                         syn ? x->win : 0, (int64_t)x->cnt, x->spoofed,
                         x->masscan};
        for (int k = 0; k < 14; k++)
            set(&rec, k, v[k], k <= 2 || k == 11);
        for (int k = 14; k < 18; k++) {
            avro_value_t f;
            avro_value_get_by_index(&rec, (size_t)k, &f, NULL);
            avro_value_set_string(&f, "??");
        }
        set(&rec, 18, 0, 1);
        if (avro_file_writer_append_value(w, &rec))
            die(avro_strerror());
    }
    avro_value_decref(&rec);
    avro_value_iface_decref(iface);
    avro_schema_decref(schema);
    free(e);
    return 0;
}
