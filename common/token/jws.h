/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* JWS compact serialisation (RFC 7515) with the rules of RFC 8725: the key
 * picked by kid fixes the algorithm; typ is required and compared exactly;
 * crit is refused; none and HMAC are refused. */

#include <json-c/json.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "jwk.h"

#define JWS_TYP_GRANT "jit-grant+jwt"
#define JWS_TYP_HEAD "jit-head+jwt"

#define JWS_ES256_COMPONENT 32   /* r and s of an ES256 signature, bytes each */
#define JWS_RAW_SIGNATURE_LEN 64 /* Ed25519, and ES256 as r||s */

DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_MD_CTX *, EVP_MD_CTX_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(ECDSA_SIG *, ECDSA_SIG_free);

/* The digest of alg for EVP_DigestVerifyInit()/EVP_DigestSignInit() (NULL
 * for EdDSA, which hashes internally), and the RSA-PSS parameters PS256
 * fixes (1 on success, as OpenSSL counts). Shared with the issuer's signing
 * (issuer/jws-sign.c), so that both sides use the same parameters. */
const EVP_MD *jws_alg_md(enum jws_alg alg);
int jws_set_padding(EVP_PKEY_CTX *pctx, enum jws_alg alg);

/* Verify sig over msg with key, with key->alg. ES256 and EdDSA signatures
 * must be exactly 64 bytes; this is checked before OpenSSL sees them. */
int jws_verify_raw(const struct jwk *key, const uint8_t *msg, size_t msg_len, const uint8_t *sig,
                   size_t sig_len, struct jit_error *err);

struct jws {
        struct json_object *header;  /* owned */
        struct json_object *payload; /* owned; a JSON object */
        const struct jwk *key;       /* borrowed from the trust store */
};

/* Parse and verify a compact JWS of at most max_len bytes whose typ must be
 * `typ`. The payload is parsed (strictly) only after the signature verified. */
int jws_decode_verify(const char *token, size_t len, size_t max_len, const struct trust_store *ts,
                      const char *typ, struct jws *ret, struct jit_error *err);
/* The same checks but the signature's: only for these exact bytes when the
 * caller has seen them verify under the same trust store (their SHA-256 in a
 * token_digest_set, token-digest.h). Header, kid, typ and payload are
 * checked as by jws_decode_verify(). */
int jws_decode_verified(const char *token, size_t len, size_t max_len, const struct trust_store *ts,
                        const char *typ, struct jws *ret, struct jit_error *err);
void jws_done(struct jws *j);

/* Decode the header without verifying anything: for explaining a token
 * (jitctl verify), never for deciding. */
int jws_peek_header(const char *token, size_t len, struct json_object **ret, struct jit_error *err);
