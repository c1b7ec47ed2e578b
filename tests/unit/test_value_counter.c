/* test_value_counter.c - hashed counters and host sets, their switch to
 * dense arrays / bitmaps, count wrapping and memory accounting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "value_counter.h"

/* Sums the counts by value into out[] (65536 entries); returns pairs. */
static uint32_t dump(const ft_vcount *m, uint64_t *out)
{
    memset(out, 0, 65536 * sizeof *out);
    uint32_t pos = 0, c, pairs = 0;
    uint16_t v;
    while (ft_vcount_next(m, &pos, &v, &c)) {
        assert_int_equal(out[v], 0); /* each value once */
        out[v] = c;
        pairs++;
    }
    assert_int_equal(ft_vcount_next(m, &pos, &v, &c), 0);
    return pairs;
}

static uint64_t got[65536];

static void counter_run(int bits, uint32_t distinct, uint32_t dense_after)
{
    size_t mem = 0;
    uint32_t dom = (uint32_t)1 << bits;
    ft_vcount *m = ft_vcount_new2(bits, 7, 5, 3, 1, &mem);
    assert_non_null(m);
    assert_true(mem > 0);
    assert_int_equal(ft_vcount_distinct(m), 2);
    assert_false(ft_vcount_is_dense(m));
    /* values v = i * 37 + 1 (mod dom), i-th gets i % 3 + 1 more packets */
    for (uint32_t i = 0; i < distinct; i++) {
        uint16_t v = (uint16_t)((i * 37 + 1) % dom);
        for (uint32_t k = 0; k <= i % 3; k++)
            assert_int_equal(ft_vcount_add(&m, v, &mem), 0);
        if (ft_vcount_distinct(m) > dense_after)
            assert_true(ft_vcount_is_dense(m));
        else
            assert_false(ft_vcount_is_dense(m));
    }
    uint32_t pairs = dump(m, got);
    assert_int_equal(pairs, ft_vcount_distinct(m));
    /* expected counts, computed independently */
    static uint64_t want[65536];
    memset(want, 0, sizeof want);
    want[7] = 5;
    want[3] = 1;
    for (uint32_t i = 0; i < distinct; i++)
        want[(i * 37 + 1) % dom] += i % 3 + 1;
    uint32_t n = 0;
    for (uint32_t v = 0; v < dom; v++) {
        assert_int_equal(got[v], want[v]);
        n += want[v] != 0;
    }
    assert_int_equal(ft_vcount_distinct(m), n);
    ft_vcount_free(m, &mem);
    assert_int_equal(mem, 0);
}

static void test_vcount_8(void **state)
{
    (void)state;
    /* hash up to 48 values (64 slots, 512 bytes), then dense (1 KiB) */
    counter_run(8, 10, 48);
    counter_run(8, 256, 48);
}

static void test_vcount_16(void **state)
{
    (void)state;
    /* hash up to 12288 values (16384 slots, 128 KiB), then 256 KiB dense */
    counter_run(16, 1000, 12288);
    counter_run(16, 65536, 12288);
}

static void test_vcount_dense_ascending(void **state)
{
    (void)state;
    size_t mem = 0;
    ft_vcount *m = ft_vcount_new2(8, 200, 1, 100, 1, &mem);
    for (int v = 255; v >= 0; v--)
        assert_int_equal(ft_vcount_add(&m, (uint16_t)v, &mem), 0);
    assert_true(ft_vcount_is_dense(m));
    uint32_t pos = 0, c;
    uint16_t v;
    int prev = -1;
    while (ft_vcount_next(m, &pos, &v, &c)) {
        assert_true((int)v > prev);
        prev = v;
        assert_int_equal(c, v == 200 || v == 100 ? 2 : 1);
    }
    assert_int_equal(prev, 255);
    ft_vcount_free(m, &mem);
    ft_vcount_free(NULL, &mem);
    assert_int_equal(mem, 0);
}

/* Counts stay in 1 .. 2^32-1: the step past it stores 1 and reports it. */
static void test_vcount_wrap(void **state)
{
    (void)state;
    size_t mem = 0;
    ft_vcount *m = ft_vcount_new2(16, 1, UINT32_MAX - 1, 2, 1, &mem);
    assert_int_equal(ft_vcount_add(&m, 1, &mem), 0);
    assert_int_equal(ft_vcount_add(&m, 1, &mem), 1);
    assert_int_equal(ft_vcount_add(&m, 1, &mem), 0);
    dump(m, got);
    assert_int_equal(got[1], 2);
    assert_int_equal(got[2], 1);
    assert_int_equal(ft_vcount_distinct(m), 2);
    /* the same in dense form */
    for (uint32_t v = 3; v < 30000; v++)
        ft_vcount_add(&m, (uint16_t)v, &mem);
    assert_true(ft_vcount_is_dense(m));
    ft_vcount_free(m, &mem);
    m = ft_vcount_new2(8, 9, UINT32_MAX, 8, 1, &mem);
    for (uint32_t v = 0; v < 256; v++)
        ft_vcount_add(&m, (uint16_t)v, &mem);
    assert_true(ft_vcount_is_dense(m));
    dump(m, got);
    assert_int_equal(got[9], 1); /* wrapped on its second add */
    assert_int_equal(got[8], 2);
    assert_int_equal(ft_vcount_distinct(m), 256);
    ft_vcount_free(m, &mem);
    assert_int_equal(mem, 0);
}

/* ft_vcount_add_n(v, n) leaves what n ft_vcount_add calls leave, through
 * growth and the switch to dense, and reports their wraps. */
static void test_vcount_add_n_same_as_add(void **state)
{
    (void)state;
    static uint64_t want[65536];
    uint32_t r = 12345;
    for (int bits = 8; bits <= 16; bits += 8) {
        size_t mem_a = 0, mem_b = 0;
        ft_vcount *a = ft_vcount_new2(bits, 5, 3, 6, 2, &mem_a);
        ft_vcount *b = ft_vcount_new2(bits, 5, 3, 6, 2, &mem_b);
        uint32_t dom = (uint32_t)1 << bits;
        for (int i = 0; i < 30000; i++) {
            r = r * 1103515245u + 12345u;
            uint16_t v = (uint16_t)((r >> 8) % (i < 15000 ? 200 : dom));
            uint64_t n = 1 + (r >> 24) % 40, carries = 7;
            assert_int_equal(ft_vcount_add_n(&a, v, n, &carries, &mem_a), 0);
            assert_int_equal(carries, 0);
            for (uint64_t k = 0; k < n; k++)
                assert_int_equal(ft_vcount_add(&b, v, &mem_b), 0);
            assert_int_equal(ft_vcount_distinct(a), ft_vcount_distinct(b));
            assert_int_equal(ft_vcount_is_dense(a), ft_vcount_is_dense(b));
            assert_int_equal(mem_a, mem_b);
        }
        assert_true(ft_vcount_is_dense(a));
        dump(b, want);
        dump(a, got);
        assert_memory_equal(got, want, sizeof got);
        ft_vcount_free(a, &mem_a);
        ft_vcount_free(b, &mem_b);
        assert_int_equal(mem_a, 0);
        assert_int_equal(mem_b, 0);
    }
}

/* Large n: stored count in 1 .. 2^32-1, the rest as carries of 2^32-1. */
static void test_vcount_add_n_wrap(void **state)
{
    (void)state;
    const uint64_t U = UINT32_MAX;
    size_t mem = 0;
    uint64_t k;
    ft_vcount *m = ft_vcount_new2(16, 1, UINT32_MAX - 1, 2, 1, &mem);
    /* as 5 single adds: U-1 -> U, wrap to 1, 2, 3, 4 */
    assert_int_equal(ft_vcount_add_n(&m, 1, 5, &k, &mem), 0);
    assert_int_equal(k, 1);
    assert_int_equal(ft_vcount_add_n(&m, 3, U, &k, &mem), 0); /* fresh */
    assert_int_equal(k, 0);
    assert_int_equal(ft_vcount_add_n(&m, 4, 2 * U, &k, &mem), 0);
    assert_int_equal(k, 1);
    assert_int_equal(ft_vcount_add_n(&m, 5, 3 * U + 2, &k, &mem), 0);
    assert_int_equal(k, 3);
    assert_int_equal(ft_vcount_add_n(&m, 2, U - 1, &k, &mem), 0);
    assert_int_equal(k, 0); /* 1 + U-1 = U: stored, no wrap */
    assert_int_equal(ft_vcount_add_n(&m, 2, 1, &k, &mem), 0);
    assert_int_equal(k, 1);
    assert_int_equal(ft_vcount_add_n(&m, 6, UINT64_MAX, &k, &mem), 0);
    assert_int_equal(k, UINT64_MAX / U - 1); /* U divides 2^64-1 */
    dump(m, got);
    assert_int_equal(got[1], 4);
    assert_int_equal(got[2], 1);
    assert_int_equal(got[3], U);
    assert_int_equal(got[4], U);
    assert_int_equal(got[5], 2);
    assert_int_equal(got[6], U);
    assert_int_equal(ft_vcount_distinct(m), 6);
    ft_vcount_free(m, &mem);
    assert_int_equal(mem, 0);
}

static void hostset_run(int bits, uint32_t n, uint32_t bitmap_after)
{
    size_t mem = 0;
    uint32_t dom = (uint32_t)1 << bits;
    /* hosts (i * 97 + 5) mod dom: a permutation, includes 0 once */
    ft_hostset *s;
    uint16_t h[3];
    for (uint32_t i = 0; i < 3; i++)
        h[i] = (uint16_t)((i * 97 + 5) % dom);
    s = ft_hostset_new3(bits, h[0], h[1], h[2], &mem);
    assert_non_null(s);
    assert_int_equal(ft_hostset_count(s), 3);
    for (uint32_t i = 0; i < n; i++) {
        uint16_t x = (uint16_t)((i * 97 + 5) % dom);
        assert_int_equal(ft_hostset_add(&s, x, &mem), i >= 3);
        assert_int_equal(ft_hostset_add(&s, x, &mem), 0);
        uint32_t have = i < 3 ? 3 : i + 1;
        assert_int_equal(ft_hostset_count(s), have);
        /* host 0 is not in a hash slot: it does not count toward load */
        int has0 = 0;
        for (uint32_t j = 0; j < have; j++)
            has0 |= (j * 97 + 5) % dom == 0;
        if (have - (uint32_t)has0 > bitmap_after)
            assert_true(ft_hostset_is_bitmap(s));
        else
            assert_false(ft_hostset_is_bitmap(s));
    }
    ft_hostset_free(s, &mem);
    ft_hostset_free(NULL, &mem);
    assert_int_equal(mem, 0);
}

static void test_hostset_16(void **state)
{
    (void)state;
    /* hash up to 1536 non-zero hosts (2048 slots, 4 KiB), then 8 KiB bitmap */
    hostset_run(16, 3, 1536);
    hostset_run(16, 2000, 1536);
    hostset_run(16, 65536, 1536);
}

static void test_hostset_24(void **state)
{
    (void)state;
    /* hash up to 6 non-zero hosts (8 slots, 16 bytes), then 32-byte bitmap */
    hostset_run(8, 6, 6);
    hostset_run(8, 256, 6);
}

static void test_hostset_zero(void **state)
{
    (void)state;
    size_t mem = 0;
    ft_hostset *s = ft_hostset_new3(16, 0, 1, 2, &mem);
    assert_int_equal(ft_hostset_add(&s, 0, &mem), 0);
    assert_int_equal(ft_hostset_add(&s, 65535, &mem), 1);
    for (uint32_t i = 3; i < 3000; i++)
        ft_hostset_add(&s, (uint16_t)i, &mem);
    assert_true(ft_hostset_is_bitmap(s));
    assert_int_equal(ft_hostset_count(s), 3001);
    assert_int_equal(ft_hostset_add(&s, 0, &mem), 0);
    assert_int_equal(ft_hostset_add(&s, 65535, &mem), 0);
    assert_int_equal(ft_hostset_count(s), 3001);
    ft_hostset_free(s, &mem);
    assert_int_equal(mem, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vcount_8),
        cmocka_unit_test(test_vcount_16),
        cmocka_unit_test(test_vcount_dense_ascending),
        cmocka_unit_test(test_vcount_wrap),
        cmocka_unit_test(test_vcount_add_n_same_as_add),
        cmocka_unit_test(test_vcount_add_n_wrap),
        cmocka_unit_test(test_hostset_16),
        cmocka_unit_test(test_hostset_24),
        cmocka_unit_test(test_hostset_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
