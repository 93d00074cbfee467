/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Making a verified bundle this host's: state_dir/users/<user>, revoked,
 * bundle.jwt, then state (the commit point). */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle-apply.h"
#include "fileio.h"
#include "grant.h"
#include "host-state.h"
#include "jit-limits.h"
#include "parse.h"
#include "user-grants.h"

/* A grant that verified: where it sits in the bundle and whose it is. */
struct verified {
        size_t index;
        const char *token; /* borrowed from the bundle */
        char *sub, *jti;
};

static int verified_cmp(const void *a, const void *b) {
        const struct verified *x = a, *y = b;
        int r = strcmp(x->sub, y->sub);

        /* Same user: keep the bundle's order (qsort is not stable). */
        if (r != 0)
                return r;
        return x->index < y->index ? -1 : x->index > y->index;
}

struct verified_list {
        struct verified *v;
        size_t n;
};

static void verified_list_done(struct verified_list *l) {
        for (size_t i = 0; i < l->n; i++) {
                free(l->v[i].sub);
                free(l->v[i].jti);
        }
        free(l->v);
        *l = (struct verified_list){};
}

static bool check_folder(const struct stat *st) {
        return S_ISDIR(st->st_mode) && st->st_uid == 0 && (st->st_mode & 022) == 0;
}

/* Open state_dir/users, creating it 0700 when missing, refusing a folder
 * that someone other than root could change. */
static int users_dir_open(const struct jit_config *c, int *ret, struct jit_error *err) {
        _cleanup_close_ int dfd = -1, fd = -1;
        struct stat st;

        dfd = open(c->state_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0)
                return jit_error_set(err, errno, JIT_REASON_SYSTEM, "%s: cannot open: %m",
                                     c->state_dir);
        if (fstat(dfd, &st) < 0)
                return jit_error_set(err, errno, JIT_REASON_SYSTEM, "%s: cannot stat: %m",
                                     c->state_dir);
        if (!check_folder(&st))
                return jit_error_set(err, EPERM, JIT_REASON_FILE_UNSAFE,
                                     "%s: not a root-owned folder closed to group and others",
                                     c->state_dir);
        if (mkdirat(dfd, "users", 0700) < 0 && errno != EEXIST)
                return jit_error_set(err, errno, JIT_REASON_SYSTEM, "%s/users: cannot create: %m",
                                     c->state_dir);
        fd = openat(dfd, "users", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ELOOP || errno == ENOTDIR)
                        return jit_error_set(err, EPERM, JIT_REASON_FILE_UNSAFE,
                                             "%s/users: not a folder (or a symlink)", c->state_dir);
                return jit_error_set(err, errno, JIT_REASON_SYSTEM, "%s/users: cannot open: %m",
                                     c->state_dir);
        }
        if (fstat(fd, &st) < 0)
                return jit_error_set(err, errno, JIT_REASON_SYSTEM, "%s/users: cannot stat: %m",
                                     c->state_dir);
        if (!check_folder(&st))
                return jit_error_set(err, EPERM, JIT_REASON_FILE_UNSAFE,
                                     "%s/users: owned by uid %u, mode %04o: must be root, not "
                                     "writable by group or others",
                                     c->state_dir, (unsigned) st.st_uid,
                                     (unsigned) (st.st_mode & 07777));
        *ret = TAKE_FD(fd);
        return 0;
}

/* Remove users/<name> of users without grants now. Only regular files with
 * valid user names: temporaries of write_file_atomic and anything an admin
 * put there are left alone; unlinkat() on the folder follows no symlink. */
static int users_dir_prune(int users_fd, const struct verified_list *l, const char *users_path,
                           struct jit_error *err) {
        DIR *d;
        int fd, r = 0;

        fd = fcntl(users_fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return jit_error_set(err, errno, JIT_REASON_SYSTEM, "%s: dup failed: %m",
                                     users_path);
        d = fdopendir(fd);
        if (!d) {
                r = -errno;
                (void) close(fd);
                return jit_error_set(err, r, JIT_REASON_SYSTEM, "%s: cannot list: %m", users_path);
        }
        for (;;) {
                struct dirent *de;
                struct stat st;
                bool keep = false;
                size_t lo = 0, hi = l->n;

                errno = 0;
                de = readdir(d);
                if (!de) {
                        if (errno != 0)
                                r = jit_error_set(err, errno, JIT_REASON_SYSTEM,
                                                  "%s: cannot list: %m", users_path);
                        break;
                }
                if (!user_name_is_valid(de->d_name, strlen(de->d_name)))
                        continue;
                /* l is sorted by user: binary search over it. */
                while (lo < hi) {
                        size_t mid = lo + (hi - lo) / 2;
                        int c = strcmp(l->v[mid].sub, de->d_name);

                        if (c == 0) {
                                keep = true;
                                break;
                        }
                        if (c < 0)
                                lo = mid + 1;
                        else
                                hi = mid;
                }
                if (keep)
                        continue;
                if (fstatat(users_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                    !S_ISREG(st.st_mode))
                        continue;
                if (unlinkat(users_fd, de->d_name, 0) < 0 && errno != ENOENT) {
                        r = jit_error_set(err, errno, JIT_REASON_SYSTEM, "%s/%s: cannot remove: %m",
                                          users_path, de->d_name);
                        break;
                }
        }
        (void) closedir(d);
        return r;
}

/* Collect each (valid) grant's token, sub and jti, sorted by user. */
static int verify_grants(const struct bundle *b, const struct trust_store *ts,
                         const struct grant_policy *policy, struct verified_list *ret,
                         size_t *ret_invalid, struct jit_error *err) {
        size_t n_invalid = 0;

        ret->v = calloc(b->n_grants ? b->n_grants : 1, sizeof(struct verified));
        if (!ret->v)
                return jit_error_oom(err);
        for (size_t i = 0; i < b->n_grants; i++) {
                _cleanup_(grant_freep) struct grant *g = NULL;
                struct jit_error gerr = {};
                const char *tok = b->grants[i];
                size_t tl = strlen(tok);

                /* Not the time: an expired grant is still written, so pam_jit
                 * can tell the user when it ended. */
                if (!grant_token_is_wellformed(tok, tl) ||
                    grant_from_token(tok, tl, ts, policy, &g, &gerr) < 0 ||
                    !user_name_is_valid(g->sub, strlen(g->sub))) {
                        n_invalid++;
                        continue;
                }
                /* sub and jti move to ret->v (not with TAKE_PTR() in the
                 * initialiser, which cppcheck cannot parse: it would skip
                 * this whole file). */
                ret->v[ret->n++] = (struct verified){
                        .index = i,
                        .token = tok,
                        .sub = g->sub,
                        .jti = g->jti,
                };
                g->sub = g->jti = NULL;
        }
        qsort(ret->v, ret->n, sizeof(struct verified), verified_cmp);

        /* At most JIT_USER_GRANTS_MAX per user: the rest count as invalid,
         * so the user file stays within what user_grants_parse() takes. */
        {
                size_t w = 0, run = 0;

                for (size_t i = 0; i < ret->n; i++) {
                        if (w > 0 && streq(ret->v[i].sub, ret->v[w - 1].sub))
                                run++;
                        else
                                run = 0;
                        if (run >= JIT_USER_GRANTS_MAX) {
                                free(ret->v[i].sub);
                                free(ret->v[i].jti);
                                ret->v[i] = (struct verified){};
                                n_invalid++;
                                continue;
                        }
                        ret->v[w++] = ret->v[i];
                }
                ret->n = w;
        }
        *ret_invalid = n_invalid;
        return 0;
}

/* Write users/<user> for the run v[from..to) of one user. */
static int write_user_file(const char *users_path, const struct bundle *b, const struct verified *v,
                           size_t n, size_t *n_revoked_total, struct jit_error *err) {
        _cleanup_free_ char **grants = NULL, **revoked = NULL;
        _cleanup_free_ char *text = NULL, *path = NULL;
        struct user_grants u = {.serial = b->serial, .bundle_exp = b->exp};
        size_t nr = 0;
        int r;

        grants = calloc(n + 1, sizeof(char *));
        revoked = calloc(n + 1, sizeof(char *));
        if (!grants || !revoked)
                return jit_error_oom(err);
        for (size_t i = 0; i < n; i++) {
                grants[i] = (char *) v[i].token;
                if (bundle_is_revoked(b, v[i].jti))
                        revoked[nr++] = v[i].jti;
        }
        qsort(revoked, nr, sizeof(char *), strcmp_ptr);
        /* Two grants of one user may share a jti; list it once. */
        {
                size_t w = 0;

                for (size_t i = 0; i < nr; i++)
                        if (w == 0 || !streq(revoked[w - 1], revoked[i]))
                                revoked[w++] = revoked[i];
                nr = w;
                revoked[nr] = NULL;
        }
        u.grants = grants;
        u.n_grants = n;
        u.revoked = revoked;
        u.n_revoked = nr;
        r = user_grants_format(&u, &text);
        if (r < 0)
                return jit_error_set(err, r, JIT_REASON_SYSTEM, "cannot format grants of %s",
                                     v[0].sub);
        path = path_join3(users_path, "", v[0].sub);
        if (!path)
                return jit_error_oom(err);
        /* One syncfs() after all users (hoststate_apply_bundle below): an fsync
         * per file made a 5 000-user bundle take most of a minute. */
        r = write_file_atomic_flags(path, text, strlen(text), 0600, WRITE_FILE_NO_SYNC, err);
        if (r < 0)
                return r;
        *n_revoked_total += nr;
        return 0;
}

static int format_revoked(const struct bundle *b, char **ret, size_t *ret_len, size_t *ret_n) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, n = 0;
        bool ok = true;
        FILE *f;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        /* b->revoked is sorted already; drop repeats. */
        for (size_t i = 0; ok && i < b->n_revoked; i++) {
                if (i > 0 && streq(b->revoked[i - 1], b->revoked[i]))
                        continue;
                ok = fprintf(f, "%s\n", b->revoked[i]) > 0;
                n++;
        }
        if (fclose(f) != 0 || !ok)
                return -ENOMEM;
        *ret_len = size;
        *ret = TAKE_PTR(buf);
        *ret_n = n;
        return 0;
}

int hoststate_apply_bundle(const struct jit_config *c, const struct trust_store *ts,
                           const char *token, size_t len, int64_t now, struct apply_result *ret,
                           struct jit_error *err) {
        _cleanup_(bundle_freep) struct bundle *b = NULL;
        _cleanup_(verified_list_done) struct verified_list vl = {};
        _cleanup_free_ char *users_path = NULL, *path = NULL, *revoked = NULL;
        _cleanup_close_ int users_fd = -1;
        struct apply_result res = {};
        struct grant_policy policy;
        struct host_state st;
        char sha[65];
        size_t revoked_len = 0, n_user_revoked = 0;
        int r;

        if (!c || !c->state_dir || !ts || !token || !ret)
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "missing argument");
        *ret = (struct apply_result){};
        config_grant_policy(c, &policy);

        r = bundle_from_token(token, len, ts, &policy, now, &b, err);
        if (r < 0)
                return r;
        r = bundle_sha256_hex(token, len, sha, err);
        if (r < 0)
                return r;

        /* A corrupt state file fails closed: without it, rollback could not
         * be told apart from a fresh host. */
        r = host_state_load(c, &st, err);
        if (r == -ENOENT)
                st = (struct host_state){};
        else if (r < 0)
                return r;
        else if (st.serial > b->serial)
                return jit_error_set(err, ESTALE, JIT_REASON_ROLLBACK,
                                     "bundle serial %" PRIu64
                                     " is older than the accepted %" PRIu64,
                                     b->serial, st.serial);
        else if (st.serial == b->serial) {
                if (!streq(st.bundle_sha256, sha))
                        return jit_error_set(err, ESTALE, JIT_REASON_ROLLBACK,
                                             "bundle serial %" PRIu64
                                             " is the accepted one, with other bytes",
                                             b->serial);
                ret->serial = b->serial;
                ret->unchanged = true;
                return 0;
        }

        r = users_dir_open(c, &users_fd, err);
        if (r < 0)
                return r;
        users_path = path_join3(c->state_dir, "users", NULL);
        if (!users_path)
                return jit_error_oom(err);

        r = verify_grants(b, ts, &policy, &vl, &res.n_invalid, err);
        if (r < 0)
                return r;

        /* Users first, state last: a crash in between leaves the old serial
         * in state, so the same bundle is applied again in full. */
        for (size_t i = 0; i < vl.n;) {
                size_t j = i + 1;

                while (j < vl.n && streq(vl.v[j].sub, vl.v[i].sub))
                        j++;
                r = write_user_file(users_path, b, vl.v + i, j - i, &n_user_revoked, err);
                if (r < 0)
                        return r;
                res.n_users++;
                res.n_grants += j - i;
                i = j;
        }
        r = users_dir_prune(users_fd, &vl, users_path, err);
        if (r < 0)
                return r;
        /* The user files, and the folder's entries, durable at once. The
         * state file, written last and synced, is the commit point: after a
         * crash before it, the serial is still the old one and the bundle is
         * applied again in full. */
        if (syncfs(users_fd) < 0)
                return jit_error_set(err, errno, JIT_REASON_SYSTEM, "%s: syncfs failed: %m",
                                     users_path);

        if (format_revoked(b, &revoked, &revoked_len, &res.n_revoked) < 0)
                return jit_error_oom(err);
        path = path_join3(c->state_dir, "revoked", NULL);
        if (!path)
                return jit_error_oom(err);
        r = write_file_atomic(path, revoked, revoked_len, 0600, err);
        if (r < 0)
                return r;

        free(path);
        path = path_join3(c->state_dir, "bundle.jwt", NULL);
        if (!path)
                return jit_error_oom(err);
        r = write_file_atomic(path, token, len, 0600, err);
        if (r < 0)
                return r;

        st = (struct host_state){
                .serial = b->serial,
                .bundle_iat = b->iat,
                .bundle_exp = b->exp,
                .accepted = now,
                .last_fetch = now,
        };
        memcpy(st.bundle_sha256, sha, sizeof(st.bundle_sha256));
        r = host_state_save(c, &st, err);
        if (r < 0)
                return r;

        res.serial = b->serial;
        *ret = res;
        return 0;
}
