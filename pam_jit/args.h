/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <security/pam_modules.h>
#include <stdbool.h>

enum pam_jit_mode {
        PAM_JIT_MODE_SSH,  /* a login: needs a grant with scope "ssh" */
        PAM_JIT_MODE_SUDO, /* an elevation: scope "sudo", from a recorded session */
};

struct pam_jit_args {
        bool debug;
        bool prompt;
        const char *config; /* points into argv or a constant */
        /* Break-glass known from the PAM line itself (exempt=a,b and
         * exempt_group=g, written by jitctl pam enable from jit.conf), so
         * no file pam_jit reads can take it away (break-glass.c). */
        const char *exempt_users; /* comma-separated, points into argv */
        const char *exempt_group;
        enum pam_jit_mode mode;
};

#define PAM_JIT_EXEMPT_ARGS_MAX 32 /* names in exempt= */

/* Parse the module arguments. An unknown or malformed argument is logged
 * and returns -EINVAL: a typo in a PAM stack must not weaken it. */
int args_parse(pam_handle_t *pamh, int argc, const char **argv, struct pam_jit_args *ret);
