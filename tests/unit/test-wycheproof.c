/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Project Wycheproof vectors (tests/vectors/wycheproof, see SOURCE there)
 * through the same path a token takes: the group's public key is loaded from
 * its JWK with jwk_from_json(), every signature is checked with
 * jws_verify_raw(). Nothing is skipped: the number of tests run must equal
 * the file's numberOfTests. */

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json.h>

#include "base64url.h"
#include "error.h"
#include "json.h"
#include "jwk.h"
#include "jws.h"
#include "macro.h"

struct vector_file {
        const char *file;
        enum jws_alg alg;
        const char *jwk_member; /* the group's JWK */
        /* Groups whose key jwk_from_json() is expected to refuse, terminated
         * by -1. Empty for all four files: every key in them fits the policy
         * (P-256, Ed25519, RSA 2048 with e = 65537 or 3). */
        int refused_groups[4];
};

static const struct vector_file files[] = {
        {"ed25519_test.json", JWS_ALG_EDDSA, "publicKeyJwk", {-1}},
        {"ecdsa_secp256r1_sha256_p1363_test.json", JWS_ALG_ES256, "publicKeyJwk", {-1}},
        {"rsa_signature_2048_sha256_test.json", JWS_ALG_RS256, "keyJwk", {-1}},
        {"rsa_pss_2048_sha256_mgf1_32_test.json", JWS_ALG_PS256, "publicKeyJwk", {-1}},
};

static int unhex(const char *s, uint8_t **ret, size_t *ret_len) {
        size_t n = strlen(s);
        uint8_t *b;

        if (n % 2)
                return -1;
        b = malloc(n / 2 + 1);
        assert_non_null(b);
        for (size_t i = 0; i < n / 2; i++) {
                unsigned v;

                if (sscanf(s + 2 * i, "%2x", &v) != 1) {
                        free(b);
                        return -1;
                }
                b[i] = (uint8_t) v;
        }
        *ret = b;
        *ret_len = n / 2;
        return 0;
}

static const char *get_string(struct json_object *o, const char *name) {
        struct json_object *v;

        if (!json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, json_type_string))
                fail_msg("vector file: member \"%s\" missing or not a string", name);
        return json_object_get_string(v);
}

static struct json_object *get_member(struct json_object *o, const char *name, json_type type) {
        struct json_object *v;

        if (!json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, type))
                fail_msg("vector file: member \"%s\" missing or of the wrong type", name);
        return v;
}

static char *b64u(const uint8_t *p, size_t n) {
        char *s = NULL;

        assert_int_equal(base64url_encode(p, n, &s, NULL), 0);
        return s;
}

/* The group's JWK, with "alg" and a "kid" of our own. A few ECDSA groups of
 * the file (edge cases added after the JWKs were generated) carry no
 * publicKeyJwk; for them the JWK is built from publicKey.uncompressed
 * (04 || x || y), which is exactly what publicKeyJwk holds elsewhere. */
static struct json_object *group_jwk(const struct vector_file *f, struct json_object *g,
                                     size_t gi) {
        struct json_object *src, *jwk;
        char kid[64];

        if (json_object_object_get_ex(g, f->jwk_member, &src)) {
                assert_int_equal(json_object_deep_copy(src, &jwk, NULL), 0);
        } else if (f->alg == JWS_ALG_ES256) {
                struct json_object *pk = get_member(g, "publicKey", json_type_object);
                _cleanup_free_ uint8_t *pt = NULL;
                _cleanup_free_ char *x = NULL, *y = NULL;
                size_t n;

                assert_string_equal(get_string(pk, "curve"), "secp256r1");
                assert_int_equal(unhex(get_string(pk, "uncompressed"), &pt, &n), 0);
                assert_int_equal(n, 65);
                assert_int_equal(pt[0], 0x04);
                x = b64u(pt + 1, 32);
                y = b64u(pt + 33, 32);
                jwk = json_object_new_object();
                assert_non_null(jwk);
                json_object_object_add(jwk, "kty", json_object_new_string("EC"));
                json_object_object_add(jwk, "crv", json_object_new_string("P-256"));
                json_object_object_add(jwk, "x", json_object_new_string(x));
                json_object_object_add(jwk, "y", json_object_new_string(y));
        } else
                fail_msg("%s group %zu: no %s", f->file, gi, f->jwk_member);

        snprintf(kid, sizeof kid, "wycheproof-%zu", gi);
        json_object_object_add(jwk, "kid", json_object_new_string(kid));
        json_object_object_add(jwk, "alg", json_object_new_string(jws_alg_to_string(f->alg)));
        return jwk;
}

static bool group_expected_refused(const struct vector_file *f, size_t gi) {
        for (size_t i = 0; i < ELEMENTSOF(f->refused_groups) && f->refused_groups[i] >= 0; i++)
                if ((size_t) f->refused_groups[i] == gi)
                        return true;
        return false;
}

static void run_file(void **state) {
        const struct vector_file *f = *state;
        const char *dir = getenv("JIT_TEST_VECTORS");
        _cleanup_free_ char *path = NULL;
        _cleanup_json_ struct json_object *root = NULL;
        struct json_object *groups;
        int64_t expected;
        unsigned run = 0, valid_ok = 0, invalid_rejected = 0, acceptable_ok = 0,
                 acceptable_rejected = 0, failures = 0, refused_as_expected = 0;

        if (!dir)
                fail_msg("JIT_TEST_VECTORS is not set");
        assert_true(asprintf(&path, "%s/wycheproof/%s", dir, f->file) > 0);
        root = json_object_from_file(path);
        if (!root)
                fail_msg("cannot read %s: %s", path, json_util_get_last_err());

        expected = json_object_get_int64(get_member(root, "numberOfTests", json_type_int));
        groups = get_member(root, "testGroups", json_type_array);

        for (size_t gi = 0; gi < json_object_array_length(groups); gi++) {
                struct json_object *g = json_object_array_get_idx(groups, gi);
                struct json_object *tests = get_member(g, "tests", json_type_array);
                _cleanup_json_ struct json_object *jwk_json = group_jwk(f, g, gi);
                struct jit_error err = {};
                struct jwk key = {};
                int r;

                r = jwk_from_json(jwk_json, &key, &err);
                if (r < 0) {
                        if (group_expected_refused(f, gi)) {
                                refused_as_expected++;
                                /* Its tests count as run: the refusal is the check. */
                                run += (unsigned) json_object_array_length(tests);
                                continue;
                        }
                        print_error(
                                "FAIL %s group %zu: key refused (%s: %s): %s\n", f->file, gi,
                                jit_reason_to_string(err.reason), err.message,
                                json_object_to_json_string_ext(jwk_json, JSON_C_TO_STRING_PLAIN));
                        failures++;
                        continue;
                }
                if (group_expected_refused(f, gi)) {
                        print_error("FAIL %s group %zu: key accepted, expected refusal\n", f->file,
                                    gi);
                        failures++;
                }

                for (size_t ti = 0; ti < json_object_array_length(tests); ti++) {
                        struct json_object *t = json_object_array_get_idx(tests, ti);
                        const char *result = get_string(t, "result");
                        _cleanup_free_ uint8_t *msg = NULL, *sig = NULL;
                        size_t msg_len, sig_len;
                        int64_t tc = json_object_get_int64(get_member(t, "tcId", json_type_int));
                        bool ok = false;

                        if (unhex(get_string(t, "msg"), &msg, &msg_len) < 0 ||
                            unhex(get_string(t, "sig"), &sig, &sig_len) < 0)
                                fail_msg("%s tcId %" PRIi64 ": bad hex", f->file, tc);

                        err = (struct jit_error){};
                        r = jws_verify_raw(&key, msg, msg_len, sig, sig_len, &err);
                        run++;

                        if (streq(result, "valid")) {
                                ok = r == 0;
                                valid_ok += ok;
                        } else if (streq(result, "invalid")) {
                                /* A forged signature is a signature failure, not a
                                 * system error. */
                                ok = r < 0 && err.reason == JIT_REASON_SIGNATURE;
                                invalid_rejected += ok;
                        } else if (streq(result, "acceptable")) {
                                ok = r == 0 || (r < 0 && err.reason == JIT_REASON_SIGNATURE);
                                if (r == 0)
                                        acceptable_ok++;
                                else
                                        acceptable_rejected++;
                        } else
                                fail_msg("%s tcId %" PRIi64 ": result \"%s\"", f->file, tc, result);

                        if (!ok) {
                                struct json_object *flags = NULL;

                                json_object_object_get_ex(t, "flags", &flags);
                                print_error("FAIL %s group %zu tcId %" PRIi64
                                            " (%s, %s, %s): expected %s, got r=%d %s: %s\n",
                                            f->file, gi, tc, get_string(t, "comment"),
                                            flags ? json_object_to_json_string_ext(
                                                            flags, JSON_C_TO_STRING_PLAIN)
                                                  : "[]",
                                            get_string(t, "sig"), result, r,
                                            jit_reason_to_string(err.reason), err.message);
                                failures++;
                        }
                }
                jwk_done(&key);
        }

        print_message("%s: %u tests of %" PRIi64 ": valid ok %u, invalid rejected %u, "
                      "acceptable %u (accepted %u, rejected %u), keys refused as expected %u, "
                      "failures %u\n",
                      f->file, run, expected, valid_ok, invalid_rejected,
                      acceptable_ok + acceptable_rejected, acceptable_ok, acceptable_rejected,
                      refused_as_expected, failures);
        assert_int_equal(failures, 0);
        assert_int_equal(run, expected);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                {"ed25519", run_file, NULL, NULL, (void *) &files[0]},
                {"ecdsa-p256-p1363", run_file, NULL, NULL, (void *) &files[1]},
                {"rsa-pkcs1-2048-sha256", run_file, NULL, NULL, (void *) &files[2]},
                {"rsa-pss-2048-sha256-32", run_file, NULL, NULL, (void *) &files[3]},
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
