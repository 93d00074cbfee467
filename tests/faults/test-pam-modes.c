/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PAM failure modes of the built pam_jit.so that the
 * tests/pam suite does not already cover:
 *  - case variants of root ("Root", "ROOT") are not root: neither exempt by
 *    exempt_users = root nor by exempt_group = root, nor admitted by a grant
 *    whose sub is "root";
 *  - no process-wide side effects: across allowing, denying and failing
 *    transactions (a typed token with a bad signature leaves errors in
 *    OpenSSL's queue if anyone forgets them) no signal disposition changes,
 *    openlog(), OPENSSL_cleanup(), signal(), sigaction(), setenv(),
 *    putenv(), unsetenv(), umask() and chdir() are never called (this
 *    executable interposes them: -Wl,--export-dynamic), and OpenSSL's error
 *    queue is empty after every call;
 *  - 10 000 pam_start/pam_acct_mgmt/pam_end transactions: the same number of
 *    open descriptors after 1 000 and after 10 000 as after the first, and
 *    no growth of the heap (mallinfo2) or VmRSS.
 * The threads case is test-pam-threads.c (under helgrind). */

#include <dirent.h>
#include <dlfcn.h>
#include <malloc.h>
#include <openssl/err.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>
#include <valgrind/valgrind.h>

#include "pam-harness.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#else
#define SANITIZED 0
#endif

/* ---- interposers: count calls made while a transaction runs ---- */

enum {
        CALL_OPENLOG,
        CALL_OPENSSL_CLEANUP,
        CALL_SIGNAL,
        CALL_SIGACTION,
        CALL_SETENV,
        CALL_PUTENV,
        CALL_UNSETENV,
        CALL_UMASK,
        CALL_CHDIR,
        _CALL_MAX,
};
static const char *const call_names[_CALL_MAX] = {
        "openlog", "OPENSSL_cleanup", "signal", "sigaction", "setenv",
        "putenv",  "unsetenv",        "umask",  "chdir",
};
static volatile bool watching;
static unsigned calls[_CALL_MAX];

#define NEXT(name) ((__typeof__(&name)) dlsym(RTLD_NEXT, #name))
#define SEEN(c)                                                                                    \
        do {                                                                                       \
                if (watching)                                                                      \
                        calls[c]++;                                                                \
        } while (0)

#define _public_ __attribute__((visibility("default")))

_public_ void openlog(const char *ident, int option, int facility) {
        SEEN(CALL_OPENLOG);
        NEXT(openlog)(ident, option, facility);
}

_public_ void OPENSSL_cleanup(void) {
        SEEN(CALL_OPENSSL_CLEANUP);
        /* never forwarded: the test process still needs OpenSSL */
}

_public_ sighandler_t signal(int sig, sighandler_t h) {
        SEEN(CALL_SIGNAL);
        return NEXT(signal)(sig, h);
}

_public_ int sigaction(int sig, const struct sigaction *act, struct sigaction *old) {
        if (act) /* a query changes nothing */
                SEEN(CALL_SIGACTION);
        return NEXT(sigaction)(sig, act, old);
}

_public_ int setenv(const char *n, const char *v, int o) {
        SEEN(CALL_SETENV);
        return NEXT(setenv)(n, v, o);
}

_public_ int putenv(char *s) {
        SEEN(CALL_PUTENV);
        return NEXT(putenv)(s);
}

_public_ int unsetenv(const char *n) {
        SEEN(CALL_UNSETENV);
        return NEXT(unsetenv)(n);
}

_public_ mode_t umask(mode_t m) {
        SEEN(CALL_UMASK);
        return NEXT(umask)(m);
}

_public_ int chdir(const char *p) {
        SEEN(CALL_CHDIR);
        return NEXT(chdir)(p);
}

/* ---- helpers ---- */

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

static void stage(struct fixture *f, const char *sub) {
        char *g = fixture_own(
                f, fixture_grant(f, &keys.trusted, (const struct test_member[]){{"sub", sub}, {}}));

        fixture_apply(f, &g, 1, NULL, NULL);
}

static int account(const struct fixture *f, const char *service, const char *user,
                   struct conv_log *log) {
        pam_handle_t *pamh = NULL;
        int rc;

        assert_int_equal(harness_pam_start(f, service, user, log, &pamh), PAM_SUCCESS);
        rc = pam_acct_mgmt(pamh, 0);
        assert_int_equal(pam_end(pamh, rc), PAM_SUCCESS);
        return rc;
}

/* ---- case variants of root ---- */

static void test_root_case_variants(void **state) {
        static const char *const confs[] = {"exempt_users = root", "exempt_group = root", NULL};
        static const char *const users[] = {"Root", "ROOT", "rOOT"};

        (void) state;
        for (size_t c = 0; c < ELEMENTSOF(confs); c++) {
                struct fixture f;

                fixture_init(&f, &keys, confs[c]);
                fixture_write_service(&f, "sshd", NULL, false);
                if (!confs[c])
                        stage(&f, "\"root\""); /* a grant for root, not for ROOT */
                for (size_t u = 0; u < ELEMENTSOF(users); u++) {
                        struct conv_log log = {.mode = CONV_ANSWER};
                        int rc = account(&f, "sshd", users[u], &log);

                        if (rc != PAM_PERM_DENIED) {
                                conv_dump(users[u], &log);
                                fail_msg("PAM_USER %s with \"%s\": %s, want PAM_PERM_DENIED",
                                         users[u], strempty(confs[c]), pam_code_name(rc));
                        }
                }
                /* The control: root itself is admitted by each. */
                {
                        struct conv_log log = {.mode = CONV_ANSWER};

                        assert_string_equal(pam_code_name(account(&f, "sshd", "root", &log)),
                                            "PAM_SUCCESS");
                }
                fixture_done(&f);
        }
}

/* ---- side effects ---- */

struct dispositions {
        struct sigaction sa[NSIG];
};

static void dispositions_get(struct dispositions *d) {
        memset(d, 0, sizeof(*d));
        for (int s = 1; s < NSIG; s++)
                (void) NEXT(sigaction)(s, NULL, &d->sa[s]);
}

/* Masks are compared signal by signal: glibc's sigset_t is larger than the
 * kernel's, and a byte compare of the unused tail is not a compare of
 * anything a transaction could change. */
static bool masks_equal(const sigset_t *a, const sigset_t *b) {
        for (int s = 1; s < NSIG; s++)
                if (sigismember(a, s) != sigismember(b, s))
                        return false;
        return true;
}

static void dispositions_compare(const struct dispositions *a, const struct dispositions *b) {
        for (int s = 1; s < NSIG; s++)
                if (a->sa[s].sa_handler != b->sa[s].sa_handler ||
                    a->sa[s].sa_flags != b->sa[s].sa_flags ||
                    !masks_equal(&a->sa[s].sa_mask, &b->sa[s].sa_mask))
                        fail_msg("signal %d (%s): disposition changed by a transaction: "
                                 "handler %p flags 0x%x -> handler %p flags 0x%x",
                                 s, strsignal(s), (void *) a->sa[s].sa_handler,
                                 (unsigned) a->sa[s].sa_flags, (void *) b->sa[s].sa_handler,
                                 (unsigned) b->sa[s].sa_flags);
}

static unsigned fd_count(void) {
        DIR *d = opendir("/proc/self/fd");
        struct dirent *de;
        unsigned n = 0;

        assert_non_null(d);
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        n++;
        (void) closedir(d);
        return n - 1; /* opendir's own */
}

/* Every kind of transaction: allowed, denied, exempt, failing (bad
 * signature typed, garbage typed, corrupt config), with a session. */
static void transactions(struct fixture *good, struct fixture *broken) {
        char *bad_sig = fixture_own(good, fixture_grant(good, &keys.impostor, NULL));
        char *valid = fixture_own(
                good, fixture_grant(good, &keys.trusted,
                                    (const struct test_member[]){
                                            {"sub", "\"bob\""}, {"jti", "\"g-bob\""}, {}}));
        const struct {
                const struct fixture *f;
                const char *service, *user, *typed;
                int want_auth, want_account;
        } t[] = {
                {good, "sshd", "alice", NULL, -1, PAM_SUCCESS},
                {good, "sshd", "carol", NULL, -1, PAM_PERM_DENIED},
                {good, "sshd", "root", NULL, -1, PAM_SUCCESS}, /* exempt */
                {good, "login", "bob", bad_sig, PAM_AUTH_ERR, -1},
                {good, "login", "bob", "eyJhbGciOiJFZERTQSJ9.e30.AAAA", PAM_AUTH_ERR, -1},
                {good, "login", "bob", valid, PAM_SUCCESS, PAM_SUCCESS},
                {broken, "sshd", "alice", NULL, -1, PAM_SERVICE_ERR},
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                struct conv_log log = {.mode = CONV_ANSWER, .answers = {t[i].typed}};
                pam_handle_t *pamh = NULL;
                int rc;

                assert_int_equal(harness_pam_start(t[i].f, t[i].service, t[i].user, &log, &pamh),
                                 PAM_SUCCESS);
                if (t[i].want_auth != -1) {
                        watching = true;
                        rc = pam_authenticate(pamh, 0);
                        watching = false;
                        if (rc != t[i].want_auth)
                                fail_msg("case %zu auth: %s", i, pam_code_name(rc));
                        assert_int_equal(ERR_peek_error(), 0);
                }
                if (t[i].want_account != -1) {
                        watching = true;
                        rc = pam_acct_mgmt(pamh, 0);
                        watching = false;
                        if (rc != t[i].want_account)
                                fail_msg("case %zu account: %s", i, pam_code_name(rc));
                        assert_int_equal(ERR_peek_error(), 0);
                }
                watching = true;
                assert_int_equal(pam_end(pamh, PAM_SUCCESS), PAM_SUCCESS);
                watching = false;
                assert_int_equal(ERR_peek_error(), 0);
        }
}

static void test_no_process_wide_side_effects(void **state) {
        struct fixture good, broken;
        struct dispositions before, after;
        unsigned fds;

        (void) state;
        fixture_init(&good, &keys, "exempt_users = root");
        fixture_write_service(&good, "sshd", NULL, false);
        fixture_write_service(&good, "login", "prompt", false);
        stage(&good, "\"alice\"");
        fixture_init(&broken, &keys, NULL);
        fixture_write_service(&broken, "sshd", NULL, false);
        fixture_write_file(&broken, "jit.conf", "frobnicate = 1\n", 0644);

        ERR_clear_error();
        /* syslog() opens its socket on first use, and keeps it: warm up. */
        transactions(&good, &broken);
        fds = fd_count();
        dispositions_get(&before);
        memset(calls, 0, sizeof(calls));
        for (int i = 0; i < 20; i++)
                transactions(&good, &broken);
        dispositions_get(&after);
        dispositions_compare(&before, &after);
        for (size_t c = 0; c < _CALL_MAX; c++)
                if (calls[c] != 0)
                        fail_msg("%s() called %u time(s) during transactions", call_names[c],
                                 calls[c]);
        assert_int_equal(fd_count(), fds);
        fixture_done(&broken);
        fixture_done(&good);
}

/* The interposers must work, or the test above proves nothing. */
static void test_interposers_see_calls(void **state) {
        struct sigaction sa;

        (void) state;
        memset(calls, 0, sizeof(calls));
        watching = true;
        (void) NEXT(sigaction)(SIGUSR2, NULL, &sa);
        (void) sigaction(SIGUSR2, &sa, NULL);
        (void) umask(umask(022));
        openlog("pam-modes-test", 0, LOG_AUTHPRIV);
        closelog();
        watching = false;
        assert_int_equal(calls[CALL_SIGACTION], 1);
        assert_int_equal(calls[CALL_UMASK], 2);
        assert_int_equal(calls[CALL_OPENLOG], 1);
}

/* ---- 10 000 transactions ---- */

static long vm_kib(const char *field) {
        FILE *f = fopen("/proc/self/status", "re");
        char line[256];
        long v = -1;

        assert_non_null(f);
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, field, strlen(field)) == 0 && line[strlen(field)] == ':')
                        v = strtol(line + strlen(field) + 1, NULL, 10);
        fclose(f);
        return v;
}

static void test_many_transactions(void **state) {
        unsigned long n = RUNNING_ON_VALGRIND ? 300 : 10000, warm = n / 10;
        struct fixture f;
        unsigned fds0 = 0, fds1;
        size_t heap0 = 0, heap1;
        long rss0 = 0, rss1, hwm0 = 0, hwm1;

        (void) state;
        if (getenv("JIT_PAM_LOOP"))
                n = strtoul(getenv("JIT_PAM_LOOP"), NULL, 10);
        fixture_init(&f, &keys, NULL);
        fixture_write_service(&f, "sshd", NULL, false);
        stage(&f, "\"alice\"");

        for (unsigned long i = 0; i < n; i++) {
                struct conv_log log = {.mode = CONV_ANSWER};

                if (account(&f, "sshd", i % 2 ? "alice" : "carol", &log) !=
                    (i % 2 ? PAM_SUCCESS : PAM_PERM_DENIED))
                        fail_msg("transaction %lu: wrong result", i);
                if (i + 1 == warm) {
                        fds0 = fd_count();
                        heap0 = mallinfo2().uordblks;
                        rss0 = vm_kib("VmRSS");
                        hwm0 = vm_kib("VmHWM");
                }
        }
        fds1 = fd_count();
        heap1 = mallinfo2().uordblks;
        rss1 = vm_kib("VmRSS");
        hwm1 = vm_kib("VmHWM");
        print_message("%lu transactions: fds %u -> %u, heap in use %zu -> %zu bytes, VmRSS %ld -> "
                      "%ld KiB, VmHWM %ld -> %ld KiB (from transaction %lu)\n",
                      n, fds0, fds1, heap0, heap1, rss0, rss1, hwm0, hwm1, warm);
        assert_int_equal(fds1, fds0);
        /* A leak of even 8 bytes a transaction would be 72 000 bytes here. */
        assert_true(heap1 <= heap0 + 16 * 1024);
        /* valgrind's and ASan's own bookkeeping (its quarantine of freed
         * blocks) grow RSS: there the heap and fd checks above speak. */
        if (!RUNNING_ON_VALGRIND && !SANITIZED)
                assert_true(rss1 <= rss0 + 1024 && hwm1 <= hwm0 + 1024);
        fixture_done(&f);
}

int main(void) {
        static const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_root_case_variants),
                cmocka_unit_test(test_interposers_see_calls),
                cmocka_unit_test(test_no_process_wide_side_effects),
                cmocka_unit_test(test_many_transactions),
        };
        int r = harness_require_root();

        if (r != 0)
                return r;
        return cmocka_run_group_tests_name("pam-modes", tests, group_setup, group_teardown);
}
