/* ft-filter - keep the FT4 records that match an expression. See
 * ft-filter(1) and common/expr.h for the language. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dataset.h"
#include "expr.h"
#include "msg.h"
#include "output.h"
#include "parse.h"
#include "reader.h"
#include "source.h"

/* A filter file larger than this is surely a mistake (a data file). */
#define FILTER_FILE_MAX (64u << 20)

enum {
    OPT_COUNT = FT_OPT_OUTPUT_LAST, OPT_FAIL,
    OPT_INTERSECT, OPT_DUMP, OPT_HELP_FIELDS, OPT_VERSION
};

static const struct option longopts[] = {
    {"expression", required_argument, NULL, 'e'},
    {"file", required_argument, NULL, 'f'},
    {"count", no_argument, NULL, OPT_COUNT},
    {"fail", required_argument, NULL, OPT_FAIL},
    {"intersect", no_argument, NULL, OPT_INTERSECT},
    {"dump-filter", no_argument, NULL, OPT_DUMP},
    {"help", no_argument, NULL, 'h'},
    {"help-fields", no_argument, NULL, OPT_HELP_FIELDS},
    {"version", no_argument, NULL, OPT_VERSION},
    FT_OUTPUT_LONGOPTS,
    FT_DATASET_LONGOPTS,
    {NULL, 0, NULL, 0},
};

static void usage(void)
{
    printf("Usage: ft-filter [OPTIONS] EXPRESSION [FILE...]\n"
           "       ft-filter [OPTIONS] -e EXPRESSION... [FILE...]\n"
           "Keep the FT4 records that match an expression; stdin when no FILE\n"
           "or FILE is -.  Example: 'common_ttls in 200..255 and src_ip in\n"
           "130.0.0.0/8 and netacq_country == \"RU\"'.  See ft-filter(1).\n"
           "\n"
           "  -e, --expression EXPR a filter; several are ANDed\n"
           "  -f, --file FILE       read a filter from FILE ('#' starts a comment)\n"
           "      --count           print the number of matching records instead\n"
           "                        of the records (with -w, write them too)\n"
           "      --fail FILE       write the records that do not match to FILE\n"
           "      --intersect       print how many records match the first filter\n"
           "                        (baseline) and how many match all (intersection);\n"
           "                        -w FILE writes the intersection\n"
           "      --dump-filter     print the compiled filter and exit\n"
           "      --help-fields     list the field names\n"
           "  -h, --help            this help\n"
           "      --version         print the version\n"
           "%s\n%s", ft_dataset_help, ft_output_help);
}

/* One filter as given: -e text, -f file, the positional expression or
 * --from/--to. */
typedef struct filter_src {
    const char *name; /* subject of messages */
    char *text;       /* owned */
    int is_e;         /* given with -e */
    char label[32];   /* "expression 2" when there are several */
} filter_src;

static char *read_filter_file(const char *path)
{
    ft_error err;
    ft_source *src = ft_source_open(path, &err);
    if (!src)
        ft_die(FT_EXIT_USAGE, "%s", err.msg);
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf)
            ft_die(FT_EXIT_DATA, "out of memory");
        ssize_t n = ft_source_read(src, buf + len, cap - len - 1, &err);
        if (n < 0)
            ft_die(FT_EXIT_USAGE, "%s", err.msg);
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > FILTER_FILE_MAX)
            ft_die(FT_EXIT_USAGE, "%s: larger than %u MiB: not a filter",
                   path, FILTER_FILE_MAX >> 20);
        if (cap - len < 2)
            buf = realloc(buf, cap *= 2);
    }
    ft_source_close(src);
    buf[len] = '\0';
    if (strlen(buf) != len)
        ft_die(FT_EXIT_USAGE, "%s: contains a NUL byte: not a filter", path);
    return buf;
}

static ft_expr *compile(const filter_src *fs)
{
    return ft_cli_compile_filter(fs->name, fs->text);
}

/* The AND of filters[from..to). */
static ft_expr *compile_all(const filter_src *fs, int from, int to)
{
    ft_expr *e = compile(&fs[from]);
    ft_error err;
    for (int i = from + 1; i < to; i++)
        if (ft_expr_and(e, compile(&fs[i]), &err) < 0)
            ft_die(FT_EXIT_DATA, "%s", err.msg);
    return e;
}

/* --from/--to as "time >= FROM and time <= TO" (STARDUST's
 * getFlowtuplesByTimeRange includes its end), or NULL for neither. */
static ft_expr *time_range(const char *from_arg, const char *to_arg)
{
    ft_error err;
    int64_t from = 0, to = 0;
    char text[2][64];
    filter_src tf[2];
    int n = 0;
    memset(tf, 0, sizeof tf);
    if (from_arg) {
        if (ft_parse_time(from_arg, &from, &err) < 0)
            ft_usage_error("--from: %s", err.msg);
        snprintf(text[n], sizeof text[n], "time >= %" PRId64, from);
        tf[n].name = "--from";
        tf[n].text = text[n];
        n++;
    }
    if (to_arg) {
        if (ft_parse_time(to_arg, &to, &err) < 0)
            ft_usage_error("--to: %s", err.msg);
        if (from_arg && to < from)
            ft_usage_error("--to %s is before --from %s", to_arg, from_arg);
        snprintf(text[n], sizeof text[n], "time <= %" PRId64, to);
        tf[n].name = "--to";
        tf[n].text = text[n];
        n++;
    }
    return n ? compile_all(tf, 0, n) : NULL;
}

static void dump(const char *title, const ft_expr *e)
{
    char *s = ft_expr_dump(e);
    if (!s)
        ft_die(FT_EXIT_DATA, "out of memory");
    if (title)
        printf("%s\n", title);
    fputs(s, stdout);
    free(s);
}

static void print_counts(const ft_output_opts *oo, uint64_t base, uint64_t sect)
{
    if (oo->format == FT_FMT_CSV) {
        if (!oo->no_header)
            printf("baseline,intersection\n");
        printf("%" PRIu64 ",%" PRIu64 "\n", base, sect);
    } else if (oo->format == FT_FMT_JSON) {
        printf("{\"baseline\":%" PRIu64 ",\"intersection\":%" PRIu64 "}\n",
               base, sect);
    } else {
        printf("baseline %" PRIu64 "\nintersection %" PRIu64 "\n", base, sect);
    }
}

/* The one pass: matching records to out, the others to fail (either may
 * be NULL); with rest (--intersect), a record matches when it matches
 * filter (counted in n[0], the baseline) and then rest.  n[1] counts the
 * matches.  -1 on a read or write error. */
static int filter_records(ft_reader *in, const ft_expr *filter,
                          const ft_expr *rest, ft_output *out, ft_output *fail,
                          uint64_t n[2], ft_error *err)
{
    static ft4_record rec;
    int rc;
    while ((rc = ft_reader_next(in, &rec, err)) == 1) {
        int m = ft_expr_match(filter, &rec);
        if (rest && m) {
            n[0]++;
            m = ft_expr_match(rest, &rec);
        }
        if (m)
            n[1]++;
        ft_output *to = m ? out : fail;
        if (!to)
            continue;
        size_t len;
        const uint8_t *enc = ft_reader_encoded(in, &len);
        if ((enc ? ft_output_put_encoded(to, enc, len, err)
                 : ft_output_put(to, &rec, err)) < 0)
            return -1;
    }
    return rc;
}

static void free_filters(filter_src *fs, int n)
{
    for (int i = 0; i < n; i++)
        free(fs[i].text);
    free(fs);
}

static int is_stdout(const char *path)
{
    return !path || strcmp(path, "-") == 0;
}

int main(int argc, char **argv)
{
    ft_output_opts oo;
    ft_dataset_spec ds;
    ft_error err;
    int count_only = 0, intersect = 0, dump_only = 0;
    const char *fail_path = NULL, *from_arg = NULL, *to_arg = NULL;
    /* every -e/-f uses an argument, so argc bounds the number of filters */
    filter_src *fs = calloc((size_t)argc + 3, sizeof *fs);
    int nfs = 0, nexpr = 0;

    ft_cli_init(argv[0]);
    if (!fs)
        ft_die(FT_EXIT_DATA, "out of memory");
    ft_output_opts_init(&oo);
    ft_dataset_spec_init(&ds);
    int c;
    while ((c = getopt_long(argc, argv, "e:f:F:w:h", longopts, NULL)) != -1) {
        int rc = ft_output_parse_opt(&oo, c, optarg, &err);
        if (rc < 0)
            ft_usage_error("%s", err.msg);
        if (rc > 0)
            continue;
        /* --from/--to are also compiled into the filter (--dump-filter). */
        if (c == FT_OPT_FROM)
            from_arg = optarg;
        if (c == FT_OPT_TO)
            to_arg = optarg;
        rc = ft_dataset_parse_opt(&ds, c, optarg, &err);
        if (rc < 0)
            ft_usage_error("%s", err.msg);
        if (rc > 0)
            continue;
        switch (c) {
        case 'e':
            fs[nfs].name = "expression";
            fs[nfs].is_e = 1;
            if (!(fs[nfs++].text = strdup(optarg)))
                ft_die(FT_EXIT_DATA, "out of memory");
            nexpr++;
            break;
        case 'f':
            fs[nfs].name = optarg;
            fs[nfs++].text = read_filter_file(optarg);
            break;
        case OPT_COUNT:
            count_only = 1;
            break;
        case OPT_FAIL:
            fail_path = optarg;
            break;
        case OPT_INTERSECT:
            intersect = 1;
            break;
        case OPT_DUMP:
            dump_only = 1;
            break;
        case OPT_HELP_FIELDS:
            free_filters(fs, nfs);
            ft_print_fields(stdout);
            return ft_close_stdout(FT_EXIT_OK);
        case 'h':
            free_filters(fs, nfs);
            usage();
            return ft_close_stdout(FT_EXIT_OK);
        case OPT_VERSION:
            ft_version_exit();
        default:
            free_filters(fs, nfs);
            fprintf(stderr, "Try '%s --help'.\n", ft_prog());
            return FT_EXIT_USAGE;
        }
    }
    if (nfs == 0) {
        if (optind >= argc)
            ft_usage_error("no expression given");
        fs[nfs].name = "expression";
        if (!(fs[nfs++].text = strdup(argv[optind++])))
            ft_die(FT_EXIT_DATA, "out of memory");
    }
    ft_cli_dataset_setup(&ds, argc - optind);
    /* Several -e: say which one an error is in. */
    if (nexpr > 1) {
        for (int i = 0, k = 0; i < nfs; i++) {
            if (!fs[i].is_e)
                continue;
            snprintf(fs[i].label, sizeof fs[i].label, "expression %d", ++k);
            fs[i].name = fs[i].label;
        }
    }
    if (intersect && nfs < 2)
        ft_usage_error("--intersect needs at least two filters (-e or -f)");
    if (intersect && fail_path)
        ft_usage_error("--fail cannot be combined with --intersect");
    if (intersect && is_stdout(oo.path) && oo.format != FT_FMT_AUTO &&
        oo.format != FT_FMT_TEXT && oo.format != FT_FMT_CSV &&
        oo.format != FT_FMT_JSON)
        ft_usage_error("--intersect prints its counts as text, csv or json "
                       "(records go to -w FILE)");
    if (fail_path && is_stdout(fail_path) &&
        (count_only || is_stdout(oo.path)))
        ft_usage_error("--fail -: standard output is already in use");
    if (fail_path && !is_stdout(oo.path) && strcmp(fail_path, oo.path) == 0)
        ft_usage_error("--fail and -w name the same file");

    /* Compile everything before any data is read.  The filter is the time
     * range (cheapest first) and the first filter; with --intersect the
     * others form a second program run only on baseline records. */
    ft_expr *filter = compile_all(fs, 0, intersect ? 1 : nfs);
    ft_expr *range = time_range(from_arg, to_arg);
    if (range) {
        if (ft_expr_and(range, filter, &err) < 0)
            ft_die(FT_EXIT_DATA, "%s", err.msg);
        filter = range;
    }
    ft_expr *rest = intersect ? compile_all(fs, 1, nfs) : NULL;
    free_filters(fs, nfs);
    if (dump_only) {
        dump(intersect ? "baseline:" : NULL, filter);
        if (rest)
            dump("intersection (baseline records only):", rest);
        ft_expr_free(filter);
        ft_expr_free(rest);
        return ft_close_stdout(FT_EXIT_OK);
    }

    ft_reader *in = ft_reader_open_spec(&ds, argc - optind, argv + optind, &err);
    if (!in)
        ft_die(FT_EXIT_DATA, "%s", err.msg);
    ft_output *out = NULL, *fail = NULL;
    int records_out = !(count_only || intersect) || !is_stdout(oo.path);
    if (records_out && !(out = ft_output_open(&oo, &err)))
        ft_die(FT_EXIT_DATA, "%s", err.msg);
    /* Only counting: decode only what the filters read. */
    if (!records_out && !fail_path)
        ft_reader_set_fields(in, ft_expr_fields(filter) |
                                 (rest ? ft_expr_fields(rest) : 0));
    if (fail_path) {
        ft_output_opts fo = oo;
        fo.path = fail_path;
        if (!(fail = ft_output_open(&fo, &err))) {
            ft_output_abort(out);
            ft_die(FT_EXIT_DATA, "%s", err.msg);
        }
    }
    /* Records written as Avro or framed are copied as they were read
     * (when their input is in FT4's schema): decode only what the filters
     * read. */
    if ((out || fail) && (!out || ft_output_copies_encoded(out)) &&
        (!fail || ft_output_copies_encoded(fail)))
        ft_reader_set_encoded(in, ft_expr_fields(filter) |
                                  (rest ? ft_expr_fields(rest) : 0));

    uint64_t n[2] = {0, 0};
    int status = FT_EXIT_OK;
    if (filter_records(in, filter, rest, out, fail, n, &err) < 0) {
        ft_warn("%s", err.msg);
        ft_output_abort(out);
        ft_output_abort(fail);
        status = FT_EXIT_DATA;
    } else if (out && ft_output_close(out, &err) < 0) {
        ft_warn("%s", err.msg);
        ft_output_abort(fail);
        status = FT_EXIT_DATA;
    } else if (fail && ft_output_close(fail, &err) < 0) {
        ft_warn("%s", err.msg);
        status = FT_EXIT_DATA;
    }
    ft_reader_close(in);
    ft_expr_free(filter);
    ft_expr_free(rest);
    if (status == FT_EXIT_OK && intersect)
        print_counts(&oo, n[0], n[1]);
    else if (status == FT_EXIT_OK && count_only)
        printf("%" PRIu64 "\n", n[1]);
    return ft_close_stdout(status);
}
