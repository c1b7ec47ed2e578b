/* aggregator.c - interval management for ft-aggregate (see aggregator.h). */
#include "aggregator.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
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

/* Closed intervals waiting for the writer thread, the first one being
 * written: at most this many, so the reader runs at most one interval
 * ahead of the writer. */
#define QUEUE 2

typedef struct open_interval {
    int64_t start;
    ft_flow_table *flows;
} open_interval;

/* A closed interval (or, under --max-memory, part of one) to write. */
typedef struct emit_job {
    int64_t start;
    ft_flow_table *flows;
    size_t mem;  /* its memory when handed over, counted until freed */
    int final;   /* closes the interval's file */
    size_t nflows; /* a->last_flows when handed over (final jobs) */
} emit_job;

struct ft_agg {
    ft_agg_opts o;
    /* Written by the writer thread only (by the caller when there is none,
     * and after the writer has stopped). */
    ft_output *stream;      /* stream mode */
    ft_output *file;        /* the interval file being written */
    int64_t file_start;     /* ... and its interval */
    char last_path[4096];   /* the last interval file written */
    uint64_t out_records, out_files; /* merged into st when it is idle */

    /* The writer thread: sorts, encodes and writes (and compresses, with
     * the Avro writer's own threads) closed intervals while the caller
     * aggregates the next ones.  Jobs are written in the order handed
     * over, so the output is the same as writing each at once.  After an
     * error it writes nothing more and the caller reports werr. */
    int threaded;           /* the writer thread is running */
    pthread_t writer;
    pthread_mutex_t mu;
    pthread_cond_t cv;      /* broadcast on every change below */
    emit_job queue[QUEUE];
    int qhead, qlen;        /* queue[qhead] is being written */
    int stop;               /* no more jobs: the writer exits */
    int failed;             /* the writer failed: werr says why */
    atomic_int failed_flag; /* = failed, for a lock-free check per packet */
    ft_error werr;
    size_t emitting;        /* memory of the queued jobs and the spare */
    /* The next interval's table, made by the writer (room for as many
     * flows as the interval it has just written) so that the reading
     * thread does not wait while the kernel faults in its pages. */
    ft_flow_table *spare;

    open_interval open[MAX_OPEN]; /* sorted by start */
    int nopen;
    int64_t newest;         /* newest timestamp seen (seconds) */
    int64_t cur_start;      /* interval of the last packet (INT64_MAX: none) */
    int64_t closed_before;  /* intervals starting before this are written */
    int have_packet;
    size_t last_flows;      /* flows of the last closed interval */
    ft_flow_table *batch_table;
    int nbatch;
    ft_packet batch[BATCH];
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

typedef struct emit_ctx {
    ft_agg *a;
    ft_output *out;
} emit_ctx;

static int emit_one(void *ctx, const ft4_record *rec, ft_error *err)
{
    emit_ctx *e = ctx;
    if (ft_output_put(e->out, rec, err) < 0)
        return -1;
    e->a->out_records++;
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
                a->out_files++;
        } else {
            ft_output_abort(a->file);
        }
        a->file = NULL;
    }
    return rc;
}

/* ---- the writer thread ------------------------------------------------ */

/* A table for an interval after one of `flows` flows: the next interval
 * is likely about as big, so it is sized once instead of doubling all
 * the way up. */
static ft_flow_table *new_table(const ft_agg *a, size_t flows, ft_error *err)
{
    ft_flow_table *t = ft_flow_table_new(a->o.dst_prefix, err);
    if (t && flows && ft_flow_table_reserve(t, flows, err) < 0) {
        ft_flow_table_free(t);
        return NULL;
    }
    return t;
}

/* The writer's spare table, or NULL.  It was sized after the interval
 * the writer had just written, one before the last closed one: the
 * caller reserves room for last_flows in it (nothing to do when, as
 * usual, consecutive intervals are about as big). */
static ft_flow_table *take_spare(ft_agg *a)
{
    if (!a->threaded)
        return NULL;
    pthread_mutex_lock(&a->mu);
    ft_flow_table *t = a->spare;
    if (t) {
        a->emitting -= ft_flow_table_memory(t);
        a->spare = NULL;
    }
    pthread_mutex_unlock(&a->mu);
    return t;
}

static void *writer_main(void *arg)
{
    ft_agg *a = arg;
    pthread_mutex_lock(&a->mu);
    for (;;) {
        while (a->qlen == 0 && !a->stop)
            pthread_cond_wait(&a->cv, &a->mu);
        if (a->qlen == 0)
            break;
        emit_job j = a->queue[a->qhead];
        int skip = a->failed; /* after an error nothing more is written */
        pthread_mutex_unlock(&a->mu);
        ft_error e;
        int rc = skip ? 0 : emit_interval(a, j.start, j.flows, j.final, &e);
        ft_flow_table_free(j.flows);
        ft_flow_table *spare = NULL;
        /* Not under --max-memory: there, memory goes to open intervals. */
        if (rc == 0 && !skip && j.final && !a->o.max_memory)
            spare = new_table(a, j.nflows, &e);
        pthread_mutex_lock(&a->mu);
        if (spare && !a->spare) {
            a->spare = spare;
            a->emitting += ft_flow_table_memory(spare);
            spare = NULL;
        }
        ft_flow_table_free(spare);
        if (rc < 0) {
            a->werr = e;
            a->failed = 1;
            atomic_store_explicit(&a->failed_flag, 1, memory_order_relaxed);
        }
        a->qhead = (a->qhead + 1) % QUEUE;
        a->qlen--;
        a->emitting -= j.mem;
        pthread_cond_broadcast(&a->cv);
    }
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

/* Starts the writer thread; without one (no thread could be started),
 * intervals are written on the caller's thread, with the same result. */
static void start_writer(ft_agg *a)
{
    if (pthread_mutex_init(&a->mu, NULL) != 0)
        return;
    if (pthread_cond_init(&a->cv, NULL) != 0) {
        pthread_mutex_destroy(&a->mu);
        return;
    }
    /* Signals sent to the process reach the reading thread and interrupt
     * its capture as before.  SIGPIPE (a closed output pipe ends the
     * process quietly) and the faults stay deliverable here. */
    sigset_t block, old;
    sigfillset(&block);
    static const int keep[] = {SIGPIPE, SIGXFSZ, SIGSEGV, SIGBUS, SIGFPE,
                               SIGILL, SIGABRT};
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
        sigdelset(&block, keep[i]);
    pthread_sigmask(SIG_SETMASK, &block, &old);
    a->threaded = pthread_create(&a->writer, NULL, writer_main, a) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (!a->threaded) {
        pthread_cond_destroy(&a->cv);
        pthread_mutex_destroy(&a->mu);
    }
}

/* Copies the writer's error; called once it has failed. */
static int writer_error(ft_agg *a, ft_error *err)
{
    pthread_mutex_lock(&a->mu);
    *err = a->werr;
    pthread_mutex_unlock(&a->mu);
    return -1;
}

/* Waits until everything handed over is written (or dropped after an
 * error), and takes over the writer's counts. */
static void wait_idle(ft_agg *a)
{
    if (a->threaded) {
        pthread_mutex_lock(&a->mu);
        while (a->qlen > 0)
            pthread_cond_wait(&a->cv, &a->mu);
        pthread_mutex_unlock(&a->mu);
    }
    a->st.records = a->out_records;
    a->st.files = a->out_files;
}

/* Waits for the queue to empty and ends the writer thread. */
static void stop_writer(ft_agg *a)
{
    if (!a->threaded)
        return;
    pthread_mutex_lock(&a->mu);
    a->stop = 1;
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
    pthread_join(a->writer, NULL);
    ft_flow_table_free(a->spare);
    a->spare = NULL;
    pthread_cond_destroy(&a->cv);
    pthread_mutex_destroy(&a->mu);
    a->threaded = 0;
}

/* Memory of the intervals handed over and not yet freed. */
static size_t emitting_memory(ft_agg *a)
{
    if (!a->threaded)
        return 0;
    pthread_mutex_lock(&a->mu);
    size_t m = a->emitting;
    pthread_mutex_unlock(&a->mu);
    return m;
}

/* Writes the flows of the interval starting at `start` and frees them:
 * on the writer thread (waiting while its queue is full), else here. */
static int hand_over(ft_agg *a, int64_t start, ft_flow_table *flows,
                     int final, ft_error *err)
{
    if (!a->threaded) {
        int rc = emit_interval(a, start, flows, final, err);
        ft_flow_table_free(flows);
        return rc;
    }
    size_t mem = ft_flow_table_memory(flows);
    pthread_mutex_lock(&a->mu);
    while (a->qlen == QUEUE && !a->failed)
        pthread_cond_wait(&a->cv, &a->mu);
    if (a->failed) {
        *err = a->werr;
        pthread_mutex_unlock(&a->mu);
        ft_flow_table_free(flows);
        return -1;
    }
    a->queue[(a->qhead + a->qlen) % QUEUE] =
        (emit_job){start, flows, mem, final, a->last_flows};
    a->qlen++;
    a->emitting += mem;
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
    return 0;
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
    a->cur_start = INT64_MAX;
    start_writer(a);
    return a;
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
    return hand_over(a, iv.start, iv.flows, 1, err);
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
 * afresh (a flow may then have several records in that interval).
 * Called with nothing being written, it decides on the open intervals
 * alone, as when they were written at once; it returns once what it
 * handed over is written and freed. */
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
        int rc = hand_over(a, iv->start, iv->flows, 0, err);
        iv->flows = fresh;
        if (rc < 0)
            return -1;
        a->st.partial_flushes++;
    }
    wait_idle(a);
    if (atomic_load_explicit(&a->failed_flag, memory_order_relaxed))
        return writer_error(a, err);
    return 0;
}

/* Every 4096 packets: the peak, and the --max-memory bound, over the open
 * intervals and those still being written. */
static int check_memory(ft_agg *a, ft_error *err)
{
    size_t open = open_memory(a), m = open + emitting_memory(a);
    if (m > a->st.peak_memory)
        a->st.peak_memory = m;
    if (!a->o.max_memory || m <= a->o.max_memory)
        return 0;
    if (m > open) { /* let the writer free what it holds first */
        wait_idle(a);
        if (open <= a->o.max_memory)
            return 0;
    }
    return enforce_memory(a, err);
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
    ft_flow_table *t = take_spare(a);
    if (t && a->last_flows && ft_flow_table_reserve(t, a->last_flows, err) < 0) {
        ft_flow_table_free(t);
        return NULL;
    }
    if (!t)
        t = new_table(a, a->last_flows, err);
    if (!t)
        return NULL;
    memmove(&a->open[i + 1], &a->open[i], (size_t)(a->nopen - i) * sizeof a->open[0]);
    a->open[i].start = start;
    a->open[i].flows = t;
    a->nopen++;
    return t;
}

static int agg_one(ft_agg *a, const ft_parsed_packet *p, ft_error *err)
{
    a->st.packets++;
    if (p->truncated)
        a->st.truncated++;
    if (p->pk.status == FT_PKT_NOT_IPV4) {
        a->st.non_ipv4++;
        return 0;
    }
    if (p->pk.status == FT_PKT_MALFORMED) {
        a->st.malformed++;
        return 0;
    }
    int64_t ts = p->ts_sec;
    /* Two 64-bit divisions were half of this function's time: most
     * packets fall in the previous packet's interval. */
    if (ts < a->cur_start || ts - a->cur_start >= a->o.interval)
        a->cur_start = ts - ((ts % a->o.interval) + a->o.interval) % a->o.interval;
    int64_t start = a->cur_start;
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
    if (t != a->batch_table || a->nbatch == BATCH) {
        /* full, or for another interval: flush the batch so far first */
        if (flush_batch(a, err) < 0)
            return -1;
        a->batch_table = t;
    }
    a->batch[a->nbatch++] = p->pk;
    a->st.aggregated++;
    if ((a->st.aggregated & 0xfff) == 0 && check_memory(a, err) < 0)
        return -1;
    return close_due(a, a->newest, err);
}

int ft_agg_packets(ft_agg *a, const ft_parsed_packet *p, size_t n,
                   ft_error *err)
{
    /* A write error stops the run at the next batch, as it did when
     * intervals were written on this thread. */
    if (atomic_load_explicit(&a->failed_flag, memory_order_relaxed))
        return writer_error(a, err);
    for (size_t i = 0; i < n; i++)
        if (agg_one(a, &p[i], err) < 0)
            return -1;
    return 0;
}

int ft_agg_tick(ft_agg *a, int64_t now, ft_error *err)
{
    if (atomic_load_explicit(&a->failed_flag, memory_order_relaxed))
        return writer_error(a, err);
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
    size_t m = open_memory(a) + emitting_memory(a);
    if (m > a->st.peak_memory)
        a->st.peak_memory = m;
    int rc = 0;
    while (a->nopen > 0 && rc == 0)
        rc = close_oldest(a, err);
    stop_writer(a);
    wait_idle(a);
    if (rc == 0 && a->failed) {
        *err = a->werr;
        rc = -1;
    }
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
    /* What was handed over counts as written, as it would be without
     * the thread; unless the writer failed, it is written. */
    stop_writer(a);
    for (int i = 0; i < a->nopen; i++)
        ft_flow_table_free(a->open[i].flows);
    ft_output_abort(a->file);
    ft_output_abort(a->stream);
    free(a);
}

const ft_agg_stats *ft_agg_get_stats(ft_agg *a)
{
    wait_idle(a);
    return &a->st;
}
