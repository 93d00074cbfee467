/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Signing compact JWS: the issuer's side (jitctl, tests). pam_jit and
 * jit-agent only verify (token/jws.c) and do not link this. */

#include <errno.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <stdio.h>
#include <string.h>

#include "base64url.h"
#include "json.h"
#include "jws-sign.h"

/* DER → r||s, each left-padded to 32 bytes. */
static int es256_der_to_raw(const uint8_t *der, size_t der_len,
                            uint8_t ret[JWS_RAW_SIGNATURE_LEN]) {
        _cleanup_(ECDSA_SIG_freep) ECDSA_SIG *es = NULL;
        const BIGNUM *r, *s;
        const uint8_t *p = der;

        es = d2i_ECDSA_SIG(NULL, &p, (long) der_len);
        if (!es)
                return -EIO;
        ECDSA_SIG_get0(es, &r, &s);
        if (BN_bn2binpad(r, ret, JWS_ES256_COMPONENT) != JWS_ES256_COMPONENT ||
            BN_bn2binpad(s, ret + JWS_ES256_COMPONENT, JWS_ES256_COMPONENT) != JWS_ES256_COMPONENT)
                return -EIO;
        return 0;
}

static int jws_sign_bytes(EVP_PKEY *pkey, enum jws_alg alg, const uint8_t *msg, size_t msg_len,
                          uint8_t **ret, size_t *ret_len, struct jit_error *err) {
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = NULL;
        _cleanup_free_ uint8_t *sig = NULL;
        EVP_PKEY_CTX *pctx = NULL;
        size_t sig_len = 0;

        ctx = EVP_MD_CTX_new();
        if (!ctx)
                return jit_error_oom(err);
        if (EVP_DigestSignInit(ctx, &pctx, jws_alg_md(alg), NULL, pkey) != 1 ||
            jws_set_padding(pctx, alg) != 1 ||
            EVP_DigestSign(ctx, NULL, &sig_len, msg, msg_len) != 1)
                goto fail;
        sig = malloc(sig_len);
        if (!sig)
                return jit_error_oom(err);
        if (EVP_DigestSign(ctx, sig, &sig_len, msg, msg_len) != 1)
                goto fail;

        if (alg == JWS_ALG_ES256) {
                uint8_t raw[JWS_RAW_SIGNATURE_LEN];

                if (es256_der_to_raw(sig, sig_len, raw) < 0)
                        goto fail;
                memcpy(sig, raw, sizeof(raw)); /* DER is always longer than 64 */
                sig_len = sizeof(raw);
        }
        *ret = TAKE_PTR(sig);
        *ret_len = sig_len;
        return 0;
fail:
        ERR_clear_error();
        return jit_error_set(err, EIO, JIT_REASON_KEY, "signing with %s failed (wrong key type?)",
                             jws_alg_to_string(alg));
}

int jws_sign_compact(EVP_PKEY *pkey, enum jws_alg alg, const char *header_json,
                     const char *payload_json, char **ret, struct jit_error *err) {
        _cleanup_free_ char *h = NULL, *p = NULL, *s = NULL, *input = NULL;
        _cleanup_free_ uint8_t *sig = NULL;
        size_t sig_len;
        int r;

        if (base64url_encode((const uint8_t *) header_json, strlen(header_json), &h, NULL) < 0 ||
            base64url_encode((const uint8_t *) payload_json, strlen(payload_json), &p, NULL) < 0 ||
            asprintf(&input, "%s.%s", h, p) < 0)
                return jit_error_oom(err);

        r = jws_sign_bytes(pkey, alg, (const uint8_t *) input, strlen(input), &sig, &sig_len, err);
        if (r < 0)
                return r;
        if (base64url_encode(sig, sig_len, &s, NULL) < 0)
                return jit_error_oom(err);
        if (asprintf(ret, "%s.%s", input, s) < 0)
                return jit_error_oom(err);
        return 0;
}

int jws_sign(EVP_PKEY *pkey, enum jws_alg alg, const char *kid, const char *typ,
             struct json_object *payload, char **ret, struct jit_error *err) {
        _cleanup_json_ struct json_object *header = NULL;
        const int flags = JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE;
        const char *h, *p;

        header = json_object_new_object();
        if (!header ||
            json_object_object_add(header, "alg", json_object_new_string(jws_alg_to_string(alg))) <
                    0 ||
            json_object_object_add(header, "typ", json_object_new_string(typ)) < 0 ||
            json_object_object_add(header, "kid", json_object_new_string(kid)) < 0)
                return jit_error_oom(err);
        h = json_object_to_json_string_ext(header, flags);
        p = json_object_to_json_string_ext(payload, flags);
        if (!h || !p)
                return jit_error_oom(err);
        return jws_sign_compact(pkey, alg, h, p, ret, err);
}
