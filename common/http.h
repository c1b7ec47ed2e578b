/*
 * http.h - the HTTP machinery the object-store clients share (swift.c,
 * s3.c): one libcurl connection whose requests are retried with
 * exponential backoff and jitter after connection failures, timeouts and
 * retryable answers; request bodies from a file range or memory, with
 * progress reported as they are sent; response bodies kept in memory or
 * handed to a sink (a GET resumed with a Range after a failure); and the
 * MD5 helpers of verified uploads.
 *
 * Not a public interface of fttools: only the clients include it.
 */
#ifndef FT_HTTP_H
#define FT_HTTP_H

#include <curl/curl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

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

/* The fields of a connection, as a macro so that a client can also embed
 * them anonymously (union { ft_http http; struct { FT_HTTP_FIELDS }; })
 * and keep naming them directly (c->etag). */
#define FT_HTTP_FIELDS                                                      \
    CURL *curl;                                                             \
    const ft_http_opts *o;                                                  \
    void *arg;                /* for on_retry and on_progress */           \
    char errbuf[CURL_ERROR_SIZE];                                           \
    unsigned seed;                                                          \
    int attempts;             /* of the last request */                    \
    /* set on the handle before each attempt (authentication) */           \
    void (*prepare)(ft_http *h, void *ud);                                  \
    /* other response headers (name NULL: a new response starts) */        \
    void (*on_hdr)(void *ud, const char *name, const char *value);         \
    /* whether an answer deserves another attempt (NULL: the default) */   \
    int (*retryable)(const ft_http *h, int verified);                      \
    /* appends what an error answer's body says to msg (may be NULL) */    \
    void (*detail)(const ft_http *h, char *msg, size_t cap);               \
    void *ud;                 /* for prepare, on_hdr, retryable */         \
    /* the last response */                                                 \
    long status;                                                            \
    char reason[64];                                                        \
    char etag[64];            /* without quotes, lowercase */              \
    uint64_t h_length;                                                      \
    double h_retry_after;                                                   \
    uint64_t resp_off;        /* object offset of the next body byte */    \
    struct ft_http_buf body;                                                \
    /* a GET's body goes here instead of into body (2xx answers only) */   \
    int (*sink)(void *ud, const char *p, size_t n);                         \
    void *sink_ud;                                                          \
    uint64_t sunk;            /* bytes the sink has taken */               \
    /* the request body: a file range (fd >= 0) or memory */               \
    int fd;                                                                 \
    uint64_t off, len, pos;                                                 \
    const char *mem

struct ft_http {
    FT_HTTP_FIELDS;
};

/* o must outlive h; arg goes to o's callbacks. */
int ft_http_init(ft_http *h, const ft_http_opts *o, void *arg, ft_error *err);
void ft_http_cleanup(ft_http *h);
/* A client's connection of size bytes, zeroed, that starts with an
 * ft_http made by ft_http_init(); NULL with err set.  Freed with
 * ft_http_cleanup(), then free(). */
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
/* Frees a string holding a secret, zeroed first (NULL accepted). */
void ft_free_secret(char *p);
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

#endif
