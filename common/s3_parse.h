/*
 * s3_parse.h - the text of the S3 protocol, without I/O: s3:// addresses,
 * signed query strings, the XML answers (listings, errors, multipart
 * uploads) and multipart ETags.  s3.c does the exchanges; this part needs
 * neither libcurl nor libcrypto, so unit tests link it alone.
 */
#ifndef FT_S3_PARSE_H
#define FT_S3_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define FT_S3_SCHEME "s3://"

/* Splits "s3://BUCKET/KEY" (the key may be "" or a prefix); caller frees
 * both.  Bucket names are 3 to 63 bytes of [a-z0-9.-] (and '_' or
 * capitals, which some stores still allow). */
int ft_s3_parse_url(const char *url, char **bucket, char **key, ft_error *err);

/* A query string as SigV4 signs it: the n pairs (k[2i], k[2i+1]) sorted
 * by name, names and values percent-encoded (unreserved bytes kept), a
 * NULL value written as "name=".  Caller frees; NULL when out of memory. */
char *ft_s3_query(const char *const *kv, size_t n);

/* The text of the first <tag> element in [p, end), entities decoded
 * (&amp; &lt; &gt; &quot; &apos; &#N; &#xN;); NULL when absent.  Caller
 * frees. */
char *ft_s3_xml_text(const char *p, const char *end, const char *tag);

/* One page of a ListObjectsV2 answer: keys (<Contents><Key>) and rolled
 * up prefixes (<CommonPrefixes><Prefix>) appended to *v (n entries, room
 * for *cap, grown with realloc) in byte order; *truncated from
 * <IsTruncated>; *next the <NextContinuationToken> (NULL when none, caller
 * frees).  Returns 0, or -1 with err set (not a listing, out of memory). */
int ft_s3_parse_listing(const char *xml, size_t len, char ***v, size_t *n,
                        size_t *cap, int *truncated, char **next,
                        ft_error *err);

/* The number of parts a multipart ETag ("HEX-N") names, 0 for a plain
 * MD5 (32 hex digits), -1 for anything else. */
int ft_s3_etag_parts(const char *etag);

/* The bytes whose MD5 is a multipart ETag: the parts' binary MD5s one
 * after the other (16 * n bytes into out).  -1 when one is not hex. */
int ft_s3_etag_input(const char (*md5)[33], size_t n, unsigned char *out);

/* "HEX-N" from the MD5 of those bytes (out holds 48 bytes). */
void ft_s3_etag_format(const unsigned char md5[16], size_t n, char out[48]);

#endif
