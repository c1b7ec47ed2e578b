/*
 * avro_schema.h - Avro writer schemas of foreign files: parsing the JSON
 * (jansson) into a type graph, and resolving it against FT4.
 *
 * Parsing follows the Avro 1.11 specification: primitive types by name
 * or as {"type": NAME} (logicalType and other attributes ignored);
 * record (or error), enum, fixed, array, map; unions as JSON arrays;
 * named types with namespaces (a dotted name is a full name, otherwise
 * the "namespace" attribute or the enclosing one applies), referred to
 * later (or from inside themselves) by full or relative name.  Names must
 * be [A-Za-z_][A-Za-z0-9_]* per dotted part; a named type defined twice
 * is refused.  Field "aliases", "default", "doc" and "order" are ignored:
 * aliases matter to the reader's schema (FT4's own alias, below), not the
 * writer's.  Errors: "schema: cannot parse: WHAT".
 *
 * FT4 resolution rules (FT4-SPEC section 2, Avro's schema resolution by
 * field name):
 *   - the writer schema must be a record; its name and namespace may be
 *     anything;
 *   - every FT4 field must be present, except that a schema lacking BOTH
 *     spoofed_packet_cnt and masscan_packet_cnt (the earlier FT4 revision)
 *     reads them as 0; lacking only one of them is an error;
 *   - common_pkt_sizes is accepted for common_pktsizes (not both);
 *   - a writer int is promoted to an FT4 long field, array<int> to
 *     array<long>, bytes to string (same binary encoding);
 *   - a writer long for an FT4 int field is refused, as Avro's resolution
 *     rules refuse it (no demotion: values could be out of range); so is
 *     any other type mismatch, unions included;
 *   - writer fields FT4 does not know are skipped, whatever their type.
 * Messages name the field: "schema: field 'src_ip' missing",
 * "schema: field 'src_ip' has type string, expected long".
 *
 * Ownership: a parsed schema owns every node of its graph; free it with
 * ft_avro_schema_free() (NULL accepted).  A resolved plan holds the
 * parsed schema; release it with ft4_plan_release() (which accepts the
 * canonical plan's copy and zeroed plans too).
 */
#ifndef FT_AVRO_SCHEMA_H
#define FT_AVRO_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include "datum.h"
#include "error.h"

enum ft_avro_kind {
    FT_AVRO_NULL, FT_AVRO_BOOLEAN, FT_AVRO_INT, FT_AVRO_LONG, FT_AVRO_FLOAT,
    FT_AVRO_DOUBLE, FT_AVRO_BYTES, FT_AVRO_STRING, FT_AVRO_RECORD,
    FT_AVRO_ENUM, FT_AVRO_FIXED, FT_AVRO_ARRAY, FT_AVRO_MAP, FT_AVRO_UNION
};

typedef struct ft_avro_type {
    enum ft_avro_kind kind;
    const char *name;  /* record, enum, fixed: the full name; else NULL */
    size_t n;          /* record: fields; union: branches; enum: symbols;
                          fixed: the size in bytes */
    const struct ft_avro_type *const *sub; /* record: field types; union:
                          branches; array: sub[0] items; map: sub[0] values */
    const char *const *field;              /* record: field names */
} ft_avro_type;

typedef struct ft_avro_schema ft_avro_schema;

/* Parses len bytes of schema JSON.  NULL with err set on error (also
 * "schema: out of memory"). */
ft_avro_schema *ft_avro_schema_parse(const char *json, size_t len,
                                     ft_error *err);
const ft_avro_type *ft_avro_schema_root(const ft_avro_schema *s);
void ft_avro_schema_free(ft_avro_schema *s);

/* "long", "record", "union", ... */
const char *ft_avro_kind_name(enum ft_avro_kind k);

/* Resolves a writer schema (JSON text, len bytes) into *out.  Returns 0, or
 * -1 with err = "schema: ..." (out then needs no release). */
int ft4_plan_from_json(const char *json, size_t len, ft4_plan *out,
                       ft_error *err);
void ft4_plan_release(ft4_plan *p);

#endif
