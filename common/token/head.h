/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The head: the one signed object of the store, the only one with a fixed
 * name and the only one a host polls. It names the store's serial (which
 * only grows), its freshness deadline, the revocations in force (each with
 * the time until which it is listed) and the digest, size and bin of every
 * shard (docs/bundle-format.md). Shards hold the grant tokens. */

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "grant.h"
#include "jwk.h"

struct json_object;

struct head_shard {
        uint32_t bin;
        uint32_t size;   /* bytes */
        char digest[65]; /* SHA-256 of the bytes, lowercase hex: the object's name */
};

struct head {
        char *iss;
        int64_t iat, exp;
        uint64_t serial;
        uint32_t bins;
        char **revoked; /* grant ids, NULL-terminated, sorted */
        size_t n_revoked;
        struct head_shard *shards; /* sorted by bin, then digest */
        size_t n_shards;
};

void head_free(struct head *h);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct head *, head_free);

int head_from_claims(struct json_object *claims, struct head **ret, struct jit_error *err);

/* Signature (typ jit-head+jwt), structure, trusted issuer, exp after iat,
 * iat not in the future beyond leeway. Freshness is the caller's: a host
 * refuses a new head past its exp (store-apply.h), while a held one going
 * stale is a policy decision (stale_after, stale_policy). */
int head_from_token(const char *token, size_t len, const struct trust_store *ts,
                    const struct grant_policy *policy, int64_t now, struct head **ret,
                    struct jit_error *err);

/* Fresh while now - clock_skew < exp: stale from exactly exp + skew on. */
bool head_is_fresh(const struct head *h, int64_t now, int64_t clock_skew);

bool head_is_revoked(const struct head *h, const char *jti);

/* Is s 64 lowercase hex digits (a digest, an object's name)? */
bool digest_hex_is_valid(const char *s, size_t len);
