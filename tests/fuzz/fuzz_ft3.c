/*
 * fuzz_ft3.c - libFuzzer harness for the corsaro3 FlowTuple Avro reader
 * (ft3_reader.h over avro_container.h): whole files through ft_source.
 *
 * Input: byte 0 is flags, the rest the file.  Flag bit 0 repairs sync
 * markers and snappy CRCs (fuzz_avro.h).  Checks: every record keeps the
 * documented value ranges (non-negative packet_cnt and tcp_synlen, flags
 * 0 or 1, tags of at most FT4_TAG_MAX bytes ending in NUL); errors name
 * the input and are final; the end stays the end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ft3_reader.h"
#include "fuzz_avro.h"
#include "fuzz_util.h"
#include "source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const ft3_record *r)
{
    if (r->packet_cnt < 0 || r->tcp_synlen < 0 || r->is_spoofed > 1 ||
        r->is_masscan > 1)
        abort();
    for (int t = 0; t < FT4_T_COUNT; t++)
        if (r->tag[t].len > FT4_TAG_MAX || r->tag[t].s[r->tag[t].len] != '\0')
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fuzz_file file;
    static ft3_record rec;
    const char *path = fuzz_input(&file, data, size, fuzz_avro_repair);
    if (!path)
        return 0;
    ft_error err;
    ft_source *src = ft_source_open(path, &err);
    if (!src)
        abort(); /* a memfd always opens */
    ft3_reader *r = ft3_reader_open(src, &err);
    if (!r) {
        fuzz_check_error(&err, path);
    } else {
        int rc = 1;
        for (int i = 0; i < 200000 && rc == 1; i++) {
            rc = ft3_reader_next(r, &rec, &err);
            if (rc == 1)
                check(&rec);
        }
        if (rc < 0) {
            fuzz_check_error(&err, path);
            if (ft3_reader_next(r, &rec, &err) != -1)
                abort(); /* after an error only errors */
        }
        if (rc == 0 && ft3_reader_next(r, &rec, &err) != 0)
            abort();
    }
    ft3_reader_close(r);
    ft_source_close(src);
    return 0;
}
