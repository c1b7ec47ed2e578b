/* swift.c - OpenStack Swift client over libcurl (see swift.h).
 *
 * MD5 comes from OpenSSL's libcrypto (EVP): libcurl here is built on
 * OpenSSL, so the library is loaded anyway and its MD5 is the fastest at
 * hand.  JSON (Keystone's catalog, SLO manifests) is jansson, which
 * avro-c already depends on. */
#include "swift.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BODY_MAX (8u << 20)     /* response bodies kept (catalogs, errors) */
#define HASH_CHUNK (1u << 20)
#define RENEW_MARGIN 60         /* seconds before expiry a token is renewed */
#define BACKOFF_CAP 60.0

enum auth_mode { AUTH_TOKEN, AUTH_V1, AUTH_V3 };

struct ft_swift {
    ft_swift_opts o;
    char *cacert;
    enum auth_mode mode;
    char *auth_url;          /* ST_AUTH, or Keystone's .../v3/auth/tokens */
    char *user, *key;        /* v1 */
    char *v3_body;           /* v3 request body (holds the password) */
    char *region, *interface;
    char *storage_override;  /* OS_STORAGE_URL */
    pthread_mutex_t lock;
    char *token, *storage_url;
    time_t expires;          /* 0: not known */
    unsigned gen;            /* counts tokens obtained */
};

struct buf {
    char *p;
    size_t len, cap;
};

struct ft_swift_conn {
    ft_swift *s;
    void *arg;
    CURL *curl;
    char errbuf[CURL_ERROR_SIZE];
    unsigned seed;
    int attempts;              /* of the last request */
    char *token, *storage_url; /* this connection's copy */
    unsigned gen;
    /* the last response */
    long status;
    char reason[64];
    char etag[64];
    char *h_token, *h_url, *h_subject;
    long h_expires;
    int h_slo;
    char h_md5[33];
    uint64_t h_length;
    double h_retry_after;
    int h_manifest;            /* X-Object-Manifest (a DLO) */
    uint64_t resp_off;         /* object offset of the next body byte */
    struct buf body;
    /* a GET's body goes here instead of into body (2xx answers only) */
    int (*sink)(void *ud, const char *p, size_t n);
    void *sink_ud;
    uint64_t sunk;             /* bytes the sink has taken */
    /* the request body: a file range (fd >= 0) or memory */
    int fd;
    uint64_t off, len, pos;
    const char *mem;
};

/* ---- small helpers ------------------------------------------------ */

static char *xstrdup_or_null(const char *s) { return s ? strdup(s) : NULL; }

static void free_secret(char *p)
{
    if (p) {
        explicit_bzero(p, strlen(p));
        free(p);
    }
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static char *trim_slashes(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '/')
        s[--n] = '\0';
    return s;
}

static char *str_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *str_printf(const char *fmt, ...)
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

/* Percent-encodes a container or object name for a URL path ('/' kept). */
static char *url_path_encode(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = malloc(strlen(s) * 3 + 1), *o = out;
    if (!out)
        return NULL;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
            (*p >= '0' && *p <= '9') || strchr("-._~/", *p)) {
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

/* Copies an ETag header value without quotes, lowercased. */
static void etag_copy(char *dst, size_t cap, const char *v)
{
    size_t n = 0;
    for (; *v && n + 1 < cap; v++)
        if (*v != '"')
            dst[n++] = (char)(*v >= 'A' && *v <= 'F' ? *v + 32 : *v);
    dst[n] = '\0';
}

static void hex32(const unsigned char d[16], char out[33])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[32] = '\0';
}

/* ---- options, handle ---------------------------------------------- */

void ft_swift_opts_init(ft_swift_opts *o)
{
    memset(o, 0, sizeof *o);
    o->retries = 5;
    o->backoff = 1.0;
    o->connect_timeout = 10;
    o->stall_timeout = 60;
}

static int v3_setup(ft_swift *s, ft_error *err)
{
    const char *url = env("OS_AUTH_URL");
    const char *ver = env("OS_IDENTITY_API_VERSION");
    if (ver && strcmp(ver, "3") != 0 && strcmp(ver, "3.0") != 0)
        return ft_error_set(err, "OS_IDENTITY_API_VERSION is %s: only "
                            "Keystone v3 is supported", ver);
    char *base = trim_slashes(strdup(url));
    if (!base)
        return ft_error_set(err, "out of memory");
    size_t n = strlen(base);
    if (strstr(base, "/v2.0")) {
        free(base);
        return ft_error_set(err, "OS_AUTH_URL names Keystone v2.0: only v3 "
                            "is supported");
    }
    if (n >= 3 && strcmp(base + n - 3, "/v3") == 0)
        s->auth_url = str_printf("%s/auth/tokens", base);
    else
        s->auth_url = str_printf("%s/v3/auth/tokens", base);
    free(base);

    const char *uname = env("OS_USERNAME"), *uid = env("OS_USER_ID");
    const char *pw = env("OS_PASSWORD");
    const char *pname = env("OS_PROJECT_NAME"), *pid = env("OS_PROJECT_ID");
    const char *udn = env("OS_USER_DOMAIN_NAME"), *udi = env("OS_USER_DOMAIN_ID");
    const char *pdn = env("OS_PROJECT_DOMAIN_NAME"), *pdi = env("OS_PROJECT_DOMAIN_ID");
    if (!uname && !uid)
        return ft_error_set(err, "OS_AUTH_URL is set but OS_USERNAME is not");
    if (!pw)
        return ft_error_set(err, "OS_AUTH_URL is set but OS_PASSWORD is not");
    if (!pname && !pid)
        return ft_error_set(err, "OS_AUTH_URL is set but OS_PROJECT_NAME is not");
    if (uname && !uid && !udn && !udi)
        return ft_error_set(err, "OS_USERNAME is set but OS_USER_DOMAIN_NAME "
                            "is not");
    if (pname && !pid && !pdn && !pdi)
        return ft_error_set(err, "OS_PROJECT_NAME is set but "
                            "OS_PROJECT_DOMAIN_NAME is not");

    /* POST /v3/auth/tokens: password method, scoped to the project. */
    json_t *user = json_object(), *project = json_object();
    if (uid) {
        json_object_set_new(user, "id", json_string(uid));
    } else {
        json_object_set_new(user, "name", json_string(uname));
        json_object_set_new(user, "domain", udi ? json_pack("{s:s}", "id", udi)
                                                : json_pack("{s:s}", "name", udn));
    }
    json_object_set_new(user, "password", json_string(pw));
    if (pid) {
        json_object_set_new(project, "id", json_string(pid));
    } else {
        json_object_set_new(project, "name", json_string(pname));
        json_object_set_new(project, "domain", pdi ? json_pack("{s:s}", "id", pdi)
                                                   : json_pack("{s:s}", "name", pdn));
    }
    json_t *req = json_pack("{s:{s:{s:[s],s:{s:o}},s:{s:o}}}",
                            "auth", "identity", "methods", "password",
                            "password", "user", user, "scope", "project",
                            project);
    if (req)
        s->v3_body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    if (!s->v3_body || !s->auth_url)
        return ft_error_set(err, "OS_AUTH_URL: cannot build the request "
                            "(variables not valid UTF-8?)");
    s->region = xstrdup_or_null(env("OS_REGION_NAME"));
    s->interface = strdup(env("OS_INTERFACE") ? env("OS_INTERFACE") : "public");
    if (!s->interface)
        return ft_error_set(err, "out of memory");
    /* "publicURL" is the v2 spelling some rc files still carry. */
    char *u = strstr(s->interface, "URL");
    if (u && u[3] == '\0')
        *u = '\0';
    return 0;
}

ft_swift *ft_swift_open(const ft_swift_opts *o, ft_error *err)
{
    ft_swift *s = calloc(1, sizeof *s);
    if (!s) {
        ft_error_set(err, "out of memory");
        return NULL;
    }
    if (o)
        s->o = *o;
    else
        ft_swift_opts_init(&s->o);
    pthread_mutex_init(&s->lock, NULL);
    const char *ca = s->o.cacert ? s->o.cacert : env("OS_CACERT");
    s->cacert = xstrdup_or_null(ca);
    s->o.cacert = NULL;
    if (ca && access(ca, R_OK) != 0) {
        ft_error_set(err, "%s: %s", ca, strerror(errno));
        goto fail;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        ft_error_set(err, "libcurl: initialisation failed");
        goto fail;
    }
    const char *surl = env("OS_STORAGE_URL"), *tok = env("OS_AUTH_TOKEN");
    if (surl) {
        s->storage_override = trim_slashes(strdup(surl));
        if (!s->storage_override) {
            ft_error_set(err, "out of memory");
            goto fail;
        }
    }
    if (surl && tok) {
        s->mode = AUTH_TOKEN;
        s->token = strdup(tok);
        s->storage_url = strdup(s->storage_override);
        s->gen = 1;
        if (!s->token || !s->storage_url) {
            ft_error_set(err, "out of memory");
            goto fail;
        }
    } else if (env("ST_AUTH")) {
        s->mode = AUTH_V1;
        if (!env("ST_USER")) {
            ft_error_set(err, "ST_AUTH is set but ST_USER is not");
            goto fail;
        }
        if (!env("ST_KEY")) {
            ft_error_set(err, "ST_AUTH is set but ST_KEY is not");
            goto fail;
        }
        s->auth_url = strdup(env("ST_AUTH"));
        s->user = strdup(env("ST_USER"));
        s->key = strdup(env("ST_KEY"));
        if (!s->auth_url || !s->user || !s->key) {
            ft_error_set(err, "out of memory");
            goto fail;
        }
    } else if (env("OS_AUTH_URL")) {
        s->mode = AUTH_V3;
        if (v3_setup(s, err) < 0)
            goto fail;
    } else {
        static const char *const os_vars[] = {
            "OS_USERNAME", "OS_USER_ID", "OS_PASSWORD", "OS_PROJECT_NAME",
            "OS_PROJECT_ID"};
        for (size_t i = 0; i < sizeof os_vars / sizeof *os_vars; i++)
            if (env(os_vars[i])) {
                ft_error_set(err, "%s is set but OS_AUTH_URL is not", os_vars[i]);
                goto fail;
            }
        if (tok)
            ft_error_set(err, "OS_AUTH_TOKEN is set but OS_STORAGE_URL is not");
        else
            ft_error_set(err, "no Swift credentials in the environment: set "
                         "ST_AUTH, ST_USER and ST_KEY; or OS_AUTH_URL, "
                         "OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME, "
                         "OS_USER_DOMAIN_NAME and OS_PROJECT_DOMAIN_NAME; or "
                         "OS_STORAGE_URL and OS_AUTH_TOKEN");
        goto fail;
    }
    return s;
fail:
    ft_swift_close(s);
    return NULL;
}

void ft_swift_close(ft_swift *s)
{
    if (!s)
        return;
    free(s->cacert);
    free(s->auth_url);
    free(s->user);
    free_secret(s->key);
    free_secret(s->v3_body);
    free(s->region);
    free(s->interface);
    free(s->storage_override);
    free_secret(s->token);
    free(s->storage_url);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

ft_swift_conn *ft_swift_conn_new(ft_swift *s, void *arg, ft_error *err)
{
    ft_swift_conn *c = calloc(1, sizeof *c);
    if (!c || !(c->curl = curl_easy_init())) {
        free(c);
        ft_error_set(err, "libcurl: out of memory");
        return NULL;
    }
    c->s = s;
    c->arg = arg;
    c->fd = -1;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    c->seed = (unsigned)ts.tv_nsec ^ (unsigned)getpid() ^ (unsigned)(uintptr_t)c;
    return c;
}

void ft_swift_conn_free(ft_swift_conn *c)
{
    if (!c)
        return;
    curl_easy_cleanup(c->curl);
    free_secret(c->token);
    free(c->storage_url);
    free_secret(c->h_token);
    free(c->h_url);
    free_secret(c->h_subject);
    free(c->body.p);
    free(c);
}

/* ---- one HTTP exchange -------------------------------------------- */

static void reset_response(ft_swift_conn *c)
{
    c->status = 0;
    c->reason[0] = c->etag[0] = c->h_md5[0] = '\0';
    free_secret(c->h_token);
    free(c->h_url);
    free_secret(c->h_subject);
    c->h_token = c->h_url = c->h_subject = NULL;
    c->h_expires = -1;
    c->h_slo = 0;
    c->h_length = 0;
    c->h_retry_after = 0;
    c->h_manifest = 0;
    c->resp_off = 0;
    c->body.len = 0;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    ft_swift_conn *c = ud;
    size_t len = size * n;
    char line[1024];
    size_t k = len < sizeof line - 1 ? len : sizeof line - 1;
    memcpy(line, p, k);
    line[k] = '\0';
    while (k > 0 && (line[k - 1] == '\r' || line[k - 1] == '\n'))
        line[--k] = '\0';
    if (strncmp(line, "HTTP/", 5) == 0) {
        /* A new response (after "100 Continue" or a retry): start over. */
        reset_response(c);
        const char *sp = strchr(line, ' ');
        if (sp)
            c->status = strtol(sp + 1, NULL, 10);
        if (sp && (sp = strchr(sp + 1, ' ')))
            snprintf(c->reason, sizeof c->reason, "%s", sp + 1);
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
        etag_copy(c->etag, sizeof c->etag, v);
    else if (!strcasecmp(line, "x-auth-token") || !strcasecmp(line, "x-storage-token")) {
        free_secret(c->h_token);
        c->h_token = strdup(v);
    } else if (!strcasecmp(line, "x-storage-url")) {
        free(c->h_url);
        c->h_url = strdup(v);
    } else if (!strcasecmp(line, "x-subject-token")) {
        free_secret(c->h_subject);
        c->h_subject = strdup(v);
    } else if (!strcasecmp(line, "x-auth-token-expires"))
        c->h_expires = strtol(v, NULL, 10);
    else if (!strcasecmp(line, "x-static-large-object"))
        c->h_slo = !strcasecmp(v, "true");
    else if (!strcasecmp(line, "x-object-meta-ft-md5"))
        etag_copy(c->h_md5, sizeof c->h_md5, v);
    else if (!strcasecmp(line, "content-length"))
        c->h_length = strtoull(v, NULL, 10);
    else if (!strcasecmp(line, "retry-after"))
        c->h_retry_after = strtod(v, NULL);
    else if (!strcasecmp(line, "x-object-manifest"))
        c->h_manifest = 1;
    else if (!strcasecmp(line, "content-range") && !strncasecmp(v, "bytes ", 6))
        c->resp_off = strtoull(v + 6, NULL, 10);
    return len;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    ft_swift_conn *c = ud;
    size_t len = size * n;
    if (c->sink && c->status >= 200 && c->status <= 299) {
        /* A retried GET may send again bytes the sink already has. */
        size_t skip = 0;
        if (c->resp_off < c->sunk)
            skip = c->sunk - c->resp_off < len ? (size_t)(c->sunk - c->resp_off)
                                               : len;
        c->resp_off += len;
        if (len > skip) {
            if (c->sink(c->sink_ud, p + skip, len - skip) < 0)
                return 0;
            c->sunk += len - skip;
        }
        return len;
    }
    struct buf *b = &c->body;
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

static void progress(ft_swift_conn *c, int64_t delta)
{
    if (c->s->o.on_progress && delta)
        c->s->o.on_progress(c->arg, delta);
}

static size_t on_read(char *dst, size_t size, size_t n, void *ud)
{
    ft_swift_conn *c = ud;
    size_t want = size * n;
    if (want > c->len - c->pos)
        want = (size_t)(c->len - c->pos);
    if (want == 0)
        return 0;
    if (c->mem) {
        memcpy(dst, c->mem + c->pos, want);
    } else {
        ssize_t r;
        do
            r = pread(c->fd, dst, want, (off_t)(c->off + c->pos));
        while (r < 0 && errno == EINTR);
        if (r <= 0) /* error, or the file shrank under us */
            return CURL_READFUNC_ABORT;
        want = (size_t)r;
    }
    c->pos += want;
    progress(c, (int64_t)want);
    return want;
}

static int on_seek(void *ud, curl_off_t offset, int origin)
{
    ft_swift_conn *c = ud;
    if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > c->len)
        return CURL_SEEKFUNC_CANTSEEK;
    progress(c, (int64_t)offset - (int64_t)c->pos);
    c->pos = (uint64_t)offset;
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

enum body_kind { BODY_NONE, BODY_FILE, BODY_MEM };

/* One attempt.  Returns 0 with c->status set, or -1 with err set and
 * *fatal saying whether a retry is pointless. */
static int perform(ft_swift_conn *c, const char *method, const char *url,
                   struct curl_slist *hdrs, enum body_kind body,
                   const char *what, int *fatal, ft_error *err)
{
    CURL *h = c->curl;
    ft_swift *s = c->s;
    curl_easy_reset(h); /* keeps the connection cache */
    reset_response(c);
    c->errbuf[0] = '\0';
    c->pos = 0;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, c);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, s->o.connect_timeout);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, s->o.stall_timeout);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (s->cacert)
        curl_easy_setopt(h, CURLOPT_CAINFO, s->cacert);
    if (!strcmp(method, "HEAD")) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (!strcmp(method, "PUT")) {
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(h, CURLOPT_READDATA, c);
        curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
        curl_easy_setopt(h, CURLOPT_SEEKDATA, c);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
                         (curl_off_t)(body == BODY_NONE ? 0 : c->len));
        curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024);
    } else if (!strcmp(method, "POST")) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->mem);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->len);
    } else if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    }
    char range[32];
    if (c->sink && c->sunk > 0) {
        /* Resume a read where the last attempt stopped. */
        snprintf(range, sizeof range, "%llu-", (unsigned long long)c->sunk);
        curl_easy_setopt(h, CURLOPT_RANGE, range);
    }
    CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
        progress(c, -(int64_t)c->pos);
        *fatal = curl_fatal(rc);
        const char *detail = c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc);
        if (rc == CURLE_ABORTED_BY_CALLBACK || rc == CURLE_READ_ERROR)
            detail = "the local file could not be read (did it shrink?)";
        if (rc == CURLE_WRITE_ERROR && c->sink)
            detail = "the reader stopped";
        return ft_error_set(err, "%s: %s", what, detail);
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &c->status);
    return 0;
}

static void backoff_sleep(ft_swift_conn *c, int attempt, const char *why)
{
    double d = c->s->o.backoff;
    for (int i = 0; i < attempt && d < BACKOFF_CAP; i++)
        d *= 2;
    if (d > BACKOFF_CAP)
        d = BACKOFF_CAP;
    /* Equal jitter: half fixed, half random, so parallel clients spread. */
    d = d / 2 + d / 2 * ((double)rand_r(&c->seed) / RAND_MAX);
    if (c->h_retry_after > d && c->h_retry_after <= BACKOFF_CAP)
        d = c->h_retry_after;
    if (c->s->o.on_retry) {
        char msg[FT_ERRLEN + 64];
        snprintf(msg, sizeof msg, "%s; retry %d of %d in %.1f s", why,
                 attempt + 1, c->s->o.retries, d);
        c->s->o.on_retry(c->arg, msg);
    }
    struct timespec ts = {(time_t)d, (long)((d - (double)(time_t)d) * 1e9)};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static int status_retryable(long st, int etag_sent)
{
    /* 422: the body did not match the ETag we sent, so it was damaged on
     * the way; sending it again is the cure. */
    return st == 408 || st == 429 || st >= 500 || (st == 422 && etag_sent);
}

static void http_error(ft_swift_conn *c, const char *what, ft_error *err)
{
    char tail[48] = "";
    if (c->attempts > 1 && status_retryable(c->status, 1))
        snprintf(tail, sizeof tail, " (gave up after %d attempts)", c->attempts);
    ft_error_set(err, "%s: HTTP %ld%s%s%s", what, c->status,
                 c->reason[0] ? " " : "", c->reason, tail);
}

/* Performs a request with retries for connection failures, timeouts,
 * 408, 429 and 5xx (and 422 when an ETag was sent).  Returns the final
 * HTTP status, or -1 with err set. */
static long with_retries(ft_swift_conn *c, const char *method, const char *url,
                         struct curl_slist *hdrs, enum body_kind body,
                         int etag_sent, const char *what, ft_error *err)
{
    for (int attempt = 0;; attempt++) {
        int fatal = 0;
        char why[FT_ERRLEN];
        c->attempts = attempt + 1;
        if (perform(c, method, url, hdrs, body, what, &fatal, err) < 0) {
            if (fatal)
                return -1;
            if (attempt >= c->s->o.retries) {
                if (attempt > 0) {
                    char m[FT_ERRLEN];
                    snprintf(m, sizeof m, "%s", err->msg);
                    ft_error_set(err, "%s (gave up after %d attempts)", m,
                                 attempt + 1);
                }
                return -1;
            }
            snprintf(why, sizeof why, "%s", err->msg);
        } else if (status_retryable(c->status, etag_sent) &&
                   attempt < c->s->o.retries) {
            if (body != BODY_NONE)
                progress(c, -(int64_t)c->pos);
            ft_error e;
            c->attempts = 1;
            http_error(c, what, &e);
            snprintf(why, sizeof why, "%s", e.msg);
        } else {
            return c->status;
        }
        backoff_sleep(c, attempt, why);
    }
}

/* ---- authentication ----------------------------------------------- */

static int parse_iso_utc(const char *s, time_t *out)
{
    struct tm tm = {0};
    int y, mo, d, h, mi, sec;
    if (sscanf(s, "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &h, &mi, &sec) != 6)
        return -1;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    *out = timegm(&tm);
    return 0;
}

/* The object-store endpoint of a v3 token's catalog. */
static char *catalog_endpoint(ft_swift *s, json_t *token)
{
    json_t *cat = json_object_get(token, "catalog");
    size_t i, j;
    json_t *svc, *ep;
    json_array_foreach(cat, i, svc) {
        const char *type = json_string_value(json_object_get(svc, "type"));
        if (!type || strcmp(type, "object-store") != 0)
            continue;
        json_array_foreach(json_object_get(svc, "endpoints"), j, ep) {
            const char *itf = json_string_value(json_object_get(ep, "interface"));
            const char *reg = json_string_value(json_object_get(ep, "region"));
            const char *rid = json_string_value(json_object_get(ep, "region_id"));
            const char *url = json_string_value(json_object_get(ep, "url"));
            if (!url || !itf || strcmp(itf, s->interface) != 0)
                continue;
            if (s->region && !(reg && !strcmp(reg, s->region)) &&
                !(rid && !strcmp(rid, s->region)))
                continue;
            return trim_slashes(strdup(url));
        }
    }
    return NULL;
}

static int authenticate_body(ft_swift_conn *c, ft_error *err);

/* Gets a new token into s (called with s->lock held).  The request body
 * of the caller, set in c, is kept. */
static int authenticate(ft_swift_conn *c, ft_error *err)
{
    int fd = c->fd;
    uint64_t off = c->off, len = c->len;
    const char *mem = c->mem;
    int rc = authenticate_body(c, err);
    c->fd = fd;
    c->off = off;
    c->len = len;
    c->mem = mem;
    return rc;
}

static int authenticate_body(ft_swift_conn *c, ft_error *err)
{
    ft_swift *s = c->s;
    struct curl_slist *h = NULL;
    char *line = NULL;
    char *token = NULL, *url = NULL;
    time_t expires = 0;
    int rc = -1;
    const char *var = s->mode == AUTH_V1 ? "ST_AUTH" : "OS_AUTH_URL";

    if (s->mode == AUTH_TOKEN)
        return ft_error_set(err, "OS_AUTH_TOKEN: the token was refused (HTTP "
                            "401) and cannot be renewed");
    if (s->mode == AUTH_V1) {
        line = str_printf("X-Auth-User: %s", s->user);
        h = curl_slist_append(h, line);
        free(line);
        line = str_printf("X-Auth-Key: %s", s->key);
        h = curl_slist_append(h, line);
        free_secret(line);
        c->mem = NULL;
        c->len = 0;
        long st = with_retries(c, "GET", s->auth_url, h, BODY_NONE, 0, var, err);
        if (st < 0)
            goto out;
        if (st < 200 || st > 299) {
            http_error(c, var, err);
            if (st == 401 || st == 403)
                ft_error_set(err, "%s: authentication failed (HTTP %ld): check "
                             "ST_USER and ST_KEY", var, st);
            goto out;
        }
        if (!c->h_token || !c->h_url) {
            ft_error_set(err, "%s: the answer has no X-Auth-Token or "
                         "X-Storage-Url", var);
            goto out;
        }
        token = strdup(c->h_token);
        url = trim_slashes(strdup(c->h_url));
        if (c->h_expires > 0)
            expires = time(NULL) + c->h_expires;
    } else {
        h = curl_slist_append(h, "Content-Type: application/json");
        h = curl_slist_append(h, "Accept: application/json");
        c->mem = s->v3_body;
        c->len = strlen(s->v3_body);
        long st = with_retries(c, "POST", s->auth_url, h, BODY_MEM, 0, var, err);
        c->mem = NULL;
        if (st < 0)
            goto out;
        if (st != 201 && st != 200) {
            http_error(c, var, err);
            if (st == 401 || st == 403)
                ft_error_set(err, "%s: authentication failed (HTTP %ld): check "
                             "OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME and the "
                             "domain variables", var, st);
            else if (st == 404)
                ft_error_set(err, "%s: HTTP 404 for %s: not a Keystone v3 "
                             "endpoint", var, s->auth_url);
            goto out;
        }
        if (!c->h_subject) {
            ft_error_set(err, "%s: the answer has no X-Subject-Token", var);
            goto out;
        }
        json_error_t jerr;
        json_t *root = c->body.len ? json_loadb(c->body.p, c->body.len, 0, &jerr)
                                   : NULL;
        json_t *tok = json_object_get(root, "token");
        if (!tok) {
            json_decref(root);
            ft_error_set(err, "%s: the answer is not a Keystone v3 token", var);
            goto out;
        }
        const char *exp = json_string_value(json_object_get(tok, "expires_at"));
        if (exp)
            parse_iso_utc(exp, &expires);
        if (!s->storage_override) {
            url = catalog_endpoint(s, tok);
            if (!url) {
                json_decref(root);
                ft_error_set(err, "%s: no object-store endpoint with interface "
                             "%s%s%s in the service catalog (set "
                             "OS_STORAGE_URL?)", var, s->interface,
                             s->region ? " in region " : "",
                             s->region ? s->region : "");
                goto out;
            }
        }
        json_decref(root);
        token = strdup(c->h_subject);
    }
    if (s->storage_override) {
        free(url);
        url = strdup(s->storage_override);
    }
    if (!token || !url) {
        ft_error_set(err, "out of memory");
        goto out;
    }
    free_secret(s->token);
    free(s->storage_url);
    s->token = token;
    s->storage_url = url;
    token = url = NULL;
    s->expires = expires;
    s->gen++;
    rc = 0;
out:
    curl_slist_free_all(h);
    free_secret(token);
    free(url);
    return rc;
}

/* Makes c's copy of the token current.  stale_gen: the token generation
 * just refused with 401 (0: none), which is renewed unless another
 * connection has done so already. */
static int get_token(ft_swift_conn *c, unsigned stale_gen, ft_error *err)
{
    ft_swift *s = c->s;
    int rc = 0;
    pthread_mutex_lock(&s->lock);
    int expiring = s->expires && time(NULL) >= s->expires - RENEW_MARGIN;
    if (!s->token || expiring || (stale_gen && stale_gen == s->gen))
        rc = authenticate(c, err);
    if (rc == 0 && c->gen != s->gen) {
        free_secret(c->token);
        free(c->storage_url);
        c->token = strdup(s->token);
        c->storage_url = strdup(s->storage_url);
        c->gen = s->gen;
        if (!c->token || !c->storage_url) {
            c->gen = 0;
            rc = ft_error_set(err, "out of memory");
        }
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int ft_swift_authenticate(ft_swift_conn *c, ft_error *err)
{
    return get_token(c, 0, err);
}

/* ---- storage requests --------------------------------------------- */

/* A request against the storage URL: /container[/object][?query], with
 * the token, renewed once on 401.  extra: more headers (may be NULL).
 * Returns the HTTP status or -1. */
static long storage_request(ft_swift_conn *c, const char *method,
                            const char *container, const char *object,
                            const char *query, const struct curl_slist *extra,
                            enum body_kind body, int etag_sent, ft_error *err)
{
    char *what = object ? str_printf("%s/%s", container, object)
                        : strdup(container);
    char *ec = url_path_encode(container);
    char *eo = object ? url_path_encode(object) : NULL;
    long st = -1;
    if (!what || !ec || (object && !eo)) {
        ft_error_set(err, "out of memory");
        goto out;
    }
    for (int renewed = 0;; renewed = 1) {
        if (get_token(c, 0, err) < 0) {
            ft_error_prefix(err, "%s", what);
            break;
        }
        unsigned gen = c->gen;
        char *url = str_printf("%s/%s%s%s%s%s", c->storage_url, ec,
                               eo ? "/" : "", eo ? eo : "",
                               query ? "?" : "", query ? query : "");
        char *tok = str_printf("X-Auth-Token: %s", c->token);
        struct curl_slist *h = NULL;
        h = curl_slist_append(h, tok);
        for (const struct curl_slist *e = extra; e; e = e->next)
            h = curl_slist_append(h, e->data);
        free_secret(tok);
        st = url ? with_retries(c, method, url, h, body, etag_sent, what, err) : -1;
        if (!url)
            ft_error_set(err, "out of memory");
        free(url);
        curl_slist_free_all(h);
        if (st != 401 || renewed)
            break;
        if (body != BODY_NONE)
            progress(c, -(int64_t)c->pos);
        /* Refused: renew (once for every connection) and try again. */
        if (get_token(c, gen, err) < 0) {
            ft_error_prefix(err, "%s", what);
            st = -1;
            break;
        }
    }
    if (st == 401)
        ft_error_set(err, "%s: HTTP 401 Unauthorized even with a new token",
                     what);
out:
    free(what);
    free(ec);
    free(eo);
    return st;
}

int ft_swift_head(ft_swift_conn *c, const char *container, const char *object,
                  ft_swift_stat *st, ft_error *err)
{
    memset(st, 0, sizeof *st);
    long s = storage_request(c, "HEAD", container, object, NULL, NULL,
                             BODY_NONE, 0, err);
    if (s < 0)
        return -1;
    if (s == 404)
        return 0;
    if (s < 200 || s > 299) {
        char *what = str_printf("%s/%s", container, object);
        http_error(c, what ? what : object, err);
        free(what);
        return -1;
    }
    st->exists = 1;
    st->size = c->h_length;
    snprintf(st->etag, sizeof st->etag, "%s", c->etag);
    st->slo = c->h_slo;
    snprintf(st->md5, sizeof st->md5, "%s", c->h_md5);
    return 0;
}

static int create_container(ft_swift_conn *c, const char *container,
                            ft_error *err)
{
    long s = storage_request(c, "PUT", container, NULL, NULL, NULL, BODY_NONE,
                             0, err);
    if (s < 0)
        return -1;
    if (s != 201 && s != 202 && s != 204) {
        http_error(c, container, err);
        return -1;
    }
    return 0;
}

/* PUTs the body set in c (file range or memory) as container/object with
 * ETag etag (NULL: none) and headers extra; creates the container when
 * missing.  On success the answer's ETag must equal want_etag. */
static int put_verified(ft_swift_conn *c, const char *container,
                        const char *object, const char *query,
                        const char *etag, const char *want_etag,
                        struct curl_slist *extra, enum body_kind body,
                        ft_error *err)
{
    struct curl_slist *h = NULL;
    char *line = etag ? str_printf("ETag: %s", etag) : NULL;
    if (line)
        h = curl_slist_append(h, line);
    free(line);
    for (const struct curl_slist *e = extra; e; e = e->next)
        h = curl_slist_append(h, e->data);
    int rc = -1;
    for (int created = 0;; created = 1) {
        long s = storage_request(c, "PUT", container, object, query, h, body,
                                 etag != NULL, err);
        if (s < 0)
            break;
        if (s == 404 && !created) {
            if (create_container(c, container, err) < 0)
                break;
            continue;
        }
        char *what = str_printf("%s/%s", container, object);
        if (s != 201) {
            http_error(c, what ? what : object, err);
        } else if (strcmp(c->etag, want_etag) != 0) {
            ft_error_set(err, "%s: stored with ETag %s, expected %s",
                         what ? what : object, c->etag[0] ? c->etag : "(none)",
                         want_etag);
        } else {
            rc = 0;
        }
        free(what);
        break;
    }
    curl_slist_free_all(h);
    return rc;
}

/* ---- verified upload ---------------------------------------------- */

/* MD5 of a file and of each of its segments, computed in one pass,
 * possibly in a thread of its own while earlier segments are sent: the
 * uploader waits in hasher_wait() for the segment it needs. */
struct hasher {
    int fd;
    const char *path;
    uint64_t size, segsize; /* segsize UINT64_MAX: no segments */
    size_t nseg;
    char (*segs)[33];
    char whole[33];
    pthread_mutex_t m;
    pthread_cond_t cv;
    size_t done;     /* segments hashed */
    int finished;    /* 1 = whole[] valid, -1 = failed (err) */
    int cancel;
    ft_error err;
};

static void *hasher_run(void *arg)
{
    struct hasher *h = arg;
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
                hex32(d, h->segs[h->done++]);
                pthread_cond_broadcast(&h->cv);
                pthread_mutex_unlock(&h->m);
            }
        }
    }
    EVP_DigestFinal_ex(w, d, NULL);
    hex32(d, h->whole);
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

/* Waits until segment i is hashed (i == nseg: the whole file). */
static int hasher_wait(struct hasher *h, size_t i, ft_error *err)
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

static void md5_str(const char *s, size_t n, char out[33])
{
    unsigned char d[EVP_MAX_MD_SIZE];
    EVP_MD_CTX *x = EVP_MD_CTX_new();
    EVP_DigestInit_ex(x, EVP_md5(), NULL);
    EVP_DigestUpdate(x, s, n);
    EVP_DigestFinal_ex(x, d, NULL);
    EVP_MD_CTX_free(x);
    hex32(d, out);
}

/* Segments (each skipped when an earlier run stored it), then the
 * manifest.  Segment i is sent as soon as h has hashed it. */
static int upload_slo(ft_swift_conn *c, struct hasher *h,
                      const char *container, const char *object,
                      ft_error *err)
{
    size_t nseg = h->nseg;
    uint64_t size = h->size, segsize = h->segsize;
    char *segc = str_printf("%s_segments", container);
    json_t *manifest = json_array();
    char *etags = malloc(nseg * 32 + 1);
    char *mjson = NULL, *seg = NULL;
    struct curl_slist *hd = NULL;
    int rc = -1;
    if (!segc || !manifest || !etags) {
        ft_error_set(err, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < nseg; i++) {
        uint64_t off = (uint64_t)i * segsize;
        uint64_t len = size - off < segsize ? size - off : segsize;
        if (hasher_wait(h, i, err) < 0)
            goto out;
        const char *md5 = h->segs[i];
        free(seg);
        seg = str_printf("%s/slo/%llu/%llu/%08zu-%s", object,
                         (unsigned long long)size,
                         (unsigned long long)segsize, i, md5);
        if (!seg) {
            ft_error_set(err, "out of memory");
            goto out;
        }
        /* Named by content: one stored by an interrupted run is kept. */
        ft_swift_stat st;
        if (ft_swift_head(c, segc, seg, &st, err) < 0)
            goto out;
        if (!st.exists || strcmp(st.etag, md5) != 0 || st.size != len) {
            c->fd = h->fd;
            c->mem = NULL;
            c->off = off;
            c->len = len;
            if (put_verified(c, segc, seg, NULL, md5, md5, NULL, BODY_FILE,
                             err) < 0)
                goto out;
        } else {
            progress(c, (int64_t)len);
        }
        char *path = str_printf("/%s/%s", segc, seg);
        json_t *e = path ? json_pack("{s:s,s:s,s:I}", "path", path, "etag",
                                     md5, "size_bytes", (json_int_t)len)
                         : NULL;
        free(path);
        if (!e || json_array_append_new(manifest, e) < 0) {
            ft_error_set(err, "out of memory");
            goto out;
        }
        memcpy(etags + i * 32, md5, 32);
    }
    if (hasher_wait(h, nseg, err) < 0)
        goto out;
    /* The manifest's ETag is the MD5 of the segments' ETags. */
    char slo_etag[33];
    md5_str(etags, nseg * 32, slo_etag);
    mjson = json_dumps(manifest, JSON_COMPACT);
    char *meta = str_printf("X-Object-Meta-Ft-Md5: %s", h->whole);
    if (!mjson || !meta) {
        free(meta);
        ft_error_set(err, "out of memory");
        goto out;
    }
    hd = curl_slist_append(hd, meta);
    hd = curl_slist_append(hd, "Content-Type: application/octet-stream");
    free(meta);
    c->fd = -1;
    c->mem = mjson;
    c->off = 0;
    c->len = strlen(mjson);
    rc = put_verified(c, container, object, "multipart-manifest=put", slo_etag,
                      slo_etag, hd, BODY_MEM, err);
out:
    c->mem = NULL;
    curl_slist_free_all(hd);
    free(mjson);
    free(seg);
    free(etags);
    json_decref(manifest);
    free(segc);
    return rc;
}

int ft_swift_upload(ft_swift_conn *c, const char *path, const char *container,
                    const char *object, uint64_t segment_size, ft_error *err)
{
    struct hasher h = {.fd = -1, .path = path};
    pthread_mutex_init(&h.m, NULL);
    pthread_cond_init(&h.cv, NULL);
    pthread_t tid;
    int threaded = 0, rc = -1;
    h.fd = open(path, O_RDONLY | O_CLOEXEC);
    if (h.fd < 0) {
        ft_error_set(err, "%s: %s", path, strerror(errno));
        goto out;
    }
    struct stat sb;
    if (fstat(h.fd, &sb) < 0) {
        ft_error_set(err, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(sb.st_mode)) {
        ft_error_set(err, "%s: not a regular file", path);
        goto out;
    }
    h.size = (uint64_t)sb.st_size;
    h.segsize = segment_size ? segment_size : UINT64_MAX;
    if (h.size > h.segsize) {
        uint64_t n = (h.size + h.segsize - 1) / h.segsize;
        if (n > FT_SWIFT_MAX_SEGMENTS) {
            ft_error_set(err, "%s: %llu segments of %llu bytes exceed Swift's "
                         "limit of %d: use a larger segment size", path,
                         (unsigned long long)n, (unsigned long long)h.segsize,
                         FT_SWIFT_MAX_SEGMENTS);
            goto out;
        }
        h.nseg = (size_t)n;
        h.segs = calloc(h.nseg, sizeof *h.segs);
        if (!h.segs) {
            ft_error_set(err, "out of memory");
            goto out;
        }
    }
    ft_swift_stat st;
    if (ft_swift_head(c, container, object, &st, err) < 0)
        goto out;
    if ((st.exists && st.size == h.size) || h.nseg == 0) {
        /* The whole MD5 decides a skip, and a plain PUT sends it first. */
        hasher_run(&h);
        if (hasher_wait(&h, h.nseg, err) < 0)
            goto out;
        if (st.exists && st.size == h.size &&
            strcmp(st.slo ? st.md5 : st.etag, h.whole) == 0) {
            rc = FT_SWIFT_SKIPPED;
            goto out;
        }
    } else {
        /* A new large object: hash ahead while segments go up. */
        if (pthread_create(&tid, NULL, hasher_run, &h) == 0)
            threaded = 1;
        else
            hasher_run(&h);
    }
    if (h.nseg) {
        rc = upload_slo(c, &h, container, object, err);
    } else {
        c->fd = h.fd;
        c->mem = NULL;
        c->off = 0;
        c->len = h.size;
        rc = put_verified(c, container, object, NULL, h.whole, h.whole, NULL,
                          BODY_FILE, err);
    }
    if (rc == 0)
        rc = FT_SWIFT_UPLOADED;
out:
    if (threaded) {
        __atomic_store_n(&h.cancel, 1, __ATOMIC_RELAXED);
        pthread_join(tid, NULL);
    }
    c->fd = -1;
    free(h.segs);
    if (h.fd >= 0)
        close(h.fd);
    pthread_cond_destroy(&h.cv);
    pthread_mutex_destroy(&h.m);
    return rc;
}

/* ---- listing ------------------------------------------------------ */

void ft_swift_names_free(ft_swift_names *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n; i++)
        free(n->v[i]);
    free(n->v);
    n->v = NULL;
    n->n = 0;
}

static int names_add(ft_swift_names *out, size_t *cap, const char *name)
{
    if (out->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        char **v = realloc(out->v, nc * sizeof *v);
        if (!v)
            return -1;
        out->v = v;
        *cap = nc;
    }
    if (!(out->v[out->n] = strdup(name)))
        return -1;
    out->n++;
    return 0;
}

int ft_swift_list(ft_swift_conn *c, const char *container, const char *prefix,
                  char delim, ft_swift_names *out, ft_error *err)
{
    out->v = NULL;
    out->n = 0;
    size_t cap = 0;
    char *marker = NULL;
    char *ep = curl_easy_escape(c->curl, prefix ? prefix : "", 0);
    char dl[2] = {delim, '\0'};
    char *ed = curl_easy_escape(c->curl, dl, 0);
    int rc = -1;
    if (!ep || !ed) {
        ft_error_set(err, "out of memory");
        goto out;
    }
    for (;;) {
        /* Pages of up to 10000 names, in byte order, until one is short. */
        char *em = marker ? curl_easy_escape(c->curl, marker, 0) : NULL;
        char *q = str_printf("format=json&prefix=%s%s%s%s%s", ep,
                             delim ? "&delimiter=" : "", delim ? ed : "",
                             em ? "&marker=" : "", em ? em : "");
        curl_free(em);
        if (!q) {
            ft_error_set(err, "out of memory");
            goto out;
        }
        long st = storage_request(c, "GET", container, NULL, q, NULL,
                                  BODY_NONE, 0, err);
        free(q);
        if (st < 0)
            goto out;
        if (st == 404) {
            ft_error_set(err, "%s: no such container", container);
            goto out;
        }
        if (st != 200 && st != 204) {
            http_error(c, container, err);
            goto out;
        }
        if (st == 204 || c->body.len == 0)
            break;
        json_error_t jerr;
        json_t *arr = json_loadb(c->body.p, c->body.len, 0, &jerr);
        if (!json_is_array(arr)) {
            json_decref(arr);
            ft_error_set(err, "%s: the listing is not a JSON array", container);
            goto out;
        }
        size_t i, got = json_array_size(arr);
        json_t *e;
        const char *last = NULL;
        json_array_foreach(arr, i, e) {
            const char *name = json_string_value(json_object_get(e, "name"));
            if (!name)
                name = json_string_value(json_object_get(e, "subdir"));
            if (!name)
                continue;
            if (names_add(out, &cap, name) < 0) {
                json_decref(arr);
                ft_error_set(err, "out of memory");
                goto out;
            }
            last = name;
        }
        free(marker);
        marker = last ? strdup(last) : NULL;
        json_decref(arr);
        if (got < 10000 || !marker)
            break;
    }
    rc = 0;
out:
    if (rc < 0)
        ft_swift_names_free(out);
    free(marker);
    curl_free(ep);
    curl_free(ed);
    return rc;
}

/* ---- streamed reads ------------------------------------------------ */

/* The handle readers share (one token for every input of a process). */
static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;
static ft_swift *shared;

static ft_swift *shared_swift(ft_error *err)
{
    pthread_mutex_lock(&shared_lock);
    if (!shared)
        shared = ft_swift_open(NULL, err);
    ft_swift *s = shared;
    pthread_mutex_unlock(&shared_lock);
    return s;
}

int ft_swift_parse_url(const char *url, char **container, char **object,
                       ft_error *err)
{
    *container = *object = NULL;
    if (strncmp(url, FT_SWIFT_SCHEME, strlen(FT_SWIFT_SCHEME)) != 0)
        return ft_error_set(err, "%s: not a swift:// address", url);
    const char *p = url + strlen(FT_SWIFT_SCHEME);
    const char *slash = strchr(p, '/');
    size_t n = slash ? (size_t)(slash - p) : strlen(p);
    if (n == 0 || n > 256)
        return ft_error_set(err, "%s: no container name (swift://CONTAINER/"
                            "OBJECT)", url);
    *container = strndup(p, n);
    *object = strdup(slash ? slash + 1 : "");
    if (!*container || !*object) {
        free(*container);
        free(*object);
        *container = *object = NULL;
        return ft_error_set(err, "out of memory");
    }
    return 0;
}

int ft_swift_list_url(const char *url, ft_swift_names *out, ft_error *err)
{
    char *cont, *prefix;
    out->v = NULL;
    out->n = 0;
    if (ft_swift_parse_url(url, &cont, &prefix, err) < 0)
        return -1;
    ft_swift *s = shared_swift(err);
    ft_swift_conn *c = s ? ft_swift_conn_new(s, NULL, err) : NULL;
    int rc = c ? ft_swift_list(c, cont, prefix, 0, out, err) : -1;
    if (rc == 0 && out->n == 0)
        rc = ft_error_set(err, "%s: no objects", url);
    /* As addresses: swift://CONTAINER/NAME. */
    for (size_t i = 0; rc == 0 && i < out->n; i++) {
        char *u = str_printf("%s%s/%s", FT_SWIFT_SCHEME, cont, out->v[i]);
        if (!u) {
            rc = ft_error_set(err, "out of memory");
            break;
        }
        free(out->v[i]);
        out->v[i] = u;
    }
    if (rc < 0) {
        if (strncmp(err->msg, url, strlen(url)) != 0)
            ft_error_prefix(err, "%s", url);
        ft_swift_names_free(out);
    }
    ft_swift_conn_free(c);
    free(cont);
    free(prefix);
    return rc;
}

struct ft_swift_stream {
    char *url, *container, *object;
    ft_swift_conn *c;
    int fds[2];         /* [0] the reader's end, [1] the fetcher's */
    pthread_t tid;
    int started;
    EVP_MD_CTX *md5;
    char want[33];      /* the MD5 the object should have, or "" */
    char etag[64];      /* of the first answer: a resumed read must match */
    int rc;
    ft_error err;
};

static int stream_sink(void *ud, const char *p, size_t n)
{
    ft_swift_stream *st = ud;
    ft_swift_conn *c = st->c;
    if (c->sunk == 0 && st->etag[0] == '\0') {
        /* First bytes: note what the object should hash to. */
        snprintf(st->etag, sizeof st->etag, "%s", c->etag);
        if (c->h_md5[0])
            snprintf(st->want, sizeof st->want, "%s", c->h_md5);
        else if (!c->h_slo && !c->h_manifest && strlen(c->etag) == 32)
            memcpy(st->want, c->etag, sizeof st->want); /* 32 + NUL */
    } else if (strcmp(st->etag, c->etag) != 0) {
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
    ft_swift_stream *st = arg;
    ft_swift_conn *c = st->c;
    c->sink = stream_sink;
    c->sink_ud = st;
    long s = storage_request(c, "GET", st->container, st->object, NULL, NULL,
                             BODY_NONE, 0, &st->err);
    st->rc = -1;
    if (s < 0) {
        if (st->err.msg[0] == '\0')
            ft_error_set(&st->err, "%s: read failed", st->url);
    } else if (s == 404) {
        ft_error_set(&st->err, "%s: no such object", st->url);
    } else if (s != 200 && s != 206) {
        http_error(c, st->url, &st->err);
    } else if (c->h_length && c->resp_off != c->sunk) {
        ft_error_set(&st->err, "%s: truncated at byte %llu", st->url,
                     (unsigned long long)c->sunk);
    } else {
        unsigned char d[EVP_MAX_MD_SIZE];
        char got[33];
        EVP_DigestFinal_ex(st->md5, d, NULL);
        hex32(d, got);
        if (st->want[0] && strcmp(got, st->want) != 0)
            ft_error_set(&st->err, "%s: MD5 %s, but the store says %s",
                         st->url, got, st->want);
        else
            st->rc = 0;
    }
    /* End of data for the reader: ft_swift_stream_finish() says how. */
    shutdown(st->fds[1], SHUT_WR);
    return NULL;
}

ft_swift_stream *ft_swift_stream_open(const char *url, ft_error *err)
{
    ft_swift_stream *st = calloc(1, sizeof *st);
    if (!st) {
        ft_error_set(err, "out of memory");
        return NULL;
    }
    st->fds[0] = st->fds[1] = -1;
    st->rc = -1;
    if (ft_swift_parse_url(url, &st->container, &st->object, err) < 0)
        goto fail;
    if (!(st->url = strdup(url)) || !(st->md5 = EVP_MD_CTX_new())) {
        ft_error_set(err, "out of memory");
        goto fail;
    }
    EVP_DigestInit_ex(st->md5, EVP_md5(), NULL);
    if (st->object[0] == '\0' || st->object[strlen(st->object) - 1] == '/') {
        ft_error_set(err, "%s: names a prefix, not an object", url);
        goto fail;
    }
    ft_swift *s = shared_swift(err);
    if (!s || !(st->c = ft_swift_conn_new(s, NULL, err)))
        goto fail;
    /* A socket, not a pipe: send() with MSG_NOSIGNAL reports a reader
     * that went away instead of raising SIGPIPE. */
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, st->fds) < 0) {
        ft_error_set(err, "%s: %s", url, strerror(errno));
        goto fail;
    }
    /* Fail early (credentials, a missing object) with a clear message. */
    if (ft_swift_authenticate(st->c, err) < 0) {
        ft_error_prefix(err, "%s", url);
        goto fail;
    }
    if (pthread_create(&st->tid, NULL, stream_run, st) != 0) {
        ft_error_set(err, "%s: cannot start a thread", url);
        goto fail;
    }
    st->started = 1;
    return st;
fail:
    ft_swift_stream_close(st);
    return NULL;
}

int ft_swift_stream_fd(const ft_swift_stream *st) { return st->fds[0]; }

int ft_swift_stream_finish(ft_swift_stream *st, ft_error *err)
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

void ft_swift_stream_close(ft_swift_stream *st)
{
    if (!st)
        return;
    if (st->fds[0] >= 0)
        close(st->fds[0]); /* a fetcher still sending stops */
    if (st->started)
        pthread_join(st->tid, NULL);
    if (st->fds[1] >= 0)
        close(st->fds[1]);
    ft_swift_conn_free(st->c);
    EVP_MD_CTX_free(st->md5);
    free(st->url);
    free(st->container);
    free(st->object);
    free(st);
}
