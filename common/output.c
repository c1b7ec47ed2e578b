/* output.c - format selection and record printing (see output.h). */
#include "output.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "framed.h"
#include "parse.h"
#include "sink.h"

const char ft_output_help[] =
    "Output:\n"
    "  -F, --format FMT      avro, framed, text, csv or json (default: text on a\n"
    "                        terminal, else framed; avro when -w ends in .avro)\n"
    "  -w, --write FILE      write to FILE (appears only when complete; default stdout)\n"
    "      --fields LIST     text/csv/json: these fields, in this order (a,b,c)\n"
    "      --ip-format F     dotted (default) or int\n"
    "      --time-format F   epoch (default) or iso\n"
    "      --no-header       text/csv: no header line\n"
    "      --codec C         avro: deflate (default), null or snappy\n"
    "      --level N         avro deflate level 0-9 (default 6)\n"
    "      --block-size N    avro: uncompressed bytes per block (default 64K)\n";

void ft_output_opts_init(ft_output_opts *o)
{
    memset(o, 0, sizeof *o);
    ft_avro_opts d = FT_AVRO_OPTS_DEFAULT;
    o->avro = d;
}

int ft_output_parse_opt(ft_output_opts *o, int opt, const char *arg,
                        ft_error *err)
{
    int64_t v;
    uint64_t u;
    switch (opt) {
    case 'F':
        if (strcmp(arg, "avro") == 0)
            o->format = FT_FMT_AVRO;
        else if (strcmp(arg, "framed") == 0)
            o->format = FT_FMT_FRAMED;
        else if (strcmp(arg, "text") == 0)
            o->format = FT_FMT_TEXT;
        else if (strcmp(arg, "csv") == 0)
            o->format = FT_FMT_CSV;
        else if (strcmp(arg, "json") == 0)
            o->format = FT_FMT_JSON;
        else
            return ft_error_set(err, "--format: '%s': use avro, framed, text, csv or json", arg);
        return 1;
    case 'w':
        o->path = arg;
        return 1;
    case FT_OPT_FIELDS:
        if (ft4_parse_field_list(arg, o->fields, &o->nfields, err) < 0)
            return ft_error_prefix(err, "--fields");
        return 1;
    case FT_OPT_IP_FORMAT:
        if (strcmp(arg, "dotted") == 0)
            o->ip_int = 0;
        else if (strcmp(arg, "int") == 0)
            o->ip_int = 1;
        else
            return ft_error_set(err, "--ip-format: '%s': use dotted or int", arg);
        return 1;
    case FT_OPT_TIME_FORMAT:
        if (strcmp(arg, "epoch") == 0)
            o->time_iso = 0;
        else if (strcmp(arg, "iso") == 0)
            o->time_iso = 1;
        else
            return ft_error_set(err, "--time-format: '%s': use epoch or iso", arg);
        return 1;
    case FT_OPT_NO_HEADER:
        o->no_header = 1;
        return 1;
    case FT_OPT_CODEC:
        if (ft_codec_parse(arg, &o->avro.codec) < 0)
            return ft_error_set(err, "--codec: '%s': use deflate, null or snappy", arg);
        return 1;
    case FT_OPT_LEVEL:
        if (ft_parse_int(arg, 0, 9, &v, err) < 0)
            return ft_error_prefix(err, "--level");
        o->avro.level = (int)v;
        return 1;
    case FT_OPT_BLOCK_SIZE:
        if (ft_parse_size(arg, 1024, 64u << 20, &u, err) < 0)
            return ft_error_prefix(err, "--block-size");
        o->avro.block_bytes = (size_t)u;
        return 1;
    }
    return 0;
}

struct ft_output {
    ft_output_opts o;
    enum ft_format fmt;
    ft_sink *sink;
    ft_avro_writer *avro;
    ft_framed_writer *framed;
    int header_done;
    uint64_t records;
    char line[FT4_F_COUNT * (FT_VALUE_MAX + 4)];
};

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

ft_output *ft_output_open(const ft_output_opts *o, ft_error *err)
{
    ft_output *out = calloc(1, sizeof *out);
    if (!out) {
        ft_error_set(err, "out of memory");
        return NULL;
    }
    out->o = *o;
    if (out->o.nfields == 0) {
        for (int i = 0; i < FT4_F_COUNT; i++)
            out->o.fields[i] = i;
        out->o.nfields = FT4_F_COUNT;
    }
    int to_stdout = !o->path || strcmp(o->path, "-") == 0;
    out->sink = ft_sink_open(o->path, o->mkdirs, err);
    if (!out->sink)
        goto fail;
    out->fmt = o->format;
    if (out->fmt == FT_FMT_AUTO) {
        if (!to_stdout && (ends_with(o->path, ".avro")))
            out->fmt = FT_FMT_AVRO;
        else if (to_stdout && ft_sink_is_tty(out->sink))
            out->fmt = FT_FMT_TEXT;
        else
            out->fmt = FT_FMT_FRAMED;
    }
    if ((out->fmt == FT_FMT_AVRO || out->fmt == FT_FMT_FRAMED) &&
        ft_sink_is_tty(out->sink)) {
        ft_error_set(err, "will not write binary data to a terminal "
                     "(use -w FILE, a pipe, or -F text)");
        goto fail;
    }
    if (out->fmt == FT_FMT_AVRO) {
        out->avro = ft_avro_writer_open(out->sink, &o->avro, err);
        if (!out->avro)
            goto fail;
    } else if (out->fmt == FT_FMT_FRAMED) {
        out->framed = ft_framed_writer_open(out->sink, err);
        if (!out->framed)
            goto fail;
    }
    return out;
fail:
    ft_output_abort(out);
    return NULL;
}

static size_t fmt_array(const ft4_array *a, char *buf)
{
    size_t n = 0;
    buf[n++] = '[';
    for (uint32_t i = 0; i < a->n; i++) {
        if (i)
            buf[n++] = ',';
        n += (size_t)sprintf(buf + n, "%" PRId64, a->v[i]);
    }
    buf[n++] = ']';
    buf[n] = '\0';
    return n;
}

static size_t fmt_json_string(const ft4_tag *t, char *buf)
{
    size_t n = 0;
    buf[n++] = '"';
    for (uint8_t i = 0; i < t->len; i++) {
        unsigned char c = (unsigned char)t->s[i];
        if (c == '"' || c == '\\') {
            buf[n++] = '\\';
            buf[n++] = (char)c;
        } else if (c < 0x20 || c >= 0x7f) {
            n += (size_t)sprintf(buf + n, "\\u%04x", c);
        } else {
            buf[n++] = (char)c;
        }
    }
    buf[n++] = '"';
    buf[n] = '\0';
    return n;
}

size_t ft_format_value(const ft4_record *r, int field, const ft_output_opts *o,
                       int json, char *buf)
{
    const ft4_field *f = &ft4_fields[field];
    switch (f->kind) {
    case FT4_K_ADDR: {
        int64_t v = ft4_get_int(r, field);
        if (!o->ip_int && v >= 0 && v <= UINT32_MAX) {
            char ip[16];
            ft_format_ipv4((uint32_t)v, ip);
            return (size_t)sprintf(buf, json ? "\"%s\"" : "%s", ip);
        }
        return (size_t)sprintf(buf, "%" PRId64, v);
    }
    case FT4_K_TIME:
        if (o->time_iso) {
            char t[32];
            ft_format_time_iso(ft4_get_int(r, field), t);
            return (size_t)sprintf(buf, json ? "\"%s\"" : "%s", t);
        }
        return (size_t)sprintf(buf, "%" PRId64, ft4_get_int(r, field));
    case FT4_K_NUMBER:
        return (size_t)sprintf(buf, "%" PRId64, ft4_get_int(r, field));
    case FT4_K_LIST:
        return fmt_array(ft4_get_array(r, field), buf);
    case FT4_K_TAG: {
        const ft4_tag *t = ft4_get_tag(r, field);
        if (json)
            return fmt_json_string(t, buf);
        memcpy(buf, t->s, t->len);
        buf[t->len] = '\0';
        return t->len;
    }
    }
    buf[0] = '\0';
    return 0;
}

static int col_width(const ft_output *out, int i)
{
    const ft4_field *f = &ft4_fields[out->o.fields[i]];
    int w = f->width;
    int nl = (int)strlen(f->name);
    if (f->kind == FT4_K_TIME && out->o.time_iso && w < 20)
        w = 20;
    return nl > w ? nl : w;
}

/* Text columns are left-aligned and padded; the last is not padded. */
static size_t pad(char *line, size_t n, size_t start, int width, int last)
{
    if (last)
        return n;
    size_t used = n - start;
    while (used < (size_t)width) {
        line[n++] = ' ';
        used++;
    }
    line[n++] = ' ';
    return n;
}

static int write_header(ft_output *out, ft_error *err)
{
    size_t n = 0;
    char *line = out->line;
    for (int i = 0; i < out->o.nfields; i++) {
        const char *name = ft4_fields[out->o.fields[i]].name;
        size_t start = n;
        if (out->fmt == FT_FMT_CSV && i)
            line[n++] = ',';
        size_t l = strlen(name);
        memcpy(line + n, name, l);
        n += l;
        if (out->fmt == FT_FMT_TEXT)
            n = pad(line, n, start, col_width(out, i), i == out->o.nfields - 1);
    }
    line[n++] = '\n';
    return ft_sink_write(out->sink, line, n, err);
}

static int put_text(ft_output *out, const ft4_record *r, ft_error *err)
{
    char *line = out->line;
    size_t n = 0;
    int csv = out->fmt == FT_FMT_CSV, json = out->fmt == FT_FMT_JSON;
    if (!out->header_done) {
        out->header_done = 1;
        if (!json && !out->o.no_header && write_header(out, err) < 0)
            return -1;
    }
    if (json)
        line[n++] = '{';
    for (int i = 0; i < out->o.nfields; i++) {
        int f = out->o.fields[i];
        size_t start = n;
        if (json) {
            if (i)
                line[n++] = ',';
            n += (size_t)sprintf(line + n, "\"%s\":", ft4_fields[f].name);
            n += ft_format_value(r, f, &out->o, 1, line + n);
        } else if (csv) {
            if (i)
                line[n++] = ',';
            int quote = ft4_fields[f].kind == FT4_K_LIST;
            if (ft4_fields[f].kind == FT4_K_TAG) {
                const ft4_tag *t = ft4_get_tag(r, f);
                quote = strpbrk(t->s, ",\"\n\r") != NULL;
            }
            if (quote) {
                char v[FT_VALUE_MAX];
                size_t l = ft_format_value(r, f, &out->o, 0, v);
                line[n++] = '"';
                for (size_t k = 0; k < l; k++) {
                    if (v[k] == '"')
                        line[n++] = '"';
                    line[n++] = v[k];
                }
                line[n++] = '"';
            } else {
                n += ft_format_value(r, f, &out->o, 0, line + n);
            }
        } else {
            n += ft_format_value(r, f, &out->o, 0, line + n);
            n = pad(line, n, start, col_width(out, i), i == out->o.nfields - 1);
        }
    }
    if (json)
        line[n++] = '}';
    line[n++] = '\n';
    return ft_sink_write(out->sink, line, n, err);
}

int ft_output_put(ft_output *out, const ft4_record *r, ft_error *err)
{
    int rc;
    if (out->avro)
        rc = ft_avro_writer_put(out->avro, r, err);
    else if (out->framed)
        rc = ft_framed_writer_put(out->framed, r, err);
    else
        rc = put_text(out, r, err);
    if (rc == 0)
        out->records++;
    return rc;
}

int ft_output_copies_encoded(const ft_output *out)
{
    return out->avro || out->framed;
}

int ft_output_put_encoded(ft_output *out, const uint8_t *rec, size_t n,
                          ft_error *err)
{
    int rc;
    if (out->avro)
        rc = ft_avro_writer_put_encoded(out->avro, rec, n, err);
    else if (out->framed)
        rc = ft_framed_writer_put_encoded(out->framed, rec, n, err);
    else
        rc = ft_error_set(err, "%s: encoded records cannot be copied into text",
                          ft_sink_name(out->sink));
    if (rc == 0)
        out->records++;
    return rc;
}

int ft_output_flush(ft_output *out, ft_error *err)
{
    if (out->framed && ft_framed_writer_flush(out->framed, err) < 0)
        return -1;
    return ft_sink_flush(out->sink, err);
}

int ft_output_close(ft_output *out, ft_error *err)
{
    if (!out)
        return 0;
    int rc = 0;
    if (out->avro) {
        rc = ft_avro_writer_close(out->avro, err);
        out->avro = NULL;
    } else if (out->framed) {
        rc = ft_framed_writer_close(out->framed, err);
        out->framed = NULL;
    } else if (!out->header_done && out->fmt != FT_FMT_JSON && !out->o.no_header) {
        /* An empty table still gets its header, like an empty file. */
        rc = write_header(out, err);
    }
    if (rc < 0) {
        ft_output_abort(out);
        return -1;
    }
    rc = ft_sink_commit(out->sink, err);
    out->sink = NULL;
    free(out);
    return rc;
}

void ft_output_abort(ft_output *out)
{
    if (!out)
        return;
    ft_avro_writer_free(out->avro);
    ft_framed_writer_free(out->framed);
    ft_sink_abort(out->sink);
    free(out);
}

enum ft_format ft_output_format(const ft_output *out) { return out->fmt; }
uint64_t ft_output_records(const ft_output *out) { return out->records; }
const char *ft_output_temp_path(const ft_output *out)
{
    return ft_sink_temp_path(out->sink);
}

int ft_expand_template(const char *tmpl, int64_t start, char *buf, size_t cap)
{
    char fmt[4096], secs[24];
    size_t k = (size_t)snprintf(secs, sizeof secs, "%lld", (long long)start);
    size_t n = 0;
    for (const char *p = tmpl; *p; p++) {
        int is_s = p[0] == '%' && p[1] == 's';
        size_t add = is_s ? k : (p[0] == '%' && p[1] ? 2 : 1);
        if (n + add >= sizeof fmt)
            return -1;
        memcpy(fmt + n, is_s ? secs : p, add);
        n += add;
        p += is_s || add == 2;
    }
    fmt[n] = '\0';
    time_t t = (time_t)start;
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        return -1;
    return strftime(buf, cap, fmt, &tm) == 0 && fmt[0] ? -1 : 0;
}
