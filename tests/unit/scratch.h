/*
 * scratch.h - the scratch directory of a unit-test program, shared by the
 * programs that write files: made by scratch_setup (a cmocka group setup)
 * under $TMPDIR (default /tmp), removed with all it holds by
 * scratch_teardown, so that a run leaves nothing behind.
 *
 * Include after <cmocka.h>, <stdio.h>, <stdlib.h>.
 */
#ifndef FT_TEST_SCRATCH_H
#define FT_TEST_SCRATCH_H

#include <stdio.h>
#include <stdlib.h>

/* The directory (empty before scratch_setup). */
static char scratch_dir[128];

static inline int scratch_setup(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp)
        tmp = "/tmp";
    if (snprintf(scratch_dir, sizeof scratch_dir, "%s/fttools-unit.XXXXXX", tmp) >=
        (int)sizeof scratch_dir)
        return -1;
    return mkdtemp(scratch_dir) ? 0 : -1;
}

static inline int scratch_teardown(void **state)
{
    (void)state;
    char cmd[sizeof scratch_dir + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* scratch_dir/name, in one of eight buffers used in turn (so a call may
 * take a few paths at once). */
static inline const char *scratch_path(const char *name)
{
    static char buf[8][sizeof scratch_dir + 128];
    static unsigned k;
    char *p = buf[k++ % 8];
    snprintf(p, sizeof buf[0], "%s/%s", scratch_dir, name);
    return p;
}

#endif
