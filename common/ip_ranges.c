/* ip_ranges.c - IPv4 range table, narrowest range wins.  See ip_ranges.h. */
#include "ip_ranges.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct range {
    uint32_t first, last, value;
    uint32_t seq; /* order added: the tie-break between equal widths */
} range;

typedef struct segment {
    uint32_t first, last, value;
} segment;

struct ft_ip_ranges {
    range *r; /* until the build */
    size_t n, cap;
    segment *seg; /* after the build */
    size_t nseg;
    size_t skipped;
    int built;
};

ft_ip_ranges *ft_ip_ranges_new(ft_error *err)
{
    ft_ip_ranges *t = calloc(1, sizeof *t);
    if (!t)
        ft_error_set(err, "out of memory");
    return t;
}

void ft_ip_ranges_free(ft_ip_ranges *t)
{
    if (!t)
        return;
    free(t->r);
    free(t->seg);
    free(t);
}

int ft_ip_ranges_add(ft_ip_ranges *t, uint32_t first, uint32_t last,
                     uint32_t value, ft_error *err)
{
    if (t->built || first > last || t->n >= UINT32_MAX)
        return ft_error_set(err, "internal error: bad range added");
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 1024;
        range *r = realloc(t->r, cap * sizeof *r);
        if (!r)
            return ft_error_set(err, "out of memory");
        t->r = r;
        t->cap = cap;
    }
    t->r[t->n] = (range){first, last, value, (uint32_t)t->n};
    t->n++;
    return 0;
}

/* ---- build: a sweep over the starts with a heap of open ranges ---- */

static int range_cmp_start(const void *a, const void *b)
{
    const range *x = a, *y = b;
    if (x->first != y->first)
        return x->first < y->first ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* 1 when range a beats range b: narrower, or as narrow and added first. */
static int beats(const range *a, const range *b)
{
    uint32_t wa = a->last - a->first, wb = b->last - b->first;
    return wa != wb ? wa < wb : a->seq < b->seq;
}

static void heap_push(uint32_t *h, size_t *n, const range *r, uint32_t i)
{
    size_t k = (*n)++;
    while (k > 0) {
        size_t p = (k - 1) / 2;
        if (!beats(&r[i], &r[h[p]]))
            break;
        h[k] = h[p];
        k = p;
    }
    h[k] = i;
}

static void heap_pop(uint32_t *h, size_t *n, const range *r)
{
    uint32_t last = h[--*n];
    size_t k = 0;
    for (;;) {
        size_t c = 2 * k + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && beats(&r[h[c + 1]], &r[h[c]]))
            c++;
        if (!beats(&r[h[c]], &r[last]))
            break;
        h[k] = h[c];
        k = c;
    }
    h[k] = last;
}

static void emit(ft_ip_ranges *t, uint64_t first, uint64_t last,
                 uint32_t value)
{
    segment *s = t->nseg ? &t->seg[t->nseg - 1] : NULL;
    /* Merging equal neighbours keeps lookups identical and the table small. */
    if (s && s->value == value && (uint64_t)s->last + 1 == first) {
        s->last = (uint32_t)last;
        return;
    }
    t->seg[t->nseg++] = (segment){(uint32_t)first, (uint32_t)last, value};
}

int ft_ip_ranges_build(ft_ip_ranges *t, ft_error *err)
{
    if (t->built)
        return 0;
    range *r = t->r;
    size_t n = t->n;
    for (size_t i = 1; i < n; i++) {
        if (range_cmp_start(&r[i - 1], &r[i]) > 0) {
            qsort(r, n, sizeof *r, range_cmp_start);
            break;
        }
    }
    /* Each range adds at most two segment boundaries. */
    uint32_t *heap = malloc((n ? n : 1) * sizeof *heap);
    t->seg = malloc((2 * n + 1) * sizeof *t->seg);
    if (!heap || !t->seg) {
        free(heap);
        free(t->seg);
        t->seg = NULL;
        return ft_error_set(err, "out of memory");
    }
    /* pos walks the address space (64-bit: it may step past
     * 255.255.255.255).  The heap's top is the range that wins at pos;
     * ranges that ended are dropped lazily, when they reach the top. */
    size_t hn = 0, i = 0;
    uint64_t pos = 0;
    for (;;) {
        while (hn && r[heap[0]].last < pos)
            heap_pop(heap, &hn, r);
        if (!hn) {
            if (i == n)
                break;
            pos = r[i].first;
        }
        while (i < n && r[i].first <= pos)
            heap_push(heap, &hn, r, (uint32_t)i++);
        const range *top = &r[heap[0]];
        uint64_t next = (uint64_t)top->last + 1;
        if (i < n && r[i].first < next)
            next = r[i].first;
        emit(t, pos, next - 1, top->value);
        pos = next;
    }
    free(heap);
    free(t->r);
    t->r = NULL;
    t->cap = 0;
    segment *s = realloc(t->seg, (t->nseg ? t->nseg : 1) * sizeof *s);
    if (s)
        t->seg = s;
    t->built = 1;
    return 0;
}

int ft_ip_ranges_lookup(const ft_ip_ranges *t, uint32_t addr,
                        uint32_t *value)
{
    size_t lo = 0, hi = t->nseg;
    /* Last segment whose first <= addr. */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->seg[mid].first <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || t->seg[lo - 1].last < addr)
        return 0;
    *value = t->seg[lo - 1].value;
    return 1;
}

size_t ft_ip_ranges_count(const ft_ip_ranges *t)
{
    return t->n;
}

size_t ft_ip_ranges_segments(const ft_ip_ranges *t)
{
    return t->nseg;
}

size_t ft_ip_ranges_skipped(const ft_ip_ranges *t)
{
    return t->skipped;
}

/* ---- text ---- */

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

int ft_ip_ranges_parse_addr(const char *s, size_t len, uint32_t *out)
{
    uint64_t v = 0;
    size_t i = 0;
    if (len == 0)
        return -1;
    if (!memchr(s, '.', len)) { /* a number: at most 10 digits */
        if (len > 10)
            return -1;
        for (; i < len; i++) {
            if (!is_digit(s[i]))
                return -1;
            v = v * 10 + (uint64_t)(s[i] - '0');
        }
        if (v > UINT32_MAX)
            return -1;
        *out = (uint32_t)v;
        return 0;
    }
    for (int part = 0; part < 4; part++) {
        unsigned o = 0;
        size_t start = i;
        while (i < len && is_digit(s[i]) && i - start < 3)
            o = o * 10 + (unsigned)(s[i++] - '0');
        if (i == start || o > 255)
            return -1;
        v = v << 8 | o;
        if (part < 3) {
            if (i >= len || s[i] != '.')
                return -1;
            i++;
        }
    }
    if (i != len)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

/* Strips blanks and one pair of double quotes around a field. */
static void trim(const char **s, size_t *len)
{
    while (*len && is_blank(**s))
        (*s)++, (*len)--;
    while (*len && is_blank((*s)[*len - 1]))
        (*len)--;
    if (*len >= 2 && (*s)[0] == '"' && (*s)[*len - 1] == '"')
        (*s)++, *len -= 2;
}

/* Length of the field at s (up to a comma or the end of the line). */
static size_t csv_field(const char *s, const char *end)
{
    const char *c = memchr(s, ',', (size_t)(end - s));
    return (size_t)((c ? c : end) - s);
}

/* Length of the blank-separated word at s. */
static size_t word(const char *s, const char *end)
{
    const char *p = s;
    while (p < end && !is_blank(*p))
        p++;
    return (size_t)(p - s);
}

static int line_error(ft_error *err, const char *name, size_t line,
                      const char *what, const char *s, size_t len)
{
    if (!s)
        return ft_error_set(err, "%s: line %zu: %s", name, line, what);
    int n = len > 40 ? 40 : (int)len;
    return ft_error_set(err, "%s: line %zu: %s '%.*s%s'", name, line, what, n,
                        s, len > 40 ? "..." : "");
}

static int parse_line(ft_ip_ranges *t, const char *p, const char *end,
                      const char *name, size_t line,
                      const ft_ip_value_parser *vp, ft_error *err)
{
    char msg[96];
    while (p < end && is_blank(*p))
        p++;
    const char *f = p;
    while (p < end && *p != ',' && !is_blank(*p))
        p++;
    const char *fs = f;
    size_t flen = (size_t)(p - f);
    trim(&fs, &flen);
    uint32_t first, last, value;
    if (ft_ip_ranges_parse_addr(fs, flen, &first) < 0) {
        t->skipped++; /* a header, a comment, IPv6, a blank line */
        return 0;
    }
    while (p < end && is_blank(*p))
        p++;
    if (p == end) {
        snprintf(msg, sizeof msg,
                 "expected start,end,%s or prefix<TAB>length<TAB>%s",
                 vp->what, vp->what);
        return line_error(err, name, line, msg, NULL, 0);
    }
    if (*p == ',') { /* start,end,value[,...] */
        p++;
        size_t n = csv_field(p, end);
        const char *s = p;
        size_t len = n;
        trim(&s, &len);
        if (ft_ip_ranges_parse_addr(s, len, &last) < 0)
            return line_error(err, name, line, "bad end address", s, len);
        if (last < first)
            return line_error(err, name, line, "range ends before it starts",
                              NULL, 0);
        p += n;
        if (p == end) {
            snprintf(msg, sizeof msg, "missing %s", vp->what);
            return line_error(err, name, line, msg, NULL, 0);
        }
        p++;
        n = csv_field(p, end);
        s = p;
        len = n;
        trim(&s, &len);
        if (vp->parse(s, len, &value) < 0) {
            snprintf(msg, sizeof msg, "bad %s", vp->what);
            return line_error(err, name, line, msg, s, len);
        }
    } else { /* prefix length value */
        size_t n = word(p, end);
        int64_t plen = -1;
        if (n >= 1 && n <= 2 && is_digit(p[0]) && (n == 1 || is_digit(p[1])))
            plen = n == 1 ? p[0] - '0' : (p[0] - '0') * 10 + (p[1] - '0');
        if (plen < 0 || plen > 32)
            return line_error(err, name, line, "bad prefix length", p, n);
        p += n;
        while (p < end && is_blank(*p))
            p++;
        n = word(p, end);
        if (n == 0) {
            snprintf(msg, sizeof msg, "missing %s", vp->what);
            return line_error(err, name, line, msg, NULL, 0);
        }
        if (vp->parse(p, n, &value) < 0) {
            snprintf(msg, sizeof msg, "bad %s", vp->what);
            return line_error(err, name, line, msg, p, n);
        }
        /* Host bits beyond the length are ignored, as routers do. */
        uint32_t mask = plen ? ~(uint32_t)0 << (32 - plen) : 0;
        first &= mask;
        last = first | ~mask;
    }
    return ft_ip_ranges_add(t, first, last, value, err);
}

int ft_ip_ranges_parse(ft_ip_ranges *t, const char *buf, size_t len,
                       const char *name, const ft_ip_value_parser *vp,
                       ft_error *err)
{
    const char *p = buf, *end = buf + len;
    size_t line = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        line++;
        const char *e = le;
        if (e > p && e[-1] == '\r')
            e--;
        if (parse_line(t, p, e, name, line, vp, err) < 0)
            return -1;
        p = nl ? nl + 1 : end;
    }
    return 0;
}
