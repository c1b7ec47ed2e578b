/* table.c - result tables as text, CSV or JSON lines (see table.h). */
#include "table.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE SIZE_MAX

/* A growing byte buffer: the cell arena, and each output line. */
typedef struct buf {
    char *s;
    size_t n, cap;
} buf;

static int buf_put(buf *b, const char *s, size_t n)
{
    if (b->cap - b->n < n + 1) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->n < n + 1)
            cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p)
            return -1;
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    return 0;
}

/* Each cell keeps up to three renderings, as offsets into one arena:
 * text (text tables), full (CSV; NONE = text) and json (NONE = full, or
 * text).  A null cell has text "" and json "null". */
typedef struct cell {
    size_t text, full, json;
    int numeric;
} cell;

struct ft_table {
    enum ft_table_format fmt;
    int no_header;
    int ncols;
    char **names;
    cell *cells;
    size_t ncells, cap;
    buf arena; /* NUL-terminated renderings */
    int row_cells; /* cells in the row being built */
};

ft_table *ft_table_new(enum ft_table_format fmt, int no_header, int ncols,
                       const char *const *names, ft_error *err)
{
    ft_table *t = calloc(1, sizeof *t);
    if (!t || !(t->names = calloc((size_t)ncols, sizeof *t->names)))
        goto oom;
    t->fmt = fmt;
    t->no_header = no_header;
    t->ncols = ncols;
    for (int i = 0; i < ncols; i++)
        if (!(t->names[i] = strdup(names[i])))
            goto oom;
    return t;
oom:
    ft_table_free(t);
    ft_error_set(err, "out of memory");
    return NULL;
}

void ft_table_free(ft_table *t)
{
    if (!t)
        return;
    if (t->names)
        for (int i = 0; i < t->ncols; i++)
            free(t->names[i]);
    free(t->names);
    free(t->cells);
    free(t->arena.s);
    free(t);
}

/* Copies n bytes plus a NUL into the arena; NONE when out of memory. */
static size_t intern(ft_table *t, const char *s, size_t n)
{
    size_t off = t->arena.n;
    if (buf_put(&t->arena, s, n) < 0 || buf_put(&t->arena, "", 1) < 0)
        return NONE;
    return off;
}

static int add_cell(ft_table *t, const char *text, const char *full,
                    const char *json, int numeric, ft_error *err)
{
    if (t->row_cells == t->ncols)
        return ft_error_set(err, "table: more than %d cells in a row", t->ncols);
    if (t->ncells == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        cell *c = realloc(t->cells, cap * sizeof *c);
        if (!c)
            return ft_error_set(err, "out of memory");
        t->cells = c;
        t->cap = cap;
    }
    cell c = {intern(t, text, strlen(text)), NONE, NONE, numeric};
    if (c.text == NONE)
        return ft_error_set(err, "out of memory");
    if (full && (c.full = intern(t, full, strlen(full))) == NONE)
        return ft_error_set(err, "out of memory");
    if (json && (c.json = intern(t, json, strlen(json))) == NONE)
        return ft_error_set(err, "out of memory");
    t->cells[t->ncells++] = c;
    t->row_cells++;
    return 0;
}

/* JSON string literal of s (bytes >= 0x7f escaped as \u00XX, as
 * output.c does for tag strings).  Caller frees; NULL when out of
 * memory. */
static char *json_quote(const char *s)
{
    size_t n = strlen(s);
    char *q = malloc(n * 6 + 3), *p = q;
    if (!q)
        return NULL;
    *p++ = '"';
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            *p++ = '\\';
            *p++ = (char)c;
        } else if (c < 0x20 || c >= 0x7f) {
            p += sprintf(p, "\\u%04x", c);
        } else {
            *p++ = (char)c;
        }
    }
    *p++ = '"';
    *p = '\0';
    return q;
}

int ft_table_str(ft_table *t, const char *s, ft_error *err)
{
    char *q = json_quote(s);
    if (!q)
        return ft_error_set(err, "out of memory");
    int rc = add_cell(t, s, NULL, q, 0, err);
    free(q);
    return rc;
}

int ft_table_u64(ft_table *t, uint64_t v, ft_error *err)
{
    char b[32];
    snprintf(b, sizeof b, "%" PRIu64, v);
    return add_cell(t, b, NULL, NULL, 1, err);
}

int ft_format_double(double v, char *out)
{
    int n = 0;
    for (int prec = 1; prec <= 17; prec++) {
        n = snprintf(out, 32, "%.*g", prec, v);
        if (strtod(out, NULL) == v)
            break;
    }
    return n;
}

int ft_table_ratio(ft_table *t, uint64_t num, uint64_t den, ft_error *err)
{
    char text[64], full[32];
    /* Truncated from the exact ratio: a double's error never turns
     * 0.3 into 0.2999. */
    uint64_t q = den ? (uint64_t)((unsigned __int128)num * 10000 / den) : 0;
    snprintf(text, sizeof text, "%" PRIu64 ".%04" PRIu64, q / 10000, q % 10000);
    ft_format_double(den ? (double)num / (double)den : 0.0, full);
    return add_cell(t, text, full, NULL, 1, err);
}

int ft_table_null(ft_table *t, ft_error *err)
{
    return add_cell(t, "", NULL, "null", 1, err);
}

int ft_table_value(ft_table *t, const char *text, const char *json,
                   int numeric, ft_error *err)
{
    return add_cell(t, text, NULL, json, numeric, err);
}

int ft_table_end_row(ft_table *t, ft_error *err)
{
    if (t->row_cells != t->ncols)
        return ft_error_set(err, "table: row of %d cells, want %d",
                            t->row_cells, t->ncols);
    t->row_cells = 0;
    return 0;
}

uint64_t ft_table_rows(const ft_table *t)
{
    return t->ncells / (size_t)t->ncols;
}

static int line_pad(buf *l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (buf_put(l, " ", 1) < 0)
            return -1;
    return 0;
}

static const char *full_of(const ft_table *t, const cell *c)
{
    return t->arena.s + (c->full != NONE ? c->full : c->text);
}

static const char *json_of(const ft_table *t, const cell *c)
{
    return c->json != NONE ? t->arena.s + c->json : full_of(t, c);
}

static int put_csv(buf *l, const char *s)
{
    if (!strpbrk(s, ",\"\r\n"))
        return buf_put(l, s, strlen(s));
    if (buf_put(l, "\"", 1) < 0)
        return -1;
    for (; *s; s++)
        if ((*s == '"' && buf_put(l, "\"", 1) < 0) || buf_put(l, s, 1) < 0)
            return -1;
    return buf_put(l, "\"", 1);
}

/* One text row: names (header) or the cells of row r. */
static int put_text_row(const ft_table *t, buf *l, const size_t *width,
                        const int *right, const cell *row)
{
    for (int i = 0; i < t->ncols; i++) {
        const char *s = row ? t->arena.s + row[i].text : t->names[i];
        size_t n = strlen(s), gap = width[i] - n;
        if (i && buf_put(l, "  ", 2) < 0)
            return -1;
        if (right[i] && line_pad(l, gap) < 0)
            return -1;
        if (buf_put(l, s, n) < 0)
            return -1;
        if (!right[i] && i < t->ncols - 1 && line_pad(l, gap) < 0)
            return -1;
    }
    return 0;
}

static int put_row(const ft_table *t, buf *l, const size_t *width,
                   const int *right, const cell *row)
{
    if (t->fmt == FT_TABLE_TEXT)
        return put_text_row(t, l, width, right, row);
    if (t->fmt == FT_TABLE_JSON && buf_put(l, "{", 1) < 0)
        return -1;
    for (int i = 0; i < t->ncols; i++) {
        if (i && buf_put(l, ",", 1) < 0)
            return -1;
        if (t->fmt == FT_TABLE_CSV) {
            if (put_csv(l, row ? full_of(t, &row[i]) : t->names[i]) < 0)
                return -1;
            continue;
        }
        char *key = json_quote(t->names[i]);
        int rc = key ? buf_put(l, key, strlen(key)) : -1;
        free(key);
        const char *v = json_of(t, &row[i]);
        if (rc < 0 || buf_put(l, ":", 1) < 0 || buf_put(l, v, strlen(v)) < 0)
            return -1;
    }
    if (t->fmt == FT_TABLE_JSON && buf_put(l, "}", 1) < 0)
        return -1;
    return 0;
}

int ft_table_write(const ft_table *t, ft_sink *sink, ft_error *err)
{
    size_t nrows = ft_table_rows(t);
    size_t *width = calloc((size_t)t->ncols, sizeof *width);
    int *right = calloc((size_t)t->ncols, sizeof *right);
    buf l = {0};
    int rc = -1;
    if (!width || !right) {
        ft_error_set(err, "out of memory");
        goto out;
    }
    for (int i = 0; i < t->ncols; i++) {
        width[i] = t->no_header ? 0 : strlen(t->names[i]);
        right[i] = 1;
        for (size_t r = 0; r < nrows; r++) {
            const cell *c = &t->cells[r * (size_t)t->ncols + (size_t)i];
            size_t n = strlen(t->arena.s + c->text);
            if (n > width[i])
                width[i] = n;
            if (!c->numeric)
                right[i] = 0;
        }
    }
    int header = !t->no_header && t->fmt != FT_TABLE_JSON;
    for (size_t r = 0; r < nrows + (size_t)header; r++) {
        const cell *row = NULL;
        if (r >= (size_t)header)
            row = &t->cells[(r - (size_t)header) * (size_t)t->ncols];
        l.n = 0;
        if (put_row(t, &l, width, right, row) < 0 || buf_put(&l, "\n", 1) < 0) {
            ft_error_set(err, "out of memory");
            goto out;
        }
        if (ft_sink_write(sink, l.s, l.n, err) < 0)
            goto out;
    }
    rc = 0;
out:
    free(l.s);
    free(width);
    free(right);
    return rc;
}

int ft_table_format_parse(const char *s, enum ft_table_format *fmt)
{
    if (strcmp(s, "text") == 0)
        *fmt = FT_TABLE_TEXT;
    else if (strcmp(s, "csv") == 0)
        *fmt = FT_TABLE_CSV;
    else if (strcmp(s, "json") == 0)
        *fmt = FT_TABLE_JSON;
    else
        return -1;
    return 0;
}
