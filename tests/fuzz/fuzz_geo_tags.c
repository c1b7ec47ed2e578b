/*
 * fuzz_geo_tags.c - libFuzzer harness for the tag loaders (geo_tags.h):
 * country range files, prefix2as / AS range files, and our handling of
 * MaxMind DB files (detection, the layout probe walking the search tree,
 * lookups); libmaxminddb itself is a library and not the target, but it
 * runs underneath when the input carries the MaxMind DB marker.
 *
 * Input: byte 0 chooses what to load and how, the rest is the file.
 *   byte 0 % 3:  0 maxmind_* country, 1 netacq_* country, 2 origin AS;
 *   bit 2:       gzip the file first (exercises the gzip reading, and the
 *                temporary copy a compressed .mmdb needs);
 *   bit 3:       load it twice (replacing a loaded database).
 * After a successful load, the addresses in the first 256 bytes of the
 * file are looked up and tagged.  Errors must name the file.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ft4.h"
#include "fuzz_util.h"
#include "geo_tags.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int load(ft_geo_tags *g, unsigned what, const char *path, ft_error *err)
{
    if (what == 2)
        return ft_geo_tags_load_asn(g, path, err);
    return ft_geo_tags_load_country(
        g, what == 0 ? FT_GEO_MAXMIND : FT_GEO_NETACQ, path, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fuzz_file file;
    static ft4_record rec;
    if (size < 1)
        return 0;
    unsigned what = data[0] % 3;
    const uint8_t *body = data + 1;
    size_t n = size - 1;
    const char *path;
    if (data[0] & 4)
        path = fuzz_file_set_gzip(&file, body, n, 0);
    else
        path = fuzz_file_set(&file, body, n);

    ft_error err;
    ft_geo_tags *g = ft_geo_tags_new(&err);
    if (!g)
        abort();
    int rc = load(g, what, path, &err);
    if (rc == 0 && (data[0] & 8))
        rc = load(g, what, path, &err);
    if (rc < 0) {
        fuzz_check_error(&err, path);
    } else {
        const char *d = what == 2 ? ft_geo_tags_describe_asn(g)
                                  : ft_geo_tags_describe_country(
                                        g, what == 0 ? FT_GEO_MAXMIND
                                                     : FT_GEO_NETACQ);
        if (!d)
            abort();
        uint32_t addrs[66];
        size_t na = 0;
        addrs[na++] = 0;
        addrs[na++] = UINT32_MAX;
        for (size_t i = 0; i + 4 <= n && na < 66; i += 4)
            addrs[na++] = (uint32_t)body[i] << 24 | (uint32_t)body[i + 1] << 16 |
                          (uint32_t)body[i + 2] << 8 | body[i + 3];
        for (size_t i = 0; i < na; i++) {
            char cc[3], cont[3];
            ft_geo_tags_country(g, FT_GEO_MAXMIND, addrs[i], cc, cont);
            ft_geo_tags_country(g, FT_GEO_NETACQ, addrs[i], cc, cont);
            if (cc[2] != '\0' || cont[2] != '\0')
                abort();
            (void)ft_geo_tags_asn(g, addrs[i]);
            ft4_record_init(&rec);
            ft_geo_tags_tag(g, addrs[i], &rec);
        }
    }
    ft_geo_tags_free(g);
    return 0;
}
