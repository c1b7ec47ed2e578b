/*
 * avro_schema.h - resolving a foreign Avro writer schema against FT4.
 *
 * Rules (FT4-SPEC section 2, Avro's schema resolution by field name):
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
 * Ownership: a resolved plan holds a reference to the parsed schema;
 * release it with ft4_plan_release() (which accepts the canonical plan's
 * copy and zeroed plans too).
 */
#ifndef FT_AVRO_SCHEMA_H
#define FT_AVRO_SCHEMA_H

#include <stddef.h>

#include "datum.h"
#include "error.h"

/* Resolves a writer schema (JSON text, len bytes) into *out.  Returns 0, or
 * -1 with err = "schema: ..." (out then needs no release). */
int ft4_plan_from_json(const char *json, size_t len, ft4_plan *out,
                       ft_error *err);
void ft4_plan_release(ft4_plan *p);

#endif
