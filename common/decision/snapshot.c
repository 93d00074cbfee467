/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Loading a host snapshot: every read a decision rests on happens here. */

#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host-state.h"
#include "parse.h"
#include "proc.h"
#include "revoked-list.h"
#include "session-store.h"
#include "snapshot.h"
#include "token-digest.h"
#include "user-grants.h"
#include "userdb.h"

static int user_view_cmp(const void *a, const void *b) {
        return strcmp(((const struct user_view *) a)->user, ((const struct user_view *) b)->user);
}

static size_t str_size(const char *s) {
        return s ? strlen(s) + 1 : 0;
}

static size_t strv_size(char *const *l) {
        size_t n = sizeof(char *);

        for (size_t i = 0; l && l[i]; i++)
                n += sizeof(char *) + str_size(l[i]);
        return n;
}

static char *pack_str(char **pool, const char *s) {
        char *p = *pool;

        if (!s)
                return NULL;
        memcpy(p, s, strlen(s) + 1);
        *pool += strlen(s) + 1;
        return p;
}

static char **pack_strv(char ***slots, char **pool, char *const *l) {
        char **v = *slots;
        size_t i = 0;

        if (!l)
                return NULL;
        for (; l[i]; i++)
                v[i] = pack_str(pool, l[i]);
        v[i] = NULL;
        *slots += i + 1;
        return v;
}

static size_t grant_ptrs(const struct grant *g) {
        return (g->aud ? strv_length(g->aud) + 1 : 0) + (g->runas ? strv_length(g->runas) + 1 : 0) +
               (g->keys ? strv_length(g->keys) + 1 : 0);
}

static size_t grant_packed_size(const struct grant *g) {
        return sizeof(struct grant) + grant_ptrs(g) * sizeof(char *) + str_size(g->iss) +
               str_size(g->jti) + str_size(g->sub) + str_size(g->reason) + str_size(g->ticket) +
               str_size(g->approver) + (g->aud ? strv_size(g->aud) : 0) +
               (g->runas ? strv_size(g->runas) : 0) + (g->keys ? strv_size(g->keys) : 0);
}

static struct grant *grant_pack_into(const struct grant *g, void *mem) {
        size_t n_ptrs = grant_ptrs(g);
        struct grant *p = mem;
        char **slots, *pool;

        *p = *g;
        /* pointer arrays first (aligned right after the struct), strings after */
        slots = (char **) (p + 1);
        pool = (char *) (slots + n_ptrs);
        p->iss = pack_str(&pool, g->iss);
        p->jti = pack_str(&pool, g->jti);
        p->sub = pack_str(&pool, g->sub);
        p->reason = pack_str(&pool, g->reason);
        p->ticket = pack_str(&pool, g->ticket);
        p->approver = pack_str(&pool, g->approver);
        p->aud = pack_strv(&slots, &pool, g->aud);
        p->runas = pack_strv(&slots, &pool, g->runas);
        p->keys = pack_strv(&slots, &pool, g->keys);
        return p;
}

struct grant *grant_pack(const struct grant *g) {
        void *mem = malloc(grant_packed_size(g));

        return mem ? grant_pack_into(g, mem) : NULL;
}

/* The agent's snapshots pack their grants into blocks of GRANT_BLOCK bytes:
 * 10 000 small allocations freed at the end of a reconcile would leave
 * glibc's per-size caches holding chunks all over the heap, and their pages
 * resident (about 300 kB at 10 000 grants, docs/benchmarks.md). */
#define GRANT_BLOCK (64 * 1024)

struct grant_block {
        struct grant_block *next;
        size_t used, size;
        max_align_t data[];
};

static void *block_alloc(struct grant_block **blocks, size_t size) {
        size_t align = sizeof(max_align_t);
        struct grant_block *b = *blocks;

        size = (size + align - 1) / align * align;
        if (!b || b->size - b->used < size) {
                size_t cap = size > GRANT_BLOCK ? size : GRANT_BLOCK;

                b = malloc(sizeof(*b) + cap);
                if (!b)
                        return NULL;
                *b = (struct grant_block){.next = *blocks, .size = cap};
                *blocks = b;
        }
        b->used += size;
        return memset((char *) b->data + b->used - size, 0, size);
}

static struct grant *grant_pack_block(struct grant_block **blocks, const struct grant *g) {
        void *mem = block_alloc(blocks, grant_packed_size(g));

        return mem ? grant_pack_into(g, mem) : NULL;
}

static void user_view_done(struct user_view *u, bool in_blocks) {
        for (size_t i = 0; !in_blocks && i < u->n_grants; i++)
                free(u->grants[i]); /* packed: one allocation each */
        if (!in_blocks) {
                free(u->grants);
                free(u->digests);
                free(u->user);
        }
        strv_free(u->revoked);
        free(u->invalid);
        *u = (struct user_view){};
}

void host_grants_free(struct host_grants *g) {
        if (!g)
                return;
        for (size_t i = 0; i < g->n_users; i++)
                user_view_done(&g->users[i], g->blocks);
        while (g->blocks) {
                struct grant_block *next = g->blocks->next;

                free(g->blocks);
                g->blocks = next;
        }
        free(g->users);
        strv_free(g->unreadable);
        strv_free(g->bind_jtis);
        free(g);
}

const struct user_view *host_grants_user(const struct host_grants *g, const char *user) {
        struct user_view key = {.user = (char *) user};

        if (!g || !user || g->n_users == 0)
                return NULL;
        return bsearch(&key, g->users, g->n_users, sizeof(key), user_view_cmp);
}

/* gcc 12's -fanalyzer loses the arena blocks that block_alloc() links into
 * the caller's list and calls them leaked here (tests/analyze); the
 * LeakSanitizer tier (build-asan) checks this function for real. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
#endif
/* Verify every token of one user's file, once. With known (the agent), a
 * token whose exact bytes are in it skips the signature check (claims,
 * issuer and TTL are checked again), and each grant's digest is kept in
 * ->digests, for the caller's next known set. */
static int user_view_fill(const struct jit_context *ctx, const char *user, struct user_grants *ug,
                          const struct token_digest_set *known, struct grant_block **blocks,
                          struct user_view *ret) {
        size_t n = ug->n_grants ? ug->n_grants : 1;

        *ret = (struct user_view){.bundle_exp = ug->bundle_exp};
        if (blocks) {
                ret->user = block_alloc(blocks, strlen(user) + 1);
                if (ret->user)
                        memcpy(ret->user, user, strlen(user) + 1);
                ret->grants = block_alloc(blocks, n * sizeof(struct grant *));
                if (known)
                        ret->digests = block_alloc(blocks, n * sizeof(struct token_digest));
        } else {
                ret->user = strdup(user);
                ret->grants = calloc(n, sizeof(struct grant *));
                if (known)
                        ret->digests = calloc(n, sizeof(struct token_digest));
        }
        if (!ret->user || !ret->grants || (known && !ret->digests)) {
                if (!blocks) { /* in blocks, the blocks own them */
                        free(ret->user);
                        free(ret->grants);
                        free(ret->digests);
                }
                *ret = (struct user_view){};
                return -ENOMEM;
        }
        for (size_t i = 0; i < ug->n_grants; i++) {
                struct jit_error why = {};
                struct grant *g = NULL;
                struct token_digest d;
                size_t len = strlen(ug->grants[i]);
                bool seen = false;
                int r;

                if (known) {
                        if (token_digest(ug->grants[i], len, &d) < 0)
                                return -ENOMEM;
                        seen = token_digest_set_contains(known, &d);
                }
                r = seen ? grant_from_verified_token(ug->grants[i], len, ctx->trust, &ctx->policy,
                                                     &g, &why)
                         : grant_from_token(ug->grants[i], len, ctx->trust, &ctx->policy, &g, &why);
                if (r < 0) {
                        if (ret->n_invalid++ == 0 && !(ret->invalid = strdup(why.message)))
                                return -ENOMEM;
                        continue;
                }
                ret->grants[ret->n_grants] = blocks ? grant_pack_block(blocks, g) : grant_pack(g);
                grant_free(g);
                if (!ret->grants[ret->n_grants])
                        return -ENOMEM;
                if (known)
                        ret->digests[ret->n_grants] = d;
                ret->n_grants++;
        }
        ret->revoked = TAKE_PTR(ug->revoked);
        ret->n_revoked = ug->n_revoked;
        ug->n_revoked = 0;
        return 0;
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

static int collect_bind_jtis(struct host_grants *g) {
        for (size_t u = 0; u < g->n_users; u++)
                for (size_t i = 0; i < g->users[u].n_grants; i++)
                        if (g->users[u].grants[i]->bind_session &&
                            strv_extend(&g->bind_jtis, g->users[u].grants[i]->jti) < 0)
                                return -ENOMEM;
        g->n_bind_jtis = strv_length(g->bind_jtis);
        if (g->bind_jtis && g->n_bind_jtis > 1)
                qsort(g->bind_jtis, g->n_bind_jtis, sizeof(char *), strcmp_ptr);
        return 0;
}

int host_grants_load_user(const struct jit_context *ctx, const char *user, struct host_grants **ret,
                          struct jit_error *err) {
        _cleanup_(user_grants_freep) struct user_grants *ug = NULL;
        _cleanup_(host_grants_freep) struct host_grants *g = NULL;
        int r;

        g = calloc(1, sizeof(*g));
        if (!g)
                return jit_error_oom(err);
        r = user_grants_load(ctx->config, user, &ug, err);
        if (r == -ENOENT) {
                *ret = TAKE_PTR(g); /* no grants in the current bundle */
                return 0;
        }
        if (r < 0)
                return r;
        g->users = calloc(1, sizeof(struct user_view));
        if (!g->users)
                return jit_error_oom(err);
        g->n_users = 1;
        if (user_view_fill(ctx, user, ug, NULL, NULL, &g->users[0]) < 0 || collect_bind_jtis(g) < 0)
                return jit_error_oom(err);
        *ret = TAKE_PTR(g);
        return 0;
}

int host_grants_current_sha256(const struct jit_context *ctx, char ret[65], struct jit_error *err) {
        struct host_state st;
        int r;

        r = host_state_load(ctx->config, &st, err);
        if (r == -ENOENT) {
                ret[0] = '\0';
                return 0;
        }
        if (r < 0)
                return r;
        memcpy(ret, st.bundle_sha256, sizeof(st.bundle_sha256));
        return 0;
}

static int users_dir_list(const char *state_dir, char ***ret, struct jit_error *err) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *path = NULL;
        struct dirent *de;
        size_t n = 0, cap = 1;
        DIR *d;

        if (asprintf(&path, "%s/users", state_dir) < 0)
                return jit_error_oom(err);
        l = calloc(1, sizeof(char *));
        if (!l)
                return jit_error_oom(err);
        d = opendir(path);
        if (!d) {
                if (errno != ENOENT)
                        return jit_error_set(err, errno, JIT_REASON_SYSTEM, "%s: %m", path);
                *ret = TAKE_PTR(l);
                return 0;
        }
        /* Grown by doubling: 5 000 names one realloc() each would scatter
         * freed arrays of every size over the heap. */
        while ((de = readdir(d))) {
                if (!user_name_is_valid(de->d_name, strlen(de->d_name)))
                        continue;
                if (n + 1 >= cap) {
                        char **nl = realloc(l, (cap = cap * 2 + 16) * sizeof(char *));

                        if (!nl) {
                                closedir(d);
                                return jit_error_oom(err);
                        }
                        l = nl;
                }
                l[n] = strdup(de->d_name);
                l[n + 1] = NULL;
                if (!l[n++]) {
                        closedir(d);
                        return jit_error_oom(err);
                }
        }
        closedir(d);
        *ret = TAKE_PTR(l);
        return 0;
}

int host_grants_load_users(const struct jit_context *ctx, char *const *which,
                           const struct token_digest_set *known, struct host_grants **ret,
                           size_t *ret_unreadable, struct jit_error *err) {
        _cleanup_(host_grants_freep) struct host_grants *g = NULL;
        _cleanup_strv_free_ char **users = NULL;
        struct host_state st;
        size_t n, unreadable = 0;
        int r;

        g = calloc(1, sizeof(*g));
        if (!g)
                return jit_error_oom(err);
        /* State first: a bundle applied while we read the users is seen as a
         * newer digest at the next look, and read again then. */
        r = host_state_load(ctx->config, &st, NULL);
        if (r >= 0 || r == -ENOENT) {
                /* An unreadable state leaves have_state false: the grants
                 * still decide (expiry needs no state), nothing is kept. */
                g->have_state = true;
                g->bundle_exp = r < 0 ? 0 : st.bundle_exp;
                memcpy(g->bundle_sha256, r < 0 ? "" : st.bundle_sha256, r < 0 ? 1 : 65);
        }

        if (which) {
                /* one view per user: a user named twice is read once */
                users = calloc(1, sizeof(char *));
                if (!users)
                        return jit_error_oom(err);
                for (size_t i = 0; which[i]; i++)
                        if (!strv_contains(users, which[i]) && strv_extend(&users, which[i]) < 0)
                                return jit_error_oom(err);
                n = strv_length(users);
        } else {
                r = users_dir_list(ctx->config->state_dir, &users, err);
                if (r < 0)
                        return r;
                n = strv_length(users);
        }
        g->users = calloc(n ? n : 1, sizeof(struct user_view));
        if (!g->users)
                return jit_error_oom(err);
        for (size_t i = 0; users && i < n; i++) {
                _cleanup_(user_grants_freep) struct user_grants *ug = NULL;
                struct jit_error why = {};

                r = user_grants_load(ctx->config, users[i], &ug, &why);
                if (r == -ENOENT)
                        continue;
                if (r < 0) {
                        /* That user has no grants here until the file is
                         * sound again: nothing is admitted on it. */
                        if (strv_extend(&g->unreadable, users[i]) < 0)
                                return jit_error_oom(err);
                        if (unreadable++ == 0 && err)
                                *err = why;
                        continue;
                }
                if (user_view_fill(ctx, users[i], ug, known, &g->blocks, &g->users[g->n_users]) <
                    0) {
                        user_view_done(&g->users[g->n_users], true);
                        return jit_error_oom(err);
                }
                g->n_users++;
        }
        qsort(g->users, g->n_users, sizeof(struct user_view), user_view_cmp);
        if (collect_bind_jtis(g) < 0)
                return jit_error_oom(err);
        if (ret_unreadable)
                *ret_unreadable = unreadable;
        *ret = TAKE_PTR(g);
        return 0;
}

int host_grants_load_all(const struct jit_context *ctx, struct host_grants **ret,
                         size_t *ret_unreadable, struct jit_error *err) {
        return host_grants_load_users(ctx, NULL, NULL, ret, ret_unreadable, err);
}

int user_is_exempt(const struct jit_config *c, const char *user, bool *ret) {
        if (strv_contains(c->exempt_users, user)) {
                *ret = true;
                return 0;
        }
        *ret = false;
        if (!c->exempt_group)
                return 0;
        return user_in_group(user, c->exempt_group, ret);
}

static bool is_bind_jti(const struct host_snapshot *s, const char *jti) {
        const struct host_grants *g = s->grants;

        if (s->typed && s->typed->bind_session && streq(s->typed->jti, jti))
                return true;
        return g && g->n_bind_jtis > 0 &&
               bsearch(&jti, g->bind_jtis, g->n_bind_jtis, sizeof(char *), strcmp_ptr);
}

static int hold_add(struct host_snapshot *s, const char *session, const char *jti, int live) {
        _cleanup_free_ char *sid = NULL, *j = NULL;
        struct session_hold *n;

        sid = strdup(session);
        if (!sid || (jti && !(j = strdup(jti))))
                return -ENOMEM;
        n = realloc(s->holds, (s->n_holds + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        s->holds = n;
        n[s->n_holds++] =
                (struct session_hold){.session = TAKE_PTR(sid), .jti = TAKE_PTR(j), .live = live};
        return 0;
}

/* Which live sessions hold a bind=session grant of this snapshot. A session
 * holds a grant it logged in with or elevated with. What cannot be read is
 * kept as "cannot tell", so that only decisions about a bound grant fail. */
static int session_view_load(const struct jit_context *ctx, const char *own_session,
                             struct host_snapshot *s, struct jit_error *err) {
        _cleanup_strv_free_ char **ids = NULL;
        int r;

        if ((!s->grants || s->grants->n_bind_jtis == 0) && !(s->typed && s->typed->bind_session))
                return 0; /* nothing binds: /proc is not read */

        r = session_records_list(ctx->config->run_dir, &ids, NULL);
        if (r < 0)
                return hold_add(s, "(sessions)", NULL, r) < 0 ? jit_error_oom(err) : 0;
        for (size_t i = 0; ids[i]; i++) {
                _cleanup_(session_record_freep) struct session_record *rec = NULL;
                bool looked = false;
                int live = 0;
                size_t n;

                if (own_session && streq(ids[i], own_session))
                        continue;
                r = session_record_load(ctx->config->run_dir, ids[i], &rec, NULL);
                if (r == -ENOENT)
                        continue; /* closed while we looked */
                if (r < 0) {
                        if (hold_add(s, ids[i], NULL, r) < 0)
                                return jit_error_oom(err);
                        continue;
                }
                n = 1 + strv_length(rec->elevated);
                for (size_t k = 0; k < n; k++) {
                        const char *jti = rec->grant;

                        if (k > 0) {
                                jti = strchr(rec->elevated[k - 1], ' ');
                                jti = jti ? jti + 1 : NULL;
                        }
                        if (!jti || !is_bind_jti(s, jti))
                                continue;
                        /* Unknown is not gone: a read error must not free the
                         * grant. The leader is looked at once per record. */
                        if (!looked) {
                                live = session_record_liveness(rec);
                                looked = true;
                        }
                        if (live == 0)
                                break; /* over: it holds nothing */
                        if (hold_add(s, ids[i], jti, live > 0 ? 1 : live) < 0)
                                return jit_error_oom(err);
                }
        }
        return 0;
}

int snapshot_load(const struct jit_context *ctx, const struct snapshot_load *what,
                  struct host_snapshot *ret, struct jit_error *err) {
        const struct user_view *uv;
        bool exempt = false;
        int r;

        *ret = (struct host_snapshot){
                .config = ctx->config, .policy = &ctx->policy, .facts = &ctx->facts};

        /* An exempt user is let through without a grant: nothing else about
         * them is read (see docs/decisions.md). */
        if (what->check_exempt && what->user) {
                r = user_is_exempt(ctx->config, what->user, &exempt);
                if (r < 0) {
                        r = jit_error_set(err, -r, JIT_REASON_SYSTEM,
                                          "cannot check exemption of %s: %s", what->user,
                                          strerror_r(-r, (char[128]){}, 128));
                        goto fail;
                }
                if (exempt) {
                        if (strv_extend(&ret->exempt, what->user) < 0)
                                goto oom;
                        return 0;
                }
        }

        if (what->users || what->all_users) {
                size_t unreadable = 0;

                r = host_grants_load_users(ctx, what->all_users ? NULL : what->users,
                                           what->verified, &ret->grants_owned, &unreadable, err);
                if (r < 0)
                        goto fail;
                ret->grants = ret->grants_owned;
                ret->n_unreadable = unreadable;
        } else if (what->user) {
                r = host_grants_load_user(ctx, what->user, &ret->grants_owned, err);
                if (r < 0)
                        goto fail;
                ret->grants = ret->grants_owned;
        }
        uv = host_grants_user(ret->grants, what->user);
        if (ret->grants && ret->grants->have_state) {
                ret->bundle_exp_known = true;
                ret->bundle_exp = ret->grants->bundle_exp;
        }

        if (what->typed_token) {
                ret->typed_given = true;
                r = grant_from_token(what->typed_token, strlen(what->typed_token), ctx->trust,
                                     &ctx->policy, &ret->typed, &ret->typed_error);
                if (r < 0)
                        ret->typed = NULL; /* as if absent; typed_error says why */
                else if (what->user && streq(ret->typed->sub, what->user) &&
                         grant_applies_to_host(ret->typed, &ctx->facts)) {
                        /* It may not be in the bundle at all: only a typed
                         * token needs the whole revoked list. */
                        if (uv && uv->n_revoked > 0 &&
                            bsearch(&ret->typed->jti, uv->revoked, uv->n_revoked, sizeof(char *),
                                    strcmp_ptr))
                                ret->typed_revoked = true;
                        else {
                                r = host_revoked_contains(ctx->config, ret->typed->jti,
                                                          &ret->typed_revoked, err);
                                if (r < 0)
                                        goto fail;
                        }
                }
                /* No user file to say how fresh the store is: the state does. */
                if (!uv && !ret->bundle_exp_known &&
                    ctx->config->stale_policy == STALE_POLICY_DENY) {
                        struct host_state st;

                        r = host_state_load(ctx->config, &st, err);
                        if (r < 0 && r != -ENOENT)
                                goto fail;
                        ret->bundle_exp_known = true;
                        ret->bundle_exp = r < 0 ? 0 : st.bundle_exp; /* never had one: stale */
                }
        }

        r = session_view_load(ctx, what->own_session, ret, err);
        if (r < 0)
                goto fail;
        return 0;
oom:
        r = jit_error_oom(err);
fail:
        snapshot_done(ret);
        return r;
}

void snapshot_done(struct host_snapshot *s) {
        if (!s)
                return;
        host_grants_free(s->grants_owned);
        strv_free(s->exempt);
        grant_free(s->typed);
        for (size_t i = 0; i < s->n_holds; i++) {
                free(s->holds[i].session);
                free(s->holds[i].jti);
        }
        free(s->holds);
        *s = (struct host_snapshot){};
}

bool snapshot_user_exempt(const struct host_snapshot *s, const char *user) {
        return s && user && strv_contains(s->exempt, user);
}
