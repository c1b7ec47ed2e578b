/* avro_schema.c - Avro schema JSON into a type graph (jansson parses the
 * JSON), and writer schema resolution into an ft4_plan (see
 * avro_schema.h).  avro-c's schema parser is not used: it does not
 * survive an allocation failure. */
#include "avro_schema.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bounds that keep a hostile header cheap to parse (named types are
 * looked up linearly). */
#define MAX_NODES 4096

struct ft_avro_schema {
    ft_avro_type **node; /* every allocated node, named ones included */
    size_t n, cap;
    const ft_avro_type *root;
};

static const char *const kind_names[] = {
    [FT_AVRO_NULL] = "null", [FT_AVRO_BOOLEAN] = "boolean",
    [FT_AVRO_INT] = "int", [FT_AVRO_LONG] = "long",
    [FT_AVRO_FLOAT] = "float", [FT_AVRO_DOUBLE] = "double",
    [FT_AVRO_BYTES] = "bytes", [FT_AVRO_STRING] = "string",
    [FT_AVRO_RECORD] = "record", [FT_AVRO_ENUM] = "enum",
    [FT_AVRO_FIXED] = "fixed", [FT_AVRO_ARRAY] = "array",
    [FT_AVRO_MAP] = "map", [FT_AVRO_UNION] = "union",
};

/* The primitive types are shared constants: they need no allocation. */
static const ft_avro_type primitive[FT_AVRO_STRING + 1] = {
    {FT_AVRO_NULL, NULL, 0, NULL, NULL},
    {FT_AVRO_BOOLEAN, NULL, 0, NULL, NULL},
    {FT_AVRO_INT, NULL, 0, NULL, NULL},
    {FT_AVRO_LONG, NULL, 0, NULL, NULL},
    {FT_AVRO_FLOAT, NULL, 0, NULL, NULL},
    {FT_AVRO_DOUBLE, NULL, 0, NULL, NULL},
    {FT_AVRO_BYTES, NULL, 0, NULL, NULL},
    {FT_AVRO_STRING, NULL, 0, NULL, NULL},
};

const char *ft_avro_kind_name(enum ft_avro_kind k)
{
    return (unsigned)k < sizeof kind_names / sizeof *kind_names ? kind_names[k]
                                                                : "unknown";
}

typedef struct parser {
    ft_avro_schema *s;
    ft_error *err;
} parser;

static const ft_avro_type *bad(parser *p, const char *what, const char *name)
{
    ft_error_set(p->err, "schema: cannot parse: %s%s%s%s", what,
                 name ? " '" : "", name ? name : "", name ? "'" : "");
    return NULL;
}

static const ft_avro_type *oom(parser *p)
{
    ft_error_set(p->err, "schema: out of memory");
    return NULL;
}

/* A new node, owned by the schema (its arrays too). */
static ft_avro_type *new_node(parser *p, enum ft_avro_kind kind)
{
    ft_avro_schema *s = p->s;
    if (s->n >= MAX_NODES) {
        bad(p, "more than 4096 types", NULL);
        return NULL;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        ft_avro_type **n = realloc(s->node, cap * sizeof *n);
        if (!n) {
            oom(p);
            return NULL;
        }
        s->node = n;
        s->cap = cap;
    }
    ft_avro_type *t = calloc(1, sizeof *t);
    if (!t) {
        oom(p);
        return NULL;
    }
    t->kind = kind;
    s->node[s->n++] = t;
    return t;
}

static int primitive_kind(const char *name)
{
    for (int k = FT_AVRO_NULL; k <= FT_AVRO_STRING; k++)
        if (strcmp(name, kind_names[k]) == 0)
            return k;
    return -1;
}

/* [A-Za-z_][A-Za-z0-9_]* for each dotted part (dots: dotted 1, else 0). */
static int valid_name(const char *s, int dotted)
{
    int start = 1;
    for (; *s; s++) {
        char c = *s;
        if (c == '.' && dotted && !start) {
            start = 1;
            continue;
        }
        int alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
        if (!alpha && (start || c < '0' || c > '9'))
            return 0;
        start = 0;
    }
    return !start;
}

/* "ns.name", or name alone when it is dotted or there is no namespace. */
static char *join_name(const char *ns, const char *name)
{
    if (strchr(name, '.') || !ns || !*ns)
        return strdup(name);
    size_t a = strlen(ns), b = strlen(name);
    char *full = malloc(a + b + 2);
    if (full) {
        memcpy(full, ns, a);
        full[a] = '.';
        memcpy(full + a + 1, name, b + 1);
    }
    return full;
}

static const ft_avro_type *lookup(const ft_avro_schema *s, const char *full)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->node[i]->name && strcmp(s->node[i]->name, full) == 0)
            return s->node[i];
    return NULL;
}

/* A reference to a named type: full name, or relative to ns. */
static const ft_avro_type *reference(parser *p, const char *name, const char *ns)
{
    int k = primitive_kind(name);
    if (k >= 0)
        return &primitive[k];
    char *full = join_name(ns, name);
    if (!full)
        return oom(p);
    const ft_avro_type *t = lookup(p->s, full);
    free(full);
    if (!t)
        t = lookup(p->s, name);
    return t ? t : bad(p, "unknown type", name);
}

static const ft_avro_type *parse_type(parser *p, json_t *j, const char *ns);

/* The namespace part of a full name ("" when none): a new string. */
static char *namespace_of(const char *full)
{
    const char *dot = strrchr(full, '.');
    size_t n = dot ? (size_t)(dot - full) : 0;
    char *ns = malloc(n + 1);
    if (ns) {
        memcpy(ns, full, n);
        ns[n] = '\0';
    }
    return ns;
}

/* Defines the named type t from object j ("name", "namespace"); returns
 * its namespace for nested definitions (a new string), or NULL. */
static char *define_name(parser *p, ft_avro_type *t, json_t *j, const char *ns)
{
    json_t *jn = json_object_get(j, "name");
    json_t *jns = json_object_get(j, "namespace");
    const char *name = json_string_value(jn);
    if (!name || !valid_name(name, 1)) {
        bad(p, name ? "bad name" : "named type without a name", name);
        return NULL;
    }
    if (jns && !json_is_null(jns)) {
        const char *v = json_string_value(jns);
        if (!v || (*v && !valid_name(v, 1))) {
            bad(p, "bad namespace", v);
            return NULL;
        }
        ns = v;
    }
    char *full = join_name(ns, name);
    if (!full) {
        oom(p);
        return NULL;
    }
    if (lookup(p->s, full)) {
        bad(p, "type defined twice:", full);
        free(full);
        return NULL;
    }
    t->name = full;
    char *own = namespace_of(full);
    if (!own)
        oom(p);
    return own;
}

/* A named type without members (enum, fixed), defined from object j. */
static ft_avro_type *named_leaf(parser *p, enum ft_avro_kind kind, json_t *j,
                                const char *ns)
{
    ft_avro_type *t = new_node(p, kind);
    if (!t)
        return NULL;
    char *own = define_name(p, t, j, ns);
    if (!own)
        return NULL;
    free(own);
    return t;
}

static const ft_avro_type *parse_record(parser *p, json_t *j, const char *ns)
{
    json_t *fields = json_object_get(j, "fields");
    if (!json_is_array(fields))
        return bad(p, "record without a \"fields\" array", NULL);
    ft_avro_type *t = new_node(p, FT_AVRO_RECORD);
    if (!t)
        return NULL;
    char *own = define_name(p, t, j, ns);
    if (!own)
        return NULL;
    size_t n = json_array_size(fields);
    const ft_avro_type **sub = calloc(n ? n : 1, sizeof *sub);
    const char **names = calloc(n ? n : 1, sizeof *names);
    t->sub = sub;
    t->field = names;
    t->n = n; /* the whole table, so that freeing finds every name */
    if (!sub || !names) {
        t->n = 0;
        free(own);
        return oom(p);
    }
    const ft_avro_type *rc = t;
    for (size_t i = 0; i < n && rc; i++) {
        json_t *f = json_array_get(fields, i);
        const char *name = json_string_value(json_object_get(f, "name"));
        json_t *ft = json_object_get(f, "type");
        if (!name || !valid_name(name, 0))
            rc = bad(p, name ? "bad field name" : "field without a name", name);
        else if (!ft)
            rc = bad(p, "field without a type:", name);
        else if (!(names[i] = strdup(name)))
            rc = oom(p);
        else if (!(sub[i] = parse_type(p, ft, own)))
            rc = NULL;
    }
    free(own);
    return rc;
}

static const ft_avro_type *parse_object(parser *p, json_t *j, const char *ns)
{
    json_t *jt = json_object_get(j, "type");
    if (!jt)
        return bad(p, "object without a \"type\"", NULL);
    if (!json_is_string(jt)) /* {"type": {...}} or {"type": [...]} */
        return parse_type(p, jt, ns);
    const char *type = json_string_value(jt);
    if (strcmp(type, "record") == 0 || strcmp(type, "error") == 0)
        return parse_record(p, j, ns);
    if (strcmp(type, "enum") == 0) {
        json_t *sym = json_object_get(j, "symbols");
        if (!json_is_array(sym))
            return bad(p, "enum without a \"symbols\" array", NULL);
        for (size_t i = 0; i < json_array_size(sym); i++)
            if (!json_is_string(json_array_get(sym, i)))
                return bad(p, "enum symbol not a string", NULL);
        ft_avro_type *t = named_leaf(p, FT_AVRO_ENUM, j, ns);
        if (t)
            t->n = json_array_size(sym);
        return t;
    }
    if (strcmp(type, "fixed") == 0) {
        json_t *size = json_object_get(j, "size");
        if (!json_is_integer(size) || json_integer_value(size) < 0)
            return bad(p, "fixed without a \"size\"", NULL);
        ft_avro_type *t = named_leaf(p, FT_AVRO_FIXED, j, ns);
        if (t)
            t->n = (size_t)json_integer_value(size);
        return t;
    }
    if (strcmp(type, "array") == 0 || strcmp(type, "map") == 0) {
        int array = type[0] == 'a';
        json_t *items = json_object_get(j, array ? "items" : "values");
        if (!items)
            return bad(p, array ? "array without \"items\"" : "map without \"values\"",
                       NULL);
        ft_avro_type *t = new_node(p, array ? FT_AVRO_ARRAY : FT_AVRO_MAP);
        if (!t)
            return NULL;
        const ft_avro_type **sub = calloc(1, sizeof *sub);
        if (!sub)
            return oom(p);
        t->sub = sub;
        if (!(sub[0] = parse_type(p, items, ns)))
            return NULL;
        t->n = 1;
        return t;
    }
    return reference(p, type, ns); /* a primitive, or {"type": "Named"} */
}

static const ft_avro_type *parse_type(parser *p, json_t *j, const char *ns)
{
    if (json_is_string(j))
        return reference(p, json_string_value(j), ns);
    if (json_is_object(j))
        return parse_object(p, j, ns);
    if (!json_is_array(j))
        return bad(p, "a type must be a name, an object or an array", NULL);
    size_t n = json_array_size(j);
    if (n == 0)
        return bad(p, "empty union", NULL);
    ft_avro_type *t = new_node(p, FT_AVRO_UNION);
    if (!t)
        return NULL;
    const ft_avro_type **sub = calloc(n, sizeof *sub);
    if (!sub)
        return oom(p);
    t->sub = sub;
    for (size_t i = 0; i < n; i++) {
        if (!(sub[i] = parse_type(p, json_array_get(j, i), ns)))
            return NULL;
        if (sub[i]->kind == FT_AVRO_UNION)
            return bad(p, "union inside a union", NULL);
    }
    t->n = n;
    return t;
}

void ft_avro_schema_free(ft_avro_schema *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        ft_avro_type *t = s->node[i];
        if (t->kind == FT_AVRO_RECORD && t->field)
            for (size_t f = 0; f < t->n; f++)
                free((char *)t->field[f]);
        free((void *)t->field);
        free((void *)t->sub);
        free((char *)t->name);
        free(t);
    }
    free(s->node);
    free(s);
}

/*
 * jansson 2.14 does not survive an allocation failure inside its lexer
 * (jansson issue #362: lex_save() drops strbuffer_append_byte()'s failure,
 * and the lexer then asserts or reads past its buffer).  So the JSON is
 * parsed out of one block allocated beforehand, through allocation hooks
 * that serve this thread's arena while it parses and pass everything else
 * (other threads, other jansson users) to malloc and free.  The block is
 * ARENA_PER_BYTE times the text: jansson 2.14 measured at most 112 bytes
 * per byte of text (nested empty arrays; lists of empty objects 75); a
 * larger text or an exhausted arena falls back to malloc.
 */
#define ARENA_PER_BYTE 128
#define ARENA_MAX (16u << 20)

typedef struct arena {
    char *base;
    size_t used, cap;
} arena;

static _Thread_local arena *cur_arena;

static void *hook_malloc(size_t n)
{
    arena *a = cur_arena;
    n = (n + 15) & ~(size_t)15;
    if (!a || n == 0 || n > a->cap - a->used)
        return malloc(n);
    void *p = a->base + a->used;
    a->used += n;
    return p;
}

static void hook_free(void *p)
{
    arena *a = cur_arena;
    if (a && (char *)p >= a->base && (char *)p < a->base + a->cap)
        return; /* freed with the arena */
    free(p);
}

static pthread_once_t hooks_once = PTHREAD_ONCE_INIT;
static void install_hooks(void) { json_set_alloc_funcs(hook_malloc, hook_free); }

ft_avro_schema *ft_avro_schema_parse(const char *json, size_t len,
                                     ft_error *err)
{
    arena a = {NULL, 0, 0};
    if (len < ARENA_MAX / ARENA_PER_BYTE) {
        a.cap = len * ARENA_PER_BYTE + 4096;
        if (!(a.base = malloc(a.cap))) {
            ft_error_set(err, "schema: out of memory");
            return NULL;
        }
    }
    pthread_once(&hooks_once, install_hooks);
    json_error_t je;
    errno = 0;
    cur_arena = a.base ? &a : NULL;
    json_t *j = json_loadb(json, len, JSON_DECODE_ANY, &je);
    if (!j) {
        cur_arena = NULL;
        free(a.base);
        if (json_error_code(&je) == json_error_out_of_memory || errno == ENOMEM)
            ft_error_set(err, "schema: out of memory");
        else
            ft_error_set(err, "schema: cannot parse: %s (line %d, column %d)",
                         je.text, je.line, je.column);
        return NULL;
    }
    ft_avro_schema *s = calloc(1, sizeof *s);
    if (!s) {
        json_decref(j);
        cur_arena = NULL;
        free(a.base);
        ft_error_set(err, "schema: out of memory");
        return NULL;
    }
    parser p = {s, err};
    s->root = parse_type(&p, j, NULL);
    json_decref(j);
    cur_arena = NULL;
    free(a.base);
    if (!s->root) {
        ft_avro_schema_free(s);
        return NULL;
    }
    return s;
}

const ft_avro_type *ft_avro_schema_root(const ft_avro_schema *s)
{
    return s->root;
}

/* ---- resolution against FT4 ---- */

static int is_number(const ft_avro_type *t)
{
    return t->kind == FT_AVRO_LONG || t->kind == FT_AVRO_INT;
}

/* The op that reads writer type t into FT4 field id, or -1. */
static int op_for(int id, const ft_avro_type *t)
{
    switch (ft4_fields[id].type) {
    case FT4_LONG: /* int promotes to long */
        return is_number(t) ? FT4_OP_LONG : -1;
    case FT4_INT: /* long never demotes to int */
        return t->kind == FT_AVRO_INT ? FT4_OP_INT : -1;
    case FT4_STRING: /* bytes and string share an encoding */
        return t->kind == FT_AVRO_STRING || t->kind == FT_AVRO_BYTES
                   ? FT4_OP_STRING : -1;
    case FT4_ARRAY:
        return t->kind == FT_AVRO_ARRAY && is_number(t->sub[0]) ? FT4_OP_ARRAY
                                                                : -1;
    }
    return -1;
}

static int type_error(ft_error *err, const char *name, int id,
                      const ft_avro_type *t)
{
    static const char *const want[] = {
        [FT4_LONG] = "long", [FT4_INT] = "int",
        [FT4_ARRAY] = "array of long", [FT4_STRING] = "string",
    };
    if (t->kind == FT_AVRO_ARRAY)
        return ft_error_set(err, "schema: field '%s' has type array of %s, "
                            "expected %s", name, ft_avro_kind_name(t->sub[0]->kind),
                            want[ft4_fields[id].type]);
    return ft_error_set(err, "schema: field '%s' has type %s, expected %s",
                        name, ft_avro_kind_name(t->kind), want[ft4_fields[id].type]);
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
    memset(out, 0, sizeof *out);
    /* Our own files (and any writer that copies our schema text) need no
     * parsing. */
    if (len == strlen(ft4_schema_json) && memcmp(json, ft4_schema_json, len) == 0) {
        *out = *ft4_plan_canonical();
        return 0;
    }
    ft_avro_schema *schema = ft_avro_schema_parse(json, len, err);
    if (!schema)
        return -1;
    const ft_avro_type *s = schema->root;
    if (s->kind != FT_AVRO_RECORD) {
        ft_error_set(err, "schema: not a record but %s", ft_avro_kind_name(s->kind));
        goto fail;
    }
    if (s->n > FT4_PLAN_MAX_STEPS) {
        ft_error_set(err, "schema: %zu fields, more than %d", s->n,
                     FT4_PLAN_MAX_STEPS);
        goto fail;
    }
    const char *seen[FT4_F_COUNT] = {0};
    for (size_t i = 0; i < s->n; i++) {
        const char *name = s->field[i];
        const ft_avro_type *ft = s->sub[i];
        ft4_step *st = &out->step[out->nsteps++];
        int id = ft4_field_lookup(name);
        if (id < 0) {
            st->op = FT4_OP_SKIP;
            st->field = -1;
            st->skip_schema = (void *)ft; /* const ft_avro_type */
            continue;
        }
        if (seen[id]) {
            ft_error_set(err, "schema: field '%s' appears twice (as '%s')",
                         ft4_fields[id].name, name);
            goto fail;
        }
        seen[id] = name;
        int op = op_for(id, ft);
        if (op < 0) {
            type_error(err, name, id, ft);
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
    out->schema = schema;
    return 0;
fail:
    ft_avro_schema_free(schema);
    memset(out, 0, sizeof *out);
    return -1;
}

void ft4_plan_release(ft4_plan *p)
{
    if (!p)
        return;
    ft_avro_schema_free(p->schema);
    p->schema = NULL;
    p->nsteps = 0;
}
