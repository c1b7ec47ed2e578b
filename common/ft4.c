/* ft4.c - the FT4 field table and record helpers. */
#include "ft4.h"

#include <string.h>

#define OFF(m) offsetof(ft4_record, m)
#define AOFF(i) (offsetof(ft4_record, arr) + (i) * sizeof(ft4_array))
#define TOFF(i) (offsetof(ft4_record, tag) + (i) * sizeof(ft4_tag))

const ft4_field ft4_fields[FT4_F_COUNT] = {
    {"time", FT4_LONG, FT4_K_TIME, OFF(time), 10, "interval start, Unix seconds"},
    {"src_ip", FT4_LONG, FT4_K_ADDR, OFF(src_ip), 15, "source IPv4 address"},
    {"dst_net", FT4_LONG, FT4_K_ADDR, OFF(dst_net), 15, "destination /16 or /24 network"},
    {"dst_port", FT4_INT, FT4_K_NUMBER, OFF(dst_port), 8, "destination port; ICMP (type<<8)|code"},
    {"protocol", FT4_INT, FT4_K_NUMBER, OFF(protocol), 8, "IP protocol number"},
    {"packet_cnt", FT4_LONG, FT4_K_NUMBER, OFF(packet_cnt), 10, "packets in the flow"},
    {"uniq_dst_ips", FT4_INT, FT4_K_NUMBER, OFF(uniq_dst_ips), 12, "distinct destination addresses"},
    {"uniq_pkt_sizes", FT4_INT, FT4_K_NUMBER, OFF(uniq_pkt_sizes), 14, "distinct IP total lengths"},
    {"uniq_ttls", FT4_INT, FT4_K_NUMBER, OFF(uniq_ttls), 9, "distinct TTLs"},
    {"uniq_src_ports", FT4_INT, FT4_K_NUMBER, OFF(uniq_src_ports), 14, "distinct source ports"},
    {"uniq_tcp_flags", FT4_INT, FT4_K_NUMBER, OFF(uniq_tcp_flags), 14, "distinct TCP flag bytes"},
    {"first_syn_length", FT4_INT, FT4_K_NUMBER, OFF(first_syn_length), 16, "TCP header length of the first SYN"},
    {"first_tcp_rwin", FT4_INT, FT4_K_NUMBER, OFF(first_tcp_rwin), 14, "window of the first SYN"},
    {"common_pktsizes", FT4_ARRAY, FT4_K_LIST, AOFF(FT4_A_PKTSIZES), 15, "common packet sizes"},
    {"common_pktsize_freqs", FT4_ARRAY, FT4_K_LIST, AOFF(FT4_A_PKTSIZE_FREQS), 20, "packets of each common size"},
    {"common_ttls", FT4_ARRAY, FT4_K_LIST, AOFF(FT4_A_TTLS), 11, "common TTLs"},
    {"common_ttl_freqs", FT4_ARRAY, FT4_K_LIST, AOFF(FT4_A_TTL_FREQS), 16, "packets of each common TTL"},
    {"common_srcports", FT4_ARRAY, FT4_K_LIST, AOFF(FT4_A_SRCPORTS), 15, "common source ports"},
    {"common_srcport_freqs", FT4_ARRAY, FT4_K_LIST, AOFF(FT4_A_SRCPORT_FREQS), 20, "packets of each common source port"},
    {"common_tcpflags", FT4_ARRAY, FT4_K_LIST, AOFF(FT4_A_TCPFLAGS), 15, "common TCP flag bytes"},
    {"common_tcpflag_freqs", FT4_ARRAY, FT4_K_LIST, AOFF(FT4_A_TCPFLAG_FREQS), 20, "packets of each common flag byte"},
    {"maxmind_continent", FT4_STRING, FT4_K_TAG, TOFF(FT4_T_MAXMIND_CONTINENT), 17, "continent, first geolocation source"},
    {"maxmind_country", FT4_STRING, FT4_K_TAG, TOFF(FT4_T_MAXMIND_COUNTRY), 15, "country, first geolocation source"},
    {"netacq_continent", FT4_STRING, FT4_K_TAG, TOFF(FT4_T_NETACQ_CONTINENT), 16, "continent, second geolocation source"},
    {"netacq_country", FT4_STRING, FT4_K_TAG, TOFF(FT4_T_NETACQ_COUNTRY), 14, "country, second geolocation source"},
    {"prefix2asn", FT4_LONG, FT4_K_NUMBER, OFF(prefix2asn), 10, "origin AS of the source"},
    {"spoofed_packet_cnt", FT4_LONG, FT4_K_NUMBER, OFF(spoofed_packet_cnt), 18, "packets matching the spoofing rules"},
    {"masscan_packet_cnt", FT4_LONG, FT4_K_NUMBER, OFF(masscan_packet_cnt), 18, "packets looking like masscan probes"},
};

const char ft4_schema_json[] =
    "{\"type\": \"record\", \"namespace\": \"org.caida.corsaro\", \"name\": \"flowtuple4\",\n"
    " \"doc\": \"A Corsaro FlowTuple4 record.\",\n"
    " \"fields\": [\n"
    "  {\"name\": \"time\", \"type\": \"long\"},\n"
    "  {\"name\": \"src_ip\", \"type\": \"long\"},\n"
    "  {\"name\": \"dst_net\", \"type\": \"long\"},\n"
    "  {\"name\": \"dst_port\", \"type\": \"int\"},\n"
    "  {\"name\": \"protocol\", \"type\": \"int\"},\n"
    "  {\"name\": \"packet_cnt\", \"type\": \"long\"},\n"
    "  {\"name\": \"uniq_dst_ips\", \"type\": \"int\"},\n"
    "  {\"name\": \"uniq_pkt_sizes\", \"type\": \"int\"},\n"
    "  {\"name\": \"uniq_ttls\", \"type\": \"int\"},\n"
    "  {\"name\": \"uniq_src_ports\", \"type\": \"int\"},\n"
    "  {\"name\": \"uniq_tcp_flags\", \"type\": \"int\"},\n"
    "  {\"name\": \"first_syn_length\", \"type\": \"int\"},\n"
    "  {\"name\": \"first_tcp_rwin\", \"type\": \"int\"},\n"
    "  {\"name\": \"common_pktsizes\", \"type\": {\"type\": \"array\", \"items\": \"long\"}},\n"
    "  {\"name\": \"common_pktsize_freqs\", \"type\": {\"type\": \"array\", \"items\": \"long\"}},\n"
    "  {\"name\": \"common_ttls\", \"type\": {\"type\": \"array\", \"items\": \"long\"}},\n"
    "  {\"name\": \"common_ttl_freqs\", \"type\": {\"type\": \"array\", \"items\": \"long\"}},\n"
    "  {\"name\": \"common_srcports\", \"type\": {\"type\": \"array\", \"items\": \"long\"}},\n"
    "  {\"name\": \"common_srcport_freqs\", \"type\": {\"type\": \"array\", \"items\": \"long\"}},\n"
    "  {\"name\": \"common_tcpflags\", \"type\": {\"type\": \"array\", \"items\": \"long\"}},\n"
    "  {\"name\": \"common_tcpflag_freqs\", \"type\": {\"type\": \"array\", \"items\": \"long\"}},\n"
    "  {\"name\": \"maxmind_continent\", \"type\": \"string\"},\n"
    "  {\"name\": \"maxmind_country\", \"type\": \"string\"},\n"
    "  {\"name\": \"netacq_continent\", \"type\": \"string\"},\n"
    "  {\"name\": \"netacq_country\", \"type\": \"string\"},\n"
    "  {\"name\": \"prefix2asn\", \"type\": \"long\"},\n"
    "  {\"name\": \"spoofed_packet_cnt\", \"type\": \"long\"},\n"
    "  {\"name\": \"masscan_packet_cnt\", \"type\": \"long\"}\n"
    " ]}";

int ft4_field_lookup(const char *name)
{
    for (int i = 0; i < FT4_F_COUNT; i++)
        if (strcmp(ft4_fields[i].name, name) == 0)
            return i;
    if (strcmp(name, "common_pkt_sizes") == 0)
        return FT4_F_COMMON_PKTSIZES;
    return -1;
}

int64_t ft4_get_int(const ft4_record *r, int field)
{
    const ft4_field *f = &ft4_fields[field];
    const char *p = (const char *)r + f->offset;
    if (f->type == FT4_LONG)
        return *(const int64_t *)p;
    if (f->type == FT4_INT)
        return *(const int32_t *)p;
    return 0;
}

const ft4_array *ft4_get_array(const ft4_record *r, int field)
{
    return (const ft4_array *)((const char *)r + ft4_fields[field].offset);
}

const ft4_tag *ft4_get_tag(const ft4_record *r, int field)
{
    return (const ft4_tag *)((const char *)r + ft4_fields[field].offset);
}

void ft4_tag_set(ft4_tag *t, const char *s, size_t len)
{
    if (len > FT4_TAG_MAX)
        len = FT4_TAG_MAX;
    memcpy(t->s, s, len);
    t->s[len] = '\0';
    t->len = (uint8_t)len;
}

void ft4_record_init(ft4_record *r)
{
    memset(r, 0, offsetof(ft4_record, tag));
    for (int i = 0; i < FT4_T_COUNT; i++)
        ft4_tag_set(&r->tag[i], "??", 2);
    for (int i = 0; i < FT4_A_COUNT; i++)
        r->arr[i].n = 0;
}

int ft4_record_equal(const ft4_record *a, const ft4_record *b)
{
    for (int f = 0; f < FT4_F_COUNT; f++) {
        switch (ft4_fields[f].type) {
        case FT4_LONG:
        case FT4_INT:
            if (ft4_get_int(a, f) != ft4_get_int(b, f))
                return 0;
            break;
        case FT4_STRING: {
            const ft4_tag *x = ft4_get_tag(a, f), *y = ft4_get_tag(b, f);
            if (x->len != y->len || memcmp(x->s, y->s, x->len) != 0)
                return 0;
            break;
        }
        case FT4_ARRAY: {
            const ft4_array *x = ft4_get_array(a, f), *y = ft4_get_array(b, f);
            if (x->n != y->n || memcmp(x->v, y->v, x->n * sizeof x->v[0]) != 0)
                return 0;
            break;
        }
        }
    }
    return 1;
}

/* Levenshtein distance, for "did you mean" suggestions. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 99;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *ft4_field_suggest(const char *name)
{
    const char *best = NULL;
    size_t bestd = 0;
    for (int i = 0; i < FT4_F_COUNT; i++) {
        size_t d = edit_distance(name, ft4_fields[i].name);
        /* a prefix or substring of a real name is a good hint too */
        if (strstr(ft4_fields[i].name, name) && strlen(name) >= 3)
            d = d < 2 ? d : 2;
        if (!best || d < bestd) {
            best = ft4_fields[i].name;
            bestd = d;
        }
    }
    return bestd <= 4 ? best : NULL;
}

int ft4_parse_field_list(const char *list, int *ids, int *n, ft_error *err)
{
    *n = 0;
    const char *p = list;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char name[64];
        if (len == 0 || len >= sizeof name)
            return ft_error_set(err, "'%s': bad field list", list);
        memcpy(name, p, len);
        name[len] = '\0';
        int id = ft4_field_lookup(name);
        if (id < 0) {
            const char *s = ft4_field_suggest(name);
            if (s)
                return ft_error_set(err, "unknown field '%s' (did you mean '%s'?)",
                                    name, s);
            return ft_error_set(err, "unknown field '%s'", name);
        }
        if (*n >= FT4_F_COUNT)
            return ft_error_set(err, "'%s': too many fields", list);
        ids[(*n)++] = id;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}
