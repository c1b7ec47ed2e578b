/*
 * pcap-from-hex - writes a pcap file with libpcap from a text description,
 * so CLI tests can state exact packets and get a real libpcap capture.
 *
 *   usage: pcap-from-hex LINKTYPE OUT.pcap [SNAPLEN] < lines
 *   line:  SECONDS.MICROS WIRELEN HEXBYTES    (WIRELEN 0 = captured length)
 * LINKTYPE is a pcap DLT number (1 Ethernet, 12 or 101 raw, 228 IPv4, 113
 * Linux cooked, 276 cooked v2, 0 BSD loopback, 108 OpenBSD loopback).
 * Lines starting with # and blank lines are skipped.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: pcap-from-hex LINKTYPE OUT.pcap [SNAPLEN] < lines\n");
        return 2;
    }
    int dlt = atoi(argv[1]);
    int snap = argc > 3 ? atoi(argv[3]) : 262144;
    pcap_t *p = pcap_open_dead(dlt, snap);
    pcap_dumper_t *d = pcap_dump_open(p, argv[2]);
    if (!d) {
        fprintf(stderr, "pcap-from-hex: %s\n", pcap_geterr(p));
        return 1;
    }
    static char line[1 << 20];
    static unsigned char buf[1 << 19];
    int lineno = 0;
    while (fgets(line, sizeof line, stdin)) {
        lineno++;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        long sec, usec;
        unsigned wirelen;
        int off;
        if (sscanf(line, "%ld.%ld %u %n", &sec, &usec, &wirelen, &off) != 3) {
            fprintf(stderr, "pcap-from-hex: line %d: bad line\n", lineno);
            return 1;
        }
        size_t n = 0;
        for (char *h = line + off; h[0] && h[0] != '\n' && h[1]; h += 2) {
            if (h[0] == ' ') {
                h--;
                continue;
            }
            unsigned v;
            if (sscanf(h, "%2x", &v) != 1) {
                fprintf(stderr, "pcap-from-hex: line %d: bad hex\n", lineno);
                return 1;
            }
            buf[n++] = (unsigned char)v;
        }
        struct pcap_pkthdr hdr;
        hdr.ts.tv_sec = sec;
        hdr.ts.tv_usec = usec;
        hdr.caplen = (bpf_u_int32)(n < (size_t)snap ? n : (size_t)snap);
        hdr.len = wirelen ? wirelen : (bpf_u_int32)n;
        pcap_dump((u_char *)d, &hdr, buf);
    }
    pcap_dump_close(d);
    pcap_close(p);
    return 0;
}
