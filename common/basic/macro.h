/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Small helpers shared by all of jit-access: scope-bound cleanup in the
 * style of systemd's _cleanup_ and fprintd's pam_fprintd_autoptrs.h. Every
 * destructor accepts NULL, so a variable can be declared, initialised to
 * NULL, and left to the cleanup on every return path. */

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
/* "1 grant", "2 grants": the "s" a count needs. */
#define PLURAL_S(n) ((n) == 1 ? "" : "s")

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _warn_unused_result_ __attribute__((warn_unused_result))

/* Hand ownership out of a cleanup-managed variable. */
#define TAKE_PTR(p)                                                                                \
        ({                                                                                         \
                __typeof__(p) _ptr_ = (p);                                                         \
                (p) = NULL;                                                                        \
                _ptr_;                                                                             \
        })

#define TAKE_FD(fd)                                                                                \
        ({                                                                                         \
                int _fd_ = (fd);                                                                   \
                (fd) = -1;                                                                         \
                _fd_;                                                                              \
        })

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd) {
        if (*fd >= 0)
                (void) close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

/* Define a cleanup function for type T from a destructor that takes a T. */
/* NOLINTBEGIN(bugprone-macro-parentheses): type is a type name, which
 * cannot be parenthesised in a parameter declaration. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                                                    \
        static inline void func##p(type *p) {                                                      \
                if (*p)                                                                            \
                        func(*p);                                                                  \
        }
/* NOLINTEND(bugprone-macro-parentheses) */

/* Wipe a buffer the compiler may not elide (secrets, typed tokens). */
void explicit_wipe(void *p, size_t n);
/* Wipe then free: for private keys and tokens typed by users. */
void freezero(void *p, size_t n);
/* freezero() for a NUL-terminated string. */
void strfreezero(char *s);
static inline void strfreezerop(char **s) {
        strfreezero(*s);
}
/* A string holding a secret (a typed token): wiped when it goes out of scope. */
#define _cleanup_strfreezero_ _cleanup_(strfreezerop)

/* A NULL-terminated array of strings. */
void strv_free(char **l);
size_t strv_length(char *const *l);
bool strv_contains(char *const *l, const char *s);
/* The same strings in the same order (NULL equals an empty list). */
bool strv_equal(char *const *a, char *const *b);
/* Append a copy of s; returns 0 or -ENOMEM. */
int strv_extend(char ***l, const char *s);
/* Append a copy of s[0..len) to a list of *n entries; returns 0 or -ENOMEM. */
int strv_append_n(char ***l, size_t *n, const char *s, size_t len);
/* qsort()/bsearch() comparison of two char * elements. */
int strcmp_ptr(const void *a, const void *b);
static inline void strv_freep(char ***l) {
        strv_free(*l);
}
#define _cleanup_strv_free_ _cleanup_(strv_freep)

static inline bool streq(const char *a, const char *b) {
        return strcmp(a, b) == 0;
}
static inline bool streq_ptr(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return streq(a, b);
}
static inline const char *strempty(const char *s) {
        return s ? s : "";
}
