/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* state_dir/revoked (root 0600): every revoked grant id, sorted, one a line. */

#include <stdbool.h>

#include "error.h"
#include "jit-conf.h"

/* Is the whole revoked list naming jti? Only a token typed at the prompt
 * needs this: it may not be in the bundle at all. */
int host_revoked_contains(const struct jit_config *c, const char *jti, bool *ret,
                          struct jit_error *err);
