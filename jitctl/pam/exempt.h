/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The break-glass path as jitctl pam enable wires it: jit.conf's
 * exempt_users and exempt_group are checked against the user database and
 * written onto the pam_jit.so lines (exempt=…, exempt_group=…), where
 * pam_jit reads them before any file (docs/decisions.md, "Break-glass lives
 * on the PAM line"). */

#include "apply.h"
#include "jit-conf.h"

/* Each exempt user and the exempt group must exist: in the user database
 * (NSS) on "/", in ROOT/etc/passwd and ROOT/etc/group under --root (a
 * warning when the tree has none). A missing one is printed and sets
 * w->refused; no break-glass path at all is a warning. */
int exempt_check(struct wiring *w, const struct jit_config *c);

/* " exempt=a,b exempt_group=g" (each part only when set), malloc'd into
 * *ret, or "" when neither is. */
int exempt_args(const struct jit_config *c, char **ret);
