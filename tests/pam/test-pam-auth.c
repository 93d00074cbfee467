/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The auth hook with `prompt` (pam_jit(8), "auth, with prompt"): a grant token typed
 * at "JIT grant token: " is verified like a stored one and admits the same
 * handle's account and session; anything else is PAM_AUTH_ERR. Scripted
 * conversation answers, a failing conversation and a NULL reply. */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pam-harness.h"

#define PROMPT "JIT grant token: "

static struct harness_keys keys;

static int group_setup(void **state) {
        (void) state;
        harness_keys_init(&keys);
        return 0;
}

static int group_teardown(void **state) {
        (void) state;
        harness_keys_done(&keys);
        return 0;
}

enum typed {
        TYPED_GRANT, /* a token from the case's claims and signer */
        TYPED_TEXT,  /* the case's literal text */
        TYPED_HUGE,  /* 100 000 characters */
};

struct auth_case {
        const char *name;
        const char *args; /* default "prompt" */
        const char *conf; /* extra jit.conf lines */
        bool no_bundle;   /* the host never received a bundle */
        enum typed typed;
        const char *text; /* TYPED_TEXT */
        bool untrusted;   /* sign with a key not in the trust store */
        struct test_member over[6];
        const char *bundle_revoked; /* stage a bundle (without the token) revoking these */
        const char *file_revoked;   /* or write alice's file with this revoked id */
        enum conv_mode mode;
        int want_auth;
        int want_account; /* -1: account not run */
        const char *want_msg;
        int64_t want_t;
};

#define NO_GRANT "jit: no access grant for alice on this host"

static const struct auth_case cases[] = {
        {"typed valid token admits the handle's account", .want_auth = PAM_SUCCESS,
         .want_account = PAM_SUCCESS},
        {"typed valid token on a host that never received a bundle (stale_policy=keep)",
         .no_bundle = true, .conf = "stale_policy = keep", .want_auth = PAM_SUCCESS,
         .want_account = PAM_SUCCESS},
        /* Not spelled out by pam_jit(8) (its stale rule speaks of the user
         * file): with no bundle ever there is no revocation list to check a
         * typed token against, so stale_policy=deny refuses it. */
        {"typed valid token on a host that never received a bundle (stale_policy=deny)",
         .no_bundle = true, .conf = "stale_policy = deny", .want_auth = PAM_AUTH_ERR,
         .want_account = -1,
         .want_msg = "jit: access grants on this host are out of date; new logins are refused"},
        {"typed valid token, the revoked list names another grant",
         .bundle_revoked = "[\"g-other\"]", .want_auth = PAM_SUCCESS, .want_account = PAM_SUCCESS},
        {"typed garbage", .typed = TYPED_TEXT, .text = "not-a-token", .want_auth = PAM_AUTH_ERR,
         .want_account = -1},
        {"typed nothing", .typed = TYPED_TEXT, .text = "", .want_auth = PAM_AUTH_ERR,
         .want_account = -1},
        {"typed 100 000 characters", .typed = TYPED_HUGE, .want_auth = PAM_AUTH_ERR,
         .want_account = -1},
        {"typed token revoked in state_dir/revoked", .bundle_revoked = "[\"g-1\"]",
         .want_auth = PAM_AUTH_ERR, .want_account = -1,
         .want_msg = "jit: your access grant g-1 was revoked"},
        {"typed token revoked in the user file", .file_revoked = "g-1", .want_auth = PAM_AUTH_ERR,
         .want_account = -1, .want_msg = "jit: your access grant g-1 was revoked"},
        {"typed token for bob", .over = {{"sub", "\"bob\""}, {"jti", "\"g-bob\""}},
         .want_auth = PAM_AUTH_ERR, .want_account = -1},
        {"typed expired token", .over = {{"iat", "@-7200"}, {"nbf", "@-7200"}, {"exp", "@-3600"}},
         .want_auth = PAM_AUTH_ERR, .want_account = -1,
         .want_msg = "jit: your access grant g-1 expired at {T} UTC", .want_t = -3600},
        {"typed token not yet valid", .over = {{"nbf", "@3600"}, {"exp", "@5400"}},
         .want_auth = PAM_AUTH_ERR, .want_account = -1,
         .want_msg = "jit: your access grant g-1 starts at {T} UTC", .want_t = 3600},
        {"typed token signed by an untrusted key", .untrusted = true, .want_auth = PAM_AUTH_ERR,
         .want_account = -1},
        {"typed token for another host", .over = {{"aud", "[\"host=web-1\"]"}},
         .want_auth = PAM_AUTH_ERR, .want_account = -1},
        {"typed sudo-only token in ssh mode", .over = {{"scope", "[\"sudo\"]"}},
         .want_auth = PAM_AUTH_ERR, .want_account = -1},
        {"typed token from an untrusted issuer", .over = {{"iss", "\"https://evil.example\""}},
         .want_auth = PAM_AUTH_ERR, .want_account = -1},
        {"conversation fails", .mode = CONV_FAIL, .want_auth = PAM_AUTH_ERR, .want_account = -1},
        {"conversation returns no reply", .mode = CONV_NULL_REPLY, .want_auth = PAM_AUTH_ERR,
         .want_account = -1},
        {"auth without prompt is a misconfiguration", .args = "", .want_auth = PAM_SERVICE_ERR,
         .want_account = -1},
        {"auth with an unknown argument", .args = "prompt promtp", .want_auth = PAM_SERVICE_ERR,
         .want_account = -1},
};

static int case_setup(void **state) {
        const struct auth_case *c = *state;
        struct fixture *f = calloc(1, sizeof(*f));

        assert_non_null(f);
        fixture_init(f, &keys, c ? c->conf : NULL);
        f->row = c;
        *state = f;
        return 0;
}

/* A host that is up to date but holds nothing for alice (the reason to type
 * a token: the grant is newer than the host's bundle). carol's grant g-other
 * is in it; revoked_json names the bundle's revoked ids. */
static void stage_without_alice(struct fixture *f, const char *revoked_json) {
        char *other = fixture_own(
                f, fixture_grant(f, &keys.trusted,
                                 (const struct test_member[]){
                                         {"jti", "\"g-other\""}, {"sub", "\"carol\""}, {}}));
        char *tokens[] = {other};

        fixture_apply(f, tokens, 1, revoked_json, NULL);
}

static int case_teardown(void **state) {
        fixture_done(*state);
        free(*state);
        return 0;
}

static char *typed_text(const struct fixture *f, const struct auth_case *c) {
        switch (c->typed) {
        case TYPED_TEXT:
                return strdup(c->text);
        case TYPED_HUGE:
                return test_strrep('A', 100000);
        default:
                return fixture_grant(f, c->untrusted ? &keys.unknown : &keys.trusted, c->over);
        }
}

static char *expected(const struct fixture *f, const char *msg, int64_t off) {
        const char *p;
        char t[16];

        if (!msg)
                return NULL;
        p = strstr(msg, "{T}");
        if (!p)
                return strdup(msg);
        return test_strdupf("%.*s%s%s", (int) (p - msg), msg, hms(f->now + off, t, sizeof(t)),
                            p + 3);
}

static void run_auth_case(void **state) {
        struct fixture *f = *state;
        const struct auth_case *c = f->row;
        char *token = fixture_own(f, typed_text(f, c)), *want = NULL;
        struct conv_log log = {.mode = c->mode, .answers = {token}};
        pam_handle_t *pamh = NULL;
        int rc_auth, rc_acct = -1;

        if (!c->no_bundle)
                stage_without_alice(f, c->bundle_revoked);
        if (c->file_revoked) {
                char *revoked[] = {(char *) c->file_revoked, NULL};

                fixture_write_user_file(f, "alice", NULL, 0, revoked, 900);
        }
        fixture_write_service(f, "sshd", c->args ? c->args : "prompt", false);
        want = fixture_own(f, expected(f, c->want_msg, c->want_t));

        assert_int_equal(harness_pam_start(f, "sshd", "alice", &log, &pamh), PAM_SUCCESS);
        rc_auth = pam_authenticate(pamh, 0);
        if (c->want_account >= 0)
                rc_acct = pam_acct_mgmt(pamh, 0);
        assert_int_equal(pam_end(pamh, rc_auth), PAM_SUCCESS);

        if (rc_auth != c->want_auth || rc_acct != c->want_account) {
                conv_dump(c->name, &log);
                fail_msg("%s: auth %s (want %s), account %s (want %s)", c->name,
                         pam_code_name(rc_auth), pam_code_name(c->want_auth),
                         rc_acct < 0 ? "not run" : pam_code_name(rc_acct),
                         c->want_account < 0 ? "not run" : pam_code_name(c->want_account));
        }
        /* Asked once, without echo, in pam_jit(8)'s words. */
        if (c->want_auth != PAM_SERVICE_ERR && (conv_count(&log, PAM_PROMPT_ECHO_OFF) != 1 ||
                                                !conv_find(&log, PAM_PROMPT_ECHO_OFF, PROMPT) ||
                                                conv_count(&log, PAM_PROMPT_ECHO_ON))) {
                conv_dump(c->name, &log);
                fail_msg("%s: want one PAM_PROMPT_ECHO_OFF \"%s\"", c->name, PROMPT);
        }
        if (c->want_auth == PAM_SERVICE_ERR && conv_count(&log, PAM_PROMPT_ECHO_OFF) != 0) {
                conv_dump(c->name, &log);
                fail_msg("%s: prompted although misconfigured", c->name);
        }
        if (c->want_auth == PAM_SUCCESS && conv_count(&log, PAM_ERROR_MSG) != 0) {
                conv_dump(c->name, &log);
                fail_msg("%s: an error message on success", c->name);
        }
        if (want &&
            (conv_count(&log, PAM_ERROR_MSG) != 1 || !conv_find(&log, PAM_ERROR_MSG, want))) {
                conv_dump(c->name, &log);
                fail_msg("%s: want one PAM_ERROR_MSG containing \"%s\"", c->name, want);
        }
        /* The typed token never comes back in a message. */
        if (c->typed == TYPED_GRANT && conv_find(&log, 0, token))
                fail_msg("%s: a message echoes the typed token", c->name);
}

/* A token accepted in one handle admits nothing in the next one: no state
 * between PAM handles. */
static void test_typed_token_not_remembered(void **state) {
        struct fixture *f = *state;
        char *token = fixture_own(f, fixture_grant(f, &keys.trusted, NULL));
        struct conv_log log1 = {.answers = {token}}, log2 = {};
        pam_handle_t *pamh = NULL;
        int rc;

        stage_without_alice(f, NULL);
        fixture_write_service(f, "sshd", "prompt", false);
        assert_int_equal(harness_pam_start(f, "sshd", "alice", &log1, &pamh), PAM_SUCCESS);
        assert_int_equal(pam_authenticate(pamh, 0), PAM_SUCCESS);
        assert_int_equal(pam_acct_mgmt(pamh, 0), PAM_SUCCESS);
        assert_int_equal(pam_setcred(pamh, PAM_ESTABLISH_CRED), PAM_SUCCESS);
        assert_int_equal(pam_end(pamh, PAM_SUCCESS), PAM_SUCCESS);

        assert_int_equal(harness_pam_start(f, "sshd", "alice", &log2, &pamh), PAM_SUCCESS);
        rc = pam_acct_mgmt(pamh, 0);
        assert_int_equal(pam_end(pamh, rc), PAM_SUCCESS);
        if (rc != PAM_PERM_DENIED || !conv_find(&log2, PAM_ERROR_MSG, NO_GRANT)) {
                conv_dump("second handle", &log2);
                fail_msg("second handle: %s, want PAM_PERM_DENIED \"%s\"", pam_code_name(rc),
                         NO_GRANT);
        }
}

/* Changing PAM_USER after a token was accepted must not carry the grant
 * over to the new user. */
static void test_typed_token_other_user_after_auth(void **state) {
        struct fixture *f = *state;
        char *token = fixture_own(f, fixture_grant(f, &keys.trusted, NULL));
        struct conv_log log = {.answers = {token}};
        pam_handle_t *pamh = NULL;
        int rc;

        stage_without_alice(f, NULL);
        fixture_write_service(f, "sshd", "prompt", false);
        assert_int_equal(harness_pam_start(f, "sshd", "alice", &log, &pamh), PAM_SUCCESS);
        assert_int_equal(pam_authenticate(pamh, 0), PAM_SUCCESS);
        assert_int_equal(pam_set_item(pamh, PAM_USER, "bob"), PAM_SUCCESS);
        rc = pam_acct_mgmt(pamh, 0);
        assert_int_equal(pam_end(pamh, rc), PAM_SUCCESS);
        if (rc == PAM_SUCCESS || rc == PAM_IGNORE) {
                conv_dump("user changed", &log);
                fail_msg("alice's typed grant admitted bob: %s", pam_code_name(rc));
        }
}

static void test_setcred(void **state) {
        struct fixture *f = *state;
        struct conv_log log = {};
        pam_handle_t *pamh = NULL;

        fixture_write_service(f, "sshd", "prompt", false);
        assert_int_equal(harness_pam_start(f, "sshd", "alice", &log, &pamh), PAM_SUCCESS);
        assert_int_equal(pam_setcred(pamh, PAM_ESTABLISH_CRED), PAM_SUCCESS);
        assert_int_equal(pam_setcred(pamh, PAM_DELETE_CRED), PAM_SUCCESS);
        assert_int_equal(pam_end(pamh, PAM_SUCCESS), PAM_SUCCESS);
        assert_int_equal(log.n_msg, 0);
}

/* The typed grant admits the session of the same handle too. */
static void typed_session(const struct fixture *f, struct child_report *rep, void *data) {
        struct session_record *r = NULL;
        struct jit_error err = {};
        pam_handle_t *pamh = NULL;

        rep->log.mode = CONV_ANSWER;
        rep->log.answers[0] = data;
        /* A session needs a user with a passwd entry (its uid is recorded). */
        if (harness_pam_start(f, "sshd", "daemon", &rep->log, &pamh) != PAM_SUCCESS) {
                child_fail(rep, "pam_start_confdir failed");
                return;
        }
        rep->rc[0] = pam_authenticate(pamh, 0);
        rep->rc[1] = pam_acct_mgmt(pamh, 0);
        rep->rc[2] = pam_open_session(pamh, 0);
        if (session_record_load(f->run, rep->session_id, &r, &err) < 0)
                child_fail(rep, "no session record: %s", err.message);
        else if (!streq_ptr(r->grant, "g-typed"))
                child_fail(rep, "record grant %s, want g-typed", strempty(r->grant));
        session_record_free(r);
        rep->rc[3] = pam_close_session(pamh, 0);
        (void) pam_end(pamh, PAM_SUCCESS);
}

static void test_typed_token_session(void **state) {
        struct fixture *f = *state;
        char *token = fixture_own(
                f, fixture_grant(f, &keys.trusted,
                                 (const struct test_member[]){
                                         {"jti", "\"g-typed\""}, {"sub", "\"daemon\""}, {}}));
        const struct child_opts opts = {.audit_session = true};
        struct child_report *rep;

        stage_without_alice(f, NULL);
        fixture_write_service(f, "sshd", "prompt", false);
        rep = run_in_child(f, &opts, typed_session, token);
        if (rep->failure[0]) {
                conv_dump("typed session", &rep->log);
                fail_msg("%s", rep->failure);
        }
        for (size_t i = 0; i < 4; i++)
                if (rep->rc[i] != PAM_SUCCESS) {
                        conv_dump("typed session", &rep->log);
                        fail_msg("step %zu: %s", i, pam_code_name(rep->rc[i]));
                }
        child_report_free(rep);
}

/* sshd runs the auth stack (and account) in a child process and hands its
 * monitor only the child's PAM environment, where the session opens
 * (pam_jit(8), "auth, with prompt"). Here: handle a authenticates, its
 * environment goes into handle b of service b_service, which opens the
 * session. rc: auth, account, open, token left in b's environment (1),
 * the token in a's environment (1), close. */
struct split_case {
        const char *token;
        const char *b_service;
};

static void typed_split(const struct fixture *f, struct child_report *rep, void *data) {
        const struct split_case *c = data;
        pam_handle_t *a = NULL, *b = NULL;
        char **env;

        rep->log.mode = CONV_ANSWER;
        rep->log.answers[0] = c->token;
        if (harness_pam_start(f, "sshd", "daemon", &rep->log, &a) != PAM_SUCCESS ||
            harness_pam_start(f, c->b_service, "daemon", &rep->log2, &b) != PAM_SUCCESS) {
                child_fail(rep, "pam_start_confdir failed");
                return;
        }
        rep->rc[0] = pam_authenticate(a, 0);
        rep->rc[1] = pam_acct_mgmt(a, 0);
        env = pam_getenvlist(a);
        (void) pam_end(a, PAM_SUCCESS);
        for (size_t i = 0; env && env[i]; i++) {
                if (strstr(env[i], c->token))
                        rep->rc[4] = 1;
                (void) pam_putenv(b, env[i]);
                free(env[i]);
        }
        free(env);
        rep->rc[2] = pam_open_session(b, 0);
        env = pam_getenvlist(b);
        for (size_t i = 0; env && env[i]; i++) {
                if (strstr(env[i], c->token) || strstr(env[i], "PAM_JIT_TYPED_TOKEN"))
                        rep->rc[3] = 1;
                free(env[i]);
        }
        free(env);
        rep->rc[5] = rep->rc[2] == PAM_SUCCESS ? pam_close_session(b, 0) : PAM_SUCCESS;
        (void) pam_end(b, PAM_SUCCESS);
}

static struct child_report *split_run(struct fixture *f, const char *b_args) {
        char *token = fixture_own(
                f, fixture_grant(f, &keys.trusted,
                                 (const struct test_member[]){
                                         {"jti", "\"g-typed\""}, {"sub", "\"daemon\""}, {}}));
        const struct child_opts opts = {.audit_session = true};
        struct split_case c = {.token = token, .b_service = "sshd-monitor"};

        stage_without_alice(f, NULL);
        fixture_write_service(f, "sshd", "prompt", false);
        fixture_write_service(f, "sshd-monitor", b_args, false);
        return run_in_child(f, &opts, typed_split, &c);
}

static void test_typed_token_across_processes(void **state) {
        struct child_report *rep = split_run(*state, "prompt");

        if (rep->failure[0])
                fail_msg("%s", rep->failure);
        assert_int_equal(rep->rc[0], PAM_SUCCESS);
        assert_int_equal(rep->rc[1], PAM_SUCCESS);
        assert_int_equal(rep->rc[4], 1); /* carried in the PAM environment */
        if (rep->rc[2] != PAM_SUCCESS) {
                conv_dump("monitor handle", &rep->log2);
                fail_msg("open in the second handle: %s", pam_code_name(rep->rc[2]));
        }
        assert_int_equal(rep->rc[3], 0); /* and gone from it after open */
        assert_int_equal(rep->rc[5], PAM_SUCCESS);
        child_report_free(rep);
}

/* Without "prompt" on the session line the variable is only a variable
 * (pam_env.so with user_readenv could set it): ignored, and still removed. */
static void test_typed_token_env_needs_prompt(void **state) {
        struct child_report *rep = split_run(*state, "");

        if (rep->failure[0])
                fail_msg("%s", rep->failure);
        assert_int_equal(rep->rc[0], PAM_SUCCESS);
        assert_int_equal(rep->rc[2], PAM_PERM_DENIED);
        assert_int_equal(rep->rc[3], 0);
        child_report_free(rep);
}

int main(void) {
        static const struct CMUnitTest fixed[] = {
                cmocka_unit_test_setup_teardown(test_typed_token_not_remembered, case_setup,
                                                case_teardown),
                cmocka_unit_test_setup_teardown(test_typed_token_other_user_after_auth, case_setup,
                                                case_teardown),
                cmocka_unit_test_setup_teardown(test_setcred, case_setup, case_teardown),
                cmocka_unit_test_setup_teardown(test_typed_token_session, case_setup,
                                                case_teardown),
                cmocka_unit_test_setup_teardown(test_typed_token_across_processes, case_setup,
                                                case_teardown),
                cmocka_unit_test_setup_teardown(test_typed_token_env_needs_prompt, case_setup,
                                                case_teardown),
        };
        struct CMUnitTest tests[ELEMENTSOF(fixed) + ELEMENTSOF(cases)];
        size_t n = 0;
        int r = harness_require_root();

        if (r != 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(fixed); i++)
                tests[n++] = fixed[i];
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                tests[n++] = (struct CMUnitTest){
                        .name = cases[i].name,
                        .test_func = run_auth_case,
                        .setup_func = case_setup,
                        .teardown_func = case_teardown,
                        .initial_state = (void *) &cases[i],
                };
        return _cmocka_run_group_tests("pam-auth", tests, n, group_setup, group_teardown);
}
