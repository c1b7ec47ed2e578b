/*
 * source.h - a readable byte stream: a file, stdin for "-", or a store
 * object (swift://CONTAINER/OBJECT, s3://BUCKET/KEY, streamed by
 * ft-fetch, see fetch.h: no temporary copy), with gzip decompressed
 * transparently (zlib).  Every
 * reader reads through this.  A store object's end of data counts only
 * once ft-fetch has verified the whole object (its MD5); otherwise the
 * read that meets it fails with ft-fetch's error.
 *
 * Ownership: ft_source_open() returns a handle the caller closes with
 * ft_source_close() (NULL accepted).
 */
#ifndef FT_SOURCE_H
#define FT_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

typedef struct ft_source ft_source;

/* Opens path ("-" is stdin).  Refuses a terminal, a directory and a file
 * that cannot be opened, with a message naming it. */
ft_source *ft_source_open(const char *path, ft_error *err);

/* Reads up to n bytes; returns the count, 0 at end of data, -1 on error
 * (message names the input). A short count does not mean end of data. */
ssize_t ft_source_read(ft_source *s, void *buf, size_t n, ft_error *err);

/* Reads exactly n bytes. Returns 1, 0 when the data ended before the first
 * byte, or -1 on error or when it ended part-way (err says "truncated"). */
int ft_source_read_full(ft_source *s, void *buf, size_t n, ft_error *err);

/* Looks at up to n bytes without consuming them (n <= 16). Returns how
 * many are available (fewer only at end of data), or -1 on error. */
ssize_t ft_source_peek(ft_source *s, void *buf, size_t n, ft_error *err);

/* Name for messages: the path (the address), or "(stdin)". */
const char *ft_source_name(const ft_source *s);
/* Bytes consumed so far (of the decompressed data). */
uint64_t ft_source_offset(const ft_source *s);
int ft_source_is_gzip(const ft_source *s);
/* 1 when the data comes from a regular file (also as stdin), whose reads
 * never wait on another process: a reader may then read ahead on a
 * second thread and still stop at once. */
int ft_source_is_file(const ft_source *s);

void ft_source_close(ft_source *s);

#endif
