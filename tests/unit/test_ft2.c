/*
 * test_ft2.c - the FT2 (corsaro2 binary) reader: files built here byte by
 * byte as FT4-SPEC section 6 draws them, plain and gzip, SIXU and SIXT,
 * with and without a global header; every strict check with its exact
 * message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "ft2_reader.h"
#include "source.h"
#include "scratch.h"


typedef struct buf {
    uint8_t b[8192];
    size_t n;
} buf;

static void u8(buf *w, unsigned v) { w->b[w->n++] = (uint8_t)v; }
static void u16(buf *w, unsigned v) { u8(w, v >> 8); u8(w, v & 0xff); }
static void u32(buf *w, uint32_t v) { u16(w, v >> 16); u16(w, v & 0xffff); }

static void header(buf *w, const char *uri, uint32_t plugin)
{
    u32(w, FT2_MAGIC_EDGR); u32(w, FT2_MAGIC_HEAD);
    u8(w, 2); u8(w, 1); u32(w, 1613239200); u16(w, 60);
    u16(w, (unsigned)strlen(uri));
    for (const char *p = uri; *p; p++)
        u8(w, (uint8_t)*p);
    u16(w, 1); u32(w, plugin);
}

static void marker(buf *w, unsigned number, uint32_t time)
{
    u32(w, FT2_MAGIC_EDGR); u32(w, FT2_MAGIC_INTR); u16(w, number); u32(w, time);
}

static void rec(buf *w, int sixt, uint32_t src, uint32_t dst, unsigned sp,
                unsigned dp, unsigned proto, unsigned ttl, unsigned flags,
                unsigned len, uint32_t cnt)
{
    u32(w, src);
    if (sixt) {
        u8(w, dst >> 16 & 0xff); u16(w, dst & 0xffff);
    } else {
        u32(w, dst);
    }
    u16(w, sp); u16(w, dp); u8(w, proto); u8(w, ttl); u8(w, flags);
    u16(w, len); u32(w, cnt);
}

/* One interval with one TCP record in class 0, one ICMP in class 1 and
 * one UDP in class 2. */
static void interval(buf *w, int sixt, unsigned number, uint32_t time)
{
    uint32_t m = sixt ? FT2_MAGIC_SIXT : FT2_MAGIC_SIXU;
    marker(w, number, time);
    u32(w, m); u16(w, 0); u32(w, 1);
    rec(w, sixt, 0x01020304, 0x2c010203, 5000, 23, 6, 60, 2, 40, 3);
    u32(w, m); u16(w, 0);
    u32(w, m); u16(w, 1); u32(w, 1);
    rec(w, sixt, 0x09090903, 0x2c020007, 8, 0, 1, 100, 0, 84, 70000);
    u32(w, m); u16(w, 1);
    u32(w, m); u16(w, 2); u32(w, 1);
    rec(w, sixt, 0x09090902, 0x2cff0006, 1234, 80, 17, 50, 0, 36, 2);
    u32(w, m); u16(w, 2);
    marker(w, number, time + 59);
}

static const char *spit(const char *name, const buf *w, int gz)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", scratch_dir, name);
    if (gz) {
        gzFile f = gzopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(gzwrite(f, w->b, (unsigned)w->n), (int)w->n);
        gzclose(f);
    } else {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(w->b, 1, w->n, f), w->n);
        fclose(f);
    }
    return path;
}

typedef struct opened {
    ft_source *src;
    ft2_reader *r;
} opened;

static opened open_file(const char *path, int octet, ft_error *err)
{
    opened o;
    o.src = ft_source_open(path, err);
    assert_non_null(o.src);
    o.r = ft2_reader_open(o.src, octet, err);
    return o;
}

static void close_file(opened *o)
{
    ft2_reader_close(o->r);
    ft_source_close(o->src);
}

/* Reads the whole file; returns the records read, or -1 with err set. */
static long read_all(ft2_reader *r, ft2_record *out, size_t cap, ft_error *err)
{
    long n = 0;
    ft2_interval iv;
    int rc;
    while ((rc = ft2_reader_next_interval(r, &iv, err)) == 1) {
        size_t k;
        while ((rc = ft2_reader_read(r, out + n, cap - (size_t)n, &k, err)) == 1)
            n += (long)k;
        if (rc < 0)
            return -1;
    }
    return rc < 0 ? -1 : n;
}

static void check_interval_records(const ft2_record *r, uint32_t dst_hi)
{
    assert_int_equal(r[0].src_ip, 0x01020304);
    assert_int_equal(r[0].dst_ip, 0x2c010203);
    assert_int_equal(r[0].src_port, 5000);
    assert_int_equal(r[0].dst_port, 23);
    assert_int_equal(r[0].protocol, 6);
    assert_int_equal(r[0].ttl, 60);
    assert_int_equal(r[0].tcp_flags, 2);
    assert_int_equal(r[0].ip_len, 40);
    assert_int_equal(r[0].packet_cnt, 3);
    assert_int_equal(r[1].src_port, 8);
    assert_int_equal(r[1].dst_port, 0);
    assert_int_equal(r[1].packet_cnt, 70000);
    assert_int_equal(r[2].dst_ip, dst_hi | 0xff0006);
    assert_int_equal(r[2].protocol, 17);
}

static void test_sixu_sixt_plain_gzip(void **state)
{
    (void)state;
    for (int variant = 0; variant < 8; variant++) {
        int sixt = variant & 1, gz = variant >> 1 & 1, hdr = variant >> 2;
        buf w = {.n = 0};
        if (hdr)
            header(&w, "int:eth0", sixt ? FT2_MAGIC_SIXT : FT2_MAGIC_SIXU);
        interval(&w, sixt, 0, 1613239200);
        interval(&w, sixt, 1, 1613239260);
        ft_error err = {{0}};
        opened o = open_file(spit("a.ft2", &w, gz), sixt ? 44 : -1, &err);
        assert_non_null(o.r);
        const ft2_header *h = ft2_reader_header(o.r);
        if (hdr) {
            assert_non_null(h);
            assert_int_equal(h->major, 2);
            assert_int_equal(h->minor, 1);
            assert_int_equal(h->interval_len, 60);
            assert_int_equal(h->nplugins, 1);
        } else {
            assert_null(h);
        }
        ft2_interval iv;
        ft2_record r[16];
        size_t k, n = 0;
        assert_int_equal(ft2_reader_next_interval(o.r, &iv, &err), 1);
        assert_int_equal(iv.number, 0);
        assert_int_equal(iv.time, 1613239200);
        int rc;
        while ((rc = ft2_reader_read(o.r, r + n, 16 - n, &k, &err)) == 1)
            n += k;
        assert_int_equal(rc, 0);
        assert_int_equal(n, 3);
        assert_int_equal(ft2_reader_sixt(o.r), sixt);
        check_interval_records(r, 0x2c000000);
        assert_int_equal(ft2_reader_next_interval(o.r, &iv, &err), 1);
        assert_int_equal(iv.number, 1);
        assert_int_equal(iv.time, 1613239260);
        /* one record at a time works as well */
        n = 0;
        while ((rc = ft2_reader_read(o.r, r + n, 1, &k, &err)) == 1)
            n += k;
        assert_int_equal(rc, 0);
        assert_int_equal(n, 3);
        assert_int_equal(ft2_reader_next_interval(o.r, &iv, &err), 0);
        assert_int_equal(ft2_reader_next_interval(o.r, &iv, &err), 0);
        close_file(&o);
    }
}

/* Expects the file to fail with exactly msg (after the scratch_dir prefix). */
static void expect_error(const buf *w, int octet, const char *msg)
{
    ft_error err = {{0}};
    const char *p = spit("bad.ft2", w, 0);
    opened o = open_file(p, octet, &err);
    ft2_record r[64];
    if (o.r)
        assert_int_equal(read_all(o.r, r, 64, &err), -1);
    char want[600];
    snprintf(want, sizeof want, "%s: %s", p, msg);
    assert_string_equal(err.msg, want);
    close_file(&o);
}

static void test_errors(void **state)
{
    (void)state;
    buf w = {.n = 0};
    expect_error(&w, -1, "empty file");

    memcpy(w.b, "EDGRFOOT", 8);
    w.n = 8;
    expect_error(&w, -1, "byte 0: not an FT2 file (starts 45 44 47 52 46 4f 4f 54)");

    w.n = 0;
    header(&w, "", FT2_MAGIC_SIXU);
    w.n -= 3; /* cut in the plugin list */
    expect_error(&w, -1, "byte 0: global header: truncated in the plugin list");

    w.n = 0;
    interval(&w, 1, 0, 1613239200);
    expect_error(&w, -1, "byte 14: interval 0: class 0: SIXT records "
                 "(/8-optimised destinations): the first octet must be given "
                 "(--slash-eight)");

    w.n = 0;
    interval(&w, 0, 0, 1613239200);
    w.b[24 + 21 + 5] = 1; /* class 0 ends as class 1 */
    expect_error(&w, -1, "byte 45: interval 0: class 0: bad class end (magic "
                 "0x53495855, class 1; 1 records announced)");

    w.n = 0;
    interval(&w, 0, 0, 1613239200);
    w.b[51 + 5] = 2; /* class 2 where class 1 should start */
    expect_error(&w, -1, "byte 51: interval 0: class 2 where class 1 should start");

    w.n = 0;
    interval(&w, 0, 0, 1613239200);
    w.b[51 + 3] = 'X';
    expect_error(&w, -1, "byte 51: interval 0: class 1: bad magic 0x53495858");

    w.n = 0;
    interval(&w, 0, 7, 1613239200);
    w.b[w.n - 1] = 0; /* end time before the start */
    w.b[w.n - 2] = 0;
    w.b[w.n - 3] = 0;
    w.b[w.n - 4] = 0;
    expect_error(&w, -1, "byte 125: interval 7: end time 0 before its start "
                 "1613239200");

    w.n = 0;
    interval(&w, 0, 0, 1613239200);
    w.n = 24 + 10; /* the record count runs past the end */
    expect_error(&w, -1, "byte 14: interval 0: class 0: 1 records of 21 bytes "
                 "run past the end of the data (0 read)");

    w.n = 0;
    interval(&w, 0, 0, 1613239200);
    w.n -= 14;
    expect_error(&w, -1, "byte 125: interval 0 (1613239200) ends without its "
                 "end marker (end of data)");
    w.n -= 6;
    expect_error(&w, -1, "byte 119: interval 0 (1613239200) ends without its "
                 "end marker (end of data where class 2 should end)");
    w.n -= 31;
    expect_error(&w, -1, "byte 88: interval 0 (1613239200) ends without its "
                 "end marker (end of data where class 2 should start)");

    w.n = 0;
    marker(&w, 0, 1613239200);
    w.n -= 3;
    expect_error(&w, -1, "byte 0: interval start: truncated");
}

/* An interval whose end marker is missing because the next one starts
 * there: the error, then the next interval reads normally. */
static void test_missing_end_resumes(void **state)
{
    (void)state;
    buf w = {.n = 0};
    interval(&w, 0, 0, 1613239200);
    w.n -= 14;
    interval(&w, 0, 1, 1613239260);
    ft_error err = {{0}};
    const char *p = spit("noend.ft2.gz", &w, 1);
    opened o = open_file(p, -1, &err);
    assert_non_null(o.r);
    ft2_interval iv;
    ft2_record r[8];
    size_t k, n = 0;
    int rc;
    assert_int_equal(ft2_reader_next_interval(o.r, &iv, &err), 1);
    while ((rc = ft2_reader_read(o.r, r, 8, &k, &err)) == 1)
        n += k;
    assert_int_equal(rc, -1);
    assert_int_equal(n, 3);
    char want[400];
    snprintf(want, sizeof want, "%s: byte 125: interval 0 (1613239200) ends "
             "without its end marker (found interval 1's start)", p);
    assert_string_equal(err.msg, want);
    assert_int_equal(ft2_reader_next_interval(o.r, &iv, &err), 1);
    assert_int_equal(iv.number, 1);
    assert_int_equal(iv.time, 1613239260);
    n = 0;
    while ((rc = ft2_reader_read(o.r, r + n, 8 - n, &k, &err)) == 1)
        n += k;
    assert_int_equal(rc, 0);
    assert_int_equal(n, 3);
    check_interval_records(r, 0x2c000000);
    assert_int_equal(ft2_reader_next_interval(o.r, &iv, &err), 0);
    close_file(&o);
}

/* A corrupt gzip stream: the source's message with the byte offset. */
static void test_corrupt_gzip(void **state)
{
    (void)state;
    buf w = {.n = 0};
    for (unsigned i = 0; i < 30; i++)
        interval(&w, 0, i, 1613239200 + 60 * i);
    const char *p = spit("bad.ft2.gz", &w, 1);
    FILE *f = fopen(p, "r+b");
    assert_non_null(f);
    fseek(f, 40, SEEK_SET);
    fputs("garbage garbage garbage", f);
    fclose(f);
    ft_error err = {{0}};
    opened o = open_file(p, -1, &err);
    ft2_record r[128];
    if (o.r)
        assert_int_equal(read_all(o.r, r, 128, &err), -1);
    char want[400];
    snprintf(want, sizeof want, "%s: byte ", p);
    assert_memory_equal(err.msg, want, strlen(want));
    assert_non_null(strstr(err.msg, ": gzip: "));
    close_file(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sixu_sixt_plain_gzip),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_missing_end_resumes),
        cmocka_unit_test(test_corrupt_gzip),
    };
    return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
