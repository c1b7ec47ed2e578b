/*
 * cli.h - start-up shared by every command: program name for messages,
 * SIGPIPE restored so `ft-cat big.avro | head` ends quietly, signals that
 * never leave a temporary output file behind, and the --help-fields
 * listing.
 */
#ifndef FT_CLI_H
#define FT_CLI_H

#include <signal.h>
#include <stdio.h>

/* Also installs the default for SIGINT, SIGTERM and SIGHUP: remove every
 * temporary output file (sink.h) and end by that signal. */
void ft_cli_init(const char *argv0);

/* For tools that stop gracefully (ft-aggregate): the first SIGINT or
 * SIGTERM sets ft_stop_requested and calls on_first (may be NULL; it must
 * be async-signal-safe); a second one ends the process as above.  System
 * calls are interrupted (no SA_RESTART) so a blocked read returns. */
extern volatile sig_atomic_t ft_stop_requested;
void ft_cli_graceful_stop(void (*on_first)(void));
struct ft_dataset_spec;
/* Checks --dataset/--from/--to against the number of file arguments (a
 * usage error exits 2) and, for --list-files, prints the files and exits
 * 0: the same in every reading tool. */
void ft_cli_dataset_setup(const struct ft_dataset_spec *ds, int nfiles);

/* A filter expression given on the command line (ft-filter's language,
 * expr.h), compiled before any data is read.  On error prints "NAME:
 * message" and the text with a caret under the column, and exits 2. */
struct ft_expr;
struct ft_expr *ft_cli_compile_filter(const char *name, const char *text);
/* -e/--expression of the counting tools (ft-topn, ft-series): compiles
 * text and ANDs it into *e (NULL: none yet). */
void ft_cli_add_filter(struct ft_expr **e, const char *text);

/* The options every mergeable counting tool (ft-topn, ft-series) shares:
 * -e EXPR, --partial and --merge (FT_PARTIAL_LONGOPTS, partial.h). */
typedef struct ft_cli_counting {
    struct ft_expr *where; /* -e: count only matching records, or NULL */
    int partial, merge;
} ft_cli_counting;
/* Takes option c if it is one of them (returns 1), else returns 0. */
int ft_cli_counting_opt(ft_cli_counting *o, int c, const char *arg);
/* After the options: --merge with -e, --dataset, --from or --to is a usage
 * error (those select records; a partial holds what its run counted). */
void ft_cli_counting_check(const ft_cli_counting *o,
                           const struct ft_dataset_spec *ds);

/* Prints every FT4 field with its type and meaning (--help-fields). */
void ft_print_fields(FILE *fp);

#endif
