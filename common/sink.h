/*
 * sink.h - a writable byte stream: stdout, or a file that appears under
 * its name only when complete.
 *
 * A file sink writes to "NAME.tmp.XXXXXX" in the same directory and
 * renames it to NAME in ft_sink_commit(); ft_sink_abort() (or a failed
 * commit) removes the temporary.  An existing FIFO or device (/dev/null)
 * is written in place, like stdout.  Either call frees the sink.  Aborting a
 * stdout sink still passes on the bytes already written to it: a pipe
 * reader gets every record produced before the error.
 */
#ifndef FT_SINK_H
#define FT_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct ft_sink ft_sink;

/* path NULL or "-" means standard output. mkdirs: create missing parent
 * directories. */
ft_sink *ft_sink_open(const char *path, int mkdirs, ft_error *err);

int ft_sink_write(ft_sink *s, const void *buf, size_t n, ft_error *err);
/* Pushes buffered bytes to the file descriptor. */
int ft_sink_flush(ft_sink *s, ft_error *err);
/* Flushes, syncs and renames into place (files); flushes (stdout). */
int ft_sink_commit(ft_sink *s, ft_error *err);
void ft_sink_abort(ft_sink *s);

const char *ft_sink_name(const ft_sink *s);
int ft_sink_is_tty(const ft_sink *s);
uint64_t ft_sink_bytes(const ft_sink *s);
/* The temporary's path while open (NULL for stdout), e.g. for signal
 * handlers that must remove it. */
const char *ft_sink_temp_path(const ft_sink *s);

/* Removes every temporary file of the sinks still open.  Async-signal-
 * safe: for handlers that end the process (cli.c). */
void ft_sink_unlink_temporaries(void);

/* Creates the parent directories of path (mkdir -p of its dirname). */
int ft_mkdirs_for(const char *path, ft_error *err);

#endif
