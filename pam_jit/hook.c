/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the account, session and auth hooks share: who the decision is about,
 * the host context, and the decision with its denial. */

#include <errno.h>
#include <security/pam_ext.h>
#include <syslog.h>

#include "break-glass.h"
#include "hooks.h"
#include "messages.h"

bool hook_snapshot(pam_handle_t *pamh, const struct jit_context *ctx,
                   const struct snapshot_load *what, struct host_snapshot *snap,
                   enum outcome *ret) {
        struct jit_error err = {};

        if (snapshot_load(ctx, what, snap, &err) < 0) {
                pam_syslog(pamh, LOG_ERR, "cannot decide for %s: %s", what->user, err.message);
                message_internal_error(pamh);
                *ret = OUTCOME_ERROR;
                return false;
        }
        if (snap->typed_given && !snap->typed)
                pam_syslog(pamh, LOG_NOTICE, "typed token of %s does not verify: %s", what->user,
                           snap->typed_error.message);
        return true;
}

bool hook_begin(pam_handle_t *pamh, const struct pam_jit_args *args, bool account,
                const char *typed_token, const char *own_session, struct hook_subject *s,
                struct jit_context *ctx, struct host_snapshot *snap, enum outcome *ret) {
        struct jit_error err = {};
        uid_t uid;
        int r;

        s->sudo = args->mode == PAM_JIT_MODE_SUDO;
        if (s->sudo) {
                if (sudo_invoker_get(pamh, account, s->invoker, &uid) < 0) {
                        *ret = OUTCOME_DENY;
                        return false;
                }
                if (uid == 0) {
                        *ret = OUTCOME_ALLOW; /* root gains nothing through sudo */
                        return false;
                }
                s->user = s->invoker;
        } else if (pam_user_get(pamh, &s->user) < 0) {
                *ret = OUTCOME_DENY;
                return false;
        }

        /* The PAM line's exempt list first: nothing below can lock it out. */
        if (break_glass_admit(pamh, args, account, s->user)) {
                *ret = OUTCOME_ALLOW;
                return false;
        }
        r = context_load(args->config, ctx, &err);
        if (r < 0) {
                pam_syslog(pamh, LOG_ERR, "%s", err.message);
                message_internal_error(pamh);
                *ret = OUTCOME_ERROR;
                return false;
        }
        if (!hook_snapshot(pamh, ctx,
                           &(struct snapshot_load){.user = s->user,
                                                   .typed_token = typed_token,
                                                   .own_session = own_session,
                                                   .check_exempt = true},
                           snap, ret))
                return false;
        /* decide() answers VERDICT_EXEMPT for this user first of all; it is
         * asked here, before a session id or a sudo target is looked for. */
        if (snapshot_user_exempt(snap, s->user)) {
                /* Break-glass and automation: allowed, and never quietly (once,
                 * at the account check that sshd and sudo both run). */
                if (account)
                        decision_log(pamh, ctx, AUDIT_EXEMPT_USED, LOG_WARNING,
                                     s->sudo ? "sudo for exempt user" : "login of exempt user",
                                     s->user, NULL, "allowed without a grant (exempt)");
                *ret = OUTCOME_ALLOW;
                return false;
        }
        return true;
}

bool decide_or_deny(pam_handle_t *pamh, const struct pam_jit_args *args,
                    const struct jit_context *ctx, const struct host_snapshot *snap,
                    const struct decide_request *req, enum audit_event denied_event,
                    const char *what, struct decision *d, enum outcome *ret) {
        const struct user_view *uv = host_grants_user(snap->grants, req->user);
        int r;

        r = decide(snap, req, d);
        if (r < 0) {
                if (r == -EIO)
                        pam_syslog(pamh, LOG_ERR,
                                   "cannot decide for %s: session %s: cannot tell whether its "
                                   "leader runs",
                                   req->user, d->session ? d->session : "?");
                else
                        pam_syslog(pamh, LOG_ERR, "cannot decide for %s: %s", req->user,
                                   strerror_r(-r, (char[128]){}, 128));
                message_internal_error(pamh);
                *ret = OUTCOME_ERROR;
                return false;
        }
        if (d->verdict == VERDICT_EXEMPT) {
                *ret = OUTCOME_ALLOW; /* hook_begin let them through already */
                return false;
        }
        if (d->verdict != VERDICT_ALLOW) {
                if (uv && uv->n_invalid > 0)
                        pam_syslog(pamh, LOG_NOTICE,
                                   "%zu grant token%s of %s do%s not verify; the first: %s",
                                   uv->n_invalid, uv->n_invalid == 1 ? "" : "s", req->user,
                                   uv->n_invalid == 1 ? "es" : "", uv->invalid);
                message_denied(pamh, args->mode, req->user, req->runas, d);
                decision_log(pamh, ctx, denied_event, LOG_NOTICE, what, req->user, d, NULL);
                *ret = OUTCOME_DENY;
                return false;
        }
        return true;
}
