/* http.c - HTTP exchanges with retries for the object-store clients (see
 * http.h).
 *
 * MD5 comes from OpenSSL's libcrypto (EVP): libcurl here is built on
 * OpenSSL, so the library is loaded anyway and its MD5 is the fastest at
 * hand. */
#include "http.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BODY_MAX (8u << 20)     /* response bodies kept (listings, errors) */
#define HASH_CHUNK (1u << 20)
#define BACKOFF_CAP 60.0

/* ---- small helpers ------------------------------------------------ */

const char *ft_getenv(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

char *ft_str_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *p = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (p) {
        va_start(ap, fmt);
        vsnprintf(p, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return p;
}

static char *url_encode(const char *s, const char *keep)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = malloc(strlen(s) * 3 + 1), *o = out;
    if (!out)
        return NULL;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
            (*p >= '0' && *p <= '9') || strchr(keep, *p)) {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    *o = '\0';
    return out;
}

char *ft_url_path_encode(const char *s) { return url_encode(s, "-._~/"); }

char *ft_url_query_encode(const char *s) { return url_encode(s, "-._~"); }

void ft_etag_copy(char *dst, size_t cap, const char *v)
{
    size_t n = 0;
    for (; *v && n + 1 < cap; v++)
        if (*v != '"')
            dst[n++] = (char)(*v >= 'A' && *v <= 'F' ? *v + 32 : *v);
    dst[n] = '\0';
}

void ft_hex32(const unsigned char d[16], char out[33])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[32] = '\0';
}

void ft_md5_hex(const void *s, size_t n, char out[33])
{
    unsigned char d[EVP_MAX_MD_SIZE];
    EVP_MD_CTX *x = EVP_MD_CTX_new();
    EVP_DigestInit_ex(x, EVP_md5(), NULL);
    EVP_DigestUpdate(x, s, n);
    EVP_DigestFinal_ex(x, d, NULL);
    EVP_MD_CTX_free(x);
    ft_hex32(d, out);
}

/* ---- connection --------------------------------------------------- */

void ft_http_opts_init(ft_http_opts *o)
{
    memset(o, 0, sizeof *o);
    o->retries = 5;
    o->backoff = 1.0;
    o->connect_timeout = 10;
    o->stall_timeout = 60;
}

int ft_http_client_init(ft_http_opts *dst, const ft_http_opts *o,
                        const char *ca_var, char **ca_copy, ft_error *err)
{
    if (o)
        *dst = *o;
    else
        ft_http_opts_init(dst);
    const char *ca = dst->cacert ? dst->cacert : ft_getenv(ca_var);
    if (ca && access(ca, R_OK) != 0)
        return ft_error_set(err, "%s: %s", ca, strerror(errno));
    if (ca && !(*ca_copy = strdup(ca)))
        return ft_error_set(err, "out of memory");
    dst->cacert = *ca_copy;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return ft_error_set(err, "libcurl: initialisation failed");
    return 0;
}

int ft_http_init(ft_http *h, const ft_http_opts *o, void *arg, ft_error *err)
{
    memset(h, 0, sizeof *h);
    if (!(h->curl = curl_easy_init()))
        return ft_error_set(err, "libcurl: out of memory");
    h->o = o;
    h->arg = arg;
    h->fd = -1;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    h->seed = (unsigned)ts.tv_nsec ^ (unsigned)getpid() ^ (unsigned)(uintptr_t)h;
    return 0;
}

void *ft_http_conn_new(size_t size, const ft_http_opts *o, void *arg,
                       ft_error *err)
{
    ft_http *h = calloc(1, size);
    if (!h) {
        ft_error_set(err, "out of memory");
        return NULL;
    }
    if (ft_http_init(h, o, arg, err) < 0) {
        free(h);
        return NULL;
    }
    h->ud = h; /* the client's connection starts with h */
    return h;
}

void ft_http_cleanup(ft_http *h)
{
    if (h->curl)
        curl_easy_cleanup(h->curl);
    h->curl = NULL;
    free(h->body.p);
    h->body.p = NULL;
}

/* ---- one HTTP exchange -------------------------------------------- */

static void reset_response(ft_http *h)
{
    h->status = 0;
    h->reason[0] = h->etag[0] = '\0';
    h->h_length = 0;
    h->h_retry_after = 0;
    h->resp_off = 0;
    h->body.len = 0;
    if (h->on_hdr)
        h->on_hdr(h->ud, NULL, NULL);
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    ft_http *h = ud;
    size_t len = size * n;
    char line[1024];
    size_t k = len < sizeof line - 1 ? len : sizeof line - 1;
    memcpy(line, p, k);
    line[k] = '\0';
    while (k > 0 && (line[k - 1] == '\r' || line[k - 1] == '\n'))
        line[--k] = '\0';
    if (strncmp(line, "HTTP/", 5) == 0) {
        /* A new response (after "100 Continue" or a retry): start over. */
        reset_response(h);
        const char *sp = strchr(line, ' ');
        if (sp)
            h->status = strtol(sp + 1, NULL, 10);
        if (sp && (sp = strchr(sp + 1, ' ')))
            snprintf(h->reason, sizeof h->reason, "%s", sp + 1);
        return len;
    }
    char *colon = strchr(line, ':');
    if (!colon)
        return len;
    *colon = '\0';
    char *v = colon + 1;
    while (*v == ' ' || *v == '\t')
        v++;
    if (!strcasecmp(line, "etag"))
        ft_etag_copy(h->etag, sizeof h->etag, v);
    else if (!strcasecmp(line, "content-length"))
        h->h_length = strtoull(v, NULL, 10);
    else if (!strcasecmp(line, "retry-after"))
        h->h_retry_after = strtod(v, NULL);
    else if (!strcasecmp(line, "content-range") && !strncasecmp(v, "bytes ", 6))
        h->resp_off = strtoull(v + 6, NULL, 10);
    else if (h->on_hdr)
        h->on_hdr(h->ud, line, v);
    return len;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    ft_http *h = ud;
    size_t len = size * n;
    if (h->sink && h->status >= 200 && h->status <= 299) {
        /* A retried GET may send again bytes the sink already has. */
        size_t skip = 0;
        if (h->resp_off < h->sunk)
            skip = h->sunk - h->resp_off < len ? (size_t)(h->sunk - h->resp_off)
                                               : len;
        h->resp_off += len;
        if (len > skip) {
            if (h->sink(h->sink_ud, p + skip, len - skip) < 0)
                return 0;
            h->sunk += len - skip;
        }
        return len;
    }
    struct ft_http_buf *b = &h->body;
    if (b->len + len + 1 > b->cap && b->len + len + 1 <= BODY_MAX) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + len + 1)
            cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q)
            return 0;
        b->p = q;
        b->cap = cap;
    }
    if (b->len + len + 1 <= b->cap) {
        memcpy(b->p + b->len, p, len);
        b->len += len;
        b->p[b->len] = '\0';
    }
    return len; /* beyond BODY_MAX: dropped (only error pages get that big) */
}

void ft_http_progress(ft_http *h, int64_t delta)
{
    if (h->o->on_progress && delta)
        h->o->on_progress(h->arg, delta);
}

void ft_http_body_set(ft_http *h, int fd, const char *mem, uint64_t off,
                      uint64_t len)
{
    h->fd = fd;
    h->mem = mem;
    h->off = off;
    h->len = len;
}

void ft_http_body_save(const ft_http *h, ft_http_saved_body *b)
{
    b->fd = h->fd;
    b->mem = h->mem;
    b->off = h->off;
    b->len = h->len;
}

void ft_http_body_restore(ft_http *h, const ft_http_saved_body *b)
{
    ft_http_body_set(h, b->fd, b->mem, b->off, b->len);
}

static size_t on_read(char *dst, size_t size, size_t n, void *ud)
{
    ft_http *h = ud;
    size_t want = size * n;
    if (want > h->len - h->pos)
        want = (size_t)(h->len - h->pos);
    if (want == 0)
        return 0;
    if (h->mem) {
        memcpy(dst, h->mem + h->pos, want);
    } else {
        ssize_t r;
        do
            r = pread(h->fd, dst, want, (off_t)(h->off + h->pos));
        while (r < 0 && errno == EINTR);
        if (r <= 0) /* error, or the file shrank under us */
            return CURL_READFUNC_ABORT;
        want = (size_t)r;
    }
    h->pos += want;
    ft_http_progress(h, (int64_t)want);
    return want;
}

static int on_seek(void *ud, curl_off_t offset, int origin)
{
    ft_http *h = ud;
    if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > h->len)
        return CURL_SEEKFUNC_CANTSEEK;
    ft_http_progress(h, (int64_t)offset - (int64_t)h->pos);
    h->pos = (uint64_t)offset;
    return CURL_SEEKFUNC_OK;
}

/* Failures no retry can mend: bad URLs, TLS trust, our own file. */
static int curl_fatal(CURLcode rc)
{
    switch (rc) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_READ_ERROR:
    case CURLE_WRITE_ERROR:
    case CURLE_ABORTED_BY_CALLBACK:
    case CURLE_OUT_OF_MEMORY:
    case CURLE_FILESIZE_EXCEEDED:
    case CURLE_LOGIN_DENIED:
    case CURLE_NOT_BUILT_IN:
    case CURLE_FUNCTION_NOT_FOUND:
    case CURLE_BAD_FUNCTION_ARGUMENT:
        return 1;
    default:
        return 0;
    }
}

/* One attempt.  Returns 0 with h->status set, or -1 with err set and
 * *fatal saying whether a retry is pointless. */
static int perform(ft_http *h, const char *method, const char *url,
                   const struct curl_slist *hdrs, enum ft_http_body body,
                   const char *what, int *fatal, ft_error *err)
{
    CURL *c = h->curl;
    const ft_http_opts *o = h->o;
    curl_easy_reset(c); /* keeps the connection cache */
    reset_response(h);
    h->errbuf[0] = '\0';
    h->pos = 0;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, o->connect_timeout);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, o->stall_timeout);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (o->cacert)
        curl_easy_setopt(c, CURLOPT_CAINFO, o->cacert);
    if (h->prepare)
        h->prepare(h, h->ud);
    if (!strcmp(method, "HEAD")) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (!strcmp(method, "PUT")) {
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(c, CURLOPT_READDATA, h);
        curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, on_seek);
        curl_easy_setopt(c, CURLOPT_SEEKDATA, h);
        curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE,
                         (curl_off_t)(body == FT_HTTP_BODY_NONE ? 0 : h->len));
        curl_easy_setopt(c, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024);
    } else if (!strcmp(method, "POST")) {
        int none = body == FT_HTTP_BODY_NONE || !h->mem;
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        /* Never NULL: libcurl would read the body from stdin. */
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, none ? "" : h->mem);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)(none ? 0 : h->len));
    } else if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    }
    char range[32];
    if (h->sink && h->sunk > 0) {
        /* Resume a read where the last attempt stopped. */
        snprintf(range, sizeof range, "%llu-", (unsigned long long)h->sunk);
        curl_easy_setopt(c, CURLOPT_RANGE, range);
    }
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        ft_http_progress(h, -(int64_t)h->pos);
        *fatal = curl_fatal(rc);
        const char *detail = h->errbuf[0] ? h->errbuf : curl_easy_strerror(rc);
        if (rc == CURLE_ABORTED_BY_CALLBACK || rc == CURLE_READ_ERROR)
            detail = "the local file could not be read (did it shrink?)";
        if (rc == CURLE_WRITE_ERROR && h->sink)
            detail = "the reader stopped";
        return ft_error_set(err, "%s: %s", what, detail);
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &h->status);
    return 0;
}

static void backoff_sleep(ft_http *h, int attempt, const char *why)
{
    double d = h->o->backoff;
    for (int i = 0; i < attempt && d < BACKOFF_CAP; i++)
        d *= 2;
    if (d > BACKOFF_CAP)
        d = BACKOFF_CAP;
    /* Equal jitter: half fixed, half random, so parallel clients spread. */
    d = d / 2 + d / 2 * ((double)rand_r(&h->seed) / RAND_MAX);
    if (h->h_retry_after > d && h->h_retry_after <= BACKOFF_CAP)
        d = h->h_retry_after;
    if (h->o->on_retry) {
        char msg[FT_ERRLEN + 64];
        snprintf(msg, sizeof msg, "%s; retry %d of %d in %.1f s", why,
                 attempt + 1, h->o->retries, d);
        h->o->on_retry(h->arg, msg);
    }
    struct timespec ts = {(time_t)d, (long)((d - (double)(time_t)d) * 1e9)};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

int ft_http_status_retryable(long st)
{
    return st == 408 || st == 429 || st >= 500;
}

static int retryable(const ft_http *h, int verified)
{
    return h->retryable ? h->retryable(h, verified)
                        : ft_http_status_retryable(h->status);
}

void ft_http_error(const ft_http *h, const char *what, ft_error *err)
{
    char tail[48] = "";
    if (h->attempts > 1 && retryable(h, 1))
        snprintf(tail, sizeof tail, " (gave up after %d attempts)", h->attempts);
    ft_error_set(err, "%s: HTTP %ld%s%s%s", what, h->status,
                 h->reason[0] ? " " : "", h->reason, tail);
    if (h->detail)
        h->detail(h, err->msg, sizeof err->msg);
}

int ft_http_etag_check(const ft_http *h, const char *what, const char *want,
                       ft_error *err)
{
    if (strcmp(h->etag, want) == 0)
        return 0;
    return ft_error_set(err, "%s: stored with ETag %s, expected %s", what,
                        h->etag[0] ? h->etag : "(none)", want);
}

long ft_http_request(ft_http *h, const char *method, const char *url,
                     const struct curl_slist *hdrs, enum ft_http_body body,
                     int verified, const char *what, ft_error *err)
{
    for (int attempt = 0;; attempt++) {
        int fatal = 0;
        char why[FT_ERRLEN];
        h->attempts = attempt + 1;
        if (perform(h, method, url, hdrs, body, what, &fatal, err) < 0) {
            if (fatal)
                return -1;
            if (attempt >= h->o->retries) {
                if (attempt > 0) {
                    char m[FT_ERRLEN];
                    snprintf(m, sizeof m, "%s", err->msg);
                    ft_error_set(err, "%s (gave up after %d attempts)", m,
                                 attempt + 1);
                }
                return -1;
            }
            snprintf(why, sizeof why, "%s", err->msg);
        } else if (retryable(h, verified) && attempt < h->o->retries) {
            if (body != FT_HTTP_BODY_NONE)
                ft_http_progress(h, -(int64_t)h->pos);
            ft_error e;
            h->attempts = 1;
            ft_http_error(h, what, &e);
            snprintf(why, sizeof why, "%s", e.msg);
        } else {
            return h->status;
        }
        backoff_sleep(h, attempt, why);
    }
}

/* ---- MD5 of a file and its segments ------------------------------- */

int ft_hasher_open(ft_hasher *h, const char *path, uint64_t segsize,
                   uint64_t max_segs, const char *store, ft_error *err)
{
    memset(h, 0, sizeof *h);
    h->path = path;
    pthread_mutex_init(&h->m, NULL);
    pthread_cond_init(&h->cv, NULL);
    struct stat sb;
    h->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (h->fd < 0 || fstat(h->fd, &sb) < 0)
        return ft_error_set(err, "%s: %s", path, strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return ft_error_set(err, "%s: not a regular file", path);
    h->size = (uint64_t)sb.st_size;
    h->segsize = segsize ? segsize : UINT64_MAX;
    if (h->size <= h->segsize)
        return 0;
    uint64_t n = (h->size + h->segsize - 1) / h->segsize;
    if (n > max_segs)
        return ft_error_set(err, "%s: %llu segments of %llu bytes exceed "
                            "%s's limit of %llu: use a larger segment size",
                            path, (unsigned long long)n,
                            (unsigned long long)h->segsize, store,
                            (unsigned long long)max_segs);
    h->nseg = (size_t)n;
    if (!(h->segs = calloc(h->nseg, sizeof *h->segs)))
        return ft_error_set(err, "out of memory");
    return 0;
}

void ft_hasher_close(ft_hasher *h)
{
    free(h->segs);
    h->segs = NULL;
    if (h->fd >= 0)
        close(h->fd);
    h->fd = -1;
    pthread_cond_destroy(&h->cv);
    pthread_mutex_destroy(&h->m);
}

void *ft_hasher_run(void *arg)
{
    ft_hasher *h = arg;
    unsigned char *b = malloc(HASH_CHUNK);
    EVP_MD_CTX *w = EVP_MD_CTX_new(), *sg = EVP_MD_CTX_new();
    unsigned char d[EVP_MAX_MD_SIZE];
    int rc = -1;
    if (!b || !w || !sg) {
        ft_error_set(&h->err, "out of memory");
        goto out;
    }
    EVP_DigestInit_ex(w, EVP_md5(), NULL);
    EVP_DigestInit_ex(sg, EVP_md5(), NULL);
    uint64_t off = 0, seg_left = h->nseg ? h->segsize : UINT64_MAX;
    while (off < h->size) {
        if (__atomic_load_n(&h->cancel, __ATOMIC_RELAXED))
            goto out;
        size_t want = h->size - off < HASH_CHUNK ? (size_t)(h->size - off)
                                                 : HASH_CHUNK;
        if (want > seg_left)
            want = (size_t)seg_left;
        ssize_t r = pread(h->fd, b, want, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            ft_error_set(&h->err, "%s: %s", h->path, strerror(errno));
            goto out;
        }
        if (r == 0) {
            ft_error_set(&h->err, "%s: the file shrank while being read",
                         h->path);
            goto out;
        }
        EVP_DigestUpdate(w, b, (size_t)r);
        off += (uint64_t)r;
        if (h->nseg) {
            EVP_DigestUpdate(sg, b, (size_t)r);
            seg_left -= (uint64_t)r;
            if (seg_left == 0 || off == h->size) {
                EVP_DigestFinal_ex(sg, d, NULL);
                EVP_DigestInit_ex(sg, EVP_md5(), NULL);
                seg_left = h->segsize;
                pthread_mutex_lock(&h->m);
                ft_hex32(d, h->segs[h->done++]);
                pthread_cond_broadcast(&h->cv);
                pthread_mutex_unlock(&h->m);
            }
        }
    }
    EVP_DigestFinal_ex(w, d, NULL);
    ft_hex32(d, h->whole);
    rc = 0;
out:
    EVP_MD_CTX_free(w);
    EVP_MD_CTX_free(sg);
    free(b);
    pthread_mutex_lock(&h->m);
    h->finished = rc == 0 ? 1 : -1;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->m);
    return NULL;
}

int ft_hasher_wait(ft_hasher *h, size_t i, ft_error *err)
{
    pthread_mutex_lock(&h->m);
    while (h->finished == 0 && (i >= h->nseg || h->done <= i))
        pthread_cond_wait(&h->cv, &h->m);
    int failed = h->finished < 0 && (i >= h->nseg || h->done <= i);
    pthread_mutex_unlock(&h->m);
    if (failed) {
        if (err)
            *err = h->err;
        return -1;
    }
    return 0;
}

/* ---- streamed reads ----------------------------------------------- */

void ft_http_stream_init(ft_http_stream *st)
{
    st->fds[0] = st->fds[1] = -1;
    st->rc = -1;
}

static int stream_sink(void *ud, const char *p, size_t n)
{
    ft_http_stream *st = ud;
    ft_http *h = st->h;
    if (h->sunk == 0 && st->etag[0] == '\0') {
        /* First bytes: note what the object should hash to. */
        snprintf(st->etag, sizeof st->etag, "%s", h->etag);
        st->want_md5(st, st->want);
    } else if (strcmp(st->etag, h->etag) != 0) {
        ft_error_set(&st->err, "%s: the object changed while being read",
                     st->url);
        return -1;
    }
    EVP_DigestUpdate(st->md5, p, n);
    while (n > 0) {
        ssize_t w = send(st->fds[1], p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1; /* the reader closed its end */
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void *stream_run(void *arg)
{
    ft_http_stream *st = arg;
    ft_http *h = st->h;
    st->rc = -1;
    if (st->get(st, &st->err) < 0) {
        if (st->err.msg[0] == '\0')
            ft_error_set(&st->err, "%s: read failed", st->url);
    } else if (h->h_length && h->resp_off != h->sunk) {
        ft_error_set(&st->err, "%s: truncated at byte %llu", st->url,
                     (unsigned long long)h->sunk);
    } else {
        unsigned char d[EVP_MAX_MD_SIZE];
        char got[33];
        EVP_DigestFinal_ex(st->md5, d, NULL);
        ft_hex32(d, got);
        if (st->want[0] && strcmp(got, st->want) != 0)
            ft_error_set(&st->err, "%s: MD5 %s, but the store says %s",
                         st->url, got, st->want);
        else
            st->rc = 0;
    }
    /* End of data for the reader: ft_http_stream_finish() says how. */
    shutdown(st->fds[1], SHUT_WR);
    return NULL;
}

int ft_http_stream_start(ft_http_stream *st, ft_error *err)
{
    if (!(st->md5 = EVP_MD_CTX_new()))
        return ft_error_set(err, "out of memory");
    EVP_DigestInit_ex(st->md5, EVP_md5(), NULL);
    /* A socket, not a pipe: send() with MSG_NOSIGNAL reports a reader
     * that went away instead of raising SIGPIPE. */
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, st->fds) < 0)
        return ft_error_set(err, "%s: %s", st->url, strerror(errno));
    st->h->sink = stream_sink;
    st->h->sink_ud = st;
    st->h->sunk = 0;
    if (pthread_create(&st->tid, NULL, stream_run, st) != 0)
        return ft_error_set(err, "%s: cannot start a thread", st->url);
    st->started = 1;
    return 0;
}

int ft_http_stream_fd(const ft_http_stream *st) { return st->fds[0]; }

int ft_http_stream_finish(ft_http_stream *st, ft_error *err)
{
    if (st->started) {
        pthread_join(st->tid, NULL);
        st->started = 0;
    }
    if (st->rc < 0) {
        if (err)
            *err = st->err;
        return -1;
    }
    return 0;
}

void ft_http_stream_stop(ft_http_stream *st)
{
    if (st->fds[0] >= 0)
        close(st->fds[0]); /* a fetcher still sending stops */
    if (st->started)
        pthread_join(st->tid, NULL);
    st->started = 0;
    if (st->fds[1] >= 0)
        close(st->fds[1]);
    st->fds[0] = st->fds[1] = -1;
    EVP_MD_CTX_free(st->md5);
    st->md5 = NULL;
}

/* ---- a store, read for ft-fetch ----------------------------------- */

/* The argument of a store's connections: the client's name of what they
 * are about ("C/O"; NULL: it names the address already) and the address
 * that messages name instead. */
struct subject {
    ft_http_store *store;
    const char *what;
    const char *url;
};

/* "WHAT: rest" becomes "URL: rest" in place (other messages are kept). */
static void name_by_url(char *msg, size_t cap, const struct subject *x)
{
    if (!x->what)
        return;
    size_t n = strlen(x->what);
    if (strncmp(msg, x->what, n) != 0 || msg[n] != ':')
        return;
    char rest[FT_ERRLEN + 64];
    snprintf(rest, sizeof rest, "%s", msg + n);
    snprintf(msg, cap, "%s%s", x->url, rest);
}

static void store_on_retry(void *arg, const char *msg)
{
    const struct subject *x = arg;
    char m[FT_ERRLEN + 64];
    snprintf(m, sizeof m, "%s", msg);
    name_by_url(m, sizeof m, x);
    if (x->store->user_on_retry)
        x->store->user_on_retry(NULL, m);
}

void ft_http_store_options(ft_http_store *s, const ft_http_opts *o)
{
    pthread_mutex_lock(&s->lock);
    s->opts = *o;
    s->opts_set = 1;
    pthread_mutex_unlock(&s->lock);
}

static void *store_handle(ft_http_store *s, ft_error *err)
{
    pthread_mutex_lock(&s->lock);
    if (!s->handle) {
        ft_http_opts o;
        if (s->opts_set)
            o = s->opts;
        else
            ft_http_opts_init(&o);
        s->user_on_retry = o.on_retry;
        o.on_retry = store_on_retry;
        s->handle = s->open(&o, err);
    }
    void *handle = s->handle;
    pthread_mutex_unlock(&s->lock);
    return handle;
}

/* A connection whose messages name x->url. */
static ft_http *store_conn(ft_http_store *s, struct subject *x, ft_error *err)
{
    void *handle = store_handle(s, err);
    return handle ? s->conn_new(handle, x, err) : NULL;
}

int ft_http_store_list(ft_http_store *s, const char *url, char delim,
                       ft_fetch_names *out, ft_error *err)
{
    char *name, *prefix;
    memset(out, 0, sizeof *out);
    if (s->parse_url(url, &name, &prefix, err) < 0)
        return -1;
    char *what = s->what ? s->what(name, NULL) : NULL;
    struct subject x = {s, what, url};
    ft_http *h = NULL;
    int rc = -1;
    if (s->what && !what)
        rc = ft_error_set(err, "out of memory");
    else if ((h = store_conn(s, &x, err)))
        rc = s->list(h, name, prefix, delim, out, err);
    if (rc == 0 && out->n == 0 && !delim)
        rc = ft_error_set(err, "%s: no objects", url);
    /* As addresses: SCHEME NAME/ENTRY. */
    for (size_t i = 0; rc == 0 && i < out->n; i++) {
        char *u = ft_str_printf("%s%s/%s", s->scheme, name, out->v[i]);
        if (!u) {
            rc = ft_error_set(err, "out of memory");
            break;
        }
        free(out->v[i]);
        out->v[i] = u;
    }
    if (rc < 0) {
        name_by_url(err->msg, sizeof err->msg, &x);
        if (strncmp(err->msg, s->scheme, strlen(s->scheme)) != 0)
            ft_error_prefix(err, "%s", url);
        ft_fetch_names_free(out);
    }
    if (h)
        s->conn_free(h);
    free(what);
    free(name);
    free(prefix);
    return rc;
}

struct store_stream {
    ft_http_stream base; /* first: the callbacks get it */
    struct subject subj;
    char *url, *name, *path, *what;
};

static int store_get(ft_http_stream *b, ft_error *err)
{
    struct store_stream *st = (struct store_stream *)b;
    ft_http_store *s = st->subj.store;
    if (s->get(b->h, st->name, st->path, st->url, err) < 0) {
        name_by_url(err->msg, sizeof err->msg, &st->subj);
        return -1;
    }
    return 0;
}

static void store_want_md5(ft_http_stream *b, char want[33])
{
    ((struct store_stream *)b)->subj.store->want_md5(b->h, want);
}

ft_http_stream *ft_http_store_open(ft_http_store *s, const char *url,
                                   ft_error *err)
{
    struct store_stream *st = calloc(1, sizeof *st);
    if (!st) {
        ft_error_set(err, "out of memory");
        return NULL;
    }
    ft_http_stream_init(&st->base);
    if (s->parse_url(url, &st->name, &st->path, err) < 0)
        goto fail;
    if (!(st->url = strdup(url)) ||
        (s->what && !(st->what = s->what(st->name, st->path)))) {
        ft_error_set(err, "out of memory");
        goto fail;
    }
    st->subj = (struct subject){s, st->what, st->url};
    if (st->path[0] == '\0' || st->path[strlen(st->path) - 1] == '/') {
        ft_error_set(err, "%s: names a prefix, not an object", url);
        goto fail;
    }
    if (!(st->base.h = store_conn(s, &st->subj, err)) ||
        (s->check && s->check(st->base.h, err) < 0)) {
        ft_error_prefix(err, "%s", url);
        goto fail;
    }
    st->base.url = st->url;
    st->base.get = store_get;
    st->base.want_md5 = store_want_md5;
    if (ft_http_stream_start(&st->base, err) < 0)
        goto fail;
    return &st->base;
fail:
    ft_http_store_close(&st->base);
    return NULL;
}

void ft_http_store_close(ft_http_stream *b)
{
    struct store_stream *st = (struct store_stream *)b;
    if (!st)
        return;
    ft_http_stream_stop(b);
    if (b->h)
        st->subj.store->conn_free(b->h);
    free(st->url);
    free(st->name);
    free(st->path);
    free(st->what);
    free(st);
}

int ft_http_store_session_get(ft_http_store *s, char *buf, size_t cap)
{
    if (!s->session_get)
        return 0;
    pthread_mutex_lock(&s->lock);
    void *handle = s->handle;
    pthread_mutex_unlock(&s->lock);
    return handle ? s->session_get(handle, buf, cap) : 0;
}

void ft_http_store_session_set(ft_http_store *s, const char *session)
{
    ft_error e;
    void *handle = s->session_set ? store_handle(s, &e) : NULL;
    if (handle && session)
        s->session_set(handle, session); /* an error comes again at first use */
}
