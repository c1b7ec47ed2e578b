/*
 * flow_table.h - aggregation of parsed packets into FT4 records for one
 * interval (FT4-SPEC section 1).
 *
 * One ft_flow_table holds the flows of one interval; a caller that keeps
 * several intervals open (late packets) keeps one table per interval and
 * emits each when it closes.  Packets are added in processing order (that
 * order decides first_syn_length / first_tcp_rwin).
 *
 * Per flow, everything is exact: packet, spoofed and masscan counts, the
 * distinct destination addresses inside dst_net, and a packet count for
 * every distinct IP total length, TTL, source port and TCP flag byte.
 *
 * Memory.  The hash table (open addressing, linear probing, at most 3/4
 * full, doubling; arrays of 4 MiB and more are mmap'd, asked for huge
 * pages and faulted in by the allocating thread) stores 32-byte flow
 * slots in place.  A flow whose packets so far
 * all had the same size, TTL, source port, flag byte and destination
 * address, and that has < 65535 packets, lives entirely in its slot.
 * Otherwise it gets a 64-byte extension (one cache line, from 256-entry
 * slabs) with 64-bit counts, the first two destination hosts inline, and,
 * per attribute that shows a second value, a value counter; 3+ hosts go
 * to a host set (see value_counter.h) that becomes a bitmap (8 KiB under
 * /16, 32 bytes under /24) once that is smaller.
 *
 * Measured (ft_flow_table_memory, x86-64):
 *   1,000,000 distinct 1-packet flows: 67,108,968 bytes = 67.1 bytes per
 *     flow (2^21 slots; 43 to 85 bytes per flow depending on where the
 *     count falls between doublings)
 *   one source sweeping all 65,536 addresses of a /16 (one port, fixed
 *     size/TTL/source port/flags): 8,208 bytes of host bitmap + a 64-byte
 *     extension + its slot; 24,608 bytes over an empty table when it is
 *     the first extended flow (the whole 16,400-byte slab is counted)
 * Both count what is requested from malloc/mmap (allocator overhead, at
 * most 16 bytes per block, excluded).
 *
 * Speed: feed packets with ft_flow_table_add_many in batches; it overlaps
 * the cache misses a large table costs (about 1.5-2x ft_flow_table_add
 * there).  Call ft_flow_table_reserve with the previous interval's flow
 * count to skip the doublings.
 *
 * Ownership: the table owns all flow state; ft_flow_table_free releases it
 * (NULL accepted).  Not thread-safe.
 */
#ifndef FT_FLOW_TABLE_H
#define FT_FLOW_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "ft4.h"
#include "packet.h"

typedef struct ft_flow_table ft_flow_table;

/* dst_prefix is 16 or 24 (dst_net = destination masked to it).  NULL with
 * err set on a bad prefix or out of memory. */
ft_flow_table *ft_flow_table_new(int dst_prefix, ft_error *err);
void ft_flow_table_free(ft_flow_table *t);

/* Adds one packet (status must be FT_PKT_IPV4; others are ignored and
 * return 0).  -1 with err set when out of memory; the table is then only
 * fit for ft_flow_table_free. */
int ft_flow_table_add(ft_flow_table *t, const ft_packet *p, ft_error *err);

/* Adds `count` packets all identical to *p: the same result as `count`
 * ft_flow_table_add calls (0 adds nothing), in constant time (apart from
 * the occasional table or counter growth).  For converting FT2/FT3
 * records, where one old record stands for packet_cnt packets: fill
 * src/dst/proto/ports/ttl/ip_len/tcp_flags/spoofed/masscan from the old
 * record, and tcp_hlen/tcp_win with its first-SYN length and window (used
 * when proto is 6 and tcp_flags exactly 0x02, FT4-SPEC section 7). */
int ft_flow_table_add_weighted(ft_flow_table *t, const ft_packet *p,
                               uint64_t count, ft_error *err);

/* Makes room for `flows` flows without further rehashing, e.g. the flow
 * count of the previous interval (a fresh or drained table starts small
 * and doubles).  -1 with err set when out of memory (table unchanged). */
int ft_flow_table_reserve(ft_flow_table *t, size_t flows, ft_error *err);

/* Adds p[0..n) in order, with the same result as n ft_flow_table_add
 * calls, but prefetching ahead so that cache misses overlap: the fast way
 * to feed a large table (a batch of 32-256 packets is plenty). */
int ft_flow_table_add_many(ft_flow_table *t, const ft_packet *p, size_t n,
                           ft_error *err);

/* Bytes currently allocated by the table (exact; see above). */
size_t ft_flow_table_memory(const ft_flow_table *t);
/* Flows and packets held. */
size_t ft_flow_table_flows(const ft_flow_table *t);
uint64_t ft_flow_table_packets(const ft_flow_table *t);

/* Tag hook: fills rec->tag[] and rec->prefix2asn for src_ip.  It is called
 * at emit time, once per distinct source address (records come sorted by
 * src_ip, so the result is reused for that source's following records):
 * at most one lookup per flow, none per packet, and no per-flow memory.
 * Before the call the tags are "??" and prefix2asn 0. */
typedef void (*ft_flow_tag_fn)(void *ctx, uint32_t src_ip, ft4_record *rec);
/* Receives each record; returns 0, or -1 with err set to stop the emit. */
typedef int (*ft_flow_emit_fn)(void *ctx, const ft4_record *rec,
                               ft_error *err);

/* Hands every flow to emit as an FT4 record with the given interval start,
 * in ascending (src_ip, dst_net, dst_port, protocol) order, with the
 * common-value rule applied.  tag may be NULL (tags "??", prefix2asn 0).
 * The table is drained: afterwards it is empty and ready for another
 * interval, also when emit fails (returns -1, err set by emit).  The sort
 * works in place: emitting allocates nothing. */
int ft_flow_table_emit(ft_flow_table *t, int64_t time, ft_flow_tag_fn tag,
                       void *tag_ctx, ft_flow_emit_fn emit, void *emit_ctx,
                       ft_error *err);

#endif
