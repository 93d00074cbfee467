/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A shard: an immutable store object named by the SHA-256 of its bytes,
 * holding grant tokens, one compact JWS per line, each line ending in '\n'
 * (docs/bundle-format.md). The head pins its digest and size; every token
 * is still verified on its own by whoever reads it. */

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* The next token of the shard text at *p (before end): *ret_token and
 * *ret_len span it (not NUL-terminated), *p moves past its line. 1: a
 * token; 0: the end; -EINVAL (MALFORMED): a line that is not a well-formed
 * grant token, or a last line without '\n'. */
int shard_next_token(const char **p, const char *end, const char **ret_token, size_t *ret_len,
                     struct jit_error *err);

/* Do data[0..len) hash to digest (64 lowercase hex)? */
bool shard_digest_matches(const void *data, size_t len, const char *digest);

/* The SHA-256 of data, lowercase hex. */
int sha256_hex(const void *data, size_t len, char ret[65]);
