/*
 * fuzz_avro.c - libFuzzer harness for the Avro FT4 reader
 * (avro_reader.h over avro_container.h): whole files through ft_source.
 *
 * Input: byte 0 is flags, the rest the file.  Flag bit 0 asks the harness
 * to repair what random mutation almost never gets right, so the fuzzer
 * reaches the codecs and the record decoder: every block's sync marker is
 * set to the header's, and a snappy block's CRC-32 to that of its
 * decompressed bytes.  Every record returned must survive
 * fuzz_check_record.
 */
#include <snappy-c.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "avro_reader.h"
#include "fuzz_record.h"
#include "fuzz_util.h"
#include "source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Zigzag varint at *pos; 0 or -1. */
static int get_long(const uint8_t *b, size_t n, size_t *pos, int64_t *v)
{
    uint64_t u = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*pos >= n)
            return -1;
        uint8_t c = b[(*pos)++];
        u |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
            return 0;
        }
    }
    return -1;
}

/* Repairs sync markers and snappy CRCs in place (see above). */
static void repair(uint8_t *b, size_t n)
{
    size_t pos = 4;
    int snappy = 0;
    int64_t count, len;
    if (n < 4 || memcmp(b, "Obj\x01", 4) != 0)
        return;
    for (;;) { /* metadata map */
        if (get_long(b, n, &pos, &count) < 0)
            return;
        if (count == 0)
            break;
        if (count < 0) {
            if (count == INT64_MIN || get_long(b, n, &pos, &len) < 0)
                return;
            count = -count;
        }
        for (int64_t i = 0; i < count; i++) {
            int64_t kl, vl;
            if (get_long(b, n, &pos, &kl) < 0 || kl < 0 || (uint64_t)kl > n - pos)
                return;
            const uint8_t *key = b + pos;
            pos += (size_t)kl;
            if (get_long(b, n, &pos, &vl) < 0 || vl < 0 || (uint64_t)vl > n - pos)
                return;
            if (kl == 10 && memcmp(key, "avro.codec", 10) == 0)
                snappy = vl == 6 && memcmp(b + pos, "snappy", 6) == 0;
            pos += (size_t)vl;
        }
    }
    if (n - pos < 16)
        return;
    const uint8_t *sync = b + pos;
    pos += 16;
    while (pos < n) { /* blocks */
        if (get_long(b, n, &pos, &count) < 0 || get_long(b, n, &pos, &len) < 0 ||
            len < 0 || (uint64_t)len > n - pos)
            return;
        uint8_t *blk = b + pos;
        pos += (size_t)len;
        if (snappy && len >= 4) {
            size_t ulen;
            const char *c = (const char *)blk;
            size_t clen = (size_t)len - 4;
            if (snappy_uncompressed_length(c, clen, &ulen) == SNAPPY_OK &&
                ulen <= (1u << 20)) {
                char *u = malloc(ulen ? ulen : 1);
                if (u && snappy_uncompress(c, clen, u, &ulen) == SNAPPY_OK) {
                    uint32_t crc = (uint32_t)crc32(0, (const Bytef *)u, (uInt)ulen);
                    for (int i = 0; i < 4; i++)
                        blk[clen + (size_t)i] = (uint8_t)(crc >> (24 - 8 * i));
                }
                free(u);
            }
        }
        if (n - pos < 16)
            return;
        memcpy(b + pos, sync, 16);
        pos += 16;
    }
}

static void *open_reader(ft_source *src, ft_error *err)
{
    return ft_avro_reader_open(src, err);
}

static int next(void *r, ft4_record *rec, ft_error *err)
{
    return ft_avro_reader_next(r, rec, err);
}

static void close_reader(void *r)
{
    ft_avro_reader_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fuzz_file file;
    fuzz_read_file(&file, data, size, repair, open_reader, next, close_reader);
    return 0;
}
