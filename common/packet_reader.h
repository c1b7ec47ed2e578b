/*
 * packet_reader.h - parsed packets from a pcap source, in batches.
 *
 * When every input is a regular file, packets are read (libpcap) and
 * parsed (packet.h) on a thread of its own, a few batches ahead of the
 * caller: reading and parsing were half of ft-aggregate's critical path,
 * and the flow tables are filled on the caller's thread meanwhile.
 * Pipes, terminals and live captures are read on the caller's thread one
 * packet at a time (a read there may block until a signal, and a live
 * capture must hand over each packet when it arrives).
 *
 * Either way the caller sees the same packets, in the same order, with
 * the same end: an error comes after every packet read before it.
 *
 * Ownership: the reader uses the source until ft_packet_reader_free(),
 * which stops its thread; close the source after that.
 */
#ifndef FT_PACKET_READER_H
#define FT_PACKET_READER_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "packet.h"
#include "pcap_source.h"

typedef struct ft_parsed_packet {
    int64_t ts_sec;
    uint8_t truncated; /* captured shorter than on the wire */
    ft_packet pk;      /* pk.status says whether it is IPv4 */
} ft_parsed_packet;

typedef struct ft_packet_reader ft_packet_reader;

/* want_progress: keep the file position of each batch for
 * ft_packet_reader_progress().  NULL (with err set) when out of memory. */
ft_packet_reader *ft_packet_reader_new(ft_pcap_source *src, int want_progress,
                                       ft_error *err);

/* 1 = *batch holds *n >= 1 packets (valid until the next call);
 * 2 = a live capture timed out with no packet (the caller may rotate on
 * the wall clock); 0 = every input read; -1 = error. */
int ft_packet_reader_next(ft_packet_reader *r, const ft_parsed_packet **batch,
                          size_t *n, ft_error *err);

/* As ft_pcap_source_progress(), for the last batch returned. */
int ft_packet_reader_progress(ft_packet_reader *r, uint64_t *done,
                              uint64_t *total, int *file_index);

/* From a signal handler: makes a blocked next() return (see
 * ft_pcap_source_break). */
void ft_packet_reader_break(ft_packet_reader *r);

void ft_packet_reader_free(ft_packet_reader *r);

#endif
