/*
 * expr.h - filter expressions over FT4 records (ft-filter): a lexer, a
 * parser that builds a tree, and a compiler that turns the tree into a
 * flat program that is evaluated once per record without allocating.
 *
 * Grammar (precedence: not > and > or; and/or associate to the left):
 *
 *   expr   := and { ("or" | "||") and }
 *   and    := unary { ("and" | "&&") unary }
 *   unary  := ("not" | "!") unary | "(" expr ")" | test
 *   test   := FIELD CMP value | FIELD ["not"] "in" set
 *   CMP    := "==" | "=" | "!=" | "<" | "<=" | ">" | ">="
 *   set    := item | "{" item { "," item } "}"
 *   item   := value [".." value] | A.B.C.D/LEN
 *   value  := integer (decimal, 0x hex, optional "-") | A.B.C.D
 *           | "string" | 'string' | tcp, udp, icmp, ... (protocol only)
 *
 * FIELD is a schema name of ft4_fields[]; keywords are case-insensitive;
 * '#' starts a comment that runs to the end of the line.
 *
 * Meaning by field:
 *   numbers  integer comparisons; "in" a list of values and inclusive
 *            ranges.  time also takes quoted times ("2021-02-13T18:00Z").
 *   src_ip, dst_net  also dotted addresses and, with "in", CIDR prefixes.
 *   protocol also the names icmp igmp tcp udp ipv6 gre esp ah sctp.
 *   tags     (maxmind_*, netacq_*) ==, != and "in" a list of quoted strings.
 *   arrays   (common_*) a test is true when SOME element satisfies it, so
 *            an empty array never matches ==, <, <=, >, >= or "in"; "!="
 *            and "not in" are the negations (no element equals / lies in).
 * "a != v" is always "not a == v", and "a not in S" is "not a in S".
 *
 * Compiled form: an array of test nodes, each with an on-true and an
 * on-false link (another node or accept/reject), in the manner of
 * nfdump's filter engine.  "and", "or" and "not" become links, so
 * evaluation short-circuits and needs no stack.  Every numeric test is an
 * inclusive range [lo, hi] checked with one unsigned compare; a CIDR prefix
 * is precomputed as its range; lists are sorted, merged range tables
 * (binary search beyond a few entries).
 *
 * Ownership: ft_expr_parse() returns a filter freed with ft_expr_free()
 * (NULL accepted); strings returned by ft_expr_dump() and ft_expr_caret()
 * are freed by the caller with free().  The text is not kept.
 */
#ifndef FT_EXPR_H
#define FT_EXPR_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "ft4.h"

typedef struct ft_expr ft_expr;

/* Parses and compiles text.  On an error returns NULL, fills err with
 * what is wrong and where ("expected a value after '>=' at column 16",
 * "... at line 2, column 5" when the text has several lines) and, when
 * where is not NULL, *where with the byte offset the error points at. */
ft_expr *ft_expr_parse(const char *text, size_t *where, ft_error *err);

/* a becomes "a and b" (recompiled); b is consumed in every case.
 * Returns 0, or -1 when out of memory. */
int ft_expr_and(ft_expr *a, ft_expr *b, ft_error *err);

/* 1 when r matches, else 0. */
int ft_expr_match(const ft_expr *e, const ft4_record *r);

/* The fields ft_expr_match reads, bit f for field id f (FT4_FIELD_BIT,
 * datum.h): a reader that decodes only these (reader.h) gives the same
 * matches.  A test whose answer does not depend on the record (folded
 * when compiled) reads nothing. */
uint32_t ft_expr_fields(const ft_expr *e);

/* Text of the filter: "tree: ..." (fully parenthesised, values
 * normalised), then the program, one node a line.  NULL when out of
 * memory. */
char *ft_expr_dump(const ft_expr *e);

/* Two lines that show an error position: the line of text holding byte
 * offset where, and a caret under it, each indented by two spaces and
 * ending in a newline.  NULL when out of memory. */
char *ft_expr_caret(const char *text, size_t where);

void ft_expr_free(ft_expr *e);

#endif
