/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* state_dir/revoked: every revoked grant id of the accepted head, and those
 * of newer heads revoked ahead of their shards (revoke-early.h), one a
 * line, sorted. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "grant.h"
#include "jit-limits.h"
#include "revoked-list.h"

/* Read state_dir/revoked and check every line; each id is handed to fn. */
static int revoked_read(const struct jit_config *c, int (*fn)(const char *id, size_t n, void *u),
                        void *userdata, struct jit_error *err) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        const char *p, *end;
        size_t len = 0;
        unsigned line = 0;
        int r;

        path = path_join3(c->state_dir, "revoked", NULL);
        if (!path)
                return jit_error_oom(err);
        r = read_file_secure(path, 0, JIT_REVOKED_FILE_MAX, &text, &len, err);
        if (r == -ENOENT)
                return 0; /* no bundle accepted yet: nothing is revoked */
        if (r < 0)
                return r;

        /* A linear scan, checking every line, keeps a corrupt file from
         * answering "not revoked". */
        for (p = text, end = text + len; p < end;) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                size_t n;

                line++;
                if (!nl)
                        return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED,
                                             "%s: line %u: no newline at the end", path, line);
                n = (size_t) (nl - p);
                if (!grant_id_is_valid(p, n))
                        return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED,
                                             "%s: line %u: not a grant id", path, line);
                r = fn(p, n, userdata);
                if (r < 0)
                        return jit_error_oom(err);
                p = nl + 1;
        }
        return 0;
}

struct contains {
        const char *jti;
        size_t len;
        bool found;
};

static int contains_one(const char *id, size_t n, void *userdata) {
        struct contains *w = userdata;

        if (n == w->len && memcmp(id, w->jti, n) == 0)
                w->found = true;
        return 0;
}

int host_revoked_contains(const struct jit_config *c, const char *jti, bool *ret,
                          struct jit_error *err) {
        struct contains w = {.jti = jti};
        int r;

        if (!c || !c->state_dir || !jti || !ret)
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "missing argument");
        *ret = false;
        w.len = strlen(jti);
        if (!grant_id_is_valid(jti, w.len))
                return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED, "invalid grant id");
        /* Only a token typed at the prompt asks. */
        r = revoked_read(c, contains_one, &w, err);
        if (r < 0)
                return r;
        *ret = w.found;
        return 0;
}

struct collect {
        char **ids;
        size_t n;
};

static int collect_one(const char *id, size_t n, void *userdata) {
        struct collect *w = userdata;

        return strv_append_n(&w->ids, &w->n, id, n);
}

int host_revoked_load(const struct jit_config *c, char ***ret, size_t *ret_n,
                      struct jit_error *err) {
        struct collect w = {};
        int r;

        if (!c || !c->state_dir || !ret || !ret_n)
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "missing argument");
        r = revoked_read(c, collect_one, &w, err);
        if (r < 0) {
                strv_free(w.ids);
                return r;
        }
        /* Written sorted; sorted again so a hand-edited file cannot make a
         * lookup miss. */
        if (w.n > 1)
                qsort(w.ids, w.n, sizeof(char *), strcmp_ptr);
        *ret = w.ids;
        *ret_n = w.n;
        return 0;
}
