/*
 * avro_container.h - the Avro object container layer, independent of the
 * record schema: header, codecs, sync markers and block checks.  Datum
 * decoders sit on top (avro_reader.h for FT4, ft3_reader.h for FT3).
 *
 *   +------+-----------------------------+-----------+
 *   | Obj1 | metadata map<bytes>         | sync (16) |   header
 *   +------+-----------------------------+-----------+
 *   | count (long) | size (long) | size bytes data | sync (16) |  block 1
 *   | ...                                                      |  block N
 *
 * Codecs null, deflate (raw RFC 1951) and snappy (its CRC-32 checked).
 * Every block is checked: record count >= 0, stored size at most 128 MiB
 * (refused before anything is allocated), at most 256 MiB decompressed,
 * the sync marker equal to the header's, count no larger than the
 * decompressed bytes (every record takes at least one byte), and an empty
 * block holding no bytes.  Empty blocks are skipped.  Whether `count`
 * records fill exactly a block's bytes is the datum decoder's check.
 * Messages name the input, then where (blocks numbered from 1):
 *   "x.avro: empty file", "x.avro: not an Avro file",
 *   "x.avro: header: truncated" (also "no avro.schema",
 *   "unsupported codec 'xz'", ...), "x.avro: block 3: truncated",
 *   "x.avro: block 3: bad sync marker", "x.avro: block 3: deflate: corrupt
 *   data", "x.avro: block 3: snappy: crc mismatch", ...
 * A file that ends cleanly after any block (or right after the header) is
 * valid: Avro has no end marker.  After an error only errors follow.
 *
 * Ownership: the container borrows src (the caller closes it after
 * ft_avro_container_close(), which accepts NULL).  Block data and the
 * schema text belong to the container.
 */
#ifndef FT_AVRO_CONTAINER_H
#define FT_AVRO_CONTAINER_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "source.h"

/* Avro object container magic: "Obj" 0x01 */
#define FT_AVRO_MAGIC "Obj\x01"

typedef struct ft_avro_container ft_avro_container;

/* Reads and checks the header. */
ft_avro_container *ft_avro_container_open(ft_source *src, ft_error *err);

/* The writer schema (JSON, NUL-terminated; *len its length if len is not
 * NULL), valid until close. */
const char *ft_avro_container_schema(const ft_avro_container *c, size_t *len);

/* The next block with records: 1 with *data, *len (the decompressed
 * bytes, valid until the next call) and *count (> 0), 0 at a clean end of
 * file, -1 on error. */
int ft_avro_container_next(ft_avro_container *c, const uint8_t **data,
                           size_t *len, int64_t *count, ft_error *err);

/* Marks the container failed (a datum decoder found the block corrupt):
 * from then on only errors. */
void ft_avro_container_fail(ft_avro_container *c);
int ft_avro_container_failed(const ft_avro_container *c);

/* Number of the current block (from 1; 0 before the first). */
uint64_t ft_avro_container_block(const ft_avro_container *c);
/* The input's name, for messages. */
const char *ft_avro_container_name(const ft_avro_container *c);

void ft_avro_container_close(ft_avro_container *c);

#endif
