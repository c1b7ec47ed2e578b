/*
 * fuzz_framed.c - libFuzzer harness for the framed stream reader
 * (framed.h): whole streams through ft_source.
 *
 * Input: byte 0 is flags, the rest the stream.  Flag bit 0 asks the
 * harness to repair the CRC-32s (header, batches, end markers, and the
 * headers of concatenated streams), which random mutation never gets
 * right, so the fuzzer reaches the batch and record decoding.  Every
 * record returned must survive fuzz_check_record; every error must name
 * the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "framed.h"
#include "fuzz_record.h"
#include "fuzz_util.h"
#include "source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t crc(uint32_t c, const uint8_t *p, size_t n)
{
    return (uint32_t)crc32(c, p, (uInt)n);
}

static void repair(uint8_t *b, size_t n)
{
    size_t pos = 0;
    while (n - pos >= FT_FRAMED_HEADER_LEN &&
           memcmp(b + pos, FT_FRAMED_MAGIC, FT_FRAMED_MAGIC_LEN) == 0) {
        fuzz_put_le32(b + pos + 24, crc(0, b + pos, 24));
        pos += FT_FRAMED_HEADER_LEN;
        while (n - pos >= FT_FRAMED_FRAME_LEN) {
            uint8_t *f = b + pos;
            if (memcmp(f, "DONE", 4) == 0) {
                fuzz_put_le32(f + 12, crc(0, f + 4, 8));
                pos += FT_FRAMED_FRAME_LEN;
                break; /* another stream may follow */
            }
            if (memcmp(f, "BTCH", 4) != 0)
                return;
            uint32_t len = fuzz_le32(f + 8);
            if (len > n - pos - FT_FRAMED_FRAME_LEN)
                return;
            fuzz_put_le32(f + 12, crc(crc(0, f + 4, 8), f + 16, len));
            pos += FT_FRAMED_FRAME_LEN + len;
        }
    }
}

static void *open_reader(ft_source *src, ft_error *err)
{
    return ft_framed_reader_open(src, err);
}

static int next(void *r, ft4_record *rec, ft_error *err)
{
    return ft_framed_reader_next(r, rec, err);
}

static void close_reader(void *r)
{
    ft_framed_reader_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fuzz_file file;
    fuzz_read_file(&file, data, size, repair, open_reader, next, close_reader);
    return 0;
}
