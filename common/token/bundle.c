/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "jit-limits.h"
#include "json.h"
#include "jws.h"

void bundle_free(struct bundle *b) {
        if (!b)
                return;
        free(b->iss);
        free(b->grants);
        strv_free(b->revoked);
        json_object_put(b->claims);
        free(b);
}

int bundle_from_claims(struct json_object *claims, struct bundle **ret, struct jit_error *err) {
        _cleanup_(bundle_freep) struct bundle *b = NULL;
        const char *iss;
        int64_t serial;
        int r;

        if (!json_object_is_type(claims, json_type_object))
                return jit_error_set(err, EINVAL, JIT_REASON_JSON, "claims are not a JSON object");
        b = calloc(1, sizeof(*b));
        if (!b)
                return jit_error_oom(err);

        r = json_get_string(claims, "iss", true, JIT_CLAIM_STRING_MAX, &iss, err);
        if (r < 0)
                return r;
        b->iss = strdup(iss);
        if (!b->iss)
                return jit_error_oom(err);

        r = json_get_int64(claims, "iat", true, 0, JIT_TIME_MAX, &b->iat, err);
        if (r < 0)
                return r;
        r = json_get_int64(claims, "exp", true, 0, JIT_TIME_MAX, &b->exp, err);
        if (r < 0)
                return r;
        if (b->exp <= b->iat)
                return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_VALUE,
                                     "bundle 'exp' is not after 'iat'");
        r = json_get_int64(claims, "serial", true, 1, (int64_t) JIT_SERIAL_MAX, &serial, err);
        if (r < 0)
                return r;
        b->serial = (uint64_t) serial;

        /* The tokens stay in the tree (a big fleet's bundle holds megabytes of
         * them): the bundle keeps a reference to it instead of copies. */
        b->claims = json_object_get(claims);
        r = json_get_string_array_borrowed(claims, "grants", true, JIT_BUNDLE_GRANTS_MAX,
                                           JIT_GRANT_TOKEN_MAX, &b->grants, err);
        if (r < 0)
                return r;
        while (b->grants[b->n_grants])
                b->n_grants++;

        /* Read with the generic string bound so that an overlong id gets the
         * same answer as in a grant's jti: not a valid grant id. */
        r = json_get_string_array(claims, "revoked", true, JIT_BUNDLE_REVOKED_MAX,
                                  JIT_CLAIM_STRING_MAX, &b->revoked, err);
        if (r < 0)
                return r;
        b->n_revoked = strv_length(b->revoked);
        for (size_t i = 0; i < b->n_revoked; i++)
                if (!grant_id_is_valid(b->revoked[i], strlen(b->revoked[i])))
                        return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_VALUE,
                                             "bundle 'revoked[%zu]' is not a valid grant id", i);
        /* Sorted once here so every lookup is a binary search: a host checks
         * each of its grants against this list. */
        qsort(b->revoked, b->n_revoked, sizeof(char *), strcmp_ptr);

        *ret = TAKE_PTR(b);
        return 0;
}

int bundle_from_token(const char *token, size_t len, const struct trust_store *ts,
                      const struct grant_policy *policy, int64_t now, struct bundle **ret,
                      struct jit_error *err) {
        _cleanup_(jws_done) struct jws jws = {};
        _cleanup_(bundle_freep) struct bundle *b = NULL;
        int r;

        r = jws_decode_verify(token, len, JIT_BUNDLE_TOKEN_MAX, ts, JWS_TYP_BUNDLE, &jws, err);
        if (r < 0)
                return r;
        r = bundle_from_claims(jws.payload, &b, err);
        if (r < 0)
                return r;
        if (!strv_contains(policy->issuers, b->iss))
                return jit_error_set(err, EINVAL, JIT_REASON_ISSUER,
                                     "bundle issuer \"%s\" is not trusted", b->iss);
        if (b->iat > now + policy->clock_skew)
                return jit_error_set(err, EINVAL, JIT_REASON_ISSUED_IN_FUTURE,
                                     "bundle was issued %lld s in the future (clock skew?)",
                                     (long long) (b->iat - now));
        *ret = TAKE_PTR(b);
        return 0;
}

bool bundle_is_fresh(const struct bundle *b, int64_t now, int64_t clock_skew) {
        return now - clock_skew < b->exp;
}

bool bundle_is_revoked(const struct bundle *b, const char *jti) {
        if (!b || !jti || b->n_revoked == 0)
                return false;
        return bsearch(&jti, b->revoked, b->n_revoked, sizeof(char *), strcmp_ptr) != NULL;
}
