/*
 * failmalloc.c - an LD_PRELOAD shim that makes one allocation fail, to
 * test that tools survive out-of-memory at every allocation site.
 *
 *   cc -shared -fPIC -O2 -o failmalloc.so tests/fuzz/failmalloc.c
 *   FAILMALLOC_N=37 LD_PRELOAD=./failmalloc.so ft-cat x.avro
 *
 * FAILMALLOC_N=N        the Nth call (from 1) of malloc, calloc, realloc,
 *                       posix_memalign, aligned_alloc, memalign or valloc
 *                       returns NULL with errno ENOMEM; unset or 0: none.
 * FAILMALLOC_STICKY=1   every call from the Nth on fails.
 * FAILMALLOC_STATS=FILE at exit, writes the number of calls (and whether
 *                       one failed) to FILE, so a test knows how far to
 *                       sweep N.
 * free() and realloc(p, 0) are never failed.  The real allocator is
 * glibc's (__libc_malloc and friends), which needs no dlsym and so no
 * allocation of its own.  Not for sanitizer builds: ASan and valgrind
 * bring their own malloc.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static unsigned long fail_at;  /* 0: never */
static int sticky;
static int inited;
static unsigned long calls;    /* atomically counted */
static int failed;

static void init(void)
{
    const char *s = getenv("FAILMALLOC_N");
    fail_at = s ? strtoul(s, NULL, 10) : 0;
    s = getenv("FAILMALLOC_STICKY");
    sticky = s && *s == '1';
    __atomic_store_n(&inited, 1, __ATOMIC_RELEASE);
}

/* 1 when this call must fail. */
static int should_fail(void)
{
    if (!__atomic_load_n(&inited, __ATOMIC_ACQUIRE))
        init();
    unsigned long n = __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
    if (fail_at && (n == fail_at || (sticky && n > fail_at))) {
        failed = 1;
        errno = ENOMEM;
        return 1;
    }
    return 0;
}

void *malloc(size_t n)
{
    return should_fail() ? NULL : __libc_malloc(n);
}

void *calloc(size_t n, size_t m)
{
    return should_fail() ? NULL : __libc_calloc(n, m);
}

void *realloc(void *p, size_t n)
{
    if (p && n == 0)
        return __libc_realloc(p, n);
    return should_fail() ? NULL : __libc_realloc(p, n);
}

void *memalign(size_t a, size_t n)
{
    return should_fail() ? NULL : __libc_memalign(a, n);
}

void *aligned_alloc(size_t a, size_t n)
{
    return should_fail() ? NULL : __libc_memalign(a, n);
}

void *valloc(size_t n)
{
    return should_fail() ? NULL : __libc_memalign((size_t)sysconf(_SC_PAGESIZE), n);
}

int posix_memalign(void **out, size_t a, size_t n)
{
    if (a < sizeof(void *) || (a & (a - 1)))
        return EINVAL;
    if (should_fail())
        return ENOMEM;
    void *p = __libc_memalign(a, n);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

__attribute__((destructor)) static void report(void)
{
    const char *path = getenv("FAILMALLOC_STATS");
    if (!path || !*path)
        return;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    char buf[64];
    int k = snprintf(buf, sizeof buf, "%lu %d\n",
                     __atomic_load_n(&calls, __ATOMIC_RELAXED), failed);
    if (k > 0)
        (void)!write(fd, buf, (size_t)k);
    close(fd);
}
