/*
 * ip_ranges.h - a table of IPv4 address ranges, each with a 32-bit value
 * (an AS number, a packed country code), answering "which value covers
 * this address" with narrowest-range-wins semantics (FT4-SPEC section 4).
 *
 * Ranges are added in file order, may nest or overlap, and are then
 * resolved once (ft_ip_ranges_build) into sorted disjoint segments: every
 * address gets the value of the narrowest range that contains it, and
 * between equally narrow ranges the one added first.  For prefixes this
 * is longest-prefix match.  A lookup is a binary search.
 *
 * Text form (ft_ip_ranges_parse), one entry per line:
 *   start,end,value[,more...]     inclusive range, addresses dotted or as
 *                                 unsigned decimal numbers (CSV)
 *   prefix<TAB>length<TAB>value   CAIDA RouteViews prefix2as (tabs or
 *                                 spaces)
 * A line whose first field is not an IPv4 address (a header, a comment,
 * an IPv6 entry, a blank line) is skipped.  A line that starts with an
 * address but is otherwise malformed is an error naming the line: it is
 * a damaged data line, and skipping it would silently lose ranges.
 *
 * Ownership: ft_ip_ranges_new() returns a table the caller frees with
 * ft_ip_ranges_free() (NULL accepted).
 */
#ifndef FT_IP_RANGES_H
#define FT_IP_RANGES_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct ft_ip_ranges ft_ip_ranges;

/* How to read the value field of a text line: parse() gets the field
 * (surrounding blanks and double quotes removed, not NUL-terminated) and
 * returns 0 with *v set, or -1 when malformed; what names the value in
 * messages ("AS number", "country code"). */
typedef struct ft_ip_value_parser {
    const char *what;
    int (*parse)(const char *s, size_t len, uint32_t *v);
} ft_ip_value_parser;

/* NULL with err set when out of memory. */
ft_ip_ranges *ft_ip_ranges_new(ft_error *err);
void ft_ip_ranges_free(ft_ip_ranges *r);

/* Adds the inclusive range [first, last] (first <= last).  Only before
 * ft_ip_ranges_build.  -1 with err set when out of memory. */
int ft_ip_ranges_add(ft_ip_ranges *r, uint32_t first, uint32_t last,
                     uint32_t value, ft_error *err);

/* Adds every entry of a text buffer (format above).  name is the subject
 * of messages ("x.csv: line 7: ..."). -1 with err set on a malformed data
 * line or out of memory. */
int ft_ip_ranges_parse(ft_ip_ranges *r, const char *buf, size_t len,
                       const char *name, const ft_ip_value_parser *vp,
                       ft_error *err);

/* Resolves overlaps into disjoint segments; after it, only lookups.
 * -1 with err set when out of memory. */
int ft_ip_ranges_build(ft_ip_ranges *r, ft_error *err);

/* 1 with *value set when a range covers addr, else 0.  Only after
 * ft_ip_ranges_build. */
int ft_ip_ranges_lookup(const ft_ip_ranges *r, uint32_t addr,
                        uint32_t *value);

/* Ranges added; disjoint segments after the build; lines skipped by
 * ft_ip_ranges_parse. */
size_t ft_ip_ranges_count(const ft_ip_ranges *r);
size_t ft_ip_ranges_segments(const ft_ip_ranges *r);
size_t ft_ip_ranges_skipped(const ft_ip_ranges *r);

/* Parses an IPv4 address written dotted ("1.2.3.4") or as an unsigned
 * decimal number ("16909060"); exactly len bytes.  0 or -1. */
int ft_ip_ranges_parse_addr(const char *s, size_t len, uint32_t *out);

#endif
