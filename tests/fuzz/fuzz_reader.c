/*
 * fuzz_reader.c - libFuzzer harness for the input layer every tool uses
 * (reader.h): format detection, gzip (source.h) and moving from one input
 * to the next.
 *
 * Input: byte 0 is flags, byte 1 a parameter, the rest the data.
 *   bit 0: gzip-compress the data first (so the fuzzer explores the
 *          content behind a valid gzip wrapper, not only zlib's checks);
 *   bit 1: with bit 0, cut 1..8 bytes (parameter % 8 + 1) off the end;
 *   bit 2: split the data into two inputs at parameter/256 of its length
 *          (each part compressed on its own with bit 0);
 *   bit 3: read for a copy as well (ft_reader_set_encoded, the fields
 *          bit f of parameter * 0x01010101), in lockstep with the plain
 *          read: the same records, end and error; a record handed out as
 *          bytes holds the masked fields (time too) and its bytes are
 *          what ft4_encode writes for the full record; any other holds
 *          every field.
 * Checks: records survive fuzz_check_record, errors name an input, and
 * nothing comes after the end or an error.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "datum.h"
#include "fuzz_record.h"
#include "fuzz_util.h"
#include "reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *prepare(fuzz_file *f, const uint8_t *b, size_t n,
                           unsigned flags, unsigned param)
{
    if (!(flags & 1))
        return fuzz_file_set(f, b, n);
    return fuzz_file_set_gzip(f, b, n, (flags & 2) ? param % 8 + 1 : 0);
}

/* got (read for a copy, enc its bytes or NULL) against the full record. */
static void check_copy(const ft4_record *full, const ft4_record *got,
                       const uint8_t *enc, size_t len, uint32_t mask)
{
    static uint8_t buf[FT4_ENCODED_MAX];
    static ft4_record want;
    if (!enc) {
        if (!ft4_record_equal(full, got))
            abort();
        return;
    }
    if (ft4_encode(full, buf) != len || memcmp(buf, enc, len) != 0)
        abort();
    /* the masked fields as read, the others empty */
    ft4_record_init(&want);
    size_t pos = 0;
    const char *why;
    if (ft4_decode_fields(ft4_plan_canonical(), mask, enc, len, &pos, &want, &why) < 0 ||
        !ft4_record_equal(&want, got))
        abort();
}

static int names(const ft_error *err, const char *path)
{
    size_t n = strlen(path);
    return strncmp(err->msg, path, n) == 0 && err->msg[n] == ':';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fuzz_file file[2];
    static ft4_record rec;
    if (size < 2)
        return 0;
    unsigned flags = data[0], param = data[1];
    const uint8_t *body = data + 2;
    size_t n = size - 2;
    char *paths[2];
    int npaths = 1;
    if (flags & 4) {
        size_t cut = n * param / 256;
        paths[0] = (char *)prepare(&file[0], body, cut, flags, param);
        paths[1] = (char *)prepare(&file[1], body + cut, n - cut, flags, param);
        npaths = 2;
    } else {
        paths[0] = (char *)prepare(&file[0], body, n, flags, param);
    }

    ft_error err;
    ft_reader *r = ft_reader_open(npaths, paths, &err);
    if (!r)
        abort(); /* only fails when out of memory */
    /* bit 3: a second reader, reading for a copy */
    static ft4_record crec;
    ft_error cerr;
    ft_reader *c = NULL;
    uint32_t mask = (param * 0x01010101u) & FT4_FIELDS_ALL;
    if (flags & 8) {
        if (!(c = ft_reader_open(npaths, paths, &cerr)))
            abort();
        ft_reader_set_encoded(c, mask);
    }
    int rc = 1;
    for (int i = 0; i < 200000 && rc == 1; i++) {
        rc = ft_reader_next(r, &rec, &err);
        if (rc == 1)
            fuzz_check_record(&rec);
        if (c) {
            if (ft_reader_next(c, &crec, &cerr) != rc ||
                (rc < 0 && strcmp(err.msg, cerr.msg) != 0))
                abort();
            size_t len = 0;
            const uint8_t *enc = ft_reader_encoded(c, &len);
            if (rc == 1)
                check_copy(&rec, &crec, enc, len, mask);
        }
    }
    ft_reader_close(c);
    if (rc < 0) {
        int named = names(&err, paths[0]) ||
                    (npaths == 2 && names(&err, paths[1]));
        if (!named || !fuzz_message_clean(err.msg)) {
            fprintf(stderr, "bad error message: '%s'\n", err.msg);
            abort();
        }
    }
    if (rc <= 0 && ft_reader_next(r, &rec, &err) == 1)
        abort(); /* nothing after the end or an error */
    ft_reader_close(r);
    return 0;
}
