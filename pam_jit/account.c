/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <security/pam_ext.h>
#include <syslog.h>

#include "hooks.h"
#include "identity.h"
#include "messages.h"
#include "session-record.h"

/* The caller must be inside a login session pam_jit recorded for the same
 * user: sudo from a cron job, a service or another user's session is not an
 * elevation a grant covers. */
static int sudo_caller_recorded(pam_handle_t *pamh, const struct jit_context *ctx,
                                const char *invoker, char sid[JIT_SESSION_ID_MAX + 1], bool *ret) {
        _cleanup_(session_record_freep) struct session_record *rec = NULL;
        struct jit_error err = {};
        int r;

        *ret = false;
        r = session_id_of_pid(0, sid, JIT_SESSION_ID_MAX + 1);
        if (r < 0)
                return 0; /* no session at all */
        r = session_record_load(ctx->config->run_dir, sid, &rec, &err);
        if (r == -ENOENT)
                return 0;
        if (r < 0) {
                pam_syslog(pamh, LOG_ERR, "session record %s: %s", sid, err.message);
                return r;
        }
        *ret = streq(rec->user, invoker) && session_record_is_live(rec);
        return 0;
}

enum outcome account_hook(pam_handle_t *pamh, const struct pam_jit_args *args, int64_t now) {
        _cleanup_(context_done) struct jit_context ctx = {};
        _cleanup_(decision_done) struct decision d = {};
        char invoker[USER_NAME_BUF], sid[JIT_SESSION_ID_MAX + 1] = "";
        bool sudo = args->mode == PAM_JIT_MODE_SUDO, exempt, recorded;
        struct jit_error err = {};
        const char *user;
        uid_t uid;
        int r;

        if (sudo) {
                if (sudo_invoker_get(pamh, true, invoker, &uid) < 0)
                        return OUTCOME_DENY;
                if (uid == 0)
                        return OUTCOME_ALLOW; /* root gains nothing through sudo */
                user = invoker;
        } else if (pam_user_get(pamh, &user) < 0)
                return OUTCOME_DENY;

        r = context_load(args->config, &ctx, &err);
        if (r < 0) {
                pam_syslog(pamh, LOG_ERR, "%s", err.message);
                message_internal_error(pamh);
                return OUTCOME_ERROR;
        }

        r = user_is_exempt(ctx.config, user, &exempt);
        if (r < 0) {
                pam_syslog(pamh, LOG_ERR, "cannot check exemption of %s: %s", user,
                           strerror_r(-r, (char[128]){}, 128));
                message_internal_error(pamh);
                return OUTCOME_ERROR;
        }
        if (exempt) {
                /* Break-glass and automation: allowed, and never quietly. */
                decision_log(pamh, &ctx, AUDIT_EXEMPT_USED, LOG_WARNING,
                             sudo ? "sudo for exempt user" : "login of exempt user", user, NULL,
                             "allowed without a grant (exempt)");
                return OUTCOME_ALLOW;
        }

        r = decide(&ctx,
                   &(struct decide_request){
                           .user = user,
                           .scope = sudo ? GRANT_SCOPE_SUDO : GRANT_SCOPE_SSH,
                           .typed_token = typed_token_get(pamh),
                           .now = now,
                   },
                   &d, &err);
        if (r < 0) {
                pam_syslog(pamh, LOG_ERR, "cannot decide for %s: %s", user, err.message);
                message_internal_error(pamh);
                return OUTCOME_ERROR;
        }
        if (d.verdict != VERDICT_ALLOW) {
                message_denied(pamh, args->mode, user, NULL, &d);
                decision_log(pamh, &ctx, sudo ? AUDIT_SUDO_DENIED : AUDIT_LOGIN_DENIED, LOG_NOTICE,
                             sudo ? "sudo for" : "login of", user, &d, NULL);
                return OUTCOME_DENY;
        }

        if (sudo) {
                r = sudo_caller_recorded(pamh, &ctx, user, sid, &recorded);
                if (r < 0) {
                        message_internal_error(pamh);
                        return OUTCOME_ERROR;
                }
                if (!recorded) {
                        (void) pam_error(pamh, "jit: sudo is allowed only from a login session "
                                               "admitted by jit-access");
                        decision_log(pamh, &ctx, AUDIT_SUDO_DENIED, LOG_NOTICE, "sudo for", user,
                                     &d, "denied: not from a recorded login session");
                        return OUTCOME_DENY;
                }
        }
        decision_log(pamh, &ctx, sudo ? AUDIT_SUDO_ALLOWED : AUDIT_LOGIN_ALLOWED, LOG_INFO,
                     sudo ? "sudo for" : "login of", user, &d, NULL);
        return OUTCOME_ALLOW;
}
