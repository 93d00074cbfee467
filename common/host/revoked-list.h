/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* state_dir/revoked (root 0600): every revoked grant id, sorted, one a line:
 * the accepted head's and those revoked early (revoke-early.h). */

#include <stdbool.h>

#include "error.h"
#include "jit-conf.h"

/* Is the whole revoked list naming jti? Only a token typed at the prompt
 * needs this: it may not be in the bundle at all. */
int host_revoked_contains(const struct jit_config *c, const char *jti, bool *ret,
                          struct jit_error *err);
/* Every id of state_dir/revoked, sorted (*ret NULL and *ret_n 0 when there
 * is none): what the accepted head revokes, and what was revoked early. */
int host_revoked_load(const struct jit_config *c, char ***ret, size_t *ret_n,
                      struct jit_error *err);
