/* datum.c - Avro binary encode/decode of one FT4 record (see datum.h).
 *
 * Speed matters here: every Avro and framed reader spends most of its time
 * in ft4_decode().  Plans that are the canonical schema (our own files and
 * the usual foreign ones) go through decode_fast(), an unrolled decoder
 * whose varint reader skips the per-byte bounds checks while at least 10
 * bytes remain, or decode_some() when only some fields are wanted
 * (ft4_decode_fields); other plans use the step interpreter. */
#include "datum.h"

#include <string.h>

#include "avro_schema.h"

/* Zigzag varint at p; returns the byte after it.  Inline: ft4_encode
 * writes 30-odd of these per record.  (A branch-free form that spreads
 * the 7-bit groups over a 64-bit word measured twice as slow.) */
static inline uint8_t *put_zz(uint8_t *p, int64_t v)
{
    uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    while (z > 0x7f) {
        *p++ = (uint8_t)(z | 0x80);
        z >>= 7;
    }
    *p++ = (uint8_t)z;
    return p;
}

size_t ft4_put_long(uint8_t *buf, int64_t v)
{
    return (size_t)(put_zz(buf, v) - buf);
}

int ft4_get_long(const uint8_t *buf, size_t len, size_t *pos, int64_t *v)
{
    size_t p = *pos;
    uint64_t z = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (p >= len)
            return -1;
        uint8_t b = buf[p++];
        z |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *pos = p;
            *v = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
            return 0;
        }
    }
    return -1;
}

/* One block of a.n items (none when empty), then the end-of-blocks 0. */
static inline uint8_t *put_array(uint8_t *p, const ft4_array *a)
{
    uint32_t n = a->n;
    if (n) {
        p = put_zz(p, n);
        for (uint32_t i = 0; i < n; i++)
            p = put_zz(p, a->v[i]);
    }
    *p++ = 0;
    return p;
}

/* A tag is at most FT4_TAG_MAX (15) bytes: copy all 16 bytes of t->s at
 * once (a fixed-size copy, no library call) and keep t->len of them.  The
 * buffer's FT4_ENCODED_MAX bound leaves ample room for the overshoot. */
static inline uint8_t *put_tag(uint8_t *p, const ft4_tag *t)
{
    *p++ = (uint8_t)(t->len << 1); /* zigzag varint of a length < 64 */
    memcpy(p, t->s, sizeof t->s);
    return p + t->len;
}

/* The largest record (10-byte varints, full arrays, 15-byte tags) plus
 * put_tag's overshoot fits FT4_ENCODED_MAX. */
_Static_assert(FT4_TAG_MAX < 64 && FT4_TAG_MAX + 1 == 16, "tag copy");
_Static_assert(13 * 10 + FT4_A_COUNT * (10 + FT4_ARRAY_READ_MAX * 10 + 1) +
                   FT4_T_COUNT * (1 + 16) + 3 * 10 <= FT4_ENCODED_MAX,
               "FT4_ENCODED_MAX");

size_t ft4_encode(const ft4_record *r, uint8_t *buf)
{
    uint8_t *p = buf;
    p = put_zz(p, r->time);
    p = put_zz(p, r->src_ip);
    p = put_zz(p, r->dst_net);
    p = put_zz(p, r->dst_port);
    p = put_zz(p, r->protocol);
    p = put_zz(p, r->packet_cnt);
    p = put_zz(p, r->uniq_dst_ips);
    p = put_zz(p, r->uniq_pkt_sizes);
    p = put_zz(p, r->uniq_ttls);
    p = put_zz(p, r->uniq_src_ports);
    p = put_zz(p, r->uniq_tcp_flags);
    p = put_zz(p, r->first_syn_length);
    p = put_zz(p, r->first_tcp_rwin);
    for (int i = 0; i < FT4_A_COUNT; i++)
        p = put_array(p, &r->arr[i]);
    for (int i = 0; i < FT4_T_COUNT; i++)
        p = put_tag(p, &r->tag[i]);
    p = put_zz(p, r->prefix2asn);
    p = put_zz(p, r->spoofed_packet_cnt);
    p = put_zz(p, r->masscan_packet_cnt);
    return (size_t)(p - buf);
}

/* The byte after a varint at p that ft4_encode would write the same way:
 * no redundant high 0 group (a last byte of 0 after others), and a tenth
 * byte of exactly 1 (the value's bit 63; ft4_get_long ignores the rest).
 * NULL when it is not so, or runs past end. */
static const uint8_t *canonical_zz(const uint8_t *p, const uint8_t *end)
{
    for (int i = 0; i < 10 && p < end; i++) {
        uint8_t b = *p++;
        if (!(b & 0x80)) {
            if (i == 9)
                return b == 1 ? p : NULL;
            return b || i == 0 ? p : NULL;
        }
    }
    return NULL;
}

/* The byte after an array at p as ft4_encode writes it: one block of
 * n > 0 items then 0, or just 0.  NULL when it is not so. */
static const uint8_t *canon_array(const uint8_t *p, const uint8_t *end)
{
    if (p >= end)
        return NULL;
    unsigned b = *p++;
    if (b == 0)
        return p;
    /* a count of 1..63 is one byte, zigzag: even; 64 is two */
    unsigned n;
    if (b < 0x80 && !(b & 1)) {
        n = b >> 1;
    } else if (b == 0x80 && p < end && *p == 1) {
        n = 64;
        p++;
    } else {
        return NULL;
    }
    for (unsigned k = 0; k < n; k++)
        if (!(p = canonical_zz(p, end)))
            return NULL;
    return p < end && *p == 0 ? p + 1 : NULL;
}

int ft4_encoded_canonical(const uint8_t *buf, size_t len)
{
    const uint8_t *p = buf, *end = buf + len;
    for (int i = 0; i < 13; i++)
        if (!(p = canonical_zz(p, end)))
            return 0;
    for (int i = 0; i < FT4_A_COUNT; i++)
        if (!(p = canon_array(p, end)))
            return 0;
    for (int i = 0; i < FT4_T_COUNT; i++) {
        /* the length of a tag (at most 15 bytes) is one byte */
        if (p >= end || (*p & 0x81) || (*p >> 1) > FT4_TAG_MAX ||
            (size_t)(end - p) < 1u + (*p >> 1))
            return 0;
        p += 1 + (*p >> 1);
    }
    for (int i = 0; i < 3; i++)
        if (!(p = canonical_zz(p, end)))
            return 0;
    return p == end;
}

static const ft4_plan canonical = {
    .nsteps = FT4_F_COUNT,
    .step = {
        {FT4_OP_LONG, FT4_F_TIME, NULL},
        {FT4_OP_LONG, FT4_F_SRC_IP, NULL},
        {FT4_OP_LONG, FT4_F_DST_NET, NULL},
        {FT4_OP_INT, FT4_F_DST_PORT, NULL},
        {FT4_OP_INT, FT4_F_PROTOCOL, NULL},
        {FT4_OP_LONG, FT4_F_PACKET_CNT, NULL},
        {FT4_OP_INT, FT4_F_UNIQ_DST_IPS, NULL},
        {FT4_OP_INT, FT4_F_UNIQ_PKT_SIZES, NULL},
        {FT4_OP_INT, FT4_F_UNIQ_TTLS, NULL},
        {FT4_OP_INT, FT4_F_UNIQ_SRC_PORTS, NULL},
        {FT4_OP_INT, FT4_F_UNIQ_TCP_FLAGS, NULL},
        {FT4_OP_INT, FT4_F_FIRST_SYN_LENGTH, NULL},
        {FT4_OP_INT, FT4_F_FIRST_TCP_RWIN, NULL},
        {FT4_OP_ARRAY, FT4_F_COMMON_PKTSIZES, NULL},
        {FT4_OP_ARRAY, FT4_F_COMMON_PKTSIZE_FREQS, NULL},
        {FT4_OP_ARRAY, FT4_F_COMMON_TTLS, NULL},
        {FT4_OP_ARRAY, FT4_F_COMMON_TTL_FREQS, NULL},
        {FT4_OP_ARRAY, FT4_F_COMMON_SRCPORTS, NULL},
        {FT4_OP_ARRAY, FT4_F_COMMON_SRCPORT_FREQS, NULL},
        {FT4_OP_ARRAY, FT4_F_COMMON_TCPFLAGS, NULL},
        {FT4_OP_ARRAY, FT4_F_COMMON_TCPFLAG_FREQS, NULL},
        {FT4_OP_STRING, FT4_F_MAXMIND_CONTINENT, NULL},
        {FT4_OP_STRING, FT4_F_MAXMIND_COUNTRY, NULL},
        {FT4_OP_STRING, FT4_F_NETACQ_CONTINENT, NULL},
        {FT4_OP_STRING, FT4_F_NETACQ_COUNTRY, NULL},
        {FT4_OP_LONG, FT4_F_PREFIX2ASN, NULL},
        {FT4_OP_LONG, FT4_F_SPOOFED_PACKET_CNT, NULL},
        {FT4_OP_LONG, FT4_F_MASSCAN_PACKET_CNT, NULL},
    },
    .zero_spoof_masscan = 0,
    .fast = 1,
    .schema = NULL,
};

const ft4_plan *ft4_plan_canonical(void) { return &canonical; }

#define GETL(v)                                         \
    do {                                                \
        if (ft4_get_long(buf, len, pos, &(v)) < 0) {    \
            *why = "truncated record";                  \
            return -1;                                  \
        }                                               \
    } while (0)

static int skip_bytes(const uint8_t *buf, size_t len, size_t *pos,
                      uint64_t n, const char **why)
{
    (void)buf;
    if (n > len - *pos) {
        *why = "truncated record";
        return -1;
    }
    *pos += n;
    return 0;
}

/* Skips one value of an arbitrary writer type (a field we do not use). */
static int skip_value(const ft_avro_type *s, const uint8_t *buf, size_t len,
                      size_t *pos, const char **why, int depth)
{
    int64_t v;
    if (depth > 32) {
        *why = "schema nested too deeply";
        return -1;
    }
    switch (s->kind) {
    case FT_AVRO_NULL:
        return 0;
    case FT_AVRO_BOOLEAN:
        return skip_bytes(buf, len, pos, 1, why);
    case FT_AVRO_INT:
    case FT_AVRO_LONG:
    case FT_AVRO_ENUM:
        GETL(v);
        return 0;
    case FT_AVRO_FLOAT:
        return skip_bytes(buf, len, pos, 4, why);
    case FT_AVRO_DOUBLE:
        return skip_bytes(buf, len, pos, 8, why);
    case FT_AVRO_STRING:
    case FT_AVRO_BYTES:
        GETL(v);
        if (v < 0) {
            *why = "negative length";
            return -1;
        }
        return skip_bytes(buf, len, pos, (uint64_t)v, why);
    case FT_AVRO_FIXED:
        return skip_bytes(buf, len, pos, (uint64_t)s->n, why);
    case FT_AVRO_RECORD:
        for (size_t i = 0; i < s->n; i++)
            if (skip_value(s->sub[i], buf, len, pos, why, depth + 1) < 0)
                return -1;
        return 0;
    case FT_AVRO_UNION:
        GETL(v);
        if (v < 0 || (uint64_t)v >= s->n) {
            *why = "bad union branch";
            return -1;
        }
        return skip_value(s->sub[v], buf, len, pos, why, depth + 1);
    case FT_AVRO_ARRAY:
    case FT_AVRO_MAP:
        for (;;) {
            int64_t count;
            GETL(count);
            if (count == 0)
                return 0;
            if (count < 0) { /* block with byte size: skip it whole */
                int64_t size;
                GETL(size);
                if (size < 0) {
                    *why = "negative length";
                    return -1;
                }
                if (skip_bytes(buf, len, pos, (uint64_t)size, why) < 0)
                    return -1;
                continue;
            }
            for (int64_t i = 0; i < count; i++) {
                size_t before = *pos;
                if (s->kind == FT_AVRO_MAP) {
                    GETL(v);
                    if (v < 0 || skip_bytes(buf, len, pos, (uint64_t)v, why) < 0) {
                        if (v < 0)
                            *why = "negative length";
                        return -1;
                    }
                }
                if (skip_value(s->sub[0], buf, len, pos, why, depth + 1) < 0)
                    return -1;
                /* An item of no bytes (null, an empty record): the rest
                 * of the block is as empty, however large its count. */
                if (*pos == before)
                    break;
            }
        }
    }
    *why = "unsupported type";
    return -1;
}

/* Reads one array's blocks into a (when not NULL) or only walks them,
 * checking the same things either way. */
static int get_array(const uint8_t *buf, size_t len, size_t *pos,
                     ft4_array *a, const char **why)
{
    uint32_t n = 0;
    for (;;) {
        int64_t count;
        GETL(count);
        if (count == 0)
            break;
        if (count < 0) { /* negative count: a byte size follows */
            int64_t size;
            GETL(size);
            count = count == INT64_MIN ? INT64_MAX : -count;
        }
        if (count > FT4_ARRAY_READ_MAX - (int64_t)n) {
            *why = "array longer than 64 entries";
            return -1;
        }
        for (int64_t i = 0; i < count; i++, n++) {
            int64_t v;
            GETL(v);
            if (a)
                a->v[n] = v;
        }
    }
    if (a)
        a->n = n;
    return 0;
}

/*
 * The unrolled decoder.  rd() returns the position after one zigzag
 * varint, or NULL (with *why set) when the data ends inside it or it is
 * longer than 10 bytes.
 */
static const uint8_t *rd_slow(const uint8_t *p, const uint8_t *end,
                              int64_t *v, const char **why)
{
    uint64_t z = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (p >= end) {
            *why = "truncated record";
            return NULL;
        }
        uint8_t b = *p++;
        z |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
            return p;
        }
    }
    *why = "varint longer than 10 bytes";
    return NULL;
}

static inline const uint8_t *rd(const uint8_t *p, const uint8_t *end,
                                int64_t *v, const char **why)
{
    /* Branchy on purpose: most FT4 fields keep the same varint length
     * from record to record, so the predictor wins; a branch-free 8-byte
     * decode measured 2x slower here (its length computation serialises
     * the fields). */
    if (p < end && p[0] < 0x80) {
        *v = (int64_t)(p[0] >> 1) ^ -(int64_t)(p[0] & 1);
        return p + 1;
    }
    if (end - p < 10)
        return rd_slow(p, end, v, why);
    uint64_t z = p[0] & 0x7f;
    for (int shift = 7;; shift += 7) { /* at most 10 bytes: no bound check */
        uint8_t b = *++p;
        z |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            break;
        if (shift == 63) {
            *why = "varint longer than 10 bytes";
            return NULL;
        }
    }
    *v = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
    return p + 1;
}

#define RD(dst)                                 \
    do {                                        \
        int64_t v_;                             \
        if (!(p = rd(p, end, &v_, why)))        \
            return -1;                          \
        (dst) = v_;                             \
    } while (0)

#define RDI(dst)                                \
    do {                                        \
        int64_t v_;                             \
        if (!(p = rd(p, end, &v_, why)))        \
            return -1;                          \
        if (v_ < INT32_MIN || v_ > INT32_MAX) { \
            *why = "int field out of range";    \
            return -1;                          \
        }                                       \
        (dst) = (int32_t)v_;                    \
    } while (0)

static inline const uint8_t *rd_array(const uint8_t *p, const uint8_t *end,
                                      ft4_array *a, const char **why)
{
    uint32_t n = 0;
    for (;;) {
        int64_t count;
        if (!(p = rd(p, end, &count, why)))
            return NULL;
        if (count == 0)
            break;
        if (count < 0) { /* negative count: a byte size follows */
            int64_t size;
            if (!(p = rd(p, end, &size, why)))
                return NULL;
            if (count == INT64_MIN)
                count = INT64_MAX;
            else
                count = -count;
        }
        if (count > FT4_ARRAY_READ_MAX - (int64_t)n) {
            *why = "array longer than 64 entries";
            return NULL;
        }
        for (int64_t i = 0; i < count; i++)
            if (!(p = rd(p, end, &a->v[n++], why)))
                return NULL;
    }
    a->n = n;
    return p;
}

static inline const uint8_t *rd_tag(const uint8_t *p, const uint8_t *end,
                                    ft4_tag *t, const char **why)
{
    int64_t n;
    if (!(p = rd(p, end, &n, why)))
        return NULL;
    if (n < 0) {
        *why = "negative string length";
        return NULL;
    }
    if (n > end - p) {
        *why = "truncated record";
        return NULL;
    }
    if (n > FT4_TAG_MAX) {
        *why = "string longer than 15 bytes";
        return NULL;
    }
    /* Tags are nearly always 2 bytes: copy 16 when the buffer allows, then
     * terminate (t->s has FT4_TAG_MAX + 1 bytes). */
    if (end - p >= 16)
        memcpy(t->s, p, 16);
    else
        memcpy(t->s, p, (size_t)n);
    t->s[n] = '\0';
    t->len = (uint8_t)n;
    return p + n;
}

static int decode_fast(const ft4_plan *pl, const uint8_t *buf, size_t len,
                       size_t *pos, ft4_record *r, const char **why)
{
    const uint8_t *p = buf + *pos, *end = buf + len;
    RD(r->time);
    RD(r->src_ip);
    RD(r->dst_net);
    RDI(r->dst_port);
    RDI(r->protocol);
    RD(r->packet_cnt);
    RDI(r->uniq_dst_ips);
    RDI(r->uniq_pkt_sizes);
    RDI(r->uniq_ttls);
    RDI(r->uniq_src_ports);
    RDI(r->uniq_tcp_flags);
    RDI(r->first_syn_length);
    RDI(r->first_tcp_rwin);
    /* unrolled: each array and tag has its own branches to predict */
#pragma GCC unroll 8
    for (int i = 0; i < FT4_A_COUNT; i++)
        if (!(p = rd_array(p, end, &r->arr[i], why)))
            return -1;
#pragma GCC unroll 4
    for (int i = 0; i < FT4_T_COUNT; i++)
        if (!(p = rd_tag(p, end, &r->tag[i], why)))
            return -1;
    RD(r->prefix2asn);
    if (pl->zero_spoof_masscan) {
        r->spoofed_packet_cnt = 0;
        r->masscan_packet_cnt = 0;
    } else {
        RD(r->spoofed_packet_cnt);
        RD(r->masscan_packet_cnt);
    }
    *pos = (size_t)(p - buf);
    return 0;
}

/* ---- decode projection on the canonical plan -------------------------
 *
 * The decoder above is bound by how many instructions it runs per value
 * (its branches are mostly predicted), so a field not wanted is walked
 * with as few as possible: no value computed, no bounds check per byte.
 * (Branch-free walks over a bitmap of varint ends measured slower: each
 * step waits on the one before.)  Only the usual shape is walked so (see
 * decode_some); any other record is decoded whole by decode_fast(),
 * which then also decides whether it is valid and why not, and has its
 * unwanted fields cleared afterwards. */

#define WANT(f) (m & FT4_FIELD_BIT(f))

/* Leaves every field not in m 0, empty or "". */
static void clear_fields(ft4_record *r, uint32_t m)
{
    for (uint32_t left = ~m & FT4_FIELDS_ALL; left; left &= left - 1) {
        const ft4_field *f = &ft4_fields[__builtin_ctz(left)];
        char *dst = (char *)r + f->offset;
        switch (f->type) {
        case FT4_LONG: memset(dst, 0, sizeof(int64_t)); break;
        case FT4_INT: memset(dst, 0, sizeof(int32_t)); break;
        case FT4_ARRAY: ((ft4_array *)(void *)dst)->n = 0; break;
        case FT4_STRING: {
            ft4_tag *t = (ft4_tag *)(void *)dst;
            t->len = 0;
            t->s[0] = '\0';
            break;
        }
        }
    }
}

/* The most bytes decode_some steps over without a bounds check: 16
 * numbers of at most 10 bytes, 8 arrays of one block of at most
 * WALK_ITEMS items, 4 strings of at most 16 bytes (with the length).  It
 * starts only with this much left in the buffer, and checks again after
 * each wanted array (which may be longer). */
#define WALK_ITEMS 8
#define WALK_SAFE 1024
_Static_assert(16 * 10 + FT4_A_COUNT * (1 + WALK_ITEMS * 10 + 1) +
                   FT4_T_COUNT * 16 <= WALK_SAFE, "WALK_SAFE");

/* The byte after a varint of 2 to 10 bytes at p, or NULL when it is
 * longer.  Unrolled: a fixed-length field (addresses, times) then
 * predicts each exit. */
static inline const uint8_t *skip_long_tail(const uint8_t *p, int check)
{
#pragma GCC unroll 9
    for (int i = 1; i < 10; i++)
        if (p[i] < 0x80) {
            /* check: also NULL when ft4_encode would not write it so */
            if (check && (i == 9 ? p[i] != 1 : p[i] == 0))
                return NULL;
            return p + i + 1;
        }
    return NULL;
}

/* 1 when the varint [q, p) that rd() read is as ft4_encode writes it. */
static inline int minimal_varint(const uint8_t *q, const uint8_t *p)
{
    return p - q == 1 || (p - q == 10 ? p[-1] == 1 : p[-1] != 0);
}

/* One varint of at most 10 bytes (longer: the full decode). */
#define SKIP_LONG()                                                 \
    do {                                                            \
        if (*p < 0x80) {                                            \
            p++;                                                    \
        } else if (!(p = skip_long_tail(p, check))) {               \
            goto full;                                              \
        }                                                           \
    } while (0)
/* An int's varint: at most 4 bytes, so within int32 (5: the full decode
 * checks the range). */
#define SKIP_INT()                                                  \
    do {                                                            \
        int k_;                                                     \
        if (*p < 0x80)                                              \
            k_ = 0;                                                 \
        else if (p[1] < 0x80)                                       \
            k_ = 1;                                                 \
        else if (p[2] < 0x80)                                       \
            k_ = 2;                                                 \
        else if (p[3] < 0x80)                                       \
            k_ = 3;                                                 \
        else                                                        \
            goto full;                                              \
        if (check && k_ && p[k_] == 0)                              \
            goto full;                                              \
        p += k_ + 1;                                                \
    } while (0)
#define W_LONG(f, dst)                                              \
    do {                                                            \
        if (WANT(f)) {                                              \
            int64_t v_;                                             \
            const uint8_t *q_ = p;                                  \
            if (!(p = rd(p, end, &v_, why)) ||                      \
                (check && !minimal_varint(q_, p)))                  \
                goto full;                                          \
            (dst) = v_;                                             \
        } else {                                                    \
            SKIP_LONG();                                            \
            (dst) = 0;                                              \
        }                                                           \
    } while (0)
#define W_INT(f, dst)                                               \
    do {                                                            \
        if (WANT(f)) {                                              \
            int64_t v_;                                             \
            const uint8_t *q_ = p;                                  \
            if (!(p = rd(p, end, &v_, why)) || v_ < INT32_MIN ||    \
                v_ > INT32_MAX || (check && !minimal_varint(q_, p)))  \
                goto full;                                          \
            (dst) = (int32_t)v_;                                    \
        } else {                                                    \
            SKIP_INT();                                             \
            (dst) = 0;                                              \
        }                                                           \
    } while (0)
/* Not wanted: one block, a one-byte count of 0..WALK_ITEMS items (even:
 * zigzag of a count >= 0), the items, then a one-byte 0. */
#define W_ARRAY(f, a)                                               \
    do {                                                            \
        if (WANT(f)) {                                              \
            const uint8_t *q_ = p;                                  \
            if (!(p = rd_array(p, end, (a), why)) ||                \
                end - p < WALK_SAFE ||                              \
                (check && canon_array(q_, p) != p))                 \
                goto full;                                          \
            break;                                                  \
        }                                                           \
        (a)->n = 0;                                                 \
        unsigned b_ = *p++;                                         \
        if (b_ == 0)                                                \
            break;                                                  \
        if (b_ > 2 * WALK_ITEMS || (b_ & 1))                        \
            goto full;                                              \
        for (unsigned n_ = b_ >> 1; n_ > 0; n_--)                   \
            SKIP_LONG();                                            \
        if (*p++ != 0)                                              \
            goto full;                                              \
    } while (0)
/* Not wanted: a one-byte length of 0..15 (even), then the bytes. */
#define W_TAG(f, t)                                                 \
    do {                                                            \
        if (WANT(f)) {                                              \
            if ((check && *p >= 0x80) || !(p = rd_tag(p, end, (t), why))) \
                goto full;                                          \
            break;                                                  \
        }                                                           \
        (t)->len = 0;                                               \
        (t)->s[0] = '\0';                                           \
        unsigned b_ = *p;                                           \
        if (b_ > 2 * FT4_TAG_MAX || (b_ & 1))                       \
            goto full;                                              \
        p += 1 + (b_ >> 1);                                         \
    } while (0)

/* decode_fast for the fields in m; see above.  With check (a constant:
 * each caller gets its own copy), also *copyable = whether the record's
 * bytes are as ft4_encode writes them (ft4_encoded_canonical), found on
 * the way: the walk above takes only canonical shapes for the fields it
 * skips, and the fields it reads are checked as they are read; records
 * that take the full decode are checked afterwards, and then keep every
 * field when not canonical. */
static inline __attribute__((always_inline)) int
walk_some(const ft4_plan *pl, uint32_t m, const uint8_t *buf, size_t len,
          size_t *pos, ft4_record *r, const char **why, int check,
          int *copyable)
{
    const size_t start = *pos;
    const uint8_t *p = buf + *pos, *end = buf + len;
    if (end - p < WALK_SAFE)
        goto full;
    W_LONG(FT4_F_TIME, r->time);
    W_LONG(FT4_F_SRC_IP, r->src_ip);
    W_LONG(FT4_F_DST_NET, r->dst_net);
    W_INT(FT4_F_DST_PORT, r->dst_port);
    W_INT(FT4_F_PROTOCOL, r->protocol);
    W_LONG(FT4_F_PACKET_CNT, r->packet_cnt);
    W_INT(FT4_F_UNIQ_DST_IPS, r->uniq_dst_ips);
    W_INT(FT4_F_UNIQ_PKT_SIZES, r->uniq_pkt_sizes);
    W_INT(FT4_F_UNIQ_TTLS, r->uniq_ttls);
    W_INT(FT4_F_UNIQ_SRC_PORTS, r->uniq_src_ports);
    W_INT(FT4_F_UNIQ_TCP_FLAGS, r->uniq_tcp_flags);
    W_INT(FT4_F_FIRST_SYN_LENGTH, r->first_syn_length);
    W_INT(FT4_F_FIRST_TCP_RWIN, r->first_tcp_rwin);
    /* unrolled: each array and tag has its own branches to predict */
#pragma GCC unroll 8
    for (int i = 0; i < FT4_A_COUNT; i++)
        W_ARRAY(FT4_F_COMMON_PKTSIZES + i, &r->arr[i]);
#pragma GCC unroll 4
    for (int i = 0; i < FT4_T_COUNT; i++)
        W_TAG(FT4_F_MAXMIND_CONTINENT + i, &r->tag[i]);
    W_LONG(FT4_F_PREFIX2ASN, r->prefix2asn);
    if (pl->zero_spoof_masscan) {
        r->spoofed_packet_cnt = 0;
        r->masscan_packet_cnt = 0;
    } else {
        W_LONG(FT4_F_SPOOFED_PACKET_CNT, r->spoofed_packet_cnt);
        W_LONG(FT4_F_MASSCAN_PACKET_CNT, r->masscan_packet_cnt);
    }
    *pos = (size_t)(p - buf);
    if (check)
        *copyable = 1;
    return 0;
full:
    *pos = start;
    if (decode_fast(pl, buf, len, pos, r, why) < 0)
        return -1;
    if (check && !(*copyable = ft4_encoded_canonical(buf + start, *pos - start)))
        return 0;
    clear_fields(r, m);
    return 0;
}

static int decode_some(const ft4_plan *pl, uint32_t m, const uint8_t *buf,
                       size_t len, size_t *pos, ft4_record *r, const char **why)
{
    return walk_some(pl, m, buf, len, pos, r, why, 0, NULL);
}

int ft4_decode_for_copy(const ft4_plan *p, uint32_t fields, const uint8_t *buf,
                        size_t len, size_t *pos, ft4_record *r, int *copyable,
                        const char **why)
{
    fields &= FT4_FIELDS_ALL;
    if (!ft4_plan_is_ft4(p) || fields == FT4_FIELDS_ALL) {
        size_t start = *pos;
        if (ft4_decode(p, buf, len, pos, r, why) < 0)
            return -1;
        *copyable = ft4_plan_is_ft4(p) &&
                     ft4_encoded_canonical(buf + start, *pos - start);
        return 0;
    }
    return walk_some(p, fields, buf, len, pos, r, why, 1, copyable);
}
#undef SKIP_LONG
#undef SKIP_INT
#undef W_LONG
#undef W_INT
#undef W_ARRAY
#undef W_TAG
#undef WANT

/* The step interpreter: any plan (foreign writer schemas).  A field not
 * in `fields` is read and checked the same way, and stored as 0 or empty. */
static int decode_steps(const ft4_plan *p, uint32_t fields, const uint8_t *buf,
                        size_t len, size_t *pos, ft4_record *r, const char **why)
{
    char *base = (char *)r;
    for (int i = 0; i < p->nsteps; i++) {
        const ft4_step *st = &p->step[i];
        const ft4_field *f = &ft4_fields[st->field < 0 ? 0 : st->field];
        int keep = st->field >= 0 && (fields & FT4_FIELD_BIT(st->field));
        int64_t v;
        switch (st->op) {
        case FT4_OP_LONG:
            GETL(v);
            if (f->type == FT4_LONG) {
                *(int64_t *)(base + f->offset) = keep ? v : 0;
            } else {
                if (v < INT32_MIN || v > INT32_MAX) {
                    *why = "int field out of range";
                    return -1;
                }
                *(int32_t *)(base + f->offset) = keep ? (int32_t)v : 0;
            }
            break;
        case FT4_OP_INT:
            GETL(v);
            if (v < INT32_MIN || v > INT32_MAX) {
                *why = "int field out of range";
                return -1;
            }
            *(int32_t *)(base + f->offset) = keep ? (int32_t)v : 0;
            break;
        case FT4_OP_STRING: {
            ft4_tag *t = (ft4_tag *)(base + f->offset);
            GETL(v);
            if (v < 0) {
                *why = "negative string length";
                return -1;
            }
            if ((uint64_t)v > len - *pos) {
                *why = "truncated record";
                return -1;
            }
            if (v > FT4_TAG_MAX) {
                *why = "string longer than 15 bytes";
                return -1;
            }
            size_t n = keep ? (size_t)v : 0;
            memcpy(t->s, buf + *pos, n);
            t->s[n] = '\0';
            t->len = (uint8_t)n;
            *pos += (size_t)v;
            break;
        }
        case FT4_OP_ARRAY: {
            ft4_array *a = (ft4_array *)(base + f->offset);
            if (!keep)
                a->n = 0;
            if (get_array(buf, len, pos, keep ? a : NULL, why) < 0)
                return -1;
            break;
        }
        case FT4_OP_SKIP:
            if (skip_value(st->skip_schema, buf, len, pos, why, 0) < 0)
                return -1;
            break;
        }
    }
    if (p->zero_spoof_masscan) {
        r->spoofed_packet_cnt = 0;
        r->masscan_packet_cnt = 0;
    }
    return 0;
}

int ft4_decode_fields(const ft4_plan *p, uint32_t fields, const uint8_t *buf,
                      size_t len, size_t *pos, ft4_record *r, const char **why)
{
    fields &= FT4_FIELDS_ALL;
    if (!p->fast)
        return decode_steps(p, fields, buf, len, pos, r, why);
    if (fields == FT4_FIELDS_ALL)
        return decode_fast(p, buf, len, pos, r, why);
    return decode_some(p, fields, buf, len, pos, r, why);
}

int ft4_decode(const ft4_plan *p, const uint8_t *buf, size_t len,
               size_t *pos, ft4_record *r, const char **why)
{
    return ft4_decode_fields(p, FT4_FIELDS_ALL, buf, len, pos, r, why);
}
