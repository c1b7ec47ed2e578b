/* ft3_reader.c - corsaro3 FlowTuple Avro records (see ft3_reader.h).  The
 * container is avro_container.c; this file resolves the writer schema by
 * field name and decodes the records of each block. */
#include "ft3_reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avro_container.h"
#include "avro_schema.h"
#include "datum.h"

enum f3 {
    F3_TIME, F3_SRC_IP, F3_DST_IP, F3_SRC_PORT, F3_DST_PORT, F3_PROTOCOL,
    F3_TTL, F3_TCP_FLAGS, F3_IP_LEN, F3_TCP_SYNLEN, F3_TCP_SYNWINLEN,
    F3_PACKET_CNT, F3_IS_SPOOFED, F3_IS_MASSCAN, F3_MAXMIND_CONTINENT,
    F3_MAXMIND_COUNTRY, F3_NETACQ_CONTINENT, F3_NETACQ_COUNTRY,
    F3_PREFIX2ASN, F3_COUNT
};

/* Names, the declared type, and the range of the numeric fields. */
static const struct {
    const char *name;
    int is_string;
    int64_t min, max;
} f3[F3_COUNT] = {
    {"time", 0, INT64_MIN, INT64_MAX},
    {"src_ip", 0, 0, UINT32_MAX},
    {"dst_ip", 0, 0, UINT32_MAX},
    {"src_port", 0, 0, UINT16_MAX},
    {"dst_port", 0, 0, UINT16_MAX},
    {"protocol", 0, 0, UINT8_MAX},
    {"ttl", 0, 0, UINT8_MAX},
    {"tcp_flags", 0, 0, UINT8_MAX},
    {"ip_len", 0, 0, UINT16_MAX},
    {"tcp_synlen", 0, 0, INT32_MAX},
    {"tcp_synwinlen", 0, 0, UINT16_MAX},
    {"packet_cnt", 0, 0, INT64_MAX},
    {"is_spoofed", 0, INT64_MIN, INT64_MAX},
    {"is_masscan", 0, INT64_MIN, INT64_MAX},
    {"maxmind_continent", 1, 0, 0},
    {"maxmind_country", 1, 0, 0},
    {"netacq_continent", 1, 0, 0},
    {"netacq_country", 1, 0, 0},
    {"prefix2asn", 0, INT64_MIN, INT64_MAX},
};

struct ft3_reader {
    ft_avro_container *c;
    const char *name;
    int8_t order[F3_COUNT]; /* writer field i holds FT3 field order[i] */
    int64_t count, left;
    const uint8_t *data;
    size_t len, pos;
    int failed;
};

static int f3_lookup(const char *name)
{
    for (int j = 0; j < F3_COUNT && name; j++)
        if (strcmp(name, f3[j].name) == 0)
            return j;
    return -1;
}

/* A type as avro-c named it in these messages: a named type by its name. */
static const char *type_name(const ft_avro_type *t)
{
    if (!t->name)
        return ft_avro_kind_name(t->kind);
    const char *dot = strrchr(t->name, '.');
    return dot ? dot + 1 : t->name;
}

static int resolve(ft3_reader *r, const char *json, size_t len, ft_error *err)
{
    ft_avro_schema *schema = ft_avro_schema_parse(json, len, err);
    if (!schema) {
        char msg[FT_ERRLEN];
        snprintf(msg, sizeof msg, "%s", err->msg);
        return ft_error_set(err, "%s: %s", r->name, msg);
    }
    const ft_avro_type *s = ft_avro_schema_root(schema);
    int rc = -1;
    if (s->kind != FT_AVRO_RECORD) {
        ft_error_set(err, "%s: schema: not FT3: not a record but %s", r->name,
                     type_name(s));
        goto done;
    }
    int seen[F3_COUNT] = {0};
    /* Missing fields first: they say more than extra ones (an FT4 file). */
    for (size_t i = 0; i < s->n; i++) {
        int id = f3_lookup(s->field[i]);
        if (id >= 0)
            seen[id]++;
    }
    for (int j = 0; j < F3_COUNT; j++)
        if (!seen[j]) {
            ft_error_set(err, "%s: schema: not FT3: field '%s' missing",
                         r->name, f3[j].name);
            goto done;
        }
    for (size_t i = 0; i < s->n; i++) {
        const char *name = s->field[i];
        int id = f3_lookup(name);
        if (id < 0 || seen[id] > 1) {
            ft_error_set(err, "%s: schema: not FT3: field '%s' %s", r->name,
                         name, id < 0 ? "is not an FT3 field" : "appears twice");
            goto done;
        }
        enum ft_avro_kind t = s->sub[i]->kind;
        int ok = f3[id].is_string ? t == FT_AVRO_STRING || t == FT_AVRO_BYTES
                                  : t == FT_AVRO_INT || t == FT_AVRO_LONG;
        if (!ok) {
            ft_error_set(err, "%s: schema: not FT3: field '%s' has type %s, "
                         "expected %s", r->name, name, type_name(s->sub[i]),
                         f3[id].is_string ? "string" : "int or long");
            goto done;
        }
        r->order[i] = (int8_t)id;
    }
    rc = 0;
done:
    ft_avro_schema_free(schema);
    return rc;
}

ft3_reader *ft3_reader_open(ft_source *src, ft_error *err)
{
    ft3_reader *r = calloc(1, sizeof *r);
    if (!r) {
        ft_error_set(err, "%s: out of memory", ft_source_name(src));
        return NULL;
    }
    r->name = ft_source_name(src);
    r->c = ft_avro_container_open(src, err);
    if (!r->c)
        goto fail;
    size_t len;
    const char *json = ft_avro_container_schema(r->c, &len);
    if (resolve(r, json, len, err) < 0)
        goto fail;
    return r;
fail:
    ft3_reader_close(r);
    return NULL;
}

void ft3_reader_close(ft3_reader *r)
{
    if (!r)
        return;
    ft_avro_container_close(r->c);
    free(r);
}

uint64_t ft3_reader_block(const ft3_reader *r)
{
    return ft_avro_container_block(r->c);
}

static int rec_error(ft3_reader *r, ft_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int rec_error(ft3_reader *r, ft_error *err, const char *fmt, ...)
{
    char what[FT_ERRLEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    r->failed = 1;
    ft_avro_container_fail(r->c);
    return ft_error_set(err, "%s: block %llu: record %lld: %s", r->name,
                        (unsigned long long)ft3_reader_block(r),
                        (long long)(r->count - r->left + 1), what);
}

int ft3_reader_next(ft3_reader *r, ft3_record *rec, ft_error *err)
{
    if (r->failed)
        return ft_error_set(err, "%s: read after an error", r->name);
    if (r->left == 0) {
        int rc = ft_avro_container_next(r->c, &r->data, &r->len, &r->count, err);
        if (rc <= 0) {
            r->failed = rc < 0;
            return rc;
        }
        r->pos = 0;
        r->left = r->count;
    }
    int64_t v[F3_COUNT];
    for (int i = 0; i < F3_COUNT; i++) {
        int id = r->order[i];
        int64_t x;
        if (ft4_get_long(r->data, r->len, &r->pos, &x) < 0)
            return rec_error(r, err, "truncated");
        if (!f3[id].is_string) {
            if (x < f3[id].min || x > f3[id].max)
                return rec_error(r, err, "%s %lld out of range", f3[id].name,
                                 (long long)x);
            v[id] = x;
            continue;
        }
        if (x < 0 || (uint64_t)x > r->len - r->pos)
            return rec_error(r, err, "truncated");
        if (x > FT4_TAG_MAX)
            return rec_error(r, err, "%s longer than %d bytes", f3[id].name,
                             FT4_TAG_MAX);
        ft4_tag_set(&rec->tag[id - F3_MAXMIND_CONTINENT],
                    (const char *)r->data + r->pos, (size_t)x);
        r->pos += (size_t)x;
    }
    rec->time = v[F3_TIME];
    rec->src_ip = (uint32_t)v[F3_SRC_IP];
    rec->dst_ip = (uint32_t)v[F3_DST_IP];
    rec->src_port = (uint16_t)v[F3_SRC_PORT];
    rec->dst_port = (uint16_t)v[F3_DST_PORT];
    rec->protocol = (uint8_t)v[F3_PROTOCOL];
    rec->ttl = (uint8_t)v[F3_TTL];
    rec->tcp_flags = (uint8_t)v[F3_TCP_FLAGS];
    rec->ip_len = (uint16_t)v[F3_IP_LEN];
    rec->tcp_synlen = (int32_t)v[F3_TCP_SYNLEN];
    rec->tcp_synwinlen = (uint16_t)v[F3_TCP_SYNWINLEN];
    rec->packet_cnt = v[F3_PACKET_CNT];
    rec->is_spoofed = v[F3_IS_SPOOFED] != 0;
    rec->is_masscan = v[F3_IS_MASSCAN] != 0;
    rec->prefix2asn = v[F3_PREFIX2ASN];
    if (--r->left == 0 && r->pos != r->len) {
        r->failed = 1;
        ft_avro_container_fail(r->c);
        return ft_error_set(err, "%s: block %llu: %zu bytes left after the "
                            "last record", r->name,
                            (unsigned long long)ft3_reader_block(r),
                            r->len - r->pos);
    }
    return 1;
}
