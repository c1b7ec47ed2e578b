/*
 * table.h - printing a table of results (not FT4 records: those go through
 * output.h) as aligned text, CSV or JSON lines.
 *
 * Rows are added cell by cell and written at the end, since text columns
 * are as wide as their widest cell.
 *
 *   text  columns two spaces apart, no trailing blanks; a column whose
 *         cells are all numbers (or empty) is right-aligned, any other
 *         left-aligned; a header line unless no_header.  A ratio shows
 *         4 decimals, truncated as the seed talk's pyspark-stardust
 *         output has them (36296567/87020298 = 0.41710.. -> 0.4171,
 *         10111708/87020298 = 0.11619.. -> 0.1161).
 *   csv   RFC 4180: a header line unless no_header; a cell with a comma,
 *         quote, CR or LF is quoted.  Ratios at full precision.
 *   json  one object per row, keys = column names in order; strings
 *         quoted and escaped, numbers bare, empty cells null.  Ratios at
 *         full precision: the shortest decimal that reads back as the
 *         double nearest num/den (0.4171046047210732, 1,
 *         0.3333333333333333).
 *
 * Ownership: ft_table_new() copies the column names; ft_table_free()
 * (NULL accepted) frees the table and every cell.
 */
#ifndef FT_TABLE_H
#define FT_TABLE_H

#include <stdint.h>

#include "error.h"
#include "sink.h"

enum ft_table_format { FT_TABLE_TEXT, FT_TABLE_CSV, FT_TABLE_JSON };

typedef struct ft_table ft_table;

ft_table *ft_table_new(enum ft_table_format fmt, int no_header, int ncols,
                       const char *const *names, ft_error *err);
void ft_table_free(ft_table *t);

/* Cells of the current row, left to right; ft_table_end_row() closes it
 * (it must have exactly ncols cells).  Each returns 0, or -1 with err set
 * (out of memory, too many cells). */
int ft_table_str(ft_table *t, const char *s, ft_error *err);
int ft_table_u64(ft_table *t, uint64_t v, ft_error *err);
/* The ratio num/den (0 when den is 0), formatted as above. */
int ft_table_ratio(ft_table *t, uint64_t num, uint64_t den, ft_error *err);
/* Empty in text and CSV, null in JSON. */
int ft_table_null(ft_table *t, ft_error *err);
/* A value already formatted: text for text/CSV, json as the JSON literal
 * (e.g. from ft_format_value with json set); numeric says whether it
 * counts as a number for alignment. */
int ft_table_value(ft_table *t, const char *text, const char *json,
                   int numeric, ft_error *err);
int ft_table_end_row(ft_table *t, ft_error *err);

/* Rows added so far. */
uint64_t ft_table_rows(const ft_table *t);
/* Writes header and rows to sink (which the caller then commits). */
int ft_table_write(const ft_table *t, ft_sink *sink, ft_error *err);

/* Shortest decimal ("%.*g") that strtod reads back as v; buf >= 32 bytes.
 * Returns the length. */
int ft_format_double(double v, char *buf);
/* Parses "text", "csv" or "json" into *fmt; -1 for anything else. */
int ft_table_format_parse(const char *s, enum ft_table_format *fmt);

#endif
