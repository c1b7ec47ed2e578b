/*
 * fuzz_partial.c - libFuzzer harness for the partial-result files of
 * ft-topn and ft-series (partial.h, topn.h, series.h): the --merge paths.
 *
 * Input: byte 0 is flags, the rest the file.
 *   bit 0: ft-series (else ft-topn);
 *   bit 1: gzip-compress the file first;
 *   bit 2: merge the file twice (two paths);
 *   bits 4-5: the result format: ft-topn text (top 5), csv, json, text
 *             (every key); ft-series text, csv, json, svg.
 * After a merge succeeds, the result is formatted, and written as a
 * partial again, which must merge back to the same result (same total,
 * keys and ranking; same rows).  Errors must name the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "output.h"
#include "series.h"
#include "sink.h"
#include "topn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A scratch file for the round trip (a sink renames into place), in a
 * directory of its own that is removed when the process exits (a crash
 * leaves it). */
static char scratch_dir[] = "/tmp/fuzz-partial-XXXXXX";
static char scratch_path[64];

static void remove_scratch(void)
{
    unlink(scratch_path);
    rmdir(scratch_dir);
}

static const char *scratch(void)
{
    if (!scratch_path[0]) {
        if (!mkdtemp(scratch_dir))
            abort();
        snprintf(scratch_path, sizeof scratch_path, "%s/p", scratch_dir);
        atexit(remove_scratch);
    }
    return scratch_path;
}

static void check_error(const ft_error *err, const char *path)
{
    /* an error about a file names it; "cannot merge" too */
    if (strstr(err->msg, path) != err->msg || !fuzz_message_clean(err->msg)) {
        fprintf(stderr, "bad error message: '%s'\n", err->msg);
        abort();
    }
}

static void topn(char **paths, int n, unsigned fmt)
{
    ft_error err;
    ft_topn *t = NULL;
    if (ft_topn_merge_files(&t, n, paths, &err) < 0) {
        check_error(&err, paths[0]);
        ft_topn_free(t);
        return;
    }
    ft_output_opts vo;
    ft_output_opts_init(&vo);
    ft_table *tab = ft_topn_result(t, fmt == 3 ? 0 : 5, 0,
                                   (enum ft_table_format)(fmt % 3), 0, &vo, &err);
    if (!tab)
        abort(); /* only when out of memory */
    ft_table_free(tab);

    const char *p = scratch();
    ft_sink *s = ft_sink_open(p, 0, &err);
    if (!s || ft_topn_write_partial(t, s, &err) < 0 || ft_sink_commit(s, &err) < 0)
        abort();
    ft_topn *back = NULL;
    char *bp[1] = {(char *)p};
    if (ft_topn_merge_files(&back, 1, bp, &err) < 0) {
        fprintf(stderr, "round trip: %s\n", err.msg);
        abort();
    }
    ft_topn_entry *ka, *kb;
    size_t na, nb;
    if (ft_topn_total(back) != ft_topn_total(t) ||
        ft_topn_keys(back) != ft_topn_keys(t) ||
        ft_topn_rank(t, 0, &ka, &na, &err) < 0 ||
        ft_topn_rank(back, 0, &kb, &nb, &err) < 0 || na != nb)
        abort();
    for (size_t i = 0; i < na; i++)
        if (ka[i].count != kb[i].count || ka[i].len != kb[i].len ||
            memcmp(ka[i].key, kb[i].key, ka[i].len) != 0)
            abort();
    free(ka);
    free(kb);
    ft_topn_free(back);
    ft_topn_free(t);
}

static void series(char **paths, int n, unsigned fmt)
{
    ft_error err;
    ft_series *s = NULL;
    if (ft_series_merge_files(&s, n, paths, &err) < 0) {
        check_error(&err, paths[0]);
        ft_series_free(s);
        return;
    }
    const char *p = scratch();
    ft_output_opts vo;
    ft_output_opts_init(&vo);
    static const enum ft_series_format fmts[4] = {
        FT_SERIES_TEXT, FT_SERIES_CSV, FT_SERIES_JSON, FT_SERIES_SVG};
    ft_series_out o = {fmts[fmt], "x", 0, &vo};
    ft_sink *out = ft_sink_open(p, 0, &err);
    if (!out || ft_series_write(s, &o, out, &err) < 0 ||
        ft_sink_commit(out, &err) < 0) {
        fprintf(stderr, "write: %s\n", err.msg);
        abort();
    }
    out = ft_sink_open(p, 0, &err);
    if (!out || ft_series_write_partial(s, out, &err) < 0 ||
        ft_sink_commit(out, &err) < 0)
        abort();
    ft_series *back = NULL;
    char *bp[1] = {(char *)p};
    if (ft_series_merge_files(&back, 1, bp, &err) < 0) {
        fprintf(stderr, "round trip: %s\n", err.msg);
        abort();
    }
    if (ft_series_rows(back) != ft_series_rows(s) ||
        ft_series_bin(back) != ft_series_bin(s))
        abort();
    for (size_t i = 0; i < ft_series_rows(s); i++) {
        ft_series_row a, b;
        ft_series_row_at(s, i, &a);
        ft_series_row_at(back, i, &b);
        if (memcmp(&a, &b, sizeof a) != 0)
            abort();
    }
    ft_series_free(back);
    ft_series_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fuzz_file file;
    if (size < 1)
        return 0;
    unsigned flags = data[0];
    const char *path;
    if (flags & 2)
        path = fuzz_file_set_gzip(&file, data + 1, size - 1, 0);
    else
        path = fuzz_file_set(&file, data + 1, size - 1);
    char *paths[2] = {(char *)path, (char *)path};
    int n = (flags & 4) ? 2 : 1;
    unsigned fmt = (flags >> 4) & 3;
    if (flags & 1)
        series(paths, n, fmt);
    else
        topn(paths, n, fmt);
    return 0;
}
