/*
 * pcap_source.h - packets from pcap/pcapng files (read in the order
 * given, "-" = stdin) or from a live interface, through libpcap, with an
 * optional BPF filter as tcpdump takes it.
 *
 * A file that ends inside a packet (its record header or data) is an
 * error naming the packet, counted from 1 in that file:
 *   "x.pcap: packet 5: truncated"
 *
 * Ownership: ft_pcap_source_open() copies what it keeps; close with
 * ft_pcap_source_close() (NULL accepted).
 */
#ifndef FT_PCAP_SOURCE_H
#define FT_PCAP_SOURCE_H

#include <stdint.h>

#include "error.h"

typedef struct ft_pcap_opts {
    char *const *files;  /* read these in order ... */
    int nfiles;
    const char *iface;   /* ... or capture live from this interface */
    int snaplen;         /* live: bytes per packet (default 262144) */
    int promisc;         /* live: promiscuous mode */
    int timeout_ms;      /* live: how long next() may wait (default 1000) */
    const char *filter;  /* BPF expression, or NULL */
} ft_pcap_opts;

typedef struct ft_raw_packet {
    int64_t ts_sec;
    uint32_t ts_usec;
    uint32_t caplen;
    uint32_t wirelen;
    int dlt;             /* datalink type of the file/interface */
    const uint8_t *data; /* valid until the next call */
} ft_raw_packet;

typedef struct ft_pcap_source ft_pcap_source;

enum {
    FT_PCAP_ERR_USAGE = -2 /* a bad filter expression: the user's mistake */
};

/* Opens the first file (or the interface) at once, so that a missing
 * file, an unsupported link type or a bad filter is reported before any
 * work.  On error returns NULL; *why is -1 (data) or FT_PCAP_ERR_USAGE. */
ft_pcap_source *ft_pcap_source_open(const ft_pcap_opts *o, int *why,
                                    ft_error *err);

/* 1 = a packet, 0 = every file read, 2 = live capture timed out with no
 * packet (the caller may rotate on the wall clock), -1 = error. */
int ft_pcap_source_next(ft_pcap_source *s, ft_raw_packet *p, ft_error *err);

/* Makes a blocked next() return (from a signal handler). */
void ft_pcap_source_break(ft_pcap_source *s);

/* The file being read or the interface name. */
const char *ft_pcap_source_name(const ft_pcap_source *s);
int ft_pcap_source_is_live(const ft_pcap_source *s);
/* 1 when every input is a regular file (stdin included when it is one):
 * reads then never wait on a writer or a link. */
int ft_pcap_source_regular_files(const ft_pcap_source *s);
/* Live: packets the kernel dropped, or 0. */
uint64_t ft_pcap_source_dropped(ft_pcap_source *s);
/* Bytes read so far from the current file and its size (files only;
 * 0 when unknown), for a progress line. */
int ft_pcap_source_progress(ft_pcap_source *s, uint64_t *done, uint64_t *total,
                            int *file_index);

void ft_pcap_source_close(ft_pcap_source *s);

#endif
