/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test-util.h"

#include "base64url.h"
#include "fileio.h"
#include "json.h"
#include "jws-sign.h"
#include "jws.h"
#include "macro.h"
#include "private-key.h"

void _test_assert_ok(int r, const struct jit_error *err, const char *file, int line) {
        if (r >= 0)
                return;
        print_error("%s:%d: expected success, got %d (%s: %s)\n", file, line, r,
                    jit_reason_to_string(err ? err->reason : JIT_REASON_NONE),
                    err ? err->message : "");
        _fail(file, line);
}

bool test_check_reason(const char *name, int r, const struct jit_error *err, enum jit_reason want,
                       enum jit_reason alt) {
        if (r < 0 && err &&
            (err->reason == want || (alt != JIT_REASON_NONE && err->reason == alt))) {
                /* Where either of two reasons is right, show which one. */
                if (alt != JIT_REASON_NONE)
                        print_message("%s: %s (allowed: %s or %s)\n", name,
                                      jit_reason_to_string(err->reason), jit_reason_to_string(want),
                                      jit_reason_to_string(alt));
                return true;
        }
        if (r >= 0)
                print_error("%s: expected failure with reason %s%s%s, got success (%d)\n", name,
                            jit_reason_to_string(want), alt ? " or " : "",
                            alt ? jit_reason_to_string(alt) : "", r);
        else
                print_error("%s: expected reason %s%s%s, got %s (%d: %s)\n", name,
                            jit_reason_to_string(want), alt ? " or " : "",
                            alt ? jit_reason_to_string(alt) : "",
                            jit_reason_to_string(err ? err->reason : JIT_REASON_NONE), r,
                            err ? err->message : "");
        return false;
}

void _test_assert_reason(int r, const struct jit_error *err, enum jit_reason want,
                         enum jit_reason alt, const char *file, int line) {
        char where[512];

        (void) snprintf(where, sizeof(where), "%s:%d", file, line);
        if (!test_check_reason(where, r, err, want, alt))
                _fail(file, line);
}

char *test_strdupf(const char *fmt, ...) {
        va_list ap;
        char *s = NULL;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        assert_true(r >= 0);
        return s;
}

char *test_strrep(char c, size_t n) {
        char *s = malloc(n + 1);

        assert_non_null(s);
        memset(s, c, n);
        s[n] = 0;
        return s;
}

char *test_b64(const void *data, size_t len) {
        char *s = NULL;

        assert_int_equal(base64url_encode(data, len, &s, NULL), 0);
        assert_non_null(s);
        return s;
}

uint8_t *test_unb64(const char *s, size_t len, size_t *ret_len) {
        struct jit_error err = {};
        uint8_t *d = NULL;

        assert_ok(base64url_decode(s, len, &d, ret_len, &err), &err);
        assert_non_null(d);
        return d;
}

static char *bn_param_b64(EVP_PKEY *pkey, const char *param) {
        BIGNUM *bn = NULL;
        uint8_t buf[1024];
        int n;

        assert_int_equal(EVP_PKEY_get_bn_param(pkey, param, &bn), 1);
        n = BN_bn2bin(bn, buf);
        assert_true(n > 0 && (size_t) n <= sizeof(buf));
        BN_free(bn);
        return test_b64(buf, (size_t) n);
}

/* The RSA fallback: OpenSSL makes the key, we write the JWK (RFC 7518 §6.3). */
static void rsa_key_init(struct test_key *k) {
        _cleanup_free_ char *n = NULL, *e = NULL;

        if (!k->pkey) {
                k->pkey = EVP_RSA_gen(2048);
                assert_non_null(k->pkey);
        }
        n = bn_param_b64(k->pkey, "n");
        e = bn_param_b64(k->pkey, "e");
        k->jwk = test_strdupf("{\"kty\":\"RSA\",\"kid\":\"%s\",\"alg\":\"%s\",\"n\":\"%s\","
                              "\"e\":\"%s\"}",
                              k->kid, jws_alg_to_string(k->alg), n, e);
}

void test_key_init(struct test_key *k, enum jws_alg alg, const char *kid) {
        _cleanup_json_ struct json_object *jwk = NULL;
        bool rsa = alg == JWS_ALG_RS256 || alg == JWS_ALG_PS256;
        struct jit_error err = {};
        int r;

        *k = (struct test_key){.alg = alg};
        k->kid = strdup(kid);
        assert_non_null(k->kid);

        r = key_generate(alg, &k->pkey, &err);
        if (r < 0 && rsa) {
                rsa_key_init(k);
                return;
        }
        assert_ok(r, &err);
        assert_non_null(k->pkey);
        r = key_to_public_jwk(k->pkey, alg, kid, &jwk, &err);
        if (r < 0 && rsa) {
                rsa_key_init(k);
                return;
        }
        assert_ok(r, &err);
        k->jwk = strdup(json_object_to_json_string_ext(jwk, JSON_C_TO_STRING_PLAIN));
        assert_non_null(k->jwk);
}

void test_key_done(struct test_key *k) {
        EVP_PKEY_free(k->pkey);
        free(k->kid);
        free(k->jwk);
        *k = (struct test_key){};
}

char *test_jwks_text(const struct test_key *const *keys, size_t n) {
        char *s = test_strdupf("{\"keys\":[");

        for (size_t i = 0; i < n; i++) {
                char *t = test_strdupf("%s%s%s", s, i > 0 ? "," : "", keys[i]->jwk);

                free(s);
                s = t;
        }
        {
                char *t = test_strdupf("%s]}", s);

                free(s);
                s = t;
        }
        return s;
}

struct trust_store *test_trust_store(const struct test_key *const *keys, size_t n) {
        _cleanup_free_ char *text = test_jwks_text(keys, n);
        struct trust_store *ts = NULL;
        struct jit_error err = {};

        assert_ok(trust_store_parse(text, strlen(text), &ts, &err), &err);
        assert_non_null(ts);
        return ts;
}

char *test_header(const char *alg, const char *typ, const char *kid) {
        _cleanup_free_ char *a = alg ? test_strdupf("\"alg\":\"%s\"", alg) : NULL;
        _cleanup_free_ char *t = typ ? test_strdupf("\"typ\":\"%s\"", typ) : NULL;
        _cleanup_free_ char *k = kid ? test_strdupf("\"kid\":\"%s\"", kid) : NULL;

        return test_strdupf("{%s%s%s%s%s}", strempty(a), a && (t || k) ? "," : "", strempty(t),
                            t && k ? "," : "", strempty(k));
}

char *test_sign(const struct test_key *k, const char *header_json, const char *payload_json) {
        struct jit_error err = {};
        char *token = NULL;

        assert_ok(jws_sign_compact(k->pkey, k->alg, header_json, payload_json, &token, &err), &err);
        assert_non_null(token);
        return token;
}

char *test_sign_openssl(const struct test_key *k, const char *header_json,
                        const char *payload_json) {
        _cleanup_free_ char *h = test_b64(header_json, strlen(header_json));
        _cleanup_free_ char *p = test_b64(payload_json, strlen(payload_json));
        _cleanup_free_ char *input = test_strdupf("%s.%s", h, p);
        _cleanup_free_ char *sig = test_sign_input(k, input, strlen(input));

        return test_strdupf("%s.%s", input, sig);
}

/* ECDSA signatures come out of OpenSSL as DER; JWS wants raw r||s. */
static size_t ecdsa_der_to_raw(const uint8_t *der, size_t der_len, uint8_t raw[64]) {
        const unsigned char *p = der;
        ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long) der_len);
        const BIGNUM *r, *s;

        assert_non_null(sig);
        ECDSA_SIG_get0(sig, &r, &s);
        assert_int_equal(BN_bn2binpad(r, raw, 32), 32);
        assert_int_equal(BN_bn2binpad(s, raw + 32, 32), 32);
        ECDSA_SIG_free(sig);
        return 64;
}

char *test_sign_input(const struct test_key *k, const char *input, size_t len) {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        EVP_PKEY_CTX *pctx = NULL;
        const EVP_MD *md = k->alg == JWS_ALG_EDDSA ? NULL : EVP_sha256();
        uint8_t sig[1024], raw[64];
        size_t sig_len = sizeof(sig);
        char *s;

        assert_non_null(ctx);
        assert_int_equal(EVP_DigestSignInit(ctx, &pctx, md, NULL, k->pkey), 1);
        if (k->alg == JWS_ALG_PS256) {
                assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
                assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32), 1);
                assert_int_equal(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()), 1);
        }
        assert_int_equal(EVP_DigestSign(ctx, sig, &sig_len, (const uint8_t *) input, len), 1);
        EVP_MD_CTX_free(ctx);
        if (k->alg == JWS_ALG_ES256)
                s = test_b64(raw, ecdsa_der_to_raw(sig, sig_len, raw));
        else
                s = test_b64(sig, sig_len);
        return s;
}

static const char *member_value(const char *v, int64_t now, char **buf) {
        if (v && v[0] == '@') {
                *buf = test_strdupf("%" PRId64, now + (int64_t) strtoll(v + 1, NULL, 10));
                return *buf;
        }
        return v;
}

static void append_member(char **s, bool *first, const char *name, const char *value, int64_t now) {
        _cleanup_free_ char *buf = NULL;
        char *t;

        value = member_value(value, now, &buf);
        t = test_strdupf("%s%s\"%s\":%s", *s, *first ? "" : ",", name, value);
        free(*s);
        *s = t;
        *first = false;
}

static const struct test_member *find_override(const struct test_member *o, const char *name) {
        for (; o && o->name; o++)
                if (streq(o->name, name))
                        return o;
        return NULL;
}

static bool is_default(const struct test_member *d, const char *name) {
        for (; d && d->name; d++)
                if (streq(d->name, name))
                        return true;
        return false;
}

char *test_json_object(const struct test_member *defaults, const struct test_member *overrides,
                       int64_t now) {
        char *s = test_strdupf("{");
        bool first = true;
        char *t;

        for (const struct test_member *d = defaults; d && d->name; d++) {
                const struct test_member *o = find_override(overrides, d->name);

                if (!o)
                        append_member(&s, &first, d->name, d->value, now);
                else if (o->value)
                        append_member(&s, &first, d->name, o->value, now);
        }
        for (const struct test_member *o = overrides; o && o->name; o++) {
                if (o->name[0] == '+')
                        append_member(&s, &first, o->name + 1, o->value, now);
                else if (!is_default(defaults, o->name) && o->value)
                        append_member(&s, &first, o->name, o->value, now);
        }
        t = test_strdupf("%s}", s);
        free(s);
        return t;
}

char *test_grant_claims(int64_t now, const struct test_member *overrides) {
        static const struct test_member defaults[] = {
                {"iss", "\"" TEST_ISSUER "\""},
                {"jti", "\"g-1\""},
                {"sub", "\"alice\""},
                {"aud", "[\"env=prod\"]"},
                {"iat", "@-10"},
                {"nbf", "@-10"},
                {"exp", "@1800"},
                {"scope", "[\"ssh\",\"sudo\"]"},
                {"runas", "[\"root\"]"},
                {"ticket", "\"INC-1\""},
                {"approver", "\"bob\""},
                {"reason", "\"test\""},
                {},
        };

        return test_json_object(defaults, overrides, now);
}

static char *token_of(const struct test_key *k, const char *typ, const char *claims) {
        _cleanup_free_ char *header = test_header(jws_alg_to_string(k->alg), typ, k->kid);

        return test_sign(k, header, claims);
}

char *test_grant_token(const struct test_key *k, int64_t now, const struct test_member *overrides) {
        _cleanup_free_ char *claims = test_grant_claims(now, overrides);

        return token_of(k, JWS_TYP_GRANT, claims);
}

const struct grant_policy *test_policy(void) {
        static char *const issuers[] = {(char *) TEST_ISSUER, NULL};
        static const struct grant_policy policy = {
                .issuers = issuers,
                .max_ttl = TEST_MAX_TTL,
                .clock_skew = TEST_CLOCK_SKEW,
        };

        return &policy;
}

void test_host_facts(struct host_facts *f) {
        struct jit_error err = {};

        *f = (struct host_facts){};
        assert_ok(host_facts_add(f, "host", "pay-db-1", &err), &err);
        assert_ok(host_facts_add(f, "env", "prod", &err), &err);
        assert_ok(host_facts_add(f, "role", "db", &err), &err);
}

void test_write_file(const char *path, const char *text, mode_t mode) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
        assert_int_equal(close(fd), 0);
        assert_int_equal(chmod(path, mode), 0);
}

char *test_read_file(const char *path) {
        struct jit_error err = {};
        char *text = NULL;

        assert_ok(read_file_secure(path, 0, 64u * 1024u * 1024u, &text, NULL, &err), &err);
        return text;
}

void test_assert_mode(const char *path, mode_t want) {
        struct stat st;

        assert_int_equal(lstat(path, &st), 0);
        assert_int_equal(st.st_uid, 0);
        assert_int_equal(st.st_mode & 07777, want);
}

bool test_exists(const char *path) {
        struct stat st;

        return lstat(path, &st) == 0;
}

void test_mkdtemp(char *template) {
        assert_non_null(mkdtemp(template));
        assert_int_equal(chmod(template, 0755), 0);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

void test_rm_rf(const char *dir) {
        (void) nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

struct jit_config *test_host_config(const struct test_host *h, const char *extra) {
        _cleanup_free_ char *text = test_strdupf("state_dir = %s\nrun_dir = %s\n"
                                                 "trust_store = %s/trust.jwks\n"
                                                 "issuers = " TEST_ISSUER "\n%s",
                                                 h->state, h->run, h->dir, strempty(extra));
        struct jit_config *c = NULL;
        struct jit_error err = {};

        assert_ok(config_parse(text, strlen(text), &c, &err), &err);
        return c;
}

int test_host_setup(void **state) {
        struct test_host *h = calloc(1, sizeof(*h));
        const struct test_key *keys[1];

        assert_non_null(h);
        /* Ownership and mode refusals are part of the contract. */
        assert_int_equal(geteuid(), 0);
        strcpy(h->dir, "/tmp/jit-test-host-XXXXXX");
        test_mkdtemp(h->dir);
        (void) snprintf(h->state, sizeof(h->state), "%s/state", h->dir);
        (void) snprintf(h->run, sizeof(h->run), "%s/run", h->dir);
        (void) snprintf(h->users, sizeof(h->users), "%s/users", h->state);
        assert_int_equal(mkdir(h->state, 0755), 0);
        assert_int_equal(mkdir(h->run, 0755), 0);
        assert_int_equal(chmod(h->state, 0755), 0);
        assert_int_equal(chmod(h->run, 0755), 0);
        h->c = test_host_config(h, NULL);
        test_key_init(&h->key, JWS_ALG_EDDSA, "k1");
        test_key_init(&h->stranger, JWS_ALG_EDDSA, "k-unknown");
        keys[0] = &h->key;
        h->ts = test_trust_store(keys, 1);
        *state = h;
        return 0;
}

int test_host_teardown(void **state) {
        struct test_host *h = *state;

        test_rm_rf(h->dir);
        config_free(h->c);
        trust_store_free(h->ts);
        test_key_done(&h->key);
        test_key_done(&h->stranger);
        free(h);
        return 0;
}

struct session_record *test_session_record_full(const char *id) {
        struct session_record *r = calloc(1, sizeof(*r));

        assert_non_null(r);
        (void) snprintf(r->id, sizeof(r->id), "%s", id);
        r->grant = strdup("g-1");
        r->user = strdup("alice");
        r->service = strdup("sshd");
        r->tty = strdup("ssh");
        r->rhost = strdup("192.0.2.7 [x]");
        r->leader = 4242;
        r->uid = 1000;
        r->audit_session = 17;
        r->logind_session = strdup("c17");
        r->exp = TEST_NOW + 1800;
        r->bound = true;
        assert_int_equal(strv_extend(&r->elevated, "root g-1"), 0);
        assert_int_equal(strv_extend(&r->elevated, "postgres g-2"), 0);
        return r;
}

void test_assert_session_records_equal(const struct session_record *a,
                                       const struct session_record *b) {
        assert_string_equal(a->id, b->id);
        assert_string_equal(a->grant, b->grant);
        assert_string_equal(a->user, b->user);
        assert_string_equal(a->service, b->service);
        assert_true(streq_ptr(a->tty, b->tty));
        assert_true(streq_ptr(a->rhost, b->rhost));
        assert_int_equal(a->leader, b->leader);
        assert_int_equal(a->uid, b->uid);
        assert_int_equal(a->audit_session, b->audit_session);
        assert_true(streq_ptr(a->logind_session, b->logind_session));
        assert_int_equal(a->exp, b->exp);
        assert_int_equal(a->bound, b->bound);
        assert_int_equal(strv_length(a->elevated), strv_length(b->elevated));
        for (size_t i = 0; i < strv_length(a->elevated); i++)
                assert_string_equal(a->elevated[i], b->elevated[i]);
}
