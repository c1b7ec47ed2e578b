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
#include "output.h"

static char root[64];

/* Creates root/rel (and its directories) as an empty file. */
static void touch(const char *rel)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
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

static int setup(void **state)
{
    (void)state;
    strcpy(root, "/tmp/test_dataset.XXXXXX");
    assert_non_null(mkdtemp(root));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd);
}

/* Lists [from, to] and returns the number of files; first times in t. */
static int list(const char *layout, const char *ds, int64_t from, int64_t to,
                int64_t *t, int max)
{
    ft_dataset_spec s;
    ft_dataset_spec_init(&s);
    s.root = root;
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
        assert_int_equal(strncmp(f.v[i].path, root, strlen(root)), 0);
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
    s.root = root;
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
    s.root = "swift://container";
    assert_int_equal(ft_dataset_list(&s, &f, &e), -1);
    assert_non_null(strstr(e.msg, "only local directories"));
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
        cmocka_unit_test_setup_teardown(test_stardust, setup, teardown),
        cmocka_unit_test_setup_teardown(test_strays, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_layouts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test(test_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
