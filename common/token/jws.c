/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <string.h>

#include "base64url.h"
#include "jit-limits.h"
#include "json.h"
#include "jws.h"

#define PS256_SALT_LEN 32

const EVP_MD *jws_alg_md(enum jws_alg alg) {
        /* Ed25519 hashes internally: its one-shot API takes no digest. */
        return alg == JWS_ALG_EDDSA ? NULL : EVP_sha256();
}

int jws_set_padding(EVP_PKEY_CTX *pctx, enum jws_alg alg) {
        if (alg != JWS_ALG_PS256)
                return 1;
        if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
            EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) != 1 ||
            EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, PS256_SALT_LEN) != 1)
                return 0;
        return 1;
}

/* r||s → DER, for OpenSSL's ECDSA verifier. */
static int es256_raw_to_der(const uint8_t *sig, uint8_t **ret, size_t *ret_len) {
        _cleanup_(ECDSA_SIG_freep) ECDSA_SIG *es = NULL;
        BIGNUM *r, *s;
        uint8_t *der = NULL;
        int len;

        es = ECDSA_SIG_new();
        r = BN_bin2bn(sig, JWS_ES256_COMPONENT, NULL);
        s = BN_bin2bn(sig + JWS_ES256_COMPONENT, JWS_ES256_COMPONENT, NULL);
        if (!es || !r || !s || ECDSA_SIG_set0(es, r, s) != 1) {
                BN_free(r);
                BN_free(s);
                return -ENOMEM;
        }
        len = i2d_ECDSA_SIG(es, &der);
        if (len <= 0)
                return -ENOMEM;
        *ret = der;
        *ret_len = (size_t) len;
        return 0;
}

int jws_verify_raw(const struct jwk *key, const uint8_t *msg, size_t msg_len, const uint8_t *sig,
                   size_t sig_len, struct jit_error *err) {
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = NULL;
        _cleanup_free_ uint8_t *der = NULL;
        EVP_PKEY_CTX *pctx = NULL;
        size_t expected, der_len;
        int ok;

        if (!key || !key->pkey)
                return jit_error_set(err, EINVAL, JIT_REASON_KEY, "no key");

        /* Fixed lengths are checked here, before OpenSSL: a DER-encoded
         * ECDSA signature, or one with bytes appended, must never reach a
         * verifier that might accept it. */
        switch (key->alg) {
        case JWS_ALG_EDDSA:
        case JWS_ALG_ES256:
                expected = JWS_RAW_SIGNATURE_LEN;
                break;
        case JWS_ALG_RS256:
        case JWS_ALG_PS256:
                expected = (size_t) EVP_PKEY_get_size(key->pkey);
                break;
        default:
                return jit_error_set(err, EINVAL, JIT_REASON_ALG_UNKNOWN, "key has no algorithm");
        }
        if (sig_len != expected)
                return jit_error_set(err, EBADMSG, JIT_REASON_SIGNATURE,
                                     "signature length %zu, expected %zu for %s", sig_len, expected,
                                     jws_alg_to_string(key->alg));

        if (key->alg == JWS_ALG_ES256) {
                if (es256_raw_to_der(sig, &der, &der_len) < 0)
                        return jit_error_oom(err);
                sig = der;
                sig_len = der_len;
        }

        ctx = EVP_MD_CTX_new();
        if (!ctx)
                return jit_error_oom(err);
        ok = EVP_DigestVerifyInit(ctx, &pctx, jws_alg_md(key->alg), NULL, key->pkey) == 1 &&
             jws_set_padding(pctx, key->alg) == 1 &&
             EVP_DigestVerify(ctx, sig, sig_len, msg, msg_len) == 1;
        /* Never leave errors on OpenSSL's thread-local queue for the host
         * program (sshd, sudo) to stumble over. */
        ERR_clear_error();
        if (!ok)
                return jit_error_set(err, EBADMSG, JIT_REASON_SIGNATURE,
                                     "signature does not verify (%s, key \"%s\")",
                                     jws_alg_to_string(key->alg), strempty(key->kid));
        return 0;
}

struct jws_segments {
        const char *header, *payload, *signature;
        size_t header_len, payload_len, signature_len;
        size_t signing_input_len; /* header "." payload */
};

static int jws_split(const char *token, size_t len, struct jws_segments *ret,
                     struct jit_error *err) {
        const char *dot1, *dot2;

        dot1 = memchr(token, '.', len);
        dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t) (dot1 + 1 - token)) : NULL;
        if (!dot1 || !dot2 || memchr(dot2 + 1, '.', len - (size_t) (dot2 + 1 - token)))
                return jit_error_set(err, EBADMSG, JIT_REASON_MALFORMED,
                                     "not a compact JWS: need exactly three dot-separated parts");

        ret->header = token;
        ret->header_len = (size_t) (dot1 - token);
        ret->payload = dot1 + 1;
        ret->payload_len = (size_t) (dot2 - dot1 - 1);
        ret->signature = dot2 + 1;
        ret->signature_len = len - (size_t) (dot2 + 1 - token);
        ret->signing_input_len = (size_t) (dot2 - token);
        /* An empty signature is not refused here: "header.payload." is the
         * classic alg "none" token, and the header check names it as such;
         * any other header then fails on the signature's length. */
        if (ret->header_len == 0 || ret->payload_len == 0)
                return jit_error_set(err, EBADMSG, JIT_REASON_MALFORMED,
                                     "not a compact JWS: empty %s",
                                     ret->header_len == 0 ? "header" : "payload");
        return 0;
}

static int jws_decode_json(const char *seg, size_t len, size_t max_decoded, const char *what,
                           struct json_object **ret, struct jit_error *err) {
        _cleanup_free_ uint8_t *buf = NULL;
        size_t buf_len;
        int r;

        if (len > base64url_encoded_length(max_decoded))
                return jit_error_set(err, E2BIG, JIT_REASON_TOO_LARGE, "%s larger than %zu bytes",
                                     what, max_decoded);
        r = base64url_decode(seg, len, &buf, &buf_len, err);
        if (r < 0) {
                jit_error_prefix(err, "%s", what);
                return r;
        }
        r = json_parse_object_strict((const char *) buf, buf_len, JIT_JSON_DEPTH_MAX, ret, err);
        if (r < 0)
                jit_error_prefix(err, "%s", what);
        return r;
}

int jws_peek_header(const char *token, size_t len, struct json_object **ret,
                    struct jit_error *err) {
        struct jws_segments seg;
        int r;

        r = jws_split(token, len, &seg, err);
        if (r < 0)
                return r;
        return jws_decode_json(seg.header, seg.header_len, JIT_HEADER_JSON_MAX, "header", ret, err);
}

/* The header rules of RFC 8725, in an order that names the most telling
 * defect first. Returns the trusted key to verify with. */
static int jws_check_header(struct json_object *header, const struct trust_store *ts,
                            const char *typ, const struct jwk **ret, struct jit_error *err) {
        struct json_object *v;
        const struct jwk *key;
        enum jws_alg alg;
        const char *s;
        int r;

        if (json_object_object_get_ex(header, "crit", NULL))
                return jit_error_set(err, EINVAL, JIT_REASON_CRIT,
                                     "header has \"crit\": no critical extension is supported");

        if (!json_object_object_get_ex(header, "alg", &v) ||
            !json_object_is_type(v, json_type_string))
                return jit_error_set(err, EINVAL, JIT_REASON_ALG_UNKNOWN,
                                     "header has no \"alg\" string");
        s = json_object_get_string(v);
        if ((size_t) json_object_get_string_len(v) != strlen(s))
                return jit_error_set(err, EINVAL, JIT_REASON_ALG_UNKNOWN,
                                     "header \"alg\" contains NUL");
        r = jws_alg_from_string(s, &alg, err);
        if (r < 0)
                return r;

        if (!json_object_object_get_ex(header, "typ", &v) ||
            !json_object_is_type(v, json_type_string))
                return jit_error_set(err, EINVAL, JIT_REASON_TYP,
                                     "header has no \"typ\"; expected \"%s\"", typ);
        s = json_object_get_string(v);
        if ((size_t) json_object_get_string_len(v) != strlen(typ) || !streq(s, typ))
                return jit_error_set(err, EINVAL, JIT_REASON_TYP, "typ \"%.40s\" is not \"%s\"", s,
                                     typ);

        if (!json_object_object_get_ex(header, "kid", &v) ||
            !json_object_is_type(v, json_type_string))
                return jit_error_set(err, EINVAL, JIT_REASON_KID_UNKNOWN,
                                     "header has no \"kid\" naming a trusted key");
        s = json_object_get_string(v);
        key = (size_t) json_object_get_string_len(v) == strlen(s) ? trust_store_find(ts, s) : NULL;
        if (!key)
                return jit_error_set(err, EINVAL, JIT_REASON_KID_UNKNOWN,
                                     "key \"%.64s\" is not in the trust store", s);

        if (alg != key->alg)
                return jit_error_set(err, EINVAL, JIT_REASON_ALG_MISMATCH,
                                     "header alg %s differs from key \"%s\", which is %s",
                                     jws_alg_to_string(alg), key->kid, jws_alg_to_string(key->alg));
        *ret = key;
        return 0;
}

void jws_done(struct jws *j) {
        if (!j)
                return;
        json_object_put(j->header);
        json_object_put(j->payload);
        *j = (struct jws){};
}

static int jws_decode(const char *token, size_t len, size_t max_len, const struct trust_store *ts,
                      const char *typ, bool check_signature, struct jws *ret,
                      struct jit_error *err) {
        _cleanup_json_ struct json_object *header = NULL, *payload = NULL;
        _cleanup_free_ uint8_t *sig = NULL;
        const struct jwk *key;
        struct jws_segments seg;
        size_t sig_len;
        int r;

        if (len > max_len)
                return jit_error_set(err, E2BIG, JIT_REASON_TOO_LARGE,
                                     "token of %zu bytes, at most %zu", len, max_len);
        r = jws_split(token, len, &seg, err);
        if (r < 0)
                return r;
        r = jws_decode_json(seg.header, seg.header_len, JIT_HEADER_JSON_MAX, "header", &header,
                            err);
        if (r < 0)
                return r;
        r = jws_check_header(header, ts, typ, &key, err);
        if (r < 0)
                return r;

        r = base64url_decode(seg.signature, seg.signature_len, &sig, &sig_len, err);
        if (r < 0) {
                jit_error_prefix(err, "signature");
                return r;
        }
        /* Skipped only for bytes the caller saw verify under this trust
         * store (jws_decode_verified): everything else is checked again. */
        if (check_signature) {
                r = jws_verify_raw(key, (const uint8_t *) token, seg.signing_input_len, sig,
                                   sig_len, err);
                if (r < 0)
                        return r;
        }

        /* Only signed bytes are parsed past this point. */
        r = jws_decode_json(seg.payload, seg.payload_len, max_len, "payload", &payload, err);
        if (r < 0)
                return r;

        ret->header = TAKE_PTR(header);
        ret->payload = TAKE_PTR(payload);
        ret->key = key;
        return 0;
}

int jws_decode_verify(const char *token, size_t len, size_t max_len, const struct trust_store *ts,
                      const char *typ, struct jws *ret, struct jit_error *err) {
        return jws_decode(token, len, max_len, ts, typ, true, ret, err);
}

int jws_decode_verified(const char *token, size_t len, size_t max_len, const struct trust_store *ts,
                        const char *typ, struct jws *ret, struct jit_error *err) {
        return jws_decode(token, len, max_len, ts, typ, false, ret, err);
}
