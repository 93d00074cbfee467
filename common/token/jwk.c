/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <string.h>

#include "base64url.h"
#include "ed25519-point.h"
#include "fileio.h"
#include "jit-limits.h"
#include "json.h"
#include "jwk.h"
#include "rsa-roca.h"

#define TRUST_JSON_DEPTH 4

DEFINE_TRIVIAL_CLEANUP_FUNC(OSSL_PARAM_BLD *, OSSL_PARAM_BLD_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(OSSL_PARAM *, OSSL_PARAM_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_PKEY_CTX *, EVP_PKEY_CTX_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(BIGNUM *, BN_free);

const char *jws_alg_to_string(enum jws_alg alg) {
        switch (alg) {
        case JWS_ALG_EDDSA:
                return "EdDSA";
        case JWS_ALG_ES256:
                return "ES256";
        case JWS_ALG_RS256:
                return "RS256";
        case JWS_ALG_PS256:
                return "PS256";
        default:
                return "invalid";
        }
}

int jws_alg_from_string(const char *s, enum jws_alg *ret, struct jit_error *err) {
        static const struct {
                const char *name;
                enum jws_alg alg;
        } table[] = {
                {"EdDSA", JWS_ALG_EDDSA}, {"Ed25519", JWS_ALG_EDDSA}, /* RFC 9864's fully-specified
                                                                         name */
                {"ES256", JWS_ALG_ES256}, {"RS256", JWS_ALG_RS256},   {"PS256", JWS_ALG_PS256},
        };

        /* Refused by name whatever the case, so "None" or "hs256" is
         * reported as what it is rather than as merely unknown. */
        if (strcasecmp(s, "none") == 0)
                return jit_error_set(err, EINVAL, JIT_REASON_ALG_NONE,
                                     "algorithm \"none\" is never accepted");
        if (strncasecmp(s, "HS", 2) == 0)
                return jit_error_set(err, EINVAL, JIT_REASON_ALG_HMAC,
                                     "HMAC algorithm \"%.16s\" is never accepted", s);

        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (streq(s, table[i].name)) {
                        *ret = table[i].alg;
                        return 0;
                }
        return jit_error_set(err, EINVAL, JIT_REASON_ALG_UNKNOWN, "unsupported algorithm \"%.32s\"",
                             s);
}

void jwk_done(struct jwk *k) {
        if (!k)
                return;
        free(k->kid);
        EVP_PKEY_free(k->pkey);
        *k = (struct jwk){};
}

/* A base64url member decoded, with an exact or bounded length. */
static int jwk_get_bytes(struct json_object *obj, const char *name, size_t min_len, size_t max_len,
                         uint8_t **ret, size_t *ret_len, struct jit_error *err) {
        const char *s;
        int r;

        r = json_get_string(obj, name, true, base64url_encoded_length(max_len), &s, err);
        if (r < 0)
                return jit_error_set(err, r, JIT_REASON_KEY, "key member \"%s\" missing or invalid",
                                     name);
        r = base64url_decode(s, strlen(s), ret, ret_len, err);
        if (r < 0)
                return jit_error_set(err, r, JIT_REASON_KEY, "key member \"%s\" is not base64url",
                                     name);
        if (*ret_len < min_len || *ret_len > max_len) {
                free(TAKE_PTR(*ret));
                if (min_len == max_len)
                        return jit_error_set(err, EINVAL, JIT_REASON_KEY,
                                             "key member \"%s\" must be %zu bytes", name, min_len);
                return jit_error_set(err, EINVAL, JIT_REASON_KEY,
                                     "key member \"%s\" must be %zu..%zu bytes", name, min_len,
                                     max_len);
        }
        return 0;
}

static int jwk_check_crv(struct json_object *obj, const char *want, struct jit_error *err) {
        const char *crv;

        if (json_get_string(obj, "crv", true, 32, &crv, NULL) < 0)
                return jit_error_set(err, EINVAL, JIT_REASON_KEY, "key has no curve (\"crv\")");
        if (!streq(crv, want))
                return jit_error_set(err, EINVAL, JIT_REASON_KEY, "curve \"%s\" is not %s", crv,
                                     want);
        return 0;
}

static int pkey_from_params(const char *type, OSSL_PARAM_BLD *bld, EVP_PKEY **ret,
                            struct jit_error *err) {
        _cleanup_(OSSL_PARAM_freep) OSSL_PARAM *params = NULL;
        _cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *ctx = NULL, *check = NULL;
        _cleanup_pkey_ EVP_PKEY *pkey = NULL;

        params = OSSL_PARAM_BLD_to_param(bld);
        ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
        if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
            EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
                ERR_clear_error();
                return jit_error_set(err, EINVAL, JIT_REASON_KEY, "%s public key is invalid", type);
        }
        /* fromdata decodes; public_check validates (point on curve, RSA
         * modulus and exponent sane). */
        check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
        if (!check || EVP_PKEY_public_check(check) != 1) {
                ERR_clear_error();
                return jit_error_set(err, EINVAL, JIT_REASON_KEY, "%s public key fails validation",
                                     type);
        }
        *ret = TAKE_PTR(pkey);
        return 0;
}

static int jwk_okp_from_json(struct json_object *obj, EVP_PKEY **ret, struct jit_error *err) {
        _cleanup_free_ uint8_t *x = NULL;
        size_t x_len = 0; /* set by jwk_get_bytes() only when it succeeds */
        int r;

        r = jwk_check_crv(obj, "Ed25519", err);
        if (r < 0)
                return r;
        r = jwk_get_bytes(obj, "x", ED25519_POINT_BYTES, ED25519_POINT_BYTES, &x, &x_len, err);
        if (r < 0)
                return r;
        /* OpenSSL takes any 32 bytes, and verifies forged signatures against
         * a small-order point: checked here, once, so the verifier needs no
         * check of its own (common/ed25519-point.h says what is refused). */
        r = ed25519_point_check(x);
        if (r < 0)
                return jit_error_oom(err);
        if (r != ED25519_POINT_OK)
                return jit_error_set(err, EINVAL, JIT_REASON_KEY, "Ed25519 public key %s",
                                     ed25519_point_flaw_to_string(r));
        *ret = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, x_len);
        if (!*ret) {
                ERR_clear_error();
                return jit_error_set(err, EINVAL, JIT_REASON_KEY, "Ed25519 public key is invalid");
        }
        return 0;
}

static int jwk_ec_from_json(struct json_object *obj, EVP_PKEY **ret, struct jit_error *err) {
        _cleanup_free_ uint8_t *x = NULL, *y = NULL;
        _cleanup_(OSSL_PARAM_BLD_freep) OSSL_PARAM_BLD *bld = NULL;
        uint8_t point[65];
        size_t x_len, y_len;
        int r;

        r = jwk_check_crv(obj, "P-256", err);
        if (r < 0)
                return r;
        r = jwk_get_bytes(obj, "x", 32, 32, &x, &x_len, err);
        if (r < 0)
                return r;
        r = jwk_get_bytes(obj, "y", 32, 32, &y, &y_len, err);
        if (r < 0)
                return r;

        point[0] = 0x04; /* uncompressed */
        memcpy(point + 1, x, 32);
        memcpy(point + 33, y, 32);
        bld = OSSL_PARAM_BLD_new();
        if (!bld ||
            OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
                    1 ||
            OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point)) !=
                    1)
                return jit_error_oom(err);
        return pkey_from_params("EC", bld, ret, err);
}

static int jwk_rsa_from_json(struct json_object *obj, EVP_PKEY **ret, struct jit_error *err) {
        _cleanup_free_ uint8_t *n = NULL, *e = NULL;
        _cleanup_(BN_freep) BIGNUM *bn_n = NULL, *bn_e = NULL;
        _cleanup_(OSSL_PARAM_BLD_freep) OSSL_PARAM_BLD *bld = NULL;
        size_t n_len, e_len;
        int bits, r;

        r = jwk_get_bytes(obj, "n", 1, JIT_RSA_BITS_MAX / 8 + 1, &n, &n_len, err);
        if (r < 0)
                return r;
        r = jwk_get_bytes(obj, "e", 1, 4, &e, &e_len, err);
        if (r < 0)
                return r;
        bn_n = BN_bin2bn(n, (int) n_len, NULL);
        bn_e = BN_bin2bn(e, (int) e_len, NULL);
        if (!bn_n || !bn_e)
                return jit_error_oom(err);

        bits = BN_num_bits(bn_n);
        if (bits < JIT_RSA_BITS_MIN || bits > JIT_RSA_BITS_MAX)
                return jit_error_set(err, EINVAL, JIT_REASON_KEY,
                                     "RSA modulus of %d bits, need %d..%d", bits, JIT_RSA_BITS_MIN,
                                     JIT_RSA_BITS_MAX);
        if (!BN_is_odd(bn_e) || BN_is_one(bn_e))
                return jit_error_set(err, EINVAL, JIT_REASON_KEY,
                                     "RSA public exponent must be odd and greater than 1");
        r = rsa_modulus_has_roca_fingerprint(bn_n);
        if (r < 0)
                return jit_error_oom(err);
        if (r > 0)
                return jit_error_set(err, EINVAL, JIT_REASON_KEY,
                                     "RSA modulus has the ROCA fingerprint (CVE-2017-15361, "
                                     "Infineon RSALib): its private key can be computed from it");

        bld = OSSL_PARAM_BLD_new();
        if (!bld || OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) != 1 ||
            OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) != 1)
                return jit_error_oom(err);
        return pkey_from_params("RSA", bld, ret, err);
}

/* "use" and "key_ops" (RFC 7517 §4.2, §4.3) may only say what a trusted key
 * is for: verifying signatures. A key marked for anything else was published
 * for another purpose, or is a private key's description: refused. */
static int jwk_check_usage(struct json_object *obj, const char *kid, struct jit_error *err) {
        static const char *const other_ops[] = {"sign",      "encrypt",   "decrypt",   "wrapKey",
                                                "unwrapKey", "deriveKey", "deriveBits"};
        struct json_object *ops;
        const char *use;
        bool verify = false;
        size_t n;

        if (json_get_string(obj, "use", false, 16, &use, NULL) < 0 || (use && !streq(use, "sig")))
                return jit_error_set(err, EINVAL, JIT_REASON_KEY,
                                     "key %s: \"use\" must be \"sig\" when present: the key is "
                                     "not for verifying signatures",
                                     kid);

        if (!json_object_object_get_ex(obj, "key_ops", &ops))
                return 0;
        if (!json_object_is_type(ops, json_type_array))
                return jit_error_set(err, EINVAL, JIT_REASON_KEY,
                                     "key %s: \"key_ops\" must be an array of strings", kid);
        n = json_object_array_length(ops);
        for (size_t i = 0; i < n; i++) {
                struct json_object *o = json_object_array_get_idx(ops, i);
                const char *op;

                if (!json_object_is_type(o, json_type_string))
                        return jit_error_set(err, EINVAL, JIT_REASON_KEY,
                                             "key %s: \"key_ops\" must be an array of strings",
                                             kid);
                op = json_object_get_string(o);
                if (streq(op, "verify")) {
                        if (verify)
                                return jit_error_set(err, EINVAL, JIT_REASON_KEY,
                                                     "key %s: \"key_ops\" lists \"verify\" twice",
                                                     kid);
                        verify = true;
                        continue;
                }
                for (size_t j = 0; j < ELEMENTSOF(other_ops); j++)
                        if (streq(op, other_ops[j]))
                                return jit_error_set(
                                        err, EINVAL, JIT_REASON_KEY,
                                        "key %s: \"key_ops\" lists \"%s\": a trusted public key "
                                        "may only verify signatures",
                                        kid, other_ops[j]);
                return jit_error_set(err, EINVAL, JIT_REASON_KEY,
                                     "key %s: \"key_ops\" lists an unknown operation: a trusted "
                                     "key may only \"verify\"",
                                     kid);
        }
        if (!verify)
                return jit_error_set(err, EINVAL, JIT_REASON_KEY,
                                     "key %s: \"key_ops\" does not list \"verify\"", kid);
        return 0;
}

int jwk_from_json(struct json_object *obj, struct jwk *ret, struct jit_error *err) {
        /* Members that only a private or symmetric key has: a trust store
         * holding them is a leaked secret, refused rather than ignored. */
        static const char *const private_members[] = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"};
        _cleanup_pkey_ EVP_PKEY *pkey = NULL;
        const char *kty, *kid, *alg_name;
        enum jws_alg alg;
        int r;

        if (!json_object_is_type(obj, json_type_object))
                return jit_error_set(err, EINVAL, JIT_REASON_KEY, "key is not a JSON object");

        for (size_t i = 0; i < ELEMENTSOF(private_members); i++)
                if (json_object_object_get_ex(obj, private_members[i], NULL))
                        return jit_error_set(err, EINVAL, JIT_REASON_KEY,
                                             "key has private member \"%s\": a trust store holds "
                                             "public keys only",
                                             private_members[i]);

        if (json_get_string(obj, "kid", true, JIT_KID_MAX, &kid, NULL) < 0)
                return jit_error_set(err, EINVAL, JIT_REASON_KEY,
                                     "key needs a \"kid\" string of 1..%u printable bytes",
                                     JIT_KID_MAX);
        if (json_get_string(obj, "kty", true, 16, &kty, NULL) < 0)
                return jit_error_set(err, EINVAL, JIT_REASON_KEY, "key %s has no \"kty\"", kid);
        if (json_get_string(obj, "alg", true, 32, &alg_name, NULL) < 0)
                return jit_error_set(
                        err, EINVAL, JIT_REASON_KEY,
                        "key %s has no \"alg\": each trusted key must fix its algorithm", kid);
        r = jws_alg_from_string(alg_name, &alg, err);
        if (r < 0)
                return r;
        r = jwk_check_usage(obj, kid, err);
        if (r < 0)
                return r;

        if (streq(kty, "OKP") && alg == JWS_ALG_EDDSA)
                r = jwk_okp_from_json(obj, &pkey, err);
        else if (streq(kty, "EC") && alg == JWS_ALG_ES256)
                r = jwk_ec_from_json(obj, &pkey, err);
        else if (streq(kty, "RSA") && (alg == JWS_ALG_RS256 || alg == JWS_ALG_PS256))
                r = jwk_rsa_from_json(obj, &pkey, err);
        else if (!streq(kty, "OKP") && !streq(kty, "EC") && !streq(kty, "RSA"))
                return jit_error_set(err, EINVAL, JIT_REASON_KEY,
                                     "key %s: key type \"%.16s\" is not supported", kid, kty);
        else
                return jit_error_set(err, EINVAL, JIT_REASON_KEY,
                                     "key %s: algorithm %s does not fit key type %s", kid,
                                     jws_alg_to_string(alg), kty);
        if (r < 0) {
                jit_error_prefix(err, "key %s", kid);
                return r;
        }

        ret->kid = strdup(kid);
        if (!ret->kid)
                return jit_error_oom(err);
        ret->alg = alg;
        ret->pkey = TAKE_PTR(pkey);
        return 0;
}

void trust_store_free(struct trust_store *ts) {
        if (!ts)
                return;
        for (size_t i = 0; i < ts->n_keys; i++)
                jwk_done(&ts->keys[i]);
        free(ts->keys);
        free(ts);
}

int trust_store_parse(const char *text, size_t len, struct trust_store **ret,
                      struct jit_error *err) {
        _cleanup_json_ struct json_object *root = NULL;
        _cleanup_(trust_store_freep) struct trust_store *ts = NULL;
        struct json_object *keys;
        size_t n;
        int r;

        if (len > JIT_TRUST_FILE_MAX)
                return jit_error_set(err, E2BIG, JIT_REASON_TOO_LARGE,
                                     "trust store larger than %u bytes", JIT_TRUST_FILE_MAX);
        r = json_parse_object_strict(text, len, TRUST_JSON_DEPTH, &root, err);
        if (r < 0)
                return r;
        if (!json_object_object_get_ex(root, "keys", &keys) ||
            !json_object_is_type(keys, json_type_array))
                return jit_error_set(err, EINVAL, JIT_REASON_KEY,
                                     "trust store has no \"keys\" array");
        n = json_object_array_length(keys);
        if (n == 0)
                return jit_error_set(err, EINVAL, JIT_REASON_KEY, "trust store has no keys");
        if (n > JIT_TRUST_KEYS_MAX)
                return jit_error_set(err, E2BIG, JIT_REASON_TOO_LARGE,
                                     "trust store has %zu keys, at most %u", n, JIT_TRUST_KEYS_MAX);

        ts = calloc(1, sizeof(*ts));
        if (!ts)
                return jit_error_oom(err);
        ts->keys = calloc(n, sizeof(struct jwk));
        if (!ts->keys)
                return jit_error_oom(err);

        for (size_t i = 0; i < n; i++) {
                r = jwk_from_json(json_object_array_get_idx(keys, i), &ts->keys[i], err);
                if (r < 0) {
                        jit_error_prefix(err, "trust store keys[%zu]", i);
                        return r;
                }
                ts->n_keys++;
                if (trust_store_find(ts, ts->keys[i].kid) != &ts->keys[i])
                        return jit_error_set(err, EINVAL, JIT_REASON_KEY,
                                             "trust store lists kid \"%s\" twice", ts->keys[i].kid);
        }
        *ret = TAKE_PTR(ts);
        return 0;
}

int trust_store_load(const char *path, uid_t owner, struct trust_store **ret,
                     struct jit_error *err) {
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r;

        r = read_file_secure(path, owner, JIT_TRUST_FILE_MAX, &text, &len, err);
        if (r < 0)
                return r;
        r = trust_store_parse(text, len, ret, err);
        if (r < 0)
                jit_error_prefix(err, "%s", path);
        return r;
}

const struct jwk *trust_store_find(const struct trust_store *ts, const char *kid) {
        if (!ts || !kid)
                return NULL;
        for (size_t i = 0; i < ts->n_keys; i++)
                if (streq(ts->keys[i].kid, kid))
                        return &ts->keys[i];
        return NULL;
}
