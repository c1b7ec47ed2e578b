/*
 * fuzz_record.h - the check every record-reading harness applies to what
 * a reader returns: a decoded record must encode (datum.h) and decode
 * back to itself, i.e. a reader never hands out a record our writers
 * cannot represent (an int field out of int32 range, a tag longer than
 * its bound, an array count past its storage, ...).
 */
#ifndef FT_FUZZ_RECORD_H
#define FT_FUZZ_RECORD_H

#include <stdlib.h>
#include <string.h>

#include "datum.h"
#include "ft4.h"
#include "fuzz_util.h"
#include "source.h"

static inline void fuzz_check_record(const ft4_record *rec)
{
    static uint8_t buf[FT4_ENCODED_MAX];
    static ft4_record back;
    for (int f = 0; f < FT4_F_COUNT; f++) {
        if (ft4_fields[f].type == FT4_ARRAY &&
            ft4_get_array(rec, f)->n > FT4_ARRAY_READ_MAX)
            abort();
        if (ft4_fields[f].type == FT4_STRING) {
            const ft4_tag *t = ft4_get_tag(rec, f);
            if (t->len > FT4_TAG_MAX || t->s[t->len] != '\0')
                abort();
        }
    }
    size_t n = ft4_encode(rec, buf);
    if (n == 0 || n > FT4_ENCODED_MAX)
        abort();
    size_t pos = 0;
    const char *why = NULL;
    ft4_record_init(&back);
    if (ft4_decode(ft4_plan_canonical(), buf, n, &pos, &back, &why) < 0 ||
        pos != n || !ft4_record_equal(rec, &back))
        abort();
}

typedef int (*fuzz_next_fn)(void *reader, ft4_record *rec, ft_error *err);

/* Reads records with next() until the end, an error or a bound (so one
 * input cannot run for long), checking each record.  An error must name
 * `path` and be final; the end must stay the end.  Returns next()'s last
 * result. */
static inline int fuzz_drain(void *reader, fuzz_next_fn next, const char *path)
{
    static ft4_record rec;
    ft_error err;
    int rc = 1;
    for (int i = 0; i < 200000 && rc == 1; i++) {
        rc = next(reader, &rec, &err);
        if (rc == 1)
            fuzz_check_record(&rec);
    }
    if (rc < 0) {
        fuzz_check_error(&err, path);
        if (next(reader, &rec, &err) != -1)
            abort(); /* after an error only errors */
    }
    if (rc == 0 && next(reader, &rec, &err) != 0)
        abort();
    return rc;
}

/* The whole of a file-reader harness: writes the input (fuzz_input, with
 * repair), opens it as a source, opens the reader on it and drains it. */
static inline void fuzz_read_file(fuzz_file *f, const uint8_t *data,
                                  size_t size,
                                  void (*repair)(uint8_t *, size_t),
                                  void *(*open)(ft_source *, ft_error *),
                                  fuzz_next_fn next, void (*close)(void *))
{
    const char *path = fuzz_input(f, data, size, repair);
    if (!path)
        return;
    ft_error err;
    ft_source *src = ft_source_open(path, &err);
    if (!src)
        abort(); /* a memfd always opens */
    void *r = open(src, &err);
    if (r)
        fuzz_drain(r, next, path);
    else
        fuzz_check_error(&err, path);
    close(r);
    ft_source_close(src);
}

#endif
