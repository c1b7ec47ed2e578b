/* ft-fetch - verified downloads and listings of store objects; also the
 * back end of every reading tool for swift:// addresses (fetch.h).  See
 * ft-fetch(1). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "msg.h"
#include "parse.h"
#include "s3.h"
#include "sink.h"
#include "swift.h"

enum { OPT_RETRIES = 0x100, OPT_CACERT, OPT_VERSION };

static const struct option longopts[] = {
    {"output", required_argument, NULL, 'o'},
    {"list", no_argument, NULL, 'l'},
    {"delimiter", required_argument, NULL, 'd'},
    {"null", no_argument, NULL, '0'},
    {"retries", required_argument, NULL, OPT_RETRIES},
    {"cacert", required_argument, NULL, OPT_CACERT},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

static void usage(void)
{
    printf("Usage: ft-fetch [OPTIONS] URL...\n"
           "       ft-fetch --list [--delimiter C] URL...\n"
           "Write store objects (swift://CONTAINER/OBJECT, s3://BUCKET/KEY; a URL\n"
           "ending in / means every object under that prefix, in name order) to\n"
           "stdout, each verified against its MD5 as it streams; or list object\n"
           "addresses.  Credentials come from the environment only, as for\n"
           "ft-upload (see ft-fetch(1)).\n"
           "\n"
           "  -o, --output FILE     write to FILE instead (it appears only when\n"
           "                        complete and verified)\n"
           "  -l, --list            print the address of every object whose name\n"
           "                        starts with URL's object part, one a line\n"
           "  -d, --delimiter C     with --list: one level only; names that go on\n"
           "                        past the next C are listed once, ending in C\n"
           "  -0, --null            with --list: end addresses with a NUL byte\n"
           "      --retries N       retries after connection errors, timeouts,\n"
           "                        408, 429 and 5xx answers (default 5); a cut\n"
           "                        download resumes where it stopped\n"
           "      --cacert FILE     trust the CA certificates in FILE for TLS\n"
           "  -q, --quiet           no retry notes\n"
           "  -h, --help            this help\n"
           "      --version         print the version\n");
}

/* ---- the stores, by scheme ------------------------------------------ */

static ft_http_store *const stores[] = {&ft_swift_store, &ft_s3_store};
#define NSTORES (sizeof stores / sizeof *stores)
static int used[NSTORES]; /* named by an argument */

/* The index in stores[] of url's scheme, or -1. */
static int store_of(const char *url)
{
    for (size_t i = 0; i < NSTORES; i++)
        if (strncmp(url, stores[i]->scheme, strlen(stores[i]->scheme)) == 0)
            return (int)i;
    return -1;
}

/* ---- reporting (fetch.h's private protocol) ------------------------- */

static int report_fd = -1;
static int quiet;

static void on_retry(void *arg, const char *msg)
{
    (void)arg;
    if (!quiet)
        ft_warn("%s", msg);
}

/* Ends the run: with FT_FETCH_REPORT_FD, the sessions and the error go
 * there (the caller prints the error under its own name); else the
 * error goes to stderr. */
static _Noreturn void finish(int status, const char *errmsg)
{
    if (report_fd < 0) {
        if (errmsg)
            ft_warn("%s", errmsg);
        exit(ft_close_stdout(status));
    }
    FILE *fp = fdopen(report_fd, "w");
    if (fp) {
        char buf[4096];
        for (size_t i = 0; i < NSTORES; i++)
            if (used[i] && ft_http_store_session_get(stores[i], buf, sizeof buf)) {
                fprintf(fp, "session %s %s\n", stores[i]->scheme, buf);
                explicit_bzero(buf, sizeof buf);
            }
        if (errmsg) {
            fputs("error ", fp);
            /* One line: control bytes of object names as \xNN. */
            for (const unsigned char *p = (const unsigned char *)errmsg; *p; p++)
                if (*p < 0x20 || *p == 0x7f)
                    fprintf(fp, "\\x%02x", *p);
                else
                    fputc(*p, fp);
            fputc('\n', fp);
        }
        fclose(fp);
    }
    exit(ft_close_stdout(status));
}

/* ---- work ----------------------------------------------------------- */

/* Streams one object into out. */
static int fetch_one(ft_http_store *st, const char *url, ft_sink *out,
                     ft_error *err)
{
    ft_http_stream *s = ft_http_store_open(st, url, err);
    if (!s)
        return -1;
    static char buf[256 * 1024];
    int fd = ft_http_stream_fd(s), rc = 0;
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = ft_error_set(err, "%s: %s", url, strerror(errno));
            break;
        }
        if (r == 0) {
            rc = ft_http_stream_finish(s, err);
            break;
        }
        if (ft_sink_write(out, buf, (size_t)r, err) < 0) {
            rc = -1;
            break;
        }
    }
    ft_http_store_close(s);
    return rc;
}

static int emit(ft_sink *out, const char *name, char end, ft_error *err)
{
    if (ft_sink_write(out, name, strlen(name), err) < 0)
        return -1;
    return ft_sink_write(out, &end, 1, err);
}

int main(int argc, char **argv)
{
    const char *output = NULL, *cacert = NULL;
    int list = 0, nul = 0;
    char delim = 0;
    int64_t retries = 5;
    ft_error err;

    ft_cli_init(argv[0]);
    const char *caller = getenv("FT_FETCH_CALLER");
    if (caller && *caller)
        ft_msg_init(caller);
    int c;
    while ((c = getopt_long(argc, argv, "o:ld:0qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': output = optarg; break;
        case 'l': list = 1; break;
        case 'd':
            if (strlen(optarg) != 1)
                ft_usage_error("--delimiter: '%s': not one character", optarg);
            delim = optarg[0];
            break;
        case '0': nul = 1; break;
        case OPT_RETRIES:
            if (ft_parse_int(optarg, 0, 100, &retries, &err) < 0)
                ft_usage_error("--retries: %s", err.msg);
            break;
        case OPT_CACERT: cacert = optarg; break;
        case 'q': quiet = 1; break;
        case 'h': usage(); return ft_close_stdout(FT_EXIT_OK);
        case OPT_VERSION: ft_version_exit();
        default: ft_usage_error("unknown option");
        }
    }
    if (optind >= argc)
        ft_usage_error("no URL (swift://CONTAINER/OBJECT or s3://BUCKET/KEY)");
    if (!list && (delim || nul))
        ft_usage_error("--%s needs --list", delim ? "delimiter" : "null");
    for (int i = optind; i < argc; i++) {
        int k = store_of(argv[i]);
        char *name, *path;
        if (k < 0)
            ft_usage_error("%s: not a store address (swift://CONTAINER/OBJECT or "
                           "s3://BUCKET/KEY)",
                           argv[i]);
        if (stores[k]->parse_url(argv[i], &name, &path, &err) < 0)
            ft_usage_error("%s", err.msg);
        free(name);
        free(path);
        used[k] = 1;
    }
    const char *rfd = getenv("FT_FETCH_REPORT_FD");
    if (rfd && *rfd) {
        int64_t v;
        if (ft_parse_int(rfd, 0, 1 << 20, &v, &err) == 0)
            report_fd = (int)v;
    }
    ft_http_opts o;
    ft_http_opts_init(&o);
    o.retries = (int)retries;
    o.cacert = cacert;
    o.on_retry = on_retry;
    const char *sess = getenv("FT_FETCH_SESSION");
    for (size_t i = 0; i < NSTORES; i++) {
        size_t sl = strlen(stores[i]->scheme);
        if (!used[i])
            continue;
        ft_http_store_options(stores[i], &o);
        if (sess && strncmp(sess, stores[i]->scheme, sl) == 0 && sess[sl] == ' ')
            ft_http_store_session_set(stores[i], sess + sl + 1);
    }
    if (!output && !list && isatty(STDOUT_FILENO))
        ft_usage_error("will not write binary data to a terminal (use -o FILE "
                       "or a pipe)");

    ft_sink *out = ft_sink_open(output, 0, &err);
    if (!out)
        finish(FT_EXIT_DATA, err.msg);
    int rc = 0;
    for (int i = optind; rc == 0 && i < argc; i++) {
        const char *url = argv[i];
        ft_http_store *st = stores[store_of(url)];
        size_t n = strlen(url);
        if (list) {
            ft_fetch_names v;
            rc = ft_http_store_list(st, url, delim, &v, &err);
            for (size_t k = 0; rc == 0 && k < v.n; k++)
                rc = emit(out, v.v[k], nul ? '\0' : '\n', &err);
            ft_fetch_names_free(&v);
        } else if (url[n - 1] == '/' || strlen(url) == strlen(st->scheme) +
                   strcspn(url + strlen(st->scheme), "/")) {
            /* A prefix (or a whole container): every object, in order. */
            ft_fetch_names v;
            rc = ft_http_store_list(st, url, 0, &v, &err);
            for (size_t k = 0; rc == 0 && k < v.n; k++)
                rc = fetch_one(st, v.v[k], out, &err);
            ft_fetch_names_free(&v);
        } else {
            rc = fetch_one(st, url, out, &err);
        }
    }
    if (rc == 0 && ft_sink_commit(out, &err) < 0)
        finish(FT_EXIT_DATA, err.msg);
    if (rc < 0) {
        ft_sink_abort(out);
        finish(FT_EXIT_DATA, err.msg);
    }
    finish(FT_EXIT_OK, NULL);
}
