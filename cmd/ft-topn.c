/* ft-topn - top values of FT4 fields, by flows, packets or destination
 * addresses. See ft-topn(1). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "dataset.h"
#include "expr.h"
#include "msg.h"
#include "output.h"
#include "parse.h"
#include "partial.h"
#include "reader.h"
#include "table.h"
#include "topn.h"

enum {
    OPT_BY = FT_OPT_PARTIAL_LAST, OPT_NO_OTHER, OPT_HELP_FIELDS, OPT_VERSION
};

static const struct option longopts[] = {
    {"expression", required_argument, NULL, 'e'},
    {"key", required_argument, NULL, 'k'},
    {"top", required_argument, NULL, 'n'},
    {"by", required_argument, NULL, OPT_BY},
    {"no-other", no_argument, NULL, OPT_NO_OTHER},
    {"format", required_argument, NULL, 'F'},
    {"write", required_argument, NULL, 'w'},
    {"ip-format", required_argument, NULL, FT_OPT_IP_FORMAT},
    {"time-format", required_argument, NULL, FT_OPT_TIME_FORMAT},
    {"no-header", no_argument, NULL, FT_OPT_NO_HEADER},
    FT_PARTIAL_LONGOPTS,
    FT_DATASET_LONGOPTS,
    {"help", no_argument, NULL, 'h'},
    {"help-fields", no_argument, NULL, OPT_HELP_FIELDS},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

static void usage(void)
{
    printf("Usage: ft-topn -k FIELD[,FIELD...] [OPTIONS] [FILE...]\n"
           "       ft-topn --merge [OPTIONS] [PARTIAL...]\n"
           "Rank the values of FT4 fields by flows, packets or destination\n"
           "addresses, with each row's share of the total; the rest is summed\n"
           "into one Other row.  Reads Avro files or framed streams (gzip\n"
           "allowed); stdin when no FILE or FILE is -.\n"
           "\n"
           "  -e, --expression EXPR count only records matching EXPR (ft-filter's\n"
           "                        language); several are ANDed\n"
           "  -k, --key LIST        group by these fields (a,b: composite key)\n"
           "  -n, --top N           rows before the Other row (default 10;\n"
           "                        0: every value, no Other row)\n"
           "      --by WEIGHT       flows (each record 1, default), packets\n"
           "                        (packet_cnt) or dst_ips (uniq_dst_ips)\n"
           "      --no-other        leave out the Other row\n"
           "  -F, --format FMT      text (default), csv or json (JSON lines)\n"
           "  -w, --write FILE      write to FILE (appears only when complete)\n"
           "      --ip-format F     key addresses dotted (default) or int\n"
           "      --time-format F   key times epoch (default) or iso\n"
           "      --no-header       text/csv: no header line\n"
           "%s"
           "      --help-fields     list the field names\n"
           "  -h, --help            this help\n"
           "      --version         print the version\n"
           "%s",
           ft_partial_help, ft_dataset_help);
}

typedef struct opts {
    ft_cli_counting c; /* -e, --partial, --merge */
    int fields[FT4_F_COUNT], nfields;
    int have_by;
    enum ft_topn_by by;
    int64_t top;
    int no_other;
    enum ft_table_format fmt;
    ft_dataset_spec ds;
    ft_output_opts vo; /* only ip/time formats, no_header and path */
} opts;

static void parse_args(int argc, char **argv, opts *o)
{
    ft_error err;
    int c;
    o->top = 10;
    while ((c = getopt_long(argc, argv, "e:k:n:F:w:h", longopts, NULL)) != -1) {
        int rc = ft_dataset_parse_opt(&o->ds, c, optarg, &err);
        if (rc < 0)
            ft_usage_error("%s", err.msg);
        if (rc > 0 || ft_cli_counting_opt(&o->c, c, optarg))
            continue;
        switch (c) {
        case 'k':
            if (ft4_parse_field_list(optarg, o->fields, &o->nfields, &err) < 0)
                ft_usage_error("--key: %s", err.msg);
            break;
        case 'n':
            if (ft_parse_int(optarg, 0, INT64_MAX, &o->top, &err) < 0)
                ft_usage_error("--top: %s", err.msg);
            break;
        case OPT_BY:
            if (ft_topn_by_parse(optarg, &o->by) < 0)
                ft_usage_error("--by: '%s': use flows, packets or dst_ips", optarg);
            o->have_by = 1;
            break;
        case 'F':
            if (ft_table_format_parse(optarg, &o->fmt) < 0)
                ft_usage_error("--format: '%s': use text, csv or json", optarg);
            break;
        case 'w':
        case FT_OPT_IP_FORMAT:
        case FT_OPT_TIME_FORMAT:
        case FT_OPT_NO_HEADER:
            if (ft_output_parse_opt(&o->vo, c, optarg, &err) < 0)
                ft_usage_error("%s", err.msg);
            break;
        case OPT_NO_OTHER: o->no_other = 1; break;
        case OPT_HELP_FIELDS:
            ft_print_fields(stdout);
            exit(ft_close_stdout(FT_EXIT_OK));
        case 'h':
            usage();
            exit(ft_close_stdout(FT_EXIT_OK));
        case OPT_VERSION:
            ft_version_exit();
        default:
            fprintf(stderr, "Try '%s --help'.\n", ft_prog());
            exit(FT_EXIT_USAGE);
        }
    }
    if (!o->c.merge && o->nfields == 0)
        ft_usage_error("no key: give -k FIELD[,FIELD...]");
    if (o->c.merge && o->nfields == 0 && o->have_by)
        ft_usage_error("--by with --merge needs -k as well (or neither)");
    ft_cli_counting_check(&o->c, &o->ds);
    ft_cli_dataset_setup(&o->ds, argc - optind);
}

static int add_record(void *t, const ft4_record *r, ft_error *err)
{
    return ft_topn_add(t, r, err);
}

/* Counts every record of the inputs. */
static ft_topn *count_inputs(const opts *o, int n, char **paths)
{
    ft_error err;
    ft_topn *t = ft_topn_new(o->fields, o->nfields, o->by, &err);
    if (!t)
        ft_usage_error("--key: %s", err.msg);
    /* ft_topn_add reads the key and the weight only */
    uint32_t reads = o->by == FT_TOPN_PACKETS   ? FT4_FIELD_BIT(FT4_F_PACKET_CNT)
                     : o->by == FT_TOPN_DST_IPS ? FT4_FIELD_BIT(FT4_F_UNIQ_DST_IPS)
                                                : 0;
    for (int i = 0; i < o->nfields; i++)
        reads |= FT4_FIELD_BIT(o->fields[i]);
    if (ft_partial_add_records(&o->ds, o->c.where, reads, n, paths, add_record, t,
                               &err) < 0)
        ft_die(FT_EXIT_DATA, "%s", err.msg);
    return t;
}

/* Adds up partial files; -k/--by, when given, must match them. */
static ft_topn *merge_inputs(const opts *o, int n, char **paths)
{
    ft_error err;
    ft_topn *t = NULL;
    if (o->nfields && !(t = ft_topn_new(o->fields, o->nfields, o->by, &err)))
        ft_usage_error("--key: %s", err.msg);
    if (ft_topn_merge_files(&t, n, paths, &err) < 0)
        ft_die(FT_EXIT_DATA, "%s", err.msg);
    return t;
}

typedef struct job {
    const opts *o;
    ft_topn *t;
} job;

static int write_out(void *ctx, ft_sink *out, ft_error *err)
{
    const job *j = ctx;
    if (j->o->c.partial)
        return ft_topn_write_partial(j->t, out, err);
    ft_table *tab = ft_topn_result(j->t, (size_t)j->o->top, j->o->no_other, j->o->fmt,
                                   j->o->vo.no_header, &j->o->vo, err);
    int rc = tab ? ft_table_write(tab, out, err) : -1;
    ft_table_free(tab);
    return rc;
}

int main(int argc, char **argv)
{
    opts o = {0};
    ft_error err;
    ft_cli_init(argv[0]);
    ft_output_opts_init(&o.vo);
    ft_dataset_spec_init(&o.ds);
    parse_args(argc, argv, &o);

    job j = {&o, o.c.merge ? merge_inputs(&o, argc - optind, argv + optind)
                         : count_inputs(&o, argc - optind, argv + optind)};
    if (ft_partial_write_result(o.vo.path, o.c.partial, write_out, &j, &err) < 0)
        ft_die(FT_EXIT_DATA, "%s", err.msg);
    ft_topn_free(j.t);
    ft_expr_free(o.c.where);
    return ft_close_stdout(FT_EXIT_OK);
}
