/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The decision itself: a pure function of a host snapshot and a request. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "host-state.h"

static bool user_view_is_revoked(const struct user_view *uv, const char *jti) {
        return uv && uv->n_revoked > 0 &&
               bsearch(&jti, uv->revoked, uv->n_revoked, sizeof(char *), strcmp_ptr);
}

/* Is a bind=session grant held by a live session other than ours? 1 held,
 * 0 not, -EIO when a session that may hold it cannot be looked at. */
static int held_elsewhere(const struct host_snapshot *s, const char *jti, const char *own_session,
                          const char **ret_session) {
        const char *unknown = NULL;

        for (size_t i = 0; i < s->n_holds; i++) {
                const struct session_hold *h = &s->holds[i];

                if (own_session && streq(h->session, own_session))
                        continue;
                if (h->jti && !streq(h->jti, jti))
                        continue;
                if (h->live > 0 && h->jti)
                        return 1;
                if (!unknown)
                        unknown = h->session;
        }
        if (unknown) {
                *ret_session = unknown;
                return -EIO;
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
                     const struct grant *g) {
        if (req->on_candidate)
                req->on_candidate(v, g, req->userdata);
        if (v < best->verdict || (v == best->verdict && better(v, g, best->grant))) {
                best->grant = g;
                best->verdict = v;
        }
}

/* One candidate grant through every rule. */
static int judge(const struct host_snapshot *s, const struct decide_request *req,
                 const struct grant *g, bool revoked, struct decision *best) {
        struct jit_error why = {};
        int r;

        if (!streq(g->sub, req->user) || !(g->scope & req->scope) ||
            !grant_applies_to_host(g, s->facts))
                return 0;
        if (req->only_jti && !streq(g->jti, req->only_jti))
                return 0;
        if (revoked) {
                consider(req, best, VERDICT_REVOKED, g);
                return 0;
        }
        if (grant_check_time(g, s->policy, req->now, &why) < 0) {
                if (why.reason == JIT_REASON_EXPIRED)
                        consider(req, best, VERDICT_EXPIRED, g);
                else if (why.reason == JIT_REASON_NOT_YET_VALID)
                        consider(req, best, VERDICT_NOT_YET, g);
                /* issued in the future: a clock problem, not a grant */
                return 0;
        }
        if (g->bind_session) {
                const char *session = NULL;

                r = held_elsewhere(s, g->jti, req->own_session, &session);
                if (r < 0) {
                        best->grant = g;
                        best->session = session;
                        return r;
                }
                if (r > 0) {
                        consider(req, best, VERDICT_BOUND, g);
                        return 0;
                }
        }
        if (req->runas && !grant_allows_runas(g, req->runas)) {
                consider(req, best, VERDICT_RUNAS, g);
                return 0;
        }
        consider(req, best, VERDICT_ALLOW, g);
        return 0;
}

int decide(const struct host_snapshot *s, const struct decide_request *req, struct decision *ret) {
        const struct user_view *uv = host_grants_user(s->grants, req->user);
        struct decision best = {.verdict = VERDICT_NONE};
        int64_t bundle_exp;
        int r;

        *ret = (struct decision){};
        if (snapshot_user_exempt(s, req->user)) {
                ret->verdict = VERDICT_EXEMPT;
                return 0;
        }
        if (s->grants && strv_contains(s->grants->unreadable, req->user))
                return -EBADF;
        if (!uv && !s->typed_given)
                goto done; /* nothing to judge, nothing to reveal */

        /* A host that has not heard from the store for too long does not
         * know the latest revocations: under stale_policy = deny it admits
         * nobody new, whatever its cache holds. */
        if (s->config->stale_policy == STALE_POLICY_DENY && !req->ignore_stale) {
                if (uv)
                        bundle_exp = uv->bundle_exp;
                else if (s->bundle_exp_known)
                        bundle_exp = s->bundle_exp;
                else
                        return -ENODATA;
                if (host_store_is_stale(s->config, bundle_exp, req->now)) {
                        best.verdict = VERDICT_STALE;
                        goto done;
                }
        }

        /* A token that did not verify is as if absent: the user is told "no
         * grant", the log says why (the snapshot kept it). */
        if (s->typed) {
                r = judge(s, req, s->typed,
                          s->typed_revoked || user_view_is_revoked(uv, s->typed->jti), &best);
                if (r < 0)
                        goto fail;
        }
        for (size_t i = 0; !req->typed_only && uv && i < uv->n_grants; i++) {
                r = judge(s, req, uv->grants[i], user_view_is_revoked(uv, uv->grants[i]->jti),
                          &best);
                if (r < 0)
                        goto fail;
        }
done:
        *ret = best;
        return 0;
fail:
        ret->grant = best.grant;
        ret->session = best.session;
        return r;
}
