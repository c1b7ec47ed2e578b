/*
 * avro_writer.h - FT4 records into an Avro object container file with the
 * exact schema of FT4-SPEC section 2.
 *
 * Codecs: deflate (default, level 0-9, default 6), null, snappy.  The
 * sync marker is derived from the data (a 128-bit FNV-1a hash of the
 * first block's uncompressed bytes, or of the schema text when there are
 * no records), so the same records with the same options always give the
 * same bytes, whatever the number of threads.  The header is written
 * even for zero records.
 *
 * A block holds at most block_bytes of encoded records (more only when a
 * single record is larger).  Deflate and snappy blocks are compressed on
 * worker threads while the caller encodes the next ones, and written in
 * order; zlib's deflate is the writer's bottleneck (bench/codec_bench).
 *
 * Ownership: the writer borrows out; the caller commits or aborts the sink
 * after ft_avro_writer_close().
 */
#ifndef FT_AVRO_WRITER_H
#define FT_AVRO_WRITER_H

#include "error.h"
#include "ft4.h"
#include "sink.h"

enum ft_codec { FT_CODEC_NULL, FT_CODEC_DEFLATE, FT_CODEC_SNAPPY };

typedef struct ft_avro_opts {
    enum ft_codec codec;
    int level;          /* deflate level 0..9 */
    size_t block_bytes; /* uncompressed bytes per block (default 64 KiB,
                           0 = default, at most FT_AVRO_BLOCK_BYTES_MAX) */
    int threads;        /* compression threads: 0 = one per CPU (at most
                           4), 1 = compress on the caller's thread */
} ft_avro_opts;

#define FT_AVRO_OPTS_DEFAULT {FT_CODEC_DEFLATE, 6, 64 * 1024, 0}
#define FT_AVRO_BLOCK_BYTES_MAX ((size_t)64 << 20)

typedef struct ft_avro_writer ft_avro_writer;

/* Checks the options (level, block size) and starts the threads; writes
 * nothing yet. */
ft_avro_writer *ft_avro_writer_open(ft_sink *out, const ft_avro_opts *o,
                                    ft_error *err);
/* Refuses (returns -1) a record with an array longer than
 * FT4_ARRAY_READ_MAX or a tag longer than FT4_TAG_MAX. */
int ft_avro_writer_put(ft_avro_writer *w, const ft4_record *r, ft_error *err);
/* Writes a record given as its n bytes in FT4's schema, as they are
 * (see ft4_encoded_canonical); refuses more than FT4_ENCODED_MAX bytes. */
int ft_avro_writer_put_encoded(ft_avro_writer *w, const uint8_t *rec,
                               size_t n, ft_error *err);
/* Writes the last block (and the header if nothing was written yet) and
 * frees the writer; returns -1 on a write error. */
int ft_avro_writer_close(ft_avro_writer *w, ft_error *err);
/* Frees without writing anything more (after an error). NULL accepted. */
void ft_avro_writer_free(ft_avro_writer *w);

/* Parses "deflate", "null", "snappy". Returns -1 for anything else. */
int ft_codec_parse(const char *s, enum ft_codec *out);
/* "deflate", "null" or "snappy": the avro.codec value. */
const char *ft_codec_name(enum ft_codec c);

#endif
