/*
 * fuzz_ip_ranges.c - libFuzzer harness for the IPv4 range table
 * (ip_ranges.h): its text parser, and its build checked against a
 * brute-force answer.
 *
 * Input: byte 0 chooses the mode.
 *   even: the rest is a range file (CSV ranges or prefix2as lines) read
 *         with a decimal value parser, built and looked up: memory
 *         safety, bounds on the segment count, and errors that name the
 *         file and line;
 *   odd:  the rest is binary ranges, 10 bytes each (first: u32 LE,
 *         width: u32 LE shifted right by byte 8 % 32, value: byte 9),
 *         added directly; every range boundary (and its neighbours) is
 *         then looked up and compared with a linear scan for the
 *         narrowest covering range, the first added among equals.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "ip_ranges.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int parse_value(const char *s, size_t len, uint32_t *v)
{
    uint64_t n = 0;
    if (len == 0 || len > 9)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        n = n * 10 + (uint64_t)(s[i] - '0');
    }
    *v = (uint32_t)n;
    return 0;
}

static const ft_ip_value_parser vp = {"value", parse_value};

#define MAXR 64

typedef struct rg {
    uint32_t first, last, value;
} rg;

/* The answer by definition: the narrowest range holding a, first added
 * among equally narrow ones.  1 with *v, or 0. */
static int brute(const rg *r, size_t n, uint32_t a, uint32_t *v)
{
    int best = -1;
    for (size_t i = 0; i < n; i++) {
        if (a < r[i].first || a > r[i].last)
            continue;
        if (best < 0 || r[i].last - r[i].first < r[best].last - r[best].first)
            best = (int)i;
    }
    if (best < 0)
        return 0;
    *v = r[best].value;
    return 1;
}

static void check(const ft_ip_ranges *t, const rg *r, size_t n, uint32_t a)
{
    uint32_t want = 0, got = 0;
    int w = brute(r, n, a, &want), g = ft_ip_ranges_lookup(t, a, &got);
    if (w != g || (w && want != got)) {
        fprintf(stderr, "lookup %u: got %d/%u, want %d/%u\n", a, g, got, w,
                want);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    ft_error err;
    ft_ip_ranges *t = ft_ip_ranges_new(&err);
    if (!t)
        abort();
    if (!(data[0] & 1)) {
        /* Exactly sized copy: ASan sees any read past the text. */
        size_t n = size - 1;
        char *text = malloc(n ? n : 1);
        if (!text)
            abort();
        memcpy(text, data + 1, n);
        if (ft_ip_ranges_parse(t, text, n, "in.csv", &vp, &err) < 0) {
            if (strncmp(err.msg, "in.csv: line ", 13) != 0 ||
                !fuzz_message_clean(err.msg)) {
                fprintf(stderr, "bad error message: '%s'\n", err.msg);
                abort();
            }
        } else {
            if (ft_ip_ranges_build(t, &err) < 0)
                abort();
            if (ft_ip_ranges_segments(t) > 2 * ft_ip_ranges_count(t) + 1)
                abort();
            uint32_t v;
            for (size_t i = 0; i + 4 <= n && i < 256; i += 4)
                ft_ip_ranges_lookup(t, fuzz_le32((const uint8_t *)text + i), &v);
            ft_ip_ranges_lookup(t, 0, &v);
            ft_ip_ranges_lookup(t, UINT32_MAX, &v);
        }
        free(text);
        ft_ip_ranges_free(t);
        return 0;
    }

    static rg r[MAXR];
    size_t n = 0;
    for (size_t off = 1; off + 10 <= size && n < MAXR; off += 10) {
        const uint8_t *b = data + off;
        uint32_t first = fuzz_le32(b);
        uint32_t width = fuzz_le32(b + 4) >> (b[8] % 32);
        uint32_t last = width > UINT32_MAX - first ? UINT32_MAX : first + width;
        r[n] = (rg){first, last, b[9]};
        if (ft_ip_ranges_add(t, first, last, b[9], &err) < 0)
            abort();
        n++;
    }
    if (ft_ip_ranges_build(t, &err) < 0)
        abort();
    if (ft_ip_ranges_count(t) != n || ft_ip_ranges_segments(t) > 2 * n + 1)
        abort();
    check(t, r, n, 0);
    check(t, r, n, UINT32_MAX);
    for (size_t i = 0; i < n; i++) {
        uint32_t pts[] = {r[i].first - 1, r[i].first, r[i].first + 1,
                          r[i].first + (r[i].last - r[i].first) / 2,
                          r[i].last - 1, r[i].last, r[i].last + 1};
        for (size_t k = 0; k < sizeof pts / sizeof pts[0]; k++)
            check(t, r, n, pts[k]);
    }
    ft_ip_ranges_free(t);
    return 0;
}
