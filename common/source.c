/* source.c - buffered input with transparent gzip (see source.h). */
#include "source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "fetch.h"

#define BUFSZ (256 * 1024)

struct ft_source {
    char *name;
    int fd;
    int own_fd;
    int regular;    /* fd is a regular file */
    int gzip;
    int eof;        /* no more raw bytes from fd */
    z_stream z;
    unsigned char *raw; /* compressed bytes (gzip only) */
    int in_member;      /* inside a gzip member: end of data is truncation */
    uint64_t raw_read;  /* compressed bytes read from fd */
    unsigned char *buf; /* bytes ready for the reader */
    size_t pos, len;
    uint64_t offset;
    ft_fetch *fetch;    /* a store object streamed by ft-fetch, or NULL */
};

static ssize_t read_fd(ft_source *s, unsigned char *buf, size_t n, ft_error *err)
{
    for (;;) {
        ssize_t r = read(s->fd, buf, n);
        if (r > 0)
            return r;
        /* A store object ends well only if ft-fetch says so: a download
         * cut at an Avro block boundary looks like a clean end. */
        if (r == 0 && s->fetch && ft_fetch_finish(s->fetch, err) < 0)
            return -1;
        if (r == 0)
            return 0;
        if (errno == EINTR)
            continue;
        return ft_error_set(err, "%s: %s", s->name, strerror(errno));
    }
}

/* Fills s->buf with more decoded bytes. Returns bytes added, 0 at end, -1. */
static ssize_t fill(ft_source *s, ft_error *err)
{
    if (s->pos == s->len)
        s->pos = s->len = 0;
    if (!s->gzip) {
        if (s->eof)
            return 0;
        ssize_t r = read_fd(s, s->buf + s->len, BUFSZ - s->len, err);
        if (r == 0)
            s->eof = 1;
        if (r > 0)
            s->len += (size_t)r;
        return r;
    }
    for (;;) {
        if (s->z.avail_in == 0 && !s->eof) {
            ssize_t r = read_fd(s, s->raw, BUFSZ, err);
            if (r < 0)
                return -1;
            if (r == 0)
                s->eof = 1;
            s->raw_read += (uint64_t)r;
            s->z.next_in = s->raw;
            s->z.avail_in = (uInt)r;
        }
        if (s->z.avail_in == 0 && s->eof) {
            if (s->in_member)
                return ft_error_set(err, "%s: gzip data truncated at byte %llu",
                                    s->name, (unsigned long long)s->raw_read);
            return 0;
        }
        s->z.next_out = s->buf + s->len;
        s->z.avail_out = (uInt)(BUFSZ - s->len);
        uInt before = s->z.avail_in;
        int rc = inflate(&s->z, Z_NO_FLUSH);
        if (s->z.avail_in != before)
            s->in_member = 1;
        size_t got = (BUFSZ - s->len) - s->z.avail_out;
        s->len += got;
        if (rc == Z_STREAM_END) {
            /* Another gzip member may follow (concatenated .gz files). */
            inflateReset(&s->z);
            s->in_member = 0;
            if (got)
                return (ssize_t)got;
            continue;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR)
            return ft_error_set(err, "%s: gzip: byte %llu: %s", s->name,
                                (unsigned long long)(s->raw_read - s->z.avail_in),
                                s->z.msg ? s->z.msg : "corrupt data");
        if (got)
            return (ssize_t)got;
    }
}

ft_source *ft_source_open(const char *path, ft_error *err)
{
    ft_source *s = calloc(1, sizeof *s);
    if (!s) {
        ft_error_set(err, "%s: out of memory", path);
        return NULL;
    }
    int is_stdin = strcmp(path, "-") == 0;
    s->name = strdup(is_stdin ? "(stdin)" : path);
    s->buf = malloc(BUFSZ);
    if (!s->name || !s->buf) {
        ft_error_set(err, "%s: out of memory", path);
        goto fail;
    }
    if (is_stdin) {
        s->fd = STDIN_FILENO;
        if (isatty(s->fd)) {
            ft_error_set(err, "(stdin): will not read binary data from a terminal");
            goto fail;
        }
    } else if (ft_fetch_is_url(path)) {
        if (!(s->fetch = ft_fetch_open(path, err)))
            goto fail;
        s->fd = ft_fetch_fd(s->fetch);
    } else {
        s->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (s->fd < 0) {
            ft_error_set(err, "%s: %s", path, strerror(errno));
            goto fail;
        }
        s->own_fd = 1;
        struct stat st;
        if (fstat(s->fd, &st) == 0 && S_ISDIR(st.st_mode)) {
            ft_error_set(err, "%s: is a directory", path);
            goto fail;
        }
    }
    struct stat st;
    s->regular = !s->fetch && fstat(s->fd, &st) == 0 && S_ISREG(st.st_mode);
    /* Detect gzip from the first two raw bytes. */
    while (s->len < 2 && !s->eof) {
        ssize_t r = read_fd(s, s->buf + s->len, BUFSZ - s->len, err);
        if (r < 0)
            goto fail;
        if (r == 0)
            s->eof = 1;
        s->len += (size_t)r;
    }
    if (s->len >= 2 && s->buf[0] == 0x1f && s->buf[1] == 0x8b) {
        s->gzip = 1;
        s->raw = malloc(BUFSZ);
        if (!s->raw || inflateInit2(&s->z, 15 + 16) != Z_OK) {
            ft_error_set(err, "%s: out of memory", path);
            goto fail;
        }
        memcpy(s->raw, s->buf, s->len);
        s->raw_read = s->len;
        s->z.next_in = s->raw;
        s->z.avail_in = (uInt)s->len;
        s->pos = s->len = 0;
    }
    return s;
fail:
    ft_source_close(s);
    return NULL;
}

ssize_t ft_source_read(ft_source *s, void *buf, size_t n, ft_error *err)
{
    if (s->pos == s->len) {
        /* Large reads of plain data bypass the buffer. */
        if (!s->gzip && n >= BUFSZ && !s->eof) {
            ssize_t r = read_fd(s, buf, n, err);
            if (r == 0)
                s->eof = 1;
            if (r > 0)
                s->offset += (uint64_t)r;
            return r;
        }
        ssize_t r = fill(s, err);
        if (r <= 0)
            return r;
    }
    size_t k = s->len - s->pos;
    if (k > n)
        k = n;
    memcpy(buf, s->buf + s->pos, k);
    s->pos += k;
    s->offset += k;
    return (ssize_t)k;
}

int ft_source_read_full(ft_source *s, void *buf, size_t n, ft_error *err)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = ft_source_read(s, (char *)buf + got, n - got, err);
        if (r < 0)
            return -1;
        if (r == 0) {
            if (got == 0)
                return 0;
            return ft_error_set(err, "%s: truncated at byte %llu", s->name,
                                (unsigned long long)s->offset);
        }
        got += (size_t)r;
    }
    return 1;
}

ssize_t ft_source_peek(ft_source *s, void *buf, size_t n, ft_error *err)
{
    while (s->len - s->pos < n) {
        if (s->pos > 0) { /* make room at the end */
            memmove(s->buf, s->buf + s->pos, s->len - s->pos);
            s->len -= s->pos;
            s->pos = 0;
        }
        ssize_t r = fill(s, err);
        if (r < 0)
            return -1;
        if (r == 0)
            break;
    }
    size_t k = s->len - s->pos < n ? s->len - s->pos : n;
    memcpy(buf, s->buf + s->pos, k);
    return (ssize_t)k;
}

const char *ft_source_name(const ft_source *s) { return s->name; }
uint64_t ft_source_offset(const ft_source *s) { return s->offset; }
int ft_source_is_gzip(const ft_source *s) { return s->gzip; }
int ft_source_is_file(const ft_source *s) { return s->regular; }

void ft_source_close(ft_source *s)
{
    if (!s)
        return;
    if (s->gzip)
        inflateEnd(&s->z);
    if (s->own_fd && s->fd >= 0)
        close(s->fd);
    ft_fetch_close(s->fetch); /* closes its fd */
    free(s->raw);
    free(s->buf);
    free(s->name);
    free(s);
}
