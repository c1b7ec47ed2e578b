/*
 * framed.h - the fttools framed stream: FT4 records over pipes.
 *
 * The byte layout is drawn in framed.c and documented in ft4-stream(5).
 * A stream is a header (always written, even for zero records), batches
 * of records each with a count, a byte length and a CRC-32, and an
 * end-of-stream marker: a pipe cut short is reported as truncated,
 * never mistaken for a clean end.
 *
 * Ownership: reader and writer borrow their source / sink.
 */
#ifndef FT_FRAMED_H
#define FT_FRAMED_H

#include "error.h"
#include "ft4.h"
#include "sink.h"
#include "source.h"

/* First 8 bytes of every framed stream. */
#define FT_FRAMED_MAGIC "\x89" "FT4S\r\n\x1a"
#define FT_FRAMED_MAGIC_LEN 8

typedef struct ft_framed_reader ft_framed_reader;
typedef struct ft_framed_writer ft_framed_writer;

ft_framed_reader *ft_framed_reader_open(ft_source *src, ft_error *err);
/* 1 = a record, 0 = end-of-stream marker reached, -1 = error. */
int ft_framed_reader_next(ft_framed_reader *r, ft4_record *rec, ft_error *err);
void ft_framed_reader_close(ft_framed_reader *r);

/* Writes the header at once. */
ft_framed_writer *ft_framed_writer_open(ft_sink *out, ft_error *err);
int ft_framed_writer_put(ft_framed_writer *w, const ft4_record *r, ft_error *err);
/* Pushes the current batch to the sink (e.g. before a pause in a live
 * stream, so readers see records promptly). */
int ft_framed_writer_flush(ft_framed_writer *w, ft_error *err);
/* Writes the last batch and the end marker, frees the writer. */
int ft_framed_writer_close(ft_framed_writer *w, ft_error *err);
void ft_framed_writer_free(ft_framed_writer *w);

#endif
