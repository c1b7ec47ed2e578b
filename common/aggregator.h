/*
 * aggregator.h - packets to FT4 records, interval by interval (the heart
 * of ft-aggregate).
 *
 * Packets are assigned to the interval floor(ts / I) * I.  Several
 * intervals stay open so that input that is not perfectly ordered still
 * lands where it belongs: an interval is closed, and its records written,
 * once the newest packet seen is more than `reorder` seconds past the
 * interval's end (or, for live capture, once the wall clock is: see
 * ft_agg_tick).  A packet whose interval is already closed is counted as
 * late and dropped from aggregation, never merged elsewhere.
 *
 * Output: either one stream (an ft_output opened at once, so even no
 * packets give a valid empty stream), or, with a file template, one file
 * per interval, written under a temporary name and renamed when complete.
 * Records of an interval are written in key order, so the same input
 * always gives the same bytes.
 *
 * Writing (sorting, encoding, compressing, writing) runs on a thread of
 * its own: a closed interval is handed over and written while the next
 * one aggregates, in the order closed, with the same bytes and files as
 * when written at once (which is what happens when no thread can be
 * started).  A write error is returned by the next call (ft_agg_packets,
 * ft_agg_tick, ft_agg_finish) and nothing more is written.  Having
 * written an interval, the thread also makes the table for a coming one
 * (the kernel's page faults had been up to 15% of the reading thread's
 * time); without max_memory only, and counted in peak_memory.
 *
 * Measured (bench/aggregate.sh's 2 M-packet capture, CPU time of each
 * thread, x86-64): the raw libpcap read loop 186 ms; before the thread,
 * 577 ms on one; now 391 ms reading and aggregating plus 200 ms writing.
 *
 * Memory limit (max_memory): intervals still being written count until
 * they are freed, and over the limit the caller first waits for them, so
 * what follows depends on the open intervals only, not on timing.  When
 * they hold more, the oldest are written before their reorder window
 * ends; if the newest
 * alone is over the limit, its flows so far are written and it starts
 * afresh, so one key may have several records in that interval.  No
 * packet is lost from the counts either way; both are counted in the
 * statistics.
 *
 * Ownership: ft_agg_finish() writes what is open and frees; ft_agg_abort()
 * lets the thread finish what was handed over (unless it failed), removes
 * temporaries and frees.  Both accept NULL.
 */
#ifndef FT_AGGREGATOR_H
#define FT_AGGREGATOR_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "flow_table.h"
#include "output.h"
#include "packet_reader.h"

typedef struct ft_agg_opts {
    int interval;         /* seconds, > 0 */
    int dst_prefix;       /* 16 or 24 */
    int reorder;          /* seconds a packet may lag the newest one */
    const char *template; /* per-interval file names, or NULL for a stream */
    ft_output_opts out;   /* format options; out.path is the stream's */
    size_t max_memory;    /* bytes for open intervals; 0 = no limit */
    ft_flow_tag_fn tag;   /* may be NULL */
    void *tag_ctx;
} ft_agg_opts;

typedef struct ft_agg_stats {
    uint64_t packets;     /* read from the input */
    uint64_t aggregated;  /* IPv4 packets counted into records */
    uint64_t non_ipv4;    /* ARP, IPv6, ... */
    uint64_t malformed;   /* said IPv4 but failed the IPv4 checks */
    uint64_t truncated;   /* captured shorter than on the wire */
    uint64_t late;        /* arrived after their interval was written */
    uint64_t records;
    uint64_t files;
    uint64_t intervals;
    size_t peak_flows;    /* most flows in one interval */
    size_t peak_memory;   /* most bytes held by open intervals at once */
    uint64_t early_closes;    /* intervals written early for max_memory */
    uint64_t partial_flushes; /* an interval's flows written part-way */
} ft_agg_stats;

typedef struct ft_agg ft_agg;

ft_agg *ft_agg_new(const ft_agg_opts *o, ft_error *err);
/* Counts n parsed packets (packet_reader.h) into their intervals, closing
 * those whose reorder window has passed. */
int ft_agg_packets(ft_agg *a, const ft_parsed_packet *p, size_t n,
                   ft_error *err);
/* Closes intervals as if a packet with timestamp now had been seen
 * (live capture on a quiet link). */
int ft_agg_tick(ft_agg *a, int64_t now, ft_error *err);
/* Writes every open interval, closes the output, copies the final
 * statistics to *final (may be NULL) and frees. */
int ft_agg_finish(ft_agg *a, ft_agg_stats *final, ft_error *err);
void ft_agg_abort(ft_agg *a);
/* The statistics so far; waits until the closed intervals are written. */
const ft_agg_stats *ft_agg_get_stats(ft_agg *a);

#endif
