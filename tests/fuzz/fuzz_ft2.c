/*
 * fuzz_ft2.c - libFuzzer harness for the corsaro2 FlowTuple reader
 * (ft2_reader.h): whole files through ft_source, plain or gzip.
 *
 * Input: byte 0 is flags, byte 1 the /8 octet, the rest the file.
 *   bit 0: gzip-compress the file first (source.h reads it back);
 *   bit 1: give the /8 octet (else -1: a SIXT class is an error);
 *   bit 2: with bit 0, cut 1..8 bytes (octet % 8 + 1) off the gzip data;
 *   bit 3: read records one at a time (else 64 at a time).
 * Checks: errors name the input and are final (except the documented
 * resumption after an interval whose end marker is missing); SIXT
 * destinations carry the given octet; the offset never goes back; the end
 * stays the end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ft2_reader.h"
#include "fuzz_util.h"
#include "source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The error after which ft2_reader_next_interval may resume. */
static int resumable(const ft_error *err)
{
    return strstr(err->msg, "ends without its end marker (found interval") != NULL;
}

static void after_error(ft2_reader *r, const char *path)
{
    ft2_interval iv;
    ft2_record rec;
    size_t n;
    ft_error err;
    if (ft2_reader_read(r, &rec, 1, &n, &err) != -1)
        abort();
    fuzz_check_error(&err, path);
    if (ft2_reader_next_interval(r, &iv, &err) != -1)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fuzz_file file;
    static ft2_record recs[64];
    if (size < 2)
        return 0;
    unsigned flags = data[0], octet = data[1];
    const uint8_t *body = data + 2;
    size_t n = size - 2;
    const char *path;
    if (flags & 1) {
        path = fuzz_file_set_gzip(&file, body, n, (flags & 4) ? octet % 8 + 1 : 0);
    } else {
        path = fuzz_file_set(&file, body, n);
    }
    int slash_eight = (flags & 2) ? (int)octet : -1;
    size_t cap = (flags & 8) ? 1 : 64;

    ft_error err;
    ft_source *src = ft_source_open(path, &err);
    if (!src)
        abort(); /* a memfd always opens */
    ft2_reader *r = ft2_reader_open(src, slash_eight, &err);
    if (!r) {
        fuzz_check_error(&err, path);
        ft_source_close(src);
        return 0;
    }
    uint64_t off = ft2_reader_offset(r);
    size_t total = 0;
    int rc = 1;
    for (int i = 0; i < 10000 && rc != 0 && total < 1000000; i++) {
        ft2_interval iv;
        rc = ft2_reader_next_interval(r, &iv, &err);
        if (rc < 0) {
            fuzz_check_error(&err, path);
            if (!resumable(&err)) {
                after_error(r, path);
                break;
            }
            continue;
        }
        if (rc == 0)
            break;
        int rrc;
        size_t got;
        while ((rrc = ft2_reader_read(r, recs, cap, &got, &err)) == 1) {
            if (got == 0 || got > cap)
                abort();
            if (ft2_reader_sixt(r) && slash_eight >= 0)
                for (size_t j = 0; j < got; j++)
                    if (recs[j].dst_ip >> 24 != (uint32_t)slash_eight)
                        abort();
            total += got;
            if (ft2_reader_offset(r) < off)
                abort();
            off = ft2_reader_offset(r);
            if (total >= 1000000)
                break;
        }
        if (rrc < 0) {
            fuzz_check_error(&err, path);
            if (ft2_reader_needs_slash_eight(r) && slash_eight >= 0)
                abort();
            if (!resumable(&err)) {
                after_error(r, path);
                break;
            }
        }
    }
    if (rc == 0) {
        ft2_interval iv;
        if (ft2_reader_next_interval(r, &iv, &err) != 0)
            abort(); /* the end stays the end */
    }
    (void)ft2_reader_header(r);
    ft2_reader_close(r);
    ft_source_close(src);
    return 0;
}
