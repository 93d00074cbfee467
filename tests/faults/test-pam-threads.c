/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The module loaded by two PAM handles at once, with two service folders
 * and two configurations, used from two threads concurrently, as sshd and
 * sudo may use PAM: thread A's host admits alice by a grant, thread B's refuses her
 * ("no access grant"); each runs N transactions and every result and
 * message must be its own host's. Run under helgrind (the test re-executes
 * itself under `valgrind --tool=helgrind --error-exitcode=1` unless it
 * already runs under valgrind), which must report no race. */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <valgrind/valgrind.h>

#include "pam-harness.h"

struct worker {
        const struct fixture *f;
        int want;
        const char *want_msg;
        unsigned long n;
        pam_handle_t *held; /* opened before the threads start */
        unsigned long wrong;
        char first_wrong[256];
};

static void *work(void *p) {
        struct worker *w = p;

        for (unsigned long i = 0; i < w->n; i++) {
                struct conv_log log = {.mode = CONV_ANSWER};
                pam_handle_t *pamh = NULL;
                int rc;

                if (harness_pam_start(w->f, "sshd", "alice", &log, &pamh) != PAM_SUCCESS) {
                        w->wrong++;
                        continue;
                }
                rc = pam_acct_mgmt(pamh, 0);
                (void) pam_end(pamh, rc);
                if (rc != w->want ||
                    (w->want_msg ? conv_count(&log, PAM_ERROR_MSG) != 1 ||
                                           !conv_find(&log, PAM_ERROR_MSG, w->want_msg)
                                 : conv_count(&log, 0) != 0)) {
                        if (w->wrong++ == 0)
                                (void) snprintf(
                                        w->first_wrong, sizeof(w->first_wrong),
                                        "iteration %lu: %s, %zu message(s), first \"%.160s\"", i,
                                        pam_code_name(rc), log.n_msg,
                                        log.n_msg ? log.msg[0].text : "");
                }
        }
        return NULL;
}

static struct harness_keys keys;

static void test_two_hosts_two_threads(void **state) {
        unsigned long n = RUNNING_ON_VALGRIND ? 40 : 500;
        struct fixture a, b;
        struct worker wa, wb;
        struct conv_log la = {.mode = CONV_ANSWER}, lb = {.mode = CONV_ANSWER};
        pthread_t ta, tb;
        char *g;

        (void) state;
        if (getenv("JIT_PAM_LOOP"))
                n = strtoul(getenv("JIT_PAM_LOOP"), NULL, 10);
        fixture_init(&a, &keys, NULL);
        fixture_init(&b, &keys, "exempt_users = bob");
        fixture_write_service(&a, "sshd", NULL, false);
        fixture_write_service(&b, "sshd", "debug", false);
        g = fixture_own(&a, fixture_grant(&a, &keys.trusted,
                                          (const struct test_member[]){{"sub", "\"alice\""}, {}}));
        fixture_apply(&a, &g, 1, NULL, NULL);

        wa = (struct worker){.f = &a, .want = PAM_SUCCESS, .n = n};
        wb = (struct worker){.f = &b,
                             .want = PAM_PERM_DENIED,
                             .n = n,
                             .want_msg = "jit: no access grant for alice on this host"};
        /* One handle of each host stays open throughout: the module is
         * loaded twice over while the threads load and unload it. */
        assert_int_equal(harness_pam_start(&a, "sshd", "alice", &la, &wa.held), PAM_SUCCESS);
        assert_int_equal(harness_pam_start(&b, "sshd", "alice", &lb, &wb.held), PAM_SUCCESS);

        assert_int_equal(pthread_create(&ta, NULL, work, &wa), 0);
        assert_int_equal(pthread_create(&tb, NULL, work, &wb), 0);
        assert_int_equal(pthread_join(ta, NULL), 0);
        assert_int_equal(pthread_join(tb, NULL), 0);

        assert_int_equal(pam_acct_mgmt(wa.held, 0), PAM_SUCCESS);
        assert_int_equal(pam_acct_mgmt(wb.held, 0), PAM_PERM_DENIED);
        assert_int_equal(pam_end(wa.held, PAM_SUCCESS), PAM_SUCCESS);
        assert_int_equal(pam_end(wb.held, PAM_SUCCESS), PAM_SUCCESS);

        print_message("%lu transactions per thread; wrong: A %lu, B %lu\n", n, wa.wrong, wb.wrong);
        if (wa.wrong || wb.wrong)
                fail_msg("A: %s; B: %s", wa.first_wrong, wb.first_wrong);
        fixture_done(&a);
        fixture_done(&b);
}

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

int main(int argc, char **argv) {
        static const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_two_hosts_two_threads),
        };
        const char *valgrind = getenv("JIT_VALGRIND"), *supp = getenv("JIT_HELGRIND_SUPP");
        int r = harness_require_root();

        if (r != 0)
                return r;
        if (!RUNNING_ON_VALGRIND && valgrind && *valgrind) {
                char *s = test_strdupf("--suppressions=%s", supp ? supp : "/dev/null");
                char *args[] = {(char *) valgrind,
                                (char *) "--tool=helgrind",
                                (char *) "--quiet",
                                (char *) "--error-exitcode=1",
                                s,
                                argv[0],
                                NULL};

                (void) argc;
                execv(valgrind, args);
                perror("execv valgrind");
                return 1;
        }
        return cmocka_run_group_tests_name("pam-threads", tests, group_setup, group_teardown);
}
