/*
 * parse.h - strict parsing of the values users type: numbers, sizes,
 * IPv4 addresses and prefixes, times.  All return 0 on success and -1 on
 * anything malformed or out of range (nothing partial is accepted:
 * "12x", "", " 1", "1e3" are errors), filling err with a message that
 * quotes the text.
 */
#ifndef FT_PARSE_H
#define FT_PARSE_H

#include <stdint.h>

#include "error.h"

/* Decimal integer in [min, max]. */
int ft_parse_int(const char *s, int64_t min, int64_t max, int64_t *out,
                 ft_error *err);
/* Byte size: a number with an optional K, M, G or T suffix (powers of
 * 1024, case-insensitive, optional trailing B or iB), in [min, max]. */
int ft_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out,
                  ft_error *err);
/* Dotted quad "a.b.c.d" (each 0-255, no leading "+" or spaces). */
int ft_parse_ipv4(const char *s, uint32_t *out, ft_error *err);
/* "a.b.c.d/len" or a bare address (/32). Bits outside the prefix must be
 * zero unless lenient is set. */
int ft_parse_cidr(const char *s, uint32_t *net, int *len, int lenient,
                  ft_error *err);
/* Unix seconds, or ISO-8601 UTC: YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS][Z]
 * (a space may replace T). */
int ft_parse_time(const char *s, int64_t *out, ft_error *err);

/* Formats an address as dotted quad into buf (>= 16 bytes). */
char *ft_format_ipv4(uint32_t a, char *buf);
/* Formats Unix seconds as "YYYY-MM-DDTHH:MM:SSZ" into buf (>= 32 bytes). */
char *ft_format_time_iso(int64_t t, char *buf);

#endif
