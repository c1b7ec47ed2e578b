/*
 * avro_reader.c - FT4 records from an Avro object container file (see
 * avro_reader.h).  The container layer (header, codecs, block checks) is
 * avro_container.c; here the writer schema is resolved into a decode plan
 * and each block's records are decoded straight from the container's
 * buffer into the caller's record (datum.c): nothing is allocated per
 * record.  A block must hold exactly `count` records filling exactly its
 * bytes.
 */
#include "avro_reader.h"

#include <stdlib.h>

#include "avro_container.h"

struct ft_avro_reader {
    ft_avro_container *c;
    const char *name;
    ft4_plan plan;
    uint32_t fields;      /* what ft4_decode_fields stores */
    int64_t count;        /* records in the current block */
    int64_t left;         /* records of it still to decode */
    const uint8_t *data;  /* records of the current block */
    size_t len, pos;
    size_t last;          /* where the record returned last starts */
    int copy;             /* ft_avro_reader_set_copy */
    int canonical;        /* the record returned last may be copied */
    int failed;
};

ft_avro_reader *ft_avro_reader_open(ft_source *src, ft_error *err)
{
    ft_avro_reader *r = calloc(1, sizeof *r);
    if (!r) {
        ft_error_set(err, "%s: out of memory", ft_source_name(src));
        return NULL;
    }
    r->name = ft_source_name(src);
    r->fields = FT4_FIELDS_ALL;
    r->c = ft_avro_container_open(src, err);
    if (!r->c)
        goto fail;
    size_t len;
    const char *schema = ft_avro_container_schema(r->c, &len);
    if (ft4_plan_from_json(schema, len, &r->plan, err) < 0) {
        ft_error_prefix(err, "%s", r->name);
        goto fail;
    }
    return r;
fail:
    ft_avro_reader_close(r);
    return NULL;
}

void ft_avro_reader_set_fields(ft_avro_reader *r, uint32_t fields)
{
    r->fields = fields;
}

void ft_avro_reader_close(ft_avro_reader *r)
{
    if (!r)
        return;
    ft4_plan_release(&r->plan);
    ft_avro_container_close(r->c);
    free(r);
}

/* Reads the next block. 1 = a block with records, 0 = end of file. */
static int next_block(ft_avro_reader *r, ft_error *err)
{
    int rc = ft_avro_container_next(r->c, &r->data, &r->len, &r->count, err);
    if (rc < 0)
        r->failed = 1;
    if (rc <= 0)
        return rc;
    r->pos = 0;
    r->left = r->count;
    return 1;
}

int ft_avro_reader_next(ft_avro_reader *r, ft4_record *rec, ft_error *err)
{
    if (r->failed)
        return ft_error_set(err, "%s: read after an error", r->name);
    if (r->left == 0) {
        int rc = next_block(r, err);
        if (rc <= 0)
            return rc;
    }
    const char *why = "corrupt record";
    r->last = r->pos;
    if ((r->copy ? ft4_decode_for_copy(&r->plan, r->fields, r->data, r->len,
                                       &r->pos, rec, &r->canonical, &why)
                 : ft4_decode_fields(&r->plan, r->fields, r->data, r->len,
                                     &r->pos, rec, &why)) < 0) {
        r->failed = 1;
        return ft_error_set(err, "%s: block %llu: record %lld: %s", r->name,
                            (unsigned long long)ft_avro_container_block(r->c),
                            (long long)(r->count - r->left + 1), why);
    }
    if (--r->left == 0 && r->pos != r->len) {
        r->failed = 1;
        return ft_error_set(err, "%s: block %llu: %zu bytes left after the "
                            "last record", r->name,
                            (unsigned long long)ft_avro_container_block(r->c),
                            r->len - r->pos);
    }
    return 1;
}

int ft_avro_reader_is_ft4(const ft_avro_reader *r)
{
    return ft4_plan_is_ft4(&r->plan);
}

void ft_avro_reader_set_copy(ft_avro_reader *r)
{
    r->copy = ft4_plan_is_ft4(&r->plan);
}

const uint8_t *ft_avro_reader_encoded(const ft_avro_reader *r, size_t *len)
{
    if (!r->copy || !r->canonical || r->failed)
        return NULL;
    *len = r->pos - r->last;
    return r->data + r->last;
}
