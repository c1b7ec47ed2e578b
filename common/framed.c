/*
 * framed.c - the fttools framed stream (see framed.h, ft4-stream(5)).
 *
 * Every integer below is little-endian (the byte order of Avro's own
 * fixed-size values and of its single-object fingerprint), written and
 * read byte by byte, never as a struct.
 *
 * Stream header, once at the start of every stream (28 bytes):
 *
 *   byte  0       1       2       3       4       5       6       7
 *       +-------+-------+-------+-------+-------+-------+-------+-------+
 *     0 | 0x89  |  'F'  |  'T'  |  '4'  |  'S'  |  \r   |  \n   | 0x1a  |
 *       +-------+-------+-------+-------+-------+-------+-------+-------+
 *     8 |  version = 1  |   flags = 0   |  byte-order mark 0x01020304  |
 *       |     (u16)     |     (u16)     |  (u32: bytes 04 03 02 01)    |
 *       +---------------+---------------+-------------------------------+
 *    16 |     schema fingerprint: CRC-64-AVRO of the Parsing Canonical  |
 *       |     Form of the FT4 schema (u64)                              |
 *       +-------------------------------+-------------------------------+
 *    24 | header CRC-32 of bytes 0..23  |
 *       +-------------------------------+
 *
 * Then any number of batches (16-byte header + payload):
 *
 *       +-------+-------+-------+-------+-------------------------------+
 *     0 |  'B'  |  'T'  |  'C'  |  'H'  |  record count (u32)           |
 *       +-------+-------+-------+-------+-------------------------------+
 *     8 |  payload length, bytes (u32)  |  CRC-32 of bytes 4..11 and    |
 *       |  <= 16 MiB                    |  the payload (u32)            |
 *       +-------------------------------+-------------------------------+
 *    16 |  payload: `count` records back to back, each in the Avro      |
 *       ~  binary encoding of the FT4 schema (datum.h); decoding them   ~
 *       |  must consume exactly `length` bytes                          |
 *       +---------------------------------------------------------------+
 *
 * And the end marker (16 bytes), after which another whole stream (header
 * first) may follow, or nothing:
 *
 *       +-------+-------+-------+-------+-------------------------------+
 *     0 |  'D'  |  'O'  |  'N'  |  'E'  |  records in this stream: u64  |
 *       +-------+-------+-------+-------+-------------------------------+
 *     8 |  ... in bytes 4..11           |  CRC-32 of bytes 4..11 (u32)  |
 *       +-------------------------------+-------------------------------+
 *
 * The CRC-32 is the ISO-HDLC / gzip / PNG one, computed with libdeflate's
 * crc32 (the same function as zlib's, measured faster: it was 3.5-4% of a
 * framed round trip with zlib's).
 */
#include "framed.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libdeflate.h>

#include "datum.h"

#define TAG_BATCH "BTCH"
#define TAG_END "DONE"

/* Parsing Canonical Form of ft4_schema_json (Avro spec, "Parsing
 * Canonical Form for Schemas"); test_framed checks it against
 * python3-avro's canonical_form. */
static const char canonical_form[] =
    "{\"name\":\"org.caida.corsaro.flowtuple4\",\"type\":\"record\",\"fields\":["
    "{\"name\":\"time\",\"type\":\"long\"},"
    "{\"name\":\"src_ip\",\"type\":\"long\"},"
    "{\"name\":\"dst_net\",\"type\":\"long\"},"
    "{\"name\":\"dst_port\",\"type\":\"int\"},"
    "{\"name\":\"protocol\",\"type\":\"int\"},"
    "{\"name\":\"packet_cnt\",\"type\":\"long\"},"
    "{\"name\":\"uniq_dst_ips\",\"type\":\"int\"},"
    "{\"name\":\"uniq_pkt_sizes\",\"type\":\"int\"},"
    "{\"name\":\"uniq_ttls\",\"type\":\"int\"},"
    "{\"name\":\"uniq_src_ports\",\"type\":\"int\"},"
    "{\"name\":\"uniq_tcp_flags\",\"type\":\"int\"},"
    "{\"name\":\"first_syn_length\",\"type\":\"int\"},"
    "{\"name\":\"first_tcp_rwin\",\"type\":\"int\"},"
    "{\"name\":\"common_pktsizes\",\"type\":{\"type\":\"array\",\"items\":\"long\"}},"
    "{\"name\":\"common_pktsize_freqs\",\"type\":{\"type\":\"array\",\"items\":\"long\"}},"
    "{\"name\":\"common_ttls\",\"type\":{\"type\":\"array\",\"items\":\"long\"}},"
    "{\"name\":\"common_ttl_freqs\",\"type\":{\"type\":\"array\",\"items\":\"long\"}},"
    "{\"name\":\"common_srcports\",\"type\":{\"type\":\"array\",\"items\":\"long\"}},"
    "{\"name\":\"common_srcport_freqs\",\"type\":{\"type\":\"array\",\"items\":\"long\"}},"
    "{\"name\":\"common_tcpflags\",\"type\":{\"type\":\"array\",\"items\":\"long\"}},"
    "{\"name\":\"common_tcpflag_freqs\",\"type\":{\"type\":\"array\",\"items\":\"long\"}},"
    "{\"name\":\"maxmind_continent\",\"type\":\"string\"},"
    "{\"name\":\"maxmind_country\",\"type\":\"string\"},"
    "{\"name\":\"netacq_continent\",\"type\":\"string\"},"
    "{\"name\":\"netacq_country\",\"type\":\"string\"},"
    "{\"name\":\"prefix2asn\",\"type\":\"long\"},"
    "{\"name\":\"spoofed_packet_cnt\",\"type\":\"long\"},"
    "{\"name\":\"masscan_packet_cnt\",\"type\":\"long\"}]}";

/* The Avro spec's reference algorithm, bit by bit: it runs once per
 * open over ~1.4 KB, so a 2 KB table would buy nothing. */
uint64_t ft_avro_fingerprint64(const void *buf, size_t n)
{
    const uint64_t empty = 0xc15d213aa4d7a795ULL;
    const uint8_t *p = buf;
    uint64_t fp = empty;
    for (size_t i = 0; i < n; i++) {
        uint64_t x = (fp ^ p[i]) & 0xff;
        for (int j = 0; j < 8; j++)
            x = (x >> 1) ^ (empty & (0 - (x & 1)));
        fp = (fp >> 8) ^ x;
    }
    return fp;
}

const char *ft_framed_schema_canonical(void) { return canonical_form; }

uint64_t ft_framed_schema_fingerprint(void)
{
    return ft_avro_fingerprint64(canonical_form, sizeof canonical_form - 1);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static uint32_t get32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint32_t crc(uint32_t c, const uint8_t *p, size_t n)
{
    return libdeflate_crc32(c, p, n);
}

/* ------------------------------------------------------------------ */
/* Writer                                                              */

struct ft_framed_writer {
    ft_sink *out;
    uint8_t *buf;   /* batch header + payload */
    size_t len;     /* payload bytes */
    uint32_t count; /* records in the batch */
    uint64_t total; /* records in the stream */
    int failed;     /* a write failed: never claim a clean end */
};

/* Batch header room + target + one record that may overshoot it. */
#define WBUF_SIZE (FT_FRAMED_FRAME_LEN + FT_FRAMED_BATCH_TARGET + FT4_ENCODED_MAX)

ft_framed_writer *ft_framed_writer_open(ft_sink *out, ft_error *err)
{
    ft_framed_writer *w = calloc(1, sizeof *w);
    if (w)
        w->buf = malloc(WBUF_SIZE);
    if (!w || !w->buf) {
        free(w);
        ft_error_set(err, "%s: out of memory", ft_sink_name(out));
        return NULL;
    }
    w->out = out;
    uint8_t h[FT_FRAMED_HEADER_LEN];
    memcpy(h, FT_FRAMED_MAGIC, FT_FRAMED_MAGIC_LEN);
    put16(h + 8, FT_FRAMED_VERSION);
    put16(h + 10, 0);
    put32(h + 12, 0x01020304);
    put64(h + 16, ft_framed_schema_fingerprint());
    put32(h + 24, crc(0, h, 24));
    if (ft_sink_write(out, h, sizeof h, err) < 0) {
        ft_framed_writer_free(w);
        return NULL;
    }
    return w;
}

static int emit_batch(ft_framed_writer *w, ft_error *err)
{
    if (w->count == 0)
        return 0;
    uint8_t *h = w->buf;
    memcpy(h, TAG_BATCH, 4);
    put32(h + 4, w->count);
    put32(h + 8, (uint32_t)w->len);
    uint32_t c = crc(0, h + 4, 8);
    put32(h + 12, crc(c, h + FT_FRAMED_FRAME_LEN, w->len));
    size_t n = FT_FRAMED_FRAME_LEN + w->len;
    w->len = 0;
    w->count = 0;
    if (ft_sink_write(w->out, h, n, err) < 0) {
        w->failed = 1;
        return -1;
    }
    return 0;
}

static int write_failed(ft_framed_writer *w, ft_error *err)
{
    return ft_error_set(err, "%s: framed stream abandoned after a write error",
                        ft_sink_name(w->out));
}

int ft_framed_writer_put(ft_framed_writer *w, const ft4_record *r, ft_error *err)
{
    if (w->failed)
        return write_failed(w, err);
    /* ft4_encode trusts these bounds; a corrupt record must not overrun. */
    for (int i = 0; i < FT4_A_COUNT; i++)
        if (r->arr[i].n > FT4_ARRAY_READ_MAX)
            return ft_error_set(err, "%s: record with an array of %u entries",
                                ft_sink_name(w->out), (unsigned)r->arr[i].n);
    for (int i = 0; i < FT4_T_COUNT; i++)
        if (r->tag[i].len > FT4_TAG_MAX)
            return ft_error_set(err, "%s: record with a %u-byte tag",
                                ft_sink_name(w->out), (unsigned)r->tag[i].len);
    w->len += ft4_encode(r, w->buf + FT_FRAMED_FRAME_LEN + w->len);
    w->count++;
    w->total++;
    if (w->len >= FT_FRAMED_BATCH_TARGET)
        return emit_batch(w, err);
    return 0;
}

int ft_framed_writer_put_encoded(ft_framed_writer *w, const uint8_t *rec,
                                 size_t n, ft_error *err)
{
    if (w->failed)
        return write_failed(w, err);
    if (n > FT4_ENCODED_MAX)
        return ft_error_set(err, "%s: record of %zu bytes", ft_sink_name(w->out), n);
    /* a batch below its target leaves FT4_ENCODED_MAX of room */
    memcpy(w->buf + FT_FRAMED_FRAME_LEN + w->len, rec, n);
    w->len += n;
    w->count++;
    w->total++;
    if (w->len >= FT_FRAMED_BATCH_TARGET)
        return emit_batch(w, err);
    return 0;
}

int ft_framed_writer_flush(ft_framed_writer *w, ft_error *err)
{
    if (w->failed)
        return write_failed(w, err);
    return emit_batch(w, err);
}

int ft_framed_writer_close(ft_framed_writer *w, ft_error *err)
{
    if (!w)
        return 0;
    int rc = ft_framed_writer_flush(w, err);
    if (rc == 0) {
        uint8_t e[FT_FRAMED_FRAME_LEN];
        memcpy(e, TAG_END, 4);
        put64(e + 4, w->total);
        put32(e + 12, crc(0, e + 4, 8));
        rc = ft_sink_write(w->out, e, sizeof e, err);
    }
    ft_framed_writer_free(w);
    return rc;
}

void ft_framed_writer_free(ft_framed_writer *w)
{
    if (!w)
        return;
    free(w->buf);
    free(w);
}

/* ------------------------------------------------------------------ */
/* Reader                                                              */

enum { ST_READING, ST_DONE, ST_FAILED };

struct ft_framed_reader {
    ft_source *src;
    const ft4_plan *plan;
    uint32_t fields;    /* what ft4_decode_fields stores */
    uint64_t fingerprint;
    uint8_t *buf;       /* current batch payload */
    size_t cap;
    size_t len, pos;
    size_t rec_start;   /* where the record returned last starts */
    int copy;           /* ft_framed_reader_set_copy */
    int canonical;      /* the record returned last may be copied */
    uint32_t count;     /* records in the current batch */
    uint32_t left;      /* of which not yet returned */
    uint64_t stream;    /* 1 for the first stream of the input */
    uint64_t batch;     /* number of the current batch in its stream */
    uint64_t records;   /* records returned from the current stream */
    int state;
    ft_error last;      /* repeated on calls after a failure */
};

/* Sets err to "NAME: [stream K: ]MESSAGE" and fails the reader. */
__attribute__((format(printf, 3, 4)))
static int fail(ft_framed_reader *r, ft_error *err, const char *fmt, ...)
{
    char what[FT_ERRLEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (r->stream > 1)
        ft_error_set(&r->last, "%s: stream %llu: %s", ft_source_name(r->src),
                     (unsigned long long)r->stream, what);
    else
        ft_error_set(&r->last, "%s: %s", ft_source_name(r->src), what);
    r->state = ST_FAILED;
    if (err)
        *err = r->last;
    return -1;
}

/* The source failed and put its message (naming the input) in r->last. */
static int source_failed(ft_framed_reader *r, ft_error *err)
{
    r->state = ST_FAILED;
    if (err)
        *err = r->last;
    return -1;
}

/* Reads up to n bytes, fewer only at end of data.  Returns the count or -1
 * (the source's message, which names the input). */
static ssize_t read_upto(ft_framed_reader *r, uint8_t *buf, size_t n, ft_error *err)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = ft_source_read(r->src, buf + got, n - got, &r->last);
        if (k < 0)
            return source_failed(r, err);
        if (k == 0)
            break;
        got += (size_t)k;
    }
    return (ssize_t)got;
}

static int read_header(ft_framed_reader *r, ft_error *err)
{
    uint8_t h[FT_FRAMED_HEADER_LEN];
    ssize_t got = read_upto(r, h, sizeof h, err);
    if (got < 0)
        return -1;
    if (got == 0)
        return fail(r, err, "empty input");
    size_t m = (size_t)got < FT_FRAMED_MAGIC_LEN ? (size_t)got : FT_FRAMED_MAGIC_LEN;
    if (memcmp(h, FT_FRAMED_MAGIC, m) != 0)
        return fail(r, err, "not a framed stream");
    if ((size_t)got < sizeof h)
        return fail(r, err, "truncated stream header (%zd of %d bytes)", got,
                    FT_FRAMED_HEADER_LEN);
    /* The version first: it decides what the rest of the header means. */
    if (get16(h + 8) != FT_FRAMED_VERSION)
        return fail(r, err, "unsupported framed stream version %u",
                    (unsigned)get16(h + 8));
    if (get32(h + 12) != 0x01020304)
        return fail(r, err, "unsupported byte order (mark %02x %02x %02x %02x)",
                    h[12], h[13], h[14], h[15]);
    if (get16(h + 10) != 0)
        return fail(r, err, "unsupported framed stream flags 0x%04x",
                    (unsigned)get16(h + 10));
    if (get32(h + 24) != crc(0, h, 24))
        return fail(r, err, "header checksum mismatch");
    if (get64(h + 16) != r->fingerprint)
        return fail(r, err, "schema fingerprint mismatch");
    r->batch = 0;
    r->records = 0;
    return 0;
}

/* At an end marker: 0 at the end of data, 1 when another stream follows
 * (its header read), -1 for anything else. */
static int after_end(ft_framed_reader *r, ft_error *err)
{
    uint8_t m[FT_FRAMED_MAGIC_LEN];
    ssize_t n = ft_source_peek(r->src, m, sizeof m, &r->last);
    if (n < 0)
        return source_failed(r, err);
    if (n == 0)
        return 0;
    if (memcmp(m, FT_FRAMED_MAGIC, (size_t)n) != 0)
        return fail(r, err, "trailing garbage after end marker at byte %llu",
                    (unsigned long long)ft_source_offset(r->src));
    r->stream++;
    return read_header(r, err) < 0 ? -1 : 1;
}

static int truncated(ft_framed_reader *r, ft_error *err, int in_batch)
{
    if (in_batch)
        return fail(r, err, "batch %llu: truncated stream (no end marker) "
                    "after %llu records", (unsigned long long)r->batch + 1,
                    (unsigned long long)r->records);
    return fail(r, err, "truncated stream (no end marker) after %llu records",
                (unsigned long long)r->records);
}

static int end_marker(ft_framed_reader *r, const uint8_t *f, ft_error *err)
{
    if (get32(f + 12) != crc(0, f + 4, 8))
        return fail(r, err, "end marker: checksum mismatch");
    uint64_t total = get64(f + 4);
    if (total != r->records)
        return fail(r, err, "end marker: %llu records announced, %llu read",
                    (unsigned long long)total, (unsigned long long)r->records);
    return after_end(r, err);
}

/* Reads a len-byte payload (len already bounded) into r->buf.  The buffer
 * grows only as the bytes arrive, so a forged length on a short input
 * costs no memory. */
static int read_payload(ft_framed_reader *r, uint32_t len, ft_error *err)
{
    size_t got = 0;
    while (got < len) {
        if (got == r->cap) {
            size_t cap = r->cap * 2 < len ? r->cap * 2 : len;
            uint8_t *p = realloc(r->buf, cap);
            if (!p)
                return fail(r, err, "batch %llu: out of memory",
                            (unsigned long long)r->batch + 1);
            r->buf = p;
            r->cap = cap;
        }
        size_t want = (len < r->cap ? len : r->cap) - got;
        ssize_t k = read_upto(r, r->buf + got, want, err);
        if (k < 0)
            return -1;
        got += (size_t)k;
        if ((size_t)k < want)
            return truncated(r, err, 1);
    }
    return 0;
}

/* Loads the next batch with records.  1 = loaded, 0 = end of input. */
static int next_batch(ft_framed_reader *r, ft_error *err)
{
    for (;;) {
        uint8_t f[FT_FRAMED_FRAME_LEN];
        ssize_t got = read_upto(r, f, sizeof f, err);
        if (got < 0)
            return -1;
        if (got == 0)
            return truncated(r, err, 0);
        if (got >= 4 && memcmp(f, TAG_END, 4) == 0) {
            if (got < (ssize_t)sizeof f)
                return fail(r, err, "truncated end marker after %llu records",
                            (unsigned long long)r->records);
            int rc = end_marker(r, f, err);
            if (rc <= 0)
                return rc;
            continue; /* a concatenated stream */
        }
        if (got >= 4 && memcmp(f, TAG_BATCH, 4) != 0)
            return fail(r, err, "batch %llu: bad batch header at byte %llu",
                        (unsigned long long)r->batch + 1,
                        (unsigned long long)(ft_source_offset(r->src) - (uint64_t)got));
        if (got < (ssize_t)sizeof f)
            return truncated(r, err, 1);
        uint32_t count = get32(f + 4), len = get32(f + 8);
        unsigned long long b = r->batch + 1;
        /* Bounds before any allocation: a corrupt length costs nothing. */
        if (len > FT_FRAMED_BATCH_MAX)
            return fail(r, err, "batch %llu: length %lu exceeds limit", b,
                        (unsigned long)len);
        if (count > len / FT_FRAMED_RECORD_MIN)
            return fail(r, err, "batch %llu: count %lu exceeds limit", b,
                        (unsigned long)count);
        if (read_payload(r, len, err) < 0)
            return -1;
        if (get32(f + 12) != crc(crc(0, f + 4, 8), r->buf, len))
            return fail(r, err, "batch %llu: checksum mismatch", b);
        r->batch++;
        r->len = len;
        r->pos = 0;
        r->count = r->left = count;
        if (count > 0)
            return 1;
        /* a batch of 0 records must also have 0 bytes; skip it */
        if (len > 0)
            return fail(r, err, "batch %llu: %lu bytes left after 0 records", b,
                        (unsigned long)len);
    }
}

ft_framed_reader *ft_framed_reader_open(ft_source *src, ft_error *err)
{
    ft_framed_reader *r = calloc(1, sizeof *r);
    if (r) {
        r->cap = FT_FRAMED_BATCH_TARGET + FT4_ENCODED_MAX;
        r->buf = malloc(r->cap);
    }
    if (!r || !r->buf) {
        if (r)
            free(r);
        ft_error_set(err, "%s: out of memory", ft_source_name(src));
        return NULL;
    }
    r->src = src;
    r->plan = ft4_plan_canonical();
    r->fields = FT4_FIELDS_ALL;
    r->fingerprint = ft_framed_schema_fingerprint();
    r->stream = 1;
    if (read_header(r, err) < 0) {
        ft_framed_reader_close(r);
        return NULL;
    }
    return r;
}

int ft_framed_reader_next(ft_framed_reader *r, ft4_record *rec, ft_error *err)
{
    if (r->left == 0) {
        if (r->state != ST_READING) {
            if (r->state == ST_DONE)
                return 0;
            if (err)
                *err = r->last;
            return -1;
        }
        int rc = next_batch(r, err);
        if (rc <= 0) {
            if (rc == 0)
                r->state = ST_DONE;
            return rc;
        }
    }
    const char *why;
    r->rec_start = r->pos;
    if ((r->copy ? ft4_decode_for_copy(r->plan, r->fields, r->buf, r->len,
                                       &r->pos, rec, &r->canonical, &why)
                 : ft4_decode_fields(r->plan, r->fields, r->buf, r->len,
                                     &r->pos, rec, &why)) < 0) {
        unsigned long long i = r->count - r->left + 1;
        r->left = 0;
        return fail(r, err, "batch %llu: record %llu: %s",
                    (unsigned long long)r->batch, i, why);
    }
    r->records++;
    if (--r->left == 0 && r->pos != r->len)
        return fail(r, err, "batch %llu: %zu bytes left after %lu records",
                    (unsigned long long)r->batch, r->len - r->pos,
                    (unsigned long)r->count);
    return 1;
}

void ft_framed_reader_set_fields(ft_framed_reader *r, uint32_t fields)
{
    r->fields = fields;
}

void ft_framed_reader_set_copy(ft_framed_reader *r) { r->copy = 1; }

const uint8_t *ft_framed_reader_encoded(const ft_framed_reader *r, size_t *len)
{
    if (!r->copy || !r->canonical)
        return NULL;
    *len = r->pos - r->rec_start;
    return r->buf + r->rec_start;
}

void ft_framed_reader_close(ft_framed_reader *r)
{
    if (!r)
        return;
    free(r->buf);
    free(r);
}
