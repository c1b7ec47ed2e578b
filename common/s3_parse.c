/* s3_parse.c - S3 addresses, queries, XML answers and ETags (see
 * s3_parse.h).  The XML S3 sends is flat and regular, so a few string
 * searches read it; no XML library is needed. */
#include "s3_parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ft_s3_parse_url(const char *url, char **bucket, char **key, ft_error *err)
{
    *bucket = *key = NULL;
    size_t sl = strlen(FT_S3_SCHEME);
    if (strncmp(url, FT_S3_SCHEME, sl) != 0)
        return ft_error_set(err, "%s: not an s3:// address", url);
    const char *p = url + sl;
    const char *slash = strchr(p, '/');
    size_t n = slash ? (size_t)(slash - p) : strlen(p);
    if (n == 0)
        return ft_error_set(err, "%s: no bucket name (s3://BUCKET/KEY)", url);
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '_'))
            return ft_error_set(err, "%s: '%.*s' is not a bucket name", url,
                                (int)n, p);
    }
    if (n < 3 || n > 63)
        return ft_error_set(err, "%s: a bucket name has 3 to 63 characters",
                            url);
    *bucket = strndup(p, n);
    *key = strdup(slash ? slash + 1 : "");
    if (!*bucket || !*key) {
        free(*bucket);
        free(*key);
        *bucket = *key = NULL;
        return ft_error_set(err, "out of memory");
    }
    return 0;
}

/* ---- query strings ------------------------------------------------ */

static size_t enc_len(const char *s) { return s ? strlen(s) * 3 : 0; }

static char *enc(char *o, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
            (*p >= '0' && *p <= '9') || strchr("-._~", *p)) {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    return o;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(**(const char *const *const *)a,
                  **(const char *const *const *)b);
}

char *ft_s3_query(const char *const *kv, size_t n)
{
    const char *const **idx = malloc((n ? n : 1) * sizeof *idx);
    size_t total = 1;
    if (!idx)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        idx[i] = kv + 2 * i;
        total += enc_len(kv[2 * i]) + enc_len(kv[2 * i + 1]) + 2;
    }
    /* Names are plain ASCII here, so their order is that of the encoded
     * names SigV4 asks for. */
    qsort(idx, n, sizeof *idx, by_name);
    char *out = malloc(total), *o = out;
    if (out) {
        for (size_t i = 0; i < n; i++) {
            if (i)
                *o++ = '&';
            o = enc(o, idx[i][0]);
            *o++ = '=';
            o = enc(o, idx[i][1]);
        }
        *o = '\0';
    }
    free(idx);
    return out;
}

/* ---- XML ---------------------------------------------------------- */

/* The content of the first <tag> in [p, end): *cs..*ce. */
static int xml_find(const char *p, const char *end, const char *tag,
                    const char **cs, const char **ce)
{
    size_t tl = strlen(tag);
    while (p < end) {
        const char *lt = memchr(p, '<', (size_t)(end - p));
        if (!lt || (size_t)(end - lt) < tl + 2)
            return -1;
        const char *q = lt + 1;
        if (strncmp(q, tag, tl) == 0 && (q[tl] == '>' || q[tl] == ' ' ||
                                         q[tl] == '/')) {
            const char *gt = memchr(q, '>', (size_t)(end - q));
            if (!gt)
                return -1;
            if (gt[-1] == '/') { /* <tag/> */
                *cs = *ce = gt + 1;
                return 0;
            }
            *cs = gt + 1;
            /* Elements we read do not nest in themselves. */
            for (const char *r = *cs; r < end; r++) {
                const char *c = memchr(r, '<', (size_t)(end - r));
                if (!c || (size_t)(end - c) < tl + 3)
                    return -1;
                if (c[1] == '/' && strncmp(c + 2, tag, tl) == 0 &&
                    c[2 + tl] == '>') {
                    *ce = c;
                    return 0;
                }
                r = c;
            }
            return -1;
        }
        p = lt + 1;
    }
    return -1;
}

static char *xml_decode(const char *s, const char *e)
{
    char *out = malloc((size_t)(e - s) + 1), *o = out;
    if (!out)
        return NULL;
    static const struct { const char *name; char ch; } ents[] = {
        {"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'}, {"apos;", '\''}};
    while (s < e) {
        if (*s != '&') {
            *o++ = *s++;
            continue;
        }
        const char *semi = memchr(s, ';', (size_t)(e - s));
        int done = 0;
        for (size_t i = 0; semi && !done && i < sizeof ents / sizeof *ents; i++) {
            size_t l = strlen(ents[i].name);
            if ((size_t)(semi + 1 - (s + 1)) == l && !strncmp(s + 1, ents[i].name, l)) {
                *o++ = ents[i].ch;
                s = semi + 1;
                done = 1;
            }
        }
        if (!done && semi && s[1] == '#') {
            int hexa = s[2] == 'x' || s[2] == 'X';
            char *stop;
            unsigned long cp = strtoul(s + 2 + hexa, &stop, hexa ? 16 : 10);
            if (stop == semi && cp > 0 && cp <= 0x10FFFF) {
                /* As UTF-8. */
                if (cp < 0x80) {
                    *o++ = (char)cp;
                } else if (cp < 0x800) {
                    *o++ = (char)(0xC0 | (cp >> 6));
                    *o++ = (char)(0x80 | (cp & 0x3F));
                } else if (cp < 0x10000) {
                    *o++ = (char)(0xE0 | (cp >> 12));
                    *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
                    *o++ = (char)(0x80 | (cp & 0x3F));
                } else {
                    *o++ = (char)(0xF0 | (cp >> 18));
                    *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
                    *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
                    *o++ = (char)(0x80 | (cp & 0x3F));
                }
                s = semi + 1;
                done = 1;
            }
        }
        if (!done)
            *o++ = *s++;
    }
    *o = '\0';
    return out;
}

char *ft_s3_xml_text(const char *p, const char *end, const char *tag)
{
    const char *cs, *ce;
    if (!p || xml_find(p, end, tag, &cs, &ce) < 0)
        return NULL;
    return xml_decode(cs, ce);
}

static int add_name(char ***v, size_t *n, size_t *cap, char *name)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        char **nv = realloc(*v, nc * sizeof *nv);
        if (!nv)
            return -1;
        *v = nv;
        *cap = nc;
    }
    (*v)[(*n)++] = name;
    return 0;
}

static int by_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int ft_s3_parse_listing(const char *xml, size_t len, char ***v, size_t *n,
                        size_t *cap, int *truncated, char **next,
                        ft_error *err)
{
    const char *end = xml + len, *cs, *ce;
    *truncated = 0;
    *next = NULL;
    if (!xml || xml_find(xml, end, "ListBucketResult", &cs, &ce) < 0)
        return ft_error_set(err, "the answer is not a bucket listing");
    size_t first = *n;
    /* Keys, then rolled-up prefixes, each an element of its own. */
    static const char *const kinds[2][2] = {{"Contents", "Key"},
                                            {"CommonPrefixes", "Prefix"}};
    for (int k = 0; k < 2; k++) {
        const char *p = cs, *es, *ee;
        while (xml_find(p, ce, kinds[k][0], &es, &ee) == 0) {
            char *name = ft_s3_xml_text(es, ee, kinds[k][1]);
            if (!name || add_name(v, n, cap, name) < 0) {
                free(name);
                return ft_error_set(err, name ? "out of memory"
                                              : "a listing entry has no name");
            }
            p = ee;
        }
    }
    qsort(*v + first, *n - first, sizeof **v, by_str);
    char *t = ft_s3_xml_text(cs, ce, "IsTruncated");
    *truncated = t && !strcmp(t, "true");
    free(t);
    if (*truncated)
        *next = ft_s3_xml_text(cs, ce, "NextContinuationToken");
    return 0;
}

/* ---- ETags -------------------------------------------------------- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int ft_s3_etag_parts(const char *etag)
{
    size_t i = 0;
    for (; i < 32; i++)
        if (hexval(etag[i]) < 0)
            return -1;
    if (etag[32] == '\0')
        return 0;
    if (etag[32] != '-' || etag[33] < '1' || etag[33] > '9')
        return -1;
    char *stop;
    long n = strtol(etag + 33, &stop, 10);
    return *stop || n <= 0 || n > 10000 ? -1 : (int)n;
}

int ft_s3_etag_input(const char (*md5)[33], size_t n, unsigned char *out)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < 16; j++) {
            int hi = hexval(md5[i][2 * j]), lo = hexval(md5[i][2 * j + 1]);
            if (hi < 0 || lo < 0)
                return -1;
            out[16 * i + j] = (unsigned char)(hi << 4 | lo);
        }
    return 0;
}

void ft_s3_etag_format(const unsigned char md5[16], size_t n, char out[48])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        out[2 * i] = hex[md5[i] >> 4];
        out[2 * i + 1] = hex[md5[i] & 15];
    }
    snprintf(out + 32, 16, "-%zu", n);
}
