/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "access.h"
#include "host-state.h"
#include "proc.h"
#include "revoked-list.h"
#include "session-store.h"
#include "user-grants.h"

void decision_done(struct decision *d) {
        if (!d)
                return;
        grant_free(d->grant);
        *d = (struct decision){};
}

/* Is a bind=session grant held by a live session other than ours? A
 * session holds a grant it logged in with or elevated with. */
static int grant_held_elsewhere(const struct jit_context *ctx, const char *jti,
                                const char *own_session, bool *ret, struct jit_error *err) {
        _cleanup_strv_free_ char **ids = NULL;
        int r;

        *ret = false;
        r = session_records_list(ctx->config->run_dir, &ids, err);
        if (r < 0)
                return r;
        for (size_t i = 0; ids[i]; i++) {
                _cleanup_(session_record_freep) struct session_record *rec = NULL;
                bool uses = false;

                if (own_session && streq(ids[i], own_session))
                        continue;
                r = session_record_load(ctx->config->run_dir, ids[i], &rec, err);
                if (r == -ENOENT)
                        continue; /* closed while we looked */
                if (r < 0)
                        return r;
                uses = streq(rec->grant, jti);
                for (size_t k = 0; !uses && rec->elevated && rec->elevated[k]; k++) {
                        const char *sp = strchr(rec->elevated[k], ' ');
                        uses = sp && streq(sp + 1, jti);
                }
                if (!uses)
                        continue;
                /* Unknown is not gone: a read error must not free the grant. */
                r = session_record_liveness(rec);
                if (r < 0)
                        return jit_error_set(err, -r, JIT_REASON_SYSTEM,
                                             "session %s: cannot tell whether leader %d runs",
                                             ids[i], (int) rec->leader);
                if (r > 0) {
                        *ret = true;
                        return 0;
                }
        }
        return 0;
}

/* Keep, for each verdict, the grant a message should name: the latest
 * expired one, the earliest upcoming one, the usable one lasting longest. */
static bool better(enum verdict v, const struct grant *cand, const struct grant *cur) {
        if (!cur)
                return true;
        switch (v) {
        case VERDICT_NOT_YET:
                return cand->nbf < cur->nbf;
        default:
                return cand->exp > cur->exp;
        }
}

static void consider(const struct decide_request *req, struct decision *best, enum verdict v,
                     struct grant **g) {
        if (req->on_candidate)
                req->on_candidate(v, *g, req->userdata);
        if (v < best->verdict || (v == best->verdict && better(v, *g, best->grant))) {
                grant_free(best->grant);
                best->grant = *g;
                best->verdict = v;
                *g = NULL;
        }
}

/* One candidate token through every rule. */
static int judge(const struct jit_context *ctx, const struct decide_request *req,
                 const struct user_grants *ug, const char *token, bool typed, struct decision *best,
                 struct jit_error *err) {
        _cleanup_(grant_freep) struct grant *g = NULL;
        struct jit_error why = {};
        bool revoked = false, held;
        int r;

        /* A token that does not verify is as if absent: the user is told
         * "no grant", the log says why. */
        if (grant_from_token(token, strlen(token), ctx->trust, &ctx->policy, &g, &why) < 0)
                return 0;
        if (!streq(g->sub, req->user) || !(g->scope & req->scope) ||
            !grant_applies_to_host(g, &ctx->facts))
                return 0;
        if (req->only_jti && !streq(g->jti, req->only_jti))
                return 0;

        if (ug && user_grants_is_revoked(ug, g->jti))
                revoked = true;
        else if (typed) {
                r = host_revoked_contains(ctx->config, g->jti, &revoked, err);
                if (r < 0)
                        return r;
        }
        if (revoked) {
                consider(req, best, VERDICT_REVOKED, &g);
                return 0;
        }

        r = grant_check_time(g, &ctx->policy, req->now, &why);
        if (r < 0) {
                if (why.reason == JIT_REASON_EXPIRED)
                        consider(req, best, VERDICT_EXPIRED, &g);
                else if (why.reason == JIT_REASON_NOT_YET_VALID)
                        consider(req, best, VERDICT_NOT_YET, &g);
                /* issued in the future: a clock problem, not a grant */
                return 0;
        }
        if (g->bind_session) {
                r = grant_held_elsewhere(ctx, g->jti, req->own_session, &held, err);
                if (r < 0)
                        return r;
                if (held) {
                        consider(req, best, VERDICT_BOUND, &g);
                        return 0;
                }
        }
        if (req->runas && !grant_allows_runas(g, req->runas)) {
                consider(req, best, VERDICT_RUNAS, &g);
                return 0;
        }
        consider(req, best, VERDICT_ALLOW, &g);
        return 0;
}

static int store_bundle_exp(const struct jit_context *ctx, const struct user_grants *ug,
                            int64_t *ret, struct jit_error *err) {
        struct host_state st;
        int r;

        if (ug) {
                *ret = ug->bundle_exp;
                return 0;
        }
        r = host_state_load(ctx->config, &st, err);
        if (r == -ENOENT) {
                *ret = 0; /* never had a bundle: as stale as can be */
                return 0;
        }
        if (r < 0)
                return r;
        *ret = st.bundle_exp;
        return 0;
}

int decide(const struct jit_context *ctx, const struct decide_request *req, struct decision *ret,
           struct jit_error *err) {
        _cleanup_(user_grants_freep) struct user_grants *ug = NULL;
        struct decision best = {.verdict = VERDICT_NONE};
        int64_t bundle_exp;
        int r;

        r = user_grants_load(ctx->config, req->user, &ug, err);
        if (r < 0 && r != -ENOENT)
                return r;
        if (!ug && !req->typed_token)
                goto done; /* nothing to judge, nothing to reveal */

        /* A host that has not heard from the store for too long does not
         * know the latest revocations: under stale_policy = deny it admits
         * nobody new, whatever its cache holds. */
        if (ctx->config->stale_policy == STALE_POLICY_DENY && !req->ignore_stale) {
                r = store_bundle_exp(ctx, ug, &bundle_exp, err);
                if (r < 0)
                        return r;
                if (host_store_is_stale(ctx->config, bundle_exp, req->now)) {
                        best.verdict = VERDICT_STALE;
                        goto done;
                }
        }

        if (req->typed_token) {
                r = judge(ctx, req, ug, req->typed_token, true, &best, err);
                if (r < 0)
                        goto fail;
        }
        for (size_t i = 0; !req->typed_only && ug && i < ug->n_grants; i++) {
                r = judge(ctx, req, ug, ug->grants[i], false, &best, err);
                if (r < 0)
                        goto fail;
        }
done:
        *ret = best;
        return 0;
fail:
        decision_done(&best);
        return r;
}
