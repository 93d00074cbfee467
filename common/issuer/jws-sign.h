/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Signing compact JWS (RFC 7515): the issuer's side. Only jitctl and the
 * tests link libjitissuer; pam_jit.so and jit-agent cannot sign. */

#include <json-c/json.h>
#include <openssl/evp.h>

#include "error.h"
#include "jwk.h"
#include "jws.h"

/* Sign header_json.payload_json (both used byte for byte) with pkey as alg.
 * Lets tests build hostile tokens; jws_sign() below builds normal ones. */
int jws_sign_compact(EVP_PKEY *pkey, enum jws_alg alg, const char *header_json,
                     const char *payload_json, char **ret, struct jit_error *err);

/* Sign payload (a JSON object) with header {"alg","typ","kid"}. */
int jws_sign(EVP_PKEY *pkey, enum jws_alg alg, const char *kid, const char *typ,
             struct json_object *payload, char **ret, struct jit_error *err);
