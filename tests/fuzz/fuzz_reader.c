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
 *          (each part compressed on its own with bit 0).
 * Checks: records survive fuzz_check_record, errors name an input, and
 * nothing comes after the end or an error.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
    int rc = 1;
    for (int i = 0; i < 200000 && rc == 1; i++) {
        rc = ft_reader_next(r, &rec, &err);
        if (rc == 1)
            fuzz_check_record(&rec);
    }
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
