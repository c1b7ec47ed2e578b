/*
 * fuzz_packet.c - libFuzzer harness for ft_packet_parse (packet.h).
 *
 * Input: byte 0 chooses the datalink type (every supported one and one
 * unsupported), the rest is the captured frame, caplen = its length.
 * Besides memory errors (ASan/UBSan) it checks the header's promises:
 * the status is one of three, fields past it are zero unless IPv4, and
 * transport fields appear only with a transport header.
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "packet.h"

static const int dlts[] = {
    DLT_EN10MB, DLT_RAW, 101 /* LINKTYPE_RAW */, DLT_IPV4, DLT_LINUX_SLL,
    DLT_LINUX_SLL2, DLT_NULL, DLT_LOOP, DLT_IEEE802_11 /* unsupported */,
};
#define NDLT (sizeof dlts / sizeof dlts[0])

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int dlt = dlts[data[0] % NDLT];
    const uint8_t *frame = data + 1;
    uint32_t caplen = (uint32_t)(size - 1);

    ft_packet p;
    memset(&p, 0xa5, sizeof p); /* ft_packet_parse must fill all of it */
    int st = ft_packet_parse(dlt, frame, caplen, &p);
    if (st != p.status || st < FT_PKT_IPV4 || st > FT_PKT_MALFORMED)
        abort();
    if (!ft_packet_dlt_supported(dlt) && st != FT_PKT_NOT_IPV4)
        abort();
    if (!ft_packet_dlt_name(dlt))
        abort();
    if (st != FT_PKT_IPV4) {
        ft_packet z;
        memset(&z, 0, sizeof z);
        z.status = p.status;
        if (memcmp(&z, &p, sizeof p) != 0)
            abort();
        return 0;
    }
    if (p.has_transport > 1 || p.spoofed > 1 || p.masscan > 1)
        abort();
    if (p.has_transport && p.proto != 1 && p.proto != 6 && p.proto != 17)
        abort();
    if (!p.has_transport &&
        (p.src_port || p.dst_port || p.tcp_win || p.tcp_flags || p.tcp_hlen))
        abort();
    if (p.proto != 6 && (p.tcp_win || p.tcp_flags || p.tcp_hlen))
        abort();
    if (p.masscan && (p.proto != 6 || p.ttl < 200))
        abort();
    return 0;
}
