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

/* 1 when records under plan p are encoded exactly as under FT4's own
 * schema (the same fields in the same order, an int read as a long
 * encoding as that long does): the bytes of a record decoded with p are
 * then an encoding of it in FT4's schema, which a writer may copy. */
static inline int ft4_plan_is_ft4(const ft4_plan *p)
{
    return p->fast && !p->zero_spoof_masscan;
}

/*
 * 1 when buf[0..len) is exactly what ft4_encode writes for the record it
 * encodes, 0 when not.  Avro allows other encodings of the same record
 * (varints with redundant 0x80 bytes, arrays in several blocks or blocks
 * with a byte size), which ft4_decode accepts and ft4_encode never
 * writes: such bytes are re-encoded, never copied, so that the same
 * records always give the same bytes.  Meant for bytes ft4_decode
 * accepted with a plan for which ft4_plan_is_ft4() holds, but safe on any.
 */
int ft4_encoded_canonical(const uint8_t *buf, size_t len);

/*
 * For a reader whose records may be copied rather than re-encoded (p with
 * ft4_plan_is_ft4): decodes one record as ft4_decode_fields does and sets
 * *copyable = ft4_encoded_canonical() of its bytes, for less than a
 * separate check would cost.  When not canonical, every field is decoded
 * (the record must then be re-encoded from its fields).  Other plans
 * decode every field and give *copyable = 0.
 */
int ft4_decode_for_copy(const ft4_plan *p, uint32_t fields, const uint8_t *buf,
                        size_t len, size_t *pos, ft4_record *r, int *copyable,
                        const char **why);

/* Zigzag varint helpers, shared with the container code. */
size_t ft4_put_long(uint8_t *buf, int64_t v);
/* Returns 0, or -1 when truncated or longer than 10 bytes. */
int ft4_get_long(const uint8_t *buf, size_t len, size_t *pos, int64_t *v);

#endif
