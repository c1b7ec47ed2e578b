/*
 * output.h - the one output layer: every tool that writes records writes
 * them through this, so -F/--format, -w/--write, --fields, --ip-format,
 * --time-format, --codec, --level and --block-size mean the same in every
 * tool.
 *
 * Default format: text when the destination is a terminal, otherwise the
 * framed stream, except that "-w NAME.avro" means Avro.  Binary formats
 * are never written to a terminal.  A file named with -w appears only when
 * complete (sink.h).
 *
 * Ownership: ft_output_close() commits and frees; ft_output_abort()
 * removes any temporary file and frees.  Both accept NULL.
 */
#ifndef FT_OUTPUT_H
#define FT_OUTPUT_H

#include <getopt.h>
#include <stdint.h>

#include "avro_writer.h"
#include "error.h"
#include "ft4.h"

enum ft_format {
    FT_FMT_AUTO, FT_FMT_AVRO, FT_FMT_FRAMED, FT_FMT_TEXT, FT_FMT_CSV,
    FT_FMT_JSON
};

typedef struct ft_output_opts {
    enum ft_format format;
    const char *path;   /* NULL or "-" = stdout */
    int ip_int;         /* addresses as integers instead of dotted */
    int time_iso;       /* time as ISO-8601 instead of epoch */
    int no_header;      /* text/csv: omit the header line */
    int nfields;        /* 0 = every field in schema order */
    int fields[FT4_F_COUNT];
    ft_avro_opts avro;
    int mkdirs;         /* create missing directories for path */
} ft_output_opts;

void ft_output_opts_init(ft_output_opts *o);

/* Long-option values for the shared output options (short: F, w). */
enum {
    FT_OPT_FIELDS = 0x1000, FT_OPT_IP_FORMAT, FT_OPT_TIME_FORMAT,
    FT_OPT_CODEC, FT_OPT_LEVEL, FT_OPT_BLOCK_SIZE, FT_OPT_NO_HEADER,
    FT_OPT_OUTPUT_LAST
};

#define FT_OUTPUT_LONGOPTS                                       \
    {"format", required_argument, NULL, 'F'},                    \
    {"write", required_argument, NULL, 'w'},                     \
    {"fields", required_argument, NULL, FT_OPT_FIELDS},          \
    {"ip-format", required_argument, NULL, FT_OPT_IP_FORMAT},    \
    {"time-format", required_argument, NULL, FT_OPT_TIME_FORMAT},\
    {"codec", required_argument, NULL, FT_OPT_CODEC},            \
    {"level", required_argument, NULL, FT_OPT_LEVEL},            \
    {"block-size", required_argument, NULL, FT_OPT_BLOCK_SIZE},  \
    {"no-header", no_argument, NULL, FT_OPT_NO_HEADER}

/* Text for --help describing the shared output options. */
extern const char ft_output_help[];

/* Handles one getopt result if it is a shared output option.  Returns 1
 * when handled, 0 when opt is not an output option, -1 on a bad value. */
int ft_output_parse_opt(ft_output_opts *o, int opt, const char *arg,
                        ft_error *err);

typedef struct ft_output ft_output;

ft_output *ft_output_open(const ft_output_opts *o, ft_error *err);
int ft_output_put(ft_output *out, const ft4_record *r, ft_error *err);
/* 1 when out writes records in FT4's Avro binary encoding (Avro or framed
 * output), so that ft_output_put_encoded copies their bytes. */
int ft_output_copies_encoded(const ft_output *out);
/* Writes the record whose n bytes in FT4's schema are rec, as
 * ft_reader_encoded gives them (exactly what ft4_encode writes for it),
 * by copying them: for outputs where ft_output_copies_encoded() is 1
 * (an error otherwise). */
int ft_output_put_encoded(ft_output *out, const uint8_t *rec, size_t n,
                          ft_error *err);
/* Pushes buffered output now (for live streams). */
int ft_output_flush(ft_output *out, ft_error *err);
int ft_output_close(ft_output *out, ft_error *err);
void ft_output_abort(ft_output *out);
enum ft_format ft_output_format(const ft_output *out);
uint64_t ft_output_records(const ft_output *out);
/* The temporary file being written (NULL for stdout). */
const char *ft_output_temp_path(const ft_output *out);

/* Expands a per-interval file template for an interval start: strftime
 * conversions in UTC, plus %s for the start in Unix seconds (glibc's own
 * %s would read the broken-down time as local time) and %% for a percent
 * sign.  -1 when the result does not fit in cap bytes. */
int ft_expand_template(const char *tmpl, int64_t start, char *buf, size_t cap);

/* Formats one field of r as text (addresses, time per o; arrays as
 * [a,b]; json: strings quoted). Returns the length written (buf holds
 * at least FT_VALUE_MAX bytes). Used by tools that print single values. */
#define FT_VALUE_MAX 2048
size_t ft_format_value(const ft4_record *r, int field, const ft_output_opts *o,
                       int json, char *buf);

#endif
