/*
 * u32set.h - an exact set of 32-bit values (addresses, networks, AS
 * numbers) for distinct counts, small while it holds few values.
 *
 * Three forms, each chosen when it is the smallest:
 *   - up to 8 values inline in the handle (48 bytes in all), found by a
 *     linear scan;
 *   - an open-addressing hash of uint32 slots (0 = empty; the value 0 is
 *     kept as a flag), at most 3/4 full, doubling from 16 slots: 5.3 to
 *     10.7 bytes a value;
 *   - once the hash would have to grow past its cap (2^26 slots = 256 MiB
 *     by default, i.e. past 50,331,648 values), a bitmap of the whole
 *     2^32 domain: 512 MiB of address space from calloc, of which the
 *     kernel backs only the pages that hold a set bit.
 * A set never shrinks.  Counts are exact in every form.
 *
 * Ownership: ft_u32set_new() returns a set the caller frees with
 * ft_u32set_free() (NULL accepted).  Not thread-safe.
 */
#ifndef FT_U32SET_H
#define FT_U32SET_H

#include <stddef.h>
#include <stdint.h>

typedef struct ft_u32set ft_u32set;

/* NULL when out of memory. */
ft_u32set *ft_u32set_new(void);
/* The same with the hash capped at 2^max_log2 slots (4..26) before the
 * bitmap takes over: for tests of the transition. */
ft_u32set *ft_u32set_new_capped(int max_log2);
void ft_u32set_free(ft_u32set *s);

/* 1 when v was added, 0 when it was already there, -1 when out of memory
 * (the set is unchanged). */
int ft_u32set_add(ft_u32set *s, uint32_t v);
int ft_u32set_contains(const ft_u32set *s, uint32_t v);
/* Distinct values held (up to 2^32). */
uint64_t ft_u32set_count(const ft_u32set *s);
/* Adds every value of src to dst.  0, or -1 when out of memory (dst then
 * holds part of src). */
int ft_u32set_union(ft_u32set *dst, const ft_u32set *src);

/* Writes the values in ascending order to out (room for
 * ft_u32set_count() values); returns how many. */
uint64_t ft_u32set_sorted(const ft_u32set *s, uint32_t *out);

/* Bytes requested from malloc for this set (the bitmap counted whole). */
size_t ft_u32set_memory(const ft_u32set *s);
/* 0 inline, 1 hash, 2 bitmap (for tests of the transitions). */
int ft_u32set_form(const ft_u32set *s);

#endif
