/* cli.c - start-up shared by every command (see cli.h). */
#include "cli.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "expr.h"
#include "ft4.h"
#include "msg.h"
#include "partial.h"
#include "sink.h"

volatile sig_atomic_t ft_stop_requested;
static void (*first_hook)(void);

static void die_cleanly(int sig)
{
    ft_sink_unlink_temporaries();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void graceful(int sig)
{
    if (ft_stop_requested)
        die_cleanly(sig);
    ft_stop_requested = 1;
    if (first_hook)
        first_hook();
}

static void install_handler(int sig, void (*fn)(int))
{
    struct sigaction sa;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sa.sa_handler = fn;
    sigaction(sig, &sa, NULL);
}

void ft_cli_init(const char *argv0)
{
    ft_msg_init(argv0);
    /* A parent may have ignored SIGPIPE; a closed pipe must end us quietly. */
    signal(SIGPIPE, SIG_DFL);
    install_handler(SIGINT, die_cleanly);
    install_handler(SIGTERM, die_cleanly);
    install_handler(SIGHUP, die_cleanly);
}

void ft_cli_graceful_stop(void (*on_first)(void))
{
    first_hook = on_first;
    install_handler(SIGINT, graceful);
    install_handler(SIGTERM, graceful);
}

void ft_print_fields(FILE *fp)
{
    static const char *const type_names[] = {"long", "int", "array<long>", "string"};
    for (int i = 0; i < FT4_F_COUNT; i++)
        fprintf(fp, "%-22s %-12s %s\n", ft4_fields[i].name,
                type_names[ft4_fields[i].type], ft4_fields[i].doc);
}

void ft_cli_dataset_setup(const ft_dataset_spec *ds, int nfiles)
{
    ft_error err;
    if (ft_dataset_check(ds, nfiles, &err) < 0)
        ft_usage_error("%s", err.msg);
    if (ds->list_files) {
        if (ft_dataset_print_files(ds, stdout, &err) < 0)
            ft_die(FT_EXIT_DATA, "%s", err.msg);
        exit(ft_close_stdout(FT_EXIT_OK));
    }
}

ft_expr *ft_cli_compile_filter(const char *name, const char *text)
{
    ft_error err;
    size_t where = 0;
    ft_expr *e = ft_expr_parse(text, &where, &err);
    if (e)
        return e;
    if (strstr(err.msg, "out of memory"))
        ft_die(FT_EXIT_DATA, "%s: %s", name, err.msg);
    ft_warn("%s: %s", name, err.msg);
    char *caret = ft_expr_caret(text, where);
    if (caret)
        fputs(caret, stderr);
    free(caret);
    exit(FT_EXIT_USAGE);
}

void ft_cli_add_filter(ft_expr **e, const char *text)
{
    ft_error err;
    ft_expr *f = ft_cli_compile_filter("-e", text);
    if (!*e)
        *e = f;
    else if (ft_expr_and(*e, f, &err) < 0)
        ft_die(FT_EXIT_DATA, "%s", err.msg);
}

int ft_cli_counting_opt(ft_cli_counting *o, int c, const char *arg)
{
    switch (c) {
    case 'e': ft_cli_add_filter(&o->where, arg); return 1;
    case FT_OPT_PARTIAL: o->partial = 1; return 1;
    case FT_OPT_MERGE: o->merge = 1; return 1;
    default: return 0;
    }
}

void ft_cli_counting_check(const ft_cli_counting *o, const ft_dataset_spec *ds)
{
    if (o->merge && (ds->root || ft_dataset_has_range(ds)))
        ft_usage_error("--dataset, --from and --to select records: not with --merge");
    if (o->merge && o->where)
        ft_usage_error("-e selects records: not with --merge");
}
