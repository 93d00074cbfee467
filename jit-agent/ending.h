/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Sessions being ended, on disk (ending.c): run_dir/ending/<session> for a
 * whole session, <session>.<uid> for what runs as an elevation's target in
 * it. Written when the SIGTERMs go out, removed once nothing of it is left,
 * so an agent that starts again finishes the SIGKILLs a stopped or crashed
 * one had pending. */

#include <stdint.h>

#include "agent.h"
#include "error.h"

/* The file of k, written atomically, root 0600 in a root 0700 folder. */
int ending_save(const char *run_dir, const struct pending_kill *k, struct jit_error *err);
/* Remove the file of k; 0 when it was not there. */
int ending_remove(const char *run_dir, const struct pending_kill *k);
/* Every pending kill on disk. A deadline later than now + max_wait (one
 * from another boot's clock) becomes now + max_wait. A file that cannot be
 * read safely is reported in *ret_bad (its name, for the caller's alarm) and
 * still yields a kill of the session its name gives, due now: what an
 * unreadable file asked for is done, never dropped. */
int ending_load_all(const char *run_dir, uint64_t now, uint64_t max_wait, struct pending_kill **ret,
                    size_t *ret_n, char ***ret_bad, struct jit_error *err);
