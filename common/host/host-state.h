/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* state_dir/state (root 0600): which bundle this host accepted, and when.
 * The other files of state_dir are in user-grants.h, revoked-list.h and
 * store-apply.h; docs/security.md ("Who writes which file") lists them. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "jit-conf.h"

/* "key value" lines. */
struct host_state {
        uint64_t serial;        /* highest accepted serial; 0 = none yet */
        char bundle_sha256[65]; /* hex digest of the accepted bundle's bytes */
        int64_t bundle_iat;     /* of the accepted bundle */
        int64_t bundle_exp;     /* of the accepted bundle */
        int64_t accepted;       /* when it was accepted */
        int64_t last_fetch;     /* last successful fetch (200 or 304) */
};

int host_state_parse(const char *text, size_t len, struct host_state *ret, struct jit_error *err);
int host_state_format(const struct host_state *s, char **ret);
/* -ENOENT with *ret zeroed when there is no state yet. */
int host_state_load(const struct jit_config *c, struct host_state *ret, struct jit_error *err);
int host_state_save(const struct jit_config *c, const struct host_state *s, struct jit_error *err);
/* The SHA-256 of a bundle's bytes, in hex: how the state names a bundle. */
int bundle_sha256_hex(const void *data, size_t len, char ret[65], struct jit_error *err);

/* Is stale_policy = deny in force? True when now is past the bundle's
 * freshness deadline plus stale_after (and clock_skew). */
bool host_store_is_stale(const struct jit_config *c, int64_t bundle_exp, int64_t now);
