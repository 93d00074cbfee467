/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pam-harness.h"

#include "facts-file.h"
#include "fileio.h"
#include "jit-conf.h"
#include "jwk.h"
#include "jws.h"
#include "session-record.h"
#include "session-store.h"
#include "test-store.h"
#include "user-grants.h"

void harness_keys_init(struct harness_keys *k) {
        test_key_init(&k->trusted, JWS_ALG_EDDSA, "k1");
        test_key_init(&k->unknown, JWS_ALG_EDDSA, "k9");
        test_key_init(&k->impostor, JWS_ALG_EDDSA, "k1");
}

void harness_keys_done(struct harness_keys *k) {
        test_key_done(&k->trusted);
        test_key_done(&k->unknown);
        test_key_done(&k->impostor);
}

const char *harness_module(void) {
        const char *m = getenv("JIT_PAM_MODULE");

        if (!m || m[0] != '/')
                fail_msg("JIT_PAM_MODULE must name the built pam_jit.so by absolute path");
        return m;
}

int harness_require_root(void) {
        if (geteuid() == 0)
                return 0;
        /* read_file_secure() wants root-owned files and the session and sudo
         * cases need CAP_AUDIT_CONTROL and setresuid(). With CI=true a
         * missing requirement fails instead of skipping (docs/testing.md). */
        const char *ci = getenv("CI");
        if (ci && (strcmp(ci, "true") == 0 || strcmp(ci, "1") == 0 || strcmp(ci, "yes") == 0)) {
                fprintf(stderr, "pam tests need root (CI runs them as root); CI=true: failing\n");
                return 1;
        }
        fprintf(stderr, "pam tests need root (CI runs them as root); skipping\n");
        return 77;
}

char *fixture_path(const struct fixture *f, const char *rel) {
        return test_strdupf("%s/%s", f->root, rel);
}

static void write_text(const char *path, const char *text, mode_t mode) {
        _cleanup_close_ int fd = -1;
        size_t len = strlen(text);

        (void) unlink(path);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd < 0)
                fail_msg("open %s: %s", path, strerror(errno));
        assert_int_equal(write(fd, text, len), (ssize_t) len);
        /* umask must not decide the mode a case relies on. */
        assert_int_equal(fchmod(fd, mode), 0);
}

void fixture_write_file(struct fixture *f, const char *rel, const char *text, mode_t mode) {
        _cleanup_free_ char *p = fixture_path(f, rel);

        write_text(p, text, mode);
}

void fixture_write_config(struct fixture *f, const char *extra_conf) {
        _cleanup_free_ char *text = test_strdupf("# pam_jit test host\n"
                                                 "issuers = " TEST_ISSUER "\n"
                                                 "trust_store = %s\n"
                                                 "state_dir = %s\n"
                                                 "run_dir = %s\n"
                                                 "host_id = " TEST_HOST "\n"
                                                 "labels = env=prod, role=db\n"
                                                 "%s%s",
                                                 f->trust, f->state, f->run, strempty(extra_conf),
                                                 extra_conf && *extra_conf ? "\n" : "");

        write_text(f->conf, text, 0644);
}

void fixture_init(struct fixture *f, const struct harness_keys *keys, const char *extra_conf) {
        const struct test_key *trusted[] = {&keys->trusted};
        _cleanup_free_ char *jwks = NULL, *other = NULL;

        *f = (struct fixture){.keys = keys, .module = harness_module()};
        strcpy(f->root, "/tmp/pam-jit-test-XXXXXX");
        assert_non_null(mkdtemp(f->root));
        assert_int_equal(chmod(f->root, 0755), 0);
        f->conf = fixture_path(f, "jit.conf");
        f->trust = fixture_path(f, "trust.jwks");
        f->state = fixture_path(f, "state");
        f->run = fixture_path(f, "run");
        f->pamd = fixture_path(f, "pam.d");
        assert_int_equal(mkdir(f->state, 0700), 0);
        assert_int_equal(mkdir(f->run, 0755), 0);
        assert_int_equal(mkdir(f->pamd, 0755), 0);
        assert_int_equal(chmod(f->state, 0700), 0);
        assert_int_equal(chmod(f->run, 0755), 0);
        assert_int_equal(chmod(f->pamd, 0755), 0);

        jwks = test_jwks_text(trusted, 1);
        write_text(f->trust, jwks, 0644);
        fixture_write_config(f, extra_conf);

        /* A service the harness did not write must never fall back to the
         * machine's stack: libpam reads "other" for a service without a
         * file, and a pass through /etc/pam.d/other would be a false pass. */
        other = test_strdupf("%s/other", f->pamd);
        write_text(other,
                   "auth required pam_deny.so\n"
                   "account required pam_deny.so\n"
                   "password required pam_deny.so\n"
                   "session required pam_deny.so\n",
                   0644);
        f->now = (int64_t) time(NULL);
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        (void) st;
        (void) ftw;
        if (type == FTW_DP)
                return rmdir(path) < 0 ? -1 : 0;
        return unlink(path) < 0 ? -1 : 0;
}

void *fixture_own(struct fixture *f, void *p) {
        void **n;

        if (!p)
                return NULL;
        n = reallocarray(f->owned, f->n_owned + 1, sizeof(void *));
        if (!n) {
                free(p);
                fail_msg("out of memory");
        }
        f->owned = n;
        f->owned[f->n_owned++] = p;
        return p;
}

void fixture_done(struct fixture *f) {
        if (!f)
                return;
        live_session_stop(&f->live);
        for (size_t i = 0; i < f->n_owned; i++)
                free(f->owned[i]);
        free(f->owned);
        if (f->root[0] != '\0' && strncmp(f->root, "/tmp/pam-jit-test-", 18) == 0)
                (void) nftw(f->root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(f->conf);
        free(f->trust);
        free(f->state);
        free(f->run);
        free(f->pamd);
        *f = (struct fixture){};
}

void fixture_write_service(struct fixture *f, const char *service, const char *args,
                           bool loginuid_first) {
        _cleanup_free_ char *path = test_strdupf("%s/%s", f->pamd, service);
        _cleanup_free_ char *m = test_strdupf("%s config=%s%s%s", f->module, f->conf,
                                              args && *args ? " " : "", strempty(args));
        _cleanup_free_ char *text =
                test_strdupf("auth required %s\n"
                             "account required %s\n"
                             "password required pam_deny.so\n"
                             "%s"
                             "session required %s\n",
                             m, m, loginuid_first ? "session required pam_loginuid.so\n" : "", m);

        write_text(path, text, 0644);
}

char *fixture_grant(const struct fixture *f, const struct test_key *k,
                    const struct test_member *overrides) {
        return test_grant_token(k, f->now, overrides);
}

void fixture_apply(struct fixture *f, char *const *tokens, size_t n, const char *revoked_json,
                   const struct test_member *head_overrides) {
        _cleanup_(config_freep) struct jit_config *c = NULL;
        _cleanup_(trust_store_freep) struct trust_store *ts = NULL;
        struct host_facts facts = {};
        struct apply_result res = {};
        struct jit_error err = {};

        assert_ok(config_load(f->conf, 0, &c, &err), &err);
        assert_ok(trust_store_load(c->trust_store, 0, &ts, &err), &err);
        assert_ok(host_facts_load(c, &facts, &err), &err);
        assert_ok(test_store_apply(&f->keys->trusted, c, ts, &facts, tokens, n, revoked_json,
                                   head_overrides, f->now, &res, NULL, &err),
                  &err);
        host_facts_done(&facts);
}

void fixture_write_user_file(struct fixture *f, const char *user, char *const *tokens, size_t n,
                             char *const *revoked, int64_t bundle_exp_offset) {
        _cleanup_free_ char *users = test_strdupf("%s/users", f->state);
        _cleanup_free_ char *path = test_strdupf("%s/%s", users, user);
        _cleanup_free_ char *text = NULL;
        struct user_grants u = {
                .serial = 7,
                .bundle_exp = f->now + bundle_exp_offset,
                .grants = (char **) tokens,
                .n_grants = n,
                .revoked = (char **) revoked,
                .n_revoked = 0,
        };
        char *empty[] = {NULL};
        char *none[] = {NULL};
        struct jit_error err = {};

        if (!tokens)
                u.grants = empty;
        if (!revoked)
                u.revoked = none;
        while (u.revoked[u.n_revoked])
                u.n_revoked++;
        assert_int_equal(user_grants_format(&u, &text), 0);
        if (mkdir(users, 0700) < 0)
                assert_int_equal(errno, EEXIST);
        assert_ok(write_file_atomic(path, text, strlen(text), 0600, &err), &err);
}

const char *hms(int64_t t, char *buf, size_t size) {
        time_t tt = (time_t) t;
        struct tm tm;

        if (!gmtime_r(&tt, &tm))
                (void) snprintf(buf, size, "??:??:??");
        else
                (void) snprintf(buf, size, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
        return buf;
}

int conv_record(int n, const struct pam_message **msg, struct pam_response **resp,
                void *appdata_ptr) {
        struct conv_log *log = appdata_ptr;
        struct pam_response *r;
        bool prompted = false;

        if (n <= 0 || n > PAM_MAX_NUM_MSG)
                return PAM_CONV_ERR;
        for (int i = 0; i < n; i++) {
                if (log->n_msg < CONV_MESSAGES_MAX) {
                        struct conv_message *m = &log->msg[log->n_msg++];

                        m->style = msg[i]->msg_style;
                        (void) snprintf(m->text, sizeof(m->text), "%s", strempty(msg[i]->msg));
                } else
                        log->overflow = true;
                if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF ||
                    msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
                        prompted = true;
        }
        if (log->mode == CONV_FAIL)
                return PAM_CONV_ERR;
        if (log->mode == CONV_NULL_REPLY) {
                *resp = NULL;
                return PAM_SUCCESS;
        }
        r = calloc((size_t) n, sizeof(*r));
        if (!r)
                return PAM_BUF_ERR;
        for (int i = 0; i < n && prompted; i++) {
                const char *a;

                if (msg[i]->msg_style != PAM_PROMPT_ECHO_OFF &&
                    msg[i]->msg_style != PAM_PROMPT_ECHO_ON)
                        continue;
                a = log->n_answered < CONV_ANSWERS_MAX ? log->answers[log->n_answered] : NULL;
                log->n_answered++;
                r[i].resp = strdup(a ? a : "");
                if (!r[i].resp) {
                        for (int j = 0; j < i; j++)
                                free(r[j].resp);
                        free(r);
                        return PAM_BUF_ERR;
                }
        }
        *resp = r;
        return PAM_SUCCESS;
}

int harness_pam_start(const struct fixture *f, const char *service, const char *user,
                      struct conv_log *log, pam_handle_t **ret) {
        const struct pam_conv conv = {conv_record, log};

        return pam_start_confdir(service, user, &conv, f->pamd, ret);
}

size_t conv_count(const struct conv_log *log, int style) {
        size_t n = 0;

        for (size_t i = 0; i < log->n_msg; i++)
                if (style == 0 || log->msg[i].style == style)
                        n++;
        return n;
}

const struct conv_message *conv_find(const struct conv_log *log, int style, const char *needle) {
        for (size_t i = 0; i < log->n_msg; i++)
                if ((style == 0 || log->msg[i].style == style) && strstr(log->msg[i].text, needle))
                        return &log->msg[i];
        return NULL;
}

static const char *style_name(int style) {
        switch (style) {
        case PAM_PROMPT_ECHO_OFF:
                return "PROMPT_ECHO_OFF";
        case PAM_PROMPT_ECHO_ON:
                return "PROMPT_ECHO_ON";
        case PAM_ERROR_MSG:
                return "ERROR_MSG";
        case PAM_TEXT_INFO:
                return "TEXT_INFO";
        default:
                return "?";
        }
}

void conv_dump(const char *name, const struct conv_log *log) {
        print_message("%s: %zu message(s)%s\n", name, log->n_msg,
                      log->overflow ? " (more not kept)" : "");
        for (size_t i = 0; i < log->n_msg; i++)
                print_message("  %s: \"%s\"\n", style_name(log->msg[i].style), log->msg[i].text);
}

const char *pam_code_name(int code) {
        static const struct {
                int code;
                const char *name;
        } names[] = {
                {PAM_SUCCESS, "PAM_SUCCESS"},
                {PAM_OPEN_ERR, "PAM_OPEN_ERR"},
                {PAM_SYMBOL_ERR, "PAM_SYMBOL_ERR"},
                {PAM_SERVICE_ERR, "PAM_SERVICE_ERR"},
                {PAM_SYSTEM_ERR, "PAM_SYSTEM_ERR"},
                {PAM_BUF_ERR, "PAM_BUF_ERR"},
                {PAM_PERM_DENIED, "PAM_PERM_DENIED"},
                {PAM_AUTH_ERR, "PAM_AUTH_ERR"},
                {PAM_CRED_INSUFFICIENT, "PAM_CRED_INSUFFICIENT"},
                {PAM_AUTHINFO_UNAVAIL, "PAM_AUTHINFO_UNAVAIL"},
                {PAM_USER_UNKNOWN, "PAM_USER_UNKNOWN"},
                {PAM_MAXTRIES, "PAM_MAXTRIES"},
                {PAM_NEW_AUTHTOK_REQD, "PAM_NEW_AUTHTOK_REQD"},
                {PAM_ACCT_EXPIRED, "PAM_ACCT_EXPIRED"},
                {PAM_SESSION_ERR, "PAM_SESSION_ERR"},
                {PAM_CRED_UNAVAIL, "PAM_CRED_UNAVAIL"},
                {PAM_CRED_EXPIRED, "PAM_CRED_EXPIRED"},
                {PAM_CRED_ERR, "PAM_CRED_ERR"},
                {PAM_CONV_ERR, "PAM_CONV_ERR"},
                {PAM_ABORT, "PAM_ABORT"},
                {PAM_IGNORE, "PAM_IGNORE"},
        };

        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (names[i].code == code)
                        return names[i].name;
        return "PAM_(other)";
}

void child_fail(struct child_report *rep, const char *fmt, ...) {
        va_list ap;

        if (rep->failure[0] != '\0')
                return;
        va_start(ap, fmt);
        (void) vsnprintf(rep->failure, sizeof(rep->failure), fmt, ap);
        va_end(ap);
}

static int write_proc(const char *path, const char *value) {
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        size_t len = strlen(value);

        if (fd < 0)
                return -errno;
        if (write(fd, value, len) != (ssize_t) len)
                return -errno;
        return 0;
}

static int read_proc(const char *path, char *buf, size_t size) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return -errno;
        n = read(fd, buf, size - 1);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        return 0;
}

struct child_report *run_in_child(const struct fixture *f, const struct child_opts *opts,
                                  void (*fn)(const struct fixture *f, struct child_report *rep,
                                             void *data),
                                  void *data) {
        struct child_report *rep;
        int status = 0;
        pid_t pid;

        /* Spill every callee-saved register into this frame: a forked child
         * exits from here, and valgrind's leak check in the child must find
         * the caller's heap pointers that lived only in registers. */
        __builtin_unwind_init();
        rep = mmap(NULL, sizeof(*rep), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        assert_true(rep != MAP_FAILED);
        memset(rep, 0, sizeof(*rep));

        fflush(NULL);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                char sid[32] = "";
                int r = 0;

                if (opts->audit_session)
                        r = write_proc("/proc/self/loginuid", "0");
                else if (opts->no_session)
                        r = write_proc("/proc/self/loginuid", "4294967295");
                if (r < 0)
                        child_fail(rep, "cannot write /proc/self/loginuid: %s", strerror(-r));
                r = read_proc("/proc/self/sessionid", sid, sizeof(sid));
                if (r < 0)
                        child_fail(rep, "cannot read /proc/self/sessionid: %s", strerror(-r));
                (void) snprintf(rep->session_id, sizeof(rep->session_id), "%s", sid);
                if (opts->audit_session && streq(sid, "4294967295"))
                        child_fail(rep, "no new audit session after writing loginuid");
                if (opts->no_session && !streq(sid, "4294967295"))
                        child_fail(rep, "still in audit session %s", sid);
                if (opts->ruid != 0 && setresuid(opts->ruid, 0, 0) < 0)
                        child_fail(rep, "setresuid(%u, 0, 0): %s", (unsigned) opts->ruid,
                                   strerror(errno));
                if (rep->failure[0] == '\0') {
                        fn(f, rep, data);
                        rep->ran = true;
                }
                /* exit(), not _exit(): valgrind's leak check (and its error
                 * exit code) runs at exit of the child too. */
                exit(0);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                print_error("child %d ended with status 0x%x (valgrind errors exit 1)\n", (int) pid,
                            (unsigned) status);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        return rep;
}

void child_report_free(struct child_report *rep) {
        if (rep)
                (void) munmap(rep, sizeof(*rep));
}

uid_t harness_uid_of(const char *user) {
        struct passwd *pw = getpwnam(user);

        if (!pw)
                fail_msg("no passwd entry for %s", user);
        return pw->pw_uid;
}

pid_t harness_dead_pid(void) {
        int status;
        pid_t pid;

        __builtin_unwind_init(); /* see run_in_child() */
        pid = fork();

        assert_true(pid >= 0);
        if (pid == 0)
                _exit(0);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        return pid;
}

void live_session_start(struct fixture *f) {
        struct live_session *s = &f->live;
        int to_child[2], from_child[2];
        ssize_t n;

        __builtin_unwind_init(); /* see run_in_child() */
        assert_int_equal(s->pid, 0);
        assert_int_equal(pipe2(to_child, O_CLOEXEC), 0);
        assert_int_equal(pipe2(from_child, O_CLOEXEC), 0);
        fflush(NULL);
        s->pid = fork();
        assert_true(s->pid >= 0);
        if (s->pid == 0) {
                char id[32] = "", c;

                (void) close(to_child[1]);
                (void) close(from_child[0]);
                if (write_proc("/proc/self/loginuid", "0") < 0 ||
                    read_proc("/proc/self/sessionid", id, sizeof(id)) < 0)
                        _exit(1);
                if (write(from_child[1], id, strlen(id)) != (ssize_t) strlen(id))
                        _exit(1);
                (void) close(from_child[1]);
                /* Alive until the parent closes its end (or dies). */
                while (read(to_child[0], &c, 1) > 0)
                        ;
                _exit(0);
        }
        (void) close(to_child[0]);
        (void) close(from_child[1]);
        s->fd = to_child[1];
        n = read(from_child[0], s->id, sizeof(s->id) - 1);
        (void) close(from_child[0]);
        assert_true(n > 0);
        s->id[n] = '\0';
        assert_string_not_equal(s->id, "4294967295");
}

void live_session_stop(struct live_session *s) {
        int status;

        if (!s || s->pid <= 0)
                return;
        (void) close(s->fd);
        (void) waitpid(s->pid, &status, 0);
        *s = (struct live_session){};
}

void fixture_save_record(const struct fixture *f, const char *id, const char *grant,
                         const char *user, pid_t leader, uint32_t audit_session, bool bound) {
        char *elevated[] = {NULL};
        struct session_record r = {
                .grant = (char *) grant,
                .user = (char *) user,
                .service = (char *) "sshd",
                .tty = (char *) "ssh",
                .rhost = (char *) "192.0.2.1",
                .leader = leader,
                .uid = 1000,
                .audit_session = audit_session,
                .exp = f->now + 1800,
                .bound = bound,
                .elevated = elevated,
        };
        struct jit_error err = {};

        (void) snprintf(r.id, sizeof(r.id), "%s", id);
        assert_ok(session_record_save(f->run, &r, &err), &err);
}
