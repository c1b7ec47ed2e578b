/*
 * partial.h - the file format of partial results (`ft-topn --partial`,
 * `ft-series --partial`), which `--merge` combines into exactly the
 * result of one run over all the inputs.
 *
 * A file is one or more sections back to back, so `cat a.part b.part` is
 * itself a valid input; it may be gzip-compressed.  Every fixed-size
 * integer is little-endian (as in the framed stream, framed.h).  A
 * section:
 *
 *   byte  0       1       2       3       4       5       6       7
 *       +-------+-------+-------+-------+-------+-------+-------+-------+
 *     0 | 0x89  |  'F'  |  'T'  |  '4'  |  'P'  |  \r   |  \n   | 0x1a  |
 *       +-------+-------+-------+-------+-------+-------+-------+-------+
 *     8 |  version = 1  | descriptor    |  item count (u64) ...         |
 *       |  (u16)        | length (u16)  |                               |
 *       +---------------+---------------+-------------------------------+
 *    16 |  ... item count               |  descriptor: ASCII, 1..1024   ~
 *       +-------------------------------+  bytes, no NUL                |
 *       ~  items: `item count` of them, laid out as the descriptor     ~
 *       ~  says, from unsigned LEB128 varints ("uint"), zigzag LEB128   ~
 *       ~  varints ("int") and raw bytes                                ~
 *       +-------+-------+-------+-------+-------------------------------+
 *       |  'E'  |  'N'  |  'D'  |  '!'  |  CRC-32 (zlib crc32) of every |
 *       |       |       |       |       |  byte of the section before   |
 *       |       |       |       |       |  'E'                          |
 *       +-------+-------+-------+-------+-------------------------------+
 *
 * The descriptor names the tool and every setting the counts depend on
 * and its item layout (e.g. "ft-topn v2 key=netacq_country by=flows");
 * partials merge only when their descriptors are equal (ft-topn also
 * merges its layouts 1 and 2 with each other).  The item layouts are
 * documented with their writers (topn.h, series.h).
 *
 * Ownership: the writer borrows its sink (the caller commits it); the
 * reader owns the source it opens.  Close both with their close functions
 * (NULL accepted).
 */
#ifndef FT_PARTIAL_H
#define FT_PARTIAL_H

#include <stddef.h>
#include <stdint.h>

#include "dataset.h"
#include "error.h"
#include "ft4.h"
#include "sink.h"

/* The options of every tool that writes and merges partial results, as
 * FT_OUTPUT_LONGOPTS (output.h) does for the output options. */
enum { FT_OPT_PARTIAL = 0x1100, FT_OPT_MERGE, FT_OPT_PARTIAL_LAST };
#define FT_PARTIAL_LONGOPTS                                  \
    {"partial", no_argument, NULL, FT_OPT_PARTIAL},          \
    {"merge", no_argument, NULL, FT_OPT_MERGE}
/* Their lines for --help. */
extern const char ft_partial_help[];

#define FT_PARTIAL_MAGIC "\x89" "FT4P\r\n\x1a"
#define FT_PARTIAL_DESC_MAX 1024
/* Largest raw byte string a reader accepts in one get. */
#define FT_PARTIAL_BYTES_MAX 4096

typedef struct ft_partial_writer ft_partial_writer;
typedef struct ft_partial_reader ft_partial_reader;

/* Writes a section header at once.  The items put afterwards must number
 * exactly nitems. */
ft_partial_writer *ft_partial_writer_open(ft_sink *sink, const char *desc,
                                          uint64_t nitems, ft_error *err);
/* Puts never fail on their own: an I/O error is kept and reported by
 * ft_partial_writer_close. */
void ft_partial_put_uint(ft_partial_writer *w, uint64_t v);
void ft_partial_put_int(ft_partial_writer *w, int64_t v);
void ft_partial_put_bytes(ft_partial_writer *w, const void *p, size_t n);
/* Writes the trailer and frees the writer (also on error). */
int ft_partial_writer_close(ft_partial_writer *w, ft_error *err);

/* Opens path ("-" is stdin, gzip allowed). */
ft_partial_reader *ft_partial_reader_open(const char *path, ft_error *err);
/* Reads the next section header: 1 = one is there (see ft_partial_desc,
 * ft_partial_items), 0 = the input ended cleanly after a section, -1 =
 * error (also for an input with no section at all). */
int ft_partial_next_section(ft_partial_reader *r, ft_error *err);
const char *ft_partial_desc(const ft_partial_reader *r);
uint64_t ft_partial_items(const ft_partial_reader *r);
const char *ft_partial_name(const ft_partial_reader *r);
int ft_partial_get_uint(ft_partial_reader *r, uint64_t *v, ft_error *err);
int ft_partial_get_int(ft_partial_reader *r, int64_t *v, ft_error *err);
/* n <= FT_PARTIAL_BYTES_MAX. */
int ft_partial_get_bytes(ft_partial_reader *r, void *p, size_t n,
                         ft_error *err);
/* Reads the trailer and checks the CRC. */
int ft_partial_end_section(ft_partial_reader *r, ft_error *err);
void ft_partial_reader_close(ft_partial_reader *r);

/* Reads the items of the section whose header r has just read. */
typedef int (*ft_partial_section_fn)(void *ctx, ft_partial_reader *r,
                                     ft_error *err);
/* Reads every section of every path in order (n = 0: stdin), calling fn
 * for each and checking its trailer.  Stops at the first error. */
int ft_partial_read_files(int n, char *const *paths, ft_partial_section_fn fn,
                          void *ctx, ft_error *err);
/* 0 when the section's descriptor is `want`, else -1 with "NAME: cannot
 * merge a partial of 'DESC' into 'WANT'". */
int ft_partial_expect(const ft_partial_reader *r, const char *want,
                      ft_error *err);

/* The two ends of a tool that aggregates records into a mergeable
 * result (ft-topn, ft-series):
 *
 * ft_partial_add_records feeds every record of the inputs (reader.h; n =
 * 0: stdin; spec, when not NULL, selects a dataset and a time range as
 * ft_reader_open_spec does) that matches where (expr.h; NULL: every
 * record) to add; an error of add comes back as "INPUT: record N:
 * MESSAGE".  `fields` are the fields add reads (FT4_FIELD_BIT bits,
 * datum.h): only those and where's are decoded (reader.h,
 * ft_reader_set_fields).
 *
 * ft_partial_write_result opens path (NULL or "-" = stdout), lets write
 * fill it, and commits it (a file appears only when complete; after an
 * error it is removed).  A partial (binary) result is refused on a
 * terminal. */
typedef int (*ft_partial_add_fn)(void *agg, const ft4_record *r, ft_error *err);
struct ft_expr;
int ft_partial_add_records(const ft_dataset_spec *spec, const struct ft_expr *where,
                           uint32_t fields, int n, char *const *paths,
                           ft_partial_add_fn add, void *agg, ft_error *err);
typedef int (*ft_partial_write_fn)(void *ctx, ft_sink *sink, ft_error *err);
int ft_partial_write_result(const char *path, int partial,
                            ft_partial_write_fn write, void *ctx, ft_error *err);

#endif
