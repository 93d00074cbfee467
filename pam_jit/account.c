/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <security/pam_ext.h>
#include <syslog.h>

#include "hooks.h"
#include "identity.h"
#include "messages.h"
#include "proc.h"
#include "session-store.h"

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
        _cleanup_(snapshot_done) struct host_snapshot snap = {};
        struct decision d = {};
        const char *typed;
        char sid[JIT_SESSION_ID_MAX + 1] = "";
        struct hook_subject s = {};
        enum outcome o;
        bool recorded;

        if (typed_token_import(pamh, args, false) < 0) {
                message_internal_error(pamh);
                return OUTCOME_ERROR;
        }
        typed = typed_token_get(pamh);
        if (!hook_begin(pamh, args, true, typed, NULL, &s, &ctx, &snap, &o))
                return o;
        if (!decide_or_deny(pamh, args, &ctx, &snap,
                            &(struct decide_request){
                                    .user = s.user,
                                    .scope = s.sudo ? GRANT_SCOPE_SUDO : GRANT_SCOPE_SSH,
                                    .now = now,
                            },
                            s.sudo ? AUDIT_SUDO_DENIED : AUDIT_LOGIN_DENIED,
                            s.sudo ? "sudo for" : "login of", &d, &o))
                return o;

        if (s.sudo) {
                if (sudo_caller_recorded(pamh, &ctx, s.user, sid, &recorded) < 0) {
                        message_internal_error(pamh);
                        return OUTCOME_ERROR;
                }
                if (!recorded) {
                        (void) pam_error(pamh, "jit: sudo is allowed only from a login session "
                                               "admitted by jit-access");
                        decision_log(pamh, &ctx, AUDIT_SUDO_DENIED, LOG_NOTICE, "sudo for", s.user,
                                     &d, "denied: not from a recorded login session");
                        return OUTCOME_DENY;
                }
        }
        decision_log(pamh, &ctx, s.sudo ? AUDIT_SUDO_ALLOWED : AUDIT_LOGIN_ALLOWED, LOG_INFO,
                     s.sudo ? "sudo for" : "login of", s.user, &d, NULL);
        return OUTCOME_ALLOW;
}
