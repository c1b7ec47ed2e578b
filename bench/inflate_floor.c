/*
 * inflate_floor - the floor for the analysis benchmark: walks an Avro
 * object container file and inflates every deflate block with zlib,
 * discarding the output.  No record is decoded, so "time of a query /
 * time of this" says what the query costs beyond merely decompressing the
 * data with the standard library.
 *   usage: inflate_floor FILE.avro
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "datum.h"

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return b;
}

int main(int argc, char **argv)
{
    size_t len, pos = 4;
    unsigned char *b = argc == 2 ? slurp(argv[1], &len) : NULL;
    if (!b || len < 4 || memcmp(b, "Obj\x01", 4) != 0) {
        fprintf(stderr, "usage: inflate_floor FILE.avro (an Avro file)\n");
        return 2;
    }
    int64_t n, k;
    /* metadata map: blocks of (bytes key, bytes value) */
    while (ft4_get_long(b, len, &pos, &n) == 0 && n != 0) {
        if (n < 0 && ft4_get_long(b, len, &pos, &k) == 0)
            n = -n;
        for (int64_t i = 0; i < 2 * n; i++) {
            if (ft4_get_long(b, len, &pos, &k) < 0)
                return 1;
            pos += (size_t)k;
        }
    }
    pos += 16; /* sync */
    static unsigned char out[1 << 20];
    unsigned long long records = 0, bytes = 0;
    z_stream z;
    memset(&z, 0, sizeof z);
    inflateInit2(&z, -15);
    while (pos < len) {
        int64_t count, size;
        if (ft4_get_long(b, len, &pos, &count) < 0 || ft4_get_long(b, len, &pos, &size) < 0)
            return 1;
        inflateReset(&z);
        z.next_in = b + pos;
        z.avail_in = (uInt)size;
        int rc;
        do {
            z.next_out = out;
            z.avail_out = sizeof out;
            rc = inflate(&z, Z_NO_FLUSH);
            bytes += sizeof out - z.avail_out;
        } while (rc == Z_OK);
        if (rc != Z_STREAM_END) {
            fprintf(stderr, "inflate_floor: corrupt block\n");
            return 1;
        }
        records += (unsigned long long)count;
        pos += (size_t)size + 16;
    }
    inflateEnd(&z);
    printf("%llu records, %llu bytes inflated\n", records, bytes);
    free(b);
    return 0;
}
