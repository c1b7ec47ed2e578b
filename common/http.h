/*
 * http.h - the HTTP machinery the object-store clients share (swift.c,
 * s3.c): one libcurl connection whose requests are retried with
 * exponential backoff and jitter after connection failures, timeouts and
 * retryable answers; request bodies from a file range or memory, with
 * progress reported as they are sent; response bodies kept in memory or
 * handed to a sink (a GET resumed with a Range after a failure); the
 * MD5 helpers of verified uploads; and what ft-fetch does with a store
 * (shared handle, listings, verified streamed reads), written once over
 * the few callbacks by which the stores differ.
 *
 * Not a public interface of fttools: only the clients and ft-fetch include
 * it.
 */
#ifndef FT_HTTP_H
#define FT_HTTP_H

#include <curl/curl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "fetch.h" /* ft_fetch_names */

typedef struct ft_http_opts {
    const char *cacert;  /* CA bundle for TLS (NULL: the system's) */
    int retries;         /* further attempts after a retryable failure */
    double backoff;      /* first delay in seconds (doubles each retry) */
    long connect_timeout; /* seconds */
    long stall_timeout;  /* seconds with no progress before giving up */
    /* Called before each retry with a one-line message (may be NULL). */
    void (*on_retry)(void *arg, const char *msg);
    /* Called as request bodies are sent: bytes since the last call
     * (negative when a failed attempt is rewound).  May be NULL. */
    void (*on_progress)(void *arg, int64_t delta);
} ft_http_opts;

/* Defaults: 5 retries from 1 s, 10 s to connect, 60 s of stall. */
void ft_http_opts_init(ft_http_opts *o);

struct ft_http_buf {
    char *p;
    size_t len, cap;
};

typedef struct ft_http ft_http;

/* A connection; a client's starts with one (ft_http_conn_new). */
struct ft_http {
    CURL *curl;
    const ft_http_opts *o;
    void *arg;                /* for on_retry and on_progress */
    char errbuf[CURL_ERROR_SIZE];
    unsigned seed;
    int attempts;             /* of the last request */
    /* set on the handle before each attempt (authentication) */
    void (*prepare)(ft_http *h, void *ud);
    /* other response headers (name NULL: a new response starts) */
    void (*on_hdr)(void *ud, const char *name, const char *value);
    /* whether an answer deserves another attempt (NULL: the default) */
    int (*retryable)(const ft_http *h, int verified);
    /* appends what an error answer's body says to msg (may be NULL) */
    void (*detail)(const ft_http *h, char *msg, size_t cap);
    void *ud;                 /* for prepare, on_hdr, retryable, detail;
                                 the client's connection */
    /* the last response */
    long status;
    char reason[64];
    char etag[64];            /* without quotes, lowercase */
    uint64_t h_length;
    double h_retry_after;
    uint64_t resp_off;        /* object offset of the next body byte */
    struct ft_http_buf body;
    /* a GET's body goes here instead of into body (2xx answers only) */
    int (*sink)(void *ud, const char *p, size_t n);
    void *sink_ud;
    uint64_t sunk;            /* bytes the sink has taken */
    /* the request body: a file range (fd >= 0) or memory */
    int fd;
    uint64_t off, len, pos;
    const char *mem;
};

/* Settles the options of a client's handle into dst: o's (NULL: the
 * defaults), where the CA file, o->cacert or else the one the variable
 * ca_var names (neither: the system's), must be readable and is copied
 * into *ca_copy (the caller frees it; dst->cacert points there); and
 * initialises libcurl.  -1 with err set. */
int ft_http_client_init(ft_http_opts *dst, const ft_http_opts *o,
                        const char *ca_var, char **ca_copy, ft_error *err);

/* o must outlive h; arg goes to o's callbacks. */
int ft_http_init(ft_http *h, const ft_http_opts *o, void *arg, ft_error *err);
void ft_http_cleanup(ft_http *h);
/* A client's connection of size bytes, zeroed, that starts with an
 * ft_http made by ft_http_init(), whose ud is the connection; NULL with
 * err set.  Freed with ft_http_cleanup(), then free(). */
void *ft_http_conn_new(size_t size, const ft_http_opts *o, void *arg,
                       ft_error *err);

enum ft_http_body { FT_HTTP_BODY_NONE, FT_HTTP_BODY_FILE, FT_HTTP_BODY_MEM };

/* Performs method on url with the headers hdrs (may be NULL) and body
 * (h->fd/off/len or h->mem/len), retrying connection failures, timeouts,
 * 408, 429 and 5xx (and what h->retryable says; verified: the request
 * carries a checksum of its body, so a refusal for a damaged body is
 * retried).  what names the request in messages.  Returns the final HTTP
 * status, or -1 with err set. */
long ft_http_request(ft_http *h, const char *method, const char *url,
                     const struct curl_slist *hdrs, enum ft_http_body body,
                     int verified, const char *what, ft_error *err);

/* The default retry rule: 408, 429, 5xx. */
int ft_http_status_retryable(long status);

/* "what: HTTP 404 Not Found" (with the attempts made when retried, then
 * what h->detail adds). */
void ft_http_error(const ft_http *h, const char *what, ft_error *err);

/* Reports bytes sent (negative: taken back) to on_progress. */
void ft_http_progress(ft_http *h, int64_t delta);

/* The request body: len bytes of the file fd at off (fd >= 0), or of mem
 * (fd -1). */
void ft_http_body_set(ft_http *h, int fd, const char *mem, uint64_t off,
                      uint64_t len);
/* A body set on h, kept aside while another request is made on h
 * (authentication, creating a bucket). */
typedef struct ft_http_saved_body {
    int fd;
    const char *mem;
    uint64_t off, len;
} ft_http_saved_body;
void ft_http_body_save(const ft_http *h, ft_http_saved_body *b);
void ft_http_body_restore(ft_http *h, const ft_http_saved_body *b);

/* 0 when the last answer's ETag is want, else -1 with err
 * "what: stored with ETag X, expected WANT". */
int ft_http_etag_check(const ft_http *h, const char *what, const char *want,
                       ft_error *err);

/* ---- small helpers --------------------------------------------------- */

char *ft_str_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Percent-encodes a name for a URL path: unreserved bytes and '/' kept,
 * the rest as %XX (uppercase, as AWS SigV4 canonical paths want it). */
char *ft_url_path_encode(const char *s);
/* Percent-encodes a query value (everything but unreserved bytes). */
char *ft_url_query_encode(const char *s);
/* Copies an ETag without quotes, lowercased. */
void ft_etag_copy(char *dst, size_t cap, const char *v);
void ft_hex32(const unsigned char d[16], char out[33]);
/* Hex MD5 of n bytes at s. */
void ft_md5_hex(const void *s, size_t n, char out[33]);
/* ft_free_secret() is in fetch.h. */
/* getenv(), with "" as unset. */
const char *ft_getenv(const char *name);

/* ---- MD5 of a file and of its segments -------------------------------
 * Computed in one pass, possibly in a thread of its own while earlier
 * segments are sent: the uploader waits in ft_hasher_wait() for the
 * segment it needs. */
typedef struct ft_hasher {
    int fd;
    const char *path;
    uint64_t size, segsize;
    size_t nseg;
    char (*segs)[33];
    char whole[33];
    pthread_mutex_t m;
    pthread_cond_t cv;
    size_t done;     /* segments hashed */
    int finished;    /* 1 = whole[] valid, -1 = failed (err) */
    int cancel;
    ft_error err;
} ft_hasher;

/* Opens the regular file at path: its size, and when it is larger than
 * segsize (0: no limit) its segments of segsize, at most max_segs (store
 * names whose limit that is in the message).  -1 with err set.  Either
 * way, ft_hasher_close() frees. */
int ft_hasher_open(ft_hasher *h, const char *path, uint64_t segsize,
                   uint64_t max_segs, const char *store, ft_error *err);
void ft_hasher_close(ft_hasher *h);
/* Hashes everything (as a thread's start routine, or called directly). */
void *ft_hasher_run(void *arg);
/* Waits until segment i is hashed (i == nseg: the whole file). */
int ft_hasher_wait(ft_hasher *h, size_t i, ft_error *err);

/* ---- an object streamed as it arrives ---------------------------------
 * A thread runs get() (a GET on h with retries, which resumes with a
 * Range after a failure) and the body goes into a socket whose reading
 * end is ft_http_stream_fd().  At end of data there, ft_http_stream_finish()
 * says 0 when the whole object arrived and hashed to the MD5 want_md5()
 * named when the first bytes came (none: "" there), -1 with err
 * otherwise.  The client embeds the struct and fills h, url, get,
 * want_md5 and ud before ft_http_stream_start(). */
typedef struct ft_http_stream {
    ft_http *h;
    const char *url;          /* names the object in messages */
    /* Performs the GET; 0 after a 2xx answer, -1 with err set. */
    int (*get)(struct ft_http_stream *st, ft_error *err);
    /* At the first bytes: the MD5 the object should have, into want. */
    void (*want_md5)(struct ft_http_stream *st, char want[33]);
    void *ud;
    /* private */
    int fds[2];               /* [0] the reader's end, [1] the fetcher's */
    pthread_t tid;
    int started;
    void *md5;
    char want[33];
    char etag[64];            /* of the first answer: a resumed read must match */
    int rc;
    ft_error err;
} ft_http_stream;

/* Starts the thread; -1 with err set (then call ft_http_stream_stop()). */
int ft_http_stream_start(ft_http_stream *st, ft_error *err);
int ft_http_stream_fd(const ft_http_stream *st);
int ft_http_stream_finish(ft_http_stream *st, ft_error *err);
/* Stops a read in progress and frees what start took (also when it
 * failed or never ran: fds must be -1 then, as ft_http_stream_init sets). */
void ft_http_stream_stop(ft_http_stream *st);
void ft_http_stream_init(ft_http_stream *st);

/* ---- a store, read for ft-fetch --------------------------------------
 * What ft-fetch needs of a store, written once over the callbacks each
 * client fills in (swift.h's ft_swift_store, s3.h's ft_s3_store): one
 * handle per process, opened on first use with the environment's
 * credentials and the options given to ft_http_store_options() (default:
 * ft_http_opts_init()); listings of "SCHEME NAME/PREFIX" as addresses;
 * objects streamed and verified (ft_http_stream).  Retry notes reach the
 * options' on_retry with a NULL argument; they and errors name the
 * address. */
typedef struct ft_http_store {
    const char *scheme; /* "swift://" */
    /* Splits "SCHEME NAME/PATH" (NAME a container or bucket; PATH an
     * object or key, may be "" or a prefix); caller frees both. */
    int (*parse_url)(const char *url, char **name, char **path,
                     ft_error *err);
    /* The handle, from the environment and o. */
    void *(*open)(const ft_http_opts *o, ft_error *err);
    /* A connection of handle; arg goes to o's callbacks. */
    ft_http *(*conn_new)(void *handle, void *arg, ft_error *err);
    void (*conn_free)(ft_http *h);
    /* How the client's messages name NAME or NAME/PATH (path NULL: the
     * name alone), malloc'd, so that they can name the address instead;
     * NULL when they name the address already. */
    char *(*what)(const char *name, const char *path);
    /* The names under prefix (see ft_swift_list). */
    int (*list)(ft_http *h, const char *name, const char *prefix, char delim,
                ft_fetch_names *out, ft_error *err);
    /* Before a read starts, to fail early and clearly (may be NULL). */
    int (*check)(ft_http *h, ft_error *err);
    /* GETs NAME/PATH: 0 after a 2xx answer, -1 with err set (naming url). */
    int (*get)(ft_http *h, const char *name, const char *path,
               const char *url, ft_error *err);
    /* At the first bytes of an answer: the MD5 the object should have
     * ("" when the store does not say). */
    void (*want_md5)(const ft_http *h, char want[33]);
    /* The handle's session, for another process (see ft-fetch); both
     * may be NULL. */
    int (*session_get)(void *handle, char *buf, size_t cap);
    void (*session_set)(void *handle, const char *session);
    /* private: the handle */
    pthread_mutex_t lock;
    ft_http_opts opts;
    int opts_set;
    void (*user_on_retry)(void *arg, const char *msg);
    void *handle;
} ft_http_store;

/* Options for the handle; call before any other function below. */
void ft_http_store_options(ft_http_store *s, const ft_http_opts *o);
/* The entries under url as addresses, in name order.  delim 0: every
 * object whose name starts with url's path, none an error ("URL: no
 * objects"); else one level, the entries that go on past the next delim
 * ending with it, none not an error. */
int ft_http_store_list(ft_http_store *s, const char *url, char delim,
                       ft_fetch_names *out, ft_error *err);
/* Starts streaming the object at url: read it from ft_http_stream_fd(),
 * then ft_http_stream_finish() says whether it arrived whole and matches
 * its MD5.  ft_http_store_close() stops a read in progress and frees
 * (NULL accepted). */
ft_http_stream *ft_http_store_open(ft_http_store *s, const char *url,
                                   ft_error *err);
void ft_http_store_close(ft_http_stream *st);
/* The handle's session (a secret: never print it) into buf: 1, or 0 when
 * there is none. */
int ft_http_store_session_get(ft_http_store *s, char *buf, size_t cap);
/* Seeds the handle with a session another process reported. */
void ft_http_store_session_set(ft_http_store *s, const char *session);

#endif
