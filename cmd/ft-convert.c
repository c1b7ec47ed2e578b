/* ft-convert - FT2 and FT3 files to FT4 records. See ft-convert(1). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "converter.h"
#include "fetch.h"
#include "msg.h"
#include "output.h"
#include "parse.h"

enum {
    OPT_INTERVAL = FT_OPT_OUTPUT_LAST, OPT_DST_PREFIX, OPT_SLASH_EIGHT,
    OPT_QUIET, OPT_VERSION, OPT_HELP_FIELDS
};

static const struct option longopts[] = {
    {"input-version", required_argument, NULL, 'V'},
    {"interval", required_argument, NULL, OPT_INTERVAL},
    {"dst-prefix", required_argument, NULL, OPT_DST_PREFIX},
    {"slash-eight", required_argument, NULL, OPT_SLASH_EIGHT},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"help", no_argument, NULL, 'h'},
    {"help-fields", no_argument, NULL, OPT_HELP_FIELDS},
    {"version", no_argument, NULL, OPT_VERSION},
    FT_OUTPUT_LONGOPTS,
    {NULL, 0, NULL, 0},
};

static void usage(void)
{
    printf("Usage: ft-convert [OPTIONS] [FILE...]\n"
           "Convert corsaro FlowTuple files, FT2 (corsaro2 binary, gzip or plain)\n"
           "and FT3 (corsaro3 Avro), to FlowTuple v4 records; stdin when no FILE\n"
           "or FILE is -.  Inputs are merged in the order of their first interval.\n"
           "\n"
           "  -V, --input-version N  read every input as FT2 (2) or FT3 (3) instead\n"
           "                         of detecting the format from its first bytes\n"
           "      --interval SECS    FT4 interval length, a multiple of 60 (default 300)\n"
           "      --dst-prefix N     destination network mask, 16 or 24 (default 16)\n"
           "      --slash-eight N    first octet of the destinations of FT2 SIXT\n"
           "                         (/8-optimised) files, e.g. 44\n"
           "\n"
           "Output (default: one stream to stdout):\n"
           "  -w, --write TEMPLATE   one file per interval; strftime conversions (UTC)\n"
           "                         and %%s for the interval start; a name without\n"
           "                         any %% conversion gets all intervals\n"
           "  -F, --format FMT       avro, framed, text, csv or json\n"
           "      --codec, --level, --block-size, --fields, --ip-format,\n"
           "      --time-format, --no-header   as in ft-cat(1)\n"
           "      --quiet            no statistics on stderr\n"
           "      --help-fields      list the field names\n"
           "  -h, --help             this help\n"
           "      --version          print the version\n");
}

static int status = FT_EXIT_OK;

static void on_warn(void *ctx, const char *msg)
{
    (void)ctx;
    ft_warn("%s", msg);
    status = FT_EXIT_DATA;
}

static void print_stats(const ft_conv_stats *s)
{
    fprintf(stderr,
            "%s: %" PRIu64 " inputs (%" PRIu64 " with errors), %" PRIu64
            " records of %" PRIu64 " packets read, %" PRIu64 " late\n",
            ft_prog(), s->inputs, s->input_errors, s->source_records,
            s->packets, s->late_records);
    fprintf(stderr,
            "%s: %" PRIu64 " records in %" PRIu64 " intervals written, %" PRIu64
            " intervals not written, %" PRIu64 " files\n",
            ft_prog(), s->records, s->intervals, s->dropped, s->files);
}

int main(int argc, char **argv)
{
    ft_error err;
    ft_conv_opts co = {.interval = 300, .dst_prefix = 16, .slash_eight = -1,
                       .warn = on_warn};
    int quiet = 0;
    int64_t v;

    ft_cli_init(argv[0]);
    ft_output_opts_init(&co.out);
    int c;
    while ((c = getopt_long(argc, argv, "V:w:F:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'V':
            if (strcmp(optarg, "2") != 0 && strcmp(optarg, "3") != 0)
                ft_usage_error("--input-version: '%s': use 2 or 3", optarg);
            co.version = optarg[0] - '0';
            continue;
        case 'w':
            co.template = optarg;
            continue;
        case OPT_INTERVAL:
            if (ft_parse_int(optarg, 1, 86400 * 7, &v, &err) < 0)
                ft_usage_error("--interval: %s", err.msg);
            if (v % FT_CONV_SOURCE_INTERVAL != 0)
                ft_usage_error("--interval: %lld is not a multiple of the "
                               "source interval (%d s)", (long long)v,
                               FT_CONV_SOURCE_INTERVAL);
            co.interval = (int)v;
            continue;
        case OPT_DST_PREFIX:
            if (ft_parse_int(optarg, 16, 24, &v, &err) < 0 || (v != 16 && v != 24))
                ft_usage_error("--dst-prefix: '%s': use 16 or 24", optarg);
            co.dst_prefix = (int)v;
            continue;
        case OPT_SLASH_EIGHT:
            if (ft_parse_int(optarg, 0, 255, &v, &err) < 0)
                ft_usage_error("--slash-eight: %s", err.msg);
            co.slash_eight = (int)v;
            continue;
        case OPT_QUIET:
            quiet = 1;
            continue;
        case OPT_HELP_FIELDS:
            ft_print_fields(stdout);
            return ft_close_stdout(FT_EXIT_OK);
        case 'h':
            usage();
            return ft_close_stdout(FT_EXIT_OK);
        case OPT_VERSION:
            ft_version_exit();
        }
        int rc = ft_output_parse_opt(&co.out, c, optarg, &err);
        if (rc < 0)
            ft_usage_error("%s", err.msg);
        if (rc == 0) {
            fprintf(stderr, "Try '%s --help'.\n", ft_prog());
            return FT_EXIT_USAGE;
        }
    }
    /* A -w name without conversions is one file for everything. */
    if (co.template && !strchr(co.template, '%')) {
        co.out.path = co.template;
        co.template = NULL;
    }

    ft_conv *conv = ft_conv_new(&co, &err);
    if (!conv)
        ft_die(FT_EXIT_DATA, "%s", err.msg);
    char *stdin_only[] = {"-"};
    char **paths = optind < argc ? argv + optind : stdin_only;
    int npaths = optind < argc ? argc - optind : 1;
    /* swift://C/PREFIX/ and s3://B/PREFIX/ stand for their objects; the
     * converter keeps pointers to these names until it finishes. */
    ft_fetch_names inputs = {0};
    if (ft_fetch_expand(npaths, paths, &inputs, &err) < 0) {
        ft_conv_abort(conv);
        ft_die(FT_EXIT_DATA, "%s", err.msg);
    }
    paths = inputs.v;
    npaths = (int)inputs.n;
    for (int i = 0; i < npaths; i++) {
        int rc = ft_conv_add(conv, paths[i], &err);
        if (rc == -2) {
            ft_conv_abort(conv);
            ft_usage_error("%s", err.msg);
        }
        if (rc < 0)
            on_warn(NULL, err.msg);
    }
    ft_conv_stats st = {0};
    if (ft_conv_run(conv, &err) < 0) {
        ft_warn("%s", err.msg);
        ft_conv_abort(conv);
        ft_fetch_names_free(&inputs);
        return ft_close_stdout(FT_EXIT_DATA);
    }
    if (ft_conv_finish(conv, &st, &err) < 0) {
        ft_warn("%s", err.msg);
        status = FT_EXIT_DATA;
    }
    ft_fetch_names_free(&inputs);
    if (!quiet)
        print_stats(&st);
    return ft_close_stdout(status);
}
