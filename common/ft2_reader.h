/*
 * ft2_reader.h - corsaro2 FlowTuple (FT2) binary files (FT4-SPEC section
 * 6), usually gzip-compressed; read through source.h, so gzip or plain.
 *
 * All integers big-endian, no padding:
 *
 *   [global header]  "EDGR" "HEAD" major u8 minor u8 init_time u32
 *                    interval_len u16 uri_len u16 uri[uri_len]
 *                    plugin_count u16 plugin_magic u32 x plugin_count
 *   interval start   "EDGR" "INTR" number u16 time u32          (14 bytes)
 *     class start    magic u32 ("SIXU"|"SIXT") id u16 count u32 (10 bytes)
 *       count x      src_ip u32 dst_ip (u32, or u24 for SIXT) src_port u16
 *                    dst_port u16 protocol u8 ttl u8 tcp_flags u8
 *                    ip_len u16 packet_cnt u32           (21 or 20 bytes)
 *     class end      magic u32 id u16                             (6 bytes)
 *     ... classes 0 (backscatter), 1 (ICMP request), 2 (other), in order
 *   interval end     "EDGR" "INTR" number u16 time u32          (14 bytes)
 *   ... more intervals
 *
 * Strict checks: the magics, class ids 0, 1, 2 in that order, a class end
 * with its start's magic and id, an interval end with its start's number
 * and a time not before its start, every record present.  A SIXT class
 * needs the /8 octet given to ft2_reader_open.  Messages name the input
 * and the byte offset (in the decompressed data) of the structure at
 * fault:
 *   "x.cors.gz: byte 0: not an FT2 file (starts 45 44 47 52 46 4f 4f 54)"
 *   "x.cors.gz: byte 24: interval 0: class 1: bad magic 0x41424344"
 *   "x.cors.gz: byte 58: interval 0: class 0: 100 records of 21 bytes run
 *    past the end of the data (3 read)"
 *   "x.cors.gz: byte 230: interval 3 (1613239380) ends without its end
 *    marker (found an interval start)"
 *   "x.cors.gz: byte 1020: gzip: invalid block type"
 *   "x.cors.gz: byte 24: interval 0: class 0: SIXT records (/8-optimised
 *    destinations): the first octet must be given (--slash-eight)"
 * After an error only errors follow, except that an interval whose end
 * marker is missing because the next interval's start stands there may be
 * followed by that next interval (ft2_reader_next_interval resumes).
 *
 * Ownership: the reader borrows src (the caller closes it after
 * ft2_reader_close(), which accepts NULL).
 */
#ifndef FT_FT2_READER_H
#define FT_FT2_READER_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "source.h"

#define FT2_MAGIC_EDGR 0x45444752u
#define FT2_MAGIC_HEAD 0x48454144u
#define FT2_MAGIC_INTR 0x494E5452u
#define FT2_MAGIC_SIXU 0x53495855u
#define FT2_MAGIC_SIXT 0x53495854u

typedef struct ft2_header {
    uint8_t major, minor;
    uint32_t init_time;
    uint16_t interval_len; /* seconds */
    uint16_t nplugins;
    uint32_t plugin[16];   /* the first 16 plugin magics */
} ft2_header;

typedef struct ft2_interval {
    uint16_t number;
    uint32_t time;         /* start, Unix seconds */
} ft2_interval;

typedef struct ft2_record {
    uint32_t src_ip, dst_ip;
    uint16_t src_port, dst_port; /* ICMP: type, code */
    uint16_t ip_len;
    uint8_t protocol, ttl, tcp_flags;
    uint32_t packet_cnt;
} ft2_record;

typedef struct ft2_reader ft2_reader;

/* Reads the global header if there is one.  slash_eight: the first octet
 * of SIXT destinations (0-255), or -1 when not known. */
ft2_reader *ft2_reader_open(ft_source *src, int slash_eight, ft_error *err);

/* The global header, or NULL when the file has none. */
const ft2_header *ft2_reader_header(const ft2_reader *r);

/* Reads the next interval start: 1 with *iv, 0 at a clean end of file
 * (only between intervals), -1 on error. */
int ft2_reader_next_interval(ft2_reader *r, ft2_interval *iv, ft_error *err);

/* Reads up to cap records of the current interval into recs: 1 with *n
 * > 0 records, 0 once the interval's end marker has been read and
 * checked, -1 on error. */
int ft2_reader_read(ft2_reader *r, ft2_record *recs, size_t cap, size_t *n,
                    ft_error *err);

/* 1 when the last class start seen was SIXT. */
int ft2_reader_sixt(const ft2_reader *r);
/* 1 when the last error was a SIXT class without a /8 octet. */
int ft2_reader_needs_slash_eight(const ft2_reader *r);
/* Bytes consumed (of the decompressed data). */
uint64_t ft2_reader_offset(const ft2_reader *r);

void ft2_reader_close(ft2_reader *r);

#endif
