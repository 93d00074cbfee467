/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Accepting a bundle: the files jit-agent keeps on each host and pam_jit
 * reads (docs/security.md, "Who writes which file"):
 *
 *   state_dir/bundle.jwt      the last accepted bundle            root 0600
 *   state_dir/state           serial, hashes, fetch times          root 0600
 *   state_dir/users/<user>    the user's grants and revocations    root 0600
 *   state_dir/revoked         every revoked grant id, sorted       root 0600
 *   run_dir/facts             this host's facts                    root 0644
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bundle.h"
#include "error.h"
#include "jit-conf.h"
#include "jwk.h"

struct apply_result {
        uint64_t serial;
        size_t n_grants;  /* grants written to user files */
        size_t n_invalid; /* grants in the bundle that failed verification */
        size_t n_users;
        size_t n_revoked;
        bool unchanged; /* the same bytes as the accepted bundle */
};

/* Verify a bundle and make it this host's: refuse a lower serial, or the
 * same serial with other bytes (JIT_REASON_ROLLBACK); write bundle.jwt,
 * users/<user> for every user with grants (removing the files of users who
 * have none now), revoked, then state, each atomically. Grants that fail
 * verification are left out and counted, never fatal. jit-agent calls this
 * for every fetched bundle; tests call it to stage a host. */
int hoststate_apply_bundle(const struct jit_config *c, const struct trust_store *ts,
                           const char *token, size_t len, int64_t now, struct apply_result *ret,
                           struct jit_error *err);
