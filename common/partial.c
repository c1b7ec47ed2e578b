/* partial.c - partial result files (layout drawn in partial.h). */
#include "partial.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "expr.h"
#include "reader.h"
#include "source.h"

#define VERSION 1
#define HEADER_LEN 20
#define TRAILER "END!"
#define BUF_SIZE (64 * 1024)
#define VARINT_MAX 10

const char ft_partial_help[] =
    "      --partial         write the complete counts as a partial result\n"
    "                        (binary) for a later --merge\n"
    "      --merge           the inputs are partial results: combine them\n"
    "                        into exactly the result of one run\n";

struct ft_partial_writer {
    ft_sink *sink;
    uLong crc;
    int failed;
    ft_error err;
    size_t len;
    uint8_t buf[BUF_SIZE];
};

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void w_flush(ft_partial_writer *w)
{
    if (w->len == 0)
        return;
    w->crc = crc32(w->crc, w->buf, (uInt)w->len);
    if (!w->failed && ft_sink_write(w->sink, w->buf, w->len, &w->err) < 0)
        w->failed = 1;
    w->len = 0;
}

void ft_partial_put_bytes(ft_partial_writer *w, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n) {
        if (w->len == BUF_SIZE)
            w_flush(w);
        size_t k = BUF_SIZE - w->len < n ? BUF_SIZE - w->len : n;
        memcpy(w->buf + w->len, b, k);
        w->len += k;
        b += k;
        n -= k;
    }
}

void ft_partial_put_uint(ft_partial_writer *w, uint64_t v)
{
    if (BUF_SIZE - w->len < VARINT_MAX)
        w_flush(w);
    while (v >= 0x80) {
        w->buf[w->len++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    w->buf[w->len++] = (uint8_t)v;
}

void ft_partial_put_int(ft_partial_writer *w, int64_t v)
{
    ft_partial_put_uint(w, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

ft_partial_writer *ft_partial_writer_open(ft_sink *sink, const char *desc,
                                          uint64_t nitems, ft_error *err)
{
    size_t dlen = strlen(desc);
    if (dlen == 0 || dlen > FT_PARTIAL_DESC_MAX) {
        ft_error_set(err, "partial: descriptor of %zu bytes", dlen);
        return NULL;
    }
    ft_partial_writer *w = malloc(sizeof *w);
    if (!w) {
        ft_error_set(err, "out of memory");
        return NULL;
    }
    w->sink = sink;
    w->crc = crc32(0, Z_NULL, 0);
    w->failed = 0;
    w->len = 0;
    uint8_t h[HEADER_LEN];
    memcpy(h, FT_PARTIAL_MAGIC, 8);
    put_le(h + 8, VERSION, 2);
    put_le(h + 10, dlen, 2);
    put_le(h + 12, nitems, 8);
    ft_partial_put_bytes(w, h, sizeof h);
    ft_partial_put_bytes(w, desc, dlen);
    return w;
}

int ft_partial_writer_close(ft_partial_writer *w, ft_error *err)
{
    if (!w)
        return 0;
    w_flush(w);
    uint8_t t[8];
    memcpy(t, TRAILER, 4);
    put_le(t + 4, w->crc, 4);
    if (!w->failed && ft_sink_write(w->sink, t, sizeof t, &w->err) < 0)
        w->failed = 1;
    int rc = 0;
    if (w->failed) {
        if (err)
            *err = w->err;
        rc = -1;
    }
    free(w);
    return rc;
}

struct ft_partial_reader {
    ft_source *src;
    uLong crc;
    size_t pos, len, crc_pos; /* buf[crc_pos..pos) consumed, not yet in crc */
    int sections;
    uint64_t items;
    char desc[FT_PARTIAL_DESC_MAX + 1];
    uint8_t buf[BUF_SIZE];
};

ft_partial_reader *ft_partial_reader_open(const char *path, ft_error *err)
{
    ft_partial_reader *r = calloc(1, sizeof *r);
    if (!r) {
        ft_error_set(err, "out of memory");
        return NULL;
    }
    if (!(r->src = ft_source_open(path, err))) {
        free(r);
        return NULL;
    }
    return r;
}

void ft_partial_reader_close(ft_partial_reader *r)
{
    if (!r)
        return;
    ft_source_close(r->src);
    free(r);
}

const char *ft_partial_name(const ft_partial_reader *r)
{
    return ft_source_name(r->src);
}
const char *ft_partial_desc(const ft_partial_reader *r) { return r->desc; }
uint64_t ft_partial_items(const ft_partial_reader *r) { return r->items; }

static void crc_catch_up(ft_partial_reader *r)
{
    if (r->pos > r->crc_pos)
        r->crc = crc32(r->crc, r->buf + r->crc_pos, (uInt)(r->pos - r->crc_pos));
    r->crc_pos = r->pos;
}

/* Makes n bytes (<= BUF_SIZE) available at buf + pos.  1 = there, 0 = the
 * data ended before any of them, -1 = error or ended part-way. */
static int need(ft_partial_reader *r, size_t n, ft_error *err)
{
    if (r->len - r->pos >= n)
        return 1;
    crc_catch_up(r);
    memmove(r->buf, r->buf + r->pos, r->len - r->pos);
    r->len -= r->pos;
    r->pos = r->crc_pos = 0;
    while (r->len < n) {
        ssize_t got = ft_source_read(r->src, r->buf + r->len, BUF_SIZE - r->len, err);
        if (got < 0)
            return -1;
        if (got == 0) {
            if (r->len == 0)
                return 0;
            return ft_error_set(err, "%s: truncated", ft_partial_name(r));
        }
        r->len += (size_t)got;
    }
    return 1;
}

int ft_partial_next_section(ft_partial_reader *r, ft_error *err)
{
    const char *name = ft_partial_name(r);
    int rc = need(r, HEADER_LEN, err);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        if (r->sections)
            return 0;
        return ft_error_set(err, "%s: empty, not a partial result", name);
    }
    const uint8_t *h = r->buf + r->pos;
    if (memcmp(h, FT_PARTIAL_MAGIC, 8) != 0) {
        if (memcmp(h, "Obj\x01", 4) == 0 || h[0] == 0x89)
            return ft_error_set(err, "%s: FT4 records, not a partial result "
                                "(give it without --merge)", name);
        return ft_error_set(err, "%s: not a partial result (no FT4P header)", name);
    }
    uint64_t version = get_le(h + 8, 2), dlen = get_le(h + 10, 2);
    if (version != VERSION)
        return ft_error_set(err, "%s: partial format version %u, this is version %d",
                            name, (unsigned)version, VERSION);
    if (dlen == 0 || dlen > FT_PARTIAL_DESC_MAX)
        return ft_error_set(err, "%s: bad descriptor length %u", name, (unsigned)dlen);
    r->crc = crc32(0, Z_NULL, 0);
    r->crc_pos = r->pos;
    r->items = get_le(h + 12, 8);
    r->pos += HEADER_LEN;
    if (need(r, (size_t)dlen, err) <= 0)
        return ft_error_set(err, "%s: truncated", name);
    memcpy(r->desc, r->buf + r->pos, (size_t)dlen);
    r->desc[dlen] = '\0';
    r->pos += (size_t)dlen;
    if (strlen(r->desc) != dlen)
        return ft_error_set(err, "%s: bad descriptor", name);
    r->sections++;
    return 1;
}

int ft_partial_get_uint(ft_partial_reader *r, uint64_t *v, ft_error *err)
{
    uint64_t x = 0;
    /* The whole varint in the buffer (nearly always): no check per byte. */
    int ready = r->len - r->pos >= VARINT_MAX;
    for (int i = 0; i < VARINT_MAX; i++) {
        if (!ready && need(r, 1, err) <= 0)
            return ft_error_set(err, "%s: truncated", ft_partial_name(r));
        uint8_t b = r->buf[r->pos++];
        if (i == VARINT_MAX - 1 && b > 1)
            break;
        x |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return ft_error_set(err, "%s: corrupt (bad varint)", ft_partial_name(r));
}

int ft_partial_get_int(ft_partial_reader *r, int64_t *v, ft_error *err)
{
    uint64_t u;
    if (ft_partial_get_uint(r, &u, err) < 0)
        return -1;
    *v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
    return 0;
}

int ft_partial_get_bytes(ft_partial_reader *r, void *p, size_t n, ft_error *err)
{
    if (n > FT_PARTIAL_BYTES_MAX)
        return ft_error_set(err, "%s: corrupt (%zu-byte string)", ft_partial_name(r), n);
    if (need(r, n, err) <= 0)
        return ft_error_set(err, "%s: truncated", ft_partial_name(r));
    memcpy(p, r->buf + r->pos, n);
    r->pos += n;
    return 0;
}

int ft_partial_end_section(ft_partial_reader *r, ft_error *err)
{
    const char *name = ft_partial_name(r);
    if (need(r, 8, err) <= 0)
        return ft_error_set(err, "%s: truncated", name);
    crc_catch_up(r);
    const uint8_t *t = r->buf + r->pos;
    if (memcmp(t, TRAILER, 4) != 0)
        return ft_error_set(err, "%s: corrupt (no end marker after %llu items)",
                            name, (unsigned long long)r->items);
    if (get_le(t + 4, 4) != (uint64_t)r->crc)
        return ft_error_set(err, "%s: checksum mismatch", name);
    r->pos += 8;
    r->crc_pos = r->pos;
    return 0;
}

int ft_partial_read_files(int n, char *const *paths, ft_partial_section_fn fn,
                          void *ctx, ft_error *err)
{
    static char *const stdin_only[] = {"-"};
    if (n == 0) {
        n = 1;
        paths = stdin_only;
    }
    for (int i = 0; i < n; i++) {
        ft_partial_reader *r = ft_partial_reader_open(paths[i], err);
        if (!r)
            return -1;
        int rc;
        while ((rc = ft_partial_next_section(r, err)) == 1)
            if ((rc = fn(ctx, r, err)) < 0 || (rc = ft_partial_end_section(r, err)) < 0)
                break;
        ft_partial_reader_close(r);
        if (rc < 0)
            return -1;
    }
    return 0;
}

int ft_partial_expect(const ft_partial_reader *r, const char *want, ft_error *err)
{
    if (strcmp(r->desc, want) == 0)
        return 0;
    return ft_error_set(err, "%s: cannot merge a partial of '%s' into '%s'",
                        ft_partial_name(r), r->desc, want);
}

int ft_partial_add_records(const ft_dataset_spec *spec, const ft_expr *where,
                           uint32_t fields, int n, char *const *paths,
                           ft_partial_add_fn add, void *agg, ft_error *err)
{
    ft4_record *rec = malloc(sizeof *rec); /* 4 KiB of arrays */
    if (!rec)
        return ft_error_set(err, "out of memory");
    ft_reader *in = spec ? ft_reader_open_spec(spec, n, paths, err)
                         : ft_reader_open(n, paths, err);
    if (!in) {
        free(rec);
        return -1;
    }
    ft_reader_set_fields(in, fields | (where ? ft_expr_fields(where) : 0));
    int rc;
    while ((rc = ft_reader_next(in, rec, err)) == 1) {
        if (where && !ft_expr_match(where, rec))
            continue;
        if (add(agg, rec, err) < 0) {
            rc = ft_error_prefix(err, "%s: record %llu", ft_reader_input_name(in),
                                 (unsigned long long)ft_reader_records(in));
            break;
        }
    }
    ft_reader_close(in);
    free(rec);
    return rc < 0 ? -1 : 0;
}

int ft_partial_write_result(const char *path, int partial,
                            ft_partial_write_fn write, void *ctx, ft_error *err)
{
    ft_sink *s = ft_sink_open(path, 0, err);
    if (!s)
        return -1;
    if (partial && ft_sink_is_tty(s)) {
        ft_sink_abort(s);
        return ft_error_set(err, "will not write a binary partial result to a "
                            "terminal (use -w FILE or a pipe)");
    }
    if (write(ctx, s, err) < 0) {
        ft_sink_abort(s);
        return -1;
    }
    return ft_sink_commit(s, err);
}
