/* Unit tests for dataset.c: which files of a dataset hold a time range. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dataset.h"
#include "fetch.h"
#include "output.h"
#include "scratch.h"


/* Creates scratch_dir/rel (and its directories) as an empty file. */
static void touch(const char *rel)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", scratch_dir, rel);
    for (char *p = path + strlen(scratch_dir) + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        mkdir(path, 0755);
        *p = '/';
    }
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
}

/* touch() of the template expanded at t. */
static void touch_at(const char *tmpl, int64_t t)
{
    char rel[256];
    assert_int_equal(ft_expand_template(tmpl, t, rel, sizeof rel), 0);
    touch(rel);
}

/* Lists [from, to] and returns the number of files; first times in t. */
static int list(const char *layout, const char *ds, int64_t from, int64_t to,
                int64_t *t, int max)
{
    ft_dataset_spec s;
    ft_dataset_spec_init(&s);
    s.root = scratch_dir;
    s.layout = layout;
    s.datasource = ds;
    s.from = from;
    s.to = to;
    ft_dataset_files f;
    ft_error e;
    if (ft_dataset_list(&s, &f, &e) < 0) {
        print_message("%s\n", e.msg);
        return -1;
    }
    int n = (int)f.n;
    for (int i = 0; i < n && i < max; i++) {
        t[i] = f.v[i].first;
        assert_int_equal(strncmp(f.v[i].path, scratch_dir, strlen(scratch_dir)), 0);
    }
    ft_dataset_files_free(&f);
    return n;
}

#define STARDUST "datasource=%N/year=%Y/month=%m/day=%d/hour=%H/%N_%s.ft4.avro"

static void test_stardust(void **state)
{
    (void)state;
    /* 23:00 .. 01:55 over a month end, every 5 minutes but 00:30. */
    for (int64_t t = 1612134000; t < 1612144800; t += 300)
        if (t != 1612139400)
            touch_at("datasource=demo/year=%Y/month=%m/day=%d/hour=%H/demo_%s.ft4.avro", t);
    int64_t t[64];
    /* everything, datasource discovered, in time order */
    assert_int_equal(list(NULL, NULL, INT64_MIN, INT64_MAX, t, 64), 35);
    for (int i = 1; i < 35; i++)
        assert_true(t[i] > t[i - 1]);
    /* mid-interval ends: files whose interval start lies in [from, to] */
    assert_int_equal(list(NULL, "demo", 1612137601, 1612139999, t, 64), 6);
    assert_int_equal(t[0], 1612137900);
    assert_int_equal(t[5], 1612139700);  /* 00:30 is a gap */
    /* both ends on an interval, inclusive */
    assert_int_equal(list(NULL, NULL, 1612137600, 1612137900, t, 64), 2);
    /* a range with no file */
    assert_int_equal(list(NULL, NULL, 1612139400, 1612139699, t, 64), 0);
    assert_int_equal(list(NULL, NULL, 1700000000, INT64_MAX, t, 64), 0);
    /* the same template with %N spelled out */
    assert_int_equal(list("datasource=%N/year=%Y/month=%m/day=%d/hour=%H/%N_%s.ft4.avro",
                          "demo", 1612137600, 1612141199, t, 64), 11);
}

static void test_strays(void **state)
{
    (void)state;
    const char *h = "datasource=x/year=2021/month=02/day=01/hour=00/";
    char rel[256];
    touch_at("datasource=x/year=%Y/month=%m/day=%d/hour=%H/x_%s.ft4.avro", 1612137600);
    const char *stray[] = {
        ".x_1612137900.ft4.avro.tmp.AbC123", /* a writer's temporary */
        "x_1612141200.ft4.avro",             /* 01:00 filed under hour=00 */
        "x_1612137900.ft4.avro.gz",
        "x_01612137900.ft4.avro",            /* not what %s writes */
        "y_1612137900.ft4.avro",
    };
    for (size_t i = 0; i < sizeof stray / sizeof stray[0]; i++) {
        snprintf(rel, sizeof rel, "%s%s", h, stray[i]);
        touch(rel);
    }
    touch("datasource=x/year=2021/month=13/day=01/hour=00/x_1612137600.ft4.avro");
    touch("datasource=x/year=21/month=02/day=01/hour=00/x_1612137600.ft4.avro");
    /* a directory where a file belongs is skipped */
    touch("datasource=x/year=2021/month=02/day=01/hour=00/x_1612138200.ft4.avro/f");
    int64_t t[8];
    assert_int_equal(list(NULL, NULL, INT64_MIN, INT64_MAX, t, 8), 1);
    assert_int_equal(t[0], 1612137600);
}

static void test_other_layouts(void **state)
{
    (void)state;
    /* hourly files named by the hour: a file spans its hour */
    for (int64_t t = 1612134000; t < 1612144800; t += 3600)
        touch_at("%Y%m%d/%H.avro", t);
    int64_t t[8];
    /* 00:30..00:40 lies in the 00:00 file */
    assert_int_equal(list("%Y%m%d/%H.avro", NULL, 1612139400, 1612140000, t, 8), 1);
    assert_int_equal(t[0], 1612137600);
    assert_int_equal(list("%Y%m%d/%H.avro", NULL, 1612137599, 1612137600, t, 8), 2);
    /* day of the year */
    touch_at("doy/%Y-%j/%H%M.avro", 1612137600);
    assert_int_equal(list("doy/%Y-%j/%H%M.avro", NULL, 1612137600, 1612137659, t, 8), 1);
    assert_int_equal(list("doy/%Y-%j/%H%M.avro", NULL, 1612137660, INT64_MAX, t, 8), 0);
}

static void test_errors(void **state)
{
    (void)state;
    ft_dataset_spec s;
    ft_dataset_files f;
    ft_error e;
    ft_dataset_spec_init(&s);
    s.root = scratch_dir;
    s.layout = "%Y/%q.avro";
    assert_int_equal(ft_dataset_list(&s, &f, &e), -1);
    assert_non_null(strstr(e.msg, "'%q' is not supported"));
    s.layout = "/abs/%s";
    assert_int_equal(ft_dataset_list(&s, &f, &e), -1);
    assert_non_null(strstr(e.msg, "must be a relative path"));
    s.layout = "x/%H.avro";
    assert_int_equal(ft_dataset_list(&s, &f, &e), -1);
    assert_non_null(strstr(e.msg, "needs %s or %Y"));
    s.layout = "%N/%s";
    assert_int_equal(ft_dataset_list(&s, &f, &e), -1);
    assert_non_null(strstr(e.msg, "%N needs --datasource"));
    s.layout = "../%s";
    assert_int_equal(ft_dataset_list(&s, &f, &e), -1);
    /* no datasource=NAME directory, or several */
    s.layout = NULL;
    assert_int_equal(ft_dataset_list(&s, &f, &e), -1);
    assert_non_null(strstr(e.msg, "no datasource=NAME directory"));
    touch("datasource=a/f");
    touch("datasource=b/f");
    assert_int_equal(ft_dataset_list(&s, &f, &e), -1);
    assert_non_null(strstr(e.msg, "several datasources"));
    s.datasource = "a";
    assert_int_equal(ft_dataset_list(&s, &f, &e), 0);
    assert_int_equal(f.n, 0);
    ft_dataset_files_free(&f);
    s.root = "/nonexistent/ft4";
    s.datasource = "a";
    assert_int_equal(ft_dataset_list(&s, &f, &e), -1);
    assert_string_equal(e.msg, "/nonexistent/ft4: No such file or directory");
    s.root = "http://host/x";
    assert_int_equal(ft_dataset_list(&s, &f, &e), -1);
    assert_non_null(strstr(e.msg, "not a directory or a store address"));
    s.root = "swift:///x";
    assert_int_equal(ft_dataset_list(&s, &f, &e), -1);
    assert_non_null(strstr(e.msg, "no container or bucket name"));
}

/* A stand-in for ft-fetch (FT_FETCH, see fetch.h) that lists scratch_dir as if
 * it were container "c": "--list --null --delimiter / -- swift://c/REL/"
 * prints the entries of scratch_dir/REL, directories ending in '/'; another
 * container is an error reported on fd 3.  Each run adds a line to
 * scratch_dir.calls. */
static void fake_fetch(char *script, size_t cap)
{
    snprintf(script, cap, "%s.fetch", scratch_dir);
    FILE *f = fopen(script, "w");
    assert_non_null(f);
    fprintf(f, "#!/bin/sh\n"
               "LC_ALL=C; export LC_ALL\n"
               "echo \"$*\" >>'%s.calls'\n"
               "for url; do :; done\n"
               "case $url in\n"
               "swift://c/*) rel=${url#swift://c/} ;;\n"
               "*) echo \"error $url: no such container\" >&3; exit 1 ;;\n"
               "esac\n"
               "[ -d '%s/'\"$rel\" ] || exit 0\n"
               "for e in '%s/'\"$rel\"*; do\n"
               "  [ -e \"$e\" ] || continue\n"
               "  n=${e#'%s/'}\n"
               "  if [ -d \"$e\" ]; then printf 'swift://c/%%s/\\000' \"$n\";\n"
               "  else printf 'swift://c/%%s\\000' \"$n\"; fi\n"
               "done\n", scratch_dir, scratch_dir, scratch_dir, scratch_dir);
    fclose(f);
    assert_int_equal(chmod(script, 0755), 0);
    assert_int_equal(setenv("FT_FETCH", script, 1), 0);
}

static int calls(void)
{
    char path[sizeof scratch_dir + 16];
    snprintf(path, sizeof path, "%s.calls", scratch_dir);
    FILE *f = fopen(path, "r");
    int n = 0, c;
    while (f && (c = fgetc(f)) != EOF)
        n += c == '\n';
    if (f)
        fclose(f);
    unlink(path);
    return n;
}

/* A swift:// root selects what the same tree as a directory does, with
 * one listing per directory the range reaches. */
static void test_store(void **state)
{
    (void)state;
    for (int64_t t = 1612134000; t < 1612144800; t += 300)
        if (t != 1612139400)
            touch_at("datasource=demo/year=%Y/month=%m/day=%d/hour=%H/demo_%s.ft4.avro", t);
    touch("datasource=demo/year=2021/month=02/day=01/hour=00/stray");
    char script[sizeof scratch_dir + 16];
    fake_fetch(script, sizeof script);
    static const int64_t ranges[][2] = {
        {INT64_MIN, INT64_MAX}, {1612137601, 1612139999},
        {1612139400, 1612139699}, {1612134000, 1612134000},
    };
    for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++) {
        ft_dataset_spec s;
        ft_dataset_spec_init(&s);
        s.from = ranges[r][0];
        s.to = ranges[r][1];
        ft_dataset_files local, store;
        ft_error e;
        s.root = scratch_dir;
        assert_int_equal(ft_dataset_list(&s, &local, &e), 0);
        s.root = r % 2 ? "swift://c/" : "swift://c";
        if (ft_dataset_list(&s, &store, &e) < 0)
            fail_msg("%s", e.msg);
        assert_int_equal(store.n, local.n);
        for (size_t i = 0; i < local.n; i++) {
            assert_string_equal(store.v[i].path + strlen("swift://c"),
                                local.v[i].path + strlen(scratch_dir));
            assert_int_equal(store.v[i].first, local.v[i].first);
            assert_int_equal(store.v[i].last, local.v[i].last);
        }
        ft_dataset_files_free(&local);
        ft_dataset_files_free(&store);
    }
    calls();
    /* One hour: the root twice (datasource discovery, then the walk),
     * datasource=, year=, month=, day=, hour= : 7 listings, no more. */
    ft_dataset_spec s;
    ft_dataset_spec_init(&s);
    s.root = "swift://c";
    s.from = 1612137600;
    s.to = 1612141199;
    ft_dataset_files f;
    ft_error e;
    assert_int_equal(ft_dataset_list(&s, &f, &e), 0);
    assert_int_equal(f.n, 11);
    ft_dataset_files_free(&f);
    assert_int_equal(calls(), 7);
    /* The child's error, naming the address. */
    s.root = "swift://other";
    assert_int_equal(ft_dataset_list(&s, &f, &e), -1);
    assert_string_equal(e.msg, "swift://other/: no such container");
    s.root = "swift://c/nothing/here";
    assert_int_equal(ft_dataset_list(&s, &f, &e), -1);
    assert_non_null(strstr(e.msg, "swift://c/nothing/here: no datasource=NAME"));
    /* Arguments with a prefix expanded (ft-convert's inputs). */
    char *args[] = {"a.avro",
                    "swift://c/datasource=demo/year=2021/month=02/day=01/hour=00/",
                    "swift://c/x.avro"};
    ft_fetch_names v;
    assert_int_equal(ft_fetch_expand(3, args, &v, &e), 0);
    assert_int_equal(v.n, 14); /* 11 intervals and "stray" */
    assert_string_equal(v.v[0], "a.avro");
    assert_string_equal(v.v[1], "swift://c/datasource=demo/year=2021/month=02/"
                                "day=01/hour=00/demo_1612137600.ft4.avro");
    assert_string_equal(v.v[12], "swift://c/datasource=demo/year=2021/month=02/"
                                 "day=01/hour=00/stray");
    assert_string_equal(v.v[13], "swift://c/x.avro");
    ft_fetch_names_free(&v);
    args[1] = "swift://c/nothing/";
    assert_int_equal(ft_fetch_expand(3, args, &v, &e), -1);
    assert_string_equal(e.msg, "swift://c/nothing/: no objects");
    assert_int_equal(v.n, 0);
    calls();
    unlink(script);
    unsetenv("FT_FETCH");
}

static void test_options(void **state)
{
    (void)state;
    ft_dataset_spec s;
    ft_error e;
    ft_dataset_spec_init(&s);
    assert_false(ft_dataset_has_range(&s));
    assert_int_equal(ft_dataset_parse_opt(&s, 'w', "x", &e), 0);
    assert_int_equal(ft_dataset_parse_opt(&s, FT_OPT_FROM, "2021-02-13T18:00Z", &e), 1);
    assert_int_equal(s.from, 1613239200);
    assert_true(ft_dataset_has_range(&s));
    assert_int_equal(ft_dataset_parse_opt(&s, FT_OPT_TO, "soon", &e), -1);
    assert_int_equal(strncmp(e.msg, "--to: ", 6), 0);
    assert_int_equal(ft_dataset_parse_opt(&s, FT_OPT_DATASOURCE, "a/b", &e), -1);
    assert_int_equal(ft_dataset_parse_opt(&s, FT_OPT_TO, "1613239199", &e), 1);
    assert_int_equal(ft_dataset_check(&s, 0, &e), -1);
    assert_string_equal(e.msg, "--to is before --from");
    ft_dataset_spec_init(&s);
    assert_int_equal(ft_dataset_parse_opt(&s, FT_OPT_LIST_FILES, NULL, &e), 1);
    assert_int_equal(ft_dataset_check(&s, 0, &e), -1);
    assert_string_equal(e.msg, "--list-files needs --dataset ROOT");
    assert_int_equal(ft_dataset_parse_opt(&s, FT_OPT_DATASET, "r", &e), 1);
    assert_int_equal(ft_dataset_check(&s, 0, &e), 0);
    assert_int_equal(ft_dataset_check(&s, 2, &e), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_stardust, scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(test_strays, scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(test_other_layouts, scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(test_errors, scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(test_store, scratch_setup, scratch_teardown),
        cmocka_unit_test(test_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
