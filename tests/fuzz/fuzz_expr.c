/*
 * fuzz_expr.c - libFuzzer harness for ft-filter's expression language
 * (expr.h): the lexer, parser and compiler, the dump, the error caret,
 * "and" of two filters, and the evaluator on fixed records.
 *
 * Input: the expression text; a NUL byte, when there is one, splits it
 * into two expressions that are also joined with ft_expr_and.  Checks:
 * an error has a clean message and a position inside the text; a filter
 * dumps; matching is a pure function of the record (the same answer
 * twice), and "A and B" matches exactly where both A and B match.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../recgen.h"
#include "expr.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NRECS 24

/* recgen's edge cases and a few realistic records. */
static const ft4_record *records(void)
{
    static ft4_record recs[NRECS];
    static int made;
    if (!made) {
        recgen g;
        recgen_init(&g, 7);
        for (int i = 0; i < NRECS; i++)
            recgen_next(&g, &recs[i]);
        made = 1;
    }
    return recs;
}

/* Parses text; on an error checks the message and the position. */
static ft_expr *parse(const char *text)
{
    size_t where = (size_t)-1;
    ft_error err;
    ft_expr *e = ft_expr_parse(text, &where, &err);
    if (e) {
        char *d = ft_expr_dump(e);
        if (!d)
            abort();
        free(d);
        return e;
    }
    /* the message may quote the text, newlines included (msg.c escapes
     * control bytes when it prints) */
    if (!fuzz_message_clean(err.msg) || err.msg[0] == '\0' ||
        where > strlen(text)) {
        fprintf(stderr, "bad error message: '%s' (at %zu)\n", err.msg, where);
        abort();
    }
    char *c = ft_expr_caret(text, where);
    if (!c)
        abort();
    free(c);
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *text = malloc(size + 1);
    if (!text)
        abort();
    memcpy(text, data, size);
    text[size] = '\0';
    const char *second = size > strlen(text) ? text + strlen(text) + 1 : NULL;
    const ft4_record *recs = records();

    ft_expr *a = parse(text);
    ft_expr *b = second ? parse(second) : NULL;
    int ma[NRECS], mb[NRECS];
    for (int i = 0; i < NRECS; i++) {
        ma[i] = a ? ft_expr_match(a, &recs[i]) : 0;
        mb[i] = b ? ft_expr_match(b, &recs[i]) : 0;
        if ((a && ft_expr_match(a, &recs[i]) != ma[i]) || (ma[i] & ~1))
            abort();
    }
    if (a && b) {
        ft_error err;
        if (ft_expr_and(a, b, &err) < 0)
            abort(); /* only when out of memory */
        b = NULL;
        for (int i = 0; i < NRECS; i++)
            if (ft_expr_match(a, &recs[i]) != (ma[i] && mb[i])) {
                fprintf(stderr, "and: record %d: %d and %d\n", i, ma[i], mb[i]);
                abort();
            }
        char *d = ft_expr_dump(a);
        if (!d)
            abort();
        free(d);
    }
    ft_expr_free(a);
    ft_expr_free(b);
    free(text);
    return 0;
}
