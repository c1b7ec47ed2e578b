/* parse.c - strict value parsing (see parse.h). */
#include "parse.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int ft_parse_int(const char *s, int64_t min, int64_t max, int64_t *out,
                 ft_error *err)
{
    const char *p = s;
    if (*p == '-')
        p++;
    if (!isdigit((unsigned char)*p))
        return ft_error_set(err, "'%s': not a number", s);
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*end != '\0')
        return ft_error_set(err, "'%s': not a number", s);
    if (errno == ERANGE || v < min || v > max)
        return ft_error_set(err, "'%s': out of range %" PRId64 "..%" PRId64,
                            s, min, max);
    *out = v;
    return 0;
}

int ft_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out,
                  ft_error *err)
{
    if (!isdigit((unsigned char)*s))
        return ft_error_set(err, "'%s': not a size", s);
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno == ERANGE)
        return ft_error_set(err, "'%s': size too large", s);
    int shift = 0;
    switch (toupper((unsigned char)*end)) {
    case 'K': shift = 10; end++; break;
    case 'M': shift = 20; end++; break;
    case 'G': shift = 30; end++; break;
    case 'T': shift = 40; end++; break;
    }
    if (shift && (end[0] == 'i' || end[0] == 'I') && toupper((unsigned char)end[1]) == 'B')
        end += 2;
    else if (toupper((unsigned char)*end) == 'B')
        end++;
    if (*end != '\0')
        return ft_error_set(err, "'%s': not a size (use e.g. 64K, 512M, 2G)", s);
    if (shift && v > (UINT64_MAX >> shift))
        return ft_error_set(err, "'%s': size too large", s);
    v <<= shift;
    if (v < min || v > max)
        return ft_error_set(err, "'%s': out of range %" PRIu64 "..%" PRIu64
                            " bytes", s, min, max);
    *out = v;
    return 0;
}

int ft_parse_ipv4(const char *s, uint32_t *out, ft_error *err)
{
    uint32_t a = 0;
    const char *p = s;
    for (int i = 0; i < 4; i++) {
        if (!isdigit((unsigned char)*p))
            return ft_error_set(err, "'%s': not an IPv4 address", s);
        unsigned v = 0;
        int digits = 0;
        while (isdigit((unsigned char)*p) && digits < 4) {
            v = v * 10 + (unsigned)(*p++ - '0');
            digits++;
        }
        if (v > 255 || digits > 3)
            return ft_error_set(err, "'%s': not an IPv4 address", s);
        a = (a << 8) | v;
        if (i < 3) {
            if (*p != '.')
                return ft_error_set(err, "'%s': not an IPv4 address", s);
            p++;
        }
    }
    if (*p != '\0')
        return ft_error_set(err, "'%s': not an IPv4 address", s);
    *out = a;
    return 0;
}

int ft_parse_cidr(const char *s, uint32_t *net, int *len, int lenient,
                  ft_error *err)
{
    char buf[32];
    const char *slash = strchr(s, '/');
    size_t alen = slash ? (size_t)(slash - s) : strlen(s);
    if (alen >= sizeof buf)
        return ft_error_set(err, "'%s': not an IPv4 prefix", s);
    memcpy(buf, s, alen);
    buf[alen] = '\0';
    uint32_t a;
    if (ft_parse_ipv4(buf, &a, NULL) < 0)
        return ft_error_set(err, "'%s': not an IPv4 prefix", s);
    int64_t l = 32;
    if (slash && ft_parse_int(slash + 1, 0, 32, &l, NULL) < 0)
        return ft_error_set(err, "'%s': prefix length must be 0..32", s);
    uint32_t mask = l == 0 ? 0 : 0xffffffffu << (32 - l);
    if ((a & ~mask) && !lenient)
        return ft_error_set(err, "'%s': host bits set (did you mean %u.%u.%u.%u/%d?)",
                            s, (a & mask) >> 24, ((a & mask) >> 16) & 255,
                            ((a & mask) >> 8) & 255, (a & mask) & 255, (int)l);
    *net = a & mask;
    *len = (int)l;
    return 0;
}

static int two(const char *p) { return (p[0] - '0') * 10 + (p[1] - '0'); }

static int digits(const char *p, int n)
{
    for (int i = 0; i < n; i++)
        if (!isdigit((unsigned char)p[i]))
            return 0;
    return 1;
}

int ft_parse_time(const char *s, int64_t *out, ft_error *err)
{
    size_t n = strlen(s);
    if (n > 0 && n <= 12 && strchr(s, '-') == NULL)
        return ft_parse_int(s, 0, INT64_C(253402300799), out, err) < 0
                   ? ft_error_set(err, "'%s': not a time (epoch seconds or "
                                  "YYYY-MM-DDTHH:MM:SSZ)", s)
                   : 0;
    struct tm tm = {0};
    if (n < 10 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) ||
        s[7] != '-' || !digits(s + 8, 2))
        goto bad;
    tm.tm_year = atoi(s) - 1900;
    tm.tm_mon = two(s + 5) - 1;
    tm.tm_mday = two(s + 8);
    const char *p = s + 10;
    if (*p == 'T' || *p == ' ') {
        p++;
        if (!digits(p, 2) || p[2] != ':' || !digits(p + 3, 2))
            goto bad;
        tm.tm_hour = two(p);
        tm.tm_min = two(p + 3);
        p += 5;
        if (*p == ':') {
            if (!digits(p + 1, 2))
                goto bad;
            tm.tm_sec = two(p + 1);
            p += 3;
        }
    }
    if (*p == 'Z')
        p++;
    if (*p != '\0' || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
        tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60 ||
        (tm.tm_sec == 60 && (tm.tm_hour != 23 || tm.tm_min != 59)))
        goto bad; /* a leap second can only be 23:59:60 */
    int mday = tm.tm_mday;
    time_t t = timegm(&tm);
    if (tm.tm_mday != mday) /* e.g. February 30 normalised to March */
        goto bad;
    *out = (int64_t)t;
    return 0;
bad:
    return ft_error_set(err, "'%s': not a time (epoch seconds or "
                        "YYYY-MM-DDTHH:MM:SSZ)", s);
}

char *ft_format_ipv4(uint32_t a, char *buf)
{
    snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255,
             a & 255);
    return buf;
}

char *ft_format_time_iso(int64_t t, char *buf)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm)) {
        snprintf(buf, 32, "%" PRId64, t);
        return buf;
    }
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}
