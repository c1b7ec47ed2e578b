/*
 * series.h - time series of FT4 records (FT4-SPEC section 8): per time
 * bin, the packets (sum of packet_cnt), the flows (records), and the
 * exact numbers of distinct src_ip, dst_net and prefix2asn values.
 *
 * Bins: each distinct `time` (bin 0), or `floor(time / bin) * bin` (bins
 * aligned to the epoch).  With a bin, the records must lie on the
 * interval's grid (time a multiple of `interval`) and bin must be a
 * multiple of the interval, so that no record's interval straddles two
 * bins.  Rows come in time order; a bin without records has no row.
 *
 * prefix2asn 0 means "no AS known" (FT4-SPEC section 1) and is not
 * counted as an AS: `asns` counts distinct non-zero origins.  (Spark's
 * count over the column, as pyspark-stardust reports it, counts 0 as one
 * more value.)  src_ip, dst_net and prefix2asn must be 32-bit unsigned
 * values; anything else is an error.  Sums are exact unsigned 64-bit; a
 * negative packet_cnt or a sum past 2^64 - 1 is an error.
 *
 * Partial items (partial.h), descriptor "ft-series v1 bin=N" ("bin=time"
 * for bin 0), one item per bin in time order: int time, uint pkt_cnt,
 * uint flows, then the src_ip, dst_net and non-zero prefix2asn sets, each
 * as uint count followed by the values in ascending order as uint
 * deltas (the first from 0, then each from the one before, so >= 1).
 * Merging keeps the sets read from partials as ascending arrays, each
 * merged with the next partial's in one pass (in order through memory);
 * records added afterwards put them back into hash sets (u32set.h).
 *
 * Ownership: ft_series_new() and ft_series_merge_files() create series the
 * caller frees with ft_series_free() (NULL accepted).
 */
#ifndef FT_SERIES_H
#define FT_SERIES_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "ft4.h"
#include "output.h"
#include "sink.h"

enum ft_series_metric {
    FT_SERIES_PKT_CNT, FT_SERIES_FLOWS, FT_SERIES_SRC_IPS,
    FT_SERIES_DST_NETS, FT_SERIES_ASNS, FT_SERIES_NMETRICS
};

/* Metric names in column order: pkt_cnt, flows, src_ips, dst_nets, asns. */
extern const char *const ft_series_metric_names[FT_SERIES_NMETRICS];
/* Metric id for a name, or -1. */
int ft_series_metric_lookup(const char *name);

typedef struct ft_series ft_series;

/* bin 0: one row per distinct time.  bin > 0 must be a multiple of
 * interval (> 0); the message says so otherwise. */
ft_series *ft_series_new(int64_t bin, int64_t interval, ft_error *err);
void ft_series_free(ft_series *s);

int ft_series_add(ft_series *s, const ft4_record *r, ft_error *err);

size_t ft_series_rows(const ft_series *s);
int64_t ft_series_bin(const ft_series *s);
/* Row i (0 <= i < rows) in time order. */
typedef struct ft_series_row {
    int64_t time;
    uint64_t v[FT_SERIES_NMETRICS];
} ft_series_row;
void ft_series_row_at(const ft_series *s, size_t i, ft_series_row *row);

int ft_series_write_partial(const ft_series *s, ft_sink *sink, ft_error *err);
/* Adds every section of the partial files paths[0..n) (n = 0: stdin).
 * When *s is NULL it is first created from the first descriptor; a
 * descriptor other than *s's (another bin) is refused.  On error *s
 * holds part of the sums. */
int ft_series_merge_files(ft_series **s, int n, char *const *paths, ft_error *err);

enum ft_series_format {
    FT_SERIES_TEXT, FT_SERIES_CSV, FT_SERIES_JSON, FT_SERIES_GRAPHITE,
    FT_SERIES_SVG
};
/* "text", "csv", "json", "graphite" or "svg"; -1 for anything else. */
int ft_series_format_parse(const char *s, enum ft_series_format *fmt);

typedef struct ft_series_out {
    enum ft_series_format fmt;
    const char *label;     /* key column / graphite prefix; NULL = none */
    unsigned metrics;      /* bit per ft_series_metric; 0 = all */
    const ft_output_opts *vo; /* time_iso, no_header */
} ft_series_out;

/* Writes the series:
 *   text/csv/json  the table.h formats: time, the metrics, then `key`
 *                  when there is a label
 *   graphite       "LABEL.METRIC VALUE TIME" per metric per row (the
 *                  plaintext protocol; needs a label)
 *   svg            a self-contained SVG line chart, one panel per metric
 *                  over a shared UTC time axis */
int ft_series_write(const ft_series *s, const ft_series_out *o, ft_sink *sink,
                    ft_error *err);

#endif
