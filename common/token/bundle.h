/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The bundle the store serves: a signed list of grant tokens and revoked
 * grant ids, with a serial that only grows and a freshness deadline. */

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "grant.h"
#include "jwk.h"

struct json_object;

struct bundle {
        char *iss;
        int64_t iat, exp;
        uint64_t serial;
        const char **grants; /* grant tokens, NULL-terminated, borrowed from claims */
        size_t n_grants;
        char **revoked; /* grant ids, NULL-terminated, sorted */
        size_t n_revoked;
        struct json_object *claims; /* a reference: the payload the grants live in */
};

void bundle_free(struct bundle *b);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct bundle *, bundle_free);

int bundle_from_claims(struct json_object *claims, struct bundle **ret, struct jit_error *err);

/* Signature (typ jit-bundle+jwt), structure, trusted issuer, exp after iat,
 * iat not in the future beyond leeway. Freshness is not checked here: a
 * stale bundle is a policy decision (stale_after, stale_policy). */
int bundle_from_token(const char *token, size_t len, const struct trust_store *ts,
                      const struct grant_policy *policy, int64_t now, struct bundle **ret,
                      struct jit_error *err);

/* Fresh while now - clock_skew < exp: stale from exactly exp + skew on. */
bool bundle_is_fresh(const struct bundle *b, int64_t now, int64_t clock_skew);

bool bundle_is_revoked(const struct bundle *b, const char *jti);
