/* series.c - per-bin sums and exact distinct counts (see series.h), and
 * their output: tables, Graphite plaintext and an SVG chart. */
#include "series.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "parse.h"
#include "partial.h"
#include "table.h"
#include "u32set.h"

#define DESC_PREFIX "ft-series v1 bin="
#define NSETS 3 /* src_ips, dst_nets, asns: metrics 2..4 */

const char *const ft_series_metric_names[FT_SERIES_NMETRICS] = {
    "pkt_cnt", "flows", "src_ips", "dst_nets", "asns"};

/* What a metric counts, for chart axes. */
static const char *const metric_units[FT_SERIES_NMETRICS] = {
    "packets", "records", "distinct source addresses",
    "distinct destination networks", "distinct origin ASes"};

int ft_series_metric_lookup(const char *name)
{
    for (int i = 0; i < FT_SERIES_NMETRICS; i++)
        if (strcmp(name, ft_series_metric_names[i]) == 0)
            return i;
    return -1;
}

/* A distinct set: a u32set while records are added one by one; values
 * read from partials are kept as an ascending array instead, which
 * merges with the next partial's (also ascending) in one pass, in order
 * through memory, where adding them to a hash would miss the cache once
 * a value.  A set is in one form at a time. */
typedef struct vset {
    ft_u32set *set; /* NULL: the array form */
    uint32_t *v;
    uint64_t n;
} vset;

typedef struct bin {
    int64_t time;
    uint64_t pkt_cnt, flows;
    vset set[NSETS];
} bin;

struct ft_series {
    int64_t bin, interval;
    bin *bins; /* sorted by time */
    size_t n, cap;
    size_t last; /* bin of the previous record: records come mostly in order */
};

ft_series *ft_series_new(int64_t binw, int64_t interval, ft_error *err)
{
    if (binw < 0 || interval <= 0) {
        ft_error_set(err, "bin %" PRId64 ", interval %" PRId64 ": must be positive",
                     binw, interval);
        return NULL;
    }
    if (binw > 0 && binw % interval != 0) {
        ft_error_set(err, "bin %" PRId64 " s is not a multiple of the %" PRId64
                     " s interval", binw, interval);
        return NULL;
    }
    ft_series *s = calloc(1, sizeof *s);
    if (!s) {
        ft_error_set(err, "out of memory");
        return NULL;
    }
    s->bin = binw;
    s->interval = interval;
    return s;
}

static void vset_free(vset *v)
{
    ft_u32set_free(v->set);
    free(v->v);
    *v = (vset){NULL, NULL, 0};
}

static uint64_t vset_count(const vset *v)
{
    return v->set ? ft_u32set_count(v->set) : v->n;
}

/* The hash form, for adding records; 0 or -1 when out of memory. */
static int vset_to_hash(vset *v)
{
    if (v->set)
        return 0;
    ft_u32set *h = ft_u32set_new();
    if (!h)
        return -1;
    for (uint64_t i = 0; i < v->n; i++)
        if (ft_u32set_add(h, v->v[i]) < 0) {
            ft_u32set_free(h);
            return -1;
        }
    free(v->v);
    *v = (vset){h, NULL, 0};
    return 0;
}

/* The array form, for merging partials; 0 or -1 when out of memory. */
static int vset_to_array(vset *v)
{
    if (!v->set)
        return 0;
    uint64_t n = ft_u32set_count(v->set);
    uint32_t *a = malloc((size_t)(n ? n : 1) * sizeof *a);
    if (!a)
        return -1;
    ft_u32set_sorted(v->set, a);
    ft_u32set_free(v->set);
    *v = (vset){NULL, a, n};
    return 0;
}

void ft_series_free(ft_series *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        for (int k = 0; k < NSETS; k++)
            vset_free(&s->bins[i].set[k]);
    free(s->bins);
    free(s);
}

size_t ft_series_rows(const ft_series *s) { return s->n; }
int64_t ft_series_bin(const ft_series *s) { return s->bin; }

void ft_series_row_at(const ft_series *s, size_t i, ft_series_row *row)
{
    const bin *b = &s->bins[i];
    row->time = b->time;
    row->v[FT_SERIES_PKT_CNT] = b->pkt_cnt;
    row->v[FT_SERIES_FLOWS] = b->flows;
    for (int k = 0; k < NSETS; k++)
        row->v[FT_SERIES_SRC_IPS + k] = vset_count(&b->set[k]);
}

/* The bin starting at t, created when missing; NULL when out of memory. */
static bin *bin_at(ft_series *s, int64_t t)
{
    if (s->last < s->n && s->bins[s->last].time == t)
        return &s->bins[s->last];
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->bins[mid].time < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < s->n && s->bins[lo].time == t) {
        s->last = lo;
        return &s->bins[lo];
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        bin *nb = realloc(s->bins, cap * sizeof *nb);
        if (!nb)
            return NULL;
        s->bins = nb;
        s->cap = cap;
    }
    /* Sets start in the array form, empty: hashes are made when records
     * come. */
    bin b = {t, 0, 0, {{NULL, NULL, 0}, {NULL, NULL, 0}, {NULL, NULL, 0}}};
    memmove(&s->bins[lo + 1], &s->bins[lo], (s->n - lo) * sizeof *s->bins);
    s->bins[lo] = b;
    s->n++;
    s->last = lo;
    return &s->bins[lo];
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int add_u32(vset *set, const char *what, int64_t v, ft_error *err)
{
    if (v < 0 || v > (int64_t)UINT32_MAX)
        return ft_error_set(err, "%s %" PRId64 " is not a 32-bit value", what, v);
    if (vset_to_hash(set) < 0 || ft_u32set_add(set->set, (uint32_t)v) < 0)
        return ft_error_set(err, "out of memory");
    return 0;
}

int ft_series_add(ft_series *s, const ft4_record *r, ft_error *err)
{
    int64_t t = r->time;
    if (s->bin) {
        if (t % s->interval != 0)
            return ft_error_set(err, "time %" PRId64 " is not on the %" PRId64
                                " s interval grid (see --interval)", t, s->interval);
        t = floor_div(t, s->bin) * s->bin;
    }
    if (r->packet_cnt < 0)
        return ft_error_set(err, "negative packet_cnt %" PRId64, r->packet_cnt);
    bin *b = bin_at(s, t);
    if (!b)
        return ft_error_set(err, "out of memory");
    if (__builtin_add_overflow(b->pkt_cnt, (uint64_t)r->packet_cnt, &b->pkt_cnt))
        return ft_error_set(err, "pkt_cnt past 2^64 - 1");
    b->flows++;
    if (add_u32(&b->set[0], "src_ip", r->src_ip, err) < 0 ||
        add_u32(&b->set[1], "dst_net", r->dst_net, err) < 0)
        return -1;
    if (r->prefix2asn != 0 && add_u32(&b->set[2], "prefix2asn", r->prefix2asn, err) < 0)
        return -1;
    return 0;
}

static void make_desc(const ft_series *s, char *buf, size_t size)
{
    if (s->bin)
        snprintf(buf, size, DESC_PREFIX "%" PRId64, s->bin);
    else
        snprintf(buf, size, DESC_PREFIX "time");
}

int ft_series_write_partial(const ft_series *s, ft_sink *sink, ft_error *err)
{
    char desc[64];
    make_desc(s, desc, sizeof desc);
    uint64_t most = 0;
    for (size_t i = 0; i < s->n; i++)
        for (int k = 0; k < NSETS; k++)
            if (s->bins[i].set[k].set && ft_u32set_count(s->bins[i].set[k].set) > most)
                most = ft_u32set_count(s->bins[i].set[k].set);
    uint32_t *vals = malloc((size_t)(most ? most : 1) * sizeof *vals);
    if (!vals)
        return ft_error_set(err, "out of memory");
    ft_partial_writer *w = ft_partial_writer_open(sink, desc, s->n, err);
    if (!w) {
        free(vals);
        return -1;
    }
    for (size_t i = 0; i < s->n; i++) {
        const bin *b = &s->bins[i];
        ft_partial_put_int(w, b->time);
        ft_partial_put_uint(w, b->pkt_cnt);
        ft_partial_put_uint(w, b->flows);
        for (int k = 0; k < NSETS; k++) {
            const vset *v = &b->set[k];
            const uint32_t *a = v->set ? vals : v->v;
            uint64_t n = v->set ? ft_u32set_sorted(v->set, vals) : v->n;
            ft_partial_put_uint(w, n);
            for (uint64_t j = 0; j < n; j++)
                ft_partial_put_uint(w, a[j] - (j ? a[j - 1] : 0));
        }
    }
    free(vals);
    return ft_partial_writer_close(w, err);
}

static ft_series *from_desc(const char *desc, ft_error *err)
{
    size_t pl = strlen(DESC_PREFIX);
    if (strncmp(desc, DESC_PREFIX, pl) != 0) {
        ft_error_set(err, "not an ft-series partial ('%s')", desc);
        return NULL;
    }
    if (strcmp(desc + pl, "time") == 0)
        return ft_series_new(0, 1, err);
    char *end;
    long long b = strtoll(desc + pl, &end, 10);
    if (*end || b <= 0) {
        ft_error_set(err, "unknown ft-series partial ('%s')", desc);
        return NULL;
    }
    /* The grid was checked when the partial was made. */
    return ft_series_new(b, b, err);
}

/* Reads a set of a partial (ascending values) into *buf (grown as
 * needed, never past what was read: a count is not trusted for memory);
 * *n = how many. */
static int read_set(ft_partial_reader *r, uint32_t **buf, uint64_t *cap, uint64_t *n,
                    ft_error *err)
{
    uint64_t m, v = 0, d;
    if (ft_partial_get_uint(r, &m, err) < 0)
        return -1;
    for (uint64_t j = 0; j < m; j++) {
        if (ft_partial_get_uint(r, &d, err) < 0)
            return -1;
        if ((j && d == 0) || d > UINT32_MAX || (v += d) > UINT32_MAX)
            return ft_error_set(err, "%s: corrupt (set not ascending)", ft_partial_name(r));
        if (j == *cap) {
            uint64_t c = *cap ? *cap * 2 : 1024;
            uint32_t *b = realloc(*buf, (size_t)c * sizeof *b);
            if (!b)
                return ft_error_set(err, "out of memory");
            *buf = b;
            *cap = c;
        }
        (*buf)[j] = (uint32_t)v;
    }
    *n = m;
    return 0;
}

/* Adds the ascending values a[0..m) to a set, in the array form. */
static int merge_values(vset *set, const uint32_t *a, uint64_t m)
{
    if (m == 0)
        return 0;
    if (vset_to_array(set) < 0)
        return -1;
    uint32_t *out = malloc((size_t)(set->n + m) * sizeof *out);
    if (!out)
        return -1;
    uint64_t i = 0, j = 0, n = 0;
    while (i < set->n && j < m) {
        uint32_t x = set->v[i], y = a[j];
        out[n++] = x < y ? x : y;
        i += x <= y;
        j += y <= x;
    }
    while (i < set->n)
        out[n++] = set->v[i++];
    while (j < m)
        out[n++] = a[j++];
    free(set->v);
    set->v = out;
    set->n = n;
    return 0;
}

typedef struct merging {
    ft_series **sp;
    uint32_t *buf; /* a set being read */
    uint64_t cap;
} merging;

/* One section of a partial file into *m->sp (created from the first
 * descriptor when NULL). */

static int merge_section(void *ctx, ft_partial_reader *r, ft_error *err)
{
    merging *m = ctx;
    ft_series **sp = m->sp, *s;
    const char *name = ft_partial_name(r);
    char mine[64];
    if (!*sp && !(*sp = from_desc(ft_partial_desc(r), err)))
        return ft_error_prefix(err, "%s", name);
    s = *sp;
    make_desc(s, mine, sizeof mine);
    if (ft_partial_expect(r, mine, err) < 0)
        return -1;
    for (uint64_t i = 0; i < ft_partial_items(r); i++) {
        int64_t t;
        uint64_t pkts, flows;
        if (ft_partial_get_int(r, &t, err) < 0 || ft_partial_get_uint(r, &pkts, err) < 0 ||
            ft_partial_get_uint(r, &flows, err) < 0)
            return -1;
        bin *b = bin_at(s, t);
        if (!b)
            return ft_error_set(err, "out of memory");
        if (__builtin_add_overflow(b->pkt_cnt, pkts, &b->pkt_cnt) ||
            __builtin_add_overflow(b->flows, flows, &b->flows))
            return ft_error_set(err, "%s: sums past 2^64 - 1", name);
        for (int k = 0; k < NSETS; k++) {
            uint64_t nv = 0;
            if (read_set(r, &m->buf, &m->cap, &nv, err) < 0)
                return -1;
            if (merge_values(&b->set[k], m->buf, nv) < 0)
                return ft_error_set(err, "out of memory");
        }
    }
    return 0;
}

int ft_series_merge_files(ft_series **s, int n, char *const *paths, ft_error *err)
{
    merging m = {s, NULL, 0};
    int rc = ft_partial_read_files(n, paths, merge_section, &m, err);
    free(m.buf);
    return rc;
}

int ft_series_format_parse(const char *s, enum ft_series_format *fmt)
{
    static const char *const names[] = {"text", "csv", "json", "graphite", "svg"};
    for (int i = 0; i < 5; i++) {
        if (strcmp(s, names[i]) == 0) {
            *fmt = (enum ft_series_format)i;
            return 0;
        }
    }
    return -1;
}

/* Formatted writes to a sink; the first error sticks. */
typedef struct out {
    ft_sink *sink;
    ft_error *err;
    int failed;
} out;

static void outf(out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void outf(out *o, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof buf)
        n = (int)sizeof buf - 1;
    if (!o->failed && ft_sink_write(o->sink, buf, (size_t)n, o->err) < 0)
        o->failed = 1;
}

static int write_table(const ft_series *s, const ft_series_out *o, unsigned metrics,
                       ft_sink *sink, ft_error *err)
{
    const char *names[FT_SERIES_NMETRICS + 2];
    int nc = 0;
    names[nc++] = "time";
    for (int m = 0; m < FT_SERIES_NMETRICS; m++)
        if (metrics & (1u << m))
            names[nc++] = ft_series_metric_names[m];
    if (o->label)
        names[nc++] = "key";
    enum ft_table_format tf = o->fmt == FT_SERIES_CSV    ? FT_TABLE_CSV
                              : o->fmt == FT_SERIES_JSON ? FT_TABLE_JSON
                                                         : FT_TABLE_TEXT;
    ft_table *tab = ft_table_new(tf, o->vo->no_header, nc, names, err);
    if (!tab)
        return -1;
    ft4_record rec;
    ft4_record_init(&rec);
    for (size_t i = 0; i < s->n; i++) {
        ft_series_row row;
        char text[FT_VALUE_MAX], json[FT_VALUE_MAX];
        ft_series_row_at(s, i, &row);
        rec.time = row.time;
        ft_format_value(&rec, FT4_F_TIME, o->vo, 0, text);
        ft_format_value(&rec, FT4_F_TIME, o->vo, 1, json);
        if (ft_table_value(tab, text, json, !o->vo->time_iso, err) < 0)
            goto fail;
        for (int m = 0; m < FT_SERIES_NMETRICS; m++)
            if ((metrics & (1u << m)) && ft_table_u64(tab, row.v[m], err) < 0)
                goto fail;
        if (o->label && ft_table_str(tab, o->label, err) < 0)
            goto fail;
        if (ft_table_end_row(tab, err) < 0)
            goto fail;
    }
    int rc = ft_table_write(tab, sink, err);
    ft_table_free(tab);
    return rc;
fail:
    ft_table_free(tab);
    return -1;
}

static void write_graphite(const ft_series *s, const ft_series_out *o, unsigned metrics,
                           out *w)
{
    for (size_t i = 0; i < s->n; i++) {
        ft_series_row row;
        ft_series_row_at(s, i, &row);
        for (int m = 0; m < FT_SERIES_NMETRICS; m++)
            if (metrics & (1u << m))
                outf(w, "%s.%s %" PRIu64 " %" PRId64 "\n", o->label,
                     ft_series_metric_names[m], row.v[m], row.time);
    }
}

/* ---- SVG chart: one panel per metric, a shared UTC time axis. ---- */

#define SVG_W 960
#define SVG_LEFT 90
#define SVG_RIGHT 30
#define SVG_TOP 56
#define SVG_PANEL 170
#define SVG_GAP 46
#define SVG_BOTTOM 64

static const char *const metric_colors[FT_SERIES_NMETRICS] = {
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"};

/* XML-escaped copy of s into buf (size >= 6 * strlen(s) + 1). */
static const char *xml_escape(const char *s, char *buf, size_t size)
{
    size_t n = 0;
    for (; *s && n + 7 < size; s++) {
        const char *e = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;"
                        : *s == '"' ? "&quot;" : NULL;
        if (e) {
            memcpy(buf + n, e, strlen(e));
            n += strlen(e);
        } else {
            buf[n++] = *s;
        }
    }
    buf[n] = '\0';
    return buf;
}

/* A "nice" tick step (1, 2 or 5 times a power of ten, at least 1) so that
 * about four steps cover max. */
static uint64_t nice_step(uint64_t max)
{
    uint64_t raw = max / 4 ? max / 4 : 1, mag = 1;
    while (mag <= raw / 10)
        mag *= 10;
    uint64_t f = (raw + mag - 1) / mag; /* 1..10 */
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

/* 1500 -> "1.5k", 20000000 -> "20M". */
static void si_label(uint64_t v, char *buf, size_t size)
{
    static const char *const suf[] = {"", "k", "M", "G", "T", "P", "E"};
    double d = (double)v;
    int i = 0;
    while (d >= 1000 && i < 6) {
        d /= 1000;
        i++;
    }
    snprintf(buf, size, "%.3g%s", d, suf[i]);
}

static const int64_t time_steps[] = {
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800,
    21600, 43200, 86400, 172800, 604800, 1209600, 2592000, 7776000, 31536000};

/* Time ticks: the smallest step giving at most 8 of them over [t0, t1],
 * at multiples of the step (UTC). */
static int64_t tick_step(int64_t t0, int64_t t1, int64_t *first)
{
    size_t n = sizeof time_steps / sizeof *time_steps, i = 0;
    while (i < n - 1 && (t1 - t0) / time_steps[i] > 8)
        i++;
    *first = floor_div(t0 + time_steps[i] - 1, time_steps[i]) * time_steps[i];
    return time_steps[i];
}

static double x_of(int64_t t, int64_t t0, int64_t t1)
{
    return SVG_LEFT + (SVG_W - SVG_LEFT - SVG_RIGHT) * (double)(t - t0) / (double)(t1 - t0);
}

/* Time labels under the panel ending at ybot. */
static void x_labels(out *w, int64_t t0, int64_t t1, double ybot)
{
    int64_t first, step = tick_step(t0, t1, &first);
    int prev_day = -1;
    for (int64_t t = first; t <= t1; t += step) {
        double x = x_of(t, t0, t1);
        time_t tt = (time_t)t;
        struct tm tm;
        gmtime_r(&tt, &tm);
        char hm[16], day[16];
        strftime(hm, sizeof hm, step < 60 ? "%H:%M:%S" : "%H:%M", &tm);
        strftime(day, sizeof day, "%Y-%m-%d", &tm);
        if (step < 86400)
            outf(w, "<text class=\"xt\" x=\"%.1f\" y=\"%.1f\">%s</text>\n", x, ybot + 18, hm);
        /* The date under the first tick and wherever it changes. */
        if (step >= 86400 || tm.tm_yday != prev_day)
            outf(w, "<text class=\"xt\" x=\"%.1f\" y=\"%.1f\">%s</text>\n", x,
                 ybot + (step < 86400 ? 34 : 18), day);
        prev_day = tm.tm_yday;
    }
    outf(w, "<text class=\"axis\" x=\"%.1f\" y=\"%.1f\">time (UTC)</text>\n",
         (double)(SVG_LEFT + SVG_W - SVG_RIGHT) / 2, ybot + 54);
}

static void panel(out *w, const ft_series *s, int m, int64_t t0, int64_t t1, double top,
                  const char *per)
{
    double x0 = SVG_LEFT, xw = SVG_W - SVG_LEFT - SVG_RIGHT, bot = top + SVG_PANEL;
    uint64_t max = 0;
    ft_series_row row;
    for (size_t i = 0; i < s->n; i++) {
        ft_series_row_at(s, i, &row);
        if (row.v[m] > max)
            max = row.v[m];
    }
    uint64_t step = nice_step(max), ymax = (max / step + (max % step != 0)) * step;
    if (ymax == 0)
        ymax = step;
    outf(w, "<text class=\"title\" x=\"%d\" y=\"%.1f\">%s <tspan class=\"unit\">"
         "(%s %s)</tspan></text>\n", SVG_LEFT, top - 10, ft_series_metric_names[m],
         metric_units[m], per);
    for (uint64_t v = 0; v <= ymax; v += step) {
        double y = bot - SVG_PANEL * (double)v / (double)ymax;
        char lab[32];
        si_label(v, lab, sizeof lab);
        outf(w, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n"
             "<text class=\"yt\" x=\"%.1f\" y=\"%.1f\">%s</text>\n",
             x0, y, x0 + xw, y, x0 - 8, y + 4, lab);
    }
    int64_t first, tstep = tick_step(t0, t1, &first);
    for (int64_t t = first; t <= t1; t += tstep)
        outf(w, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
             x_of(t, t0, t1), top, x_of(t, t0, t1), bot);
    outf(w, "<rect class=\"frame\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\"/>\n",
         x0, top, xw, SVG_PANEL);
    outf(w, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\" points=\"",
         metric_colors[m]);
    for (size_t i = 0; i < s->n; i++) {
        ft_series_row_at(s, i, &row);
        outf(w, "%s%.1f,%.1f", i ? " " : "",
             x_of(row.time, t0, t1),
             bot - SVG_PANEL * (double)row.v[m] / (double)ymax);
    }
    outf(w, "\"/>\n");
    if (s->n <= 120) {
        for (size_t i = 0; i < s->n; i++) {
            ft_series_row_at(s, i, &row);
            outf(w, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"><title>%" PRId64
                 ": %" PRIu64 "</title></circle>\n",
                 x_of(row.time, t0, t1),
                 bot - SVG_PANEL * (double)row.v[m] / (double)ymax, metric_colors[m],
                 row.time, row.v[m]);
        }
    }
}

static void write_svg(const ft_series *s, const ft_series_out *o, unsigned metrics, out *w)
{
    int np = 0;
    for (int m = 0; m < FT_SERIES_NMETRICS; m++)
        np += (metrics >> m) & 1;
    int h = SVG_TOP + np * SVG_PANEL + (np - 1) * SVG_GAP + SVG_BOTTOM;
    /* The x range spans the rows; one row (or none) gets a bin's width. */
    int64_t width = s->bin ? s->bin : 300;
    int64_t t0 = s->n ? s->bins[0].time : 0, t1 = s->n ? s->bins[s->n - 1].time : 0;
    if (t1 == t0) {
        t0 -= width / 2;
        t1 += width - width / 2;
    }
    char per[48];
    if (!s->bin)
        snprintf(per, sizeof per, "per interval");
    else if (s->bin % 86400 == 0)
        snprintf(per, sizeof per, "per %" PRId64 " d", s->bin / 86400);
    else if (s->bin % 3600 == 0)
        snprintf(per, sizeof per, "per %" PRId64 " h", s->bin / 3600);
    else if (s->bin % 60 == 0)
        snprintf(per, sizeof per, "per %" PRId64 " min", s->bin / 60);
    else
        snprintf(per, sizeof per, "per %" PRId64 " s", s->bin);
    char title[6 * 256 + 1], range[96] = "no data";
    xml_escape(o->label ? o->label : "ft-series", title, sizeof title);
    if (s->n) {
        char a[32], b[32];
        ft_format_time_iso(s->bins[0].time, a);
        ft_format_time_iso(s->bins[s->n - 1].time, b);
        snprintf(range, sizeof range, "%s to %s, %zu rows", a, b, s->n);
    }
    outf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
         "viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n"
         "<style>\n"
         ".grid{stroke:#ddd;stroke-width:1}\n"
         ".frame{fill:none;stroke:#888;stroke-width:1}\n"
         ".title{font-size:14px;font-weight:bold;fill:#222}\n"
         ".unit{font-weight:normal;fill:#555}\n"
         ".yt{font-size:11px;text-anchor:end;fill:#444}\n"
         ".xt{font-size:11px;text-anchor:middle;fill:#444}\n"
         ".axis{font-size:12px;text-anchor:middle;fill:#222}\n"
         "</style>\n"
         "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
         "<text x=\"%d\" y=\"24\" font-size=\"17\" font-weight=\"bold\" fill=\"#111\">%s</text>\n"
         "<text x=\"%d\" y=\"24\" font-size=\"12\" text-anchor=\"end\" fill=\"#555\">%s</text>\n",
         SVG_W, h, SVG_W, h, SVG_LEFT, title, SVG_W - SVG_RIGHT, range);
    double top = SVG_TOP;
    for (int m = 0; m < FT_SERIES_NMETRICS; m++) {
        if (!(metrics & (1u << m)))
            continue;
        panel(w, s, m, t0, t1, top, per);
        top += SVG_PANEL + SVG_GAP;
    }
    x_labels(w, t0, t1, top - SVG_GAP);
    outf(w, "</svg>\n");
}

int ft_series_write(const ft_series *s, const ft_series_out *o, ft_sink *sink,
                    ft_error *err)
{
    unsigned metrics = o->metrics ? o->metrics : (1u << FT_SERIES_NMETRICS) - 1;
    if (o->fmt == FT_SERIES_GRAPHITE && !o->label)
        return ft_error_set(err, "graphite output needs a label (--label KEY)");
    if (o->fmt <= FT_SERIES_JSON)
        return write_table(s, o, metrics, sink, err);
    out w = {sink, err, 0};
    if (o->fmt == FT_SERIES_GRAPHITE)
        write_graphite(s, o, metrics, &w);
    else
        write_svg(s, o, metrics, &w);
    return w.failed ? -1 : 0;
}
