/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A checked head's revocations ahead of its shards
 * (common/host/revoke-early.c) and state_dir/revoked-early
 * (common/host/revoked-early.c): what pam_jit then reads, what a full apply
 * keeps and when it lets them go, and the file's refusals. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test-util.h"

#include "host-state.h"
#include "macro.h"
#include "revoke-early.h"
#include "revoked-early.h"
#include "revoked-list.h"
#include "store-apply.h"
#include "test-store.h"
#include "user-grants.h"

static struct host_facts facts;

static char *grant_for(const struct test_key *k, const char *sub, const char *jti) {
        _cleanup_free_ char *s = test_strdupf("\"%s\"", sub), *j = test_strdupf("\"%s\"", jti);
        const struct test_member o[] = {{"sub", s}, {"jti", j}, {}};

        return test_grant_token(k, TEST_NOW, o);
}

/* A head of serial over the tokens and the revoked ids; with save, its
 * shards listed and saved, else none listed (it is never applied in full). */
static char *head_of(struct test_host *fx, const char *serial, char *const *grants, bool save,
                     const char *revoked) {
        size_t n = 0;

        while (grants && grants[n])
                n++;
        {
                _cleanup_free_ char *shards =
                        save ? test_store_save_shards(fx->c, &facts, grants, n) : NULL;
                _cleanup_free_ char *rv = test_revoked_pairs(revoked, TEST_NOW);
                const struct test_member o[] = {
                        {"serial", serial},
                        {"shards", shards ? shards : "[]"},
                        {"revoked", rv},
                        {},
                };

                return test_head_token(&fx->key, TEST_NOW, o);
        }
}

static int apply(struct test_host *fx, const char *token, bool force, struct apply_result *res,
                 struct jit_error *err) {
        return hoststate_apply_store(fx->c, fx->ts, &facts, token, strlen(token), TEST_NOW, force,
                                     res, err);
}

/* Check the head as the agent does, then revoke ahead. */
static int revoke_early(struct test_host *fx, const char *token, struct revoke_early_result *res,
                        struct jit_error *err) {
        _cleanup_(head_freep) struct head *h = NULL;
        bool unchanged = false;
        int r;

        r = hoststate_head_check(fx->c, fx->ts, token, strlen(token), TEST_NOW, &h, &unchanged,
                                 err);
        if (r < 0)
                return r;
        return hoststate_revoke_early(fx->c, fx->ts, h, res, err);
}

static bool user_revoked(struct test_host *fx, const char *user, const char *jti) {
        _cleanup_(user_grants_freep) struct user_grants *u = NULL;
        struct jit_error err = {};

        assert_ok(user_grants_load(fx->c, user, &u, &err), &err);
        return user_grants_is_revoked(u, jti);
}

static bool list_revoked(struct test_host *fx, const char *jti) {
        struct jit_error err = {};
        bool found = false;

        assert_ok(host_revoked_contains(fx->c, jti, &found, &err), &err);
        return found;
}

static char *early_text(struct test_host *fx) {
        _cleanup_free_ char *path = test_strdupf("%s/revoked-early", fx->state);

        return test_exists(path) ? test_read_file(path) : NULL;
}

struct staged {
        char *a1, *a2, *b1, *c1, *head7;
};

static void staged_done(struct staged *s) {
        free(s->a1);
        free(s->a2);
        free(s->b1);
        free(s->c1);
        free(s->head7);
}

/* Serial 7 accepted: alice a-1, a-2; bob b-1. */
static void stage(struct test_host *fx, struct staged *s) {
        struct apply_result res;
        struct jit_error err = {};

        host_facts_done(&facts);
        test_host_facts(&facts);
        s->a1 = grant_for(&fx->key, "alice", "a-1");
        s->a2 = grant_for(&fx->key, "alice", "a-2");
        s->b1 = grant_for(&fx->key, "bob", "b-1");
        s->c1 = grant_for(&fx->key, "carol", "c-1");
        {
                char *const g[] = {s->a1, s->a2, s->b1, NULL};

                s->head7 = head_of(fx, "7", g, true, "[\"z-9\"]");
        }
        assert_ok(apply(fx, s->head7, false, &res, &err), &err);
        assert_int_equal(res.serial, 7);
}

static void test_revoke_early_ahead(void **state) {
        struct test_host *fx = *state;
        _cleanup_(staged_done) struct staged s = {};
        _cleanup_free_ char *h8 = NULL, *h9 = NULL, *text = NULL, *users_a = NULL, *users_c = NULL;
        struct revoke_early_result res = {};
        struct apply_result ares = {};
        struct jit_error err = {};
        struct host_state st;

        stage(fx, &s);
        users_a = test_strdupf("%s/users/alice", fx->state);
        users_c = test_strdupf("%s/users/carol", fx->state);
        {
                /* Serial 8 adds carol, revokes a-1; its shards are not saved. */
                char *const g[] = {s.a1, s.a2, s.b1, s.c1, NULL};

                h8 = head_of(fx, "8", g, false, "[\"z-9\",\"a-1\"]");
        }
        assert_ok(revoke_early(fx, h8, &res, &err), &err);
        assert_int_equal(res.serial, 8);
        assert_int_equal(res.n_new, 1);
        assert_int_equal(res.n_users, 1);
        assert_int_equal(res.n_grants, 1);
        assert_true(user_revoked(fx, "alice", "a-1"));
        assert_false(user_revoked(fx, "alice", "a-2"));
        assert_false(user_revoked(fx, "bob", "b-1"));
        assert_true(list_revoked(fx, "a-1"));
        assert_true(list_revoked(fx, "z-9"));
        text = early_text(fx);
        assert_non_null(text);
        assert_string_equal(text, "serial 8\nrevoked a-1\nrevoked z-9\n");
        test_assert_mode(users_a, 0600);
        /* Nothing admitted, the serial kept. */
        assert_ok(host_state_load(fx->c, &st, &err), &err);
        assert_int_equal(st.serial, 7);
        assert_false(test_exists(users_c));

        /* The same head again (a poll, a restart): nothing new. */
        assert_ok(revoke_early(fx, h8, &res, &err), &err);
        assert_int_equal(res.n_new, 0);
        assert_int_equal(res.n_users, 0);

        /* Serial 9 supersedes it, listing b-1 only: both stay revoked. */
        {
                char *const g[] = {s.a1, s.a2, s.b1, s.c1, NULL};

                h9 = head_of(fx, "9", g, false, "[\"b-1\"]");
        }
        assert_ok(revoke_early(fx, h9, &res, &err), &err);
        assert_int_equal(res.n_new, 1);
        assert_true(user_revoked(fx, "alice", "a-1"));
        assert_true(user_revoked(fx, "bob", "b-1"));
        free(text);
        text = early_text(fx);
        assert_string_equal(text, "serial 9\nrevoked a-1\nrevoked b-1\nrevoked z-9\n");

        /* The accepted head applied in full again (new facts, a start):
         * the early revocations are kept. */
        assert_ok(apply(fx, s.head7, true, &ares, &err), &err);
        assert_int_equal(ares.serial, 7);
        assert_true(user_revoked(fx, "alice", "a-1"));
        assert_true(user_revoked(fx, "bob", "b-1"));
        assert_true(list_revoked(fx, "a-1"));
        assert_true(list_revoked(fx, "b-1"));
        free(text);
        text = early_text(fx);
        assert_non_null(text);
}

static void test_revoke_early_full_apply(void **state) {
        struct test_host *fx = *state;
        _cleanup_(staged_done) struct staged s = {};
        _cleanup_free_ char *h8 = NULL, *h9 = NULL, *text = NULL, *users_c = NULL;
        struct revoke_early_result res = {};
        struct apply_result ares = {};
        struct jit_error err = {};

        stage(fx, &s);
        users_c = test_strdupf("%s/users/carol", fx->state);
        {
                char *const g[] = {s.a1, s.a2, s.b1, NULL};

                h8 = head_of(fx, "8", g, false, "[\"a-1\"]");
        }
        assert_ok(revoke_early(fx, h8, &res, &err), &err);
        assert_int_equal(res.n_new, 1);
        /* Serial 9 arrives whole and no longer lists a-1 (its UNTIL passed
         * or it was taken out): a head as new says the whole truth. */
        {
                char *const g[] = {s.a1, s.a2, s.b1, s.c1, NULL};

                h9 = head_of(fx, "9", g, true, "[\"a-2\"]");
        }
        assert_ok(apply(fx, h9, false, &ares, &err), &err);
        assert_int_equal(ares.serial, 9);
        text = early_text(fx);
        assert_null(text);
        assert_false(user_revoked(fx, "alice", "a-1"));
        assert_true(user_revoked(fx, "alice", "a-2"));
        assert_false(list_revoked(fx, "a-1"));
        assert_true(test_exists(users_c));
}

/* What never revokes: a head not newer than the accepted one; one whose
 * revocations are in force already writes nothing. */
static void test_revoke_early_not_newer(void **state) {
        struct test_host *fx = *state;
        _cleanup_(staged_done) struct staged s = {};
        _cleanup_free_ char *h7 = NULL, *h8 = NULL,
                            *path = test_strdupf("%s/revoked-early", fx->state);
        _cleanup_(head_freep) struct head *h = NULL;
        struct revoke_early_result res = {};
        struct jit_error err = {};
        bool unchanged = false;

        stage(fx, &s);
        /* The accepted serial, as checked (unchanged): nothing. */
        assert_ok(hoststate_head_check(fx->c, fx->ts, s.head7, strlen(s.head7), TEST_NOW, &h,
                                       &unchanged, &err),
                  &err);
        assert_true(unchanged);
        h->n_revoked = 0; /* even were it to list more */
        assert_ok(hoststate_revoke_early(fx->c, fx->ts, h, &res, &err), &err);
        assert_int_equal(res.n_new, 0);
        assert_false(test_exists(path));
        /* The same serial with other bytes never gets this far. */
        {
                char *const g[] = {s.a1, s.a2, s.b1, NULL};

                h7 = head_of(fx, "7", g, false, "[\"a-1\"]");
        }
        assert_reason(revoke_early(fx, h7, &res, &err), &err, JIT_REASON_ROLLBACK);
        assert_false(user_revoked(fx, "alice", "a-1"));
        /* A newer head revoking only what is revoked already: no file. */
        {
                char *const g[] = {s.a1, s.a2, s.b1, NULL};

                h8 = head_of(fx, "8", g, false, "[\"z-9\"]");
        }
        assert_ok(revoke_early(fx, h8, &res, &err), &err);
        assert_int_equal(res.n_new, 0);
        assert_false(test_exists(path));
}

static const struct test_text_row bad_early[] = {
        TEST_ROW("empty", "", JIT_REASON_MALFORMED),
        TEST_ROW("no serial first", "revoked a-1\nserial 8\n", JIT_REASON_MALFORMED),
        TEST_ROW("serial zero", "serial 0\n", JIT_REASON_MALFORMED),
        TEST_ROW("serial negative", "serial -1\n", JIT_REASON_MALFORMED),
        TEST_ROW("serial twice", "serial 8\nserial 9\n", JIT_REASON_MALFORMED),
        TEST_ROW("unsorted ids", "serial 8\nrevoked b-1\nrevoked a-1\n", JIT_REASON_MALFORMED),
        TEST_ROW("id twice", "serial 8\nrevoked a-1\nrevoked a-1\n", JIT_REASON_MALFORMED),
        TEST_ROW("id with a space", "serial 8\nrevoked a 1\n", JIT_REASON_MALFORMED),
        TEST_ROW("id empty", "serial 8\nrevoked \n", JIT_REASON_MALFORMED),
        TEST_ROW("no newline at the end", "serial 8\nrevoked a-1", JIT_REASON_MALFORMED),
        TEST_ROW("NUL inside", "serial 8\nrevoked a\0-1\n", JIT_REASON_MALFORMED),
        TEST_ROW("unknown key", "serial 8\ngrant a-1\n", JIT_REASON_MALFORMED),
};

static void test_revoked_early_parse(void **state) {
        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(bad_early); i++) {
                struct revoked_early e = {};
                struct jit_error err = {};

                print_message("refuses: %s\n", bad_early[i].name);
                assert_reason(revoked_early_parse(bad_early[i].text, bad_early[i].len, &e, &err),
                              &err, bad_early[i].reason);
                assert_null(e.ids);
        }
        {
                static const char good[] = "serial 42\nrevoked a-1\nrevoked b:2\n";
                _cleanup_free_ char *again = NULL;
                struct revoked_early e = {};
                struct jit_error err = {};

                assert_ok(revoked_early_parse(good, sizeof(good) - 1, &e, &err), &err);
                assert_int_equal(e.serial, 42);
                assert_int_equal(e.n_ids, 2);
                assert_true(revoked_early_contains(&e, "b:2"));
                assert_false(revoked_early_contains(&e, "b"));
                assert_int_equal(revoked_early_format(&e, &again), 0);
                assert_string_equal(again, good);
                revoked_early_done(&e);
        }
}

/* A corrupt or unsafe file fails closed: no early revocation and no full
 * apply is made on it. */
static void test_revoked_early_unsafe(void **state) {
        struct test_host *fx = *state;
        _cleanup_(staged_done) struct staged s = {};
        _cleanup_free_ char *path = test_strdupf("%s/revoked-early", fx->state), *h8 = NULL;
        struct revoke_early_result res = {};
        struct apply_result ares = {};
        struct jit_error err = {};

        stage(fx, &s);
        {
                char *const g[] = {s.a1, s.a2, s.b1, NULL};

                h8 = head_of(fx, "8", g, true, "[\"a-1\"]");
        }
        test_write_file(path, "serial 9\nrevoked a-1\n", 0666);
        assert_reason(revoke_early(fx, h8, &res, &err), &err, JIT_REASON_FILE_UNSAFE);
        assert_reason(apply(fx, h8, false, &ares, &err), &err, JIT_REASON_FILE_UNSAFE);
        test_write_file(path, "serial 9\nrevoked a-1", 0600);
        assert_reason(apply(fx, h8, false, &ares, &err), &err, JIT_REASON_MALFORMED);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_revoke_early_ahead, test_host_setup,
                                                test_host_teardown),
                cmocka_unit_test_setup_teardown(test_revoke_early_full_apply, test_host_setup,
                                                test_host_teardown),
                cmocka_unit_test_setup_teardown(test_revoke_early_not_newer, test_host_setup,
                                                test_host_teardown),
                cmocka_unit_test(test_revoked_early_parse),
                cmocka_unit_test_setup_teardown(test_revoked_early_unsafe, test_host_setup,
                                                test_host_teardown),
        };
        int r = cmocka_run_group_tests(tests, NULL, NULL);

        host_facts_done(&facts);
        return r;
}
