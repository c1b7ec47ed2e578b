/*
 * convert_read - the baseline of bench/convert_bench.sh: reads FT2 or FT3
 * files with the same readers ft-convert uses (format from the first
 * bytes, as ft-convert detects it) and only counts records and packets.
 *
 *   convert_read FILE...
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "avro_container.h"
#include "ft2_reader.h"
#include "ft3_reader.h"
#include "source.h"

static int read_one(const char *path, uint64_t *recs, uint64_t *pkts)
{
    ft_error err = {{0}};
    ft_source *src = ft_source_open(path, &err);
    uint8_t m[4];
    int rc = -1;
    if (!src || ft_source_peek(src, m, 4, &err) != 4)
        goto done;
    if (memcmp(m, FT_AVRO_MAGIC, 4) == 0) {
        ft3_reader *r = ft3_reader_open(src, &err);
        ft3_record x;
        while (r && (rc = ft3_reader_next(r, &x, &err)) == 1) {
            (*recs)++;
            *pkts += (uint64_t)x.packet_cnt;
        }
        ft3_reader_close(r);
    } else {
        ft2_reader *r = ft2_reader_open(src, -1, &err);
        static ft2_record buf[1024];
        ft2_interval iv;
        while (r && (rc = ft2_reader_next_interval(r, &iv, &err)) == 1) {
            size_t n;
            while ((rc = ft2_reader_read(r, buf, 1024, &n, &err)) == 1)
                for (size_t i = 0; i < n; i++) {
                    (*recs)++;
                    *pkts += buf[i].packet_cnt;
                }
            if (rc < 0)
                break;
        }
        ft2_reader_close(r);
    }
done:
    if (rc < 0)
        fprintf(stderr, "convert_read: %s\n", err.msg);
    ft_source_close(src);
    return rc < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
    uint64_t recs = 0, pkts = 0;
    for (int i = 1; i < argc; i++)
        if (read_one(argv[i], &recs, &pkts) < 0)
            return 1;
    printf("%" PRIu64 " records, %" PRIu64 " packets\n", recs, pkts);
    return 0;
}
