/* sink.c - buffered output, atomic files (see sink.h). */
#include "sink.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUFSZ (256 * 1024)

/* The temporaries of open file sinks, for a signal handler to remove.  A
 * slot's path is written before its flag is set and the flag cleared
 * before the file is renamed or removed, so a handler sees whole paths. */
#define MAX_TEMPS 16
#define TEMP_PATH_MAX 4096
static char temp_path[MAX_TEMPS][TEMP_PATH_MAX];
static volatile sig_atomic_t temp_live[MAX_TEMPS];

static int temp_register(const char *path)
{
    size_t n = strlen(path);
    if (n >= TEMP_PATH_MAX)
        return -1;
    for (int i = 0; i < MAX_TEMPS; i++)
        if (!temp_live[i]) {
            memcpy(temp_path[i], path, n + 1);
            temp_live[i] = 1;
            return i;
        }
    return -1; /* more than MAX_TEMPS at once: not removed on a signal */
}

static void temp_forget(int slot)
{
    if (slot >= 0)
        temp_live[slot] = 0;
}

void ft_sink_unlink_temporaries(void)
{
    for (int i = 0; i < MAX_TEMPS; i++)
        if (temp_live[i])
            unlink(temp_path[i]);
}

struct ft_sink {
    char *name;   /* final name, or "(stdout)" */
    char *tmp;    /* temporary path, NULL for stdout */
    int fd;
    int temp_slot; /* in temp_path[], or -1 */
    unsigned char *buf;
    size_t len;
    uint64_t bytes;
};

int ft_mkdirs_for(const char *path, ft_error *err)
{
    char *p = strdup(path);
    if (!p)
        return ft_error_set(err, "%s: out of memory", path);
    char *slash = strrchr(p, '/');
    if (!slash || slash == p) {
        free(p);
        return 0;
    }
    *slash = '\0';
    for (char *q = p + 1; ; q++) {
        if (*q == '/' || *q == '\0') {
            char c = *q;
            *q = '\0';
            if (mkdir(p, 0777) < 0 && errno != EEXIST) {
                int e = errno;
                ft_error_set(err, "%s: cannot create directory: %s", p, strerror(e));
                free(p);
                return -1;
            }
            *q = c;
            if (c == '\0')
                break;
        }
    }
    free(p);
    return 0;
}

ft_sink *ft_sink_open(const char *path, int mkdirs, ft_error *err)
{
    ft_sink *s = calloc(1, sizeof *s);
    if (!s || !(s->buf = malloc(BUFSZ))) {
        free(s);
        ft_error_set(err, "out of memory");
        return NULL;
    }
    if (!path || strcmp(path, "-") == 0) {
        s->name = strdup("(stdout)");
        s->fd = STDOUT_FILENO;
        s->temp_slot = -1;
        if (!s->name)
            goto oom;
        return s;
    }
    s->name = strdup(path);
    if (!s->name)
        goto oom;
    /* A FIFO or device (/dev/null, /dev/stdout) is written in place: a
     * temporary renamed over it would replace the device node itself. */
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
        s->fd = open(path, O_WRONLY | O_CLOEXEC);
        s->temp_slot = -1;
        if (s->fd < 0) {
            ft_error_set(err, "%s: %s", path, strerror(errno));
            goto fail;
        }
        return s;
    }
    size_t n = strlen(path);
    s->tmp = malloc(n + 16);
    if (!s->name || !s->tmp)
        goto oom;
    memcpy(s->tmp, path, n);
    memcpy(s->tmp + n, ".tmp.XXXXXX", 12);
    if (mkdirs && ft_mkdirs_for(path, err) < 0)
        goto fail;
    s->fd = mkstemp(s->tmp);
    if (s->fd < 0) {
        ft_error_set(err, "%s: %s", path, strerror(errno));
        goto fail;
    }
    s->temp_slot = temp_register(s->tmp);
    /* mkstemp makes 0600; give the file the mode a plain creat() would. */
    mode_t um = umask(0);
    umask(um);
    fchmod(s->fd, 0666 & ~um);
    return s;
oom:
    ft_error_set(err, "out of memory");
fail:
    free(s->tmp);
    s->tmp = NULL;
    free(s->name);
    free(s->buf);
    free(s);
    return NULL;
}

int ft_sink_flush(ft_sink *s, ft_error *err)
{
    size_t off = 0;
    while (off < s->len) {
        ssize_t w = write(s->fd, s->buf + off, s->len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return ft_error_set(err, "%s: %s", s->name, strerror(errno));
        }
        off += (size_t)w;
    }
    s->len = 0;
    return 0;
}

int ft_sink_write(ft_sink *s, const void *buf, size_t n, ft_error *err)
{
    if (n == 0)
        return 0;
    s->bytes += n;
    if (s->len + n > BUFSZ) {
        if (ft_sink_flush(s, err) < 0)
            return -1;
        if (n >= BUFSZ) { /* large writes go straight through */
            const unsigned char *p = buf;
            while (n) {
                ssize_t w = write(s->fd, p, n);
                if (w < 0) {
                    if (errno == EINTR)
                        continue;
                    return ft_error_set(err, "%s: %s", s->name, strerror(errno));
                }
                p += w;
                n -= (size_t)w;
            }
            return 0;
        }
    }
    memcpy(s->buf + s->len, buf, n);
    s->len += n;
    return 0;
}

static void sink_free(ft_sink *s)
{
    free(s->buf);
    free(s->tmp);
    free(s->name);
    free(s);
}

int ft_sink_commit(ft_sink *s, ft_error *err)
{
    if (!s)
        return 0;
    if (ft_sink_flush(s, err) < 0) {
        ft_sink_abort(s);
        return -1;
    }
    if (!s->tmp) {
        if (s->fd != STDOUT_FILENO && close(s->fd) < 0) {
            ft_error_set(err, "%s: %s", s->name, strerror(errno));
            sink_free(s);
            return -1;
        }
        sink_free(s);
        return 0;
    }
    if (fsync(s->fd) < 0 && errno != EINVAL) {
        ft_error_set(err, "%s: %s", s->name, strerror(errno));
        ft_sink_abort(s);
        return -1;
    }
    if (close(s->fd) < 0) {
        s->fd = -1;
        ft_error_set(err, "%s: %s", s->name, strerror(errno));
        ft_sink_abort(s);
        return -1;
    }
    s->fd = -1;
    temp_forget(s->temp_slot);
    s->temp_slot = -1;
    if (rename(s->tmp, s->name) < 0) {
        ft_error_set(err, "%s: %s", s->name, strerror(errno));
        ft_sink_abort(s);
        return -1;
    }
    sink_free(s);
    return 0;
}

void ft_sink_abort(ft_sink *s)
{
    if (!s)
        return;
    if (!s->tmp) {
        /* stdout, a FIFO or a device: what was produced before the error
         * is valid output and may already be partly on its way; pass the
         * rest on too. */
        ft_sink_flush(s, NULL);
        if (s->fd != STDOUT_FILENO)
            close(s->fd);
    } else {
        temp_forget(s->temp_slot);
        if (s->fd >= 0)
            close(s->fd);
        unlink(s->tmp);
    }
    sink_free(s);
}

const char *ft_sink_name(const ft_sink *s) { return s->name; }
int ft_sink_is_tty(const ft_sink *s) { return isatty(s->fd); }
uint64_t ft_sink_bytes(const ft_sink *s) { return s->bytes; }
const char *ft_sink_temp_path(const ft_sink *s) { return s->tmp; }
