/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <security/pam_ext.h>
#include <string.h>
#include <syslog.h>

#include "break-glass.h"
#include "hooks.h"
#include "userdb.h"

bool break_glass_listed(const struct pam_jit_args *args, const char *user) {
        size_t n = user ? strlen(user) : 0;
        bool member = false;

        if (!user)
                return false;
        for (const char *p = args->exempt_users; p && *p;) {
                size_t k = strcspn(p, ",");

                if (k == n && strncmp(p, user, n) == 0)
                        return true;
                p += k + (p[k] ? 1 : 0);
        }
        if (args->exempt_group && user_in_group(user, args->exempt_group, &member) >= 0)
                return member;
        return false;
}

bool break_glass_admit(pam_handle_t *pamh, const struct pam_jit_args *args, bool account,
                       const char *user) {
        _cleanup_(context_done) struct jit_context ctx = {};
        struct jit_error err = {};
        const char *what =
                args->mode == PAM_JIT_MODE_SUDO ? "sudo for exempt user" : "login of exempt user";

        if (!break_glass_listed(args, user))
                return false;
        if (!account)
                return true; /* logged once, at the account check sshd and sudo both run */
        /* The files are read only to say whether this is the break-glass
         * path in earnest: the admission does not depend on them. */
        if (context_load(args->config, &ctx, &err) < 0) {
                if (audit_emit(AUDIT_EXEMPT_USED, LOG_CRIT, "pam_jit",
                               &(struct audit_fields){.user = user,
                                                      .result = "allowed without a grant (exempt; "
                                                                "jit-access broken)"},
                               "%s %s: allowed by the PAM line's exempt list although jit-access "
                               "cannot decide on this host (%s); everyone else is refused until "
                               "that is fixed",
                               what, user, err.message) < 0)
                        pam_syslog(pamh, LOG_CRIT,
                                   "%s %s: allowed by the PAM line's exempt list although "
                                   "jit-access cannot decide on this host (%s); everyone else is "
                                   "refused until that is fixed",
                                   what, user, err.message);
                return true;
        }
        decision_log(pamh, &ctx, AUDIT_EXEMPT_USED, LOG_WARNING, what, user, NULL,
                     "allowed without a grant (exempt)");
        return true;
}
