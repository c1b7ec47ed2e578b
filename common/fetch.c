/* fetch.c - store objects through ft-fetch child processes (see fetch.h).
 *
 * The private protocol with ft-fetch (ft-fetch.c is the other half):
 *   FT_FETCH_REPORT_FD=3   the child writes, when it ends, lines
 *                          "session SCHEME DATA" (its token, to reuse) and
 *                          "error MESSAGE" (why it failed) to fd 3
 *   FT_FETCH_SESSION=SCHEME DATA
 *                          a session an earlier child reported
 *   FT_FETCH_CALLER=NAME   the name its stderr messages carry
 * Sessions travel in the environment, which only the same user can read,
 * never in argv (visible to everyone in ps). */
#define _GNU_SOURCE /* pipe2 */
#include "fetch.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "msg.h"

extern char **environ;

#define REPORT_FD 3
#define REPORT_MAX 8192

/* The schemes ft-fetch reads. */
static const char *const schemes[] = {"swift://", "s3://"};

int ft_fetch_is_url(const char *path)
{
    for (size_t i = 0; i < sizeof schemes / sizeof *schemes; i++)
        if (strncmp(path, schemes[i], strlen(schemes[i])) == 0)
            return 1;
    return 0;
}

int ft_fetch_is_prefix(const char *path)
{
    size_t n = strlen(path);
    return ft_fetch_is_url(path) && n > 0 && path[n - 1] == '/';
}

/* The last session a child reported ("SCHEME DATA"), a secret. */
static pthread_mutex_t session_lock = PTHREAD_MUTEX_INITIALIZER;
static char *session;

void ft_free_secret(char *p)
{
    if (p) {
        explicit_bzero(p, strlen(p));
        free(p);
    }
}

struct ft_fetch {
    pid_t pid;
    int data_fd;    /* the child's stdout */
    int report_fd;  /* its fd 3 */
    char *url;
    int done;       /* waited for */
};

static int executable(const char *p) { return access(p, X_OK) == 0; }

/* The ft-fetch to run, malloc'd, or NULL with err set. */
static char *find_fetch(ft_error *err)
{
    const char *env = getenv("FT_FETCH");
    if (env && *env)
        return strdup(env);
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash && (size_t)(slash - self) + sizeof "/ft-fetch" < sizeof self) {
            strcpy(slash, "/ft-fetch");
            if (executable(self))
                return strdup(self);
        }
    }
    const char *path = getenv("PATH");
    for (const char *p = path; p && *p;) {
        const char *end = strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char cand[PATH_MAX];
        if (len > 0 && len + sizeof "/ft-fetch" < sizeof cand) {
            memcpy(cand, p, len);
            strcpy(cand + len, "/ft-fetch");
            if (executable(cand))
                return strdup(cand);
        }
        p = end ? end + 1 : NULL;
    }
    ft_error_set(err, "ft-fetch: not found next to %s or on PATH (it reads "
                 "store addresses)", ft_prog());
    return NULL;
}

static int private_var(const char *e)
{
    return strncmp(e, "FT_FETCH_SESSION=", 17) == 0 ||
           strncmp(e, "FT_FETCH_REPORT_FD=", 19) == 0 ||
           strncmp(e, "FT_FETCH_CALLER=", 16) == 0;
}

/* What spawn() has allocated while it forks: a child that cannot run
 * ft-fetch _exits at once, unable to free (free is not async-signal-safe
 * after fork), and these pointers keep its blocks reachable, so that
 * valgrind (make check-valgrind) does not call them leaks. */
static _Thread_local const void *forking[5];

/* Starts ft-fetch with argv (argv[0] is replaced by its path). */
static ft_fetch *spawn(const char *url, char **argv, ft_error *err)
{
    ft_fetch *f = calloc(1, sizeof *f);
    char *exe = NULL, *sess = NULL, *caller = NULL;
    char **envp = NULL;
    int data[2] = {-1, -1}, rep[2] = {-1, -1};
    if (!f || !(f->url = strdup(url))) {
        ft_error_set(err, "out of memory");
        goto fail;
    }
    f->pid = -1;
    f->data_fd = f->report_fd = -1;
    if (!(exe = find_fetch(err)))
        goto fail;
    argv[0] = exe;
    size_t n = 0;
    while (environ && environ[n])
        n++;
    envp = calloc(n + 4, sizeof *envp);
    caller = malloc(strlen(ft_prog()) + 17);
    if (!envp || !caller) {
        ft_error_set(err, "out of memory");
        goto fail;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!private_var(environ[i]))
            envp[k++] = environ[i];
    sprintf(caller, "FT_FETCH_CALLER=%s", ft_prog());
    envp[k++] = caller;
    envp[k++] = "FT_FETCH_REPORT_FD=3";
    pthread_mutex_lock(&session_lock);
    if (session && (sess = malloc(strlen(session) + 18)))
        sprintf(sess, "FT_FETCH_SESSION=%s", session);
    pthread_mutex_unlock(&session_lock);
    if (sess)
        envp[k++] = sess;
    envp[k] = NULL;
    /* High descriptors, so that the child's dup2() onto 1 and 3 cannot
     * clobber one it still needs. */
    if (pipe2(data, O_CLOEXEC) < 0 || pipe2(rep, O_CLOEXEC) < 0) {
        ft_error_set(err, "%s: %s", url, strerror(errno));
        goto fail;
    }
    int dw = fcntl(data[1], F_DUPFD_CLOEXEC, 10);
    int rw = fcntl(rep[1], F_DUPFD_CLOEXEC, 10);
    close(data[1]);
    close(rep[1]);
    data[1] = dw;
    rep[1] = rw;
    if (dw < 0 || rw < 0) {
        ft_error_set(err, "%s: %s", url, strerror(errno));
        goto fail;
    }
    static const char exec_failed[] = "error ft-fetch: cannot be run\n";
    pid_t parent = getpid();
    forking[0] = f;
    forking[1] = exe;
    forking[2] = envp;
    forking[3] = caller;
    forking[4] = sess;
    f->pid = fork();
    if (f->pid != 0)
        memset(forking, 0, sizeof forking);
    if (f->pid < 0) {
        ft_error_set(err, "%s: cannot start ft-fetch: %s", url, strerror(errno));
        goto fail;
    }
    if (f->pid == 0) {
        /* Only async-signal-safe calls from here on. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(1); /* the parent died before prctl() */
        if (dup2(dw, STDOUT_FILENO) < 0 || dup2(rw, REPORT_FD) < 0)
            _exit(127);
        execve(exe, argv, envp);
        ssize_t w = write(REPORT_FD, exec_failed, sizeof exec_failed - 1);
        (void)w;
        _exit(127);
    }
    close(data[1]);
    close(rep[1]);
    f->data_fd = data[0];
    f->report_fd = rep[0];
    free(exe);
    ft_free_secret(sess);
    free(caller);
    free(envp);
    return f;
fail:
    for (int i = 0; i < 2; i++) {
        if (data[i] >= 0)
            close(data[i]);
        if (rep[i] >= 0)
            close(rep[i]);
    }
    free(exe);
    ft_free_secret(sess);
    free(caller);
    free(envp);
    if (f)
        free(f->url);
    free(f);
    return NULL;
}

/* Waits for the child and reads its report.  0 when it succeeded. */
static int reap(ft_fetch *f, ft_error *err)
{
    char *rep = malloc(REPORT_MAX + 1);
    size_t len = 0;
    while (rep && len < REPORT_MAX) {
        ssize_t r = read(f->report_fd, rep + len, REPORT_MAX - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    close(f->report_fd);
    f->report_fd = -1;
    int status = 0;
    while (waitpid(f->pid, &status, 0) < 0 && errno == EINTR)
        ;
    f->done = 1;
    const char *msg = NULL;
    if (rep) {
        rep[len] = '\0';
        for (char *line = rep, *nl; line && *line; line = nl) {
            nl = strchr(line, '\n');
            if (nl)
                *nl++ = '\0';
            if (strncmp(line, "session ", 8) == 0) {
                char *s = strdup(line + 8);
                pthread_mutex_lock(&session_lock);
                if (s) {
                    ft_free_secret(session);
                    session = s;
                }
                pthread_mutex_unlock(&session_lock);
            } else if (strncmp(line, "error ", 6) == 0) {
                msg = line + 6;
            }
        }
    }
    int rc = 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        rc = 0;
    } else if (msg) {
        /* ft-fetch names the address itself; add it when it did not. */
        size_t un = strlen(f->url);
        if (strncmp(msg, f->url, un) == 0 && msg[un] == ':')
            rc = ft_error_set(err, "%s", msg);
        else
            rc = ft_error_set(err, "%s: %s", f->url, msg);
    } else if (WIFSIGNALED(status)) {
        rc = ft_error_set(err, "%s: ft-fetch was killed by signal %d", f->url,
                          WTERMSIG(status));
    } else {
        rc = ft_error_set(err, "%s: ft-fetch failed (exit status %d)", f->url,
                          WEXITSTATUS(status));
    }
    if (rep) {
        explicit_bzero(rep, len);
        free(rep);
    }
    return rc;
}

ft_fetch *ft_fetch_open(const char *url, ft_error *err)
{
    char *argv[] = {NULL, "--", (char *)url, NULL};
    return spawn(url, argv, err);
}

int ft_fetch_fd(const ft_fetch *f) { return f->data_fd; }

int ft_fetch_finish(ft_fetch *f, ft_error *err)
{
    if (f->done)
        return 0;
    return reap(f, err);
}

void ft_fetch_close(ft_fetch *f)
{
    if (!f)
        return;
    if (f->data_fd >= 0)
        close(f->data_fd);
    if (!f->done && f->pid > 0) {
        /* A reader that stopped early: the rest is not wanted. */
        kill(f->pid, SIGTERM);
        ft_error ignored;
        reap(f, &ignored);
    }
    if (f->report_fd >= 0)
        close(f->report_fd);
    free(f->url);
    free(f);
}

void ft_fetch_names_free(ft_fetch_names *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n; i++)
        free(n->v[i]);
    free(n->v);
    n->v = NULL;
    n->n = n->cap = 0;
}

int ft_fetch_names_add(ft_fetch_names *n, const char *name)
{
    if (n->n == n->cap) {
        size_t cap = n->cap ? n->cap * 2 : 64;
        char **v = realloc(n->v, cap * sizeof *v);
        if (!v)
            return -1;
        n->v = v;
        n->cap = cap;
    }
    if (!(n->v[n->n] = strdup(name)))
        return -1;
    n->n++;
    return 0;
}

/* Runs "ft-fetch --list --null [--delimiter C] -- url": the addresses,
 * in order, or strip_url: relative to url. */
static int list(const char *url, char delim, int relative,
                ft_fetch_names *out, ft_error *err)
{
    memset(out, 0, sizeof *out);
    char d[2] = {delim, '\0'};
    char *argv[] = {NULL, "--list", "--null", "--", (char *)url, NULL, NULL,
                    NULL};
    if (delim) {
        argv[3] = "--delimiter";
        argv[4] = d;
        argv[5] = "--";
        argv[6] = (char *)url;
    }
    ft_fetch *f = spawn(url, argv, err);
    if (!f)
        return -1;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;
    for (;;) {
        if (len + 65536 > cap) {
            size_t nc = cap ? cap * 2 : 65536 * 2;
            char *nb = realloc(buf, nc);
            if (!nb) {
                rc = ft_error_set(err, "out of memory");
                break;
            }
            buf = nb;
            cap = nc;
        }
        ssize_t r = read(f->data_fd, buf + len, cap - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = ft_error_set(err, "%s: %s", url, strerror(errno));
            break;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    if (rc == 0)
        rc = ft_fetch_finish(f, err);
    ft_fetch_close(f);
    size_t un = strlen(url);
    for (size_t i = 0; rc == 0 && i < len;) {
        char *end = memchr(buf + i, '\0', len - i);
        if (!end) {
            rc = ft_error_set(err, "%s: ft-fetch: a listing not ended by NUL",
                              url);
            break;
        }
        const char *name = buf + i;
        i = (size_t)(end - buf) + 1;
        if (relative) {
            if (strncmp(name, url, un) != 0 || !name[un])
                continue; /* not below url (cannot happen) */
            name += un;
        }
        if (ft_fetch_names_add(out, name) < 0)
            rc = ft_error_set(err, "out of memory");
    }
    free(buf);
    if (rc < 0)
        ft_fetch_names_free(out);
    return rc;
}

int ft_fetch_list(const char *url, char delim, ft_fetch_names *out,
                  ft_error *err)
{
    return list(url, delim, 1, out, err);
}

int ft_fetch_expand(int n, char *const *args, ft_fetch_names *out,
                    ft_error *err)
{
    memset(out, 0, sizeof *out);
    for (int i = 0; i < n; i++) {
        ft_fetch_names v = {0};
        if (ft_fetch_is_prefix(args[i]) && ft_fetch_objects(args[i], &v, err) < 0) {
            ft_fetch_names_free(out);
            return -1;
        }
        int rc = 0;
        for (size_t k = 0; rc == 0 && k < v.n; k++)
            rc = ft_fetch_names_add(out, v.v[k]);
        if (v.n == 0)
            rc = ft_fetch_names_add(out, args[i]);
        ft_fetch_names_free(&v);
        if (rc < 0) {
            ft_fetch_names_free(out);
            return ft_error_set(err, "out of memory");
        }
    }
    return 0;
}

int ft_fetch_objects(const char *url, ft_fetch_names *out, ft_error *err)
{
    if (list(url, 0, 0, out, err) < 0)
        return -1;
    if (out->n == 0)
        return ft_error_set(err, "%s: no objects", url);
    return 0;
}
