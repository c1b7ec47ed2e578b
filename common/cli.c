/* cli.c - start-up shared by every command (see cli.h). */
#include "cli.h"

#include <signal.h>

#include "ft4.h"
#include "msg.h"

void ft_cli_init(const char *argv0)
{
    ft_msg_init(argv0);
    /* A parent may have ignored SIGPIPE; a closed pipe must end us quietly. */
    signal(SIGPIPE, SIG_DFL);
}

void ft_print_fields(FILE *fp)
{
    static const char *const type_names[] = {"long", "int", "array<long>", "string"};
    for (int i = 0; i < FT4_F_COUNT; i++)
        fprintf(fp, "%-22s %-12s %s\n", ft4_fields[i].name,
                type_names[ft4_fields[i].type], ft4_fields[i].doc);
}
