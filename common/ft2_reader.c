/* ft2_reader.c - corsaro2 FlowTuple binary files (see ft2_reader.h). */
#include "ft2_reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_RECORDS 4096
#define FT2_CLASSES 3

enum state {
    ST_BETWEEN,     /* an interval start or the end of the data is next */
    ST_CLASS_START, /* class r->cls starts next */
    ST_RECORDS,     /* r->left records of class r->cls next */
    ST_DONE,
    ST_FAILED
};

struct ft2_reader {
    ft_source *src;
    const char *name;
    int slash_eight;
    int has_header;
    ft2_header hdr;
    enum state st;
    ft2_interval iv;        /* the current interval */
    int have_pending;       /* the next interval's start was read already */
    ft2_interval pending;
    int cls;
    uint32_t class_magic;
    uint32_t count, left;   /* records of the current class */
    uint64_t class_off;     /* where its class start was */
    int sixt, needs_octet;
    uint8_t buf[CHUNK_RECORDS * 21];
};

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int fail(ft2_reader *r, uint64_t off, ft_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(ft2_reader *r, uint64_t off, ft_error *err, const char *fmt, ...)
{
    char what[FT_ERRLEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    r->st = ST_FAILED;
    return ft_error_set(err, "%s: byte %llu: %s", r->name,
                        (unsigned long long)off, what);
}

/* A read error from the source ("NAME: gzip: ...") gets the offset too. */
static int io_fail(ft2_reader *r, ft_error *err)
{
    char msg[FT_ERRLEN];
    size_t n = strlen(r->name);
    const char *what = err ? err->msg : "read error";
    if (err && strncmp(what, r->name, n) == 0 && what[n] == ':' && what[n + 1] == ' ')
        what += n + 2;
    snprintf(msg, sizeof msg, "%s", what);
    return fail(r, ft_source_offset(r->src), err, "%s", msg);
}

/* Reads up to n bytes, stopping only at the end of the data: the count,
 * or -1 (err set, reader failed). */
static ssize_t read_upto(ft2_reader *r, void *buf, size_t n, ft_error *err)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = ft_source_read(r->src, (uint8_t *)buf + got, n - got, err);
        if (k < 0)
            return io_fail(r, err);
        if (k == 0)
            break;
        got += (size_t)k;
    }
    return (ssize_t)got;
}

/* ---- global header ---- */

static int read_header(ft2_reader *r, ft_error *err)
{
    uint8_t b[16];
    uint64_t off = 0;
    ssize_t k = read_upto(r, b, 16, err);
    if (k < 0)
        return -1;
    if (k < 16)
        return fail(r, off, err, "global header: truncated");
    r->hdr.major = b[8];
    r->hdr.minor = b[9];
    r->hdr.init_time = be32(b + 10);
    r->hdr.interval_len = be16(b + 14);
    if ((k = read_upto(r, b, 2, err)) < 0)
        return -1;
    if (k < 2)
        return fail(r, off, err, "global header: truncated");
    size_t urilen = be16(b);
    while (urilen > 0) { /* the trace URI: not needed */
        size_t want = urilen < sizeof r->buf ? urilen : sizeof r->buf;
        if ((k = read_upto(r, r->buf, want, err)) < 0)
            return -1;
        if ((size_t)k < want)
            return fail(r, off, err, "global header: truncated in the trace URI");
        urilen -= want;
    }
    if ((k = read_upto(r, b, 2, err)) < 0)
        return -1;
    if (k < 2)
        return fail(r, off, err, "global header: truncated");
    r->hdr.nplugins = be16(b);
    for (unsigned i = 0; i < r->hdr.nplugins; i++) {
        if ((k = read_upto(r, b, 4, err)) < 0)
            return -1;
        if (k < 4)
            return fail(r, off, err, "global header: truncated in the plugin list");
        if (i < sizeof r->hdr.plugin / sizeof r->hdr.plugin[0])
            r->hdr.plugin[i] = be32(b);
    }
    r->has_header = 1;
    return 0;
}

ft2_reader *ft2_reader_open(ft_source *src, int slash_eight, ft_error *err)
{
    ft2_reader *r = calloc(1, sizeof *r);
    if (!r) {
        ft_error_set(err, "%s: out of memory", ft_source_name(src));
        return NULL;
    }
    r->src = src;
    r->name = ft_source_name(src);
    r->slash_eight = slash_eight;
    r->st = ST_BETWEEN;
    uint8_t m[8];
    ssize_t k = ft_source_peek(src, m, sizeof m, err);
    if (k < 0) {
        io_fail(r, err);
        goto fail;
    }
    if (k == 0) {
        ft_error_set(err, "%s: empty file", r->name);
        goto fail;
    }
    if (k < 8 || be32(m) != FT2_MAGIC_EDGR ||
        (be32(m + 4) != FT2_MAGIC_HEAD && be32(m + 4) != FT2_MAGIC_INTR)) {
        char hex[32] = "";
        for (ssize_t i = 0; i < k; i++)
            snprintf(hex + strlen(hex), sizeof hex - strlen(hex), "%s%02x",
                     i ? " " : "", m[i]);
        fail(r, 0, err, "not an FT2 file (starts %s)", hex);
        goto fail;
    }
    if (be32(m + 4) == FT2_MAGIC_HEAD && read_header(r, err) < 0)
        goto fail;
    return r;
fail:
    free(r);
    return NULL;
}

const ft2_header *ft2_reader_header(const ft2_reader *r)
{
    return r->has_header ? &r->hdr : NULL;
}

/* ---- intervals and classes ---- */

/* Reads 14 bytes of an interval marker at the current offset.  1 = read
 * into *iv (magics checked), 0 = end of data before its first byte, -1. */
static int read_marker(ft2_reader *r, ft2_interval *iv, const char *what,
                       ft_error *err)
{
    uint8_t b[14];
    uint64_t off = ft_source_offset(r->src);
    ssize_t k = read_upto(r, b, sizeof b, err);
    if (k < 0)
        return -1;
    if (k == 0)
        return 0;
    if (k < 14)
        return fail(r, off, err, "%s: truncated", what);
    if (be32(b) != FT2_MAGIC_EDGR || be32(b + 4) != FT2_MAGIC_INTR)
        return fail(r, off, err, "%s: bad magic 0x%08x 0x%08x", what, be32(b),
                    be32(b + 4));
    iv->number = be16(b + 8);
    iv->time = be32(b + 10);
    return 1;
}

int ft2_reader_next_interval(ft2_reader *r, ft2_interval *iv, ft_error *err)
{
    if (r->st == ST_DONE)
        return 0;
    if (r->st == ST_FAILED && !r->have_pending)
        return ft_error_set(err, "%s: read after an error", r->name);
    if (r->have_pending) {
        r->iv = r->pending;
        r->have_pending = 0;
    } else {
        if (r->st != ST_BETWEEN)
            return ft_error_set(err, "%s: interval %u not read to its end",
                                r->name, r->iv.number);
        int rc = read_marker(r, &r->iv, "interval start", err);
        if (rc <= 0) {
            if (rc == 0)
                r->st = ST_DONE;
            return rc;
        }
    }
    /* Say at once when the interval's records need the /8 octet. */
    uint8_t m[4];
    uint64_t off = ft_source_offset(r->src);
    ssize_t k = ft_source_peek(r->src, m, 4, err);
    if (k < 0)
        return io_fail(r, err);
    if (k == 4 && be32(m) == FT2_MAGIC_SIXT && r->slash_eight < 0) {
        r->needs_octet = r->sixt = 1;
        return fail(r, off, err, "interval %u: class 0: SIXT records "
                    "(/8-optimised destinations): the first octet must be "
                    "given (--slash-eight)", r->iv.number);
    }
    *iv = r->iv;
    r->cls = 0;
    r->st = ST_CLASS_START;
    return 1;
}

/* Where a class start or the interval end should be, the next interval's
 * start stands: report the missing end marker and keep that start for
 * ft2_reader_next_interval. */
static int missing_end(ft2_reader *r, uint64_t off, ft_error *err)
{
    ft2_interval next;
    int rc = read_marker(r, &next, "interval start", err);
    if (rc < 0)
        return -1;
    fail(r, off, err, "interval %u (%lu) ends without its end marker (found "
         "interval %u's start)", r->iv.number, (unsigned long)r->iv.time,
         next.number);
    r->pending = next;
    r->have_pending = 1;
    return -1;
}

static int class_start(ft2_reader *r, ft_error *err)
{
    uint8_t b[10];
    uint64_t off = ft_source_offset(r->src);
    ssize_t k = ft_source_peek(r->src, b, 8, err);
    if (k < 0)
        return io_fail(r, err);
    if (k == 8 && be32(b) == FT2_MAGIC_EDGR && be32(b + 4) == FT2_MAGIC_INTR)
        return missing_end(r, off, err);
    if ((k = read_upto(r, b, sizeof b, err)) < 0)
        return -1;
    if (k < 10)
        return fail(r, off, err, "interval %u (%lu) ends without its end marker "
                    "(end of data where class %d should start)", r->iv.number,
                    (unsigned long)r->iv.time, r->cls);
    uint32_t magic = be32(b);
    if (magic != FT2_MAGIC_SIXU && magic != FT2_MAGIC_SIXT)
        return fail(r, off, err, "interval %u: class %d: bad magic 0x%08x",
                    r->iv.number, r->cls, magic);
    if (be16(b + 4) != r->cls)
        return fail(r, off, err, "interval %u: class %u where class %d should "
                    "start", r->iv.number, be16(b + 4), r->cls);
    r->sixt = magic == FT2_MAGIC_SIXT;
    if (r->sixt && r->slash_eight < 0) {
        r->needs_octet = 1;
        return fail(r, off, err, "interval %u: class %d: SIXT records "
                    "(/8-optimised destinations): the first octet must be "
                    "given (--slash-eight)", r->iv.number, r->cls);
    }
    r->class_magic = magic;
    r->count = r->left = be32(b + 6);
    r->class_off = off;
    r->st = ST_RECORDS;
    return 0;
}

static int class_end(ft2_reader *r, ft_error *err)
{
    uint8_t b[6];
    uint64_t off = ft_source_offset(r->src);
    ssize_t k = read_upto(r, b, sizeof b, err);
    if (k < 0)
        return -1;
    if (k < 6)
        return fail(r, off, err, "interval %u (%lu) ends without its end marker "
                    "(end of data where class %d should end)", r->iv.number,
                    (unsigned long)r->iv.time, r->cls);
    if (be32(b) != r->class_magic || be16(b + 4) != r->cls)
        return fail(r, off, err, "interval %u: class %d: bad class end "
                    "(magic 0x%08x, class %u; %u records announced)",
                    r->iv.number, r->cls, be32(b), be16(b + 4), r->count);
    r->cls++;
    r->st = ST_CLASS_START;
    return 0;
}

static int interval_end(ft2_reader *r, ft_error *err)
{
    uint8_t b[8];
    uint64_t off = ft_source_offset(r->src);
    ssize_t k = ft_source_peek(r->src, b, 8, err);
    if (k < 0)
        return io_fail(r, err);
    if (k == 0)
        return fail(r, off, err, "interval %u (%lu) ends without its end "
                    "marker (end of data)", r->iv.number,
                    (unsigned long)r->iv.time);
    ft2_interval end;
    int rc = read_marker(r, &end, "interval end", err);
    if (rc <= 0)
        return -1;
    if (end.number != r->iv.number) {
        /* The next interval's start: keep it, report the missing end. */
        r->pending = end;
        r->have_pending = 1;
        return fail(r, off, err, "interval %u (%lu) ends without its end "
                    "marker (found interval %u's start)", r->iv.number,
                    (unsigned long)r->iv.time, end.number);
    }
    if (end.time < r->iv.time)
        return fail(r, off, err, "interval %u: end time %lu before its start "
                    "%lu", r->iv.number, (unsigned long)end.time,
                    (unsigned long)r->iv.time);
    r->st = ST_BETWEEN;
    return 0;
}

static void decode(const ft2_reader *r, const uint8_t *p, ft2_record *o)
{
    o->src_ip = be32(p);
    if (r->sixt) {
        o->dst_ip = (uint32_t)r->slash_eight << 24 | (uint32_t)p[4] << 16 |
                    (uint32_t)p[5] << 8 | p[6];
        p += 7;
    } else {
        o->dst_ip = be32(p + 4);
        p += 8;
    }
    o->src_port = be16(p);
    o->dst_port = be16(p + 2);
    o->protocol = p[4];
    o->ttl = p[5];
    o->tcp_flags = p[6];
    o->ip_len = be16(p + 7);
    o->packet_cnt = be32(p + 9);
}

int ft2_reader_read(ft2_reader *r, ft2_record *recs, size_t cap, size_t *n,
                    ft_error *err)
{
    *n = 0;
    for (;;) {
        switch (r->st) {
        case ST_BETWEEN:
            return 0;
        case ST_DONE:
        case ST_FAILED:
            return ft_error_set(err, "%s: read after an error or the end",
                                r->name);
        case ST_CLASS_START:
            if ((r->cls < FT2_CLASSES ? class_start(r, err)
                                      : interval_end(r, err)) < 0)
                return -1;
            if (r->st == ST_BETWEEN)
                return 0;
            continue;
        case ST_RECORDS:
            break;
        }
        if (r->left == 0) {
            if (class_end(r, err) < 0)
                return -1;
            continue;
        }
        size_t size = r->sixt ? 20 : 21;
        size_t want = r->left < cap ? r->left : cap;
        if (want > CHUNK_RECORDS)
            want = CHUNK_RECORDS;
        ssize_t k = read_upto(r, r->buf, want * size, err);
        if (k < 0)
            return -1;
        size_t got = (size_t)k / size;
        if ((size_t)k < want * size)
            return fail(r, r->class_off, err, "interval %u: class %d: %lu "
                        "records of %zu bytes run past the end of the data "
                        "(%lu read)", r->iv.number, r->cls,
                        (unsigned long)r->count, size,
                        (unsigned long)(r->count - r->left + got));
        for (size_t i = 0; i < got; i++)
            decode(r, r->buf + i * size, &recs[i]);
        r->left -= (uint32_t)got;
        *n = got;
        return 1;
    }
}

int ft2_reader_sixt(const ft2_reader *r) { return r->sixt; }
int ft2_reader_needs_slash_eight(const ft2_reader *r) { return r->needs_octet; }
uint64_t ft2_reader_offset(const ft2_reader *r) { return ft_source_offset(r->src); }

void ft2_reader_close(ft2_reader *r) { free(r); }
