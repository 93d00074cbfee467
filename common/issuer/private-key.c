/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private key handling for the issuing side (jitctl, tests). Nothing here
 * runs on a host's login path. */

#include <errno.h>
#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <sys/stat.h>

#include "base64url.h"
#include "fileio.h"
#include "jit-limits.h"
#include "json.h"
#include "jwk.h"
#include "private-key.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(BIO *, BIO_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(BIGNUM *, BN_free);

int key_generate(enum jws_alg alg, EVP_PKEY **ret, struct jit_error *err) {
        EVP_PKEY *pkey = NULL;

        switch (alg) {
        case JWS_ALG_EDDSA:
                pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
                break;
        case JWS_ALG_ES256:
                pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
                break;
        case JWS_ALG_RS256:
        case JWS_ALG_PS256:
                pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 2048);
                break;
        default:
                return jit_error_set(err, EINVAL, JIT_REASON_ALG_UNKNOWN,
                                     "cannot generate a key for this algorithm");
        }
        if (!pkey) {
                ERR_clear_error();
                return jit_error_set(err, EIO, JIT_REASON_SYSTEM, "key generation failed");
        }
        *ret = pkey;
        return 0;
}

static int key_alg_of(EVP_PKEY *pkey, enum jws_alg *ret) {
        char group[32];

        if (EVP_PKEY_is_a(pkey, "ED25519"))
                *ret = JWS_ALG_EDDSA;
        else if (EVP_PKEY_is_a(pkey, "EC") &&
                 EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                                sizeof(group), NULL) == 1 &&
                 streq(group, "prime256v1"))
                *ret = JWS_ALG_ES256;
        else if (EVP_PKEY_is_a(pkey, "RSA") && EVP_PKEY_get_bits(pkey) >= 2048)
                *ret = JWS_ALG_RS256;
        else
                return -EINVAL;
        return 0;
}

int key_load_private(const char *path, EVP_PKEY **ret, enum jws_alg *ret_alg,
                     struct jit_error *err) {
        _cleanup_close_ int fd = -1;
        _cleanup_(BIO_freep) BIO *bio = NULL;
        uint8_t *buf = NULL;
        EVP_PKEY *pkey = NULL;
        struct stat st;
        ssize_t n;
        size_t len = 0;
        int r;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        if (fd < 0)
                return jit_error_set(err, errno, JIT_REASON_SYSTEM, "%s: %m", path);
        if (fstat(fd, &st) < 0)
                return jit_error_set(err, errno, JIT_REASON_SYSTEM, "%s: %m", path);
        if (!S_ISREG(st.st_mode))
                return jit_error_set(err, EPERM, JIT_REASON_FILE_UNSAFE, "%s: not a regular file",
                                     path);
        /* As ssh refuses an unprotected private key file. */
        if (st.st_mode & 0077)
                return jit_error_set(err, EPERM, JIT_REASON_FILE_UNSAFE,
                                     "%s: permissions %04o are too open, the key must be 0600",
                                     path, (unsigned) (st.st_mode & 07777));
        if (st.st_size > (off_t) JIT_PRIVATE_KEY_FILE_MAX)
                return jit_error_set(err, EFBIG, JIT_REASON_TOO_LARGE, "%s: too large", path);

        buf = malloc(JIT_PRIVATE_KEY_FILE_MAX);
        if (!buf)
                return jit_error_oom(err);
        while (len < JIT_PRIVATE_KEY_FILE_MAX) {
                n = read(fd, buf + len, JIT_PRIVATE_KEY_FILE_MAX - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = jit_error_set(err, errno, JIT_REASON_SYSTEM, "%s: %m", path);
                        freezero(buf, JIT_PRIVATE_KEY_FILE_MAX);
                        return r;
                }
                if (n == 0)
                        break;
                len += (size_t) n;
        }

        bio = BIO_new_mem_buf(buf, (int) len);
        if (bio)
                pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
        freezero(buf, JIT_PRIVATE_KEY_FILE_MAX);
        if (!pkey) {
                ERR_clear_error();
                return jit_error_set(err, EINVAL, JIT_REASON_KEY,
                                     "%s: not a PEM private key (or it is encrypted)", path);
        }
        if (key_alg_of(pkey, ret_alg) < 0) {
                EVP_PKEY_free(pkey);
                return jit_error_set(err, EINVAL, JIT_REASON_KEY,
                                     "%s: key type is not Ed25519, P-256 or RSA >= 2048", path);
        }
        *ret = pkey;
        return 0;
}

int key_save_private(const char *path, EVP_PKEY *pkey, struct jit_error *err) {
        _cleanup_(BIO_freep) BIO *bio = NULL;
        char *data;
        long len;
        int r;

        bio = BIO_new(BIO_s_secmem());
        if (!bio || PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) != 1) {
                ERR_clear_error();
                return jit_error_set(err, EIO, JIT_REASON_SYSTEM, "cannot encode private key");
        }
        len = BIO_get_mem_data(bio, &data);
        if (len <= 0)
                return jit_error_set(err, EIO, JIT_REASON_SYSTEM, "cannot encode private key");
        r = write_file_atomic(path, data, (size_t) len, 0600, err);
        explicit_wipe(data, (size_t) len);
        return r;
}

/* The public parameters of a key as base64url strings, in the member names
 * of RFC 7518 §6: shared by the JWK export and the RFC 7638 thumbprint. */
struct jwk_public {
        const char *kty, *crv;
        char *x, *y, *n, *e;
};

static void jwk_public_done(struct jwk_public *p) {
        free(p->x);
        free(p->y);
        free(p->n);
        free(p->e);
}

static int bn_param_b64(EVP_PKEY *pkey, const char *name, int pad, char **ret) {
        _cleanup_(BN_freep) BIGNUM *bn = NULL;
        _cleanup_free_ uint8_t *buf = NULL;
        int len;

        if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1)
                return -EIO;
        len = pad > 0 ? pad : BN_num_bytes(bn);
        buf = malloc((size_t) len + 1);
        if (!buf)
                return -ENOMEM;
        if (BN_bn2binpad(bn, buf, len) != len)
                return -EIO;
        return base64url_encode(buf, (size_t) len, ret, NULL);
}

static int jwk_public_of(EVP_PKEY *pkey, struct jwk_public *ret) {
        uint8_t raw[32];
        size_t raw_len = sizeof(raw);
        int r;

        *ret = (struct jwk_public){};
        if (EVP_PKEY_is_a(pkey, "ED25519")) {
                if (EVP_PKEY_get_raw_public_key(pkey, raw, &raw_len) != 1 || raw_len != 32)
                        return -EIO;
                ret->kty = "OKP";
                ret->crv = "Ed25519";
                return base64url_encode(raw, raw_len, &ret->x, NULL);
        }
        if (EVP_PKEY_is_a(pkey, "EC")) {
                ret->kty = "EC";
                ret->crv = "P-256";
                r = bn_param_b64(pkey, OSSL_PKEY_PARAM_EC_PUB_X, 32, &ret->x);
                if (r >= 0)
                        r = bn_param_b64(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, 32, &ret->y);
                return r;
        }
        if (EVP_PKEY_is_a(pkey, "RSA")) {
                ret->kty = "RSA";
                r = bn_param_b64(pkey, OSSL_PKEY_PARAM_RSA_N, 0, &ret->n);
                if (r >= 0)
                        r = bn_param_b64(pkey, OSSL_PKEY_PARAM_RSA_E, 0, &ret->e);
                return r;
        }
        return -EINVAL;
}

int key_to_public_jwk(EVP_PKEY *pkey, enum jws_alg alg, const char *kid, struct json_object **ret,
                      struct jit_error *err) {
        _cleanup_(jwk_public_done) struct jwk_public p = {};
        _cleanup_json_ struct json_object *o = NULL;
        int r;

        r = jwk_public_of(pkey, &p);
        if (r < 0) {
                ERR_clear_error();
                return jit_error_set(err, r, JIT_REASON_KEY, "cannot export public key");
        }
        o = json_object_new_object();
        if (!o)
                return jit_error_oom(err);
#define ADD(name, value)                                                                           \
        if ((value) && json_object_object_add(o, name, json_object_new_string(value)) < 0)         \
                return jit_error_oom(err);
        ADD("kty", p.kty);
        ADD("crv", p.crv);
        ADD("x", p.x);
        ADD("y", p.y);
        ADD("n", p.n);
        ADD("e", p.e);
        ADD("kid", kid);
        ADD("alg", jws_alg_to_string(alg));
        ADD("use", "sig");
#undef ADD
        *ret = TAKE_PTR(o);
        return 0;
}

int key_thumbprint(EVP_PKEY *pkey, char **ret, struct jit_error *err) {
        _cleanup_(jwk_public_done) struct jwk_public p = {};
        _cleanup_free_ char *canonical = NULL;
        uint8_t digest[SHA256_DIGEST_LENGTH];
        int r;

        r = jwk_public_of(pkey, &p);
        if (r < 0) {
                ERR_clear_error();
                return jit_error_set(err, r, JIT_REASON_KEY, "cannot export public key");
        }
        /* RFC 7638 §3.2: the required members only, in lexicographic order,
         * no white space. Every value is base64url or a fixed name, so no
         * JSON escaping is needed. */
        if (p.n)
                r = asprintf(&canonical, "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", p.e, p.n);
        else if (p.y)
                r = asprintf(&canonical,
                             "{\"crv\":\"%s\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}", p.crv,
                             p.x, p.y);
        else
                r = asprintf(&canonical, "{\"crv\":\"%s\",\"kty\":\"OKP\",\"x\":\"%s\"}", p.crv,
                             p.x);
        if (r < 0) {
                canonical = NULL;
                return jit_error_oom(err);
        }
        SHA256((const uint8_t *) canonical, strlen(canonical), digest);
        r = base64url_encode(digest, sizeof(digest), ret, NULL);
        if (r < 0)
                return jit_error_oom(err);
        return 0;
}
