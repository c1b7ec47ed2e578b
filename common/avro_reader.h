/*
 * avro_reader.h - FT4 records from an Avro object container file.
 *
 * Reads files written by any Avro library: codecs null, deflate, snappy
 * (its CRC-32 checked).  The writer schema must be a record (any name);
 * it is resolved by field name (avro_schema.h): files without
 * spoofed/masscan counts read them as 0, common_pkt_sizes is accepted for
 * common_pktsizes, int is promoted to long, unknown writer fields are
 * skipped whatever their type.  A missing field or a wrong type is
 * refused with a message naming the field; a writer long where FT4 has an
 * int is a wrong type (Avro's resolution rules never demote long to int).
 *
 * The container layer (avro_container.h) checks every block: record count
 * >= 0, stored size at most 128 MiB (refused before anything is
 * allocated), at most 256 MiB decompressed, the sync marker equal to the
 * header's; here, exactly `count` records must fill exactly its bytes.  Messages name the input, then where:
 *   "x.avro: empty file"                  (0 bytes)
 *   "x.avro: not an Avro file"            (no "Obj\x01")
 *   "x.avro: header: truncated"           (also: "no avro.schema",
 *                                          "unsupported codec 'xz'", ...)
 *   "x.avro: schema: field 'src_ip' missing"
 *   "x.avro: block 3: truncated"          (blocks numbered from 1)
 *   "x.avro: block 3: bad sync marker"
 *   "x.avro: block 3: record 7: array longer than 64 entries"
 *                                         (records numbered from 1 in
 *                                          their block)
 *   "x.avro: block 3: 12 bytes left after the last record"
 *   "x.avro: block 3: deflate: corrupt data", "...: snappy: crc mismatch"
 * A file that ends cleanly after any block (or right after the header) is
 * valid: Avro has no end marker.  After an error the reader only returns
 * errors.
 *
 * Ownership: the reader borrows src (caller closes it after
 * ft_avro_reader_close(), which accepts NULL).
 */
#ifndef FT_AVRO_READER_H
#define FT_AVRO_READER_H

#include "avro_container.h" /* FT_AVRO_MAGIC */
#include "avro_schema.h"
#include "datum.h"
#include "error.h"
#include "ft4.h"
#include "source.h"

typedef struct ft_avro_reader ft_avro_reader;

/* Reads and checks the header. */
ft_avro_reader *ft_avro_reader_open(ft_source *src, ft_error *err);
/* 1 = a record, 0 = clean end of file, -1 = error. */
int ft_avro_reader_next(ft_avro_reader *r, ft4_record *rec, ft_error *err);
/* From now on store only these fields (datum.h, ft4_decode_fields; the
 * default is FT4_FIELDS_ALL): the others read as 0 or empty, and a file is
 * refused exactly as it is with every field. */
void ft_avro_reader_set_fields(ft_avro_reader *r, uint32_t fields);
/* 1 when the file's schema encodes records exactly as FT4's own does
 * (ft4_plan_is_ft4). */
int ft_avro_reader_is_ft4(const ft_avro_reader *r);
/* Records to be copied (ft4_decode_for_copy): when the file's schema
 * encodes records exactly as FT4's own does (ft4_plan_is_ft4), from now on
 * ft_avro_reader_encoded gives the bytes of each record that are exactly
 * what ft4_encode writes for it, and a record for which it gives none
 * holds every field.  No effect on files of other schemas. */
void ft_avro_reader_set_copy(ft_avro_reader *r);
/* The bytes of the record returned last (valid until the next call), or
 * NULL when it may not be copied (see ft_avro_reader_set_copy). */
const uint8_t *ft_avro_reader_encoded(const ft_avro_reader *r, size_t *len);
void ft_avro_reader_close(ft_avro_reader *r);

#endif
