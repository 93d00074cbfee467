/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Building a store: grant tokens into shards by the rules of
 * common/token/store-layout.h, and the claims of the head that lists them.
 * jitctl publish writes what this builds; the tests stage hosts with it. */

#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct json_object;

/* A verified grant to place: its token, jti and aud (all borrowed). */
struct store_grant {
        const char *token;
        const char *jti;
        char *const *aud;
};

struct store_shard {
        uint32_t bin;
        char *bytes; /* the tokens, one a line */
        size_t len;
        char digest[65]; /* SHA-256 of bytes, lowercase hex */
};

struct store_build {
        struct store_shard *shards; /* sorted by bin, then digest */
        size_t n_shards;
        uint32_t bins;
};

void store_build_done(struct store_build *b);

/* Place each grant, under the fact that keys each of its aud selectors, in
 * one of bins bins; a bin whose tokens exceed chunk_target bytes is split
 * into the smallest power of two of chunks that brings each under it (by
 * the hash of the jti). The same grants always give the same shards. */
int store_build(const struct store_grant *grants, size_t n, uint32_t bins, size_t chunk_target,
                struct store_build *ret, struct jit_error *err);

struct store_revoked {
        const char *jti;
        int64_t until; /* listed until then */
};

/* {"iss","iat","exp","serial","bins","revoked":[[JTI,UNTIL]…],"shards":[[BIN,SIZE,DIGEST]…]} */
int store_head_claims(const char *iss, int64_t iat, int64_t exp, uint64_t serial,
                      const struct store_build *b, const struct store_revoked *revoked,
                      size_t n_revoked, struct json_object **ret);
