/*
 * topn.h - top values (FT4-SPEC section 8): group records by one or more
 * fields, weigh each record by 1 (flows), packet_cnt (packets) or
 * uniq_dst_ips (dst_ips), rank the groups.
 *
 * Counts are exact unsigned 64-bit sums; a sum past 2^64 - 1 and a
 * negative weight are errors, never wrapped.
 *
 * Order: count descending, ties broken by the key ascending, field by
 * field: numbers and addresses numerically, strings by bytes (a prefix
 * first), arrays element by element numerically (a prefix first).
 *
 * Keys are stored in an order-preserving byte encoding, so that one
 * memcmp compares two keys in that order (and the encoding is what
 * partial files carry):
 *   long field    8 bytes, big-endian, of the value with its sign bit
 *                 flipped (v ^ 2^63)
 *   int field     4 bytes, the same with 2^31
 *   string field  16 bytes: the bytes zero-padded to 15, then the length
 *   array field   per element 0x01 + 8 bytes as a long field; then 0x00
 *
 * Partial items (partial.h), descriptor "ft-topn v2 key=F[,F...] by=BY",
 * one item per key in ascending key order, each key given by the bytes
 * it shares with the key before (none for the first) and the rest:
 * uint shared length, uint rest length, the rest's bytes, uint count.
 * (In a country x port key neighbours share 18 of 20 bytes: an item is
 * about 6 bytes.)  Layout 1, "ft-topn v1 ...", written before, is still
 * read: uint key length, the key bytes, uint count.  Partials of both
 * layouts merge with each other when the rest of their descriptors
 * match.  A section whose keys are out of order or repeated (not written
 * by ft-topn) is sorted and its counts added, as if it were in order.
 *
 * Writing a partial sorts the keys once: when every key has one length
 * (no array field), by a radix sort of the byte positions where keys
 * differ (bytes the same in every key decide nothing); else by qsort.
 * Merging reads the sections of up to 64 files at once, item by item,
 * and merges them as they come (their keys are in order), adding the
 * counts of equal keys: no hash table, and memory in order.  More files,
 * or files of several sections, make several such runs, merged in turn.
 * A merged table keeps its keys as that sorted run; ft_topn_add puts
 * them back into a hash table first.
 *
 * Cost per record: the key is encoded into a queue, hashed (64-bit
 * multiply-xorshift) and its slot prefetched; every 32 records the queue
 * is looked up in an open-addressing table of 24-byte slots (at most 3/4
 * full, doubling), so that cache misses overlap.  A key seen before
 * allocates nothing; new keys are appended to one growing byte arena.
 *
 * Ownership: ft_topn_new() and ft_topn_merge_files() create tables the
 * caller frees with ft_topn_free() (NULL accepted).
 */
#ifndef FT_TOPN_H
#define FT_TOPN_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "ft4.h"
#include "output.h"
#include "sink.h"
#include "table.h"

enum ft_topn_by { FT_TOPN_FLOWS, FT_TOPN_PACKETS, FT_TOPN_DST_IPS };

/* "flows", "packets" or "dst_ips" (also the count column's name). */
int ft_topn_by_parse(const char *s, enum ft_topn_by *by);
const char *ft_topn_by_name(enum ft_topn_by by);

typedef struct ft_topn ft_topn;

/* fields: 1..FT4_F_COUNT distinct field ids. */
ft_topn *ft_topn_new(const int *fields, int nfields, enum ft_topn_by by,
                     ft_error *err);
void ft_topn_free(ft_topn *t);

/* Adds one record's weight to its key's count.  The key may wait in a
 * short queue (so that the cache misses of successive lookups overlap);
 * every function below that reads counts processes the queue first. */
int ft_topn_add(ft_topn *t, const ft4_record *r, ft_error *err);
/* Processes the queue now.  Errors: out of memory. */
int ft_topn_flush(ft_topn *t, ft_error *err);

/* Distinct keys. */
size_t ft_topn_keys(ft_topn *t);
/* Sum of the weights of every record added (exact at once). */
uint64_t ft_topn_total(const ft_topn *t);

/* Writes every key and count as one partial section. */
int ft_topn_write_partial(ft_topn *t, ft_sink *sink, ft_error *err);
/* Adds the counts of every section of the partial files paths[0..n)
 * (n = 0: stdin).  When *t is NULL it is first created from the first
 * descriptor; a descriptor other than *t's is refused.  On error *t
 * holds part of the counts. */
int ft_topn_merge_files(ft_topn **t, int n, char *const *paths, ft_error *err);

/* The result table: rank, the key (one column "name" for a single field,
 * else one column per field, named by it), the count (named by
 * ft_topn_by_name), pct and cumpct (fractions of the total over all
 * keys).  n = 0 keeps every key; otherwise the keys past rank n are
 * summed into one row named "Other" with rank n + 1 (its other key
 * columns empty/null), unless no_other or nothing is left.  Key values
 * are formatted by ft_format_value with vo (--ip-format,
 * --time-format). */
ft_table *ft_topn_result(ft_topn *t, size_t n, int no_other,
                         enum ft_table_format fmt, int no_header,
                         const ft_output_opts *vo, ft_error *err);

/* The ranked keys, best first: at most n (0 = all).  For tests.  Caller
 * frees *keys (pointers into the table, valid while it lives). */
typedef struct ft_topn_entry {
    const uint8_t *key;
    uint32_t len;
    uint64_t count;
} ft_topn_entry;
int ft_topn_rank(ft_topn *t, size_t n, ft_topn_entry **keys,
                 size_t *nkeys, ft_error *err);
/* Sets r's key fields from an encoded key (other fields untouched). */
void ft_topn_key_decode(const ft_topn *t, const uint8_t *key, ft4_record *r);

#endif
