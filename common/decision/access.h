/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The access decision, shared by pam_jit (may this login or sudo happen?)
 * and jit-agent (may this session go on, or does another grant cover it?):
 * does a usable grant exist for this user, this host and this scope (and
 * sudo target), now? decide() reads nothing: what it rests on is loaded
 * before, into a host snapshot (snapshot.h), and tests call it directly on
 * snapshots built by hand (tests/unit/test-decide.c). */

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "grant.h"
#include "snapshot.h"

/* Why there is no usable grant, most telling first: the order is the order in
 * which a denial message is chosen when several grants fail differently. */
enum verdict {
        VERDICT_ALLOW,
        /* An exempt user (exempt_users, exempt_group): allowed without a
         * grant, before any other rule. A verdict of its own, not ALLOW, so
         * that the caller logs it loudly and records no session; it is
         * never the verdict of a grant. */
        VERDICT_EXEMPT,
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
        const struct grant *grant; /* the chosen grant, or the one the verdict names;
                                    * owned by the snapshot */
        const char *session;       /* on -EIO: the session whose leader cannot be told */
};

/* Told every grant that matches user, host and scope, with its verdict. */
typedef void (*decide_candidate_t)(enum verdict v, const struct grant *g, void *userdata);

struct decide_request {
        const char *user;        /* whose grants */
        unsigned scope;          /* GRANT_SCOPE_SSH or GRANT_SCOPE_SUDO */
        const char *runas;       /* sudo target to require, or NULL */
        bool typed_only;         /* consider only the snapshot's typed token (the auth hook) */
        const char *own_session; /* this session's id, never "another" for bind */
        const char *only_jti;    /* judge only this grant (is it still usable?) */
        bool ignore_stale;       /* staleness gates new logins, not running sessions */
        decide_candidate_t on_candidate;
        void *userdata;
        int64_t now;
};

/* Returns 0 with a verdict, or a negative errno when the snapshot cannot
 * tell: -EIO when a session that may hold a bind=session grant could not be
 * looked at (ret->session names it), -EBADF when a user's file was unreadable,
 * -ENODATA when the snapshot lacks the store's freshness. The caller denies
 * (pam_jit) or leaves the session as it is (jit-agent). No I/O. */
int decide(const struct host_snapshot *s, const struct decide_request *req, struct decision *ret);
