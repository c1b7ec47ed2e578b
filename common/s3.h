/*
 * s3.h - an S3 client over libcurl: requests signed with AWS Signature
 * V4 (libcurl's), verified uploads (Content-MD5 on every PUT, the answer's
 * ETag compared), multipart uploads for large files, ListObjectsV2 and
 * verified streamed reads, with swift.h's retries (http.h).
 *
 * Everything comes from the environment, the way the AWS tools read it:
 *   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY  required
 *   AWS_SESSION_TOKEN     temporary credentials (x-amz-security-token)
 *   AWS_ENDPOINT_URL      the service, addressed path-style
 *                         (ENDPOINT/BUCKET/KEY); default
 *                         https://s3.REGION.amazonaws.com
 *   AWS_REGION            (or AWS_DEFAULT_REGION) default us-east-1
 *   AWS_CA_BUNDLE         CA file for TLS when none is given
 * No message ever contains the secret key or the session token.
 *
 * Threads: one ft_s3 is shared; each thread uses its own ft_s3_conn.
 * Ownership: ft_s3_open() returns a handle freed with ft_s3_close() after
 * every connection made from it is freed with ft_s3_conn_free() (both
 * accept NULL).
 */
#ifndef FT_S3_H
#define FT_S3_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "http.h"
#include "s3_parse.h"
#include "swift.h" /* FT_SWIFT_UPLOADED */

typedef struct ft_s3 ft_s3;
typedef struct ft_s3_conn ft_s3_conn;

/* Options: see http.h (cacert NULL: AWS_CA_BUNDLE or the system's). */
typedef ft_http_opts ft_s3_opts;
void ft_s3_opts_init(ft_s3_opts *o);

/* Reads and checks the environment; no network yet.  Call before starting
 * threads (it initialises libcurl). */
ft_s3 *ft_s3_open(const ft_s3_opts *o, ft_error *err);
void ft_s3_close(ft_s3 *s);

/* arg is passed to the on_retry and on_progress callbacks. */
ft_s3_conn *ft_s3_conn_new(ft_s3 *s, void *arg, ft_error *err);
void ft_s3_conn_free(ft_s3_conn *c);

/* One cheap signed request on bucket (a listing of no keys), to fail
 * early and clearly on refused credentials; a missing bucket is fine. */
int ft_s3_check(ft_s3_conn *c, const char *bucket, ft_error *err);

/* What a HEAD of an object says. */
typedef struct ft_s3_stat {
    int exists;
    uint64_t size;
    char etag[64];    /* without quotes, lowercase; "" when absent */
    char md5[33];     /* x-amz-meta-ft-md5 (set on our uploads), or "" */
} ft_s3_stat;

int ft_s3_head(ft_s3_conn *c, const char *bucket, const char *key,
               ft_s3_stat *st, ft_error *err);

/* Outcome of ft_s3_upload(): swift.h's values. */
#define FT_S3_UPLOADED FT_SWIFT_UPLOADED
#define FT_S3_SKIPPED FT_SWIFT_SKIPPED

/* Uploads the regular file at path as bucket/key, verified, unless an
 * object with the same size and MD5 is there already (FT_S3_SKIPPED).
 * Creates a missing bucket.  Every PUT carries Content-MD5 (a damaged
 * body is refused by the store, then sent again) and its answer's ETag is
 * compared; the object carries the whole file's MD5 in x-amz-meta-ft-md5.
 * Files larger than part_size go up as a multipart upload in parts of
 * part_size, each verified, and the ETag of the result is checked; on
 * failure the upload is aborted so no parts are left behind.  Returns
 * FT_S3_UPLOADED, FT_S3_SKIPPED or -1. */
int ft_s3_upload(ft_s3_conn *c, const char *path, const char *bucket,
                 const char *key, uint64_t part_size, ft_error *err);

/* The most parts one multipart upload may have. */
#define FT_S3_MAX_PARTS 10000

/* Keys in bucket starting with prefix (NULL or "": all), in byte order
 * (ListObjectsV2, every page).  With delim (e.g. '/'), keys that go on
 * past the next delim after the prefix are rolled up into one entry
 * ending with it.  out is freed with ft_fetch_names_free() (also on
 * error, when it is left empty). */
int ft_s3_list(ft_s3_conn *c, const char *bucket, const char *prefix,
               char delim, ft_fetch_names *out, ft_error *err);

/* ---- reading, for ft-fetch (the readers' back end) ----
 * S3 as an ft_http_store (http.h; ft_s3_parse_url() is in s3_parse.h).
 * An object read is verified against its x-amz-meta-ft-md5, or an ETag
 * that is a plain MD5.  Requests are signed one by one: no session. */
extern ft_http_store ft_s3_store;

#endif
