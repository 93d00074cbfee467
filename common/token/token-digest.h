/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* SHA-256 of a token's exact bytes, and a sorted set of them: what a caller
 * remembers of tokens it has seen verify under one trust store, so that the
 * same bytes met again need their claims checked but not their signature
 * (grant_from_verified_token(), grant.h). 32 bytes a token, whatever the
 * token's size: a tampered token is other bytes, hence another digest. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TOKEN_DIGEST_LEN 32

struct token_digest {
        uint8_t b[TOKEN_DIGEST_LEN];
};

struct token_digest_set {
        struct token_digest *v; /* sorted, no duplicates */
        size_t n;
};

/* 0, or -EIO when OpenSSL fails. */
int token_digest(const char *token, size_t len, struct token_digest *ret);
bool token_digest_set_contains(const struct token_digest_set *s, const struct token_digest *d);
/* Take v[0..n) (malloc()ed; freed here on failure too) as the set's
 * contents: sorted and made unique. */
void token_digest_set_adopt(struct token_digest_set *s, struct token_digest *v, size_t n);
void token_digest_set_done(struct token_digest_set *s);
