/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Revoking ahead of the shards (docs/bundle-format.md, "Revocations ahead
 * of the shards"). A head that passed hoststate_head_check() and is newer
 * than the accepted one has its revocations take effect at once, before
 * and whatever becomes of the fetch of its shards: a store that withholds
 * or lost a shard delays the head's new grants, never its revocations.
 *
 * Only access is removed: state_dir/revoked-early (revoked-early.h) records
 * the ids with the head's serial, each users/<user> file holding a grant
 * the head revokes gains its "revoked" line (the file's serial, freshness
 * and grants stay those of the accepted head), and state_dir/revoked,
 * written last, gains the ids: an id there is in force everywhere. The accepted serial, head.jwt
 * and state do not change; the full apply (store-apply.h) keeps these revocations until a head at
 * least as new is applied in full. */

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "head.h"
#include "jit-conf.h"
#include "jwk.h"

struct revoke_early_result {
        uint64_t serial; /* the head's */
        size_t n_new;    /* ids revoked on this host now that were not before */
        size_t n_users;  /* users/<user> files that gained a revoked line */
        size_t n_grants; /* grants of this host revoked by those lines */
};

/* h must have passed hoststate_head_check() (signature, typ, issuer,
 * freshness, serial). A head not newer than the accepted one changes
 * nothing (the full apply is its business). Idempotent: the same head
 * again, or after a restart, finds nothing new (n_new 0). */
int hoststate_revoke_early(const struct jit_config *c, const struct trust_store *ts,
                           const struct head *h, struct revoke_early_result *ret,
                           struct jit_error *err);
