/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Making a checked head and its shards this host's: state_dir/shards,
 * users/<user>, revoked, head.jwt, then state (the commit point). Somewhat
 * over 600 lines: the folder checks and prunes serve this one commit, and
 * split off they would be a header of helpers for one caller. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "grant.h"
#include "host-state.h"
#include "jit-limits.h"
#include "parse.h"
#include "revoked-early.h"
#include "shard.h"
#include "store-apply.h"
#include "store-layout.h"
#include "user-grants.h"

/* A grant that verified and applies here: its token (in a shard's text) and whose it is. */
struct verified {
        const char *token;
        char *sub, *jti;
};

static int verified_cmp(const void *a, const void *b) {
        const struct verified *x = a, *y = b;
        int r = strcmp(x->sub, y->sub);

        return r != 0 ? r : strcmp(x->jti, y->jti);
}

struct verified_list {
        struct verified *v;
        size_t n, alloc;
        char **texts; /* the shards' texts the tokens point into */
        size_t n_texts;
};

static void verified_list_done(struct verified_list *l) {
        for (size_t i = 0; i < l->n; i++) {
                free(l->v[i].sub);
                free(l->v[i].jti);
        }
        free(l->v);
        for (size_t i = 0; i < l->n_texts; i++)
                free(l->texts[i]);
        free(l->texts);
        *l = (struct verified_list){};
}

static bool check_folder(const struct stat *st) {
        return S_ISDIR(st->st_mode) && st->st_uid == 0 && (st->st_mode & 022) == 0;
}

/* Open state_dir/NAME, creating it 0700 when missing, refusing a folder
 * that someone other than root could change. */
static int sub_dir_open(const struct jit_config *c, const char *name, int *ret,
                        struct jit_error *err) {
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
        if (mkdirat(dfd, name, 0700) < 0 && errno != EEXIST)
                return jit_error_set(err, errno, JIT_REASON_SYSTEM, "%s/%s: cannot create: %m",
                                     c->state_dir, name);
        fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ELOOP || errno == ENOTDIR)
                        return jit_error_set(err, EPERM, JIT_REASON_FILE_UNSAFE,
                                             "%s/%s: not a folder (or a symlink)", c->state_dir,
                                             name);
                return jit_error_set(err, errno, JIT_REASON_SYSTEM, "%s/%s: cannot open: %m",
                                     c->state_dir, name);
        }
        if (fstat(fd, &st) < 0)
                return jit_error_set(err, errno, JIT_REASON_SYSTEM, "%s/%s: cannot stat: %m",
                                     c->state_dir, name);
        if (!check_folder(&st))
                return jit_error_set(err, EPERM, JIT_REASON_FILE_UNSAFE,
                                     "%s/%s: owned by uid %u, mode %04o: must be root, not "
                                     "writable by group or others",
                                     c->state_dir, name, (unsigned) st.st_uid,
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

int hoststate_head_check(const struct jit_config *c, const struct trust_store *ts,
                         const char *token, size_t len, int64_t now, struct head **ret,
                         bool *ret_unchanged, struct jit_error *err) {
        _cleanup_(head_freep) struct head *h = NULL;
        struct grant_policy policy;
        struct host_state st;
        char sha[65];
        int r;

        if (!c || !c->state_dir || !ts || !token || !ret || !ret_unchanged)
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "missing argument");
        config_grant_policy(c, &policy);
        r = head_from_token(token, len, ts, &policy, now, &h, err);
        if (r < 0)
                return r;
        if (sha256_hex(token, len, sha) < 0)
                return jit_error_set(err, EIO, JIT_REASON_SYSTEM, "SHA-256 failed");

        /* A corrupt state file fails closed: without it, rollback could not
         * be told apart from a fresh host. */
        r = host_state_load(c, &st, err);
        if (r == -ENOENT)
                st = (struct host_state){};
        else if (r < 0)
                return r;
        if (st.serial > h->serial)
                return jit_error_set(err, ESTALE, JIT_REASON_ROLLBACK,
                                     "head serial %" PRIu64 " is older than the accepted %" PRIu64,
                                     h->serial, st.serial);
        if (st.serial == h->serial) {
                if (!streq(st.bundle_sha256, sha))
                        return jit_error_set(err, ESTALE, JIT_REASON_ROLLBACK,
                                             "head serial %" PRIu64
                                             " is the accepted one, with other bytes",
                                             h->serial);
                *ret_unchanged = true;
                *ret = TAKE_PTR(h);
                return 0;
        }
        /* A new head must be fresh: one past its exp is a store that stopped
         * publishing (or replays); what the host holds stays, and goes
         * stale by stale_after and stale_policy. */
        if (!head_is_fresh(h, now, c->clock_skew))
                return jit_error_set(err, ESTALE, JIT_REASON_STALE,
                                     "head serial %" PRIu64 " expired %lld s ago (exp %" PRId64
                                     "): the store is not being published",
                                     h->serial, (long long) (now - h->exp), h->exp);
        *ret_unchanged = false;
        *ret = TAKE_PTR(h);
        return 0;
}

int hoststate_head_needs(const struct head *h, const struct host_facts *facts, size_t **ret,
                         size_t *ret_n, struct jit_error *err) {
        _cleanup_free_ uint32_t *bins = NULL;
        _cleanup_free_ size_t *v = NULL;
        size_t n_bins, n = 0;

        bins = calloc(facts && facts->n_facts ? facts->n_facts : 1, sizeof(uint32_t));
        if (!bins)
                return jit_error_oom(err);
        n_bins = store_host_bins(facts, h->bins, bins);
        for (size_t i = 0; i < h->n_shards; i++)
                if (store_bins_contain(bins, n_bins, h->shards[i].bin))
                        n++;
        if (n > JIT_HOST_SHARDS_MAX)
                return jit_error_set(err, E2BIG, JIT_REASON_TOO_LARGE,
                                     "this host's bins hold %zu shards, more than %u", n,
                                     JIT_HOST_SHARDS_MAX);
        v = calloc(n ? n : 1, sizeof(size_t));
        if (!v)
                return jit_error_oom(err);
        n = 0;
        for (size_t i = 0; i < h->n_shards; i++)
                if (store_bins_contain(bins, n_bins, h->shards[i].bin))
                        v[n++] = i;
        *ret = TAKE_PTR(v);
        *ret_n = n;
        return 0;
}

static char *shard_path(const struct jit_config *c, const char *digest) {
        return path_join3(c->state_dir, "shards/", digest);
}

bool hoststate_shard_present(const struct jit_config *c, const char *digest) {
        _cleanup_free_ char *path = NULL;
        struct stat st;

        if (!digest_hex_is_valid(digest, strlen(digest)))
                return false;
        path = shard_path(c, digest);
        return path && lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int hoststate_shard_save(const struct jit_config *c, const struct head_shard *s, const void *data,
                         size_t len, struct jit_error *err) {
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -1;
        int r;

        if (!c || !s || (!data && len > 0))
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "missing argument");
        if (len != s->size)
                return jit_error_set(err, EINVAL, JIT_REASON_DIGEST,
                                     "shard %s: %zu bytes, the head says %" PRIu32, s->digest, len,
                                     s->size);
        if (!shard_digest_matches(data, len, s->digest))
                return jit_error_set(err, EINVAL, JIT_REASON_DIGEST,
                                     "shard %s: its bytes do not hash to its name", s->digest);
        r = sub_dir_open(c, "shards", &fd, err);
        if (r < 0)
                return r;
        path = shard_path(c, s->digest);
        if (!path)
                return jit_error_oom(err);
        /* Synced with the rest at the commit (hoststate_apply_head). */
        return write_file_atomic_flags(path, data, len, 0600, WRITE_FILE_NO_SYNC, err);
}

static int verified_push(struct verified_list *l, const char *token, struct grant *g,
                         struct jit_error *err) {
        if (l->n == l->alloc) {
                size_t a = l->alloc ? l->alloc * 2 : 64;
                struct verified *v = reallocarray(l->v, a, sizeof(*v));

                if (!v)
                        return jit_error_oom(err);
                l->v = v;
                l->alloc = a;
        }
        l->v[l->n++] = (struct verified){.token = token, .sub = g->sub, .jti = g->jti};
        g->sub = g->jti = NULL;
        return 0;
}

/* Read one needed shard from state_dir/shards, check it is still its
 * digest, and keep each grant that verifies and applies to this host. */
static int read_shard(const struct jit_config *c, const struct trust_store *ts,
                      const struct grant_policy *policy, const struct host_facts *facts,
                      const struct head_shard *s, struct verified_list *l, struct apply_result *res,
                      struct jit_error *err) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        const char *p, *end, *tok;
        size_t len = 0, tl;
        char **texts;
        int r;

        path = shard_path(c, s->digest);
        if (!path)
                return jit_error_oom(err);
        r = read_file_secure(path, 0, JIT_SHARD_MAX, &text, &len, err);
        if (r == -ENOENT)
                return jit_error_set(err, ENOENT, JIT_REASON_SYSTEM,
                                     "shard %s (bin %" PRIu32 ") of this host is missing",
                                     s->digest, s->bin);
        if (r < 0)
                return r;
        if (len != s->size || !shard_digest_matches(text, len, s->digest))
                return jit_error_set(err, EINVAL, JIT_REASON_DIGEST,
                                     "%s: its bytes do not hash to its name", path);
        texts = reallocarray(l->texts, l->n_texts + 1, sizeof(char *));
        if (!texts)
                return jit_error_oom(err);
        l->texts = texts;
        l->texts[l->n_texts++] = text;
        p = TAKE_PTR(text);
        end = p + len;
        while ((r = shard_next_token(&p, end, &tok, &tl, err)) > 0) {
                _cleanup_(grant_freep) struct grant *g = NULL;
                struct jit_error gerr = {};

                ((char *) tok)[tl] = '\0'; /* was the line's '\n' */
                /* Not the time: an expired grant is still written, so pam_jit
                 * can tell the user when it ended. */
                if (grant_from_token(tok, tl, ts, policy, &g, &gerr) < 0 ||
                    !user_name_is_valid(g->sub, strlen(g->sub))) {
                        res->n_invalid++;
                        continue;
                }
                if (!grant_applies_to_host(g, facts)) {
                        res->n_other++;
                        continue;
                }
                r = verified_push(l, tok, g, err);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                jit_error_prefix(err, "%s", path);
        return r;
}

/* Sort by user, drop a grant seen in two shards, and keep at most
 * JIT_USER_GRANTS_MAX per user (the rest count as invalid, so the user
 * file stays within what user_grants_parse() takes). */
static void verified_settle(struct verified_list *l, size_t *n_invalid) {
        size_t w = 0, run = 0;

        if (l->n > 1)
                qsort(l->v, l->n, sizeof(struct verified), verified_cmp);
        for (size_t i = 0; i < l->n; i++) {
                bool same_user = w > 0 && streq(l->v[i].sub, l->v[w - 1].sub);

                if (same_user && streq(l->v[i].jti, l->v[w - 1].jti)) {
                        free(l->v[i].sub);
                        free(l->v[i].jti);
                        continue;
                }
                run = same_user ? run + 1 : 0;
                if (run >= JIT_USER_GRANTS_MAX) {
                        free(l->v[i].sub);
                        free(l->v[i].jti);
                        (*n_invalid)++;
                        continue;
                }
                l->v[w++] = l->v[i];
        }
        l->n = w;
}

/* Write users/<user> for the run v[0..n) of one user. */
static int write_user_file(const char *users_path, const struct head *h,
                           const struct revoked_early *early, const struct verified *v, size_t n,
                           size_t *n_revoked_total, struct jit_error *err) {
        _cleanup_free_ char **grants = NULL, **revoked = NULL;
        _cleanup_free_ char *text = NULL, *path = NULL;
        struct user_grants u = {.serial = h->serial, .bundle_exp = h->exp};
        size_t nr = 0;
        int r;

        grants = calloc(n + 1, sizeof(char *));
        revoked = calloc(n + 1, sizeof(char *));
        if (!grants || !revoked)
                return jit_error_oom(err);
        for (size_t i = 0; i < n; i++) {
                grants[i] = (char *) v[i].token;
                if (head_is_revoked(h, v[i].jti) || revoked_early_contains(early, v[i].jti))
                        revoked[nr++] = v[i].jti;
        }
        u.grants = grants;
        u.n_grants = n;
        u.revoked = revoked; /* sorted: v is sorted by jti within a user */
        u.n_revoked = nr;
        r = user_grants_format(&u, &text);
        if (r < 0)
                return jit_error_set(err, r, JIT_REASON_SYSTEM, "cannot format grants of %s",
                                     v[0].sub);
        path = path_join3(users_path, "", v[0].sub);
        if (!path)
                return jit_error_oom(err);
        /* One syncfs() after all users: an fsync per file made a 5 000-user
         * host take most of a minute. */
        r = write_file_atomic_flags(path, text, strlen(text), 0600, WRITE_FILE_NO_SYNC, err);
        if (r < 0)
                return r;
        *n_revoked_total += nr;
        return 0;
}

/* The head's revoked ids and the early ones kept (both sorted), each once. */
static int format_revoked(const struct head *h, const struct revoked_early *early, char **ret,
                          size_t *ret_len, size_t *ret_n) {
        _cleanup_free_ char *buf = NULL;
        const char *last = NULL;
        size_t size = 0, n = 0, i = 0, k = 0;
        bool ok = true;
        FILE *f;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        while (ok && (i < h->n_revoked || k < early->n_ids)) {
                const char *s;

                if (k >= early->n_ids ||
                    (i < h->n_revoked && strcmp(h->revoked[i], early->ids[k]) <= 0))
                        s = h->revoked[i++];
                else
                        s = early->ids[k++];
                if (last && streq(last, s))
                        continue;
                ok = fprintf(f, "%s\n", s) > 0;
                last = s;
                n++;
        }
        if (fclose(f) != 0 || !ok)
                return -ENOMEM;
        *ret_len = size;
        *ret = TAKE_PTR(buf);
        *ret_n = n;
        return 0;
}

static int needed_cmp(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Remove from state_dir/shards what this head no longer names for this
 * host. Only regular files named like a digest: anything else is left. */
static void shards_dir_prune(int fd, const struct head *h, const size_t *need, size_t n_need) {
        _cleanup_free_ const char **names = NULL;
        struct dirent *de;
        DIR *d;
        int dfd;

        names = calloc(n_need ? n_need : 1, sizeof(char *));
        if (!names)
                return;
        for (size_t i = 0; i < n_need; i++)
                names[i] = h->shards[need[i]].digest;
        qsort(names, n_need, sizeof(char *), needed_cmp);
        dfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (dfd < 0)
                return;
        d = fdopendir(dfd);
        if (!d) {
                (void) close(dfd);
                return;
        }
        while ((de = readdir(d))) {
                const char *name = de->d_name;
                struct stat st;

                if (!digest_hex_is_valid(name, strlen(name)) ||
                    (n_need > 0 && bsearch(&name, names, n_need, sizeof(char *), needed_cmp)))
                        continue;
                if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
                        (void) unlinkat(fd, name, 0);
        }
        (void) closedir(d);
}

int hoststate_apply_head(const struct jit_config *c, const struct trust_store *ts,
                         const struct host_facts *facts, const struct head *h, const char *token,
                         size_t len, int64_t now, struct apply_result *ret, struct jit_error *err) {
        _cleanup_(verified_list_done) struct verified_list vl = {};
        _cleanup_(revoked_early_done) struct revoked_early early = {};
        _cleanup_free_ char *users_path = NULL, *path = NULL, *revoked = NULL;
        _cleanup_free_ size_t *need = NULL;
        _cleanup_close_ int users_fd = -1, shards_fd = -1;
        struct apply_result res = {};
        struct grant_policy policy;
        struct host_state st;
        char sha[65];
        size_t revoked_len = 0, n_user_revoked = 0, n_need = 0;
        bool early_done = false;
        int r;

        if (!c || !c->state_dir || !ts || !h || !token || !ret)
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "missing argument");
        *ret = (struct apply_result){};
        config_grant_policy(c, &policy);
        if (sha256_hex(token, len, sha) < 0)
                return jit_error_set(err, EIO, JIT_REASON_SYSTEM, "SHA-256 failed");

        /* Revocations of a newer head, applied ahead of its shards
         * (revoke-early.h), stay: this head is older than theirs (a mirror
         * behind, the accepted head again for new facts). A head at least
         * as new says the whole truth itself, and the file goes after the
         * commit. */
        r = revoked_early_load(c, &early, err);
        if (r < 0)
                return r;
        if (early.serial != 0 && early.serial <= h->serial) {
                revoked_early_done(&early);
                early_done = true;
        }

        r = hoststate_head_needs(h, facts, &need, &n_need, err);
        if (r < 0)
                return r;
        r = sub_dir_open(c, "shards", &shards_fd, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n_need; i++) {
                r = read_shard(c, ts, &policy, facts, &h->shards[need[i]], &vl, &res, err);
                if (r < 0)
                        return r;
        }
        res.n_shards = n_need;
        verified_settle(&vl, &res.n_invalid);

        r = sub_dir_open(c, "users", &users_fd, err);
        if (r < 0)
                return r;
        users_path = path_join3(c->state_dir, "users", NULL);
        if (!users_path)
                return jit_error_oom(err);

        /* Users first, state last: a crash in between leaves the old serial
         * in state, so the same head is applied again in full. */
        for (size_t i = 0; i < vl.n;) {
                size_t j = i + 1;

                while (j < vl.n && streq(vl.v[j].sub, vl.v[i].sub))
                        j++;
                r = write_user_file(users_path, h, &early, vl.v + i, j - i, &n_user_revoked, err);
                if (r < 0)
                        return r;
                res.n_users++;
                res.n_grants += j - i;
                i = j;
        }
        r = users_dir_prune(users_fd, &vl, users_path, err);
        if (r < 0)
                return r;
        /* The user files, the shards and the folders' entries, durable at
         * once (one file system: state_dir). The state file, written last
         * and synced, is the commit point. */
        if (syncfs(users_fd) < 0)
                return jit_error_set(err, errno, JIT_REASON_SYSTEM, "%s: syncfs failed: %m",
                                     users_path);

        if (format_revoked(h, &early, &revoked, &revoked_len, &res.n_revoked) < 0)
                return jit_error_oom(err);
        path = path_join3(c->state_dir, "revoked", NULL);
        if (!path)
                return jit_error_oom(err);
        r = write_file_atomic(path, revoked, revoked_len, 0600, err);
        if (r < 0)
                return r;

        free(path);
        path = path_join3(c->state_dir, "head.jwt", NULL);
        if (!path)
                return jit_error_oom(err);
        r = write_file_atomic(path, token, len, 0600, err);
        if (r < 0)
                return r;

        st = (struct host_state){
                .serial = h->serial,
                .bundle_iat = h->iat,
                .bundle_exp = h->exp,
                .accepted = now,
                .last_fetch = now,
        };
        memcpy(st.bundle_sha256, sha, sizeof(st.bundle_sha256));
        r = host_state_save(c, &st, err);
        if (r < 0)
                return r;
        /* Past the commit: a file left by a failure here names a serial
         * not above the accepted one, and counts as empty. */
        if (early_done)
                (void) revoked_early_remove(c, NULL);

        shards_dir_prune(shards_fd, h, need, n_need);
        res.serial = h->serial;
        *ret = res;
        return 0;
}

int hoststate_apply_store(const struct jit_config *c, const struct trust_store *ts,
                          const struct host_facts *facts, const char *token, size_t len,
                          int64_t now, bool force, struct apply_result *ret,
                          struct jit_error *err) {
        _cleanup_(head_freep) struct head *h = NULL;
        bool unchanged = false;
        int r;

        if (!ret)
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "missing argument");
        *ret = (struct apply_result){};
        r = hoststate_head_check(c, ts, token, len, now, &h, &unchanged, err);
        if (r < 0)
                return r;
        if (unchanged && !force) {
                ret->serial = h->serial;
                ret->unchanged = true;
                return 0;
        }
        return hoststate_apply_head(c, ts, facts, h, token, len, now, ret, err);
}
