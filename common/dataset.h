/*
 * dataset.h - which interval files of a dataset hold a time range.
 *
 * A dataset is a directory tree of FT4 files laid out by a template, the
 * `-w` template ft-aggregate and ft-convert write with (strftime in UTC
 * plus %s, see ft_expand_template in output.h).  The default is the
 * STARDUST layout
 *
 *   datasource=NAME/year=%Y/month=%m/day=%d/hour=%H/NAME_%s.ft4.avro
 *
 * with NAME given (--datasource) or, when ROOT holds exactly one
 * datasource=NAME directory, discovered.  ft_dataset_list() finds the
 * files that exist for [from, to] by listing the directories level by
 * level (never by guessing names), skipping subtrees whose times lie
 * outside the range, and returns them in time order.  A file belongs to
 * the dataset only if expanding the template at its time gives back its
 * path, so temporary files and strays are ignored.  Each file's span is
 * what its path pins down: [s, s] with %s (an FT4 file named by its
 * interval holds records of that time only), otherwise from the start of
 * its finest unit (hour, day, ...) to the end of it.  Readers still drop
 * records outside the range (reader.h), so a range is exact even when it
 * starts or ends inside a file's span.
 *
 * Template conversions: %Y %m %d %H %M %S %j %s %%.  ROOT is a local
 * directory or a store address (swift://CONTAINER[/PREFIX], see fetch.h),
 * whose levels are listed with '/' as the delimiter, one listing per
 * directory the range reaches; the files are then store addresses.
 *
 * Ownership: ft_dataset_spec borrows its strings (option arguments);
 * ft_dataset_list fills an ft_dataset_files the caller frees with
 * ft_dataset_files_free (a zeroed one is accepted).
 */
#ifndef FT_DATASET_H
#define FT_DATASET_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"

#define FT_DATASET_LAYOUT                                                   \
    "datasource=%N/year=%Y/month=%m/day=%d/hour=%H/%N_%s.ft4.avro"

typedef struct ft_dataset_spec {
    const char *root;       /* NULL: no dataset (file arguments) */
    const char *datasource; /* NULL: discover (default layout only) */
    const char *layout;     /* NULL: the STARDUST layout */
    int64_t from, to;       /* records kept: from <= time <= to */
    int list_files;         /* --list-files: print the files and stop */
} ft_dataset_spec;

/* No dataset, the whole time line. */
void ft_dataset_spec_init(ft_dataset_spec *s);
/* 1 when --from or --to narrowed the time line. */
int ft_dataset_has_range(const ft_dataset_spec *s);

/* The options every reading tool shares, as FT_OUTPUT_LONGOPTS. */
enum {
    FT_OPT_DATASET = 0x1200, FT_OPT_DATASOURCE, FT_OPT_LAYOUT, FT_OPT_FROM,
    FT_OPT_TO, FT_OPT_LIST_FILES, FT_OPT_DATASET_LAST
};
#define FT_DATASET_LONGOPTS                                         \
    {"dataset", required_argument, NULL, FT_OPT_DATASET},           \
    {"datasource", required_argument, NULL, FT_OPT_DATASOURCE},     \
    {"layout", required_argument, NULL, FT_OPT_LAYOUT},             \
    {"from", required_argument, NULL, FT_OPT_FROM},                 \
    {"to", required_argument, NULL, FT_OPT_TO},                     \
    {"list-files", no_argument, NULL, FT_OPT_LIST_FILES}
/* Their lines for --help. */
extern const char ft_dataset_help[];

/* Handles one getopt result if it is a dataset option: 1 handled, 0 not
 * one, -1 bad value (err says which option). */
int ft_dataset_parse_opt(ft_dataset_spec *s, int opt, const char *arg,
                         ft_error *err);
/* After the options: checks them against each other and against the
 * number of file arguments (a dataset takes none). */
int ft_dataset_check(const ft_dataset_spec *s, int nfiles, ft_error *err);

typedef struct ft_dataset_file {
    char *path;          /* root/relative path */
    int64_t first, last; /* the span of times its path allows */
} ft_dataset_file;

typedef struct ft_dataset_files {
    size_t n, cap;
    ft_dataset_file *v;
} ft_dataset_files;

/* Lists the files of s->root whose span meets [s->from, s->to], ordered
 * by first time, then path.  An empty list is not an error. */
int ft_dataset_list(const ft_dataset_spec *s, ft_dataset_files *out,
                    ft_error *err);
void ft_dataset_files_free(ft_dataset_files *f);

/* --list-files: lists the files and writes one line per file to fp,
 * "FIRST LAST PATH" (Unix seconds, then the path as is). */
int ft_dataset_print_files(const ft_dataset_spec *s, FILE *fp, ft_error *err);

#endif
