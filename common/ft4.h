/*
 * ft4.h - the one FlowTuple v4 record type and its field table.
 *
 * Every tool reads, filters, prints and writes this struct; the field
 * table below is the single list of field names (FT4-SPEC section 2) that
 * --fields, expressions and the codecs use.
 *
 * Values are kept exactly as found on the wire (Avro long -> int64_t,
 * Avro int -> int32_t) so that a foreign file with out-of-range values
 * round-trips unchanged.  Arrays hold up to FT4_ARRAY_READ_MAX entries so
 * foreign files with long common-value lists are read, not truncated; our
 * own writers never produce more than FT4_ARRAY_WRITE_MAX.
 */
#ifndef FT4_H
#define FT4_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define FT4_ARRAY_WRITE_MAX 5
#define FT4_ARRAY_READ_MAX 64
/* Tag strings are 2-letter codes; longer foreign values up to this many
 * bytes are kept, anything longer is rejected by the readers. */
#define FT4_TAG_MAX 15

typedef struct ft4_array {
    uint32_t n;
    int64_t v[FT4_ARRAY_READ_MAX];
} ft4_array;

typedef struct ft4_tag {
    uint8_t len;
    char s[FT4_TAG_MAX + 1]; /* NUL-terminated */
} ft4_tag;

/* Order of the arrays inside ft4_record.arr[] (schema order). */
enum ft4_array_id {
    FT4_A_PKTSIZES, FT4_A_PKTSIZE_FREQS,
    FT4_A_TTLS, FT4_A_TTL_FREQS,
    FT4_A_SRCPORTS, FT4_A_SRCPORT_FREQS,
    FT4_A_TCPFLAGS, FT4_A_TCPFLAG_FREQS,
    FT4_A_COUNT
};

enum ft4_tag_id {
    FT4_T_MAXMIND_CONTINENT, FT4_T_MAXMIND_COUNTRY,
    FT4_T_NETACQ_CONTINENT, FT4_T_NETACQ_COUNTRY,
    FT4_T_COUNT
};

typedef struct ft4_record {
    int64_t time;
    int64_t src_ip;
    int64_t dst_net;
    int32_t dst_port;
    int32_t protocol;
    int64_t packet_cnt;
    int32_t uniq_dst_ips;
    int32_t uniq_pkt_sizes;
    int32_t uniq_ttls;
    int32_t uniq_src_ports;
    int32_t uniq_tcp_flags;
    int32_t first_syn_length;
    int32_t first_tcp_rwin;
    int64_t prefix2asn;
    int64_t spoofed_packet_cnt;
    int64_t masscan_packet_cnt;
    ft4_tag tag[FT4_T_COUNT];
    ft4_array arr[FT4_A_COUNT];
} ft4_record;

/* Field identifiers in schema order (FT4-SPEC section 2). */
enum ft4_field_id {
    FT4_F_TIME, FT4_F_SRC_IP, FT4_F_DST_NET, FT4_F_DST_PORT, FT4_F_PROTOCOL,
    FT4_F_PACKET_CNT, FT4_F_UNIQ_DST_IPS, FT4_F_UNIQ_PKT_SIZES,
    FT4_F_UNIQ_TTLS, FT4_F_UNIQ_SRC_PORTS, FT4_F_UNIQ_TCP_FLAGS,
    FT4_F_FIRST_SYN_LENGTH, FT4_F_FIRST_TCP_RWIN,
    FT4_F_COMMON_PKTSIZES, FT4_F_COMMON_PKTSIZE_FREQS,
    FT4_F_COMMON_TTLS, FT4_F_COMMON_TTL_FREQS,
    FT4_F_COMMON_SRCPORTS, FT4_F_COMMON_SRCPORT_FREQS,
    FT4_F_COMMON_TCPFLAGS, FT4_F_COMMON_TCPFLAG_FREQS,
    FT4_F_MAXMIND_CONTINENT, FT4_F_MAXMIND_COUNTRY,
    FT4_F_NETACQ_CONTINENT, FT4_F_NETACQ_COUNTRY,
    FT4_F_PREFIX2ASN, FT4_F_SPOOFED_PACKET_CNT, FT4_F_MASSCAN_PACKET_CNT,
    FT4_F_COUNT
};

enum ft4_type { FT4_LONG, FT4_INT, FT4_ARRAY, FT4_STRING };

/* How a field is shown to people: addresses dotted, time as a date. */
enum ft4_kind { FT4_K_NUMBER, FT4_K_ADDR, FT4_K_TIME, FT4_K_TAG, FT4_K_LIST };

typedef struct ft4_field {
    const char *name;
    enum ft4_type type;
    enum ft4_kind kind;
    size_t offset;   /* into ft4_record: int64_t, int32_t, ft4_tag or ft4_array */
    int width;       /* column width in the text table */
    const char *doc; /* one line for --help-fields */
} ft4_field;

extern const ft4_field ft4_fields[FT4_F_COUNT];

/* The writer schema of FT4-SPEC section 2, as JSON text, byte for byte what
 * our Avro files carry. */
extern const char ft4_schema_json[];

/* Field id for a schema name, or -1.  Accepts the alias common_pkt_sizes. */
int ft4_field_lookup(const char *name);

/* The field name nearest to a misspelt one, or NULL. */
const char *ft4_field_suggest(const char *name);
/* Parses "a,b,c" into field ids (at most FT4_F_COUNT).  Unknown names are
 * refused with a suggestion. */
int ft4_parse_field_list(const char *list, int *ids, int *n, ft_error *err);

/* Integer value of a numeric (long/int) field. */
int64_t ft4_get_int(const ft4_record *r, int field);
const ft4_array *ft4_get_array(const ft4_record *r, int field);
const ft4_tag *ft4_get_tag(const ft4_record *r, int field);

/* A record with every count 0, every array empty and every tag "??". */
void ft4_record_init(ft4_record *r);
void ft4_tag_set(ft4_tag *t, const char *s, size_t len);
/* 1 when all fields are equal (only the used part of arrays compared). */
int ft4_record_equal(const ft4_record *a, const ft4_record *b);

#endif
