/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Helpers shared by the unit tests: signing keys and trust stores, tokens
 * signed over arbitrary header and payload text, default grant claims and
 * policy, host facts, files checked for owner and mode, a fresh host
 * (state_dir, run_dir, config, trust store) and a full session record.
 * Every helper asserts (cmocka) on failure, so a test reads as a list of
 * facts; call them only from inside a running test. */

#include <setjmp.h> /* cmocka.h needs these first */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cmocka.h>

#include "error.h"
#include "grant.h"
#include "jit-conf.h"
#include "jwk.h"
#include "jws-sign.h"
#include "private-key.h"
#include "selector.h"
#include "session-record.h"

/* Time is a parameter: every test works at this instant (2027-01-15). */
#define TEST_NOW INT64_C(1800000000)
#define TEST_ISSUER "https://jit.example.com"
#define TEST_MAX_TTL INT64_C(43200) /* 12 h */
#define TEST_CLOCK_SKEW INT64_C(60)

/* A valid OpenSSH public key line (ssh-keygen -t ed25519). */
#define TEST_SSH_KEY                                                                               \
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOYutIWbJAOOXc/0ewM3+knrMQdCW440J9t2JT1vOkDq t"

struct test_key {
        EVP_PKEY *pkey;
        enum jws_alg alg;
        char *kid;
        char *jwk; /* the public JWK, as JSON text */
};

/* A fresh key of alg with kid; its public JWK carries kid and alg. For
 * RS256/PS256, when key_generate() or key_to_public_jwk() does not do RSA,
 * the key (2048 bits) and its JWK are made here with OpenSSL instead. */
void test_key_init(struct test_key *k, enum jws_alg alg, const char *kid);
void test_key_done(struct test_key *k);

/* {"keys":[<jwk>,…]} of the n keys (n may be 0): heap string. */
char *test_jwks_text(const struct test_key *const *keys, size_t n);
/* trust_store_parse() of test_jwks_text(); asserts success. */
struct trust_store *test_trust_store(const struct test_key *const *keys, size_t n);

/* asprintf() that asserts. */
char *test_strdupf(const char *fmt, ...) _printf_(1, 2);
/* A heap string of n copies of c. */
char *test_strrep(char c, size_t n);
/* base64url of data (no padding). */
char *test_b64(const void *data, size_t len);
/* Decode base64url or fail the test; *ret_len gets the length. */
uint8_t *test_unb64(const char *s, size_t len, size_t *ret_len);

/* {"alg":alg,"typ":typ,"kid":kid} as text; a NULL member is left out. */
char *test_header(const char *alg, const char *typ, const char *kid);

/* jws_sign_compact(): header and payload text used byte for byte, signed
 * with k (as k->alg, whatever the header says). */
char *test_sign(const struct test_key *k, const char *header_json, const char *payload_json);

/* The same, but signed here with OpenSSL (test_sign_input()), independent
 * of libjit's signer. */
char *test_sign_openssl(const struct test_key *k, const char *header_json,
                        const char *payload_json);

/* The signature over arbitrary signing input ("seg.seg", any bytes),
 * computed here with OpenSSL (not by libjit), as base64url. Lets a test
 * sign segments that are not base64url at all. */
char *test_sign_input(const struct test_key *k, const char *input, size_t len);

/* One member of a JSON object given as text. value is raw JSON; "@N" (N a
 * signed integer) stands for now + N; NULL removes the member. A name
 * starting with '+' appends the member (without the '+') even when it is
 * present already, for duplicate-member tests. A list ends at name NULL. */
struct test_member {
        const char *name;
        const char *value;
};

/* The object text of defaults (in order), each replaced or removed by an
 * override of the same name, then the overrides that name new members. */
char *test_json_object(const struct test_member *defaults, const struct test_member *overrides,
                       int64_t now);

/* The default valid grant claims at now (iss TEST_ISSUER, jti "g-1",
 * sub "alice", aud ["env=prod"], iat/nbf now-10, exp now+1800,
 * scope ["ssh","sudo"], runas ["root"], ticket "INC-1", approver "bob",
 * reason "test"), with overrides applied (may be NULL). */
char *test_grant_claims(int64_t now, const struct test_member *overrides);

/* A signed grant: header {"alg":<k's alg>,"typ":"jit-grant+jwt","kid":<k's kid>}
 * over test_grant_claims(now, overrides). */
char *test_grant_token(const struct test_key *k, int64_t now, const struct test_member *overrides);

/* issuers {TEST_ISSUER}, max_ttl 12 h, clock_skew 60 s. Static storage. */
const struct grant_policy *test_policy(void);

/* host=pay-db-1, env=prod, role=db. Free with host_facts_done(). */
void test_host_facts(struct host_facts *f);

/* Assert that a call failed with reason want (or, when alt is not NONE,
 * with alt), printing both names and the message when it did not. */
#define assert_reason(r, err, want) assert_reason_either((r), (err), (want), JIT_REASON_NONE)
#define assert_reason_either(r, err, want, alt)                                                    \
        _test_assert_reason((r), (err), (want), (alt), __FILE__, __LINE__)
void _test_assert_reason(int r, const struct jit_error *err, enum jit_reason want,
                         enum jit_reason alt, const char *file, int line);

/* The same as a check that does not stop the test: returns false after
 * printing what went wrong, prefixed by name (for table-driven tests that
 * report every failing row before failing). */
bool test_check_reason(const char *name, int r, const struct jit_error *err, enum jit_reason want,
                       enum jit_reason alt);

/* Assert r >= 0, printing the error's reason and message when it is not. */
#define assert_ok(r, err) _test_assert_ok((r), (err), __FILE__, __LINE__)
void _test_assert_ok(int r, const struct jit_error *err, const char *file, int line);

/* One row of a table of texts a parser must refuse, with the reason; the
 * length counts NUL bytes inside the literal. */
struct test_text_row {
        const char *name;
        const char *text;
        size_t len;
        enum jit_reason reason;
};
#define TEST_ROW(n, t, r)                                                                          \
        { n, t, sizeof(t) - 1, r }

/* ---- files: the library refuses what root did not write, so the tests
 * that touch files run as root (as CI does) ---- */

/* Create or truncate path (a symlink is not followed), write text, chmod. */
void test_write_file(const char *path, const char *text, mode_t mode);
/* read_file_secure() of path, up to 64 MiB: heap string. */
char *test_read_file(const char *path);
/* path itself (not followed) is owned by root with exactly mode. */
void test_assert_mode(const char *path, mode_t want);
bool test_exists(const char *path);
/* mkdtemp() of template (…XXXXXX, modified in place), then chmod 0755. */
void test_mkdtemp(char *template);
/* Remove dir and everything under it, not following symlinks. */
void test_rm_rf(const char *dir);

/* ---- a host: state_dir and run_dir under a fresh folder, a config naming
 * them, a trusted key and a stranger's key ---- */

struct test_host {
        char dir[64];
        char state[128], run[128], users[160]; /* users: state/users, not made */
        struct jit_config *c;
        struct test_key key, stranger; /* key is in ts, stranger is not */
        struct trust_store *ts;
};

/* A config with state_dir, run_dir, trust_store, issuers TEST_ISSUER, then
 * the lines of extra (may be NULL). Free with config_free(). */
struct jit_config *test_host_config(const struct test_host *h, const char *extra);
/* cmocka group/test setup and teardown: *state is a struct test_host. */
int test_host_setup(void **state);
int test_host_teardown(void **state);

/* ---- session records ---- */

/* The mandatory lines of a record, in the order session_record_format()
 * writes them (grant g-1, alice, sshd, leader 4242, uid 1000,
 * exp TEST_NOW + 1800). */
#define TEST_SESSION_BASE                                                                          \
        "grant=g-1\nuser=alice\nservice=sshd\nleader=4242\nuid=1000\nexp=1800001800\n"

/* A record with every field set (those of TEST_SESSION_BASE, tty ssh,
 * rhost, audit session 17, logind session c17, bound, elevated
 * "root g-1" and "postgres g-2"). */
struct session_record *test_session_record_full(const char *id);
/* Every field equal. */
void test_assert_session_records_equal(const struct session_record *a,
                                       const struct session_record *b);
