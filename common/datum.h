/*
 * datum.h - Avro binary encoding of one FT4 record, and decode plans.
 *
 * Both our Avro container files and our framed stream carry records in
 * Avro's binary encoding of the FT4-SPEC section 2 schema.  We encode and
 * decode it here directly instead of through avro-c's generic value API,
 * which bench/ measured at ~0.7 M records/s for reading and ~0.1 M/s for
 * deflate writing: far too slow for an hour of telescope data.
 *
 * A decode plan lists, in writer-schema order, what to do with each
 * writer field: store it into an ft4_record field or skip it.  The
 * canonical plan decodes our own schema; ft4_plan_from_json() resolves a
 * foreign writer schema by field name (avro_schema.h).
 */
#ifndef FT_DATUM_H
#define FT_DATUM_H

#include <stddef.h>
#include <stdint.h>

#include "ft4.h"

/* A set of FT4 fields, for decoding only what a query reads: bit f for
 * field id f (enum ft4_field_id, ft4.h). */
#define FT4_FIELD_BIT(f) ((uint32_t)1 << (f))
#define FT4_FIELDS_ALL (FT4_FIELD_BIT(FT4_F_COUNT) - 1)

/* Upper bound of one encoded record with arrays of FT4_ARRAY_READ_MAX. */
#define FT4_ENCODED_MAX 8192

enum ft4_op {
    FT4_OP_LONG,   /* varint -> int64 field */
    FT4_OP_INT,    /* varint -> int32 field (range-checked) */
    FT4_OP_STRING, /* string -> tag */
    FT4_OP_ARRAY,  /* array<long|int> -> ft4_array */
    FT4_OP_SKIP,   /* skip a writer-only field of any type (skip_schema) */
};

typedef struct ft4_step {
    uint8_t op;
    int8_t field;       /* ft4 field id for store ops */
    void *skip_schema;  /* const ft_avro_type * (avro_schema.h) for FT4_OP_SKIP */
} ft4_step;

#define FT4_PLAN_MAX_STEPS 256

typedef struct ft4_plan {
    int nsteps;
    ft4_step step[FT4_PLAN_MAX_STEPS];
    /* 1 when the writer schema lacks spoofed/masscan counts (read as 0) */
    uint8_t zero_spoof_masscan;
    /* 1 when the steps are the canonical ones (all 28, or the first 26
     * with zero_spoof_masscan): ft4_decode then takes an unrolled path. */
    uint8_t fast;
    void *schema; /* ft_avro_schema * owned by the plan, or NULL */
} ft4_plan;

/* The plan for our own schema (static, never freed). */
const ft4_plan *ft4_plan_canonical(void);

/* Encodes r into buf (at least FT4_ENCODED_MAX bytes); returns the length.
 * Arrays longer than FT4_ARRAY_READ_MAX are impossible by construction. */
size_t ft4_encode(const ft4_record *r, uint8_t *buf);

/*
 * Decodes one record at buf[*pos] (len bytes in buf). Returns 0 and
 * advances *pos, or -1 with *why set to a static description ("truncated",
 * "array too long", ...).  Fields absent from the plan keep the values
 * they had in r, except those the plan zeroes.
 */
int ft4_decode(const ft4_plan *p, const uint8_t *buf, size_t len,
               size_t *pos, ft4_record *r, const char **why);

/*
 * The same, storing only the fields in `fields` (FT4_FIELD_BIT bits); every
 * other field is left 0, empty or "" (a tag of length 0), never stale.
 * The fields left out are still walked and checked exactly as
 * ft4_decode checks them: it fails on exactly the inputs ft4_decode
 * fails on, with the same *why, and advances *pos as far.
 */
int ft4_decode_fields(const ft4_plan *p, uint32_t fields, const uint8_t *buf,
                      size_t len, size_t *pos, ft4_record *r, const char **why);

/* Zigzag varint helpers, shared with the container code. */
size_t ft4_put_long(uint8_t *buf, int64_t v);
/* Returns 0, or -1 when truncated or longer than 10 bytes. */
int ft4_get_long(const uint8_t *buf, size_t len, size_t *pos, int64_t *v);

#endif
