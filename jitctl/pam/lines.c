/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lines.h"
#include "macro.h"

/* gcc 12's -fanalyzer does not carry the contents of an array through
 * realloc(), so every line stored before the array grows looks leaked when
 * the next one is inserted (tests/analyze). lines_done() frees them all;
 * valgrind and ASan runs of the planner tests (tests/cli) check it for
 * real. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
#endif

void lines_done(struct lines *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->v[i].text);
        free(l->v);
        *l = (struct lines){};
}

int lines_insert(struct lines *l, size_t at, const char *text, size_t len, bool nl) {
        struct line *v;
        char *t;

        if (at > l->n)
                return -EINVAL;
        t = strndup(text, len);
        if (!t)
                return -ENOMEM;
        v = reallocarray(l->v, l->n + 1, sizeof(*v));
        if (!v) {
                free(t);
                return -ENOMEM;
        }
        l->v = v;
        memmove(v + at + 1, v + at, (l->n - at) * sizeof(*v));
        v[at] = (struct line){.text = t, .nl = nl};
        l->n++;
        return 0;
}

void lines_remove(struct lines *l, size_t at) {
        free(l->v[at].text);
        memmove(l->v + at, l->v + at + 1, (l->n - at - 1) * sizeof(*l->v));
        l->n--;
}

int lines_split(const char *data, size_t len, struct lines *ret) {
        _cleanup_(lines_done) struct lines l = {};
        const char *p = data, *end = data + len;
        int r;

        if (len > 0 && memchr(data, '\0', len))
                return -EBADMSG;
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                size_t k = nl ? (size_t) (nl - p) : (size_t) (end - p);

                r = lines_insert(&l, l.n, p, k, nl != NULL);
                if (r < 0)
                        return r;
                p += k + (nl ? 1 : 0);
        }
        *ret = l;
        l = (struct lines){};
        return 0;
}

int lines_copy(const struct lines *a, struct lines *ret) {
        _cleanup_(lines_done) struct lines l = {};
        int r;

        for (size_t i = 0; i < a->n; i++) {
                r = lines_insert(&l, l.n, a->v[i].text, strlen(a->v[i].text), a->v[i].nl);
                if (r < 0)
                        return r;
        }
        *ret = l;
        l = (struct lines){};
        return 0;
}

int lines_join(const struct lines *l, char **ret, size_t *ret_len) {
        size_t len = 0, k = 0;
        char *buf;

        for (size_t i = 0; i < l->n; i++)
                len += strlen(l->v[i].text) + l->v[i].nl;
        buf = malloc(len + 1);
        if (!buf)
                return -ENOMEM;
        for (size_t i = 0; i < l->n; i++) {
                size_t t = strlen(l->v[i].text);

                memcpy(buf + k, l->v[i].text, t);
                k += t;
                if (l->v[i].nl)
                        buf[k++] = '\n';
        }
        buf[k] = '\0';
        *ret = buf;
        *ret_len = k;
        return 0;
}

bool line_eq(const struct line *a, const struct line *b) {
        return a->nl == b->nl && streq(a->text, b->text);
}

bool lines_eq(const struct lines *a, const struct lines *b) {
        if (a->n != b->n)
                return false;
        for (size_t i = 0; i < a->n; i++)
                if (!line_eq(a->v + i, b->v + i))
                        return false;
        return true;
}
