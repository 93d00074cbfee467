/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Store heads: a table of hostile heads, one line each, named by what is
 * wrong; valid heads and their fields; freshness and revocation; the
 * store's key, bin and chunk rules (store-layout.h) and shard lines. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test-util.h"

#include "head.h"
#include "jit-limits.h"
#include "json.h"
#include "jws.h"
#include "macro.h"
#include "shard.h"
#include "store-layout.h"
#include "test-store.h"

static struct test_key ed, es;
static struct trust_store *ts;

#define HDR(alg, typ, kid) "{\"alg\":\"" alg "\",\"typ\":\"" typ "\",\"kid\":\"" kid "\"}"
#define HEAD_HDR(alg) HDR(alg, "jit-head+jwt", "ed-1")
#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define D64B "f123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
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
        const char *header;        /* NULL: the default EdDSA head header */
        struct test_member set[4]; /* claim overrides (see test_member) */
        int op;                    /* builder argument */
        int64_t at;                /* checked at TEST_NOW + at */
        enum jit_reason reason;
        enum jit_reason alt;
};

static char *b_signed(const struct row *r) {
        _cleanup_free_ char *h =
                r->header ? strdup(r->header) : test_header("EdDSA", JWS_TYP_HEAD, "ed-1");
        _cleanup_free_ char *p = test_head_claims(TEST_NOW, r->set);

        return test_sign(&ed, h, p);
}

/* A valid grant token offered as a head. */
static char *b_grant(const struct row *r) {
        return test_grant_token(&ed, TEST_NOW, NULL);
}

/* A valid head with the last signature byte flipped. */
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

/* A valid head padded with 'A' to JIT_HEAD_TOKEN_MAX + 1 bytes. */
static char *b_over_cap(const struct row *r) {
        _cleanup_free_ char *token = b_signed(r);
        size_t n = strlen(token);
        char *t = malloc(JIT_HEAD_TOKEN_MAX + 2);

        assert_non_null(t);
        memcpy(t, token, n);
        memset(t + n, 'A', JIT_HEAD_TOKEN_MAX + 1 - n);
        t[JIT_HEAD_TOKEN_MAX + 1] = 0;
        return t;
}

/* "shards" of op entries (or, op < 0, "revoked" of -op entries). */
static char *b_many(const struct row *r) {
        size_t n = (size_t) (r->op < 0 ? -r->op : r->op);
        const char *one = r->op < 0 ? "[\"g\",1900000000]" : "[0,1,\"" D64 "\"]";
        size_t k = strlen(one), len = 2 + n * (k + 1);
        _cleanup_free_ char *list = malloc(len + 1);
        const struct test_member set[] = {{r->op < 0 ? "revoked" : "shards", list}, {}};
        _cleanup_free_ char *h = test_header("EdDSA", JWS_TYP_HEAD, "ed-1");
        _cleanup_free_ char *p = NULL;
        char *q;

        assert_non_null(list);
        q = list;
        *q++ = '[';
        for (size_t i = 0; i < n; i++) {
                if (i > 0)
                        *q++ = ',';
                memcpy(q, one, k);
                q += k;
        }
        *q++ = ']';
        *q = 0;
        p = test_head_claims(TEST_NOW, set);
        return test_sign(&ed, h, p);
}

/* clang-format off */
static const struct row bad[] = {
        /* JWS */
        {"a grant token passed as a head", b_grant, .reason = JIT_REASON_TYP},
        {"typ jit-grant+jwt on head claims", .header = HDR("EdDSA", "jit-grant+jwt", "ed-1"), .reason = JIT_REASON_TYP},
        {"typ jit-bundle+jwt (the old format)", .header = HDR("EdDSA", "jit-bundle+jwt", "ed-1"), .reason = JIT_REASON_TYP},
        {"typ missing", .header = "{\"alg\":\"EdDSA\",\"kid\":\"ed-1\"}", .reason = JIT_REASON_TYP},
        {"alg none", .header = HEAD_HDR("none"), .reason = JIT_REASON_ALG_NONE},
        {"alg HS256", .header = HEAD_HDR("HS256"), .reason = JIT_REASON_ALG_HMAC},
        {"alg ES256 on an EdDSA kid", .header = HEAD_HDR("ES256"), .reason = JIT_REASON_ALG_MISMATCH},
        {"crit present", .header = "{\"alg\":\"EdDSA\",\"typ\":\"jit-head+jwt\",\"kid\":\"ed-1\",\"crit\":[\"serial\"]}", .reason = JIT_REASON_CRIT},
        {"kid unknown", .header = HDR("EdDSA", "jit-head+jwt", "nobody"), .reason = JIT_REASON_KID_UNKNOWN},
        {"bad signature (last bit flipped)", b_flip, .reason = JIT_REASON_SIGNATURE},
        {"duplicate serial (7, then 1000)", .set = {{"+serial", "1000"}}, .reason = JIT_REASON_JSON_DUPLICATE},
        {"duplicate revoked (second one empty)", .set = {{"revoked", "[[\"g-1\",1900000000]]"}, {"+revoked", "[]"}}, .reason = JIT_REASON_JSON_DUPLICATE},
        {"token of JIT_HEAD_TOKEN_MAX + 1 bytes", b_over_cap, .reason = JIT_REASON_TOO_LARGE},
        /* serial */
        {"serial 0", .set = {{"serial", "0"}}, .reason = JIT_REASON_CLAIM_RANGE},
        {"serial negative", .set = {{"serial", "-1"}}, .reason = JIT_REASON_CLAIM_RANGE},
        {"serial a string", .set = {{"serial", S("7")}}, .reason = JIT_REASON_CLAIM_TYPE},
        {"serial a float", .set = {{"serial", "7.0"}}, .reason = JIT_REASON_CLAIM_TYPE},
        {"serial 2^53", .set = {{"serial", "9007199254740992"}}, .reason = JIT_REASON_CLAIM_RANGE},
        {"serial 2^64 (overflows int64)", .set = {{"serial", "18446744073709551616"}}, .reason = JIT_REASON_CLAIM_RANGE, .alt = JIT_REASON_CLAIM_TYPE},
        {"serial missing", .set = {{"serial", NULL}}, .reason = JIT_REASON_CLAIM_MISSING},
        /* bins */
        {"bins 0", .set = {{"bins", "0"}}, .reason = JIT_REASON_CLAIM_RANGE},
        {"bins over JIT_STORE_BINS_MAX", .set = {{"bins", "65537"}}, .reason = JIT_REASON_CLAIM_RANGE},
        {"bins missing", .set = {{"bins", NULL}}, .reason = JIT_REASON_CLAIM_MISSING},
        /* shards */
        {"shards not an array", .set = {{"shards", S(D64)}}, .reason = JIT_REASON_CLAIM_TYPE},
        {"shards entry not an array", .set = {{"shards", "[\"" D64 "\"]"}}, .reason = JIT_REASON_CLAIM_TYPE},
        {"shards entry of two members", .set = {{"shards", "[[0,\"" D64 "\"]]"}}, .reason = JIT_REASON_CLAIM_TYPE},
        {"shards bin not below bins", .set = {{"shards", "[[8,1,\"" D64 "\"]]"}}, .reason = JIT_REASON_CLAIM_RANGE},
        {"shards bin negative", .set = {{"shards", "[[-1,1,\"" D64 "\"]]"}}, .reason = JIT_REASON_CLAIM_RANGE},
        {"shards size 0", .set = {{"shards", "[[0,0,\"" D64 "\"]]"}}, .reason = JIT_REASON_CLAIM_RANGE},
        {"shards size over JIT_SHARD_MAX", .set = {{"shards", "[[0,4194305,\"" D64 "\"]]"}}, .reason = JIT_REASON_CLAIM_RANGE},
        {"shards digest in upper case", .set = {{"shards", "[[0,1,\"0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef\"]]"}}, .reason = JIT_REASON_CLAIM_VALUE},
        {"shards digest of 63 digits", .set = {{"shards", "[[0,1,\"123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"]]"}}, .reason = JIT_REASON_CLAIM_VALUE},
        {"shards digest a path", .set = {{"shards", "[[0,1,\"../../../../etc/shadow/789abcdef0123456789abcdef0123456789abcdef\"]]"}}, .reason = JIT_REASON_CLAIM_VALUE},
        {"shards the same digest twice in one bin", .set = {{"shards", "[[1,1,\"" D64 "\"],[1,1,\"" D64 "\"]]"}}, .reason = JIT_REASON_CLAIM_VALUE},
        {"shards of JIT_HEAD_SHARDS_MAX + 1 entries", b_many, .op = JIT_HEAD_SHARDS_MAX + 1, .reason = JIT_REASON_CLAIM_RANGE, .alt = JIT_REASON_TOO_LARGE},
        {"shards missing", .set = {{"shards", NULL}}, .reason = JIT_REASON_CLAIM_MISSING},
        /* revoked */
        {"revoked a list of ids (no until)", .set = {{"revoked", "[\"g-1\"]"}}, .reason = JIT_REASON_CLAIM_TYPE},
        {"revoked with a bad jti (g/1)", .set = {{"revoked", "[[\"g-2\",1],[\"g/1\",1]]"}}, .reason = JIT_REASON_CLAIM_VALUE},
        {"revoked with a jti with a space", .set = {{"revoked", "[[\"g 1\",1]]"}}, .reason = JIT_REASON_CLAIM_VALUE},
        {"revoked with a 129-character jti", .set = {{"revoked", "[[\"" J128 "j\",1]]"}}, .reason = JIT_REASON_CLAIM_VALUE},
        {"revoked until a string", .set = {{"revoked", "[[\"g-1\",\"1\"]]"}}, .reason = JIT_REASON_CLAIM_TYPE},
        {"revoked until negative", .set = {{"revoked", "[[\"g-1\",-1]]"}}, .reason = JIT_REASON_CLAIM_RANGE},
        {"revoked until past year 9999", .set = {{"revoked", "[[\"g-1\",253402300800]]"}}, .reason = JIT_REASON_CLAIM_RANGE},
        {"revoked a string", .set = {{"revoked", S("g-1")}}, .reason = JIT_REASON_CLAIM_TYPE},
        {"revoked of JIT_HEAD_REVOKED_MAX + 1 entries", b_many, .op = -(int) (JIT_HEAD_REVOKED_MAX + 1), .reason = JIT_REASON_CLAIM_RANGE, .alt = JIT_REASON_TOO_LARGE},
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
        {"default head (no shards, no revocations)"},
        {"fixed \"issued in the future\": iat = now + skew", .set = {{"iat", "@60"}}},
        {"fixed \"exp equal to iat\": exp = iat + 1", .set = {{"exp", "@-9"}}},
        {"fixed \"serial 0\": serial 1", .set = {{"serial", "1"}}},
        {"fixed \"serial 2^53\": serial 2^53 - 1", .set = {{"serial", "9007199254740991"}}},
        {"fixed \"iss untrusted\": trusted iss", .set = {{"iss", S(TEST_ISSUER)}}},
        {"fixed \"revoked 129\": a 128-character jti", .set = {{"revoked", "[[\"" J128 "\",1]]"}}},
        {"fixed \"bin not below bins\": bin 7 of 8", .set = {{"shards", "[[7,1,\"" D64 "\"]]"}}},
        {"fixed \"size over\": size JIT_SHARD_MAX", .set = {{"shards", "[[0,4194304,\"" D64 "\"]]"}}},
        {"bins 1", .set = {{"bins", "1"}}},
        {"the same shard in two bins (one grant under two facts)", .set = {{"shards", "[[0,1,\"" D64 "\"],[1,1,\"" D64 "\"]]"}}},
        {"stale head (exp long past): freshness is the caller's decision", .at = 100000},
        {"unknown claims are ignored", .set = {{"x-store", "{\"region\":[\"eu\",{\"a\":1}]}"}}},
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
                struct head *b = NULL;
                struct jit_error err = {};
                int k;

                k = head_from_token(token, strlen(token), ts, test_policy(), TEST_NOW + r->at, &b,
                                    &err);
                if (!test_check_reason(r->name, k, &err, r->reason, r->alt))
                        failed++;
                else if (b) {
                        print_error("%s: *ret set on failure\n", r->name);
                        failed++;
                }
                head_free(b);
        }
        print_message("%zu rejected-head rows, %u failed\n", ELEMENTSOF(bad), failed);
        assert_int_equal(failed, 0);
}

static void test_good_rows(void **state) {
        unsigned failed = 0;

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                const struct row *r = &good[i];
                _cleanup_free_ char *token = build_row(r);
                _cleanup_(head_freep) struct head *b = NULL;
                struct jit_error err = {};
                int k;

                k = head_from_token(token, strlen(token), ts, test_policy(), TEST_NOW + r->at, &b,
                                    &err);
                if (k < 0 || !b) {
                        print_error("%s: expected success, got %d (%s: %s)\n", r->name, k,
                                    jit_reason_to_string(err.reason), err.message);
                        failed++;
                }
        }
        print_message("%zu accepted-head rows, %u failed\n", ELEMENTSOF(good), failed);
        assert_int_equal(failed, 0);
}

/* Shards and revocations given unsorted come out sorted. */
static void test_valid_head(void **state) {
        const struct test_member set[] = {
                {"shards", "[[3,10,\"" D64 "\"],[1,20,\"" D64B "\"]]"},
                {"revoked", "[[\"g-9\",1900000000],[\"g-2\",1800003600]]"},
                {"serial", "42"},
                {}};
        _cleanup_free_ char *token = test_head_token(&ed, TEST_NOW, set);
        _cleanup_(head_freep) struct head *b = NULL;
        struct jit_error err = {};

        assert_ok(head_from_token(token, strlen(token), ts, test_policy(), TEST_NOW, &b, &err),
                  &err);
        assert_string_equal(b->iss, TEST_ISSUER);
        assert_int_equal(b->iat, TEST_NOW - 10);
        assert_int_equal(b->exp, TEST_NOW + 900);
        assert_int_equal(b->serial, 42);
        assert_int_equal(b->bins, 8);
        assert_int_equal(b->n_shards, 2);
        assert_int_equal(b->shards[0].bin, 1);
        assert_int_equal(b->shards[0].size, 20);
        assert_int_equal(b->shards[1].bin, 3);
        assert_string_equal(b->shards[1].digest, D64);
        assert_int_equal(b->n_revoked, 2);
        assert_string_equal(b->revoked[0], "g-2");
        assert_string_equal(b->revoked[1], "g-9");
        assert_true(head_is_revoked(b, "g-2"));
        assert_true(head_is_revoked(b, "g-9"));
        assert_false(head_is_revoked(b, "g-1"));
        assert_false(head_is_revoked(b, "g-22"));
        assert_false(head_is_revoked(b, "G-2"));
        assert_false(head_is_revoked(b, ""));
}

static void test_serial_max(void **state) {
        static const struct test_member set[] = {{"serial", "9007199254740991"}, {}};
        _cleanup_free_ char *token = test_head_token(&ed, TEST_NOW, set);
        _cleanup_(head_freep) struct head *b = NULL;
        struct jit_error err = {};

        assert_ok(head_from_token(token, strlen(token), ts, test_policy(), TEST_NOW, &b, &err),
                  &err);
        assert_true(b->serial == JIT_SERIAL_MAX);
}

/* Fresh while now - skew < exp: at exp + skew it is stale, as a grant is
 * expired at exp + skew. */
static void test_fresh(void **state) {
        _cleanup_free_ char *token = test_head_token(&ed, TEST_NOW, NULL);
        _cleanup_(head_freep) struct head *b = NULL;
        struct jit_error err = {};
        int64_t exp = TEST_NOW + 900;

        assert_ok(head_from_token(token, strlen(token), ts, test_policy(), TEST_NOW, &b, &err),
                  &err);
        assert_true(head_is_fresh(b, TEST_NOW, 60));
        assert_true(head_is_fresh(b, exp - 1, 60));
        assert_true(head_is_fresh(b, exp, 60));
        assert_true(head_is_fresh(b, exp + 59, 60));
        assert_false(head_is_fresh(b, exp + 60, 60));
        assert_false(head_is_fresh(b, exp + 86400, 60));
        assert_true(head_is_fresh(b, exp - 1, 0));
        assert_false(head_is_fresh(b, exp, 0));
}

/* head_from_claims() directly: the same rules without a signature. */
static void test_from_claims(void **state) {
        static const struct test_member bad_serial[] = {{"serial", "0"}, {}};
        _cleanup_free_ char *ok = test_head_claims(TEST_NOW, NULL);
        _cleanup_free_ char *bad_text = test_head_claims(TEST_NOW, bad_serial);
        _cleanup_json_ struct json_object *o1 = json_tokener_parse(ok);
        _cleanup_json_ struct json_object *o2 = json_tokener_parse(bad_text);
        _cleanup_(head_freep) struct head *b = NULL;
        struct head *b2 = NULL;
        struct jit_error err = {};

        assert_non_null(o1);
        assert_non_null(o2);
        assert_ok(head_from_claims(o1, &b, &err), &err);
        assert_int_equal(b->serial, 7);
        assert_reason(head_from_claims(o2, &b2, &err), &err, JIT_REASON_CLAIM_RANGE);
        assert_null(b2);
}

/* The rank of facts, narrowest first, and the fact that keys a selector. */
static void test_layout_key(void **state) {
        static const struct {
                const char *selector, *fact;
        } rows[] = {
                {"host=pay-db-1", "host=pay-db-1"},
                {"env=prod,host=pay-db-1", "host=pay-db-1"},
                {"aws.region=eu-west-1,aws.instance-id=i-0abc", "aws.instance-id=i-0abc"},
                {"aws.account=123456789012,env=prod", "env=prod"},
                {"aws.account=123456789012,aws.tag.team=pay", "aws.tag.team=pay"},
                {"gcp.zone=europe-west1-b,gcp.project=p", "gcp.zone=europe-west1-b"},
                {"azure.resource-group=rg,azure.subscription=s", "azure.resource-group=rg"},
                {"role=db,env=prod", "env=prod"}, /* a tie: by name */
                {"azure.vm-id=v,host=h", "host=h"},
                {"gcp.label.team=pay,gcp.instance-id=9", "gcp.instance-id=9"},
        };
        char buf[512];

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                assert_int_equal(store_selector_fact(rows[i].selector, buf, sizeof(buf)), 0);
                assert_string_equal(buf, rows[i].fact);
        }
        assert_int_equal(store_selector_fact("env=", buf, sizeof(buf)), -EINVAL);
        assert_int_equal(store_selector_fact("host=pay-db-1", buf, 5), -ENOBUFS);
        assert_true(store_fact_rank("host", 4) < store_fact_rank("aws.instance-id", 15));
        assert_true(store_fact_rank("aws.instance-id", 15) < store_fact_rank("env", 3));
        assert_true(store_fact_rank("env", 3) < store_fact_rank("aws.az", 6));
        assert_true(store_fact_rank("aws.az", 6) < store_fact_rank("aws.account", 11));
}

/* Bins are SHA-256("key=value") mod bins, the same on every side: fixed
 * values here, so a change of the rule (which would make hosts miss
 * grants of older publishers) fails the build. */
static void test_layout_bins(void **state) {
        struct host_facts f = {};
        struct jit_error err = {};
        uint32_t bins[8];
        size_t n;

        /* python3 -c "import hashlib; print(int.from_bytes(hashlib.sha256(b'env=prod')
         * .digest()[:4], 'big') % 64)" gives 63; for b'g-1' % 16, 9. */
        assert_int_equal(store_fact_bin("env=prod", 8, 1), 0);
        assert_true(store_fact_bin("env=prod", 8, 64) < 64);
        assert_int_equal(store_fact_bin("env=prod", 8, 64), 63);
        assert_int_equal(store_grant_chunk("g-1", 1), 0);
        assert_int_equal(store_grant_chunk("g-1", 16), 9);
        assert_ok(host_facts_add(&f, "host", "pay-db-1", &err), &err);
        assert_ok(host_facts_add(&f, "env", "prod", &err), &err);
        assert_ok(host_facts_add(&f, "role", "db", &err), &err);
        n = store_host_bins(&f, 2, bins);
        assert_true(n >= 1 && n <= 2);
        for (size_t i = 1; i < n; i++)
                assert_true(bins[i - 1] < bins[i]);
        n = store_host_bins(&f, 1, bins);
        assert_int_equal(n, 1);
        assert_true(store_bins_contain(bins, n, 0));
        assert_false(store_bins_contain(bins, n, 1));
        host_facts_done(&f);
}

/* Shard lines: tokens, each ending in '\n'. */
static void test_shard_lines(void **state) {
        static const char ok[] = "a.b.c\nd.e.f\n", no_nl[] = "a.b.c", spaced[] = "a b.c\n";
        const char *p = ok, *t;
        size_t n;
        struct jit_error err = {};

        assert_int_equal(shard_next_token(&p, ok + sizeof(ok) - 1, &t, &n, &err), 1);
        assert_int_equal(n, 5);
        assert_int_equal(shard_next_token(&p, ok + sizeof(ok) - 1, &t, &n, &err), 1);
        assert_memory_equal(t, "d.e.f", 5);
        assert_int_equal(shard_next_token(&p, ok + sizeof(ok) - 1, &t, &n, &err), 0);
        p = no_nl;
        assert_reason(shard_next_token(&p, no_nl + sizeof(no_nl) - 1, &t, &n, &err), &err,
                      JIT_REASON_MALFORMED);
        p = spaced;
        assert_reason(shard_next_token(&p, spaced + sizeof(spaced) - 1, &t, &n, &err), &err,
                      JIT_REASON_MALFORMED);
        assert_true(shard_digest_matches(
                "", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
        assert_false(shard_digest_matches(
                "x", 1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
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
                cmocka_unit_test(test_bad_rows),    cmocka_unit_test(test_good_rows),
                cmocka_unit_test(test_valid_head),  cmocka_unit_test(test_serial_max),
                cmocka_unit_test(test_fresh),       cmocka_unit_test(test_from_claims),
                cmocka_unit_test(test_layout_key),  cmocka_unit_test(test_layout_bins),
                cmocka_unit_test(test_shard_lines),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
