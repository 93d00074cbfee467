/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* state_dir/revoked: every revoked grant id of the accepted bundle, one a
 * line, sorted. */

#include <errno.h>
#include <string.h>

#include "fileio.h"
#include "grant.h"
#include "jit-limits.h"
#include "revoked-list.h"

int host_revoked_contains(const struct jit_config *c, const char *jti, bool *ret,
                          struct jit_error *err) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        const char *p, *end;
        size_t len = 0, jl;
        unsigned line = 0;
        int r;

        if (!c || !c->state_dir || !jti || !ret)
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "missing argument");
        *ret = false;
        jl = strlen(jti);
        if (!grant_id_is_valid(jti, jl))
                return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED, "invalid grant id");
        path = path_join3(c->state_dir, "revoked", NULL);
        if (!path)
                return jit_error_oom(err);
        r = read_file_secure(path, 0, JIT_REVOKED_FILE_MAX, &text, &len, err);
        if (r == -ENOENT)
                return 0; /* no bundle accepted yet: nothing is revoked */
        if (r < 0)
                return r;

        /* A linear scan: only a token typed at the prompt asks, and checking
         * every line keeps a corrupt file from answering "not revoked". */
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
                if (n == jl && memcmp(p, jti, jl) == 0)
                        *ret = true;
                p = nl + 1;
        }
        return 0;
}
