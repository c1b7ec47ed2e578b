/*
 * avro_reader.h - FT4 records from an Avro object container file.
 *
 * Reads files written by any Avro library: codecs null, deflate, snappy;
 * the writer schema is resolved by field name (FT4-SPEC section 2): files
 * without spoofed/masscan counts read them as 0, common_pkt_sizes is
 * accepted for common_pktsizes, int is promoted to long, unknown writer
 * fields are skipped, a missing required field or a wrong type is refused
 * with a message naming the field.  Sync markers, block counts and block
 * sizes are checked; errors name the input and the block number
 * ("x.avro: block 3: truncated").
 *
 * Ownership: the reader borrows src (caller closes it after
 * ft_avro_reader_close()).
 */
#ifndef FT_AVRO_READER_H
#define FT_AVRO_READER_H

#include "datum.h"
#include "error.h"
#include "ft4.h"
#include "source.h"

/* Avro object container magic: "Obj" 0x01 */
#define FT_AVRO_MAGIC "Obj\x01"

typedef struct ft_avro_reader ft_avro_reader;

/* Reads and checks the header. */
ft_avro_reader *ft_avro_reader_open(ft_source *src, ft_error *err);
/* 1 = a record, 0 = clean end of file, -1 = error. */
int ft_avro_reader_next(ft_avro_reader *r, ft4_record *rec, ft_error *err);
void ft_avro_reader_close(ft_avro_reader *r);

/* Resolves a writer schema (JSON text) against FT4 into a decode plan.
 * Release with ft4_plan_release(). */
int ft4_plan_from_json(const char *json, size_t len, ft4_plan *out,
                       ft_error *err);
void ft4_plan_release(ft4_plan *p);

#endif
