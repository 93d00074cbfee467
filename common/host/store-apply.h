/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Accepting a head and its shards: the files jit-agent keeps on each host
 * and pam_jit reads (docs/security.md, "Who writes which file"):
 *
 *   state_dir/head.jwt        the last accepted head                 root 0600
 *   state_dir/shards/<sha256> the shards of this host's bins         root 0600
 *   state_dir/state           serial, head digest, fetch times       root 0600
 *   state_dir/users/<user>    the user's grants and revocations      root 0600
 *   state_dir/revoked         every revoked grant id, sorted         root 0600
 *   run_dir/facts             this host's facts                      root 0644
 *
 * The order of an update: the head is checked (hoststate_head_check), the
 * shards it names for this host's facts that are not held yet are fetched
 * and saved under their digest (hoststate_shard_save: content-addressed, so
 * saving one changes nothing the host acts on), then hoststate_apply_head
 * writes users/, revoked, head.jwt and, last, state: the commit point. A
 * host never holds half a serial. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "head.h"
#include "jit-conf.h"
#include "jwk.h"
#include "selector.h"

struct apply_result {
        uint64_t serial;
        size_t n_shards;  /* shards of this host's bins */
        size_t n_grants;  /* grants written to user files */
        size_t n_invalid; /* grants in those shards that failed verification */
        size_t n_other;   /* grants there for other hosts (their bins shared), left out */
        size_t n_users;
        size_t n_revoked;
        bool unchanged; /* the same bytes as the accepted head */
};

/* Verify a fetched head (signature, typ jit-head+jwt, issuer, iat) and
 * refuse a lower serial than the accepted one, or the same serial with
 * other bytes (ROLLBACK), and a new head already past its exp (STALE).
 * *ret_unchanged: these are the accepted head's bytes (then exp is not
 * checked: holding a head that goes stale is stale_policy's business). */
int hoststate_head_check(const struct jit_config *c, const struct trust_store *ts,
                         const char *token, size_t len, int64_t now, struct head **ret,
                         bool *ret_unchanged, struct jit_error *err);

/* The shards of h that this host needs (those of the bins of its facts),
 * as indexes into h->shards, at most JIT_HOST_SHARDS_MAX. */
int hoststate_head_needs(const struct head *h, const struct host_facts *facts, size_t **ret,
                         size_t *ret_n, struct jit_error *err);

/* Does state_dir/shards hold the shard of this digest? */
bool hoststate_shard_present(const struct jit_config *c, const char *digest);

/* Save a fetched shard as state_dir/shards/<digest>, only if data is
 * exactly its size and hashes to its digest (DIGEST otherwise). */
int hoststate_shard_save(const struct jit_config *c, const struct head_shard *s, const void *data,
                         size_t len, struct jit_error *err);

/* Make a checked head this host's: read its shards for these facts from
 * state_dir/shards (each one missing is an error naming it), verify every
 * grant, keep those that apply to this host, write users/<user>, revoked,
 * head.jwt, then state; then remove the shards no longer needed. Grants
 * that fail verification are left out and counted, never fatal. */
int hoststate_apply_head(const struct jit_config *c, const struct trust_store *ts,
                         const struct host_facts *facts, const struct head *h, const char *token,
                         size_t len, int64_t now, struct apply_result *ret, struct jit_error *err);

/* hoststate_head_check() then, unless unchanged (and not force),
 * hoststate_apply_head(): for tools and tests whose shards are saved
 * already. */
int hoststate_apply_store(const struct jit_config *c, const struct trust_store *ts,
                          const struct host_facts *facts, const char *token, size_t len,
                          int64_t now, bool force, struct apply_result *ret, struct jit_error *err);
