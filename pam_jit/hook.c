/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the account, session and auth hooks share: who the decision is about,
 * the host context, and the decision with its denial. */

#include <errno.h>
#include <security/pam_ext.h>
#include <syslog.h>

#include "hooks.h"
#include "messages.h"

bool hook_begin(pam_handle_t *pamh, const struct pam_jit_args *args, bool account,
                struct hook_subject *s, struct jit_context *ctx, enum outcome *ret) {
        struct jit_error err = {};
        bool exempt;
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

        r = context_load(args->config, ctx, &err);
        if (r < 0) {
                pam_syslog(pamh, LOG_ERR, "%s", err.message);
                message_internal_error(pamh);
                *ret = OUTCOME_ERROR;
                return false;
        }
        r = user_is_exempt(ctx->config, s->user, &exempt);
        if (r < 0) {
                pam_syslog(pamh, LOG_ERR, "cannot check exemption of %s: %s", s->user,
                           strerror_r(-r, (char[128]){}, 128));
                message_internal_error(pamh);
                *ret = OUTCOME_ERROR;
                return false;
        }
        if (exempt) {
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
                    const struct jit_context *ctx, const struct decide_request *req,
                    enum audit_event denied_event, const char *what, struct decision *d,
                    enum outcome *ret) {
        struct jit_error err = {};

        if (decide(ctx, req, d, &err) < 0) {
                pam_syslog(pamh, LOG_ERR, "cannot decide for %s: %s", req->user, err.message);
                message_internal_error(pamh);
                *ret = OUTCOME_ERROR;
                return false;
        }
        if (d->verdict != VERDICT_ALLOW) {
                message_denied(pamh, args->mode, req->user, req->runas, d);
                decision_log(pamh, ctx, denied_event, LOG_NOTICE, what, req->user, d, NULL);
                *ret = OUTCOME_DENY;
                return false;
        }
        return true;
}
