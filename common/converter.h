/*
 * converter.h - FT2 and FT3 files to FT4 records (FT4-SPEC section 7), the
 * heart of ft-convert.
 *
 * Inputs.  ft_conv_add() opens each input once to learn its format (FT2
 * when the data, after any gzip, starts "EDGR"; FT3 when it starts
 * "Obj\x01"; or as forced) and the time of its first interval (FT2: the
 * first interval start; FT3: the first record's time), then closes it
 * (stdin stays open).  ft_conv_run() converts the inputs in the order of
 * those times, inputs with equal times in the order added; inputs without
 * any interval or record are skipped.  "First" (first_syn_*, tags) is
 * this order, then file order.
 *
 * Grouping.  Each old record becomes packet_cnt identical packets of the
 * flow table (flow_table.h): src, dst, protocol, TTL, IP length; TCP and
 * UDP keep their ports (flags for TCP only); ICMP becomes dst_port =
 * (type << 8) | code with source port 0; other protocols have ports 0.
 * FT3's is_spoofed / is_masscan add packet_cnt to those counts.  Per FT4
 * key, a side table keeps what the flow table cannot: the tcp_synlen and
 * tcp_synwinlen of the first FT3 record with protocol 6 and flags exactly
 * 0x02, and each geolocation string and prefix2asn from the first FT3
 * record where it is known (not "??" or empty, not 0); they replace the
 * defaults (0, "??", 0) when the records are written.  FT2 has none.
 *
 * Intervals.  A record belongs to floor(time / interval) * interval.  An
 * interval is written once no input still to be read can reach it: the
 * input being read has passed it and the next input starts after it.  A
 * record for an interval already written (an input that goes back in
 * time) is counted as late and not converted.
 *
 * Errors in an input (reported through the warn callback, counted in
 * ft_conv_stats.input_errors) stop that input, except that an FT2 interval
 * missing its end marker lets the next interval of the file convert.  The
 * FT4 interval that the broken data belonged to (FT2: the interval being
 * read; FT3: the interval of the last record read) is not written at all,
 * and a message says so: nothing incomplete is written as if it were
 * complete.  An error found before an input's first interval leaves
 * nothing of that input converted.
 *
 * Output: one stream (opened by ft_conv_new, so no input still gives a
 * valid empty stream) or, with a template, one file per interval
 * (as ft_expand_template in output.h; written under a temporary name, renamed when
 * complete).
 *
 * Ownership: ft_conv_finish() writes what is open, closes the output and
 * frees; ft_conv_abort() removes temporaries and frees (both accept NULL).
 */
#ifndef FT_CONVERTER_H
#define FT_CONVERTER_H

#include <stdint.h>

#include "error.h"
#include "output.h"

#define FT_CONV_SOURCE_INTERVAL 60 /* FT2 without a header, and FT3 */

typedef struct ft_conv_opts {
    int interval;         /* seconds, a multiple of 60 */
    int dst_prefix;       /* 16 or 24 */
    int slash_eight;      /* first octet of SIXT destinations, or -1 */
    int version;          /* 0 = detect per input, 2 or 3 = force */
    const char *template; /* per-interval file names, or NULL for a stream */
    ft_output_opts out;
    /* Receives each input error and each interval not written (one
     * line, no program name); may be NULL. */
    void (*warn)(void *ctx, const char *msg);
    void *warn_ctx;
} ft_conv_opts;

typedef struct ft_conv_stats {
    uint64_t inputs;          /* converted (or tried) */
    uint64_t input_errors;    /* inputs that failed, wholly or in part */
    uint64_t source_records;  /* FT2/FT3 records read */
    uint64_t packets;         /* their packet counts */
    uint64_t late_records;    /* for intervals already written */
    uint64_t records;         /* FT4 records written */
    uint64_t intervals;       /* FT4 intervals written */
    uint64_t dropped;         /* FT4 intervals not written (broken input) */
    uint64_t files;           /* files written (-w) */
} ft_conv_stats;

typedef struct ft_conv ft_conv;

ft_conv *ft_conv_new(const ft_conv_opts *o, ft_error *err);

/* Adds an input ("-" is stdin).  0 = added; -1 = a data error (err says;
 * the input is left out); -2 = the input cannot be converted with these
 * options (an FT2 interval length that does not divide the interval, SIXT
 * records without slash_eight): a usage error, err says. */
int ft_conv_add(ft_conv *c, const char *path, ft_error *err);

/* Converts the inputs added.  Input errors go to warn; -1 only when the
 * output fails (err set; then call ft_conv_abort). */
int ft_conv_run(ft_conv *c, ft_error *err);

/* Writes every interval still open, closes the output, copies the
 * statistics to *st (may be NULL) and frees.  -1 when writing fails. */
int ft_conv_finish(ft_conv *c, ft_conv_stats *st, ft_error *err);
void ft_conv_abort(ft_conv *c);

#endif
