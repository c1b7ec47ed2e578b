/* ft-series - per-interval packets, flows and distinct sources, networks
 * and ASes of FT4 records. See ft-series(1). */
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
#include "partial.h"
#include "reader.h"
#include "series.h"

enum {
    OPT_INTERVAL = FT_OPT_PARTIAL_LAST, OPT_VERSION
};

static const struct option longopts[] = {
    {"expression", required_argument, NULL, 'e'},
    {"bin", required_argument, NULL, 'b'},
    {"interval", required_argument, NULL, OPT_INTERVAL},
    {"label", required_argument, NULL, 'l'},
    {"metric", required_argument, NULL, 'm'},
    {"format", required_argument, NULL, 'F'},
    {"write", required_argument, NULL, 'w'},
    {"time-format", required_argument, NULL, FT_OPT_TIME_FORMAT},
    {"no-header", no_argument, NULL, FT_OPT_NO_HEADER},
    FT_PARTIAL_LONGOPTS,
    FT_DATASET_LONGOPTS,
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

static void usage(void)
{
    printf("Usage: ft-series [OPTIONS] [FILE...]\n"
           "       ft-series --merge [OPTIONS] [PARTIAL...]\n"
           "One row per interval (or per --bin): packets, flows and the exact\n"
           "numbers of distinct source addresses, destination networks and\n"
           "origin ASes (prefix2asn 0, unknown, is not counted).  Reads Avro\n"
           "files or framed streams (gzip allowed); stdin when no FILE or\n"
           "FILE is -.\n"
           "\n"
           "  -e, --expression EXPR count only records matching EXPR (ft-filter's\n"
           "                        language); several are ANDed\n"
           "  -b, --bin SECS        rows per SECS-second bin aligned to the epoch\n"
           "                        (a multiple of the interval; default: one\n"
           "                        row per distinct time)\n"
           "      --interval SECS   the records' interval, checked with --bin\n"
           "                        (default 300)\n"
           "  -l, --label KEY       series key, e.g. dustdemo.130net: a `key`\n"
           "                        column, the Graphite metric prefix\n"
           "  -m, --metric LIST     only these of pkt_cnt, flows, src_ips,\n"
           "                        dst_nets, asns (default: all)\n"
           "  -F, --format FMT      text (default), csv, json (JSON lines),\n"
           "                        graphite (needs --label) or svg (a chart)\n"
           "  -w, --write FILE      write to FILE (appears only when complete)\n"
           "      --time-format F   text/csv/json: epoch (default) or iso\n"
           "      --no-header       text/csv: no header line\n"
           "%s"
           "  -h, --help            this help\n"
           "      --version         print the version\n"
           "%s",
           ft_partial_help, ft_dataset_help);
}

typedef struct opts {
    ft_cli_counting c; /* -e, --partial, --merge */
    int64_t bin, interval;
    int have_bin;
    ft_series_out so;
    ft_dataset_spec ds;
    ft_output_opts vo; /* time format, no_header and path */
} opts;

static void parse_metrics(const char *list, unsigned *mask)
{
    char buf[256];
    if (strlen(list) >= sizeof buf)
        ft_usage_error("--metric: '%s': too long", list);
    strcpy(buf, list);
    for (char *save = NULL, *m = strtok_r(buf, ",", &save); m;
         m = strtok_r(NULL, ",", &save)) {
        int id = ft_series_metric_lookup(m);
        if (id < 0)
            ft_usage_error("--metric: unknown metric '%s' (use pkt_cnt, flows, "
                           "src_ips, dst_nets or asns)", m);
        *mask |= 1u << id;
    }
    if (!*mask)
        ft_usage_error("--metric: '%s': no metric", list);
}

static void check_label(const char *s)
{
    if (!*s || strlen(s) > 255)
        ft_usage_error("--label: must be 1 to 255 characters");
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f)
            ft_usage_error("--label: '%s': no spaces or control characters "
                           "(it is a Graphite path)", s);
}

static void parse_args(int argc, char **argv, opts *o)
{
    ft_error err;
    int c;
    o->interval = 300;
    while ((c = getopt_long(argc, argv, "e:b:l:m:F:w:h", longopts, NULL)) != -1) {
        int rc = ft_dataset_parse_opt(&o->ds, c, optarg, &err);
        if (rc < 0)
            ft_usage_error("%s", err.msg);
        if (rc > 0 || ft_cli_counting_opt(&o->c, c, optarg))
            continue;
        switch (c) {
        case 'b':
            if (ft_parse_int(optarg, 1, INT32_MAX, &o->bin, &err) < 0)
                ft_usage_error("--bin: %s", err.msg);
            o->have_bin = 1;
            break;
        case OPT_INTERVAL:
            if (ft_parse_int(optarg, 1, INT32_MAX, &o->interval, &err) < 0)
                ft_usage_error("--interval: %s", err.msg);
            break;
        case 'l':
            check_label(optarg);
            o->so.label = optarg;
            break;
        case 'm':
            parse_metrics(optarg, &o->so.metrics);
            break;
        case 'F':
            if (ft_series_format_parse(optarg, &o->so.fmt) < 0)
                ft_usage_error("--format: '%s': use text, csv, json, graphite or svg",
                               optarg);
            break;
        case 'w':
        case FT_OPT_TIME_FORMAT:
        case FT_OPT_NO_HEADER:
            if (ft_output_parse_opt(&o->vo, c, optarg, &err) < 0)
                ft_usage_error("%s", err.msg);
            break;
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
    if (o->so.fmt == FT_SERIES_GRAPHITE && !o->so.label && !o->c.partial)
        ft_usage_error("--format graphite needs --label KEY");
    if (o->have_bin && o->bin % o->interval != 0)
        ft_usage_error("--bin %" PRId64 ": not a multiple of the %" PRId64
                       " s interval (see --interval)", o->bin, o->interval);
    o->so.vo = &o->vo;
    ft_cli_counting_check(&o->c, &o->ds);
    ft_cli_dataset_setup(&o->ds, argc - optind);
}

static int add_record(void *s, const ft4_record *r, ft_error *err)
{
    return ft_series_add(s, r, err);
}

static ft_series *count_inputs(const opts *o, int n, char **paths)
{
    ft_error err;
    ft_series *s = ft_series_new(o->have_bin ? o->bin : 0, o->interval, &err);
    if (!s)
        ft_usage_error("%s", err.msg);
    /* what ft_series_add reads (all of it, whatever --metric shows: its
     * checks of each value stay the same) */
    uint32_t reads = FT4_FIELD_BIT(FT4_F_TIME) | FT4_FIELD_BIT(FT4_F_PACKET_CNT) |
                     FT4_FIELD_BIT(FT4_F_SRC_IP) | FT4_FIELD_BIT(FT4_F_DST_NET) |
                     FT4_FIELD_BIT(FT4_F_PREFIX2ASN);
    if (ft_partial_add_records(&o->ds, o->c.where, reads, n, paths, add_record, s,
                               &err) < 0)
        ft_die(FT_EXIT_DATA, "%s", err.msg);
    return s;
}

/* Adds up partial files; --bin, when given, must match them. */
static ft_series *merge_inputs(const opts *o, int n, char **paths)
{
    ft_error err;
    ft_series *s = NULL;
    /* A partial's grid was checked when it was made: interval = bin. */
    if (o->have_bin && !(s = ft_series_new(o->bin, o->bin, &err)))
        ft_usage_error("%s", err.msg);
    if (ft_series_merge_files(&s, n, paths, &err) < 0)
        ft_die(FT_EXIT_DATA, "%s", err.msg);
    return s;
}

typedef struct job {
    const opts *o;
    ft_series *s;
} job;

static int write_out(void *ctx, ft_sink *out, ft_error *err)
{
    const job *j = ctx;
    if (j->o->c.partial)
        return ft_series_write_partial(j->s, out, err);
    return ft_series_write(j->s, &j->o->so, out, err);
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
    ft_series_free(j.s);
    ft_expr_free(o.c.where);
    return ft_close_stdout(FT_EXIT_OK);
}
