/*
 * avro_writer.c - FT4 Avro object container files (see avro_writer.h;
 * the layout is drawn in avro_reader.c).
 *
 * Records are encoded (datum.c) into the block being filled.  A full
 * block becomes a job in a ring of NJOBS; worker threads take jobs in
 * order and compress them, each with its own compressor; the caller's
 * thread writes finished jobs in submission order, so the file does not
 * depend on the thread count.  With threads = 1 (or codec null) blocks are
 * compressed and written on the caller's thread.
 *
 * Deflate is raw RFC 1951 data (Avro's "deflate"), made by libdeflate's
 * whole-buffer compressor: on FT4 blocks bench/codec_bench measured zlib's
 * deflate as the writer's bottleneck (level 6: 0.38 M records/s per core)
 * and libdeflate 2.4x faster at the same level with a smaller output.
 */
#include "avro_writer.h"

#include <pthread.h>
#include <signal.h>
#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <libdeflate.h>

#include "datum.h"

#define MAX_THREADS 4

enum job_state { J_FREE, J_QUEUED, J_BUSY, J_DONE };

typedef struct job {
    uint8_t *raw;      /* encoded records */
    size_t raw_len, raw_cap;
    int64_t count;
    uint8_t *out;      /* compressed block (compress_job) */
    size_t out_len, out_cap;
    const uint8_t *data; /* what goes into the file: out, or raw for null */
    size_t data_len;
    int failed;
    enum job_state state;
} job;

/* One compressor per thread. */
typedef struct compressor {
    struct libdeflate_compressor *ld;
} compressor;

typedef struct worker {
    struct ft_avro_writer *w;
    compressor c;
    pthread_t tid;
    int started;
} worker;

struct ft_avro_writer {
    ft_sink *out;
    ft_avro_opts o;
    size_t block_bytes;
    job *jobs;
    int njobs;
    /* Sequence numbers of jobs: job s lives in jobs[s % njobs]. */
    uint64_t submitted, taken, written;
    int header_done;
    uint8_t sync[16];
    uint8_t rec[FT4_ENCODED_MAX]; /* one encoded record */
    int failed;
    compressor inline_c; /* for threads = 1 */
    int nworkers;
    worker *workers;
    pthread_mutex_t mu;
    pthread_cond_t work_cv, done_cv;
    int sync_ready; /* mutex and conds initialised */
    int stop;
};

int ft_codec_parse(const char *s, enum ft_codec *out)
{
    if (strcmp(s, "deflate") == 0)
        *out = FT_CODEC_DEFLATE;
    else if (strcmp(s, "null") == 0)
        *out = FT_CODEC_NULL;
    else if (strcmp(s, "snappy") == 0)
        *out = FT_CODEC_SNAPPY;
    else
        return -1;
    return 0;
}

const char *ft_codec_name(enum ft_codec c)
{
    switch (c) {
    case FT_CODEC_DEFLATE: return "deflate";
    case FT_CODEC_SNAPPY: return "snappy";
    default: return "null";
    }
}

/* ---- compression (any thread) ---- */

static int compressor_init(compressor *c, const ft_avro_opts *o)
{
    memset(c, 0, sizeof *c);
    if (o->codec != FT_CODEC_DEFLATE)
        return 0;
    c->ld = libdeflate_alloc_compressor(o->level);
    return c->ld ? 0 : -1;
}

static void compressor_end(compressor *c)
{
    if (c->ld)
        libdeflate_free_compressor(c->ld);
    c->ld = NULL;
}

static int reserve_out(job *j, size_t need)
{
    if (need <= j->out_cap)
        return 0;
    uint8_t *p = realloc(j->out, need);
    if (!p)
        return -1;
    j->out = p;
    j->out_cap = need;
    return 0;
}

static void compress_job(compressor *c, enum ft_codec codec, job *j)
{
    j->failed = 0;
    switch (codec) {
    case FT_CODEC_NULL:
        j->data = j->raw;
        j->data_len = j->raw_len;
        return;
    case FT_CODEC_SNAPPY: {
        size_t n = snappy_max_compressed_length(j->raw_len);
        if (reserve_out(j, n + 4) < 0 ||
            snappy_compress((const char *)j->raw, j->raw_len, (char *)j->out,
                            &n) != SNAPPY_OK) {
            j->failed = 1;
            return;
        }
        uint32_t crc = (uint32_t)crc32(0, j->raw, (uInt)j->raw_len);
        j->out[n] = (uint8_t)(crc >> 24);
        j->out[n + 1] = (uint8_t)(crc >> 16);
        j->out[n + 2] = (uint8_t)(crc >> 8);
        j->out[n + 3] = (uint8_t)crc;
        j->data = j->out;
        j->data_len = n + 4;
        return;
    }
    case FT_CODEC_DEFLATE: {
        size_t bound = libdeflate_deflate_compress_bound(c->ld, j->raw_len);
        size_t n;
        if (reserve_out(j, bound) < 0 ||
            !(n = libdeflate_deflate_compress(c->ld, j->raw, j->raw_len,
                                              j->out, j->out_cap))) {
            j->failed = 1;
            return;
        }
        j->data_len = n;
        j->data = j->out;
        return;
    }
    }
}

static void *worker_main(void *arg)
{
    worker *wk = arg;
    ft_avro_writer *w = wk->w;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->stop && w->taken == w->submitted)
            pthread_cond_wait(&w->work_cv, &w->mu);
        if (w->stop)
            break;
        job *j = &w->jobs[w->taken++ % (uint64_t)w->njobs];
        j->state = J_BUSY;
        pthread_mutex_unlock(&w->mu);
        compress_job(&wk->c, w->o.codec, j);
        pthread_mutex_lock(&w->mu);
        j->state = J_DONE;
        pthread_cond_broadcast(&w->done_cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* ---- output (caller's thread) ---- */

/* 128-bit FNV-1a: the sync marker only has to be unlikely to occur in
 * the data and the same for the same input. */
__extension__ typedef unsigned __int128 u128;

static void fnv128(const uint8_t *p, size_t n, uint8_t out[16])
{
    u128 h = ((u128)0x6c62272e07bb0142ULL << 64) | 0x62b821756295c58dULL;
    const u128 prime = ((u128)0x0000000001000000ULL << 64) | 0x000000000000013bULL;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= prime;
    }
    for (int i = 0; i < 16; i++)
        out[i] = (uint8_t)(h >> (8 * (15 - i)));
}

static size_t put_bytes(uint8_t *buf, const char *s, size_t n)
{
    size_t k = ft4_put_long(buf, (int64_t)n);
    memcpy(buf + k, s, n);
    return k + n;
}

static int write_header(ft_avro_writer *w, ft_error *err)
{
    const char *codec = ft_codec_name(w->o.codec);
    size_t slen = strlen(ft4_schema_json);
    size_t cap = 64 + strlen(codec) + slen + 16;
    uint8_t *h = malloc(cap);
    if (!h)
        return ft_error_set(err, "%s: out of memory", ft_sink_name(w->out));
    size_t n = 0;
    memcpy(h, "Obj\x01", 4);
    n = 4;
    n += ft4_put_long(h + n, 2); /* one map block of two entries */
    n += put_bytes(h + n, "avro.codec", 10);
    n += put_bytes(h + n, codec, strlen(codec));
    n += put_bytes(h + n, "avro.schema", 11);
    n += put_bytes(h + n, ft4_schema_json, slen);
    h[n++] = 0; /* end of map */
    memcpy(h + n, w->sync, 16);
    n += 16;
    int rc = ft_sink_write(w->out, h, n, err);
    free(h);
    if (rc == 0)
        w->header_done = 1;
    return rc;
}

static int write_job(ft_avro_writer *w, job *j, ft_error *err)
{
    if (j->failed)
        return ft_error_set(err, "%s: block %llu: compression failed (out "
                            "of memory)", ft_sink_name(w->out),
                            (unsigned long long)w->written + 1);
    if (!w->header_done && write_header(w, err) < 0)
        return -1;
    uint8_t head[20];
    size_t n = ft4_put_long(head, j->count);
    n += ft4_put_long(head + n, (int64_t)j->data_len);
    if (ft_sink_write(w->out, head, n, err) < 0 ||
        ft_sink_write(w->out, j->data, j->data_len, err) < 0 ||
        ft_sink_write(w->out, w->sync, 16, err) < 0)
        return -1;
    return 0;
}

/* Writes the oldest job when it is done; with wait, waits for it.
 * Returns 1 when one was written, 0 when none was ready, -1 on error. */
static int write_oldest(ft_avro_writer *w, int wait, ft_error *err)
{
    if (w->written == w->submitted)
        return 0;
    job *j = &w->jobs[w->written % (uint64_t)w->njobs];
    if (w->nworkers) {
        pthread_mutex_lock(&w->mu);
        while (wait && j->state != J_DONE)
            pthread_cond_wait(&w->done_cv, &w->mu);
        enum job_state st = j->state;
        pthread_mutex_unlock(&w->mu);
        if (st != J_DONE)
            return 0;
    }
    int rc = write_job(w, j, err);
    /* Only this thread touches a done job: no lock needed to free it. */
    j->state = J_FREE;
    j->raw_len = 0;
    j->count = 0;
    w->written++;
    return rc < 0 ? -1 : 1;
}

/* Hands the block being filled to the compressors (or compresses and
 * writes it here), then makes sure the next one is free. */
static int submit(ft_avro_writer *w, ft_error *err)
{
    job *j = &w->jobs[w->submitted % (uint64_t)w->njobs];
    if (w->submitted == 0)
        fnv128(j->raw, j->raw_len, w->sync);
    if (!w->nworkers) {
        compress_job(&w->inline_c, w->o.codec, j);
        w->submitted++;
        j->state = J_DONE;
        return write_oldest(w, 1, err) < 0 ? -1 : 0;
    }
    pthread_mutex_lock(&w->mu);
    j->state = J_QUEUED;
    w->submitted++;
    pthread_cond_signal(&w->work_cv);
    pthread_mutex_unlock(&w->mu);
    int rc;
    while ((rc = write_oldest(w, 0, err)) > 0) /* whatever is ready */
        ;
    if (rc < 0)
        return -1;
    if (w->submitted - w->written == (uint64_t)w->njobs) /* ring full */
        if (write_oldest(w, 1, err) < 0)
            return -1;
    return 0;
}

static int online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : (int)n;
}

static void stop_workers(ft_avro_writer *w)
{
    if (!w->sync_ready)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_broadcast(&w->work_cv);
    pthread_mutex_unlock(&w->mu);
    for (int i = 0; i < w->nworkers; i++)
        if (w->workers[i].started) {
            pthread_join(w->workers[i].tid, NULL);
            w->workers[i].started = 0;
        }
}

void ft_avro_writer_free(ft_avro_writer *w)
{
    if (!w)
        return;
    stop_workers(w);
    if (w->workers)
        for (int i = 0; i < w->nworkers; i++)
            compressor_end(&w->workers[i].c);
    compressor_end(&w->inline_c);
    if (w->jobs)
        for (int i = 0; i < w->njobs; i++) {
            free(w->jobs[i].raw);
            free(w->jobs[i].out);
        }
    if (w->sync_ready) {
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->work_cv);
        pthread_cond_destroy(&w->done_cv);
    }
    free(w->workers);
    free(w->jobs);
    free(w);
}

ft_avro_writer *ft_avro_writer_open(ft_sink *out, const ft_avro_opts *o,
                                    ft_error *err)
{
    const char *name = ft_sink_name(out);
    if (o->codec == FT_CODEC_DEFLATE && (o->level < 0 || o->level > 9)) {
        ft_error_set(err, "%s: deflate level %d out of range (0-9)", name,
                     o->level);
        return NULL;
    }
    if (o->block_bytes > FT_AVRO_BLOCK_BYTES_MAX) {
        ft_error_set(err, "%s: block size %zu above %zu bytes", name,
                     o->block_bytes, FT_AVRO_BLOCK_BYTES_MAX);
        return NULL;
    }
    if (o->threads < 0) {
        ft_error_set(err, "%s: thread count %d below 0", name, o->threads);
        return NULL;
    }
    ft_avro_writer *w = calloc(1, sizeof *w);
    if (!w) {
        ft_error_set(err, "%s: out of memory", name);
        return NULL;
    }
    w->out = out;
    w->o = *o;
    w->block_bytes = o->block_bytes ? o->block_bytes : 64 * 1024;
    int threads = o->threads ? o->threads : online_cpus();
    if (threads > MAX_THREADS)
        threads = MAX_THREADS;
    if (o->codec == FT_CODEC_NULL || threads == 1)
        threads = 0; /* nothing to do in parallel */
    w->nworkers = threads;
    /* Enough jobs that workers never wait for the writer. */
    w->njobs = threads ? 2 * threads + 2 : 1;
    w->jobs = calloc((size_t)w->njobs, sizeof *w->jobs);
    if (!w->jobs)
        goto oom;
    for (int i = 0; i < w->njobs; i++) {
        /* a block holds block_bytes plus at most one record */
        w->jobs[i].raw_cap = w->block_bytes + FT4_ENCODED_MAX;
        if (!(w->jobs[i].raw = malloc(w->jobs[i].raw_cap)))
            goto oom;
    }
    if (compressor_init(&w->inline_c, o) < 0)
        goto oom;
    if (threads) {
        if (!(w->workers = calloc((size_t)threads, sizeof *w->workers)))
            goto oom;
        if (pthread_mutex_init(&w->mu, NULL) != 0)
            goto oom;
        if (pthread_cond_init(&w->work_cv, NULL) != 0) {
            pthread_mutex_destroy(&w->mu);
            goto oom;
        }
        if (pthread_cond_init(&w->done_cv, NULL) != 0) {
            pthread_cond_destroy(&w->work_cv);
            pthread_mutex_destroy(&w->mu);
            goto oom;
        }
        w->sync_ready = 1;
        /* Workers block every signal (they inherit the mask), so signals
         * reach the caller's thread and interrupt its reads as before. */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        int started = 0;
        for (int i = 0; i < threads; i++) {
            worker *wk = &w->workers[i];
            wk->w = w;
            if (compressor_init(&wk->c, o) < 0)
                break;
            if (pthread_create(&wk->tid, NULL, worker_main, wk) != 0)
                break;
            wk->started = 1;
            started++;
        }
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (started < threads) {
            ft_error_set(err, "%s: cannot start a compression thread", name);
            ft_avro_writer_free(w);
            return NULL;
        }
    }
    return w;
oom:
    ft_error_set(err, "%s: out of memory", name);
    ft_avro_writer_free(w);
    return NULL;
}

/* Counts the n-byte record just placed at the end of j's block, first
 * moving it to the next block when it does not fit this one. */
static int add_record(ft_avro_writer *w, job *j, size_t n, ft_error *err)
{
    if (j->raw_len && j->raw_len + n > w->block_bytes) {
        memcpy(w->rec, j->raw + j->raw_len, n);
        if (submit(w, err) < 0) {
            w->failed = 1;
            return -1;
        }
        j = &w->jobs[w->submitted % (uint64_t)w->njobs];
        memcpy(j->raw + j->raw_len, w->rec, n);
    }
    j->raw_len += n;
    j->count++;
    return 0;
}

int ft_avro_writer_put(ft_avro_writer *w, const ft4_record *r, ft_error *err)
{
    if (w->failed)
        return ft_error_set(err, "%s: write after an error",
                            ft_sink_name(w->out));
    for (int i = 0; i < FT4_A_COUNT; i++)
        if (r->arr[i].n > FT4_ARRAY_READ_MAX)
            return ft_error_set(err, "%s: %s has %u entries, more than %d",
                                ft_sink_name(w->out),
                                ft4_fields[FT4_F_COMMON_PKTSIZES + i].name,
                                r->arr[i].n, FT4_ARRAY_READ_MAX);
    for (int i = 0; i < FT4_T_COUNT; i++)
        if (r->tag[i].len > FT4_TAG_MAX)
            return ft_error_set(err, "%s: %s longer than %d bytes",
                                ft_sink_name(w->out),
                                ft4_fields[FT4_F_MAXMIND_CONTINENT + i].name,
                                FT4_TAG_MAX);
    /* Encode in place (raw_cap leaves FT4_ENCODED_MAX of room); only a
     * record that starts the next block is moved. */
    job *j = &w->jobs[w->submitted % (uint64_t)w->njobs];
    return add_record(w, j, ft4_encode(r, j->raw + j->raw_len), err);
}

int ft_avro_writer_put_encoded(ft_avro_writer *w, const uint8_t *rec,
                               size_t n, ft_error *err)
{
    if (w->failed)
        return ft_error_set(err, "%s: write after an error",
                            ft_sink_name(w->out));
    if (n > FT4_ENCODED_MAX)
        return ft_error_set(err, "%s: record of %zu bytes, more than %d",
                            ft_sink_name(w->out), n, FT4_ENCODED_MAX);
    job *j = &w->jobs[w->submitted % (uint64_t)w->njobs];
    memcpy(j->raw + j->raw_len, rec, n);
    return add_record(w, j, n, err);
}

int ft_avro_writer_close(ft_avro_writer *w, ft_error *err)
{
    if (!w)
        return 0;
    int rc = 0;
    if (w->failed) {
        rc = ft_error_set(err, "%s: close after an error", ft_sink_name(w->out));
    } else {
        job *j = &w->jobs[w->submitted % (uint64_t)w->njobs];
        if (j->count && submit(w, err) < 0)
            rc = -1;
        while (rc == 0 && w->written < w->submitted)
            if (write_oldest(w, 1, err) < 0)
                rc = -1;
        if (rc == 0 && !w->header_done) { /* no records: still a header */
            fnv128((const uint8_t *)ft4_schema_json, strlen(ft4_schema_json),
                   w->sync);
            rc = write_header(w, err);
        }
    }
    ft_avro_writer_free(w);
    return rc;
}
