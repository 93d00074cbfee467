/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Applying a store's head and shards to state_dir (common/host/store-apply.c),
 * as jit-agent does: the files written, rollback and stale heads refused,
 * shards checked against their digests, only this host's grants kept,
 * unsafe folders refused, and what pam_jit then reads back. */
#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test-util.h"

#include "host-state.h"
#include "jit-limits.h"
#include "macro.h"
#include "revoked-list.h"
#include "store-apply.h"
#include "test-store.h"
#include "user-grants.h"

static ino_t inode_of(const char *path) {
        struct stat st;

        assert_int_equal(lstat(path, &st), 0);
        return st.st_ino;
}

static char *sha256_hex(const char *s, size_t len) {
        unsigned char md[32];
        unsigned n = 0;
        char *hex = malloc(65);

        assert_non_null(hex);
        assert_int_equal(EVP_Digest(s, len, md, &n, EVP_sha256(), NULL), 1);
        for (unsigned i = 0; i < 32; i++)
                sprintf(hex + 2 * i, "%02x", md[i]);
        return hex;
}

static char *grant_for(const struct test_key *k, const char *sub, const char *jti,
                       const struct test_member *more) {
        _cleanup_free_ char *s = test_strdupf("\"%s\"", sub), *j = test_strdupf("\"%s\"", jti);
        struct test_member o[8] = {{"sub", s}, {"jti", j}};
        size_t n = 2;

        for (; more && more->name && n < ELEMENTSOF(o) - 1; more++)
                o[n++] = *more;
        return test_grant_token(k, TEST_NOW, o);
}

/* This host's facts: host=pay-db-1, env=prod, role=db. */
static struct host_facts facts;

/* A head over the tokens (NULL-terminated; their shards saved into the
 * host's state_dir/shards) and revoked ids (a JSON array of strings). */
static char *store_of(struct test_host *fx, const struct test_key *k, const char *serial,
                      char *const *grants, const char *revoked, const char *iat) {
        size_t n = 0;

        while (grants && grants[n])
                n++;
        {
                _cleanup_free_ char *shards = test_store_save_shards(fx->c, &facts, grants, n);
                _cleanup_free_ char *rv = test_revoked_pairs(revoked, TEST_NOW);
                const struct test_member o[] = {
                        {"serial", serial},
                        {"shards", shards},
                        {"revoked", rv},
                        {"iat", iat ? iat : "@-10"},
                        {},
                };

                return test_head_token(k, TEST_NOW, o);
        }
}
#define bundle_of(k, ...) store_of(fx, k, __VA_ARGS__)

static int apply(struct test_host *fx, const char *token, int64_t now, struct apply_result *res,
                 struct jit_error *err) {
        host_facts_done(&facts);
        test_host_facts(&facts);
        return hoststate_apply_store(fx->c, fx->ts, &facts, token, strlen(token), now, false, res,
                                     err);
}

struct staged {
        char *ga1, *ga2, *gb1, *gx;
        char *bundle;
};

static void staged_done(struct staged *s) {
        free(s->ga1);
        free(s->ga2);
        free(s->gb1);
        free(s->gx);
        free(s->bundle);
}

/* alice: a-1 and a-2 (revoked); bob: b-1; carol's grant by an unknown key. */
static void stage_first(struct test_host *fx, struct staged *s) {
        struct apply_result res;
        struct jit_error err = {};

        s->ga1 = grant_for(&fx->key, "alice", "a-1", NULL);
        s->ga2 = grant_for(&fx->key, "alice", "a-2", NULL);
        s->gb1 = grant_for(&fx->key, "bob", "b-1", NULL);
        s->gx = grant_for(&fx->stranger, "carol", "c-1", NULL);
        {
                char *const grants[] = {s->ga1, s->gx, s->gb1, s->ga2, NULL};

                s->bundle = bundle_of(&fx->key, "7", grants, "[\"z-9\",\"a-2\",\"c-0\"]", NULL);
        }
        assert_ok(apply(fx, s->bundle, TEST_NOW, &res, &err), &err);
        assert_false(res.unchanged);
        assert_int_equal(res.serial, 7);
        assert_int_equal(res.n_grants, 3);
        assert_int_equal(res.n_users, 2);
        assert_int_equal(res.n_invalid, 1);
        assert_int_equal(res.n_revoked, 3);
}

static void test_apply_first(void **state) {
        struct test_host *fx = *state;
        _cleanup_(staged_done) struct staged s = {};
        _cleanup_free_ char *alice = test_strdupf("%s/alice", fx->users);
        _cleanup_free_ char *bob = test_strdupf("%s/bob", fx->users);
        _cleanup_free_ char *carol = test_strdupf("%s/carol", fx->users);
        _cleanup_free_ char *revoked = test_strdupf("%s/revoked", fx->state);
        _cleanup_free_ char *jwt = test_strdupf("%s/head.jwt", fx->state);
        _cleanup_free_ char *statef = test_strdupf("%s/state", fx->state);
        _cleanup_free_ char *text = NULL, *want = NULL, *sha = NULL;
        _cleanup_(user_grants_freep) struct user_grants *u = NULL;
        struct host_state st;
        struct jit_error err = {};
        bool found;

        stage_first(fx, &s);

        test_assert_mode(fx->users, 0700);
        test_assert_mode(alice, 0600);
        test_assert_mode(bob, 0600);
        test_assert_mode(revoked, 0600);
        test_assert_mode(jwt, 0600);
        test_assert_mode(statef, 0600);
        assert_false(test_exists(carol));

        /* Sorted by jti per user; only the user's own revocations. */
        text = test_read_file(alice);
        want = test_strdupf("serial 7\nbundle-exp %" PRId64 "\ngrant %s\ngrant %s\nrevoked a-2\n",
                            TEST_NOW + 900, s.ga1, s.ga2);
        assert_string_equal(text, want);
        free(text);
        free(want);
        text = test_read_file(bob);
        want = test_strdupf("serial 7\nbundle-exp %" PRId64 "\ngrant %s\n", TEST_NOW + 900, s.gb1);
        assert_string_equal(text, want);
        free(text);

        text = test_read_file(revoked);
        assert_string_equal(text, "a-2\nc-0\nz-9\n");
        free(text);
        text = test_read_file(jwt);
        assert_string_equal(text, s.bundle);

        sha = sha256_hex(s.bundle, strlen(s.bundle));
        assert_ok(host_state_load(fx->c, &st, &err), &err);
        assert_int_equal(st.serial, 7);
        assert_string_equal(st.bundle_sha256, sha);
        assert_int_equal(st.bundle_iat, TEST_NOW - 10);
        assert_int_equal(st.bundle_exp, TEST_NOW + 900);
        assert_int_equal(st.accepted, TEST_NOW);
        assert_int_equal(st.last_fetch, TEST_NOW);

        /* What pam_jit will read. */
        assert_ok(user_grants_load(fx->c, "alice", &u, &err), &err);
        assert_int_equal(u->n_grants, 2);
        assert_true(user_grants_is_revoked(u, "a-2"));
        assert_false(user_grants_is_revoked(u, "a-1"));
        user_grants_free(TAKE_PTR(u));
        assert_int_equal(user_grants_load(fx->c, "carol", &u, &err), -ENOENT);
        assert_ok(host_revoked_contains(fx->c, "c-0", &found, &err), &err);
        assert_true(found);
        assert_ok(host_revoked_contains(fx->c, "a-1", &found, &err), &err);
        assert_false(found);
}

static void test_apply_unchanged(void **state) {
        struct test_host *fx = *state;
        _cleanup_(staged_done) struct staged s = {};
        _cleanup_free_ char *statef = test_strdupf("%s/state", fx->state);
        _cleanup_free_ char *alice = test_strdupf("%s/alice", fx->users);
        struct apply_result res;
        struct jit_error err = {};
        ino_t state_ino, alice_ino;
        struct host_state st;

        stage_first(fx, &s);
        state_ino = inode_of(statef);
        alice_ino = inode_of(alice);

        /* The same bytes later: nothing rewritten (not even accepted). */
        assert_ok(apply(fx, s.bundle, TEST_NOW + 60, &res, &err), &err);
        assert_true(res.unchanged);
        assert_int_equal(res.serial, 7);
        assert_int_equal(inode_of(statef), state_ino);
        assert_int_equal(inode_of(alice), alice_ino);
        assert_ok(host_state_load(fx->c, &st, &err), &err);
        assert_int_equal(st.accepted, TEST_NOW);
}

static void test_apply_rollback(void **state) {
        struct test_host *fx = *state;
        _cleanup_(staged_done) struct staged s = {};
        _cleanup_free_ char *statef = test_strdupf("%s/state", fx->state);
        _cleanup_free_ char *alice = test_strdupf("%s/alice", fx->users);
        _cleanup_free_ char *bob = test_strdupf("%s/bob", fx->users);
        _cleanup_free_ char *jwt = test_strdupf("%s/head.jwt", fx->state);
        _cleanup_free_ char *older = NULL, *other = NULL, *text = NULL;
        struct apply_result res;
        struct jit_error err = {};
        ino_t state_ino, alice_ino, jwt_ino;

        stage_first(fx, &s);
        state_ino = inode_of(statef);
        alice_ino = inode_of(alice);
        jwt_ino = inode_of(jwt);

        /* A lower serial, even with fewer grants (bob's dropped): refused,
         * and nothing on disk moves. */
        {
                char *const grants[] = {s.ga1, NULL};

                older = bundle_of(&fx->key, "6", grants, NULL, NULL);
        }
        assert_int_equal(apply(fx, older, TEST_NOW, &res, &err), -ESTALE);
        assert_int_equal(err.reason, JIT_REASON_ROLLBACK);
        assert_string_equal(err.message, "head serial 6 is older than the accepted 7");
        assert_true(test_exists(bob));

        /* The same serial with other bytes (another iat): refused. */
        {
                char *const grants[] = {s.ga1, NULL};

                other = bundle_of(&fx->key, "7", grants, NULL, "@-5");
        }
        assert_int_equal(apply(fx, other, TEST_NOW, &res, &err), -ESTALE);
        assert_int_equal(err.reason, JIT_REASON_ROLLBACK);
        assert_true(test_exists(bob));

        assert_int_equal(inode_of(statef), state_ino);
        assert_int_equal(inode_of(alice), alice_ino);
        assert_int_equal(inode_of(jwt), jwt_ino);
        text = test_read_file(jwt);
        assert_string_equal(text, s.bundle);
}

static void test_apply_later(void **state) {
        struct test_host *fx = *state;
        _cleanup_(staged_done) struct staged s = {};
        _cleanup_free_ char *alice = test_strdupf("%s/alice", fx->users);
        _cleanup_free_ char *bob = test_strdupf("%s/bob", fx->users);
        _cleanup_free_ char *eve = test_strdupf("%s/eve", fx->users);
        _cleanup_free_ char *dave = test_strdupf("%s/dave", fx->users);
        _cleanup_free_ char *tmp = test_strdupf("%s/.#alice.123456", fx->users);
        _cleanup_free_ char *sub = test_strdupf("%s/frank", fx->users);
        _cleanup_free_ char *revoked = test_strdupf("%s/revoked", fx->state);
        _cleanup_free_ char *target = test_strdupf("%s/target", fx->dir);
        _cleanup_free_ char *expired = NULL, *later = NULL, *text = NULL, *want = NULL;
        _cleanup_(user_grants_freep) struct user_grants *u = NULL;
        const struct test_member old[] = {
                {"iat", "@-7200"}, {"nbf", "@-7200"}, {"exp", "@-3600"}, {}};
        struct apply_result res;
        struct jit_error err = {};
        struct host_state st;

        stage_first(fx, &s);

        /* Things that are not ours to remove: a symlink, a temporary, a
         * folder. A stray regular file of a user without grants goes. */
        test_write_file(target, "keep\n", 0600);
        assert_int_equal(symlink(target, dave), 0);
        test_write_file(tmp, "x", 0600);
        assert_int_equal(mkdir(sub, 0700), 0);
        test_write_file(eve, "serial 1\nbundle-exp 1\n", 0600);

        expired = grant_for(&fx->key, "alice", "a-old", old);
        {
                char *const grants[] = {expired, s.ga1, NULL};

                later = bundle_of(&fx->key, "8", grants, NULL, NULL);
        }
        assert_ok(apply(fx, later, TEST_NOW + 30, &res, &err), &err);
        assert_false(res.unchanged);
        assert_int_equal(res.serial, 8);
        assert_int_equal(res.n_grants, 2);
        assert_int_equal(res.n_users, 1);
        assert_int_equal(res.n_invalid, 0);
        assert_int_equal(res.n_revoked, 0);

        assert_false(test_exists(bob));
        assert_false(test_exists(eve));
        assert_true(test_exists(dave));
        assert_true(test_exists(target));
        assert_true(test_exists(tmp));
        assert_true(test_exists(sub));

        /* The expired grant is kept, so pam_jit can say when it ended. */
        text = test_read_file(alice);
        want = test_strdupf("serial 8\nbundle-exp %" PRId64 "\ngrant %s\ngrant %s\n",
                            TEST_NOW + 900, s.ga1, expired);
        assert_string_equal(text, want);
        free(text);
        text = test_read_file(revoked);
        assert_string_equal(text, "");

        assert_ok(host_state_load(fx->c, &st, &err), &err);
        assert_int_equal(st.serial, 8);
        assert_int_equal(st.accepted, TEST_NOW + 30);
        assert_ok(user_grants_load(fx->c, "alice", &u, &err), &err);
        assert_int_equal(u->n_revoked, 0);
}

static void test_apply_rejected_head(void **state) {
        struct test_host *fx = *state;
        _cleanup_free_ char *ga = grant_for(&fx->key, "alice", "a-1", NULL);
        _cleanup_free_ char *forged = NULL, *statef = test_strdupf("%s/state", fx->state);
        char *const grants[] = {ga, NULL};
        struct apply_result res = {.serial = 99};
        struct jit_error err = {};

        /* The head's own verdict is returned as is; nothing is written. */
        forged = bundle_of(&fx->stranger, "7", grants, NULL, NULL);
        assert_reason(apply(fx, forged, TEST_NOW, &res, &err), &err, JIT_REASON_KID_UNKNOWN);
        assert_int_equal(res.serial, 0);
        assert_false(test_exists(statef));
        assert_false(test_exists(fx->users));
        assert_reason(hoststate_apply_store(fx->c, fx->ts, &facts, "a.b.c", 5, TEST_NOW, false,
                                            &res, &err),
                      &err, JIT_REASON_BASE64);
}

static void test_apply_unsafe_users_dir(void **state) {
        struct test_host *fx = *state;
        _cleanup_(staged_done) struct staged s = {};
        _cleanup_free_ char *later = NULL;
        _cleanup_free_ char *elsewhere = test_strdupf("%s/elsewhere", fx->dir);
        struct apply_result res;
        struct jit_error err = {};
        struct host_state st;

        stage_first(fx, &s);
        {
                char *const grants[] = {s.ga1, NULL};

                later = bundle_of(&fx->key, "8", grants, NULL, NULL);
        }

        assert_int_equal(chmod(fx->users, 0777), 0);
        assert_reason(apply(fx, later, TEST_NOW, &res, &err), &err, JIT_REASON_FILE_UNSAFE);
        assert_int_equal(chmod(fx->users, 0770), 0);
        assert_reason(apply(fx, later, TEST_NOW, &res, &err), &err, JIT_REASON_FILE_UNSAFE);
        assert_int_equal(chmod(fx->users, 0700), 0);
        assert_int_equal(chown(fx->users, 65534, 0), 0);
        assert_reason(apply(fx, later, TEST_NOW, &res, &err), &err, JIT_REASON_FILE_UNSAFE);
        assert_int_equal(chown(fx->users, 0, 0), 0);

        /* users/ a symlink to a folder elsewhere: refused, not followed. */
        assert_int_equal(rename(fx->users, elsewhere), 0);
        assert_int_equal(symlink(elsewhere, fx->users), 0);
        assert_reason(apply(fx, later, TEST_NOW, &res, &err), &err, JIT_REASON_FILE_UNSAFE);

        assert_ok(host_state_load(fx->c, &st, &err), &err);
        assert_int_equal(st.serial, 7);

        /* Put right, the same bundle applies. */
        assert_int_equal(unlink(fx->users), 0);
        assert_int_equal(rename(elsewhere, fx->users), 0);
        assert_ok(apply(fx, later, TEST_NOW, &res, &err), &err);
        assert_int_equal(res.serial, 8);
}

static void test_apply_state_dir_unsafe(void **state) {
        struct test_host *fx = *state;
        _cleanup_free_ char *ga = grant_for(&fx->key, "alice", "a-1", NULL), *b = NULL;
        char *const grants[] = {ga, NULL};
        struct apply_result res;
        struct jit_error err = {};

        b = bundle_of(&fx->key, "1", grants, NULL, NULL);
        assert_int_equal(chmod(fx->state, 0777), 0);
        assert_reason(apply(fx, b, TEST_NOW, &res, &err), &err, JIT_REASON_FILE_UNSAFE);
        assert_false(test_exists(fx->users));
        assert_int_equal(chmod(fx->state, 0755), 0);
        /* A corrupt state file fails closed: rollback cannot be checked. */
        {
                _cleanup_free_ char *statef = test_strdupf("%s/state", fx->state);

                test_write_file(statef, "serial x\n", 0600);
                assert_reason(apply(fx, b, TEST_NOW, &res, &err), &err, JIT_REASON_MALFORMED);
        }
}

/* More than JIT_USER_GRANTS_MAX grants for one user: the rest are counted
 * invalid, and the file stays loadable. */
static void test_apply_user_cap(void **state) {
        struct test_host *fx = *state;
        const size_t n = JIT_USER_GRANTS_MAX + 2;
        _cleanup_(user_grants_freep) struct user_grants *u = NULL;
        char **grants = calloc(n + 2, sizeof(char *));
        _cleanup_free_ char *b = NULL;
        struct apply_result res;
        struct jit_error err = {};

        assert_non_null(grants);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *jti = test_strdupf("a-%05zu", i);

                grants[i] = grant_for(&fx->key, "alice", jti, NULL);
        }
        grants[n] = grant_for(&fx->key, "bob", "b-1", NULL);
        b = bundle_of(&fx->key, "3", grants, NULL, NULL);
        assert_ok(apply(fx, b, TEST_NOW, &res, &err), &err);
        assert_int_equal(res.n_grants, JIT_USER_GRANTS_MAX + 1);
        assert_int_equal(res.n_invalid, 2);
        assert_int_equal(res.n_users, 2);
        assert_ok(user_grants_load(fx->c, "alice", &u, &err), &err);
        assert_int_equal(u->n_grants, JIT_USER_GRANTS_MAX);
        /* The first ones, in jti order. */
        assert_string_equal(u->grants[0], grants[0]);
        assert_string_equal(u->grants[JIT_USER_GRANTS_MAX - 1], grants[JIT_USER_GRANTS_MAX - 1]);
        strv_free(grants);
}

/* Hostile shards and heads: each refused with its reason, nothing of the
 * accepted state moves. */
static void test_apply_hostile(void **state) {
        struct test_host *fx = *state;
        _cleanup_(staged_done) struct staged s = {};
        _cleanup_free_ char *statef = test_strdupf("%s/state", fx->state);
        _cleanup_free_ char *alice = test_strdupf("%s/alice", fx->users);
        _cleanup_free_ char *newer = NULL, *stale = NULL, *shards = NULL, *path = NULL;
        _cleanup_(head_freep) struct head *h = NULL;
        struct apply_result res;
        struct jit_error err = {};
        struct head_shard hs = {.bin = 0, .size = 6};
        ino_t state_ino, alice_ino;
        bool unchanged;

        stage_first(fx, &s);
        state_ino = inode_of(statef);
        alice_ino = inode_of(alice);

        /* A shard whose bytes are not its name, or not its size: not saved. */
        memcpy(hs.digest, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", 65);
        assert_reason(hoststate_shard_save(fx->c, &hs, "a.b.c\n", 6, &err), &err,
                      JIT_REASON_DIGEST);
        assert_false(hoststate_shard_present(fx->c, hs.digest));
        hs.size = 7;
        assert_reason(hoststate_shard_save(fx->c, &hs, "a.b.c\n", 6, &err), &err,
                      JIT_REASON_DIGEST);

        /* A newer head whose shard the host does not hold (never fetched, a
         * 404): refused naming it, nothing applied. */
        {
                char *const grants[] = {s.ga1, NULL};

                newer = bundle_of(&fx->key, "8", grants, NULL, NULL);
        }
        assert_ok(hoststate_head_check(fx->c, fx->ts, newer, strlen(newer), TEST_NOW, &h,
                                       &unchanged, &err),
                  &err);
        assert_false(unchanged);
        assert_int_equal(h->n_shards, 1);
        path = test_strdupf("%s/shards/%s", fx->state, h->shards[0].digest);
        if (unlink(path) < 0) {
                print_error("unlink %s: %m\n", path);
                fail();
        }
        assert_int_equal(apply(fx, newer, TEST_NOW, &res, &err), -ENOENT);
        assert_non_null(strstr(err.message, "is missing"));
        /* A shard on disk that is not its digest any more (a corrupt disk). */
        test_write_file(path, "x.y.z\n", 0600);
        assert_reason(apply(fx, newer, TEST_NOW, &res, &err), &err, JIT_REASON_DIGEST);
        assert_int_equal(inode_of(statef), state_ino);
        assert_int_equal(inode_of(alice), alice_ino);

        /* A newer head already past its exp: the store stopped publishing. */
        {
                const struct test_member o[] = {
                        {"serial", "9"}, {"iat", "@-4000"}, {"exp", "@-3000"}, {}};

                stale = test_head_token(&fx->key, TEST_NOW, o);
        }
        assert_reason(apply(fx, stale, TEST_NOW, &res, &err), &err, JIT_REASON_STALE);
        assert_int_equal(inode_of(statef), state_ino);
        assert_int_equal(inode_of(alice), alice_ino);
}

/* A grant whose selector is another label's is not kept, even when its
 * shard is fetched (bins are shared); new facts, applied again, take it. */
static void test_apply_other_hosts(void **state) {
        struct test_host *fx = *state;
        static const struct test_member dev[] = {{"aud", "[\"env=dev\"]"}, {}};
        _cleanup_free_ char *gd = grant_for(&fx->key, "dave", "d-1", dev), *head = NULL;
        _cleanup_free_ char *ga = grant_for(&fx->key, "alice", "a-1", NULL);
        _cleanup_free_ char *dave = test_strdupf("%s/dave", fx->users);
        char *const grants[] = {ga, gd, NULL};
        struct host_facts devf = {};
        struct apply_result res;
        struct jit_error err = {};

        /* bins 1: every shard is this host's, so the filter is what keeps
         * dave's grant out. */
        {
                const struct test_member o[] = {{"bins", "1"}, {}};

                host_facts_done(&facts);
                test_host_facts(&facts);
                assert_ok(test_store_apply(&fx->key, fx->c, fx->ts, &facts, grants, 2, NULL, o,
                                           TEST_NOW, &res, &head, &err),
                          &err);
        }
        assert_int_equal(res.n_grants, 1);
        assert_int_equal(res.n_other, 1);
        assert_false(test_exists(dave));

        /* The labels change to env=dev: the same head, applied again (as
         * the agent does when its facts change), now keeps dave's. */
        assert_ok(host_facts_add(&devf, "host", "pay-db-1", &err), &err);
        assert_ok(host_facts_add(&devf, "env", "dev", &err), &err);
        assert_ok(hoststate_apply_store(fx->c, fx->ts, &devf, head, strlen(head), TEST_NOW, false,
                                        &res, &err),
                  &err);
        assert_true(res.unchanged);
        assert_false(test_exists(dave));
        assert_ok(hoststate_apply_store(fx->c, fx->ts, &devf, head, strlen(head), TEST_NOW, true,
                                        &res, &err),
                  &err);
        assert_int_equal(res.n_grants, 1);
        assert_true(test_exists(dave));
        host_facts_done(&devf);
}

/* Shards no longer named for this host leave state_dir/shards at the
 * commit. */
static void test_apply_prunes_shards(void **state) {
        struct test_host *fx = *state;
        _cleanup_(staged_done) struct staged s = {};
        _cleanup_free_ char *later = NULL, *dir = test_strdupf("%s/shards", fx->state);
        _cleanup_(head_freep) struct head *h1 = NULL;
        struct apply_result res;
        struct jit_error err = {};
        bool unchanged;

        stage_first(fx, &s);
        assert_ok(hoststate_head_check(fx->c, fx->ts, s.bundle, strlen(s.bundle), TEST_NOW, &h1,
                                       &unchanged, &err),
                  &err);
        assert_true(h1->n_shards >= 1);
        {
                char *const grants[] = {s.gb1, NULL};

                later = bundle_of(&fx->key, "8", grants, NULL, NULL);
        }
        assert_ok(apply(fx, later, TEST_NOW, &res, &err), &err);
        for (size_t i = 0; i < h1->n_shards; i++) {
                _cleanup_free_ char *p = test_strdupf("%s/%s", dir, h1->shards[i].digest);
                _cleanup_(head_freep) struct head *h2 = NULL;
                bool named = false;

                assert_ok(hoststate_head_check(fx->c, fx->ts, later, strlen(later), TEST_NOW, &h2,
                                               &unchanged, &err),
                          &err);
                for (size_t k = 0; k < h2->n_shards; k++)
                        named = named || streq(h2->shards[k].digest, h1->shards[i].digest);
                assert_true(test_exists(p) == named);
        }
        test_assert_mode(dir, 0700);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_apply_first, test_host_setup,
                                                test_host_teardown),
                cmocka_unit_test_setup_teardown(test_apply_hostile, test_host_setup,
                                                test_host_teardown),
                cmocka_unit_test_setup_teardown(test_apply_other_hosts, test_host_setup,
                                                test_host_teardown),
                cmocka_unit_test_setup_teardown(test_apply_prunes_shards, test_host_setup,
                                                test_host_teardown),
                cmocka_unit_test_setup_teardown(test_apply_unchanged, test_host_setup,
                                                test_host_teardown),
                cmocka_unit_test_setup_teardown(test_apply_rollback, test_host_setup,
                                                test_host_teardown),
                cmocka_unit_test_setup_teardown(test_apply_later, test_host_setup,
                                                test_host_teardown),
                cmocka_unit_test_setup_teardown(test_apply_rejected_head, test_host_setup,
                                                test_host_teardown),
                cmocka_unit_test_setup_teardown(test_apply_unsafe_users_dir, test_host_setup,
                                                test_host_teardown),
                cmocka_unit_test_setup_teardown(test_apply_state_dir_unsafe, test_host_setup,
                                                test_host_teardown),
                cmocka_unit_test_setup_teardown(test_apply_user_cap, test_host_setup,
                                                test_host_teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
