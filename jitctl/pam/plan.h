/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Where pam_jit.so goes in a service's PAM stack, decided without I/O: from
 * a parsed stack (stack.h) to the new lines of the service's own file.
 * Included files are read, never changed. enable adds, each after the
 * marker line, "account required pam_jit.so" right before the line that
 * brings the common account stack, and "session required pam_jit.so" after
 * pam_loginuid.so and pam_systemd.so (a login) or after the whole session
 * stack (sudo); a stack that has pam_jit.so already is left as it is. The
 * result is then checked as a whole and refused when pam_jit.so could be
 * skipped or ignored (docs/jitctl.1.scd, "When enable refuses"). The auth
 * stack is not wired: pam_jit's auth hook is an opt-in prompt. */

#include <stdbool.h>
#include <stddef.h>

#include "lines.h"
#include "stack.h"

#define PAM_MARKER "# added by jitctl pam enable (jit-access)"
#define PAM_MODULE "pam_jit.so"

struct pam_plan_options {
        bool login;       /* a login (sshd): session after pam_loginuid.so and pam_systemd.so */
        const char *args; /* after the module name: "" or " config=PATH" */
        const char *path; /* the service's file as messages name it (under --root) */
        /* create_users (jit.conf(5)): a login also gets PAM_MKHOMEDIR_RULE
         * right after pam_jit's session rule, marked the same way, unless
         * its session stack has pam_mkhomedir.so already. */
        bool mkhomedir;
};

#define PAM_MKHOMEDIR_MODULE "pam_mkhomedir.so"
#define PAM_MKHOMEDIR_RULE "session required pam_mkhomedir.so umask=0077"

/* The new lines of the service's file in *ret, and in *ret_added the
 * PAM_TYPE_ bits of the rules added (0: already wired, *ret equals the
 * file). Refused: -EPERM with the reason in *ret_error (malloc'd). */
int pam_plan_enable(const struct pam_stack *s, const struct pam_plan_options *o, struct lines *ret,
                    unsigned *ret_added, char **ret_error);

/* Check a wired stack: each pam_jit.so account and session rule appears
 * once per stack, has a control under which its denial counts, cannot be
 * skipped by a rule before it, and (a login) runs after pam_loginuid.so.
 * 0, or -EPERM with the reason in *ret_error. */
int pam_plan_check(const struct pam_stack *s, const struct pam_plan_options *o, char **ret_error);

/* Remove each pam_jit.so rule of the service's file that follows the
 * marker, with the marker. *ret_foreign gets the line numbers (from 1) of
 * pam_jit.so rules without one, left in place. */
int pam_plan_disable(const struct pam_stack *s, struct lines *ret, unsigned *ret_removed,
                     size_t **ret_foreign, size_t *ret_n_foreign);

enum pam_wired {
        PAM_NOT_WIRED,
        PAM_WIRED,         /* a marked rule in the service's file */
        PAM_WIRED_BY_HAND, /* a rule without the marker, or in an included file */
};

/* Is pam_jit.so in the stack of type (PAM_TYPE_ACCOUNT, PAM_TYPE_SESSION)? */
enum pam_wired pam_plan_wired(const struct pam_stack *s, unsigned type);
