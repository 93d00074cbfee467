/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The checks without which jitctl pam enable would lock people out: the
 * configuration and trust store load, issuers are set, each exempt user
 * exists (exempt.h), and jit-agent has accepted a bundle that is not stale
 * (force turns only this last refusal into a warning). */

#include <stdbool.h>
#include <stdint.h>

#include "apply.h"
#include "jit-conf.h"

/* config: jit.conf as a host path (NULL: the default). Each failed check
 * is printed and sets w->refused; *ret_config gets the configuration
 * (paths in it are host paths, state_dir excepted: under the root). */
int enable_preconditions(struct wiring *w, const char *config, bool force, int64_t now,
                         struct jit_config **ret_config);
