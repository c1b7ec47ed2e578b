/* aggregator.c - interval management for ft-aggregate (see aggregator.h). */
#include "aggregator.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "packet.h"
#include "sink.h"

/* More than enough: intervals open at once is about reorder/interval + 2. */
#define MAX_OPEN 64
/* Packets are handed to a flow table in batches so its lookups can
 * overlap their cache misses (flow_table.h). */
#define BATCH 128

typedef struct open_interval {
    int64_t start;
    ft_flow_table *flows;
} open_interval;

struct ft_agg {
    ft_agg_opts o;
    ft_output *stream;      /* stream mode */
    ft_output *file;        /* the interval file being written */
    int64_t file_start;     /* ... and its interval */
    char last_path[4096];   /* the last interval file written */
    open_interval open[MAX_OPEN]; /* sorted by start */
    int nopen;
    int64_t newest;         /* newest timestamp seen (seconds) */
    int64_t closed_before;  /* intervals starting before this are written */
    int have_packet;
    size_t last_flows;      /* flows of the last closed interval */
    ft_flow_table *batch_table;
    int nbatch;
    ft_packet batch[BATCH + 1]; /* + 1: room for the packet being parsed */
    ft_agg_stats st;
};

static int flush_batch(ft_agg *a, ft_error *err)
{
    if (a->nbatch == 0)
        return 0;
    int rc = ft_flow_table_add_many(a->batch_table, a->batch, (size_t)a->nbatch, err);
    a->nbatch = 0;
    return rc;
}

ft_agg *ft_agg_new(const ft_agg_opts *o, ft_error *err)
{
    ft_agg *a = calloc(1, sizeof *a);
    if (!a) {
        ft_error_set(err, "out of memory");
        return NULL;
    }
    a->o = *o;
    if (o->template && !strchr(o->template, '%')) {
        /* A plain name: every interval goes into that one file. */
        a->o.out.path = o->template;
        a->o.out.mkdirs = 1;
        a->o.template = NULL;
    }
    if (!a->o.template) {
        a->stream = ft_output_open(&a->o.out, err);
        if (!a->stream) {
            free(a);
            return NULL;
        }
    }
    a->closed_before = INT64_MIN;
    return a;
}

typedef struct emit_ctx {
    ft_agg *a;
    ft_output *out;
} emit_ctx;

static int emit_one(void *ctx, const ft4_record *rec, ft_error *err)
{
    emit_ctx *e = ctx;
    if (ft_output_put(e->out, rec, err) < 0)
        return -1;
    e->a->st.records++;
    return 0;
}

/* Writes the flows of the interval starting at `start` (draining the
 * table) to the stream or to that interval's file; `final` closes the
 * file.  A file stays open between a memory-limit flush of an interval
 * and its final write, so all its records land in one file. */
static int emit_interval(ft_agg *a, int64_t start, ft_flow_table *flows,
                         int final, ft_error *err)
{
    emit_ctx e = {a, a->stream};
    if (a->o.template) {
        if (!a->file) {
            char path[4096];
            if (ft_expand_template(a->o.template, start, path, sizeof path) < 0)
                return ft_error_set(err, "-w: template too long");
            /* Intervals close in time order, so a template too coarse for
             * the interval names the previous file again: refuse rather
             * than overwrite it. */
            if (strcmp(path, a->last_path) == 0)
                return ft_error_set(err, "%s: already written for an earlier "
                                    "interval (use %%s or a finer time in the "
                                    "-w template)", path);
            snprintf(a->last_path, sizeof a->last_path, "%s", path);
            ft_output_opts oo = a->o.out;
            oo.path = path;
            oo.mkdirs = 1;
            a->file = ft_output_open(&oo, err);
            if (!a->file)
                return -1;
            a->file_start = start;
        }
        e.out = a->file;
    }
    int rc = ft_flow_table_emit(flows, start, a->o.tag, a->o.tag_ctx,
                                emit_one, &e, err);
    if (a->o.template && (rc < 0 || final)) {
        if (rc == 0) {
            rc = ft_output_close(a->file, err);
            if (rc == 0)
                a->st.files++;
        } else {
            ft_output_abort(a->file);
        }
        a->file = NULL;
    }
    return rc;
}

/* Writes and frees the oldest open interval. */
static int close_oldest(ft_agg *a, ft_error *err)
{
    if (flush_batch(a, err) < 0)
        return -1;
    open_interval iv = a->open[0];
    memmove(&a->open[0], &a->open[1], (size_t)(a->nopen - 1) * sizeof a->open[0]);
    a->nopen--;
    a->closed_before = iv.start + a->o.interval;
    size_t flows = ft_flow_table_flows(iv.flows);
    a->last_flows = flows;
    if (flows > a->st.peak_flows)
        a->st.peak_flows = flows;
    a->st.intervals++;
    int rc = emit_interval(a, iv.start, iv.flows, 1, err);
    ft_flow_table_free(iv.flows);
    return rc;
}

static size_t open_memory(ft_agg *a)
{
    size_t m = 0;
    for (int i = 0; i < a->nopen; i++)
        m += ft_flow_table_memory(a->open[i].flows);
    return m;
}

/* Over --max-memory: write the oldest intervals before their reorder
 * window ends (their late packets are then counted as late); if the one
 * interval left is still too big, write its flows so far and start it
 * afresh (a flow may then have several records in that interval). */
static int enforce_memory(ft_agg *a, ft_error *err)
{
    if (flush_batch(a, err) < 0)
        return -1;
    while (a->nopen > 1 && open_memory(a) > a->o.max_memory) {
        if (close_oldest(a, err) < 0)
            return -1;
        a->st.early_closes++;
    }
    if (a->nopen == 1 && open_memory(a) > a->o.max_memory) {
        open_interval *iv = &a->open[0];
        /* Its file stays open: no older interval may open after it. */
        if (a->closed_before < iv->start)
            a->closed_before = iv->start;
        ft_flow_table *fresh = ft_flow_table_new(a->o.dst_prefix, err);
        if (!fresh)
            return -1;
        size_t flows = ft_flow_table_flows(iv->flows);
        if (flows > a->st.peak_flows)
            a->st.peak_flows = flows;
        int rc = emit_interval(a, iv->start, iv->flows, 0, err);
        ft_flow_table_free(iv->flows);
        iv->flows = fresh;
        if (rc < 0)
            return -1;
        a->st.partial_flushes++;
    }
    return 0;
}

static int close_due(ft_agg *a, int64_t now, ft_error *err)
{
    while (a->nopen > 0 &&
           a->open[0].start + a->o.interval + a->o.reorder <= now)
        if (close_oldest(a, err) < 0)
            return -1;
    return 0;
}

static ft_flow_table *interval_for(ft_agg *a, int64_t start, ft_error *err)
{
    int i = a->nopen;
    while (i > 0 && a->open[i - 1].start > start)
        i--;
    if (i > 0 && a->open[i - 1].start == start)
        return a->open[i - 1].flows;
    if (a->nopen == MAX_OPEN) {
        /* Only with a reorder window far larger than the interval: write
         * the oldest early rather than fail. */
        if (close_oldest(a, err) < 0)
            return NULL;
        if (start < a->closed_before)
            return NULL;
        i--;
    }
    ft_flow_table *t = ft_flow_table_new(a->o.dst_prefix, err);
    if (!t)
        return NULL;
    /* The next interval is likely about as big as the last one: size the
     * table once instead of doubling it all the way up. */
    if (a->last_flows && ft_flow_table_reserve(t, a->last_flows, err) < 0) {
        ft_flow_table_free(t);
        return NULL;
    }
    memmove(&a->open[i + 1], &a->open[i], (size_t)(a->nopen - i) * sizeof a->open[0]);
    a->open[i].start = start;
    a->open[i].flows = t;
    a->nopen++;
    return t;
}

int ft_agg_packet(ft_agg *a, const ft_raw_packet *p, ft_error *err)
{
    a->st.packets++;
    if (p->caplen < p->wirelen)
        a->st.truncated++;
    /* Parsed straight into the batch's next slot, not copied there. */
    ft_packet *pk = &a->batch[a->nbatch];
    int status = ft_packet_parse(p->dlt, p->data, p->caplen, pk);
    if (status == FT_PKT_NOT_IPV4) {
        a->st.non_ipv4++;
        return 0;
    }
    if (status == FT_PKT_MALFORMED) {
        a->st.malformed++;
        return 0;
    }
    int64_t ts = p->ts_sec;
    int64_t start = ts - ((ts % a->o.interval) + a->o.interval) % a->o.interval;
    if (start < a->closed_before) {
        a->st.late++;
        return 0;
    }
    if (!a->have_packet || ts > a->newest) {
        a->newest = ts;
        a->have_packet = 1;
    }
    ft_flow_table *t = interval_for(a, start, err);
    if (!t) {
        if (start < a->closed_before) {
            a->st.late++;
            return 0;
        }
        return -1;
    }
    if (pk != &a->batch[a->nbatch]) { /* interval_for flushed the batch */
        a->batch[a->nbatch] = *pk;
        pk = &a->batch[a->nbatch];
    }
    if (t != a->batch_table || a->nbatch == BATCH) {
        /* full, or for another interval: flush the batch so far first */
        if (a->nbatch) {
            ft_packet keep = *pk;
            if (flush_batch(a, err) < 0)
                return -1;
            a->batch[0] = keep;
        }
        a->batch_table = t;
    }
    a->nbatch++;
    a->st.aggregated++;
    if ((a->st.aggregated & 0xfff) == 0) {
        size_t m = open_memory(a);
        if (m > a->st.peak_memory)
            a->st.peak_memory = m;
        if (a->o.max_memory && m > a->o.max_memory && enforce_memory(a, err) < 0)
            return -1;
    }
    return close_due(a, a->newest, err);
}

int ft_agg_tick(ft_agg *a, int64_t now, ft_error *err)
{
    return close_due(a, now, err);
}

int ft_agg_finish(ft_agg *a, ft_agg_stats *final, ft_error *err)
{
    if (!a)
        return 0;
    if (flush_batch(a, err) < 0) {
        ft_agg_abort(a);
        return -1;
    }
    size_t m = open_memory(a);
    if (m > a->st.peak_memory)
        a->st.peak_memory = m;
    int rc = 0;
    while (a->nopen > 0 && rc == 0)
        rc = close_oldest(a, err);
    if (final)
        *final = a->st;
    if (rc < 0) {
        ft_agg_abort(a);
        return -1;
    }
    if (a->stream) {
        rc = ft_output_close(a->stream, err);
        a->stream = NULL;
    }
    free(a);
    return rc;
}

void ft_agg_abort(ft_agg *a)
{
    if (!a)
        return;
    for (int i = 0; i < a->nopen; i++)
        ft_flow_table_free(a->open[i].flows);
    ft_output_abort(a->file);
    ft_output_abort(a->stream);
    free(a);
}

const ft_agg_stats *ft_agg_get_stats(const ft_agg *a) { return &a->st; }
