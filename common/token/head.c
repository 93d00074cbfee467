/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "head.h"
#include "jit-limits.h"
#include "json.h"
#include "jws.h"

void head_free(struct head *h) {
        if (!h)
                return;
        free(h->iss);
        strv_free(h->revoked);
        free(h->shards);
        free(h);
}

bool digest_hex_is_valid(const char *s, size_t len) {
        if (!s || len != 64)
                return false;
        for (size_t i = 0; i < len; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

/* One element of "revoked": ["JTI", UNTIL]; the id appended to *l. */
static int revoked_entry(struct json_object *e, size_t i, char ***l, size_t *n,
                         struct jit_error *err) {
        struct json_object *jti, *until;
        const char *s;
        int64_t t;

        if (!json_object_is_type(e, json_type_array) || json_object_array_length(e) != 2)
                return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_TYPE,
                                     "head 'revoked[%zu]' is not [\"JTI\", UNTIL]", i);
        jti = json_object_array_get_idx(e, 0);
        until = json_object_array_get_idx(e, 1);
        if (!json_object_is_type(jti, json_type_string) ||
            !json_object_is_type(until, json_type_int))
                return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_TYPE,
                                     "head 'revoked[%zu]' is not [\"JTI\", UNTIL]", i);
        s = json_object_get_string(jti);
        if (!grant_id_is_valid(s, (size_t) json_object_get_string_len(jti)))
                return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_VALUE,
                                     "head 'revoked[%zu]' is not a valid grant id", i);
        errno = 0;
        t = json_object_get_int64(until);
        if (errno != 0 || t < 0 || t > JIT_TIME_MAX)
                return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_RANGE,
                                     "head 'revoked[%zu]' has an until out of range", i);
        if (strv_append_n(l, n, s, strlen(s)) < 0)
                return jit_error_oom(err);
        return 0;
}

/* One element of "shards": [BIN, SIZE, "DIGEST"]. */
static int shard_entry(struct json_object *e, size_t i, uint32_t bins, struct head_shard *ret,
                       struct jit_error *err) {
        struct json_object *bin, *size, *digest;
        int64_t b, s;

        if (!json_object_is_type(e, json_type_array) || json_object_array_length(e) != 3)
                return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_TYPE,
                                     "head 'shards[%zu]' is not [BIN, SIZE, \"SHA256\"]", i);
        bin = json_object_array_get_idx(e, 0);
        size = json_object_array_get_idx(e, 1);
        digest = json_object_array_get_idx(e, 2);
        if (!json_object_is_type(bin, json_type_int) || !json_object_is_type(size, json_type_int) ||
            !json_object_is_type(digest, json_type_string))
                return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_TYPE,
                                     "head 'shards[%zu]' is not [BIN, SIZE, \"SHA256\"]", i);
        b = json_object_get_int64(bin);
        s = json_object_get_int64(size);
        if (b < 0 || b >= (int64_t) bins)
                return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_RANGE,
                                     "head 'shards[%zu]': bin %lld is not below bins %u", i,
                                     (long long) b, bins);
        if (s < 1 || s > (int64_t) JIT_SHARD_MAX)
                return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_RANGE,
                                     "head 'shards[%zu]': size %lld is not in 1..%u", i,
                                     (long long) s, JIT_SHARD_MAX);
        if (!digest_hex_is_valid(json_object_get_string(digest),
                                 (size_t) json_object_get_string_len(digest)))
                return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_VALUE,
                                     "head 'shards[%zu]': not a SHA-256 in lowercase hex", i);
        *ret = (struct head_shard){.bin = (uint32_t) b, .size = (uint32_t) s};
        memcpy(ret->digest, json_object_get_string(digest), 65);
        return 0;
}

static int shard_cmp(const void *a, const void *b) {
        const struct head_shard *x = a, *y = b;

        if (x->bin != y->bin)
                return x->bin < y->bin ? -1 : 1;
        return strcmp(x->digest, y->digest);
}

int head_from_claims(struct json_object *claims, struct head **ret, struct jit_error *err) {
        _cleanup_(head_freep) struct head *h = NULL;
        _cleanup_strv_free_ char **revoked = NULL;
        _cleanup_free_ struct head_shard *shards = NULL;
        struct json_object *a;
        const char *iss;
        int64_t serial, bins;
        size_t n, n_revoked = 0;
        int r;

        if (!json_object_is_type(claims, json_type_object))
                return jit_error_set(err, EINVAL, JIT_REASON_JSON, "claims are not a JSON object");
        h = calloc(1, sizeof(*h));
        if (!h)
                return jit_error_oom(err);

        r = json_get_string(claims, "iss", true, JIT_CLAIM_STRING_MAX, &iss, err);
        if (r < 0)
                return r;
        h->iss = strdup(iss);
        if (!h->iss)
                return jit_error_oom(err);
        r = json_get_int64(claims, "iat", true, 0, JIT_TIME_MAX, &h->iat, err);
        if (r < 0)
                return r;
        r = json_get_int64(claims, "exp", true, 0, JIT_TIME_MAX, &h->exp, err);
        if (r < 0)
                return r;
        if (h->exp <= h->iat)
                return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_VALUE,
                                     "head 'exp' is not after 'iat'");
        r = json_get_int64(claims, "serial", true, 1, (int64_t) JIT_SERIAL_MAX, &serial, err);
        if (r < 0)
                return r;
        h->serial = (uint64_t) serial;
        r = json_get_int64(claims, "bins", true, 1, JIT_STORE_BINS_MAX, &bins, err);
        if (r < 0)
                return r;
        h->bins = (uint32_t) bins;

        if (!json_object_object_get_ex(claims, "revoked", &a))
                return jit_error_set(err, ENOENT, JIT_REASON_CLAIM_MISSING,
                                     "head claim 'revoked' is missing");
        if (!json_object_is_type(a, json_type_array))
                return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_TYPE,
                                     "head claim 'revoked' is not an array");
        n = json_object_array_length(a);
        if (n > JIT_HEAD_REVOKED_MAX)
                return jit_error_set(err, E2BIG, JIT_REASON_CLAIM_RANGE,
                                     "head lists %zu revocations, more than %u", n,
                                     JIT_HEAD_REVOKED_MAX);
        for (size_t i = 0; i < n; i++) {
                r = revoked_entry(json_object_array_get_idx(a, i), i, &revoked, &n_revoked, err);
                if (r < 0)
                        return r;
        }
        if (!revoked) {
                revoked = calloc(1, sizeof(char *));
                if (!revoked)
                        return jit_error_oom(err);
        }
        h->revoked = TAKE_PTR(revoked);
        h->n_revoked = n_revoked;
        /* Sorted once here so every lookup is a binary search. */
        qsort(h->revoked, h->n_revoked, sizeof(char *), strcmp_ptr);

        if (!json_object_object_get_ex(claims, "shards", &a))
                return jit_error_set(err, ENOENT, JIT_REASON_CLAIM_MISSING,
                                     "head claim 'shards' is missing");
        if (!json_object_is_type(a, json_type_array))
                return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_TYPE,
                                     "head claim 'shards' is not an array");
        n = json_object_array_length(a);
        if (n > JIT_HEAD_SHARDS_MAX)
                return jit_error_set(err, E2BIG, JIT_REASON_CLAIM_RANGE,
                                     "head lists %zu shards, more than %u", n, JIT_HEAD_SHARDS_MAX);
        shards = calloc(n ? n : 1, sizeof(struct head_shard));
        if (!shards)
                return jit_error_oom(err);
        for (size_t i = 0; i < n; i++) {
                r = shard_entry(json_object_array_get_idx(a, i), i, h->bins, &shards[i], err);
                if (r < 0)
                        return r;
        }
        h->shards = TAKE_PTR(shards);
        h->n_shards = n;
        qsort(h->shards, h->n_shards, sizeof(struct head_shard), shard_cmp);
        /* The same bytes may sit in two bins (one grant alone under two
         * facts), never twice in one. */
        for (size_t i = 1; i < h->n_shards; i++)
                if (h->shards[i - 1].bin == h->shards[i].bin &&
                    streq(h->shards[i - 1].digest, h->shards[i].digest))
                        return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_VALUE,
                                             "head lists shard %s twice in bin %" PRIu32,
                                             h->shards[i].digest, h->shards[i].bin);
        *ret = TAKE_PTR(h);
        return 0;
}

int head_from_token(const char *token, size_t len, const struct trust_store *ts,
                    const struct grant_policy *policy, int64_t now, struct head **ret,
                    struct jit_error *err) {
        _cleanup_(jws_done) struct jws jws = {};
        _cleanup_(head_freep) struct head *h = NULL;
        int r;

        r = jws_decode_verify(token, len, JIT_HEAD_TOKEN_MAX, ts, JWS_TYP_HEAD, &jws, err);
        if (r < 0)
                return r;
        r = head_from_claims(jws.payload, &h, err);
        if (r < 0)
                return r;
        if (!strv_contains(policy->issuers, h->iss))
                return jit_error_set(err, EINVAL, JIT_REASON_ISSUER,
                                     "head issuer \"%s\" is not trusted", h->iss);
        if (h->iat > now + policy->clock_skew)
                return jit_error_set(err, EINVAL, JIT_REASON_ISSUED_IN_FUTURE,
                                     "head was issued %lld s in the future (clock skew?)",
                                     (long long) (h->iat - now));
        *ret = TAKE_PTR(h);
        return 0;
}

bool head_is_fresh(const struct head *h, int64_t now, int64_t clock_skew) {
        return now - clock_skew < h->exp;
}

bool head_is_revoked(const struct head *h, const char *jti) {
        if (!h || !jti || h->n_revoked == 0)
                return false;
        return bsearch(&jti, h->revoked, h->n_revoked, sizeof(char *), strcmp_ptr) != NULL;
}
