/*
 * fuzz_util.h - helpers shared by the libFuzzer harnesses: the readers
 * under test open inputs by path, so a harness writes its bytes to an
 * anonymous in-memory file (memfd) and hands over /proc/self/fd/N.
 *
 * Each memfd is made once per process and rewritten for every input;
 * opening /proc/self/fd/N gives a new file description, so every reader
 * starts at offset 0.
 */
#ifndef FT_FUZZ_UTIL_H
#define FT_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "error.h"

typedef struct fuzz_file {
    int fd;
    char path[64];
} fuzz_file;

/* Replaces the content of f (made on first use) with n bytes of data and
 * returns its path.  Aborts on failure: a harness that cannot write its
 * input would test nothing. */
static inline const char *fuzz_file_set(fuzz_file *f, const void *data,
                                        size_t n)
{
    if (f->path[0] == '\0') {
        f->fd = memfd_create("fuzz-input", MFD_CLOEXEC);
        if (f->fd < 0) {
            perror("memfd_create");
            abort();
        }
        snprintf(f->path, sizeof f->path, "/proc/self/fd/%d", f->fd);
    }
    if (ftruncate(f->fd, 0) < 0) {
        perror("ftruncate");
        abort();
    }
    size_t off = 0;
    while (off < n) {
        ssize_t w = pwrite(f->fd, (const char *)data + off, n - off,
                           (off_t)off);
        if (w <= 0) {
            perror("pwrite");
            abort();
        }
        off += (size_t)w;
    }
    return f->path;
}

/* Writes the harness input to f: the bytes after the flags byte, repaired
 * first by repair() (when not NULL) if flag bit 0 is set.  Returns the
 * path, or NULL for an empty input. */
static inline const char *fuzz_input(fuzz_file *f, const uint8_t *data,
                                     size_t size,
                                     void (*repair)(uint8_t *, size_t))
{
    if (size < 1)
        return NULL;
    size_t n = size - 1;
    uint8_t *copy = malloc(n ? n : 1);
    if (!copy)
        abort();
    memcpy(copy, data + 1, n);
    if ((data[0] & 1) && repair)
        repair(copy, n);
    const char *path = fuzz_file_set(f, copy, n);
    free(copy);
    return path;
}

static inline uint32_t fuzz_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static inline void fuzz_put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Library messages may quote file bytes as they are: msg.c shows control
 * bytes as \xNN when it prints, so a file can neither send terminal
 * escapes nor forge a second line.  What must hold here is that the
 * message is a C string of bounded length (it always is: ft_error). */
static inline int fuzz_message_clean(const char *msg)
{
    return strlen(msg) < FT_ERRLEN;
}

/* An error must name the input first ("PATH: ...") and be clean. */
static inline void fuzz_check_error(const ft_error *err, const char *path)
{
    size_t n = strlen(path);
    if (strncmp(err->msg, path, n) != 0 || err->msg[n] != ':' ||
        !fuzz_message_clean(err->msg)) {
        fprintf(stderr, "bad error message: '%s'\n", err->msg);
        abort();
    }
}

/* gzip of n bytes into a malloc'ed buffer (*out_len), or NULL. */
static inline uint8_t *fuzz_gzip(const uint8_t *in, size_t n, size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    size_t cap = deflateBound(&z, (uLong)n) + 32;
    uint8_t *out = malloc(cap);
    if (!out) {
        deflateEnd(&z);
        return NULL;
    }
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
    *out_len = cap - z.avail_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    return out;
}

/* Writes the gzip of n bytes of data to f, without its last `cut` bytes
 * (0: whole), and returns its path. */
static inline const char *fuzz_file_set_gzip(fuzz_file *f, const uint8_t *data,
                                             size_t n, size_t cut)
{
    size_t glen;
    uint8_t *g = fuzz_gzip(data, n, &glen);
    if (!g)
        abort();
    const char *path = fuzz_file_set(f, g, glen > cut ? glen - cut : 0);
    free(g);
    return path;
}

#endif
