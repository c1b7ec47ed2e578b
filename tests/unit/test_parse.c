/* Unit tests for parse.c: strict parsing of user-typed values. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "parse.h"

static void test_int(void **state)
{
    (void)state;
    int64_t v;
    ft_error e;
    assert_int_equal(ft_parse_int("42", 0, 100, &v, &e), 0);
    assert_int_equal(v, 42);
    assert_int_equal(ft_parse_int("-5", -10, 10, &v, &e), 0);
    assert_int_equal(v, -5);
    assert_int_equal(ft_parse_int("101", 0, 100, &v, &e), -1);
    assert_string_equal(e.msg, "'101': out of range 0..100");
    const char *bad[] = {"", "12x", " 1", "+1", "1e3", "0x10", "-", "1 "};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(ft_parse_int(bad[i], -100, 100, &v, &e), -1);
        assert_non_null(strstr(e.msg, "not a number"));
    }
    assert_int_equal(ft_parse_int("99999999999999999999", 0, INT64_MAX, &v, &e), -1);
}

static void test_size(void **state)
{
    (void)state;
    uint64_t v;
    ft_error e;
    assert_int_equal(ft_parse_size("64K", 0, UINT64_MAX, &v, &e), 0);
    assert_int_equal(v, 65536);
    assert_int_equal(ft_parse_size("2g", 0, UINT64_MAX, &v, &e), 0);
    assert_int_equal(v, 2ull << 30);
    assert_int_equal(ft_parse_size("1MiB", 0, UINT64_MAX, &v, &e), 0);
    assert_int_equal(v, 1u << 20);
    assert_int_equal(ft_parse_size("100", 0, UINT64_MAX, &v, &e), 0);
    assert_int_equal(v, 100);
    assert_int_equal(ft_parse_size("1Q", 0, UINT64_MAX, &v, &e), -1);
    assert_int_equal(ft_parse_size("K", 0, UINT64_MAX, &v, &e), -1);
    assert_int_equal(ft_parse_size("16777216T", 0, UINT64_MAX, &v, &e), -1);
    assert_string_equal(e.msg, "'16777216T': size too large");
    assert_int_equal(ft_parse_size("512", 1024, 2048, &v, &e), -1);
}

static void test_ipv4(void **state)
{
    (void)state;
    uint32_t a;
    ft_error e;
    assert_int_equal(ft_parse_ipv4("1.2.3.4", &a, &e), 0);
    assert_int_equal(a, 16909060);
    assert_int_equal(ft_parse_ipv4("255.255.255.255", &a, &e), 0);
    assert_int_equal(a, 0xffffffffu);
    const char *bad[] = {"1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4 ", "a.b.c.d",
                         "1..2.3", "0001.2.3.4", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(ft_parse_ipv4(bad[i], &a, &e), -1);
    char buf[16];
    assert_string_equal(ft_format_ipv4(3239906926u, buf), "193.29.14.110");
}

static void test_cidr(void **state)
{
    (void)state;
    uint32_t n;
    int len;
    ft_error e;
    assert_int_equal(ft_parse_cidr("130.0.0.0/8", &n, &len, 0, &e), 0);
    assert_int_equal(n, 130u << 24);
    assert_int_equal(len, 8);
    assert_int_equal(ft_parse_cidr("10.1.2.3", &n, &len, 0, &e), 0);
    assert_int_equal(len, 32);
    assert_int_equal(ft_parse_cidr("0.0.0.0/0", &n, &len, 0, &e), 0);
    assert_int_equal(len, 0);
    assert_int_equal(ft_parse_cidr("130.1.0.0/8", &n, &len, 0, &e), -1);
    assert_string_equal(e.msg, "'130.1.0.0/8': host bits set (did you mean 130.0.0.0/8?)");
    assert_int_equal(ft_parse_cidr("130.1.0.0/8", &n, &len, 1, &e), 0);
    assert_int_equal(n, 130u << 24);
    assert_int_equal(ft_parse_cidr("1.2.3.0/33", &n, &len, 0, &e), -1);
    assert_int_equal(ft_parse_cidr("1.2.3.0/", &n, &len, 0, &e), -1);
}

static void test_time(void **state)
{
    (void)state;
    int64_t t;
    ft_error e;
    assert_int_equal(ft_parse_time("1612130100", &t, &e), 0);
    assert_int_equal(t, 1612130100);
    assert_int_equal(ft_parse_time("2021-02-13T18:00:00Z", &t, &e), 0);
    assert_int_equal(t, 1613239200);
    assert_int_equal(ft_parse_time("2021-02-13 18:00", &t, &e), 0);
    assert_int_equal(t, 1613239200);
    assert_int_equal(ft_parse_time("2021-02-13", &t, &e), 0);
    assert_int_equal(t, 1613174400);
    const char *bad[] = {"2021-02-30", "2021-13-01", "2021-02-13T25:00", "yesterday",
                         "2021-02-13T18:00:00+01", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(ft_parse_time(bad[i], &t, &e), -1);
    char buf[32];
    assert_string_equal(ft_format_time_iso(1613239200, buf), "2021-02-13T18:00:00Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int),  cmocka_unit_test(test_size),
        cmocka_unit_test(test_ipv4), cmocka_unit_test(test_cidr),
        cmocka_unit_test(test_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
