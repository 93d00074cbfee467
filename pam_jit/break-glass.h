/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Break-glass from the PAM line: exempt=… and exempt_group=… are checked
 * before jit.conf, the trust store or any host state is read, so that what
 * break-glass exists to survive (a broken config, a truncated or
 * world-writable trust store) cannot lock it out (docs/decisions.md,
 * "Break-glass lives on the PAM line"). */

#include <stdbool.h>

#include "args.h"

/* Is user exempt by the module arguments? A group that cannot be looked up
 * is no exemption (the decision then goes on, and fails closed). */
bool break_glass_listed(const struct pam_jit_args *args, const char *user);

/* When user is listed: log it (with account, loudly, and whether jit-access
 * itself is broken on this host, which is when this path is the only way
 * in) and return true: the hook allows without reading anything else. */
bool break_glass_admit(pam_handle_t *pamh, const struct pam_jit_args *args, bool account,
                       const char *user);
