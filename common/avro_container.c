/*
 * avro_container.c - the Avro object container layer (see
 * avro_container.h for the layout and the checks).
 *
 * The metadata map is Avro-encoded: blocks of `count` (key string, value
 * bytes) pairs, a negative count followed by the block's byte size, a 0
 * count at the end.  We need "avro.schema" (the writer schema, JSON) and
 * "avro.codec" ("null" when absent, "deflate" = raw RFC 1951 data,
 * "snappy" = snappy data + big-endian CRC-32 of the uncompressed bytes).
 *
 * A block is read whole and decompressed into one buffer that the datum
 * decoder reads from; nothing is allocated per record.  Trailing bytes
 * after the end of a deflate stream are tolerated: python-avro writes 3
 * stray bytes of the zlib trailer after every deflate block.
 *
 * Deflate: libdeflate's whole-buffer decoder, which bench/codec_bench
 * measured at 2.6x zlib's inflate on FT4 blocks (zlib's inflate was the
 * reader's bottleneck).  Snappy blocks' CRC-32 also comes from libdeflate,
 * whose folding CRC measured 5.6x zlib 1.2.13's (31 vs 5.5 GB/s) on 64 KiB.
 */
#include "avro_container.h"

#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <libdeflate.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

/* Limits that keep a corrupt or hostile file from making us allocate
 * without bound. */
#define FT_AVRO_BLOCK_MAX ((size_t)128 << 20) /* stored bytes of one block */
#define FT_AVRO_RAW_MAX ((size_t)256 << 20)   /* decompressed bytes */
#define META_VALUE_MAX ((int64_t)16 << 20)
#define META_KEY_MAX 1024
#define META_ENTRIES_MAX 4096
#define READ_CHUNK ((size_t)1 << 20)

enum codec { C_NULL, C_DEFLATE, C_SNAPPY };

#define NSLOT 8
#define REFILL 4

/* One block as read: its buffers, records and outcome. */
typedef struct blk {
    uint64_t no;          /* block number, from 1 */
    uint8_t *stored;      /* the block as stored */
    size_t stored_cap;
    uint8_t *raw;         /* decompressed block */
    size_t raw_cap;
    const uint8_t *data;  /* its records */
    size_t len;
    int64_t count;
    int rc;               /* 1 a block, 0 end of data, -1 error (in err) */
    ft_error err;
    enum { B_FREE, B_READY, B_HELD } state;
} blk;

struct ft_avro_container {
    ft_source *src;
    const char *name;
    char *schema;         /* writer schema, JSON */
    size_t schema_len;
    enum codec codec;
    uint8_t sync[16];
    uint64_t read_no;     /* blocks read from the source so far */
    uint64_t block;       /* number of the block handed out */
    int failed;
    int ended;            /* end of data or error handed out: rc to repeat */
    struct libdeflate_decompressor *dd;
    /*
     * Blocks are read, checked and decompressed one ahead by a worker
     * thread when a second CPU is there and the source is a regular file,
     * from the second block on, so a one-block file never starts a thread.
     * Decompression is about a third of reading a deflate file
     * (bench/questions.sh), so the reader then waits mostly on the
     * decoder.  Only regular files: a worker waiting on a pipe could not
     * be stopped when the caller stops early (pthread_cancel needs
     * libgcc_s loaded at that moment, which fails when memory is short).
     * The worker alone touches src, dd and read_no once started; the
     * slots pass between it and the caller in ring order under lock.  A
     * worker that has filled them all sleeps until REFILL are free again,
     * so the two threads wake each other once per REFILL blocks, not per
     * block (each wake-up costs a context switch on both sides: with two
     * slots they were 16% of ft-topn's time).
     */
    blk slot[NSLOT];
    int cur;              /* slot handed out (B_HELD), or -1 */
    int nfree;            /* slots B_FREE */
    int worker_waits, reader_waits;
    int threaded;
    int cur_held;         /* the worker runs and cur is the caller's */
    int worker_fill;      /* the slot the worker fills next */
    int stop;
    pthread_t tid;
    pthread_mutex_t lock;
    pthread_cond_t to_worker, to_reader;
};

/* Reads up to n bytes, stopping only at end of data: returns the count
 * (n, or fewer at end), or -1 on a read error. */
static ssize_t read_upto(ft_source *s, void *buf, size_t n, ft_error *err)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = ft_source_read(s, (uint8_t *)buf + got, n - got, err);
        if (k < 0)
            return -1;
        if (k == 0)
            break;
        got += (size_t)k;
    }
    return (ssize_t)got;
}

enum { RL_OK = 1, RL_EOF = 0, RL_IOERR = -1, RL_TRUNC = -2, RL_BAD = -3 };

/* One zigzag varint from the source. RL_EOF only before its first byte. */
static int read_long(ft_source *s, int64_t *v, ft_error *err)
{
    uint64_t z = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        uint8_t b;
        ssize_t k = read_upto(s, &b, 1, err);
        if (k < 0)
            return RL_IOERR;
        if (k == 0)
            return shift == 0 ? RL_EOF : RL_TRUNC;
        z |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
            return RL_OK;
        }
    }
    return RL_BAD;
}

static int grow(uint8_t **buf, size_t *cap, size_t need, const char *name,
                ft_error *err)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 64 * 1024;
    while (n < need)
        n *= 2;
    if (n > FT_AVRO_RAW_MAX && need <= FT_AVRO_RAW_MAX)
        n = FT_AVRO_RAW_MAX; /* never more than a block may need */
    uint8_t *p = realloc(*buf, n);
    if (!p)
        return ft_error_set(err, "%s: out of memory", name);
    *buf = p;
    *cap = n;
    return 0;
}

/* ---- header ---- */

static int header_long(ft_avro_container *r, int64_t *v, ft_error *err)
{
    int rc = read_long(r->src, v, err);
    if (rc == RL_OK)
        return 0;
    if (rc == RL_IOERR)
        return -1;
    if (rc == RL_BAD)
        return ft_error_set(err, "%s: header: bad varint", r->name);
    return ft_error_set(err, "%s: header: truncated", r->name);
}

static int header_bytes(ft_avro_container *r, void *buf, size_t n, ft_error *err)
{
    ssize_t k = read_upto(r->src, buf, n, err);
    if (k < 0)
        return -1;
    if ((size_t)k < n)
        return ft_error_set(err, "%s: header: truncated", r->name);
    return 0;
}

/* Reads the metadata map; *schema (malloc'd, caller frees) and codec. */
static int read_meta(ft_avro_container *r, char **schema, size_t *schema_len,
                     char *codec, size_t codec_size, ft_error *err)
{
    int entries = 0;
    *schema = NULL;
    codec[0] = '\0';
    for (;;) {
        int64_t count;
        if (header_long(r, &count, err) < 0)
            return -1;
        if (count == 0)
            return 0;
        if (count < 0) { /* a byte size follows, which we do not need */
            int64_t size;
            if (header_long(r, &size, err) < 0)
                return -1;
            count = count == INT64_MIN ? INT64_MAX : -count;
        }
        for (int64_t i = 0; i < count; i++) {
            if (++entries > META_ENTRIES_MAX)
                return ft_error_set(err, "%s: header: more than %d metadata "
                                    "entries", r->name, META_ENTRIES_MAX);
            int64_t klen, vlen;
            char key[META_KEY_MAX + 1];
            if (header_long(r, &klen, err) < 0)
                return -1;
            if (klen < 0 || klen > META_KEY_MAX)
                return ft_error_set(err, "%s: header: bad metadata key length "
                                    "%lld", r->name, (long long)klen);
            if (header_bytes(r, key, (size_t)klen, err) < 0)
                return -1;
            key[klen] = '\0';
            if (header_long(r, &vlen, err) < 0)
                return -1;
            if (vlen < 0 || vlen > META_VALUE_MAX)
                return ft_error_set(err, "%s: header: bad length %lld for "
                                    "metadata '%s'", r->name, (long long)vlen,
                                    key);
            char *val = malloc((size_t)vlen + 1);
            if (!val)
                return ft_error_set(err, "%s: out of memory", r->name);
            if (header_bytes(r, val, (size_t)vlen, err) < 0) {
                free(val);
                return -1;
            }
            val[vlen] = '\0';
            if (strcmp(key, "avro.schema") == 0) {
                free(*schema);
                *schema = val;
                *schema_len = (size_t)vlen;
            } else {
                if (strcmp(key, "avro.codec") == 0)
                    snprintf(codec, codec_size, "%s", val);
                free(val);
            }
        }
    }
}

static int read_header(ft_avro_container *r, ft_error *err)
{
    uint8_t magic[4];
    ssize_t k = read_upto(r->src, magic, 4, err);
    if (k < 0)
        return -1;
    if (k == 0)
        return ft_error_set(err, "%s: empty file", r->name);
    if (k < 4 || memcmp(magic, FT_AVRO_MAGIC, 4) != 0)
        return ft_error_set(err, "%s: not an Avro file", r->name);

    char *schema = NULL, codec[64];
    size_t schema_len = 0;
    if (read_meta(r, &schema, &schema_len, codec, sizeof codec, err) < 0 ||
        header_bytes(r, r->sync, sizeof r->sync, err) < 0) {
        free(schema);
        return -1;
    }
    if (!schema)
        return ft_error_set(err, "%s: header: no avro.schema", r->name);
    if (codec[0] == '\0' || strcmp(codec, "null") == 0) {
        r->codec = C_NULL;
    } else if (strcmp(codec, "deflate") == 0) {
        r->codec = C_DEFLATE;
    } else if (strcmp(codec, "snappy") == 0) {
        r->codec = C_SNAPPY;
    } else {
        free(schema);
        return ft_error_set(err, "%s: header: unsupported codec '%s'",
                            r->name, codec);
    }
    r->schema = schema;
    r->schema_len = schema_len;
    return 0;
}

ft_avro_container *ft_avro_container_open(ft_source *src, ft_error *err)
{
    ft_avro_container *r = calloc(1, sizeof *r);
    if (!r) {
        ft_error_set(err, "%s: out of memory", ft_source_name(src));
        return NULL;
    }
    r->src = src;
    r->name = ft_source_name(src);
    r->cur = -1;
    if (read_header(r, err) < 0)
        goto fail;
    if (r->codec == C_DEFLATE && !(r->dd = libdeflate_alloc_decompressor())) {
        ft_error_set(err, "%s: out of memory", r->name);
        goto fail;
    }
    return r;
fail:
    ft_avro_container_close(r);
    return NULL;
}

static void stop_worker(ft_avro_container *r);

void ft_avro_container_close(ft_avro_container *r)
{
    if (!r)
        return;
    stop_worker(r);
    free(r->schema);
    if (r->dd)
        libdeflate_free_decompressor(r->dd);
    for (int i = 0; i < NSLOT; i++) {
        free(r->slot[i].stored);
        free(r->slot[i].raw);
    }
    free(r);
}

/* ---- blocks ---- */

static int block_error(const ft_avro_container *r, const blk *b, ft_error *err,
                       const char *what)
{
    return ft_error_set(err, "%s: block %llu: %s", r->name,
                        (unsigned long long)b->no, what);
}

static int too_big(const ft_avro_container *r, const blk *b, ft_error *err)
{
    return ft_error_set(err, "%s: block %llu: more than %zu MiB "
                        "decompressed", r->name, (unsigned long long)b->no,
                        FT_AVRO_RAW_MAX >> 20);
}

/* Room for a deflate block's output before we know its size. */
static size_t first_guess(size_t stored)
{
    size_t n = stored < FT_AVRO_RAW_MAX / 4 ? stored * 4 : FT_AVRO_RAW_MAX;
    return n < 65536 ? 65536 : n;
}

static int inflate_block(ft_avro_container *r, blk *b, size_t n, ft_error *err)
{
    /* libdeflate wants room for the whole output: start from what the
     * previous block needed (kept in raw_cap), double until it fits. */
    if (grow(&b->raw, &b->raw_cap, first_guess(n), r->name, err) < 0)
        return -1;
    for (;;) {
        size_t in_used, out_len;
        enum libdeflate_result res = libdeflate_deflate_decompress_ex(
            r->dd, b->stored, n, b->raw, b->raw_cap, &in_used, &out_len);
        if (res == LIBDEFLATE_SUCCESS) {
            b->data = b->raw;
            b->len = out_len;
            return 0;
        }
        if (res != LIBDEFLATE_INSUFFICIENT_SPACE)
            return block_error(r, b, err, "deflate: corrupt data");
        if (b->raw_cap >= FT_AVRO_RAW_MAX)
            return too_big(r, b, err);
        if (grow(&b->raw, &b->raw_cap, b->raw_cap * 2, r->name, err) < 0)
            return -1;
    }
}

static int unsnappy_block(ft_avro_container *r, blk *b, size_t n, ft_error *err)
{
    const uint8_t *in = b->stored;
    size_t out;
    if (n < 4)
        return block_error(r, b, err, "snappy: shorter than its crc");
    n -= 4;
    if (snappy_uncompressed_length((const char *)in, n, &out) != SNAPPY_OK)
        return block_error(r, b, err, "snappy: corrupt data");
    if (out > FT_AVRO_RAW_MAX)
        return too_big(r, b, err);
    if (grow(&b->raw, &b->raw_cap, out ? out : 1, r->name, err) < 0)
        return -1;
    if (snappy_uncompress((const char *)in, n, (char *)b->raw, &out) != SNAPPY_OK)
        return block_error(r, b, err, "snappy: corrupt data");
    uint32_t crc = libdeflate_crc32(0, b->raw, out);
    const uint8_t *c = in + n;
    if (crc != ((uint32_t)c[0] << 24 | (uint32_t)c[1] << 16 |
                (uint32_t)c[2] << 8 | c[3]))
        return block_error(r, b, err, "snappy: crc mismatch");
    b->data = b->raw;
    b->len = out;
    return 0;
}

/* Reads the next block with records into b, skipping empty ones: 1, 0 at
 * the end of data, or -1 with err. */
static int read_block(ft_avro_container *r, blk *b, ft_error *err)
{
    for (;;) {
        int64_t count, size;
        b->no = ++r->read_no;
        int rc = read_long(r->src, &count, err);
        if (rc == RL_EOF) {
            r->read_no--;
            return 0;
        }
        if (rc == RL_IOERR)
            return -1;
        if (rc != RL_OK)
            return block_error(r, b, err, rc == RL_TRUNC ? "truncated"
                                                         : "bad record count");
        if (count < 0)
            return block_error(r, b, err, "negative record count");
        rc = read_long(r->src, &size, err);
        if (rc == RL_IOERR)
            return -1;
        if (rc != RL_OK)
            return block_error(r, b, err, rc == RL_BAD ? "bad size" : "truncated");
        if (size < 0)
            return block_error(r, b, err, "negative size");
        if ((uint64_t)size > FT_AVRO_BLOCK_MAX)
            return ft_error_set(err, "%s: block %llu: size %lld above the "
                                "%zu MiB limit", r->name,
                                (unsigned long long)b->no, (long long)size,
                                FT_AVRO_BLOCK_MAX >> 20);
        /* Read in chunks so a truncated file never makes us allocate the
         * whole size it claims. */
        size_t got = 0;
        while (got < (size_t)size) {
            size_t want = (size_t)size - got;
            if (want > READ_CHUNK)
                want = READ_CHUNK;
            if (grow(&b->stored, &b->stored_cap, got + want, r->name, err) < 0)
                return -1;
            ssize_t k = read_upto(r->src, b->stored + got, want, err);
            if (k < 0)
                return -1;
            got += (size_t)k;
            if ((size_t)k < want)
                return block_error(r, b, err, "truncated");
        }
        uint8_t sync[16];
        ssize_t k = read_upto(r->src, sync, 16, err);
        if (k < 0)
            return -1;
        if (k < 16)
            return block_error(r, b, err, "truncated");
        if (memcmp(sync, r->sync, 16) != 0)
            return block_error(r, b, err, "bad sync marker");

        switch (r->codec) {
        case C_NULL:
            b->data = b->stored;
            b->len = (size_t)size;
            break;
        case C_DEFLATE:
            if (inflate_block(r, b, (size_t)size, err) < 0)
                return -1;
            break;
        case C_SNAPPY:
            if (unsnappy_block(r, b, (size_t)size, err) < 0)
                return -1;
            break;
        }
        if ((uint64_t)count > b->len) /* every record takes bytes */
            return ft_error_set(err, "%s: block %llu: %lld records cannot "
                                "fit in %zu bytes", r->name,
                                (unsigned long long)b->no, (long long)count,
                                b->len);
        if (count > 0) {
            b->count = count;
            return 1;
        }
        if (b->len != 0)
            return ft_error_set(err, "%s: block %llu: %zu bytes left after "
                                "the last record", r->name,
                                (unsigned long long)b->no, b->len);
        /* an empty block: valid, go on to the next */
    }
}

/* ---- the read-ahead worker ---- */

static void *worker_main(void *arg)
{
    ft_avro_container *r = arg;
    pthread_mutex_lock(&r->lock);
    for (;;) {
        if (r->nfree == 0) {
            r->worker_waits = 1;
            while (r->nfree < REFILL && !r->stop)
                pthread_cond_wait(&r->to_worker, &r->lock);
            r->worker_waits = 0;
        }
        if (r->stop)
            break;
        blk *b = &r->slot[r->worker_fill];
        r->nfree--;
        pthread_mutex_unlock(&r->lock);
        int rc = read_block(r, b, &b->err);
        pthread_mutex_lock(&r->lock);
        b->rc = rc;
        b->state = B_READY;
        if (r->reader_waits)
            pthread_cond_signal(&r->to_reader);
        if (rc <= 0)
            break;
        r->worker_fill = (r->worker_fill + 1) % NSLOT;
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

/* Starts the worker on the slot after the one just handed back; 0 when
 * it runs, -1 to go on reading in the caller's thread. */
static int start_worker(ft_avro_container *r)
{
    static long ncpu;
    if (!ncpu) {
        ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        /* FT_READ_AHEAD=0: one thread per process, for runners that keep
         * every core busy with processes of their own (ft-shard). */
        const char *ra = getenv("FT_READ_AHEAD");
        if (ra && strcmp(ra, "0") == 0)
            ncpu = 1;
    }
    if (ncpu < 2 || !ft_source_is_file(r->src))
        return -1;
    if (pthread_mutex_init(&r->lock, NULL) != 0)
        return -1;
    if (pthread_cond_init(&r->to_worker, NULL) != 0) {
        pthread_mutex_destroy(&r->lock);
        return -1;
    }
    if (pthread_cond_init(&r->to_reader, NULL) != 0) {
        pthread_cond_destroy(&r->to_worker);
        pthread_mutex_destroy(&r->lock);
        return -1;
    }
    r->worker_fill = (r->cur + 1) % NSLOT;
    for (int i = 0; i < NSLOT; i++)
        r->slot[i].state = B_FREE;
    r->nfree = NSLOT;
    /* Signals stay with the caller's thread. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&r->tid, NULL, worker_main, r);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        pthread_cond_destroy(&r->to_reader);
        pthread_cond_destroy(&r->to_worker);
        pthread_mutex_destroy(&r->lock);
        return -1;
    }
    r->threaded = 1;
    return 0;
}

static void stop_worker(ft_avro_container *r)
{
    if (!r->threaded)
        return;
    pthread_mutex_lock(&r->lock);
    r->stop = 1;
    pthread_cond_signal(&r->to_worker);
    pthread_mutex_unlock(&r->lock);
    /* At most the block being read is finished: reads of a file return. */
    pthread_join(r->tid, NULL);
    pthread_cond_destroy(&r->to_reader);
    pthread_cond_destroy(&r->to_worker);
    pthread_mutex_destroy(&r->lock);
    r->threaded = 0;
}

/* The next block from the worker: hands back the current slot (unless the
 * worker has just started with both free), waits for the other. */
static blk *next_from_worker(ft_avro_container *r, int hand_back)
{
    pthread_mutex_lock(&r->lock);
    if (hand_back) {
        r->slot[r->cur].state = B_FREE;
        if (++r->nfree >= REFILL && r->worker_waits)
            pthread_cond_signal(&r->to_worker);
    }
    r->cur = (r->cur + 1) % NSLOT;
    blk *b = &r->slot[r->cur];
    while (b->state != B_READY) {
        r->reader_waits = 1;
        pthread_cond_wait(&r->to_reader, &r->lock);
    }
    r->reader_waits = 0;
    b->state = B_HELD;
    pthread_mutex_unlock(&r->lock);
    return b;
}

int ft_avro_container_next(ft_avro_container *r, const uint8_t **data,
                           size_t *len, int64_t *count_out, ft_error *err)
{
    if (r->failed)
        return ft_error_set(err, "%s: read after an error", r->name);
    if (r->ended)
        return 0;
    blk *b;
    if (r->threaded || (r->cur >= 0 && start_worker(r) == 0)) {
        /* start_worker() handed back the first block's slot itself: the
         * worker may already be filling it with the third. */
        b = next_from_worker(r, r->cur_held);
        r->cur_held = 1;
        if (b->rc < 0)
            *err = b->err;
    } else {
        /* The first block, or no second CPU: in the caller's thread. */
        r->cur = 0;
        b = &r->slot[0];
        b->rc = read_block(r, b, err);
    }
    if (b->rc < 0)
        return r->failed = 1, -1;
    if (b->rc == 0) {
        r->ended = 1;
        return 0;
    }
    r->block = b->no;
    *data = b->data;
    *len = b->len;
    *count_out = b->count;
    return 1;
}

const char *ft_avro_container_schema(const ft_avro_container *c, size_t *len)
{
    if (len)
        *len = c->schema_len;
    return c->schema;
}

void ft_avro_container_fail(ft_avro_container *c) { c->failed = 1; }
int ft_avro_container_failed(const ft_avro_container *c) { return c->failed; }
uint64_t ft_avro_container_block(const ft_avro_container *c) { return c->block; }
const char *ft_avro_container_name(const ft_avro_container *c) { return c->name; }
