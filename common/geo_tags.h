/*
 * geo_tags.h - geolocation and origin-AS tags of a source address
 * (FT4-SPEC section 4): the maxmind_* and netacq_* continent/country
 * fields and prefix2asn.
 *
 * Country databases (one for the maxmind_* fields, one for netacq_*):
 *   - a MaxMind DB file (.mmdb), read with libmaxminddb, in the official
 *     GeoIP2/GeoLite2 layout (country.iso_code, continent.code; a record
 *     with a country but no continent gets the continent from the table
 *     below) or the flat layout with only country_code (continent from
 *     the table);
 *   - a text file of inclusive ranges start,end,country (see
 *     ip_ranges.h: dotted or numeric addresses, narrowest range wins).
 * Origin AS: a CAIDA RouteViews prefix2as file (prefix, length, asn; a
 * multi-origin "a_b" or an AS set "a,b" gives its first AS) or ranges
 * start,end,asn[,org] (as @ip-location-db/asn publishes them).
 * Any file may be gzip-compressed.  A gzip-compressed .mmdb is
 * decompressed to a private temporary file that is removed as soon as
 * libmaxminddb has mapped it (libmaxminddb opens only named files).
 *
 * Unknown stays "??" and 0.  Lookups are one libmaxminddb lookup or one
 * binary search per database; ft_geo_tags_tag is meant as the flow
 * table's tag hook (flow_table.h), called once per distinct source.
 *
 * Ownership: ft_geo_tags_new() returns a tagger the caller frees with
 * ft_geo_tags_free() (NULL accepted).  Not thread-safe.
 */
#ifndef FT_GEO_TAGS_H
#define FT_GEO_TAGS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "ft4.h"

enum ft_geo_db { FT_GEO_MAXMIND, FT_GEO_NETACQ };

typedef struct ft_geo_tags ft_geo_tags;

/* NULL with err set when out of memory. */
ft_geo_tags *ft_geo_tags_new(ft_error *err);
void ft_geo_tags_free(ft_geo_tags *g);

/* Loads the country database for the maxmind_* or netacq_* fields,
 * replacing one loaded before.  -1 with err set ("x.mmdb: ...",
 * "x.csv: line 7: ...") when the file cannot be read, is neither a
 * MaxMind DB nor a range file, a MaxMind DB has no country field, or a
 * range file has a malformed line or no IPv4 entry. */
int ft_geo_tags_load_country(ft_geo_tags *g, enum ft_geo_db which,
                             const char *path, ft_error *err);
/* Loads the origin-AS table (prefix2as or ranges), replacing one loaded
 * before.  Errors as above. */
int ft_geo_tags_load_asn(ft_geo_tags *g, const char *path, ft_error *err);

/* What was loaded, for messages: e.g. "MaxMind DB, GeoIP2 layout",
 * "411961 ranges"; NULL when nothing is loaded for that slot. */
const char *ft_geo_tags_describe_country(const ft_geo_tags *g,
                                         enum ft_geo_db which);
const char *ft_geo_tags_describe_asn(const ft_geo_tags *g);

/* Country and continent of addr from one database: writes two letters
 * and a NUL to cc and cont (each at least 3 bytes), "??" when unknown. */
void ft_geo_tags_country(const ft_geo_tags *g, enum ft_geo_db which,
                         uint32_t addr, char *cc, char *cont);
/* Origin AS of addr, 0 when unknown. */
uint32_t ft_geo_tags_asn(const ft_geo_tags *g, uint32_t addr);

/* The flow table's tag hook (ft_flow_tag_fn): ctx is an ft_geo_tags.
 * Sets rec's four tag strings and prefix2asn for src_ip; fields whose
 * database is not loaded, or that are unknown, are left as they are. */
void ft_geo_tags_tag(void *ctx, uint32_t src_ip, ft4_record *rec);

/* Continent code ("EU", "AS", "AF", "NA", "SA", "OC", "AN") of an
 * ISO 3166-1 alpha-2 country code (upper case), or NULL. */
const char *ft_geo_continent(const char *cc);

#endif
