/*
 * Unit tests for framed.c: the framed stream's byte layout, round trips,
 * and every way a stream can be damaged, each with its exact message.
 * Streams go to temp files through ft_sink and come back through
 * ft_source, as in the tools.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "datum.h"
#include "framed.h"
#include "ft4.h"
#include "sink.h"
#include "source.h"
#include "../recgen.h"
#include "scratch.h"

/* CRC-64-AVRO of our Parsing Canonical Form, as a constant: a change of
 * schema or of the canonical text shows up here. */
#define FT4_FINGERPRINT 0x86c6bfcbb57ecd1dULL

static char path[256]; /* the file of the current test */
static char shm_file[256]; /* test_speed's file on tmpfs, if any */

static int setup(void **state)
{
    if (scratch_setup(state) < 0)
        return -1;
    snprintf(path, sizeof path, "%s", scratch_path("s.ft4s"));
    return 0;
}

static int teardown(void **state)
{
    if (shm_file[0])
        remove(shm_file);
    return scratch_teardown(state);
}

/* ---- writing ---------------------------------------------------------- */

/* Writes n records (recs, or recgen seed 1 when recs is NULL) to path,
 * flushing every flush_every records (0: never).  bounds[] (if not NULL)
 * gets the offset of each batch start, then of the end marker; returns how
 * many offsets were stored. */
static size_t write_stream(const ft4_record *recs, size_t n, size_t flush_every,
                           uint64_t *bounds)
{
    ft_error e;
    ft_sink *s = ft_sink_open(path, 0, &e);
    assert_non_null(s);
    ft_framed_writer *w = ft_framed_writer_open(s, &e);
    assert_non_null(w);
    size_t nb = 0;
    if (bounds)
        bounds[nb++] = ft_sink_bytes(s);
    recgen g;
    recgen_init(&g, 1);
    for (size_t i = 0; i < n; i++) {
        ft4_record r;
        if (recs)
            r = recs[i];
        else
            recgen_next(&g, &r);
        assert_int_equal(ft_framed_writer_put(w, &r, &e), 0);
        if (flush_every && (i + 1) % flush_every == 0) {
            assert_int_equal(ft_framed_writer_flush(w, &e), 0);
            if (bounds)
                bounds[nb++] = ft_sink_bytes(s);
        }
    }
    assert_int_equal(ft_framed_writer_close(w, &e), 0);
    assert_int_equal(ft_sink_commit(s, &e), 0);
    return nb;
}

static void write_bytes(const uint8_t *buf, size_t n)
{
    ft_error e;
    ft_sink *s = ft_sink_open(path, 0, &e);
    assert_non_null(s);
    assert_int_equal(ft_sink_write(s, buf, n, &e), 0);
    assert_int_equal(ft_sink_commit(s, &e), 0);
}

/* The whole file at path; caller frees. */
static uint8_t *slurp(size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)len + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return buf;
}

/* ---- reading ---------------------------------------------------------- */

/* Reads path to the end.  Stores up to max records in out (may be NULL),
 * *n = records received.  Returns 0 (clean end) or -1 (message in err);
 * checks that another call repeats the outcome. */
static int read_stream(ft4_record *out, size_t max, size_t *n, ft_error *err)
{
    *n = 0;
    ft_source *s = ft_source_open(path, err);
    assert_non_null(s);
    ft_framed_reader *r = ft_framed_reader_open(s, err);
    if (!r) {
        ft_source_close(s);
        return -1;
    }
    ft4_record rec;
    int rc;
    while ((rc = ft_framed_reader_next(r, &rec, err)) == 1) {
        if (out && *n < max)
            out[*n] = rec;
        (*n)++;
    }
    ft_error again;
    assert_int_equal(ft_framed_reader_next(r, &rec, &again), rc);
    if (rc < 0)
        assert_string_equal(again.msg, err->msg);
    ft_framed_reader_close(r);
    ft_source_close(s);
    return rc;
}

/* Asserts that reading path fails with exactly the message "PATH: what"
 * after delivering `records` records. */
__attribute__((format(printf, 2, 3)))
static void expect_error(size_t records, const char *fmt, ...)
{
    char what[512], want[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(want, sizeof want, "%s: %s", path, what);
    ft_error e;
    size_t n;
    assert_int_equal(read_stream(NULL, 0, &n, &e), -1);
    assert_string_equal(e.msg, want);
    assert_int_equal(n, records);
}

/* ---- crafting bytes by hand (the layout of framed.c, independently) ---- */

static void le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t crc(uint32_t c, const uint8_t *p, size_t n)
{
    return (uint32_t)crc32(c, p, (uInt)n);
}

/* A 28-byte header; returns its length. */
static size_t craft_header(uint8_t *h, unsigned version, unsigned flags,
                           uint32_t bom, uint64_t fp)
{
    memcpy(h, "\x89" "FT4S\r\n\x1a", 8);
    le(h + 8, version, 2);
    le(h + 10, flags, 2);
    le(h + 12, bom, 4);
    le(h + 16, fp, 8);
    le(h + 24, crc(0, h, 24), 4);
    return 28;
}

static size_t craft_batch(uint8_t *b, uint32_t count, const uint8_t *payload,
                          uint32_t len)
{
    memcpy(b, "BTCH", 4);
    le(b + 4, count, 4);
    le(b + 8, len, 4);
    memcpy(b + 16, payload, len);
    le(b + 12, crc(crc(0, b + 4, 8), payload, len), 4);
    return 16 + (size_t)len;
}

static size_t craft_end(uint8_t *b, uint64_t total)
{
    memcpy(b, "DONE", 4);
    le(b + 4, total, 8);
    le(b + 12, crc(0, b + 4, 8), 4);
    return 16;
}

static size_t good_header(uint8_t *h)
{
    return craft_header(h, 1, 0, 0x01020304, FT4_FINGERPRINT);
}

/* ---- tests ------------------------------------------------------------- */

/* Vectors from Avro's share/test/data/schema-tests.txt. */
static void test_fingerprint_vectors(void **state)
{
    (void)state;
    static const struct { const char *s; int64_t fp; } v[] = {
        {"\"null\"", 7195948357588979594LL},
        {"\"int\"", 8247732601305521295LL},
        {"\"long\"", -3434872931120570953LL},
        {"\"string\"", -8142146995180207161LL},
        {"{\"name\":\"foo\",\"type\":\"record\",\"fields\":[]}", -4824392279771201922LL},
        {"{\"name\":\"x.y.foo\",\"type\":\"record\",\"fields\":[]}", 5916914534497305771LL},
        {"{\"name\":\"foo\",\"type\":\"record\",\"fields\":[{\"name\":\"f1\",\"type\":\"boolean\"},"
         "{\"name\":\"f2\",\"type\":\"int\"}]}", -4860222112080293046LL},
        {"{\"type\":\"array\",\"items\":\"null\"}", -589620603366471059LL},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        assert_int_equal((int64_t)ft_avro_fingerprint64(v[i].s, strlen(v[i].s)), v[i].fp);
    assert_int_equal(ft_framed_schema_fingerprint(), FT4_FINGERPRINT);
}

/* Our canonical form is byte for byte python3-avro's for ft4_schema_json. */
static void test_canonical_form_matches_python_avro(void **state)
{
    (void)state;
    char json[256], cmd[1024];
    snprintf(json, sizeof json, "%s/schema.json", scratch_dir);
    FILE *f = fopen(json, "w");
    assert_non_null(f);
    fputs(ft4_schema_json, f);
    fclose(f);
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c 'import sys, avro.schema; "
             "sys.stdout.write(avro.schema.parse(open(sys.argv[1]).read()).canonical_form)' %s",
             json);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    static char got[8192];
    size_t n = fread(got, 1, sizeof got - 1, p);
    got[n] = '\0';
    assert_int_equal(pclose(p), 0);
    assert_string_equal(got, ft_framed_schema_canonical());
}

/* The exact bytes of an empty stream: the layout is a contract. */
static void test_empty_stream_bytes(void **state)
{
    (void)state;
    write_stream(NULL, 0, 0, NULL);
    size_t n;
    uint8_t *got = slurp(&n);
    static const uint8_t want[44] = {
        0x89, 'F', 'T', '4', 'S', 0x0d, 0x0a, 0x1a,     /* magic */
        0x01, 0x00, 0x00, 0x00, 0x04, 0x03, 0x02, 0x01, /* version, flags, BOM */
        0x1d, 0xcd, 0x7e, 0xb5, 0xcb, 0xbf, 0xc6, 0x86, /* fingerprint, LE */
        0, 0, 0, 0,                                     /* header CRC (below) */
        'D', 'O', 'N', 'E', 0, 0, 0, 0, 0, 0, 0, 0,     /* end: 0 records */
        0, 0, 0, 0,                                     /* end CRC (below) */
    };
    uint8_t w[44];
    memcpy(w, want, sizeof w);
    le(w + 24, crc(0, w, 24), 4);
    le(w + 40, crc(0, w + 32, 8), 4);
    assert_int_equal(n, sizeof w);
    assert_memory_equal(got, w, sizeof w);
    free(got);

    ft_error e;
    size_t nrec;
    assert_int_equal(read_stream(NULL, 0, &nrec, &e), 0);
    assert_int_equal(nrec, 0);
}

static void fill_array(ft4_array *a, uint32_t n, int64_t base)
{
    a->n = n;
    for (uint32_t i = 0; i < n; i++)
        a->v[i] = base + (int64_t)i * 1000003;
}

/* Every field, edge values, 0/5/64-entry arrays, "??" and odd tags. */
static void test_roundtrip_edges(void **state)
{
    (void)state;
    enum { N = RECGEN_EDGE_COUNT + 4 };
    ft4_record *in = calloc(N, sizeof *in), *out = calloc(N, sizeof *out);
    assert_non_null(in);
    assert_non_null(out);
    for (int k = 0; k < RECGEN_EDGE_COUNT; k++)
        recgen_edge(k, 1700000100, &in[k]);
    /* Every field distinct, so a swapped pair of fields would show. */
    ft4_record *r = &in[RECGEN_EDGE_COUNT];
    ft4_record_init(r);
    for (int f = 0; f < FT4_F_COUNT; f++) {
        char *p = (char *)r + ft4_fields[f].offset;
        if (ft4_fields[f].type == FT4_LONG)
            *(int64_t *)p = 1000 + f;
        else if (ft4_fields[f].type == FT4_INT)
            *(int32_t *)p = 2000 + f;
        else if (ft4_fields[f].type == FT4_ARRAY)
            fill_array((ft4_array *)p, 1 + (uint32_t)f % 5, f);
        else
            ft4_tag_set((ft4_tag *)p, (const char[]){'A', (char)('A' + f % 26)}, 2);
    }
    r->src_ip = 4294967295LL; /* 255.255.255.255 */
    /* Extremes of the wire types, 64-entry arrays, 0- and 15-byte tags. */
    r = &in[RECGEN_EDGE_COUNT + 1];
    ft4_record_init(r);
    r->time = INT64_MAX;
    r->src_ip = INT64_MIN;
    r->dst_net = -1;
    r->dst_port = INT32_MIN;
    r->protocol = INT32_MAX;
    r->packet_cnt = (int64_t)1 << 40;
    r->uniq_dst_ips = -1;
    r->prefix2asn = INT64_MIN;
    r->spoofed_packet_cnt = INT64_MAX;
    r->masscan_packet_cnt = (int64_t)1 << 40;
    for (int i = 0; i < FT4_A_COUNT; i++) {
        fill_array(&r->arr[i], FT4_ARRAY_READ_MAX, INT64_MAX - 70 * 1000003LL);
        r->arr[i].v[0] = INT64_MIN;
    }
    ft4_tag_set(&r->tag[0], "", 0);
    ft4_tag_set(&r->tag[1], "ABCDEFGHIJKLMNO", 15);
    ft4_tag_set(&r->tag[2], "\0\xff", 2);
    r = &in[RECGEN_EDGE_COUNT + 2];
    ft4_record_init(r); /* all zero, all empty, all "??" */
    r = &in[RECGEN_EDGE_COUNT + 3];
    ft4_record_init(r);
    r->src_ip = 4294967295LL;
    r->packet_cnt = 0;
    r->spoofed_packet_cnt = (int64_t)1 << 40;
    fill_array(&r->arr[FT4_A_SRCPORTS], 5, 0);
    fill_array(&r->arr[FT4_A_SRCPORT_FREQS], 64, 1);

    write_stream(in, N, 0, NULL);
    ft_error e;
    size_t n;
    assert_int_equal(read_stream(out, N, &n, &e), 0);
    assert_int_equal(n, N);
    for (int i = 0; i < N; i++) {
        if (!ft4_record_equal(&in[i], &out[i]))
            fail_msg("record %d differs after the round trip", i);
    }
    assert_int_equal(out[RECGEN_EDGE_COUNT].src_ip, 4294967295LL);
    assert_int_equal(out[RECGEN_EDGE_COUNT + 1].arr[7].n, 64);
    assert_string_equal(out[RECGEN_EDGE_COUNT + 2].tag[3].s, "??");
    free(in);
    free(out);
}

/* Walks the frames of the file at path: number of batches, largest payload,
 * records announced by the end marker. */
static void walk(size_t *batches, size_t *maxlen, uint64_t *records)
{
    size_t n;
    uint8_t *b = slurp(&n);
    size_t pos = 28;
    *batches = *maxlen = 0;
    uint64_t sum = 0;
    while (pos + 16 <= n && memcmp(b + pos, "BTCH", 4) == 0) {
        size_t len = (size_t)b[pos + 8] | (size_t)b[pos + 9] << 8 |
                     (size_t)b[pos + 10] << 16 | (size_t)b[pos + 11] << 24;
        sum += (uint64_t)b[pos + 4] | (uint64_t)b[pos + 5] << 8 |
               (uint64_t)b[pos + 6] << 16 | (uint64_t)b[pos + 7] << 24;
        if (len > *maxlen)
            *maxlen = len;
        (*batches)++;
        pos += 16 + len;
    }
    assert_int_equal(pos + 16, n);
    assert_memory_equal(b + pos, "DONE", 4);
    *records = 0;
    for (int i = 7; i >= 0; i--)
        *records = *records << 8 | b[pos + 4 + i];
    assert_int_equal(*records, sum);
    free(b);
}

static void test_many_batches(void **state)
{
    (void)state;
    enum { N = 100000 };
    write_stream(NULL, N, 0, NULL);
    size_t batches, maxlen;
    uint64_t total;
    walk(&batches, &maxlen, &total);
    assert_int_equal(total, N);
    assert_true(batches > 20);
    /* ~64 KiB batches: the target plus at most one record over it */
    assert_true(maxlen >= FT_FRAMED_BATCH_TARGET);
    assert_true(maxlen < FT_FRAMED_BATCH_TARGET + FT4_ENCODED_MAX);

    ft_error e;
    ft_source *s = ft_source_open(path, &e);
    assert_non_null(s);
    ft_framed_reader *r = ft_framed_reader_open(s, &e);
    assert_non_null(r);
    recgen g;
    recgen_init(&g, 1);
    ft4_record want, got;
    for (size_t i = 0; i < N; i++) {
        recgen_next(&g, &want);
        assert_int_equal(ft_framed_reader_next(r, &got, &e), 1);
        if (!ft4_record_equal(&want, &got))
            fail_msg("record %zu differs", i);
    }
    assert_int_equal(ft_framed_reader_next(r, &got, &e), 0);
    assert_int_equal(ft_framed_reader_next(r, &got, &e), 0);
    ft_framed_reader_close(r);
    ft_source_close(s);
}

/* flush() makes a batch of what is there; an empty flush writes nothing. */
static void test_flush(void **state)
{
    (void)state;
    uint64_t b[64];
    size_t nb = write_stream(NULL, 70, 7, b);
    assert_int_equal(nb, 11);
    for (size_t i = 1; i < nb; i++)
        assert_true(b[i] > b[i - 1]);
    size_t batches, maxlen;
    uint64_t total;
    walk(&batches, &maxlen, &total);
    assert_int_equal(batches, 10);
    assert_int_equal(total, 70);

    ft_error e;
    ft_sink *s = ft_sink_open(path, 0, &e);
    ft_framed_writer *w = ft_framed_writer_open(s, &e);
    assert_int_equal(ft_framed_writer_flush(w, &e), 0);
    assert_int_equal(ft_framed_writer_flush(w, &e), 0);
    assert_int_equal(ft_sink_bytes(s), FT_FRAMED_HEADER_LEN);
    assert_int_equal(ft_framed_writer_close(w, &e), 0);
    assert_int_equal(ft_sink_commit(s, &e), 0);
    walk(&batches, &maxlen, &total);
    assert_int_equal(batches, 0);
}

/* A stream cut at every byte: header, batch boundaries, inside batches,
 * inside the end marker. */
static void test_truncated_everywhere(void **state)
{
    (void)state;
    uint64_t b[8];
    size_t nb = write_stream(NULL, 30, 10, b); /* 3 batches of 10 */
    assert_int_equal(nb, 4);
    size_t n;
    uint8_t *full = slurp(&n);
    uint64_t end = b[3];
    assert_int_equal(n, end + 16);
    for (size_t cut = 0; cut < n; cut++) {
        write_bytes(full, cut);
        if (cut == 0) {
            expect_error(0, "empty input");
            continue;
        }
        if (cut < 28) {
            expect_error(0, "truncated stream header (%zu of 28 bytes)", cut);
            continue;
        }
        if (cut >= end) {
            if (cut == end)
                expect_error(30, "truncated stream (no end marker) after 30 records");
            else if (cut < end + 4) /* "DONE" incomplete: could be a batch */
                expect_error(30, "batch 4: truncated stream (no end marker) after 30 records");
            else
                expect_error(30, "truncated end marker after 30 records");
            continue;
        }
        size_t k = 0;
        while (cut >= b[k + 1])
            k++;
        if (cut == b[k])
            expect_error(10 * k, "truncated stream (no end marker) after %zu records",
                         10 * k);
        else
            expect_error(10 * k, "batch %zu: truncated stream (no end marker) "
                         "after %zu records", k + 1, 10 * k);
    }
    free(full);
}

/* Any one byte changed anywhere is an error, never records or a clean end
 * with wrong content; in a payload or CRC it is a checksum mismatch. */
static void test_flipped_bytes(void **state)
{
    (void)state;
    uint64_t b[8];
    write_stream(NULL, 12, 4, b); /* batches of 4 at b[0], b[1], b[2] */
    size_t n;
    uint8_t *full = slurp(&n);
    uint8_t *bad = malloc(n);
    assert_non_null(bad);
    for (size_t i = 0; i < n; i++) {
        memcpy(bad, full, n);
        bad[i] ^= 0x01;
        write_bytes(bad, n);
        ft_error e;
        size_t got;
        assert_int_equal(read_stream(NULL, 0, &got, &e), -1);
        if (i >= b[1] + 12 && i < b[2]) /* batch 2: its CRC and payload */
            expect_error(4, "batch 2: checksum mismatch");
        if (i == b[1] + 4) /* its count, 4 -> 5: still in bounds */
            expect_error(4, "batch 2: checksum mismatch");
        if (i >= b[3] + 4) /* end marker count or CRC */
            expect_error(12, "end marker: checksum mismatch");
        if (i >= 16 && i < 28) /* fingerprint or header CRC */
            expect_error(0, "header checksum mismatch");
    }
    /* A whole byte flipped in a payload too. */
    memcpy(bad, full, n);
    bad[b[0] + 40] ^= 0xff;
    write_bytes(bad, n);
    expect_error(0, "batch 1: checksum mismatch");
    free(bad);
    free(full);
}

static void test_absurd_length_and_count(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t h = good_header(buf);
    static const struct { uint32_t count, len; const char *msg; } c[] = {
        {1, 0xffffffffu, "batch 1: length 4294967295 exceeds limit"},
        {1, FT_FRAMED_BATCH_MAX + 1, "batch 1: length 16777217 exceeds limit"},
        {0xffffffffu, 100, "batch 1: count 4294967295 exceeds limit"},
        {4, 100, "batch 1: count 4 exceeds limit"}, /* 4 * 28 > 100 */
        {1, 27, "batch 1: count 1 exceeds limit"},
        /* in bounds: read as far as the data goes; the buffer grows only
         * with the bytes that arrive */
        {1000, FT_FRAMED_BATCH_MAX, "batch 1: truncated stream (no end marker) after 0 records"},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        memcpy(buf + h, "BTCH", 4);
        le(buf + h + 4, c[i].count, 4);
        le(buf + h + 8, c[i].len, 4);
        le(buf + h + 12, 0, 4);
        memset(buf + h + 16, 0, 20);
        write_bytes(buf, h + 36);
        expect_error(0, "%s", c[i].msg);
    }
}

static void test_bad_headers(void **state)
{
    (void)state;
    uint8_t h[64];
    size_t n;

    n = good_header(h);
    h[1] = 'G';
    write_bytes(h, n);
    expect_error(0, "not a framed stream");

    /* Text-mode mangling: \r\n became \n. */
    n = good_header(h);
    memmove(h + 5, h + 6, n - 6);
    write_bytes(h, n - 1);
    expect_error(0, "not a framed stream");

    write_bytes((const uint8_t *)"Obj\x01", 4); /* an Avro file */
    expect_error(0, "not a framed stream");

    write_bytes((const uint8_t *)"hello, world\n", 13);
    expect_error(0, "not a framed stream");

    n = craft_header(h, 9, 0, 0x01020304, FT4_FINGERPRINT);
    write_bytes(h, n);
    expect_error(0, "unsupported framed stream version 9");

    n = craft_header(h, 0x100, 0, 0x01020304, FT4_FINGERPRINT);
    write_bytes(h, n);
    expect_error(0, "unsupported framed stream version 256");

    n = craft_header(h, 1, 0, 0x04030201, FT4_FINGERPRINT);
    write_bytes(h, n);
    expect_error(0, "unsupported byte order (mark 01 02 03 04)");

    n = craft_header(h, 1, 1, 0x01020304, FT4_FINGERPRINT);
    write_bytes(h, n);
    expect_error(0, "unsupported framed stream flags 0x0001");

    n = craft_header(h, 1, 0, 0x01020304, FT4_FINGERPRINT ^ 1);
    n += craft_end(h + n, 0);
    write_bytes(h, n);
    expect_error(0, "schema fingerprint mismatch");

    n = good_header(h);
    h[24] ^= 0x80;
    write_bytes(h, n);
    expect_error(0, "header checksum mismatch");

    /* A correct header alone: no end marker. */
    n = good_header(h);
    write_bytes(h, n);
    expect_error(0, "truncated stream (no end marker) after 0 records");

    /* Junk where a batch should start. */
    n = good_header(h);
    memcpy(h + n, "XTCH\0\0\0\0\0\0\0\0\0\0\0\0", 16);
    write_bytes(h, n + 16);
    expect_error(0, "batch 1: bad batch header at byte 28");
}

static void test_empty_input(void **state)
{
    (void)state;
    write_bytes((const uint8_t *)"", 0);
    expect_error(0, "empty input");
}

/* Deterministic "random" bytes: never a record, never a crash. */
static void test_random_bytes(void **state)
{
    (void)state;
    recgen g;
    recgen_init(&g, 99);
    static uint8_t buf[4096];
    for (int iter = 0; iter < 300; iter++) {
        size_t n = 1 + recgen_below(&g, sizeof buf - 28);
        for (size_t i = 0; i < n; i++)
            buf[i] = (uint8_t)recgen_u64(&g);
        if (buf[0] == 0x89)
            buf[0] = 0;
        write_bytes(buf, n);
        expect_error(0, "not a framed stream");

        /* The same after a valid header: an error naming the input. */
        uint8_t with[4096 + 28];
        size_t h = good_header(with);
        memcpy(with + h, buf, n);
        write_bytes(with, h + n);
        ft_error e;
        size_t got;
        assert_int_equal(read_stream(NULL, 0, &got, &e), -1);
        assert_int_equal(got, 0);
        assert_int_equal(strncmp(e.msg, path, strlen(path)), 0);
    }
}

static void test_end_marker_count(void **state)
{
    (void)state;
    uint8_t buf[4096], payload[FT4_ENCODED_MAX * 2];
    ft4_record r;
    ft4_record_init(&r);
    size_t len = ft4_encode(&r, payload);
    len += ft4_encode(&r, payload + len);
    size_t n = good_header(buf);
    n += craft_batch(buf + n, 2, payload, (uint32_t)len);
    n += craft_end(buf + n, 5);
    write_bytes(buf, n);
    expect_error(2, "end marker: 5 records announced, 2 read");
}

/* Decoding `count` records must consume exactly `length` bytes. */
static void test_payload_exactness(void **state)
{
    (void)state;
    uint8_t buf[4096], payload[FT4_ENCODED_MAX * 2];
    ft4_record r;
    ft4_record_init(&r);
    r.packet_cnt = 7;
    fill_array(&r.arr[FT4_A_TTLS], 5, 1); /* 43 bytes: count 3 in bounds */
    size_t one = ft4_encode(&r, payload);
    size_t two = one + ft4_encode(&r, payload + one);
    size_t n;

    n = good_header(buf);
    n += craft_batch(buf + n, 3, payload, (uint32_t)two);
    n += craft_end(buf + n, 3);
    write_bytes(buf, n);
    expect_error(2, "batch 1: record 3: truncated record");

    memcpy(payload + two, "\x02\x04\x06", 3);
    n = good_header(buf);
    n += craft_batch(buf + n, 2, payload, (uint32_t)two + 3);
    n += craft_end(buf + n, 2);
    write_bytes(buf, n);
    expect_error(1, "batch 1: 3 bytes left after 2 records");

    /* A record cut inside: the second one short of its last byte. */
    n = good_header(buf);
    n += craft_batch(buf + n, 2, payload, (uint32_t)two - 1);
    n += craft_end(buf + n, 2);
    write_bytes(buf, n);
    expect_error(1, "batch 1: record 2: truncated record");

    n = good_header(buf);
    n += craft_batch(buf + n, 0, payload, 5);
    write_bytes(buf, n);
    expect_error(0, "batch 1: 5 bytes left after 0 records");

    /* An empty batch is harmless. */
    n = good_header(buf);
    n += craft_batch(buf + n, 0, payload, 0);
    n += craft_batch(buf + n, 1, payload, (uint32_t)one);
    n += craft_end(buf + n, 1);
    write_bytes(buf, n);
    ft_error e;
    size_t got;
    ft4_record out;
    assert_int_equal(read_stream(&out, 1, &got, &e), 0);
    assert_int_equal(got, 1);
    assert_true(ft4_record_equal(&out, &r));
}

/* Another writer may make bigger batches, up to the limit: read them. */
static void test_large_foreign_batch(void **state)
{
    (void)state;
    enum { N = 20000 };
    uint8_t *buf = malloc(N * 100 + 64);
    assert_non_null(buf);
    uint8_t *payload = malloc(N * 100);
    assert_non_null(payload);
    recgen g;
    recgen_init(&g, 5);
    size_t len = 0;
    for (int i = 0; i < N; i++) {
        ft4_record r;
        recgen_next(&g, &r);
        len += ft4_encode(&r, payload + len);
    }
    assert_true(len > 4 * FT_FRAMED_BATCH_TARGET);
    size_t n = good_header(buf);
    n += craft_batch(buf + n, N, payload, (uint32_t)len);
    n += craft_end(buf + n, N);
    write_bytes(buf, n);
    ft_error e;
    size_t got;
    assert_int_equal(read_stream(NULL, 0, &got, &e), 0);
    assert_int_equal(got, N);
    free(payload);
    free(buf);
}

/* `cat a b c | reader` reads as one stream; trailing bytes are errors. */
static void test_concatenated(void **state)
{
    (void)state;
    size_t na, nb;
    write_stream(NULL, 5, 2, NULL);
    uint8_t *a = slurp(&na);
    write_stream(NULL, 0, 0, NULL);
    uint8_t *z = slurp(&nb);
    size_t cap = 2 * na + nb + 64;
    uint8_t *cat = malloc(cap);
    assert_non_null(cat);

    memcpy(cat, a, na);
    memcpy(cat + na, z, nb);
    memcpy(cat + na + nb, a, na);
    write_bytes(cat, 2 * na + nb);
    ft4_record out[10];
    ft_error e;
    size_t got;
    assert_int_equal(read_stream(out, 10, &got, &e), 0);
    assert_int_equal(got, 10);
    assert_true(ft4_record_equal(&out[0], &out[5]));
    assert_true(ft4_record_equal(&out[4], &out[9]));

    memcpy(cat + na, "garbage!", 8);
    write_bytes(cat, na + 8);
    expect_error(5, "trailing garbage after end marker at byte %zu", na);

    memcpy(cat + na, "\n", 1);
    write_bytes(cat, na + 1);
    expect_error(5, "trailing garbage after end marker at byte %zu", na);

    memcpy(cat + na, a, 3);
    write_bytes(cat, na + 3);
    expect_error(5, "stream 2: truncated stream header (3 of 28 bytes)");

    memcpy(cat + na, a, na);
    write_bytes(cat, 2 * na - 20); /* inside stream 2's last batch */
    expect_error(9, "stream 2: batch 3: truncated stream (no end marker) after 4 records");

    craft_header(cat + na, 1, 0, 0x01020304, 12345);
    write_bytes(cat, 2 * na);
    expect_error(5, "stream 2: schema fingerprint mismatch");

    free(cat);
    free(a);
    free(z);
}

/* A gzip-compressed stream reads the same (ft_source inflates). */
static void test_gzip(void **state)
{
    (void)state;
    write_stream(NULL, 1000, 0, NULL);
    size_t n;
    uint8_t *plain = slurp(&n);
    gzFile g = gzopen(path, "wb");
    assert_non_null(g);
    assert_int_equal(gzwrite(g, plain, (unsigned)n), (int)n);
    assert_int_equal(gzclose(g), Z_OK);
    ft_error e;
    size_t got;
    assert_int_equal(read_stream(NULL, 0, &got, &e), 0);
    assert_int_equal(got, 1000);
    /* A damaged gzip layer: the source's message comes through, also on
     * the calls after it. */
    size_t gzn;
    uint8_t *gz = slurp(&gzn);
    write_bytes(gz, gzn / 2);
    assert_int_equal(read_stream(NULL, 0, &got, &e), -1);
    char want[512];
    snprintf(want, sizeof want, "%s: gzip data truncated at byte %zu", path, gzn / 2);
    assert_string_equal(e.msg, want);
    free(gz);
    free(plain);
}

/* The writer refuses records that would overrun the encoder. */
static void test_writer_rejects_bad_record(void **state)
{
    (void)state;
    ft_error e;
    ft_sink *s = ft_sink_open(path, 0, &e);
    ft_framed_writer *w = ft_framed_writer_open(s, &e);
    ft4_record r;
    ft4_record_init(&r);
    r.arr[3].n = FT4_ARRAY_READ_MAX + 1;
    assert_int_equal(ft_framed_writer_put(w, &r, &e), -1);
    char want[512];
    snprintf(want, sizeof want, "%s: record with an array of 65 entries", path);
    assert_string_equal(e.msg, want);
    r.arr[3].n = 0;
    r.tag[1].len = 16;
    assert_int_equal(ft_framed_writer_put(w, &r, &e), -1);
    ft_framed_writer_free(w);
    ft_framed_writer_free(NULL);
    ft_framed_reader_close(NULL);
    assert_int_equal(ft_framed_writer_close(NULL, &e), 0);
    ft_sink_abort(s);
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* Not an assertion: prints write and read rates for realistic records. */
static void test_speed(void **state)
{
    (void)state;
#ifdef __SANITIZE_ADDRESS__
    enum { POOL = 256, N = 200000 };
#else
    enum { POOL = 256, N = 2000000 };
#endif
    ft4_record *pool = malloc(POOL * sizeof *pool);
    assert_non_null(pool);
    recgen g;
    recgen_init(&g, 7);
    for (int i = 0; i < POOL; i++)
        recgen_next(&g, &pool[i]);
    /* tmpfs when there is one: we time the format, not the disk */
    const char *file = path;
    snprintf(shm_file, sizeof shm_file, "/dev/shm/ft-test-framed.%ld", (long)getpid());
    FILE *probe = fopen(shm_file, "wb");
    if (probe) {
        fclose(probe);
        file = shm_file;
    } else {
        shm_file[0] = '\0';
    }
    ft_error e;
    double t0 = now();
    ft_sink *s = ft_sink_open(file, 0, &e);
    ft_framed_writer *w = ft_framed_writer_open(s, &e);
    for (int i = 0; i < N; i++)
        assert_int_equal(ft_framed_writer_put(w, &pool[i % POOL], &e), 0);
    assert_int_equal(ft_framed_writer_close(w, &e), 0);
    uint64_t bytes = ft_sink_bytes(s);
    double t1 = now(); /* the commit's fsync is the disk's time, not ours */
    assert_int_equal(ft_sink_commit(s, &e), 0);
    double t1b = now();
    ft_source *src = ft_source_open(file, &e);
    ft_framed_reader *r = ft_framed_reader_open(src, &e);
    ft4_record rec;
    uint64_t sum = 0;
    int rc;
    size_t n = 0;
    while ((rc = ft_framed_reader_next(r, &rec, &e)) == 1) {
        sum += (uint64_t)rec.packet_cnt;
        n++;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(n, N);
    ft_framed_reader_close(r);
    ft_source_close(src);
    double t2 = now() - (t1b - t1);
    print_message("framed: %d records, %.1f bytes/record; write %.1f M rec/s, "
                  "read %.1f M rec/s, round trip %.1f M rec/s (checksum %llu)\n",
                  N, (double)bytes / N, N / (t1 - t0) / 1e6, N / (t2 - t1) / 1e6,
                  N / (t2 - t0) / 1e6, (unsigned long long)sum);
    free(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fingerprint_vectors),
        cmocka_unit_test(test_canonical_form_matches_python_avro),
        cmocka_unit_test(test_empty_stream_bytes),
        cmocka_unit_test(test_roundtrip_edges),
        cmocka_unit_test(test_many_batches),
        cmocka_unit_test(test_flush),
        cmocka_unit_test(test_truncated_everywhere),
        cmocka_unit_test(test_flipped_bytes),
        cmocka_unit_test(test_absurd_length_and_count),
        cmocka_unit_test(test_bad_headers),
        cmocka_unit_test(test_empty_input),
        cmocka_unit_test(test_random_bytes),
        cmocka_unit_test(test_end_marker_count),
        cmocka_unit_test(test_payload_exactness),
        cmocka_unit_test(test_large_foreign_batch),
        cmocka_unit_test(test_concatenated),
        cmocka_unit_test(test_gzip),
        cmocka_unit_test(test_writer_rejects_bad_record),
        cmocka_unit_test(test_speed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
