/* ft-aggregate - packets to FT4 records. See ft-aggregate(1). */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aggregator.h"
#include "cli.h"
#include "geo_tags.h"
#include "msg.h"
#include "output.h"
#include "parse.h"
#include "packet_reader.h"
#include "pcap_source.h"

enum {
    OPT_INTERVAL = FT_OPT_OUTPUT_LAST, OPT_DST_PREFIX, OPT_REORDER, OPT_QUIET,
    OPT_VERSION, OPT_MAXMIND, OPT_NETACQ, OPT_PFX2AS, OPT_MAX_MEMORY
};

static const struct option longopts[] = {
    {"read", required_argument, NULL, 'r'},
    {"interface", required_argument, NULL, 'i'},
    {"snaplen", required_argument, NULL, 's'},
    {"no-promiscuous-mode", no_argument, NULL, 'p'},
    {"interval", required_argument, NULL, OPT_INTERVAL},
    {"dst-prefix", required_argument, NULL, OPT_DST_PREFIX},
    {"reorder", required_argument, NULL, OPT_REORDER},
    {"maxmind", required_argument, NULL, OPT_MAXMIND},
    {"netacq", required_argument, NULL, OPT_NETACQ},
    {"pfx2as", required_argument, NULL, OPT_PFX2AS},
    {"max-memory", required_argument, NULL, OPT_MAX_MEMORY},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    FT_OUTPUT_LONGOPTS,
    {NULL, 0, NULL, 0},
};

static void usage(void)
{
    printf("Usage: ft-aggregate [OPTIONS] [-r FILE]... [-i IFACE] [FILTER...]\n"
           "Aggregate IPv4 packets into FlowTuple v4 records: one record per\n"
           "(src_ip, dst_net, dst_port, protocol) per interval.\n"
           "\n"
           "Input:\n"
           "  -r, --read FILE       pcap or pcapng file, - for stdin; repeat to read\n"
           "                        several files in order as one stream\n"
           "  -i, --interface IFACE capture live from IFACE\n"
           "  -s, --snaplen N       live: bytes captured per packet (default 262144)\n"
           "  -p, --no-promiscuous-mode  live: do not put IFACE in promiscuous mode\n"
           "  FILTER                a BPF filter expression, as tcpdump takes it\n"
           "\n"
           "Aggregation:\n"
           "      --interval SECS   interval length (default 300)\n"
           "      --dst-prefix N    destination network mask, 16 or 24 (default 16)\n"
           "      --reorder SECS    how far a packet may lag the newest one and still\n"
           "                        land in its own interval (default 60)\n"
           "      --max-memory SIZE bound the memory of open intervals (e.g. 4G): over\n"
           "                        it, intervals are written early (see the man page)\n"
           "\n"
           "Tagging by source address (files may be gzip-compressed):\n"
           "      --maxmind FILE    maxmind_continent/country from a MaxMind DB (.mmdb,\n"
           "                        GeoIP2 or country_code layout) or a start,end,country\n"
           "                        CSV of ranges\n"
           "      --netacq FILE     netacq_continent/country, from the same kinds of file\n"
           "      --pfx2as FILE     prefix2asn from a RouteViews prefix2as file or a\n"
           "                        start,end,asn[,org] CSV; narrowest range wins\n"
           "\n"
           "Output (default: one stream to stdout):\n"
           "  -w, --write TEMPLATE  one file per interval; strftime conversions (UTC)\n"
           "                        and %%s for the interval start, e.g.\n"
           "                        'DIR/datasource=NAME/year=%%Y/month=%%m/day=%%d/hour=%%H/NAME_%%s.ft4.avro'\n"
           "  -F, --format FMT      avro, framed, text, csv or json\n"
           "      --codec, --level, --block-size, --fields, --ip-format,\n"
           "      --time-format, --no-header   as in ft-cat(1)\n"
           "      --quiet           no statistics or progress on stderr\n"
           "  -h, --help            this help\n"
           "      --version         print the version\n");
}

static ft_packet_reader *volatile live_reader;

/* First SIGINT/SIGTERM: make a blocked capture read return. */
static void break_capture(void)
{
    ft_packet_reader_break(live_reader);
}

static void print_progress(ft_packet_reader *pr, uint64_t packets, int nfiles)
{
    uint64_t done, total;
    int idx;
    if (ft_packet_reader_progress(pr, &done, &total, &idx) == 0 && total)
        fprintf(stderr, "\r%s: file %d/%d %3d%%, %" PRIu64 " packets ", ft_prog(),
                idx + 1, nfiles, (int)(done * 100 / total), packets);
    else
        fprintf(stderr, "\r%s: %" PRIu64 " packets ", ft_prog(), packets);
}

static void print_stats(const ft_agg_stats *s, uint64_t dropped, int live)
{
    fprintf(stderr,
            "%s: %" PRIu64 " packets read, %" PRIu64 " aggregated, %" PRIu64
            " not IPv4, %" PRIu64 " malformed, %" PRIu64 " truncated, %" PRIu64
            " late\n",
            ft_prog(), s->packets, s->aggregated, s->non_ipv4, s->malformed,
            s->truncated, s->late);
    fprintf(stderr,
            "%s: %" PRIu64 " records in %" PRIu64 " intervals, %" PRIu64
            " files written, peak %zu flows per interval, peak %.1f MiB\n",
            ft_prog(), s->records, s->intervals, s->files, s->peak_flows,
            (double)s->peak_memory / (1024.0 * 1024.0));
    if (s->early_closes || s->partial_flushes)
        fprintf(stderr,
                "%s: memory limit reached: %" PRIu64 " intervals written early, %"
                PRIu64 " partial writes of an interval\n",
                ft_prog(), s->early_closes, s->partial_flushes);
    if (live)
        fprintf(stderr, "%s: %" PRIu64 " packets dropped by the kernel\n",
                ft_prog(), dropped);
}

/* Loads the tag databases named on the command line (before any packet is
 * read, so a bad file stops the run at once); NULL when none is named. */
static ft_geo_tags *load_tags(const char *paths[3], int quiet)
{
    static const char *const opt[3] = {"--maxmind", "--netacq", "--pfx2as"};
    ft_error err;
    if (!paths[0] && !paths[1] && !paths[2])
        return NULL;
    ft_geo_tags *g = ft_geo_tags_new(&err);
    if (!g)
        ft_die(FT_EXIT_DATA, "%s", err.msg);
    for (int i = 0; i < 3; i++) {
        if (!paths[i])
            continue;
        int rc = i < 2 ? ft_geo_tags_load_country(g, (enum ft_geo_db)i,
                                                  paths[i], &err)
                       : ft_geo_tags_load_asn(g, paths[i], &err);
        if (rc < 0)
            ft_die(FT_EXIT_DATA, "%s", err.msg);
        if (!quiet)
            fprintf(stderr, "%s: %s %s: %s\n", ft_prog(), opt[i], paths[i],
                    i < 2 ? ft_geo_tags_describe_country(g, (enum ft_geo_db)i)
                          : ft_geo_tags_describe_asn(g));
    }
    return g;
}

/* Joins the trailing arguments into one filter expression, as tcpdump. */
static char *join_args(int n, char **v)
{
    size_t len = 1;
    for (int i = 0; i < n; i++)
        len += strlen(v[i]) + 1;
    char *s = malloc(len);
    if (!s)
        ft_die(FT_EXIT_DATA, "out of memory");
    s[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (i)
            strcat(s, " ");
        strcat(s, v[i]);
    }
    return s;
}

int main(int argc, char **argv)
{
    ft_error err;
    ft_agg_opts ao = {.interval = 300, .dst_prefix = 16, .reorder = 60};
    ft_pcap_opts po = {.snaplen = 262144, .promisc = 1, .timeout_ms = 1000};
    char **files = calloc((size_t)argc + 1, sizeof *files);
    int quiet = 0;
    const char *tag_paths[3] = {NULL, NULL, NULL}; /* maxmind, netacq, pfx2as */
    int64_t v;

    ft_cli_init(argv[0]);
    ft_output_opts_init(&ao.out);
    if (!files)
        ft_die(FT_EXIT_DATA, "out of memory");
    int c;
    while ((c = getopt_long(argc, argv, "+r:i:s:pw:F:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
            files[po.nfiles++] = optarg;
            continue;
        case 'i':
            po.iface = optarg;
            continue;
        case 's':
            if (ft_parse_int(optarg, 64, 262144, &v, &err) < 0)
                ft_usage_error("--snaplen: %s", err.msg);
            po.snaplen = (int)v;
            continue;
        case 'p':
            po.promisc = 0;
            continue;
        case 'w':
            ao.template = optarg;
            continue;
        case OPT_INTERVAL:
            if (ft_parse_int(optarg, 1, 86400 * 7, &v, &err) < 0)
                ft_usage_error("--interval: %s", err.msg);
            ao.interval = (int)v;
            continue;
        case OPT_DST_PREFIX:
            if (ft_parse_int(optarg, 16, 24, &v, &err) < 0 || (v != 16 && v != 24))
                ft_usage_error("--dst-prefix: '%s': use 16 or 24", optarg);
            ao.dst_prefix = (int)v;
            continue;
        case OPT_REORDER:
            if (ft_parse_int(optarg, 0, 86400, &v, &err) < 0)
                ft_usage_error("--reorder: %s", err.msg);
            ao.reorder = (int)v;
            continue;
        case OPT_QUIET:
            quiet = 1;
            continue;
        case OPT_MAX_MEMORY: {
            uint64_t u;
            if (ft_parse_size(optarg, 1 << 20, UINT64_MAX, &u, &err) < 0)
                ft_usage_error("--max-memory: %s", err.msg);
            ao.max_memory = (size_t)u;
            continue;
        }
        case OPT_MAXMIND:
        case OPT_NETACQ:
        case OPT_PFX2AS:
            tag_paths[c - OPT_MAXMIND] = optarg;
            continue;
        case 'h':
            usage();
            free(files);
            return ft_close_stdout(FT_EXIT_OK);
        case OPT_VERSION:
            ft_version_exit();
        }
        int rc = ft_output_parse_opt(&ao.out, c, optarg, &err);
        if (rc < 0)
            ft_usage_error("%s", err.msg);
        if (rc == 0) {
            fprintf(stderr, "Try '%s --help'.\n", ft_prog());
            free(files);
            return FT_EXIT_USAGE;
        }
    }
    if (po.iface && po.nfiles)
        ft_usage_error("-r and -i cannot be used together");
    if (optind < argc)
        po.filter = join_args(argc - optind, argv + optind);
    po.files = files;
    if (!po.iface && po.nfiles == 0)
        files[po.nfiles++] = "-";

    ft_geo_tags *tags = load_tags(tag_paths, quiet);
    if (tags) {
        ao.tag = ft_geo_tags_tag;
        ao.tag_ctx = tags;
    }

    int why;
    ft_pcap_source *src = ft_pcap_source_open(&po, &why, &err);
    if (!src) {
        if (why == FT_PCAP_ERR_USAGE)
            ft_usage_error("%s", err.msg);
        ft_die(FT_EXIT_DATA, "%s", err.msg);
    }
    int progress = !quiet && !po.iface && isatty(STDERR_FILENO);
    ft_packet_reader *pr = ft_packet_reader_new(src, progress, &err);
    if (!pr)
        ft_die(FT_EXIT_DATA, "%s", err.msg);
    live_reader = pr;
    ft_cli_graceful_stop(break_capture);

    ft_agg *agg = ft_agg_new(&ao, &err);
    if (!agg)
        ft_die(FT_EXIT_DATA, "%s", err.msg);

    time_t last_progress = time(NULL);
    int status = FT_EXIT_OK, rc = 0;
    const ft_parsed_packet *batch;
    size_t nbatch;
    uint64_t n = 0;
    while (!ft_stop_requested &&
           (rc = ft_packet_reader_next(pr, &batch, &nbatch, &err)) != 0) {
        if (rc < 0) {
            if (ft_stop_requested) /* the read was interrupted by the signal */
                rc = 0;
            break;
        }
        if (rc == 2) { /* live, quiet link: rotate on the wall clock */
            rc = ft_agg_tick(agg, (int64_t)time(NULL), &err);
        } else {
            rc = ft_agg_packets(agg, batch, nbatch, &err);
            uint64_t before = n;
            n += nbatch;
            if (progress && n >> 16 != before >> 16 && time(NULL) != last_progress) {
                last_progress = time(NULL);
                print_progress(pr, n, po.nfiles);
            }
        }
        if (rc < 0)
            break;
    }
    if (progress)
        fprintf(stderr, "\r\033[K");
    ft_agg_stats st = *ft_agg_get_stats(agg);
    uint64_t dropped = ft_pcap_source_dropped(src);
    if (rc < 0) {
        ft_warn("%s", err.msg);
        ft_agg_abort(agg);
        status = FT_EXIT_DATA;
    } else if (ft_agg_finish(agg, &st, &err) < 0) {
        ft_warn("%s", err.msg);
        status = FT_EXIT_DATA;
    }
    live_reader = NULL;
    ft_packet_reader_free(pr);
    ft_pcap_source_close(src);
    ft_geo_tags_free(tags);
    if (!quiet)
        print_stats(&st, dropped, po.iface != NULL);
    free(files);
    free((char *)po.filter);
    return ft_close_stdout(status);
}
