/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every decision is told once: a journald audit event with the JIT_* fields
 * (journald hands it to syslog too), or, where journald does not answer, a
 * pam_syslog line. */

#include <security/pam_ext.h>

#include "hooks.h"

static const char *verdict_name(enum verdict v) {
        static const char *const names[] = {
                [VERDICT_ALLOW] = "allowed",
                [VERDICT_EXEMPT] = "allowed without a grant (exempt)",
                [VERDICT_STALE] = "store stale",
                [VERDICT_REVOKED] = "revoked",
                [VERDICT_EXPIRED] = "expired",
                [VERDICT_NOT_YET] = "not yet valid",
                [VERDICT_BOUND] = "bound to another session",
                [VERDICT_RUNAS] = "target not in runas",
                [VERDICT_NONE] = "no grant",
        };
        return (unsigned) v < ELEMENTSOF(names) ? names[v] : "?";
}

void decision_log(pam_handle_t *pamh, const struct jit_context *ctx, enum audit_event ev,
                  int priority, const char *what, const char *user, const struct decision *d,
                  const char *result) {
        const void *service = NULL;
        const struct grant *g = d ? d->grant : NULL;
        struct audit_fields f = {
                .grant_id = g ? g->jti : NULL,
                .user = user,
                .host = ctx ? ctx->host : NULL,
                .reason = g ? g->reason : NULL,
                .ticket = g ? g->ticket : NULL,
                .approver = g ? g->approver : NULL,
                .result = result ? result
                          : d    ? verdict_name(d->verdict)
                                 : "?",
                .run_dir = ctx && ctx->config ? ctx->config->run_dir : NULL,
        };

        (void) pam_get_item(pamh, PAM_SERVICE, &service);
        f.service = service;
        /* One entry per decision: the audit event where journald runs
         * (which forwards it to syslog where one is configured), else the
         * syslog line; never both, in two wordings. */
        if (audit_emit(ev, priority, "pam_jit", &f, "%s %s: %s%s%s%s", what, user, f.result,
                       g ? " (grant " : "", g ? g->jti : "", g ? ")" : "") >= 0)
                return;
        if (g)
                pam_syslog(pamh, priority, "%s %s: %s (grant %s, ticket %s, approved by %s)", what,
                           user, f.result, g->jti, strempty(g->ticket), strempty(g->approver));
        else
                pam_syslog(pamh, priority, "%s %s: %s", what, user, f.result);
}
