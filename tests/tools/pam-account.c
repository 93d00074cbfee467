/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One real PAM account transaction from a test folder, for shell tests that
 * must show that a host still admits a user (or refuses one): a stack file
 * SERVICE in CONFDIR names the built pam_jit.so by its path, and
 * pam_start_confdir() runs it without touching /etc (docs/testing.md).
 * Prints the PAM result and every message the module sent; exits 0 when
 * pam_acct_mgmt() admits, 1 when it refuses, 2 when PAM cannot start. For
 * tests only; not installed.
 *
 *   pam-account CONFDIR SERVICE USER
 */
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>

/* The account stage prompts for nothing: messages are printed, a prompt is
 * an error. */
static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data) {
        struct pam_response *r;

        (void) data;
        *resp = NULL;
        if (n <= 0)
                return PAM_CONV_ERR;
        r = calloc((size_t) n, sizeof(*r));
        if (!r)
                return PAM_BUF_ERR;
        for (int i = 0; i < n; i++) {
                if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF ||
                    msg[i]->msg_style == PAM_PROMPT_ECHO_ON) {
                        free(r);
                        return PAM_CONV_ERR;
                }
                printf("message: %s\n", msg[i]->msg ? msg[i]->msg : "");
        }
        *resp = r;
        return PAM_SUCCESS;
}

int main(int argc, char **argv) {
        struct pam_conv c = {.conv = conv};
        pam_handle_t *pamh = NULL;
        int r;

        if (argc != 4) {
                fputs("usage: pam-account CONFDIR SERVICE USER\n", stderr);
                return 2;
        }
        r = pam_start_confdir(argv[2], argv[3], &c, argv[1], &pamh);
        if (r != PAM_SUCCESS) {
                fprintf(stderr, "pam-account: pam_start_confdir: %d\n", r);
                return 2;
        }
        r = pam_acct_mgmt(pamh, 0);
        printf("result: %s (%d)\n", r == PAM_SUCCESS ? "admitted" : pam_strerror(pamh, r), r);
        (void) pam_end(pamh, r);
        return r == PAM_SUCCESS ? 0 : 1;
}
