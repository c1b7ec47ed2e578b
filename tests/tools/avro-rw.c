/*
 * avro-rw.c - test helper: writes records of tests/recgen.h into an FT4
 * Avro file with our writer, for the interop tests.
 *
 *   avro-rw gen N SEED OUT.avro [null|deflate|snappy]
 *
 * Exit status 0, 1 on an error (message on stderr), 2 on bad usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../recgen.h"
#include "avro_writer.h"
#include "sink.h"

static int usage(void)
{
    fprintf(stderr, "usage: avro-rw gen N SEED OUT.avro [null|deflate|snappy]\n");
    return 2;
}

int main(int argc, char **argv)
{
    if ((argc != 5 && argc != 6) || strcmp(argv[1], "gen") != 0)
        return usage();
    char *end;
    long n = strtol(argv[2], &end, 10);
    if (*end || n < 0)
        return usage();
    unsigned long long seed = strtoull(argv[3], &end, 10);
    if (*end)
        return usage();
    ft_avro_opts o = FT_AVRO_OPTS_DEFAULT;
    if (argc == 6 && ft_codec_parse(argv[5], &o.codec) < 0)
        return usage();
    ft_error err;
    ft_sink *s = ft_sink_open(argv[4], 0, &err);
    if (!s) {
        fprintf(stderr, "avro-rw: %s\n", err.msg);
        return 1;
    }
    ft_avro_writer *w = ft_avro_writer_open(s, &o, &err);
    if (!w)
        goto fail;
    recgen g;
    recgen_init(&g, seed);
    for (long i = 0; i < n; i++) {
        ft4_record r;
        recgen_next(&g, &r);
        if (ft_avro_writer_put(w, &r, &err) < 0) {
            ft_avro_writer_free(w);
            goto fail;
        }
    }
    if (ft_avro_writer_close(w, &err) < 0)
        goto fail;
    if (ft_sink_commit(s, &err) < 0) {
        fprintf(stderr, "avro-rw: %s\n", err.msg);
        return 1;
    }
    return 0;
fail:
    fprintf(stderr, "avro-rw: %s\n", err.msg);
    ft_sink_abort(s);
    return 1;
}
