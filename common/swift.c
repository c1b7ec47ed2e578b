/* swift.c - OpenStack Swift client over libcurl (see swift.h).
 *
 * The HTTP machinery (retries, progress, MD5) is http.c's.  JSON
 * (Keystone's catalog, SLO manifests) is jansson, which avro-c already
 * depends on. */
#include "swift.h"
#include "http.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define RENEW_MARGIN 60         /* seconds before expiry a token is renewed */

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

struct ft_swift_conn {
    ft_http http; /* first (ft_http_conn_new) */
    ft_swift *s;
    char *token, *storage_url; /* this connection's copy */
    unsigned gen;
    /* Swift's headers in the last response */
    char *h_token, *h_url, *h_subject;
    long h_expires;
    int h_slo;
    char h_md5[33];
    int h_manifest;            /* X-Object-Manifest (a DLO) */
};

/* ---- small helpers ------------------------------------------------ */

static char *xstrdup_or_null(const char *s) { return s ? strdup(s) : NULL; }

static char *trim_slashes(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '/')
        s[--n] = '\0';
    return s;
}

/* ---- options, handle ---------------------------------------------- */

void ft_swift_opts_init(ft_swift_opts *o) { ft_http_opts_init(o); }

static int v3_setup(ft_swift *s, ft_error *err)
{
    const char *url = ft_getenv("OS_AUTH_URL");
    const char *ver = ft_getenv("OS_IDENTITY_API_VERSION");
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
        s->auth_url = ft_str_printf("%s/auth/tokens", base);
    else
        s->auth_url = ft_str_printf("%s/v3/auth/tokens", base);
    free(base);

    const char *uname = ft_getenv("OS_USERNAME");
    const char *uid = ft_getenv("OS_USER_ID");
    const char *pw = ft_getenv("OS_PASSWORD");
    const char *pname = ft_getenv("OS_PROJECT_NAME");
    const char *pid = ft_getenv("OS_PROJECT_ID");
    const char *udn = ft_getenv("OS_USER_DOMAIN_NAME");
    const char *udi = ft_getenv("OS_USER_DOMAIN_ID");
    const char *pdn = ft_getenv("OS_PROJECT_DOMAIN_NAME");
    const char *pdi = ft_getenv("OS_PROJECT_DOMAIN_ID");
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
    s->region = xstrdup_or_null(ft_getenv("OS_REGION_NAME"));
    const char *itf = ft_getenv("OS_INTERFACE");
    s->interface = strdup(itf ? itf : "public");
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
    pthread_mutex_init(&s->lock, NULL);
    if (ft_http_client_init(&s->o, o, "OS_CACERT", &s->cacert, err) < 0)
        goto fail;
    const char *surl = ft_getenv("OS_STORAGE_URL");
    const char *tok = ft_getenv("OS_AUTH_TOKEN");
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
    } else if (ft_getenv("ST_AUTH")) {
        s->mode = AUTH_V1;
        if (!ft_getenv("ST_USER")) {
            ft_error_set(err, "ST_AUTH is set but ST_USER is not");
            goto fail;
        }
        if (!ft_getenv("ST_KEY")) {
            ft_error_set(err, "ST_AUTH is set but ST_KEY is not");
            goto fail;
        }
        s->auth_url = strdup(ft_getenv("ST_AUTH"));
        s->user = strdup(ft_getenv("ST_USER"));
        s->key = strdup(ft_getenv("ST_KEY"));
        if (!s->auth_url || !s->user || !s->key) {
            ft_error_set(err, "out of memory");
            goto fail;
        }
    } else if (ft_getenv("OS_AUTH_URL")) {
        s->mode = AUTH_V3;
        if (v3_setup(s, err) < 0)
            goto fail;
    } else {
        static const char *const os_vars[] = {
            "OS_USERNAME", "OS_USER_ID", "OS_PASSWORD", "OS_PROJECT_NAME",
            "OS_PROJECT_ID"};
        for (size_t i = 0; i < sizeof os_vars / sizeof *os_vars; i++)
            if (ft_getenv(os_vars[i])) {
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
    ft_free_secret(s->key);
    ft_free_secret(s->v3_body);
    free(s->region);
    free(s->interface);
    free(s->storage_override);
    ft_free_secret(s->token);
    free(s->storage_url);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* Swift's response headers (name NULL: a new response starts). */
static void on_swift_header(void *ud, const char *name, const char *v)
{
    ft_swift_conn *c = ud;
    if (!name) {
        c->h_md5[0] = '\0';
        ft_free_secret(c->h_token);
        free(c->h_url);
        ft_free_secret(c->h_subject);
        c->h_token = c->h_url = c->h_subject = NULL;
        c->h_expires = -1;
        c->h_slo = 0;
        c->h_manifest = 0;
    } else if (!strcasecmp(name, "x-auth-token") ||
               !strcasecmp(name, "x-storage-token")) {
        ft_free_secret(c->h_token);
        c->h_token = strdup(v);
    } else if (!strcasecmp(name, "x-storage-url")) {
        free(c->h_url);
        c->h_url = strdup(v);
    } else if (!strcasecmp(name, "x-subject-token")) {
        ft_free_secret(c->h_subject);
        c->h_subject = strdup(v);
    } else if (!strcasecmp(name, "x-auth-token-expires")) {
        c->h_expires = strtol(v, NULL, 10);
    } else if (!strcasecmp(name, "x-static-large-object")) {
        c->h_slo = !strcasecmp(v, "true");
    } else if (!strcasecmp(name, "x-object-meta-ft-md5")) {
        ft_etag_copy(c->h_md5, sizeof c->h_md5, v);
    } else if (!strcasecmp(name, "x-object-manifest")) {
        c->h_manifest = 1;
    }
}

/* 422: the body did not match the ETag we sent, so it was damaged on the
 * way; sending it again is the cure. */
static int swift_retryable(const ft_http *h, int etag_sent)
{
    return ft_http_status_retryable(h->status) || (h->status == 422 && etag_sent);
}

ft_swift_conn *ft_swift_conn_new(ft_swift *s, void *arg, ft_error *err)
{
    ft_swift_conn *c = ft_http_conn_new(sizeof *c, &s->o, arg, err);
    if (!c)
        return NULL;
    c->s = s;
    c->http.on_hdr = on_swift_header;
    c->http.retryable = swift_retryable;
    return c;
}

void ft_swift_conn_free(ft_swift_conn *c)
{
    if (!c)
        return;
    ft_http_cleanup(&c->http);
    ft_free_secret(c->token);
    free(c->storage_url);
    ft_free_secret(c->h_token);
    free(c->h_url);
    ft_free_secret(c->h_subject);
    free(c);
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
    ft_http_saved_body b;
    ft_http_body_save(&c->http, &b);
    int rc = authenticate_body(c, err);
    ft_http_body_restore(&c->http, &b);
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
        line = ft_str_printf("X-Auth-User: %s", s->user);
        h = curl_slist_append(h, line);
        free(line);
        line = ft_str_printf("X-Auth-Key: %s", s->key);
        h = curl_slist_append(h, line);
        ft_free_secret(line);
        ft_http_body_set(&c->http, -1, NULL, 0, 0);
        long st = ft_http_request(&c->http, "GET", s->auth_url, h,
                                  FT_HTTP_BODY_NONE, 0, var, err);
        if (st < 0)
            goto out;
        if (st < 200 || st > 299) {
            ft_http_error(&c->http, var, err);
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
        ft_http_body_set(&c->http, -1, s->v3_body, 0, strlen(s->v3_body));
        long st = ft_http_request(&c->http, "POST", s->auth_url, h,
                                  FT_HTTP_BODY_MEM, 0, var, err);
        c->http.mem = NULL;
        if (st < 0)
            goto out;
        if (st != 201 && st != 200) {
            ft_http_error(&c->http, var, err);
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
        json_t *root = c->http.body.len ? json_loadb(c->http.body.p,
                                                     c->http.body.len, 0, &jerr)
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
    ft_free_secret(s->token);
    free(s->storage_url);
    s->token = token;
    s->storage_url = url;
    token = url = NULL;
    s->expires = expires;
    s->gen++;
    rc = 0;
out:
    curl_slist_free_all(h);
    ft_free_secret(token);
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
        ft_free_secret(c->token);
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

/* How messages name a container or an object: "C" or "C/O". */
static char *what_of(const char *container, const char *object)
{
    return object ? ft_str_printf("%s/%s", container, object)
                  : strdup(container);
}

/* A request against the storage URL: /container[/object][?query], with
 * the token, renewed once on 401.  extra: more headers (may be NULL).
 * Returns the HTTP status or -1. */
static long storage_request(ft_swift_conn *c, const char *method,
                            const char *container, const char *object,
                            const char *query, const struct curl_slist *extra,
                            enum ft_http_body body, int etag_sent, ft_error *err)
{
    char *what = what_of(container, object);
    char *ec = ft_url_path_encode(container);
    char *eo = object ? ft_url_path_encode(object) : NULL;
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
        char *url = ft_str_printf("%s/%s%s%s%s%s", c->storage_url, ec,
                               eo ? "/" : "", eo ? eo : "",
                               query ? "?" : "", query ? query : "");
        char *tok = ft_str_printf("X-Auth-Token: %s", c->token);
        struct curl_slist *h = NULL;
        h = curl_slist_append(h, tok);
        for (const struct curl_slist *e = extra; e; e = e->next)
            h = curl_slist_append(h, e->data);
        ft_free_secret(tok);
        st = url ? ft_http_request(&c->http, method, url, h, body, etag_sent,
                                   what, err)
                 : -1;
        if (!url)
            ft_error_set(err, "out of memory");
        free(url);
        curl_slist_free_all(h);
        if (st != 401 || renewed)
            break;
        if (body != FT_HTTP_BODY_NONE)
            ft_http_progress(&c->http, -(int64_t)c->http.pos);
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
                             FT_HTTP_BODY_NONE, 0, err);
    if (s < 0)
        return -1;
    if (s == 404)
        return 0;
    if (s < 200 || s > 299) {
        char *what = what_of(container, object);
        ft_http_error(&c->http, what ? what : object, err);
        free(what);
        return -1;
    }
    st->exists = 1;
    st->size = c->http.h_length;
    snprintf(st->etag, sizeof st->etag, "%s", c->http.etag);
    st->slo = c->h_slo;
    snprintf(st->md5, sizeof st->md5, "%s", c->h_md5);
    return 0;
}

static int create_container(ft_swift_conn *c, const char *container,
                            ft_error *err)
{
    long s = storage_request(c, "PUT", container, NULL, NULL, NULL,
                             FT_HTTP_BODY_NONE, 0, err);
    if (s < 0)
        return -1;
    if (s != 201 && s != 202 && s != 204) {
        ft_http_error(&c->http, container, err);
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
                        struct curl_slist *extra, enum ft_http_body body,
                        ft_error *err)
{
    struct curl_slist *h = NULL;
    char *line = etag ? ft_str_printf("ETag: %s", etag) : NULL;
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
        char *what = what_of(container, object);
        if (s != 201)
            ft_http_error(&c->http, what ? what : object, err);
        else
            rc = ft_http_etag_check(&c->http, what ? what : object, want_etag,
                                    err);
        free(what);
        break;
    }
    curl_slist_free_all(h);
    return rc;
}

/* ---- verified upload ---------------------------------------------- */

/* Segments (each skipped when an earlier run stored it), then the
 * manifest.  Segment i is sent as soon as h has hashed it. */
static int upload_slo(ft_swift_conn *c, ft_hasher *h,
                      const char *container, const char *object,
                      ft_error *err)
{
    size_t nseg = h->nseg;
    uint64_t size = h->size, segsize = h->segsize;
    char *segc = ft_str_printf("%s_segments", container);
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
        if (ft_hasher_wait(h, i, err) < 0)
            goto out;
        const char *md5 = h->segs[i];
        free(seg);
        seg = ft_str_printf("%s/slo/%llu/%llu/%08zu-%s", object,
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
            ft_http_body_set(&c->http, h->fd, NULL, off, len);
            if (put_verified(c, segc, seg, NULL, md5, md5, NULL,
                             FT_HTTP_BODY_FILE, err) < 0)
                goto out;
        } else {
            ft_http_progress(&c->http, (int64_t)len);
        }
        char *path = ft_str_printf("/%s/%s", segc, seg);
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
    if (ft_hasher_wait(h, nseg, err) < 0)
        goto out;
    /* The manifest's ETag is the MD5 of the segments' ETags. */
    char slo_etag[33];
    ft_md5_hex(etags, nseg * 32, slo_etag);
    mjson = json_dumps(manifest, JSON_COMPACT);
    char *meta = ft_str_printf("X-Object-Meta-Ft-Md5: %s", h->whole);
    if (!mjson || !meta) {
        free(meta);
        ft_error_set(err, "out of memory");
        goto out;
    }
    hd = curl_slist_append(hd, meta);
    hd = curl_slist_append(hd, "Content-Type: application/octet-stream");
    free(meta);
    ft_http_body_set(&c->http, -1, mjson, 0, strlen(mjson));
    rc = put_verified(c, container, object, "multipart-manifest=put", slo_etag,
                      slo_etag, hd, FT_HTTP_BODY_MEM, err);
out:
    c->http.mem = NULL;
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
    ft_hasher h;
    pthread_t tid;
    int threaded = 0, rc = -1;
    if (ft_hasher_open(&h, path, segment_size, FT_SWIFT_MAX_SEGMENTS, "Swift",
                       err) < 0)
        goto out;
    ft_swift_stat st;
    if (ft_swift_head(c, container, object, &st, err) < 0)
        goto out;
    if ((st.exists && st.size == h.size) || h.nseg == 0) {
        /* The whole MD5 decides a skip, and a plain PUT sends it first. */
        ft_hasher_run(&h);
        if (ft_hasher_wait(&h, h.nseg, err) < 0)
            goto out;
        if (st.exists && st.size == h.size &&
            strcmp(st.slo ? st.md5 : st.etag, h.whole) == 0) {
            rc = FT_SWIFT_SKIPPED;
            goto out;
        }
    } else {
        /* A new large object: hash ahead while segments go up. */
        if (pthread_create(&tid, NULL, ft_hasher_run, &h) == 0)
            threaded = 1;
        else
            ft_hasher_run(&h);
    }
    if (h.nseg) {
        rc = upload_slo(c, &h, container, object, err);
    } else {
        ft_http_body_set(&c->http, h.fd, NULL, 0, h.size);
        rc = put_verified(c, container, object, NULL, h.whole, h.whole, NULL,
                          FT_HTTP_BODY_FILE, err);
    }
    if (rc == 0)
        rc = FT_SWIFT_UPLOADED;
out:
    if (threaded) {
        __atomic_store_n(&h.cancel, 1, __ATOMIC_RELAXED);
        pthread_join(tid, NULL);
    }
    c->http.fd = -1;
    ft_hasher_close(&h);
    return rc;
}

/* ---- listing ------------------------------------------------------ */

int ft_swift_list(ft_swift_conn *c, const char *container, const char *prefix,
                  char delim, ft_fetch_names *out, ft_error *err)
{
    memset(out, 0, sizeof *out);
    char *marker = NULL;
    char *ep = curl_easy_escape(c->http.curl, prefix ? prefix : "", 0);
    char dl[2] = {delim, '\0'};
    char *ed = curl_easy_escape(c->http.curl, dl, 0);
    int rc = -1;
    if (!ep || !ed) {
        ft_error_set(err, "out of memory");
        goto out;
    }
    for (;;) {
        /* Pages of up to 10000 names, in byte order, until one is short. */
        char *em = marker ? curl_easy_escape(c->http.curl, marker, 0) : NULL;
        char *q = ft_str_printf("format=json&prefix=%s%s%s%s%s", ep,
                             delim ? "&delimiter=" : "", delim ? ed : "",
                             em ? "&marker=" : "", em ? em : "");
        curl_free(em);
        if (!q) {
            ft_error_set(err, "out of memory");
            goto out;
        }
        long st = storage_request(c, "GET", container, NULL, q, NULL,
                                  FT_HTTP_BODY_NONE, 0, err);
        free(q);
        if (st < 0)
            goto out;
        if (st == 404) {
            ft_error_set(err, "%s: no such container", container);
            goto out;
        }
        if (st != 200 && st != 204) {
            ft_http_error(&c->http, container, err);
            goto out;
        }
        if (st == 204 || c->http.body.len == 0)
            break;
        json_error_t jerr;
        json_t *arr = json_loadb(c->http.body.p, c->http.body.len, 0, &jerr);
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
            if (ft_fetch_names_add(out, name) < 0) {
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
        ft_fetch_names_free(out);
    free(marker);
    curl_free(ep);
    curl_free(ed);
    return rc;
}

/* ---- reading, for ft-fetch ----------------------------------------- */

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

/* A session is "EXPIRES STORAGE_URL TOKEN" (EXPIRES 0: unknown). */
static int session_get(void *handle, char *buf, size_t cap)
{
    ft_swift *s = handle;
    int n = 0;
    pthread_mutex_lock(&s->lock);
    /* A token given in the environment is there for every process. */
    if (s->mode != AUTH_TOKEN && s->token && s->storage_url)
        n = snprintf(buf, cap, "%lld %s %s", (long long)s->expires,
                     s->storage_url, s->token);
    pthread_mutex_unlock(&s->lock);
    if (n <= 0 || (size_t)n >= cap) {
        if (cap)
            explicit_bzero(buf, cap);
        return 0;
    }
    return 1;
}

/* Ignored when malformed or with OS_AUTH_TOKEN. */
static void session_set(void *handle, const char *session)
{
    ft_swift *s = handle;
    long long expires;
    int pos = 0;
    if (sscanf(session, "%lld %n", &expires, &pos) != 1 || pos == 0)
        return;
    const char *url = session + pos, *sp = strchr(url, ' ');
    if (!sp || sp == url || !sp[1] || strchr(sp + 1, ' '))
        return;
    pthread_mutex_lock(&s->lock);
    if (s->mode != AUTH_TOKEN && !s->token) {
        s->storage_url = strndup(url, (size_t)(sp - url));
        s->token = strdup(sp + 1);
        if (!s->storage_url || !s->token) {
            free(s->storage_url);
            ft_free_secret(s->token);
            s->storage_url = s->token = NULL;
        } else {
            /* As if obtained here: a 401 renews it from the credentials. */
            s->expires = (time_t)expires;
            s->gen++;
        }
    }
    pthread_mutex_unlock(&s->lock);
}

static void *store_open(const ft_http_opts *o, ft_error *err)
{
    return ft_swift_open(o, err);
}

static ft_http *store_conn_new(void *handle, void *arg, ft_error *err)
{
    ft_swift_conn *c = ft_swift_conn_new(handle, arg, err);
    return c ? &c->http : NULL;
}

static void store_conn_free(ft_http *h) { ft_swift_conn_free(h->ud); }

static int store_list(ft_http *h, const char *container, const char *prefix,
                      char delim, ft_fetch_names *out, ft_error *err)
{
    return ft_swift_list(h->ud, container, prefix, delim, out, err);
}

static int store_check(ft_http *h, ft_error *err)
{
    return ft_swift_authenticate(h->ud, err);
}

static int store_get(ft_http *h, const char *container, const char *object,
                     const char *url, ft_error *err)
{
    ft_swift_conn *c = h->ud;
    long s = storage_request(c, "GET", container, object, NULL, NULL,
                             FT_HTTP_BODY_NONE, 0, err);
    if (s < 0)
        return -1;
    if (s != 200 && s != 206) {
        ft_http_error(&c->http, url, err);
        return -1;
    }
    return 0;
}

/* Our large objects carry their MD5; others' ETag is one, unless they
 * are large objects too. */
static void store_want_md5(const ft_http *h, char want[33])
{
    const ft_swift_conn *c = h->ud;
    if (c->h_md5[0])
        snprintf(want, 33, "%s", c->h_md5);
    else if (!c->h_slo && !c->h_manifest && strlen(c->http.etag) == 32)
        memcpy(want, c->http.etag, 33); /* 32 + NUL */
    else
        want[0] = '\0';
}

ft_http_store ft_swift_store = {
    .scheme = FT_SWIFT_SCHEME,
    .parse_url = ft_swift_parse_url,
    .open = store_open,
    .conn_new = store_conn_new,
    .conn_free = store_conn_free,
    .what = what_of,
    .list = store_list,
    .check = store_check,
    .get = store_get,
    .want_md5 = store_want_md5,
    .session_get = session_get,
    .session_set = session_set,
    .lock = PTHREAD_MUTEX_INITIALIZER,
};
