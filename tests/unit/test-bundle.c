/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Bundles: a table of hostile bundles, one line each, named by what is
 * wrong; valid bundles and their fields; freshness and revocation. */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test-util.h"

#include "bundle.h"
#include "jit-limits.h"
#include "json.h"
#include "jws.h"
#include "macro.h"

static struct test_key ed, es;
static struct trust_store *ts;

#define HDR(alg, typ, kid) "{\"alg\":\"" alg "\",\"typ\":\"" typ "\",\"kid\":\"" kid "\"}"
#define BUNDLE_HDR(alg) HDR(alg, "jit-bundle+jwt", "ed-1")
#define S(s) "\"" s "\""
#define J128                                                                                       \
        "jjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjj"                         \
        "jjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjj"
_Static_assert(sizeof(J128) == 129, "J128");

struct row;
typedef char *(*build_fn)(const struct row *r);

struct row {
        const char *name;
        build_fn build;            /* NULL: b_signed */
        const char *header;        /* NULL: the default EdDSA bundle header */
        struct test_member set[4]; /* claim overrides (see test_member) */
        int op;                    /* builder argument */
        int64_t at;                /* checked at TEST_NOW + at */
        enum jit_reason reason;
        enum jit_reason alt;
};

static char *b_signed(const struct row *r) {
        _cleanup_free_ char *h =
                r->header ? strdup(r->header) : test_header("EdDSA", JWS_TYP_BUNDLE, "ed-1");
        _cleanup_free_ char *p = test_bundle_claims(TEST_NOW, r->set);

        return test_sign(&ed, h, p);
}

/* A valid grant token offered as a bundle. */
static char *b_grant(const struct row *r) {
        return test_grant_token(&ed, TEST_NOW, NULL);
}

/* A valid bundle with the last signature byte flipped. */
static char *b_flip(const struct row *r) {
        _cleanup_free_ char *token = b_signed(r), *sig64 = NULL;
        _cleanup_free_ uint8_t *sig = NULL;
        char *dot = strrchr(token, '.');
        size_t n = 0;

        sig = test_unb64(dot + 1, strlen(dot + 1), &n);
        sig[n - 1] ^= 0x80;
        sig64 = test_b64(sig, n);
        *dot = 0;
        return test_strdupf("%s.%s", token, sig64);
}

/* A valid bundle padded with 'A' to JIT_BUNDLE_TOKEN_MAX + 1 bytes. */
static char *b_over_cap(const struct row *r) {
        _cleanup_free_ char *token = b_signed(r);
        size_t n = strlen(token);
        char *t = malloc(JIT_BUNDLE_TOKEN_MAX + 2);

        assert_non_null(t);
        memcpy(t, token, n);
        memset(t + n, 'A', JIT_BUNDLE_TOKEN_MAX + 1 - n);
        t[JIT_BUNDLE_TOKEN_MAX + 1] = 0;
        return t;
}

/* "grants" of op entries "g" (or, op < 0, revoked of -op entries). */
static char *b_many(const struct row *r) {
        size_t n = (size_t) (r->op < 0 ? -r->op : r->op), len = 2 + n * 4;
        _cleanup_free_ char *list = malloc(len + 1);
        const struct test_member set[] = {{r->op < 0 ? "revoked" : "grants", list}, {}};
        _cleanup_free_ char *h = test_header("EdDSA", JWS_TYP_BUNDLE, "ed-1");
        _cleanup_free_ char *p = NULL;
        char *q;

        assert_non_null(list);
        q = list;
        *q++ = '[';
        for (size_t i = 0; i < n; i++) {
                memcpy(q, i > 0 ? ",\"g\"" : "\"g\"", i > 0 ? 4 : 3);
                q += i > 0 ? 4 : 3;
        }
        *q++ = ']';
        *q = 0;
        p = test_bundle_claims(TEST_NOW, set);
        return test_sign(&ed, h, p);
}

/* One grant string of op bytes. */
static char *b_long_grant(const struct row *r) {
        _cleanup_free_ char *g = test_strrep('a', (size_t) r->op);
        _cleanup_free_ char *list = test_strdupf("[\"%s\"]", g);
        const struct test_member set[] = {{"grants", list}, {}};
        _cleanup_free_ char *h = test_header("EdDSA", JWS_TYP_BUNDLE, "ed-1");
        _cleanup_free_ char *p = test_bundle_claims(TEST_NOW, set);

        return test_sign(&ed, h, p);
}

/* clang-format off */
static const struct row bad[] = {
        /* JWS */
        {"a grant token passed as a bundle", b_grant, .reason = JIT_REASON_TYP},
        {"typ jit-grant+jwt on bundle claims", .header = HDR("EdDSA", "jit-grant+jwt", "ed-1"), .reason = JIT_REASON_TYP},
        {"typ missing", .header = "{\"alg\":\"EdDSA\",\"kid\":\"ed-1\"}", .reason = JIT_REASON_TYP},
        {"alg none", .header = BUNDLE_HDR("none"), .reason = JIT_REASON_ALG_NONE},
        {"alg HS256", .header = BUNDLE_HDR("HS256"), .reason = JIT_REASON_ALG_HMAC},
        {"alg ES256 on an EdDSA kid", .header = BUNDLE_HDR("ES256"), .reason = JIT_REASON_ALG_MISMATCH},
        {"crit present", .header = "{\"alg\":\"EdDSA\",\"typ\":\"jit-bundle+jwt\",\"kid\":\"ed-1\",\"crit\":[\"serial\"]}", .reason = JIT_REASON_CRIT},
        {"kid unknown", .header = HDR("EdDSA", "jit-bundle+jwt", "nobody"), .reason = JIT_REASON_KID_UNKNOWN},
        {"bad signature (last bit flipped)", b_flip, .reason = JIT_REASON_SIGNATURE},
        {"duplicate serial (7, then 1000)", .set = {{"+serial", "1000"}}, .reason = JIT_REASON_JSON_DUPLICATE},
        {"duplicate revoked (second one empty)", .set = {{"revoked", "[\"g-1\"]"}, {"+revoked", "[]"}}, .reason = JIT_REASON_JSON_DUPLICATE},
        {"token of JIT_BUNDLE_TOKEN_MAX + 1 bytes", b_over_cap, .reason = JIT_REASON_TOO_LARGE},
        /* serial */
        {"serial 0", .set = {{"serial", "0"}}, .reason = JIT_REASON_CLAIM_RANGE},
        {"serial negative", .set = {{"serial", "-1"}}, .reason = JIT_REASON_CLAIM_RANGE},
        {"serial a string", .set = {{"serial", S("7")}}, .reason = JIT_REASON_CLAIM_TYPE},
        {"serial a float", .set = {{"serial", "7.0"}}, .reason = JIT_REASON_CLAIM_TYPE},
        {"serial 2^53", .set = {{"serial", "9007199254740992"}}, .reason = JIT_REASON_CLAIM_RANGE},
        {"serial 2^64 (overflows int64)", .set = {{"serial", "18446744073709551616"}}, .reason = JIT_REASON_CLAIM_RANGE, .alt = JIT_REASON_CLAIM_TYPE},
        {"serial missing", .set = {{"serial", NULL}}, .reason = JIT_REASON_CLAIM_MISSING},
        /* grants */
        {"grants not an array (a string)", .set = {{"grants", S("a.b.c")}}, .reason = JIT_REASON_CLAIM_TYPE},
        {"grants an object", .set = {{"grants", "{}"}}, .reason = JIT_REASON_CLAIM_TYPE},
        {"grants with a number element", .set = {{"grants", "[\"a.b.c\",1]"}}, .reason = JIT_REASON_CLAIM_TYPE},
        {"grants with a null element", .set = {{"grants", "[null]"}}, .reason = JIT_REASON_CLAIM_TYPE},
        {"grants with an empty string", .set = {{"grants", "[\"\"]"}}, .reason = JIT_REASON_CLAIM_RANGE, .alt = JIT_REASON_CLAIM_VALUE},
        {"grants entry of JIT_GRANT_TOKEN_MAX + 1 bytes", b_long_grant, .op = JIT_GRANT_TOKEN_MAX + 1, .reason = JIT_REASON_CLAIM_RANGE, .alt = JIT_REASON_TOO_LARGE},
        {"grants of JIT_BUNDLE_GRANTS_MAX + 1 entries", b_many, .op = JIT_BUNDLE_GRANTS_MAX + 1, .reason = JIT_REASON_CLAIM_RANGE, .alt = JIT_REASON_TOO_LARGE},
        {"grants missing", .set = {{"grants", NULL}}, .reason = JIT_REASON_CLAIM_MISSING},
        /* revoked */
        {"revoked with a bad jti (g/1)", .set = {{"revoked", "[\"g-2\",\"g/1\"]"}}, .reason = JIT_REASON_CLAIM_VALUE},
        {"revoked with a jti with a space", .set = {{"revoked", "[\"g 1\"]"}}, .reason = JIT_REASON_CLAIM_VALUE},
        {"revoked with a 129-character jti", .set = {{"revoked", "[\"" J128 "j\"]"}}, .reason = JIT_REASON_CLAIM_VALUE},
        {"revoked with a number", .set = {{"revoked", "[1]"}}, .reason = JIT_REASON_CLAIM_TYPE},
        {"revoked a string", .set = {{"revoked", S("g-1")}}, .reason = JIT_REASON_CLAIM_TYPE},
        {"revoked of JIT_BUNDLE_REVOKED_MAX + 1 entries", b_many, .op = -(int) (JIT_BUNDLE_REVOKED_MAX + 1), .reason = JIT_REASON_CLAIM_RANGE, .alt = JIT_REASON_TOO_LARGE},
        {"revoked missing", .set = {{"revoked", NULL}}, .reason = JIT_REASON_CLAIM_MISSING},
        /* iss and times */
        {"iss missing", .set = {{"iss", NULL}}, .reason = JIT_REASON_CLAIM_MISSING},
        {"iss untrusted", .set = {{"iss", S("https://evil.example.com")}}, .reason = JIT_REASON_ISSUER},
        {"iss an array", .set = {{"iss", "[\"" TEST_ISSUER "\"]"}}, .reason = JIT_REASON_CLAIM_TYPE},
        {"iat missing", .set = {{"iat", NULL}}, .reason = JIT_REASON_CLAIM_MISSING},
        {"exp missing", .set = {{"exp", NULL}}, .reason = JIT_REASON_CLAIM_MISSING},
        {"iat a string", .set = {{"iat", S("1800000000")}}, .reason = JIT_REASON_CLAIM_TYPE},
        {"exp a float", .set = {{"exp", "1800000900.5"}}, .reason = JIT_REASON_CLAIM_TYPE},
        {"iat negative", .set = {{"iat", "-1"}}, .reason = JIT_REASON_CLAIM_RANGE},
        {"exp 2^53", .set = {{"exp", "9007199254740992"}}, .reason = JIT_REASON_CLAIM_RANGE},
        {"exp equal to iat", .set = {{"exp", "@-10"}}, .reason = JIT_REASON_CLAIM_VALUE},
        {"exp before iat", .set = {{"exp", "@-11"}}, .reason = JIT_REASON_CLAIM_VALUE},
        {"issued in the future: iat = now + skew + 1", .set = {{"iat", "@61"}}, .reason = JIT_REASON_ISSUED_IN_FUTURE},
        {"issued a day in the future", .set = {{"iat", "@86400"}, {"exp", "@90000"}}, .reason = JIT_REASON_ISSUED_IN_FUTURE},
};

static const struct row good[] = {
        {"default bundle (no grants, no revocations)"},
        {"fixed \"issued in the future\": iat = now + skew", .set = {{"iat", "@60"}}},
        {"fixed \"exp equal to iat\": exp = iat + 1", .set = {{"exp", "@-9"}}},
        {"fixed \"serial 0\": serial 1", .set = {{"serial", "1"}}},
        {"fixed \"serial 2^53\": serial 2^53 - 1", .set = {{"serial", "9007199254740991"}}},
        {"fixed \"iss untrusted\": trusted iss", .set = {{"iss", S(TEST_ISSUER)}}},
        {"fixed \"revoked 129\": a 128-character jti", .set = {{"revoked", "[\"" J128 "\"]"}}},
        {"stale bundle (exp long past): freshness is the caller's decision", .at = 100000},
        {"unknown claims are ignored", .set = {{"x-store", "{\"region\":[\"eu\",{\"a\":1}]}"}}},
        {"grants entry of exactly JIT_GRANT_TOKEN_MAX bytes", b_long_grant, .op = JIT_GRANT_TOKEN_MAX},
};
/* clang-format on */

static char *build_row(const struct row *r) {
        return (r->build ? r->build : b_signed)(r);
}

static void test_bad_rows(void **state) {
        unsigned failed = 0;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                const struct row *r = &bad[i];
                _cleanup_free_ char *token = build_row(r);
                struct bundle *b = NULL;
                struct jit_error err = {};
                int k;

                k = bundle_from_token(token, strlen(token), ts, test_policy(), TEST_NOW + r->at, &b,
                                      &err);
                if (!test_check_reason(r->name, k, &err, r->reason, r->alt))
                        failed++;
                else if (b) {
                        print_error("%s: *ret set on failure\n", r->name);
                        failed++;
                }
                bundle_free(b);
        }
        print_message("%zu rejected-bundle rows, %u failed\n", ELEMENTSOF(bad), failed);
        assert_int_equal(failed, 0);
}

static void test_good_rows(void **state) {
        unsigned failed = 0;

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                const struct row *r = &good[i];
                _cleanup_free_ char *token = build_row(r);
                _cleanup_(bundle_freep) struct bundle *b = NULL;
                struct jit_error err = {};
                int k;

                k = bundle_from_token(token, strlen(token), ts, test_policy(), TEST_NOW + r->at, &b,
                                      &err);
                if (k < 0 || !b) {
                        print_error("%s: expected success, got %d (%s: %s)\n", r->name, k,
                                    jit_reason_to_string(err.reason), err.message);
                        failed++;
                }
        }
        print_message("%zu accepted-bundle rows, %u failed\n", ELEMENTSOF(good), failed);
        assert_int_equal(failed, 0);
}

static void assert_strv(const char *const *l, size_t n, const char *const *want) {
        assert_non_null(l);
        for (size_t i = 0; i < n; i++) {
                assert_non_null(l[i]);
                assert_string_equal(l[i], want[i]);
        }
        assert_null(l[n]);
}

/* Three real grants and two revocations (given unsorted; stored sorted). */
static void test_valid_bundle(void **state) {
        static const struct test_member g2[] = {{"jti", S("g-2")}, {"sub", S("bob")}, {}};
        static const struct test_member g3[] = {{"jti", S("g-3")}, {"scope", "[\"ssh\"]"}, {}};
        _cleanup_free_ char *t1 = test_grant_token(&ed, TEST_NOW, NULL);
        _cleanup_free_ char *t2 = test_grant_token(&ed, TEST_NOW, g2);
        _cleanup_free_ char *t3 = test_grant_token(&es, TEST_NOW, g3);
        _cleanup_free_ char *grants = test_strdupf("[\"%s\",\"%s\",\"%s\"]", t1, t2, t3);
        const struct test_member set[] = {
                {"grants", grants}, {"revoked", "[\"g-9\",\"g-2\"]"}, {"serial", "42"}, {}};
        _cleanup_free_ char *token = test_bundle_token(&ed, TEST_NOW, set);
        _cleanup_(bundle_freep) struct bundle *b = NULL;
        struct jit_error err = {};

        assert_ok(bundle_from_token(token, strlen(token), ts, test_policy(), TEST_NOW, &b, &err),
                  &err);
        assert_non_null(b);
        assert_string_equal(b->iss, TEST_ISSUER);
        assert_int_equal(b->iat, TEST_NOW - 10);
        assert_int_equal(b->exp, TEST_NOW + 900);
        assert_int_equal(b->serial, 42);
        assert_int_equal(b->n_grants, 3);
        assert_strv(b->grants, 3, (const char *[]){t1, t2, t3});
        assert_int_equal(b->n_revoked, 2);
        assert_strv((const char *const *) b->revoked, 2, (const char *[]){"g-2", "g-9"});

        /* Each grant inside still verifies on its own. */
        for (size_t i = 0; i < b->n_grants; i++) {
                _cleanup_(grant_freep) struct grant *g = NULL;

                assert_ok(grant_verify(b->grants[i], strlen(b->grants[i]), ts, test_policy(),
                                       TEST_NOW, &g, &err),
                          &err);
        }

        assert_true(bundle_is_revoked(b, "g-2"));
        assert_true(bundle_is_revoked(b, "g-9"));
        assert_false(bundle_is_revoked(b, "g-1"));
        assert_false(bundle_is_revoked(b, "g-3"));
        assert_false(bundle_is_revoked(b, "g-"));
        assert_false(bundle_is_revoked(b, "g-22"));
        assert_false(bundle_is_revoked(b, "G-2"));
        assert_false(bundle_is_revoked(b, ""));
}

static void test_serial_max(void **state) {
        static const struct test_member set[] = {{"serial", "9007199254740991"}, {}};
        _cleanup_free_ char *token = test_bundle_token(&ed, TEST_NOW, set);
        _cleanup_(bundle_freep) struct bundle *b = NULL;
        struct jit_error err = {};

        assert_ok(bundle_from_token(token, strlen(token), ts, test_policy(), TEST_NOW, &b, &err),
                  &err);
        assert_true(b->serial == JIT_SERIAL_MAX);
}

/* Fresh while now - skew < exp: at exp + skew it is stale, as a grant is
 * expired at exp + skew. */
static void test_fresh(void **state) {
        _cleanup_free_ char *token = test_bundle_token(&ed, TEST_NOW, NULL);
        _cleanup_(bundle_freep) struct bundle *b = NULL;
        struct jit_error err = {};
        int64_t exp = TEST_NOW + 900;

        assert_ok(bundle_from_token(token, strlen(token), ts, test_policy(), TEST_NOW, &b, &err),
                  &err);
        assert_true(bundle_is_fresh(b, TEST_NOW, 60));
        assert_true(bundle_is_fresh(b, exp - 1, 60));
        assert_true(bundle_is_fresh(b, exp, 60));
        assert_true(bundle_is_fresh(b, exp + 59, 60));
        assert_false(bundle_is_fresh(b, exp + 60, 60));
        assert_false(bundle_is_fresh(b, exp + 61, 60));
        assert_false(bundle_is_fresh(b, exp + 86400, 60));
        assert_true(bundle_is_fresh(b, exp - 1, 0));
        assert_false(bundle_is_fresh(b, exp, 0));
}

/* An empty revocation list revokes nothing. */
static void test_not_revoked(void **state) {
        _cleanup_free_ char *token = test_bundle_token(&ed, TEST_NOW, NULL);
        _cleanup_(bundle_freep) struct bundle *b = NULL;
        struct jit_error err = {};

        assert_ok(bundle_from_token(token, strlen(token), ts, test_policy(), TEST_NOW, &b, &err),
                  &err);
        assert_int_equal(b->n_grants, 0);
        assert_non_null(b->grants);
        assert_null(b->grants[0]);
        assert_int_equal(b->n_revoked, 0);
        assert_false(bundle_is_revoked(b, "g-1"));
}

/* 10 000 small grant strings: counted, kept in order. */
static void test_many_grants(void **state) {
        const size_t n = 10000;
        size_t cap = 2 + n * 12, len = 0;
        _cleanup_free_ char *list = malloc(cap);
        _cleanup_free_ char *token = NULL;
        _cleanup_(bundle_freep) struct bundle *b = NULL;
        struct jit_error err = {};
        char name[32];

        assert_non_null(list);
        list[len++] = '[';
        for (size_t i = 0; i < n; i++)
                len += (size_t) snprintf(list + len, cap - len, "%s\"g.%zu\"", i > 0 ? "," : "", i);
        list[len++] = ']';
        list[len] = 0;
        {
                const struct test_member set[] = {{"grants", list}, {}};

                token = test_bundle_token(&ed, TEST_NOW, set);
        }

        assert_ok(bundle_from_token(token, strlen(token), ts, test_policy(), TEST_NOW, &b, &err),
                  &err);
        assert_int_equal(b->n_grants, n);
        assert_string_equal(b->grants[0], "g.0");
        (void) snprintf(name, sizeof(name), "g.%zu", n - 1);
        assert_string_equal(b->grants[n - 1], name);
        assert_null(b->grants[n]);
}

/* bundle_from_claims() directly: the same rules without a signature. */
static void test_from_claims(void **state) {
        static const struct test_member bad_serial[] = {{"serial", "0"}, {}};
        _cleanup_free_ char *ok = test_bundle_claims(TEST_NOW, NULL);
        _cleanup_free_ char *bad_text = test_bundle_claims(TEST_NOW, bad_serial);
        _cleanup_json_ struct json_object *o1 = json_tokener_parse(ok);
        _cleanup_json_ struct json_object *o2 = json_tokener_parse(bad_text);
        _cleanup_(bundle_freep) struct bundle *b = NULL;
        struct bundle *b2 = NULL;
        struct jit_error err = {};

        assert_non_null(o1);
        assert_non_null(o2);
        assert_ok(bundle_from_claims(o1, &b, &err), &err);
        assert_int_equal(b->serial, 7);
        assert_reason(bundle_from_claims(o2, &b2, &err), &err, JIT_REASON_CLAIM_RANGE);
        assert_null(b2);
}

static int setup(void **state) {
        const struct test_key *const trusted[] = {&ed, &es};

        test_key_init(&ed, JWS_ALG_EDDSA, "ed-1");
        test_key_init(&es, JWS_ALG_ES256, "es-1");
        ts = test_trust_store(trusted, ELEMENTSOF(trusted));
        return 0;
}

static int teardown(void **state) {
        trust_store_free(ts);
        ts = NULL;
        test_key_done(&ed);
        test_key_done(&es);
        return 0;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_bad_rows),     cmocka_unit_test(test_good_rows),
                cmocka_unit_test(test_valid_bundle), cmocka_unit_test(test_serial_max),
                cmocka_unit_test(test_fresh),        cmocka_unit_test(test_not_revoked),
                cmocka_unit_test(test_many_grants),  cmocka_unit_test(test_from_claims),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
