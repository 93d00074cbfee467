/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The snapshot loader (snapshot_load, host_grants_load_all) against files
 * staged in a temporary folder: it reads what a decision needs, and no more
 * (tests/unit/test-decide.c holds the decision's table). */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test-util.h"

#include "access.h"
#include "host-state.h"
#include "jit-conf.h"
#include "macro.h"
#include "session-record.h"
#include "session-store.h"
#include "snapshot.h"

#define NOW TEST_NOW
#define SSH GRANT_SCOPE_SSH

struct fixture {
        char dir[64];
        char state[128], run[128];
        struct test_key key, stranger;
        struct jit_context ctx;
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

static void write_text(const char *path, const char *text, mode_t mode) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
        assert_int_equal(close(fd), 0);
        assert_int_equal(chmod(path, mode), 0);
}

static void stage_config(struct fixture *fx, const char *extra) {
        _cleanup_free_ char *text = NULL, *path = NULL, *jwks = NULL;
        const struct test_key *keys[1] = {&fx->key};
        struct jit_error err = {};

        jwks = test_jwks_text(keys, 1);
        path = test_strdupf("%s/trust.jwks", fx->dir);
        write_text(path, jwks, 0644);
        free(path);
        text = test_strdupf("state_dir = %s\nrun_dir = %s\ntrust_store = %s/trust.jwks\n"
                            "issuers = " TEST_ISSUER "\nhost_id = pay-db-1\nlabels = env=prod\n%s",
                            fx->state, fx->run, fx->dir, strempty(extra));
        path = test_strdupf("%s/jit.conf", fx->dir);
        write_text(path, text, 0644);
        context_done(&fx->ctx);
        assert_ok(context_load(path, &fx->ctx, &err), &err);
}

static int setup(void **state) {
        struct fixture *fx = calloc(1, sizeof(*fx));

        assert_non_null(fx);
        /* The loader refuses files that are not root's: run as root, as CI does. */
        assert_int_equal(geteuid(), 0);
        strcpy(fx->dir, "/tmp/jit-test-decide-XXXXXX");
        assert_non_null(mkdtemp(fx->dir));
        assert_int_equal(chmod(fx->dir, 0755), 0);
        (void) snprintf(fx->state, sizeof(fx->state), "%s/state", fx->dir);
        (void) snprintf(fx->run, sizeof(fx->run), "%s/run", fx->dir);
        assert_int_equal(mkdir(fx->state, 0700), 0);
        assert_int_equal(mkdir(fx->run, 0755), 0);
        test_key_init(&fx->key, JWS_ALG_EDDSA, "k1");
        test_key_init(&fx->stranger, JWS_ALG_EDDSA, "k-unknown");
        stage_config(fx, NULL);
        *state = fx;
        return 0;
}

static int teardown(void **state) {
        struct fixture *fx = *state;

        (void) nftw(fx->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        context_done(&fx->ctx);
        test_key_done(&fx->key);
        test_key_done(&fx->stranger);
        free(fx);
        return 0;
}

/* users/alice: g-1 valid and bound, g-2 revoked, one token signed by a key
 * nobody trusts. */
static void stage_alice(struct fixture *fx) {
        _cleanup_free_ char *g1 = test_grant_token(
                &fx->key, NOW, (const struct test_member[]){{"+bind", "\"session\""}, {}});
        _cleanup_free_ char *g2 = test_grant_token(
                &fx->key, NOW, (const struct test_member[]){{"jti", "\"g-2\""}, {}});
        _cleanup_free_ char *bad = test_grant_token(
                &fx->stranger, NOW, (const struct test_member[]){{"jti", "\"g-3\""}, {}});
        _cleanup_free_ char *users = test_strdupf("%s/users", fx->state);
        _cleanup_free_ char *path = test_strdupf("%s/alice", users);
        _cleanup_free_ char *text = test_strdupf("serial 7\nbundle-exp %lld\ngrant %s\ngrant %s\n"
                                                 "grant %s\nrevoked g-2\n",
                                                 (long long) (NOW + 900), g1, bad, g2);

        (void) mkdir(users, 0700);
        write_text(path, text, 0600);
}

static void stage_session(struct fixture *fx, const char *id, const char *jti, pid_t leader) {
        struct session_record rec = {
                .grant = (char *) jti,
                .user = (char *) "alice",
                .service = (char *) "sshd",
                .leader = leader,
                .audit_session = AUDIT_SESSION_UNSET,
                .exp = NOW + 1800,
                .bound = true,
        };
        struct jit_error err = {};

        (void) snprintf(rec.id, sizeof(rec.id), "%s", id);
        assert_ok(session_record_save(fx->run, &rec, &err), &err);
}

static void test_load_user(void **state) {
        struct fixture *fx = *state;
        _cleanup_(snapshot_done) struct host_snapshot s = {};
        const struct user_view *uv;
        struct jit_error err = {};
        struct decision d = {};

        stage_alice(fx);
        stage_session(fx, "7", "g-1", getpid());  /* live: this test */
        stage_session(fx, "8", "g-1", 999999999); /* over */
        stage_session(fx, "9", "g-1", getpid());  /* our own: left out */
        assert_ok(snapshot_load(&fx->ctx,
                                &(struct snapshot_load){.user = "alice", .own_session = "9"}, &s,
                                &err),
                  &err);
        uv = host_grants_user(s.grants, "alice");
        assert_non_null(uv);
        assert_int_equal(uv->n_grants, 2);
        assert_string_equal(uv->grants[0]->jti, "g-1");
        assert_true(uv->grants[0]->bind_session);
        assert_int_equal(uv->n_invalid, 1);
        assert_non_null(strstr(uv->invalid, "k-unknown"));
        assert_int_equal(uv->n_revoked, 1);
        assert_int_equal(uv->bundle_exp, NOW + 900);
        assert_false(s.typed_given);
        /* the session view: only the live holder that is not us */
        assert_int_equal(s.n_holds, 1);
        assert_string_equal(s.holds[0].session, "7");
        assert_string_equal(s.holds[0].jti, "g-1");
        assert_int_equal(s.holds[0].live, 1);
        assert_null(host_grants_user(s.grants, "bob"));

        assert_int_equal(decide(&s,
                                &(struct decide_request){.user = "alice",
                                                         .scope = SSH,
                                                         .own_session = "9",
                                                         .only_jti = "g-1",
                                                         .now = NOW},
                                &d),
                         0);
        assert_int_equal(d.verdict, VERDICT_BOUND); /* g-2 alone would say REVOKED */
}

static void test_load_no_bind_no_proc(void **state) {
        struct fixture *fx = *state;
        _cleanup_(snapshot_done) struct host_snapshot s = {};
        _cleanup_free_ char *g = test_grant_token(
                &fx->key, NOW, (const struct test_member[]){{"sub", "\"bob\""}, {}});
        _cleanup_free_ char *users = test_strdupf("%s/users", fx->state);
        _cleanup_free_ char *path = test_strdupf("%s/bob", users);
        _cleanup_free_ char *sessions = test_strdupf("%s/sessions", fx->run);
        _cleanup_free_ char *text =
                test_strdupf("serial 7\nbundle-exp %lld\ngrant %s\n", (long long) (NOW + 900), g);
        struct jit_error err = {};

        (void) mkdir(users, 0700);
        write_text(path, text, 0600);
        /* An unreadable sessions folder: with nothing bound, never looked at. */
        stage_session(fx, "7", "g-1", getpid());
        assert_int_equal(chmod(sessions, 0777), 0);
        assert_ok(snapshot_load(&fx->ctx, &(struct snapshot_load){.user = "bob"}, &s, &err), &err);
        assert_int_equal(s.n_holds, 0);
        assert_int_equal(host_grants_user(s.grants, "bob")->n_grants, 1);
        assert_int_equal(chmod(sessions, 0700), 0);
}

static void test_load_typed(void **state) {
        struct fixture *fx = *state;
        _cleanup_(snapshot_done) struct host_snapshot s = {}, s2 = {}, s3 = {};
        _cleanup_free_ char *t = test_grant_token(
                &fx->key, NOW, (const struct test_member[]){{"jti", "\"t-1\""}, {}});
        _cleanup_free_ char *bad = test_grant_token(&fx->stranger, NOW, NULL);
        _cleanup_free_ char *revoked = test_strdupf("%s/revoked", fx->state);
        struct host_state st = {.serial = 7, .bundle_exp = NOW - 7200, .accepted = NOW};
        struct jit_error err = {};
        struct decision d = {};

        /* No user file, no state, no revoked list: t-1 is not revoked;
         * under stale_policy = keep the state is not even looked for. */
        stage_config(fx, "stale_policy = keep\n");
        assert_ok(snapshot_load(&fx->ctx,
                                &(struct snapshot_load){.user = "alice", .typed_token = t}, &s,
                                &err),
                  &err);
        assert_true(s.typed_given);
        assert_non_null(s.typed);
        assert_false(s.typed_revoked);
        assert_false(s.bundle_exp_known);
        assert_int_equal(
                decide(&s, &(struct decide_request){.user = "alice", .scope = SSH, .now = NOW}, &d),
                0);
        assert_int_equal(d.verdict, VERDICT_ALLOW);

        /* The global revoked list names it; stale_policy = deny reads the state. */
        write_text(revoked, "a-0\nt-1\n", 0600);
        memset(st.bundle_sha256, 'a', 64);
        assert_ok(host_state_save(fx->ctx.config, &st, &err), &err);
        stage_config(fx, "stale_policy = deny\nstale_after = 1h\n");
        assert_ok(snapshot_load(&fx->ctx,
                                &(struct snapshot_load){.user = "alice", .typed_token = t}, &s2,
                                &err),
                  &err);
        assert_true(s2.typed_revoked);
        assert_true(s2.bundle_exp_known);
        assert_int_equal(s2.bundle_exp, NOW - 7200);
        assert_int_equal(decide(&s2,
                                &(struct decide_request){.user = "alice", .scope = SSH, .now = NOW},
                                &d),
                         0);
        assert_int_equal(d.verdict, VERDICT_STALE);

        /* A token that does not verify: kept as given, with why. */
        assert_ok(snapshot_load(&fx->ctx,
                                &(struct snapshot_load){.user = "alice", .typed_token = bad}, &s3,
                                &err),
                  &err);
        assert_true(s3.typed_given);
        assert_null(s3.typed);
        assert_non_null(strstr(s3.typed_error.message, "k-unknown"));
}

static void test_load_exempt(void **state) {
        struct fixture *fx = *state;
        _cleanup_(snapshot_done) struct host_snapshot s = {};
        _cleanup_free_ char *users = test_strdupf("%s/users", fx->state);
        _cleanup_free_ char *path = test_strdupf("%s/alice", users);
        struct jit_error err = {};
        struct decision d = {};

        /* A corrupt file for alice: an exempt alice never gets it read. */
        (void) mkdir(users, 0700);
        write_text(path, "garbage\n", 0600);
        stage_config(fx, "exempt_users = alice\n");
        assert_ok(snapshot_load(&fx->ctx,
                                &(struct snapshot_load){.user = "alice", .check_exempt = true}, &s,
                                &err),
                  &err);
        assert_null(s.grants);
        assert_int_equal(
                decide(&s, &(struct decide_request){.user = "alice", .scope = SSH, .now = NOW}, &d),
                0);
        assert_int_equal(d.verdict, VERDICT_EXEMPT);
        snapshot_done(&s);
        /* Without the exemption check the corrupt file is an error. */
        assert_true(snapshot_load(&fx->ctx, &(struct snapshot_load){.user = "alice"}, &s, &err) <
                    0);
}

static void test_load_all(void **state) {
        struct fixture *fx = *state;
        _cleanup_(host_grants_freep) struct host_grants *g = NULL;
        _cleanup_free_ char *bob = test_strdupf("%s/users/bob", fx->state);
        struct host_state st = {.serial = 7, .bundle_exp = NOW + 900, .accepted = NOW};
        struct jit_error err = {};
        char sha[65];
        size_t unreadable = 0;

        stage_alice(fx);
        write_text(bob, "serial 7\n", 0666); /* writable by others: refused */
        memset(st.bundle_sha256, 'b', 64);
        assert_ok(host_state_save(fx->ctx.config, &st, &err), &err);
        assert_ok(host_grants_load_all(&fx->ctx, &g, &unreadable, &err), &err);
        assert_int_equal(unreadable, 1);
        assert_true(strv_contains(g->unreadable, "bob"));
        assert_int_equal(g->n_users, 1);
        assert_int_equal(g->n_bind_jtis, 1);
        assert_string_equal(g->bind_jtis[0], "g-1");
        assert_true(g->have_state);
        assert_int_equal(g->bundle_exp, NOW + 900);
        assert_ok(host_grants_current_sha256(&fx->ctx, sha, &err), &err);
        assert_string_equal(sha, g->bundle_sha256);
        assert_int_equal(host_grants_user(g, "alice")->n_grants, 2);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_load_user, setup, teardown),
                cmocka_unit_test_setup_teardown(test_load_no_bind_no_proc, setup, teardown),
                cmocka_unit_test_setup_teardown(test_load_typed, setup, teardown),
                cmocka_unit_test_setup_teardown(test_load_exempt, setup, teardown),
                cmocka_unit_test_setup_teardown(test_load_all, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
