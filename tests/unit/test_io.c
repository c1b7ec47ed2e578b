/* Unit tests for source.c (input, gzip) and sink.c (atomic output). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "avro_reader.h"
#include "avro_writer.h"
#include "sink.h"
#include "source.h"
#include "../recgen.h"
#include "scratch.h"


static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

static void write_gz(const char *path, const void *data, size_t n)
{
    gzFile g = gzopen(path, "wb");
    assert_non_null(g);
    assert_int_equal(gzwrite(g, data, (unsigned)n), (int)n);
    gzclose(g);
}

/* Reads everything from path into buf; returns bytes or -1. */
static long slurp(const char *path, unsigned char *buf, size_t cap, ft_error *e)
{
    ft_source *s = ft_source_open(path, e);
    if (!s)
        return -1;
    size_t n = 0;
    for (;;) {
        ssize_t r = ft_source_read(s, buf + n, cap - n > 1000 ? 1000 : cap - n, e);
        if (r < 0) {
            ft_source_close(s);
            return -1;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    ft_source_close(s);
    return (long)n;
}

static void test_plain_and_gzip(void **state)
{
    (void)state;
    enum { N = 700000 };
    unsigned char *data = malloc(N), *got = malloc(N + 10);
    for (size_t i = 0; i < N; i++)
        data[i] = (unsigned char)(i * 7 + i / 1000);
    char p[256], g[256];
    snprintf(p, sizeof p, "%s/plain", scratch_dir);
    snprintf(g, sizeof g, "%s/data.gz", scratch_dir);
    write_file(p, data, N);
    write_gz(g, data, N);
    ft_error e;
    assert_int_equal(slurp(p, got, N + 10, &e), N);
    assert_memory_equal(got, data, N);
    assert_int_equal(slurp(g, got, N + 10, &e), N);
    assert_memory_equal(got, data, N);

    /* peek does not consume, and works across the gzip layer */
    ft_source *s = ft_source_open(g, &e);
    assert_non_null(s);
    assert_true(ft_source_is_gzip(s));
    unsigned char pk[8], rd[8];
    assert_int_equal(ft_source_peek(s, pk, 8, &e), 8);
    assert_int_equal(ft_source_read_full(s, rd, 8, &e), 1);
    assert_memory_equal(pk, rd, 8);
    assert_memory_equal(rd, data, 8);
    assert_int_equal(ft_source_offset(s), 8);
    ft_source_close(s);

    /* a truncated gzip file is an error, not a short clean read */
    FILE *f = fopen(g, "rb");
    unsigned char *gz = malloc(N);
    size_t gn = fread(gz, 1, N, f);
    fclose(f);
    write_file(g, gz, gn / 2);
    assert_int_equal(slurp(g, got, N + 10, &e), -1);
    assert_non_null(strstr(e.msg, "gzip data truncated"));
    /* corrupt deflate data */
    gz[gn / 3] ^= 0xff;
    gz[gn / 3 + 1] ^= 0x55;
    write_file(g, gz, gn);
    assert_int_equal(slurp(g, got, N + 10, &e), -1);
    assert_non_null(strstr(e.msg, "gzip"));
    free(gz);
    free(data);
    free(got);
}

static void test_concatenated_gzip(void **state)
{
    (void)state;
    char g1[256], g2[256], cat[256];
    snprintf(g1, sizeof g1, "%s/a.gz", scratch_dir);
    snprintf(g2, sizeof g2, "%s/b.gz", scratch_dir);
    snprintf(cat, sizeof cat, "%s/ab.gz", scratch_dir);
    write_gz(g1, "hello ", 6);
    write_gz(g2, "world", 5);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cat %s %s > %s", g1, g2, cat);
    assert_int_equal(system(cmd), 0);
    unsigned char got[64];
    ft_error e;
    assert_int_equal(slurp(cat, got, sizeof got, &e), 11);
    assert_memory_equal(got, "hello world", 11);
}

static void test_open_errors(void **state)
{
    (void)state;
    ft_error e;
    char p[256];
    snprintf(p, sizeof p, "%s/missing", scratch_dir);
    assert_null(ft_source_open(p, &e));
    assert_non_null(strstr(e.msg, "No such file or directory"));
    assert_null(ft_source_open(scratch_dir, &e));
    assert_non_null(strstr(e.msg, "is a directory"));
    /* read_full reports truncation with the offset */
    snprintf(p, sizeof p, "%s/short", scratch_dir);
    write_file(p, "abc", 3);
    ft_source *s = ft_source_open(p, &e);
    unsigned char b[8];
    assert_int_equal(ft_source_read_full(s, b, 8, &e), -1);
    assert_non_null(strstr(e.msg, "short: truncated at byte 3"));
    ft_source_close(s);
    ft_source_close(NULL);
}

static void test_sink_atomic(void **state)
{
    (void)state;
    ft_error e;
    char p[256], q[256];
    snprintf(p, sizeof p, "%s/sub/scratch_dir/out.bin", scratch_dir);
    /* without mkdirs a missing directory is an error */
    assert_null(ft_sink_open(p, 0, &e));
    ft_sink *s = ft_sink_open(p, 1, &e);
    assert_non_null(s);
    struct stat st;
    assert_int_equal(stat(p, &st), -1); /* not visible until commit */
    assert_non_null(ft_sink_temp_path(s));
    assert_int_equal(stat(ft_sink_temp_path(s), &st), 0);
    static unsigned char big[600000];
    memset(big, 'x', sizeof big);
    assert_int_equal(ft_sink_write(s, "head", 4, &e), 0);
    assert_int_equal(ft_sink_write(s, big, sizeof big, &e), 0);
    assert_int_equal(ft_sink_bytes(s), 4 + sizeof big);
    assert_int_equal(ft_sink_commit(s, &e), 0);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_size, 4 + sizeof big);

    /* abort removes the temporary and leaves the old file alone */
    s = ft_sink_open(p, 0, &e);
    snprintf(q, sizeof q, "%s", ft_sink_temp_path(s));
    assert_int_equal(ft_sink_write(s, "new", 3, &e), 0);
    ft_sink_abort(s);
    assert_int_equal(stat(q, &st), -1);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_size, 4 + sizeof big);
    ft_sink_abort(NULL);
    assert_int_equal(ft_sink_commit(NULL, &e), 0);
}

static void test_sink_full_disk(void **state)
{
    (void)state;
    ft_error e;
    /* /dev/full: every write fails with ENOSPC.  The sink is a "file" sink
     * there, so use stdout redirected instead. */
    FILE *saved = fdopen(dup(1), "w");
    assert_non_null(freopen("/dev/full", "w", stdout));
    ft_sink *s = ft_sink_open("-", 0, &e);
    assert_int_equal(ft_sink_write(s, "abc", 3, &e), 0); /* buffered */
    int rc = ft_sink_commit(s, &e);
    dup2(fileno(saved), 1);
    fclose(saved);
    assert_int_equal(rc, -1);
    assert_string_equal(e.msg, "(stdout): No space left on device");
}

/* The read-ahead worker (avro_container.c) hands every block over once,
 * in order: read a many-block file again and again (it starts a worker
 * each time), comparing each record.  The worker once raced ahead at its
 * start and overwrote the third block before the reader got it. */
static void test_avro_read_ahead(void **state)
{
    (void)state;
    char path[256];
    snprintf(path, sizeof path, "%s/ahead.avro", scratch_dir);
    enum { N = 3000 };
    ft4_record *recs = calloc(N, sizeof *recs);
    assert_non_null(recs);
    recgen g;
    recgen_init(&g, 7);
    ft_error err;
    ft_sink *out = ft_sink_open(path, 0, &err);
    assert_non_null(out);
    ft_avro_opts o = FT_AVRO_OPTS_DEFAULT;
    o.block_bytes = 4096; /* ~60 blocks */
    ft_avro_writer *w = ft_avro_writer_open(out, &o, &err);
    assert_non_null(w);
    for (int i = 0; i < N; i++) {
        recgen_next(&g, &recs[i]);
        recs[i].time = i; /* each record tells its place */
        assert_int_equal(ft_avro_writer_put(w, &recs[i], &err), 0);
    }
    assert_int_equal(ft_avro_writer_close(w, &err), 0);
    assert_int_equal(ft_sink_commit(out, &err), 0);
    ft4_record *r = malloc(sizeof *r);
    assert_non_null(r);
    for (int round = 0; round < 1000; round++) {
        ft_source *src = ft_source_open(path, &err);
        assert_non_null(src);
        ft_avro_reader *rd = ft_avro_reader_open(src, &err);
        assert_non_null(rd);
        int n = 0, rc;
        while ((rc = ft_avro_reader_next(rd, r, &err)) == 1) {
            assert_true(n < N);
            assert_int_equal(r->time, n);
            assert_int_equal(r->src_ip, recs[n].src_ip);
            assert_int_equal(r->packet_cnt, recs[n].packet_cnt);
            n++;
            /* Now and then the reader is slower than the worker. */
            if ((n + round) % 997 == 0)
                usleep(200);
        }
        assert_int_equal(rc, 0);
        assert_int_equal(n, N);
        ft_avro_reader_close(rd);
        ft_source_close(src);
    }
    free(r);
    free(recs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_and_gzip),
        cmocka_unit_test(test_concatenated_gzip),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_sink_atomic),
        cmocka_unit_test(test_sink_full_disk),
        cmocka_unit_test(test_avro_read_ahead),
    };
    return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
