/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The access decision, shared by pam_jit (may this login or sudo happen?)
 * and jit-agent (may this session go on, or does another grant cover it?):
 * does a usable grant exist for this user, this host and this scope (and
 * sudo target), now? */

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "grant.h"
#include "host-context.h"

/* Why there is no usable grant, most telling first: the order is the order in
 * which a denial message is chosen when several grants fail differently. */
enum verdict {
        VERDICT_ALLOW,
        VERDICT_STALE,   /* store out of date under stale_policy = deny */
        VERDICT_REVOKED, /* a matching grant was revoked */
        VERDICT_EXPIRED, /* a matching grant has expired (the latest one is named) */
        VERDICT_NOT_YET, /* a matching grant starts later */
        VERDICT_BOUND,   /* bind=session and another live session holds it */
        VERDICT_RUNAS,   /* valid, but the sudo target is not in runas */
        VERDICT_NONE,    /* nothing for this user, host and scope */
};

struct decision {
        enum verdict verdict;
        struct grant *grant; /* owned: the chosen grant, or the one the verdict names */
};

/* Told every grant that matches user, host and scope, with its verdict. */
typedef void (*decide_candidate_t)(enum verdict v, const struct grant *g, void *userdata);

struct decide_request {
        const char *user;        /* whose grants */
        unsigned scope;          /* GRANT_SCOPE_SSH or GRANT_SCOPE_SUDO */
        const char *runas;       /* sudo target to require, or NULL */
        const char *typed_token; /* a token accepted at the prompt, or NULL */
        bool typed_only;         /* consider only typed_token (the auth hook) */
        const char *own_session; /* this session's id, never "another" for bind */
        const char *only_jti;    /* judge only this grant (is it still usable?) */
        bool ignore_stale;       /* staleness gates new logins, not running sessions */
        decide_candidate_t on_candidate;
        void *userdata;
        int64_t now;
};

/* Returns 0 with a verdict, or a negative errno for an internal failure
 * (corrupt or unsafe state files, out of memory): the caller denies. */
int decide(const struct jit_context *ctx, const struct decide_request *req, struct decision *ret,
           struct jit_error *err);
void decision_done(struct decision *d);
