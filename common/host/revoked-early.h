/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* state_dir/revoked-early (root 0600): the revocations of heads newer than
 * the accepted one, applied ahead of their shards (store-revoke.h,
 * docs/bundle-format.md "Revocations ahead of the shards"). Lines "serial N"
 * (the newest such head), then "revoked JTI", sorted, each id once. It
 * lives until a head at least that new is applied in full; one whose serial
 * is not above the accepted serial is stale and counts as empty. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "jit-conf.h"

struct revoked_early {
        uint64_t serial; /* 0: none */
        char **ids;      /* sorted, unique, NULL-terminated (NULL when n_ids is 0) */
        size_t n_ids;
};

void revoked_early_done(struct revoked_early *e);
int revoked_early_parse(const char *text, size_t len, struct revoked_early *ret,
                        struct jit_error *err);
int revoked_early_format(const struct revoked_early *e, char **ret);
/* An absent file is an empty set (0). */
int revoked_early_load(const struct jit_config *c, struct revoked_early *ret,
                       struct jit_error *err);
/* Written atomically and synced: the commit point of an early revocation. */
int revoked_early_save(const struct jit_config *c, const struct revoked_early *e,
                       struct jit_error *err);
/* Gone once a head at least as new as e->serial is applied in full. */
int revoked_early_remove(const struct jit_config *c, struct jit_error *err);
bool revoked_early_contains(const struct revoked_early *e, const char *jti);
