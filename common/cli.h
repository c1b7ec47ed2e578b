/*
 * cli.h - start-up shared by every command: program name for messages,
 * SIGPIPE restored so `ft-cat big.avro | head` ends quietly, and the
 * --help-fields listing.
 */
#ifndef FT_CLI_H
#define FT_CLI_H

#include <stdio.h>

void ft_cli_init(const char *argv0);
/* Prints every FT4 field with its type and meaning (--help-fields). */
void ft_print_fields(FILE *fp);

#endif
