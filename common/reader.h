/*
 * reader.h - the one input layer: every tool reads records through this.
 *
 * Takes any number of inputs ("-" or none means stdin; store addresses
 * such as swift://CONTAINER/OBJECT or s3://BUCKET/KEY, and a PREFIX/ for
 * every object under the prefix in name order, see fetch.h), opens them
 * one after the other, decompresses gzip transparently, and detects from the
 * first bytes whether each is an FT4 Avro container or a framed stream.
 * Anything else is refused with a message naming the input.
 *
 * Ownership: ft_reader_open() copies nothing it does not need; paths must
 * outlive the reader.  Close with ft_reader_close() (NULL accepted).
 */
#ifndef FT_READER_H
#define FT_READER_H

#include <stdint.h>

#include "dataset.h"
#include "datum.h" /* FT4_FIELD_BIT, FT4_FIELDS_ALL */
#include "error.h"
#include "ft4.h"

typedef struct ft_reader ft_reader;

enum ft_input_format { FT_IN_AVRO, FT_IN_FRAMED };

ft_reader *ft_reader_open(int npaths, char *const *paths, ft_error *err);
/* The same for what the shared input options select (dataset.h): with
 * spec->root the dataset's files for the range, in time order (npaths
 * must be 0; no file means no input, not stdin), else the paths as
 * above; either way only records with from <= time <= to are returned.
 * spec is copied; paths must outlive the reader. */
ft_reader *ft_reader_open_spec(const ft_dataset_spec *spec, int npaths,
                               char *const *paths, ft_error *err);

/*
 * Decode projection, for tools that read only some fields (ft-topn,
 * ft-series, ft-filter --count): records then hold only the fields in
 * `fields` (FT4_FIELD_BIT bits, datum.h), and time as well when a time
 * range is set; every other field reads as 0 or empty.  Every input is
 * still checked as fully as without it: the same inputs are refused, with
 * the same messages.  Default: FT4_FIELDS_ALL.  Call before the first
 * ft_reader_next.
 */
void ft_reader_set_fields(ft_reader *r, uint32_t fields);

/*
 * Records copied unchanged, for tools that write what they read as Avro or
 * framed records (ft-cat, ft-filter): from now on, a record of an input
 * in FT4's own schema (every framed stream; Avro files whose schema
 * ft4_plan_is_ft4) whose bytes are exactly what fttools' encoder writes
 * for it (ft4_encoded_canonical) holds only `fields` (and time with a time
 * range), and ft_reader_encoded gives those bytes.  Every other record is
 * decoded as before (ft_reader_set_fields).  Inputs are checked exactly as
 * fully either way.  Call before the first ft_reader_next.  No effect when
 * the environment has FT_COPY_RECORDS=0 (for comparisons: the output is
 * the same).
 */
void ft_reader_set_encoded(ft_reader *r, uint32_t fields);
/* The bytes, in FT4's schema, of the record ft_reader_next returned last,
 * as set_encoded says; valid until the next ft_reader_next.  NULL when
 * there are none: the record then holds what ft_reader_set_fields asked
 * for (by default every field). */
const uint8_t *ft_reader_encoded(const ft_reader *r, size_t *len);

/* 1 = a record in *rec, 0 = all inputs done, -1 = error (err names the
 * input and position; the reader is then finished). */
int ft_reader_next(ft_reader *r, ft4_record *rec, ft_error *err);

/* Name of the input being read ("(stdin)" for stdin), or NULL. */
const char *ft_reader_input_name(const ft_reader *r);
/* Records read so far over all inputs (with a range, those dropped as
 * well: the position of the last record read). */
uint64_t ft_reader_records(const ft_reader *r);

void ft_reader_close(ft_reader *r);

#endif
