/*
 * fuzz_avro.h - what the Avro container harnesses (fuzz_avro, fuzz_ft3)
 * share: repairing what random mutation almost never gets right, so the
 * fuzzer reaches the codecs and the record decoders.  Every block's sync
 * marker is set to the header's, and a snappy block's CRC-32 to that of
 * its decompressed bytes.
 */
#ifndef FT_FUZZ_AVRO_H
#define FT_FUZZ_AVRO_H

#include <snappy-c.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Zigzag varint at *pos; 0 or -1. */
static inline int fuzz_avro_long(const uint8_t *b, size_t n, size_t *pos, int64_t *v)
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
static inline void fuzz_avro_repair(uint8_t *b, size_t n)
{
    size_t pos = 4;
    int snappy = 0;
    int64_t count, len;
    if (n < 4 || memcmp(b, "Obj\x01", 4) != 0)
        return;
    for (;;) { /* metadata map */
        if (fuzz_avro_long(b, n, &pos, &count) < 0)
            return;
        if (count == 0)
            break;
        if (count < 0) {
            if (count == INT64_MIN || fuzz_avro_long(b, n, &pos, &len) < 0)
                return;
            count = -count;
        }
        for (int64_t i = 0; i < count; i++) {
            int64_t kl, vl;
            if (fuzz_avro_long(b, n, &pos, &kl) < 0 || kl < 0 || (uint64_t)kl > n - pos)
                return;
            const uint8_t *key = b + pos;
            pos += (size_t)kl;
            if (fuzz_avro_long(b, n, &pos, &vl) < 0 || vl < 0 || (uint64_t)vl > n - pos)
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
        if (fuzz_avro_long(b, n, &pos, &count) < 0 || fuzz_avro_long(b, n, &pos, &len) < 0 ||
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

#endif
