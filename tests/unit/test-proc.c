/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What common/host/proc.c reads from /proc: the session of a pid, whether
 * a session's leader is alive, a process's uids and controlling tty. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test-util.h"

#include "jit-limits.h"
#include "macro.h"
#include "proc.h"
#include "session-record.h"

static void test_id_of_pid(void **state) {
        char buf[JIT_SESSION_ID_MAX + 1] = "", small[2];
        unsigned long audit = 0;
        FILE *f = fopen("/proc/self/sessionid", "re");
        pid_t child;
        int r;

        r = session_id_of_pid(0, buf, sizeof(buf));
        if (f) {
                assert_int_equal(fscanf(f, "%lu", &audit), 1);
                fclose(f);
        }
        printf("/proc/self/sessionid %lu -> %d '%s'\n", audit, r, buf);
        if (f && audit != AUDIT_SESSION_UNSET) {
                char want[16];

                (void) snprintf(want, sizeof(want), "%lu", audit);
                assert_int_equal(r, 0);
                assert_string_equal(buf, want);
                assert_int_equal(session_id_of_pid(getpid(), buf, sizeof(buf)), 0);
                assert_string_equal(buf, want);
                assert_int_equal(session_id_of_pid(0, small, sizeof(small)), -ENOBUFS);
        } else {
                /* No audit session: logind's, or none at all. */
                assert_true(r == -ENXIO || r == 0);
                if (r == 0) {
                        assert_true(strncmp(buf, "logind-", 7) == 0);
                        assert_true(session_id_is_valid(buf));
                }
        }

        /* A pid that is gone has no session. */
        child = fork();
        assert_true(child >= 0);
        if (child == 0)
                _exit(0);
        assert_int_equal(waitpid(child, NULL, 0), child);
        assert_int_equal(session_id_of_pid(child, buf, sizeof(buf)), -ENXIO);
        assert_int_equal(session_id_of_pid(-1, buf, sizeof(buf)), -EINVAL);
}

static pid_t spawn_exiting_child(void) {
        pid_t pid = fork();

        assert_true(pid >= 0);
        if (pid == 0)
                _exit(0);
        return pid;
}

/* Wait until pid is a zombie (its /proc state 'Z'), at most ~5 s. */
static void wait_zombie(pid_t pid) {
        for (int i = 0; i < 500; i++) {
                char path[64], buf[512] = "";
                FILE *f;

                (void) snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
                f = fopen(path, "re");
                assert_non_null(f);
                if (fgets(buf, sizeof(buf), f)) {
                        const char *paren = strrchr(buf, ')');

                        if (paren && paren[2] == 'Z') {
                                fclose(f);
                                return;
                        }
                }
                fclose(f);
                (void) nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
        }
        fail_msg("pid %d never became a zombie", (int) pid);
}

static void test_is_live(void **state) {
        _cleanup_(session_record_freep) struct session_record *r = test_session_record_full("17");
        pid_t child;
        int status;

        r->audit_session = AUDIT_SESSION_UNSET;
        r->leader = getpid();
        assert_true(session_record_is_live(r));

        /* The leader's pid now names another audit session (or none): a
         * reused pid is not the session. */
        r->audit_session = 12345;
        {
                FILE *f = fopen("/proc/self/sessionid", "re");
                unsigned long mine = AUDIT_SESSION_UNSET;

                if (f) {
                        assert_int_equal(fscanf(f, "%lu", &mine), 1);
                        fclose(f);
                }
                if (mine == 12345)
                        r->audit_session = 12346;
                assert_false(session_record_is_live(r));
                if (mine != AUDIT_SESSION_UNSET) {
                        r->audit_session = (uint32_t) mine;
                        assert_true(session_record_is_live(r));
                }
        }
        r->audit_session = AUDIT_SESSION_UNSET;

        /* A zombie keeps its /proc entry but is not a live session. */
        child = spawn_exiting_child();
        wait_zombie(child);
        r->leader = child;
        assert_false(session_record_is_live(r));
        assert_int_equal(waitpid(child, &status, 0), child);
        /* Reaped: gone. */
        assert_false(session_record_is_live(r));

        r->leader = 0;
        assert_false(session_record_is_live(r));
        r->leader = -1;
        assert_false(session_record_is_live(r));
        assert_false(session_record_is_live(NULL));
}

/* A child that runs child_setup, then waits on a pipe until the parent
 * closes it. */
static pid_t spawn_waiting_child(int *ret_wfd, void (*child_setup)(void)) {
        int p[2];
        pid_t pid;

        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                char c;

                (void) close(p[1]);
                if (child_setup)
                        child_setup();
                if (read(p[0], &c, 1) < 0)
                        _exit(1);
                _exit(0);
        }
        (void) close(p[0]);
        *ret_wfd = p[1];
        return pid;
}

static void child_setresuid(void) {
        if (setresuid(65534, 0, 0) < 0)
                _exit(1);
}

static void child_setsid(void) {
        if (setsid() < 0)
                _exit(1);
}

/* Wait until pid's real uid is what the child's setup made it, at most
 * ~5 s. */
static void wait_uid(pid_t pid, uid_t want) {
        for (int i = 0; i < 500; i++) {
                uid_t ruid, euid;

                if (proc_uids(pid, &ruid, &euid) == 0 && ruid == want)
                        return;
                (void) nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
        }
        fail_msg("pid %d never got uid %u", (int) pid, (unsigned) want);
}

static void test_proc_uids(void **state) {
        uid_t ruid = 1, euid = 1;
        pid_t child;
        int wfd, status;

        assert_int_equal(proc_uids(getpid(), &ruid, &euid), 0);
        assert_int_equal(ruid, getuid());
        assert_int_equal(euid, geteuid());
        assert_int_equal(proc_uids(0, &ruid, &euid), -EINVAL);
        assert_int_equal(proc_uids(-1, &ruid, &euid), -EINVAL);

        /* Real and effective told apart (the agent signals a process whose
         * real or effective uid is the user's): needs root to set them. */
        if (geteuid() == 0) {
                child = spawn_waiting_child(&wfd, child_setresuid);
                wait_uid(child, 65534);
                assert_int_equal(proc_uids(child, &ruid, &euid), 0);
                assert_int_equal(ruid, 65534);
                assert_int_equal(euid, 0);
                (void) close(wfd);
                assert_int_equal(waitpid(child, &status, 0), child);
                assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
                /* Reaped: gone. */
                assert_int_equal(proc_uids(child, &ruid, &euid), -ESRCH);
        }
}

static void test_proc_tty_nr(void **state) {
        unsigned long tty = 1;
        struct stat st;
        pid_t child;
        int wfd, status;

        assert_int_equal(proc_tty_nr(0, &tty), -EINVAL);
        /* When stdin is a terminal, it is (usually) ours: the same device. */
        assert_int_equal(proc_tty_nr(getpid(), &tty), 0);
        if (isatty(STDIN_FILENO) && fstat(STDIN_FILENO, &st) == 0 && tty != 0)
                assert_int_equal(
                        makedev((tty >> 8) & 0xfff, (tty & 0xff) | ((tty >> 12) & 0xfff00)),
                        st.st_rdev);

        /* A new session has no controlling terminal: 0, not the session id
         * or the process group in the fields beside it. */
        child = spawn_waiting_child(&wfd, child_setsid);
        for (int i = 0; i < 500; i++) {
                if (getsid(child) == child)
                        break;
                (void) nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
        }
        assert_int_equal(getsid(child), child);
        tty = 1;
        assert_int_equal(proc_tty_nr(child, &tty), 0);
        assert_int_equal(tty, 0);
        (void) close(wfd);
        assert_int_equal(waitpid(child, &status, 0), child);
        assert_true(proc_tty_nr(child, &tty) < 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_id_of_pid),
                cmocka_unit_test(test_is_live),
                cmocka_unit_test(test_proc_uids),
                cmocka_unit_test(test_proc_tty_nr),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
