/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* state_dir/users/<user>: the grants of one user, as jit-agent writes them
 * when it accepts a bundle and pam_jit reads them at every login. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "jit-limits.h"
#include "kv-lines.h"
#include "parse.h"
#include "user-grants.h"

void user_grants_free(struct user_grants *u) {
        if (!u)
                return;
        strv_free(u->grants);
        strv_free(u->revoked);
        free(u);
}

int user_grants_parse(const char *text, size_t len, struct user_grants **ret,
                      struct jit_error *err) {
        _cleanup_(user_grants_freep) struct user_grants *u = NULL;
        const char *p, *end;
        struct kv_line l = {};
        int r;

        if (!ret || (!text && len > 0))
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "missing argument");
        if (len > JIT_USER_FILE_MAX)
                return jit_error_set(err, EFBIG, JIT_REASON_TOO_LARGE,
                                     "user grants larger than %u bytes", JIT_USER_FILE_MAX);
        /* NULL text with len 0 is an empty file; p and end stay off NULL,
         * where even NULL + 0 is undefined in C. */
        p = text ? text : "";
        end = p + len;
        u = calloc(1, sizeof(*u));
        if (!u)
                return jit_error_oom(err);

        /* The header is fixed: a file cut or spliced at the front fails. */
        r = kv_line_expect(&p, end, "serial", &l, err);
        if (r < 0)
                return r;
        if (!parse_uint_strict(l.value, l.value_len, JIT_SERIAL_MAX, &u->serial))
                return kv_bad_value(&l, err);
        r = kv_line_expect(&p, end, "bundle-exp", &l, err);
        if (r < 0)
                return r;
        if (!parse_time_strict(l.value, l.value_len, &u->bundle_exp))
                return kv_bad_value(&l, err);

        while (p < end) {
                r = kv_line_next(&p, end, &l, err);
                if (r < 0)
                        return r;
                if (kv_is(&l, "grant")) {
                        if (!grant_token_is_wellformed(l.value, l.value_len))
                                return kv_bad_value(&l, err);
                        if (u->n_grants >= JIT_USER_GRANTS_MAX)
                                return jit_error_set(err, E2BIG, JIT_REASON_TOO_LARGE,
                                                     "line %u: more than %u grants", l.number,
                                                     JIT_USER_GRANTS_MAX);
                        if (strv_append_n(&u->grants, &u->n_grants, l.value, l.value_len) < 0)
                                return jit_error_oom(err);
                } else if (kv_is(&l, "revoked")) {
                        if (!grant_id_is_valid(l.value, l.value_len))
                                return kv_bad_value(&l, err);
                        if (u->n_revoked >= JIT_USER_GRANTS_MAX)
                                return jit_error_set(err, E2BIG, JIT_REASON_TOO_LARGE,
                                                     "line %u: more than %u revoked ids", l.number,
                                                     JIT_USER_GRANTS_MAX);
                        if (strv_append_n(&u->revoked, &u->n_revoked, l.value, l.value_len) < 0)
                                return jit_error_oom(err);
                } else if (kv_is(&l, "serial") || kv_is(&l, "bundle-exp"))
                        return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED,
                                             "line %u: '%.*s' given twice", l.number,
                                             (int) l.key_len, l.key);
                else
                        return kv_unknown(&l, err);
        }

        /* Callers may hold empty lists, never NULL ones. */
        if (!u->grants && !(u->grants = calloc(1, sizeof(char *))))
                return jit_error_oom(err);
        if (!u->revoked && !(u->revoked = calloc(1, sizeof(char *))))
                return jit_error_oom(err);
        qsort(u->revoked, u->n_revoked, sizeof(char *), strcmp_ptr);
        for (size_t i = 1; i < u->n_revoked; i++)
                if (streq(u->revoked[i - 1], u->revoked[i]))
                        return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED,
                                             "revoked id '%s' listed twice", u->revoked[i]);

        *ret = TAKE_PTR(u);
        return 0;
}

int user_grants_format(const struct user_grants *u, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f;
        bool ok = true;

        if (!u || !ret)
                return -EINVAL;
        /* Write only what parse accepts, so a round trip is exact. */
        if (u->serial > JIT_SERIAL_MAX || u->bundle_exp < 0 || u->bundle_exp > JIT_TIME_MAX ||
            u->n_grants > JIT_USER_GRANTS_MAX || u->n_revoked > JIT_USER_GRANTS_MAX)
                return -EINVAL;
        for (size_t i = 0; i < u->n_grants; i++)
                if (!u->grants[i] || !grant_token_is_wellformed(u->grants[i], strlen(u->grants[i])))
                        return -EINVAL;
        for (size_t i = 0; i < u->n_revoked; i++) {
                if (!u->revoked[i] || !grant_id_is_valid(u->revoked[i], strlen(u->revoked[i])))
                        return -EINVAL;
                if (i > 0 && strcmp(u->revoked[i - 1], u->revoked[i]) >= 0)
                        return -EINVAL; /* must be sorted and unique */
        }

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        ok = fprintf(f, "serial %" PRIu64 "\nbundle-exp %" PRId64 "\n", u->serial, u->bundle_exp) >
             0;
        for (size_t i = 0; ok && i < u->n_grants; i++)
                ok = fprintf(f, "grant %s\n", u->grants[i]) > 0;
        for (size_t i = 0; ok && i < u->n_revoked; i++)
                ok = fprintf(f, "revoked %s\n", u->revoked[i]) > 0;
        if (fclose(f) != 0 || !ok)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}

int user_grants_load(const struct jit_config *c, const char *user, struct user_grants **ret,
                     struct jit_error *err) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        size_t len = 0;
        int r;

        if (!c || !c->state_dir || !ret)
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "missing argument");
        /* The name becomes a path component: nothing but a valid login. */
        if (!user || !user_name_is_valid(user, strlen(user)))
                return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED, "invalid user name");
        path = path_join3(c->state_dir, "users/", user);
        if (!path)
                return jit_error_oom(err);
        r = read_file_secure(path, 0, JIT_USER_FILE_MAX, &text, &len, err);
        if (r < 0)
                return r;
        r = user_grants_parse(text, len, ret, err);
        if (r < 0)
                jit_error_prefix(err, "%s", path);
        return r;
}

bool user_grants_is_revoked(const struct user_grants *u, const char *jti) {
        if (!u || !jti || u->n_revoked == 0)
                return false;
        return bsearch(&jti, u->revoked, u->n_revoked, sizeof(char *), strcmp_ptr) != NULL;
}
