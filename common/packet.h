/*
 * packet.h - one captured frame reduced to what FT4 aggregation needs.
 *
 * ft_packet_parse() takes a frame exactly as libpcap hands it (datalink
 * type, bytes, caplen) and applies FT4-SPEC section 1's parsing rules and
 * section 3's per-packet heuristics, so the aggregator only counts.
 *
 * Supported link types (pcap DLT values):
 *   DLT_EN10MB      Ethernet; 802.1Q (0x8100) and QinQ (0x88a8, 0x9100)
 *                   tags stacked to any depth
 *   DLT_RAW         raw IP (LINKTYPE_RAW 101 accepted as an alias); the
 *                   version nibble decides: 4 is IPv4, anything else is
 *                   "not IPv4"
 *   DLT_IPV4        (228) raw IPv4: the link layer always says IPv4
 *   DLT_LINUX_SLL   Linux cooked v1 (16-byte header)
 *   DLT_LINUX_SLL2  Linux cooked v2 (20-byte header)
 *   DLT_NULL        BSD loopback, AF in the capturing host's byte order
 *                   (either order accepted; AF_INET = 2)
 *   DLT_LOOP        OpenBSD loopback, AF in network byte order
 * The cooked types also accept VLAN tags after their protocol field.
 *
 * Nothing here allocates or prints.
 */
#ifndef FT_PACKET_H
#define FT_PACKET_H

#include <stdint.h>

enum ft_packet_status {
    FT_PKT_IPV4 = 0,     /* aggregate it */
    FT_PKT_NOT_IPV4 = 1, /* ARP, IPv6, other link protocols, frames too
                            short to hold their link header */
    FT_PKT_MALFORMED = 2 /* the link layer says IPv4, but the version
                            nibble is not 4, IHL < 5 or fewer than 20
                            bytes of IP header were captured */
};

#define FT_TCP_FIN 0x01
#define FT_TCP_SYN 0x02
#define FT_TCP_RST 0x04
#define FT_TCP_PSH 0x08
#define FT_TCP_ACK 0x10
#define FT_TCP_URG 0x20

/* All numbers in host byte order.  Fields past `status` are meaningful only
 * when status == FT_PKT_IPV4. */
typedef struct ft_packet {
    uint32_t src, dst;
    uint16_t ip_len;   /* IP total-length field as written */
    uint16_t frag;     /* IP flags + fragment offset field (reserved bit
                          0x8000, DF 0x4000, MF 0x2000, offset 0x1fff) */
    uint16_t src_port; /* TCP/UDP with header; else 0 */
    uint16_t dst_port; /* TCP/UDP port, ICMP (type << 8) | code; else 0 */
    uint16_t tcp_win;  /* raw window field; 0 without a TCP header */
    uint8_t proto;
    uint8_t ttl;
    uint8_t tcp_flags; /* flag byte CWR..FIN (NS excluded); 0 without */
    uint8_t tcp_hlen;  /* data offset * 4 as found (may be < 20); 0 without */
    uint8_t has_transport; /* FT4-SPEC "transport header present" */
    uint8_t spoofed;   /* 1 when any spoofing rule of section 3 fires */
    uint8_t masscan;   /* 1 when the masscan-probe rule holds */
    uint8_t status;    /* enum ft_packet_status */
} ft_packet;

/* Parses one frame; returns out->status (out is always filled, zeros past
 * status when not FT_PKT_IPV4).  dlt must be supported (see below); an
 * unsupported one yields FT_PKT_NOT_IPV4. */
int ft_packet_parse(int dlt, const uint8_t *data, uint32_t caplen,
                    ft_packet *out);

/* 1 when ft_packet_parse handles this pcap datalink type. */
int ft_packet_dlt_supported(int dlt);

/* libpcap's short name for a datalink type ("EN10MB", "LINUX_SLL2", ...),
 * or "unknown" (static string; for error messages). */
const char *ft_packet_dlt_name(int dlt);

#endif
