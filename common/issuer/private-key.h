/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Private keys: generation, PEM files, the public half as a JWK. The
 * issuer's side only (jitctl, tests); never on a host's login path. */

#include <json-c/json.h>
#include <openssl/evp.h>

#include "error.h"
#include "jwk.h"

/* Key material for signing (jitctl and tests; never on a host's login path). */
int key_generate(enum jws_alg alg, EVP_PKEY **ret, struct jit_error *err);
/* A PEM private key (PKCS#8); *ret_alg is EdDSA or ES256 from the key type. */
int key_load_private(const char *path, EVP_PKEY **ret, enum jws_alg *ret_alg,
                     struct jit_error *err);
int key_save_private(const char *path, EVP_PKEY *pkey, struct jit_error *err);
/* The public half as a JWK object with kid and alg. */
int key_to_public_jwk(EVP_PKEY *pkey, enum jws_alg alg, const char *kid, struct json_object **ret,
                      struct jit_error *err);
/* The RFC 7638 thumbprint (SHA-256, base64url): the default kid. */
int key_thumbprint(EVP_PKEY *pkey, char **ret, struct jit_error *err);
