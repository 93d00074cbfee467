/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A checked head's revocations, applied ahead of its shards: revoked-early,
 * users/<user>, then revoked (the commit point of this step). */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "grant.h"
#include "host-state.h"
#include "jit-limits.h"
#include "parse.h"
#include "revoke-early.h"
#include "revoked-early.h"
#include "revoked-list.h"
#include "user-grants.h"

static bool sorted_contains(char *const *v, size_t n, const char *s) {
        return n > 0 && bsearch(&s, v, n, sizeof(char *), strcmp_ptr) != NULL;
}

/* The sorted union of two sorted lists (repeats dropped), as copies. */
static int ids_union(char *const *a, size_t na, char *const *b, size_t nb, char ***ret,
                     size_t *ret_n) {
        char **v = NULL;
        size_t n = 0, i = 0, k = 0;

        while ((a && i < na) || (b && k < nb)) {
                const char *s;

                if (!b || k >= nb || (a && i < na && strcmp(a[i], b[k]) <= 0))
                        s = a[i++];
                else
                        s = b[k++];
                if (n > 0 && streq(v[n - 1], s))
                        continue;
                if (strv_append_n(&v, &n, s, strlen(s)) < 0) {
                        strv_free(v);
                        return -ENOMEM;
                }
        }
        if (!v && !(v = calloc(1, sizeof(char *))))
                return -ENOMEM;
        *ret = v;
        *ret_n = n;
        return 0;
}

/* Add a "revoked" line to one user's file for each of its grants listed in
 * ids that it does not list yet. The grants were verified when the file was
 * written (pam_jit verifies them again): only their ids are read here. */
static int user_revoke(const struct jit_config *c, const struct trust_store *ts,
                       const struct grant_policy *policy, const char *user, char *const *ids,
                       size_t n_ids, struct revoke_early_result *res, struct jit_error *err) {
        _cleanup_(user_grants_freep) struct user_grants *u = NULL;
        _cleanup_free_ char *text = NULL, *path = NULL;
        struct jit_error why = {};
        size_t added = 0;
        int r;

        r = user_grants_load(c, user, &u, &why);
        /* Gone meanwhile, or unreadable: such a file admits nothing anyway
         * (snapshot.h), and the next full apply writes it again. */
        if (r < 0)
                return r == -ENOMEM ? jit_error_oom(err) : 0;
        for (size_t i = 0; i < u->n_grants; i++) {
                _cleanup_(grant_freep) struct grant *g = NULL;

                if (grant_from_verified_token(u->grants[i], strlen(u->grants[i]), ts, policy, &g,
                                              &why) < 0)
                        continue; /* admits nothing either */
                if (!sorted_contains(ids, n_ids, g->jti) || user_grants_is_revoked(u, g->jti))
                        continue;
                if (strv_extend(&u->revoked, g->jti) < 0)
                        return jit_error_oom(err);
                u->n_revoked++;
                added++;
        }
        if (added == 0)
                return 0;
        qsort(u->revoked, u->n_revoked, sizeof(char *), strcmp_ptr);
        r = user_grants_format(u, &text);
        if (r < 0)
                return jit_error_set(err, -r, JIT_REASON_SYSTEM, "cannot format grants of %s",
                                     user);
        path = path_join3(c->state_dir, "users/", user);
        if (!path)
                return jit_error_oom(err);
        /* Synced with the others by one syncfs() (users_revoke). */
        r = write_file_atomic_flags(path, text, strlen(text), 0600, WRITE_FILE_NO_SYNC, err);
        if (r < 0)
                return r;
        res->n_users++;
        res->n_grants += added;
        return 0;
}

/* Every users/<user> file: its grants listed in ids become revoked. */
static int users_revoke(const struct jit_config *c, const struct trust_store *ts, char *const *ids,
                        size_t n_ids, struct revoke_early_result *res, struct jit_error *err) {
        _cleanup_free_ char *dir = NULL;
        struct grant_policy policy;
        struct dirent *de;
        DIR *d;
        int r = 0;

        config_grant_policy(c, &policy);
        dir = path_join3(c->state_dir, "users", NULL);
        if (!dir)
                return jit_error_oom(err);
        d = opendir(dir);
        if (!d) {
                if (errno == ENOENT)
                        return 0; /* no user has a grant here */
                return jit_error_set(err, errno, JIT_REASON_SYSTEM, "%s: cannot list: %m", dir);
        }
        for (;;) {
                errno = 0;
                de = readdir(d);
                if (!de) {
                        if (errno != 0)
                                r = jit_error_set(err, errno, JIT_REASON_SYSTEM,
                                                  "%s: cannot list: %m", dir);
                        break;
                }
                /* Only files named like a user: user_grants_load() checks
                 * the rest (root's, a regular file, no symlink). */
                if (!user_name_is_valid(de->d_name, strlen(de->d_name)))
                        continue;
                r = user_revoke(c, ts, &policy, de->d_name, ids, n_ids, res, err);
                if (r < 0)
                        break;
        }
        if (r >= 0 && res->n_users > 0 && syncfs(dirfd(d)) < 0)
                r = jit_error_set(err, errno, JIT_REASON_SYSTEM, "%s: syncfs failed: %m", dir);
        (void) closedir(d);
        return r;
}

/* state_dir/revoked: the accepted head's ids and these. */
static int revoked_list_write(const struct jit_config *c, char *const *ids, size_t n,
                              struct jit_error *err) {
        _cleanup_free_ char *buf = NULL, *path = NULL;
        size_t size = 0;
        bool ok = true;
        FILE *f;

        f = open_memstream(&buf, &size);
        if (!f)
                return jit_error_oom(err);
        for (size_t i = 0; ok && i < n; i++)
                ok = fprintf(f, "%s\n", ids[i]) > 0;
        if (fclose(f) != 0 || !ok)
                return jit_error_oom(err);
        path = path_join3(c->state_dir, "revoked", NULL);
        if (!path)
                return jit_error_oom(err);
        return write_file_atomic(path, buf, size, 0600, err);
}

int hoststate_revoke_early(const struct jit_config *c, const struct trust_store *ts,
                           const struct head *h, struct revoke_early_result *ret,
                           struct jit_error *err) {
        _cleanup_(revoked_early_done) struct revoked_early old = {}, next = {};
        _cleanup_strv_free_ char **committed = NULL, **all = NULL;
        size_t n_committed = 0, n_all = 0, n_new = 0;
        struct host_state st;
        int r;

        if (!c || !c->state_dir || !ts || !h || !ret)
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "missing argument");
        *ret = (struct revoke_early_result){.serial = h->serial};

        r = host_state_load(c, &st, err);
        if (r == -ENOENT)
                st = (struct host_state){};
        else if (r < 0)
                return r;
        if (h->serial <= st.serial)
                return 0; /* not newer: nothing ahead of anything */
        r = revoked_early_load(c, &old, err);
        if (r < 0)
                return r;
        if (old.serial <= st.serial)
                revoked_early_done(&old); /* a full apply since made it the past */
        r = host_revoked_load(c, &committed, &n_committed, err);
        if (r < 0)
                return r;

        /* What the heads since the accepted one revoke: kept while any of
         * them waits for its shards. Past the cap, the newest head's own
         * list stands (it is the signer's latest word). */
        if (ids_union(old.ids, old.n_ids, h->revoked, h->n_revoked, &next.ids, &next.n_ids) < 0)
                return jit_error_oom(err);
        if (next.n_ids > JIT_HEAD_REVOKED_MAX) {
                strv_free(next.ids);
                next.ids = NULL;
                if (ids_union(NULL, 0, h->revoked, h->n_revoked, &next.ids, &next.n_ids) < 0)
                        return jit_error_oom(err);
        }
        next.serial = old.serial > h->serial ? old.serial : h->serial;
        for (size_t i = 0; i < next.n_ids; i++)
                if (!sorted_contains(committed, n_committed, next.ids[i]))
                        n_new++;
        /* All in the list and no early file: the accepted head lists them
         * (a full apply rewrote the list from it), nothing is ahead. */
        if (n_new == 0 && old.serial == 0)
                return 0;

        /* revoked-early first, the users next, the list last: a crash in
         * between leaves ids missing from the list, and the next look does
         * it all again; an id in the list is in force everywhere. */
        if (next.serial != old.serial || !strv_equal(next.ids, old.ids)) {
                r = revoked_early_save(c, &next, err);
                if (r < 0)
                        return r;
        }
        if (n_new > 0) {
                r = users_revoke(c, ts, next.ids, next.n_ids, ret, err);
                if (r < 0)
                        return r;
                if (ids_union(committed, n_committed, next.ids, next.n_ids, &all, &n_all) < 0)
                        return jit_error_oom(err);
                r = revoked_list_write(c, all, n_all, err);
                if (r < 0)
                        return r;
        }
        ret->n_new = n_new;
        return 0;
}
