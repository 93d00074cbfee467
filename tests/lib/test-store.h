/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Staging a host from grant tokens as jit-agent would from a store: the
 * tokens placed in shards by the real rules (store_build), saved into the
 * host's state_dir/shards, a head over them signed by a test key, and
 * hoststate_apply_store(). Part of test_util_dep. */

#include <stddef.h>
#include <stdint.h>

#include "selector.h"
#include "store-apply.h"
#include "test-util.h"

/* The default head claims at now (iss TEST_ISSUER, iat now-10, exp now+900,
 * serial 7, bins 8, revoked [], shards []), with overrides. */
char *test_head_claims(int64_t now, const struct test_member *overrides);
/* A signed head (typ jit-head+jwt) over test_head_claims(). */
char *test_head_token(const struct test_key *k, int64_t now, const struct test_member *overrides);

/* Place the n tokens in shards (a token whose payload cannot be read goes
 * under facts' host), save them into c's state_dir/shards, sign with k a
 * head naming them and the revoked ids (revoked_json: a JSON array of
 * strings, each listed a day; NULL: none) with head_overrides, and apply it
 * for facts at now. *ret_head gets the head's text when not NULL. Returns
 * what hoststate_apply_store() returns. */
int test_store_apply(const struct test_key *k, const struct jit_config *c,
                     const struct trust_store *ts, const struct host_facts *facts,
                     char *const *tokens, size_t n, const char *revoked_json,
                     const struct test_member *head_overrides, int64_t now,
                     struct apply_result *res, char **ret_head, struct jit_error *err);

/* The "shards" member text ([[BIN,SIZE,"SHA256"],…]) for the n tokens as
 * test_store_apply() places them in 8 bins, their shards saved into c's
 * state_dir/shards. */
char *test_store_save_shards(const struct jit_config *c, const struct host_facts *facts,
                             char *const *tokens, size_t n);

/* Write a store folder as jitctl publish would: dir/objects/<sha256> for
 * the shards of the n tokens (placed as above) and dir/head.jwt signed by
 * k with head_overrides. */
void test_store_write(const char *dir, const struct test_key *k, const struct host_facts *facts,
                      char *const *tokens, size_t n, const struct test_member *head_overrides,
                      int64_t now);

/* ["a","b"] as the head lists revocations: [["a",now+86400],["b",now+86400]]
 * (entries that are arrays already are kept). */
char *test_revoked_pairs(const char *json, int64_t now);

/* The strings of a JSON array text, as a NULL-terminated list (strv_free). */
char **test_json_strv(const char *json_array, size_t *ret_n);
