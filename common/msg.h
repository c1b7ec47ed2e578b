/*
 * msg.h - the one place that prints diagnostics and chooses exit codes.
 * Used by cmd/ only; library code fills an ft_error instead (error.h).
 *
 * Format: "ft-cat: subject: what failed" - lowercase, no trailing period.
 */
#ifndef FT_MSG_H
#define FT_MSG_H

enum {
    FT_EXIT_OK = 0,
    FT_EXIT_DATA = 1,  /* bad input data, I/O or runtime error */
    FT_EXIT_USAGE = 2, /* bad option, usage or expression syntax */
};

/* Records the program name (basename of argv[0]) for every message. */
void ft_msg_init(const char *argv0);
const char *ft_prog(void);

void ft_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void ft_die(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "ft-x: MESSAGE" then "Try 'ft-x --help'." and exit 2; but a MESSAGE
 * saying "out of memory" is a plain error (one line, exit 1). */
_Noreturn void ft_usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
/* Prints "ft-x (fttools) VERSION" to stdout and exits 0. */
_Noreturn void ft_version_exit(void);
/* Flushes and closes stdout; a write error (disk full, EIO) is reported
 * and turns the exit status into 1.  Call before returning from main. */
int ft_close_stdout(int status);

#endif
