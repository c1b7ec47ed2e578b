/* ft-upload - verified uploads of FT4 files to OpenStack Swift or S3.
 * See ft-upload(1). */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "msg.h"
#include "output.h"
#include "parse.h"
#include "reader.h"
#include "s3.h"
#include "swift.h"

enum {
    OPT_DATASOURCE = 0x100, OPT_NAME, OPT_AS, OPT_FILES_FROM,
    OPT_SEGMENT_SIZE, OPT_RETRIES, OPT_DELETE_AFTER, OPT_CACERT, OPT_VERSION
};

static const struct option longopts[] = {
    {"container", required_argument, NULL, 'c'},
    {"datasource", required_argument, NULL, OPT_DATASOURCE},
    {"name", required_argument, NULL, OPT_NAME},
    {"as", required_argument, NULL, OPT_AS},
    {"files-from", required_argument, NULL, OPT_FILES_FROM},
    {"segment-size", required_argument, NULL, OPT_SEGMENT_SIZE},
    {"retries", required_argument, NULL, OPT_RETRIES},
    {"jobs", required_argument, NULL, 'j'},
    {"delete-after", no_argument, NULL, OPT_DELETE_AFTER},
    {"cacert", required_argument, NULL, OPT_CACERT},
    {"dry-run", no_argument, NULL, 'n'},
    {"verbose", no_argument, NULL, 'v'},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

static void usage(void)
{
    printf("Usage: ft-upload -c CONTAINER|s3://BUCKET [OPTIONS] FILE|DIR...\n"
           "Upload FT4 files to an OpenStack Swift container or an S3 bucket, each\n"
           "one verified by its MD5; objects already stored with the same MD5 are\n"
           "skipped.  Credentials come from the environment only (see ft-upload(1)).\n"
           "\n"
           "  -c, --container NAME    the Swift container (NAME or swift://NAME) or\n"
           "                          S3 bucket (s3://BUCKET), created when missing\n"
           "      --datasource NAME   name objects in the STARDUST layout:\n"
           "                          datasource=NAME/year=%%Y/month=%%m/day=%%d/\n"
           "                          hour=%%H/NAME_%%s.ft4.avro\n"
           "      --name TEMPLATE     object names from TEMPLATE instead (strftime\n"
           "                          conversions in UTC, %%s Unix seconds) at the\n"
           "                          time of each file's first record\n"
           "      --as OBJECT         the object name for a single FILE (or\n"
           "                          s3://BUCKET/KEY, swift://CONTAINER/OBJECT)\n"
           "      --files-from FILE   also upload the files named in FILE, one\n"
           "                          a line (- is stdin)\n"
           "      --segment-size SIZE larger files go up in segments of SIZE (a\n"
           "                          Swift Static Large Object, an S3 multipart\n"
           "                          upload; default 1G)\n"
           "      --retries N         retries after connection errors, timeouts,\n"
           "                          408, 429, 5xx and S3's SlowDown answers\n"
           "                          (default 5)\n"
           "  -j, --jobs N            upload N files at a time (default 1)\n"
           "      --delete-after      remove each file once it is verified in the\n"
           "                          store\n"
           "      --cacert FILE       trust the CA certificates in FILE for TLS\n"
           "  -n, --dry-run           print FILE and CONTAINER/OBJECT (s3://BUCKET/KEY),\n"
           "                          upload nothing\n"
           "  -v, --verbose           print \"uploaded|skipped FILE CONTAINER/OBJECT\"\n"
           "                          for every file on stdout\n"
           "  -q, --quiet             no progress, retry notes or summary\n"
           "  -h, --help              this help\n"
           "      --version           print the version\n");
}

/* ---- what to upload ----------------------------------------------- */

struct job {
    char *path;
    char *object;
    uint64_t size;
    int outcome; /* FT_SWIFT_UPLOADED, FT_SWIFT_SKIPPED or -1 */
};

static struct job *jobs;
static size_t njobs, cap_jobs;

static void add_file(const char *path)
{
    if (njobs == cap_jobs) {
        cap_jobs = cap_jobs ? cap_jobs * 2 : 64;
        jobs = realloc(jobs, cap_jobs * sizeof *jobs);
        if (!jobs)
            ft_die(FT_EXIT_DATA, "out of memory");
    }
    memset(&jobs[njobs], 0, sizeof jobs[njobs]);
    if (!(jobs[njobs].path = strdup(path)))
        ft_die(FT_EXIT_DATA, "out of memory");
    njobs++;
}

/* Temporaries of ft-aggregate's atomic writer (NAME.tmp.XXXXXX) and
 * hidden files are never uploaded from a directory. */
static int skip_in_dir(const char *name)
{
    if (name[0] == '.')
        return 1;
    const char *t = strstr(name, ".tmp.");
    return t && strlen(t) == 11;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds path: a file, or every file under a directory in name order.
 * Returns the number of problems reported. */
static int add_path(const char *path, int top)
{
    struct stat sb;
    if ((top ? stat(path, &sb) : lstat(path, &sb)) < 0) {
        ft_warn("%s: %s", path, strerror(errno));
        return 1;
    }
    if (!top && S_ISLNK(sb.st_mode)) {
        /* Links to files are followed, links to directories are not. */
        if (stat(path, &sb) < 0 || S_ISDIR(sb.st_mode))
            return 0;
    }
    if (S_ISREG(sb.st_mode)) {
        add_file(path);
        return 0;
    }
    if (!S_ISDIR(sb.st_mode)) {
        if (top) {
            ft_warn("%s: not a regular file or directory", path);
            return 1;
        }
        return 0;
    }
    DIR *d = opendir(path);
    if (!d) {
        ft_warn("%s: %s", path, strerror(errno));
        return 1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
            skip_in_dir(e->d_name))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            names = realloc(names, cap * sizeof *names);
            if (!names)
                ft_die(FT_EXIT_DATA, "out of memory");
        }
        size_t len = strlen(path);
        names[n] = malloc(len + strlen(e->d_name) + 2);
        if (!names[n])
            ft_die(FT_EXIT_DATA, "out of memory");
        sprintf(names[n], "%s%s%s", path,
                len && path[len - 1] == '/' ? "" : "/", e->d_name);
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, by_name);
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        bad += add_path(names[i], 0);
        free(names[i]);
    }
    free(names);
    return bad;
}

static int add_files_from(const char *list)
{
    FILE *fp = strcmp(list, "-") ? fopen(list, "r") : stdin;
    if (!fp)
        ft_die(FT_EXIT_DATA, "%s: %s", list, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int bad = 0;
    while ((n = getline(&line, &cap, fp)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n > 0)
            bad += add_path(line, 1);
    }
    if (ferror(fp))
        ft_die(FT_EXIT_DATA, "%s: read error", list);
    free(line);
    if (fp != stdin)
        fclose(fp);
    return bad;
}

/* The object name of a file: the template at the file's first record's
 * time.  Returns NULL with a warning printed. */
static char *object_name(const char *path, const char *tmpl)
{
    static ft4_record rec;
    ft_error err;
    char *const paths[] = {(char *)path};
    ft_reader *r = ft_reader_open(1, paths, &err);
    int rc = r ? ft_reader_next(r, &rec, &err) : -1;
    ft_reader_close(r);
    if (rc < 0) {
        ft_warn("%s", err.msg);
        return NULL;
    }
    if (rc == 0) {
        ft_warn("%s: no records, so no time to name it by", path);
        return NULL;
    }
    char buf[2048];
    if (ft_expand_template(tmpl, rec.time, buf, sizeof buf) < 0 || !buf[0]) {
        ft_warn("%s: --name: the name is empty or too long", path);
        return NULL;
    }
    char *s = strdup(buf);
    if (!s)
        ft_die(FT_EXIT_DATA, "out of memory");
    return s;
}

static int check_object_name(const char *path, const char *name)
{
    if (!name[0] || name[0] == '/' || strlen(name) > 1024) {
        ft_warn("%s: '%s' is not a valid object name (1 to 1024 bytes, no "
                "leading /)", path, name);
        return -1;
    }
    return 0;
}

/* ---- uploading ---------------------------------------------------- */

static struct {
    const char *container;
    const char *prefix;   /* before "CONTAINER/OBJECT" in output */
    uint64_t segment_size;
    int delete_after, verbose, quiet, show_progress;
    ft_swift *swift;      /* one of these two */
    ft_s3 *s3;
    pthread_mutex_t lock; /* next, counters, output */
    size_t next;
    size_t done;
    uint64_t total_bytes;
    _Atomic int64_t sent;
    int progress_shown;
    int finished;
} U = {.lock = PTHREAD_MUTEX_INITIALIZER};

struct worker {
    pthread_t tid;
    struct job *job; /* being uploaded */
};

/* Erases the progress line (U.lock held). */
static void clear_progress(void)
{
    if (U.progress_shown) {
        fputs("\r\033[K", stderr);
        U.progress_shown = 0;
    }
}

static void on_retry(void *arg, const char *msg)
{
    struct worker *w = arg;
    if (U.quiet)
        return;
    pthread_mutex_lock(&U.lock);
    clear_progress();
    if (w && w->job)
        ft_warn("%s: %s", w->job->path, msg);
    else
        ft_warn("%s", msg);
    pthread_mutex_unlock(&U.lock);
}

static void on_progress(void *arg, int64_t delta)
{
    (void)arg;
    atomic_fetch_add(&U.sent, delta);
}

static void *progress_thread(void *arg)
{
    (void)arg;
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        struct timespec ts = {0, 250000000};
        nanosleep(&ts, NULL);
        pthread_mutex_lock(&U.lock);
        if (U.finished) {
            clear_progress();
            pthread_mutex_unlock(&U.lock);
            return NULL;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        double secs = (double)(now.tv_sec - t0.tv_sec) +
                      (double)(now.tv_nsec - t0.tv_nsec) / 1e9;
        double mib = (double)atomic_load(&U.sent) / 1048576.0;
        fprintf(stderr, "\r\033[K%s: %zu/%zu files, %.1f/%.1f MiB, %.1f MiB/s",
                ft_prog(), U.done, njobs, mib,
                (double)U.total_bytes / 1048576.0, secs > 0 ? mib / secs : 0.0);
        U.progress_shown = 1;
        pthread_mutex_unlock(&U.lock);
    }
}

/* A connection to the store: Swift or S3. */
struct conn {
    ft_swift_conn *swift;
    ft_s3_conn *s3;
};

static int conn_open(struct conn *c, void *arg, ft_error *err)
{
    c->swift = NULL;
    c->s3 = NULL;
    if (U.s3)
        c->s3 = ft_s3_conn_new(U.s3, arg, err);
    else
        c->swift = ft_swift_conn_new(U.swift, arg, err);
    return c->s3 || c->swift ? 0 : -1;
}

static void conn_close(struct conn *c)
{
    ft_swift_conn_free(c->swift);
    ft_s3_conn_free(c->s3);
}

static void upload_one(struct conn *c, struct job *j)
{
    ft_error err;
    int rc = c->s3 ? ft_s3_upload(c->s3, j->path, U.container, j->object,
                                  U.segment_size, &err)
                   : ft_swift_upload(c->swift, j->path, U.container, j->object,
                                     U.segment_size, &err);
    if (rc >= 0 && U.delete_after && unlink(j->path) < 0) {
        ft_error_set(&err, "%s: stored, but cannot remove it: %s", j->path,
                     strerror(errno));
        rc = -1;
    }
    j->outcome = rc;
    pthread_mutex_lock(&U.lock);
    U.done++;
    clear_progress();
    if (rc < 0) {
        /* Messages from the library name the object; add the file. */
        if (strncmp(err.msg, j->path, strlen(j->path)) == 0)
            ft_warn("%s", err.msg);
        else
            ft_warn("%s: %s", j->path, err.msg);
    } else if (U.verbose) {
        printf("%s %s %s%s/%s\n", rc == FT_SWIFT_SKIPPED ? "skipped" : "uploaded",
               j->path, U.prefix, U.container, j->object);
        fflush(stdout);
    }
    pthread_mutex_unlock(&U.lock);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    ft_error err;
    struct conn conn;
    int ok = conn_open(&conn, w, &err) == 0;
    for (;;) {
        pthread_mutex_lock(&U.lock);
        size_t i = U.next < njobs ? U.next++ : njobs;
        pthread_mutex_unlock(&U.lock);
        if (i == njobs)
            break;
        if (!ok) {
            ft_warn("%s: %s", jobs[i].path, err.msg);
            jobs[i].outcome = -1;
            continue;
        }
        w->job = &jobs[i];
        upload_one(&conn, &jobs[i]);
        w->job = NULL;
    }
    if (ok)
        conn_close(&conn);
    return NULL;
}

static int by_object(const void *a, const void *b)
{
    const struct job *x = *(struct job *const *)a, *y = *(struct job *const *)b;
    int d = strcmp(x->object, y->object);
    return d ? d : (x < y ? -1 : x > y);
}

/* Two files must not go to one object: the later one is refused. */
static int refuse_duplicates(void)
{
    int bad = 0;
    struct job **v = malloc(njobs * sizeof *v);
    if (!v)
        ft_die(FT_EXIT_DATA, "out of memory");
    for (size_t i = 0; i < njobs; i++)
        v[i] = &jobs[i];
    qsort(v, njobs, sizeof *v, by_object);
    for (size_t i = 1; i < njobs; i++)
        if (!strcmp(v[i]->object, v[i - 1]->object)) {
            ft_warn("%s: same object name as %s (%s): not uploaded", v[i]->path,
                    v[i - 1]->path, v[i]->object);
            v[i]->outcome = -2;
            bad++;
        }
    free(v);
    return bad;
}

/* Splits a store address ("s3://B[/K]", "swift://C[/O]", or a plain
 * container name when plain) into its parts; *is_s3 says which store.
 * Exits 2 when it is not one. */
static void parse_store(const char *opt, const char *arg, int plain,
                        int *is_s3, char **name, char **object)
{
    ft_error err;
    *is_s3 = strncmp(arg, FT_S3_SCHEME, strlen(FT_S3_SCHEME)) == 0;
    if (*is_s3) {
        if (ft_s3_parse_url(arg, name, object, &err) < 0)
            ft_usage_error("%s: %s", opt, err.msg);
        return;
    }
    if (strncmp(arg, FT_SWIFT_SCHEME, strlen(FT_SWIFT_SCHEME)) == 0) {
        arg += strlen(FT_SWIFT_SCHEME);
    } else if (plain) {
        *name = strdup(arg);
        *object = strdup("");
        if (!*name || !*object)
            ft_die(FT_EXIT_DATA, "out of memory");
        return;
    } else {
        ft_usage_error("%s: '%s' is not an s3:// or swift:// address", opt, arg);
    }
    const char *slash = strchr(arg, '/');
    *name = slash ? strndup(arg, (size_t)(slash - arg)) : strdup(arg);
    *object = strdup(slash ? slash + 1 : "");
    if (!*name || !*object)
        ft_die(FT_EXIT_DATA, "out of memory");
}

int main(int argc, char **argv)
{
    const char *container = NULL, *datasource = NULL, *tmpl = NULL;
    const char *as = NULL, *files_from = NULL;
    uint64_t segment_size = 1ull << 30;
    int64_t jobs_n = 1, retries = 5;
    int dry_run = 0, delete_after = 0, verbose = 0, quiet = 0;
    ft_swift_opts so;
    ft_error err;

    ft_cli_init(argv[0]);
    ft_swift_opts_init(&so);
    int c;
    while ((c = getopt_long(argc, argv, "c:j:nvqh", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            container = optarg;
            break;
        case OPT_DATASOURCE:
            datasource = optarg;
            break;
        case OPT_NAME:
            tmpl = optarg;
            break;
        case OPT_AS:
            as = optarg;
            break;
        case OPT_FILES_FROM:
            files_from = optarg;
            break;
        case OPT_SEGMENT_SIZE:
            if (ft_parse_size(optarg, 1, UINT64_MAX, &segment_size, &err) < 0)
                ft_usage_error("--segment-size: %s", err.msg);
            break;
        case OPT_RETRIES:
            if (ft_parse_int(optarg, 0, 100, &retries, &err) < 0)
                ft_usage_error("--retries: %s", err.msg);
            break;
        case 'j':
            if (ft_parse_int(optarg, 1, 64, &jobs_n, &err) < 0)
                ft_usage_error("--jobs: %s", err.msg);
            break;
        case OPT_DELETE_AFTER:
            delete_after = 1;
            break;
        case OPT_CACERT:
            so.cacert = optarg;
            break;
        case 'n':
            dry_run = 1;
            break;
        case 'v':
            verbose = 1;
            break;
        case 'q':
            quiet = 1;
            break;
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
    /* The store: -c, or the address --as gives. */
    int is_s3 = 0, as_s3 = 0;
    char *cname = NULL, *cobj = NULL, *aname = NULL, *aobj = NULL;
    if (container)
        parse_store("-c", container, 1, &is_s3, &cname, &cobj);
    if (as && (strstr(as, "://") || !container)) {
        parse_store("--as", as, container == NULL, &as_s3, &aname, &aobj);
        if (container && (as_s3 != is_s3 || strcmp(aname, cname) != 0))
            ft_usage_error("--as %s is not in -c %s", as, container);
        if (!container) {
            if (!strstr(as, "://"))
                ft_usage_error("no container: give -c CONTAINER");
            is_s3 = as_s3;
            cname = aname;
            aname = NULL;
        }
        as = aobj;
        if (!as[0] || as[strlen(as) - 1] == '/')
            ft_usage_error("--as: '%s' names no object", aobj);
    }
    if (!cname)
        ft_usage_error("no container: give -c CONTAINER or -c s3://BUCKET");
    if (cobj && cobj[0] && strcmp(cobj, "/") != 0)
        ft_usage_error("-c: '%s' names an object: give the container or "
                       "bucket alone (and --as for one object)", container);
    if (!is_s3 && (!cname[0] || strchr(cname, '/') || strlen(cname) > 256))
        ft_usage_error("-c: '%s' is not a container name (1 to 256 bytes, no /)",
                       cname);
    container = cname;
    if (!!datasource + !!tmpl + !!as > 1)
        ft_usage_error("--datasource, --name and --as exclude each other");
    if (!datasource && !tmpl && !as)
        ft_usage_error("give --datasource NAME, --name TEMPLATE or --as OBJECT");
    if (optind == argc && !files_from)
        ft_usage_error("no files to upload");

    char deftmpl[1024];
    if (datasource) {
        /* The STARDUST layout; a '%' in the name stands for itself. */
        char ds[256];
        size_t n = 0;
        for (const char *p = datasource; *p && n + 2 < sizeof ds; p++) {
            if (*p == '%')
                ds[n++] = '%';
            ds[n++] = *p;
        }
        ds[n] = '\0';
        if (!datasource[0] || strchr(datasource, '/') || n + 2 >= sizeof ds)
            ft_usage_error("--datasource: '%s' is not a data source name",
                           datasource);
        snprintf(deftmpl, sizeof deftmpl, "datasource=%s/year=%%Y/month=%%m/"
                 "day=%%d/hour=%%H/%s_%%s.ft4.avro", ds, ds);
        tmpl = deftmpl;
    }

    int bad = 0;
    for (int i = optind; i < argc; i++)
        bad += add_path(argv[i], 1);
    if (files_from)
        bad += add_files_from(files_from);
    if (as && njobs + (size_t)bad != 1)
        ft_usage_error("--as names one object: give exactly one FILE");

    /* Names first, so a bad file or a clash is known before any upload. */
    for (size_t i = 0; i < njobs; i++) {
        jobs[i].object = as ? strdup(as) : object_name(jobs[i].path, tmpl);
        if (as && !jobs[i].object)
            ft_die(FT_EXIT_DATA, "out of memory");
        if (!jobs[i].object || check_object_name(jobs[i].path, jobs[i].object) < 0) {
            free(jobs[i].object);
            jobs[i].object = NULL;
            jobs[i].outcome = -2;
            bad++;
            continue;
        }
        struct stat sb;
        if (stat(jobs[i].path, &sb) == 0)
            U.total_bytes += (uint64_t)sb.st_size;
    }
    /* Only the files that can go keep a place in the list. */
    size_t k = 0;
    for (size_t i = 0; i < njobs; i++) {
        if (jobs[i].object)
            jobs[k++] = jobs[i];
        else
            free(jobs[i].path);
    }
    njobs = k;
    bad += refuse_duplicates();
    k = 0;
    for (size_t i = 0; i < njobs; i++) {
        if (jobs[i].outcome != -2) {
            jobs[k++] = jobs[i];
        } else {
            free(jobs[i].path);
            free(jobs[i].object);
        }
    }
    njobs = k;

    size_t uploaded = 0, skipped = 0, failed = (size_t)bad;
    U.prefix = is_s3 ? FT_S3_SCHEME : "";
    if (dry_run) {
        for (size_t i = 0; i < njobs; i++)
            printf("%s %s%s/%s\n", jobs[i].path, U.prefix, container,
                   jobs[i].object);
    } else if (njobs > 0) {
        so.retries = (int)retries;
        so.on_retry = on_retry;
        so.on_progress = on_progress;
        if (is_s3)
            U.s3 = ft_s3_open(&so, &err);
        else
            U.swift = ft_swift_open(&so, &err);
        if (!U.s3 && !U.swift)
            ft_die(FT_EXIT_DATA, "%s", err.msg);
        U.container = container;
        U.segment_size = segment_size;
        U.delete_after = delete_after;
        U.verbose = verbose;
        U.quiet = quiet;
        U.show_progress = !quiet && isatty(STDERR_FILENO);
        /* Authenticate once before the workers start, so a credentials
         * problem is one message, not one per file. */
        struct conn c0;
        if (conn_open(&c0, NULL, &err) < 0 ||
            (c0.s3 ? ft_s3_check(c0.s3, container, &err)
                   : ft_swift_authenticate(c0.swift, &err)) < 0)
            ft_die(FT_EXIT_DATA, "%s", err.msg);
        conn_close(&c0);

        pthread_t pt;
        int have_pt = U.show_progress &&
                      pthread_create(&pt, NULL, progress_thread, NULL) == 0;
        size_t nw = (size_t)jobs_n < njobs ? (size_t)jobs_n : njobs;
        struct worker *w = calloc(nw, sizeof *w);
        if (!w)
            ft_die(FT_EXIT_DATA, "out of memory");
        size_t started = 0;
        for (size_t i = 0; i < nw; i++) {
            if (pthread_create(&w[i].tid, NULL, worker_main, &w[i]) != 0)
                break;
            started++;
        }
        if (started == 0)
            worker_main(&(struct worker){0});
        for (size_t i = 0; i < started; i++)
            pthread_join(w[i].tid, NULL);
        free(w);
        pthread_mutex_lock(&U.lock);
        U.finished = 1;
        pthread_mutex_unlock(&U.lock);
        if (have_pt)
            pthread_join(pt, NULL);
        for (size_t i = 0; i < njobs; i++) {
            if (jobs[i].outcome == FT_SWIFT_UPLOADED)
                uploaded++;
            else if (jobs[i].outcome == FT_SWIFT_SKIPPED)
                skipped++;
            else
                failed++;
        }
        ft_swift_close(U.swift);
        ft_s3_close(U.s3);
    }
    if (!dry_run && (!quiet || failed))
        ft_warn("%zu uploaded, %zu skipped, %zu failed", uploaded, skipped,
                failed);
    for (size_t i = 0; i < njobs; i++) {
        free(jobs[i].path);
        free(jobs[i].object);
    }
    free(jobs);
    free(cname);
    free(cobj);
    free(aname);
    free(aobj);
    return ft_close_stdout(failed ? FT_EXIT_DATA : FT_EXIT_OK);
}
