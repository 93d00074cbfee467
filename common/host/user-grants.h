/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* state_dir/users/<user> (root 0600): one user's grant tokens and
 * revocations. pam_jit never reads the whole bundle: at 10 000 grants that
 * is megabytes to hash and parse on every login and sudo. When a bundle is
 * accepted, the agent also writes one small file per user holding that
 * user's grant tokens; pam_jit verifies each token's own signature again, so
 * the per-user file adds no trust, only speed (docs/security.md, "Who writes
 * which file"). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "jit-conf.h"

/* Lines "serial N", "bundle-exp T", then any number of "grant TOKEN" and
 * "revoked JTI". */
struct user_grants {
        uint64_t serial;    /* of the bundle this came from */
        int64_t bundle_exp; /* that bundle's freshness deadline */
        char **grants;      /* tokens whose sub is the user, NULL-terminated */
        size_t n_grants;
        char **revoked; /* ids of the user's grants that are revoked, sorted */
        size_t n_revoked;
};

void user_grants_free(struct user_grants *u);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct user_grants *, user_grants_free);
int user_grants_parse(const char *text, size_t len, struct user_grants **ret,
                      struct jit_error *err);
int user_grants_format(const struct user_grants *u, char **ret);
/* Read state_dir/users/<user> (owned by root, safe path). -ENOENT when the
 * user has no grants in the current bundle. */
int user_grants_load(const struct jit_config *c, const char *user, struct user_grants **ret,
                     struct jit_error *err);
bool user_grants_is_revoked(const struct user_grants *u, const char *jti);
