/*
 * value_counter.h - exact, memory-adaptive per-flow value statistics.
 *
 * ft_vcount: 16-bit (or 8-bit) value -> 32-bit packet count.  A flow only
 * creates one when an attribute shows its second distinct value, so it
 * starts tiny: an open-addressing table (8 bytes a slot, value and count
 * side by side so a lookup touches one cache line; count 0 = empty)
 * that doubles at 3/4 load and turns into a dense count array of the
 * whole value domain (1 KiB for 8-bit values, 256 KiB for 16-bit) once
 * that is smaller.  Counts wrap at 2^32: ft_vcount_add reports the wrap
 * and the caller keeps the carry.
 *
 * ft_hostset: a set of destination host parts (16 bits under a /16, 8
 * under a /24): open addressing of uint16 (0 = empty, host 0 kept as a
 * flag) that becomes a bitmap of the domain (8 KiB or 32 bytes) once the
 * table would be as large.
 *
 * Every function that allocates or frees adjusts *mem by the exact bytes
 * requested from malloc.  Both types are owned by the caller: free with
 * ft_vcount_free / ft_hostset_free (NULL accepted).
 */
#ifndef FT_VALUE_COUNTER_H
#define FT_VALUE_COUNTER_H

#include <stddef.h>
#include <stdint.h>

typedef struct ft_vcount ft_vcount;
typedef struct ft_hostset ft_hostset;

/* New counter over values of `bits` (8 or 16) bits holding a -> ca and
 * b -> cb (a != b, counts >= 1).  NULL when out of memory. */
ft_vcount *ft_vcount_new2(int bits, uint16_t a, uint32_t ca, uint16_t b,
                          uint32_t cb, size_t *mem);
/* Adds 1 to v's count (may reallocate *m).  Returns 1 when that count
 * wrapped from 2^32-1 to 0, 0 otherwise, -1 when out of memory (*m is then
 * unchanged). */
int ft_vcount_add(ft_vcount **m, uint16_t v, size_t *mem);
/* Adds n >= 1 to v's count: the same as n ft_vcount_add calls, with
 * *carries set to the number of wraps they would report.  0, or -1 when
 * out of memory (*m unchanged). */
int ft_vcount_add_n(ft_vcount **m, uint16_t v, uint64_t n, uint64_t *carries,
                    size_t *mem);
uint32_t ft_vcount_distinct(const ft_vcount *m);
/* Iterates the (value, count) pairs: start with *pos = 0; returns 0 at the
 * end.  Dense counters yield ascending values; hashed ones any order. */
int ft_vcount_next(const ft_vcount *m, uint32_t *pos, uint16_t *v,
                   uint32_t *count);
/* Hints the CPU to fetch the memory ft_vcount_add(m, v) will touch. */
void ft_vcount_prefetch(const ft_vcount *m, uint16_t v);
/* 1 when the counter is in dense form (for tests of the transitions). */
int ft_vcount_is_dense(const ft_vcount *m);
void ft_vcount_free(ft_vcount *m, size_t *mem);

/* New set over `bits`-bit hosts (8 or 16) holding a, b, c (distinct). */
ft_hostset *ft_hostset_new3(int bits, uint16_t a, uint16_t b, uint16_t c,
                            size_t *mem);
/* Adds h: 1 when new, 0 when present, -1 out of memory (*s unchanged). */
int ft_hostset_add(ft_hostset **s, uint16_t h, size_t *mem);
uint32_t ft_hostset_count(const ft_hostset *s);
/* Hints the CPU to fetch the memory ft_hostset_add(s, h) will touch. */
void ft_hostset_prefetch(const ft_hostset *s, uint16_t h);
/* 1 when the set is in bitmap form (for tests of the transitions). */
int ft_hostset_is_bitmap(const ft_hostset *s);
void ft_hostset_free(ft_hostset *s, size_t *mem);

#endif
