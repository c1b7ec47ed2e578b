/* avro_schema.c - writer schema resolution into an ft4_plan (see
 * avro_schema.h).  avro-c parses the JSON; we only walk the record. */
#include "avro_schema.h"

#include <errno.h>

#include <avro.h>
#include <string.h>

static avro_schema_t unlink_schema(avro_schema_t s)
{
    for (int i = 0; i < 32 && s && is_avro_link(s); i++)
        s = avro_schema_link_target(s);
    return s;
}

static const char *type_name(avro_schema_t s)
{
    switch (avro_typeof(s)) {
    case AVRO_STRING: return "string";
    case AVRO_BYTES: return "bytes";
    case AVRO_INT32: return "int";
    case AVRO_INT64: return "long";
    case AVRO_FLOAT: return "float";
    case AVRO_DOUBLE: return "double";
    case AVRO_BOOLEAN: return "boolean";
    case AVRO_NULL: return "null";
    case AVRO_RECORD: return "record";
    case AVRO_ENUM: return "enum";
    case AVRO_FIXED: return "fixed";
    case AVRO_MAP: return "map";
    case AVRO_ARRAY: return "array";
    case AVRO_UNION: return "union";
    case AVRO_LINK: return "link";
    default: return "unknown";
    }
}

/* The op that reads writer type s into FT4 field id, or -1. */
static int op_for(int id, avro_schema_t s)
{
    avro_type_t t = avro_typeof(s);
    switch (ft4_fields[id].type) {
    case FT4_LONG: /* int promotes to long */
        return t == AVRO_INT64 || t == AVRO_INT32 ? FT4_OP_LONG : -1;
    case FT4_INT: /* long never demotes to int */
        return t == AVRO_INT32 ? FT4_OP_INT : -1;
    case FT4_STRING: /* bytes and string share an encoding */
        return t == AVRO_STRING || t == AVRO_BYTES ? FT4_OP_STRING : -1;
    case FT4_ARRAY: {
        if (t != AVRO_ARRAY)
            return -1;
        avro_type_t it = avro_typeof(unlink_schema(avro_schema_array_items(s)));
        return it == AVRO_INT64 || it == AVRO_INT32 ? FT4_OP_ARRAY : -1;
    }
    }
    return -1;
}

static int type_error(ft_error *err, const char *name, int id, avro_schema_t s)
{
    static const char *const want[] = {
        [FT4_LONG] = "long", [FT4_INT] = "int",
        [FT4_ARRAY] = "array of long", [FT4_STRING] = "string",
    };
    if (avro_typeof(s) == AVRO_ARRAY)
        return ft_error_set(err, "schema: field '%s' has type array of %s, "
                            "expected %s", name,
                            type_name(unlink_schema(avro_schema_array_items(s))),
                            want[ft4_fields[id].type]);
    return ft_error_set(err, "schema: field '%s' has type %s, expected %s",
                        name, type_name(s), want[ft4_fields[id].type]);
}

/* The fast decoder handles the canonical field order only. */
static int is_canonical(const ft4_plan *p)
{
    const ft4_plan *c = ft4_plan_canonical();
    int n = p->zero_spoof_masscan ? FT4_F_SPOOFED_PACKET_CNT : FT4_F_COUNT;
    if (p->nsteps != n)
        return 0;
    for (int i = 0; i < n; i++) {
        int op = p->step[i].op, cop = c->step[i].op;
        /* a promoted int read into a long field decodes the same way */
        if (p->step[i].field != c->step[i].field || op != cop)
            return 0;
    }
    return 1;
}

int ft4_plan_from_json(const char *json, size_t len, ft4_plan *out,
                       ft_error *err)
{
    avro_schema_t root;
    memset(out, 0, sizeof *out);
    /* Our own files (and any writer that copies our schema text) need no
     * parsing; this also keeps avro-c's parser, which does not survive an
     * allocation failure, off the path of every file fttools writes. */
    if (len == strlen(ft4_schema_json) && memcmp(json, ft4_schema_json, len) == 0) {
        *out = *ft4_plan_canonical();
        return 0;
    }
    errno = 0;
    if (avro_schema_from_json_length(json, len, &root) != 0) {
        if (errno == ENOMEM)
            return ft_error_set(err, "schema: out of memory");
        /* avro-c's messages may span lines; keep ours on one. */
        char msg[256];
        snprintf(msg, sizeof msg, "%s", avro_strerror());
        for (char *c = msg; *c; c++)
            if (*c == '\n' || *c == '\r')
                *c = ' ';
        size_t n = strlen(msg);
        while (n && msg[n - 1] == ' ')
            msg[--n] = '\0';
        return ft_error_set(err, "schema: cannot parse: %s", msg);
    }
    avro_schema_t s = unlink_schema(root);
    if (avro_typeof(s) != AVRO_RECORD) {
        ft_error_set(err, "schema: not a record but %s", type_name(s));
        goto fail;
    }
    size_t nf = avro_schema_record_size(s);
    if (nf > FT4_PLAN_MAX_STEPS) {
        ft_error_set(err, "schema: %zu fields, more than %d", nf,
                     FT4_PLAN_MAX_STEPS);
        goto fail;
    }
    const char *seen[FT4_F_COUNT] = {0};
    for (size_t i = 0; i < nf; i++) {
        const char *name = avro_schema_record_field_name(s, (int)i);
        avro_schema_t ft = avro_schema_record_field_get_by_index(s, (int)i);
        ft4_step *st = &out->step[out->nsteps++];
        int id = name ? ft4_field_lookup(name) : -1;
        if (id < 0) {
            st->op = FT4_OP_SKIP;
            st->field = -1;
            st->skip_schema = ft;
            continue;
        }
        if (seen[id]) {
            ft_error_set(err, "schema: field '%s' appears twice (as '%s')",
                         ft4_fields[id].name, name);
            goto fail;
        }
        seen[id] = name;
        avro_schema_t rt = unlink_schema(ft);
        int op = op_for(id, rt);
        if (op < 0) {
            type_error(err, name, id, rt);
            goto fail;
        }
        st->op = (uint8_t)op;
        st->field = (int8_t)id;
        st->skip_schema = NULL;
    }
    for (int id = 0; id < FT4_F_SPOOFED_PACKET_CNT; id++)
        if (!seen[id]) {
            ft_error_set(err, "schema: field '%s' missing", ft4_fields[id].name);
            goto fail;
        }
    int have_spoof = seen[FT4_F_SPOOFED_PACKET_CNT] != NULL;
    int have_masscan = seen[FT4_F_MASSCAN_PACKET_CNT] != NULL;
    if (have_spoof != have_masscan) {
        ft_error_set(err, "schema: field '%s' missing",
                     ft4_fields[have_spoof ? FT4_F_MASSCAN_PACKET_CNT
                                           : FT4_F_SPOOFED_PACKET_CNT].name);
        goto fail;
    }
    out->zero_spoof_masscan = !have_spoof;
    out->fast = (uint8_t)is_canonical(out);
    out->schema = root;
    return 0;
fail:
    avro_schema_decref(root);
    memset(out, 0, sizeof *out);
    return -1;
}

void ft4_plan_release(ft4_plan *p)
{
    if (!p)
        return;
    if (p->schema)
        avro_schema_decref((avro_schema_t)p->schema);
    p->schema = NULL;
    p->nsteps = 0;
}
