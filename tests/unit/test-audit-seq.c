/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* run_dir/audit-seq: one number after another under its lock, across
 * processes; a file that is not a sequence starts a new one; an unsafe
 * folder or file is refused. And run_dir/agent-status, the one source of
 * STATUS= and jitctl status (host-status.h). */

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "audit-seq.h"
#include "host-status.h"

static char run[64];
static char seq_path[128];

static int setup(void **state) {
        strcpy(run, "/tmp/jit-seq.XXXXXX");
        if (!mkdtemp(run) || chmod(run, 0755) < 0)
                return -1;
        (void) snprintf(seq_path, sizeof(seq_path), "%s/" AUDIT_SEQ_FILE, run);
        return 0;
}

static int teardown(void **state) {
        char p[160];

        (void) unlink(seq_path);
        (void) snprintf(p, sizeof(p), "%s/" AGENT_STATUS_FILE, run);
        (void) unlink(p);
        return rmdir(run);
}

static void write_text(const char *path, const char *text, mode_t mode) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
        assert_int_equal(fchmod(fd, mode), 0);
        close(fd);
}

static void test_counts(void **state) {
        struct audit_seq a, b;

        assert_int_equal(audit_seq_next(run, &a), 0);
        assert_int_equal(a.n, 1);
        assert_int_equal(strlen(a.id), AUDIT_SEQ_ID_LEN);
        assert_int_equal(audit_seq_next(run, &b), 0);
        assert_int_equal(b.n, 2);
        assert_string_equal(a.id, b.id);
}

/* Four processes take 250 numbers each: 1000 numbers, none twice. */
static void test_processes(void **state) {
        enum { PROCS = 4, EACH = 250 };
        int fds[PROCS][2];
        static unsigned char seen[PROCS * EACH + 1];
        struct audit_seq s;

        for (int p = 0; p < PROCS; p++) {
                assert_int_equal(pipe(fds[p]), 0);
                if (fork() == 0) {
                        close(fds[p][0]);
                        for (int i = 0; i < EACH; i++) {
                                if (audit_seq_next(run, &s) < 0)
                                        _exit(1);
                                if (write(fds[p][1], &s.n, sizeof(s.n)) != sizeof(s.n))
                                        _exit(1);
                        }
                        _exit(0);
                }
                close(fds[p][1]);
        }
        for (int p = 0; p < PROCS; p++) {
                uint64_t n;
                int status;

                while (read(fds[p][0], &n, sizeof(n)) == sizeof(n)) {
                        assert_true(n >= 1 && n <= PROCS * EACH);
                        assert_int_equal(seen[n], 0);
                        seen[n] = 1;
                }
                close(fds[p][0]);
                assert_true(wait(&status) > 0);
                assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
        for (int n = 1; n <= PROCS * EACH; n++)
                assert_int_equal(seen[n], 1);
}

/* A file that is not a sequence (garbage, a bad number, truncated): a new
 * sequence id from 1, never the old id again. */
static void test_bad_file_starts_over(void **state) {
        static const char *const bad[] = {
                "garbage\n",
                "0123456789abcdef0123456789abcdef 0000000000000000000x\n",
                "0123456789abcdef0123456789abcdef 00000000000000000042",
                "0123456789ABCDEF0123456789abcdef 00000000000000000042\n",
                "",
        };
        struct audit_seq s;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                write_text(seq_path, bad[i], 0600);
                assert_int_equal(audit_seq_next(run, &s), 0);
                assert_int_equal(s.n, 1);
                assert_string_not_equal(s.id, "0123456789abcdef0123456789abcdef");
        }
        write_text(seq_path, "0123456789abcdef0123456789abcdef 00000000000000000042\n", 0600);
        assert_int_equal(audit_seq_next(run, &s), 0);
        assert_int_equal(s.n, 43);
        assert_string_equal(s.id, "0123456789abcdef0123456789abcdef");
}

static void test_unsafe(void **state) {
        struct audit_seq s;
        char link[160];

        write_text(seq_path, "", 0644); /* readable by others: not ours */
        assert_int_equal(audit_seq_next(run, &s), -EPERM);
        assert_int_equal(unlink(seq_path), 0);
        (void) snprintf(link, sizeof(link), "%s/target", run);
        write_text(link, "", 0600);
        assert_int_equal(symlink(link, seq_path), 0);
        assert_true(audit_seq_next(run, &s) < 0); /* O_NOFOLLOW */
        assert_int_equal(unlink(seq_path), 0);
        assert_int_equal(unlink(link), 0);
        assert_int_equal(chmod(run, 0777), 0);
        assert_int_equal(audit_seq_next(run, &s), -EPERM);
        assert_int_equal(chmod(run, 0755), 0);
        assert_int_equal(audit_seq_next("/nonexistent-jit-run", &s), -ENOENT);
}

/* Another holder of the lock: the caller gives up after ~100 ms. */
static void test_lock_held(void **state) {
        struct audit_seq s;
        int fd;

        assert_int_equal(audit_seq_next(run, &s), 0);
        fd = open(seq_path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
        assert_true(fd >= 0);
        /* This flock is on the test's own open file description: the
         * child's open is another, and must wait, then give up. */
        assert_int_equal(flock(fd, LOCK_EX), 0);
        if (fork() == 0) {
                int r = audit_seq_next(run, &s);

                _exit(r == -ETIMEDOUT ? 0 : 1);
        }
        {
                int status;

                assert_true(wait(&status) > 0);
                assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
        close(fd);
}

static void test_freshness(void **state) {
        struct jit_config c = {
                .clock_skew = 0, .stale_after = 100, .stale_policy = STALE_POLICY_DENY};
        struct host_state st = {.serial = 3, .bundle_exp = 1000};

        assert_int_equal(store_freshness_of(&c, NULL, 0, 500), STORE_NO_BUNDLE);
        assert_int_equal(store_freshness_of(&c, &st, 0, 999), STORE_FRESH);
        assert_int_equal(store_freshness_of(&c, &st, 2, 999), STORE_UNREACHABLE);
        assert_int_equal(store_freshness_of(&c, &st, 0, 1000), STORE_STALE_ADMITTING);
        assert_int_equal(store_freshness_of(&c, &st, 0, 1100), STORE_STALE_REFUSING);
        c.stale_policy = STALE_POLICY_KEEP;
        assert_int_equal(store_freshness_of(&c, &st, 0, 5000), STORE_STALE_ADMITTING);
        assert_string_equal(store_freshness_name(STORE_STALE_REFUSING), "stale-and-refusing");
}

static void test_status_file(void **state) {
        struct host_status a = {.pid = 42,
                                .updated = 1700000000,
                                .store = STORE_UNREACHABLE,
                                .serial = 7,
                                .bundle_exp = 1700000900,
                                .last_fetch = 1699999000,
                                .failures = 3,
                                .store_skew = -5,
                                .n_grants = 2,
                                .n_sessions = 1,
                                .next_expiry = 1700000600,
                                .problem = "no instance role",
                                .error = "no instance role: this instance has no IAM instance "
                                         "profile; attach a role that may read the store"},
                           b;
        struct jit_error err = {};
        char line[256], path[160];

        assert_int_equal(host_status_save(run, &a, &err), 0);
        assert_int_equal(host_status_load(run, &b, &err), 0);
        assert_memory_equal(&a, &b, sizeof(a));
        host_status_line(&a, line, sizeof(line));
        assert_string_equal(line,
                            "2 grants, 1 session, next expiry 22:23:20 UTC, store unreachable "
                            "(no instance role)");
        (void) snprintf(path, sizeof(path), "%s/" AGENT_STATUS_FILE, run);
        /* The fetch error's text stays one line of printable text. */
        (void) snprintf(a.error, sizeof(a.error), "clock skew:\nstore\tfresh\x7f");
        assert_int_equal(host_status_save(run, &a, &err), 0);
        assert_int_equal(host_status_load(run, &b, &err), 0);
        assert_string_equal(b.error, "clock skew:?store?fresh?");
        assert_int_equal(b.store, STORE_UNREACHABLE);
        write_text(path, "pid 1\nstore sparkling\n", 0644);
        assert_true(host_status_load(run, &b, &err) < 0);
        write_text(path, "pid 1\nmystery 2\n", 0644);
        assert_true(host_status_load(run, &b, &err) < 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_counts, setup, teardown),
                cmocka_unit_test_setup_teardown(test_processes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bad_file_starts_over, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unsafe, setup, teardown),
                cmocka_unit_test_setup_teardown(test_lock_held, setup, teardown),
                cmocka_unit_test(test_freshness),
                cmocka_unit_test_setup_teardown(test_status_file, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
