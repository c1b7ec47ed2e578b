/* s3.c - S3 client over libcurl (see s3.h).
 *
 * Requests are signed by libcurl (CURLOPT_AWS_SIGV4).  Debian 12's
 * libcurl 7.88 needs three things done for it:
 * - it signs the query string exactly as given, not in SigV4's canonical
 *   form (sorted, percent-encoded, "name=" for a bare name), so queries
 *   are built in that form here (ft_s3_query());
 * - it sends no x-amz-content-sha256, which S3 (and Swift's s3api)
 *   require, but signs the value of one we set: "UNSIGNED-PAYLOAD", the
 *   body being protected by Content-MD5 instead;
 * - CURLOPT_USERPWD splits "user:password" at the first colon, and
 *   access keys may contain one (Swift's "account:user"), so the key and
 *   the secret go in CURLOPT_USERNAME and CURLOPT_PASSWORD.
 * Paths are percent-encoded here as SigV4 wants them ('/' kept), and
 * libcurl is told to leave them alone (CURLOPT_PATH_AS_IS). */
#include "s3.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct ft_s3 {
    ft_s3_opts o;
    char *cacert;
    char *endpoint;   /* scheme://host[:port][/path], no trailing '/' */
    char *region;
    char *sigv4;      /* "aws:amz:REGION:s3" */
    char *key_id;
    char *secret;
    char *token_hdr;  /* "x-amz-security-token: ..." or NULL */
};

struct ft_s3_conn {
    ft_http http; /* first (ft_http_conn_new) */
    ft_s3 *s;
    char h_md5[33];   /* x-amz-meta-ft-md5 of the last answer */
};

#define META_MD5 "x-amz-meta-ft-md5"

/* ---- handle ------------------------------------------------------- */

void ft_s3_opts_init(ft_s3_opts *o) { ft_http_opts_init(o); }

void ft_s3_close(ft_s3 *s)
{
    if (!s)
        return;
    free(s->cacert);
    free(s->endpoint);
    free(s->region);
    free(s->sigv4);
    free(s->key_id);
    ft_free_secret(s->secret);
    ft_free_secret(s->token_hdr);
    free(s);
}

ft_s3 *ft_s3_open(const ft_s3_opts *o, ft_error *err)
{
    ft_s3 *s = calloc(1, sizeof *s);
    if (!s) {
        ft_error_set(err, "out of memory");
        return NULL;
    }
    const char *id = ft_getenv("AWS_ACCESS_KEY_ID");
    const char *secret = ft_getenv("AWS_SECRET_ACCESS_KEY");
    const char *token = ft_getenv("AWS_SESSION_TOKEN");
    const char *region = ft_getenv("AWS_REGION");
    const char *endpoint = ft_getenv("AWS_ENDPOINT_URL");
    if (!region)
        region = ft_getenv("AWS_DEFAULT_REGION");
    if (!region)
        region = "us-east-1";
    if (!id && !secret) {
        ft_error_set(err, "no S3 credentials in the environment: set "
                     "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
        goto fail;
    }
    if (!id || !secret) {
        ft_error_set(err, "%s is set but %s is not",
                     id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                     id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
        goto fail;
    }
    if (strspn(region, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(region)) {
        ft_error_set(err, "AWS_REGION: '%s' is not a region name", region);
        goto fail;
    }
    if (endpoint && strncmp(endpoint, "http://", 7) != 0 &&
        strncmp(endpoint, "https://", 8) != 0) {
        ft_error_set(err, "AWS_ENDPOINT_URL: '%s' is not an http:// or "
                     "https:// address", endpoint);
        goto fail;
    }
    if (ft_http_client_init(&s->o, o, "AWS_CA_BUNDLE", &s->cacert, err) < 0)
        goto fail;
    s->endpoint = endpoint ? strdup(endpoint)
                           : ft_str_printf("https://s3.%s.amazonaws.com", region);
    s->region = strdup(region);
    s->sigv4 = ft_str_printf("aws:amz:%s:s3", region);
    s->key_id = strdup(id);
    s->secret = strdup(secret);
    s->token_hdr = token ? ft_str_printf("x-amz-security-token: %s", token) : NULL;
    if (!s->endpoint || !s->region || !s->sigv4 ||
        !s->key_id || !s->secret || (token && !s->token_hdr)) {
        ft_error_set(err, "out of memory");
        goto fail;
    }
    size_t n = strlen(s->endpoint);
    while (n > 0 && s->endpoint[n - 1] == '/')
        s->endpoint[--n] = '\0';
    return s;
fail:
    ft_s3_close(s);
    return NULL;
}

/* ---- connection --------------------------------------------------- */

static void s3_prepare(ft_http *h, void *ud)
{
    ft_s3_conn *c = ud;
    curl_easy_setopt(h->curl, CURLOPT_AWS_SIGV4, c->s->sigv4);
    curl_easy_setopt(h->curl, CURLOPT_USERNAME, c->s->key_id);
    curl_easy_setopt(h->curl, CURLOPT_PASSWORD, c->s->secret);
    curl_easy_setopt(h->curl, CURLOPT_PATH_AS_IS, 1L);
}

static void s3_header(void *ud, const char *name, const char *v)
{
    ft_s3_conn *c = ud;
    if (!name)
        c->h_md5[0] = '\0';
    else if (!strcasecmp(name, META_MD5))
        ft_etag_copy(c->h_md5, sizeof c->h_md5, v);
}

/* The <Code> of an error answer's body, or "". */
static void error_code(const ft_http *h, char *code, size_t cap)
{
    code[0] = '\0';
    if (!h->body.len)
        return;
    const char *end = h->body.p + h->body.len, *e = strstr(h->body.p, "<Error");
    char *v = e ? ft_s3_xml_text(e, end, "Code") : NULL;
    if (v)
        snprintf(code, cap, "%s", v);
    free(v);
}

/* Besides http.c's rule: the codes S3 asks to retry, and a body damaged
 * on the way (BadDigest: it did not match its Content-MD5).  A 200 may
 * carry an error too (CompleteMultipartUpload). */
static int s3_retryable(const ft_http *h, int verified)
{
    if (ft_http_status_retryable(h->status))
        return 1;
    char code[64];
    error_code(h, code, sizeof code);
    return !strcmp(code, "SlowDown") || !strcmp(code, "RequestTimeout") ||
           !strcmp(code, "InternalError") ||
           (verified && !strcmp(code, "BadDigest"));
}

/* ": CODE: MESSAGE" of an error answer, after msg. */
static void s3_detail(const ft_http *h, char *msg, size_t cap)
{
    char code[64];
    error_code(h, code, sizeof code);
    if (!code[0])
        return;
    const char *e = strstr(h->body.p, "<Error");
    char *text = ft_s3_xml_text(e, h->body.p + h->body.len, "Message");
    size_t n = strlen(msg);
    snprintf(msg + n, cap - n, ": %s%s%s", code, text && text[0] ? ": " : "",
             text ? text : "");
    free(text);
}

ft_s3_conn *ft_s3_conn_new(ft_s3 *s, void *arg, ft_error *err)
{
    ft_s3_conn *c = ft_http_conn_new(sizeof *c, &s->o, arg, err);
    if (!c)
        return NULL;
    c->s = s;
    c->http.prepare = s3_prepare;
    c->http.on_hdr = s3_header;
    c->http.retryable = s3_retryable;
    c->http.detail = s3_detail;
    return c;
}

void ft_s3_conn_free(ft_s3_conn *c)
{
    if (!c)
        return;
    ft_http_cleanup(&c->http);
    free(c);
}

static int auth_code(const char *code)
{
    static const char *const codes[] = {
        "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken",
        "ExpiredToken", "TokenRefreshRequired", "InvalidSecurity"};
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++)
        if (!strcmp(code, codes[i]))
            return 1;
    return 0;
}

/* "what: HTTP 403 Forbidden: CODE: MESSAGE", or for refused credentials
 * what to check. */
static void s3_error(ft_s3_conn *c, const char *what, ft_error *err)
{
    const ft_http *h = &c->http;
    char code[64];
    error_code(h, code, sizeof code);
    if (h->status == 401 || (h->status == 403 && auth_code(code))) {
        ft_error_set(err, "%s: authentication failed (HTTP %ld%s%s): check "
                     "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY%s", what,
                     h->status, code[0] ? " " : "", code,
                     c->s->token_hdr ? " (and AWS_SESSION_TOKEN)" : "");
        return;
    }
    ft_http_error(h, what, err);
}

/* A signed request on ENDPOINT/BUCKET[/KEY][?query] (query in SigV4's
 * canonical form).  Returns the HTTP status, or -1 with err set. */
static long request(ft_s3_conn *c, const char *method, const char *bucket,
                    const char *key, const char *query,
                    const struct curl_slist *extra, enum ft_http_body body,
                    int verified, const char *what, ft_error *err)
{
    char *eb = ft_url_path_encode(bucket);
    char *ek = key ? ft_url_path_encode(key) : NULL;
    char *url = eb && (ek || !key)
                    ? ft_str_printf("%s/%s%s%s%s%s", c->s->endpoint, eb,
                                    ek ? "/" : "", ek ? ek : "",
                                    query ? "?" : "", query ? query : "")
                    : NULL;
    struct curl_slist *h = NULL;
    h = curl_slist_append(h, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
    if (h && c->s->token_hdr)
        h = curl_slist_append(h, c->s->token_hdr);
    for (const struct curl_slist *e = extra; e && h; e = e->next)
        h = curl_slist_append(h, e->data);
    long st = url && h ? ft_http_request(&c->http, method, url, h, body,
                                         verified, what, err)
                       : ft_error_set(err, "out of memory");
    curl_slist_free_all(h);
    free(url);
    free(eb);
    free(ek);
    return st;
}

static char *s3_what(const char *bucket, const char *key)
{
    return ft_str_printf("%s%s%s%s", FT_S3_SCHEME, bucket, key ? "/" : "",
                         key ? key : "");
}

int ft_s3_check(ft_s3_conn *c, const char *bucket, ft_error *err)
{
    char *what = s3_what(bucket, NULL);
    if (!what)
        return ft_error_set(err, "out of memory");
    static const char *const kv[] = {"list-type", "2", "max-keys", "0"};
    char *q = ft_s3_query(kv, 2);
    long st = q ? request(c, "GET", bucket, NULL, q, NULL, FT_HTTP_BODY_NONE,
                          0, what, err)
                : ft_error_set(err, "out of memory");
    int rc = 0;
    char code[64];
    error_code(&c->http, code, sizeof code);
    if (st < 0) {
        rc = -1;
    } else if (st == 401 || (st == 403 && auth_code(code))) {
        s3_error(c, what, err);
        rc = -1;
    }
    /* Anything else (a missing bucket, no right to list) shows later,
     * where it matters. */
    free(q);
    free(what);
    return rc;
}

int ft_s3_head(ft_s3_conn *c, const char *bucket, const char *key,
               ft_s3_stat *st, ft_error *err)
{
    memset(st, 0, sizeof *st);
    char *what = s3_what(bucket, key);
    if (!what)
        return ft_error_set(err, "out of memory");
    long s = request(c, "HEAD", bucket, key, NULL, NULL, FT_HTTP_BODY_NONE, 0,
                     what, err);
    int rc = 0;
    if (s < 0) {
        rc = -1;
    } else if (s != 404) {
        if (s < 200 || s > 299) {
            s3_error(c, what, err);
            rc = -1;
        } else {
            st->exists = 1;
            st->size = c->http.h_length;
            snprintf(st->etag, sizeof st->etag, "%s", c->http.etag);
            snprintf(st->md5, sizeof st->md5, "%s", c->h_md5);
        }
    }
    free(what);
    return rc;
}

/* ---- verified upload ---------------------------------------------- */

/* "Content-MD5: BASE64" of a hex MD5. */
static char *content_md5(const char hex[33])
{
    unsigned char bin[16];
    unsigned char b64[32];
    if (ft_s3_etag_input((const char(*)[33])hex, 1, bin) < 0)
        return NULL;
    EVP_EncodeBlock(b64, bin, 16);
    return ft_str_printf("Content-MD5: %s", (char *)b64);
}

static int create_bucket(ft_s3_conn *c, const char *bucket, ft_error *err)
{
    char *what = s3_what(bucket, NULL);
    /* us-east-1 is the one region named by no LocationConstraint. */
    char *conf = strcmp(c->s->region, "us-east-1") != 0
                     ? ft_str_printf("<CreateBucketConfiguration xmlns=\"http://"
                                     "s3.amazonaws.com/doc/2006-03-01/\">"
                                     "<LocationConstraint>%s</LocationConstraint>"
                                     "</CreateBucketConfiguration>",
                                     c->s->region)
                     : NULL;
    if (!what || (strcmp(c->s->region, "us-east-1") != 0 && !conf)) {
        free(what);
        return ft_error_set(err, "out of memory");
    }
    /* The caller's request body is set: keep it. */
    ft_http_saved_body b;
    ft_http_body_save(&c->http, &b);
    ft_http_body_set(&c->http, -1, conf, 0, conf ? strlen(conf) : 0);
    long st = request(c, "PUT", bucket, NULL, NULL, NULL,
                      conf ? FT_HTTP_BODY_MEM : FT_HTTP_BODY_NONE, 0, what, err);
    ft_http_body_restore(&c->http, &b);
    int rc = 0;
    char code[64];
    error_code(&c->http, code, sizeof code);
    /* Another worker may have just made it. */
    if (st >= 0 && st != 200 && !(st == 409 && !strcmp(code, "BucketAlreadyOwnedByYou"))) {
        s3_error(c, what, err);
        rc = -1;
    } else if (st < 0) {
        rc = -1;
    }
    free(conf);
    free(what);
    return rc;
}

static int no_such_bucket(ft_s3_conn *c, long st)
{
    char code[64];
    error_code(&c->http, code, sizeof code);
    return st == 404 && !strcmp(code, "NoSuchBucket");
}

/* A request that creates the bucket and tries again when it is missing. */
static long request_in_bucket(ft_s3_conn *c, const char *method,
                              const char *bucket, const char *key,
                              const char *query, const struct curl_slist *extra,
                              enum ft_http_body body, int verified,
                              const char *what, ft_error *err)
{
    long st = request(c, method, bucket, key, query, extra, body, verified,
                      what, err);
    if (no_such_bucket(c, st)) {
        if (create_bucket(c, bucket, err) < 0)
            return -1;
        st = request(c, method, bucket, key, query, extra, body, verified,
                     what, err);
    }
    return st;
}

/* PUTs len bytes of fd at off with Content-MD5 md5 (and the headers
 * extra), creating the bucket when in_bucket says so; the answer's ETag
 * must be md5. */
static int put_verified(ft_s3_conn *c, const char *bucket, const char *key,
                        const char *query, const struct curl_slist *extra,
                        int fd, uint64_t off, uint64_t len, const char *md5,
                        int in_bucket, const char *what, ft_error *err)
{
    char *cmd5 = content_md5(md5);
    struct curl_slist *hd = cmd5 ? curl_slist_append(NULL, cmd5) : NULL;
    for (const struct curl_slist *e = extra; e && hd; e = e->next)
        hd = curl_slist_append(hd, e->data);
    free(cmd5);
    if (!hd)
        return ft_error_set(err, "out of memory");
    ft_http_body_set(&c->http, fd, NULL, off, len);
    long st = (in_bucket ? request_in_bucket : request)(
        c, "PUT", bucket, key, query, hd, FT_HTTP_BODY_FILE, 1, what, err);
    c->http.fd = -1;
    curl_slist_free_all(hd);
    if (st < 0)
        return -1;
    if (st != 200) {
        s3_error(c, what, err);
        return -1;
    }
    return ft_http_etag_check(&c->http, what, md5, err);
}

static int put_whole(ft_s3_conn *c, ft_hasher *h, const char *bucket,
                     const char *key, const char *what, ft_error *err)
{
    char *meta = ft_str_printf(META_MD5 ": %s", h->whole);
    struct curl_slist *hd = meta ? curl_slist_append(NULL, meta) : NULL;
    if (hd)
        hd = curl_slist_append(hd, "Content-Type: application/octet-stream");
    int rc = hd ? put_verified(c, bucket, key, NULL, hd, h->fd, 0, h->size,
                               h->whole, 1, what, err)
                : ft_error_set(err, "out of memory");
    curl_slist_free_all(hd);
    free(meta);
    return rc;
}

/* The ETag S3 gives a multipart object: the MD5 of the parts' MD5s,
 * then "-" and their number. */
static int multipart_etag(const ft_hasher *h, char out[48])
{
    unsigned char *in = malloc(16 * h->nseg);
    unsigned char d[EVP_MAX_MD_SIZE];
    if (!in || ft_s3_etag_input((const char(*)[33])h->segs, h->nseg, in) < 0) {
        free(in);
        return -1;
    }
    EVP_MD_CTX *x = EVP_MD_CTX_new();
    EVP_DigestInit_ex(x, EVP_md5(), NULL);
    EVP_DigestUpdate(x, in, 16 * h->nseg);
    EVP_DigestFinal_ex(x, d, NULL);
    EVP_MD_CTX_free(x);
    free(in);
    ft_s3_etag_format(d, h->nseg, out);
    return 0;
}

static int upload_part(ft_s3_conn *c, ft_hasher *h, const char *bucket,
                       const char *key, const char *id, size_t i,
                       const char *what, ft_error *err)
{
    char num[24];
    snprintf(num, sizeof num, "%zu", i + 1);
    const char *kv[] = {"partNumber", num, "uploadId", id};
    char *q = ft_s3_query(kv, 2);
    char *pwhat = ft_str_printf("%s: part %zu", what, i + 1);
    uint64_t off = (uint64_t)i * h->segsize;
    uint64_t len = h->size - off < h->segsize ? h->size - off : h->segsize;
    int rc = q && pwhat ? put_verified(c, bucket, key, q, NULL, h->fd, off, len,
                                       h->segs[i], 0, pwhat, err)
                        : ft_error_set(err, "out of memory");
    free(q);
    free(pwhat);
    return rc;
}

/* The object as stored is the file: size, our MD5 and the ETag. */
static int check_stored(ft_s3_conn *c, ft_hasher *h, const char *bucket,
                        const char *key, const char *etag, const char *what,
                        ft_error *err)
{
    ft_s3_stat st;
    if (ft_s3_head(c, bucket, key, &st, err) < 0)
        return -1;
    if (!st.exists || st.size != h->size || strcmp(st.md5, h->whole) != 0 ||
        strcmp(st.etag, etag) != 0)
        return ft_error_set(err, "%s: the completed object is not the file "
                            "(size %llu, ETag %s, %s %s)", what,
                            (unsigned long long)st.size,
                            st.etag[0] ? st.etag : "(none)", META_MD5,
                            st.md5[0] ? st.md5 : "(none)");
    return 0;
}

static int complete(ft_s3_conn *c, ft_hasher *h, const char *bucket,
                    const char *key, const char *id, const char *what,
                    ft_error *err)
{
    char want[48];
    if (multipart_etag(h, want) < 0)
        return ft_error_set(err, "out of memory");
    size_t cap = 64 + h->nseg * 96;
    char *xml = malloc(cap), *p = xml;
    const char *kv[] = {"uploadId", id};
    char *q = ft_s3_query(kv, 1);
    int rc = -1;
    if (!xml || !q) {
        ft_error_set(err, "out of memory");
        goto out;
    }
    p += sprintf(p, "<CompleteMultipartUpload>");
    for (size_t i = 0; i < h->nseg; i++)
        p += sprintf(p, "<Part><PartNumber>%zu</PartNumber><ETag>\"%s\"</ETag>"
                     "</Part>", i + 1, h->segs[i]);
    sprintf(p, "</CompleteMultipartUpload>");
    ft_http_body_set(&c->http, -1, xml, 0, strlen(xml));
    long st = request(c, "POST", bucket, key, q, NULL, FT_HTTP_BODY_MEM, 0,
                      what, err);
    c->http.mem = NULL;
    if (st < 0)
        goto out;
    char code[64];
    error_code(&c->http, code, sizeof code);
    if (st == 200 && !code[0]) {
        char *etag = ft_s3_xml_text(c->http.body.p,
                                    c->http.body.p + c->http.body.len, "ETag");
        char got[64] = "";
        if (etag)
            ft_etag_copy(got, sizeof got, etag);
        free(etag);
        if (strcmp(got, want) != 0) {
            ft_error_set(err, "%s: completed with ETag %s, expected %s", what,
                         got[0] ? got : "(none)", want);
            goto out;
        }
    } else if (!(st == 404 && !strcmp(code, "NoSuchUpload") &&
                 c->http.attempts > 1)) {
        /* (NoSuchUpload after a retry: the first attempt completed it but
         * its answer was lost; the check below says.) */
        s3_error(c, what, err);
        goto out;
    }
    rc = check_stored(c, h, bucket, key, want, what, err);
out:
    free(xml);
    free(q);
    return rc;
}

static void abort_upload(ft_s3_conn *c, const char *bucket, const char *key,
                         const char *id, const char *what, ft_error *err)
{
    const char *kv[] = {"uploadId", id};
    char *q = ft_s3_query(kv, 1);
    ft_error e;
    long st = q ? request(c, "DELETE", bucket, key, q, NULL, FT_HTTP_BODY_NONE,
                          0, what, &e)
                : -1;
    free(q);
    if (st == 204 || st == 200 || st == 404)
        return;
    size_t n = strlen(err->msg);
    snprintf(err->msg + n, sizeof err->msg - n, "; aborting multipart upload "
             "%s failed too, so its parts stay until a lifecycle rule "
             "removes them", id);
}

static int upload_multipart(ft_s3_conn *c, ft_hasher *h, const char *bucket,
                            const char *key, const char *what, ft_error *err)
{
    struct curl_slist *hd = NULL;
    char *meta = ft_str_printf(META_MD5 ": %s", h->whole);
    char *id = NULL;
    int rc = -1;
    if (!meta) {
        ft_error_set(err, "out of memory");
        goto out;
    }
    hd = curl_slist_append(hd, meta);
    hd = curl_slist_append(hd, "Content-Type: application/octet-stream");
    long st = request_in_bucket(c, "POST", bucket, key, "uploads=", hd,
                                FT_HTTP_BODY_NONE, 0, what, err);
    if (st < 0)
        goto out;
    if (st != 200) {
        s3_error(c, what, err);
        goto out;
    }
    id = ft_s3_xml_text(c->http.body.p, c->http.body.p + c->http.body.len,
                        "UploadId");
    if (!id || !id[0]) {
        ft_error_set(err, "%s: the store gave no upload ID", what);
        goto out;
    }
    for (size_t i = 0; i < h->nseg; i++)
        if (upload_part(c, h, bucket, key, id, i, what, err) < 0) {
            abort_upload(c, bucket, key, id, what, err);
            goto out;
        }
    if (complete(c, h, bucket, key, id, what, err) < 0) {
        abort_upload(c, bucket, key, id, what, err);
        goto out;
    }
    rc = 0;
out:
    curl_slist_free_all(hd);
    free(meta);
    free(id);
    return rc;
}

int ft_s3_upload(ft_s3_conn *c, const char *path, const char *bucket,
                 const char *key, uint64_t part_size, ft_error *err)
{
    ft_hasher h;
    int rc = -1;
    char *what = s3_what(bucket, key);
    if (ft_hasher_open(&h, path, part_size, FT_S3_MAX_PARTS, "S3", err) < 0)
        goto out;
    if (!what) {
        ft_error_set(err, "out of memory");
        goto out;
    }
    /* Every MD5 first: a multipart upload names the whole file's when it
     * starts. */
    ft_hasher_run(&h);
    if (ft_hasher_wait(&h, h.nseg, err) < 0)
        goto out;
    ft_s3_stat st;
    if (ft_s3_head(c, bucket, key, &st, err) < 0)
        goto out;
    if (st.exists && st.size == h.size &&
        (!strcmp(st.md5, h.whole) ||
         (!st.md5[0] && !strcmp(st.etag, h.whole)))) {
        rc = FT_S3_SKIPPED;
        goto out;
    }
    rc = h.nseg ? upload_multipart(c, &h, bucket, key, what, err)
                : put_whole(c, &h, bucket, key, what, err);
    if (rc == 0)
        rc = FT_S3_UPLOADED;
out:
    ft_hasher_close(&h);
    free(what);
    return rc;
}

/* ---- listing ------------------------------------------------------ */

int ft_s3_list(ft_s3_conn *c, const char *bucket, const char *prefix,
               char delim, ft_fetch_names *out, ft_error *err)
{
    memset(out, 0, sizeof *out);
    char *token = NULL, *what = s3_what(bucket, NULL);
    char dl[2] = {delim, '\0'};
    int rc = -1;
    if (!what) {
        ft_error_set(err, "out of memory");
        goto out;
    }
    for (;;) {
        const char *kv[8] = {"list-type", "2", "prefix", prefix ? prefix : ""};
        size_t n = 2;
        if (delim) {
            kv[2 * n] = "delimiter";
            kv[2 * n++ + 1] = dl;
        }
        if (token) {
            kv[2 * n] = "continuation-token";
            kv[2 * n++ + 1] = token;
        }
        char *q = ft_s3_query(kv, n);
        long st = q ? request(c, "GET", bucket, NULL, q, NULL, FT_HTTP_BODY_NONE,
                              0, what, err)
                    : ft_error_set(err, "out of memory");
        free(q);
        if (st < 0)
            goto out;
        if (st != 200) {
            s3_error(c, what, err);
            goto out;
        }
        int truncated;
        free(token);
        token = NULL;
        if (ft_s3_parse_listing(c->http.body.p, c->http.body.len, &out->v,
                                &out->n, &out->cap, &truncated, &token, err) < 0) {
            ft_error_prefix(err, "%s", what);
            goto out;
        }
        if (!truncated)
            break;
        if (!token) {
            ft_error_set(err, "%s: a truncated listing without a "
                         "continuation token", what);
            goto out;
        }
    }
    rc = 0;
out:
    if (rc < 0)
        ft_fetch_names_free(out);
    free(token);
    free(what);
    return rc;
}

/* ---- reading, for ft-fetch ------------------------------------------ */

static void *store_open(const ft_http_opts *o, ft_error *err)
{
    return ft_s3_open(o, err);
}

static ft_http *store_conn_new(void *handle, void *arg, ft_error *err)
{
    ft_s3_conn *c = ft_s3_conn_new(handle, arg, err);
    return c ? &c->http : NULL;
}

static void store_conn_free(ft_http *h) { ft_s3_conn_free(h->ud); }

static int store_list(ft_http *h, const char *bucket, const char *prefix,
                      char delim, ft_fetch_names *out, ft_error *err)
{
    return ft_s3_list(h->ud, bucket, prefix, delim, out, err);
}

static int store_get(ft_http *h, const char *bucket, const char *key,
                     const char *url, ft_error *err)
{
    ft_s3_conn *c = h->ud;
    long s = request(c, "GET", bucket, key, NULL, NULL, FT_HTTP_BODY_NONE, 0,
                     url, err);
    if (s < 0)
        return -1;
    if (s != 200 && s != 206) {
        s3_error(c, url, err);
        return -1;
    }
    return 0;
}

static void store_want_md5(const ft_http *h, char want[33])
{
    const ft_s3_conn *c = h->ud;
    if (c->h_md5[0])
        memcpy(want, c->h_md5, 33);
    else if (ft_s3_etag_parts(h->etag) == 0)
        memcpy(want, h->etag, 33); /* a plain MD5 (not multipart, not SSE-KMS) */
    else
        want[0] = '\0';
}

/* Messages name s3:// addresses already (s3_what); no session. */
ft_http_store ft_s3_store = {
    .scheme = FT_S3_SCHEME,
    .parse_url = ft_s3_parse_url,
    .open = store_open,
    .conn_new = store_conn_new,
    .conn_free = store_conn_free,
    .list = store_list,
    .get = store_get,
    .want_md5 = store_want_md5,
    .lock = PTHREAD_MUTEX_INITIALIZER,
};
