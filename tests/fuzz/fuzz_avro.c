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
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "avro_reader.h"
#include "fuzz_avro.h"
#include "fuzz_record.h"
#include "fuzz_util.h"
#include "source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
    fuzz_read_file(&file, data, size, fuzz_avro_repair, open_reader, next, close_reader);
    return 0;
}
