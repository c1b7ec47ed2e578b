/* error.c - filling ft_error messages. */
#include "error.h"

#include <stdio.h>
#include <string.h>

int ft_error_vset(ft_error *e, const char *fmt, va_list ap)
{
    if (e)
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    return -1;
}

int ft_error_set(ft_error *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ft_error_vset(e, fmt, ap);
    va_end(ap);
    return -1;
}

int ft_error_prefix(ft_error *e, const char *fmt, ...)
{
    if (!e)
        return -1;
    char head[FT_ERRLEN], old[FT_ERRLEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    memcpy(old, e->msg, sizeof old);
    /* Truncation is acceptable: messages are one line for people. */
    size_t n = strlen(head);
    if (n > sizeof e->msg - 3)
        n = sizeof e->msg - 3;
    memcpy(e->msg, head, n);
    memcpy(e->msg + n, ": ", 2);
    size_t m = strlen(old);
    if (m > sizeof e->msg - n - 3)
        m = sizeof e->msg - n - 3;
    memcpy(e->msg + n + 2, old, m);
    e->msg[n + 2 + m] = '\0';
    return -1;
}
