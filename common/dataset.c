/* dataset.c - the interval files of a dataset for a time range (see
 * dataset.h). */
#include "dataset.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fetch.h"
#include "output.h"
#include "parse.h"

#define MAX_LEVELS 32
#define PATH_CAP 4096

const char ft_dataset_help[] =
    "\nInput:\n"
    "      --dataset ROOT    read the files of the dataset under ROOT (a\n"
    "                        directory, swift://CONTAINER[/PREFIX] or\n"
    "                        s3://BUCKET[/PREFIX]) that hold --from..--to\n"
    "                        (instead of FILE arguments)\n"
    "      --datasource NAME the dataset's datasource=NAME (default: the\n"
    "                        only one under ROOT)\n"
    "      --layout TEMPLATE the dataset's file names (default: STARDUST's\n"
    "                        datasource=%N/year=%Y/.../%N_%s.ft4.avro)\n"
    "      --from TIME       only records at or after TIME (Unix seconds or\n"
    "                        ISO-8601 UTC, e.g. 2021-02-13T18:00Z)\n"
    "      --to TIME         only records at or before TIME (inclusive)\n"
    "      --list-files      print the dataset's files for the range and exit\n";

void ft_dataset_spec_init(ft_dataset_spec *s)
{
    memset(s, 0, sizeof *s);
    s->from = INT64_MIN;
    s->to = INT64_MAX;
}

int ft_dataset_has_range(const ft_dataset_spec *s)
{
    return s->from != INT64_MIN || s->to != INT64_MAX;
}

int ft_dataset_parse_opt(ft_dataset_spec *s, int opt, const char *arg,
                         ft_error *err)
{
    switch (opt) {
    case FT_OPT_DATASET: s->root = arg; return 1;
    case FT_OPT_DATASOURCE:
        if (!*arg || strpbrk(arg, "/%") || strcmp(arg, ".") == 0 ||
            strcmp(arg, "..") == 0)
            return ft_error_set(err, "--datasource: '%s': not a datasource "
                                "name", arg);
        s->datasource = arg;
        return 1;
    case FT_OPT_LAYOUT: s->layout = arg; return 1;
    case FT_OPT_FROM:
    case FT_OPT_TO:
        if (ft_parse_time(arg, opt == FT_OPT_FROM ? &s->from : &s->to, err) < 0)
            return ft_error_prefix(err, "%s", opt == FT_OPT_FROM ? "--from" : "--to");
        return 1;
    case FT_OPT_LIST_FILES: s->list_files = 1; return 1;
    default: return 0;
    }
}

int ft_dataset_check(const ft_dataset_spec *s, int nfiles, ft_error *err)
{
    if (!s->root && (s->datasource || s->layout || s->list_files))
        return ft_error_set(err, "--%s needs --dataset ROOT",
                            s->datasource ? "datasource" :
                            s->layout ? "layout" : "list-files");
    if (s->root && nfiles > 0)
        return ft_error_set(err, "--dataset reads the files of ROOT: give no "
                            "FILE arguments as well");
    if (s->to < s->from)
        return ft_error_set(err, "--to is before --from");
    return 0;
}

/* ---- templates ---- */

enum { T_YEAR, T_MON, T_MDAY, T_HOUR, T_MIN, T_SEC, T_YDAY, T_EPOCH, T_N };

/* The time fields a path has fixed so far (-1 = not yet). */
typedef struct tfields {
    int64_t v[T_N];
} tfields;

static const char conv_chars[] = "YmdHMSjs";

static int digits(const char *s, int n, int64_t *out)
{
    int64_t v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* Sets field f to v unless another level fixed it differently. */
static int set_field(tfields *t, int f, int64_t v)
{
    if (t->v[f] >= 0 && t->v[f] != v)
        return -1;
    t->v[f] = v;
    return 0;
}

/* Matches one path component against its pattern (no '/'), filling t;
 * backtracks over the width of %s.  1 = match. */
static int match(const char *p, const char *s, tfields *t)
{
    static const struct { char c; int f, width, lo, hi; } fixed[] = {
        {'Y', T_YEAR, 4, 0, 9999}, {'m', T_MON, 2, 1, 12},
        {'d', T_MDAY, 2, 1, 31},   {'H', T_HOUR, 2, 0, 23},
        {'M', T_MIN, 2, 0, 59},    {'S', T_SEC, 2, 0, 60},
        {'j', T_YDAY, 3, 1, 366},
    };
    for (;;) {
        if (*p == '\0')
            return *s == '\0';
        if (p[0] != '%' || p[1] == '%') {
            if (*s != *p)
                return 0;
            p += p[0] == '%' ? 2 : 1;
            s++;
            continue;
        }
        char c = p[1];
        p += 2;
        if (c == 's') {
            size_t n = strspn(s, "0123456789");
            for (; n >= 1; n--) {
                tfields try = *t;
                int64_t v;
                if (n > 18 || digits(s, (int)n, &v) < 0 ||
                    set_field(&try, T_EPOCH, v) < 0)
                    continue;
                if (match(p, s + n, &try)) {
                    *t = try;
                    return 1;
                }
            }
            return 0;
        }
        for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
            if (fixed[i].c != c)
                continue;
            int64_t v;
            if (strnlen(s, (size_t)fixed[i].width) < (size_t)fixed[i].width ||
                digits(s, fixed[i].width, &v) < 0 || v < fixed[i].lo ||
                v > fixed[i].hi || set_field(t, fixed[i].f, v) < 0)
                return 0;
            s += fixed[i].width;
            break;
        }
    }
}

static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    /* Howard Hinnant's algorithm: no time zone, no time_t range limits. */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The times a path with fields t can hold: [*lo, *hi].  0 = known, -1 =
 * no time fixed yet (no year and no %s). */
static int span(const tfields *t, int64_t *lo, int64_t *hi)
{
    const int64_t *v = t->v;
    if (v[T_EPOCH] >= 0) {
        *lo = *hi = v[T_EPOCH];
        return 0;
    }
    if (v[T_YEAR] < 0)
        return -1;
    int64_t y = v[T_YEAR];
    if (v[T_MON] < 0 && v[T_YDAY] < 0) {
        *lo = days_from_civil(y, 1, 1) * 86400;
        *hi = days_from_civil(y + 1, 1, 1) * 86400 - 1;
        return 0;
    }
    if (v[T_YDAY] < 0 && v[T_MDAY] < 0) {
        int64_t m = v[T_MON];
        *lo = days_from_civil(y, m, 1) * 86400;
        *hi = (m == 12 ? days_from_civil(y + 1, 1, 1)
                       : days_from_civil(y, m + 1, 1)) * 86400 - 1;
        return 0;
    }
    int64_t day = v[T_YDAY] >= 0 ? days_from_civil(y, 1, 1) + v[T_YDAY] - 1
                                 : days_from_civil(y, v[T_MON], v[T_MDAY]);
    int64_t t0 = day * 86400, unit = 86400;
    if (v[T_HOUR] >= 0) {
        t0 += v[T_HOUR] * 3600;
        unit = 3600;
        if (v[T_MIN] >= 0) {
            t0 += v[T_MIN] * 60;
            unit = 60;
            if (v[T_SEC] >= 0) {
                t0 += v[T_SEC];
                unit = 1;
            }
        }
    }
    *lo = t0;
    *hi = t0 + unit - 1;
    return 0;
}

/* ---- listing ---- */

typedef struct walk {
    const ft_dataset_spec *spec;
    const char *layout; /* with %N replaced */
    char *levels[MAX_LEVELS];
    int nlevels;
    ft_dataset_files *out;
    ft_error *err;
    int remote;         /* root is a store address (fetch.h) */
} walk;

static int add_file(walk *w, const char *path, int64_t first, int64_t last)
{
    ft_dataset_files *f = w->out;
    if (f->n == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 64;
        ft_dataset_file *v = realloc(f->v, cap * sizeof *v);
        if (!v)
            return ft_error_set(w->err, "out of memory");
        f->v = v;
        f->cap = cap;
    }
    if (!(f->v[f->n].path = strdup(path)))
        return ft_error_set(w->err, "out of memory");
    f->v[f->n].first = first;
    f->v[f->n].last = last;
    f->n++;
    return 0;
}

static int is_kind(const char *path, int want_dir)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return 0;
    return want_dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode);
}

/* Checks a matched file: the template at its time must give its path
 * (relative to the root). */
static int consistent(const walk *w, const tfields *t, int64_t first,
                      const char *rel)
{
    char buf[PATH_CAP];
    int64_t at = t->v[T_EPOCH] >= 0 ? t->v[T_EPOCH] : first;
    return ft_expand_template(w->layout, at, buf, sizeof buf) == 0 &&
           strcmp(buf, rel) == 0;
}

static int walk_level(walk *w, int level, char *dir, size_t rootlen,
                      const tfields *t);

/* One entry of directory dir at level: descends into it or adds it when
 * it matches and its span meets the range.  kind: 1 a directory, 0 a
 * file, -1 not known yet (stat() it, only when it matters). */
static int visit(walk *w, int level, char *dir, size_t rootlen,
                 const tfields *t, const char *name, int kind)
{
    tfields nt = *t;
    if (!match(w->levels[level], name, &nt))
        return 0;
    size_t dlen = strlen(dir);
    if (dlen + 1 + strlen(name) >= PATH_CAP)
        return ft_error_set(w->err, "%s/%s: path too long", dir, name);
    dir[dlen] = '/';
    strcpy(dir + dlen + 1, name);
    int last = level == w->nlevels - 1, rc = 0;
    int64_t lo, hi;
    int known = span(&nt, &lo, &hi) == 0;
    if (known && (hi < w->spec->from || lo > w->spec->to)) {
        /* outside the range: skip the subtree without listing it */
    } else if (!last) {
        if (kind == 1 || (kind < 0 && is_kind(dir, 1)))
            rc = walk_level(w, level + 1, dir, rootlen, &nt);
    } else if (known && consistent(w, &nt, lo, dir + rootlen + 1) &&
               (kind == 0 || (kind < 0 && is_kind(dir, 0)))) {
        rc = add_file(w, dir, lo, hi);
    }
    dir[dlen] = '\0';
    return rc;
}

/* A level in a store (swift://C[/PREFIX]): one listing with '/' as the
 * delimiter; "name/" entries are directories. */
static int walk_store(walk *w, int level, char *dir, size_t rootlen,
                      const tfields *t)
{
    char url[PATH_CAP + 1];
    snprintf(url, sizeof url, "%s/", dir);
    ft_fetch_names v;
    if (ft_fetch_list(url, '/', &v, w->err) < 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < v.n; i++) {
        size_t n = strlen(v.v[i]);
        int is_dir = n > 0 && v.v[i][n - 1] == '/';
        if (is_dir)
            v.v[i][n - 1] = '\0';
        if (v.v[i][0] && !strchr(v.v[i], '/'))
            rc = visit(w, level, dir, rootlen, t, v.v[i], is_dir);
    }
    ft_fetch_names_free(&v);
    return rc;
}

/* dir is root + "/" + rel (rel empty at the top). */
static int walk_level(walk *w, int level, char *dir, size_t rootlen,
                      const tfields *t)
{
    if (w->remote)
        return walk_store(w, level, dir, rootlen, t);
    DIR *d = opendir(dir);
    if (!d) {
        /* A directory that vanished between listing and opening (a
         * cleanup job) is as good as empty; anything else is an error. */
        if (errno == ENOENT && level > 0)
            return 0;
        return ft_error_set(w->err, "%s: %s", dir, strerror(errno));
    }
    int rc = 0;
    struct dirent *e;
    errno = 0;
    while (rc == 0 && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            rc = visit(w, level, dir, rootlen, t, e->d_name, -1);
        errno = 0;
    }
    if (rc == 0 && errno != 0)
        rc = ft_error_set(w->err, "%s: %s", dir, strerror(errno));
    closedir(d);
    return rc;
}

/* The datasource=NAME entries of root: local or in a store. */
static int root_entries(const char *root, int remote, ft_fetch_names *out,
                        ft_error *err)
{
    if (remote) {
        char url[PATH_CAP + 1];
        snprintf(url, sizeof url, "%s/", root);
        if (ft_fetch_list(url, '/', out, err) < 0)
            return -1;
        /* Only "directories" (datasource=NAME/), without their '/'. */
        size_t k = 0;
        for (size_t i = 0; i < out->n; i++) {
            size_t n = strlen(out->v[i]);
            if (n > 1 && out->v[i][n - 1] == '/') {
                out->v[i][n - 1] = '\0';
                out->v[k++] = out->v[i];
            } else {
                free(out->v[i]);
            }
        }
        out->n = k;
        return 0;
    }
    memset(out, 0, sizeof *out);
    DIR *d = opendir(root);
    if (!d)
        return ft_error_set(err, "%s: %s", root, strerror(errno));
    char path[PATH_CAP];
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        if (strncmp(e->d_name, "datasource=", 11) != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", root, e->d_name);
        if (is_kind(path, 1) && ft_fetch_names_add(out, e->d_name) < 0)
            rc = ft_error_set(err, "out of memory");
    }
    closedir(d);
    if (rc < 0)
        ft_fetch_names_free(out);
    return rc;
}

/* The one datasource=NAME directory under root, for the default layout. */
static int discover(const char *root, int remote, char *name, size_t cap,
                    ft_error *err)
{
    ft_fetch_names v;
    if (root_entries(root, remote, &v, err) < 0)
        return -1;
    int found = 0, rc = 0;
    for (size_t i = 0; i < v.n; i++) {
        const char *p = v.v[i];
        if (strncmp(p, "datasource=", 11) != 0 || !p[11] || strchr(p, '%'))
            continue;
        if (found++ == 0) {
            snprintf(name, cap, "%s", p + 11);
        } else {
            rc = ft_error_set(err, "%s: several datasources (%s, %s, ...): "
                              "choose one with --datasource", root, name, p + 11);
            break;
        }
    }
    ft_fetch_names_free(&v);
    if (rc == 0 && !found)
        rc = ft_error_set(err, "%s: no datasource=NAME directory (see "
                          "--layout for other layouts)", root);
    return rc;
}

/* Copies the template with %N replaced by name into buf, and checks its
 * conversions. */
static int resolve_layout(const char *tmpl, const char *name, char *buf,
                          size_t cap, ft_error *err)
{
    size_t n = 0;
    int has_time = 0;
    if (tmpl[0] == '/' || !tmpl[0])
        return ft_error_set(err, "layout '%s': must be a relative path", tmpl);
    for (const char *p = tmpl; *p; p++) {
        const char *add = p;
        size_t len = 1;
        if (*p == '%') {
            if (!p[1] || (p[1] != 'N' && p[1] != '%' && !strchr(conv_chars, p[1])))
                return ft_error_set(err, "layout '%s': '%%%.1s' is not supported "
                                    "(use %%Y %%m %%d %%H %%M %%S %%j %%s %%N %%%%)",
                                    tmpl, p + 1);
            if (p[1] == 'N') {
                if (!name)
                    return ft_error_set(err, "layout '%s': %%N needs --datasource",
                                        tmpl);
                add = name;
                len = strlen(name);
            } else {
                len = 2;
                has_time |= p[1] == 'Y' || p[1] == 's';
            }
            p++;
        }
        if (n + len >= cap)
            return ft_error_set(err, "layout '%s': too long", tmpl);
        memcpy(buf + n, add, len);
        n += len;
    }
    buf[n] = '\0';
    if (!has_time)
        return ft_error_set(err, "layout '%s': needs %%s or %%Y to give files "
                            "a time", tmpl);
    return 0;
}

static int by_time(const void *a, const void *b)
{
    const ft_dataset_file *x = a, *y = b;
    if (x->first != y->first)
        return x->first < y->first ? -1 : 1;
    return strcmp(x->path, y->path);
}

int ft_dataset_list(const ft_dataset_spec *s, ft_dataset_files *out,
                    ft_error *err)
{
    memset(out, 0, sizeof *out);
    if (!s->root)
        return ft_error_set(err, "no dataset root");
    int remote = ft_fetch_is_url(s->root);
    if (!remote && strstr(s->root, "://"))
        return ft_error_set(err, "%s: not a directory or a store address "
                            "(swift://CONTAINER[/PREFIX], s3://BUCKET[/PREFIX])",
                            s->root);
    /* Strip trailing slashes so paths read root/a/b. */
    char dir[PATH_CAP];
    size_t rootlen = strlen(s->root);
    while (rootlen > 1 && s->root[rootlen - 1] == '/')
        rootlen--;
    if (rootlen >= PATH_CAP / 2)
        return ft_error_set(err, "%s: path too long", s->root);
    memcpy(dir, s->root, rootlen);
    dir[rootlen] = '\0';
    const char *cont = remote ? strstr(dir, "://") + 3 : NULL;
    if (cont && (!*cont || *cont == '/'))
        return ft_error_set(err, "%s: no container or bucket name",
                            s->root);
    const char *tmpl = s->layout ? s->layout : FT_DATASET_LAYOUT;
    char name[256] = "";
    if (s->datasource) {
        snprintf(name, sizeof name, "%s", s->datasource);
    } else if (!s->layout &&
               discover(remote ? dir : s->root, remote, name, sizeof name,
                        err) < 0) {
        return -1;
    }
    char layout[PATH_CAP];
    if (resolve_layout(tmpl, name[0] ? name : NULL, layout, sizeof layout, err) < 0)
        return -1;

    walk w = {.spec = s, .layout = layout, .out = out, .err = err,
              .remote = remote};
    char split[PATH_CAP];
    strcpy(split, layout);
    for (char *save = NULL, *c = strtok_r(split, "/", &save); c;
         c = strtok_r(NULL, "/", &save)) {
        if (w.nlevels == MAX_LEVELS || strcmp(c, "..") == 0 || strcmp(c, ".") == 0)
            return ft_error_set(err, "layout '%s': bad path", tmpl);
        w.levels[w.nlevels++] = c;
    }
    if (w.nlevels == 0)
        return ft_error_set(err, "layout '%s': bad path", tmpl);
    tfields t;
    for (int i = 0; i < T_N; i++)
        t.v[i] = -1;
    if (walk_level(&w, 0, dir, rootlen, &t) < 0) {
        ft_dataset_files_free(out);
        return -1;
    }
    if (out->n > 1)
        qsort(out->v, out->n, sizeof *out->v, by_time);
    return 0;
}

void ft_dataset_files_free(ft_dataset_files *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++)
        free(f->v[i].path);
    free(f->v);
    memset(f, 0, sizeof *f);
}

int ft_dataset_print_files(const ft_dataset_spec *s, FILE *fp, ft_error *err)
{
    ft_dataset_files f;
    if (ft_dataset_list(s, &f, err) < 0)
        return -1;
    for (size_t i = 0; i < f.n; i++)
        fprintf(fp, "%lld %lld %s\n", (long long)f.v[i].first,
                (long long)f.v[i].last, f.v[i].path);
    ft_dataset_files_free(&f);
    return 0;
}
