/*
 * fetch.h - objects of a store (swift://CONTAINER/OBJECT, s3://BUCKET/KEY;
 * a scheme is one line in schemes[] in fetch.c and one entry in
 * ft-fetch.c's table) for the input layer, without linking an HTTP
 * client: each stream or listing is an ft-fetch child process
 * (ft-fetch(1)), which authenticates, retries, resumes and verifies every
 * object's MD5.  The reading tools stay small and start fast; only
 * ft-fetch links libcurl.
 *
 * ft-fetch is found through $FT_FETCH (tests), else next to the running
 * executable (/proc/self/exe), else on PATH.  It inherits stderr, so its
 * retry notes reach the user, prefixed with this program's name; its
 * final error comes back on a private pipe and becomes the one-line
 * ft_error of the caller ("swift://c/o: HTTP 404 Not Found").  Its exit
 * status is always checked: a download cut at an Avro block boundary
 * would otherwise read as a clean end.  The child gets SIGTERM when the
 * parent dies (PR_SET_PDEATHSIG) and shares its process group, so ^C
 * stops both.
 *
 * Authentication once per process, not per child (Swift; S3 signs each
 * request and has no session): a child reports its token ("session") on the private pipe when it ends, and later children
 * get it in the FT_FETCH_SESSION variable (never on a command line); a
 * child whose session is refused (401) or about to expire authenticates
 * again from the usual credentials.  So a dataset walk that spawns one
 * listing per directory authenticates once.
 *
 * Ownership: handles are freed with ft_fetch_close() (NULL accepted),
 * names with ft_fetch_names_free() (also after an error: left empty).
 * Not for concurrent use from several threads.
 */
#ifndef FT_FETCH_H
#define FT_FETCH_H

#include <stddef.h>

#include "error.h"

/* 1 when path is a store address (a scheme ft-fetch reads). */
int ft_fetch_is_url(const char *path);
/* 1 when path is a store address that names a prefix (ends in '/'). */
int ft_fetch_is_prefix(const char *path);

typedef struct ft_fetch ft_fetch;

/* Starts streaming the object at url; its bytes are read from
 * ft_fetch_fd().  At end of data there, ft_fetch_finish() says whether
 * the whole object arrived intact (0) or not (-1, err names the url). */
ft_fetch *ft_fetch_open(const char *url, ft_error *err);
int ft_fetch_fd(const ft_fetch *f);
int ft_fetch_finish(ft_fetch *f, ft_error *err);
/* Stops a child still running (a reader that stopped early) and frees. */
void ft_fetch_close(ft_fetch *f);

typedef struct ft_fetch_names {
    char **v;
    size_t n, cap;
} ft_fetch_names;

/* The entries under url (a prefix: "swift://C/" or "swift://C/a/b/"),
 * relative to it, in name order.  delim 0: every object below; else one
 * level: names that go on past the next delim end with it ("dir/").
 * None is not an error. */
int ft_fetch_list(const char *url, char delim, ft_fetch_names *out,
                  ft_error *err);
/* The objects under a prefix as full addresses, in name order; none is
 * an error ("URL: no objects"). */
int ft_fetch_objects(const char *url, ft_fetch_names *out, ft_error *err);
/* Copies the n arguments into out with every store prefix replaced by its
 * objects (as ft_fetch_objects), for tools that need all their inputs up
 * front (ft-convert); the reader (reader.h) expands them as it goes. */
int ft_fetch_expand(int n, char *const *args, ft_fetch_names *out,
                    ft_error *err);
void ft_fetch_names_free(ft_fetch_names *n);
/* Appends a copy of name (a zeroed ft_fetch_names starts empty); -1 when
 * out of memory. */
int ft_fetch_names_add(ft_fetch_names *n, const char *name);

/* Frees a string holding a secret (a session here, keys and tokens in the
 * HTTP clients), zeroed first; NULL accepted. */
void ft_free_secret(char *p);

#endif
