/*
 * pcap_count - the baseline for ft-aggregate's benchmark: reads a capture
 * with libpcap's pcap_next_ex and only counts packets, so the ratio
 * "ft-aggregate time / this time" measures what aggregation adds to the
 * cheapest possible read of the same file.
 */
#include <pcap/pcap.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    char ebuf[PCAP_ERRBUF_SIZE];
    if (argc != 2) {
        fprintf(stderr, "usage: pcap_count FILE\n");
        return 2;
    }
    pcap_t *p = pcap_open_offline(argv[1], ebuf);
    if (!p) {
        fprintf(stderr, "pcap_count: %s\n", ebuf);
        return 1;
    }
    struct pcap_pkthdr *h;
    const u_char *d;
    unsigned long long n = 0, bytes = 0;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &d)) == 1) {
        n++;
        bytes += h->caplen + d[0]; /* touch the data, as a parser must */
    }
    if (rc != PCAP_ERROR_BREAK) {
        fprintf(stderr, "pcap_count: %s\n", pcap_geterr(p));
        return 1;
    }
    printf("%llu packets %llu\n", n, bytes);
    pcap_close(p);
    return 0;
}
