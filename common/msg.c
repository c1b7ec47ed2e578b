/* msg.c - diagnostics and exit codes for the command-line tools. */
#include "msg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FT_VERSION
#define FT_VERSION "0.1.0"
#endif

static const char *prog = "fttools";

void ft_msg_init(const char *argv0)
{
    if (argv0 && *argv0) {
        const char *slash = strrchr(argv0, '/');
        prog = slash ? slash + 1 : argv0;
    }
}

const char *ft_prog(void) { return prog; }

/* Messages quote bytes from data files (names, schema text, CSV
 * fields): control bytes are shown as \xNN so a file cannot send
 * terminal escapes or forge a second line. */
static void vmsg(const char *fmt, va_list ap)
{
    char buf[4096];
    vsnprintf(buf, sizeof buf, fmt, ap);
    fflush(stdout);
    fprintf(stderr, "%s: ", prog);
    for (const unsigned char *p = (const unsigned char *)buf; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            fprintf(stderr, "\\x%02x", *p);
        else
            fputc(*p, stderr);
    }
    fputc('\n', stderr);
}

void ft_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg(fmt, ap);
    va_end(ap);
}

void ft_die(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg(fmt, ap);
    va_end(ap);
    exit(status);
}

void ft_usage_error(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    /* Memory running out while options are checked is not the user's
     * mistake: the status and message of any other out-of-memory error. */
    if (strstr(buf, "out of memory"))
        ft_die(FT_EXIT_DATA, "%s", buf);
    ft_warn("%s", buf);
    fprintf(stderr, "Try '%s --help'.\n", prog);
    exit(FT_EXIT_USAGE);
}

void ft_version_exit(void)
{
    printf("%s (fttools) %s\n", prog, FT_VERSION);
    exit(ft_close_stdout(FT_EXIT_OK));
}

int ft_close_stdout(int status)
{
    int bad = fflush(stdout) != 0 || ferror(stdout);
    int err = errno;
    if (fclose(stdout) != 0 && !bad) {
        bad = 1;
        err = errno;
    }
    if (bad) {
        fprintf(stderr, "%s: standard output: %s\n", prog,
                err ? strerror(err) : "write error");
        return status ? status : FT_EXIT_DATA;
    }
    return status;
}
