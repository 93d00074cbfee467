/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Known answers from the RFCs, signature length controls, and sign/verify
 * round trips with fresh keys of every algorithm. Over 600 lines because
 * the RFC keys and tokens are quoted here byte for byte. */

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "base64url.h"
#include "error.h"
#include "jit-limits.h"
#include "json.h"
#include "jwk.h"
#include "jws-sign.h"
#include "jws.h"
#include "macro.h"
#include "private-key.h"

/* RFC 8037 A.1/A.2 (Ed25519 key) and A.4 (its JWS). */
#define RFC8037_D "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
#define RFC8037_X "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
#define RFC8037_JWS                                                                                \
        "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-"    \
        "09PGcvM"                                                                                  \
        "g3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
#define RFC8037_JWK                                                                                \
        "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" RFC8037_X                                  \
        "\",\"alg\":\"EdDSA\",\"kid\":\"rfc8037\"}"
/* The RFC 8037 key over a header with typ and kid (Ed25519 is deterministic;
 * computed with python3-cryptography). */
#define RFC8037_GRANT_HEADER "{\"alg\":\"EdDSA\",\"typ\":\"jit-grant+jwt\",\"kid\":\"rfc8037\"}"
#define RFC8037_GRANT_PAYLOAD "{\"iss\":\"rfc8037\"}"
#define RFC8037_GRANT_JWS                                                                          \
        "eyJhbGciOiJFZERTQSIsInR5cCI6ImppdC1ncmFudCtqd3QiLCJraWQiOiJyZmM4MDM3In0."                 \
        "eyJpc3MiOiJyZmM4MDM"                                                                      \
        "3In0.m5dQWep1dCp2iksuz0HFDBz2L8s5HWSeev-"                                                 \
        "mVE5fWfDPGtB3XArwcpBLEkIHb9TzeVgzi7nQPIgRjBRn0tSZDQ"

/* RFC 7515 A.3 (ES256). The y here is the RFC's (checked against the RFC
 * text and with python3-jwcrypto); a y that circulates in copies of the
 * example, x_FEzRjWN0hGXUbyVBoH7rGfnpVGYzeGPXWxnq6n7g8, is not on the curve. */
#define RFC7515_X "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"
#define RFC7515_Y "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"
#define RFC7515_JWK                                                                                \
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" RFC7515_X "\",\"y\":\"" RFC7515_Y             \
        "\",\"alg\":\"ES256\",\"kid\":\"rfc7515\"}"
#define RFC7515_JWS                                                                                \
        "eyJhbGciOiJFUzI1NiJ9."                                                                    \
        "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLm"                   \
        "NvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-"                                \
        "F4GawxaepmXFCgfTjDxw5djxLa8ISlSApm"                                                       \
        "WQxfKTUJqPP3-Kg6NU1Q"
#define P256_ORDER "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551"

/* RFC 7638 §3.1. */
#define RFC7638_JWK                                                                                \
        "{\"kty\":\"RSA\",\"n\":"                                                                  \
        "\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1"                    \
        "RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_"      \
        "RN5w6Cf0"                                                                                 \
        "h4QyQ5v-65YGjQR0_"                                                                        \
        "FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qN"               \
        "Lyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-"              \
        "kEgU8awapJzKnqDK"                                                                         \
        "gw\",\"e\":\"AQAB\",\"alg\":\"RS256\",\"kid\":\"2011-04-29\"}"

struct segments {
        char *signing_input; /* header.payload */
        uint8_t *sig;
        size_t sig_len;
};

static void segments_done(struct segments *s) {
        free(s->signing_input);
        free(s->sig);
}

static void split_token(const char *token, struct segments *ret) {
        const char *dot1 = strchr(token, '.');
        const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;

        assert_non_null(dot2);
        ret->signing_input = strndup(token, (size_t) (dot2 - token));
        assert_non_null(ret->signing_input);
        assert_int_equal(
                base64url_decode(dot2 + 1, strlen(dot2 + 1), &ret->sig, &ret->sig_len, NULL), 0);
}

static char *join_token(const char *signing_input, const uint8_t *sig, size_t sig_len) {
        _cleanup_free_ char *s = NULL;
        char *t = NULL;

        assert_int_equal(base64url_encode(sig, sig_len, &s, NULL), 0);
        assert_true(asprintf(&t, "%s.%s", signing_input, s) > 0);
        return t;
}

static void jwk_load(const char *json, struct jwk *k) {
        _cleanup_json_ struct json_object *o = json_tokener_parse(json);
        struct jit_error err = {};

        assert_non_null(o);
        if (jwk_from_json(o, k, &err) < 0)
                fail_msg("jwk_from_json: %s: %s", jit_reason_to_string(err.reason), err.message);
}

static struct trust_store *store_of(const char *const *jwks, size_t n) {
        _cleanup_free_ char *text = NULL;
        struct trust_store *ts = NULL;
        struct jit_error err = {};
        size_t len = 16;

        for (size_t i = 0; i < n; i++)
                len += strlen(jwks[i]) + 1;
        text = malloc(len);
        assert_non_null(text);
        strcpy(text, "{\"keys\":[");
        for (size_t i = 0; i < n; i++) {
                if (i)
                        strcat(text, ",");
                strcat(text, jwks[i]);
        }
        strcat(text, "]}");
        if (trust_store_parse(text, strlen(text), &ts, &err) < 0)
                fail_msg("trust_store_parse: %s: %s", jit_reason_to_string(err.reason),
                         err.message);
        return ts;
}

static int verify_raw(const struct jwk *k, const char *msg, const uint8_t *sig, size_t sig_len,
                      enum jit_reason *ret_reason) {
        struct jit_error err = {};
        int r = jws_verify_raw(k, (const uint8_t *) msg, strlen(msg), sig, sig_len, &err);

        *ret_reason = err.reason;
        return r;
}

static void assert_sig_refused(const struct jwk *k, const char *msg, const uint8_t *sig,
                               size_t sig_len, const char *what) {
        enum jit_reason reason;
        int r = verify_raw(k, msg, sig, sig_len, &reason);

        if (r >= 0 || reason != JIT_REASON_SIGNATURE)
                fail_msg("%s (%zu bytes): r=%d reason %s, expected refusal with signature", what,
                         sig_len, r, jit_reason_to_string(reason));
}

static int decode(const char *token, const struct trust_store *ts, const char *typ, struct jws *ret,
                  enum jit_reason *ret_reason) {
        struct jit_error err = {};
        int r = jws_decode_verify(token, strlen(token), JIT_GRANT_TOKEN_MAX, ts, typ, ret, &err);

        if (ret_reason)
                *ret_reason = err.reason;
        if (r < 0 && err.reason == JIT_REASON_NONE)
                fail_msg("jws_decode_verify failed (%d) without a reason", r);
        return r;
}

static void assert_decode_refused(const char *token, const struct trust_store *ts,
                                  enum jit_reason want, const char *what) {
        struct jws j = {};
        enum jit_reason reason;
        int r = decode(token, ts, JWS_TYP_GRANT, &j, &reason);

        if (r >= 0) {
                jws_done(&j);
                fail_msg("%s: accepted, expected %s", what, jit_reason_to_string(want));
        }
        if (reason != want)
                fail_msg("%s: refused with %s, expected %s", what, jit_reason_to_string(reason),
                         jit_reason_to_string(want));
}

static EVP_PKEY *rfc8037_private(void) {
        _cleanup_free_ uint8_t *d = NULL;
        size_t n;
        EVP_PKEY *p;

        assert_int_equal(base64url_decode(RFC8037_D, strlen(RFC8037_D), &d, &n, NULL), 0);
        assert_int_equal(n, 32);
        p = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, d, n);
        assert_non_null(p);
        return p;
}

static void test_rfc8037_a4(void **state) {
        _cleanup_(trust_store_freep) struct trust_store *ts = NULL;
        _cleanup_pkey_ EVP_PKEY *priv = rfc8037_private();
        _cleanup_free_ char *tok = NULL, *notyp = NULL, *tampered = NULL;
        const char *jwks[] = {RFC8037_JWK};
        struct segments s = {};
        struct jwk k = {};
        struct jws j = {};
        struct jit_error err = {};
        enum jit_reason reason;

        jwk_load(RFC8037_JWK, &k);
        split_token(RFC8037_JWS, &s);
        assert_int_equal(s.sig_len, 64);

        /* The RFC's signature over the ASCII signing input verifies … */
        assert_int_equal(verify_raw(&k, s.signing_input, s.sig, s.sig_len, &reason), 0);
        /* … and over any other input does not. */
        tampered = strdup(s.signing_input);
        tampered[strlen(tampered) - 1] ^= 1;
        assert_sig_refused(&k, tampered, s.sig, s.sig_len, "rfc8037 other message");

        /* The whole token is still refused: it has no typ (nor kid). */
        ts = store_of(jwks, 1);
        assert_decode_refused(RFC8037_JWS, ts, JIT_REASON_TYP, "rfc8037 A.4 token");

        /* Signing is deterministic: jws_sign_compact reproduces a known
         * answer, which then decodes. */
        assert_int_equal(jws_sign_compact(priv, JWS_ALG_EDDSA, RFC8037_GRANT_HEADER,
                                          RFC8037_GRANT_PAYLOAD, &tok, &err),
                         0);
        assert_string_equal(tok, RFC8037_GRANT_JWS);
        assert_int_equal(decode(tok, ts, JWS_TYP_GRANT, &j, NULL), 0);
        assert_ptr_equal(j.key, trust_store_find(ts, "rfc8037"));
        assert_string_equal(json_object_get_string(json_object_object_get(j.payload, "iss")),
                            "rfc8037");
        jws_done(&j);

        /* With a kid but still no typ: refused for the typ alone. */
        assert_int_equal(jws_sign_compact(priv, JWS_ALG_EDDSA,
                                          "{\"alg\":\"EdDSA\",\"kid\":\"rfc8037\"}",
                                          RFC8037_GRANT_PAYLOAD, &notyp, &err),
                         0);
        assert_decode_refused(notyp, ts, JIT_REASON_TYP, "rfc8037 key, kid, no typ");

        /* typ is compared exactly: same length, one letter's case differs. */
        free(notyp);
        notyp = NULL;
        assert_int_equal(
                jws_sign_compact(
                        priv, JWS_ALG_EDDSA,
                        "{\"alg\":\"EdDSA\",\"typ\":\"jit-grant+jwT\",\"kid\":\"rfc8037\"}",
                        RFC8037_GRANT_PAYLOAD, &notyp, &err),
                0);
        assert_decode_refused(notyp, ts, JIT_REASON_TYP, "rfc8037 key, typ jit-grant+jwT");

        segments_done(&s);
        jwk_done(&k);
}

/* The P-256 signature's s, and n - s. */
static void ecdsa_s(const uint8_t *sig, BIGNUM **ret_s, BIGNUM **ret_order) {
        BIGNUM *order = NULL;

        assert_true(BN_hex2bn(&order, P256_ORDER) > 0);
        *ret_s = BN_bin2bn(sig + 32, 32, NULL);
        assert_non_null(*ret_s);
        *ret_order = order;
}

static void test_rfc7515_a3(void **state) {
        _cleanup_(trust_store_freep) struct trust_store *ts = NULL;
        const char *jwks[] = {RFC7515_JWK};
        struct segments s = {};
        struct jwk k = {};
        BIGNUM *sv = NULL, *order = NULL, *half = BN_new(), *low = BN_new();
        uint8_t twin[64];
        enum jit_reason reason;

        jwk_load(RFC7515_JWK, &k);
        split_token(RFC7515_JWS, &s);
        assert_int_equal(s.sig_len, 64);
        assert_int_equal(verify_raw(&k, s.signing_input, s.sig, s.sig_len, &reason), 0);

        /* Positive control: this s is high (s > n/2); no low-S rule applies. */
        ecdsa_s(s.sig, &sv, &order);
        assert_non_null(half);
        assert_non_null(low);
        assert_int_equal(BN_rshift1(half, order), 1);
        assert_true(BN_cmp(sv, half) > 0);

        /* Its malleated twin (r, n - s) is low-S and verifies as well. */
        assert_int_equal(BN_sub(low, order, sv), 1);
        assert_true(BN_cmp(low, half) <= 0);
        memcpy(twin, s.sig, 32);
        assert_int_equal(BN_bn2binpad(low, twin + 32, 32), 32);
        assert_int_equal(verify_raw(&k, s.signing_input, twin, sizeof twin, &reason), 0);

        /* s = n is out of range. */
        assert_int_equal(BN_bn2binpad(order, twin + 32, 32), 32);
        assert_sig_refused(&k, s.signing_input, twin, sizeof twin, "es256 s = n");

        /* No typ: the token as a whole is refused. */
        ts = store_of(jwks, 1);
        assert_decode_refused(RFC7515_JWS, ts, JIT_REASON_TYP, "rfc7515 A.3 token");

        BN_free(sv);
        BN_free(order);
        BN_free(half);
        BN_free(low);
        segments_done(&s);
        jwk_done(&k);
}

static void test_length_es256(void **state) {
        struct segments s = {};
        struct jwk k = {};
        uint8_t buf[128];
        unsigned char *der = NULL;
        ECDSA_SIG *es = ECDSA_SIG_new();
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        enum jit_reason reason;
        int der_len;

        jwk_load(RFC7515_JWK, &k);
        split_token(RFC7515_JWS, &s);
        assert_int_equal(verify_raw(&k, s.signing_input, s.sig, 64, &reason), 0);

        assert_sig_refused(&k, s.signing_input, s.sig, 63, "es256 63 bytes");
        memcpy(buf, s.sig, 64);
        buf[64] = 0;
        assert_sig_refused(&k, s.signing_input, buf, 65, "es256 65 bytes (trailing 0)");
        buf[0] = 0;
        memcpy(buf + 1, s.sig, 64);
        assert_sig_refused(&k, s.signing_input, buf, 65, "es256 65 bytes (leading 0)");
        assert_sig_refused(&k, s.signing_input, s.sig, 0, "es256 0 bytes");

        /* The same signature DER-encoded: OpenSSL's own verifier accepts it
         * (control), jws_verify_raw must not. */
        assert_non_null(es);
        assert_int_equal(
                ECDSA_SIG_set0(es, BN_bin2bn(s.sig, 32, NULL), BN_bin2bn(s.sig + 32, 32, NULL)), 1);
        der_len = i2d_ECDSA_SIG(es, &der);
        assert_true(der_len > 64 && der_len <= 72);
        assert_non_null(md);
        assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k.pkey), 1);
        assert_int_equal(EVP_DigestVerify(md, der, (size_t) der_len,
                                          (const unsigned char *) s.signing_input,
                                          strlen(s.signing_input)),
                         1);
        assert_sig_refused(&k, s.signing_input, der, (size_t) der_len, "es256 DER signature");

        OPENSSL_free(der);
        ECDSA_SIG_free(es);
        EVP_MD_CTX_free(md);
        segments_done(&s);
        jwk_done(&k);
}

static void test_length_eddsa(void **state) {
        struct segments s = {};
        struct jwk k = {};
        uint8_t buf[128];
        enum jit_reason reason;

        jwk_load(RFC8037_JWK, &k);
        split_token(RFC8037_JWS, &s);
        assert_int_equal(verify_raw(&k, s.signing_input, s.sig, 64, &reason), 0);

        assert_sig_refused(&k, s.signing_input, s.sig, 63, "eddsa 63 bytes");
        memcpy(buf, s.sig, 64);
        buf[64] = 0;
        assert_sig_refused(&k, s.signing_input, buf, 65, "eddsa 65 bytes (trailing 0)");
        buf[0] = 0;
        memcpy(buf + 1, s.sig, 64);
        assert_sig_refused(&k, s.signing_input, buf, 65, "eddsa 65 bytes (leading 0)");
        assert_sig_refused(&k, s.signing_input, s.sig, 0, "eddsa 0 bytes");
        assert_sig_refused(&k, s.signing_input, s.sig, 32, "eddsa 32 bytes");

        segments_done(&s);
        jwk_done(&k);
}

/* A fresh key for alg: key_generate, or for RSA, when key_generate does not
 * make RSA keys (jitctl mints EdDSA/ES256), OpenSSL directly. */
static EVP_PKEY *fresh_key(enum jws_alg alg) {
        struct jit_error err = {};
        EVP_PKEY *p = NULL;

        if (key_generate(alg, &p, &err) == 0) {
                assert_non_null(p);
                return p;
        }
        if (alg != JWS_ALG_RS256 && alg != JWS_ALG_PS256)
                fail_msg("key_generate(%s): %s", jws_alg_to_string(alg), err.message);
        p = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 2048);
        assert_non_null(p);
        return p;
}

static char *public_jwk_text(EVP_PKEY *p, enum jws_alg alg, const char *kid) {
        _cleanup_json_ struct json_object *o = NULL;
        struct jit_error err = {};
        char *s;

        if (key_to_public_jwk(p, alg, kid, &o, &err) < 0)
                fail_msg("key_to_public_jwk(%s): %s", jws_alg_to_string(alg), err.message);
        assert_string_equal(json_object_get_string(json_object_object_get(o, "alg")),
                            jws_alg_to_string(alg));
        assert_string_equal(json_object_get_string(json_object_object_get(o, "kid")), kid);
        /* nothing private leaves */
        static const char *const priv[] = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"};
        for (size_t i = 0; i < ELEMENTSOF(priv); i++)
                assert_false(json_object_object_get_ex(o, priv[i], NULL));
        s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        assert_non_null(s);
        return s;
}

static void test_length_rsa(void **state) {
        static const enum jws_alg algs[] = {JWS_ALG_RS256, JWS_ALG_PS256};

        for (size_t a = 0; a < ELEMENTSOF(algs); a++) {
                _cleanup_pkey_ EVP_PKEY *p = fresh_key(algs[a]);
                _cleanup_free_ char *jwk = public_jwk_text(p, algs[a], "rsa");
                _cleanup_free_ char *tok = NULL, *header = NULL;
                struct jit_error err = {};
                struct segments s = {};
                struct jwk k = {};
                uint8_t buf[520];
                enum jit_reason reason;

                jwk_load(jwk, &k);
                assert_true(asprintf(&header, "{\"alg\":\"%s\",\"typ\":\"jit-grant+jwt\"}",
                                     jws_alg_to_string(algs[a])) > 0);
                assert_int_equal(jws_sign_compact(p, algs[a], header, "{}", &tok, &err), 0);
                split_token(tok, &s);
                assert_int_equal(s.sig_len, 256);
                assert_int_equal(verify_raw(&k, s.signing_input, s.sig, 256, &reason), 0);

                assert_sig_refused(&k, s.signing_input, s.sig, 255, "rsa 255 bytes");
                buf[0] = 0;
                memcpy(buf + 1, s.sig, 256);
                /* the same integer with a leading zero octet */
                assert_sig_refused(&k, s.signing_input, buf, 257, "rsa 257 bytes (leading 0)");
                memcpy(buf, s.sig, 256);
                buf[256] = 0;
                assert_sig_refused(&k, s.signing_input, buf, 257, "rsa 257 bytes (trailing 0)");
                assert_sig_refused(&k, s.signing_input, s.sig, 0, "rsa 0 bytes");
                memset(buf, 0, 512);
                memcpy(buf + 256, s.sig, 256);
                assert_sig_refused(&k, s.signing_input, buf, 512, "rsa 512 bytes");

                segments_done(&s);
                jwk_done(&k);
        }
}

static void test_round_trip(void **state) {
        static const enum jws_alg algs[] = {
                JWS_ALG_EDDSA,
                JWS_ALG_ES256,
                JWS_ALG_RS256,
                JWS_ALG_PS256,
        };

        for (size_t a = 0; a < ELEMENTSOF(algs); a++) {
                const char *name = jws_alg_to_string(algs[a]);
                _cleanup_pkey_ EVP_PKEY *p = fresh_key(algs[a]);
                _cleanup_pkey_ EVP_PKEY *other = fresh_key(algs[a]);
                _cleanup_free_ char *jwk = public_jwk_text(p, algs[a], "rt");
                _cleanup_free_ char *tok = NULL, *forged = NULL;
                _cleanup_(trust_store_freep) struct trust_store *ts = NULL;
                _cleanup_json_ struct json_object *payload = json_object_new_object();
                const char *jwks[] = {jwk};
                struct jit_error err = {};
                struct segments s = {};
                struct jws j = {};
                enum jit_reason reason;
                unsigned flipped = 0;

                ts = store_of(jwks, 1);
                assert_non_null(payload);
                json_object_object_add(payload, "iss", json_object_new_string("round-trip"));
                json_object_object_add(payload, "n", json_object_new_int64(42));

                if (jws_sign(p, algs[a], "rt", JWS_TYP_GRANT, payload, &tok, &err) < 0)
                        fail_msg("jws_sign(%s): %s", name, err.message);
                if (decode(tok, ts, JWS_TYP_GRANT, &j, &reason) < 0)
                        fail_msg("%s round trip refused: %s", name, jit_reason_to_string(reason));
                assert_ptr_equal(j.key, trust_store_find(ts, "rt"));
                assert_string_equal(json_object_get_string(json_object_object_get(j.header, "alg")),
                                    name);
                assert_string_equal(json_object_get_string(json_object_object_get(j.header, "typ")),
                                    JWS_TYP_GRANT);
                assert_string_equal(json_object_get_string(json_object_object_get(j.header, "kid")),
                                    "rt");
                assert_string_equal(
                        json_object_get_string(json_object_object_get(j.payload, "iss")),
                        "round-trip");
                assert_int_equal(json_object_get_int64(json_object_object_get(j.payload, "n")), 42);
                jws_done(&j);

                /* the right signature for another typ */
                assert_true(decode(tok, ts, JWS_TYP_HEAD, &j, &reason) < 0);
                assert_int_equal(reason, JIT_REASON_TYP);

                /* every single-bit change of the signature is refused */
                split_token(tok, &s);
                for (size_t bit = 0; bit < s.sig_len * 8; bit++) {
                        _cleanup_free_ char *t = NULL;

                        s.sig[bit / 8] ^= (uint8_t) (1u << (bit % 8));
                        t = join_token(s.signing_input, s.sig, s.sig_len);
                        s.sig[bit / 8] ^= (uint8_t) (1u << (bit % 8));
                        if (decode(t, ts, JWS_TYP_GRANT, &j, &reason) >= 0) {
                                jws_done(&j);
                                fail_msg("%s: signature with bit %zu flipped accepted", name, bit);
                        }
                        if (reason != JIT_REASON_SIGNATURE)
                                fail_msg("%s: bit %zu flipped: %s, expected signature", name, bit,
                                         jit_reason_to_string(reason));
                        flipped++;
                }
                assert_int_equal(flipped, s.sig_len * 8);
                print_message("%s: round trip ok, %u bit flips refused\n", name, flipped);
                segments_done(&s);

                /* same kid, same alg, another key */
                assert_int_equal(
                        jws_sign(other, algs[a], "rt", JWS_TYP_GRANT, payload, &forged, &err), 0);
                assert_decode_refused(forged, ts, JIT_REASON_SIGNATURE, "other key, same kid");
        }
}

static char *sign_with_header(EVP_PKEY *p, enum jws_alg alg, const char *header) {
        struct jit_error err = {};
        char *t = NULL;

        if (jws_sign_compact(p, alg, header, "{\"iss\":\"h\"}", &t, &err) < 0)
                fail_msg("jws_sign_compact(%s): %s", header, err.message);
        return t;
}

static void test_alg_header(void **state) {
        _cleanup_pkey_ EVP_PKEY *ed = fresh_key(JWS_ALG_EDDSA);
        _cleanup_pkey_ EVP_PKEY *ec = fresh_key(JWS_ALG_ES256);
        _cleanup_free_ char *ed_jwk = public_jwk_text(ed, JWS_ALG_EDDSA, "ed");
        _cleanup_free_ char *ec_jwk = public_jwk_text(ec, JWS_ALG_ES256, "ec");
        const char *jwks[] = {ed_jwk, ec_jwk};
        _cleanup_(trust_store_freep) struct trust_store *ts = store_of(jwks, 2);
        static const struct {
                const char *name;
                const char *alg;  /* header alg */
                const char *kid;  /* selects the key in the store */
                enum jws_alg key; /* the key that signs (the store key's alg) */
                enum jit_reason want;
        } cases[] = {
                {"EdDSA on Ed25519 key", "EdDSA", "ed", JWS_ALG_EDDSA, JIT_REASON_NONE},
                {"Ed25519 (RFC 9864) on Ed25519 key", "Ed25519", "ed", JWS_ALG_EDDSA,
                 JIT_REASON_NONE},
                {"ES256 on P-256 key", "ES256", "ec", JWS_ALG_ES256, JIT_REASON_NONE},
                {"ES256 header on Ed25519 key", "ES256", "ed", JWS_ALG_EDDSA,
                 JIT_REASON_ALG_MISMATCH},
                {"RS256 header on Ed25519 key", "RS256", "ed", JWS_ALG_EDDSA,
                 JIT_REASON_ALG_MISMATCH},
                {"Ed25519 header on P-256 key", "Ed25519", "ec", JWS_ALG_ES256,
                 JIT_REASON_ALG_MISMATCH},
                {"EdDSA header on P-256 key", "EdDSA", "ec", JWS_ALG_ES256,
                 JIT_REASON_ALG_MISMATCH},
                {"none header", "none", "ed", JWS_ALG_EDDSA, JIT_REASON_ALG_NONE},
                {"HS256 header", "HS256", "ec", JWS_ALG_ES256, JIT_REASON_ALG_HMAC},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *header = NULL, *tok = NULL;
                struct jws j = {};
                enum jit_reason reason;
                int r;

                assert_true(asprintf(&header,
                                     "{\"alg\":\"%s\",\"typ\":\"jit-grant+jwt\",\"kid\":\"%s\"}",
                                     cases[i].alg, cases[i].kid) > 0);
                tok = sign_with_header(cases[i].key == JWS_ALG_EDDSA ? ed : ec, cases[i].key,
                                       header);
                r = decode(tok, ts, JWS_TYP_GRANT, &j, &reason);
                if (cases[i].want == JIT_REASON_NONE) {
                        if (r < 0)
                                fail_msg("%s: refused with %s", cases[i].name,
                                         jit_reason_to_string(reason));
                        jws_done(&j);
                } else if (r >= 0 || reason != cases[i].want) {
                        if (r >= 0)
                                jws_done(&j);
                        fail_msg("%s: r=%d %s, expected %s", cases[i].name, r,
                                 jit_reason_to_string(reason), jit_reason_to_string(cases[i].want));
                }
        }
}

static void test_thumbprint(void **state) {
        static const struct {
                const char *jwk;
                const char *thumbprint;
        } cases[] = {
                /* RFC 7638 §3.1 */
                {RFC7638_JWK, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"},
                /* RFC 8037 A.3 */
                {RFC8037_JWK, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"},
                /* RFC 7515 A.3's key, computed with python3-jwcrypto */
                {RFC7515_JWK, "oKIywvGUpTVTyxMQ3bwIIeQUudfr_CkLMjCE19ECD-U"},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *tp = NULL;
                struct jit_error err = {};
                struct jwk k = {};

                jwk_load(cases[i].jwk, &k);
                if (key_thumbprint(k.pkey, &tp, &err) < 0)
                        fail_msg("key_thumbprint: %s", err.message);
                assert_string_equal(tp, cases[i].thumbprint);
                jwk_done(&k);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rfc8037_a4),   cmocka_unit_test(test_rfc7515_a3),
                cmocka_unit_test(test_length_es256), cmocka_unit_test(test_length_eddsa),
                cmocka_unit_test(test_length_rsa),   cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_alg_header),   cmocka_unit_test(test_thumbprint),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
