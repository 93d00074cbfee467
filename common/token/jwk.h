/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Public keys (RFC 7517) and the trust store built from a JWKS file. Each key
 * carries the one algorithm it may verify (its required "alg"): a token's
 * header never chooses the algorithm. */

#include <json-c/json.h>
#include <openssl/evp.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

enum jws_alg {
        JWS_ALG_INVALID = 0,
        JWS_ALG_EDDSA, /* Ed25519 (RFC 8037); "Ed25519" (RFC 9864) is the same */
        JWS_ALG_ES256, /* ECDSA P-256 SHA-256, raw r||s (RFC 7518 §3.4) */
        JWS_ALG_RS256, /* RSASSA-PKCS1-v1_5 SHA-256, RSA >= 2048 bits */
        JWS_ALG_PS256, /* RSASSA-PSS SHA-256, MGF1-SHA-256, salt 32 */
};

/* "EdDSA", "ES256", … */
const char *jws_alg_to_string(enum jws_alg alg);

/* Map a header or JWKS alg to an algorithm we implement. "none" gives
 * reason ALG_NONE, HS* ALG_HMAC, anything else ALG_UNKNOWN (all -EINVAL). */
int jws_alg_from_string(const char *s, enum jws_alg *ret, struct jit_error *err);

struct jwk {
        char *kid;
        enum jws_alg alg;
        EVP_PKEY *pkey;
};

struct trust_store {
        struct jwk *keys;
        size_t n_keys;
};

/* One public JWK object: kty OKP/EC/RSA with the fields its alg needs; the
 * key type must fit alg; private members ("d", "p", …) are refused; RSA
 * needs 2048..8192 bits, an odd exponent and no ROCA fingerprint; EC points
 * must be on P-256; Ed25519 points must pass ed25519_point_check(); "use"
 * must be "sig" and "key_ops" just ["verify"] when present. */
int jwk_from_json(struct json_object *obj, struct jwk *ret, struct jit_error *err);
void jwk_done(struct jwk *k);

/* {"keys":[…]}: at most JIT_TRUST_KEYS_MAX keys, unique kids. */
int trust_store_parse(const char *text, size_t len, struct trust_store **ret,
                      struct jit_error *err);
int trust_store_load(const char *path, uid_t owner, struct trust_store **ret,
                     struct jit_error *err);
const struct jwk *trust_store_find(const struct trust_store *ts, const char *kid);
void trust_store_free(struct trust_store *ts);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct trust_store *, trust_store_free);

DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_PKEY *, EVP_PKEY_free);
#define _cleanup_pkey_ _cleanup_(EVP_PKEY_freep)
