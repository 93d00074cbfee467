/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Key files (key-files.c): run_dir/keys/<user> holds exactly the keys of
 * the user's usable ssh grants. */

#include <stddef.h>
#include <stdint.h>

#include "agent.h"

/* Rewrite the files that changed; *next gets the earliest time a file
 * changes, *ret_grants the number of usable grants. */
int keys_sync(struct agent *a, const struct host_snapshot *snap, int64_t now, int64_t *next,
              size_t *ret_grants);
