/* packet.c - link-layer demux, IPv4/transport parsing and the per-packet
 * spoofing/masscan heuristics of FT4-SPEC sections 1 and 3. */
#include "packet.h"

#include <pcap/pcap.h>
#include <string.h>

/* LINKTYPE_RAW as stored in pcap files; libpcap maps it to DLT_RAW, but a
 * caller reading file headers itself may hand it over unmapped. */
#define FT_LINKTYPE_RAW 101

#define ETH_IPV4 0x0800
#define ETH_VLAN 0x8100
#define ETH_QINQ 0x88a8
#define ETH_QINQ_OLD 0x9100
#define BSD_AF_INET 2u

#define PROTO_ICMP 1
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_IPV6 41

static inline uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | p[3];
}

int ft_packet_dlt_supported(int dlt)
{
    switch (dlt) {
    case DLT_EN10MB: case DLT_RAW: case FT_LINKTYPE_RAW: case DLT_IPV4:
    case DLT_LINUX_SLL: case DLT_LINUX_SLL2: case DLT_NULL: case DLT_LOOP:
        return 1;
    }
    return 0;
}

const char *ft_packet_dlt_name(int dlt)
{
    if (dlt == FT_LINKTYPE_RAW)
        return "RAW";
    const char *s = pcap_datalink_val_to_name(dlt);
    return s ? s : "unknown";
}

/* Skips VLAN tags starting at off whose (outer) ethertype is *type;
 * returns the payload offset, or 0 when the frame ends inside a tag. */
static uint32_t skip_vlans(const uint8_t *d, uint32_t caplen, uint32_t off,
                           uint16_t *type)
{
    while (*type == ETH_VLAN || *type == ETH_QINQ || *type == ETH_QINQ_OLD) {
        if (caplen - off < 4)
            return 0;
        *type = be16(d + off + 2);
        off += 4;
    }
    return off;
}

/* Offset of the IPv4 header, or -1 when the link layer does not say IPv4. */
static int64_t link_ipv4_offset(int dlt, const uint8_t *d, uint32_t caplen)
{
    uint16_t type;
    uint32_t off;
    switch (dlt) {
    case DLT_EN10MB:
        if (caplen < 14)
            return -1;
        type = be16(d + 12);
        off = skip_vlans(d, caplen, 14, &type);
        break;
    case DLT_LINUX_SLL:
        if (caplen < 16)
            return -1;
        type = be16(d + 14);
        off = skip_vlans(d, caplen, 16, &type);
        break;
    case DLT_LINUX_SLL2:
        if (caplen < 20)
            return -1;
        type = be16(d);
        off = skip_vlans(d, caplen, 20, &type);
        break;
    case DLT_RAW:
    case FT_LINKTYPE_RAW:
        return caplen >= 1 && d[0] >> 4 == 4 ? 0 : -1;
    case DLT_IPV4:
        return 0;
    case DLT_NULL: {
        if (caplen < 4)
            return -1;
        uint32_t le = (uint32_t)d[3] << 24 | (uint32_t)d[2] << 16 |
                      (uint32_t)d[1] << 8 | d[0];
        return le == BSD_AF_INET || be32(d) == BSD_AF_INET ? 4 : -1;
    }
    case DLT_LOOP:
        if (caplen < 4)
            return -1;
        return be32(d) == BSD_AF_INET ? 4 : -1;
    default:
        return -1;
    }
    return off && type == ETH_IPV4 ? (int64_t)off : -1;
}

/* Rule 1's allowed combinations of SYN, ACK, FIN, RST, PSH and URG. */
static int tcp_flags_normal(uint8_t flags)
{
    switch (flags & 0x3f) {
    case FT_TCP_SYN: case FT_TCP_ACK: case FT_TCP_RST: case FT_TCP_FIN:
    case FT_TCP_SYN | FT_TCP_FIN: case FT_TCP_SYN | FT_TCP_ACK:
    case FT_TCP_FIN | FT_TCP_ACK: case FT_TCP_PSH | FT_TCP_ACK:
    case FT_TCP_FIN | FT_TCP_PSH | FT_TCP_ACK:
        return 1;
    }
    return 0;
}

int ft_packet_parse(int dlt, const uint8_t *d, uint32_t caplen, ft_packet *p)
{
    memset(p, 0, sizeof *p);
    int64_t off = link_ipv4_offset(dlt, d, caplen);
    if (off < 0) {
        p->status = FT_PKT_NOT_IPV4;
        return p->status;
    }
    const uint8_t *ip = d + off;
    uint32_t cap = caplen - (uint32_t)off;
    if (cap < 20 || ip[0] >> 4 != 4 || (ip[0] & 0x0f) < 5) {
        p->status = FT_PKT_MALFORMED;
        return p->status;
    }
    uint32_t hl = (uint32_t)(ip[0] & 0x0f) * 4;
    p->ip_len = be16(ip + 2);
    p->frag = be16(ip + 6);
    p->ttl = ip[8];
    p->proto = ip[9];
    p->src = be32(ip + 12);
    p->dst = be32(ip + 16);

    /* The header must lie inside the captured bytes and the IP length, so
     * Ethernet padding is never read as a header. */
    uint32_t avail = cap < p->ip_len ? cap : p->ip_len;
    uint32_t need = p->proto == PROTO_TCP ? 20
                  : p->proto == PROTO_UDP || p->proto == PROTO_ICMP ? 8 : 0;
    const uint8_t *th = ip + hl;
    if (need && (p->frag & 0x1fff) == 0 && hl <= avail && avail - hl >= need) {
        p->has_transport = 1;
        if (p->proto == PROTO_ICMP) {
            p->dst_port = (uint16_t)(th[0] << 8 | th[1]);
        } else {
            p->src_port = be16(th);
            p->dst_port = be16(th + 2);
            if (p->proto == PROTO_TCP) {
                p->tcp_hlen = (uint8_t)((th[12] >> 4) * 4);
                p->tcp_flags = th[13];
                p->tcp_win = be16(th + 14);
            }
        }
    }

    /* Section 3.  "TCP SYN" = SYN set, ACK clear; a header-less TCP packet
     * is not one. */
    int tcp_hdr = p->proto == PROTO_TCP && p->has_transport;
    int syn_probe = tcp_hdr &&
                    (p->tcp_flags & (FT_TCP_SYN | FT_TCP_ACK)) == FT_TCP_SYN &&
                    p->tcp_win == 1024 && p->tcp_hlen == 20;
    p->masscan = syn_probe && p->ttl >= 200;

    int proto_ok = p->proto == PROTO_ICMP || p->proto == PROTO_TCP ||
                   p->proto == PROTO_UDP || p->proto == PROTO_IPV6;
    int tcpudp = p->proto == PROTO_TCP || p->proto == PROTO_UDP;
    uint8_t last = (uint8_t)p->src;
    p->spoofed =
        !proto_ok || (tcp_hdr && !tcp_flags_normal(p->tcp_flags)) ||      /* 1 */
        (p->ttl >= 200 && p->proto != PROTO_ICMP && !syn_probe) ||        /* 2 */
        (p->frag & 0x9fff) != 0 ||                                        /* 3 */
        last == 0 || last == 255 ||                                       /* 4 */
        p->src == p->dst ||                                               /* 5 */
        (tcpudp && (p->src_port == 0 || p->dst_port == 0)) ||             /* 6 */
        (p->proto == PROTO_UDP && p->dst_port == 80);                     /* 7 */
    p->status = FT_PKT_IPV4;
    return p->status;
}
