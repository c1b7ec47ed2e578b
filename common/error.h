/*
 * error.h - how library code reports failure.
 *
 * Library functions never print and never exit: they return -1 (or NULL)
 * and fill an ft_error with one line, subject first and lowercase, e.g.
 * "x.avro: block 3: truncated".  Only cmd/ prints it (msg.h) and picks the
 * exit status.
 */
#ifndef FT_ERROR_H
#define FT_ERROR_H

#include <stdarg.h>

#define FT_ERRLEN 512

typedef struct ft_error {
    char msg[FT_ERRLEN];
} ft_error;

/* Sets e->msg (e may be NULL). Always returns -1 for `return ft_error_set()`. */
int ft_error_set(ft_error *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int ft_error_vset(ft_error *e, const char *fmt, va_list ap);
/* Prepends "prefix: " to an existing message. Returns -1. */
int ft_error_prefix(ft_error *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
