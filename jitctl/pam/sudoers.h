/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* sudoers rules that only pam_jit limits: with pam_jit in sudo's account
 * stack a NOPASSWD rule still needs a sudo grant; once it is out, the same
 * rule makes its users root with no grant at all. jitctl pam disable names
 * them (docs/admin-guide.md, "Roll back"). */

#include "apply.h"

/* Warn about each rule with NOPASSWD in ROOT/etc/sudoers and the files of
 * ROOT/etc/sudoers.d (as sudo reads them: no '.' in the name, no trailing
 * '~'). Returns how many were named. */
unsigned sudoers_warn_nopasswd(const struct wiring *w);
