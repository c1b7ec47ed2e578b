/* flow_table.c - FT4 flow aggregation: in-place hash slots for simple
 * flows, slab-allocated extensions for the rest, exact common values. */
#include "flow_table.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "value_counter.h"

#define INITIAL_SLOTS 1024
#define HUGE_PAGE ((size_t)2 << 20)
#define HUGE_SLOTS_BYTES ((size_t)4 << 20)
#define EXT_PER_SLAB 256

/* State bits, kept in the top byte of flow.pp (a used slot is never 0). */
#define FL_USED 0x01u
#define FL_SYN 0x02u /* syn_win and syn_len are set */
#define FL_EXT 0x04u /* u.x is in use */
#define PP_KEY 0x00ffffffu

enum { A_SIZE, A_SPORT, A_TTL, A_FLAGS, A_COUNT };
static const int attr_bits[A_COUNT] = {16, 16, 8, 8};

#define CARRY_UNIT 0xffffffffull /* see ft_vcount_add */

/* Extension of a flow that outgrew its slot: one 64-byte cache line.
 * vc[a] is an ft_vcount pointer, or ONE(v) while attribute a has had the
 * single value v; hs is an ft_hostset pointer, or the first one or two
 * destination hosts inline (HS_INLINE set; HS_TWO when host 2 is there).
 * malloc'd pointers are even, so bit 0 tells the forms apart. */
typedef struct flow_ext {
    uint64_t pkts, spoofed, masscan;
    uint64_t vc[A_COUNT];
    uint64_t hs;
} flow_ext;

#define ONE(v) ((uint64_t)(v) << 1 | 1)
#define IS_ONE(w) ((w) & 1)
#define ONE_VALUE(w) ((uint16_t)((w) >> 1))
#define HS_INLINE 1u
#define HS_TWO 2u
#define HS_HOST0(w) ((uint16_t)((w) >> 16))
#define HS_HOST1(w) ((uint16_t)((w) >> 32))
#define VC(w) ((ft_vcount *)(uintptr_t)(w))
#define HS(w) ((ft_hostset *)(uintptr_t)(w))

/* A count of (ext, attribute, value) past 2^32-1: count = stored +
 * k * CARRY_UNIT.  Needs > 4e9 packets in one flow, so a plain list. */
typedef struct carry {
    const flow_ext *x;
    uint64_t k;
    uint16_t v;
    uint8_t attr;
} carry;

/* One hash slot, 32 bytes.  Simple flows: u.s; the attributes packed in
 * one word so that "same as before" is a single compare. */
typedef struct flow {
    uint32_t src;
    uint32_t dnet;
    uint32_t pp;        /* dst_port << 8 | protocol, state << 24 */
    uint16_t syn_win;
    uint16_t syn_len;   /* tcp_hlen as given: any byte, not only 4 * doff
                           (converted FT3 records carry theirs) */
    union {
        struct {
            uint16_t pkts, spoofed, masscan, pad;
            uint64_t attrs; /* size | sport << 16 | host << 32 | ttl << 48 |
                               flags << 56 */
        } s;
        flow_ext *x;
    } u;
} flow;

_Static_assert(sizeof(flow_ext) == 64, "an extension is one cache line");
_Static_assert(sizeof(flow) == 32, "a slot is 32 bytes");

typedef struct ext_slab {
    flow_ext e[EXT_PER_SLAB]; /* first: the slab is cache-line aligned */
    struct ext_slab *next;
    uint32_t used;
} ext_slab;

struct ft_flow_table {
    flow *slot;
    size_t cap;       /* power of 2 */
    int shift;        /* 64 - log2(cap) */
    size_t n;
    size_t grow_at;   /* 3/4 of cap */
    uint32_t gen;     /* bumped when slots move (resize) */
    uint32_t net_mask, host_mask;
    int host_bits;
    uint64_t packets;
    size_t mem;
    ext_slab *slabs;
    carry *carry;
    size_t ncarry, carry_cap;
};

static inline uint64_t key_hash(uint32_t src, uint32_t dnet, uint32_t pp)
{
    /* murmur3's 64-bit finalizer over the 11-byte key; index = top bits */
    uint64_t x = ((uint64_t)src << 32 | dnet) ^
                 ((uint64_t)pp * 0x9e3779b97f4a7c15ull);
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

static inline uint64_t pack_attrs(const ft_packet *p, uint32_t host)
{
    return (uint64_t)p->ip_len | (uint64_t)p->src_port << 16 |
           (uint64_t)host << 32 | (uint64_t)p->ttl << 48 |
           (uint64_t)p->tcp_flags << 56;
}

/* Zeroed slot array.  Large ones come straight from mmap (zeroed by the
 * kernel, once), 2 MiB-aligned and asked to be backed by huge pages:
 * every packet lands on a random slot, and with 4 KiB pages nearly every
 * one would also miss the TLB. */
static flow *slots_alloc(size_t cap)
{
    size_t sz = cap * sizeof(flow);
    if (sz < HUGE_SLOTS_BYTES)
        return calloc(cap, sizeof(flow));
    char *m = mmap(NULL, sz + HUGE_PAGE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    size_t lead = (HUGE_PAGE - (uintptr_t)m % HUGE_PAGE) % HUGE_PAGE;
    if (lead)
        munmap(m, lead);
    munmap(m + lead + sz, HUGE_PAGE - lead);
#ifdef MADV_HUGEPAGE
    madvise(m + lead, sz, MADV_HUGEPAGE); /* a hint: failure is harmless */
#endif
#ifdef MADV_POPULATE_WRITE
    /* Fault the pages in now, on the thread that allocates (the kernel
     * clears them either way): ft-aggregate makes the next interval's
     * table on its writer thread, and the kernel's page clearing had been
     * 2-15% of the reading thread's time.  Failure (kernel < 5.14) only
     * leaves them to be faulted in on first use. */
    madvise(m + lead, sz, MADV_POPULATE_WRITE);
#endif
    return (flow *)(m + lead);
}

static void slots_free(flow *s, size_t cap)
{
    if (cap * sizeof(flow) < HUGE_SLOTS_BYTES)
        free(s);
    else if (s)
        munmap(s, cap * sizeof(flow));
}

static int set_slots(ft_flow_table *t, size_t cap)
{
    flow *s = slots_alloc(cap);
    if (!s)
        return -1;
    t->slot = s;
    t->cap = cap;
    int lg = 0;
    while (((size_t)1 << lg) < cap)
        lg++;
    t->shift = 64 - lg;
    t->grow_at = cap / 4 * 3;
    t->mem += cap * sizeof *s;
    return 0;
}

ft_flow_table *ft_flow_table_new(int dst_prefix, ft_error *err)
{
    if (dst_prefix != 16 && dst_prefix != 24) {
        ft_error_set(err, "destination prefix /%d: must be 16 or 24",
                     dst_prefix);
        return NULL;
    }
    ft_flow_table *t = calloc(1, sizeof *t);
    if (!t || set_slots(t, INITIAL_SLOTS) < 0) {
        free(t);
        ft_error_set(err, "flow table: out of memory");
        return NULL;
    }
    t->mem += sizeof *t;
    t->host_bits = 32 - dst_prefix;
    t->host_mask = ((uint32_t)1 << t->host_bits) - 1;
    t->net_mask = ~t->host_mask;
    return t;
}

/* Frees all extensions and their counters; slots untouched. */
static void free_exts(ft_flow_table *t)
{
    ext_slab *s = t->slabs;
    while (s) {
        ext_slab *next = s->next;
        for (uint32_t i = 0; i < s->used; i++) {
            flow_ext *x = &s->e[i];
            for (int a = 0; a < A_COUNT; a++)
                if (!IS_ONE(x->vc[a]))
                    ft_vcount_free(VC(x->vc[a]), &t->mem);
            if (!(x->hs & HS_INLINE))
                ft_hostset_free(HS(x->hs), &t->mem);
        }
        t->mem -= sizeof *s;
        free(s);
        s = next;
    }
    t->slabs = NULL;
    free(t->carry);
    t->mem -= t->carry_cap * sizeof *t->carry;
    t->carry = NULL;
    t->ncarry = t->carry_cap = 0;
}

void ft_flow_table_free(ft_flow_table *t)
{
    if (!t)
        return;
    free_exts(t);
    slots_free(t->slot, t->cap);
    free(t);
}

size_t ft_flow_table_memory(const ft_flow_table *t)
{
    return t->mem;
}

size_t ft_flow_table_flows(const ft_flow_table *t)
{
    return t->n;
}

uint64_t ft_flow_table_packets(const ft_flow_table *t)
{
    return t->packets;
}

/* Moves all flows to a new array of cap slots (>= the current cap). */
static int resize(ft_flow_table *t, size_t cap)
{
    flow *old = t->slot;
    size_t ocap = t->cap;
    if (set_slots(t, cap) < 0)
        return -1;
    size_t mask = t->cap - 1;
    for (size_t j = 0; j < ocap; j++) {
        const flow *f = &old[j];
        if (!f->pp)
            continue;
        size_t i = key_hash(f->src, f->dnet, f->pp & PP_KEY) >> t->shift;
        while (t->slot[i].pp)
            i = (i + 1) & mask;
        t->slot[i] = *f;
    }
    slots_free(old, ocap);
    t->mem -= ocap * sizeof *old;
    t->gen++;
    return 0;
}

int ft_flow_table_reserve(ft_flow_table *t, size_t flows, ft_error *err)
{
    size_t cap = t->cap;
    while (cap / 4 * 3 <= flows && cap <= SIZE_MAX / sizeof(flow) / 4)
        cap *= 2;
    if (cap > t->cap && resize(t, cap) < 0)
        return ft_error_set(err, "flow table: out of memory");
    return 0;
}

static flow_ext *ext_alloc(ft_flow_table *t)
{
    ext_slab *s = t->slabs;
    if (!s || s->used == EXT_PER_SLAB) {
        void *m;
        if (posix_memalign(&m, 64, sizeof *s) != 0)
            return NULL;
        s = m;
        t->mem += sizeof *s;
        s->next = t->slabs;
        s->used = 0;
        t->slabs = s;
    }
    return &s->e[s->used++];
}

/* Moves a simple flow's state into a new extension. */
static int promote(ft_flow_table *t, flow *f)
{
    flow_ext *x = ext_alloc(t);
    if (!x)
        return -1;
    uint64_t a = f->u.s.attrs;
    x->pkts = f->u.s.pkts;
    x->spoofed = f->u.s.spoofed;
    x->masscan = f->u.s.masscan;
    x->vc[A_SIZE] = ONE((uint16_t)a);
    x->vc[A_SPORT] = ONE((uint16_t)(a >> 16));
    x->vc[A_TTL] = ONE((uint8_t)(a >> 48));
    x->vc[A_FLAGS] = ONE((uint8_t)(a >> 56));
    x->hs = HS_INLINE | (uint64_t)(uint16_t)(a >> 32) << 16;
    f->u.x = x;
    f->pp |= FL_EXT << 24;
    return 0;
}

/* Adds k carries to (x, attr, v). */
static int carry_add(ft_flow_table *t, const flow_ext *x, int attr,
                     uint16_t v, uint64_t k)
{
    for (size_t i = 0; i < t->ncarry; i++) {
        carry *c = &t->carry[i];
        if (c->x == x && c->attr == attr && c->v == v) {
            c->k += k;
            return 0;
        }
    }
    if (t->ncarry == t->carry_cap) {
        size_t ncap = t->carry_cap ? t->carry_cap * 2 : 4;
        carry *nc = realloc(t->carry, ncap * sizeof *nc);
        if (!nc)
            return -1;
        t->mem += (ncap - t->carry_cap) * sizeof *nc;
        t->carry = nc;
        t->carry_cap = ncap;
    }
    t->carry[t->ncarry++] = (carry){x, k, v, (uint8_t)attr};
    return 0;
}

static uint64_t carry_get(const ft_flow_table *t, const flow_ext *x, int attr,
                          uint16_t v)
{
    for (size_t i = 0; i < t->ncarry; i++) {
        const carry *c = &t->carry[i];
        if (c->x == x && c->attr == attr && c->v == v)
            return c->k;
    }
    return 0;
}

/* A count c >= 1 as stored (1 .. CARRY_UNIT) + *k carries. */
static uint32_t carry_split(uint64_t c, uint64_t *k)
{
    uint64_t lo = (c - 1) % CARRY_UNIT + 1;
    *k = (c - lo) / CARRY_UNIT;
    return (uint32_t)lo;
}

/* Adds `count` packets identical to p to the extended flow x. */
static int ext_add(ft_flow_table *t, flow_ext *x, const ft_packet *p,
                   uint16_t host, uint64_t count)
{
    const uint16_t v[A_COUNT] = {p->ip_len, p->src_port, p->ttl, p->tcp_flags};
    for (int a = 0; a < A_COUNT; a++) {
        uint64_t w = x->vc[a];
        if (!IS_ONE(w)) {
            ft_vcount *m = VC(w);
            uint64_t k;
            if (count == 1) {
                int r = ft_vcount_add(&m, v[a], &t->mem);
                if (r < 0)
                    return -1;
                k = (uint64_t)r;
            } else if (ft_vcount_add_n(&m, v[a], count, &k, &t->mem) < 0) {
                return -1;
            }
            x->vc[a] = (uintptr_t)m;
            if (k && carry_add(t, x, a, v[a], k) < 0)
                return -1;
        } else if (v[a] != ONE_VALUE(w)) {
            /* The first value has been seen on every packet so far. */
            uint64_t k0, k1;
            uint32_t c0 = carry_split(x->pkts, &k0);
            uint32_t c1 = carry_split(count, &k1);
            ft_vcount *m = ft_vcount_new2(attr_bits[a], ONE_VALUE(w), c0,
                                          v[a], c1, &t->mem);
            if (!m)
                return -1;
            x->vc[a] = (uintptr_t)m;
            if (k0 && carry_add(t, x, a, ONE_VALUE(w), k0) < 0)
                return -1;
            if (k1 && carry_add(t, x, a, v[a], k1) < 0)
                return -1;
        }
    }
    uint64_t w = x->hs;
    if (!(w & HS_INLINE)) {
        ft_hostset *hs = HS(w);
        if (ft_hostset_add(&hs, host, &t->mem) < 0)
            return -1;
        x->hs = (uintptr_t)hs;
    } else if (host != HS_HOST0(w) && (!(w & HS_TWO) || host != HS_HOST1(w))) {
        if (!(w & HS_TWO)) {
            x->hs = w | HS_TWO | (uint64_t)host << 32;
        } else {
            ft_hostset *hs = ft_hostset_new3(t->host_bits, HS_HOST0(w),
                                             HS_HOST1(w), host, &t->mem);
            if (!hs)
                return -1;
            x->hs = (uintptr_t)hs;
        }
    }
    x->pkts += count;
    x->spoofed += p->spoofed ? count : 0;
    x->masscan += p->masscan ? count : 0;
    return 0;
}

static inline void note_syn(flow *f, const ft_packet *p)
{
    /* p->tcp_flags is 0 for anything but TCP with a header. */
    if (p->tcp_flags == FT_TCP_SYN && !(f->pp & FL_SYN << 24)) {
        f->syn_win = p->tcp_win;
        f->syn_len = p->tcp_hlen;
        f->pp |= FL_SYN << 24;
    }
}

static inline uint64_t pkt_hash(const ft_flow_table *t, const ft_packet *p)
{
    return key_hash(p->src, p->dst & t->net_mask,
                    (uint32_t)p->dst_port << 8 | p->proto);
}

/* Adds `count` (>= 1) packets identical to p to their flow f. */
static inline int update(ft_flow_table *t, flow *f, const ft_packet *p,
                         uint64_t count, ft_error *err)
{
    uint32_t host = p->dst & t->host_mask;
    t->packets += count;
    note_syn(f, p);
    if (!(f->pp & FL_EXT << 24)) {
        if (f->u.s.attrs == pack_attrs(p, host) &&
            count <= (uint64_t)(UINT16_MAX - f->u.s.pkts)) {
            /* spoofed, masscan <= pkts: they fit as well */
            f->u.s.pkts += (uint16_t)count;
            f->u.s.spoofed += p->spoofed ? (uint16_t)count : 0;
            f->u.s.masscan += p->masscan ? (uint16_t)count : 0;
            return 0;
        }
        if (promote(t, f) < 0)
            return ft_error_set(err, "flow table: out of memory");
    }
    if (ext_add(t, f->u.x, p, (uint16_t)host, count) < 0)
        return ft_error_set(err, "flow table: out of memory");
    return 0;
}

/* The flow of p (key hash h) if present, else NULL; changes nothing. */
static inline flow *find(const ft_flow_table *t, const ft_packet *p,
                         uint64_t h)
{
    uint32_t dnet = p->dst & t->net_mask;
    uint32_t pp = (uint32_t)p->dst_port << 8 | p->proto;
    size_t mask = t->cap - 1;
    for (size_t i = h >> t->shift;; i = (i + 1) & mask) {
        flow *f = &t->slot[i];
        if (!f->pp)
            return NULL;
        if (f->src == p->src && f->dnet == dnet && (f->pp & PP_KEY) == pp)
            return f;
    }
}

/* Adds `count` (>= 1) IPv4 packets identical to p, key hash h. */
static int add_hashed(ft_flow_table *t, const ft_packet *p, uint64_t h,
                      uint64_t count, ft_error *err)
{
    uint32_t dnet = p->dst & t->net_mask;
    uint32_t pp = (uint32_t)p->dst_port << 8 | p->proto;
    size_t mask = t->cap - 1;
    size_t i = h >> t->shift;
    flow *f;
    for (;;) {
        f = &t->slot[i];
        if (!f->pp)
            break;
        if (f->src == p->src && f->dnet == dnet && (f->pp & PP_KEY) == pp)
            return update(t, f, p, count, err);
        i = (i + 1) & mask;
    }
    if (t->n >= t->grow_at) {
        if (resize(t, t->cap * 2) < 0)
            return ft_error_set(err, "flow table: out of memory");
        mask = t->cap - 1;
        i = h >> t->shift;
        while (t->slot[i].pp)
            i = (i + 1) & mask;
        f = &t->slot[i];
    }
    t->n++;
    t->packets++;
    f->src = p->src;
    f->dnet = dnet;
    f->pp = pp | FL_USED << 24;
    f->syn_win = 0;
    f->syn_len = 0;
    f->u.s.pkts = 1;
    f->u.s.spoofed = p->spoofed;
    f->u.s.masscan = p->masscan;
    f->u.s.pad = 0;
    f->u.s.attrs = pack_attrs(p, p->dst & t->host_mask);
    note_syn(f, p);
    /* the first packet made the flow; the others join it */
    return count > 1 ? update(t, f, p, count - 1, err) : 0;
}

int ft_flow_table_add(ft_flow_table *t, const ft_packet *p, ft_error *err)
{
    if (p->status != FT_PKT_IPV4)
        return 0;
    return add_hashed(t, p, pkt_hash(t, p), 1, err);
}

int ft_flow_table_add_weighted(ft_flow_table *t, const ft_packet *p,
                               uint64_t count, ft_error *err)
{
    if (p->status != FT_PKT_IPV4 || count == 0)
        return 0;
    return add_hashed(t, p, pkt_hash(t, p), count, err);
}

/*
 * Batches hide memory latency, the cost that dominates once the table
 * outgrows the caches.  A software pipeline runs over the batch; for
 * packet i
 *   stage 1 (i + 4D ahead): hash, prefetch its slot;
 *   stage 2 (i + 3D): find its flow, remember it, prefetch the extension;
 *   stage 3 (i + 2D): prefetch the host set / value counter headers;
 *   stage 4 (i + D):  prefetch the entries in them this packet will touch;
 *   stage 5 (i):      add it, to the remembered flow when the slots have
 *                     not moved since (a flow never leaves its slot
 *                     otherwise), else by a fresh lookup.
 * Stages 1-4 change nothing, so the result is exactly that of
 * ft_flow_table_add on each packet in order.
 */
#define PF_D 6
#define PF_RING 32 /* > 4 * PF_D, power of 2 */

typedef struct pf_slot {
    uint64_t h;
    flow *f;       /* found in stage 2, or NULL */
    uint32_t gen;  /* t->gen at that time */
} pf_slot;

static inline const flow_ext *pf_ext(const ft_flow_table *t, const pf_slot *r)
{
    if (!r->f || r->gen != t->gen || !(r->f->pp & FL_EXT << 24))
        return NULL;
    return r->f->u.x;
}

int ft_flow_table_add_many(ft_flow_table *t, const ft_packet *p, size_t n,
                           ft_error *err)
{
    pf_slot ring[PF_RING];
    for (size_t i = 0; i < n + 4 * PF_D; i++) {
        size_t j = i;
        if (j < n && p[j].status == FT_PKT_IPV4) {
            pf_slot *r = &ring[j % PF_RING];
            r->h = pkt_hash(t, &p[j]);
            const flow *f = &t->slot[r->h >> t->shift];
            __builtin_prefetch(f);
            /* and the next line: at 3/4 load a probe often runs past the
             * first (prefetch never faults, also past the array's end) */
            __builtin_prefetch((const char *)f + 64);
        }
        j = i - PF_D;
        if (i >= PF_D && j < n && p[j].status == FT_PKT_IPV4) {
            pf_slot *r = &ring[j % PF_RING];
            r->f = find(t, &p[j], r->h);
            r->gen = t->gen;
            const flow_ext *x = pf_ext(t, r);
            if (x)
                __builtin_prefetch(x);
        }
        j = i - 2 * PF_D;
        if (i >= 2 * PF_D && j < n && p[j].status == FT_PKT_IPV4) {
            const flow_ext *x = pf_ext(t, &ring[j % PF_RING]);
            if (x) {
                if (!(x->hs & HS_INLINE))
                    __builtin_prefetch(HS(x->hs));
                if (!IS_ONE(x->vc[A_SPORT]))
                    __builtin_prefetch(VC(x->vc[A_SPORT]));
                if (!IS_ONE(x->vc[A_SIZE]))
                    __builtin_prefetch(VC(x->vc[A_SIZE]));
            }
        }
        j = i - 3 * PF_D;
        if (i >= 3 * PF_D && j < n && p[j].status == FT_PKT_IPV4) {
            const flow_ext *x = pf_ext(t, &ring[j % PF_RING]);
            if (x) {
                if (!(x->hs & HS_INLINE))
                    ft_hostset_prefetch(HS(x->hs),
                                        (uint16_t)(p[j].dst & t->host_mask));
                if (!IS_ONE(x->vc[A_SPORT]))
                    ft_vcount_prefetch(VC(x->vc[A_SPORT]), p[j].src_port);
                if (!IS_ONE(x->vc[A_SIZE]))
                    ft_vcount_prefetch(VC(x->vc[A_SIZE]), p[j].ip_len);
            }
        }
        j = i - 4 * PF_D;
        if (i >= 4 * PF_D && p[j].status == FT_PKT_IPV4) {
            const pf_slot *r = &ring[j % PF_RING];
            int rc = r->f && r->gen == t->gen
                         ? update(t, r->f, &p[j], 1, err)
                         : add_hashed(t, &p[j], r->h, 1, err);
            if (rc < 0)
                return -1;
        }
    }
    return 0;
}

/* ---- emit --------------------------------------------------------------- */

static inline int flow_less(const flow *a, const flow *b)
{
    uint64_t ka = (uint64_t)a->src << 32 | a->dnet;
    uint64_t kb = (uint64_t)b->src << 32 | b->dnet;
    if (ka != kb)
        return ka < kb;
    return (a->pp & PP_KEY) < (b->pp & PP_KEY);
}

/* Whole-slot moves, so that no half of a slot is stored and then reloaded
 * at another width (a store-forwarding stall per move otherwise). */
static inline void flow_swap(flow *a, flow *b)
{
    uint64_t ta[4], tb[4];
    memcpy(ta, a, sizeof ta);
    memcpy(tb, b, sizeof tb);
    memcpy(a, tb, sizeof tb);
    memcpy(b, ta, sizeof ta);
}

static void insertion_sort(flow *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        flow x = v[i];
        size_t j = i;
        while (j > 0 && flow_less(&x, &v[j - 1])) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

/* Byte d (0 = most significant) of the 11-byte sort key src, dnet,
 * dst_port, protocol. */
static inline unsigned key_byte(const flow *f, int d)
{
    if (d < 4)
        return f->src >> (24 - 8 * d) & 0xff;
    if (d < 8)
        return f->dnet >> (56 - 8 * d) & 0xff;
    return f->pp >> (80 - 8 * d) & 0xff;
}

#define KEY_BYTES 11
#define SMALL_SORT 24

/*
 * In-place MSD radix sort (American flag sort) from key byte d on: one
 * counting pass and one permuting pass per level, no extra memory, and a
 * byte that is the same in the whole bucket (a telescope's /8, the zero
 * host bytes of dst_net) costs only its counting pass.  Keys are unique,
 * so a bucket of one needs nothing; short buckets take insertion sort.
 * It replaced an introsort that took 18% of ft-aggregate's time.
 */
static void radix_sort(flow *v, size_t n, int d)
{
    while (n > SMALL_SORT && d < KEY_BYTES) {
        size_t cnt[256] = {0};
        for (size_t i = 0; i < n; i++)
            cnt[key_byte(&v[i], d)]++;
        if (cnt[key_byte(&v[0], d)] == n) { /* one bucket: next byte */
            d++;
            continue;
        }
        size_t next[256], end[256], o = 0;
        for (int b = 0; b < 256; b++) {
            next[b] = o;
            o += cnt[b];
            end[b] = o;
        }
        for (int b = 0; b < 256; b++) {
            /* Four placements at a time: a cycle-following swap waits on
             * the cache miss of the one before; these four do not. Each
             * swap puts one element where it belongs (see ska_sort). */
            while (end[b] - next[b] >= 4) {
                flow *x = &v[next[b]];
                unsigned c0 = key_byte(&x[0], d), c1 = key_byte(&x[1], d);
                unsigned c2 = key_byte(&x[2], d), c3 = key_byte(&x[3], d);
                flow_swap(&x[0], &v[next[c0]++]);
                flow_swap(&x[1], &v[next[c1]++]);
                flow_swap(&x[2], &v[next[c2]++]);
                flow_swap(&x[3], &v[next[c3]++]);
            }
            while (next[b] < end[b]) {
                flow *x = &v[next[b]];
                unsigned c = key_byte(x, d);
                while (c != (unsigned)b) {
                    flow_swap(x, &v[next[c]++]);
                    c = key_byte(x, d);
                }
                next[b]++;
            }
        }
        /* recurse into all buckets but the largest, loop on that one */
        int big = 0;
        for (int b = 1; b < 256; b++)
            if (cnt[b] > cnt[big])
                big = b;
        for (int b = 0; b < 256; b++)
            if (b != big && cnt[b] > 1)
                radix_sort(v + end[b] - cnt[b], cnt[b], d + 1);
        v += end[big] - cnt[big];
        n = cnt[big];
        d++;
    }
    insertion_sort(v, n);
}

/* FT4-SPEC's common-value test, in integers: c >= ratio * P. */
static int is_common(uint64_t c, uint64_t P, uint32_t n)
{
    __extension__ typedef unsigned __int128 u128;
    if (P < 10) {
        if (n < 4)
            return c >= P;
        if (n < 7)
            return (u128)c * 2 >= P;
        return (u128)c * 100 >= (u128)P * 33;
    }
    if (n < 15)
        return (u128)c * 100 >= (u128)P * 33;
    return (u128)c * 5 >= P;
}

/* Keeps the (up to 5) smallest common values in ascending order. */
static void common_put(ft4_array *vals, ft4_array *freqs, uint16_t v,
                       uint64_t c)
{
    uint32_t n = vals->n, i = n;
    while (i > 0 && vals->v[i - 1] > v)
        i--;
    if (i >= FT4_ARRAY_WRITE_MAX)
        return;
    if (n == FT4_ARRAY_WRITE_MAX)
        n--;
    memmove(&vals->v[i + 1], &vals->v[i], (n - i) * sizeof vals->v[0]);
    memmove(&freqs->v[i + 1], &freqs->v[i], (n - i) * sizeof freqs->v[0]);
    vals->v[i] = v;
    freqs->v[i] = (int64_t)c;
    vals->n = freqs->n = n + 1;
}

/* Distinct count and common values of one attribute of an extended flow. */
static int32_t ext_attr(const ft_flow_table *t, const flow_ext *x, int a,
                        ft4_array *vals, ft4_array *freqs)
{
    vals->n = freqs->n = 0;
    uint64_t w = x->vc[a];
    if (IS_ONE(w)) {
        common_put(vals, freqs, ONE_VALUE(w), x->pkts); /* c = P: common */
        return 1;
    }
    const ft_vcount *m = VC(w);
    uint32_t n = ft_vcount_distinct(m), pos = 0, c32;
    uint16_t v;
    while (ft_vcount_next(m, &pos, &v, &c32)) {
        uint64_t c = c32;
        if (t->ncarry)
            c += carry_get(t, x, a, v) * CARRY_UNIT;
        if (is_common(c, x->pkts, n))
            common_put(vals, freqs, v, c);
    }
    return (int32_t)n;
}

static void fill_record(const ft_flow_table *t, const flow *f,
                        ft4_record *r)
{
    uint32_t st = f->pp >> 24;
    int proto = f->pp & 0xff;
    int tcp = proto == 6, tcpudp = tcp || proto == 17;
    r->src_ip = f->src;
    r->dst_net = f->dnet;
    r->dst_port = (int32_t)(f->pp >> 8 & 0xffff);
    r->protocol = proto;
    r->first_syn_length = st & FL_SYN ? f->syn_len : 0;
    r->first_tcp_rwin = st & FL_SYN ? f->syn_win : 0;
    ft4_array *arr = r->arr;
    if (st & FL_EXT) {
        const flow_ext *x = f->u.x;
        r->packet_cnt = (int64_t)x->pkts;
        r->spoofed_packet_cnt = (int64_t)x->spoofed;
        r->masscan_packet_cnt = (int64_t)x->masscan;
        r->uniq_dst_ips = x->hs & HS_INLINE
                              ? (x->hs & HS_TWO ? 2 : 1)
                              : (int32_t)ft_hostset_count(HS(x->hs));
        r->uniq_pkt_sizes = ext_attr(t, x, A_SIZE, &arr[FT4_A_PKTSIZES],
                                     &arr[FT4_A_PKTSIZE_FREQS]);
        r->uniq_ttls = ext_attr(t, x, A_TTL, &arr[FT4_A_TTLS],
                                &arr[FT4_A_TTL_FREQS]);
        r->uniq_src_ports = ext_attr(t, x, A_SPORT, &arr[FT4_A_SRCPORTS],
                                     &arr[FT4_A_SRCPORT_FREQS]);
        r->uniq_tcp_flags = ext_attr(t, x, A_FLAGS, &arr[FT4_A_TCPFLAGS],
                                     &arr[FT4_A_TCPFLAG_FREQS]);
    } else {
        /* One value per attribute: always common (c = P, ratio 1). */
        uint64_t a = f->u.s.attrs;
        int64_t P = f->u.s.pkts;
        r->packet_cnt = P;
        r->spoofed_packet_cnt = f->u.s.spoofed;
        r->masscan_packet_cnt = f->u.s.masscan;
        r->uniq_dst_ips = 1;
        r->uniq_pkt_sizes = r->uniq_ttls = 1;
        r->uniq_src_ports = r->uniq_tcp_flags = 1;
        const int64_t val[4] = {(uint16_t)a, (uint8_t)(a >> 48),
                                (uint16_t)(a >> 16), (uint8_t)(a >> 56)};
        for (int k = 0; k < 4; k++) {
            arr[2 * k].n = arr[2 * k + 1].n = 1;
            arr[2 * k].v[0] = val[k];
            arr[2 * k + 1].v[0] = P;
        }
    }
    if (!tcpudp) {
        r->uniq_src_ports = 0;
        arr[FT4_A_SRCPORTS].n = arr[FT4_A_SRCPORT_FREQS].n = 0;
    }
    if (!tcp) {
        r->uniq_tcp_flags = 0;
        arr[FT4_A_TCPFLAGS].n = arr[FT4_A_TCPFLAG_FREQS].n = 0;
    }
}

static void reset(ft_flow_table *t)
{
    free_exts(t);
    t->n = 0;
    t->packets = 0;
    if (t->cap > INITIAL_SLOTS) {
        flow *old = t->slot;
        size_t ocap = t->cap;
        if (set_slots(t, INITIAL_SLOTS) == 0) {
            slots_free(old, ocap);
            t->mem -= ocap * sizeof *old;
            return;
        }
        /* no memory for a small array: keep the big one */
        t->slot = old;
        t->cap = ocap;
        int lg = 0;
        while (((size_t)1 << lg) < ocap)
            lg++;
        t->shift = 64 - lg;
        t->grow_at = ocap / 4 * 3;
    }
    memset(t->slot, 0, t->cap * sizeof *t->slot);
}

int ft_flow_table_emit(ft_flow_table *t, int64_t time, ft_flow_tag_fn tag,
                       void *tag_ctx, ft_flow_emit_fn emit, void *emit_ctx,
                       ft_error *err)
{
    /* Pack the used slots to the front and sort them there: the hash
     * order is gone, but the table is reset afterwards anyway. */
    size_t n = 0;
    for (size_t i = 0; i < t->cap; i++)
        if (t->slot[i].pp)
            t->slot[n++] = t->slot[i];
    radix_sort(t->slot, n, 0);

    ft4_record r;
    ft4_record_init(&r);
    r.time = time;
    int rc = 0;
    ft4_tag unknown;
    ft4_tag_set(&unknown, "??", 2);
    for (size_t i = 0; i < n; i++) {
        const flow *f = &t->slot[i];
        /* the extension of a flow a few records on is a likely miss */
        if (i + 8 < n && t->slot[i + 8].pp & FL_EXT << 24)
            __builtin_prefetch(t->slot[i + 8].u.x);
        if (i == 0 || f->src != t->slot[i - 1].src) {
            for (int k = 0; k < FT4_T_COUNT; k++)
                r.tag[k] = unknown;
            r.prefix2asn = 0;
            if (tag)
                tag(tag_ctx, f->src, &r);
        }
        fill_record(t, f, &r);
        if (emit(emit_ctx, &r, err) < 0) {
            rc = -1;
            break;
        }
    }
    /* The compaction above may have left copies in slots [n, cap) */
    reset(t);
    return rc;
}
