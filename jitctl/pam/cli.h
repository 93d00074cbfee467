/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* jitctl pam enable|disable|status: wire pam_jit.so into the sshd and sudo
 * PAM stacks (and sshd's AuthorizedKeysFile) of this host or of --root DIR.
 * Returns an exit code of output.h. */

int verb_pam(int argc, char *argv[]);
