/*
 * ft3_reader.h - corsaro3 FlowTuple (FT3) Avro files (FT4-SPEC section 5).
 *
 * The container layer is avro_container.h (codecs null, deflate, snappy;
 * every block checked).  The writer schema must be a record holding the
 * FT3 fields by name, in any order:
 *   time long, src_ip long, dst_ip long, src_port int, dst_port int,
 *   protocol int, ttl int, tcp_flags int, ip_len int, tcp_synlen int,
 *   tcp_synwinlen int, packet_cnt long, is_spoofed int, is_masscan int,
 *   maxmind_continent string, maxmind_country string,
 *   netacq_continent string, netacq_country string, prefix2asn long
 * int and long are accepted for each other (both are zigzag varints;
 * values are range-checked instead), bytes for string.  A missing field,
 * a field of another type, or a field FT3 does not have is refused:
 *   "x.avro: schema: not FT3: field 'dst_ip' missing"
 * Values are checked per record: addresses 0..2^32-1, ports, ip_len and
 * tcp_synwinlen 0..65535, protocol, ttl and tcp_flags 0..255, packet_cnt
 * >= 0, tcp_synlen 0..2^31-1, strings at most FT4_TAG_MAX bytes:
 *   "x.avro: block 3: record 7: src_port 70000 out of range"
 * A block must hold exactly `count` records filling exactly its bytes.
 * After an error only errors follow.
 *
 * Ownership: the reader borrows src (the caller closes it after
 * ft3_reader_close(), which accepts NULL).
 */
#ifndef FT_FT3_READER_H
#define FT_FT3_READER_H

#include <stdint.h>

#include "error.h"
#include "ft4.h"
#include "source.h"

typedef struct ft3_record {
    int64_t time;
    uint32_t src_ip, dst_ip;
    uint16_t src_port, dst_port; /* ICMP: type, code */
    uint16_t ip_len;
    uint8_t protocol, ttl, tcp_flags;
    uint8_t is_spoofed, is_masscan; /* 0 or 1 (any non-zero value) */
    uint16_t tcp_synwinlen;
    int32_t tcp_synlen;
    int64_t packet_cnt;
    int64_t prefix2asn;
    ft4_tag tag[FT4_T_COUNT]; /* maxmind_continent, maxmind_country,
                                 netacq_continent, netacq_country */
} ft3_record;

typedef struct ft3_reader ft3_reader;

ft3_reader *ft3_reader_open(ft_source *src, ft_error *err);
/* 1 = a record in *rec, 0 = clean end of file, -1 = error. */
int ft3_reader_next(ft3_reader *r, ft3_record *rec, ft_error *err);
/* The block being read (from 1), for messages. */
uint64_t ft3_reader_block(const ft3_reader *r);
void ft3_reader_close(ft3_reader *r);

#endif
