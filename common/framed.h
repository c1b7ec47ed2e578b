/*
 * framed.h - the fttools framed stream: FT4 records over pipes.
 *
 * The byte layout is drawn in framed.c and documented in ft4-stream(5).
 * A stream is a header (always written, even for zero records), batches
 * of records each with a count, a byte length and a CRC-32, and an
 * end-of-stream marker: a pipe cut short is reported as truncated,
 * never mistaken for a clean end.  Streams may be concatenated
 * (`cat a b | ft-cat`): the reader goes on at a header that follows an
 * end marker.
 *
 * Ownership: reader and writer borrow their source / sink.  The reader is
 * freed by ft_framed_reader_close(), the writer by ft_framed_writer_close()
 * (writes the end) or ft_framed_writer_free() (does not); all accept NULL.
 */
#ifndef FT_FRAMED_H
#define FT_FRAMED_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "ft4.h"
#include "sink.h"
#include "source.h"

/* First 8 bytes of every framed stream. */
#define FT_FRAMED_MAGIC "\x89" "FT4S\r\n\x1a"
#define FT_FRAMED_MAGIC_LEN 8

#define FT_FRAMED_VERSION 1
#define FT_FRAMED_HEADER_LEN 28   /* stream header */
#define FT_FRAMED_FRAME_LEN 16    /* batch header, and the whole end marker */
/* The writer ends a batch once its payload reaches this many bytes. */
#define FT_FRAMED_BATCH_TARGET (64 * 1024)
/* Readers refuse a batch payload longer than this ... */
#define FT_FRAMED_BATCH_MAX (16 * 1024 * 1024)
/* ... and a record count above length / FT_FRAMED_RECORD_MIN: no record of
 * the FT4 schema encodes to fewer bytes (16 numbers, 8 arrays, 4 strings,
 * at least one byte each). */
#define FT_FRAMED_RECORD_MIN 28

typedef struct ft_framed_reader ft_framed_reader;
typedef struct ft_framed_writer ft_framed_writer;

/* Reads and checks the header. */
ft_framed_reader *ft_framed_reader_open(ft_source *src, ft_error *err);
/* 1 = a record, 0 = end-of-stream marker reached (and nothing but another
 * whole stream after it), -1 = error. */
int ft_framed_reader_next(ft_framed_reader *r, ft4_record *rec, ft_error *err);
/* From now on store only these fields (datum.h, ft4_decode_fields; the
 * default is FT4_FIELDS_ALL): the others read as 0 or empty, and a stream
 * is refused exactly as it is with every field. */
void ft_framed_reader_set_fields(ft_framed_reader *r, uint32_t fields);
/* Records to be copied (ft4_decode_for_copy): from now on
 * ft_framed_reader_encoded gives the bytes of each record that are exactly
 * what ft4_encode writes for it, and a record for which it gives none
 * holds every field. */
void ft_framed_reader_set_copy(ft_framed_reader *r);
/* The bytes of the record returned last (valid until the next call), or
 * NULL when it may not be copied (see ft_framed_reader_set_copy). */
const uint8_t *ft_framed_reader_encoded(const ft_framed_reader *r, size_t *len);
void ft_framed_reader_close(ft_framed_reader *r);

/* Writes the header at once. */
ft_framed_writer *ft_framed_writer_open(ft_sink *out, ft_error *err);
int ft_framed_writer_put(ft_framed_writer *w, const ft4_record *r, ft_error *err);
/* Writes a record given as its n bytes in FT4's schema, as they are
 * (see ft4_encoded_canonical); refuses more than FT4_ENCODED_MAX bytes. */
int ft_framed_writer_put_encoded(ft_framed_writer *w, const uint8_t *rec,
                                 size_t n, ft_error *err);
/* Pushes the current batch to the sink (e.g. before a pause in a live
 * stream, so readers see records promptly; then ft_sink_flush the sink). */
int ft_framed_writer_flush(ft_framed_writer *w, ft_error *err);
/* Writes the last batch and the end marker, frees the writer (also on
 * error).  Does not flush or commit the sink. */
int ft_framed_writer_close(ft_framed_writer *w, ft_error *err);
void ft_framed_writer_free(ft_framed_writer *w);

/* CRC-64-AVRO ("Rabin") fingerprint of n bytes, as the Avro spec defines
 * it; returned as the unsigned 64-bit value (Java's long, reinterpreted). */
uint64_t ft_avro_fingerprint64(const void *buf, size_t n);

/* Parsing Canonical Form of the FT4 schema (static string). */
const char *ft_framed_schema_canonical(void);
/* Fingerprint of ft_framed_schema_canonical(): what every header carries. */
uint64_t ft_framed_schema_fingerprint(void);

#endif
