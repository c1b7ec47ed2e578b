/*
 * swift.h - an OpenStack Swift client over libcurl: authentication from
 * the environment, verified uploads (MD5 sent as ETag and compared with
 * the answer), Static Large Objects, retries with exponential backoff and
 * jitter.
 *
 * Credentials are read from the environment only, the way the `swift`
 * command-line client reads them, first match wins:
 *   OS_STORAGE_URL + OS_AUTH_TOKEN   a token obtained elsewhere (no renewal)
 *   ST_AUTH, ST_USER, ST_KEY         v1 auth (TempAuth, SwAuth)
 *   OS_AUTH_URL, OS_USERNAME (or OS_USER_ID), OS_PASSWORD,
 *   OS_PROJECT_NAME (or OS_PROJECT_ID), OS_USER_DOMAIN_NAME (or _ID),
 *   OS_PROJECT_DOMAIN_NAME (or _ID)  Keystone v3 password auth scoped to
 *                                    the project; OS_REGION_NAME and
 *                                    OS_INTERFACE (default public) pick the
 *                                    object-store endpoint of the catalog
 * OS_STORAGE_URL alone overrides the storage URL the auth returned.
 * OS_CACERT is used when no CA file is given.  No message ever contains
 * a key, password or token.
 *
 * A token is reused by every connection until it is about to expire (or
 * is refused with 401), then renewed once for all of them.
 *
 * Threads: one ft_swift is shared; each thread uses its own
 * ft_swift_conn.
 *
 * Ownership: ft_swift_open() returns a handle freed with ft_swift_close()
 * after every connection made from it is freed with ft_swift_conn_free()
 * (both accept NULL).
 */
#ifndef FT_SWIFT_H
#define FT_SWIFT_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "http.h"

typedef struct ft_swift ft_swift;
typedef struct ft_swift_conn ft_swift_conn;

/* Options (see http.h): cacert (NULL: OS_CACERT or the system's),
 * retries, backoff, connect_timeout, stall_timeout, on_retry,
 * on_progress. */
typedef ft_http_opts ft_swift_opts;

void ft_swift_opts_init(ft_swift_opts *o);

/* Reads and checks the credentials in the environment; no network yet.
 * Call before starting threads (it initialises libcurl). */
ft_swift *ft_swift_open(const ft_swift_opts *o, ft_error *err);
void ft_swift_close(ft_swift *s);

/* arg is passed to the on_retry and on_progress callbacks. */
ft_swift_conn *ft_swift_conn_new(ft_swift *s, void *arg, ft_error *err);
void ft_swift_conn_free(ft_swift_conn *c);

/* Authenticates now unless a valid token is held (to fail early). */
int ft_swift_authenticate(ft_swift_conn *c, ft_error *err);

/* What a HEAD of an object says. */
typedef struct ft_swift_stat {
    int exists;
    uint64_t size;
    char etag[64];    /* without quotes, lowercase; "" when absent */
    int slo;          /* a Static Large Object manifest */
    char md5[33];     /* X-Object-Meta-Ft-Md5 (set on our SLOs), or "" */
} ft_swift_stat;

int ft_swift_head(ft_swift_conn *c, const char *container, const char *object,
                  ft_swift_stat *st, ft_error *err);

/* Outcome of ft_swift_upload() (and ft_s3_upload()). */
enum { FT_SWIFT_UPLOADED = 0, FT_SWIFT_SKIPPED = 1 };

/* Uploads the regular file at path as container/object, verified, unless
 * an object with the same MD5 is there already (returns
 * FT_SWIFT_SKIPPED).  Creates missing containers.  Files larger than
 * segment_size go up as a Static Large Object: segments in
 * "CONTAINER_segments" named OBJECT/slo/SIZE/SEGSIZE/NNNNNNNN-SEGMENTMD5
 * (named by content, so a rerun skips the segments already stored; each
 * is hashed while the ones before it are sent), then the manifest, which
 * carries the whole file's MD5 in X-Object-Meta-Ft-Md5.  Returns
 * FT_SWIFT_UPLOADED, FT_SWIFT_SKIPPED or -1. */
int ft_swift_upload(ft_swift_conn *c, const char *path, const char *container,
                    const char *object, uint64_t segment_size, ft_error *err);

/* Names in container starting with prefix (NULL or "": all), in byte
 * order.  With delim (e.g. '/'), names that go on past the next delim
 * after the prefix are rolled up into one entry ending with it: the
 * entries of one "directory" level.  out is freed with
 * ft_fetch_names_free() (also on error, when it is left empty). */
int ft_swift_list(ft_swift_conn *c, const char *container, const char *prefix,
                  char delim, ft_fetch_names *out, ft_error *err);

/* ---- reading, for ft-fetch (the readers' back end, see fetch.h) ----
 * Swift as an ft_http_store (http.h).  An object read is verified against
 * its ETag, or the X-Object-Meta-Ft-Md5 of our large objects.  The session is the handle's token,
 * "EXPIRES STORAGE_URL TOKEN", so that another process need not
 * authenticate again: there is none before the first authentication, or
 * with OS_AUTH_TOKEN (which every process sees anyway); one set is used
 * until it expires or is refused with 401, then renewed from the
 * credentials as usual. */
#define FT_SWIFT_SCHEME "swift://"
extern ft_http_store ft_swift_store;

/* Splits "swift://CONTAINER/OBJECT" (the object may be "" or a prefix);
 * caller frees both. */
int ft_swift_parse_url(const char *url, char **container, char **object,
                       ft_error *err);

/* The largest number of segments one manifest may list (Swift's default
 * max_manifest_segments). */
#define FT_SWIFT_MAX_SEGMENTS 1000

#endif
