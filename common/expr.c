/* expr.c - filter expressions: lexer, parser, compiler, evaluator (see
 * expr.h for the language and the compiled form). */
#include "expr.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parse.h"

/* Nesting of parentheses and "not"; the parser and compiler recurse. */
#define MAX_DEPTH 200
/* Tests in one expression (longer chains should be lists). */
#define MAX_TESTS 10000
/* Longest string literal (times are the longest strings that make sense). */
#define MAX_STRING 63
/* Sets up to this many ranges are scanned; larger ones binary-searched. */
#define LINEAR_MAX 8

#define ACCEPT (-1)
#define REJECT (-2)

/* ---- tokens ---------------------------------------------------------- */

enum tok_kind {
    T_END, T_IDENT, T_INT, T_ADDR, T_PREFIX, T_STRING,
    T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE,
    T_AND, T_OR, T_NOT, T_IN,
    T_LPAREN, T_RPAREN, T_LBRACE, T_RBRACE, T_COMMA, T_DOTDOT
};

typedef struct token {
    enum tok_kind kind;
    size_t pos, len;         /* where it is in the text */
    int64_t lo, hi;          /* T_INT, T_ADDR: lo == hi; T_PREFIX: range */
    size_t slen;             /* T_STRING */
    char s[MAX_STRING + 1];  /* T_STRING value, T_IDENT name (truncated) */
} token;

/* ---- tree ------------------------------------------------------------ */

enum node_kind { N_AND, N_OR, N_NOT, N_TEST };
enum test_op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_IN, OP_NOT_IN };
static const char *const op_text[] = {"==", "!=", "<", "<=", ">", ">=",
                                      "in", "not in"};

typedef struct range {
    int64_t lo, hi;
} range;

typedef struct node {
    enum node_kind kind;
    struct node *a, *b;
    /* N_TEST */
    int field;
    enum test_op op;
    uint32_t nitems;   /* as written, for printing */
    range *items;      /* numbers */
    ft4_tag *tags;     /* strings */
    uint32_t nset;     /* normalised: sorted, disjoint ranges (numbers) */
    range *set;
    int negate;        /* !=, not in */
    int slot;          /* program node, or -1 when the test is constant */
} node;

/* ---- program --------------------------------------------------------- */

enum prog_op {
    P_RANGE64, P_RANGE32, P_SET64, P_SET32, P_ANY_RANGE, P_ANY_SET,
    P_TAG, P_TAGSET
};

typedef struct prog_node {
    uint8_t op;
    uint8_t field;
    uint32_t off;        /* of the field in ft4_record */
    int32_t next[2];     /* [0] on false, [1] on true */
    uint64_t lo, span;   /* one range: (uint64_t)(x - lo) <= span */
    uint32_t n;          /* entries of set or tags */
    const range *set;
    const ft4_tag *tags; /* P_TAG: tags[0] */
} prog_node;

struct ft_expr {
    node *root;
    prog_node *prog;
    int nprog;
    int32_t entry;
};

/* ---- parser state ---------------------------------------------------- */

typedef struct parser {
    const char *text;
    size_t pos;        /* next character to lex */
    token tok;         /* current token */
    token prev;        /* the one before (kind T_END when none) */
    int ntests;
    ft_error *err;
    size_t where;
} parser;

static void node_free(node *n)
{
    if (!n)
        return;
    node_free(n->a);
    node_free(n->b);
    free(n->items);
    free(n->tags);
    free(n->set);
    free(n);
}

/* Fills the error: message, then where it is in the text. */
static int fail_at(parser *p, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_at(parser *p, size_t pos, const char *fmt, ...)
{
    char msg[FT_ERRLEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t line = 1, col = 1;
    for (size_t i = 0; i < pos && p->text[i]; i++) {
        if (p->text[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    /* Line numbers only when the text really has several lines. */
    const char *nl = strchr(p->text, '\n');
    int multiline = nl && nl[strspn(nl, " \t\r\n")] != '\0';
    if (multiline)
        ft_error_set(p->err, "%s at line %zu, column %zu", msg, line, col);
    else
        ft_error_set(p->err, "%s at column %zu", msg, col);
    p->where = pos;
    return -1;
}

static int is_ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

static int word_is(const char *s, size_t len, const char *kw)
{
    return strlen(kw) == len && strncasecmp(s, kw, len) == 0;
}

/* Number: decimal or 0x hex, optional minus; or a dotted address with an
 * optional /len.  i is where the token starts. */
static int lex_number(parser *p, token *t, size_t i)
{
    const char *s = p->text;
    size_t j = i;
    int neg = s[j] == '-';
    if (neg)
        j++;
    int hex = s[j] == '0' && (s[j + 1] == 'x' || s[j + 1] == 'X');
    int dotted = 0;
    if (hex) {
        j += 2;
        while (isxdigit((unsigned char)s[j]))
            j++;
    } else {
        while (isdigit((unsigned char)s[j]) ||
               (!neg && s[j] == '.' && isdigit((unsigned char)s[j + 1]))) {
            dotted |= s[j] == '.';
            j++;
        }
        if (dotted && s[j] == '/') {
            j++;
            while (isdigit((unsigned char)s[j]))
                j++;
        }
    }
    int bad = hex && j == i + 2 + (size_t)neg;
    while (is_ident_char(s[j]) || (dotted && s[j] == '.' && s[j + 1] != '.')) {
        bad = 1;
        j++;
    }
    t->pos = i;
    t->len = j - i;
    if (bad)
        return fail_at(p, i, "'%.*s': not %s", (int)(j - i), s + i,
                       dotted ? "an IPv4 address" : "a number");
    char buf[32];
    if (t->len >= sizeof buf)
        return fail_at(p, i, "'%.*s': %s", (int)t->len, s + i,
                       dotted ? "not an IPv4 address" : "number out of range");
    memcpy(buf, s + i, t->len);
    buf[t->len] = '\0';
    if (dotted) {
        ft_error e;
        if (strchr(buf, '/')) {
            uint32_t net;
            int len;
            if (ft_parse_cidr(buf, &net, &len, 0, &e) < 0)
                return fail_at(p, i, "%s", e.msg);
            t->kind = T_PREFIX;
            t->lo = net;
            t->hi = (int64_t)net + (len == 0 ? INT64_C(0xffffffff)
                                             : (INT64_C(1) << (32 - len)) - 1);
        } else {
            uint32_t a;
            if (ft_parse_ipv4(buf, &a, &e) < 0)
                return fail_at(p, i, "%s", e.msg);
            t->kind = T_ADDR;
            t->lo = t->hi = a;
        }
        return 0;
    }
    errno = 0;
    char *end;
    long long v = strtoll(buf, &end, hex ? 16 : 10);
    if (errno == ERANGE || *end != '\0')
        return fail_at(p, i, "'%s': number out of range", buf);
    t->kind = T_INT;
    t->lo = t->hi = v;
    return 0;
}

static int lex_string(parser *p, token *t, size_t i)
{
    const char *s = p->text;
    char q = s[i];
    size_t j = i + 1;
    t->slen = 0;
    for (;;) {
        char c = s[j];
        if (c == '\0')
            return fail_at(p, i, "unterminated string");
        if (c == q)
            break;
        if (c == '\\' && s[j + 1] != '\0')
            c = s[++j];
        if (t->slen == MAX_STRING)
            return fail_at(p, i, "string longer than %d bytes", MAX_STRING);
        t->s[t->slen++] = c;
        j++;
    }
    t->s[t->slen] = '\0';
    t->kind = T_STRING;
    t->pos = i;
    t->len = j + 1 - i;
    return 0;
}

/* Moves to the next token. */
static int next(parser *p)
{
    const char *s = p->text;
    size_t i = p->pos;
    for (;;) {
        while (s[i] && strchr(" \t\r\n\f\v", s[i]))
            i++;
        if (s[i] != '#')
            break;
        while (s[i] && s[i] != '\n')
            i++;
    }
    p->prev = p->tok;
    token *t = &p->tok;
    t->pos = i;
    t->len = 1;
    char c = s[i];
    int rc = 0;
    if (c == '\0') {
        t->kind = T_END;
        t->len = 0;
        /* An error at the end points just after the last token. */
        if (p->prev.kind != T_END)
            t->pos = p->prev.pos + p->prev.len;
    } else if (isalpha((unsigned char)c) || c == '_') {
        size_t j = i;
        while (is_ident_char(s[j]))
            j++;
        t->len = j - i;
        if (word_is(s + i, t->len, "and"))
            t->kind = T_AND;
        else if (word_is(s + i, t->len, "or"))
            t->kind = T_OR;
        else if (word_is(s + i, t->len, "not"))
            t->kind = T_NOT;
        else if (word_is(s + i, t->len, "in"))
            t->kind = T_IN;
        else
            t->kind = T_IDENT;
        size_t n = t->len < MAX_STRING ? t->len : MAX_STRING;
        memcpy(t->s, s + i, n);
        t->s[n] = '\0';
    } else if (isdigit((unsigned char)c) ||
               (c == '-' && isdigit((unsigned char)s[i + 1]))) {
        rc = lex_number(p, t, i);
    } else if (c == '"' || c == '\'') {
        rc = lex_string(p, t, i);
    } else {
        char d = s[i + 1];
        t->len = 2;
        if (c == '=' && d == '=') t->kind = T_EQ;
        else if (c == '!' && d == '=') t->kind = T_NE;
        else if (c == '<' && d == '=') t->kind = T_LE;
        else if (c == '>' && d == '=') t->kind = T_GE;
        else if (c == '&' && d == '&') t->kind = T_AND;
        else if (c == '|' && d == '|') t->kind = T_OR;
        else if (c == '.' && d == '.') t->kind = T_DOTDOT;
        else {
            t->len = 1;
            switch (c) {
            case '=': t->kind = T_EQ; break;
            case '<': t->kind = T_LT; break;
            case '>': t->kind = T_GT; break;
            case '!': t->kind = T_NOT; break;
            case '(': t->kind = T_LPAREN; break;
            case ')': t->kind = T_RPAREN; break;
            case '{': t->kind = T_LBRACE; break;
            case '}': t->kind = T_RBRACE; break;
            case ',': t->kind = T_COMMA; break;
            case '&':
            case '|':
                return fail_at(p, i, "unexpected '%c' (did you mean '%c%c'?)",
                               c, c, c);
            default:
                if (isprint((unsigned char)c))
                    return fail_at(p, i, "unexpected character '%c'", c);
                return fail_at(p, i, "unexpected byte 0x%02x",
                               (unsigned)(unsigned char)c);
            }
        }
    }
    if (rc == 0 && t->kind != T_END)
        p->pos = t->pos + t->len;
    return rc;
}

/* "'>='" or "end of expression": the text of a token for messages. */
static void describe(const parser *p, const token *t, char *buf, size_t n)
{
    const char *q = t->kind == T_STRING ? "" : "'";
    if (t->kind == T_END)
        snprintf(buf, n, "end of expression");
    else
        snprintf(buf, n, "%s%.*s%s%s", q, t->len > 40 ? 40 : (int)t->len,
                 p->text + t->pos, t->len > 40 ? "..." : "", q);
}

/* "expected WHAT after 'PREV', found 'TOK'" at the current token. */
static int expected(parser *p, const char *what)
{
    char found[64], after[64];
    describe(p, &p->tok, found, sizeof found);
    if (p->prev.kind == T_END && p->prev.len == 0)
        return fail_at(p, p->tok.pos, "expected %s, found %s", what, found);
    describe(p, &p->prev, after, sizeof after);
    if (p->tok.kind == T_END)
        return fail_at(p, p->tok.pos, "expected %s after %s", what, after);
    return fail_at(p, p->tok.pos, "expected %s after %s, found %s", what,
                   after, found);
}

static const struct {
    const char *name;
    int number;
} protocols[] = {
    {"icmp", 1}, {"igmp", 2}, {"tcp", 6}, {"udp", 17}, {"ipv6", 41},
    {"gre", 47}, {"esp", 50}, {"ah", 51}, {"sctp", 132},
};
#define NPROTOCOLS (sizeof protocols / sizeof protocols[0])

static int protocol_number(const char *name)
{
    for (size_t i = 0; i < NPROTOCOLS; i++)
        if (strcasecmp(protocols[i].name, name) == 0)
            return protocols[i].number;
    return -1;
}

static int is_addr_field(int f) { return ft4_fields[f].kind == FT4_K_ADDR; }
static int is_string_field(int f) { return ft4_fields[f].type == FT4_STRING; }

/* What a field holds, for type errors. */
static const char *field_type_text(int f)
{
    if (is_string_field(f))
        return "a string";
    if (ft4_fields[f].type == FT4_ARRAY)
        return "an array of numbers";
    return is_addr_field(f) ? "an address" : "a number";
}

static const char *token_type_text(enum tok_kind k)
{
    switch (k) {
    case T_STRING: return "a string";
    case T_ADDR: return "an IPv4 address";
    case T_PREFIX: return "an IPv4 prefix";
    default: return "a number";
    }
}

/* One value for field f from the current token, into *r (numbers) or *tag
 * (strings).  Prefixes only when allow_prefix; *was_prefix says whether
 * it was one. */
static int parse_value(parser *p, int f, int allow_prefix, range *r,
                       ft4_tag *tag, int *was_prefix)
{
    const token *t = &p->tok;
    const char *fname = ft4_fields[f].name;
    char text[64];
    describe(p, t, text, sizeof text);
    *was_prefix = 0;
    switch (t->kind) {
    case T_STRING:
        if (is_string_field(f)) {
            if (t->slen > FT4_TAG_MAX)
                return fail_at(p, t->pos, "%s is longer than any %s value "
                               "(%d bytes)", text, fname, FT4_TAG_MAX);
            ft4_tag_set(tag, t->s, t->slen);
            break;
        }
        if (ft4_fields[f].kind == FT4_K_TIME) {
            ft_error e;
            int64_t v;
            if (ft_parse_time(t->s, &v, &e) < 0)
                return fail_at(p, t->pos, "%s", e.msg);
            r->lo = r->hi = v;
            break;
        }
        return fail_at(p, t->pos, "type mismatch: %s is %s, %s is a string",
                       fname, field_type_text(f), text);
    case T_INT:
    case T_ADDR:
    case T_PREFIX:
        if (is_string_field(f))
            return fail_at(p, t->pos, "type mismatch: %s is a string, %s is "
                           "%s (quote strings: \"RU\")", fname, text,
                           token_type_text(t->kind));
        if (t->kind != T_INT && !is_addr_field(f))
            return fail_at(p, t->pos, "type mismatch: %s is %s, %s is %s "
                           "(addresses and prefixes apply to src_ip and "
                           "dst_net)", fname, field_type_text(f), text,
                           token_type_text(t->kind));
        if (t->kind == T_PREFIX && !allow_prefix)
            return fail_at(p, t->pos, "%s: a prefix needs 'in' (%s in %.*s)",
                           text, fname, (int)t->len, p->text + t->pos);
        r->lo = t->lo;
        r->hi = t->hi;
        *was_prefix = t->kind == T_PREFIX;
        break;
    case T_IDENT: {
        int proto = f == FT4_F_PROTOCOL ? protocol_number(t->s) : -1;
        if (proto >= 0) {
            r->lo = r->hi = proto;
            break;
        }
        if (ft4_field_lookup(t->s) >= 0)
            return fail_at(p, t->pos, "%s: comparing two fields is not "
                           "supported", text);
        if (is_string_field(f))
            return fail_at(p, t->pos, "expected a quoted string, found %s "
                           "(write \"%s\")", text, t->s);
        if (f == FT4_F_PROTOCOL)
            return fail_at(p, t->pos, "unknown protocol name %s (known: icmp "
                           "igmp tcp udp ipv6 gre esp ah sctp, or a number)",
                           text);
        return expected(p, "a number");
    }
    default:
        return expected(p, is_string_field(f) ? "a quoted string" : "a value");
    }
    return next(p);
}

/* Appends one item to a test's lists (grown by doubling). */
static int add_item(parser *p, node *n, const range *r, const ft4_tag *tag)
{
    uint32_t k = n->nitems;
    if ((k & (k - 1)) == 0) { /* 0, 1, 2, 4, ...: grow */
        size_t cap = k ? 2 * (size_t)k : 1;
        if (is_string_field(n->field)) {
            ft4_tag *nt = realloc(n->tags, cap * sizeof *nt);
            if (!nt)
                return ft_error_set(p->err, "out of memory");
            n->tags = nt;
        } else {
            range *ni = realloc(n->items, cap * sizeof *ni);
            if (!ni)
                return ft_error_set(p->err, "out of memory");
            n->items = ni;
        }
    }
    if (is_string_field(n->field))
        n->tags[k] = *tag;
    else
        n->items[k] = *r;
    n->nitems = k + 1;
    return 0;
}

/* item := value [".." value] | prefix */
static int parse_item(parser *p, node *n)
{
    int f = n->field, was_prefix;
    size_t start = p->tok.pos;
    range r = {0, 0}, hi;
    ft4_tag tag;
    if (parse_value(p, f, 1, &r, &tag, &was_prefix) < 0)
        return -1;
    if (p->tok.kind == T_DOTDOT) {
        if (is_string_field(f))
            return fail_at(p, p->tok.pos, "type mismatch: %s is a string, "
                           "ranges apply to numbers", ft4_fields[f].name);
        if (was_prefix)
            return fail_at(p, p->tok.pos, "a prefix cannot be a range bound");
        if (next(p) < 0 || parse_value(p, f, 0, &hi, &tag, &was_prefix) < 0)
            return -1;
        if (hi.lo < r.lo)
            return fail_at(p, start, "empty range %.*s (the lower bound "
                           "comes first)", (int)(p->prev.pos + p->prev.len - start),
                           p->text + start);
        r.hi = hi.lo;
    }
    return add_item(p, n, &r, &tag);
}

/* set := item | "{" item { "," item } "}" */
static int parse_set(parser *p, node *n)
{
    if (p->tok.kind != T_LBRACE)
        return parse_item(p, n);
    size_t open = p->tok.pos;
    if (next(p) < 0)
        return -1;
    if (p->tok.kind == T_RBRACE)
        return fail_at(p, open, "empty list");
    for (;;) {
        if (parse_item(p, n) < 0)
            return -1;
        if (p->tok.kind == T_RBRACE)
            return next(p);
        if (p->tok.kind != T_COMMA)
            return expected(p, "',' or '}'");
        if (next(p) < 0)
            return -1;
    }
}

static int cmp_range(const void *a, const void *b)
{
    const range *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* The test's ranges as a sorted, merged table (numbers only). */
static int normalise(parser *p, node *n)
{
    n->negate = n->op == OP_NE || n->op == OP_NOT_IN;
    if (is_string_field(n->field))
        return 0;
    range r = n->items[0];
    uint32_t k = 1;
    n->set = malloc((n->op >= OP_IN ? n->nitems : 1) * sizeof *n->set);
    if (!n->set)
        return ft_error_set(p->err, "out of memory");
    switch (n->op) {
    case OP_EQ:
    case OP_NE:
        break;
    case OP_LT: /* x < v: [min, v - 1], empty below min */
        k = r.lo != INT64_MIN;
        r.hi = r.lo - (r.lo != INT64_MIN);
        r.lo = INT64_MIN;
        break;
    case OP_LE:
        r.lo = INT64_MIN;
        break;
    case OP_GT:
        k = r.hi != INT64_MAX;
        r.lo = r.hi + (r.hi != INT64_MAX);
        r.hi = INT64_MAX;
        break;
    case OP_GE:
        r.hi = INT64_MAX;
        break;
    case OP_IN:
    case OP_NOT_IN:
        memcpy(n->set, n->items, n->nitems * sizeof *n->set);
        qsort(n->set, n->nitems, sizeof *n->set, cmp_range);
        k = 0;
        for (uint32_t i = 0; i < n->nitems; i++) {
            range c = n->set[i];
            if (k && (n->set[k - 1].hi == INT64_MAX ||
                      c.lo <= n->set[k - 1].hi + 1)) {
                if (c.hi > n->set[k - 1].hi)
                    n->set[k - 1].hi = c.hi;
            } else {
                n->set[k++] = c;
            }
        }
        n->nset = k;
        return 0;
    }
    n->set[0] = r;
    n->nset = k;
    return 0;
}

/* test := FIELD CMP value | FIELD ["not"] "in" set */
static node *parse_test(parser *p)
{
    token ft = p->tok;
    if (ft.kind != T_IDENT) {
        expected(p, "a field name, 'not' or '('");
        return NULL;
    }
    int f = ft4_field_lookup(ft.s);
    if (f < 0 || ft.len > MAX_STRING) {
        const char *s = ft4_field_suggest(ft.s);
        if (protocol_number(ft.s) >= 0)
            fail_at(p, ft.pos, "unknown field '%s' (for a protocol write: "
                    "protocol == %s)", ft.s, ft.s);
        else if (s)
            fail_at(p, ft.pos, "unknown field '%s' (did you mean '%s'?)",
                    ft.s, s);
        else
            fail_at(p, ft.pos, "unknown field '%s' (--help-fields lists "
                    "them)", ft.s);
        return NULL;
    }
    if (++p->ntests > MAX_TESTS) {
        fail_at(p, ft.pos, "more than %d tests (use a list: field in "
                "{a, b, ...})", MAX_TESTS);
        return NULL;
    }
    if (next(p) < 0)
        return NULL;
    enum test_op op;
    switch (p->tok.kind) {
    case T_EQ: op = OP_EQ; break;
    case T_NE: op = OP_NE; break;
    case T_LT: op = OP_LT; break;
    case T_LE: op = OP_LE; break;
    case T_GT: op = OP_GT; break;
    case T_GE: op = OP_GE; break;
    case T_IN: op = OP_IN; break;
    case T_NOT:
        if (next(p) < 0)
            return NULL;
        if (p->tok.kind != T_IN) {
            expected(p, "'in'");
            return NULL;
        }
        op = OP_NOT_IN;
        break;
    default:
        expected(p, "a comparison (== != < <= > >=) or 'in'");
        return NULL;
    }
    if (is_string_field(f) && op >= OP_LT && op <= OP_GE) {
        fail_at(p, p->tok.pos, "'%s' does not apply to strings (%s takes "
                "==, != or in)", op_text[op], ft.s);
        return NULL;
    }
    if (next(p) < 0)
        return NULL;
    node *n = calloc(1, sizeof *n);
    if (!n) {
        ft_error_set(p->err, "out of memory");
        return NULL;
    }
    n->kind = N_TEST;
    n->field = f;
    n->op = op;
    int rc;
    if (op >= OP_IN) {
        rc = parse_set(p, n);
    } else {
        range r = {0, 0};
        ft4_tag tag;
        int was_prefix;
        rc = parse_value(p, f, 0, &r, &tag, &was_prefix);
        if (rc == 0)
            rc = add_item(p, n, &r, &tag);
    }
    if (rc < 0 || normalise(p, n) < 0) {
        node_free(n);
        return NULL;
    }
    return n;
}

static node *new_node(parser *p, enum node_kind kind, node *a, node *b)
{
    node *n = calloc(1, sizeof *n);
    if (!n) {
        ft_error_set(p->err, "out of memory");
        node_free(a);
        node_free(b);
        return NULL;
    }
    n->kind = kind;
    n->a = a;
    n->b = b;
    return n;
}

static node *parse_or(parser *p, int depth);

/* unary := ("not" | "!") unary | "(" expr ")" | test */
static node *parse_unary(parser *p, int depth)
{
    if (depth > MAX_DEPTH) {
        fail_at(p, p->tok.pos, "expression nested too deeply");
        return NULL;
    }
    if (p->tok.kind == T_NOT) {
        if (next(p) < 0)
            return NULL;
        node *a = parse_unary(p, depth + 1);
        return a ? new_node(p, N_NOT, a, NULL) : NULL;
    }
    if (p->tok.kind == T_LPAREN) {
        if (next(p) < 0)
            return NULL;
        node *a = parse_or(p, depth + 1);
        if (!a)
            return NULL;
        if (p->tok.kind != T_RPAREN) {
            expected(p, "'and', 'or' or ')'");
            node_free(a);
            return NULL;
        }
        if (next(p) < 0) {
            node_free(a);
            return NULL;
        }
        return a;
    }
    return parse_test(p);
}

/* Left-associative chain of one binary operator. */
static node *parse_chain(parser *p, int depth, enum tok_kind op,
                         enum node_kind kind,
                         node *(*operand)(parser *, int))
{
    node *a = operand(p, depth);
    while (a && p->tok.kind == op) {
        if (next(p) < 0) {
            node_free(a);
            return NULL;
        }
        node *b = operand(p, depth);
        if (!b) {
            node_free(a);
            return NULL;
        }
        a = new_node(p, kind, a, b);
    }
    return a;
}

static node *parse_and(parser *p, int depth)
{
    return parse_chain(p, depth, T_AND, N_AND, parse_unary);
}

static node *parse_or(parser *p, int depth)
{
    return parse_chain(p, depth, T_OR, N_OR, parse_and);
}

/* ---- compiler -------------------------------------------------------- */

/* A test whose set is empty is constantly false (negated: true). */
static int is_constant(const node *n)
{
    return !is_string_field(n->field) && n->nset == 0;
}

static void number_tests(node *n, int *count)
{
    if (!n)
        return;
    if (n->kind == N_TEST) {
        n->slot = is_constant(n) ? -1 : (*count)++;
        return;
    }
    number_tests(n->a, count);
    number_tests(n->b, count);
}

static void fill_test(prog_node *pn, const node *n)
{
    const ft4_field *fd = &ft4_fields[n->field];
    pn->field = (uint8_t)n->field;
    pn->off = (uint32_t)fd->offset;
    if (fd->type == FT4_STRING) {
        pn->op = n->nitems == 1 ? P_TAG : P_TAGSET;
        pn->tags = n->tags;
        pn->n = n->nitems;
        return;
    }
    pn->set = n->set;
    pn->n = n->nset;
    pn->lo = (uint64_t)n->set[0].lo;
    pn->span = (uint64_t)n->set[0].hi - (uint64_t)n->set[0].lo;
    if (fd->type == FT4_ARRAY)
        pn->op = n->nset == 1 ? P_ANY_RANGE : P_ANY_SET;
    else if (fd->type == FT4_LONG)
        pn->op = n->nset == 1 ? P_RANGE64 : P_SET64;
    else
        pn->op = n->nset == 1 ? P_RANGE32 : P_SET32;
}

/* Links the tests of n so that a match continues at t, a miss at f;
 * returns where evaluation of n starts. */
static int32_t link_tests(prog_node *prog, const node *n, int32_t t, int32_t f)
{
    switch (n->kind) {
    case N_AND:
        return link_tests(prog, n->a, link_tests(prog, n->b, t, f), f);
    case N_OR:
        return link_tests(prog, n->a, t, link_tests(prog, n->b, t, f));
    case N_NOT:
        return link_tests(prog, n->a, f, t);
    case N_TEST:
        break;
    }
    if (n->negate) {
        int32_t x = t;
        t = f;
        f = x;
    }
    if (n->slot < 0)
        return f;
    prog[n->slot].next[0] = f;
    prog[n->slot].next[1] = t;
    return n->slot;
}

static void fill_tests(prog_node *prog, const node *n)
{
    if (!n)
        return;
    if (n->kind == N_TEST) {
        if (n->slot >= 0)
            fill_test(&prog[n->slot], n);
        return;
    }
    fill_tests(prog, n->a);
    fill_tests(prog, n->b);
}

static int compile(ft_expr *e, ft_error *err)
{
    int count = 0;
    number_tests(e->root, &count);
    prog_node *prog = calloc(count ? (size_t)count : 1, sizeof *prog);
    if (!prog)
        return ft_error_set(err, "out of memory");
    fill_tests(prog, e->root);
    free(e->prog);
    e->prog = prog;
    e->nprog = count;
    e->entry = link_tests(prog, e->root, ACCEPT, REJECT);
    return 0;
}

ft_expr *ft_expr_parse(const char *text, size_t *where, ft_error *err)
{
    parser p;
    memset(&p, 0, sizeof p);
    p.text = text;
    p.err = err;
    p.tok.kind = T_END;
    node *root = NULL;
    if (next(&p) == 0) {
        if (p.tok.kind == T_END) {
            fail_at(&p, 0, "empty expression");
        } else if ((root = parse_or(&p, 0)) != NULL &&
                   p.tok.kind != T_END) {
            expected(&p, "'and', 'or' or the end");
            node_free(root);
            root = NULL;
        }
    }
    if (!root) {
        if (where)
            *where = p.where;
        return NULL;
    }
    ft_expr *e = calloc(1, sizeof *e);
    if (!e) {
        ft_error_set(err, "out of memory");
        node_free(root);
        return NULL;
    }
    e->root = root;
    if (compile(e, err) < 0) {
        ft_expr_free(e);
        return NULL;
    }
    return e;
}

int ft_expr_and(ft_expr *a, ft_expr *b, ft_error *err)
{
    node *n = calloc(1, sizeof *n);
    if (!n) {
        ft_expr_free(b);
        return ft_error_set(err, "out of memory");
    }
    n->kind = N_AND;
    n->a = a->root;
    n->b = b->root;
    a->root = n;
    b->root = NULL;
    ft_expr_free(b);
    return compile(a, err);
}

uint32_t ft_expr_fields(const ft_expr *e)
{
    uint32_t m = 0;
    for (int i = 0; i < e->nprog; i++)
        m |= (uint32_t)1 << e->prog[i].field;
    return m;
}

void ft_expr_free(ft_expr *e)
{
    if (!e)
        return;
    node_free(e->root);
    free(e->prog);
    free(e);
}

/* ---- evaluation ------------------------------------------------------ */

static inline int in_range(const prog_node *pn, int64_t x)
{
    return (uint64_t)x - pn->lo <= pn->span;
}

static inline int in_set(const range *set, uint32_t n, int64_t x)
{
    if (n <= LINEAR_MAX) {
        for (uint32_t i = 0; i < n; i++) {
            if (x < set[i].lo)
                return 0;
            if (x <= set[i].hi)
                return 1;
        }
        return 0;
    }
    uint32_t lo = 0, hi = n; /* first range whose hi >= x */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (set[mid].hi < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && set[lo].lo <= x;
}

static inline int tag_equal(const ft4_tag *a, const ft4_tag *lit)
{
    return a->len == lit->len && memcmp(a->s, lit->s, lit->len) == 0;
}

int ft_expr_match(const ft_expr *e, const ft4_record *r)
{
    const char *base = (const char *)r;
    int32_t pc = e->entry;
    while (pc >= 0) {
        const prog_node *pn = &e->prog[pc];
        const char *fp = base + pn->off;
        int m = 0;
        switch ((enum prog_op)pn->op) {
        case P_RANGE64: {
            int64_t x;
            memcpy(&x, fp, sizeof x);
            m = in_range(pn, x);
            break;
        }
        case P_RANGE32: {
            int32_t x;
            memcpy(&x, fp, sizeof x);
            m = in_range(pn, x);
            break;
        }
        case P_SET64: {
            int64_t x;
            memcpy(&x, fp, sizeof x);
            m = in_set(pn->set, pn->n, x);
            break;
        }
        case P_SET32: {
            int32_t x;
            memcpy(&x, fp, sizeof x);
            m = in_set(pn->set, pn->n, x);
            break;
        }
        case P_ANY_RANGE: {
            const ft4_array *a = (const ft4_array *)(const void *)fp;
            for (uint32_t i = 0; i < a->n && !m; i++)
                m = in_range(pn, a->v[i]);
            break;
        }
        case P_ANY_SET: {
            const ft4_array *a = (const ft4_array *)(const void *)fp;
            for (uint32_t i = 0; i < a->n && !m; i++)
                m = in_set(pn->set, pn->n, a->v[i]);
            break;
        }
        case P_TAG:
            m = tag_equal((const ft4_tag *)(const void *)fp, &pn->tags[0]);
            break;
        case P_TAGSET:
            for (uint32_t i = 0; i < pn->n && !m; i++)
                m = tag_equal((const ft4_tag *)(const void *)fp, &pn->tags[i]);
            break;
        }
        pc = pn->next[m];
    }
    return pc == ACCEPT;
}

/* ---- printing -------------------------------------------------------- */

static void print_value(FILE *fp, int f, int64_t v)
{
    char buf[16];
    if (is_addr_field(f) && v >= 0 && v <= INT64_C(0xffffffff))
        fputs(ft_format_ipv4((uint32_t)v, buf), fp);
    else
        fprintf(fp, "%" PRId64, v);
}

/* v, a.b.c.d/len for an aligned power-of-two address block, or lo..hi. */
static void print_range(FILE *fp, int f, range r)
{
    print_value(fp, f, r.lo);
    if (r.lo == r.hi)
        return;
    uint64_t size = (uint64_t)r.hi - (uint64_t)r.lo + 1;
    if (is_addr_field(f) && r.lo >= 0 && r.hi <= INT64_C(0xffffffff) &&
        (size & (size - 1)) == 0 && (uint64_t)r.lo % size == 0) {
        int len = 32;
        while (size > 1) {
            size >>= 1;
            len--;
        }
        fprintf(fp, "/%d", len);
        return;
    }
    fputs("..", fp);
    print_value(fp, f, r.hi);
}

static void print_tag(FILE *fp, const ft4_tag *t)
{
    fputc('"', fp);
    for (uint8_t i = 0; i < t->len; i++) {
        if (t->s[i] == '"' || t->s[i] == '\\')
            fputc('\\', fp);
        fputc(t->s[i], fp);
    }
    fputc('"', fp);
}

/* Items as written: one value after a comparison, {a, b..c} after in. */
static void print_items(FILE *fp, const node *n)
{
    int list = n->op >= OP_IN;
    if (list)
        fputc('{', fp);
    for (uint32_t i = 0; i < n->nitems; i++) {
        if (i)
            fputs(", ", fp);
        if (is_string_field(n->field))
            print_tag(fp, &n->tags[i]);
        else
            print_range(fp, n->field, n->items[i]);
    }
    if (list)
        fputc('}', fp);
}

static void print_tree(FILE *fp, const node *n)
{
    switch (n->kind) {
    case N_AND:
    case N_OR:
        fputc('(', fp);
        print_tree(fp, n->a);
        fputs(n->kind == N_AND ? " and " : " or ", fp);
        print_tree(fp, n->b);
        fputc(')', fp);
        return;
    case N_NOT:
        fputs("not ", fp);
        if (n->a->kind == N_TEST)
            fputc('(', fp);
        print_tree(fp, n->a);
        if (n->a->kind == N_TEST)
            fputc(')', fp);
        return;
    case N_TEST:
        fprintf(fp, "%s %s ", ft4_fields[n->field].name, op_text[n->op]);
        print_items(fp, n);
        return;
    }
}

static const char *target(int32_t t, char *buf)
{
    if (t == ACCEPT)
        return "accept";
    if (t == REJECT)
        return "reject";
    sprintf(buf, "%" PRId32, t);
    return buf;
}

/* One program node: what it tests, then where it goes. */
static void print_node(FILE *fp, int i, const prog_node *pn)
{
    int f = pn->field;
    fprintf(fp, "%d  ", i);
    if (pn->op == P_ANY_RANGE || pn->op == P_ANY_SET)
        fputs("any ", fp);
    fprintf(fp, "%s ", ft4_fields[f].name);
    if (pn->op == P_TAG || pn->op == P_TAGSET) {
        fputs(pn->op == P_TAG ? "== " : "in {", fp);
        for (uint32_t k = 0; k < pn->n; k++) {
            if (k)
                fputs(", ", fp);
            print_tag(fp, &pn->tags[k]);
        }
        if (pn->op == P_TAGSET)
            fputc('}', fp);
    } else if (pn->n == 1) {
        range r = pn->set[0];
        if (r.lo == r.hi) {
            fputs("== ", fp);
            print_value(fp, f, r.lo);
        } else if (r.lo == INT64_MIN && r.hi != INT64_MAX) {
            fputs("<= ", fp);
            print_value(fp, f, r.hi);
        } else if (r.hi == INT64_MAX && r.lo != INT64_MIN) {
            fputs(">= ", fp);
            print_value(fp, f, r.lo);
        } else {
            fputs("in ", fp);
            print_range(fp, f, r);
        }
    } else {
        fputs("in {", fp);
        for (uint32_t k = 0; k < pn->n; k++) {
            if (k)
                fputs(", ", fp);
            print_range(fp, f, pn->set[k]);
        }
        fprintf(fp, "} (%s)", pn->n > LINEAR_MAX ? "binary search" : "scan");
    }
    char t[16], e[16];
    fprintf(fp, "  true:%s false:%s\n", target(pn->next[1], t),
            target(pn->next[0], e));
}

char *ft_expr_dump(const ft_expr *e)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *fp = open_memstream(&buf, &size);
    if (!fp)
        return NULL;
    fputs("tree: ", fp);
    print_tree(fp, e->root);
    char t[16];
    fprintf(fp, "\nprogram: %d node%s, entry %s\n", e->nprog,
            e->nprog == 1 ? "" : "s", target(e->entry, t));
    for (int i = 0; i < e->nprog; i++)
        print_node(fp, i, &e->prog[i]);
    if (fclose(fp) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

char *ft_expr_caret(const char *text, size_t where)
{
    size_t len = strlen(text);
    if (where > len)
        where = len;
    size_t start = where;
    while (start > 0 && text[start - 1] != '\n')
        start--;
    size_t end = start;
    while (text[end] && text[end] != '\n')
        end++;
    char *buf = malloc(2 * (end - start) + 16);
    if (!buf)
        return NULL;
    size_t n = 0;
    buf[n++] = ' ';
    buf[n++] = ' ';
    memcpy(buf + n, text + start, end - start);
    n += end - start;
    buf[n++] = '\n';
    buf[n++] = ' ';
    buf[n++] = ' ';
    /* keep tabs so the caret lines up under them */
    for (size_t i = start; i < where; i++)
        buf[n++] = text[i] == '\t' ? '\t' : ' ';
    buf[n++] = '^';
    buf[n++] = '\n';
    buf[n] = '\0';
    return buf;
}
