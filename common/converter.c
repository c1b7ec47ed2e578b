/* converter.c - FT2/FT3 records to FT4 intervals (see converter.h). */
#include "converter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "avro_container.h"
#include "flow_table.h"
#include "ft2_reader.h"
#include "ft3_reader.h"
#include "packet.h"
#include "parse.h"
#include "source.h"

#define FT2_BATCH 1024

/* ---- per-key side table: first SYN and tags (FT3) ---- */

enum { K_SYN = 1 << 4, K_ASN = 1 << 5 }; /* bits 0-3: the four tags */
#define K_ALL 0x3f

typedef struct kinfo {
    uint32_t src, dnet;
    uint32_t pp;        /* dst_port | protocol << 16 | 1 << 24 (used) */
    uint8_t known;      /* K_* bits */
    uint16_t syn_win;
    uint16_t tag[FT4_T_COUNT]; /* interned strings */
    int32_t syn_len;
    int64_t asn;
} kinfo;

typedef struct ktable {
    kinfo *slot;
    size_t cap, n;      /* cap a power of two, or 0 */
} ktable;

static uint64_t khash(uint32_t src, uint32_t dnet, uint32_t pp)
{
    uint64_t x = ((uint64_t)src << 32 | dnet) ^ ((uint64_t)pp * 0x9e3779b97f4a7c15ull);
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

/* The slot of a key: found, or the empty one where it goes. */
static kinfo *kslot(const ktable *t, uint32_t src, uint32_t dnet, uint32_t pp)
{
    size_t m = t->cap - 1, i = (size_t)khash(src, dnet, pp) & m;
    for (;; i = (i + 1) & m) {
        kinfo *k = &t->slot[i];
        if (!k->pp || (k->pp == pp && k->src == src && k->dnet == dnet))
            return k;
    }
}

static int kgrow(ktable *t, ft_error *err)
{
    size_t cap = t->cap ? t->cap * 2 : 1024;
    kinfo *old = t->slot;
    size_t oldcap = t->cap;
    t->slot = calloc(cap, sizeof *t->slot);
    if (!t->slot) {
        t->slot = old;
        return ft_error_set(err, "out of memory");
    }
    t->cap = cap;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].pp)
            *kslot(t, old[i].src, old[i].dnet, old[i].pp) = old[i];
    free(old);
    return 0;
}

static void kfree(ktable *t)
{
    free(t->slot);
    t->slot = NULL;
    t->cap = t->n = 0;
}

/* ---- intervals and inputs ---- */

typedef struct interval {
    int64_t start;
    ft_flow_table *flows;
    ktable keys;
    int broken;
    char why[FT_ERRLEN];
} interval;

enum fmt { FMT_NONE, FMT_FT2, FMT_FT3 };

typedef struct input {
    const char *path;
    enum fmt fmt;
    int have_first;
    int64_t first;          /* time of the first interval or record */
    ft_source *src;         /* open: stdin after the scan, or being read */
    ft2_reader *ft2;
    ft3_reader *ft3;
    ft2_interval piv;       /* the first item, read but not converted */
    ft3_record prec;
    int have_pending;
} input;

struct ft_conv {
    ft_conv_opts o;
    ft_output *stream;
    input *in;
    int nin, capin;
    interval *iv;           /* open intervals, ascending start */
    int niv, capiv;
    int64_t closed_before;  /* intervals starting before this are written */
    ft4_tag *tags;          /* interned tag strings; 0 is "??" */
    uint32_t ntags, captags;
    ft4_record scratch;
    ft2_record ft2buf[FT2_BATCH];
    ft_conv_stats st;
};

static void warn(ft_conv *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(ft_conv *c, const char *fmt, ...)
{
    char msg[FT_ERRLEN + 128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->o.warn)
        c->o.warn(c->o.warn_ctx, msg);
}

ft_conv *ft_conv_new(const ft_conv_opts *o, ft_error *err)
{
    if (o->interval <= 0 || o->interval % FT_CONV_SOURCE_INTERVAL != 0) {
        ft_error_set(err, "interval %d s is not a multiple of the source "
                     "interval (%d s)", o->interval, FT_CONV_SOURCE_INTERVAL);
        return NULL;
    }
    ft_conv *c = calloc(1, sizeof *c);
    if (!c) {
        ft_error_set(err, "out of memory");
        return NULL;
    }
    c->o = *o;
    c->closed_before = INT64_MIN;
    if (!o->template && !(c->stream = ft_output_open(&o->out, err))) {
        free(c);
        return NULL;
    }
    return c;
}

/* ---- inputs ---- */

static void input_close(input *in)
{
    ft2_reader_close(in->ft2);
    ft3_reader_close(in->ft3);
    ft_source_close(in->src);
    in->ft2 = NULL;
    in->ft3 = NULL;
    in->src = NULL;
    in->have_pending = 0;
}

/* Opens an input, detects its format and reads its first interval start
 * (FT2) or record (FT3) into the pending slot.  1 = a first item, 0 = the
 * input holds none, -1 = error. */
static int input_open(ft_conv *c, input *in, ft_error *err)
{
    in->src = ft_source_open(in->path, err);
    if (!in->src)
        return -1;
    const char *name = ft_source_name(in->src);
    enum fmt f = c->o.version == 2 ? FMT_FT2 : c->o.version == 3 ? FMT_FT3 : FMT_NONE;
    if (f == FMT_NONE) {
        uint8_t m[4];
        ssize_t k = ft_source_peek(in->src, m, 4, err);
        if (k < 0) { /* "NAME: gzip: ..." gets the offset, as in ft2_reader */
            size_t n = strlen(name);
            char what[FT_ERRLEN];
            snprintf(what, sizeof what, "%s", err->msg +
                     (strncmp(err->msg, name, n) == 0 && err->msg[n] == ':' ? n + 2 : 0));
            return ft_error_set(err, "%s: byte 0: %s", name, what);
        }
        if (k == 0)
            return ft_error_set(err, "%s: empty file", name);
        if (k == 4 && memcmp(m, FT_AVRO_MAGIC, 4) == 0)
            f = FMT_FT3;
        else if (k == 4 && memcmp(m, "EDGR", 4) == 0)
            f = FMT_FT2;
        else
            return ft_error_set(err, "%s: not an FT2 or FT3 file (neither "
                                "\"EDGR\" nor \"Obj\\x01\" at byte 0)", name);
    }
    in->fmt = f;
    int rc;
    if (f == FMT_FT2) {
        if (!(in->ft2 = ft2_reader_open(in->src, c->o.slash_eight, err)))
            return -1;
        const ft2_header *h = ft2_reader_header(in->ft2);
        if (h && h->interval_len && c->o.interval % h->interval_len != 0)
            return ft_error_set(err, "%s: interval %d s is not a multiple of "
                                "the file's interval (%u s)", name,
                                c->o.interval, h->interval_len), -2;
        rc = ft2_reader_next_interval(in->ft2, &in->piv, err);
        if (rc == 1)
            in->first = in->piv.time;
    } else {
        if (!(in->ft3 = ft3_reader_open(in->src, err)))
            return -1;
        rc = ft3_reader_next(in->ft3, &in->prec, err);
        if (rc == 1)
            in->first = in->prec.time;
    }
    if (rc < 0 && in->ft2 && ft2_reader_needs_slash_eight(in->ft2))
        return -2;
    in->have_pending = rc == 1;
    return rc;
}

int ft_conv_add(ft_conv *c, const char *path, ft_error *err)
{
    if (c->nin == c->capin) {
        int cap = c->capin ? c->capin * 2 : 16;
        input *p = realloc(c->in, (size_t)cap * sizeof *p);
        if (!p)
            return ft_error_set(err, "out of memory");
        c->in = p;
        c->capin = cap;
    }
    input *in = &c->in[c->nin];
    memset(in, 0, sizeof *in);
    in->path = path;
    int rc = input_open(c, in, err);
    if (rc < 0) {
        input_close(in);
        return rc;
    }
    in->have_first = rc == 1;
    /* stdin cannot be opened again: it stays open with its first item. */
    if (strcmp(path, "-") != 0)
        input_close(in);
    c->nin++;
    return 0;
}

/* ---- intervals ---- */

static int64_t interval_start(const ft_conv *c, int64_t t)
{
    int64_t i = c->o.interval;
    return t - ((t % i) + i) % i;
}

/* The open interval for start (created when new), or NULL with err set. */
static interval *interval_get(ft_conv *c, int64_t start, ft_error *err)
{
    int i = c->niv;
    while (i > 0 && c->iv[i - 1].start > start)
        i--;
    if (i > 0 && c->iv[i - 1].start == start)
        return &c->iv[i - 1];
    if (c->niv == c->capiv) {
        int cap = c->capiv ? c->capiv * 2 : 8;
        interval *p = realloc(c->iv, (size_t)cap * sizeof *p);
        if (!p) {
            ft_error_set(err, "out of memory");
            return NULL;
        }
        c->iv = p;
        c->capiv = cap;
    }
    ft_flow_table *t = ft_flow_table_new(c->o.dst_prefix, err);
    if (!t)
        return NULL;
    memmove(&c->iv[i + 1], &c->iv[i], (size_t)(c->niv - i) * sizeof c->iv[0]);
    memset(&c->iv[i], 0, sizeof c->iv[i]);
    c->iv[i].start = start;
    c->iv[i].flows = t;
    c->niv++;
    return &c->iv[i];
}

static void set_tag(ft_conv *c, ft4_tag *t, uint16_t id)
{
    if (id)
        *t = c->tags[id];
}

typedef struct emit_ctx {
    ft_conv *c;
    ft_output *out;
    const ktable *keys;
} emit_ctx;

/* Writes one record, with the first-SYN values and tags of its key. */
static int emit_one(void *ctx, const ft4_record *rec, ft_error *err)
{
    emit_ctx *e = ctx;
    if (e->keys->n) {
        uint32_t pp = (uint32_t)rec->dst_port | (uint32_t)rec->protocol << 16 | 1u << 24;
        const kinfo *k = kslot(e->keys, (uint32_t)rec->src_ip,
                               (uint32_t)rec->dst_net, pp);
        if (k->pp) {
            ft4_record *r = &e->c->scratch;
            *r = *rec;
            for (int i = 0; i < FT4_T_COUNT; i++)
                if (k->known & (1 << i))
                    set_tag(e->c, &r->tag[i], k->tag[i]);
            if (k->known & K_ASN)
                r->prefix2asn = k->asn;
            if (k->known & K_SYN) {
                r->first_syn_length = k->syn_len;
                r->first_tcp_rwin = k->syn_win;
            }
            rec = r;
        }
    }
    if (ft_output_put(e->out, rec, err) < 0)
        return -1;
    e->c->st.records++;
    return 0;
}

static int write_interval(ft_conv *c, interval *v, ft_error *err)
{
    char iso[32];
    if (v->broken) {
        warn(c, "interval %lld (%s) not written: %s", (long long)v->start,
             ft_format_time_iso(v->start, iso), v->why);
        c->st.dropped++;
        return 0;
    }
    emit_ctx e = {c, c->stream, &v->keys};
    ft_output *file = NULL;
    if (c->o.template) {
        char path[4096];
        if (ft_expand_template(c->o.template, v->start, path, sizeof path) < 0)
            return ft_error_set(err, "-w: template too long");
        ft_output_opts oo = c->o.out;
        oo.path = path;
        oo.mkdirs = 1;
        if (!(file = ft_output_open(&oo, err)))
            return -1;
        e.out = file;
    }
    int rc = ft_flow_table_emit(v->flows, v->start, NULL, NULL, emit_one, &e, err);
    if (file) {
        if (rc == 0)
            rc = ft_output_close(file, err);
        else
            ft_output_abort(file);
        if (rc == 0)
            c->st.files++;
    }
    if (rc == 0)
        c->st.intervals++;
    return rc;
}

/* Writes and frees the open intervals that end at or before `before`. */
static int close_before(ft_conv *c, int64_t before, ft_error *err)
{
    int rc = 0;
    while (c->niv > 0 && rc == 0 && c->iv[0].start + c->o.interval <= before) {
        interval v = c->iv[0];
        memmove(&c->iv[0], &c->iv[1], (size_t)(c->niv - 1) * sizeof c->iv[0]);
        c->niv--;
        if (v.start + c->o.interval > c->closed_before)
            c->closed_before = v.start + c->o.interval;
        rc = write_interval(c, &v, err);
        ft_flow_table_free(v.flows);
        kfree(&v.keys);
    }
    return rc;
}

/* Marks the interval of time t broken (not to be written). */
static int mark_broken(ft_conv *c, int64_t t, const char *why, ft_error *err)
{
    int64_t start = interval_start(c, t);
    if (start < c->closed_before)
        return 0; /* already written: cannot happen for data read in order */
    interval *v = interval_get(c, start, err);
    if (!v)
        return -1;
    if (!v->broken)
        snprintf(v->why, sizeof v->why, "%s", why);
    v->broken = 1;
    return 0;
}

/* ---- records ---- */

static void fill_packet(ft_packet *p, uint32_t src, uint32_t dst, uint8_t proto,
                        uint16_t sport, uint16_t dport, uint8_t ttl,
                        uint8_t flags, uint16_t ip_len)
{
    memset(p, 0, sizeof *p);
    p->status = FT_PKT_IPV4;
    p->has_transport = 1;
    p->src = src;
    p->dst = dst;
    p->proto = proto;
    p->ttl = ttl;
    p->ip_len = ip_len;
    switch (proto) {
    case 6:
        p->tcp_flags = flags;
        /* fall through */
    case 17:
        p->src_port = sport;
        p->dst_port = dport;
        break;
    case 1: /* FT2/FT3 keep the ICMP type in src_port, the code in dst_port */
        p->dst_port = (uint16_t)((sport & 0xff) << 8 | (dport & 0xff));
        break;
    default:
        break;
    }
}

static int tag_known(const ft4_tag *t)
{
    return t->len > 0 && !(t->len == 2 && t->s[0] == '?' && t->s[1] == '?');
}

static int intern(ft_conv *c, const ft4_tag *t, uint16_t *id, ft_error *err)
{
    for (uint32_t i = 1; i < c->ntags; i++) /* a few hundred codes at most */
        if (c->tags[i].len == t->len && memcmp(c->tags[i].s, t->s, t->len) == 0) {
            *id = (uint16_t)i;
            return 0;
        }
    if (c->ntags == 0)
        c->ntags = 1;
    if (c->ntags > UINT16_MAX)
        return ft_error_set(err, "more than %d distinct tag strings", UINT16_MAX);
    if (c->ntags >= c->captags) {
        uint32_t cap = c->captags ? c->captags * 2 : 64;
        ft4_tag *p = realloc(c->tags, cap * sizeof *p);
        if (!p)
            return ft_error_set(err, "out of memory");
        c->tags = p;
        c->captags = cap;
    }
    c->tags[c->ntags] = *t;
    *id = (uint16_t)c->ntags++;
    return 0;
}

/* Keeps what the first FT3 records of a key say about SYN and tags. */
static int note_ft3(ft_conv *c, interval *v, const ft_packet *p,
                    const ft3_record *r, uint32_t dnet, ft_error *err)
{
    uint8_t has = 0;
    for (int i = 0; i < FT4_T_COUNT; i++)
        if (tag_known(&r->tag[i]))
            has |= (uint8_t)(1 << i);
    if (r->prefix2asn != 0)
        has |= K_ASN;
    if (r->protocol == 6 && r->tcp_flags == FT_TCP_SYN)
        has |= K_SYN;
    if (!has)
        return 0;
    ktable *t = &v->keys;
    if ((t->n + 1) * 4 > t->cap * 3 && kgrow(t, err) < 0)
        return -1;
    uint32_t pp = (uint32_t)p->dst_port | (uint32_t)p->proto << 16 | 1u << 24;
    kinfo *k = kslot(t, p->src, dnet, pp);
    if (!k->pp) {
        memset(k, 0, sizeof *k);
        k->src = p->src;
        k->dnet = dnet;
        k->pp = pp;
        t->n++;
    }
    uint8_t want = has & (uint8_t)~k->known;
    if (!want)
        return 0;
    for (int i = 0; i < FT4_T_COUNT; i++)
        if ((want & (1 << i)) && intern(c, &r->tag[i], &k->tag[i], err) < 0)
            return -1;
    if (want & K_ASN)
        k->asn = r->prefix2asn;
    if (want & K_SYN) {
        k->syn_len = r->tcp_synlen;
        k->syn_win = r->tcp_synwinlen;
    }
    k->known |= want;
    return 0;
}

static uint32_t dst_net(const ft_conv *c, uint32_t dst)
{
    return c->o.dst_prefix == 24 ? dst & 0xffffff00u : dst & 0xffff0000u;
}

/* The interval for data of time t, or NULL: late (counted), or an error
 * (err set, *failed = 1). */
static interval *target(ft_conv *c, int64_t t, uint64_t nrec, int *failed,
                        ft_error *err)
{
    int64_t start = interval_start(c, t);
    if (start < c->closed_before) {
        c->st.late_records += nrec;
        return NULL;
    }
    interval *v = interval_get(c, start, err);
    if (!v)
        *failed = 1;
    return v;
}

/* The earliest time the inputs after `idx` start at. */
static int64_t next_first(const ft_conv *c, int idx)
{
    for (int i = idx + 1; i < c->nin; i++)
        if (c->in[i].have_first)
            return c->in[i].first;
    return INT64_MAX;
}

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* Converts one FT2 interval (its start already read).  1 = done, 0 = an
 * input error (err set), -1 = fatal. */
static int convert_ft2_interval(ft_conv *c, input *in, const ft2_interval *iv,
                        ft_error *err)
{
    int failed = 0;
    interval *v = NULL;
    for (;;) {
        size_t n;
        int rc = ft2_reader_read(in->ft2, c->ft2buf, FT2_BATCH, &n, err);
        if (rc < 0)
            return mark_broken(c, iv->time, err->msg, err) < 0 ? -1 : 0;
        if (rc == 0)
            return 1;
        c->st.source_records += n;
        if (!v && !(v = target(c, iv->time, n, &failed, err))) {
            if (failed)
                return -1;
            continue; /* late: the rest of this interval is late too */
        }
        for (size_t i = 0; i < n; i++) {
            const ft2_record *r = &c->ft2buf[i];
            ft_packet p;
            fill_packet(&p, r->src_ip, r->dst_ip, r->protocol, r->src_port,
                        r->dst_port, r->ttl, r->tcp_flags, r->ip_len);
            c->st.packets += r->packet_cnt;
            if (ft_flow_table_add_weighted(v->flows, &p, r->packet_cnt, err) < 0)
                return -1;
        }
    }
}

static int convert_ft2(ft_conv *c, int idx, input *in, ft_error *err)
{
    ft2_interval iv = in->piv;
    int ok = 1;
    for (;;) {
        int rc = convert_ft2_interval(c, in, &iv, err);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            warn(c, "%s", err->msg);
            ok = 0;
        }
        rc = ft2_reader_next_interval(in->ft2, &iv, err);
        if (rc < 0 && ok) /* after an error, only a resumable one goes on */
            warn(c, "%s", err->msg);
        if (rc < 0)
            ok = 0;
        if (rc <= 0)
            return ok;
        if (close_before(c, min64(iv.time, next_first(c, idx)), err) < 0)
            return -1;
    }
}

static int convert_ft3(ft_conv *c, int idx, input *in, ft_error *err)
{
    ft3_record *r = &in->prec;
    int64_t last = r->time;
    interval *v = NULL;
    int rc = 1;
    for (; rc == 1; rc = ft3_reader_next(in->ft3, r, err)) {
        c->st.source_records++;
        c->st.packets += (uint64_t)r->packet_cnt;
        if (!v || r->time != last) {
            if (r->time > last &&
                close_before(c, min64(r->time, next_first(c, idx)), err) < 0)
                return -1;
            last = r->time;
            int failed = 0;
            if (!(v = target(c, r->time, 1, &failed, err))) {
                if (failed)
                    return -1;
                continue;
            }
        }
        ft_packet p;
        fill_packet(&p, r->src_ip, r->dst_ip, r->protocol, r->src_port,
                    r->dst_port, r->ttl, r->tcp_flags, r->ip_len);
        p.spoofed = r->is_spoofed;
        p.masscan = r->is_masscan;
        if (ft_flow_table_add_weighted(v->flows, &p, (uint64_t)r->packet_cnt, err) < 0 ||
            note_ft3(c, v, &p, r, dst_net(c, r->dst_ip), err) < 0)
            return -1;
    }
    if (rc == 0)
        return 1;
    warn(c, "%s", err->msg);
    return mark_broken(c, last, err->msg, err) < 0 ? -1 : 0;
}

/* Stable: inputs with equal first times keep the order they were added
 * in (the index breaks ties; qsort alone is not stable). */
typedef struct order_key {
    int64_t first;
    int have, idx;
} order_key;

static int cmp_order(const void *a, const void *b)
{
    const order_key *x = a, *y = b;
    if (x->have != y->have)
        return y->have - x->have;
    if (x->have && x->first != y->first)
        return x->first < y->first ? -1 : 1;
    return x->idx - y->idx;
}

static int sort_inputs(ft_conv *c, ft_error *err)
{
    order_key *k = malloc((size_t)(c->nin ? c->nin : 1) * sizeof *k);
    input *sorted = malloc((size_t)(c->nin ? c->nin : 1) * sizeof *sorted);
    if (!k || !sorted) {
        free(k);
        free(sorted);
        return ft_error_set(err, "out of memory");
    }
    for (int i = 0; i < c->nin; i++)
        k[i] = (order_key){c->in[i].first, c->in[i].have_first, i};
    qsort(k, (size_t)c->nin, sizeof *k, cmp_order);
    for (int i = 0; i < c->nin; i++)
        sorted[i] = c->in[k[i].idx];
    memcpy(c->in, sorted, (size_t)c->nin * sizeof *sorted);
    free(k);
    free(sorted);
    return 0;
}

int ft_conv_run(ft_conv *c, ft_error *err)
{
    if (sort_inputs(c, err) < 0)
        return -1;
    for (int i = 0; i < c->nin; i++) {
        input *in = &c->in[i];
        if (!in->have_first)
            break; /* sorted last: inputs without data */
        c->st.inputs++;
        uint64_t late = c->st.late_records;
        int rc = 1;
        if (!in->src && input_open(c, in, err) != 1) {
            /* it changed since the scan */
            warn(c, "%s", err->msg);
            rc = 0;
        } else {
            rc = in->fmt == FMT_FT2 ? convert_ft2(c, i, in, err)
                                    : convert_ft3(c, i, in, err);
        }
        input_close(in);
        if (rc < 0)
            return -1;
        if (c->st.late_records != late) {
            warn(c, "%s: %llu records for intervals already written (the "
                 "input goes back in time): not converted", in->path,
                 (unsigned long long)(c->st.late_records - late));
            rc = 0;
        }
        if (rc == 0)
            c->st.input_errors++;
        if (close_before(c, next_first(c, i), err) < 0)
            return -1;
    }
    return 0;
}

int ft_conv_finish(ft_conv *c, ft_conv_stats *st, ft_error *err)
{
    if (!c)
        return 0;
    int rc = close_before(c, INT64_MAX, err);
    if (st)
        *st = c->st;
    if (rc < 0) {
        ft_conv_abort(c);
        return -1;
    }
    if (c->stream) {
        rc = ft_output_close(c->stream, err);
        c->stream = NULL;
    }
    ft_conv_abort(c);
    return rc;
}

void ft_conv_abort(ft_conv *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->niv; i++) {
        ft_flow_table_free(c->iv[i].flows);
        kfree(&c->iv[i].keys);
    }
    for (int i = 0; i < c->nin; i++)
        input_close(&c->in[i]);
    ft_output_abort(c->stream);
    free(c->iv);
    free(c->in);
    free(c->tags);
    free(c);
}
