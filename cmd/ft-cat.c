/* ft-cat - print, count or re-encode FT4 records. See ft-cat(1). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "dataset.h"
#include "msg.h"
#include "output.h"
#include "parse.h"
#include "reader.h"

enum { OPT_COUNT = FT_OPT_OUTPUT_LAST, OPT_HELP_FIELDS, OPT_VERSION };

static const struct option longopts[] = {
    {"limit", required_argument, NULL, 'n'},
    {"count", no_argument, NULL, OPT_COUNT},
    {"help", no_argument, NULL, 'h'},
    {"help-fields", no_argument, NULL, OPT_HELP_FIELDS},
    {"version", no_argument, NULL, OPT_VERSION},
    FT_OUTPUT_LONGOPTS,
    FT_DATASET_LONGOPTS,
    {NULL, 0, NULL, 0},
};

static void usage(void)
{
    printf("Usage: ft-cat [OPTIONS] [FILE...]\n"
           "Print, count or re-encode FT4 records from Avro files or framed\n"
           "streams (gzip allowed); stdin when no FILE or FILE is -.\n"
           "\n"
           "  -n, --limit N         stop after N records\n"
           "      --count           print only the number of records\n"
           "      --help-fields     list the field names\n"
           "  -h, --help            this help\n"
           "      --version         print the version\n"
           "%s\n%s", ft_dataset_help, ft_output_help);
}

int main(int argc, char **argv)
{
    ft_output_opts oo;
    ft_dataset_spec ds;
    ft_error err;
    int64_t limit = -1;
    int count_only = 0;

    ft_cli_init(argv[0]);
    ft_output_opts_init(&oo);
    ft_dataset_spec_init(&ds);
    int c;
    while ((c = getopt_long(argc, argv, "n:F:w:h", longopts, NULL)) != -1) {
        int rc = ft_output_parse_opt(&oo, c, optarg, &err);
        if (rc < 0)
            ft_usage_error("%s", err.msg);
        if (rc > 0)
            continue;
        rc = ft_dataset_parse_opt(&ds, c, optarg, &err);
        if (rc < 0)
            ft_usage_error("%s", err.msg);
        if (rc > 0)
            continue;
        switch (c) {
        case 'n':
            if (ft_parse_int(optarg, 0, INT64_MAX, &limit, &err) < 0)
                ft_usage_error("--limit: %s", err.msg);
            break;
        case OPT_COUNT:
            count_only = 1;
            break;
        case OPT_HELP_FIELDS:
            ft_print_fields(stdout);
            return ft_close_stdout(FT_EXIT_OK);
        case 'h':
            usage();
            return ft_close_stdout(FT_EXIT_OK);
        case OPT_VERSION:
            ft_version_exit();
        default:
            fprintf(stderr, "Try '%s --help'.\n", ft_prog());
            return FT_EXIT_USAGE;
        }
    }

    ft_cli_dataset_setup(&ds, argc - optind);
    ft_reader *in = ft_reader_open_spec(&ds, argc - optind, argv + optind, &err);
    if (!in)
        ft_die(FT_EXIT_DATA, "%s", err.msg);
    /* Counting reads no field (the reader adds time for a range), but
     * every record is still checked as fully. */
    if (count_only)
        ft_reader_set_fields(in, 0);
    ft_output *out = NULL;
    if (!count_only && !(out = ft_output_open(&oo, &err)))
        ft_die(FT_EXIT_DATA, "%s", err.msg);

    /* Avro or framed output copies each record's bytes as they were read
     * (when its input is in FT4's schema): decode none of its fields. */
    if (out && ft_output_copies_encoded(out))
        ft_reader_set_encoded(in, 0);

    static ft4_record rec;
    uint64_t n = 0;
    int status = FT_EXIT_OK, rc = 0;
    while ((limit < 0 || n < (uint64_t)limit) &&
           (rc = ft_reader_next(in, &rec, &err)) == 1) {
        size_t len;
        const uint8_t *enc = ft_reader_encoded(in, &len);
        if (out && (enc ? ft_output_put_encoded(out, enc, len, &err)
                        : ft_output_put(out, &rec, &err)) < 0) {
            rc = -1;
            break;
        }
        n++;
    }
    if (rc < 0) {
        ft_warn("%s", err.msg);
        ft_output_abort(out);
        status = FT_EXIT_DATA;
    } else if (out && ft_output_close(out, &err) < 0) {
        ft_warn("%s", err.msg);
        status = FT_EXIT_DATA;
    }
    ft_reader_close(in);
    if (count_only && status == FT_EXIT_OK)
        printf("%" PRIu64 "\n", n);
    return ft_close_stdout(status);
}
