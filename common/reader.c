/* reader.c - inputs in order, format detected per input (see reader.h). */
#include "reader.h"

#include <stdlib.h>
#include <string.h>

#include "avro_reader.h"
#include "fetch.h"
#include "framed.h"
#include "source.h"

struct ft_reader {
    int npaths;
    char *const *paths;
    int next_path;
    ft_source *src;
    enum ft_input_format fmt;
    ft_avro_reader *avro;
    ft_framed_reader *framed;
    uint64_t records;
    uint32_t fields;        /* decoded: ft_reader_set_fields */
    int encoded;            /* ft_reader_set_encoded called */
    uint32_t enc_fields;    /* decoded then from inputs in FT4's schema */
    int is_ft4;             /* the current input is in FT4's schema */
    int64_t from, to;
    ft_dataset_files files; /* a dataset's files (paths point into it) */
    ft_fetch_names objects; /* a store prefix's objects, read before the */
    size_t next_object;     /* paths after it */
};

static char *const stdin_path[] = {"-"};

void ft_reader_set_fields(ft_reader *r, uint32_t fields) { r->fields = fields; }

void ft_reader_set_encoded(ft_reader *r, uint32_t fields)
{
    /* FT_COPY_RECORDS=0: every record decoded (to compare; same output) */
    const char *copy = getenv("FT_COPY_RECORDS");
    if (copy && strcmp(copy, "0") == 0)
        return;
    r->encoded = 1;
    r->enc_fields = fields;
}

const uint8_t *ft_reader_encoded(const ft_reader *r, size_t *len)
{
    if (!r->encoded || !r->is_ft4)
        return NULL;
    return r->fmt == FT_IN_AVRO ? ft_avro_reader_encoded(r->avro, len)
                                : ft_framed_reader_encoded(r->framed, len);
}

ft_reader *ft_reader_open(int npaths, char *const *paths, ft_error *err)
{
    ft_reader *r = calloc(1, sizeof *r);
    if (!r) {
        ft_error_set(err, "out of memory");
        return NULL;
    }
    r->from = INT64_MIN;
    r->to = INT64_MAX;
    r->fields = FT4_FIELDS_ALL;
    if (npaths <= 0) {
        r->npaths = 1;
        r->paths = stdin_path;
    } else {
        r->npaths = npaths;
        r->paths = paths;
    }
    return r;
}

ft_reader *ft_reader_open_spec(const ft_dataset_spec *spec, int npaths,
                               char *const *paths, ft_error *err)
{
    if (spec->root && npaths > 0) {
        ft_error_set(err, "--dataset reads the files of ROOT: give no FILE "
                     "arguments as well");
        return NULL;
    }
    ft_dataset_files files = {0};
    if (spec->root && ft_dataset_list(spec, &files, err) < 0)
        return NULL;
    ft_reader *r = ft_reader_open(npaths, paths, err);
    if (!r) {
        ft_dataset_files_free(&files);
        return NULL;
    }
    r->from = spec->from;
    r->to = spec->to;
    if (spec->root) {
        char **v = files.n ? malloc(files.n * sizeof *v) : NULL;
        if (files.n && !v) {
            ft_dataset_files_free(&files);
            ft_reader_close(r);
            ft_error_set(err, "out of memory");
            return NULL;
        }
        for (size_t i = 0; i < files.n; i++)
            v[i] = files.v[i].path;
        r->files = files;
        r->paths = v;
        r->npaths = (int)files.n;
    }
    return r;
}

static void close_current(ft_reader *r)
{
    ft_avro_reader_close(r->avro);
    ft_framed_reader_close(r->framed);
    ft_source_close(r->src);
    r->avro = NULL;
    r->framed = NULL;
    r->src = NULL;
    r->is_ft4 = 0;
}

/* The next input to open: a path, or the next object of a store prefix
 * (swift://C/PREFIX/), listed when the reader gets to it.  1 = *path
 * set, 0 = none left, -1 = error. */
static int next_input(ft_reader *r, const char **path, ft_error *err)
{
    for (;;) {
        if (r->next_object < r->objects.n) {
            *path = r->objects.v[r->next_object++];
            return 1;
        }
        if (r->next_path >= r->npaths)
            return 0;
        const char *p = r->paths[r->next_path++];
        if (!ft_fetch_is_prefix(p)) {
            *path = p;
            return 1;
        }
        ft_fetch_names_free(&r->objects);
        r->next_object = 0;
        if (ft_fetch_objects(p, &r->objects, err) < 0)
            return -1;
    }
}

/* What the format readers decode: the fields asked for (those for
 * records handed out encoded when the input is in FT4's schema), and
 * time when the range is checked (ft_reader_next). */
static uint32_t decoded_fields(const ft_reader *r)
{
    int ranged = r->from != INT64_MIN || r->to != INT64_MAX;
    uint32_t f = r->encoded && r->is_ft4 ? r->enc_fields : r->fields;
    return f | (ranged ? FT4_FIELD_BIT(FT4_F_TIME) : 0);
}

/* Opens the next input and its format reader. 1 = opened, 0 = none left. */
static int open_next(ft_reader *r, ft_error *err)
{
    const char *path;
    int more = next_input(r, &path, err);
    if (more <= 0)
        return more;
    r->src = ft_source_open(path, err);
    if (!r->src)
        return -1;
    unsigned char magic[FT_FRAMED_MAGIC_LEN];
    ssize_t n = ft_source_peek(r->src, magic, sizeof magic, err);
    if (n < 0)
        return -1;
    const char *name = ft_source_name(r->src);
    if (n == 0)
        return ft_error_set(err, "%s: empty input", name);
    if (n >= 4 && memcmp(magic, FT_AVRO_MAGIC, 4) == 0) {
        r->fmt = FT_IN_AVRO;
        r->avro = ft_avro_reader_open(r->src, err);
        if (!r->avro)
            return -1;
        r->is_ft4 = ft_avro_reader_is_ft4(r->avro);
        if (r->encoded)
            ft_avro_reader_set_copy(r->avro);
        ft_avro_reader_set_fields(r->avro, decoded_fields(r));
        return 1;
    }
    if (n == FT_FRAMED_MAGIC_LEN &&
        memcmp(magic, FT_FRAMED_MAGIC, FT_FRAMED_MAGIC_LEN) == 0) {
        r->fmt = FT_IN_FRAMED;
        r->framed = ft_framed_reader_open(r->src, err);
        if (!r->framed)
            return -1;
        r->is_ft4 = 1;
        if (r->encoded)
            ft_framed_reader_set_copy(r->framed);
        ft_framed_reader_set_fields(r->framed, decoded_fields(r));
        return 1;
    }
    return ft_error_set(err, "%s: not FT4 data (neither an Avro file nor a "
                        "framed stream)", name);
}

int ft_reader_next(ft_reader *r, ft4_record *rec, ft_error *err)
{
    for (;;) {
        if (!r->src) {
            int rc = open_next(r, err);
            if (rc <= 0) {
                close_current(r);
                r->next_path = r->npaths;
                return rc;
            }
        }
        int rc = r->fmt == FT_IN_AVRO ? ft_avro_reader_next(r->avro, rec, err)
                                      : ft_framed_reader_next(r->framed, rec, err);
        if (rc == 1) {
            r->records++;
            if (rec->time < r->from || rec->time > r->to)
                continue;
            return 1;
        }
        close_current(r);
        if (rc < 0) {
            r->next_path = r->npaths;
            return -1;
        }
    }
}

const char *ft_reader_input_name(const ft_reader *r)
{
    return r->src ? ft_source_name(r->src) : NULL;
}

uint64_t ft_reader_records(const ft_reader *r) { return r->records; }

void ft_reader_close(ft_reader *r)
{
    if (!r)
        return;
    close_current(r);
    if (r->files.v)
        free((void *)r->paths);
    ft_dataset_files_free(&r->files);
    ft_fetch_names_free(&r->objects);
    free(r);
}
