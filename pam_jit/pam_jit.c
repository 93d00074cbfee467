/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The PAM entry points, and nothing else: parse the arguments, run the hook,
 * map its outcome to a PAM code. No state outlives a call: sshd and sudo may
 * hold several PAM handles in one process. */

#include <security/pam_modules.h>
#include <time.h>

#include "args.h"
#include "hooks.h"

#define _public_ __attribute__((visibility("default")))

enum hook {
        HOOK_AUTH,
        HOOK_ACCOUNT,
        HOOK_SESSION,
};

/* The one place PAM codes are chosen. Every outcome but ALLOW denies. */
static int outcome_to_pam(enum hook hook, enum outcome o) {
        if (o == OUTCOME_ALLOW)
                return PAM_SUCCESS;
        switch (hook) {
        case HOOK_AUTH:
                return o == OUTCOME_DENY ? PAM_AUTH_ERR : PAM_SERVICE_ERR;
        case HOOK_ACCOUNT:
                return o == OUTCOME_DENY ? PAM_PERM_DENIED : PAM_SERVICE_ERR;
        case HOOK_SESSION:
        default:
                return o == OUTCOME_DENY ? PAM_PERM_DENIED : PAM_SESSION_ERR;
        }
}

_public_ int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        struct pam_jit_args args;

        if (args_parse(pamh, argc, argv, &args) < 0)
                return PAM_SERVICE_ERR;
        return outcome_to_pam(HOOK_AUTH, auth_hook(pamh, &args, time(NULL)));
}

_public_ int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        /* A grant is no credential to establish: nothing to do. */
        return PAM_SUCCESS;
}

_public_ int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        struct pam_jit_args args;

        if (args_parse(pamh, argc, argv, &args) < 0)
                return PAM_SERVICE_ERR;
        return outcome_to_pam(HOOK_ACCOUNT, account_hook(pamh, &args, time(NULL)));
}

_public_ int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        struct pam_jit_args args;

        if (args_parse(pamh, argc, argv, &args) < 0)
                return PAM_SERVICE_ERR;
        return outcome_to_pam(HOOK_SESSION, session_open_hook(pamh, &args, time(NULL)));
}

_public_ int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        struct pam_jit_args args;

        if (args_parse(pamh, argc, argv, &args) < 0)
                return PAM_SERVICE_ERR;
        return outcome_to_pam(HOOK_SESSION, session_close_hook(pamh, &args));
}
