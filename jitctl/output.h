/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What jitctl says and how it exits, in one place. Messages go to standard
 * error as "jitctl: …" (warnings "jitctl: warning: …"); results go to
 * standard output, so that a diff or a token can be piped. Each command
 * returns one of the exit codes below, documented in docs/jitctl.1.scd
 * (EXIT STATUS) and in EXIT_CODES_HELP. The names start with ctl_ so that
 * none collides with the agent's log_* macros (jit-agent/agent.h). */

#include "error.h"
#include "macro.h"

enum {
        EXIT_OK = 0,      /* success; verify: the token is valid; pam: done or nothing to do */
        EXIT_INVALID = 1, /* verify: invalid token or bundle; pam: refused, or a rule left */
        EXIT_USAGE = 2,   /* bad option or argument */
        EXIT_SYSTEM = 3,  /* I/O, unreadable key or config, crypto failure */
};

#define EXIT_CODES_HELP                                                                            \
        "Exit status:\n"                                                                           \
        "  0  success (verify: the token is valid)\n"                                              \
        "  1  the token or bundle is invalid (verify)\n"                                           \
        "  2  usage error: bad option or argument\n"                                               \
        "  3  system error: I/O, unreadable key, config or trust store, crypto failure\n"

/* "jitctl: message" on standard error. */
void ctl_error(const char *fmt, ...) _printf_(1, 2);
/* "jitctl: warning: message" on standard error. */
void ctl_warning(const char *fmt, ...) _printf_(1, 2);
/* "jitctl: PATH: message", unless the message names PATH already. */
void ctl_file_error(const char *path, const struct jit_error *err);
