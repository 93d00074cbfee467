/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Session hooks and sudo mode (pam_jit(8), docs/pam_jit.8.scd: "session,
 * mode=ssh", "account, mode=sudo", "session, mode=sudo"). These need what a test
 * process does not have: an audit session id of their own (written to
 * /proc/self/loginuid, as pam_loginuid.so does) and, for sudo, a real uid
 * that is the invoker while the effective uid stays 0 (setresuid(invoker, 0,
 * 0), as sudo runs). Each case runs its PAM transactions in a forked child
 * (run_in_child) that reports through shared memory; the parent asserts.
 * Over 600 lines because every case needs that child runner and the faked
 * audit session, and the sudo cases are one table. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pam-harness.h"
#include "parse.h"
#include "proc.h"

#define SUDO_ONLY_FROM_SESSION                                                                     \
        "jit: sudo is allowed only from a login session admitted by jit-access"

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

static int case_setup(void **state) {
        struct fixture *f = calloc(1, sizeof(*f));

        assert_non_null(f);
        fixture_init(f, &keys, *state);
        *state = f;
        return 0;
}

static int case_teardown(void **state) {
        fixture_done(*state);
        free(*state);
        return 0;
}

/* Sessions record the user's uid: their users need a passwd entry, so the
 * session and sudo cases log in as "daemon" (uid 1). */
static const struct test_member daemon_grant[] = {{"sub", "\"daemon\""}, {}};

/* Stage one grant (claim overrides) with the agent's code. */
static void stage_grant(struct fixture *f, const struct test_member *over) {
        char *g = fixture_own(f, fixture_grant(f, &keys.trusted, over));
        char *tokens[] = {g};

        fixture_apply(f, tokens, 1, NULL, NULL);
}

/* --- child side: no cmocka here, failures go to rep->failure --- */

#define CHECK(rep, cond, ...)                                                                      \
        do {                                                                                       \
                if (!(cond))                                                                       \
                        child_fail(rep, __VA_ARGS__);                                              \
        } while (0)

static pam_handle_t *child_start(const struct fixture *f, struct child_report *rep,
                                 struct conv_log *log, const char *service, const char *user,
                                 const char *ruser) {
        pam_handle_t *pamh = NULL;
        int r;

        log->mode = CONV_ANSWER;
        r = harness_pam_start(f, service, user, log, &pamh);
        if (r != PAM_SUCCESS) {
                child_fail(rep, "pam_start_confdir(%s): %s", service, pam_code_name(r));
                return NULL;
        }
        if (ruser)
                (void) pam_set_item(pamh, PAM_RUSER, ruser);
        (void) pam_set_item(pamh, PAM_RHOST, "192.0.2.7");
        if (streq(service, "sshd"))
                (void) pam_set_item(pamh, PAM_TTY, "ssh");
        return pamh;
}

static void child_env(pam_handle_t *pamh, struct child_report *rep) {
        static const char *const names[] = {"JIT_GRANT_ID", "JIT_GRANT_EXPIRES", "JIT_GRANT_REASON",
                                            "JIT_GRANT_EXPIRES_EPOCH"};

        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                const char *v = pam_getenv(pamh, names[i]);

                (void) snprintf(rep->env[i], sizeof(rep->env[i]), "%s", v ? v : "(unset)");
        }
}

static struct session_record *child_load(const struct fixture *f, const char *id) {
        struct session_record *r = NULL;
        struct jit_error err = {};

        if (session_record_load(f->run, id, &r, &err) < 0)
                return NULL;
        return r;
}

static bool record_has_elevation(const struct session_record *r, const char *entry) {
        for (char **e = r->elevated; e && *e; e++)
                if (streq(*e, entry))
                        return true;
        return false;
}

static size_t n_records(const struct fixture *f) {
        char **ids = NULL;
        struct jit_error err = {};
        size_t n;

        if (session_records_list(f->run, &ids, &err) < 0)
                return 0;
        n = strv_length(ids);
        strv_free(ids);
        return n;
}

/* A session record for the child's own audit session, as the ssh login that
 * preceded sudo would have left it. */
static void child_save_own_record(const struct fixture *f, struct child_report *rep,
                                  const char *user, pid_t leader) {
        char *elevated[] = {NULL};
        struct session_record r = {
                .grant = (char *) "g-1",
                .user = (char *) user,
                .service = (char *) "sshd",
                .tty = (char *) "ssh",
                .leader = leader,
                .uid = 1,
                .audit_session = (uint32_t) strtoul(rep->session_id, NULL, 10),
                .exp = f->now + 1800,
                .elevated = elevated,
        };
        struct jit_error err = {};

        (void) snprintf(r.id, sizeof(r.id), "%s", rep->session_id);
        if (session_record_save(f->run, &r, &err) < 0)
                child_fail(rep, "session_record_save: %s", err.message);
}

/* --- ssh mode --- */

static void ssh_lifecycle(const struct fixture *f, struct child_report *rep, void *data) {
        bool skip_account = data != NULL;
        _cleanup_(session_record_freep) struct session_record *r = NULL;
        pam_handle_t *pamh = child_start(f, rep, &rep->log, "sshd", "daemon", NULL);

        if (!pamh)
                return;
        rep->rc[0] = skip_account ? PAM_SUCCESS : pam_acct_mgmt(pamh, 0);
        rep->rc[1] = pam_open_session(pamh, 0);
        child_env(pamh, rep);
        r = child_load(f, rep->session_id);
        if (!r)
                child_fail(rep, "no record run/sessions/%s after open", rep->session_id);
        else {
                CHECK(rep, streq_ptr(r->grant, "g-1"), "record grant %s", strempty(r->grant));
                CHECK(rep, streq_ptr(r->user, "daemon"), "record user %s", strempty(r->user));
                CHECK(rep, r->uid == 1, "record uid %u, want 1 (daemon)", (unsigned) r->uid);
                CHECK(rep, streq_ptr(r->service, "sshd"), "record service %s",
                      strempty(r->service));
                CHECK(rep, streq_ptr(r->tty, "ssh"), "record tty %s", strempty(r->tty));
                CHECK(rep, streq_ptr(r->rhost, "192.0.2.7"), "record rhost %s", strempty(r->rhost));
                CHECK(rep, r->leader == getpid(), "record leader %d, want %d", (int) r->leader,
                      (int) getpid());
                CHECK(rep, r->audit_session == strtoul(rep->session_id, NULL, 10),
                      "record audit-session %u, want %s", r->audit_session, rep->session_id);
                CHECK(rep, r->exp == f->now + 1800, "record exp %" PRId64 ", want %" PRId64, r->exp,
                      f->now + 1800);
                CHECK(rep, !r->bound, "record bound for a grant without bind");
                CHECK(rep, session_record_is_live(r), "record not live");
        }
        rep->rc[2] = pam_close_session(pamh, 0);
        session_record_free(TAKE_PTR(r));
        r = child_load(f, rep->session_id);
        CHECK(rep, !r, "record run/sessions/%s still there after close", rep->session_id);
        (void) pam_end(pamh, PAM_SUCCESS);
}

static void check_lifecycle(struct fixture *f, struct child_report *rep) {
        char *want_info = NULL, *want_exp = NULL;
        char t[16], iso[ISO8601_UTC_LEN + 1];

        if (rep->failure[0]) {
                conv_dump("ssh session", &rep->log);
                fail_msg("%s (account %s, open %s, close %s)", rep->failure,
                         pam_code_name(rep->rc[0]), pam_code_name(rep->rc[1]),
                         pam_code_name(rep->rc[2]));
        }
        assert_true(rep->ran);
        assert_string_equal(pam_code_name(rep->rc[0]), "PAM_SUCCESS");
        assert_string_equal(pam_code_name(rep->rc[1]), "PAM_SUCCESS");
        assert_string_equal(pam_code_name(rep->rc[2]), "PAM_SUCCESS");
        want_exp = fixture_own(f, test_strdupf("%" PRId64, f->now + 1800));
        assert_string_equal(rep->env[0], "g-1");
        /* The end for people (ISO 8601, UTC) and for scripts (seconds). */
        assert_true(format_iso8601_utc(f->now + 1800, iso));
        assert_string_equal(rep->env[1], iso);
        assert_string_equal(rep->env[3], want_exp);
        assert_string_equal(rep->env[2], "test");
        want_info = fixture_own(
                f, test_strdupf("jit: access by grant g-1 (ticket INC-1, approved by bob) until "
                                "%s UTC, in ",
                                hms(f->now + 1800, t, sizeof(t))));
        if (!conv_find(&rep->log, PAM_TEXT_INFO, want_info) ||
            conv_count(&rep->log, PAM_ERROR_MSG) != 0) {
                conv_dump("ssh session", &rep->log);
                fail_msg("want one PAM_TEXT_INFO \"%s… min\" and no error", want_info);
        }
        assert_non_null(strstr(conv_find(&rep->log, PAM_TEXT_INFO, want_info)->text, " min"));
}

static void test_ssh_session_lifecycle(void **state) {
        struct fixture *f = *state;
        const struct child_opts opts = {.audit_session = true};
        struct child_report *rep;

        stage_grant(f, daemon_grant);
        fixture_write_service(f, "sshd", NULL, false);
        rep = run_in_child(f, &opts, ssh_lifecycle, NULL);
        check_lifecycle(f, rep);
        child_report_free(rep);
}

static void test_ssh_session_without_account(void **state) {
        struct fixture *f = *state;
        const struct child_opts opts = {.audit_session = true};
        struct child_report *rep;

        stage_grant(f, daemon_grant);
        fixture_write_service(f, "sshd", NULL, false);
        rep = run_in_child(f, &opts, ssh_lifecycle, (void *) "skip account");
        check_lifecycle(f, rep);
        child_report_free(rep);
}

static void loginuid_first(const struct fixture *f, struct child_report *rep, void *data) {
        _cleanup_(session_record_freep) struct session_record *r = NULL;
        pam_handle_t *pamh = child_start(f, rep, &rep->log, "sshd", "daemon", NULL);
        FILE *sid;

        (void) data;
        if (!pamh)
                return;
        rep->rc[0] = pam_acct_mgmt(pamh, 0);
        rep->rc[1] = pam_open_session(pamh, 0);
        /* pam_loginuid.so started the audit session just now. */
        sid = fopen("/proc/self/sessionid", "re");
        if (!sid || !fgets(rep->session_id, sizeof(rep->session_id), sid))
                child_fail(rep, "cannot read /proc/self/sessionid");
        if (sid)
                fclose(sid);
        CHECK(rep, !streq(rep->session_id, "4294967295"), "pam_loginuid.so set no session");
        r = child_load(f, rep->session_id);
        CHECK(rep, r && streq_ptr(r->user, "daemon") && streq_ptr(r->grant, "g-1"),
              "no record for daemon in run/sessions/%s", rep->session_id);
        rep->rc[2] = pam_close_session(pamh, 0);
        (void) pam_end(pamh, PAM_SUCCESS);
}

static void test_ssh_session_after_pam_loginuid(void **state) {
        struct fixture *f = *state;
        const struct child_opts opts = {.no_session = true};
        struct child_report *rep;

        stage_grant(f, (const struct test_member[]){{"sub", "\"daemon\""}, {}});
        fixture_write_service(f, "sshd", NULL, true);
        rep = run_in_child(f, &opts, loginuid_first, NULL);
        if (rep->failure[0])
                fail_msg("%s", rep->failure);
        assert_string_equal(pam_code_name(rep->rc[0]), "PAM_SUCCESS");
        assert_string_equal(pam_code_name(rep->rc[1]), "PAM_SUCCESS");
        assert_string_equal(pam_code_name(rep->rc[2]), "PAM_SUCCESS");
        assert_int_equal(n_records(f), 0);
        child_report_free(rep);
}

static void open_only(const struct fixture *f, struct child_report *rep, void *data) {
        bool with_account = data != NULL;
        pam_handle_t *pamh = child_start(f, rep, &rep->log, "sshd", "daemon", NULL);

        if (!pamh)
                return;
        rep->rc[0] = with_account ? pam_acct_mgmt(pamh, 0) : PAM_SUCCESS;
        rep->rc[1] = pam_open_session(pamh, 0);
        rep->rc[2] = (int) n_records(f);
        rep->rc[3] = pam_close_session(pamh, 0);
        (void) pam_end(pamh, PAM_SUCCESS);
}

static void test_ssh_session_without_audit_session(void **state) {
        struct fixture *f = *state;
        const struct child_opts opts = {.no_session = true};
        struct child_report *rep;

        stage_grant(f, daemon_grant);
        fixture_write_service(f, "sshd", NULL, false);
        rep = run_in_child(f, &opts, open_only, (void *) "with account");
        if (rep->failure[0])
                fail_msg("%s", rep->failure);
        assert_string_equal(pam_code_name(rep->rc[0]), "PAM_SUCCESS");
        assert_string_equal(pam_code_name(rep->rc[1]), "PAM_SESSION_ERR");
        assert_int_equal(rep->rc[2], 0);
        if (conv_count(&rep->log, PAM_ERROR_MSG) != 1 ||
            !conv_find(&rep->log, PAM_ERROR_MSG,
                       "jit: cannot track this session (pam_loginuid.so must run before "
                       "pam_jit.so)")) {
                conv_dump("no audit session", &rep->log);
                fail();
        }
        child_report_free(rep);
}

static void test_ssh_session_exempt_user(void **state) {
        struct fixture *f = *state;
        const struct child_opts opts = {.audit_session = true};
        struct child_report *rep;

        fixture_write_service(f, "sshd", NULL, false);
        rep = run_in_child(f, &opts, open_only, (void *) "with account");
        if (rep->failure[0])
                fail_msg("%s", rep->failure);
        assert_string_equal(pam_code_name(rep->rc[0]), "PAM_SUCCESS");
        assert_string_equal(pam_code_name(rep->rc[1]), "PAM_SUCCESS");
        assert_int_equal(rep->rc[2], 0); /* no record for an exempt user */
        assert_string_equal(pam_code_name(rep->rc[3]), "PAM_SUCCESS");
        child_report_free(rep);
}

static void test_ssh_session_without_grant(void **state) {
        struct fixture *f = *state;
        const struct child_opts opts = {.audit_session = true};
        struct child_report *rep;

        fixture_write_service(f, "sshd", NULL, false);
        rep = run_in_child(f, &opts, open_only, NULL);
        if (rep->failure[0])
                fail_msg("%s", rep->failure);
        if (rep->rc[1] == PAM_SUCCESS || rep->rc[1] == PAM_IGNORE)
                fail_msg("session opened without a grant: %s", pam_code_name(rep->rc[1]));
        assert_int_equal(rep->rc[2], 0);
        child_report_free(rep);
}

/* Another login of daemon (a fresh audit session) checks her account. */
static int second_login(const struct fixture *f, struct child_report *rep) {
        int status = 0;
        pid_t pid;

        __builtin_unwind_init(); /* see run_in_child() */
        fflush(NULL);
        pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0) {
                FILE *lu = fopen("/proc/self/loginuid", "we");
                pam_handle_t *pamh;
                int rc = -1;

                /* A new audit session (loginuid is not immutable here). */
                if (!lu || fputs("0", lu) < 0 || fclose(lu) != 0)
                        exit(3);
                memset(&rep->log2, 0, sizeof(rep->log2));
                pamh = child_start(f, rep, &rep->log2, "sshd", "daemon", NULL);
                if (pamh) {
                        rc = pam_acct_mgmt(pamh, 0);
                        (void) pam_end(pamh, rc);
                }
                exit(rc == PAM_SUCCESS ? 0 : rc == PAM_PERM_DENIED ? 1 : 2);
        }
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
                return -1;
        return WEXITSTATUS(status);
}

static void bound_lifecycle(const struct fixture *f, struct child_report *rep, void *data) {
        _cleanup_(session_record_freep) struct session_record *r = NULL;
        pam_handle_t *pamh = child_start(f, rep, &rep->log, "sshd", "daemon", NULL);

        (void) data;
        if (!pamh)
                return;
        rep->rc[0] = pam_acct_mgmt(pamh, 0);
        rep->rc[1] = pam_open_session(pamh, 0);
        r = child_load(f, rep->session_id);
        CHECK(rep, r && r->bound, "no bound record for a bind=session grant");
        rep->rc[2] = second_login(f, rep); /* 1: denied, while this session lives */
        rep->rc[3] = pam_close_session(pamh, 0);
        rep->rc[4] = second_login(f, rep); /* 0: allowed, the grant is free again */
        (void) pam_end(pamh, PAM_SUCCESS);
}

static void test_ssh_bound_grant(void **state) {
        struct fixture *f = *state;
        const struct child_opts opts = {.audit_session = true};
        struct child_report *rep;

        stage_grant(f, (const struct test_member[]){
                               {"sub", "\"daemon\""}, {"bind", "\"session\""}, {}});
        fixture_write_service(f, "sshd", NULL, false);
        rep = run_in_child(f, &opts, bound_lifecycle, NULL);
        if (rep->failure[0])
                fail_msg("%s", rep->failure);
        assert_string_equal(pam_code_name(rep->rc[0]), "PAM_SUCCESS");
        assert_string_equal(pam_code_name(rep->rc[1]), "PAM_SUCCESS");
        assert_string_equal(pam_code_name(rep->rc[3]), "PAM_SUCCESS");
        /* The first login's grant is lost to a second login while it lives
         * (its last message is the second login's deny)… */
        assert_int_equal(rep->rc[2], 1);
        /* …and usable again once the first session closed. */
        assert_int_equal(rep->rc[4], 0);
        child_report_free(rep);
}

/* --- sudo mode --- */

enum record_kind {
        REC_NONE,
        REC_OWN,        /* the invoker's record for this session, leader alive */
        REC_OTHER_USER, /* this session, but recorded for alice */
        REC_DEAD,       /* this session, leader gone */
};

struct sudo_case {
        const char *name;
        const char *conf;
        const struct test_member *grant; /* NULL: no grant staged */
        enum record_kind record;
        bool no_session;          /* no audit session at all */
        bool root;                /* invoker root (ruid 0) */
        const char *user, *ruser; /* account: PAM_USER / PAM_RUSER */
        const char *target;       /* session: PAM_USER = target; NULL: account case */
        int want_rc;
        const char *want_msg;
        const char *want_elevation; /* session: on the record after open */
        int64_t want_t;             /* for "{T}" */
};

static const struct test_member sudo_grant[] = {{"sub", "\"daemon\""}, {}};
static const struct test_member ssh_only_grant[] = {
        {"sub", "\"daemon\""}, {"scope", "[\"ssh\"]"}, {}};
static const struct test_member expired_sudo_grant[] = {
        {"sub", "\"daemon\""}, {"iat", "@-7200"}, {"nbf", "@-7200"}, {"exp", "@-3600"}, {}};
static const struct test_member postgres_grant[] = {
        {"sub", "\"daemon\""}, {"runas", "[\"root\",\"postgres\"]"}, {}};
static const struct test_member other_host_sudo_grant[] = {
        {"sub", "\"daemon\""}, {"aud", "[\"host=web-1\"]"}, {}};

static const struct sudo_case sudo_cases[] = {
        {"sudo account: sudo grant and a recorded session", .grant = sudo_grant, .record = REC_OWN,
         .user = "daemon", .ruser = "daemon", .want_rc = PAM_SUCCESS},
        {"sudo account: PAM_USER only (no PAM_RUSER)", .grant = sudo_grant, .record = REC_OWN,
         .user = "daemon", .want_rc = PAM_SUCCESS},
        {"sudo account: no session record", .grant = sudo_grant, .record = REC_NONE,
         .user = "daemon", .ruser = "daemon", .want_rc = PAM_PERM_DENIED,
         .want_msg = SUDO_ONLY_FROM_SESSION},
        {"sudo account: the session's record is alice's", .grant = sudo_grant,
         .record = REC_OTHER_USER, .user = "daemon", .ruser = "daemon", .want_rc = PAM_PERM_DENIED,
         .want_msg = SUDO_ONLY_FROM_SESSION},
        {"sudo account: the record's leader is gone", .grant = sudo_grant, .record = REC_DEAD,
         .user = "daemon", .ruser = "daemon", .want_rc = PAM_PERM_DENIED,
         .want_msg = SUDO_ONLY_FROM_SESSION},
        {"sudo account: no audit session", .grant = sudo_grant, .no_session = true,
         .user = "daemon", .ruser = "daemon", .want_rc = PAM_PERM_DENIED,
         .want_msg = SUDO_ONLY_FROM_SESSION},
        {"sudo account: ssh-only grant", .grant = ssh_only_grant, .record = REC_OWN,
         .user = "daemon", .ruser = "daemon", .want_rc = PAM_PERM_DENIED,
         .want_msg = "jit: no sudo grant for daemon on this host"},
        {"sudo account: no grant at all", .record = REC_OWN, .user = "daemon", .ruser = "daemon",
         .want_rc = PAM_PERM_DENIED, .want_msg = "jit: no sudo grant for daemon on this host"},
        {"sudo account: sudo grant for another host", .grant = other_host_sudo_grant,
         .record = REC_OWN, .user = "daemon", .ruser = "daemon", .want_rc = PAM_PERM_DENIED,
         .want_msg = "jit: no sudo grant for daemon on this host"},
        {"sudo account: sudo grant expired", .grant = expired_sudo_grant, .record = REC_OWN,
         .user = "daemon", .ruser = "daemon", .want_rc = PAM_PERM_DENIED,
         .want_msg = "jit: no sudo grant for daemon on this host (sudo grant g-1 expired at {T} "
                     "UTC)",
         .want_t = -3600},
        {"sudo account: PAM_RUSER is not the invoker", .grant = sudo_grant, .record = REC_OWN,
         .user = "daemon", .ruser = "alice", .want_rc = PAM_PERM_DENIED},
        {"sudo account: PAM_USER is not the invoker", .grant = sudo_grant, .record = REC_OWN,
         .user = "alice", .want_rc = PAM_PERM_DENIED},
        {"sudo account: exempt invoker, no grant, no record", .conf = "exempt_users = daemon",
         .user = "daemon", .ruser = "daemon", .want_rc = PAM_SUCCESS},
        {"sudo account: root invoker", .root = true, .user = "root", .ruser = "root",
         .want_rc = PAM_SUCCESS},
        {"sudo session: to root, in runas", .grant = sudo_grant, .record = REC_OWN,
         .ruser = "daemon", .target = "root", .want_rc = PAM_SUCCESS, .want_elevation = "root g-1"},
        {"sudo session: to postgres, not in runas", .grant = sudo_grant, .record = REC_OWN,
         .ruser = "daemon", .target = "postgres", .want_rc = PAM_PERM_DENIED,
         .want_msg = "jit: your access grant does not allow sudo to postgres"},
        {"sudo session: to postgres, in runas", .grant = postgres_grant, .record = REC_OWN,
         .ruser = "daemon", .target = "postgres", .want_rc = PAM_SUCCESS,
         .want_elevation = "postgres g-1"},
        /* No sudo grant at all is said as such, not as a runas refusal. */
        {"sudo session: ssh-only grant", .grant = ssh_only_grant, .record = REC_OWN,
         .ruser = "daemon", .target = "root", .want_rc = PAM_PERM_DENIED,
         .want_msg = "jit: no sudo grant for daemon on this host"},
        {"sudo session: root invoker records nothing", .root = true, .ruser = "root",
         .target = "postgres", .want_rc = PAM_SUCCESS},
};

struct sudo_run {
        const struct sudo_case *c;
        pid_t dead; /* REC_DEAD: the leader, a reaped child of the parent */
};

static void sudo_child(const struct fixture *f, struct child_report *rep, void *data) {
        const struct sudo_run *run = data;
        const struct sudo_case *c = run->c;
        _cleanup_(session_record_freep) struct session_record *r = NULL;
        const char *user = c->target ? c->target : c->user;
        pam_handle_t *pamh;

        if (c->record == REC_OWN)
                child_save_own_record(f, rep, "daemon", getpid());
        else if (c->record == REC_OTHER_USER)
                child_save_own_record(f, rep, "alice", getpid());
        else if (c->record == REC_DEAD)
                child_save_own_record(f, rep, "daemon", run->dead);
        if (rep->failure[0])
                return;

        pamh = child_start(f, rep, &rep->log, "sudo", user, c->ruser);
        if (!pamh)
                return;
        if (!c->target)
                rep->rc[0] = pam_acct_mgmt(pamh, 0);
        else {
                rep->rc[0] = pam_open_session(pamh, 0);
                child_env(pamh, rep);
                r = child_load(f, rep->session_id);
                if (c->want_elevation)
                        CHECK(rep, r && record_has_elevation(r, c->want_elevation),
                              "record has no elevation \"%s\"", c->want_elevation);
                else if (r)
                        CHECK(rep, !r->elevated || !r->elevated[0],
                              "elevation \"%s\" recorded on a refused or root sudo",
                              r->elevated[0]);
                rep->rc[1] = rep->rc[0] == PAM_SUCCESS ? pam_close_session(pamh, 0) : PAM_SUCCESS;
                session_record_free(TAKE_PTR(r));
                /* sudo's close leaves the login's record alone. */
                if (c->record == REC_OWN)
                        CHECK(rep, (r = child_load(f, rep->session_id)) != NULL,
                              "sudo's session close removed the login's record");
                if (c->root)
                        CHECK(rep, n_records(f) == 0, "root's sudo recorded a session");
        }
        (void) pam_end(pamh, rep->rc[0]);
}

static void run_sudo_case(void **state) {
        struct fixture *f = *state;
        const struct sudo_case *c = f->row;
        struct child_opts opts = {
                .audit_session = !c->no_session,
                .no_session = c->no_session,
                .ruid = c->root ? 0 : harness_uid_of("daemon"),
        };
        struct child_report *rep;
        char *want = NULL;
        struct sudo_run run = {c, c->record == REC_DEAD ? harness_dead_pid() : 0};

        if (c->grant)
                stage_grant(f, c->grant);
        fixture_write_service(f, "sudo", NULL, false);
        if (c->want_msg) {
                const char *p = strstr(c->want_msg, "{T}");
                char t[16];

                want = fixture_own(f, p ? test_strdupf("%.*s%s%s", (int) (p - c->want_msg),
                                                       c->want_msg,
                                                       hms(f->now + c->want_t, t, sizeof(t)), p + 3)
                                        : strdup(c->want_msg));
        }

        rep = run_in_child(f, &opts, sudo_child, &run);
        if (rep->failure[0]) {
                conv_dump(c->name, &rep->log);
                fail_msg("%s: %s", c->name, rep->failure);
        }
        assert_true(rep->ran);
        if (rep->rc[0] != c->want_rc ||
            (c->want_rc == PAM_SUCCESS && conv_count(&rep->log, PAM_ERROR_MSG) != 0)) {
                conv_dump(c->name, &rep->log);
                fail_msg("%s: got %s, want %s", c->name, pam_code_name(rep->rc[0]),
                         pam_code_name(c->want_rc));
        }
        if (want && (conv_count(&rep->log, PAM_ERROR_MSG) != 1 ||
                     !conv_find(&rep->log, PAM_ERROR_MSG, want))) {
                conv_dump(c->name, &rep->log);
                fail_msg("%s: want one PAM_ERROR_MSG containing \"%s\"", c->name, want);
        }
        if (c->target && c->want_rc == PAM_SUCCESS && !c->root) {
                assert_string_equal(rep->env[0], "g-1");
                assert_string_equal(pam_code_name(rep->rc[1]), "PAM_SUCCESS");
        }
        child_report_free(rep);
}

/* ssh login and sudo in one audit session, all records written by pam_jit. */
static void login_then_sudo(const struct fixture *f, struct child_report *rep, void *data) {
        _cleanup_(session_record_freep) struct session_record *r = NULL;
        uid_t invoker = *(const uid_t *) data;
        pam_handle_t *login, *sudo;

        login = child_start(f, rep, &rep->log, "sshd", "daemon", NULL);
        if (!login)
                return;
        rep->rc[0] = pam_acct_mgmt(login, 0);
        rep->rc[1] = pam_open_session(login, 0);

        /* The shell of that login runs sudo: ruid = invoker, euid 0. */
        if (setresuid(invoker, 0, 0) < 0)
                child_fail(rep, "setresuid: %s", strerror(errno));
        sudo = child_start(f, rep, &rep->log2, "sudo", "daemon", "daemon");
        if (sudo) {
                rep->rc[2] = pam_acct_mgmt(sudo, 0);
                (void) pam_end(sudo, rep->rc[2]);
        }
        sudo = child_start(f, rep, &rep->log2, "sudo", "root", "daemon");
        if (sudo) {
                rep->rc[3] = pam_open_session(sudo, 0);
                rep->rc[4] = pam_close_session(sudo, 0);
                (void) pam_end(sudo, rep->rc[3]);
        }
        r = child_load(f, rep->session_id);
        CHECK(rep, r && streq_ptr(r->user, "daemon") && record_has_elevation(r, "root g-1"),
              "the login's record lacks the elevation \"root g-1\"");
        if (setresuid(0, 0, 0) < 0)
                child_fail(rep, "setresuid back: %s", strerror(errno));
        rep->rc[5] = pam_close_session(login, 0);
        (void) pam_end(login, rep->rc[5]);
}

static void test_login_then_sudo(void **state) {
        struct fixture *f = *state;
        const struct child_opts opts = {.audit_session = true};
        uid_t invoker = harness_uid_of("daemon");
        struct child_report *rep;

        stage_grant(f, sudo_grant);
        fixture_write_service(f, "sshd", NULL, false);
        fixture_write_service(f, "sudo", NULL, false);
        rep = run_in_child(f, &opts, login_then_sudo, &invoker);
        if (rep->failure[0]) {
                conv_dump("login", &rep->log);
                conv_dump("sudo", &rep->log2);
                fail_msg("%s", rep->failure);
        }
        for (size_t i = 0; i <= 5; i++)
                if (rep->rc[i] != PAM_SUCCESS) {
                        conv_dump("login", &rep->log);
                        conv_dump("sudo", &rep->log2);
                        fail_msg("step %zu: %s", i, pam_code_name(rep->rc[i]));
                }
        assert_int_equal(n_records(f), 0);
        child_report_free(rep);
}

static int sudo_setup(void **state) {
        const struct sudo_case *c = *state;
        struct fixture *f = calloc(1, sizeof(*f));

        assert_non_null(f);
        fixture_init(f, &keys, c->conf);
        f->row = c;
        *state = f;
        return 0;
}

int main(void) {
        static const struct CMUnitTest fixed[] = {
                cmocka_unit_test_setup_teardown(test_ssh_session_lifecycle, case_setup,
                                                case_teardown),
                cmocka_unit_test_setup_teardown(test_ssh_session_without_account, case_setup,
                                                case_teardown),
                cmocka_unit_test_setup_teardown(test_ssh_session_after_pam_loginuid, case_setup,
                                                case_teardown),
                cmocka_unit_test_setup_teardown(test_ssh_session_without_audit_session, case_setup,
                                                case_teardown),
                cmocka_unit_test_prestate_setup_teardown(test_ssh_session_exempt_user, case_setup,
                                                         case_teardown,
                                                         (void *) "exempt_users = daemon"),
                cmocka_unit_test_setup_teardown(test_ssh_session_without_grant, case_setup,
                                                case_teardown),
                cmocka_unit_test_setup_teardown(test_ssh_bound_grant, case_setup, case_teardown),
                cmocka_unit_test_setup_teardown(test_login_then_sudo, case_setup, case_teardown),
        };
        struct CMUnitTest tests[ELEMENTSOF(fixed) + ELEMENTSOF(sudo_cases)];
        size_t n = 0;
        int r = harness_require_root();

        if (r != 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(fixed); i++)
                tests[n++] = fixed[i];
        for (size_t i = 0; i < ELEMENTSOF(sudo_cases); i++)
                tests[n++] = (struct CMUnitTest){
                        .name = sudo_cases[i].name,
                        .test_func = run_sudo_case,
                        .setup_func = sudo_setup,
                        .teardown_func = case_teardown,
                        .initial_state = (void *) &sudo_cases[i],
                };
        return _cmocka_run_group_tests("pam-session", tests, n, group_setup, group_teardown);
}
