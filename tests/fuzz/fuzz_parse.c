/*
 * fuzz_parse.c - libFuzzer harness for the text parsers users reach from
 * the command line: parse.h (integers, sizes, IPv4, CIDR, times) and
 * ft4.h's field lists.
 *
 * Input: byte 0 chooses the parser, the rest is the text (a NUL is added;
 * text with an embedded NUL is cut there, as argv would be).  Checks, on
 * top of ASan/UBSan: success gives a value in range, failure gives a
 * message, and what we format we parse back to the same value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ft4.h"
#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_failed(int rc, const ft_error *err)
{
    if (rc != -1 || err->msg[0] == '\0' || !memchr(err->msg, 0, FT_ERRLEN))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned mode = data[0];
    char *s = malloc(size); /* exactly the text + NUL: overreads show */
    if (!s)
        return 0;
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0';
    ft_error err;
    err.msg[0] = '\0';

    switch (mode % 7) {
    case 0: {
        int64_t v;
        if (ft_parse_int(s, INT64_MIN, INT64_MAX, &v, &err) < 0)
            check_failed(-1, &err);
        err.msg[0] = '\0';
        int rc = ft_parse_int(s, -5, 1000, &v, &err);
        if (rc == 0 && (v < -5 || v > 1000))
            abort();
        if (rc < 0)
            check_failed(rc, &err);
        break;
    }
    case 1: {
        uint64_t v;
        int rc = ft_parse_size(s, 1, UINT64_MAX, &v, &err);
        if (rc == 0 && v < 1)
            abort();
        if (rc < 0)
            check_failed(rc, &err);
        break;
    }
    case 2: {
        uint32_t a, b;
        char buf[16];
        int rc = ft_parse_ipv4(s, &a, &err);
        if (rc < 0) {
            check_failed(rc, &err);
            break;
        }
        if (ft_parse_ipv4(ft_format_ipv4(a, buf), &b, NULL) < 0 || a != b)
            abort();
        break;
    }
    case 3:
    case 4: {
        uint32_t net;
        int len;
        int rc = ft_parse_cidr(s, &net, &len, mode % 7 == 4, &err);
        if (rc < 0) {
            check_failed(rc, &err);
            break;
        }
        if (len < 0 || len > 32)
            abort();
        uint32_t mask = len == 0 ? 0 : 0xffffffffu << (32 - len);
        if (net & ~mask)
            abort();
        break;
    }
    case 5: {
        int64_t t, u;
        char buf[32];
        int rc = ft_parse_time(s, &t, &err);
        if (rc < 0) {
            check_failed(rc, &err);
            break;
        }
        if (t > INT64_C(253402300799))
            abort();
        /* Our own ISO form must read back (from 1970 on, where it is
         * always four-digit years). */
        if (t >= 0 &&
            (ft_parse_time(ft_format_time_iso(t, buf), &u, NULL) < 0 || u != t))
            abort();
        break;
    }
    case 6: {
        int ids[FT4_F_COUNT];
        int n = -1;
        int rc = ft4_parse_field_list(s, ids, &n, &err);
        if (rc < 0) {
            check_failed(rc, &err);
        } else {
            if (n < 0 || n > FT4_F_COUNT)
                abort();
            for (int i = 0; i < n; i++)
                if (ids[i] < 0 || ids[i] >= FT4_F_COUNT)
                    abort();
        }
        int id = ft4_field_lookup(s);
        if (id < -1 || id >= FT4_F_COUNT)
            abort();
        (void)ft4_field_suggest(s);
        break;
    }
    }
    free(s);
    return 0;
}
