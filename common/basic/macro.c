/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "macro.h"

void explicit_wipe(void *p, size_t n) {
        if (p && n > 0)
                explicit_bzero(p, n);
}

void freezero(void *p, size_t n) {
        if (!p)
                return;
        explicit_wipe(p, n);
        free(p);
}

void strfreezero(char *s) {
        if (s)
                freezero(s, strlen(s));
}

void strv_free(char **l) {
        if (!l)
                return;
        for (char **i = l; *i; i++)
                free(*i);
        free(l);
}

size_t strv_length(char *const *l) {
        size_t n = 0;

        if (l)
                while (l[n])
                        n++;
        return n;
}

bool strv_equal(char *const *a, char *const *b) {
        size_t i = 0;

        for (; a && b && a[i] && b[i]; i++)
                if (!streq(a[i], b[i]))
                        return false;
        return (!a || !a[i]) && (!b || !b[i]);
}

bool strv_contains(char *const *l, const char *s) {
        if (!l)
                return false;
        for (char *const *i = l; *i; i++)
                if (streq(*i, s))
                        return true;
        return false;
}

int strv_extend(char ***l, const char *s) {
        size_t n = strv_length(*l);
        _cleanup_free_ char *copy = NULL;
        char **nl;

        copy = strdup(s);
        if (!copy)
                return -ENOMEM;
        nl = realloc(*l, (n + 2) * sizeof(char *));
        if (!nl)
                return -ENOMEM;
        nl[n] = TAKE_PTR(copy);
        nl[n + 1] = NULL;
        *l = nl;
        return 0;
}

int strv_append_n(char ***l, size_t *n, const char *s, size_t len) {
        _cleanup_free_ char *copy = strndup(s, len);
        char **nl;

        if (!copy)
                return -ENOMEM;
        nl = realloc(*l, (*n + 2) * sizeof(char *));
        if (!nl)
                return -ENOMEM;
        nl[(*n)++] = TAKE_PTR(copy);
        nl[*n] = NULL;
        *l = nl;
        return 0;
}

int strcmp_ptr(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}
